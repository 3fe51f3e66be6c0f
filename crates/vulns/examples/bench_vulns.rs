//! Knowledge-base benchmark: generates a synthetic NVD dump in the real shape (API 2.0
//! result pages of 2,000 records with descriptions, CVSS v3.1 and v2 metrics, weaknesses,
//! OR and AND configurations with version ranges, references), imports it, and times
//! matching of 1,000 components. Run through `bench/vulns.sh`.
//!
//! Usage: `bench_vulns WORKDIR [RECORDS] [match-only]` (default 300,000 records).
//! Matching first makes the matcher's index current (built after an import, mapped
//! from `kb.sqlite.idx` by a later process) and reports how long that took; the
//! match figures are of the runs after it. `RUNS=N` changes the number of runs,
//! `DUMP=FILE` writes the matches as JSON lines (to compare two versions).

use std::path::{Path, PathBuf};
use std::time::Instant;

/// The allocator the CLI ships with, unless `bench-system-alloc` asks for the system's.
#[cfg(not(feature = "bench-system-alloc"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use baseliner_model::Component;
use baseliner_vulns::Kb;
use serde_json::{Value, json};

/// Small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const REAL: &[&str] = &[
    "busybox:busybox",
    "thekelleys:dnsmasq",
    "lighttpd:lighttpd",
    "openssl:openssl",
    "dropbear_ssh_project:dropbear_ssh",
    "uclibc:uclibc",
    "linux:linux_kernel",
    "haxx:libcurl",
    "openbsd:openssh",
    "samba:samba",
];

/// `vendor:product` for product number `i` (about 25,000 distinct, as in NVD).
fn product(i: u64) -> String {
    match REAL.get(i as usize) {
        Some(p) => p.to_string(),
        None => format!("vendor{}:product{}", i / 3, i),
    }
}

fn version(r: &mut Rng) -> String {
    format!("{}.{}.{}", r.below(5), r.below(40), r.below(100))
}

fn cpe_match(r: &mut Rng, key: &str, vulnerable: bool) -> Value {
    let mut m = json!({
        "vulnerable": vulnerable,
        "criteria": format!("cpe:2.3:a:{key}:*:*:*:*:*:*:*:*"),
        "matchCriteriaId": format!("{:08X}-0000-4000-8000-{:012X}", r.next() as u32, r.next() >> 16),
    });
    match r.below(4) {
        0 => {
            m["criteria"] = json!(format!("cpe:2.3:a:{key}:{}:*:*:*:*:*:*:*", version(r)));
        }
        1 => m["versionEndExcluding"] = json!(version(r)),
        2 => {
            m["versionStartIncluding"] = json!(version(r));
            m["versionEndIncluding"] = json!(version(r));
        }
        _ => m["versionEndIncluding"] = json!(version(r)),
    }
    m
}

