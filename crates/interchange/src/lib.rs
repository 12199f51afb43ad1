//! Puente interchange: state submission files. Parsing produces raw records (every element as
//! text) for the domain to validate; writing produces files a state would send. No DB, no HTTP.
//!
//! One model ([`Header`] + [`RawStudent`]s), four encodings ([`Format`]): XML ([`xml`]), a single
//! JSON document ([`json`]), JSON Lines ([`jsonl`]) and one CSV file with a record-type column
//! ([`csv`]). [`read_file`] streams any of them: it hashes the raw bytes (SHA-256), detects the
//! character encoding (UTF-8 with or without BOM, else Windows-1252), enforces [`Limits`], calls
//! back once per student and checks the header's control totals at the end. One bad student never
//! fails the file: it becomes a [`LineError`]; whole-file problems are [`FileError`]s.
//! See `docs/interchange.md`.

pub mod csv;
mod fields;
mod input;
pub mod json;
pub mod jsonl;
pub mod xml;

use std::collections::HashMap;
use std::io::{self, Read, Write};

use puente_domain::RawStudent;
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

/// The encodings of a submission file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    Xml,
    Json,
    JsonLines,
    Csv,
}

impl Format {
    /// All formats.
    pub const ALL: [Format; 4] = [Format::Xml, Format::Json, Format::JsonLines, Format::Csv];

    /// The usual file extension (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Xml => "xml",
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// A name for people.
    pub fn name(self) -> &'static str {
        match self {
            Format::Xml => "XML",
            Format::Json => "JSON",
            Format::JsonLines => "JSON Lines",
            Format::Csv => "CSV",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Resource limits for reading one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Raw size of the file; more rejects the file ([`FileError::TooLarge`]).
    pub max_bytes: u64,
    /// Student records in the file; more rejects the file ([`FileError::TooLarge`]).
    pub max_students: u64,
    /// A field longer than this (in characters) is passed through unchanged for the domain
    /// validator to report with its length; it is counted in [`FileSummary::long_fields`].
    pub max_field_chars: usize,
    /// A field longer than this (in bytes of UTF-8) makes its student a [`LineError`].
    pub max_field_bytes_hard: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 2 * 1024 * 1024 * 1024,
            max_students: 1_000_000,
            max_field_chars: 10_000,
            max_field_bytes_hard: 1024 * 1024,
        }
    }
}

/// What reading a file found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    pub format: Format,
    pub header: Header,
    /// The detected character encoding: `"UTF-8"` or `"windows-1252"`.
    pub encoding: &'static str,
    /// The file started with a UTF-8 byte order mark.
    pub bom: bool,
    /// Size of the raw file.
    pub bytes: u64,
    /// SHA-256 of the raw bytes, lowercase hex.
    pub sha256: String,
    /// Student records found (including the ones that became [`LineError`]s).
    pub students: u64,
    /// Non-header records found (students and their child records; see `record_count`).
    pub records: u64,
    /// Students handed to the callback as `Ok`.
    pub accepted: u64,
    /// `Err` items handed to the callback (duplicates included).
    pub line_errors: u64,
    /// Students skipped because their Student Record ID was already used in the file.
    pub duplicates: u64,
    /// Fields longer than [`Limits::max_field_chars`] that were passed through.
    pub long_fields: u64,
    /// Notes for the data administrator that do not reject anything.
    pub warnings: Vec<String>,
}

/// Errors that reject a whole file. The messages are meant for a state data administrator.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: the header is not valid: {reason}")]
    Header { line: u64, reason: String },
    #[error("the file could not be read: {0}")]
    Io(String),
    #[error("the file is too large: it has more than the limit of {limit} {what}")]
    TooLarge { what: String, limit: u64 },
    #[error("the file is not a text file (near byte {offset}): {reason}")]
    Binary { offset: u64, reason: String },
    #[error("the file's character encoding is not accepted (near byte {offset}): {reason}")]
    Encoding { offset: u64, reason: String },
    #[error(
        "the file ends unexpectedly near line {line} ({reason}); it may have been cut off \
         during transfer"
    )]
    Truncated { line: u64, reason: String },
    #[error("line {line}: the file is not well-formed {format}: {reason}")]
    Syntax {
        line: u64,
        format: Format,
        reason: String,
    },
    #[error("line {line}: {reason}")]
    Forbidden { line: u64, reason: String },
    #[error(
        "the header declares {declared} {which} but the file contains {found}; the file \
         may be incomplete or the header wrong"
    )]
    ControlTotals {
        declared: u64,
        found: u64,
        which: &'static str,
    },
    #[error(
        "the file format was not recognized; send XML, JSON, JSON Lines or CSV as described \
         in the interchange guide"
    )]
    UnknownFormat,
}

