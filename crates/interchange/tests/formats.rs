#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use puente_domain::RawStudent;
use puente_domain::records::{
    RawAlternateId, RawAssessment, RawCourse, RawDemographics, RawEnrollment, RawQualifyingMove,
};
use puente_interchange::{
    FileError, FileSummary, Format, Header, Limits, LineError, detect_format, header_for,
    read_file, read_file_detect, write_file,
};

const FIRST: &[&str] = &["José", "María", "Zoë", "Ñandú", "Ana Lucía", "D'Angelo"];
const LAST: &[&str] = &[
    "Peña",
    "Ñúñez",
    "Hernández",
    "O'Brien & <Sons>",
    "Smith, Jr",
    "Gonçalves",
];

fn student(i: usize) -> RawStudent {
    let f = |k: usize| FIRST[(i + k) % FIRST.len()].to_string();
    let l = |k: usize| LAST[(i + k) % LAST.len()].to_string();
    RawStudent {
        student_record_id: (i + 1).to_string(),
        msix_id: if i.is_multiple_of(3) {
            String::new()
        } else {
            format!("{:012}", 100_000 + i)
        },
        reporting_state: "TX".into(),
        state_student_id: format!("TX{i:08}"),
        state_student_id_type: "01".into(),
        action_code: "I".into(),
        alternate_ids: (0..i % 3)
            .map(|k| RawAlternateId {
                alternate_record_id: (k + 1).to_string(),
                alternate_student_id: format!("ALT-{i}-{k}"),
                alternate_student_id_type: "02".into(),
            })
            .collect(),
        demographics: RawDemographics {
            first_name: f(0),
            middle_name: if i.is_multiple_of(2) {
                f(1)
            } else {
                String::new()
            },
            last_name_1: l(0),
            last_name_2: l(2),
            sex: "Female".into(),
            birth_date: format!("2012{:02}{:02}", i % 12 + 1, i % 28 + 1),
            multiple_birth_flag: "No".into(),
            birth_city: "San José \"del\" Cabo".into(),
            birth_country: "MX".into(),
            parent1_first_name: f(2),
            parent1_last_name: l(1),
            parent2_email: "madre@example.org".into(),
            ..Default::default()
        },
        qualifying_moves: (0..1 + i % 2)
            .map(|k| RawQualifyingMove {
                qualifying_arrival_date: format!("20240{}15", k + 1),
                from_city: "Jalisco, Guadalajara".into(),
                from_country: "MX".into(),
                to_city: "Pharr".into(),
                to_state: "TX".into(),
                ..Default::default()
            })
            .collect(),
        enrollments: vec![RawEnrollment {
            enrollment_date: "20240820".into(),
            enrollment_type: "01".into(),
            school_or_project_name: "Escuela Núñez & Peña".into(),
            grade_level: "07".into(),
            comment: format!("line one\nline two\r\nline \"three\" <{i}>  "),
            ..Default::default()
        }],
        courses: (0..i % 4)
            .map(|k| RawCourse {
                course_title: format!("Álgebra {k}"),
                subject_area: "Mathematics".into(),
                credits_granted: "0.50".into(),
                ..Default::default()
            })
            .collect(),
        assessments: if i % 2 == 1 {
            vec![RawAssessment {
                title: "STAAR Matemáticas".into(),
                administration_date: "052024".into(),
                interpretation: "Proficient".into(),
                ..Default::default()
            }]
        } else {
            vec![]
        },
    }
}

fn students(n: usize) -> Vec<RawStudent> {
    (0..n).map(student).collect()
}

fn header(s: &[RawStudent]) -> Header {
    header_for("TX", "20250102030405006", s)
}

fn encode(format: Format, h: &Header, s: &[RawStudent]) -> Vec<u8> {
    let mut out = Vec::new();
    write_file(&mut out, format, h, s).unwrap();
    out
}

type Items = Vec<Result<RawStudent, LineError>>;

