//! XML encoding: `<Submission><Header>…</Header><Student>…</Student>…</Submission>`.
//!
//! Read as a stream of events (quick-xml), never the whole file. A DOCTYPE (and with it any DTD
//! or entity declaration) rejects the file; only the five predefined entities and numeric
//! character references are recognised. Element names are the PascalCase forms of the
//! `RawStudent` field names (see `docs/interchange.md` and `docs/schema/puente-submission.xsd`).

use std::cell::Cell;
use std::io::{self, BufRead, BufWriter, Read, Write};
use std::rc::Rc;

use puente_domain::RawStudent;
use quick_xml::errors::{Error as XmlError, SyntaxError};
use quick_xml::events::Event;

use crate::fields::{
    ALTERNATE_ID, ASSESSMENT, COURSE, DEMOGRAPHICS, ENROLLMENT, Field, HEADER, QUALIFYING_MOVE,
    STUDENT, header_from_text, header_to_text,
};
use crate::{Bad, FileError, FileSummary, Format, Header, Item, Limits, LineError};

/// Deeper nesting than this rejects the file (the format needs 4 levels).
const MAX_DEPTH: usize = 32;

/// Reads an XML submission (any encoding [`crate::read_file`] accepts).
pub fn read<R: Read>(
    input: R,
    limits: &Limits,
    on_student: impl FnMut(Result<RawStudent, LineError>),
) -> Result<FileSummary, FileError> {
    crate::read_file(input, Format::Xml, limits, on_student)
}

/// Writes an XML submission (UTF-8). Empty elements are left out.
pub fn write<W: Write>(out: W, header: &Header, students: &[RawStudent]) -> io::Result<()> {
    let mut w = BufWriter::new(out);
    w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Submission>\n  <Header>")?;
    for ((xml, _), v) in HEADER.iter().zip(header_to_text(header)) {
        leaf(&mut w, xml, &v)?;
    }
    w.write_all(b"</Header>\n")?;
    for s in students {
        w.write_all(b"  <Student>")?;
        for f in STUDENT {
            leaf(&mut w, f.xml, (f.get)(s))?;
        }
        for a in &s.alternate_ids {
            record(&mut w, "AlternateId", ALTERNATE_ID, a)?;
        }
        record(&mut w, "Demographics", DEMOGRAPHICS, &s.demographics)?;
        for m in &s.qualifying_moves {
            record(&mut w, "QualifyingMove", QUALIFYING_MOVE, m)?;
        }
        for e in &s.enrollments {
            record(&mut w, "Enrollment", ENROLLMENT, e)?;
        }
        for c in &s.courses {
            record(&mut w, "Course", COURSE, c)?;
        }
        for a in &s.assessments {
            record(&mut w, "Assessment", ASSESSMENT, a)?;
        }
        w.write_all(b"</Student>\n")?;
    }
    w.write_all(b"</Submission>\n")?;
    w.flush()
}

fn record<W: Write, T>(w: &mut W, tag: &str, table: &[Field<T>], x: &T) -> io::Result<()> {
    write!(w, "\n    <{tag}>")?;
    for f in table {
        leaf(w, f.xml, (f.get)(x))?;
    }
    write!(w, "</{tag}>")
}

fn leaf<W: Write>(w: &mut W, name: &str, v: &str) -> io::Result<()> {
    if v.is_empty() {
        return Ok(());
    }
    write!(w, "<{name}>")?;
    let mut last = 0;
    for (i, c) in v.char_indices() {
        let rep = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\r' => "&#13;",
            _ => continue,
        };
        w.write_all(&v.as_bytes()[last..i])?;
        w.write_all(rep.as_bytes())?;
        last = i + c.len_utf8();
    }
    w.write_all(&v.as_bytes()[last..])?;
    write!(w, "</{name}>")
}

// ---------------------------------------------------------------- reading

enum Ev {
    Start(String),
    Empty(String),
    End,
    Text(String),
    BadRef(String),
    Skip,
    Eof,
}

struct X<R> {
    r: quick_xml::Reader<R>,
    buf: Vec<u8>,
    lines: Rc<Cell<u64>>,
    depth: usize,
}

impl<R: BufRead> X<R> {
    fn line(&self) -> u64 {
        self.lines.get() + 1
    }

