#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Child count, reconciliation and data quality over a hand-built store whose counts are known.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use puente_app::reports::CountList;
use puente_app::{Actor, App, AppError, FixedClock};
use puente_domain::StateCode;
use puente_domain::childcount::NotCounted;
use puente_domain::codes::{EnrollmentType, GradeLevel};
use puente_domain::records::{Enrollment, QualifyingMove, StudentRecord};
use puente_domain::roles::{Role, Scope};
use puente_store::RecordWrite;
use puente_testkit::db::{TestDb, test_db};
use puente_testkit::fixtures::student;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn actor(role: Role, scope: Scope) -> Actor {
    Actor {
        user_id: format!("u-{}", role.code()),
        role,
        scope,
        source_ip: None,
    }
}

fn tx_admin() -> Actor {
    actor(Role::DataAdministrator, Scope::State { state: "TX".into() })
}

fn with_move(mut r: StudentRecord, qad: NaiveDate, exp: NaiveDate) -> StudentRecord {
    r.qualifying_moves = vec![QualifyingMove {
        qualifying_arrival_date: qad,
        from_city: None,
        from_state: None,
        from_country: None,
        to_city: None,
        to_state: None,
        eligibility_expiration_date: exp,
        expiration_defaulted: false,
    }];
    r
}

fn summer(mut r: StudentRecord) -> StudentRecord {
    let mut e: Enrollment = r.enrollments[0].clone();
    e.enrollment_type = Some(EnrollmentType::MepSummer);
    e.enrollment_date = d(2026, 6, 15);
    e.withdrawal_date = Some(d(2026, 7, 31));
    e.grade_level = Some(GradeLevel::G10);
    r.enrollments.push(e);
    r
}

/// TX: A (Category 1, also has an MI record), B (Category 2), C (QAD after the period),
/// D1 and D2 (one child entered twice: same name and birth date, two children).
async fn setup() -> (App, TestDb, Vec<String>) {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    let base = |st, ssid: &str, first: &str, last: &str, birth: &str| {
        student(st, ssid, first, last, "", birth)
    };
    let recs: Vec<(&str, StudentRecord)> = vec![
        (
            "child-a",
            base(StateCode::TX, "TA", "Jose", "Hernandez", "20100314"),
        ),
        (
            "child-a",
            base(StateCode::MI, "MA", "Jose", "Hernandez", "20100314"),
        ),
        (
            "child-b",
            summer(base(StateCode::TX, "TB", "Luis", "Gomez", "20110101")),
        ),
        (
            "child-c",
            with_move(
                base(StateCode::TX, "TC", "Eva", "Diaz", "20090505"),
                d(2026, 9, 15),
                d(2029, 9, 15),
            ),
        ),
        (
            "child-d1",
            base(StateCode::TX, "TD1", "Ana", "Ruiz", "20120101"),
        ),
        (
            "child-d2",
            base(StateCode::TX, "TD2", "ANA", "RUIZ", "20120101"),
        ),
    ];
    let msix = write_all(&db, recs).await;
    (app, db, msix)
}

#[tokio::test]
async fn child_count_of_a_state_with_known_children() {
    let (app, db, msix) = setup().await;
    let before = db.store.audit_chain_events().await.unwrap().len();
    let r = app.child_count(&tx_admin(), "TX", 2025).await.unwrap();
    assert_eq!(r.period.start, d(2025, 9, 1));
    assert_eq!(r.tally.children, 5);
    assert_eq!(r.tally.totals.category1, 4, "A, B, D1, D2");
    assert_eq!(r.tally.totals.category2, 1, "B");
    assert_eq!(r.tally.not_counted_category1["qad_after_period"], 1);
    assert_eq!(r.tally.by_grade["10"].category2, 1);
    assert_eq!(r.tally.by_grade["none"].category1, 3);
    assert_eq!(
        r.tally.by_age[&15].category1, 1,
        "A is 15 on 1 September 2025"
    );
    assert_eq!(r.possible_duplicates, 2, "D1 and D2 are counted twice");
    let mut dups = r.possible_duplicate_msix_ids.clone();
    dups.sort();
    let mut expected = vec![msix[4].clone(), msix[5].clone()];
    expected.sort();
    assert_eq!(dups, expected);
    assert!(!r.pii_redacted);
    assert_eq!(
        db.store.audit_chain_events().await.unwrap().len(),
        before + 1
    );

    // MI counts its own record of A, once.
    let mi = app
        .child_count(
            &actor(Role::DataAdministrator, Scope::State { state: "MI".into() }),
            "MI",
            2025,
        )
        .await
        .unwrap();
    assert_eq!(mi.tally.totals.category1, 1);

    // Drill-down, audited.
    let before = db.store.audit_chain_events().await.unwrap().len();
    let c2 = app
        .child_count_list(&tx_admin(), "TX", 2025, CountList::Category2)
        .await
        .unwrap();
    assert_eq!(c2, vec![msix[2].clone()]);
    let late = app
        .child_count_list(
            &tx_admin(),
            "TX",
            2025,
            CountList::NotCounted(NotCounted::QadAfterPeriod),
        )
        .await
        .unwrap();
    assert_eq!(late, vec![msix[3].clone()]);
    assert_eq!(
        db.store.audit_chain_events().await.unwrap().len(),
        before + 2
    );

    // The next period: C is counted, A/B/D are still eligible (QAD 2024-08-10 + 36 months).
    let next = app.child_count(&tx_admin(), "TX", 2026).await.unwrap();
    assert_eq!(next.tally.totals.category1, 5);
}

