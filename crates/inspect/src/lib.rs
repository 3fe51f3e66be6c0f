//! Inspection: looks at an unpacked firmware tree the way an auditor would and
//! records findings with stable codes and evidence, plus the software components.
//!
//! Each check family is a module behind one [`Check`] trait. Files are mapped once;
//! string detectors share one Aho-Corasick pass ([`Context`]); families run in
//! parallel. The crate makes no judgement about standards: the baseline stage maps
//! codes to provisions.

pub mod checks;
pub mod codes;
pub mod context;
pub mod creds;
pub mod shell;
pub mod tree;

use std::time::Instant;

use baseliner_model::{Component, Finding, Severity};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

pub use baseliner_model::{Code, CodeInfo, Family};
pub use checks::hardening::{ElfInfo, HardeningSummary, Relro};
pub use context::{Context, Hit};
pub use tree::{Entry, Tree};

/// What one check produced.
#[derive(Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Finding>,
    pub components: Vec<Component>,
    pub hardening: Option<HardeningSummary>,
}

/// One family of checks over the tree.
pub trait Check: Send + Sync {
    fn name(&self) -> &'static str;
    fn family(&self) -> Family;
    /// Literals this check wants located by the shared pass over all files.
    fn literals(&self) -> &'static [&'static str] {
        &[]
    }
    fn run(&self, ctx: &Context) -> CheckOutput;
}

/// Counts and timings of one inspection.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub findings_by_severity: std::collections::BTreeMap<String, u64>,
    pub findings_by_family: std::collections::BTreeMap<String, u64>,
    pub components: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardening: Option<HardeningSummary>,
    /// Files that could not be read, and walk limits hit.
    pub notes: Vec<String>,
    pub duration_ms: u64,
}

/// The result of an inspection: the findings part of the assessment contract.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inspection {
    pub findings: Vec<Finding>,
    pub components: Vec<Component>,
    pub summary: Summary,
}

/// Every check family, in report order.
pub fn all_checks() -> Vec<Box<dyn Check>> {
    vec![
        Box::new(checks::credentials::Credentials),
        Box::new(checks::crypto::Crypto),
        Box::new(checks::services::Services),
        Box::new(checks::components::Components),
        Box::new(checks::hardening::Hardening),
        Box::new(checks::update::Update),
    ]
}

/// Runs every family over the tree.
pub fn inspect(tree: &Tree) -> Inspection {
    inspect_with(tree, &all_checks())
}

/// Runs every family over the tree, with per-file results of large files kept in
/// `cache` (bulk mode): the result is the same as [`inspect`]'s.
pub fn inspect_cached(tree: &Tree, cache: Option<&dyn context::FileCache>) -> Inspection {
    run_checks(tree, &all_checks(), cache)
}

/// Runs the given checks over the tree (used by tests to run one family).
pub fn inspect_with(tree: &Tree, checks: &[Box<dyn Check>]) -> Inspection {
    run_checks(tree, checks, None)
}

fn run_checks(
    tree: &Tree,
    checks: &[Box<dyn Check>],
    cache: Option<&dyn context::FileCache>,
) -> Inspection {
    let started = Instant::now();
    let literals: Vec<&'static str> = checks
        .iter()
        .flat_map(|c| c.literals().iter().copied())
        .collect();
    let ctx = Context::with_cache(tree, &literals, cache);
    let outputs: Vec<CheckOutput> = checks.par_iter().map(|c| c.run(&ctx)).collect();
    let mut findings = Vec::new();
    let mut components = Vec::new();
    let mut hardening = None;
    for o in outputs {
        findings.extend(o.findings);
        components.extend(o.components);
        if o.hardening.is_some() {
            hardening = o.hardening;
        }
    }
    for f in &mut findings {
        if f.confidence_reason.is_none() {
            f.confidence_reason = Some(default_reason(f));
        }
    }
    // Most severe first, then by code, so reports and diffs are stable.
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.code.cmp(&b.code))
            .then_with(|| {
                a.evidence
                    .first()
                    .map(|e| &e.path)
                    .cmp(&b.evidence.first().map(|e| &e.path))
            })
    });
    components.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.version.cmp(&b.version)));
    let mut summary = Summary {
        files: tree.files().count() as u64,
        bytes: tree.files().map(|(_, e)| e.size).sum(),
        components: components.len() as u64,
        hardening,
        notes: tree.notes.clone(),
        ..Default::default()
    };
    summary.notes.extend(ctx.unreadable.iter().cloned());
    for f in &findings {
        *summary
            .findings_by_severity
            .entry(f.severity.as_str().to_string())
            .or_default() += 1;
        *summary
            .findings_by_family
            .entry(f.family.as_str().to_string())
            .or_default() += 1;
    }
    summary.duration_ms = started.elapsed().as_millis() as u64;
    Inspection {
        findings,
        components,
        summary,
    }
}

/// What a finding rests on where its check said nothing more: every finding carries
/// a confidence and the reason for it.
fn default_reason(f: &Finding) -> String {
    let at = f
        .evidence
        .first()
        .map(|e| e.path.as_str())
        .filter(|p| !p.is_empty());
    match (f.family, at) {
        (Family::Hardening, _) => {
            "read from the ELF headers and dynamic sections of the image's own binaries".into()
        }
        (_, Some(p)) if f.evidence.len() > 1 => format!(
            "shown by the image's own files as shipped ({p} and {} more)",
            f.evidence.len() - 1
        ),
        (_, Some(p)) => format!("shown by the image's own file as shipped ({p})"),
        (_, None) => "shown by the image as shipped".into(),
    }
}

impl Inspection {
    /// Findings at or above `min`.
    pub fn at_least(&self, min: Severity) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.severity >= min)
    }
    /// Findings with `code`.
    pub fn with_code(&self, code: &str) -> impl Iterator<Item = &Finding> + '_ {
        let code = code.to_string();
        self.findings
            .iter()
            .filter(move |f| f.code.as_str() == code)
    }
}