fn record(r: &mut Rng, n: u64) -> Value {
    let year = 1999 + n % 27;
    // Canonical ids, as NVD has them: at least four digits, no leading zero beyond.
    let id = format!("CVE-{year}-{:04}", n + 1);
    let nconf = 1 + r.below(3);
    let mut configs = Vec::new();
    for c in 0..nconf {
        let key = product(r.below(25_000));
        let nm = 1 + r.below(5);
        let matches: Vec<Value> = (0..nm).map(|_| cpe_match(r, &key, true)).collect();
        if c == 2 {
            // firmware AND hardware, like device-level records
            configs.push(json!({"operator": "AND", "nodes": [
                {"operator": "OR", "negate": false, "cpeMatch": matches},
                {"operator": "OR", "negate": false, "cpeMatch": [
                    {"vulnerable": false, "criteria": format!("cpe:2.3:h:{key}_hw:-:*:*:*:*:*:*:*"),
                     "matchCriteriaId": "00000000-0000-4000-8000-000000000000"}]}]}));
        } else {
            configs
                .push(json!({"nodes": [{"operator": "OR", "negate": false, "cpeMatch": matches}]}));
        }
    }
    let refs: Vec<Value> = (0..(3 + r.below(8)))
        .map(|i| {
            json!({"url": format!("https://example.invalid/advisories/{id}/{i}"),
                        "source": "cve@mitre.org", "tags": ["Third Party Advisory"]})
        })
        .collect();
    let score = (r.below(100) as f64) / 10.0;
    json!({"cve": {
        "id": id,
        "sourceIdentifier": "cve@mitre.org",
        "published": format!("{year}-01-01T00:00:00.000"),
        "lastModified": format!("{year}-06-01T00:00:00.000"),
        "vulnStatus": "Modified",
        "cveTags": [],
        "descriptions": [
            {"lang": "en", "value": format!("Buffer overflow in component {n} allows remote attackers to execute arbitrary code via a crafted request, a synthetic description of realistic length for benchmarking the importer.")},
            {"lang": "es", "value": "Desbordamiento de búfer sintético para pruebas de rendimiento."}],
        "metrics": {
            "cvssMetricV31": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {
                "version": "3.1", "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "baseScore": score, "baseSeverity": "HIGH", "attackVector": "NETWORK",
                "attackComplexity": "LOW", "privilegesRequired": "NONE", "userInteraction": "NONE",
                "scope": "UNCHANGED", "confidentialityImpact": "HIGH", "integrityImpact": "HIGH",
                "availabilityImpact": "HIGH"}, "exploitabilityScore": 3.9, "impactScore": 5.9}],
            "cvssMetricV2": [{"source": "nvd@nist.gov", "type": "Primary", "cvssData": {
                "version": "2.0", "vectorString": "AV:N/AC:L/Au:N/C:P/I:P/A:P", "baseScore": 7.5,
                "accessVector": "NETWORK", "accessComplexity": "LOW", "authentication": "NONE",
                "confidentialityImpact": "PARTIAL", "integrityImpact": "PARTIAL",
                "availabilityImpact": "PARTIAL"}, "baseSeverity": "HIGH", "exploitabilityScore": 10.0,
                "impactScore": 6.4, "acInsufInfo": false, "obtainAllPrivilege": false,
                "obtainUserPrivilege": false, "obtainOtherPrivilege": false,
                "userInteractionRequired": false}]},
        "weaknesses": [{"source": "nvd@nist.gov", "type": "Primary",
                        "description": [{"lang": "en", "value": "CWE-787"}]}],
        "configurations": configs,
        "references": refs,
    }})
}

/// Page files of a `records`-record dump in `dir`, in import order.
fn page_paths(dir: &Path, records: u64) -> Vec<PathBuf> {
    (0..records.div_ceil(2_000))
        .map(|i| dir.join(format!("nvd-page-{i:06}.json")))
        .collect()
}

/// The dump a previous run left, when every page of it is there (the generator is
/// deterministic, so it is the same dump); set `REGENERATE=1` to write it anew.
fn reuse(dir: &Path, records: u64) -> Option<Vec<PathBuf>> {
    if std::env::var_os("REGENERATE").is_some_and(|v| v == "1") {
        return None;
    }
    let files = page_paths(dir, records);
    let complete = dir.join(format!("complete-{records}"));
    (complete.is_file() && files.iter().all(|f| f.is_file())).then_some(files)
}

fn generate(dir: &Path, records: u64) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("create workdir");
    let _ = std::fs::remove_file(dir.join(format!("complete-{records}")));
    let mut r = Rng(0x9E37_79B9_7F4A_7C15);
    let mut files = Vec::new();
    let per_page = 2_000u64;
    let mut start = 0;
    while start < records {
        let n = per_page.min(records - start);
        let vulns: Vec<Value> = (start..start + n).map(|i| record(&mut r, i)).collect();
        let page = json!({"resultsPerPage": n, "startIndex": start, "totalResults": records,
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-11-23T00:00:00.000",
            "vulnerabilities": vulns});
        let p = dir.join(format!("nvd-page-{:06}.json", start / per_page));
        std::fs::write(&p, serde_json::to_vec(&page).expect("serialise")).expect("write page");
        files.push(p);
        start += n;
    }
    std::fs::write(dir.join(format!("complete-{records}")), b"").expect("mark dump complete");
    files
}

