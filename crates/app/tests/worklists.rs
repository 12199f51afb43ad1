#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Worklists, merges and splits on the configured backend (PUENTE_TEST_BACKEND).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use puente_app::ingest::RecordOutcome;
use puente_app::search::SearchQuery;
use puente_app::student::RecordLookup;
use puente_app::worklists::{
    Level, NearMatchOutcome, NearMatchResolution, WorklistKind, WorklistPolicy,
};
use puente_app::{Actor, App, AppError, Clock, FixedClock};
use puente_domain::roles::{Role, Scope};
use puente_domain::{StateCode, StudentRecord};
use puente_store::WriteOutcome;
use puente_testkit::fixtures::student;

struct T {
    app: App,
    clock: Arc<FixedClock>,
    _db: puente_testkit::db::TestDb,
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 15, 0, 0).unwrap()
}

async fn setup() -> T {
    let db = puente_testkit::db::test_db().await.unwrap();
    // Wednesday 25 November 2026; Thursday 26 is Thanksgiving.
    let clock = Arc::new(FixedClock::new(at(2026, 11, 25)));
    let mut app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    app.worklists = WorklistPolicy { days: [2, 1, 1] };
    T {
        app,
        clock,
        _db: db,
    }
}

fn admin(id: &str) -> Actor {
    Actor {
        user_id: id.into(),
        role: Role::DataAdministrator,
        scope: Scope::State { state: "TX".into() },
        source_ip: None,
    }
}

fn district_admin(id: &str) -> Actor {
    Actor {
        user_id: id.into(),
        role: Role::DataAdministrator,
        scope: Scope::District {
            state: "TX".into(),
            district: "4845120".into(),
        },
        source_ip: None,
    }
}

async fn ingest(t: &T, recs: Vec<StudentRecord>) -> Vec<WriteOutcome> {
    t.app
        .ingest(recs, None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            RecordOutcome::Written(w) => w,
            other => panic!("unexpected {other:?}"),
        })
        .collect()
}

fn ana() -> StudentRecord {
    student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    )
}
fn bruno() -> StudentRecord {
    student(
        StateCode::TX,
        "T200",
        "Bruno",
        "Villalobos",
        "Ortega",
        "20090912",
    )
}

/// Two distinct children: (ana, bruno).
async fn two_children(t: &T) -> (WriteOutcome, WriteOutcome) {
    let out = ingest(t, vec![ana(), bruno()]).await;
    assert_ne!(out[0].child_id, out[1].child_id);
    (out[0].clone(), out[1].clone())
}

async fn validation_item(t: &T, op_id: &str) -> String {
    let items = t.app.worklist(&admin("b"), false).await.unwrap();
    items
        .into_iter()
        .find(|i| i.operation.as_ref().is_some_and(|o| o.id == op_id))
        .expect("validation item")
        .id
}

async fn members(t: &T, child: &str) -> Vec<String> {
    let mut v: Vec<String> = t
        .app
        .store
        .records_of_child(child)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_initiator_cannot_validate_their_own_merge() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    let op = t
        .app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "same family record",
        )
        .await
        .unwrap();
    let item = validation_item(&t, &op.id).await;
    let err = t
        .app
        .validate_operation(&admin("a"), &item, true, "")
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Forbidden), "{err:?}");
    // Nothing changed yet.
    assert_eq!(members(&t, &b.child_id).await.len(), 1);
    let done = t
        .app
        .validate_operation(&admin("b"), &item, true, "checked birth certificate")
        .await
        .unwrap();
    assert_eq!(done.status, "applied");
    assert_eq!(members(&t, &a.child_id).await.len(), 2);
    assert!(members(&t, &b.child_id).await.is_empty());
    // A user without WorkWorklist cannot validate.
    let primary = Actor {
        role: Role::PrimaryUser,
        ..admin("c")
    };
    assert!(matches!(
        t.app.worklist(&primary, false).await,
        Err(AppError::Forbidden)
    ));
}