fn read(bytes: &[u8], format: Format) -> Result<(FileSummary, Items), FileError> {
    read_with(bytes, format, &Limits::default())
}

fn read_with(
    bytes: &[u8],
    format: Format,
    limits: &Limits,
) -> Result<(FileSummary, Items), FileError> {
    let mut items = Vec::new();
    let summary = read_file(bytes, format, limits, |r| items.push(r))?;
    Ok((summary, items))
}

fn ok(items: Items) -> Vec<RawStudent> {
    items.into_iter().map(|r| r.unwrap()).collect()
}

#[test]
fn round_trip_every_format() {
    let s = students(40);
    let h = header(&s);
    for format in Format::ALL {
        let bytes = encode(format, &h, &s);
        let (summary, items) = read(&bytes, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(ok(items), s, "{format}");
        assert_eq!(summary.header, h, "{format}");
        assert_eq!(summary.format, format);
        assert_eq!(summary.students, 40);
        assert_eq!(summary.accepted, 40);
        assert_eq!(summary.records, h.total_records);
        assert_eq!(summary.encoding, "UTF-8");
        assert!(!summary.bom);
        assert_eq!(summary.bytes, bytes.len() as u64);
        assert_eq!(summary.sha256.len(), 64);
        assert_eq!(detect_format(&bytes, None), Some(format), "{format}");
        // The same again with detection.
        let mut n = 0;
        let again = read_file_detect(bytes.as_slice(), None, &Limits::default(), |_| n += 1);
        assert_eq!(again.unwrap().sha256, summary.sha256);
        assert_eq!(n, 40);
    }
}

#[test]
fn empty_submission_round_trips() {
    let h = header(&[]);
    for format in Format::ALL {
        let bytes = encode(format, &h, &[]);
        let (summary, items) = read(&bytes, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(items.is_empty());
        assert_eq!(summary.header, h);
    }
}

#[test]
fn sha256_is_of_the_raw_bytes() {
    let (summary, _) = read(
        include_bytes!("../../../docs/schema/examples/submission.csv"),
        Format::Csv,
    )
    .unwrap();
    // `sha256sum docs/schema/examples/submission.csv`
    assert_eq!(
        summary.sha256,
        include_str!("../../../docs/schema/examples/submission.csv.sha256")
            .split_whitespace()
            .next()
            .unwrap()
    );
}

#[test]
fn windows_1252_is_decoded() {
    let s = students(3);
    let h = header(&s);
    for format in [Format::Xml, Format::Csv, Format::Json, Format::JsonLines] {
        let text = String::from_utf8(encode(format, &h, &s)).unwrap();
        let text = text.replace(" encoding=\"UTF-8\"", " encoding=\"windows-1252\"");
        let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err());
        let (summary, items) = read(&bytes, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(summary.encoding, "windows-1252", "{format}");
        let back = ok(items);
        assert_eq!(back, s, "{format}");
    }
    let csv = "H,,TX,20250102030405006,1,1,,\r\nS,1,,TX,TX1,01,I\r\nD,1,Jos\u{e9},,Pe\u{f1}a,\u{d1}\u{fa}\u{f1}ez,,,,,,,,,,,,,,,,\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(csv);
    let (_, items) = read(&bytes, Format::Csv).unwrap();
    let d = &items[0].as_ref().unwrap().demographics;
    assert_eq!(
        (
            d.first_name.as_str(),
            d.last_name_1.as_str(),
            d.last_name_2.as_str()
        ),
        ("José", "Peña", "Ñúñez")
    );
}

#[test]
fn utf8_bom_is_accepted() {
    let s = students(2);
    for format in Format::ALL {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(encode(format, &header(&s), &s));
        let (summary, items) = read(&bytes, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(summary.bom);
        assert_eq!(ok(items), s);
        assert_eq!(detect_format(&bytes, None), Some(format));
    }
}

#[test]
fn billion_laughs_is_rejected() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<Submission><Header><SubmittingState>&lol9;</SubmittingState></Header></Submission>"#;
    let e = read(xml.as_bytes(), Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Forbidden { line: 2, .. }), "{e:?}");
    assert!(e.to_string().contains("DOCTYPE"), "{e}");
}

#[test]
fn external_entity_is_rejected() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<Submission><Header><SubmittingState>TX</SubmittingState><TotalStudents>1</TotalStudents><TotalRecords>1</TotalRecords></Header>
<Student><StudentRecordId>1</StudentRecordId><Demographics><FirstName>&xxe;</FirstName></Demographics></Student></Submission>"#;
    let e = read(xml.as_bytes(), Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Forbidden { .. }), "{e:?}");
    // Without a DTD an undeclared entity only spoils its student.
    let xml = xml.replace(
        "<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>",
        "",
    );
    let xml = xml.replace("<TotalStudents>1", "<TotalStudents>2").replace("<TotalRecords>1", "<TotalRecords>2").replace(
        "</Submission>",
        "<Student><StudentRecordId>2</StudentRecordId><Demographics><FirstName>A&#241;a &amp; &#x4A;o</FirstName></Demographics></Student></Submission>",
    );
    let (_, items) = read(xml.as_bytes(), Format::Xml).unwrap();
    let e = items[0].as_ref().unwrap_err();
    assert!(e.reason.contains("&xxe;"), "{e:?}");
    assert_eq!(e.student, 1);
    assert_eq!(e.student_record_id, "1");
    assert_eq!(
        items[1].as_ref().unwrap().demographics.first_name,
        "Aña & Jo"
    );
}

