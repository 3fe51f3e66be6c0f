//! The one assessment pipeline every caller runs: `assess` and `sbom` in the CLI, and
//! the registry, bulk mode and the live probe after them.
//!
//! An [`Engine`] holds what is expensive to open and shared across images (the
//! vulnerability knowledge base). [`Engine::assess`] takes an image and a [`Request`]
//! and returns a [`Run`]: the assessment document, the unpacker's report, and notes
//! for the user. [`Run::write`] renders every output through the table in
//! `baseliner-report`. Nothing here prints: progress goes to an [`Observer`], and
//! what the user must know comes back as [`Note`]s.

pub mod build_date;
pub mod identity;
pub mod outdir;

use std::path::{Path, PathBuf};
use std::time::Instant;

use baseliner_baseline::{AssessmentInput, Date, Declaration, Profile};
use baseliner_inspect::{Inspection, Tree};
use baseliner_label::KeyPair;
use baseliner_model::{Assessment, Component, ImageInfo, LiveEvidence, StageTiming, VulnMatch};
use baseliner_vulns::{DeviceIdentity, Kb};

pub use baseliner_unpack::Limits;
pub use baseliner_unpack::cache::Cache;
pub use identity::device_identity;

/// What can stop a run. Bad parts of an image are not errors: they are recorded in
/// the unpacker's report and the rest of the image is analysed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("unpacking {image}: {source}")]
    Unpack {
        image: PathBuf,
        source: baseliner_unpack::Error,
    },
    #[error("{what} {path}: {source}")]
    Io {
        path: PathBuf,
        what: String,
        source: std::io::Error,
    },
    #[error(
        "output folder {0} is not empty and was not written by baseliner assess; choose a new folder"
    )]
    ForeignOutput(PathBuf),
    #[error("vulnerability knowledge base: {0}")]
    Kb(#[from] baseliner_vulns::Error),
    #[error(transparent)]
    Render(#[from] baseliner_report::outputs::Error),
}

/// Which knowledge base to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KbChoice {
    /// The default file, where one exists (`baseliner_vulns::default_path`).
    Default,
    /// This file, where it exists.
    Path(PathBuf),
    /// None: known vulnerabilities are not checked.
    None,
}

/// Something the user must know about a run that is not a finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// No knowledge base was available: known-vulnerability provisions stay INCONCLUSIVE.
    NoKnowledgeBase { looked_at: Option<PathBuf> },
    /// How current the knowledge base is: its least recently current feed (`None` when
    /// it holds none), that feed's date and how it is known, the age in whole days,
    /// and whether that is past the threshold (`stale`).
    KnowledgeBaseAge {
        feed: Option<String>,
        as_of: Option<String>,
        basis: Option<String>,
        age_days: Option<u64>,
        stale_after_days: u64,
        stale: bool,
    },
}

/// Progress of a run. Every method has an empty default, so a caller implements
/// only what it shows.
pub trait Observer: Sync {
    /// A stage starts: `unpack`, `inspect`, `vulns`, `evaluate`, `report`.
    fn stage(&self, _stage: &str) {}
    /// A step inside unpacking.
    fn unpack_progress(&self, _msg: &str) {}
}

/// An observer that shows nothing.
pub struct Silent;
impl Observer for Silent {}

/// What the firmware analysis hands to a live probe of the same device: credentials
/// it recovered (tried first) and the private-key files it found (compared with the
/// keys the device presents).
#[derive(Debug, Clone, Default)]
pub struct FirmwareHints {
    pub credentials: Vec<(String, String)>,
    /// (evidence provenance, file on disk in the unpacked tree)
    pub key_files: Vec<(String, PathBuf)>,
}

/// A live probe the pipeline runs after inspection, so that it can use what the
/// firmware showed; the CLI implements it with `baseliner-probe`.
pub trait LiveProbe: Sync {
    fn run(&self, hints: &FirmwareHints) -> LiveEvidence;
}

/// The firmware image to assess.
#[derive(Debug, Clone, Copy)]
pub enum Image<'a> {
    Path(&'a Path),
    /// In memory, with the name reports show.
    Bytes {
        name: &'a str,
        data: &'a [u8],
    },
}

