//! JSON Lines encoding: `{"header": {...}}` on the first line, then `{"student": {...}}` per line.

use std::io::{BufRead, Write};

use puente_domain::RawStudent;
use serde::{Deserialize, Serialize};

use crate::{Bad, FileError, Header, Item, LineError};

#[derive(Serialize, Deserialize)]
struct HeaderLine {
    header: Header,
}

#[derive(Serialize, Deserialize)]
struct StudentLine {
    student: RawStudent,
}

/// Writes a header and students as JSON Lines.
pub fn write<W: Write>(
    mut out: W,
    header: &Header,
    students: &[RawStudent],
) -> std::io::Result<()> {
    serde_json::to_writer(
        &mut out,
        &HeaderLine {
            header: header.clone(),
        },
    )?;
    out.write_all(b"\n")?;
    for s in students {
        serde_json::to_writer(&mut out, &StudentLine { student: s.clone() })?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// A streaming reader: the header is read first, then students one line at a time.
pub struct Reader<R: BufRead> {
    input: R,
    line_no: u64,
    buf: String,
}

impl<R: BufRead> std::fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("jsonl::Reader")
            .field("line", &self.line_no)
            .finish()
    }
}

impl<R: BufRead> Reader<R> {
    /// Reads the header line.
    pub fn open(mut input: R) -> Result<(Header, Self), FileError> {
        let mut buf = String::new();
        let mut line_no = 0;
        loop {
            buf.clear();
            let n = input
                .read_line(&mut buf)
                .map_err(|e| FileError::Io(e.to_string()))?;
            if n == 0 {
                return Err(FileError::Empty);
            }
            line_no += 1;
            if !buf.trim().is_empty() {
                break;
            }
        }
        let h: HeaderLine =
            serde_json::from_str(buf.trim_start_matches('\u{feff}')).map_err(|e| {
                FileError::Header {
                    line: line_no,
                    reason: e.to_string(),
                }
            })?;
        Ok((
            h.header,
            Self {
                input,
                line_no,
                buf,
            },
        ))
    }
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<RawStudent, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            match self.input.read_line(&mut self.buf) {
                Ok(0) => return None,
                Ok(_) => {
                    self.line_no += 1;
                    if self.buf.trim().is_empty() {
                        continue;
                    }
                    return Some(
                        serde_json::from_str::<StudentLine>(&self.buf)
                            .map(|s| s.student)
                            .map_err(|e| LineError {
                                line: self.line_no,
                                reason: e.to_string(),
                                ..Default::default()
                            }),
                    );
                }
                Err(e) => {
                    self.line_no += 1;
                    return Some(Err(LineError {
                        line: self.line_no,
                        reason: e.to_string(),
                        ..Default::default()
                    }));
                }
            }
        }
    }
}

/// Reads for [`crate::read_file`]: every non-blank line after the header is one student item.
pub(crate) fn read_items<R: BufRead>(
    input: R,
    sink: &mut impl FnMut(Item) -> Result<(), FileError>,
) -> Result<Header, FileError> {
    let (header, mut r) = Reader::open(input)?;
    loop {
        r.buf.clear();
        let n = r
            .input
            .read_line(&mut r.buf)
            .map_err(|e| FileError::Io(e.to_string()))?;
        if n == 0 {
            break;
        }
        r.line_no += 1;
        if r.buf.trim().is_empty() {
            continue;
        }
        let item = match serde_json::from_str::<serde_json::Value>(&r.buf) {
            Ok(serde_json::Value::Object(mut m)) if m.contains_key("student") => {
                let v = m.remove("student").unwrap_or_default();
                crate::json::student_item(v, r.line_no)
            }
            Ok(_) => Item {
                line: r.line_no,
                records: 1,
                is_student: true,
                result: Err(Bad {
                    id: String::new(),
                    reason: "a line must be an object {\"student\": {...}}".into(),
                }),
            },
            Err(e) => Item {
                line: r.line_no,
                records: 1,
                is_student: true,
                result: Err(Bad {
                    id: String::new(),
                    reason: format!("the line is not valid JSON: {e}"),
                }),
            },
        };
        sink(item)?;
    }
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let s = RawStudent {
            student_record_id: "1".into(),
            demographics: puente_domain::records::RawDemographics {
                first_name: "José".into(),
                last_name_1: "Hernández".into(),
                ..Default::default()
            },
            ..Default::default()
        };
        let header = Header {
            submitting_state: "TX".into(),
            total_students: 1,
            total_records: 1,
            ..Default::default()
        };
        let mut out = Vec::new();
        write(&mut out, &header, std::slice::from_ref(&s)).unwrap();
        let (h, reader) = Reader::open(out.as_slice()).unwrap();
        assert_eq!(h, header);
        let back: Vec<_> = reader.collect::<Result<_, _>>().unwrap();
        assert_eq!(back, vec![s]);
    }

    #[test]
    fn bad_line_does_not_fail_the_file() {
        let text = "{\"header\":{\"submitting_state\":\"TX\"}}\n{\"student\": nonsense}\n{\"student\":{\"student_record_id\":\"2\"}}\n";
        let (_, reader) = Reader::open(text.as_bytes()).unwrap();
        let items: Vec<_> = reader.collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_ref().unwrap_err().line, 2);
        assert_eq!(items[1].as_ref().unwrap().student_record_id, "2");
        assert!(matches!(Reader::open("".as_bytes()), Err(FileError::Empty)));
        assert!(matches!(
            Reader::open("[1,2]\n".as_bytes()),
            Err(FileError::Header { line: 1, .. })
        ));
    }
}