#[test]
fn truncated_files_are_rejected() {
    let s = students(10);
    let h = header(&s);
    for format in [Format::Xml, Format::Json] {
        let bytes = encode(format, &h, &s);
        for cut in [bytes.len() / 2, bytes.len() - 3] {
            let e = read(&bytes[..cut], format).unwrap_err();
            assert!(
                matches!(e, FileError::Truncated { .. }),
                "{format} {cut}: {e:?}"
            );
            assert!(e.to_string().contains("cut off"), "{e}");
        }
    }
    // CSV and JSON Lines cannot tell; the control totals do.
    for format in [Format::Csv, Format::JsonLines] {
        let bytes = encode(format, &h, &s);
        let text = String::from_utf8(bytes).unwrap();
        let cut = text[..text.len() / 2].rfind('\n').unwrap() + 1;
        let e = read(&text.as_bytes()[..cut], format).unwrap_err();
        assert!(
            matches!(e, FileError::ControlTotals { .. }),
            "{format}: {e:?}"
        );
    }
}

#[test]
fn binary_and_empty_files_are_rejected() {
    for format in Format::ALL {
        assert_eq!(read(b"", format).unwrap_err(), FileError::Empty);
        assert_eq!(read(b" \r\n\t\n", format).unwrap_err(), FileError::Empty);
        let e = read(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", format).unwrap_err();
        assert!(matches!(e, FileError::Binary { offset: 5, .. }), "{e:?}");
        let garbage: Vec<u8> = (0..4000u32).map(|i| (i * 7919 % 251) as u8 + 1).collect();
        let e = read(&garbage, format).unwrap_err();
        assert!(matches!(e, FileError::Binary { .. }), "{e:?}");
        let utf16: Vec<u8> = b"\xFF\xFE<\x00S\x00".to_vec();
        let e = read(&utf16, format).unwrap_err();
        assert!(matches!(e, FileError::Encoding { .. }), "{e:?}");
    }
    // NUL far into the file.
    let s = students(2);
    let mut bytes = encode(Format::Xml, &header(&s), &s);
    let mut big = vec![b' '; 100_000];
    big.push(0);
    let at = bytes.len() - "</Submission>\n".len();
    bytes.splice(at..at, big);
    let e = read(&bytes, Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Binary { .. }), "{e:?}");
}