#[tokio::test]
async fn national_totals_count_a_mover_once_per_state_without_pii() {
    let (app, _db, _) = setup().await;
    let federal = actor(Role::FederalViewer, Scope::National);
    let n = app.national_child_count(&federal, 2025).await.unwrap();
    assert_eq!(n.by_state["TX"].totals.category1, 4);
    assert_eq!(n.by_state["MI"].totals.category1, 1);
    assert_eq!(n.total.totals.category1, 5);
    // Each child once: A (counted in TX and in MI) once; D1 and D2 are two children until
    // merged.
    assert_eq!(
        (n.unduplicated.category1, n.unduplicated.category2),
        (4, 1),
        "A, B, D1, D2; B"
    );
    let r = app.child_count(&federal, "TX", 2025).await.unwrap();
    assert!(r.pii_redacted);
    assert!(r.possible_duplicate_msix_ids.is_empty());
    assert_eq!(r.possible_duplicates, 2);
    assert!(matches!(
        app.child_count_list(&federal, "TX", 2025, CountList::Category1)
            .await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn reports_are_scoped_and_need_the_capability() {
    let (app, _db, _) = setup().await;
    let mi = actor(Role::DataAdministrator, Scope::State { state: "MI".into() });
    assert!(matches!(
        app.child_count(&mi, "TX", 2025).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.data_quality(&mi, "TX").await,
        Err(AppError::Forbidden)
    ));
    let teacher = actor(Role::SecondaryUser, Scope::State { state: "TX".into() });
    assert!(matches!(
        app.child_count(&teacher, "TX", 2025).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.national_child_count(&tx_admin(), 2025).await,
        Err(AppError::Forbidden)
    ));
    assert!(app.child_count(&Actor::system(), "TX", 2025).await.is_ok());
    assert!(matches!(
        app.child_count(&Actor::system(), "XX", 2025).await,
        Err(AppError::Invalid(_))
    ));
}

#[tokio::test]
async fn reconciliation_lists_differences_with_reasons() {
    let (app, _db, msix) = setup().await;
    let csv = "state_student_id,category\nTA,1\nTB,1\nTC,1\nTD1,1\nTZ,2\n";
    let r = app.reconcile(&tx_admin(), "TX", 2025, csv).await.unwrap();
    let got: Vec<(&str, &str)> = r
        .iter()
        .map(|l| (l.state_student_id.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("TB", "puente_counts_category_2"),
            ("TC", "qad_after_period"),
            ("TD1", "possible_duplicate"),
            ("TD2", "not_on_state_list"),
            ("TD2", "possible_duplicate"),
            ("TZ", "unknown_state_student_id"),
        ]
    );
    assert_eq!(r[1].msix_id.as_deref(), Some(msix[3].as_str()));
    assert!(matches!(
        app.reconcile(&tx_admin(), "TX", 2025, "id\n1\n").await,
        Err(AppError::Invalid(_))
    ));
}

#[tokio::test]
async fn data_quality_counts_findings_with_drill_down() {
    let (app, db, msix) = setup().await;
    puente_testkit::fixtures::submission_with_results(
        &db.store,
        "TX",
        Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap(),
        &[("TBAD", "rejected", "[]".into())],
    )
    .await
    .unwrap();
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.as_of, d(2026, 11, 23));
    assert_eq!(q.tally.children, 5);
    assert_eq!(q.rejected_students, 1);
    // Grade 9 students without a designated graduation school or transcript flag.
    assert_eq!(q.tally.by_code["missing.designated_graduation_school"], 5);
    assert_eq!(q.tally.by_code["missing.out_of_state_transcript"], 5);
    // Enrolled 26 August 2024, first received November 2026: late.
    assert_eq!(q.tally.by_code["late.enrollment"], 5);
    // C's QAD is in the future of the report date? No: 15 September 2026 is before 23 November.
    assert!(!q.tally.by_code.contains_key("implausible.qad_future"));
    assert_eq!(q.tally.by_district["4845120"].children, 5);
    assert!(!q.tally.by_code.contains_key("missing.birth_date"));

    let before = db.store.audit_chain_events().await.unwrap().len();
    let ids = app
        .data_quality_list(&tx_admin(), "TX", "late.enrollment", Some("4845120"))
        .await
        .unwrap();
    assert_eq!(ids.len(), 5);
    assert!(ids.contains(&msix[0]));
    let rejected = app.rejected_list(&tx_admin(), "TX").await.unwrap();
    assert_eq!(rejected[0].state_student_id, "TBAD");
    assert_eq!(
        db.store.audit_chain_events().await.unwrap().len(),
        before + 2
    );
}

#[tokio::test]
async fn data_quality_counts_possible_duplicates_waiting_for_review() {
    let db = puente_testkit::db::test_db().await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(puente_app::SystemClock))
        .await
        .unwrap();
    let base = puente_testkit::fixtures::student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    app.ingest(vec![base], None).await.unwrap();
    // The same name and birth date from California, without corroborating fields: uncertain.
    let other = puente_testkit::fixtures::uncorroborated(
        StateCode::CA,
        "C900",
        "Ana",
        "Quintero",
        "20110407",
    );
    let out = app.ingest(vec![other], None).await.unwrap();
    let new_msix = match &out[0] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        o => panic!("{o:?}"),
    };
    // The item is assigned where the child's latest enrollment is: the fixture's school is in
    // Texas (facility state TX).
    let r = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(r.open_near_matches, 1);
    let ids = app
        .data_quality_list(
            &tx_admin(),
            "TX",
            puente_app::reports::OPEN_NEAR_MATCH,
            None,
        )
        .await
        .unwrap();
    assert_eq!(ids, vec![new_msix]);
    let other_district = app
        .data_quality_list(
            &tx_admin(),
            "TX",
            puente_app::reports::OPEN_NEAR_MATCH,
            Some("0000000"),
        )
        .await
        .unwrap();
    assert!(other_district.is_empty());
    // California has none of its own.
    let ca = actor(Role::DataAdministrator, Scope::State { state: "CA".into() });
    assert_eq!(
        app.data_quality(&ca, "CA").await.unwrap().open_near_matches,
        0
    );
}

fn moved(mut r: StudentRecord, from: &str, to: StateCode, qad: NaiveDate) -> StudentRecord {
    r.qualifying_moves = vec![QualifyingMove {
        qualifying_arrival_date: qad,
        from_city: None,
        from_state: Some(from.into()),
        from_country: Some(if from.len() == 2 { "US" } else { "MX" }.into()),
        to_city: None,
        to_state: Some(to),
        eligibility_expiration_date: qad + chrono::Days::new(3 * 365),
        expiration_defaulted: false,
    }];
    r
}

