#!/usr/bin/env python3
"""Helper for bench/cvebintool.sh: cve-bin-tool's side of the matching comparison.

Runs inside the cve-bin-tool venv. cve-bin-tool keeps its data under
$HOME/.cache/cve-bin-tool (cve.db), so the shell script points HOME at a folder per data
set. Subcommands:

  build-db PAGE...             fill cve.db from NVD CVE API 2.0 result pages with
                               cve-bin-tool's own converter (NVD_Source.format_data_api2)
                               and writer (CVEDB.populate_db), one page at a time
  corpus OUTDIR                component list for the accuracy run (components.json with
                               CPEs and components-name.json without, for baseliner;
                               sbom-cpe/sbom-name CycloneDX for cve-bin-tool;
                               expected.json: what the NVD records say)
  synthetic N OUTDIR           the 1,000 components of crates/vulns/examples/bench_vulns.rs
                               (same generator), as components.json and sbom-cpe.cdx.json,
                               and every tenth of them (*-sub.*) for repeated timing
  scan SBOM OUT RUNS           cve-bin-tool's matcher in process (SBOMParse + CVEScanner),
                               timed RUNS times; matches to OUT
  report CBT_JSON OUT          cve-bin-tool CLI JSON report -> normalised match list
  table OUTDIR                 side-by-side accuracy table from the files the run left
  compare-synthetic OUTDIR [PAGE...]
                               match-set difference of the two tools on the synthetic run;
                               with the pages, which configurations the differences come from

Only reads and writes files under the paths it is given and $HOME/.cache/cve-bin-tool.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import time
import uuid
from pathlib import Path

# --------------------------------------------------------------------------------------
# cve-bin-tool database from NVD JSON


def quiet(logger: logging.Logger, level: int) -> None:
    logging.getLogger().setLevel(level)
    logger.setLevel(level)


def build_db(pages: list[str]) -> None:
    """Fill cve-bin-tool's cve.db from API 2.0 pages, as its own NVD API 2.0 path does.

    `NVD_Source.format_data_api2` is the function cve-bin-tool applies to API 2.0
    records (`nvd_type == "api2"`); `CVEDB.populate_db` writes its output. Only the
    download is replaced by reading files. One page at a time bounds memory.
    """
    from cve_bin_tool.cvedb import CVEDB
    from cve_bin_tool.data_sources.nvd_source import NVD_Source
    from cve_bin_tool.log import LOGGER

    # cvedb sets the root logger to DEBUG on import; the CLI runs at INFO by default.
    quiet(LOGGER, logging.INFO)
    db = CVEDB(sources=[], version_check=False)
    db.cachedir.mkdir(parents=True, exist_ok=True)
    if db.dbpath.exists():
        db.dbpath.unlink()
    db.init_database()
    src = NVD_Source(nvd_type="api2")
    t0 = time.monotonic()
    records = ranges = 0
    convert_s = 0.0
    for page in pages:
        with open(page, "rb") as f:
            entries = json.load(f)["vulnerabilities"]
        t = time.monotonic()
        severity, affected = src.format_data_api2(entries)
        convert_s += time.monotonic() - t
        records += len(severity)
        ranges += len(affected)
        db.data = [((severity, affected), "NVD")]
        db.populate_db()
    # Offline mode never refreshes, but keep the file's mtime (its "last updated")
    # current so a non-offline run would not start a download either.
    db.dbpath.touch()
    print(
        f"cve-bin-tool db: {records} records, {ranges} cve_range rows from "
        f"{len(pages)} page(s) in {time.monotonic() - t0:.1f} s "
        f"(conversion {convert_s:.1f} s) -> {db.dbpath}",
        file=sys.stderr,
    )


# --------------------------------------------------------------------------------------
# Component lists

# Product name as baseliner's inspect names it -> (CPE part, vendor, product) NVD uses.
IDENTITY = {
    "busybox": ("a", "busybox", "busybox"),
    "dropbear": ("a", "dropbear_ssh_project", "dropbear_ssh"),
    "dnsmasq": ("a", "thekelleys", "dnsmasq"),
    "lighttpd": ("a", "lighttpd", "lighttpd"),
    "openssl": ("a", "openssl", "openssl"),
    "uclibc": ("a", "uclibc", "uclibc"),
    "uclibc-ng": ("a", "uclibc-ng_project", "uclibc-ng"),
    "miniupnpd": ("a", "miniupnp_project", "miniupnpd"),
    "libcurl": ("a", "haxx", "libcurl"),
    "linux": ("o", "linux", "linux_kernel"),
    "hostapd": ("a", "w1.fi", "hostapd"),
    "wpa_supplicant": ("a", "w1.fi", "wpa_supplicant"),
    "openssh": ("a", "openbsd", "openssh"),
    "samba": ("a", "samba", "samba"),
}

# The corpus records for each product (nvd-page-README.md), and for each tested version
# the records NVD says affect it, read off the README ranges and the records' configurations.
# Versions: the ground-truth versions (components/ground-truth.tsv) plus versions at,
# inside and just outside every stated bound. `†` marks a reading explained in the report.
CVES = {
    "busybox": ["CVE-2021-42386", "CVE-2017-16544", "CVE-2016-2148", "CVE-2018-20679",
                "CVE-2021-42374", "CVE-2022-48174"],
    "dropbear": ["CVE-2016-7406", "CVE-2016-7407", "CVE-2017-9078", "CVE-2020-36254",
                 "CVE-2023-48795"],
    "dnsmasq": ["CVE-2017-14491", "CVE-2017-14492", "CVE-2020-25681", "CVE-2021-3448",
                "CVE-2022-0934"],
    "lighttpd": ["CVE-2018-19052", "CVE-2014-2323", "CVE-2022-22707"],
    "openssl": ["CVE-2016-2107", "CVE-2014-0160", "CVE-2016-2108", "CVE-2022-0778"],
    "uclibc": ["CVE-2017-9728", "CVE-2021-43523", "CVE-2022-30295"],
    "uclibc-ng": ["CVE-2021-43523", "CVE-2022-30295"],
    "miniupnpd": ["CVE-2013-0230", "CVE-2017-1000494"],
    "libcurl": ["CVE-2023-38545"],
    "linux": ["CVE-2016-5195"],
    "hostapd": ["CVE-2017-13077"],
    "wpa_supplicant": ["CVE-2017-13077"],
    "openssh": ["CVE-2018-15473", "CVE-2023-48795"],
    "samba": ["CVE-2017-7494"],
}


def _c(ids: str) -> list[str]:
    return [f"CVE-{i}" for i in ids.split()]


EXPECTED = {
    "busybox": {
        "1.01": _c("2017-16544 2016-2148 2018-20679 2022-48174"),
        "1.15.3": _c("2017-16544 2016-2148 2018-20679 2022-48174"),
        "1.16.0": _c("2021-42386 2017-16544 2016-2148 2018-20679 2022-48174"),
        "1.18.5": _c("2021-42386 2017-16544 2016-2148 2018-20679 2022-48174"),
        "1.24.2": _c("2021-42386 2017-16544 2016-2148 2018-20679 2022-48174"),
        "1.25.0": _c("2021-42386 2017-16544 2018-20679 2022-48174"),
        "1.27.0": _c("2021-42386 2017-16544 2018-20679 2021-42374 2022-48174"),
        "1.27.2": _c("2021-42386 2017-16544 2018-20679 2021-42374 2022-48174"),
        "1.28.2": _c("2021-42386 2018-20679 2021-42374 2022-48174"),
        "1.30.0": _c("2021-42386 2021-42374 2022-48174"),
        "1.33.1": _c("2021-42386 2021-42374 2022-48174"),
        "1.33.2": _c("2022-48174"),
        "1.36.1": _c("2022-48174"),
        "1.37.0": [],
    },
    "dropbear": {
        "2014.65": _c("2016-7406 2016-7407 2017-9078 2020-36254 2023-48795"),
        "2016.73": _c("2016-7406 2016-7407 2017-9078 2020-36254 2023-48795"),
        "2016.74": _c("2017-9078 2020-36254 2023-48795"),
        "2017.75": _c("2020-36254 2023-48795"),
        "2019.78": _c("2020-36254 2023-48795"),
        "2020.79": _c("2023-48795"),
        "2022.82": _c("2023-48795"),
        "2022.83": [],
    },
    "dnsmasq": {
        "2.72": _c("2017-14491 2017-14492 2020-25681 2021-3448 2022-0934"),
        "2.77": _c("2017-14491 2017-14492 2020-25681 2021-3448 2022-0934"),
        "2.78": _c("2020-25681 2021-3448 2022-0934"),
        "2.80": _c("2020-25681 2021-3448 2022-0934"),
        "2.83": _c("2021-3448 2022-0934"),
        "2.84": _c("2021-3448 2022-0934"),
        "2.85": _c("2022-0934"),
        "2.86": _c("2022-0934"),
        "2.87": [],
    },
    "lighttpd": {
        "1.4.34": _c("2018-19052 2014-2323"),
        "1.4.35": _c("2018-19052"),
        "1.4.45": _c("2018-19052"),
        "1.4.46": _c("2018-19052 2022-22707"),
        "1.4.49": _c("2018-19052 2022-22707"),
        "1.4.50": _c("2022-22707"),
        "1.4.55": _c("2022-22707"),
        "1.4.63": _c("2022-22707"),
        "1.4.64": [],
    },
    "openssl": {
        "1.0.1": _c("2016-2107 2014-0160 2016-2108"),
        "1.0.1f": _c("2016-2107 2014-0160 2016-2108"),
        "1.0.1g": _c("2016-2107 2016-2108"),
        "1.0.1n": _c("2016-2107 2016-2108"),
        "1.0.1o": _c("2016-2107"),
        "1.0.1s": _c("2016-2107"),
        "1.0.1t": [],
        # NVD lists 1.0.2 beta1 as cpe openssl:1.0.2:beta1; CVE-2022-0778's range starts
        # at version 1.0.2 and its criterion leaves the update field open (†).
        "1.0.2-beta1": _c("2016-2107 2016-2108 2022-0778"),
        "1.0.2": _c("2016-2107 2016-2108 2022-0778"),
        "1.0.2b": _c("2016-2107 2016-2108 2022-0778"),
        "1.0.2c": _c("2016-2107 2022-0778"),
        "1.0.2g": _c("2016-2107 2022-0778"),
        "1.0.2h": _c("2022-0778"),
        "1.0.2zc": _c("2022-0778"),
        "1.0.2zd": [],
        "1.1.0": _c("2022-0778"),
        "1.1.1m": _c("2022-0778"),
        "1.1.1n": [],
        "3.0.1": _c("2022-0778"),
        "3.0.2": [],
        "3.0.5": [],
    },
    "uclibc": {
        "0.9.33": _c("2021-43523 2022-30295"),
        "0.9.33.2": _c("2017-9728 2021-43523 2022-30295"),
        "0.9.34": [],
    },
    "uclibc-ng": {
        "1.0.38": _c("2021-43523 2022-30295"),
        "1.0.39": _c("2022-30295"),
        "1.0.40": _c("2022-30295"),
        "1.0.41": [],
    },
    "miniupnpd": {
        "1.0": _c("2013-0230 2017-1000494"),
        "1.9": _c("2017-1000494"),
        "2.0": [],
        "2.1": [],
    },
    "libcurl": {
        "7.66.0": [],
        "7.69.0": _c("2023-38545"),
        "8.3.0": _c("2023-38545"),
        "8.4.0": [],
    },
    "linux": {
        "2.6.21": [],
        "2.6.22": _c("2016-5195"),
        "2.6.36": _c("2016-5195"),
        "3.10.103": _c("2016-5195"),
        "3.10.104": [],
        "4.4.25": _c("2016-5195"),
        "4.4.26": [],
        "4.8.2": _c("2016-5195"),
        "4.8.3": [],
        "4.9.118": [],
    },
    "hostapd": {
        "0.7.3": _c("2017-13077"),
        "2.1": _c("2017-13077"),
        "2.3": _c("2017-13077"),
        "2.6": _c("2017-13077"),
        "2.7": [],
    },
    "wpa_supplicant": {"2.6": _c("2017-13077"), "2.7": []},
    "openssh": {
        "7.7": _c("2018-15473 2023-48795"),
        # NVD names portable releases openbsd:openssh:7.7:p1 (version 7.7, update p1),
        # so 7.7p1 is inside "<= 7.7" (†).
        "7.7p1": _c("2018-15473 2023-48795"),
        "8.0p1": _c("2023-48795"),
        "9.5p1": _c("2023-48795"),
        "9.6": [],
        "9.6p1": [],
    },
    "samba": {
        "3.4.17": [],
        "3.5.0": _c("2017-7494"),
        "4.4.13": _c("2017-7494"),
        "4.4.14": [],
        "4.5.9": _c("2017-7494"),
        "4.5.10": [],
        "4.6.3": _c("2017-7494"),
        "4.6.4": [],
    },
}

# Device-level records: firmware (vulnerable) AND hardware (platform). Each group is
# matched on its own so one group's hardware cannot stand in for another's.
# (group, [(name, version, cpe)], {cve: NVD says}): components with CPEs, for both tools.
DEVICES = [
    ("wr841n-fw+hw", [
        ("tl-wr841n_firmware", "3.16.9", "cpe:2.3:o:tp-link:tl-wr841n_firmware:3.16.9:*:*:*:*:*:*:*"),
        ("tl-wr841n", "v10", "cpe:2.3:h:tp-link:tl-wr841n:v10:*:*:*:*:*:*:*"),
    ], {"CVE-2020-8423": "yes"}),
    ("wr841n-fw-only", [
        ("tl-wr841n_firmware", "3.16.9", "cpe:2.3:o:tp-link:tl-wr841n_firmware:3.16.9:*:*:*:*:*:*:*"),
    ], {"CVE-2020-8423": "no (needs hardware tl-wr841n v10)"}),
    ("wr841n-fw+hw-v9", [
        ("tl-wr841n_firmware", "3.16.9", "cpe:2.3:o:tp-link:tl-wr841n_firmware:3.16.9:*:*:*:*:*:*:*"),
        ("tl-wr841n", "v9", "cpe:2.3:h:tp-link:tl-wr841n:v9:*:*:*:*:*:*:*"),
    ], {"CVE-2020-8423": "no (hardware v9, record says v10)"}),
    ("wr940n-fw+hw", [
        ("wr940n_firmware", "3.16.9", "cpe:2.3:o:tp-link:wr940n_firmware:3.16.9:*:*:*:*:*:*:*"),
        ("wr940n", "4", "cpe:2.3:h:tp-link:wr940n:4:*:*:*:*:*:*:*"),
    ], {"CVE-2017-13772": "unstated (firmware version '-')"}),
    ("hg532-fw+hw", [
        ("hg532_firmware", "V100R001C01B016", "cpe:2.3:o:huawei:hg532_firmware:V100R001C01B016:*:*:*:*:*:*:*"),
        ("hg532", "-", "cpe:2.3:h:huawei:hg532:-:*:*:*:*:*:*:*"),
    ], {"CVE-2017-17215": "unstated (firmware version '-')"}),
]

# The same devices as baseliner's declared identity (`baseliner sbom --vendor --model
# --hardware-version --firmware-version`), baseliner only: (group, identity, {cve: NVD says}).
IDENTITIES = [
    ("id-wr841n-v10", {"vendor": "TP-Link", "product": "TL-WR841N", "hardware_version": "v10",
                       "firmware_version": "3.16.9"}, {"CVE-2020-8423": "yes"}),
    ("id-wr841n-v9", {"vendor": "TP-Link", "product": "TL-WR841N", "hardware_version": "v9",
                      "firmware_version": "3.16.9"},
     {"CVE-2020-8423": "no (hardware v9, record says v10)"}),
    ("id-wr841n-no-hw", {"vendor": "TP-Link", "product": "TL-WR841N",
                         "firmware_version": "3.16.9"},
     {"CVE-2020-8423": "unstated (hardware revision not given)"}),
    ("id-wr940n-v4", {"vendor": "TP-Link", "product": "TL-WR940N", "hardware_version": "v4",
                      "firmware_version": "3.16.9"},
     {"CVE-2017-13772": "unstated (firmware version '-')"}),
    ("id-hg532", {"vendor": "Huawei", "product": "HG532",
                  "firmware_version": "V100R001C01B016"},
     {"CVE-2017-17215": "unstated (firmware version '-')"}),
]


def cpe_for(name: str, version: str) -> str:
    part, vendor, product = IDENTITY[name]
    return f"cpe:2.3:{part}:{vendor}:{product}:{version}:*:*:*:*:*:*:*"


def cyclonedx(components: list[dict], with_cpe: bool) -> dict:
    """CycloneDX 1.5 JSON that cve-bin-tool's SBOM reader (lib4sbom) accepts."""
    comps = []
    for i, c in enumerate(components):
        d = {"type": "library", "bom-ref": f"c{i}", "name": c["name"], "version": c["version"]}
        if with_cpe and c.get("cpe"):
            d["cpe"] = c["cpe"]
        comps.append(d)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.UUID(int=len(comps) + (1 << 64))}",
        "version": 1,
        "metadata": {"component": {"type": "firmware", "bom-ref": "root", "name": "bench"}},
        "components": comps,
    }


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=1) + "\n")


