#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Viewing a consolidated record: capability checked, exactly one audit event per view, and no
//! record served when the audit write fails.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use puente_app::search::SearchQuery;
use puente_app::student::RecordLookup;
use puente_app::{Actor, App, AppError, FixedClock};
use puente_domain::StateCode;
use puente_domain::roles::{Role, Scope};
use puente_testkit::db::test_db;
use puente_testkit::fixtures::student;

fn actor(role: Role) -> Actor {
    Actor {
        user_id: format!("u-{}", role.code()),
        role,
        scope: Scope::State { state: "TX".into() },
        source_ip: Some("127.0.0.1".into()),
    }
}

async fn setup() -> (App, puente_testkit::db::TestDb, String) {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    let out = app
        .ingest(
            vec![
                student(
                    StateCode::TX,
                    "T1",
                    "José",
                    "Hernández",
                    "López",
                    "20100314",
                ),
                student(
                    StateCode::MI,
                    "M1",
                    "JOSE",
                    "HERNANDEZ",
                    "LOPEZ",
                    "20100314",
                ),
            ],
            None,
        )
        .await
        .unwrap();
    let msix = match &out[0] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        other => panic!("{other:?}"),
    };
    (app, db, msix)
}

#[tokio::test]
async fn a_view_is_served_and_audited_exactly_once() {
    let (app, db, msix) = setup().await;
    let before = db.store.audit_chain_events().await.unwrap().len();
    let rec = match app
        .student_record(&actor(Role::SecondaryUser), &msix, "enrollment")
        .await
        .unwrap()
    {
        RecordLookup::Found(r) => r,
        other => panic!("{other:?}"),
    };
    assert_eq!(rec.msix_id.to_string(), msix);
    assert_eq!(
        rec.state_records.len(),
        2,
        "both states' records are behind the consolidated record"
    );
    let events = db.store.audit_chain_events().await.unwrap();
    assert_eq!(events.len(), before + 1);
    let e = events.last().unwrap();
    assert_eq!(
        (
            e.action.as_str(),
            e.child_msix_id.as_deref(),
            e.purpose.as_deref()
        ),
        ("record.view", Some(msix.as_str()), Some("enrollment"))
    );
    assert_eq!(e.actor, "u-secondary_user");
}

#[tokio::test]
async fn roles_without_the_capability_see_nothing_and_nothing_is_audited() {
    let (app, db, msix) = setup().await;
    let before = db.store.audit_chain_events().await.unwrap().len();
    for role in [
        Role::FederalViewer,
        Role::UserAdministrator,
        Role::StateSystem,
    ] {
        assert!(
            matches!(
                app.student_record(&actor(role), &msix, "x").await,
                Err(AppError::Forbidden)
            ),
            "{role:?}"
        );
        let q = SearchQuery {
            last_name: "Hernandez".into(),
            ..Default::default()
        };
        assert!(
            matches!(
                app.search_students(&actor(role), &q).await,
                Err(AppError::Forbidden)
            ),
            "{role:?}"
        );
    }
    assert_eq!(db.store.audit_chain_events().await.unwrap().len(), before);
}

#[tokio::test]
async fn every_search_is_audited_without_the_values_typed() {
    let (app, db, _) = setup().await;
    let q = SearchQuery {
        first_name: "Jose".into(),
        last_name: "Hernandez".into(),
        ..Default::default()
    };
    let hits = app
        .search_students(&actor(Role::PrimaryUser), &q)
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    let e = db.store.audit_chain_events().await.unwrap().pop().unwrap();
    assert_eq!(e.action, "record.search");
    let details = e.details.unwrap();
    assert!(
        details.contains("first_name") && details.contains("\"results\":1"),
        "{details}"
    );
    assert!(
        !details.to_lowercase().contains("jose"),
        "no typed values in the audit details: {details}"
    );
}

#[tokio::test]
async fn a_mistyped_or_unknown_msix_id_is_refused() {
    let (app, _db, msix) = setup().await;
    let mut typo = msix.clone().into_bytes();
    typo.swap(2, 3);
    if typo[2] != typo[3] {
        let typo = String::from_utf8(typo).unwrap();
        assert!(matches!(
            app.student_record(&actor(Role::PrimaryUser), &typo, "x")
                .await,
            Err(AppError::Invalid(_))
        ));
    }
    let unknown = puente_domain::MsixId::from_payload(99_999_999_998)
        .unwrap()
        .to_string();
    assert!(matches!(
        app.student_record(&actor(Role::PrimaryUser), &unknown, "x")
            .await,
        Err(AppError::NotFound)
    ));
}
