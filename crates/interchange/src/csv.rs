//! CSV encoding: one file, one record per row, first column the record type, second column the
//! Student Record ID, then the columns of that record type (no column-name row):
//!
//! | type | record | columns after `record_type,student_record_id` |
//! |------|--------|-----------------------------------------------|
//! | `H`  | header (first row, once; `student_record_id` empty) | the [`crate::Header`] fields |
//! | `S`  | student | `msix_id` … `action_code` |
//! | `A`  | alternate ID | `alternate_record_id`, `alternate_student_id`, `alternate_student_id_type` |
//! | `D`  | demographics (at most one per student) | `first_name` … `parent2_phone` |
//! | `Q`  | qualifying move | `qualifying_arrival_date` … `eligibility_expiration_date` |
//! | `E`  | enrollment | `enrollment_date` … `comment` |
//! | `C`  | course | `course_title` … `final_grade` |
//! | `T`  | assessment | `title` … `interpretation` |
//!
//! The rows of one student are contiguous and start with its `S` row. The full column lists are
//! in `docs/interchange.md` (and [`columns`]).

use std::io::{self, BufRead, Read, Write};

use puente_domain::RawStudent;

use crate::fields::{
    ALTERNATE_ID, ASSESSMENT, COURSE, DEMOGRAPHICS, ENROLLMENT, Field, HEADER, QUALIFYING_MOVE,
    STUDENT, header_from_text, header_to_text,
};
use crate::{Bad, FileError, FileSummary, Format, Header, Item, Limits, LineError};

/// The record type codes with the column names of each row (including the first two).
pub fn columns() -> Vec<(&'static str, Vec<&'static str>)> {
    fn cols<T>(t: &[Field<T>]) -> Vec<&'static str> {
        ["record_type", "student_record_id"]
            .into_iter()
            .chain(
                t.iter()
                    .map(|f| f.name)
                    .filter(|n| *n != "student_record_id"),
            )
            .collect()
    }
    let header = ["record_type", "student_record_id"]
        .into_iter()
        .chain(HEADER.iter().map(|(_, n)| *n))
        .collect();
    vec![
        ("H", header),
        ("S", cols(STUDENT)),
        ("A", cols(ALTERNATE_ID)),
        ("D", cols(DEMOGRAPHICS)),
        ("Q", cols(QUALIFYING_MOVE)),
        ("E", cols(ENROLLMENT)),
        ("C", cols(COURSE)),
        ("T", cols(ASSESSMENT)),
    ]
}

/// Reads a CSV submission (any encoding [`crate::read_file`] accepts).
pub fn read<R: Read>(
    input: R,
    limits: &Limits,
    on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    crate::read_file(input, Format::Csv, limits, on_student)
}

/// Writes a CSV submission (UTF-8). Every student gets an `S` and a `D` row.
pub fn write<W: Write>(out: W, header: &Header, students: &[RawStudent]) -> io::Result<()> {
    let mut w = ::csv::WriterBuilder::new().flexible(true).from_writer(out);
    w.write_record(
        ["H", ""]
            .into_iter()
            .chain(header_to_text(header).iter().map(String::as_str)),
    )?;
    for s in students {
        row(&mut w, "S", s, &STUDENT[1..], s)?;
        for a in &s.alternate_ids {
            row(&mut w, "A", s, ALTERNATE_ID, a)?;
        }
        row(&mut w, "D", s, DEMOGRAPHICS, &s.demographics)?;
        for m in &s.qualifying_moves {
            row(&mut w, "Q", s, QUALIFYING_MOVE, m)?;
        }
        for e in &s.enrollments {
            row(&mut w, "E", s, ENROLLMENT, e)?;
        }
        for c in &s.courses {
            row(&mut w, "C", s, COURSE, c)?;
        }
        for a in &s.assessments {
            row(&mut w, "T", s, ASSESSMENT, a)?;
        }
    }
    w.flush()
}

fn row<W: Write, T>(
    w: &mut ::csv::Writer<W>,
    kind: &str,
    s: &RawStudent,
    table: &[Field<T>],
    x: &T,
) -> io::Result<()> {
    let lead = [kind, s.student_record_id.as_str()];
    w.write_record(lead.into_iter().chain(table.iter().map(|f| (f.get)(x))))?;
    Ok(())
}

fn parse<T: Default>(
    kind: &str,
    rec: &::csv::StringRecord,
    table: &[Field<T>],
) -> Result<T, String> {
    if rec.len() != table.len() + 2 {
        return Err(format!(
            "a {kind} row has {} columns, this one has {}",
            table.len() + 2,
            rec.len()
        ));
    }
    let mut x = T::default();
    for (f, v) in table.iter().zip(rec.iter().skip(2)) {
        *(f.get_mut)(&mut x) = v.to_string();
    }
    Ok(x)
}