def corpus(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    main, expected = [], []
    for name, versions in EXPECTED.items():
        for version, cves in versions.items():
            main.append({"group": "main", "name": name, "version": version,
                         "cpe": cpe_for(name, version)})
            for cve in CVES[name]:
                expected.append({"cve": cve, "group": "main", "name": name,
                                 "version": version, "nvd": "yes" if cve in cves else "no"})
    devices = []
    for group, comps, says in DEVICES:
        for name, version, cpe in comps:
            devices.append({"group": group, "name": name, "version": version, "cpe": cpe})
        fw_name, fw_version, _ = comps[0]
        for cve, verdict in says.items():
            expected.append({"cve": cve, "group": group, "name": fw_name,
                             "version": fw_version, "nvd": verdict})
    identities = []
    for group, ident, says in IDENTITIES:
        identities.append({"group": group, "device": ident})
        name = f"{ident['vendor']} {ident['product']}"
        for cve, verdict in says.items():
            expected.append({"cve": cve, "group": group, "name": name,
                             "version": ident["firmware_version"], "nvd": verdict})
    write_json(out / "components.json", main + devices + identities)
    write_json(out / "components-name.json",
               [{k: v for k, v in c.items() if k != "cpe"} for c in main])
    write_json(out / "expected.json", expected)
    # cve-bin-tool has no notion of groups (it ignores platforms), one SBOM each way.
    write_json(out / "sbom-cpe.cdx.json", cyclonedx(main + devices, with_cpe=True))
    # Name-only: cve-bin-tool picks vendors itself from the product name.
    write_json(out / "sbom-name.cdx.json", cyclonedx(main, with_cpe=False))
    print(f"corpus: {len(main)} components + {len(devices)} device CPEs, "
          f"{len(expected)} (CVE, component) pairs -> {out}", file=sys.stderr)


# --- synthetic: the generator of crates/vulns/examples/bench_vulns.rs, re-stated ---------

MASK = (1 << 64) - 1
REAL = ["busybox:busybox", "thekelleys:dnsmasq", "lighttpd:lighttpd", "openssl:openssl",
        "dropbear_ssh_project:dropbear_ssh", "uclibc:uclibc", "linux:linux_kernel",
        "haxx:libcurl", "openbsd:openssh", "samba:samba"]
NAMES = ["busybox", "dnsmasq", "lighttpd", "openssl", "dropbear", "uclibc", "linux",
         "libcurl", "openssh", "samba"]


class Rng:
    """xorshift64*, as `Rng` in bench_vulns.rs."""

    def __init__(self, seed: int):
        self.s = seed

    def next(self) -> int:
        x = self.s
        x ^= x >> 12
        x ^= (x << 25) & MASK
        x ^= x >> 27
        self.s = x
        return (x * 0x2545F4914F6CDD1D) & MASK

    def below(self, n: int) -> int:
        return self.next() % max(n, 1)


def product(i: int) -> str:
    return REAL[i] if i < len(REAL) else f"vendor{i // 3}:product{i}"


def gen_version(r: Rng) -> str:
    return f"{r.below(5)}.{r.below(40)}.{r.below(100)}"


def synthetic(n: int, outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    r = Rng(42)
    comps = []
    for i in range(n):
        if i < 100:
            name, cpe = NAMES[i % 10], None
        else:
            key = product(10 + r.below(24_990))
            v = gen_version(r)
            name, cpe = key.replace(":", "-"), f"cpe:2.3:a:{key}:{v}:*:*:*:*:*:*:*"
        comps.append({"group": "main", "name": name, "version": gen_version(r), "cpe": cpe})
    write_json(out / "components.json", comps)
    # For cve-bin-tool every component carries the identity baseliner uses: the CPE as
    # given, or the alias-table key for the 100 named ones (its version: the component's).
    sbom = []
    for c in comps:
        if c["cpe"]:
            v = c["cpe"].split(":")[5]
            sbom.append({"name": c["name"], "version": v, "cpe": c["cpe"]})
        else:
            sbom.append({"name": c["name"], "version": c["version"],
                         "cpe": cpe_for(c["name"], c["version"])})
    write_json(out / "sbom-cpe.cdx.json", cyclonedx(sbom, with_cpe=True))
    # Every tenth component (10 by name, 90 by CPE, the same mix), for repeated timing of
    # cve-bin-tool, whose full run takes minutes.
    write_json(out / "components-sub.json", comps[::10])
    write_json(out / "sbom-cpe-sub.cdx.json", cyclonedx(sbom[::10], with_cpe=True))
    print(f"synthetic: {n} components (subset {len(comps[::10])}) -> {out}", file=sys.stderr)


# --------------------------------------------------------------------------------------
# cve-bin-tool matching in process, and its CLI report


def scan(sbom: str, out: str, runs: int) -> None:
    """SBOM parse + CVEScanner.get_cves, the two steps `cve-bin-tool --sbom-file` runs."""
    from cve_bin_tool.cve_scanner import CVEScanner
    from cve_bin_tool.log import LOGGER
    from cve_bin_tool.sbom_manager.parse import SBOMParse

    # Time the matching, not the per-product log lines the CLI prints.
    quiet(LOGGER, logging.WARNING)

    times, parse_times, result = [], [], []
    for _ in range(runs):
        t = time.monotonic()
        parsed = SBOMParse(sbom, sbom_type="cyclonedx").parse_sbom()
        parse_times.append(time.monotonic() - t)
        t = time.monotonic()
        with CVEScanner() as scanner:
            for product_info, triage in parsed.items():
                scanner.get_cves(product_info, triage)
            result = sorted(
                {(cve.cve_number, p.vendor, p.product, p.version)
                 for p, data in scanner.all_cve_data.items() for cve in data["cves"]})
        times.append(time.monotonic() - t)
    write_json(Path(out), [dict(zip(("cve", "vendor", "product", "version"), m))
                           for m in result])
    print(f"cve-bin-tool in process: {len(parsed)} products, {len(result)} matches; "
          f"SBOM parse median {statistics.median(parse_times) * 1000:.0f} ms, "
          f"get_cves median {statistics.median(times) * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}) over {runs} runs",
          file=sys.stderr)


def report(cbt_json: str, out: str) -> None:
    """The CLI's `-f json` report (one row per product and CVE) as a sorted match list."""
    rows = json.loads(Path(cbt_json).read_text() or "[]")
    ms = sorted({(r["cve_number"], r["vendor"], r["product"], r["version"])
                 for r in rows if r.get("cve_number", "").startswith("CVE-")})
    write_json(Path(out), [dict(zip(("cve", "vendor", "product", "version"), m)) for m in ms])


# --------------------------------------------------------------------------------------
# Comparison


def _cbt_hits(path: Path, by_cpe: bool) -> set:
    """(cve, inspect name, version) from a cve-bin-tool match list."""
    back = {(v[1], v[2]): k for k, v in IDENTITY.items()}
    hits = set()
    for m in json.loads(path.read_text()):
        name = back.get((m["vendor"], m["product"]), m["product"])
        if not by_cpe and m["product"] in IDENTITY:
            name = m["product"]
        hits.add((m["cve"], name, m["version"]))
    return hits


def _bl_hits(path: Path) -> dict:
    """(group, cve, name, version) -> baseliner match from match_json output."""
    return {(m["group"], m["id"], m["component"], m["version"]): m
            for m in json.loads(path.read_text())}


def verdict(m: dict | None) -> str:
    if m is None:
        return "no"
    return "yes" if m["vex_status"] == "affected" else m["vex_status"]


def table(outdir: str) -> None:
    d = Path(outdir)
    expected = json.loads((d / "expected.json").read_text())
    bl_cpe = _bl_hits(d / "baseliner-cpe.json")
    bl_name = _bl_hits(d / "baseliner-name.json")
    cbt_cpe = _cbt_hits(d / "cbt-cpe.json", True)
    cbt_name = _cbt_hits(d / "cbt-name.json", False)
    rows = []
    for e in expected:
        k = (e["cve"], e["name"], e["version"])
        b1 = verdict(bl_cpe.get((e["group"], *k)))
        b2 = verdict(bl_name.get((e["group"], *k))) if e["group"] == "main" else "-"
        c1 = ("yes" if k in cbt_cpe else "no") if not e["group"].startswith("id-") else "-"
        c2 = ("yes" if k in cbt_name else "no") if e["group"] == "main" else "-"
        label = f"{e['name']}@{e['version']}"
        if e["group"] != "main":
            label += f" [{e['group']}]"
        rows.append((e["cve"], label, e["nvd"], b1, b2, c1, c2))
    # Anything a tool reported that the expectation list does not hold (a CVE of another
    # product, say) is shown too.
    known = {(e["cve"], e["name"], e["version"]) for e in expected}
    extra = sorted({(k[1], k[2], k[3]) for k in bl_cpe} - known) + sorted(
        (k for k in cbt_cpe | cbt_name if k not in known))
    head = ("CVE", "component@version", "NVD says", "baseliner (CPE or identity)", "baseliner (name)",
            "cve-bin-tool (CPE)", "cve-bin-tool (name)")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))

    def agree(nvd: str, got: str) -> bool:
        if got == "-":
            return True
        if nvd.startswith("unstated"):
            return got != "yes"  # reporting it as plainly affected overstates the record
        return (nvd == "yes") == (got == "yes")

    bad = 0
    for r in rows:
        flag = "" if all(agree(r[2], x) for x in r[3:]) else " ⚠"
        bad += bool(flag)
        print("| " + " | ".join(r) + flag + " |")
    for k in extra:
        print(f"| {k[0]} | {k[1]}@{k[2]} | (not in expectation list) | | | | |")
    tally = {h: [0, 0, 0] for h in head[3:]}  # agree, false positive, false negative
    for r in rows:
        for h, got in zip(head[3:], r[3:]):
            if got == "-":
                continue
            if agree(r[2], got):
                tally[h][0] += 1
            elif got == "yes" or got == "under_investigation":
                tally[h][1] += 1
            else:
                tally[h][2] += 1
    print(f"\n{len(rows)} pairs, {bad} with a disagreement (⚠); extra rows: {len(extra)}")
    for h, (a, fp, fn) in tally.items():
        print(f"  {h}: {a} agree with NVD, {fp} false positive, {fn} false negative")


