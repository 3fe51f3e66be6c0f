#!/usr/bin/env bash
# Builds the clean Debian reference image (issue 10): a firmware-like squashfs made of
# current Debian packages, with the package database that says what is inside.
#
#   debref.sh OUT_DIR [CACHE_DIR]
#
# OUT_DIR/root            the file tree (packages unpacked with dpkg-deb -x)
# OUT_DIR/image.squashfs  the tree packed with mksquashfs (xz)
# OUT_DIR/packages.tsv    package, version (the ground truth), one a line
# CACHE_DIR (default $DEBREF_CACHE, else /var/cache/baseliner-debref, else
# ~/.cache/baseliner-debref) keeps the downloaded .debs between runs, outside the
# repository; `.ci/run` fills it before the tests.
#
# What the image is meant to be: BusyBox, a CA bundle, Dropbear whose host keys are
# generated at first boot (none in the image), no telnet service, an update client that
# verifies TLS (curl), the C library, OpenSSL, zlib and a distribution kernel (its
# modules' code dropped to keep the image small; their index files and the kernel stay).
# A clean image has nothing an assessment may FAIL.
set -euo pipefail
out=${1:?usage: debref.sh OUT_DIR [CACHE_DIR]}
cache=${2:-${DEBREF_CACHE:-}}
if [ -z "$cache" ]; then
    if mkdir -p /var/cache/baseliner-debref 2>/dev/null && [ -w /var/cache/baseliner-debref ]; then
        cache=/var/cache/baseliner-debref
    else
        cache=$HOME/.cache/baseliner-debref
    fi
fi
for t in apt-get apt-cache dpkg-deb mksquashfs; do
    command -v "$t" >/dev/null || { echo "debref: $t is not installed" >&2; exit 2; }
done
mkdir -p "$cache" "$out"

# The kernel: the ABI package linux-image-amd64 currently depends on.
kernel=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -n 1)
pkgs=(base-files libc6 busybox ca-certificates dropbear dropbear-bin curl libcurl4 libssl3 zlib1g ${kernel:+"$kernel"})

# Download what the cache lacks (a package's current version, as apt sees it).
need=()
for p in "${pkgs[@]}"; do
    v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
    [ -n "$v" ] && [ "$v" != "(none)" ] || { echo "debref: no candidate for $p (apt-get update?)" >&2; exit 2; }
    ls "$cache/${p}_"*.deb >/dev/null 2>&1 || need+=("$p")
    # A cached .deb of an older version is replaced.
    for f in "$cache/${p}_"*.deb; do
        [ -e "$f" ] || continue
        [ "$(dpkg-deb -f "$f" Version)" = "$v" ] || { rm -f "$f"; need+=("$p"); }
    done
done
if [ "${#need[@]}" -gt 0 ]; then
    (cd "$cache" && apt-get download -q "${need[@]}" >/dev/null 2>&1) \
        || (cd "$cache" && apt-get download "${need[@]}")
fi

root=$out/root
rm -rf "$root" "$out/image.squashfs" "$out/packages.tsv"
mkdir -p "$root/var/lib/dpkg"
status=$root/var/lib/dpkg/status
: >"$status"
for p in "${pkgs[@]}"; do
    deb=$(ls "$cache/${p}_"*.deb | head -n 1)
    if [[ "$p" == linux-image-* ]]; then
        # Modules' code is dropped (hundreds of MB); modules.* indexes stay.
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" --exclude='./lib/modules/*/kernel/*' --exclude='./usr/lib/modules/*/kernel/*'
    else
        dpkg-deb -x "$deb" "$root"
    fi
    # The control file with the Status line dpkg writes after Package.
    dpkg-deb -f "$deb" | awk '{print} /^Package:/ {print "Status: install ok installed"}' >>"$status"
    echo >>"$status"
    printf '%s\t%s\n' "$p" "$(dpkg-deb -f "$deb" Version)" >>"$out/packages.tsv"
done
# Host keys are generated at first boot (dropbear's init script); none ship.
rm -f "$root"/etc/dropbear/dropbear_*_host_key
# ca-certificates' postinst builds the bundle; do what it does, so the image has one.
if [ -d "$root/usr/share/ca-certificates" ]; then
    mkdir -p "$root/etc/ssl/certs"
    find "$root/usr/share/ca-certificates" -name '*.crt' -print0 | sort -z | xargs -0 cat >"$root/etc/ssl/certs/ca-certificates.crt"
fi
# BusyBox as the shell and init, as on a device.
mkdir -p "$root/bin" "$root/sbin"
[ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"
mksquashfs "$root" "$out/image.squashfs" -comp xz -all-root -noappend -quiet >/dev/null
echo "$out/image.squashfs"