/// One assessment to make.
pub struct Request<'a> {
    pub image: Image<'a>,
    /// Where the unpacked tree goes (created; must be empty if it exists).
    pub unpack_to: &'a Path,
    pub profile: &'a Profile,
    pub declaration: Option<&'a Declaration>,
    pub limits: Limits,
    /// Overrides the device identity the declaration or a vendor header give.
    pub device: Option<DeviceIdentity>,
    /// Evidence from a live test of a lab device.
    pub live: Option<&'a LiveEvidence>,
    /// A live probe to run after inspection with the firmware's hints (its evidence
    /// is used like `live`; `live` wins when both are given).
    pub probe: Option<&'a dyn LiveProbe>,
    /// A content-addressed cache of extractions shared across images (bulk mode).
    pub cache: Option<&'a baseliner_unpack::cache::Cache>,
    /// The assessment date (support periods, certificate expiry).
    pub today: Date,
}

impl<'a> Request<'a> {
    /// A request with default limits, today's date and no declaration.
    pub fn new(image: Image<'a>, unpack_to: &'a Path, profile: &'a Profile) -> Self {
        Request {
            image,
            unpack_to,
            profile,
            declaration: None,
            limits: Limits::default(),
            device: None,
            live: None,
            probe: None,
            cache: None,
            today: Date::today(),
        }
    }
}

/// The result of one assessment.
pub struct Run {
    pub assessment: Assessment,
    pub unpack: baseliner_unpack::Report,
    pub notes: Vec<Note>,
}

/// Components and their known vulnerabilities: what an SBOM holds.
pub struct Inventory {
    pub components: Vec<Component>,
    pub vulnerabilities: Vec<VulnMatch>,
    pub notes: Vec<Note>,
}

/// The pipeline, with what it keeps open across images.
pub struct Engine {
    kb: Option<Kb>,
    kb_version: Option<String>,
    kb_looked_at: Option<PathBuf>,
    kb_freshness: Option<baseliner_vulns::Freshness>,
    stale_after_days: u64,
}

impl Engine {
    /// Opens the knowledge base chosen, when it exists.
    pub fn new(kb: KbChoice) -> Result<Engine, Error> {
        let path = match kb {
            KbChoice::Default => baseliner_vulns::default_path(),
            KbChoice::Path(p) => Some(p),
            KbChoice::None => None,
        };
        let (kb, kb_version, kb_freshness) = match path.as_ref().filter(|p| p.is_file()) {
            Some(p) => {
                let kb = Kb::open(p)?;
                let v = kb.version_string()?;
                let f = kb.freshness()?;
                (Some(kb), Some(v), Some(f))
            }
            None => (None, None, None),
        };
        Ok(Engine {
            kb,
            kb_version,
            kb_looked_at: path,
            kb_freshness,
            stale_after_days: baseliner_vulns::STALE_AFTER_DAYS,
        })
    }

    /// Days after which the knowledge base counts as stale (default
    /// `baseliner_vulns::STALE_AFTER_DAYS`).
    pub fn with_stale_after_days(mut self, days: u64) -> Self {
        self.stale_after_days = days;
        self
    }

    /// How current the open knowledge base is, as a note (none without one).
    fn kb_age_note(&self) -> Option<Note> {
        let f = self.kb_freshness.as_ref()?;
        let now = baseliner_vulns::time::now();
        let oldest = f.oldest();
        Some(Note::KnowledgeBaseAge {
            feed: oldest.map(|o| o.kind.clone()),
            as_of: oldest.map(|o| o.as_of.clone()),
            basis: oldest.map(|o| o.basis.clone()),
            age_days: f.age_days(now),
            stale_after_days: self.stale_after_days,
            stale: f.is_stale(now, self.stale_after_days),
        })
    }

    /// The open knowledge base, if any.
    pub fn kb(&self) -> Option<&Kb> {
        self.kb.as_ref()
    }

    /// The knowledge-base version assessments record.
    pub fn kb_version(&self) -> Option<&str> {
        self.kb_version.as_deref()
    }

    fn no_kb_note(&self) -> Note {
        Note::NoKnowledgeBase {
            looked_at: self.kb_looked_at.clone(),
        }
    }

    /// Known vulnerabilities of `components` and the device, with the image's own
    /// evidence that some do not apply (VEX). `None` when no knowledge base is open.
    pub fn vulnerabilities(
        &self,
        components: &[Component],
        device: Option<&DeviceIdentity>,
    ) -> Result<Option<Vec<VulnMatch>>, Error> {
        let Some(kb) = &self.kb else { return Ok(None) };
        let mut m = kb.match_components(components, device)?;
        baseliner_vulns::vex::apply_evidence(&mut m, components);
        Ok(Some(m))
    }

