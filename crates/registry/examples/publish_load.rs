//! Load generator for `bench/registry.sh`: publishes N product variants of one real
//! assessment (each with its own model, firmware version and image hash, re-signed
//! with the given key, so every publication passes all of the server's checks) from C
//! client threads, and reports publications per second. Writes the verify and product
//! paths of everything published to PATHS for the read benchmark.
//!
//!   publish_load URL TOKEN KEY.key assessment.json N C PATHS

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() {
    let a: Vec<String> = std::env::args().collect();
    if a.len() != 8 {
        eprintln!("usage: publish_load URL TOKEN KEY.key assessment.json N C PATHS");
        std::process::exit(2);
    }
    let (url, token) = (a[1].clone(), a[2].clone());
    let key = baseliner_label::read_secret_key(std::path::Path::new(&a[3])).expect("key");
    let base: baseliner_model::Assessment =
        serde_json::from_slice(&std::fs::read(&a[4]).expect("assessment")).expect("assessment");
    let n: usize = a[5].parse().expect("N");
    let c: usize = a[6].parse().expect("C");
    // Prepare every submission first: signing is the client's cost, not the server's.
    let subs: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let mut x = base.clone();
            x.product.model = Some(format!("BENCH-{}", i % 500));
            x.product.firmware_version = Some(format!("1.{}.{}", i / 500, i % 500));
            x.product.support_end = Some(
                if i % 10 == 0 {
                    "2021-01-31"
                } else {
                    "2030-12-31"
                }
                .into(),
            );
            x.image.sha256 = baseliner_registry::sha256_hex(format!("bench image {i}").as_bytes());
            let st =
                baseliner_label::statement_from(&x, &format!("{url}/verify")).expect("statement");
            let (_, label) = baseliner_label::sign(st, &key).expect("sign");
            let label = String::from_utf8(label).expect("utf-8");
            let id = baseliner_registry::sha256_hex(label.as_bytes());
            let body = serde_json::to_string(&serde_json::json!({
                "label": label,
                "assessment": serde_json::to_string(&x).expect("json"),
            }))
            .expect("json");
            (body, id, x.image.sha256.clone())
        })
        .collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicUsize::new(0);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..c {
            s.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let r = agent
                        .post(&format!("{url}/api/v1/publish"))
                        .header("Authorization", &format!("Bearer {token}"))
                        .header("Content-Type", "application/json")
                        .send(subs[i].0.as_bytes());
                    if !matches!(r, Ok(ref resp) if resp.status().as_u16() == 201) {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "published {} of {n} in {secs:.1} s with {c} clients: {:.0} publications/s",
        n - failed.load(Ordering::Relaxed),
        n as f64 / secs
    );
    let mut f = std::io::BufWriter::new(std::fs::File::create(&a[7]).expect("paths"));
    for (_, id, fw) in &subs {
        writeln!(f, "/api/v1/verify/{fw}\t/product/{id}").expect("write");
    }
}
