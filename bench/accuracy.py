"""Driver of bench/accuracy.sh: component precision and recall, FAIL verdicts and findings.

Ground truth:
- components/*.tar.gz: components/ground-truth.tsv (one product and version per archive);
- firmware/*: the facts the corpus README states (bench/accuracy-truth.tsv; partial, so
  only those products count against precision);
- the Debian reference image: its package database (every package, so every reported
  component counts against precision).

A reported component is keyed by its CPE product (else its name). It is correct when
(product, version) is a ground-truth row, wrong when its product is a ground-truth
product at another version; on the reference image any other component is wrong too.
precision = correct / (correct + wrong), recall = truth rows found / truth rows.
"""
import argparse
import collections
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# Debian package -> the product key baseliner's components carry (CPE product).
DEB_PRODUCT = {
    "libc6": "glibc",
    "busybox": "busybox",
    "dropbear": "dropbear_ssh",
    "dropbear-bin": "dropbear_ssh",
    "curl": "curl",
    "libcurl4": "libcurl",
    "libssl3": "openssl",
    "zlib1g": "zlib",
}


def upstream(v):
    """Debian version -> upstream: epoch, revision and repack suffixes removed."""
    v = v.split(":", 1)[1] if ":" in v else v
    v = v.rsplit("-", 1)[0] if "-" in v else v
    for sep in ("+dfsg", ".dfsg", "~dfsg", "+ds", ".ds", "~ds", "+repack", "~repack"):
        i = v.find(sep)
        if i > 0:
            v = v[:i]
    return v


def key(c):
    cpe = c.get("cpe")
    return (cpe.split(":")[4] if cpe else c["name"], c["version"])


def matches(f, t):
    """A truth version ending in `*` is a prefix (the README states `openssl 0.9.7`)."""
    return f[0] == t[0] and (f[1] == t[1] or t[1].endswith("*") and f[1].startswith(t[1][:-1]))


def score(found, truth, complete):
    products = {p for p, _ in truth}
    hit = lambda f: any(matches(f, t) for t in truth)
    ok = [f for f in found if hit(f)]
    wrong = [f for f in found if not hit(f) and (complete or f[0] in products)]
    other = [f for f in found if not hit(f) and not complete and f[0] not in products]
    missed = [t for t in truth if not any(matches(f, t) for f in found)]
    return ok, wrong, other, missed


def fails(assessment):
    """FAIL verdicts as `provision (codes)`."""
    out = []
    for v in assessment.get("verdicts", []):
        if v["status"] == "FAIL":
            out.append(f"{v['provision']} ({', '.join(sorted(set(v.get('findings', [])))) or '-'})")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--baseliner", required=True)
    ap.add_argument("--kb", required=True)
    ap.add_argument("--truth", type=Path, required=True)
    ap.add_argument("--reference", type=Path, help="folder debref.sh wrote")
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    bl = a.baseliner
    rows = []  # (image, found, truth, complete, fails, findings)

    # Firmware corpus and the reference image: whole assessments.
    fw_truth = collections.defaultdict(set)
    for line in a.truth.read_text().splitlines():
        if line and not line.startswith("#"):
            img, prod, ver = line.split("\t")[:3]
            fw_truth[img].add((prod, ver))
    images = [(p.name, p, fw_truth.get(p.name, set()), False)
              for p in sorted((a.corpus / "firmware").iterdir())]
    if a.reference:
        truth = set()
        for line in (a.reference / "packages.tsv").read_text().splitlines():
            pkg, ver = line.split("\t")
            if pkg.startswith("linux-image-"):
                truth.add(("linux_kernel", upstream(ver)))
            elif pkg in DEB_PRODUCT:
                truth.add((DEB_PRODUCT[pkg], upstream(ver)))
            else:
                truth.add((pkg, ver))
        images.append(("debian-reference.squashfs", a.reference / "image.squashfs", truth, True))
    for name, path, truth, complete in images:
        out = a.work / "assess" / name
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        p = subprocess.run([bl, "assess", str(path), "--db", a.kb, "--out", str(out)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        doc = out / "assessment.json"
        if not doc.exists():
            print(f"assess failed on {name}: {p.stderr.decode(errors='replace')[-300:]}", file=sys.stderr)
            continue
        asm = json.loads(doc.read_text())
        found = {key(c) for c in asm["components"]}
        rows.append((name, found, truth, complete, fails(asm), len(asm["findings"]),
                     len(asm.get("vulnerabilities", []))))

    # Components corpus: inspect of each unpacked archive.
    gt = {}
    for line in (a.corpus / "components" / "ground-truth.tsv").read_text().splitlines()[1:]:
        f = line.split("\t")
        if len(f) == 3:
            gt[f[0]] = {(f[1], f[2])}
    comp = a.work / "components"
    if comp.exists():
        shutil.rmtree(comp)
    for arc in sorted((a.corpus / "components").glob("*.tar.gz")):
        if arc.name not in gt:
            continue
        d = comp / arc.name[: -len(".tar.gz")]
        d.mkdir(parents=True)
        with tarfile.open(arc) as t:
            t.extractall(d, filter="data")
        out = a.work / "comp.json"
        subprocess.run([bl, "inspect", str(d), "--format", "json", "-o", str(out)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        ins = json.loads(out.read_text())
        rows.append(("components/" + arc.name, {key(c) for c in ins["components"]}, gt[arc.name],
                     False, None, len(ins["findings"]), None))

    print(f"\n### accuracy {a.label}\n")
    print("| image | truth rows | found | wrong | other (not judged) | precision | recall | FAIL verdicts (cause) | findings | vulns |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    tot = collections.Counter()
    comp_tot = collections.Counter()
    details = []
    for name, found, truth, complete, fl, nf, nv in rows:
        ok, wrong, other, missed = score(found, truth, complete)
        t = tot if not name.startswith("components/") else comp_tot
        t["truth"] += len(truth)
        t["ok"] += len(ok)
        t["wrong"] += len(wrong)
        prec = f"{100 * len(ok) / (len(ok) + len(wrong)):.0f}%" if ok or wrong else "-"
        rec = f"{100 * (len(truth) - len(missed)) / len(truth):.0f}%" if truth else "-"
        if name.startswith("components/"):
            if wrong or missed:
                details.append(f"- {name}: wrong {sorted(wrong)} missed {sorted(missed)}")
            continue
        print(f"| {name} | {len(truth)} | {len(ok)} | {len(wrong)} | {len(other)} | {prec} | {rec} "
              f"| {'; '.join(fl) if fl else '0'} | {nf} | {nv if nv is not None else '-'} |")
        if wrong or missed:
            details.append(f"- {name}: wrong {sorted(wrong)} missed {sorted(missed)}")
    n = sum(1 for r in rows if r[0].startswith("components/"))
    c = comp_tot
    cp = 100 * c["ok"] / max(1, c["ok"] + c["wrong"])
    print(f"| components/ ({n} archives) | {c['truth']} | {c['ok']} | {c['wrong']} | | {cp:.1f}% "
          f"| {100 * c['ok'] / max(1, c['truth']):.1f}% | | | |")
    allok, allwrong, alltruth = tot["ok"] + c["ok"], tot["wrong"] + c["wrong"], tot["truth"] + c["truth"]
    print(f"\n**all**: precision {100 * allok / max(1, allok + allwrong):.1f}% "
          f"({allok}/{allok + allwrong}), recall {100 * allok / max(1, alltruth):.1f}% ({allok}/{alltruth})")
    if details:
        print("\n" + "\n".join(details))


if __name__ == "__main__":
    sys.exit(main())
