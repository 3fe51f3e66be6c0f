//! Finding construction. The code table itself is part of the contract and lives in
//! `baseliner_model::codes`; inspection only chooses codes and states evidence.

use baseliner_model::{Code, Evidence, Finding};

pub use baseliner_model::CodeInfo;

/// A finding with the table's family, severity and title, at full confidence.
pub fn finding(code: Code, detail: impl Into<String>, evidence: Vec<Evidence>) -> Finding {
    Finding::new(code, detail, evidence)
}
