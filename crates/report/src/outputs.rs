//! The one table of everything an assessment can be rendered as: each row names its
//! file and renderer. Writing an output folder and knowing which files `assess` owns
//! in it (so a re-run replaces exactly those) both read this table.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use baseliner_label::{KeyPair, Statement};
use baseliner_model::Assessment;

use crate::sbom::SbomMeta;

/// One kind of output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Output {
    /// The assessment contract (`schemas/assessment.schema.json`).
    AssessmentJson,
    /// Self-contained HTML report.
    Html,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// CycloneDX 1.6 SBOM with VEX.
    CycloneDx,
    /// SPDX 2.3 SBOM.
    Spdx,
    /// OpenVEX 0.2.0.
    OpenVex,
    /// The label picture.
    LabelSvg,
    LabelPng,
    /// The signed label statement (only when a signing key is given).
    LabelJson,
    /// The unpacker's listing of every file, format, error and unknown region.
    UnpackJson,
}

/// A row of the table.
#[derive(Debug, Clone, Copy)]
pub struct OutputInfo {
    pub output: Output,
    /// File name inside an output folder.
    pub file: &'static str,
    pub what: &'static str,
    /// Written by `assess` into its output folder.
    pub assess: bool,
}

const fn row(output: Output, file: &'static str, what: &'static str, assess: bool) -> OutputInfo {
    OutputInfo {
        output,
        file,
        what,
        assess,
    }
}

/// Every output, in the order `assess` lists what it wrote.
pub const OUTPUTS: &[OutputInfo] = &[
    row(
        Output::AssessmentJson,
        "assessment.json",
        "the assessment (JSON contract)",
        true,
    ),
    row(Output::Html, "report.html", "HTML report", true),
    row(
        Output::Sarif,
        "findings.sarif",
        "SARIF 2.1.0 findings",
        true,
    ),
    row(
        Output::CycloneDx,
        "sbom.cdx.json",
        "CycloneDX 1.6 SBOM with VEX",
        true,
    ),
    row(Output::Spdx, "sbom.spdx.json", "SPDX 2.3 SBOM", false),
    row(Output::OpenVex, "vex.openvex.json", "OpenVEX 0.2.0", false),
    row(Output::LabelSvg, "label.svg", "label picture (SVG)", true),
    row(Output::LabelPng, "label.png", "label picture (PNG)", true),
    row(
        Output::LabelJson,
        "label.json",
        "signed label statement",
        true,
    ),
    row(Output::UnpackJson, "unpack.json", "unpack listing", true),
];

impl Output {
    pub fn info(self) -> &'static OutputInfo {
        OUTPUTS
            .iter()
            .find(|o| o.output == self)
            .expect("every output has a row")
    }

    pub fn file(self) -> &'static str {
        self.info().file
    }
}

/// The files `assess` owns in an output folder.
pub fn assess_files() -> impl Iterator<Item = &'static str> {
    OUTPUTS.iter().filter(|o| o.assess).map(|o| o.file)
}

/// What the renderers read: the assessment and what came with it.
pub struct Artefacts<'a> {
    pub assessment: &'a Assessment,
    /// The unpacker's report, for `unpack.json`.
    pub unpack: Option<&'a baseliner_unpack::Report>,
    /// Key that signs `label.json`; without one no signed statement is written.
    pub key: Option<&'a KeyPair>,
    /// Registry base URL the label's QR code points under.
    pub registry: &'a str,
    statement: OnceLock<Result<Statement, String>>,
}

