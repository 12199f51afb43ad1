#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Oversight reports over hand-built stores whose counts are known: worklist aging by band,
//! accounts by status, training and sign-ins, and the rejected-students list.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use puente_app::oversight::{AGE_BANDS, age_band};
use puente_app::{Actor, App, AppError, FixedClock};
use puente_domain::roles::{Role, Scope};
use puente_store::{NewUser, WorklistItemRow};
use puente_testkit::db::{TestDb, test_db};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    now().date_naive()
}

fn actor(role: Role, scope: Scope) -> Actor {
    Actor {
        user_id: format!("u-{}", role.code()),
        role,
        scope,
        source_ip: None,
    }
}

fn tx(role: Role) -> Actor {
    actor(role, Scope::State { state: "TX".into() })
}

fn federal() -> Actor {
    actor(Role::FederalViewer, Scope::National)
}

async fn setup() -> (App, TestDb) {
    let db = test_db().await.unwrap();
    let app = App::new(db.store.clone(), Arc::new(FixedClock::new(now())))
        .await
        .unwrap();
    (app, db)
}

async fn last_action(db: &TestDb) -> String {
    db.store
        .audit_chain_events()
        .await
        .unwrap()
        .last()
        .unwrap()
        .action
        .clone()
}

fn item(n: usize, state: &str, kind: &str, level: &str, age: i64, due_in: i64) -> WorklistItemRow {
    let created_on = today() - Duration::days(age);
    WorklistItemRow {
        id: format!("wi-{n}"),
        kind: kind.into(),
        status: "open".into(),
        level: level.into(),
        assigned_state: Some(state.into()),
        assigned_district: None,
        child_id: format!("child-{n}"),
        state_record_id: None,
        candidates: "[]".into(),
        explanation: None,
        operation_id: None,
        created_by: "system".into(),
        created_at: now() - Duration::days(age),
        created_on,
        due_on: created_on + Duration::days(due_in),
        resolution: None,
        resolved_by: None,
        resolved_at: None,
        note: None,
        updated_at: now(),
    }
}

#[test]
fn age_bands_cover_every_day_once() {
    for (i, (_, first, last)) in AGE_BANDS.iter().enumerate() {
        assert_eq!(age_band(*first), i);
        if let Some(l) = last {
            assert_eq!(age_band(*l), i);
            assert_eq!(age_band(l + 1), i + 1);
        }
    }
    assert_eq!(age_band(10_000), AGE_BANDS.len() - 1);
}

#[tokio::test]
async fn worklist_aging_counts_open_items_by_band_and_overdue() {
    let (app, db) = setup().await;
    let mut t = db.store.begin().await.unwrap();
    // TX near matches at the district level, due 10 days after creation: ages at both edges of
    // every band; the 10-day-old item is due today, so not overdue.
    let ages = [0, 7, 8, 10, 14, 15, 30, 31, 60, 61, 200];
    for (n, age) in ages.iter().enumerate() {
        t.insert_worklist_item(&item(n, "TX", "near_match", "district", *age, 10))
            .await
            .unwrap();
    }
    // Closed items are not waiting.
    let mut closed = item(50, "TX", "near_match", "district", 100, 10);
    closed.status = "closed".into();
    t.insert_worklist_item(&closed).await.unwrap();
    // Need-info items are still open; a merge validation at the state level.
    let mut info = item(51, "TX", "validate_merge", "state", 3, 5);
    info.status = "need_info".into();
    t.insert_worklist_item(&info).await.unwrap();
    t.insert_worklist_item(&item(52, "MI", "near_match", "regional", 40, 30))
        .await
        .unwrap();
    t.commit().await.unwrap();

    let r = app
        .worklist_aging(&tx(Role::DataAdministrator), Some("TX"))
        .await
        .unwrap();
    assert_eq!(r.as_of, today());
    assert_eq!(last_action(&db).await, "report.worklist_aging");
    assert_eq!(r.rows.len(), 2);
    let nm = &r.rows[0];
    assert_eq!(
        (nm.state.as_str(), nm.kind.as_str(), nm.level.as_str()),
        ("TX", "near_match", "district")
    );
    assert_eq!(nm.counts.by_band, [2, 3, 2, 2, 2]);
    assert_eq!(nm.counts.overdue, 7);
    assert_eq!(nm.counts.total, 11);
    assert_eq!(nm.counts.oldest_days, 200);
    let vm = &r.rows[1];
    assert_eq!(
        (vm.kind.as_str(), vm.level.as_str()),
        ("validate_merge", "state")
    );
    assert_eq!(vm.counts.by_band, [1, 0, 0, 0, 0]);
    assert_eq!(vm.counts.overdue, 0);
    assert_eq!(r.total.total, 12);

    // Nationally: every state, MI first.
    let n = app.worklist_aging(&federal(), None).await.unwrap();
    assert_eq!(n.rows.len(), 3);
    assert_eq!(n.rows[0].state, "MI");
    assert_eq!(n.rows[0].counts.by_band, [0, 0, 0, 1, 0]);
    assert_eq!(n.rows[0].counts.overdue, 1);
    assert_eq!(n.total.total, 13);
    assert_eq!(n.total.overdue, 8);
    // A federal viewer may look at one state.
    assert_eq!(
        app.worklist_aging(&federal(), Some("MI"))
            .await
            .unwrap()
            .total
            .total,
        1
    );

    // Scope: a TX administrator sees neither MI nor the nation; a secondary user no report.
    for (a, s) in [
        (tx(Role::DataAdministrator), Some("MI")),
        (tx(Role::DataAdministrator), None),
        (tx(Role::SecondaryUser), Some("TX")),
    ] {
        assert!(
            matches!(app.worklist_aging(&a, s).await, Err(AppError::Forbidden)),
            "{a:?} {s:?}"
        );
    }
}