    fn truncated(&self, reason: &str) -> FileError {
        FileError::Truncated {
            line: self.line(),
            reason: reason.into(),
        }
    }

    fn syntax(&self, reason: impl Into<String>) -> FileError {
        FileError::Syntax {
            line: self.line(),
            format: Format::Xml,
            reason: reason.into(),
        }
    }

    fn next(&mut self) -> Result<Ev, FileError> {
        self.buf.clear();
        let start_line = self.line();
        let ev = match self.r.read_event_into(&mut self.buf) {
            Ok(ev) => ev,
            Err(e) => {
                let line = self.lines.get() + 1;
                return Err(match e {
                    XmlError::Io(e) => FileError::Io(e.to_string()),
                    XmlError::Syntax(SyntaxError::InvalidBangMarkup) => FileError::Syntax {
                        line,
                        format: Format::Xml,
                        reason: SyntaxError::InvalidBangMarkup.to_string(),
                    },
                    XmlError::Syntax(e) => FileError::Truncated {
                        line,
                        reason: e.to_string(),
                    },
                    e => FileError::Syntax {
                        line,
                        format: Format::Xml,
                        reason: e.to_string(),
                    },
                });
            }
        };
        let name = |n: &str| n.to_owned();
        Ok(match ev {
            Event::Start(e) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.syntax("elements are nested too deeply"));
                }
                Ev::Start(name(e.local_name().as_ref()))
            }
            Event::Empty(e) => Ev::Empty(name(e.local_name().as_ref())),
            Event::End(_) => {
                self.depth = self.depth.saturating_sub(1);
                Ev::End
            }
            Event::Text(t) => Ev::Text(t.xml10_content().into_owned()),
            Event::CData(t) => Ev::Text(t.into_inner().into_owned()),
            Event::GeneralRef(r) => {
                let n = r.to_string();
                if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => Ev::Text(c.to_string()),
                        _ => Ev::BadRef(n),
                    }
                } else {
                    match n.as_str() {
                        "lt" => Ev::Text("<".into()),
                        "gt" => Ev::Text(">".into()),
                        "amp" => Ev::Text("&".into()),
                        "apos" => Ev::Text("'".into()),
                        "quot" => Ev::Text("\"".into()),
                        _ => Ev::BadRef(n),
                    }
                }
            }
            Event::Comment(_) | Event::PI(_) | Event::Decl(_) => Ev::Skip,
            Event::DocType(_) => {
                return Err(FileError::Forbidden {
                    line: start_line,
                    reason: "the file contains a <!DOCTYPE> declaration; DTDs and entity \
                             declarations are not accepted (for security); remove it"
                        .into(),
                });
            }
            Event::Eof => Ev::Eof,
        })
    }

    /// Skips the rest of the element just started.
    fn skip(&mut self) -> Result<(), FileError> {
        let target = self.depth.saturating_sub(1);
        while self.depth > target {
            if let Ev::Eof = self.next()? {
                return Err(self.truncated("an element is not closed"));
            }
        }
        Ok(())
    }

    /// Reads the text of a leaf element just started. Outer error: the file; inner: the student.
    fn leaf(&mut self, hard: usize) -> Result<Result<String, String>, FileError> {
        let mut s = String::new();
        let mut bad: Option<String> = None;
        loop {
            match self.next()? {
                Ev::Text(t) => {
                    if bad.is_none() {
                        if s.len() + t.len() > hard {
                            bad = Some(format!(
                                "the element is longer than the {hard} bytes any element may have"
                            ));
                            s = String::new();
                        } else {
                            s.push_str(&t);
                        }
                    }
                }
                Ev::BadRef(n) => {
                    bad.get_or_insert(undefined_entity(&n));
                }
                Ev::Start(n) => {
                    bad.get_or_insert(format!("unexpected element <{n}> inside a text element"));
                    self.skip()?;
                }
                Ev::Empty(n) => {
                    bad.get_or_insert(format!("unexpected element <{n}> inside a text element"));
                }
                Ev::End => return Ok(bad.map_or(Ok(s), Err)),
                Ev::Skip => {}
                Ev::Eof => return Err(self.truncated("an element is not closed")),
            }
        }
    }

    /// Reads a child record (`<Enrollment>` …) just started (or empty).
    fn record<T: Default>(
        &mut self,
        tag: &str,
        table: &[Field<T>],
        empty: bool,
        hard: usize,
        bad: &mut Option<String>,
    ) -> Result<T, FileError> {
        let mut x = T::default();
        if empty {
            return Ok(x);
        }
        loop {
            match self.next()? {
                Ev::Start(n) => match table.iter().find(|f| f.xml == n) {
                    Some(f) => match self.leaf(hard)? {
                        Ok(v) => *(f.get_mut)(&mut x) = v,
                        Err(e) => note(bad, format!("<{tag}>/<{n}>: {e}")),
                    },
                    None => {
                        note(bad, format!("unknown element <{n}> in <{tag}>"));
                        self.skip()?;
                    }
                },
                Ev::Empty(n) => {
                    if !table.iter().any(|f| f.xml == n) {
                        note(bad, format!("unknown element <{n}> in <{tag}>"));
                    }
                }
                Ev::End => return Ok(x),
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) => note(bad, format!("text directly inside <{tag}>")),
                Ev::BadRef(n) => note(bad, undefined_entity(&n)),
                Ev::Skip => {}
                Ev::Eof => return Err(self.truncated("a <Student> is not closed")),
            }
        }
    }

    /// Reads a `<Student>` just started (or empty): the student, its record count, a problem.
    fn student(
        &mut self,
        empty: bool,
        hard: usize,
    ) -> Result<(RawStudent, u64, Option<String>), FileError> {
        let mut s = RawStudent::default();
        let mut bad = None;
        let mut records = 1;
        let mut demographics = false;
        if empty {
            return Ok((s, records, bad));
        }
        loop {
            let (n, empty) = match self.next()? {
                Ev::Start(n) => (n, false),
                Ev::Empty(n) => (n, true),
                Ev::End => return Ok((s, records, bad)),
                Ev::Text(t) if t.trim().is_empty() => continue,
                Ev::Text(_) => {
                    note(&mut bad, "text directly inside <Student>".into());
                    continue;
                }
                Ev::BadRef(n) => {
                    note(&mut bad, undefined_entity(&n));
                    continue;
                }
                Ev::Skip => continue,
                Ev::Eof => return Err(self.truncated("a <Student> is not closed")),
            };
            if let Some(f) = STUDENT.iter().find(|f| f.xml == n) {
                if !empty {
                    match self.leaf(hard)? {
                        Ok(v) => *(f.get_mut)(&mut s) = v,
                        Err(e) => note(&mut bad, format!("<{n}>: {e}")),
                    }
                }
                continue;
            }
            let b = &mut bad;
            match n.as_str() {
                "AlternateId" => {
                    records += 1;
                    let r = self.record(&n, ALTERNATE_ID, empty, hard, b)?;
                    s.alternate_ids.push(r);
                }
                "Demographics" => {
                    if demographics {
                        note(b, "more than one <Demographics>".into());
                    }
                    demographics = true;
                    s.demographics = self.record(&n, DEMOGRAPHICS, empty, hard, b)?;
                }
                "QualifyingMove" => {
                    records += 1;
                    let r = self.record(&n, QUALIFYING_MOVE, empty, hard, b)?;
                    s.qualifying_moves.push(r);
                }
                "Enrollment" => {
                    records += 1;
                    let r = self.record(&n, ENROLLMENT, empty, hard, b)?;
                    s.enrollments.push(r);
                }
                "Course" => {
                    records += 1;
                    let r = self.record(&n, COURSE, empty, hard, b)?;
                    s.courses.push(r);
                }
                "Assessment" => {
                    records += 1;
                    let r = self.record(&n, ASSESSMENT, empty, hard, b)?;
                    s.assessments.push(r);
                }
                _ => {
                    note(b, format!("unknown element <{n}> in <Student>"));
                    if !empty {
                        self.skip()?;
                    }
                }
            }
        }
    }

    fn header(&mut self) -> Result<Header, FileError> {
        let line = self.line();
        let mut values: [String; 6] = Default::default();
        let mut bad = None;
        loop {
            match self.next()? {
                Ev::Start(n) => match HEADER.iter().position(|(x, _)| *x == n) {
                    Some(i) => match self.leaf(4096)? {
                        Ok(v) => values[i] = v,
                        Err(e) => note(&mut bad, format!("<{n}>: {e}")),
                    },
                    None => {
                        note(&mut bad, format!("unknown element <{n}> in <Header>"));
                        self.skip()?;
                    }
                },
                Ev::Empty(n) => {
                    if !HEADER.iter().any(|(x, _)| *x == n) {
                        note(&mut bad, format!("unknown element <{n}> in <Header>"));
                    }
                }
                Ev::End => break,
                Ev::Text(t) if t.trim().is_empty() => {}
                Ev::Text(_) => note(&mut bad, "text directly inside <Header>".into()),
                Ev::BadRef(n) => note(&mut bad, undefined_entity(&n)),
                Ev::Skip => {}
                Ev::Eof => return Err(self.truncated("the <Header> is not closed")),
            }
        }
        if let Some(reason) = bad {
            return Err(FileError::Header { line, reason });
        }
        header_from_text(&values).map_err(|reason| FileError::Header { line, reason })
    }
}

