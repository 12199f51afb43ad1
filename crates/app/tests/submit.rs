#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Submission end to end through the one code path: good, bad and hostile files.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use puente_app::submit::{Channel, Outcome};
use puente_app::{App, FixedClock};
use puente_domain::{RawStudent, StateCode};
use puente_interchange::{Format, header_for, write_file};
use puente_testkit::db::test_db;
use puente_testkit::fixtures::raw_student;

async fn app() -> (App, puente_testkit::db::TestDb) {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    (App::new(db.store.clone(), clock).await.unwrap(), db)
}

/// `n` valid students from the synthetic generator, re-labelled as TX's own records 1..n.
fn tx_students(n: usize) -> Vec<RawStudent> {
    let data = puente_testkit::synth::generate(&puente_testkit::synth::SynthConfig::new(
        n,
        11,
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    ));
    let mut out: Vec<RawStudent> = data.records().take(n).map(|r| r.to_raw()).collect();
    assert_eq!(out.len(), n);
    for (i, s) in out.iter_mut().enumerate() {
        s.student_record_id = (i + 1).to_string();
        s.reporting_state = "TX".into();
        s.state_student_id = format!("T{:09}", i + 1);
    }
    out
}

fn write(dir: &tempfile::TempDir, name: &str, format: Format, students: &[RawStudent]) -> PathBuf {
    let path = dir.path().join(name);
    let header = header_for("TX", "20261123090000000", students);
    write_file(
        std::fs::File::create(&path).unwrap(),
        format,
        &header,
        students,
    )
    .unwrap();
    path
}

#[tokio::test]
async fn every_format_is_accepted_and_msix_ids_come_back() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let students = tx_students(40);
    let mut total = 0;
    for (i, format) in [Format::Xml, Format::Json, Format::JsonLines, Format::Csv]
        .into_iter()
        .enumerate()
    {
        // Each format gets its own IDs so the four files are four sets of children.
        let mut s = students.clone();
        for st in &mut s {
            st.state_student_id = format!("{}{}", i, &st.state_student_id[1..]);
        }
        let path = write(&dir, &format!("tx.{}", format.extension()), format, &s);
        let report = app
            .submit_file(StateCode::TX, Channel::Cli, &path, None)
            .await
            .unwrap();
        assert_eq!(
            report.outcome,
            Outcome::Completed,
            "{format:?}: {:?}",
            report.submission.error
        );
        assert_eq!(report.submission.accepted, Some(40));
        assert_eq!(report.rows.len(), 40);
        assert!(report.rows.iter().all(|r| {
            r.status == "accepted"
                && r.msix_id
                    .as_deref()
                    .is_some_and(|m| puente_domain::MsixId::parse(m).is_ok())
        }));
        total += 40;
    }
    let stats = app.stats().await.unwrap();
    assert_eq!(stats.state_records, total);
}

#[tokio::test]
async fn the_same_file_twice_is_recognised_and_nothing_duplicates() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "tx.jsonl", Format::JsonLines, &tx_students(25));
    let first = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    let before = app.stats().await.unwrap();
    let again = app
        .submit_file(StateCode::TX, Channel::Api, &path, None)
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::AlreadyReceived);
    assert_eq!(again.submission.id, first.submission.id);
    assert_eq!(app.stats().await.unwrap(), before);
}

#[tokio::test]
async fn bad_records_are_listed_and_good_ones_written() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut students = tx_students(10);
    students[2].demographics.first_name = "A".repeat(10_000);
    students[5].demographics.birth_date = "20101345".into();
    students[7].reporting_state = "CA".into(); // another state's record in TX's file
    let path = write(&dir, "tx.xml", Format::Xml, &students);
    let report = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Completed);
    assert_eq!(
        (report.submission.accepted, report.submission.rejected),
        (Some(7), Some(3))
    );
    let long = &report.rows[2];
    assert_eq!(long.status, "rejected");
    assert!(
        long.issues[0]
            .message
            .contains("10000 characters long; the maximum is 50"),
        "{:?}",
        long.issues
    );
    assert!(
        report.rows[5]
            .issues
            .iter()
            .any(|i| i.element == "Birth Date" && i.value == "20101345")
    );
    assert!(
        report.rows[7]
            .issues
            .iter()
            .any(|i| i.rule == puente_domain::Rule::Ownership)
    );
    assert_eq!(app.stats().await.unwrap().state_records, 7);
    let csv = report.to_csv();
    assert!(csv.starts_with(
        "student_record_id,state_student_id,status,msix_id,element,value,rule,severity,message\r\n"
    ));
    assert!(csv.contains("Birth Date,20101345,format,error"));
}