async fn user(
    db: &TestDb,
    email: &str,
    role: &str,
    state: Option<&str>,
    created_days_ago: i64,
) -> String {
    let mut t = db.store.begin().await.unwrap();
    let id = t
        .create_user(
            &NewUser {
                email,
                display_name: "Someone",
                role,
                scope_state: state,
                scope_region: None,
                scope_district: None,
                password_hash: Some("x"),
                totp_secret: None,
                mfa_enrolled: false,
            },
            now() - Duration::days(created_days_ago),
        )
        .await
        .unwrap();
    t.commit().await.unwrap();
    id
}

#[tokio::test]
async fn account_report_counts_status_training_and_sign_ins() {
    let (app, db) = setup().await;
    let days = |n: i64| now() - Duration::days(n);
    // TX data administrators.
    let fresh = user(
        &db,
        "fresh@tx.example",
        "data_administrator",
        Some("TX"),
        400,
    )
    .await;
    let never = user(
        &db,
        "never@tx.example",
        "data_administrator",
        Some("TX"),
        100,
    )
    .await;
    let stale = user(
        &db,
        "stale@tx.example",
        "data_administrator",
        Some("TX"),
        500,
    )
    .await;
    let off = user(&db, "off@tx.example", "data_administrator", Some("TX"), 300).await;
    let gone = user(
        &db,
        "gone@tx.example",
        "data_administrator",
        Some("TX"),
        300,
    )
    .await;
    // A new TX primary user, created yesterday, never signed in: not yet inactive.
    let _new = user(&db, "new@tx.example", "primary_user", Some("TX"), 1).await;
    // Left out: a state system's machine account. Other scopes: MI and national.
    user(&db, "sis@tx.example", "state_system", Some("TX"), 300).await;
    user(&db, "mi@mi.example", "data_administrator", Some("MI"), 10).await;
    user(&db, "fed@ed.example", "federal_viewer", None, 10).await;
    let mut t = db.store.begin().await.unwrap();
    t.record_user_login(&fresh, days(5)).await.unwrap();
    t.set_training_completed(&fresh, days(200)).await.unwrap();
    // Trained 400 days ago (overdue), last sign-in 40 days ago (not recent, not inactive).
    t.record_user_login(&stale, days(40)).await.unwrap();
    t.set_training_completed(&stale, days(400)).await.unwrap();
    t.record_user_login(&off, days(20)).await.unwrap();
    t.set_user_status(&off, "disabled", days(1)).await.unwrap();
    t.set_user_status(&gone, "deactivated", days(1))
        .await
        .unwrap();
    t.commit().await.unwrap();
    let _ = never;

    let r = app
        .account_report(&tx(Role::UserAdministrator), Some("TX"))
        .await
        .unwrap();
    assert_eq!(last_action(&db).await, "report.accounts");
    let roles: Vec<(&str, &str)> = r
        .rows
        .iter()
        .map(|r| (r.state.as_str(), r.role.as_str()))
        .collect();
    assert_eq!(
        roles,
        [("TX", "data_administrator"), ("TX", "primary_user")]
    );
    let da = &r.rows[0].counts;
    assert_eq!(da.accounts, 5);
    assert_eq!((da.active, da.disabled, da.deactivated), (3, 1, 1));
    // never (no training), stale (a year and more ago).
    assert_eq!(da.training_overdue, 2);
    // fresh (5 days) and off (20 days, disabled since).
    assert_eq!(da.logged_in_30_days, 2);
    assert_eq!(da.never_logged_in, 1);
    // never: created 100 days ago, no sign-in.
    assert_eq!(da.inactive, 1);
    let pu = &r.rows[1].counts;
    assert_eq!(
        (pu.accounts, pu.active, pu.never_logged_in, pu.inactive),
        (1, 1, 1, 0)
    );
    assert_eq!(r.total.accounts, 6);

    let n = app.account_report(&federal(), None).await.unwrap();
    let states: Vec<&str> = n.rows.iter().map(|r| r.state.as_str()).collect();
    assert_eq!(states, ["", "MI", "TX", "TX"]);
    assert_eq!(n.total.accounts, 8);
    assert!(matches!(
        app.account_report(&tx(Role::UserAdministrator), None).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        app.account_report(&tx(Role::UserAdministrator), Some("MI"))
            .await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn rejected_students_list_their_errors_without_values() {
    let (app, db) = setup().await;
    let sub = puente_testkit::fixtures::submission_with_results(
        &db.store,
        "TX",
        now() - Duration::days(2),
        &[
            ("TOK", "accepted", "[]".into()),
            (
                "TBAD",
                "rejected",
                puente_testkit::fixtures::rejection_issues(),
            ),
        ],
    )
    .await
    .unwrap();
    let rows = app
        .rejected_students(&tx(Role::DataAdministrator), "TX")
        .await
        .unwrap();
    assert_eq!(last_action(&db).await, "report.rejected.list");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].submission_id, sub);
    assert_eq!(rows[0].state_student_id, "TBAD");
    assert_eq!(
        rows[0].errors,
        [("Birth Date".to_owned(), "plausibility".to_owned())]
    );
    assert!(
        app.rejected_students(&tx(Role::DataAdministrator), "MI")
            .await
            .is_err()
    );
    assert!(matches!(
        app.rejected_students(&federal(), "TX").await,
        Err(AppError::Forbidden)
    ));
}