#[tokio::test]
async fn records_are_locked_while_a_merge_is_pending() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    let c = ingest(
        &t,
        vec![student(
            StateCode::TX,
            "T300",
            "Carmen",
            "Zepeda",
            "Ibarra",
            "20130101",
        )],
    )
    .await
    .remove(0);
    let op = t
        .app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    let err = t
        .app
        .start_merge(
            &admin("a"),
            &c.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::Invalid(_)), "{err:?}");
    let recs = members(&t, &a.child_id).await;
    assert!(matches!(
        t.app
            .start_split(&admin("a"), &a.msix_id.to_string(), &recs, "x")
            .await,
        Err(AppError::Invalid(_))
    ));
    assert_eq!(
        t.app.store.lock_of_child(&b.child_id).await.unwrap(),
        Some(op.id.clone())
    );
    // Ingest for a locked child is still accepted: the record stays on its child until the
    // merge is validated, then moves to the master with the others.
    let mut again = bruno();
    again.demographics.middle_name = Some("José".into());
    let o = ingest(&t, vec![again]).await.remove(0);
    assert_eq!(o.child_id, b.child_id);
    let item = validation_item(&t, &op.id).await;
    // Rejected: the locks are released and a new operation may start.
    t.app
        .validate_operation(&admin("b"), &item, false, "not the same child")
        .await
        .unwrap();
    assert_eq!(t.app.store.lock_of_child(&b.child_id).await.unwrap(), None);
    assert_eq!(members(&t, &b.child_id).await.len(), 1);
    t.app
        .start_merge(
            &admin("a"),
            &c.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn items_escalate_on_working_days_across_a_weekend_and_a_federal_holiday() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    // Created Wednesday 25 Nov 2026. District: Fri 27 (Thu 26 is Thanksgiving) and Mon 30.
    let op = t
        .app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    let item_id = validation_item(&t, &op.id).await;
    let item = t.app.worklist_item(&admin("b"), &item_id).await.unwrap();
    assert_eq!(item.kind, WorklistKind::ValidateMerge);
    assert_eq!(item.level, Level::District);
    assert_eq!(item.assigned_state.as_deref(), Some("TX"));
    assert_eq!(item.assigned_district.as_deref(), Some("4845120"));
    assert_eq!(item.due_on, at(2026, 11, 30).date_naive());
    // The district administrator sees it at district level.
    assert_eq!(
        t.app
            .worklist(&district_admin("d"), false)
            .await
            .unwrap()
            .len(),
        1
    );
    for day in [26, 27, 28, 29, 30] {
        t.clock.set(at(2026, 11, day));
        let r = t.app.escalate_worklists().await.unwrap();
        assert_eq!(r.escalated, 0, "day {day}");
    }
    let item = t.app.worklist_item(&admin("b"), &item_id).await.unwrap();
    assert_eq!(item.level, Level::District);
    assert_eq!(item.age_working_days, 2);
    t.clock.set(at(2026, 12, 1));
    let r = t.app.escalate_worklists().await.unwrap();
    assert_eq!((r.escalated, r.auto_approved), (1, 0));
    let item = t.app.worklist_item(&admin("b"), &item_id).await.unwrap();
    assert_eq!(item.level, Level::Regional);
    assert_eq!(item.due_on, at(2026, 12, 1).date_naive());
    // No longer on the district's list.
    assert!(
        t.app
            .worklist(&district_admin("d"), false)
            .await
            .unwrap()
            .is_empty()
    );
    t.clock.set(at(2026, 12, 2));
    t.app.escalate_worklists().await.unwrap();
    let item = t.app.worklist_item(&admin("b"), &item_id).await.unwrap();
    assert_eq!(item.level, Level::State);
    assert_eq!(item.status, "open");
}

#[tokio::test]
async fn validation_items_auto_approve_when_the_escalation_period_lapses() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    let op = t
        .app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    // Last state-level day is Wed 2 Dec; nothing happens then.
    t.clock.set(at(2026, 12, 2));
    let r = t.app.escalate_worklists().await.unwrap();
    assert_eq!(r.auto_approved, 0);
    t.clock.set(at(2026, 12, 3));
    let r = t.app.escalate_worklists().await.unwrap();
    assert_eq!(r.auto_approved, 1);
    let done = t.app.identity_operation(&admin("b"), &op.id).await.unwrap();
    assert_eq!(done.status, "applied");
    assert_eq!(done.decided_by.as_deref(), Some("system"));
    assert_eq!(members(&t, &a.child_id).await.len(), 2);
    assert!(t.app.worklist(&admin("b"), false).await.unwrap().is_empty());
    let hist = t
        .app
        .identity_history(&admin("b"), &b.msix_id.to_string())
        .await
        .unwrap();
    let actions: Vec<&str> = hist.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["child.created", "merge.started", "merge.auto_approved"]
    );
    assert_eq!(hist[1].actor, "a");
    assert_eq!(hist[1].reason.as_deref(), Some("dup"));
}