#[tokio::test]
async fn wrong_control_totals_reject_the_whole_file_and_write_nothing() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let students = tx_students(5);
    let path = dir.path().join("tx.jsonl");
    let mut header = header_for("TX", "20261123090000000", &students);
    header.total_students = 6;
    write_file(
        std::fs::File::create(&path).unwrap(),
        Format::JsonLines,
        &header,
        &students,
    )
    .unwrap();
    let report = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    assert_eq!(report.outcome, Outcome::Rejected);
    let reason = report.submission.error.unwrap();
    assert!(reason.contains("total students"), "{reason}");
    assert_eq!(app.stats().await.unwrap().state_records, 0);
}

#[tokio::test]
async fn hostile_files_are_rejected_whole() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]><Submission><Header><SubmittingState>&lol2;</SubmittingState></Header></Submission>";
    let external = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><Submission><Header><SubmittingState>&xxe;</SubmittingState></Header></Submission>";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("laughs.xml", laughs.as_bytes().to_vec()),
        ("xxe.xml", external.as_bytes().to_vec()),
        (
            "garbage.bin",
            vec![0u8, 159, 146, 150, 0, 1, 2, 3, 255, 254, 0, 0],
        ),
        (
            "truncated.xml",
            b"<?xml version=\"1.0\"?><Submission><Header><SubmittingState>TX</SubmittingState>"
                .to_vec(),
        ),
        ("empty.jsonl", Vec::new()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = app
            .submit_file(StateCode::TX, Channel::Cli, &path, None)
            .await
            .unwrap();
        assert_eq!(report.outcome, Outcome::Rejected, "{name}");
        assert!(
            report
                .submission
                .error
                .as_deref()
                .is_some_and(|e| !e.is_empty()),
            "{name}"
        );
    }
    assert_eq!(app.stats().await.unwrap().state_records, 0);
}

#[tokio::test]
async fn windows_1252_names_are_stored_correctly() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut s = raw_student();
    s.demographics.first_name = "Begoña".into();
    s.demographics.last_name_1 = "Núñez".into();
    let path = dir.path().join("tx.xml");
    let mut utf8 = Vec::new();
    write_file(
        &mut utf8,
        Format::Xml,
        &header_for("TX", "20261123090000000", std::slice::from_ref(&s)),
        std::slice::from_ref(&s),
    )
    .unwrap();
    let text = String::from_utf8(utf8)
        .unwrap()
        .replace("encoding=\"UTF-8\"", "encoding=\"windows-1252\"");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file really is Windows-1252"
    );
    std::fs::write(&path, &bytes).unwrap();
    let report = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Outcome::Completed,
        "{:?}",
        report.submission.error
    );
    assert_eq!(report.submission.encoding.as_deref(), Some("windows-1252"));
    let rows = app.store.link_rows().await.unwrap();
    assert_eq!(
        (rows[0].first_name.as_str(), rows[0].last_name_1.as_str()),
        ("Begoña", "Núñez")
    );
}

#[tokio::test]
async fn deletes_apply_to_the_states_own_records_only() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let students = tx_students(3);
    let path = write(&dir, "tx.jsonl", Format::JsonLines, &students);
    app.submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    let mut del = students[0].clone();
    del.action_code = "D".into();
    let mut missing = students[1].clone();
    missing.action_code = "D".into();
    missing.state_student_id = "T000000000".into();
    let path = write(&dir, "tx-del.jsonl", Format::JsonLines, &[del, missing]);
    let report = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    assert_eq!(report.rows[0].status, "deleted");
    assert_eq!(report.rows[1].status, "rejected");
    assert_eq!(app.stats().await.unwrap().state_records, 2);
}

#[tokio::test]
async fn duplicate_student_record_ids_keep_the_first_and_list_the_others() {
    let (app, _db) = app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut students = tx_students(4);
    students[2].student_record_id = students[0].student_record_id.clone();
    let path = write(&dir, "tx.jsonl", Format::JsonLines, &students);
    let report = app
        .submit_file(StateCode::TX, Channel::Cli, &path, None)
        .await
        .unwrap();
    assert_eq!(
        report.outcome,
        Outcome::Completed,
        "{:?}",
        report.submission.error
    );
    assert_eq!(
        (report.submission.accepted, report.submission.rejected),
        (Some(3), Some(1))
    );
    let dup = report.rows.iter().find(|r| r.status == "rejected").unwrap();
    assert!(
        dup.issues[0].message.contains("used twice"),
        "{:?}",
        dup.issues
    );
    assert_eq!(dup.student_record_id, "1");
    assert_eq!(app.stats().await.unwrap().state_records, 3);
}
