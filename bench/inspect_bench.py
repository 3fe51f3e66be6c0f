"""Driver of bench/inspect.sh: times baseliner inspect and compares with cve-bin-tool."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

CBT_SCAN = r'''
import sys, json, time, logging
logging.disable(logging.CRITICAL)
t0 = time.time()
from cve_bin_tool.checkers import BUILTIN_CHECKERS
from cve_bin_tool.version_scanner import VersionScanner
checkers, skipped = {}, []
for name, ep in BUILTIN_CHECKERS.items():
    try:
        checkers[name] = ep.load()
    except Exception:
        skipped.append(name)
vs = VersionScanner(should_extract=False, checkers=checkers)
t1 = time.time()
res = {}
for d in sys.argv[1:]:
    found = set()
    for si in vs.recursive_scan(d):
        if si is not None:
            pi = si.product_info
            found.add((pi.product, pi.version))
    res[d] = sorted(found)
print(json.dumps({"load": t1 - t0, "scan": time.time() - t1, "skipped": skipped, "results": res}))
'''


def timed(cmd, env=None):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    dt = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed: {p.stderr.decode(errors='replace')[-500:]}")
    return dt, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--baseliner", required=True)
    ap.add_argument("--cbt-python", required=True)
    ap.add_argument("--cbt-cli", required=True)
    a = ap.parse_args()
    bl = a.baseliner

    # 1. Firmware corpus.
    print(f"## baseliner inspect on the firmware corpus (median of {a.runs} runs, release build)\n")
    print("| image | files | findings | components | inspect tree (ms) | unpack + inspect image (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    trees = a.work / "trees"
    for img in sorted((a.corpus / "firmware").iterdir()):
        tree = trees / img.name
        if tree.exists():
            shutil.rmtree(tree)
        tree.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([bl, "unpack", str(img), "-o", str(tree)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True)
        out = a.work / "out.json"
        t_tree = statistics.median(
            timed([bl, "inspect", str(tree), "--format", "json", "-o", str(out)])[0] for _ in range(a.runs))
        ins = json.loads(out.read_text())
        t_img = statistics.median(
            timed([bl, "inspect", str(img), "--format", "json", "-o", str(out)])[0] for _ in range(a.runs))
        print(f"| {img.name} | {ins['summary']['files']} | {len(ins['findings'])} | {len(ins['components'])} "
              f"| {t_tree * 1000:.0f} | {t_img * 1000:.0f} |")

    # 2. Components corpus.
    gt_rows = []
    for line in (a.corpus / "components" / "ground-truth.tsv").read_text().splitlines()[1:]:
        f = line.split("\t")
        if len(f) == 3:
            gt_rows.append(tuple(f))
    comp = a.work / "components"
    if comp.exists():
        shutil.rmtree(comp)
    dirs = {}
    for arc in sorted((a.corpus / "components").glob("*.tar.gz")):
        d = comp / arc.name[: -len(".tar.gz")]
        d.mkdir(parents=True)
        with tarfile.open(arc) as t:
            t.extractall(d, filter="data")
        dirs[arc.name] = d

    bl_found, bl_time = {}, []
    for _ in range(a.runs):
        total = 0.0
        for arc, d in dirs.items():
            out = a.work / "comp.json"
            dt, _ = timed([bl, "inspect", str(d), "--format", "json", "-o", str(out)])
            total += dt
            ins = json.loads(out.read_text())
            bl_found[arc] = sorted({((c.get("cpe") or "").split(":")[4] if c.get("cpe") else c["name"], c["version"])
                                    for c in ins["components"]})
        bl_time.append(total)

    env = dict(os.environ, HOME=str(a.work / "cbt-home"))
    (a.work / "cbt-home" / ".cache" / "cve-bin-tool").mkdir(parents=True, exist_ok=True)
    cli = subprocess.run([a.cbt_cli, "--offline", "-u", "never", "--disable-version-check",
                          str(next(iter(dirs.values())))], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, env=env)
    cli_msg = "Database does not exist" if b"Database does not exist" in cli.stdout else \
        cli.stdout.decode(errors="replace").strip().splitlines()[-1:]
    cbt_runs = []
    for _ in range(a.runs):
        t = time.perf_counter()
        p = subprocess.run([a.cbt_python, "-c", CBT_SCAN, *map(str, dirs.values())],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=True)
        wall = time.perf_counter() - t
        r = json.loads(p.stdout)
        r["wall"] = wall
        cbt_runs.append(r)
    cbt = cbt_runs[0]
    cbt_found = {arc: [tuple(x) for x in cbt["results"][str(d)]] for arc, d in dirs.items()}

    def score(found):
        hit, wrong, misses = 0, 0, []
        for arc, product, version in gt_rows:
            got = [v for (p, v) in found.get(arc, []) if p == product]
            if version in got:
                hit += 1
            else:
                misses.append(f"{arc}: {product} {version}")
            wrong += len([v for v in set(got) if v != version])
        return hit, wrong, misses

    bh, bw, bm = score(bl_found)
    ch, cw, cm = score(cbt_found)
    n = len(gt_rows)
    bt = statistics.median(bl_time)
    ct = statistics.median(r["wall"] for r in cbt_runs)
    cs = statistics.median(r["scan"] for r in cbt_runs)
    print(f"\n## components corpus: {len(dirs)} archives, {n} ground-truth rows (median of {a.runs} runs)\n")
    print("| tool | time (s) | rows found with exact version | recall | wrong versions for those products |")
    print("|---|---:|---:|---:|---:|")
    print(f"| baseliner inspect (one process per archive) | {bt:.2f} | {bh}/{n} | {100 * bh / n:.1f}% | {bw} |")
    print(f"| cve-bin-tool VersionScanner (one process, all archives) | {ct:.2f} (scan only {cs:.2f}) | {ch}/{n} "
          f"| {100 * ch / n:.1f}% | {cw} |")
    print(f"\nspeed-up: {ct / bt:.1f}x wall, {cs / bt:.1f}x against cve-bin-tool's scan time alone")
    print(f"cve-bin-tool CLI offline: {cli_msg}; checkers that cannot load offline: {', '.join(cbt['skipped']) or 'none'}")
    if bm:
        print("baseliner misses: " + "; ".join(bm))
    if cm:
        print("cve-bin-tool misses: " + "; ".join(cm))


if __name__ == "__main__":
    sys.exit(main())
