#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The storage suite. It runs on the backend named by PUENTE_TEST_BACKEND; CI runs it on both.

use chrono::{TimeZone, Utc};
use puente_domain::StateCode;
use puente_store::{RecordWrite, Store, new_id};
use puente_testkit::db::{postgres_db, sqlite_db, test_db};
use puente_testkit::fixtures::student;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
}

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let lite = sqlite_db().await.unwrap();
    let pg = postgres_db()
        .await
        .expect("PostgreSQL must be reachable for the parity test");
    let a = lite.store.schema().await.unwrap();
    let b = pg.store.schema().await.unwrap();
    assert!(
        a.contains_key("state_records")
            && a.contains_key("audit_events")
            && a.contains_key("users")
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (table, cols) in &a {
        assert_eq!(cols, &b[table], "columns of {table}");
    }
}

#[tokio::test]
async fn a_record_round_trips_with_every_record_type() {
    let db = test_db().await.unwrap();
    let rec = student(
        StateCode::TX,
        "T1",
        "José Luis",
        "Hernández",
        "López",
        "20100314",
    );
    let child = new_id();
    let out = db
        .store
        .write_records(&[RecordWrite {
            record: rec.clone(),
            child_id: child.clone(),
            search_keys: vec![],
            submission_id: None,
            received_at: at(),
        }])
        .await
        .unwrap();
    assert!(out[0].created_child);
    assert_eq!(out[0].child_id, child);
    let stored = db.store.records_of_child(&child).await.unwrap();
    assert_eq!(stored.len(), 1);
    let mut back = stored[0].record.clone();
    assert_eq!(back.msix_id, Some(out[0].msix_id));
    back.msix_id = None;
    assert_eq!(back, rec, "typed record read back equals the one written");
    assert_eq!(stored[0].received_at, at());
    let (resolved_child, msix) = db
        .store
        .resolve_msix(out[0].msix_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (resolved_child.as_str(), msix),
        (child.as_str(), out[0].msix_id)
    );
}

#[tokio::test]
async fn names_are_stored_as_given_and_folded() {
    let db = test_db().await.unwrap();
    let rec = student(StateCode::CA, "C1", "JOSÉ", "Hernández", "Peña", "20100314");
    db.store
        .write_records(&[RecordWrite {
            record: rec,
            child_id: new_id(),
            search_keys: vec![],
            submission_id: None,
            received_at: at(),
        }])
        .await
        .unwrap();
    let rows = db.store.link_rows().await.unwrap();
    assert_eq!(rows[0].first_name, "JOSÉ");
    assert_eq!(rows[0].last_name_2.as_deref(), Some("Peña"));
    const Q: &str = "SELECT first_name_norm, last_name_1_norm, last_name_2_norm FROM state_records";
    let folded: (String, String, Option<String>) = match &db.store {
        Store::Sqlite { read, .. } => sqlx::query_as(Q).fetch_one(read).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(Q).fetch_one(p).await.unwrap(),
    };
    assert_eq!(
        folded,
        (
            "jose".to_string(),
            "hernandez".to_string(),
            Some("pena".to_string())
        )
    );
}

#[tokio::test]
async fn resending_a_record_replaces_it_without_duplicates() {
    let db = test_db().await.unwrap();
    let child = new_id();
    let rec = student(StateCode::TX, "T1", "Ana", "García", "Ruiz", "20120101");
    for _ in 0..3 {
        db.store
            .write_records(&[RecordWrite {
                record: rec.clone(),
                child_id: child.clone(),
                search_keys: vec![],
                submission_id: None,
                received_at: at(),
            }])
            .await
            .unwrap();
    }
    let s = db.store.stats().await.unwrap();
    assert_eq!(
        (
            s.children,
            s.state_records,
            s.enrollments,
            s.courses,
            s.assessments,
            s.qualifying_moves
        ),
        (1, 1, 1, 1, 1, 1)
    );
}

#[tokio::test]
async fn a_record_written_twice_in_one_batch_keeps_its_last_child_rows() {
    let db = test_db().await.unwrap();
    let child = new_id();
    let first = student(StateCode::TX, "T1", "Ana", "García", "Ruiz", "20120101");
    let mut second = first.clone();
    let e = second.enrollments[0].clone();
    second.enrollments = vec![e.clone(), e.clone(), e];
    let write = |record| RecordWrite {
        record,
        child_id: child.clone(),
        search_keys: vec!["s:garcia".into()],
        submission_id: None,
        received_at: at(),
    };
    let out = db
        .store
        .write_records(&[write(first), write(second)])
        .await
        .unwrap();
    assert_eq!(out[0].state_record_id, out[1].state_record_id);
    let s = db.store.stats().await.unwrap();
    assert_eq!((s.children, s.state_records, s.enrollments), (1, 1, 3));
}

