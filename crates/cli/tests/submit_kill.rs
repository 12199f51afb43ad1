#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Kills `puente submit` (SIGKILL, a real process kill) in the middle of a large file, then shows
//! that no student is half-written and that sending the file again completes it without
//! duplicates. Runs on the backend under test.

use std::collections::HashMap;
use std::io::BufReader;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use puente_domain::CodeSet;

fn puente() -> Command {
    Command::new(env!("CARGO_BIN_EXE_puente"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_submission_leaves_no_partial_student_and_resending_completes_it() {
    let files = tempfile::tempdir().unwrap();
    let out = puente()
        .args(["generate", "--students", "9000", "--seed", "5", "--out"])
        .arg(files.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The largest state file.
    let file = std::fs::read_dir(files.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let state = file.file_stem().unwrap().to_string_lossy().to_string();
    let (header, reader) = puente_interchange::jsonl::Reader::open(BufReader::new(
        std::fs::File::open(&file).unwrap(),
    ))
    .unwrap();
    let expected: HashMap<String, [usize; 4]> = reader
        .map(|s| {
            let s = s.unwrap();
            (
                s.state_student_id.clone(),
                [
                    s.enrollments.len(),
                    s.qualifying_moves.len(),
                    s.courses.len(),
                    s.assessments.len(),
                ],
            )
        })
        .collect();
    assert!(
        header.total_students > 1500,
        "a large file: {}",
        header.total_students
    );

    let db = puente_testkit::db::test_db().await.unwrap();
    let url = db.url.clone();
    let mut child = puente()
        .args(["submit", "--state", &state, "--db", &url])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until some batches are committed, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = db.store.stats().await.unwrap().state_records;
        if n >= 300 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the submission finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "still running when killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let partial = db.store.stats().await.unwrap().state_records as u64;
    assert!(
        partial > 0 && partial < header.total_students,
        "killed mid-file: {partial} of {}",
        header.total_students
    );
    check_complete_students(&db.store, &expected).await;

    // Re-send: the interrupted submission is processed again and completes.
    let out = puente()
        .args(["submit", "--state", &state, "--db", &url])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("accepted"), "{stdout}");
    let stats = db.store.stats().await.unwrap();
    assert_eq!(
        stats.state_records as u64, header.total_students,
        "every student exactly once"
    );
    check_complete_students(&db.store, &expected).await;
    let state_code = puente_domain::StateCode::parse(&state).unwrap();
    assert_eq!(
        db.store
            .submissions_of_state(state_code.code(), 10)
            .await
            .unwrap()
            .len(),
        1,
        "one submission, completed"
    );
}

/// Every stored student has exactly the child rows its file record has.
async fn check_complete_students(
    store: &puente_store::Store,
    expected: &HashMap<String, [usize; 4]>,
) {
    let mut children: Vec<String> = store
        .link_rows()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.child_id)
        .collect();
    children.sort();
    children.dedup();
    let mut seen = 0;
    for c in children {
        for r in store.records_of_child(&c).await.unwrap() {
            let rec = &r.record;
            let want = expected.get(&rec.state_student_id).unwrap();
            let got = [
                rec.enrollments.len(),
                rec.qualifying_moves.len(),
                rec.courses.len(),
                rec.assessments.len(),
            ];
            assert_eq!(&got, want, "student {} is complete", rec.state_student_id);
            seen += 1;
        }
    }
    assert!(seen > 0);
}
