//! Puente interchange: state submission files. Parsing produces raw records (every element as
//! text) for the domain to validate; writing produces files a state would send. No DB, no HTTP.
//!
//! Formats so far: JSON Lines (`.jsonl`: a header object on the first line, one student per
//! following line). One bad line never fails the file: it becomes a [`LineError`].

pub mod jsonl;

use serde::{Deserialize, Serialize};

/// The header of a submission file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    pub submitting_state: String,
    /// YYYYMMDDhhmmssSSS
    pub submission_date: String,
    pub total_students: u64,
    pub total_records: u64,
    pub beginning_effective_date: String,
    pub ending_effective_date: String,
}

/// Errors that reject a whole file.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: the header is not valid: {reason}")]
    Header { line: u64, reason: String },
    #[error("the file could not be read: {0}")]
    Io(String),
}

/// A student line that could not be parsed (the rest of the file goes on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub line: u64,
    pub reason: String,
}

/// Counts the non-header records of a student: the student itself and its child records.
pub fn record_count(s: &puente_domain::RawStudent) -> u64 {
    1 + (s.alternate_ids.len()
        + s.qualifying_moves.len()
        + s.enrollments.len()
        + s.courses.len()
        + s.assessments.len()) as u64
}