#[tokio::test]
async fn a_large_batch_spans_several_multi_row_statements() {
    // 1,200 enrollments (36 columns: 833 rows a statement) and 36,000 search keys (10,000 a
    // statement).
    let db = test_db().await.unwrap();
    let writes: Vec<RecordWrite> = (0..1_200)
        .map(|i| RecordWrite {
            record: student(
                StateCode::CA,
                &format!("C{i}"),
                "Luis",
                "Pérez",
                "",
                "20100505",
            ),
            child_id: new_id(),
            search_keys: (0..30).map(|k| format!("k:{i}:{k}")).collect(),
            submission_id: None,
            received_at: at(),
        })
        .collect();
    db.store.write_records(&writes).await.unwrap();
    let s = db.store.stats().await.unwrap();
    assert_eq!(
        (s.children, s.state_records, s.enrollments, s.courses),
        (1_200, 1_200, 1_200, 1_200)
    );
    let hits = db
        .store
        .search_candidates(&["k:1199:29".to_string()], 10)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
}

#[tokio::test]
async fn records_of_one_new_child_in_one_batch_share_its_msix_id() {
    let db = test_db().await.unwrap();
    let child = new_id();
    let writes = vec![
        RecordWrite {
            record: student(StateCode::TX, "T1", "Ana", "García", "Ruiz", "20120101"),
            child_id: child.clone(),
            search_keys: vec![],
            submission_id: None,
            received_at: at(),
        },
        RecordWrite {
            record: student(StateCode::WA, "W1", "Ana", "Garcia", "", "20120101"),
            child_id: child,
            search_keys: vec![],
            submission_id: None,
            received_at: at(),
        },
    ];
    let out = db.store.write_records(&writes).await.unwrap();
    assert!(out[0].created_child && !out[1].created_child);
    assert_eq!(out[0].msix_id, out[1].msix_id);
    let s = db.store.stats().await.unwrap();
    assert_eq!(
        (s.children, s.state_records, s.interstate_movers),
        (1, 2, 1)
    );
}