fn components(n: u64) -> Vec<Component> {
    let mut r = Rng(42);
    let names = [
        "busybox", "dnsmasq", "lighttpd", "openssl", "dropbear", "uclibc", "linux", "libcurl",
        "openssh", "samba",
    ];
    (0..n)
        .map(|i| {
            let (name, cpe) = if i < 100 {
                (names[(i % 10) as usize].to_string(), None)
            } else {
                let key = product(10 + r.below(24_990));
                let v = version(&mut r);
                (
                    key.replace(':', "-"),
                    Some(format!("cpe:2.3:a:{key}:{v}:*:*:*:*:*:*:*")),
                )
            };
            Component {
                name,
                version: version(&mut r),
                cpe,
                purl: None,
                evidence: vec![],
                properties: Default::default(),
            }
        })
        .collect()
}

fn dir_size(paths: &[PathBuf]) -> u64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

fn time_matching(kb: &Kb) {
    // The matcher's index: built once per knowledge-base state and written next to it,
    // or mapped from that file by a later process.
    let t = Instant::now();
    let info = kb.prepare_index().expect("index");
    println!(
        "index: {} in {:.2} s, {:.1} MiB{}",
        if info.built { "built" } else { "mapped" },
        t.elapsed().as_secs_f64(),
        info.bytes as f64 / 1048576.0,
        info.not_saved
            .map(|e| format!(" (not saved: {e})"))
            .unwrap_or_default()
    );
    let comps = components(1_000);
    let mut times = Vec::new();
    let mut found = 0;
    // `RUNS` changes the count; the figures quoted are medians of 31 (the first runs of a
    // process fault in the mapped index and vary most on this virtual machine).
    let runs: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r >= 1)
        .unwrap_or(31);
    for _ in 0..runs {
        let t = Instant::now();
        found = kb.match_components(&comps, None).expect("match").len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let first = times[0];
    // `DUMP=FILE` writes the last run's matches as JSON lines, to compare versions.
    if let Some(path) = std::env::var_os("DUMP") {
        let ms = kb.match_components(&comps, None).expect("match");
        let lines: Vec<String> = ms
            .iter()
            .map(|m| serde_json::to_string(m).expect("serialise"))
            .collect();
        std::fs::write(path, lines.join("\n")).expect("write dump");
    }
    times.sort_by(f64::total_cmp);
    println!(
        "match: 1000 components -> {found} matches, median {:.1} ms (min {:.1}, max {:.1}) over {runs} runs; first run {first:.1} ms",
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let work = PathBuf::from(args.next().unwrap_or_else(|| "target/bench-vulns".into()));
    let records: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(300_000);
    // `match-only`: time matching against the knowledge base a previous run left.
    if args.next().as_deref() == Some("match-only") {
        let kb = Kb::open(&work.join("kb.sqlite")).expect("open kb");
        time_matching(&kb);
        return;
    }

    let t = Instant::now();
    let (files, how) = match reuse(&work.join("nvd"), records) {
        Some(files) => (files, "reused from a previous run"),
        None => (generate(&work.join("nvd"), records), "generated"),
    };
    let dump_bytes = dir_size(&files);
    println!(
        "{how}: {records} records in {} pages, {:.1} MiB of JSON, in {:.1} s",
        files.len(),
        dump_bytes as f64 / 1048576.0,
        t.elapsed().as_secs_f64()
    );

    let db = work.join("kb.sqlite");
    for ext in ["", "-wal", "-shm", ".idx"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let kb = Kb::open(&db).expect("open kb");
    let t = Instant::now();
    let mut added = 0;
    for f in &files {
        let s = kb.import(f).expect("import");
        added += s.counts.added;
    }
    let import_s = t.elapsed().as_secs_f64();
    println!(
        "import: {added} records in {import_s:.1} s ({:.0} records/s)",
        added as f64 / import_s
    );

    let t = Instant::now();
    let again = kb.import(&files[0]).expect("re-import");
    println!(
        "re-import of one page (idempotent): {} unchanged in {:.2} s",
        again.counts.unchanged,
        t.elapsed().as_secs_f64()
    );

    time_matching(&kb);
    drop(kb);
    let db_files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|e| PathBuf::from(format!("{}{e}", db.display())))
        .collect();
    println!(
        "on disk: {:.1} MiB (kb.sqlite with WAL)",
        dir_size(&db_files) as f64 / 1048576.0
    );
}