#[tokio::test]
async fn interstate_mobility_counts_each_childs_move_once_by_pair_and_month() {
    let db = test_db().await.unwrap();
    let app = App::new(
        db.store.clone(),
        Arc::new(FixedClock::new(
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
        )),
    )
    .await
    .unwrap();
    let s = |st, ssid: &str, first: &str| student(st, ssid, first, "Lopez", "", "20100101");
    let recs = vec![
        // One child's move reported by both states: counted once.
        (
            "a",
            moved(
                s(StateCode::CA, "CA1", "Ana"),
                "TX",
                StateCode::CA,
                d(2025, 10, 15),
            ),
        ),
        (
            "a",
            moved(
                s(StateCode::TX, "TX1", "Ana"),
                "TX",
                StateCode::CA,
                d(2025, 10, 15),
            ),
        ),
        (
            "b",
            moved(
                s(StateCode::CA, "CA2", "Beto"),
                "TX",
                StateCode::CA,
                d(2026, 1, 10),
            ),
        ),
        (
            "c",
            moved(
                s(StateCode::WA, "WA1", "Caro"),
                "CA",
                StateCode::WA,
                d(2026, 1, 20),
            ),
        ),
        // Not interstate: from a Mexican state, within one state; and before the period.
        (
            "d",
            moved(
                s(StateCode::TX, "TX2", "Dani"),
                "MIC",
                StateCode::TX,
                d(2025, 11, 1),
            ),
        ),
        (
            "e",
            moved(
                s(StateCode::TX, "TX3", "Eli"),
                "TX",
                StateCode::TX,
                d(2025, 11, 1),
            ),
        ),
        (
            "f",
            moved(
                s(StateCode::CA, "CA3", "Fer"),
                "TX",
                StateCode::CA,
                d(2025, 8, 20),
            ),
        ),
    ];
    write_all(&db, recs).await;

    let fed = actor(Role::FederalViewer, Scope::National);
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(m.total, 3);
    let flows: Vec<(&str, &str, u64)> = m
        .flows
        .iter()
        .map(|f| (f.from.as_str(), f.to.as_str(), f.moves))
        .collect();
    assert_eq!(flows, [("TX", "CA", 2), ("CA", "WA", 1)]);
    assert_eq!(m.by_month.len(), 12);
    assert_eq!(m.by_month[0], ("2025-09".to_string(), 0));
    assert_eq!(m.by_month[1], ("2025-10".to_string(), 1));
    assert_eq!(m.by_month[4], ("2026-01".to_string(), 2));
    assert_eq!(m.by_month.iter().map(|(_, n)| n).sum::<u64>(), 3);
    // The period before holds the August move only.
    assert_eq!(app.interstate_mobility(&fed, 2024).await.unwrap().total, 1);
    // State-scoped users do not get national statistics.
    assert!(matches!(
        app.interstate_mobility(&tx_admin(), 2025).await,
        Err(AppError::Forbidden)
    ));
}

