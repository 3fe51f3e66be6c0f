#![cfg(feature = "registry")]
//! The registry end to end through the binary, on SQLite and (where
//! `BASELINER_TEST_PG` names a server) PostgreSQL: real assessments of the bundled
//! sample, signed with real keys, published over HTTP to a `baseliner serve` process.
//! Publication, verification (online, and offline from a saved bundle), withdrawal,
//! impact queries and log consistency; every kind of bad request refused without
//! changing anything, the log included; rate limiting of bad tokens; a server killed
//! with SIGKILL while publishing loses nothing acknowledged and leaves no orphan leaf.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_baseliner"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "baseliner {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A running `baseliner serve`; SIGKILLed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(db: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("server announces its address")
            .to_string();
        Server { child, url }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// GET: status and body.
fn get(url: &str) -> (u16, String) {
    let mut r = agent()
        .get(url)
        .header("Accept", "application/json")
        .call()
        .unwrap();
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

fn get_json(url: &str) -> Value {
    let (s, b) = get(url);
    assert_eq!(s, 200, "{url}: {b}");
    serde_json::from_str(&b).unwrap()
}

/// POST with an optional token: status and body.
fn post(url: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    try_post(url, token, body).unwrap()
}

/// POST that returns the transport error instead of panicking: a server that refuses an
/// oversized body may answer 413 and close before the client has finished writing it, so the
/// client sees either the 413 or a broken pipe / reset, depending on timing.
fn try_post(url: &str, token: Option<&str>, body: &[u8]) -> Result<(u16, String), ureq::Error> {
    let mut req = agent().post(url).header("Content-Type", "application/json");
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut r = req.send(body)?;
    Ok((
        r.status().as_u16(),
        r.body_mut().read_to_string().unwrap_or_default(),
    ))
}

/// The bundled sample assessed (no knowledge base), as an assessment.json Value.
fn sample_assessment(dir: &Path) -> Value {
    let out = dir.join("sample");
    if !out.join("assessment.json").exists() {
        let samples = repo().join("samples");
        ok(&[
            "assess",
            samples.join("router-fw.bin").to_str().unwrap(),
            "--declaration",
            samples.join("router-fw.toml").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--db",
            dir.join("no-kb").to_str().unwrap(),
        ]);
    }
    serde_json::from_slice(&std::fs::read(out.join("assessment.json")).unwrap()).unwrap()
}

/// An assessment folder for a product variant of the sample, signed by `key` with
/// `baseliner label make` (the label states the new assessment's digest).
fn product(
    dir: &Path,
    key: &Path,
    name: &str,
    model: &str,
    version: &str,
    support_end: &str,
) -> PathBuf {
    let mut a = sample_assessment(dir);
    a["product"]["model"] = json!(model);
    a["product"]["firmware_version"] = json!(version);
    a["product"]["support_end"] = json!(support_end);
    a["image"]["sha256"] = json!(baseliner_registry_sha(&format!("{model} {version}")));
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("assessment.json"),
        serde_json::to_vec_pretty(&a).unwrap(),
    )
    .unwrap();
    ok(&[
        "label",
        "make",
        out.join("assessment.json").to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    out
}

fn baseliner_registry_sha(s: &str) -> String {
    use std::fmt::Write;
    let d = <sha2::Sha256 as sha2::Digest>::digest(s.as_bytes());
    d.iter().fold(String::new(), |mut o, b| {
        let _ = write!(o, "{b:02x}");
        o
    })
}

fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let prefix = dir.join(name);
    ok(&["keys", "new", "--out", prefix.to_str().unwrap()]);
    (prefix.with_extension("key"), prefix.with_extension("pub"))
}

fn publish_body(dir: &Path) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "label": std::fs::read_to_string(dir.join("label.json")).unwrap(),
        "assessment": std::fs::read_to_string(dir.join("assessment.json")).unwrap(),
    }))
    .unwrap()
}

fn label_id(dir: &Path) -> String {
    baseliner_registry_sha(&std::fs::read_to_string(dir.join("label.json")).unwrap())
}

/// Log size and number of published products, as the API states them.
fn state(url: &str) -> (u64, usize, String) {
    let log = get_json(&format!("{url}/api/v1/log"));
    let all = get_json(&format!("{url}/api/v1/search?q="));
    (
        log["size"].as_u64().unwrap(),
        all.as_array().unwrap().len(),
        log["root"].as_str().unwrap().to_string(),
    )
}