#[tokio::test]
async fn delete_marks_the_record_and_stats_follow() {
    let db = test_db().await.unwrap();
    let rec = student(StateCode::FL, "F1", "Ana", "García", "Ruiz", "20120101");
    db.store
        .write_records(&[RecordWrite {
            record: rec,
            child_id: new_id(),
            search_keys: vec![],
            submission_id: None,
            received_at: at(),
        }])
        .await
        .unwrap();
    assert!(
        db.store
            .delete_state_record(StateCode::FL, "F1", at())
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .delete_state_record(StateCode::FL, "F1", at())
            .await
            .unwrap()
    );
    assert!(
        db.store
            .find_state_record(StateCode::FL, "F1")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(db.store.stats().await.unwrap().state_records, 0);
}

#[tokio::test]
async fn stats_count_movers_twins_and_siblings() {
    let db = test_db().await.unwrap();
    let mut w = Vec::new();
    // One child seen in TX and MI (a mover).
    let mover = new_id();
    w.push(RecordWrite {
        record: student(StateCode::TX, "T1", "Ana", "García", "Ruiz", "20120101"),
        child_id: mover.clone(),
        search_keys: vec![],
        submission_id: None,
        received_at: at(),
    });
    w.push(RecordWrite {
        record: student(StateCode::MI, "M1", "Ana", "Garcia", "Ruiz", "20120101"),
        child_id: mover,
        search_keys: vec![],
        submission_id: None,
        received_at: at(),
    });
    // Twins of another family (same parents in the fixture, flagged multiple birth, same DOB).
    let mut t1 = student(StateCode::TX, "T2", "Luis", "Pérez", "Soto", "20150505");
    let mut t2 = student(StateCode::TX, "T3", "Lucía", "Pérez", "Soto", "20150505");
    for t in [&mut t1, &mut t2] {
        t.demographics.multiple_birth = Some(true);
        t.demographics.parent1_first_name = Some("Pedro".into());
        t.demographics.parent1_last_name = Some("Pérez".into());
        t.courses.clear();
        t.enrollments[0].algebra1 = None;
        t.enrollments[0].grade_level = Some(puente_domain::codes::GradeLevel::G05);
    }
    w.push(RecordWrite {
        record: t1,
        child_id: new_id(),
        search_keys: vec![],
        submission_id: None,
        received_at: at(),
    });
    w.push(RecordWrite {
        record: t2,
        child_id: new_id(),
        search_keys: vec![],
        submission_id: None,
        received_at: at(),
    });
    db.store.write_records(&w).await.unwrap();
    let s = db.store.stats().await.unwrap();
    assert_eq!(s.children, 3);
    assert_eq!(s.interstate_movers, 1);
    assert_eq!(s.twins, 2);
    // Ana's family (fixture parents Juan Hernández / María López) has one child; the twins share a
    // birth date: no siblings of different ages yet.
    assert_eq!(s.siblings, 0);
    assert_eq!(s.children_by_state.get("TX"), Some(&3));
    assert_eq!(s.children_by_state.get("MI"), Some(&1));
}

fn audit_event(action: &str) -> puente_store::NewAuditEvent {
    puente_store::NewAuditEvent {
        actor: "tester".into(),
        action: action.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_transactions_audit_events_are_appended_at_commit_and_never_on_rollback() {
    let db = test_db().await.unwrap();
    let mut tx = db.store.begin().await.unwrap();
    tx.append_audit(&audit_event("test.rolled_back"), at());
    drop(tx);
    assert!(db.store.audit_chain_events().await.unwrap().is_empty());

    let mut tx = db.store.begin().await.unwrap();
    tx.append_audit(&audit_event("test.long_action"), at());
    if db.store.backend() == puente_store::Backend::Postgres {
        // The open transaction holds no lock on the chain yet: another append goes through.
        let other = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            db.store.append_audit(&audit_event("test.view"), at()),
        )
        .await
        .expect("an append waited for another transaction's commit")
        .unwrap();
        assert_eq!(other.seq, Some(1));
    }
    let committed = tx.commit().await.unwrap();
    assert_eq!(committed.len(), 1);
    let events = db.store.audit_chain_events().await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    if db.store.backend() == puente_store::Backend::Postgres {
        assert_eq!(actions, ["test.view", "test.long_action"]);
    } else {
        assert_eq!(actions, ["test.long_action"]);
    }
    let mut prev = puente_store::GENESIS_HASH.to_string();
    for e in &events {
        assert_eq!(e.prev_hash, prev);
        assert_eq!(e.hash, puente_store::audit_hash(&prev, e));
        prev = e.hash.clone();
    }
}

#[tokio::test]
async fn postgres_connections_run_without_jit() {
    let db = test_db().await.unwrap();
    if let Store::Postgres(p) = &db.store {
        let (jit,): (String,) = sqlx::query_as("SHOW jit").fetch_one(p).await.unwrap();
        assert_eq!(jit, "off");
    }
}

/// Reconciliation's read of the kept child-count rows: every row of the state and period, in
/// child order, whatever the page size, with the MSIX ID and state student IDs kept in it.
#[tokio::test]
async fn count_lines_are_read_whole_across_pages() {
    use puente_store::{CacheWrite, CountRow, CountScope};
    let db = test_db().await.unwrap();
    let mut children: Vec<String> = (0..5).map(|_| new_id()).collect();
    children.sort();
    let row = |c: &String, i: usize, year: i32| CountRow {
        child_id: c.clone(),
        year,
        category1: if i == 4 {
            "age_out_of_range".into()
        } else {
            "counted".into()
        },
        category2: "no_summer_service".into(),
        age: Some(13),
        grade: None,
        msix_id: format!("M{i}"),
        state_student_ids: if i == 1 {
            vec!["T1".into(), "T1B".into()]
        } else {
            vec![format!("T{i}")]
        },
        pfs: i == 0,
        el: false,
        idea: false,
    };
    let write = |state: &str, counts: Vec<CountRow>| CacheWrite {
        state: state.into(),
        count_scope: CountScope::Untouched,
        counts,
        ..Default::default()
    };
    // Written out of order; another period and another state are not read.
    let mut counts: Vec<CountRow> = children
        .iter()
        .enumerate()
        .map(|(i, c)| row(c, i, 2025))
        .collect();
    counts.reverse();
    counts.push(row(&children[0], 0, 2026));
    db.store
        .report_cache_write(&write("TX", counts))
        .await
        .unwrap();
    db.store
        .report_cache_write(&write("MI", vec![row(&children[2], 9, 2025)]))
        .await
        .unwrap();
    let whole = db.store.report_count_lines("TX", 2025).await.unwrap();
    assert_eq!(
        whole.iter().map(|l| l.child_id.clone()).collect::<Vec<_>>(),
        children
    );
    assert_eq!(whole[1].state_student_ids, vec!["T1", "T1B"]);
    assert_eq!(whole[2].state_student_ids, vec!["T2"]);
    assert_eq!(whole[2].msix_id, "M2");
    assert_eq!(whole[4].category1, "age_out_of_range");
    assert_eq!(whole[0].category2, "no_summer_service");
    for page in [1, 2, 5, 6] {
        assert_eq!(
            db.store
                .report_count_lines_paged("TX", 2025, page)
                .await
                .unwrap(),
            whole,
            "pages of {page}"
        );
    }
    assert_eq!(
        db.store.report_count_lines("TX", 2026).await.unwrap().len(),
        1
    );
    assert!(
        db.store
            .report_count_lines("TX", 2024)
            .await
            .unwrap()
            .is_empty()
    );
}