fn note(bad: &mut Option<String>, reason: String) {
    bad.get_or_insert(reason);
}

fn undefined_entity(n: &str) -> String {
    format!(
        "undefined entity or bad character reference &{n};; only &lt; &gt; &amp; &apos; &quot; \
         and numeric character references are allowed"
    )
}

pub(crate) fn read_items<R: BufRead>(
    input: R,
    lines: &Rc<Cell<u64>>,
    limits: &Limits,
    sink: &mut impl FnMut(Item) -> Result<(), FileError>,
) -> Result<Header, FileError> {
    let mut r = quick_xml::Reader::from_reader(input);
    r.config_mut().check_end_names = true;
    let mut x = X {
        r,
        buf: Vec::with_capacity(4096),
        lines: lines.clone(),
        depth: 0,
    };
    let hard = limits.max_field_bytes_hard;
    // Prolog.
    loop {
        match x.next()? {
            Ev::Skip => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Start(n) if n == "Submission" => break,
            Ev::Start(n) | Ev::Empty(n) => {
                return Err(x.syntax(format!(
                    "the root element must be <Submission>, found <{n}>"
                )));
            }
            Ev::Eof => {
                return Err(FileError::Header {
                    line: x.line(),
                    reason: "the file has no <Submission> element".into(),
                });
            }
            _ => return Err(x.syntax("text before the <Submission> element")),
        }
    }
    let mut header = None;
    loop {
        match x.next()? {
            Ev::Start(n) if n == "Header" => {
                if header.is_some() {
                    return Err(FileError::Header {
                        line: x.line(),
                        reason: "the file has a second <Header>".into(),
                    });
                }
                header = Some(x.header()?);
            }
            Ev::Empty(n) if n == "Header" => {
                return Err(FileError::Header {
                    line: x.line(),
                    reason: "the <Header> is empty".into(),
                });
            }
            Ev::Start(n) | Ev::Empty(n) if n == "Student" => {
                // A start tag raised the depth to 2 (Submission, Student); `<Student/>` did not.
                let empty = x.depth == 1;
                let line = x.line();
                if header.is_none() {
                    return Err(FileError::Header {
                        line,
                        reason: "the <Header> must come before the first <Student>".into(),
                    });
                }
                let (s, records, bad) = x.student(empty, hard)?;
                let result = match bad {
                    None => Ok(s),
                    Some(reason) => Err(Bad {
                        id: s.student_record_id,
                        reason,
                    }),
                };
                sink(Item {
                    line,
                    records,
                    is_student: true,
                    result,
                })?;
            }
            Ev::End => break,
            Ev::Skip => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Start(n) | Ev::Empty(n) => {
                return Err(x.syntax(format!(
                    "unexpected element <{n}> in <Submission>; expected <Header> or <Student>"
                )));
            }
            Ev::Text(_) | Ev::BadRef(_) => {
                return Err(x.syntax("text directly inside <Submission>"));
            }
            Ev::Eof => return Err(x.truncated("the closing </Submission> is missing")),
        }
    }
    // Epilog.
    loop {
        match x.next()? {
            Ev::Skip => {}
            Ev::Text(t) if t.trim().is_empty() => {}
            Ev::Eof => break,
            _ => return Err(x.syntax("content after </Submission>")),
        }
    }
    header.ok_or(FileError::Header {
        line: 1,
        reason: "the file has no <Header>".into(),
    })
}
