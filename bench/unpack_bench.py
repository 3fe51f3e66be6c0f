"""Harness for bench/unpack.sh: times each tool on each image and counts what it recovered."""
import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import tarfile
import time
from pathlib import Path


def run_timed(cmd, cwd=None, env=None):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS KiB, exit code)."""
    tf = Path("/tmp/.bench-time")
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(tf)] + cmd, cwd=cwd, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    try:
        rss = int(tf.read_text().strip().splitlines()[-1])
    except Exception:
        rss = 0
    return wall, rss, p.returncode


def run_sampled(cmd):
    """Runs cmd, sampling /proc every 5 ms; returns (wall s, peak RSS KiB, peak anonymous
    KiB). RSS counts the pages of memory-mapped files that were read (page cache the
    kernel can drop); anonymous memory is what the process itself allocated."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss = peak_anon = 0
    status = Path(f"/proc/{p.pid}/status")
    while p.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    peak_rss = max(peak_rss, int(line.split()[1]))
                elif line.startswith("RssAnon:"):
                    peak_anon = max(peak_anon, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            pass
        time.sleep(0.005)
    return time.perf_counter() - t0, peak_rss, peak_anon


def count_files(d: Path):
    """Regular files under d (symlinks and folders not counted)."""
    n = 0
    for dirpath, _, files in os.walk(d):
        for f in files:
            if os.path.isfile(os.path.join(dirpath, f)) and not os.path.islink(os.path.join(dirpath, f)):
                n += 1
    return n


def tool_cmds(tool, args, image, out):
    if tool == "baseliner":
        return [args.baseliner, "unpack", str(image), "-o", str(out)]
    if tool == "unblob":
        return [args.unblob, "-e", str(out), str(image)]
    if tool == "binwalk":
        return [args.binwalk, "-M", "-e", "-q", "-C", str(out), str(image)]
    raise ValueError(tool)


def bench_tool(tool, args, image, work):
    """Median wall time, peak RSS, and files recovered: "n" when every run recovered the
    same number, "min-max" when runs differed (binwalk v3 -M is not deterministic here:
    the same command recovers 28, 2 or 0 files of the Linksys image from run to run)."""
    walls, rsss, counts, code = [], [], [], 0
    for i in range(args.runs):
        out = work / f"{tool}-{image.name}-{i}"
        shutil.rmtree(out, ignore_errors=True)
        if tool != "baseliner":
            out.mkdir(parents=True)
        wall, rss, code = run_timed(tool_cmds(tool, args, image, out), cwd=work)
        walls.append(wall)
        rsss.append(rss)
        counts.append(count_files(out))
        shutil.rmtree(out, ignore_errors=True)
    lo, hi = min(counts), max(counts)
    files = str(hi) if lo == hi else f"{lo}-{hi}"
    return statistics.median(walls), max(rsss), files, code


def unsquashfs_floor(args, image, work):
    """Carves every squashfs baseliner found and times unsquashfs on it."""
    out = work / f"probe-{image.name}"
    shutil.rmtree(out, ignore_errors=True)
    js = work / f"probe-{image.name}.json"
    subprocess.run([args.baseliner, "unpack", str(image), "-o", str(out), "--json", str(js)],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    shutil.rmtree(out, ignore_errors=True)
    try:
        listing = json.loads(js.read_text())
    except Exception:
        return None
    hits = [f for f in listing["formats"] if f["format"] == "squashfs" and f["file"] == ""]
    if not hits:
        return None
    data = image.read_bytes()
    total_wall, total_files, ok = 0.0, 0, True
    for h in hits:
        carved = work / f"carved-{image.name}-{h['offset']:x}.sqfs"
        carved.write_bytes(data[h["offset"]: h["offset"] + (h["length"] or len(data))])
        walls = []
        for i in range(args.runs):
            d = work / f"unsq-{i}"
            shutil.rmtree(d, ignore_errors=True)
            wall, _, code = run_timed(["unsquashfs", "-no-xattrs", "-d", str(d), str(carved)])
            walls.append(wall)
            ok = ok and code == 0
            files = count_files(d)
            shutil.rmtree(d, ignore_errors=True)
        total_wall += statistics.median(walls)
        total_files += files
    return total_wall, total_files, ok


def make_big_image(path: Path, size: int):
    """A generated image of about `size` bytes: a gzip'd tar of mixed text and random
    blobs, then erased-flash padding; for the peak-memory check."""
    if path.exists() and path.stat().st_size >= size:
        return
    rnd = random.Random(42)
    tmp = path.with_suffix(".tar.gz")
    with gzip.open(tmp, "wb", compresslevel=1) as gz, tarfile.open(fileobj=gz, mode="w|") as tar:
        written = 0
        i = 0
        while written < size * 0.9:
            n = 8 << 20
            if i % 2:
                blob = rnd.randbytes(n)
            else:
                blob = (b"config line %d with some text\n" % i) * (n // 32)
            info = tarfile.TarInfo(f"data/blob{i:04d}.bin")
            info.size = len(blob)
            import io
            tar.addfile(info, io.BytesIO(blob))
            written += len(blob)
            i += 1
    with open(path, "wb") as f, open(tmp, "rb") as src:
        shutil.copyfileobj(src, f)
        pad = size - f.tell()
        if pad > 0:
            f.write(b"\xff" * pad)
    tmp.unlink()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--baseliner")
    ap.add_argument("--unblob")
    ap.add_argument("--binwalk")
    ap.add_argument("--memory-only", action="store_true")
    args = ap.parse_args()
    work = args.work
    images = [] if args.memory_only else sorted((args.corpus / "firmware").iterdir())
    print(f"runs per cell: {args.runs} (median wall time), peak RSS = max over runs, files = regular files in the output folder\n")
    print("| image | size | baseliner s | MiB | files | unblob s | MiB | files | binwalk v3 s | MiB | files | unsquashfs floor s | files | baseliner vs unblob | vs binwalk |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for img in images:
        res = {t: bench_tool(t, args, img, work) for t in ("baseliner", "unblob", "binwalk")}
        floor = unsquashfs_floor(args, img, work)
        b, u, w = res["baseliner"], res["unblob"], res["binwalk"]
        fl = f"{floor[0]:.3f} | {floor[1]}{'' if floor[2] else ' (failed)'}" if floor else "n/a | n/a"
        print(f"| {img.name} | {img.stat().st_size // 1024} KiB | {b[0]:.3f} | {b[1] // 1024} | {b[2]} | "
              f"{u[0]:.3f} | {u[1] // 1024} | {u[2]} | {w[0]:.3f} | {w[1] // 1024} | {w[2]} | {fl} | "
              f"{u[0] / b[0]:.1f}x | {w[0] / b[0]:.1f}x |", flush=True)

    print("\nPeak memory against image size (baseliner):\n")
    print("| image | size | wall s | peak RSS MiB (incl. mapped files) | peak anonymous MiB | files |")
    print("|---|---|---|---|---|---|")
    small = work / "gen-64MiB.bin"
    big = work / "gen-1GiB.bin"
    make_big_image(small, 64 << 20)
    make_big_image(big, 1 << 30)
    for img in (small, big):
        out = work / "mem-out"
        shutil.rmtree(out, ignore_errors=True)
        wall, rss, anon = run_sampled([args.baseliner, "unpack", str(img), "-o", str(out)])
        files = count_files(out)
        shutil.rmtree(out, ignore_errors=True)
        print(f"| {img.name} | {img.stat().st_size >> 20} MiB | {wall:.2f} | {rss // 1024} | {anon // 1024} | {files} |", flush=True)


if __name__ == "__main__":
    main()