struct Current {
    s: RawStudent,
    line: u64,
    records: u64,
    demographics: bool,
    bad: Option<String>,
}

impl Current {
    fn item(self) -> Item {
        Item {
            line: self.line,
            records: self.records,
            is_student: true,
            result: match self.bad {
                None => Ok(self.s),
                Some(reason) => Err(Bad {
                    id: self.s.student_record_id,
                    reason,
                }),
            },
        }
    }
}

pub(crate) fn read_items<R: BufRead>(
    input: R,
    sink: &mut impl FnMut(Item) -> Result<(), FileError>,
) -> Result<Header, FileError> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut rec = ::csv::StringRecord::new();
    let mut header: Option<Header> = None;
    let mut cur: Option<Current> = None;
    loop {
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, ::csv::Position::line);
                return Err(match e.into_kind() {
                    ::csv::ErrorKind::Io(e) => FileError::Io(e.to_string()),
                    k => FileError::Syntax {
                        line,
                        format: Format::Csv,
                        reason: format!("{k:?}"),
                    },
                });
            }
        }
        let line = rec.position().map_or(0, ::csv::Position::line);
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let kind = rec
            .get(0)
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        let kind = kind.to_ascii_uppercase();
        if header.is_none() {
            if kind != "H" {
                return Err(FileError::Header {
                    line,
                    reason: format!(
                        "the first row must be the H (header) row; found a row of type {kind:?}"
                    ),
                });
            }
            if rec.len() != HEADER.len() + 2 {
                return Err(FileError::Header {
                    line,
                    reason: format!(
                        "an H row has {} columns, this one has {}",
                        HEADER.len() + 2,
                        rec.len()
                    ),
                });
            }
            let mut values: [String; 6] = Default::default();
            for (v, f) in values.iter_mut().zip(rec.iter().skip(2)) {
                *v = f.to_string();
            }
            header = Some(
                header_from_text(&values).map_err(|reason| FileError::Header { line, reason })?,
            );
            continue;
        }
        let id = rec.get(1).unwrap_or("");
        match kind.as_str() {
            "H" => {
                return Err(FileError::Header {
                    line,
                    reason: "the file has a second H (header) row".into(),
                });
            }
            "S" => {
                if let Some(c) = cur.take() {
                    sink(c.item())?;
                }
                let mut c = Current {
                    s: RawStudent::default(),
                    line,
                    records: 1,
                    demographics: false,
                    bad: None,
                };
                match parse("S", &rec, &STUDENT[1..]) {
                    Ok(s) => c.s = s,
                    Err(e) => c.bad = Some(format!("line {line}: {e}")),
                }
                c.s.student_record_id = id.to_string();
                cur = Some(c);
                continue;
            }
            _ => {}
        }
        let counts = kind != "D";
        let Some(c) = cur.as_mut().filter(|c| c.s.student_record_id == id) else {
            // Another student's row: the current student's rows have ended.
            if let Some(c) = cur.take() {
                sink(c.item())?;
            }
            sink(Item {
                line,
                records: u64::from(counts),
                is_student: false,
                result: Err(Bad {
                    id: id.to_string(),
                    reason: format!(
                        "this {kind} row for student record {id:?} does not follow that \
                         student's S row (the rows of a student must be contiguous and start \
                         with its S row)"
                    ),
                }),
            })?;
            continue;
        };
        c.records += u64::from(counts);
        let res = match kind.as_str() {
            "A" => parse("A", &rec, ALTERNATE_ID).map(|x| c.s.alternate_ids.push(x)),
            "D" => {
                if c.demographics {
                    Err("more than one D row".to_string())
                } else {
                    c.demographics = true;
                    parse("D", &rec, DEMOGRAPHICS).map(|x| c.s.demographics = x)
                }
            }
            "Q" => parse("Q", &rec, QUALIFYING_MOVE).map(|x| c.s.qualifying_moves.push(x)),
            "E" => parse("E", &rec, ENROLLMENT).map(|x| c.s.enrollments.push(x)),
            "C" => parse("C", &rec, COURSE).map(|x| c.s.courses.push(x)),
            "T" => parse("T", &rec, ASSESSMENT).map(|x| c.s.assessments.push(x)),
            _ => Err(format!(
                "unknown record type {kind:?} (expected H, S, A, D, Q, E, C or T)"
            )),
        };
        if let Err(e) = res {
            c.bad.get_or_insert(format!("line {line}: {e}"));
        }
    }
    if let Some(c) = cur.take() {
        sink(c.item())?;
    }
    header.ok_or(FileError::Header {
        line: 1,
        reason: "the file has no H (header) row".into(),
    })
}