    /// Components and known vulnerabilities of a tree.
    pub fn inventory(
        &self,
        tree: &Tree,
        device: Option<&DeviceIdentity>,
        with_vulns: bool,
    ) -> Result<Inventory, Error> {
        let components = baseliner_inspect::inspect(tree).components;
        let mut notes = vec![];
        let vulnerabilities = if with_vulns {
            notes.extend(self.kb_age_note());
            match self.vulnerabilities(&components, device)? {
                Some(v) => v,
                None => {
                    notes.push(self.no_kb_note());
                    vec![]
                }
            }
        } else {
            vec![]
        };
        Ok(Inventory {
            components,
            vulnerabilities,
            notes,
        })
    }

    /// Unpacks, inspects, matches known vulnerabilities and evaluates every provision.
    pub fn assess(&self, req: &Request, obs: &dyn Observer) -> Result<Run, Error> {
        let mut timings = Timings::default();
        // An in-memory image is unpacked from a temporary file: the unpacker maps files.
        let tmp;
        let (path, name) = match req.image {
            Image::Path(p) => (
                p.to_path_buf(),
                p.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            Image::Bytes { name, data } => {
                tmp = tempfile::NamedTempFile::new().map_err(|e| Error::Io {
                    path: std::env::temp_dir(),
                    what: "creating a temporary file in".into(),
                    source: e,
                })?;
                std::fs::write(tmp.path(), data).map_err(|e| Error::Io {
                    path: tmp.path().to_path_buf(),
                    what: "writing".into(),
                    source: e,
                })?;
                (tmp.path().to_path_buf(), name.to_string())
            }
        };

        obs.stage("unpack");
        let progress = |msg: &str| obs.unpack_progress(msg);
        let report = timings.run("unpack", || {
            baseliner_unpack::unpack_cached(
                &path,
                req.unpack_to,
                &req.limits,
                Some(&progress),
                req.cache,
            )
            .map_err(|source| Error::Unpack {
                image: path.clone(),
                source,
            })
        })?;

        obs.stage("inspect");
        let tree = Tree::from_report(&report);
        let mut inspection: Inspection = timings.run("inspect", || {
            let cache = req
                .cache
                .map(|c| c as &dyn baseliner_inspect::context::FileCache);
            Ok(baseliner_inspect::inspect_cached(&tree, cache))
        })?;
        let probed = match (req.live, req.probe) {
            (None, Some(p)) => {
                obs.stage("probe");
                let hints = firmware_hints(&inspection, &tree);
                let started = Instant::now();
                let live = p.run(&hints);
                timings.0.push(StageTiming {
                    stage: "probe".into(),
                    millis: started.elapsed().as_millis() as u64,
                });
                Some(live)
            }
            _ => None,
        };
        let live_used = req.live.or(probed.as_ref());
        if let Some(live) = live_used {
            inspection.findings.extend(live.findings.iter().cloned());
            inspection
                .components
                .extend(live.components.iter().cloned());
        }

        obs.stage("vulns");
        let device = match &req.device {
            Some(d) => Some(d.clone()),
            None => {
                let file = std::fs::File::open(&path).map_err(|e| Error::Io {
                    path: path.clone(),
                    what: "reading".into(),
                    source: e,
                })?;
                let map = baseliner_unpack::map_file(&file).map_err(|e| Error::Io {
                    path: path.clone(),
                    what: "reading".into(),
                    source: e,
                })?;
                device_identity(req.declaration, map.as_deref().unwrap_or(&[]), &report)
            }
        };
        let built = std::fs::File::open(&path)
            .ok()
            .and_then(|f| baseliner_unpack::map_file(&f).ok().flatten())
            .and_then(|map| {
                let today = req.today.to_string();
                build_date::build_date(&map, &report, &today)
            });
        let mut notes = vec![];
        let vulnerabilities = timings.run("vulns", || {
            self.vulnerabilities(&inspection.components, device.as_ref())
        })?;
        let vulnerabilities = vulnerabilities.unwrap_or_else(|| {
            notes.push(self.no_kb_note());
            vec![]
        });
        notes.extend(self.kb_age_note());

        obs.stage("evaluate");
        let assessment = timings.run("evaluate", || {
            Ok(baseliner_baseline::assess(AssessmentInput {
                profile: req.profile,
                image: ImageInfo {
                    name,
                    sha256: report.image_sha256.clone(),
                    size: report.image_size,
                    build_date: built.as_ref().map(|b| b.0.clone()),
                    build_date_source: built.map(|b| b.1),
                },
                components: inspection.components,
                findings: inspection.findings,
                vulnerabilities,
                live_tests: live_used.map(|l| l.tests.clone()).unwrap_or_default(),
                declaration: req.declaration,
                timings: Vec::new(),
                tool_version: env!("CARGO_PKG_VERSION").to_string(),
                kb_version: self.kb_version.clone(),
                today: req.today,
                created: baseliner_model::now_rfc3339(),
            }))
        })?;
        let mut assessment = assessment;
        assessment.timings = timings.0;
        Ok(Run {
            assessment,
            unpack: report,
            notes,
        })
    }
}

impl Run {
    /// Writes every output `assess` owns into `dir` (the folder [`outdir::prepare`]
    /// made), timing the rendering as stage `report`. `assessment.json` is written
    /// last so that it records that stage too. Returns the paths written.
    pub fn write(
        &mut self,
        dir: &Path,
        key: Option<&KeyPair>,
        registry: &str,
        obs: &dyn Observer,
    ) -> Result<Vec<PathBuf>, Error> {
        use baseliner_report::{Artefacts, Output};
        obs.stage("report");
        let started = Instant::now();
        // The label states the digest of assessment.json, so the label files are
        // made from the final assessment (with this stage's timing in it), after
        // the timing is taken: label and assessment.json always agree.
        let labels = [Output::LabelSvg, Output::LabelPng, Output::LabelJson];
        let others: Vec<Output> = baseliner_report::outputs::assess_outputs()
            .filter(|o| *o != Output::AssessmentJson && !labels.contains(o))
            .collect();
        let mut written = {
            let a = Artefacts::new(&self.assessment, registry)
                .with_unpack(&self.unpack)
                .with_key(key);
            baseliner_report::outputs::write(&a, dir, others)?
        };
        self.assessment.timings.push(StageTiming {
            stage: "report".into(),
            millis: started.elapsed().as_millis() as u64,
        });
        let a = Artefacts::new(&self.assessment, registry).with_key(key);
        let mut first = baseliner_report::outputs::write(&a, dir, [Output::AssessmentJson])?;
        first.extend(baseliner_report::outputs::write(&a, dir, labels)?);
        first.append(&mut written);
        first.sort_by_key(|p| {
            baseliner_report::outputs::OUTPUTS
                .iter()
                .position(|o| p.file_name().is_some_and(|f| f == o.file))
        });
        Ok(first)
    }
}

/// Credentials the inspection recovered and the private-key files it found.
fn firmware_hints(inspection: &Inspection, tree: &Tree) -> FirmwareHints {
    use baseliner_model::Code;
    let mut key_files = vec![];
    for f in &inspection.findings {
        if !matches!(f.code, Code::Crypto001 | Code::Cred008) {
            continue;
        }
        for e in &f.evidence {
            if let Some(entry) = tree.entries.iter().find(|x| x.provenance == e.provenance)
                && !key_files.iter().any(|(p, _)| p == &e.provenance)
            {
                key_files.push((e.provenance.clone(), entry.disk.clone()));
            }
        }
    }
    key_files.truncate(256);
    FirmwareHints {
        credentials: baseliner_inspect::creds::recovered(&inspection.findings),
        key_files,
    }
}

/// Wall time per stage, in order.
#[derive(Default)]
struct Timings(Vec<StageTiming>);

impl Timings {
    fn run<T>(&mut self, stage: &str, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        let t = Instant::now();
        let r = f();
        self.0.push(StageTiming {
            stage: stage.to_string(),
            millis: t.elapsed().as_millis() as u64,
        });
        r
    }
}

/// A file tree to inspect: a directory as it is, or an image unpacked into a
/// temporary folder that lives as long as the returned guard.
pub fn open_tree(
    path: &Path,
    limits: &Limits,
    obs: &dyn Observer,
) -> Result<(Tree, Option<tempfile::TempDir>), Error> {
    let io = |what: &str, p: &Path, source| Error::Io {
        path: p.to_path_buf(),
        what: what.into(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(|e| io("reading", path, e))?;
    if meta.is_dir() {
        let tree = Tree::from_dir(path).map_err(|e| io("walking", path, e))?;
        return Ok((tree, None));
    }
    let tmp =
        tempfile::tempdir().map_err(|e| io("creating a folder in", &std::env::temp_dir(), e))?;
    let out = tmp.path().join(outdir::UNPACKED);
    obs.stage("unpack");
    let progress = |msg: &str| obs.unpack_progress(msg);
    let report =
        baseliner_unpack::unpack(path, &out, limits, Some(&progress)).map_err(|source| {
            Error::Unpack {
                image: path.to_path_buf(),
                source,
            }
        })?;
    Ok((Tree::from_report(&report), Some(tmp)))
}