/// Why an output could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("rendering {file}: {message}")]
    Render { file: &'static str, message: String },
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl<'a> Artefacts<'a> {
    pub fn new(assessment: &'a Assessment, registry: &'a str) -> Self {
        Artefacts {
            assessment,
            unpack: None,
            key: None,
            registry,
            statement: OnceLock::new(),
        }
    }

    pub fn with_unpack(mut self, unpack: &'a baseliner_unpack::Report) -> Self {
        self.unpack = Some(unpack);
        self
    }

    pub fn with_key(mut self, key: Option<&'a KeyPair>) -> Self {
        self.key = key;
        self
    }

    /// The label statement, made once for the three label files.
    pub fn statement(&self) -> Result<&Statement, String> {
        self.statement
            .get_or_init(|| {
                baseliner_label::statement_from(self.assessment, self.registry)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// SBOM header facts taken from the assessment.
    pub fn sbom_meta(&self) -> SbomMeta {
        let a = self.assessment;
        SbomMeta {
            name: a.image.name.clone(),
            version: a.product.firmware_version.clone(),
            sha256: Some(a.image.sha256.clone()),
            tool_version: a.tool.version.clone(),
            timestamp: Some(a.created.clone()),
        }
    }
}

fn json(v: &impl serde::Serialize) -> Result<Vec<u8>, String> {
    let mut s = serde_json::to_vec_pretty(v).map_err(|e| e.to_string())?;
    s.push(b'\n');
    Ok(s)
}

impl Output {
    /// The bytes of this output, or `None` when it does not apply (`label.json`
    /// without a key, `unpack.json` without the unpacker's report).
    pub fn render(self, a: &Artefacts) -> Result<Option<Vec<u8>>, Error> {
        let file = self.file();
        let err = |message: String| Error::Render { file, message };
        let doc = a.assessment;
        let bytes = match self {
            Output::AssessmentJson => json(doc).map_err(err)?,
            Output::Html => crate::render_html(doc).into_bytes(),
            Output::Sarif => json(&crate::to_sarif(doc)).map_err(err)?,
            Output::CycloneDx => json(&crate::sbom::cyclonedx(
                &doc.components,
                &doc.vulnerabilities,
                &a.sbom_meta(),
            ))
            .map_err(err)?,
            Output::Spdx => json(&crate::sbom::spdx(
                &doc.components,
                &doc.vulnerabilities,
                &a.sbom_meta(),
            ))
            .map_err(err)?,
            Output::OpenVex => json(&crate::openvex::openvex(
                &doc.components,
                &doc.vulnerabilities,
                &a.sbom_meta(),
            ))
            .map_err(err)?,
            Output::LabelSvg => {
                baseliner_label::render_svg(a.statement().map_err(err)?, a.key.is_some())
                    .map_err(|e| err(e.to_string()))?
                    .into_bytes()
            }
            Output::LabelPng => {
                let svg = baseliner_label::render_svg(a.statement().map_err(err)?, a.key.is_some())
                    .map_err(|e| err(e.to_string()))?;
                baseliner_label::render_png(&svg, 2.0).map_err(|e| err(e.to_string()))?
            }
            Output::LabelJson => {
                let Some(key) = a.key else { return Ok(None) };
                let statement = a.statement().map_err(err)?.clone();
                baseliner_label::sign(statement, key)
                    .map_err(|e| err(e.to_string()))?
                    .1
            }
            Output::UnpackJson => {
                let Some(u) = a.unpack else { return Ok(None) };
                json(u).map_err(err)?
            }
        };
        Ok(Some(bytes))
    }
}

/// Renders and writes `outputs` into the existing folder `dir`; returns the paths
/// written, in table order.
pub fn write(
    a: &Artefacts,
    dir: &Path,
    outputs: impl IntoIterator<Item = Output>,
) -> Result<Vec<PathBuf>, Error> {
    let mut wanted: Vec<Output> = outputs.into_iter().collect();
    wanted.sort_by_key(|o| OUTPUTS.iter().position(|r| r.output == *o));
    let mut written = vec![];
    for o in wanted {
        let Some(bytes) = o.render(a)? else { continue };
        let path = dir.join(o.file());
        std::fs::write(&path, bytes).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// The outputs `assess` writes.
pub fn assess_outputs() -> impl Iterator<Item = Output> {
    OUTPUTS.iter().filter(|o| o.assess).map(|o| o.output)
}
