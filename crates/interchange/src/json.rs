//! JSON encoding: one document `{"header": {...}, "students": [{...}, ...]}`.
//!
//! Read as a stream: the top-level object is visited member by member and the `students` array
//! element by element, so only one student is in memory at a time. Member names are the
//! `RawStudent`/`Header` field names. A student that is valid JSON but not a valid student (e.g. a
//! number where text is expected) becomes a [`LineError`]; a JSON syntax error rejects the file.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::rc::Rc;

use puente_domain::RawStudent;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::{Bad, FileError, FileSummary, Format, Header, Item, Limits, LineError};

/// Reads a JSON submission (any encoding [`crate::read_file`] accepts).
pub fn read<R: Read>(
    input: R,
    limits: &Limits,
    on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    crate::read_file(input, Format::Json, limits, on_student)
}

/// Writes a JSON submission (UTF-8), one student per line inside the array.
pub fn write<W: Write>(out: W, header: &Header, students: &[RawStudent]) -> io::Result<()> {
    let mut w = BufWriter::new(out);
    w.write_all(b"{\"header\":")?;
    serde_json::to_writer(&mut w, header)?;
    w.write_all(b",\n\"students\":[")?;
    for (i, s) in students.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"\n")?;
        serde_json::to_writer(&mut w, s)?;
    }
    w.write_all(b"\n]}\n")?;
    w.flush()
}

/// Non-header records a student object stands for (1 + its child records), read structurally so
/// it also works for a student that does not deserialize.
pub(crate) fn count_records(v: &Value) -> u64 {
    1 + [
        "alternate_ids",
        "qualifying_moves",
        "enrollments",
        "courses",
        "assessments",
    ]
    .iter()
    .map(|k| v.get(k).and_then(Value::as_array).map_or(0, Vec::len) as u64)
    .sum::<u64>()
}

/// Turns one student value into an item.
pub(crate) fn student_item(v: Value, line: u64) -> Item {
    let records = count_records(&v);
    let id = match v.get("student_record_id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let result = if v.is_object() {
        RawStudent::deserialize(v).map_err(|e| Bad {
            id,
            reason: format!("the student is not valid: {e}"),
        })
    } else {
        Err(Bad {
            id,
            reason: "a student must be a JSON object".into(),
        })
    };
    Item {
        line,
        records,
        is_student: true,
        result,
    }
}

struct Top<'a, F> {
    sink: &'a mut F,
    lines: &'a Rc<Cell<u64>>,
    fatal: &'a mut Option<FileError>,
    header: &'a mut Option<Header>,
}

impl<'de, F: FnMut(Item) -> Result<(), FileError>> Visitor<'de> for Top<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with \"header\" and \"students\"")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut students_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "header" => {
                    let v: Value = map.next_value()?;
                    match Header::deserialize(v) {
                        Ok(h) if self.header.is_none() => *self.header = Some(h),
                        Ok(_) => {
                            let line = self.lines.get() + 1;
                            return Err(self.fail(FileError::Header {
                                line,
                                reason: "the file has a second \"header\"".into(),
                            }));
                        }
                        Err(e) => {
                            let line = self.lines.get() + 1;
                            return Err(self.fail(FileError::Header {
                                line,
                                reason: e.to_string(),
                            }));
                        }
                    }
                }
                "students" => {
                    if students_seen {
                        let line = self.lines.get() + 1;
                        return Err(self.fail(FileError::Syntax {
                            line,
                            format: Format::Json,
                            reason: "the file has a second \"students\" array".into(),
                        }));
                    }
                    students_seen = true;
                    map.next_value_seed(Students {
                        sink: &mut *self.sink,
                        lines: self.lines,
                        fatal: &mut *self.fatal,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<F> Top<'_, F> {
    /// Keeps the file error for `read_items`; the serde error only unwinds the parse.
    fn fail<E: de::Error>(&mut self, e: FileError) -> E {
        let msg = e.to_string();
        *self.fatal = Some(e);
        E::custom(msg)
    }
}

struct Students<'a, F> {
    sink: &'a mut F,
    lines: &'a Rc<Cell<u64>>,
    fatal: &'a mut Option<FileError>,
}

impl<'de, F: FnMut(Item) -> Result<(), FileError>> DeserializeSeed<'de> for Students<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Item) -> Result<(), FileError>> Visitor<'de> for Students<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of students")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            let item = student_item(v, self.lines.get() + 1);
            if let Err(e) = (self.sink)(item) {
                let msg = e.to_string();
                *self.fatal = Some(e);
                return Err(de::Error::custom(msg));
            }
        }
        Ok(())
    }
}

pub(crate) fn read_items<R: Read>(
    input: R,
    lines: &Rc<Cell<u64>>,
    sink: &mut impl FnMut(Item) -> Result<(), FileError>,
) -> Result<Header, FileError> {
    let mut de = serde_json::Deserializer::from_reader(input);
    let mut fatal = None;
    let mut header = None;
    let top = Top {
        sink,
        lines,
        fatal: &mut fatal,
        header: &mut header,
    };
    let res = (&mut de).deserialize_map(top).and_then(|()| de.end());
    if let Err(e) = res {
        if let Some(f) = fatal {
            return Err(f);
        }
        return Err(json_error(&e));
    }
    header.ok_or(FileError::Header {
        line: 1,
        reason: "the file has no \"header\" member".into(),
    })
}

pub(crate) fn json_error(e: &serde_json::Error) -> FileError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => FileError::Truncated {
            line: e.line() as u64,
            reason: "the JSON document is not complete".into(),
        },
        Category::Io => FileError::Io(e.to_string()),
        Category::Syntax | Category::Data => FileError::Syntax {
            line: e.line() as u64,
            format: Format::Json,
            reason: e.to_string(),
        },
    }
}