def compare_synthetic(outdir: str, pages: list[str]) -> None:
    d = Path(outdir)
    comps = json.loads((d / "components.json").read_text())
    # baseliner reports the component's display name and version; map to the identity
    # and version that were matched (the CPE's, or the alias key's with the version).
    used = {}
    for c in comps:
        if c["cpe"]:
            p = c["cpe"].split(":")
            used[(c["name"], c["version"])] = (f"{p[3]}:{p[4]}", p[5])
        else:
            _, v, pr = IDENTITY[c["name"]]
            used[(c["name"], c["version"])] = (f"{v}:{pr}", c["version"])
    bl = set()
    for m in json.loads((d / "baseliner-cpe.json").read_text()):
        key, ver = used[(m["component"], m["version"])]
        bl.add((m["id"], key, ver))
    cbt = {(m["cve"], f"{m['vendor']}:{m['product']}", m["version"])
           for m in json.loads((d / "cbt-cpe.json").read_text())}
    both = bl & cbt
    print(f"synthetic matches: baseliner {len(bl)}, cve-bin-tool {len(cbt)}, both {len(both)}, "
          f"only baseliner {len(bl - cbt)}, only cve-bin-tool {len(cbt - bl)}")
    for name, s in (("only baseliner", bl - cbt), ("only cve-bin-tool", cbt - bl)):
        for m in sorted(s)[:5]:
            print(f"  {name}: {m[0]} {m[1]} {m[2]}")
    if pages:
        explain(sorted((bl - cbt) | (cbt - bl)), pages)