#[test]
fn invalid_utf8_after_a_utf8_start_is_rejected() {
    let s = students(2);
    let mut bytes = encode(Format::Csv, &header(&s), &s);
    bytes.extend(vec![b'\n'; 70_000]);
    bytes.extend(b"S,9,,TX,\xFF\xFE,01,I\n");
    let e = read(&bytes, Format::Csv).unwrap_err();
    assert!(matches!(e, FileError::Encoding { .. }), "{e:?}");
}

#[test]
fn control_totals_are_checked() {
    let s = students(5);
    let mut h = header(&s);
    h.total_students = 6;
    for format in Format::ALL {
        let e = read(&encode(format, &h, &s), format).unwrap_err();
        assert_eq!(
            e,
            FileError::ControlTotals {
                declared: 6,
                found: 5,
                which: "total students"
            },
            "{format}"
        );
    }
    let mut h = header(&s);
    h.total_records -= 1;
    for format in Format::ALL {
        let e = read(&encode(format, &h, &s), format).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::ControlTotals {
                    which: "total records",
                    ..
                }
            ),
            "{format}: {e:?}"
        );
        assert!(e.to_string().contains("declares"));
    }
}

#[test]
fn long_fields_pass_through_and_huge_fields_spoil_the_student() {
    let mut s = students(3);
    s[0].demographics.first_name = "ñ".repeat(10_000);
    s[1].demographics.last_name_1 = "x".repeat(20_000);
    s[2].enrollments[0].comment = "y".repeat(2 * 1024 * 1024);
    let h = header(&s);
    for format in Format::ALL {
        let (summary, items) =
            read(&encode(format, &h, &s), format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(items[0].as_ref().unwrap(), &s[0], "{format}");
        assert_eq!(items[1].as_ref().unwrap(), &s[1], "{format}");
        let e = items[2].as_ref().unwrap_err();
        assert!(e.reason.contains("bytes"), "{format}: {e:?}");
        assert_eq!(e.student, 3);
        assert_eq!(summary.long_fields, 1, "{format}");
        assert_eq!(summary.line_errors, 1);
    }
}

#[test]
fn duplicate_record_ids_keep_the_first() {
    let mut s = students(4);
    s[2].student_record_id = "2".into();
    let h = header(&s);
    for format in Format::ALL {
        let (summary, items) = read(&encode(format, &h, &s), format).unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[1].as_ref().unwrap(), &s[1]);
        let e = items[2].as_ref().unwrap_err();
        assert_eq!(e.student_record_id, "2");
        assert_eq!(e.student, 3);
        assert!(e.reason.contains("used twice"), "{e:?}");
        assert!(items[3].is_ok());
        assert_eq!(summary.duplicates, 1);
        assert_eq!(summary.accepted, 3);
    }
}

#[test]
fn limits_reject_the_file() {
    let s = students(5);
    let h = header(&s);
    for format in Format::ALL {
        let bytes = encode(format, &h, &s);
        let limits = Limits {
            max_students: 4,
            ..Limits::default()
        };
        let e = read_with(&bytes, format, &limits).unwrap_err();
        assert!(
            matches!(e, FileError::TooLarge { limit: 4, .. }),
            "{format}: {e:?}"
        );
        assert!(e.to_string().contains("4 student records"), "{e}");
        let limits = Limits {
            max_bytes: bytes.len() as u64 - 1,
            ..Limits::default()
        };
        let e = read_with(&bytes, format, &limits).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { .. }), "{format}: {e:?}");
        let limits = Limits {
            max_bytes: bytes.len() as u64,
            ..Limits::default()
        };
        read_with(&bytes, format, &limits).unwrap();
    }
}