/// Runs `f` against a fresh SQLite file and, where configured, a fresh PostgreSQL database.
fn each_backend(test: &str, f: impl Fn(&str, &Path)) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("registry.sqlite").display().to_string();
    f(&db, tmp.path());
    let Some(base) = std::env::var("BASELINER_TEST_PG")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        baseliner_testkit::skip::<()>(
            "BASELINER_TEST_PG is not set (a postgres:// URL of a server the test may create databases on; .ci/run starts one): the PostgreSQL half is skipped",
        );
        return;
    };
    let name = format!("registry_{test}_{}", std::process::id());
    let psql = |sql: &str| {
        let o = Command::new("psql")
            .arg(&base)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .expect("psql (postgresql-client) is needed beside the server");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    psql(&format!("CREATE DATABASE {name}"));
    let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
    let tmp = tempfile::tempdir().unwrap();
    f(&format!("{prefix}/{name}"), tmp.path());
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// Two organisations, each with a token and a registered key.
struct Orgs {
    a_token: String,
    b_token: String,
    a_key: PathBuf,
    a_pub: PathBuf,
    b_key: PathBuf,
}

fn orgs(db: &str, dir: &Path) -> Orgs {
    let (a_key, a_pub) = keypair(dir, "org-a");
    let (b_key, b_pub) = keypair(dir, "org-b");
    let a_token = ok(&["registry", "token", "new", "--org", "Org A", "--db", db])
        .trim()
        .to_string();
    let b_token = ok(&["registry", "token", "new", "--org", "Org B", "--db", db])
        .trim()
        .to_string();
    ok(&[
        "registry",
        "key",
        "add",
        "--org",
        "Org A",
        "--key",
        a_pub.to_str().unwrap(),
        "--db",
        db,
    ]);
    ok(&[
        "registry",
        "key",
        "add",
        "--org",
        "Org B",
        "--key",
        b_pub.to_str().unwrap(),
        "--db",
        db,
    ]);
    Orgs {
        a_token,
        b_token,
        a_key,
        a_pub,
        b_key,
    }
}

#[test]
fn publish_verify_withdraw_and_log_consistency() {
    each_backend("flow", |db, dir| {
        let o = orgs(db, dir);
        let srv = Server::start(db, &[]);
        let url = srv.url.clone();
        let log_key = get(&format!("{url}/log/key")).1.trim().to_string();

        let p1 = product(dir, &o.a_key, "p1", "BR-100", "1.4.2", "2029-12-31");
        let p2 = product(dir, &o.a_key, "p2", "BR-100", "1.5.0", "2029-12-31");
        let old = product(dir, &o.a_key, "old", "BR-50", "0.9", "2021-06-30");
        let pb = product(dir, &o.b_key, "pb", "CAM-1", "2.0", "2030-01-01");
        let mut checkpoints = vec![];
        for (p, token) in [
            (&p1, &o.a_token),
            (&p2, &o.a_token),
            (&old, &o.a_token),
            (&pb, &o.b_token),
        ] {
            let out = ok(&[
                "publish",
                p.to_str().unwrap(),
                "--registry",
                &url,
                "--token",
                token,
            ]);
            assert!(out.contains("published label"), "{out}");
            checkpoints.push(get_json(&format!("{url}/api/v1/log")));
        }
        // Publishing the same label again is refused and changes nothing.
        let before = state(&url);
        assert_eq!(
            post(
                &format!("{url}/api/v1/publish"),
                Some(&o.a_token),
                &publish_body(&p1)
            )
            .0,
            409
        );
        assert_eq!(state(&url), before);

        // Online verification (inclusion proof against the signed checkpoint), a saved
        // bundle verified offline against the pinned log key.
        let bundle = dir.join("p1.bundle.json");
        let out = ok(&[
            "label",
            "verify",
            p1.join("label.json").to_str().unwrap(),
            "--key",
            o.a_pub.to_str().unwrap(),
            "--registry",
            &url,
            "--save-bundle",
            bundle.to_str().unwrap(),
            "--log-key",
            &log_key,
        ]);
        assert!(
            out.contains("in the transparency log") && out.contains("entry #0"),
            "{out}"
        );
        let out = ok(&[
            "label",
            "verify",
            p1.join("label.json").to_str().unwrap(),
            "--key",
            o.a_pub.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--log-key",
            &log_key,
        ]);
        assert!(out.contains("valid signature"), "{out}");
        // A bundle with a changed proof hash, or checked against another log key, fails.
        let mut b: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
        let h = b["entries"][0]["inclusion"][0]
            .as_str()
            .unwrap()
            .to_string();
        let flipped = format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]);
        b["entries"][0]["inclusion"][0] = json!(flipped);
        let bad = dir.join("bad.bundle.json");
        std::fs::write(&bad, serde_json::to_vec(&b).unwrap()).unwrap();
        let r = run(&[
            "label",
            "verify",
            p1.join("label.json").to_str().unwrap(),
            "--key",
            o.a_pub.to_str().unwrap(),
            "--bundle",
            bad.to_str().unwrap(),
        ]);
        assert_eq!(
            r.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let other_log = "other.example/log+00000000+AQ==".to_string();
        let r = run(&[
            "label",
            "verify",
            p1.join("label.json").to_str().unwrap(),
            "--key",
            o.a_pub.to_str().unwrap(),
            "--bundle",
            bundle.to_str().unwrap(),
            "--log-key",
            &other_log,
        ]);
        assert!(!r.status.success());

        // Verify endpoint: by label id, firmware SHA-256, and the QR target (assessment digest).
        let l1: Value =
            serde_json::from_slice(&std::fs::read(p1.join("label.json")).unwrap()).unwrap();
        for sha in [
            label_id(&p1),
            l1["statement"]["firmware_sha256"]
                .as_str()
                .unwrap()
                .to_string(),
        ] {
            let v = get_json(&format!("{url}/api/v1/verify/{sha}"));
            assert_eq!(v["status"], "valid", "{v}");
        }
        let qr = l1["statement"]["registry_url"].as_str().unwrap();
        assert!(qr.contains("/verify/"), "{qr}");
        let digest = qr.rsplit('/').next().unwrap();
        assert_eq!(
            get_json(&format!("{url}/verify/{digest}"))["status"],
            "valid"
        );
        assert_eq!(
            get_json(&format!("{url}/api/v1/verify/{}", label_id(&old)))["status"],
            "support-ended"
        );
        assert_eq!(
            get(&format!("{url}/api/v1/verify/{}", "ab".repeat(32))).0,
            404
        );
        assert_eq!(get(&format!("{url}/api/v1/verify/not-a-hash")).0, 400);

        // Organisation B cannot withdraw A's label; A can, once; the withdrawal is a new
        // leaf and the verifier sees it.
        let w = |token: &str, id: &str| {
            post(
                &format!("{url}/api/v1/products/{id}/withdraw"),
                Some(token),
                br#"{"reason":"recalled"}"#,
            )
        };
        let before = state(&url);
        assert_eq!(w(&o.b_token, &label_id(&p2)).0, 403);
        assert_eq!(state(&url), before);
        assert_eq!(w(&o.a_token, &label_id(&p2)).0, 200);
        assert_eq!(w(&o.a_token, &label_id(&p2)).0, 409);
        let after = state(&url);
        assert_eq!((after.0, after.1), (before.0 + 1, before.1));
        assert_eq!(
            get_json(&format!("{url}/api/v1/verify/{}", label_id(&p2)))["status"],
            "withdrawn"
        );
        let r = run(&[
            "label",
            "verify",
            p2.join("label.json").to_str().unwrap(),
            "--key",
            o.a_pub.to_str().unwrap(),
            "--registry",
            &url,
            "--log-key",
            &log_key,
        ]);
        assert_eq!(r.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&r.stderr).contains("WITHDRAWN"));

        // Search, product page data with history, impact queries.
        let found = get_json(&format!("{url}/api/v1/search?q=br-100"));
        assert_eq!(found.as_array().unwrap().len(), 4);
        assert_eq!(
            get_json(&format!("{url}/api/v1/search?q=br-50"))
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            get_json(&format!("{url}/api/v1/search?q=CAM-1%202.0"))
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let page = get_json(&format!("{url}/api/v1/products/{}", label_id(&p1)));
        assert_eq!(page["history"].as_array().unwrap().len(), 2);
        assert_eq!(page["support_expired"], false);
        let busybox = get_json(&format!(
            "{url}/api/v1/impact?component=busybox&min=1.0&max=1.1"
        ));
        assert_eq!(busybox.as_array().unwrap().len(), 4);
        assert_eq!(busybox[0]["component_version"], "1.01");
        assert_eq!(
            get_json(&format!("{url}/api/v1/impact?component=busybox&min=1.2"))
                .as_array()
                .unwrap()
                .len(),
            0
        );
        assert_eq!(
            get_json(&format!("{url}/api/v1/impact?cve=CVE-2099-0001"))
                .as_array()
                .unwrap()
                .len(),
            0
        );
        let sbom = get_json(&format!("{url}/api/v1/products/{}/sbom", label_id(&p1)));
        assert_eq!(sbom["bomFormat"], "CycloneDX");

        // Every documented path exists.
        let api = get_json(&format!("{url}/api/v1/openapi.json"));
        assert_eq!(api["openapi"], "3.1.0");
        for path in api["paths"].as_object().unwrap().keys() {
            let p = path
                .replace("{id}", &label_id(&p1))
                .replace("{sha256}", &label_id(&p1));
            let (s, _) = if p.ends_with("publish") || p.ends_with("withdraw") {
                post(&format!("{url}{p}"), None, b"{}")
            } else if p.ends_with("consistency") {
                get(&format!("{url}{p}?old=1"))
            } else if p.ends_with("impact") {
                get(&format!("{url}{p}?cve=CVE-1"))
            } else {
                get(&format!("{url}{p}"))
            };
            assert_ne!(s, 404, "{p}");
        }

        // Every checkpoint seen is consistent with the current one; tiles give the root.
        let verifier: baseliner_tlog::LogVerifier = log_key.parse().unwrap();
        let now_cp = verifier
            .verify(&get(&format!("{url}/log/checkpoint")).1)
            .unwrap();
        for seen in &checkpoints {
            let old_cp = verifier
                .verify(seen["checkpoint"].as_str().unwrap())
                .unwrap();
            let c = get_json(&format!(
                "{url}/api/v1/log/consistency?old={}&new={}",
                old_cp.size, now_cp.size
            ));
            let proof: Vec<[u8; 32]> = c["proof"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| {
                    hex::decode(h.as_str().unwrap())
                        .unwrap()
                        .try_into()
                        .unwrap()
                })
                .collect();
            baseliner_tlog::verify_consistency(
                old_cp.size,
                now_cp.size,
                &proof,
                &old_cp.root,
                &now_cp.root,
            )
            .unwrap();
        }
        let mut r = agent()
            .get(&format!("{url}/log/tile/0/000.p/{}", now_cp.size))
            .call()
            .unwrap();
        let bytes = r.body_mut().read_to_vec().unwrap();
        let leaves: Vec<[u8; 32]> = bytes.chunks(32).map(|c| c.try_into().unwrap()).collect();
        assert_eq!(
            baseliner_tlog::Tree::from_leaf_hashes(leaves).root(),
            now_cp.root
        );
        let mut r = agent()
            .get(&format!("{url}/log/tile/entries/000.p/{}", now_cp.size))
            .call()
            .unwrap();
        let bundle = r.body_mut().read_to_vec().unwrap();
        let len = u16::from_be_bytes([bundle[0], bundle[1]]) as usize;
        let first: Value = serde_json::from_slice(&bundle[2..2 + len]).unwrap();
        assert_eq!(first["kind"], "publish");
        assert_eq!(first["label_sha256"], label_id(&p1));
        assert_eq!(get(&format!("{url}/log/tile/0/001")).0, 404);
    });
}