def explain(diff: list[tuple], pages: list[str]) -> None:
    """Which kind of configuration names the product of each differing match."""
    from collections import Counter

    want: dict[str, list[str]] = {}
    for cve, key, _ in diff:
        want.setdefault(cve, []).append(key)
    kinds: Counter = Counter()
    for page in pages:
        with open(page, "rb") as f:
            for v in json.load(f)["vulnerabilities"]:
                rec = v["cve"]
                for key in want.get(rec["id"], []):
                    ops = set()
                    for conf in rec.get("configurations", []):
                        platform = any(not m["vulnerable"] for n in conf["nodes"]
                                       for m in n["cpeMatch"])
                        if any(":".join(m["criteria"].split(":")[3:5]) == key and m["vulnerable"]
                               for n in conf["nodes"] for m in n["cpeMatch"]):
                            ops.add(f"{conf.get('operator', 'OR')}"
                                    f"{' with a platform not in the list' if platform else ''}")
                    kinds[" + ".join(sorted(ops)) or "product not in record"] += 1
    for k, n in kinds.most_common():
        print(f"  differing matches from {k} configurations: {n}")


def main(argv: list[str]) -> None:
    cmd, args = (argv[0], argv[1:]) if argv else ("", [])
    if cmd == "build-db" and args:
        build_db(args)
    elif cmd == "corpus" and len(args) == 1:
        corpus(args[0])
    elif cmd == "synthetic" and len(args) == 2:
        synthetic(int(args[0]), args[1])
    elif cmd == "scan" and len(args) == 3:
        scan(args[0], args[1], int(args[2]))
    elif cmd == "report" and len(args) == 2:
        report(args[0], args[1])
    elif cmd == "table" and len(args) == 1:
        table(args[0])
    elif cmd == "compare-synthetic" and args:
        compare_synthetic(args[0], args[1:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