#[test]
fn one_bad_student_does_not_fail_the_file() {
    let xml = r#"<Submission><Header><SubmittingState>TX</SubmittingState><TotalStudents>3</TotalStudents><TotalRecords>4</TotalRecords></Header>
<Student><StudentRecordId>1</StudentRecordId><Shoe>9</Shoe><Enrollment/></Student>
<Student><StudentRecordId>2</StudentRecordId><Demographics><FirstName>A<b>x</b></FirstName></Demographics></Student>
<Student><StudentRecordId>3</StudentRecordId></Student>
</Submission>"#;
    let (summary, items) = read(xml.as_bytes(), Format::Xml).unwrap();
    assert!(items[0].as_ref().unwrap_err().reason.contains("<Shoe>"));
    assert_eq!(items[0].as_ref().unwrap_err().line, 2);
    assert!(items[1].as_ref().unwrap_err().reason.contains("<b>"));
    assert_eq!(items[2].as_ref().unwrap().student_record_id, "3");
    assert_eq!(summary.line_errors, 2);

    let json = r#"{"header":{"submitting_state":"TX","total_students":3,"total_records":3},
"students":[
{"student_record_id":"1","demographics":{"first_name":5}},
7,
{"student_record_id":"3"}
]}"#;
    let (_, items) = read(json.as_bytes(), Format::Json).unwrap();
    let e = items[0].as_ref().unwrap_err();
    assert_eq!((e.line, e.student_record_id.as_str()), (3, "1"));
    assert!(items[1].is_err());
    assert_eq!(items[2].as_ref().unwrap().student_record_id, "3");

    let csv = "H,,TX,,3,6,,\nS,1,,TX,A1,01,I\nE,1,too,few\nS,2,,TX,A2,01,I\nX,2\nE,7,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,\nS,3,,TX,A3,01,I\n";
    let (summary, items) = read(csv.as_bytes(), Format::Csv).unwrap();
    assert_eq!(items.len(), 4);
    assert!(items[0].as_ref().unwrap_err().reason.contains("line 3"));
    assert!(
        items[1]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("unknown record type")
    );
    let orphan = items[2].as_ref().unwrap_err();
    assert_eq!((orphan.line, orphan.student), (6, 0));
    assert!(orphan.reason.contains("contiguous"));
    assert!(items[3].is_ok());
    assert_eq!((summary.students, summary.records), (3, 6));
}

#[test]
fn missing_or_invalid_headers_are_rejected() {
    let cases: &[(Format, &str)] = &[
        (Format::Xml, "<Submission><Student/></Submission>"),
        (Format::Xml, "<Submission></Submission>"),
        (
            Format::Xml,
            "<Submission><Header><SubmittingState>TX</SubmittingState><TotalStudents>x</TotalStudents><TotalRecords>0</TotalRecords></Header></Submission>",
        ),
        (Format::Xml, "<Other/>"),
        (Format::Json, r#"{"students":[]}"#),
        (
            Format::Json,
            r#"{"header":{"total_students":"many"},"students":[]}"#,
        ),
        (Format::Json, r#"[1,2]"#),
        (Format::JsonLines, "{\"student\":{}}\n"),
        (Format::Csv, "S,1,,TX,A1,01,I\n"),
        (Format::Csv, "H,,TX,2025\n"),
        (Format::Csv, "H,,,2025,0,0,,\n"),
    ];
    for (format, text) in cases {
        let e = read(text.as_bytes(), *format).unwrap_err();
        assert!(
            matches!(e, FileError::Header { .. } | FileError::Syntax { .. }),
            "{format} {text}: {e:?}"
        );
    }
}

#[test]
fn syntax_errors_reject_the_file() {
    let e = read(b"<Submission><Header></Head></Submission>", Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Syntax { .. }), "{e:?}");
    let e = read(b"{\"header\": {}, \"students\": [ {,} ]}", Format::Json).unwrap_err();
    assert!(matches!(e, FileError::Syntax { line: 1, .. }), "{e:?}");
    let e = read(b"<Submission/><Submission/>", Format::Xml).unwrap_err();
    assert!(
        matches!(e, FileError::Syntax { .. } | FileError::Header { .. }),
        "{e:?}"
    );
    let deep = "<a>".repeat(100);
    let e = read(format!("<Submission><Header><SubmittingState>TX</SubmittingState><TotalStudents>0</TotalStudents><TotalRecords>0</TotalRecords></Header><Student>{deep}").as_bytes(), Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Syntax { .. }), "{e:?}");
}