/// A student that could not be read (the rest of the file goes on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line in the file (where the student starts for XML and CSV, where it ends for JSON).
    pub line: u64,
    pub reason: String,
    /// Position of the student in the file, 1-based (0 when the item is not a student, e.g. a
    /// CSV child row that follows no S row).
    pub student: u64,
    /// The Student Record ID when it could be read, else empty.
    pub student_record_id: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}", self.line)?;
        if !self.student_record_id.is_empty() {
            write!(f, " (student record {})", self.student_record_id)?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Counts the non-header records of a student: the student itself and its child records.
pub fn record_count(s: &RawStudent) -> u64 {
    1 + (s.alternate_ids.len()
        + s.qualifying_moves.len()
        + s.enrollments.len()
        + s.courses.len()
        + s.assessments.len()) as u64
}

/// One student (or stray CSV row) as a format reader found it.
pub(crate) struct Item {
    pub line: u64,
    /// Non-header records it stands for.
    pub records: u64,
    /// False for a CSV child row that belongs to no student.
    pub is_student: bool,
    pub result: Result<RawStudent, Bad>,
}

/// Why an item could not be read.
pub(crate) struct Bad {
    pub id: String,
    pub reason: String,
}

/// Guesses the format from the first bytes (content first, then the file name's extension).
pub fn detect_format(first_bytes: &[u8], file_name: Option<&str>) -> Option<Format> {
    let b = first_bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(first_bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let b = &b[start..];
    let by_name = file_name.and_then(|n| {
        let ext = n.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "xml" => Some(Format::Xml),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "csv" | "txt" => Some(Format::Csv),
            _ => None,
        }
    });
    match b.first() {
        Some(b'<') => Some(Format::Xml),
        Some(b'{') => {
            // JSON Lines: the first line is a complete object {"header": ...}.
            let line = b.split(|&c| c == b'\n').next().unwrap_or(b);
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(v) if v.get("students").is_some() => Some(Format::Json),
                Ok(v) if v.get("header").is_some() => Some(Format::JsonLines),
                Ok(_) => by_name.filter(|f| matches!(f, Format::Json | Format::JsonLines)),
                Err(_) => match by_name {
                    Some(Format::JsonLines) => Some(Format::JsonLines),
                    _ => Some(Format::Json),
                },
            }
        }
        Some(b'H' | b'h' | b'"') => {
            let cell: Vec<u8> = b
                .iter()
                .take(8)
                .copied()
                .filter(|&c| c != b'"')
                .take_while(|&c| c != b',')
                .collect();
            if cell.eq_ignore_ascii_case(b"H") {
                Some(Format::Csv)
            } else {
                by_name
            }
        }
        _ => by_name,
    }
}

/// Reads a submission file as a stream, calling `on_student` once per student (or bad item).
/// See the crate documentation for what is checked.
pub fn read_file<R: Read>(
    input: R,
    format: Format,
    limits: &Limits,
    on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    read_impl(input, Some(format), None, limits, on_student)
}

/// Like [`read_file`], detecting the format with [`detect_format`] from the first bytes and the
/// file name; [`FileError::UnknownFormat`] when it cannot be told.
pub fn read_file_detect<R: Read>(
    input: R,
    file_name: Option<&str>,
    limits: &Limits,
    on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    read_impl(input, None, file_name, limits, on_student)
}