#[test]
fn bad_requests_are_refused_and_change_nothing() {
    each_backend("bad", |db, dir| {
        let o = orgs(db, dir);
        let (rogue_key, _) = keypair(dir, "rogue");
        let revoked = ok(&["registry", "token", "new", "--org", "Org A", "--db", db])
            .trim()
            .to_string();
        ok(&["registry", "token", "revoke", &revoked, "--db", db]);
        let srv = Server::start(db, &["--max-upload", "200000"]);
        let url = srv.url.clone();
        let publish =
            |token: Option<&str>, body: &[u8]| post(&format!("{url}/api/v1/publish"), token, body);

        let good = product(dir, &o.a_key, "good", "BR-100", "1.4.2", "2029-12-31");
        assert_eq!(publish(Some(&o.a_token), &publish_body(&good)).0, 201);
        let before = state(&url);

        let p = product(dir, &o.a_key, "p", "BR-100", "1.6", "2029-12-31");
        let body = publish_body(&p);
        let mut cases: Vec<(&str, Option<String>, Vec<u8>, u16)> = vec![
            ("no token", None, body.clone(), 401),
            ("unknown token", Some("blr_0000".into()), body.clone(), 401),
            (
                "SQL in the token",
                Some("' OR '1'='1".into()),
                body.clone(),
                401,
            ),
            ("revoked token", Some(revoked.clone()), body.clone(), 403),
            (
                "org B publishing org A's label",
                Some(o.b_token.clone()),
                body.clone(),
                403,
            ),
        ];
        let rogue = product(dir, &rogue_key, "rogue", "BR-100", "1.7", "2029-12-31");
        cases.push((
            "unregistered key",
            Some(o.a_token.clone()),
            publish_body(&rogue),
            403,
        ));
        cases.push((
            "malformed JSON",
            Some(o.a_token.clone()),
            b"{\"label\": ".to_vec(),
            400,
        ));
        cases.push((
            "unknown field",
            Some(o.a_token.clone()),
            br#"{"label":"x","assessment":"y","sql":"DROP TABLE reg_leaf"}"#.to_vec(),
            400,
        ));
        // A forged statement: a field changed after signing, re-canonicalised.
        let mut label: Value =
            serde_json::from_str(&std::fs::read_to_string(p.join("label.json")).unwrap()).unwrap();
        label["statement"]["outcome"] = json!("PASS");
        label["statement"]["support_end"] = json!("2099-12-31");
        let forged = serde_json::to_string(&label).unwrap();
        let assessment = std::fs::read_to_string(p.join("assessment.json")).unwrap();
        cases.push((
            "forged signature",
            Some(o.a_token.clone()),
            serde_json::to_vec(&json!({"label": forged, "assessment": assessment})).unwrap(),
            422,
        ));
        // The label of one assessment with another assessment.
        let other = std::fs::read_to_string(good.join("assessment.json")).unwrap();
        let label_p = std::fs::read_to_string(p.join("label.json")).unwrap();
        cases.push((
            "label/assessment mismatch",
            Some(o.a_token.clone()),
            serde_json::to_vec(&json!({"label": label_p, "assessment": other})).unwrap(),
            422,
        ));
        // An assessment edited after labelling (a finding removed).
        let mut edited: Value = serde_json::from_str(&assessment).unwrap();
        edited["findings"].as_array_mut().unwrap().pop();
        cases.push((
            "assessment edited after labelling",
            Some(o.a_token.clone()),
            serde_json::to_vec(&json!({"label": label_p, "assessment": edited.to_string()}))
                .unwrap(),
            422,
        ));
        // Not an assessment by the schema.
        let mut broken: Value = serde_json::from_str(&assessment).unwrap();
        broken["summary"]["outcome"] = json!("<script>alert(1)</script>");
        cases.push((
            "schema violation",
            Some(o.a_token.clone()),
            serde_json::to_vec(&json!({"label": label_p, "assessment": broken.to_string()}))
                .unwrap(),
            422,
        ));
        // Too large.
        let huge =
            serde_json::to_vec(&json!({"label": label_p, "assessment": "x".repeat(300_000)}))
                .unwrap();
        cases.push(("over the size limit", Some(o.a_token.clone()), huge, 413));

        for (what, token, body, want) in &cases {
            let (status, text) = if *want == 413 {
                // Refused before it was read: the 413 itself, or the connection closed under
                // the client's write. Either way nothing may change (checked below).
                match try_post(&format!("{url}/api/v1/publish"), token.as_deref(), body) {
                    Ok(r) => r,
                    Err(ureq::Error::Io(e))
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                        ) =>
                    {
                        (413, String::new())
                    }
                    Err(e) => panic!("{what}: {e}"),
                }
            } else {
                publish(token.as_deref(), body)
            };
            assert_eq!(status, *want, "{what}: {text}");
            if *want != 413 {
                let v: Value =
                    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{what}: {text}"));
                assert!(!v["error"].as_str().unwrap().is_empty(), "{what}");
            }
            assert_eq!(state(&url), before, "{what} changed the registry");
        }
        // SQL and script in queries and paths: answered, harmless, nothing changed.
        for q in [
            "' OR 1=1 --",
            "%",
            "_",
            "'; DROP TABLE reg_product; --",
            "<script>alert(1)</script>",
        ] {
            let found = get_json(&format!("{url}/api/v1/search?q={}", urlencode(q)));
            assert_eq!(found.as_array().unwrap().len(), 0, "{q}");
            let (s, page) = get(&format!("{url}/search?q={}", urlencode(q)));
            assert_eq!(s, 200);
            assert!(!page.contains("<script>"), "{q}");
        }
        assert_eq!(
            get(&format!(
                "{url}/api/v1/products/{}",
                urlencode("' OR '1'='1")
            ))
            .0,
            404
        );
        assert_eq!(
            get(&format!("{url}/api/v1/verify/{}", urlencode("' OR '1'='1"))).0,
            400
        );
        assert_eq!(state(&url), before);

        // A signed label whose product name is a script is published as what it is,
        // and every page shows it as text.
        let mut a: Value = serde_json::from_str(&assessment).unwrap();
        a["product"]["manufacturer"] =
            json!("<script>alert('x')</script>\"><img src=x onerror=alert(1)>");
        let xss = dir.join("xss");
        std::fs::create_dir_all(&xss).unwrap();
        std::fs::write(xss.join("assessment.json"), a.to_string()).unwrap();
        ok(&[
            "label",
            "make",
            xss.join("assessment.json").to_str().unwrap(),
            "--key",
            o.a_key.to_str().unwrap(),
            "--out",
            xss.to_str().unwrap(),
        ]);
        assert_eq!(publish(Some(&o.a_token), &publish_body(&xss)).0, 201);
        for page in [
            format!("{url}/product/{}", label_id(&xss)),
            format!("{url}/search?q=script"),
            format!("{url}/"),
            format!("{url}/verify/{}", label_id(&xss)),
        ] {
            let mut r = agent().get(&page).call().unwrap();
            let html = r.body_mut().read_to_string().unwrap();
            assert!(
                html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
                "{page}"
            );
            assert!(
                !html.contains("<script") && !html.contains("<img"),
                "{page}"
            );
        }
    });
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn repeated_bad_tokens_are_rate_limited() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("r.sqlite").display().to_string();
    let o = orgs(&db, tmp.path());
    let srv = Server::start(&db, &["--bad-token-limit", "3"]);
    let url = &srv.url;
    let p = product(tmp.path(), &o.a_key, "p", "BR-100", "1.4.2", "2029-12-31");
    for _ in 0..3 {
        assert_eq!(
            post(
                &format!("{url}/api/v1/publish"),
                Some("blr_wrong"),
                &publish_body(&p)
            )
            .0,
            401
        );
    }
    let (s, text) = post(
        &format!("{url}/api/v1/publish"),
        Some("blr_wrong"),
        &publish_body(&p),
    );
    assert_eq!(s, 429, "{text}");
    // Even a good token from that address waits; reading stays open.
    assert_eq!(
        post(
            &format!("{url}/api/v1/publish"),
            Some(&o.a_token),
            &publish_body(&p)
        )
        .0,
        429
    );
    assert_eq!(get(&format!("{url}/api/v1/log")).0, 200);
    assert_eq!(state(url).0, 0);
}

