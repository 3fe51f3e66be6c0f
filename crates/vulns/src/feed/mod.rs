//! Readers for the feeds users download: each turns text into knowledge-base records.

pub mod kernel;
pub mod kev;
pub mod nvd;
pub mod osv;