#[test]
fn format_detection() {
    assert_eq!(
        detect_format(b"<?xml version=\"1.0\"?>", None),
        Some(Format::Xml)
    );
    assert_eq!(
        detect_format(b"\xEF\xBB\xBF  <Submission>", None),
        Some(Format::Xml)
    );
    assert_eq!(
        detect_format(b"{\n  \"header\": {", None),
        Some(Format::Json)
    );
    assert_eq!(
        detect_format(b"{\"header\":{}}\n{\"student\":{}}", None),
        Some(Format::JsonLines)
    );
    assert_eq!(
        detect_format(b"{\"header\":{},\"students\":[]}", None),
        Some(Format::Json)
    );
    assert_eq!(
        detect_format(b"{\"header\":{\"submitting_", Some("x.jsonl")),
        Some(Format::JsonLines)
    );
    assert_eq!(detect_format(b"H,,TX,2025", None), Some(Format::Csv));
    assert_eq!(detect_format(b"\"H\",\"\",\"TX\"", None), Some(Format::Csv));
    assert_eq!(detect_format(b"hello", None), None);
    assert_eq!(
        detect_format(b"hello", Some("TX_2025.CSV")),
        Some(Format::Csv)
    );
    assert_eq!(detect_format(b"", Some("a.xml")), Some(Format::Xml));
    assert_eq!(detect_format(b"\x00\x01", Some("a.bin")), None);
    let e = read_file_detect(
        b"hello world".as_slice(),
        Some("a.bin"),
        &Limits::default(),
        |_| {},
    );
    assert_eq!(e.unwrap_err(), FileError::UnknownFormat);
}

#[test]
fn many_students_stream() {
    // A reader that produces 40,000 students lazily; the callback keeps nothing.
    struct Gen {
        i: usize,
        n: usize,
        buf: Vec<u8>,
        pos: usize,
    }
    impl std::io::Read for Gen {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            if self.pos == self.buf.len() {
                self.buf.clear();
                self.pos = 0;
                if self.i == 0 {
                    let h = Header {
                        submitting_state: "TX".into(),
                        total_students: self.n as u64,
                        total_records: 3 * self.n as u64,
                        ..Default::default()
                    };
                    let x = String::from_utf8(encode(Format::Xml, &h, &[])).unwrap();
                    self.buf
                        .extend(x.trim_end().trim_end_matches("</Submission>").as_bytes());
                } else if self.i <= self.n {
                    let mut s = student(0);
                    s.student_record_id = self.i.to_string();
                    s.courses.clear();
                    s.alternate_ids.clear();
                    let x = String::from_utf8(encode(Format::Xml, &header(&[]), &[s])).unwrap();
                    let a = x.find("<Student>").unwrap();
                    let b = x.find("</Student>").unwrap() + "</Student>".len();
                    self.buf.extend(&x.as_bytes()[a..b]);
                } else if self.i == self.n + 1 {
                    self.buf.extend(b"</Submission>\n");
                } else {
                    return Ok(0);
                }
                self.i += 1;
            }
            let k = out.len().min(self.buf.len() - self.pos);
            out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
            self.pos += k;
            Ok(k)
        }
    }
    let n = 40_000;
    let mut count = 0;
    let summary = read_file(
        Gen {
            i: 0,
            n,
            buf: Vec::new(),
            pos: 0,
        },
        Format::Xml,
        &Limits::default(),
        |r| {
            r.unwrap();
            count += 1;
        },
    )
    .unwrap();
    assert_eq!(count, n);
    assert_eq!(summary.students, n as u64);
}

