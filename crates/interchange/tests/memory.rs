#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Reading is a stream: 40,000 students per format (60-90 MB of XML or JSON if materialised) are
//! generated lazily and read while the process's peak memory stays small. One test in this binary
//! so nothing else runs in the process.

use std::io::Read;

use puente_domain::RawStudent;
use puente_domain::records::{RawDemographics, RawEnrollment, RawQualifyingMove};
use puente_interchange::{Format, Header, Limits, read_file, write_file};

fn student(i: usize) -> RawStudent {
    RawStudent {
        student_record_id: i.to_string(),
        reporting_state: "TX".into(),
        state_student_id: format!("TX{i:08}"),
        state_student_id_type: "01".into(),
        action_code: "I".into(),
        demographics: RawDemographics {
            first_name: "José".into(),
            last_name_1: "Peña".into(),
            last_name_2: "Ñúñez".into(),
            birth_date: "20120304".into(),
            birth_city: "x".repeat(1000),
            ..Default::default()
        },
        qualifying_moves: vec![RawQualifyingMove {
            qualifying_arrival_date: "20240812".into(),
            ..Default::default()
        }],
        enrollments: vec![RawEnrollment {
            enrollment_date: "20240820".into(),
            comment: "y".repeat(500),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn text(format: Format, h: &Header, s: &[RawStudent]) -> String {
    let mut out = Vec::new();
    write_file(&mut out, format, h, s).unwrap();
    String::from_utf8(out).unwrap()
}

/// Produces prefix, then one student after another, then suffix.
struct Gen {
    format: Format,
    n: usize,
    i: usize,
    prefix: String,
    suffix: String,
    buf: Vec<u8>,
    pos: usize,
}

impl Gen {
    fn new(format: Format, n: usize) -> Self {
        let h = Header {
            submitting_state: "TX".into(),
            total_students: n as u64,
            total_records: 3 * n as u64,
            ..Default::default()
        };
        let empty = text(format, &h, &[]);
        let (prefix, suffix) = match format {
            Format::Xml => empty.split_at(empty.find("</Submission>").unwrap()),
            Format::Json => empty.split_at(empty.find('[').unwrap() + 1),
            Format::JsonLines | Format::Csv => (empty.as_str(), ""),
        };
        Self {
            format,
            n,
            i: 0,
            prefix: prefix.into(),
            suffix: suffix.into(),
            buf: Vec::new(),
            pos: 0,
        }
    }

    fn chunk(&self, i: usize) -> String {
        let t = text(self.format, &Header::default(), &[student(i)]);
        match self.format {
            Format::Xml => {
                let a = t.find("  <Student>").unwrap();
                let b = t.find("</Student>").unwrap() + "</Student>\n".len();
                t[a..b].to_string()
            }
            Format::Json => {
                let a = t.find('[').unwrap() + 1;
                let b = t.rfind(']').unwrap();
                let sep = if i > 1 { "," } else { "" };
                format!("{sep}{}", t[a..b].trim_end())
            }
            Format::JsonLines | Format::Csv => t[t.find('\n').unwrap() + 1..].to_string(),
        }
    }
}

impl Read for Gen {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            self.pos = 0;
            self.buf = if self.i == 0 {
                self.prefix.clone().into_bytes()
            } else if self.i <= self.n {
                self.chunk(self.i).into_bytes()
            } else if self.i == self.n + 1 {
                self.suffix.clone().into_bytes()
            } else {
                return Ok(0);
            };
            self.i += 1;
        }
        let k = out.len().min(self.buf.len() - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn reading_is_a_stream() {
    let n = 40_000;
    for format in Format::ALL {
        let mut count = 0u64;
        let mut bytes = 0u64;
        let summary = read_file(Gen::new(format, n), format, &Limits::default(), |r| {
            let s = r.unwrap();
            bytes += s.demographics.birth_city.len() as u64;
            count += 1;
        })
        .unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(count, n as u64, "{format}");
        assert_eq!(summary.records, 3 * n as u64);
        assert!(summary.bytes > 60_000_000, "{format}: {}", summary.bytes);
        assert_eq!(bytes, 1000 * n as u64);
    }
    if let Some(peak) = peak_kib() {
        // Some 60-90 MB per format went through; the peak stays far below.
        eprintln!("peak resident memory {peak} KiB");
        assert!(peak < 32 * 1024, "peak resident memory {peak} KiB");
    }
}