fn read_impl<R: Read>(
    input: R,
    format: Option<Format>,
    file_name: Option<&str>,
    limits: &Limits,
    mut on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    let mut counting = input::Counting::new(input, limits.max_bytes);
    let mut sniffed = input::sniff(&mut counting)?;
    let format = match format {
        Some(f) => f,
        None => detect_format(&sniffed.head, file_name).ok_or(FileError::UnknownFormat)?,
    };
    let mut students = 0u64;
    let mut records = 0u64;
    let mut accepted = 0u64;
    let mut line_errors = 0u64;
    let mut duplicates = 0u64;
    let mut long_fields = 0u64;
    let mut seen: HashMap<String, (u64, u64)> = HashMap::new();
    let mut sink = |item: Item| -> Result<(), FileError> {
        records += item.records;
        let index = if item.is_student {
            students += 1;
            if students > limits.max_students {
                return Err(FileError::TooLarge {
                    what: "student records".into(),
                    limit: limits.max_students,
                });
            }
            students
        } else {
            0
        };
        let mut fail = |id: String, reason: String| {
            line_errors += 1;
            on_student(Err(LineError {
                line: item.line,
                reason,
                student: index,
                student_record_id: id,
            }));
        };
        let s = match item.result {
            Ok(s) => s,
            Err(b) => {
                fail(b.id, b.reason);
                return Ok(());
            }
        };
        let mut huge = None;
        let mut long = 0u64;
        fields::for_each_value(&s, |name, v| {
            if v.len() > limits.max_field_bytes_hard {
                huge.get_or_insert((name, v.len()));
            } else if v.len() > limits.max_field_chars && v.chars().count() > limits.max_field_chars
            {
                long += 1;
            }
        });
        if let Some((name, len)) = huge {
            fail(
                s.student_record_id.clone(),
                format!(
                    "element {name} is {len} bytes long, more than the {} bytes any element \
                     may have; the student was not read",
                    limits.max_field_bytes_hard
                ),
            );
            return Ok(());
        }
        long_fields += long;
        if !s.student_record_id.is_empty() {
            if let Some((first, first_line)) = seen.get(&s.student_record_id) {
                duplicates += 1;
                let reason = format!(
                    "Student Record ID {} is used twice in the file (first by student {first} \
                     at line {first_line}); this second record was skipped",
                    s.student_record_id
                );
                fail(s.student_record_id.clone(), reason);
                return Ok(());
            }
            seen.insert(s.student_record_id.clone(), (index, item.line));
        }
        accepted += 1;
        on_student(Ok(s));
        Ok(())
    };
    let head = std::mem::take(&mut sniffed.head);
    let (res, dec_fatal) = {
        let src = io::Cursor::new(head).chain(&mut counting);
        let mut dec = input::Decoding::new(src, sniffed.encoding);
        let lines = dec.lines.clone();
        let res = match format {
            Format::Xml => xml::read_items(&mut dec, &lines, limits, &mut sink),
            Format::Json => json::read_items(&mut dec, &lines, &mut sink),
            Format::JsonLines => jsonl::read_items(&mut dec, &mut sink),
            Format::Csv => csv::read_items(&mut dec, &mut sink),
        };
        (res, dec.fatal.take())
    };
    let header = match res {
        Ok(h) => h,
        Err(e) => return Err(counting.fatal.take().or(dec_fatal).unwrap_or(e)),
    };
    let (bytes, sha256) = counting.finish()?;
    if header.submitting_state.trim().is_empty() {
        return Err(FileError::Header {
            line: 1,
            reason: "Submitting State is missing".into(),
        });
    }
    if header.total_students != students {
        return Err(FileError::ControlTotals {
            declared: header.total_students,
            found: students,
            which: "total students",
        });
    }
    if header.total_records != records {
        return Err(FileError::ControlTotals {
            declared: header.total_records,
            found: records,
            which: "total records",
        });
    }
    Ok(FileSummary {
        format,
        header,
        encoding: sniffed.encoding.name(),
        bom: sniffed.bom,
        bytes,
        sha256,
        students,
        records,
        accepted,
        line_errors,
        duplicates,
        long_fields,
        warnings: sniffed.warning.into_iter().collect(),
    })
}

/// Writes a submission file in `format` (UTF-8, no BOM).
pub fn write_file<W: Write>(
    out: W,
    format: Format,
    header: &Header,
    students: &[RawStudent],
) -> io::Result<()> {
    match format {
        Format::Xml => xml::write(out, header, students),
        Format::Json => json::write(out, header, students),
        Format::JsonLines => jsonl::write(out, header, students),
        Format::Csv => csv::write(out, header, students),
    }
}

/// A header whose control totals match `students`.
pub fn header_for(
    submitting_state: &str,
    submission_date: &str,
    students: &[RawStudent],
) -> Header {
    Header {
        submitting_state: submitting_state.into(),
        submission_date: submission_date.into(),
        total_students: students.len() as u64,
        total_records: students.iter().map(record_count).sum(),
        ..Default::default()
    }
}