#[test]
fn a_server_killed_mid_publish_loses_nothing_acknowledged() {
    each_backend("crash", |db, dir| {
        let o = orgs(db, dir);
        let n = 24;
        let products: Vec<PathBuf> = (0..n)
            .map(|i| {
                product(
                    dir,
                    &o.a_key,
                    &format!("c{i}"),
                    "BR-100",
                    &format!("2.{i}"),
                    "2029-12-31",
                )
            })
            .collect();
        let mut srv = Server::start(db, &[]);
        let url = srv.url.clone();
        // Publish the first four, remember that checkpoint.
        for p in &products[..4] {
            assert_eq!(
                post(
                    &format!("{url}/api/v1/publish"),
                    Some(&o.a_token),
                    &publish_body(p)
                )
                .0,
                201
            );
        }
        let log_key = get(&format!("{url}/log/key")).1.trim().to_string();
        let verifier: baseliner_tlog::LogVerifier = log_key.parse().unwrap();
        let early = verifier
            .verify(&get(&format!("{url}/log/checkpoint")).1)
            .unwrap();
        // Four clients publish the rest at once; the server is killed while they do.
        let acked = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let (url, token, acked) = (url.clone(), o.a_token.clone(), acked.clone());
                let mine: Vec<PathBuf> = products[4..].iter().skip(t).step_by(4).cloned().collect();
                std::thread::spawn(move || {
                    for p in mine {
                        let body = publish_body(&p);
                        let r = agent()
                            .post(&format!("{url}/api/v1/publish"))
                            .header("Authorization", &format!("Bearer {token}"))
                            .send(&body[..]);
                        match r {
                            Ok(resp) if resp.status().as_u16() == 201 => {
                                acked.lock().unwrap().push(p)
                            }
                            _ => return,
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(std::time::Duration::from_millis(150));
        srv.kill();
        for t in threads {
            t.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();

        let srv = Server::start(db, &[]);
        let url = srv.url.clone();
        let (size, count, _) = state(&url);
        assert_eq!(
            size as usize, count,
            "every leaf has its product and every product its leaf"
        );
        assert!(
            count >= 4 + acked.len(),
            "acknowledged publications survive: {count} < {}",
            4 + acked.len()
        );
        // No orphan leaf: every entry names a stored product at its own index.
        let mut r = agent()
            .get(&format!("{url}/log/tile/entries/000.p/{size}"))
            .call()
            .unwrap();
        let b = r.body_mut().read_to_vec().unwrap();
        let mut at = 0;
        for i in 0..size {
            let len = u16::from_be_bytes([b[at], b[at + 1]]) as usize;
            let e: Value = serde_json::from_slice(&b[at + 2..at + 2 + len]).unwrap();
            at += 2 + len;
            let p = get_json(&format!(
                "{url}/api/v1/products/{}",
                e["label_sha256"].as_str().unwrap()
            ));
            assert_eq!(p["leaf_index"].as_u64(), Some(i));
        }
        assert_eq!(at, b.len());
        eprintln!(
            "crash test: {} of {} publications in flight were acknowledged before the kill",
            acked.len(),
            n - 4
        );
        // Every earlier publication verifies against the new checkpoint, and the
        // checkpoint from before the kill is consistent with it.
        for p in products[..4].iter().chain(acked.iter()) {
            ok(&[
                "label",
                "verify",
                p.join("label.json").to_str().unwrap(),
                "--key",
                o.a_pub.to_str().unwrap(),
                "--registry",
                &url,
                "--log-key",
                &log_key,
            ]);
        }
        let now_cp = verifier
            .verify(&get(&format!("{url}/log/checkpoint")).1)
            .unwrap();
        let c = get_json(&format!(
            "{url}/api/v1/log/consistency?old={}&new={}",
            early.size, now_cp.size
        ));
        let proof: Vec<[u8; 32]> = c["proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        baseliner_tlog::verify_consistency(
            early.size,
            now_cp.size,
            &proof,
            &early.root,
            &now_cp.root,
        )
        .unwrap();
        // Publishing goes on where the log stopped.
        let rest: Vec<&PathBuf> = products
            .iter()
            .filter(|p| get(&format!("{url}/api/v1/products/{}", label_id(p))).0 == 404)
            .collect();
        for p in rest {
            assert_eq!(
                post(
                    &format!("{url}/api/v1/publish"),
                    Some(&o.a_token),
                    &publish_body(p)
                )
                .0,
                201
            );
        }
        assert_eq!(state(&url).0 as usize, n);
    });
}

/// A WebDriver session on headless Chromium (Debian's `chromium` + `chromium-driver`),
/// spoken to over plain HTTP.
struct Browser {
    driver: Child,
    base: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start(chromedriver: &Path) -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let root = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if agent().get(&format!("{root}/status")).call().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync",
                     format!("--user-data-dir={}", profile.path().display())]}}}});
        let (s, body) = post(
            &format!("{root}/session"),
            None,
            caps.to_string().as_bytes(),
        );
        assert_eq!(s, 200, "WebDriver session: {body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let id = v["value"]["sessionId"].as_str().unwrap().to_string();
        Browser {
            driver,
            base: format!("{root}/session/{id}"),
            _profile: profile,
        }
    }

    fn cmd(&self, path: &str, body: Value) -> Value {
        let (s, text) = post(
            &format!("{}{path}", self.base),
            None,
            body.to_string().as_bytes(),
        );
        assert_eq!(s, 200, "{path}: {text}");
        serde_json::from_str::<Value>(&text).unwrap()["value"].clone()
    }

    fn query(&self, path: &str) -> Value {
        let mut r = agent().get(&format!("{}{path}", self.base)).call().unwrap();
        serde_json::from_str::<Value>(&r.body_mut().read_to_string().unwrap()).unwrap()["value"]
            .clone()
    }

    fn open(&self, url: &str) {
        self.cmd("/url", json!({ "url": url }));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("/element", json!({"using": "css selector", "value": css}));
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.query(&format!("/element/{e}/text"))
            .as_str()
            .unwrap()
            .to_string()
    }

    fn attr(&self, css: &str, name: &str) -> String {
        let e = self.find(css);
        self.query(&format!("/element/{e}/attribute/{name}"))
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd(&format!("/element/{e}/value"), json!({ "text": text }));
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd(&format!("/element/{e}/click"), json!({}));
    }

    /// Waits until the page at a URL containing `part` has loaded (a click's navigation
    /// is not awaited by WebDriver).
    fn wait_for(&self, part: &str) {
        for _ in 0..100 {
            let url = self.query("/url");
            if url.as_str().is_some_and(|u| u.contains(part)) {
                let ready = self.cmd(
                    "/execute/sync",
                    json!({"script": "return document.readyState", "args": []}),
                );
                if ready == "complete" {
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the browser did not reach a page containing {part}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = agent().delete(&self.base).call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

#[test]
fn web_pages_in_chromium_search_product_verify_expired() {
    let Some(chromedriver) = baseliner_testkit::tool("chromedriver", "chromium-driver") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let db = dir.join("web.sqlite").display().to_string();
    let o = orgs(&db, dir);
    let srv = Server::start(&db, &[]);
    let url = srv.url.clone();
    let current = product(dir, &o.a_key, "cur", "BR-100", "1.4.2", "2029-12-31");
    let old = product(dir, &o.a_key, "old", "BR-50", "0.9", "2021-06-30");
    for p in [&current, &old] {
        assert_eq!(
            post(
                &format!("{url}/api/v1/publish"),
                Some(&o.a_token),
                &publish_body(p)
            )
            .0,
            201
        );
    }
    let b = Browser::start(&chromedriver);

    // Search from the front page, open the product, see its expired support period.
    b.open(&format!("{url}/"));
    b.type_in("#q", "BR-50");
    b.click("#search");
    b.wait_for("/search?q=");
    b.click("#results a.product");
    b.wait_for("/product/");
    assert!(
        b.query("/url")
            .as_str()
            .unwrap()
            .contains(&format!("/product/{}", label_id(&old)))
    );
    let support = b.text("#support");
    assert!(
        support.contains("Support period ended on 2021-06-30"),
        "{support}"
    );
    assert!(b.attr("#support", "class").contains("expired"));
    assert_eq!(b.text("#status"), "support-ended");
    assert_eq!(b.text("#contact"), "mailto:security@example.com");
    assert!(b.text("#label-id").contains(&label_id(&old)));

    // The current product shows its support end as a date to come.
    b.open(&format!("{url}/product/{}", label_id(&current)));
    assert!(
        b.text("#support")
            .contains("Security updates until 2029-12-31")
    );
    assert!(!b.attr("#support", "class").contains("expired"));

    // Verify a label by its id from the verify page, and an unknown one.
    b.open(&format!("{url}/verify"));
    b.type_in("#sha", &label_id(&current));
    b.click("#verify");
    b.wait_for("/verify?q=");
    assert!(
        b.text("#verdict")
            .starts_with("Genuine: a published, current label"),
        "{}",
        b.text("#verdict")
    );
    b.open(&format!("{url}/verify"));
    b.type_in("#sha", &"0".repeat(64));
    b.click("#verify");
    b.wait_for("/verify?q=");
    assert!(b.text("#verdict").starts_with("Unknown"));
    // The QR code's target (the label's registry_url under this server) opens the verdict.
    let l: Value = serde_json::from_slice(&std::fs::read(old.join("label.json")).unwrap()).unwrap();
    let digest = l["statement"]["registry_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    b.open(&format!("{url}/verify/{digest}"));
    assert!(b.text("#verdict").contains("support period has ended"));
}

#[test]
fn rematch_after_a_kb_update_flags_products_that_gained_a_kev() {
    each_backend("rematch", |db, dir| {
        let o = orgs(db, dir);
        let srv = Server::start(db, &[]);
        let url = srv.url.clone();
        // Assessed without a knowledge base: no vulnerabilities stated.
        let p = product(dir, &o.a_key, "p", "BR-100", "1.4.2", "2029-12-31");
        assert_eq!(
            post(
                &format!("{url}/api/v1/publish"),
                Some(&o.a_token),
                &publish_body(&p)
            )
            .0,
            201
        );
        let id = label_id(&p);
        assert_eq!(
            get_json(&format!("{url}/api/v1/products/{id}"))["kev_gained"],
            json!([])
        );
        // Later the knowledge base learns of a BusyBox flaw before 1.2, exploited in the wild.
        let nvd = json!({"resultsPerPage": 1, "startIndex": 0, "totalResults": 1, "format": "NVD_CVE", "version": "2.0",
            "timestamp": "2026-12-01T00:00:00.000", "vulnerabilities": [{"cve": {"id": "CVE-2099-1001",
            "sourceIdentifier": "test", "published": "2026-11-01T00:00:00.000", "lastModified": "2026-11-02T00:00:00.000",
            "vulnStatus": "Analyzed", "descriptions": [{"lang": "en", "value": "A flaw in BusyBox before 1.2."}],
            "metrics": {}, "references": [], "configurations": [{"nodes": [{"operator": "OR", "negate": false,
            "cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*",
            "versionEndExcluding": "1.2", "matchCriteriaId": "00000000-0000-0000-0000-000000000001"}]}]}]}}]});
        let kev = json!({"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2026.12.01",
            "dateReleased": "2026-12-01T00:00:00.000Z", "count": 1, "vulnerabilities": [{"cveID": "CVE-2099-1001",
            "vendorProject": "BusyBox", "product": "BusyBox", "vulnerabilityName": "BusyBox flaw",
            "dateAdded": "2026-12-01", "knownRansomwareCampaignUse": "Unknown"}]});
        std::fs::write(dir.join("nvd.json"), nvd.to_string()).unwrap();
        std::fs::write(dir.join("kev.json"), kev.to_string()).unwrap();
        let kb = dir.join("kb.sqlite");
        ok(&[
            "db",
            "import",
            "--db",
            kb.to_str().unwrap(),
            dir.join("nvd.json").to_str().unwrap(),
            dir.join("kev.json").to_str().unwrap(),
        ]);
        let before = state(&url);
        // A verification answered (and cached) before the re-match...
        assert_eq!(
            get_json(&format!("{url}/api/v1/verify/{id}"))["products"][0]["kev_gained"],
            json!([])
        );
        let out = ok(&[
            "registry",
            "rematch",
            "--db",
            db,
            "--kb",
            kb.to_str().unwrap(),
        ]);
        assert!(out.contains("1 gained known-exploited"), "{out}");
        assert!(out.contains(&id) && out.contains("CVE-2099-1001"), "{out}");
        let page = get_json(&format!("{url}/api/v1/products/{id}"));
        assert_eq!(page["kev_gained"], json!(["CVE-2099-1001"]));
        assert_eq!(page["vulnerabilities"][0]["kev"], true);
        // ...is answered afresh within a few seconds of it.
        let mut fresh = false;
        for _ in 0..50 {
            let v = get_json(&format!("{url}/api/v1/verify/{id}"));
            if v["products"][0]["kev_gained"] == json!(["CVE-2099-1001"]) {
                fresh = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(fresh, "the cached verification never showed the re-match");
        let hit = get_json(&format!("{url}/api/v1/impact?cve=cve-2099-1001"));
        assert_eq!(hit.as_array().unwrap().len(), 1);
        let mut r = agent().get(&format!("{url}/product/{id}")).call().unwrap();
        let html = r.body_mut().read_to_string().unwrap();
        assert!(html.contains("id=\"kev\"") && html.contains("CVE-2099-1001"));
        // The label and the log are what was published: unchanged.
        assert_eq!(state(&url), before);
    });
}