/// Moves D2's Texas record to D1 (a merge); returns the record's id.
async fn merge_td2_into_d1(db: &TestDb, msix: &[String]) -> String {
    let (td2, _, _) = db
        .store
        .find_state_record(StateCode::TX, "TD2")
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.store.begin().await.unwrap();
    tx.move_records(std::slice::from_ref(&td2), "child-d1", &msix[4], Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    td2
}

/// Moves a record to a new child `child-z` (a split).
async fn split_to_child_z(db: &TestDb, record: String) {
    let mut tx = db.store.begin().await.unwrap();
    let z = tx.create_child("child-z", Utc::now()).await.unwrap();
    tx.move_records(&[record], "child-z", &z.to_string(), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn write(db: &TestDb, child: &str, record: StudentRecord) {
    db.store
        .write_records(&[RecordWrite {
            record,
            child_id: child.into(),
            search_keys: vec![],
            submission_id: None,
            received_at: Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap(),
        }])
        .await
        .unwrap();
}

/// Reports keep each child's decision between runs; every write that changes a child's data
/// (a new or re-sent record, a deletion, a record moved by a merge) must show in the next
/// report, which must equal a report computed from nothing.
#[tokio::test]
async fn kept_report_rows_follow_every_write_that_changes_a_childs_data() {
    let (app, db, msix) = setup().await;
    let admin = tx_admin();
    let count = app.child_count(&admin, "TX", 2025).await.unwrap();
    assert_eq!(count.tally.totals.category1, 4);
    let quality = app.data_quality(&admin, "TX").await.unwrap();
    assert_eq!(quality.tally.children, 5);

    // A new child of Texas, counted.
    write(
        &db,
        "child-e",
        student(StateCode::TX, "TE", "Rosa", "Vega", "", "20130303"),
    )
    .await;
    let r = app.child_count(&admin, "TX", 2025).await.unwrap();
    assert_eq!((r.tally.children, r.tally.totals.category1), (6, 5));
    assert_eq!(
        app.data_quality(&admin, "TX").await.unwrap().tally.children,
        6
    );

    // B's record re-sent without its summer enrollment: no longer in Category 2.
    let mut b = student(StateCode::TX, "TB", "Luis", "Gomez", "", "20110101");
    b.enrollments.truncate(1);
    write(&db, "child-b", b).await;
    let r = app.child_count(&admin, "TX", 2025).await.unwrap();
    assert_eq!(r.tally.totals.category2, 0);
    assert_eq!(r.tally.not_counted_category2["no_summer_service"], 5);

    // A's Texas record deleted: A leaves the Texas count (its Michigan record stays).
    assert!(
        db.store
            .delete_state_record(StateCode::TX, "TA", Utc::now())
            .await
            .unwrap()
    );
    let r = app.child_count(&admin, "TX", 2025).await.unwrap();
    assert_eq!((r.tally.children, r.tally.totals.category1), (5, 4));
    let c1 = app
        .child_count_list(&admin, "TX", 2025, CountList::Category1)
        .await
        .unwrap();
    assert!(!c1.contains(&msix[0]));

    // D2's record merged into D1: one child, no longer a possible duplicate.
    assert_eq!(r.possible_duplicates, 2);
    let (record, _, _) = db
        .store
        .find_state_record(StateCode::TX, "TD2")
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.store.begin().await.unwrap();
    tx.move_records(&[record], "child-d1", &msix[4], Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let r = app.child_count(&admin, "TX", 2025).await.unwrap();
    assert_eq!((r.tally.children, r.tally.totals.category1), (4, 3));
    assert_eq!(r.possible_duplicates, 0);
    let q = app.data_quality(&admin, "TX").await.unwrap();
    assert_eq!(q.tally.children, 4);

    // Reconciliation names D1 by both its Texas IDs now (the MSIX ID and IDs are kept in the
    // count row): the state listing TD2 finds the child, which it does not list as TD1.
    let list = "state_student_id,category\nTD2,1\nTB,1\n";
    let rec = app.reconcile(&admin, "TX", 2025, list).await.unwrap();
    assert!(
        !rec.iter().any(|l| l.state_student_id == "TD2"),
        "TD2 is D1's: {rec:?}"
    );
    assert!(rec.iter().any(|l| l.state_student_id == "TE"
        && l.reason == "not_on_state_list"
        && l.msix_id.is_some()));

    // The kept rows give what a computation from nothing gives.
    let next = app.child_count(&admin, "TX", 2026).await.unwrap();
    db.store.report_cache_clear().await.unwrap();
    assert_eq!(app.child_count(&admin, "TX", 2025).await.unwrap(), r);
    assert_eq!(app.child_count(&admin, "TX", 2026).await.unwrap(), next);
    assert_eq!(app.data_quality(&admin, "TX").await.unwrap(), q);
    assert_eq!(app.reconcile(&admin, "TX", 2025, list).await.unwrap(), rec);
}

/// The possible duplicates are kept between runs; every write that changes which children share
/// a name and birth date (a new record, a correction, a merge, a split, a deletion) must show in
/// the next report, and the kept set must always equal a scan of the live records.
#[tokio::test]
async fn kept_possible_duplicates_follow_every_write_that_changes_a_key() {
    let (app, db, msix) = setup().await;
    let admin = tx_admin();
    let kept = || async {
        let r = app.child_count(&admin, "TX", 2025).await.unwrap();
        let kept = db.store.report_duplicate_children("TX").await.unwrap();
        let live = db.store.possible_duplicate_children("TX").await.unwrap();
        assert_eq!(kept, live, "kept possible duplicates equal the live scan");
        assert_eq!(
            r.possible_duplicates as usize,
            r.possible_duplicate_msix_ids.len()
        );
        kept.into_iter().collect::<Vec<_>>()
    };
    assert_eq!(kept().await, ["child-d1", "child-d2"]);

    // Two new children under one name and birth date.
    write(
        &db,
        "child-e",
        student(StateCode::TX, "TE", "Rosa", "Vega", "", "20130303"),
    )
    .await;
    write(
        &db,
        "child-f",
        student(StateCode::TX, "TF", "ROSA", "VEGA", "", "20130303"),
    )
    .await;
    assert_eq!(kept().await, ["child-d1", "child-d2", "child-e", "child-f"]);

    // F's birth date corrected: E and F no longer share a key.
    write(
        &db,
        "child-f",
        student(StateCode::TX, "TF", "ROSA", "VEGA", "", "20130304"),
    )
    .await;
    assert_eq!(kept().await, ["child-d1", "child-d2"]);

    // D2's record merged into D1: one child with two records under one key.
    let td2 = merge_td2_into_d1(&db, &msix).await;
    assert!(kept().await.is_empty());

    // Split out again, to a new child: two children under one key.
    split_to_child_z(&db, td2).await;
    assert_eq!(kept().await, ["child-d1", "child-z"]);

    // D1's record deleted: Z alone under its key.
    assert!(
        db.store
            .delete_state_record(StateCode::TX, "TD1", Utc::now())
            .await
            .unwrap()
    );
    assert!(kept().await.is_empty());

    // Computed from nothing, the same.
    db.store.report_cache_clear().await.unwrap();
    assert!(kept().await.is_empty());
    write(
        &db,
        "child-g",
        student(StateCode::TX, "TG", "Ana", "Ruiz", "", "20120101"),
    )
    .await;
    assert_eq!(kept().await, ["child-g", "child-z"]);
}

/// The national unduplicated count is kept between runs; every write of a child's records, in
/// any state, must change it as counting from the kept rows would, and a full pass (a state's
/// first records) has it counted again.
#[tokio::test]
async fn kept_national_count_follows_every_write_of_a_child_in_any_state() {
    let (app, db, msix) = setup().await;
    let federal = actor(Role::FederalViewer, Scope::National);
    let national = || async {
        let n = app.national_child_count(&federal, 2025).await.unwrap();
        let got = (n.unduplicated.category1, n.unduplicated.category2);
        let kept = db.store.report_national_kept(2025).await.unwrap();
        assert_eq!(kept, Some(got), "the report reads the kept count");
        let live = db.store.report_national_recount(2025).await.unwrap();
        assert_eq!(
            got, live,
            "the kept count equals a count from the kept rows"
        );
        got
    };
    assert_eq!(national().await, (4, 1), "A, B, D1, D2; B");

    // A new child in Michigan, counted there: one more.
    write(
        &db,
        "child-e",
        student(StateCode::MI, "ME", "Rosa", "Vega", "", "20130303"),
    )
    .await;
    assert_eq!(national().await, (5, 1));

    // E also in Texas, in a summer term: counted in both states, once; now in Category 2 too.
    write(
        &db,
        "child-e",
        summer(student(StateCode::TX, "TE", "Rosa", "Vega", "", "20130303")),
    )
    .await;
    assert_eq!(national().await, (5, 2));

    // D2's record merged into D1: one child.
    let td2 = merge_td2_into_d1(&db, &msix).await;
    assert_eq!(national().await, (4, 2));

    // Split out again, to a new child: two.
    split_to_child_z(&db, td2).await;
    assert_eq!(national().await, (5, 2));

    // A's Texas record deleted: A is still counted in Michigan; then its Michigan one too.
    assert!(
        db.store
            .delete_state_record(StateCode::TX, "TA", Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(national().await, (5, 2));
    assert!(
        db.store
            .delete_state_record(StateCode::MI, "MA", Utc::now())
            .await
            .unwrap()
    );
    assert_eq!(national().await, (4, 2));

    // E's Texas summer term corrected away: still counted in Texas, no longer in Category 2.
    write(
        &db,
        "child-e",
        student(StateCode::TX, "TE", "Rosa", "Vega", "", "20130303"),
    )
    .await;
    assert_eq!(national().await, (4, 1));

    // A state's first records: its full pass leaves the count to be counted again.
    write(
        &db,
        "child-f",
        student(StateCode::FL, "FF", "Mia", "Soto", "", "20140202"),
    )
    .await;
    assert_eq!(national().await, (5, 1));

    // Computed from nothing, the same.
    db.store.report_cache_clear().await.unwrap();
    assert_eq!(db.store.report_national_kept(2025).await.unwrap(), None);
    assert_eq!(national().await, (5, 1));
}

/// Two processes (two `App`s over one database) refreshing the states of one child at once, one
/// state from both, and from the fourth round a national count too: the writes of a state's
/// rows, and of the kept national count, come one after the other (PostgreSQL locks), so no
/// row is written twice, the kept count equals a recount, and nothing deadlocks.
#[tokio::test]
async fn concurrent_refreshes_of_one_child_in_two_states_keep_the_national_count_exact() {
    let (app, db, _) = setup().await;
    let federal = actor(Role::FederalViewer, Scope::National);
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let other = App::new(db.store.clone(), clock).await.unwrap();
    let mi = actor(Role::DataAdministrator, Scope::State { state: "MI".into() });
    let tx = tx_admin();
    for round in 0..6 {
        // Each round moves children in and out of both states' counts: in a summer term or not,
        // new children in both states under one id.
        for (i, child) in ["child-a", "child-b", "child-n"].iter().enumerate() {
            let id = format!("{i}");
            let make = |st, ssid: String| {
                let r = student(st, &ssid, "Ana", "Lopez", "", "20120101");
                if (round + i) % 2 == 0 { summer(r) } else { r }
            };
            write(&db, child, make(StateCode::TX, format!("TN{id}"))).await;
            write(&db, child, make(StateCode::MI, format!("MN{id}"))).await;
        }
        // Both processes refresh Texas; the national count joins from the fourth round.
        let national = async {
            if round >= 3 {
                other.national_child_count(&federal, 2025).await.map(|_| ())
            } else {
                Ok(())
            }
        };
        let (a, b, c, n) = tokio::join!(
            app.child_count(&tx, "TX", 2025),
            other.child_count(&tx, "TX", 2025),
            other.child_count(&mi, "MI", 2025),
            national,
        );
        a.unwrap();
        b.unwrap();
        c.unwrap();
        n.unwrap();
        let kept = db.store.report_national_kept(2025).await.unwrap();
        let live = db.store.report_national_recount(2025).await.unwrap();
        assert_eq!(kept, (round >= 3).then_some(live), "round {round}");
    }
}

/// While another process writes a state's kept rows (it holds the state's row of
/// `report_writers` on PostgreSQL, the file's write lock on SQLite), a refresh of that state
/// waits for it, then completes.
#[tokio::test]
async fn a_refresh_waits_while_another_process_writes_the_same_states_rows() {
    use sqlx::Connection;
    let (app, db, _) = setup().await;
    let admin = tx_admin();
    app.child_count(&admin, "TX", 2025).await.unwrap();
    write(
        &db,
        "child-n",
        student(StateCode::TX, "TN", "Ana", "Lopez", "", "20120101"),
    )
    .await;
    let hold = "INSERT INTO report_writers (state) VALUES ('TX') \
        ON CONFLICT (state) DO UPDATE SET state = excluded.state";
    let wait = std::time::Duration::from_millis(700);
    let refresh = app.child_count(&admin, "TX", 2025);
    tokio::pin!(refresh);
    if puente_testkit::db::backend_name() == "postgres" {
        let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let mut other = c.begin().await.unwrap();
        sqlx::query(hold).execute(&mut *other).await.unwrap();
        let waited = tokio::time::timeout(wait, &mut refresh).await;
        assert!(
            waited.is_err(),
            "the refresh waits for the other writer: {waited:?}"
        );
        other.commit().await.unwrap();
    } else {
        let mut c = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        let mut other = c.begin_with("BEGIN IMMEDIATE").await.unwrap();
        sqlx::query(hold).execute(&mut *other).await.unwrap();
        let waited = tokio::time::timeout(wait, &mut refresh).await;
        assert!(
            waited.is_err(),
            "the refresh waits for the other writer: {waited:?}"
        );
        other.commit().await.unwrap();
    }
    let r = refresh.await.unwrap();
    assert_eq!(r.tally.children, 6, "the new child is counted");
}

/// A full pass that stopped part-way (its rows written, the period or quality not yet marked
/// complete) is done again from the start: the next report gives the same counts, nothing twice.
#[tokio::test]
async fn a_full_pass_that_stopped_part_way_is_done_again_without_counting_twice() {
    let (app, db, _) = setup().await;
    let count = app.child_count(&tx_admin(), "TX", 2025).await.unwrap();
    let quality = app.data_quality(&tx_admin(), "TX").await.unwrap();
    // What a stopped pass leaves: some rows of the state, no mark.
    puente_testkit::db::exec(&db.store, "DELETE FROM report_marks WHERE state = 'TX'")
        .await
        .unwrap();
    puente_testkit::db::exec(
        &db.store,
        "DELETE FROM report_counts WHERE state = 'TX' AND child_id = 'child-b'",
    )
    .await
    .unwrap();
    let again = app.child_count(&tx_admin(), "TX", 2025).await.unwrap();
    assert_eq!(again.tally, count.tally);
    assert_eq!(again.tally.children, 5);
    let q_again = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q_again.tally, quality.tally);
}

/// A quality result that depends on the day (here an enrollment dated in the future) is
/// computed again once that day comes, without any write.
#[tokio::test]
async fn kept_quality_rows_are_computed_again_when_their_day_comes() {
    let (_, db, _) = setup().await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    let mut r = student(StateCode::TX, "TF", "Mia", "Soto", "", "20140202");
    r.enrollments[0].enrollment_date = d(2026, 12, 7);
    r.enrollments[0].withdrawal_date = None;
    write(&db, "child-f", r).await;
    let future = |q: &puente_app::reports::QualityReport| {
        q.tally
            .by_code
            .get("implausible.enrollment_future")
            .copied()
            .unwrap_or(0)
    };
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(future(&q), 1);
    clock.set(Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap());
    assert_eq!(
        future(&app.data_quality(&tx_admin(), "TX").await.unwrap()),
        1
    );
    clock.set(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap());
    assert_eq!(
        future(&app.data_quality(&tx_admin(), "TX").await.unwrap()),
        0
    );
}

/// The 30-calendar-day term-end clock: a withdrawal date (the end of the child's term at that
/// school or project) counts from when it first reached the exchange, and a later re-send of the
/// same record does not move it.
#[tokio::test]
async fn a_term_end_is_late_when_it_first_arrives_more_than_30_days_after() {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    let ended = |ssid: &str, first: &str| {
        let mut r = student(StateCode::TX, ssid, first, "Reyes", "", "20120505");
        r.enrollments[0].withdrawal_date = Some(d(2026, 6, 5));
        r
    };
    let send = |record: StudentRecord, child: &'static str, on: NaiveDate| {
        let store = db.store.clone();
        async move {
            store
                .write_records(&[RecordWrite {
                    record,
                    child_id: child.into(),
                    search_keys: vec![],
                    submission_id: None,
                    received_at: Utc.from_utc_datetime(&on.and_hms_opt(12, 0, 0).unwrap()),
                }])
                .await
                .unwrap();
        }
    };
    // Ana's term end arrives on 5 July (30 days after): on time, and re-sent in November.
    send(ended("T1", "Ana"), "child-1", d(2026, 7, 5)).await;
    send(ended("T1", "Ana"), "child-1", d(2026, 11, 2)).await;
    // Eva's record was known before the term ended; the end arrives on 6 July: late.
    let mut before = ended("T2", "Eva");
    before.enrollments[0].withdrawal_date = None;
    send(before, "child-2", d(2026, 5, 1)).await;
    send(ended("T2", "Eva"), "child-2", d(2026, 7, 6)).await;
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.tally.by_code.get("late.term_end"), Some(&1));
    let ids = app
        .data_quality_list(&tx_admin(), "TX", "late.term_end", None)
        .await
        .unwrap();
    let eva = db
        .store
        .find_state_record(StateCode::TX, "T2")
        .await
        .unwrap()
        .unwrap()
        .2;
    assert_eq!(ids, vec![eva.to_string()]);
}

/// Writes records of the given children (at one time), returning their MSIX IDs in order.
async fn write_all(db: &TestDb, recs: Vec<(&str, StudentRecord)>) -> Vec<String> {
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    let batch: Vec<RecordWrite> = recs
        .into_iter()
        .map(|(child, record)| RecordWrite {
            record,
            child_id: child.into(),
            search_keys: vec![],
            submission_id: None,
            received_at: at,
        })
        .collect();
    let out = db.store.write_records(&batch).await.unwrap();
    out.iter().map(|o| o.msix_id.to_string()).collect()
}

/// Mobility keeps each child's distinct moves and the flow counts between runs; every write
/// that changes a child's moves (a new or re-sent record, a deletion, a merge of two records of
/// one child) must show in the next report, which must equal one computed from nothing.
#[tokio::test]
async fn kept_mobility_follows_every_write_that_changes_a_childs_moves() {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    let fed = actor(Role::FederalViewer, Scope::National);
    let s = |st, ssid: &str, first: &str| student(st, ssid, first, "Lopez", "", "20100101");
    let ana_tx = || {
        moved(
            s(StateCode::TX, "TX1", "Ana"),
            "TX",
            StateCode::CA,
            d(2025, 10, 15),
        )
    };
    write_all(
        &db,
        vec![
            (
                "a",
                moved(
                    s(StateCode::CA, "CA1", "Ana"),
                    "TX",
                    StateCode::CA,
                    d(2025, 10, 15),
                ),
            ),
            ("a", ana_tx()),
            (
                "c",
                moved(
                    s(StateCode::WA, "WA1", "Caro"),
                    "CA",
                    StateCode::WA,
                    d(2026, 1, 20),
                ),
            ),
        ],
    )
    .await;
    let flows = |m: &puente_app::reports::Mobility| -> Vec<(String, String, u64)> {
        m.flows
            .iter()
            .map(|f| (f.from.clone(), f.to.clone(), f.moves))
            .collect()
    };
    let pair = |f: &str, t: &str, n: u64| (f.to_string(), t.to_string(), n);
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(m.total, 2);

    // A new child's move, and a second record of Caro's move under another child id (not yet
    // merged): both counted.
    let msix = write_all(
        &db,
        vec![
            (
                "g",
                moved(
                    s(StateCode::WA, "WA2", "Gabi"),
                    "TX",
                    StateCode::WA,
                    d(2026, 3, 2),
                ),
            ),
            (
                "c2",
                moved(
                    s(StateCode::OR, "OR1", "Caro"),
                    "CA",
                    StateCode::WA,
                    d(2026, 1, 20),
                ),
            ),
        ],
    )
    .await;
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(
        flows(&m),
        [
            pair("CA", "WA", 2),
            pair("TX", "CA", 1),
            pair("TX", "WA", 1)
        ]
    );

    // Ana's California record re-sent with another arrival date: two moves of hers now.
    write(
        &db,
        "a",
        moved(
            s(StateCode::CA, "CA1", "Ana"),
            "TX",
            StateCode::CA,
            d(2025, 12, 1),
        ),
    )
    .await;
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(
        flows(&m),
        [
            pair("CA", "WA", 2),
            pair("TX", "CA", 2),
            pair("TX", "WA", 1)
        ]
    );
    assert_eq!(m.by_month[1], ("2025-10".to_string(), 1));
    assert_eq!(m.by_month[3], ("2025-12".to_string(), 1));

    // Ana's Texas record deleted: her October move is gone.
    assert!(
        db.store
            .delete_state_record(StateCode::TX, "TX1", Utc::now())
            .await
            .unwrap()
    );
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(m.by_month[1], ("2025-10".to_string(), 0));
    assert_eq!(m.total, 4);

    // Caro's second record merged into her child: one move.
    let (record, _, _) = db
        .store
        .find_state_record(StateCode::OR, "OR1")
        .await
        .unwrap()
        .unwrap();
    let (_, _, c_msix) = db
        .store
        .find_state_record(StateCode::WA, "WA1")
        .await
        .unwrap()
        .unwrap();
    let c_msix = c_msix.to_string();
    assert_ne!(msix[1], c_msix);
    let mut tx = db.store.begin().await.unwrap();
    tx.move_records(&[record], "c", &c_msix, Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(
        flows(&m),
        [
            pair("CA", "WA", 1),
            pair("TX", "CA", 1),
            pair("TX", "WA", 1)
        ]
    );

    // Two refreshes racing over the same marks count each move once.
    write(&db, "a", ana_tx()).await;
    let marks = db
        .store
        .report_dirty(puente_store::MOVES_MARK, "", 100)
        .await
        .unwrap();
    assert_eq!(marks.len(), 1);
    db.store.report_moves_update(&marks).await.unwrap();
    db.store.report_moves_update(&marks).await.unwrap();
    let m = app.interstate_mobility(&fed, 2025).await.unwrap();
    assert_eq!(
        flows(&m),
        [
            pair("TX", "CA", 2),
            pair("CA", "WA", 1),
            pair("TX", "WA", 1)
        ]
    );

    // The kept moves give what a computation from nothing gives.
    let before = app.interstate_mobility(&fed, 2024).await.unwrap();
    db.store.report_cache_clear().await.unwrap();
    assert_eq!(app.interstate_mobility(&fed, 2025).await.unwrap(), m);
    assert_eq!(app.interstate_mobility(&fed, 2024).await.unwrap(), before);
}

/// The server's frequent job computes again only what writes marked: kept rows of a state and
/// the kept moves follow the writes without a report asking, and a state never computed stays
/// so (its marks are removed, nothing is kept for it).
#[tokio::test]
async fn the_marked_refresh_brings_kept_rows_up_to_date_without_full_passes() {
    let (app, db, _) = setup().await;
    let fed = actor(Role::FederalViewer, Scope::National);
    app.child_count(&tx_admin(), "TX", 2025).await.unwrap();
    app.interstate_mobility(&fed, 2025).await.unwrap();
    let kept_children =
        |groups: Vec<puente_store::CountGroup>| -> u64 { groups.iter().map(|g| g.children).sum() };
    assert_eq!(
        kept_children(db.store.report_count_groups("TX", 2025).await.unwrap()),
        5
    );
    write_all(
        &db,
        vec![
            (
                "child-e",
                moved(
                    student(StateCode::TX, "TE", "Rosa", "Vega", "", "20130303"),
                    "CA",
                    StateCode::TX,
                    d(2026, 2, 2),
                ),
            ),
            (
                "child-e",
                student(StateCode::CA, "CE", "Rosa", "Vega", "", "20130303"),
            ),
        ],
    )
    .await;
    assert_eq!(
        db.store.report_dirty_states().await.unwrap(),
        ["*", "CA", "MI", "TX"]
    );
    assert!(matches!(
        app.refresh_marked_reports(&tx_admin()).await,
        Err(AppError::Forbidden)
    ));
    app.refresh_marked_reports(&fed).await.unwrap();
    assert!(db.store.report_dirty_states().await.unwrap().is_empty());
    assert_eq!(
        kept_children(db.store.report_count_groups("TX", 2025).await.unwrap()),
        6
    );
    let flows = db
        .store
        .report_flows(d(2025, 9, 1), d(2026, 8, 31))
        .await
        .unwrap();
    assert_eq!(flows, [("CA".into(), "TX".into(), "2026-02".into(), 1)]);
    assert!(db.store.report_marks("CA").await.unwrap().is_empty());
    assert!(
        db.store
            .report_count_groups("CA", 2025)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Puts TX's state profile with one region, R1, holding `districts`.
async fn tx_regions(db: &TestDb, districts: &[&str]) {
    let area = |code: &str, region: Option<&str>| puente_store::StateAreaRow {
        state: "TX".into(),
        code: code.into(),
        name: format!("Area {code}"),
        region_code: region.map(str::to_owned),
    };
    let mut t = db.store.begin().await.unwrap();
    t.put_state_profile(
        &puente_store::StateProfileRow {
            state: "TX".into(),
            ..Default::default()
        },
        &[],
        &[area("R1", None)],
        &districts
            .iter()
            .map(|d| area(d, Some("R1")))
            .collect::<Vec<_>>(),
        "u-test",
        Utc::now(),
    )
    .await
    .unwrap();
    t.commit().await.unwrap();
}

#[tokio::test]
async fn data_quality_adds_districts_up_by_the_state_profiles_regions() {
    let (app, db, _) = setup().await;
    tx_regions(&db, &["4845120", "4800001"]).await;
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    let district = &q.tally.by_district["4845120"];
    assert_eq!(q.by_region.len(), 1);
    assert_eq!(&q.by_region["R1"], district);
    let mut by_district = app
        .data_quality_list(&tx_admin(), "TX", "late.enrollment", Some("4845120"))
        .await
        .unwrap();
    let mut by_region = app
        .data_quality_region_list(&tx_admin(), "TX", "late.enrollment", "R1")
        .await
        .unwrap();
    by_district.sort();
    by_region.sort();
    assert_eq!(by_region.len(), 5);
    assert_eq!(by_region, by_district);
    let events = db.store.audit_chain_events().await.unwrap();
    let last = events.last().unwrap();
    assert_eq!(last.action, "report.data_quality.list");
    assert!(
        last.details
            .as_deref()
            .unwrap()
            .contains("\"region\":Some(\"R1\")")
    );

    // The profile no longer places the district: its children fall under no region.
    tx_regions(&db, &["4800001"]).await;
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.by_region.keys().collect::<Vec<_>>(), ["none"]);
    assert_eq!(q.by_region["none"].children, 5);
    let none = app
        .data_quality_region_list(&tx_admin(), "TX", "late.enrollment", "none")
        .await
        .unwrap();
    assert_eq!(none.len(), 5);
    assert!(
        app.data_quality_region_list(&tx_admin(), "TX", "late.enrollment", "R1")
            .await
            .unwrap()
            .is_empty()
    );
    // National-statistics viewers get no child-level list.
    let fed = actor(Role::FederalViewer, Scope::National);
    assert!(matches!(
        app.data_quality_region_list(&fed, "TX", "late.enrollment", "none")
            .await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn data_quality_keeps_its_figures_over_time_a_point_per_month() {
    let (_, db, _) = setup().await;
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.history.len(), 1);
    assert_eq!(q.history[0].day, d(2026, 11, 23));
    assert_eq!(q.history[0].children, q.tally.children);
    assert_eq!(
        q.history[0].children_with_findings,
        q.tally.children_with_findings
    );
    assert_eq!(q.history[0].by_code, q.tally.by_code);

    // A child is added in December; the report job keeps the day's figures without a viewer.
    clock.set(Utc.with_ymd_and_hms(2026, 12, 5, 3, 0, 0).unwrap());
    let mut extra = student(StateCode::TX, "TZ", "Zoe", "Paz", "", "20120909");
    extra.enrollments[0].grade_level = None;
    write(&db, "child-z", extra).await;
    let fed = actor(Role::FederalViewer, Scope::National);
    app.refresh_marked_reports(&fed).await.unwrap();
    let kept = db
        .store
        .quality_snapshots("TX", d(2026, 12, 1))
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].day, d(2026, 12, 5));
    assert_eq!(kept[0].children, 6);
    // Run again the same day: nothing new.
    app.refresh_marked_reports(&fed).await.unwrap();
    assert_eq!(
        db.store
            .quality_snapshots("TX", d(2026, 1, 1))
            .await
            .unwrap()
            .len(),
        2
    );

    // Later in December: the month's point is its latest day.
    clock.set(Utc.with_ymd_and_hms(2026, 12, 20, 9, 0, 0).unwrap());
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    let days: Vec<NaiveDate> = q.history.iter().map(|p| p.day).collect();
    assert_eq!(days, [d(2026, 11, 23), d(2026, 12, 20)]);
    assert_eq!(q.history[0].children, 5);
    assert_eq!(q.history[1].children, 6);
    assert_eq!(
        q.history[1].by_code["missing.grade_level"],
        q.history[0]
            .by_code
            .get("missing.grade_level")
            .copied()
            .unwrap_or(0)
            + 1
    );

    // More than a year on, November 2026 has left the window.
    clock.set(Utc.with_ymd_and_hms(2027, 12, 2, 9, 0, 0).unwrap());
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    let days: Vec<NaiveDate> = q.history.iter().map(|p| p.day).collect();
    assert_eq!(days, [d(2026, 12, 20), d(2027, 12, 2)]);
}

/// Counted children by service indicator (PFS, EL, IDEA): an indicator counts when an
/// enrollment overlapping the period says Yes; the fixture's enrollment (PFS and EL Yes, IDEA No)
/// runs from 26 August 2024 to 1 March 2025.
#[tokio::test]
async fn child_count_by_service_takes_enrollments_overlapping_the_period() {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    // P: still enrolled (no withdrawal): PFS and EL in both periods.
    let mut p = student(StateCode::TX, "TP", "Pablo", "Soto", "", "20100101");
    p.enrollments[0].withdrawal_date = None;
    // Q: summer 2026 service with IDEA only; the 2024-25 enrollment has PFS and EL.
    let mut q = summer(student(
        StateCode::TX,
        "TQ",
        "Quique",
        "Rey",
        "",
        "20110202",
    ));
    q.enrollments[1].idea = Some(true);
    q.enrollments[1].lep = Some(false);
    q.enrollments[1].pfs = Some(false);
    // R: only the 2024-25 enrollment.
    let r = student(StateCode::TX, "TR", "Rita", "Vela", "", "20120303");
    write_all(&db, vec![("child-p", p), ("child-q", q), ("child-r", r)]).await;

    let t = app
        .child_count(&tx_admin(), "TX", 2025)
        .await
        .unwrap()
        .tally;
    assert_eq!((t.totals.category1, t.totals.category2), (3, 1));
    let s = |k: &str| t.by_service.get(k).map(|c| (c.category1, c.category2));
    assert_eq!(s("pfs"), Some((1, 0)), "P");
    assert_eq!(s("el"), Some((1, 0)), "P");
    assert_eq!(s("idea"), Some((1, 1)), "Q, served in the summer");

    let t = app
        .child_count(&tx_admin(), "TX", 2024)
        .await
        .unwrap()
        .tally;
    assert_eq!(t.totals.category1, 3);
    assert_eq!(s_of(&t, "pfs"), (3, 0));
    assert_eq!(s_of(&t, "el"), (3, 0));
    assert_eq!(s_of(&t, "idea"), (0, 0));

    // Nationally: the same sums, without child-level data.
    let fed = actor(Role::FederalViewer, Scope::National);
    let n = app.national_child_count(&fed, 2025).await.unwrap();
    assert_eq!(n.by_state["TX"].by_service, n.total.by_service);
    assert_eq!(s_of(&n.total, "idea"), (1, 1));
}

fn s_of(t: &puente_domain::childcount::ChildCountTally, key: &str) -> (u64, u64) {
    t.by_service
        .get(key)
        .map(|c| (c.category1, c.category2))
        .unwrap_or((0, 0))
}

#[test]
fn a_district_list_is_read_with_clear_errors() {
    use puente_app::applications::parse_district_areas;
    let ok = parse_district_areas(
        "District_ID,district_name,region_code,region_name,extra\n\
         4845120,Weslaco ISD,R1,Valley,x\n\
         4800001,,R1,,\n\
         4800002,Hart,,,\n",
    )
    .unwrap();
    assert_eq!(ok.len(), 3);
    assert_eq!(ok[0].region_name.as_deref(), Some("Valley"));
    assert_eq!(
        ok[1].district_name, "4800001",
        "the ID stands in for a missing name"
    );
    assert_eq!(ok[2].region_code, None);
    for (csv, err) in [
        ("district,region_code\n1,R1\n", "no district_id column"),
        ("district_id\n1\n1\n", "line 3: district 1 is listed twice"),
        (
            "district_id,region_code\n,R1\n",
            "line 2: district_id is empty",
        ),
        (
            "district_id,region_name\n1,Valley\n",
            "line 2: a region name without a region code",
        ),
        (
            "district_id,region_code,region_name\n1,R1,Valley\n2,R1,Hills\n",
            "line 3: region R1 is named \"Valley\" on another line",
        ),
    ] {
        let e = parse_district_areas(csv).unwrap_err();
        assert!(e.contains(err), "{csv:?}: {e}");
    }
}

#[tokio::test]
async fn a_user_administrator_sets_the_states_regions_and_data_quality_names_them() {
    let (app, db, _) = setup().await;
    let areas = puente_app::applications::parse_district_areas(
        "district_id,district_name,region_code,region_name\n4845120,Weslaco ISD,R1,Valley\n",
    )
    .unwrap();
    let ua = |st: &str| actor(Role::UserAdministrator, Scope::State { state: st.into() });
    for (a, state) in [(ua("MI"), "TX"), (tx_admin(), "TX")] {
        assert!(matches!(
            app.set_state_areas(&a, state, &areas).await,
            Err(AppError::Forbidden)
        ));
    }
    app.set_state_areas(&ua("TX"), "TX", &areas).await.unwrap();
    let last = db.store.audit_chain_events().await.unwrap().pop().unwrap();
    assert_eq!(last.action, "state.areas");
    assert_eq!(
        last.details.as_deref(),
        Some("{\"state\":\"TX\",\"regions\":1,\"districts\":1}")
    );
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.by_region.keys().collect::<Vec<_>>(), ["R1"]);
    assert_eq!(q.region_names["R1"], "Valley");
    // Replaced whole: without the district, its children fall under no region.
    app.set_state_areas(&ua("TX"), "TX", &[]).await.unwrap();
    let q = app.data_quality(&tx_admin(), "TX").await.unwrap();
    assert_eq!(q.by_region.keys().collect::<Vec<_>>(), ["none"]);
    assert!(q.region_names.is_empty());
}