async fn merged(t: &T) -> (WriteOutcome, WriteOutcome, String) {
    let (a, b) = two_children(t).await;
    let op = t
        .app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    let item = validation_item(t, &op.id).await;
    t.app
        .validate_operation(&admin("b"), &item, true, "ok")
        .await
        .unwrap();
    (a, b, op.id)
}

#[tokio::test]
async fn a_merged_msix_id_redirects_in_search_and_record_lookup() {
    let t = setup().await;
    let (a, b, _) = merged(&t).await;
    let hits = t
        .app
        .search(&SearchQuery {
            msix_id: b.msix_id.to_string(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].summary.msix_id, a.msix_id.to_string());
    let look = t
        .app
        .student_record(&admin("c"), &b.msix_id.to_string(), "enrollment")
        .await
        .unwrap();
    match look {
        RecordLookup::MergedInto(m) => assert_eq!(m, a.msix_id),
        other => panic!("expected a redirect, got {other:?}"),
    }
    match t
        .app
        .student_record(&admin("c"), &a.msix_id.to_string(), "enrollment")
        .await
        .unwrap()
    {
        RecordLookup::Found(r) => assert_eq!(r.msix_id, a.msix_id),
        other => panic!("{other:?}"),
    }
    // A merged ID cannot be merged again.
    assert!(
        t.app
            .start_merge(
                &admin("a"),
                &a.msix_id.to_string(),
                &b.msix_id.to_string(),
                "x"
            )
            .await
            .is_err()
    );
}

#[tokio::test]
async fn undoing_a_merge_and_a_split_restores_the_exact_previous_state() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    let before_a = members(&t, &a.child_id).await;
    let before_b = members(&t, &b.child_id).await;
    let (_, _, merge_id) = {
        let op = t
            .app
            .start_merge(
                &admin("a"),
                &a.msix_id.to_string(),
                &b.msix_id.to_string(),
                "dup",
            )
            .await
            .unwrap();
        let item = validation_item(&t, &op.id).await;
        t.app
            .validate_operation(&admin("b"), &item, true, "")
            .await
            .unwrap();
        (a.clone(), b.clone(), op.id)
    };
    let undo = t
        .app
        .start_undo(&admin("a"), &merge_id, "wrong merge")
        .await
        .unwrap();
    assert_eq!(undo.undoes.as_deref(), Some(merge_id.as_str()));
    let item = validation_item(&t, &undo.id).await;
    t.app
        .validate_operation(&admin("b"), &item, true, "")
        .await
        .unwrap();
    assert_eq!(members(&t, &a.child_id).await, before_a);
    assert_eq!(members(&t, &b.child_id).await, before_b);
    let (child, surviving) = t.app.store.resolve_msix(b.msix_id).await.unwrap().unwrap();
    assert_eq!((child, surviving), (b.child_id.clone(), b.msix_id));
    let rec = t.app.store.records_of_child(&b.child_id).await.unwrap();
    assert_eq!(rec[0].msix_id, b.msix_id);

    // Split of a child with two records, then undone.
    let more = ingest(
        &t,
        vec![student(
            StateCode::TX,
            "T101",
            "Ana",
            "Quintero",
            "Salas",
            "20110407",
        )],
    )
    .await;
    let target = more[0].child_id.clone();
    let (keep, leave) = if target == a.child_id {
        (a.clone(), more[0].state_record_id.clone())
    } else {
        // Linkage made a new child: merge it in first.
        let op = t
            .app
            .start_merge(
                &admin("a"),
                &a.msix_id.to_string(),
                &more[0].msix_id.to_string(),
                "same",
            )
            .await
            .unwrap();
        let item = validation_item(&t, &op.id).await;
        t.app
            .validate_operation(&admin("b"), &item, true, "")
            .await
            .unwrap();
        (a.clone(), more[0].state_record_id.clone())
    };
    let before = members(&t, &keep.child_id).await;
    assert_eq!(before.len(), 2);
    let split = t
        .app
        .start_split(
            &admin("a"),
            &keep.msix_id.to_string(),
            std::slice::from_ref(&leave),
            "two children",
        )
        .await
        .unwrap();
    let item = validation_item(&t, &split.id).await;
    let split = t
        .app
        .validate_operation(&admin("b"), &item, true, "")
        .await
        .unwrap();
    let new_msix = split.other_msix_id.clone().unwrap();
    assert_ne!(new_msix, keep.msix_id.to_string());
    assert_eq!(members(&t, &keep.child_id).await.len(), 1);
    let undo = t
        .app
        .start_undo(&admin("a"), &split.id, "wrong split")
        .await
        .unwrap();
    let item = validation_item(&t, &undo.id).await;
    t.app
        .validate_operation(&admin("b"), &item, true, "")
        .await
        .unwrap();
    assert_eq!(members(&t, &keep.child_id).await, before);
    let hist = t
        .app
        .identity_history(&admin("b"), &keep.msix_id.to_string())
        .await
        .unwrap();
    assert!(
        hist.iter()
            .any(|e| e.action == "split.approved" && e.actor == "b")
    );
    assert!(
        hist.iter()
            .any(|e| e.action == "split.started" && e.reason.as_deref() == Some("two children"))
    );
}

