//! Match a JSON list of components against a knowledge base and print the matches as JSON,
//! for comparisons with other matchers (`bench/cvebintool.sh`). The CLI only matches the
//! components inspection finds in an image; this takes them from a file instead.
//!
//! Usage: `match_json KB COMPONENTS.json [RUNS]`. `COMPONENTS.json` is an array of
//! `{"name", "version", "cpe"?, "group"?}` and, at most once per group,
//! `{"group"?, "device": {"vendor", "product", "hardware_version"?, "firmware_version"}}`
//! (the identity `baseliner sbom --vendor --model ...` declares). Each group (default
//! `main`) is matched on its own, as if it were one image: a hardware CPE in one group
//! cannot satisfy the platform of a firmware record in another. With `RUNS` > 1 the match
//! is repeated and each run's time goes to standard error (`match_ms` lines); the matches
//! of the last run go to standard output as
//! `[{"group", "id", "component", "version", "rule", "vex_status"}]`.

use std::path::PathBuf;
use std::time::Instant;

use baseliner_model::Component;
use baseliner_vulns::{DeviceIdentity, Kb};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
struct Input {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    cpe: Option<String>,
    #[serde(default = "main_group")]
    group: String,
    device: Option<Device>,
}

#[derive(Deserialize)]
struct Device {
    vendor: String,
    product: String,
    hardware_version: Option<String>,
    firmware_version: String,
}

fn main_group() -> String {
    "main".into()
}

#[derive(Default)]
struct Group {
    name: String,
    components: Vec<Component>,
    device: Option<DeviceIdentity>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: match_json KB COMPONENTS.json [RUNS]";
    let kb_path = PathBuf::from(args.next().ok_or(usage)?);
    let list_path = PathBuf::from(args.next().ok_or(usage)?);
    let runs: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1);

    let t = Instant::now();
    let input: Vec<Input> = serde_json::from_slice(&std::fs::read(&list_path)?)?;
    let mut groups: Vec<Group> = Vec::new();
    for item in input {
        let i = match groups.iter().position(|g| g.name == item.group) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    name: item.group.clone(),
                    ..Group::default()
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        match item.device {
            Some(d) => {
                g.device = Some(DeviceIdentity {
                    vendor: d.vendor,
                    product: d.product,
                    hardware_version: d.hardware_version,
                    firmware_version: d.firmware_version,
                    source: baseliner_model::IdentitySource::Declaration,
                })
            }
            None => g.components.push(Component {
                name: item.name,
                version: item.version,
                cpe: item.cpe,
                purl: None,
                evidence: vec![],
                properties: Default::default(),
            }),
        }
    }
    let count: usize = groups.iter().map(|g| g.components.len()).sum();
    let kb = Kb::open(&kb_path)?;
    eprintln!("open_ms {:.1}", t.elapsed().as_secs_f64() * 1000.0);

    let mut out = Vec::new();
    for _ in 0..runs.max(1) {
        out.clear();
        let t = Instant::now();
        for g in &groups {
            for m in kb.match_components(&g.components, g.device.as_ref())? {
                out.push(
                    json!({"group": g.name, "id": m.id, "component": m.component,
                    "version": m.version, "rule": m.rule, "vex_status": m.vex_status}),
                );
            }
        }
        eprintln!(
            "match_ms {:.1} ({count} components in {} group(s), {} matches)",
            t.elapsed().as_secs_f64() * 1000.0,
            groups.len(),
            out.len()
        );
    }
    println!("{}", serde_json::to_string(&out)?);
    Ok(())
}