#[test]
fn doc_examples_parse() {
    let examples: [(Format, &str); 4] = [
        (
            Format::Xml,
            include_str!("../../../docs/schema/examples/submission.xml"),
        ),
        (
            Format::Json,
            include_str!("../../../docs/schema/examples/submission.json"),
        ),
        (
            Format::JsonLines,
            include_str!("../../../docs/schema/examples/submission.jsonl"),
        ),
        (
            Format::Csv,
            include_str!("../../../docs/schema/examples/submission.csv"),
        ),
    ];
    let guide = include_str!("../../../docs/interchange.md");
    let mut all = Vec::new();
    for (format, text) in examples {
        assert!(
            guide.contains(text.trim_end()),
            "docs/interchange.md must show the {format} example"
        );
        assert_eq!(detect_format(text.as_bytes(), None), Some(format));
        let (summary, items) =
            read(text.as_bytes(), format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(summary.line_errors, 0, "{format}: {items:?}");
        all.push((summary.header, ok(items)));
    }
    // The four examples hold the same submission.
    for other in &all[1..] {
        assert_eq!(other, &all[0]);
    }
}

/// `cargo test --release -p puente-interchange --test formats throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let s = students(40_000);
    let h = header(&s);
    for format in Format::ALL {
        let t = std::time::Instant::now();
        let bytes = encode(format, &h, &s);
        let w = t.elapsed();
        let t = std::time::Instant::now();
        let mut n = 0;
        let summary = read_file(bytes.as_slice(), format, &Limits::default(), |r| {
            r.unwrap();
            n += 1;
        })
        .unwrap();
        println!(
            "{format:>10}: {:>6.1} MB, write {w:>8.2?}, read {:>8.2?} ({} students)",
            bytes.len() as f64 / 1e6,
            t.elapsed(),
            summary.students
        );
    }
}

#[test]
fn xml_niceties_are_accepted() {
    let xml = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- exported by SIS 4.2 -->
<?sis generator="x"?>
<ps:Submission xmlns:ps="urn:example:puente" version="1">
  <ps:Header><ps:SubmittingState>TX</ps:SubmittingState><ps:TotalStudents> 1 </ps:TotalStudents><ps:TotalRecords>1</ps:TotalRecords></ps:Header>
  <ps:Student id="ignored">
    <ps:StudentRecordId>1</ps:StudentRecordId>
    <!-- a comment -->
    <ps:Demographics><ps:FirstName><![CDATA[Ana <María>]]></ps:FirstName><ps:LastName1>Peña&#x20;Ruiz</ps:LastName1><ps:Suffix/></ps:Demographics>
  </ps:Student>
</ps:Submission>
"#;
    let (_, items) = read(xml.as_bytes(), Format::Xml).unwrap();
    let d = &items[0].as_ref().unwrap().demographics;
    assert_eq!(d.first_name, "Ana <María>");
    assert_eq!(d.last_name_1, "Peña Ruiz");
}

#[test]
fn entity_declarations_outside_a_doctype_are_rejected() {
    let xml = "<!ENTITY x \"y\"><Submission/>";
    let e = read(xml.as_bytes(), Format::Xml).unwrap_err();
    assert!(matches!(e, FileError::Syntax { .. }), "{e:?}");
    let xml = "<Submission><Header><SubmittingState>TX</SubmittingState><TotalStudents>0</TotalStudents><TotalRecords>0</TotalRecords></Header></Submission>\n<!DOCTYPE late>";
    let e = read(xml.as_bytes(), Format::Xml).unwrap_err();
    assert!(
        matches!(e, FileError::Forbidden { .. } | FileError::Syntax { .. }),
        "{e:?}"
    );
}