#[tokio::test]
async fn a_split_pair_is_not_merged_again_when_the_same_records_are_resubmitted() {
    let t = setup().await;
    let r1 = student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    let r2 = student(
        StateCode::CA,
        "C100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    let out = ingest(&t, vec![r1.clone(), r2.clone()]).await;
    let (a, b) = (out[0].clone(), out[1].clone());
    let child = a.child_id.clone();
    if b.child_id != child {
        let op = t
            .app
            .start_merge(
                &admin("a"),
                &a.msix_id.to_string(),
                &b.msix_id.to_string(),
                "same",
            )
            .await
            .unwrap();
        let item = validation_item(&t, &op.id).await;
        t.app
            .validate_operation(&admin("b"), &item, true, "")
            .await
            .unwrap();
    }
    assert_eq!(members(&t, &child).await.len(), 2);
    let split = t
        .app
        .start_split(
            &admin("a"),
            &a.msix_id.to_string(),
            std::slice::from_ref(&b.state_record_id),
            "twins",
        )
        .await
        .unwrap();
    let item = validation_item(&t, &split.id).await;
    let split = t
        .app
        .validate_operation(&admin("b"), &item, true, "")
        .await
        .unwrap();
    let new_msix = split.other_msix_id.clone().unwrap();
    // The same records again, in both orders, and after a restart (linkage reloaded).
    for recs in [vec![r1.clone(), r2.clone()], vec![r2.clone(), r1.clone()]] {
        let out = ingest(&t, recs).await;
        let msix: Vec<String> = out.iter().map(|o| o.msix_id.to_string()).collect();
        assert!(
            msix.contains(&a.msix_id.to_string()) && msix.contains(&new_msix),
            "{msix:?}"
        );
        assert_ne!(out[0].child_id, out[1].child_id);
    }
    let app2 = App::new(t.app.store.clone(), t.clock.clone())
        .await
        .unwrap();
    let out = app2.ingest(vec![r2, r1], None).await.unwrap();
    let msix: Vec<String> = out
        .iter()
        .map(|o| match o {
            RecordOutcome::Written(w) => w.msix_id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(msix.contains(&a.msix_id.to_string()) && msix.contains(&new_msix));
    assert_eq!(members(&t, &child).await.len(), 1);
}

#[tokio::test]
async fn a_near_match_item_is_created_when_linkage_is_uncertain() {
    let t = setup().await;
    let base = student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    ingest(&t, vec![base.clone()]).await;
    // Same name and birth date from another state, without the corroborating fields.
    let other = uncertain_ana_from_ca();
    let o = ingest(&t, vec![other]).await.remove(0);
    assert!(o.created_child, "uncertain linkage creates a new child");
    let items = t.app.worklist(&admin("b"), false).await.unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item.kind, WorklistKind::NearMatch);
    assert_eq!(
        item.msix_id.as_deref(),
        Some(o.msix_id.to_string().as_str())
    );
    assert_eq!(
        item.state_record_id.as_deref(),
        Some(o.state_record_id.as_str())
    );
    assert_eq!(item.candidates.len(), 1);
    assert!(
        item.explanation
            .as_ref()
            .is_some_and(|e| e["candidates"].is_array())
    );
    // "Different children" is permanent: the item closes.
    let r = t
        .app
        .resolve_near_match(
            &admin("b"),
            &item.id,
            NearMatchResolution::DifferentChildren {
                reason: "different parents".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r, NearMatchOutcome::RecordedNotSame);
    assert!(t.app.worklist(&admin("b"), false).await.unwrap().is_empty());
    let decisions = t.app.store.active_link_decisions().await.unwrap();
    assert!(
        decisions
            .iter()
            .all(|d| d.kind == "not_same" && d.record_a == o.state_record_id)
    );
    assert!(!decisions.is_empty());
}

#[tokio::test]
async fn a_near_match_answered_same_child_starts_a_merge_validated_by_another_administrator() {
    let t = setup().await;
    let base = student(
        StateCode::TX,
        "T100",
        "Ana",
        "Quintero",
        "Salas",
        "20110407",
    );
    let a = ingest(&t, vec![base]).await.remove(0);
    let mut other = student(StateCode::CA, "C900", "Ana", "Quintero", "", "20110407");
    other.demographics.parent1_first_name = None;
    other.demographics.parent1_last_name = None;
    other.demographics.parent2_first_name = None;
    other.demographics.parent2_last_name = None;
    other.demographics.birth_city = None;
    other.demographics.middle_name = None;
    other.alternate_ids.clear();
    let o = ingest(&t, vec![other]).await.remove(0);
    let items = t.app.worklist(&admin("a"), false).await.unwrap();
    let item = items
        .iter()
        .find(|i| i.kind == WorklistKind::NearMatch)
        .unwrap();
    let info = t
        .app
        .resolve_near_match(
            &admin("a"),
            &item.id,
            NearMatchResolution::NeedMoreInformation {
                note: "asked CA for the birth certificate".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(info, NearMatchOutcome::AwaitingInformation);
    let r = t
        .app
        .resolve_near_match(
            &admin("a"),
            &item.id,
            NearMatchResolution::SameChild {
                candidate_msix: a.msix_id.to_string(),
                master_msix: a.msix_id.to_string(),
                reason: "birth certificate matches".into(),
            },
        )
        .await
        .unwrap();
    let NearMatchOutcome::MergeStarted(op) = r else {
        panic!("{r:?}")
    };
    let v = validation_item(&t, &op.id).await;
    assert!(matches!(
        t.app.validate_operation(&admin("a"), &v, true, "").await,
        Err(AppError::Forbidden)
    ));
    t.app
        .validate_operation(&admin("b"), &v, true, "")
        .await
        .unwrap();
    assert_eq!(members(&t, &a.child_id).await.len(), 2);
    match t
        .app
        .student_record(&admin("c"), &o.msix_id.to_string(), "x")
        .await
        .unwrap()
    {
        RecordLookup::MergedInto(m) => assert_eq!(m, a.msix_id),
        other => panic!("{other:?}"),
    }
}

fn ca_admin(id: &str) -> Actor {
    Actor {
        user_id: id.into(),
        role: Role::DataAdministrator,
        scope: Scope::State { state: "CA".into() },
        source_ip: None,
    }
}

#[tokio::test]
async fn merges_splits_history_and_reassignment_stay_inside_the_actors_scope() {
    let t = setup().await;
    let (a, b) = two_children(&t).await;
    let (am, bm) = (a.msix_id.to_string(), b.msix_id.to_string());
    // TX-only children: a CA administrator can neither merge, split nor read their history.
    assert!(matches!(
        t.app.start_merge(&ca_admin("x"), &am, &bm, "r").await,
        Err(AppError::Forbidden)
    ));
    let recs = members(&t, &a.child_id).await;
    assert!(matches!(
        t.app.start_split(&ca_admin("x"), &am, &recs, "r").await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        t.app.identity_history(&ca_admin("x"), &am).await,
        Err(AppError::Forbidden)
    ));
    // History is for administrators: a primary user is refused even in scope.
    let primary = Actor {
        role: Role::PrimaryUser,
        ..admin("p")
    };
    assert!(matches!(
        t.app.identity_history(&primary, &am).await,
        Err(AppError::Forbidden)
    ));
    assert!(t.app.identity_history(&admin("a"), &am).await.is_ok());
    // One child in scope is not enough for a merge: both must be.
    let mut carla = student(StateCode::CA, "C300", "Carla", "Ibarra", "Mena", "20100101");
    // Enrolled in CA, so the near match this record raises is assigned to CA.
    for e in &mut carla.enrollments {
        e.facility_state = Some(StateCode::CA);
    }
    let c = ingest(&t, vec![carla]).await;
    let cm = c[0].msix_id.to_string();
    assert_eq!(
        t.app.store.child_states(&c[0].child_id).await.unwrap(),
        vec!["CA".to_string()]
    );
    assert!(matches!(
        t.app.start_merge(&admin("a"), &am, &cm, "r").await,
        Err(AppError::Forbidden)
    ));
    assert!(
        t.app
            .start_merge(&ca_admin("x"), &cm, &am, "r")
            .await
            .is_err()
    );
    // In scope: allowed.
    let op = t.app.start_merge(&admin("a"), &am, &bm, "r").await.unwrap();
    // Reassignment: down or sideways inside the state, never to another state.
    let item = validation_item(&t, &op.id).await;
    assert!(matches!(
        t.app
            .reassign_worklist_item(&admin("a"), &item, "CA", None)
            .await,
        Err(AppError::Forbidden)
    ));
    let moved = t
        .app
        .reassign_worklist_item(&admin("a"), &item, "TX", Some("4800001"))
        .await
        .unwrap();
    assert_eq!(moved.assigned_district.as_deref(), Some("4800001"));
    // The count behind the portal badge follows visibility (the CA child, sharing the
    // fixture's parents and alternate ID, raised a near match assigned to CA).
    for a in [admin("a"), ca_admin("x"), district_admin("d")] {
        assert_eq!(
            t.app.open_worklist_count(&a).await.unwrap(),
            t.app.worklist(&a, false).await.unwrap().len(),
            "{:?}",
            a.scope
        );
    }
    assert_eq!(t.app.open_worklist_count(&admin("a")).await.unwrap(), 1);
    assert_eq!(t.app.open_worklist_count(&ca_admin("x")).await.unwrap(), 1);
    assert_eq!(
        t.app
            .open_worklist_count(&district_admin("d"))
            .await
            .unwrap(),
        0,
        "reassigned to another district"
    );
}

async fn account(t: &T, email: &str, role: &str, state: &str, locale: &str) -> String {
    let id = t
        .app
        .store
        .create_user(email, "Someone", role, Some(state), "x", t.clock.now())
        .await
        .unwrap();
    t.app.store.set_user_locale(&id, locale).await.unwrap();
    id
}

async fn digests(t: &T) -> Vec<puente_store::OutboxRow> {
    let mut v: Vec<_> = t
        .app
        .store
        .outbox(None, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.template == "worklist.digest")
        .collect();
    v.sort_by_key(|m| m.created_at);
    v
}

#[tokio::test]
async fn data_administrators_get_one_daily_digest_of_new_and_escalated_items() {
    let t = setup().await;
    account(&t, "tx.admin@example.org", "data_administrator", "TX", "es").await;
    account(&t, "ca.admin@example.org", "data_administrator", "CA", "en").await;
    account(&t, "tx.primary@example.org", "primary_user", "TX", "en").await;
    // Wednesday 25 Nov, 15:00: a merge waits for validation in TX.
    let (a, b) = two_children(&t).await;
    t.app
        .start_merge(
            &admin("a"),
            &a.msix_id.to_string(),
            &b.msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    let r = t.app.send_worklist_digests().await.unwrap();
    assert_eq!((r.mailed, r.skipped), (1, 1), "TX mailed, CA has nothing");
    let sent = digests(&t).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].recipient, "tx.admin@example.org");
    assert_eq!(sent[0].locale, "es", "in the administrator's language");
    assert_eq!(
        sent[0].subject,
        "Puente: su lista de trabajo (1 nuevos, 0 escalados)"
    );
    assert!(sent[0].body.contains("/worklists"), "{}", sent[0].body);
    for secret in [
        "Ana",
        "Quintero",
        "Bruno",
        "Villalobos",
        &a.msix_id.to_string(),
        &b.msix_id.to_string(),
    ] {
        assert!(
            !sent[0].body.contains(secret) && !sent[0].subject.contains(secret),
            "no child data in the digest: {secret}"
        );
    }

    // Later the same day a second merge waits: at most one digest a day, so nothing now.
    t.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).unwrap());
    let c = student(
        StateCode::TX,
        "T300",
        "Carla",
        "Benavides",
        "Soto",
        "20120101",
    );
    let d = student(
        StateCode::TX,
        "T400",
        "Diego",
        "Zamora",
        "Ibarra",
        "20080505",
    );
    let out = ingest(&t, vec![c, d]).await;
    t.app
        .start_merge(
            &admin("a"),
            &out[0].msix_id.to_string(),
            &out[1].msix_id.to_string(),
            "dup",
        )
        .await
        .unwrap();
    let r = t.app.send_worklist_digests().await.unwrap();
    assert_eq!(r.mailed, 0);
    assert_eq!(digests(&t).await.len(), 1);

    // Thursday (Thanksgiving): the second item is new since yesterday's digest.
    t.clock.set(at(2026, 11, 26));
    let r = t.app.send_worklist_digests().await.unwrap();
    assert_eq!(r.mailed, 1);
    let sent = digests(&t).await;
    assert_eq!(
        sent[1].subject,
        "Puente: su lista de trabajo (1 nuevos, 0 escalados)"
    );
    // Nothing new on Friday: no mail.
    t.clock.set(at(2026, 11, 27));
    assert_eq!(t.app.send_worklist_digests().await.unwrap().mailed, 0);

    // Tuesday 1 December both items escalate to the regional level.
    t.clock.set(at(2026, 12, 1));
    assert_eq!(t.app.escalate_worklists().await.unwrap().escalated, 2);
    let r = t.app.send_worklist_digests().await.unwrap();
    assert_eq!(r.mailed, 1);
    let sent = digests(&t).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[2].subject,
        "Puente: su lista de trabajo (0 nuevos, 2 escalados)"
    );
    assert!(sent.iter().all(|m| m.recipient == "tx.admin@example.org"));
}

/// A CA record that linkage cannot place with certainty against [`ana`].
fn uncertain_ana_from_ca() -> StudentRecord {
    puente_testkit::fixtures::uncorroborated(StateCode::CA, "C900", "Ana", "Quintero", "20110407")
}

#[tokio::test]
async fn a_record_and_its_near_match_item_are_written_together_or_not_at_all() {
    let t = setup().await;
    ingest(&t, vec![ana()]).await;
    // The worklist table cannot be written: the batch fails and leaves no record behind.
    puente_testkit::db::exec(
        &t.app.store,
        "ALTER TABLE worklist_items RENAME TO worklist_items_away",
    )
    .await
    .unwrap();
    assert!(
        t.app
            .ingest(vec![uncertain_ana_from_ca()], None)
            .await
            .is_err()
    );
    puente_testkit::db::exec(
        &t.app.store,
        "ALTER TABLE worklist_items_away RENAME TO worklist_items",
    )
    .await
    .unwrap();
    assert!(
        t.app
            .store
            .find_state_record(StateCode::CA, "C900")
            .await
            .unwrap()
            .is_none(),
        "no record without its near-match item"
    );
    // Sent again, the record is uncertain again (linkage forgot the failed batch) and gets its
    // item.
    let o = ingest(&t, vec![uncertain_ana_from_ca()]).await.remove(0);
    assert!(o.created_child);
    let items = t.app.worklist(&admin("b"), false).await.unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].kind, WorklistKind::NearMatch);
    assert_eq!(
        items[0].msix_id.as_deref(),
        Some(o.msix_id.to_string().as_str())
    );
}
