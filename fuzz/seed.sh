#!/usr/bin/env bash
# Seeds each fuzz target's corpus from the shared fixtures (local copies, git-ignored).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="${CORPUS:-$here/../../shared/corpus}/formats"
seed() { mkdir -p "$here/corpus/$1"; shift; for f in "$@"; do [ -f "$f" ] && cp "$f" "$here/corpus/${target}/" || true; done; }
for target in squashfs cramfs jffs2 yaffs2 ubi romfs uimage fit trx tplink android_sparse linux_kernel cpio vxworks_memfs tplink_img0; do mkdir -p "$here/corpus/$target"; done
cp "$src"/squashFS__* "$src"/dissect-squashfs_* "$src"/binwalk-squashfs.bin "$here/corpus/squashfs/"
cp "$src"/binwalk-cramfs.bin "$src"/sevenz__cramfs.img "$here/corpus/cramfs/"
cp "$src"/jffs2__* "$here/corpus/jffs2/"
cp "$src"/yaffs__* "$src"/binwalk-yaffs2.bin "$here/corpus/yaffs2/"
head -c 262144 "$src"/ubi__ubi.img > "$here/corpus/ubi/ubi-head.img"
cp "$src"/binwalk-romfs.bin "$src"/generic_fs__romfs.img "$here/corpus/romfs/"
cp "$src"/uboot__uboot.image_with_header "$src"/maxlinear__maxlinear-uimage-v2.bin "$here/corpus/uimage/"
head -c 65536 "$src"/uboot__fit.itb > "$here/corpus/fit/fit-head.itb"; cp "$src"/uboot__uboot.dtb "$here/corpus/fit/"
cp "$src"/trx__trx.img "$here/corpus/trx/"
head -c 65536 "$src"/tpl__test.tpl > "$here/corpus/tplink/tpl-head.bin"
cp "$src"/android_simg__simg.img "$here/corpus/android_sparse/"
cp "$src"/linuxkernel__zImage_be32 "$src"/linuxkernel__bogus_image.bin "$here/corpus/linux_kernel/"
cp "$src"/patool__test.cpio "$here/corpus/cpio/"
# Vendor headers (their corpus folder is named after the target).
for pair in buffalo_enc:buffalo__buffalo.bin senao:senao__testfw_1.enc dlink_mh01:dlink__fw_mh01_test.bin \
    tenvis_pk2:tenvis_pk2__test.pk2 tenvis_pk2:tenvis_pk2__broken.pk2 grain_media:grain_media__test.gm8126 \
    alphanetworks:alphanetworks__test_sample alphanetworks:alphanetworks__test_sample_inverted \
    broadcom_sao:broadcom__broadcom-sao.bin ambarella_romfs:ambarella__ambarella_rom.fs dji_xv4:dji__dji.img \
    bosch_fw:boschtool__test.fw pkcs7_signed:maxlinear__maxlinear-puma-8-vendor-image.bin \
    dahua:dahua__dh.bin dlink_encrpted_img:dlink__testfile.encrpted_img dlink_shrs:dlink__test.dec \
    draytek:draytek_vigor_167__valid_draytekvigor167_image.bin xiaomi:xiaomi_hdr__test.hdr1; do
  mkdir -p "$here/corpus/${pair%%:*}"; cp "$src/${pair#*:}" "$here/corpus/${pair%%:*}/"
done
# TP-Link VxWorks: the MemFS table and first files, and the update file's head.
fw="${CORPUS:-$here/../../shared/corpus}/firmware/tplink-vxworks.fw"
if [ -f "$fw" ]; then
  dd if="$fw" of="$here/corpus/vxworks_memfs/memfs-head.bin" iflag=skip_bytes,count_bytes skip=$((0x12dc74)) count=16384 status=none
  head -c 65536 "$fw" > "$here/corpus/tplink_img0/img0-head.bin"
fi
# Arcadyan: the head of a real container (header, scrambled blocks, first LZMA bytes);
# PFS: the table of the WRT120N's web file system, cut from its LZMA stream at 0xFE400.
fwdir="${CORPUS:-$here/../../shared/corpus}/firmware"
mkdir -p "$here/corpus/arcadyan" "$here/corpus/pfs"
if [ -f "$fwdir/arcadyan-obfuscated.bin" ]; then head -c 16384 "$fwdir/arcadyan-obfuscated.bin" > "$here/corpus/arcadyan/arcadyan-head.bin"; fi
if [ -f "$fwdir/linksys-wrt120n-1.0.07.bin" ] && command -v xz >/dev/null; then
  tail -c +$((0xFE400 + 1)) "$fwdir/linksys-wrt120n-1.0.07.bin" | xz --format=lzma -dc 2>/dev/null | head -c 16384 > "$here/corpus/pfs/wrt120n-pfs-head.bin" || true
fi
echo "seeded $(find "$here/corpus" -type f | wc -l) files"
# 7z: no fixture is a bare 7z archive; the RouterOS container holds one at 0x6f599
# (see crates/unpack/tests/archives.rs), 418,367 bytes long by its start header. Without a
# seed the fuzzer never gets past the signature to the headers.
mkdir -p "$here/corpus/sevenz"
fw="$(dirname "$src")/firmware/ros-container.ros"
[ -f "$fw" ] && tail -c +$((0x6f599 + 1)) "$fw" | head -c 418367 > "$here/corpus/sevenz/ros.7z"
