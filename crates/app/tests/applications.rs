#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The account application workflow on the configured backend: apply, supervisor attestation
//! through a single-use expiring link e-mailed through the outbox, approval by a user
//! administrator of the applicant's state (another state's refused), activation, denial and the
//! retention of the paperwork.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use puente_app::applications::{ApplicationForm, FieldProblem, LinkLookup, years_after};
use puente_app::{Actor, App, AppError, FixedClock};
use puente_domain::roles::{Role, Scope};

struct T {
    app: App,
    clock: Arc<FixedClock>,
    _db: puente_testkit::db::TestDb,
}

async fn setup() -> T {
    let db = puente_testkit::db::test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 15, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    T {
        app,
        clock,
        _db: db,
    }
}

fn today(t: &T) -> chrono::NaiveDate {
    puente_app::Clock::now(&*t.clock).date_naive()
}

fn admin(state: &str) -> Actor {
    Actor {
        user_id: format!("admin-{state}"),
        role: Role::UserAdministrator,
        scope: Scope::State {
            state: state.into(),
        },
        source_ip: None,
    }
}

fn form(state: &str) -> ApplicationForm {
    ApplicationForm {
        full_name: "Lucía Ramírez".into(),
        email: format!("lucia.{}@example.org", state.to_lowercase()),
        organisation: "Weslaco ISD migrant program".into(),
        role: "primary_user".into(),
        state: state.into(),
        district: "4845120".into(),
        supervisor_name: "Marta Solís".into(),
        supervisor_email: "marta@example.org".into(),
        accept_rules: "on".into(),
    }
}

async fn outbox_link(app: &App, to: &str, prefix: &str) -> String {
    let rows = app.store.outbox(None, 100).await.unwrap();
    let mail = rows
        .iter()
        .rev()
        .find(|m| m.recipient == to && m.body.contains(prefix))
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let start = mail.body.find(prefix).unwrap() + prefix.len();
    mail.body[start..start + 64].to_owned()
}

async fn actions(app: &App) -> Vec<String> {
    app.store
        .audit_chain_events()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect()
}

#[tokio::test]
async fn apply_attest_approve_activate() {
    let t = setup().await;
    let sub = t
        .app
        .apply_for_access(&form("TX"), "es", None)
        .await
        .unwrap()
        .unwrap();
    // The supervisor's e-mail is in the outbox, in the applicant's language, with the link; only
    // the hash of the token is stored.
    let token = outbox_link(&t.app, "marta@example.org", "/apply/attest/").await;
    assert_eq!(token, sub.attest_token);
    let mail = t.app.store.outbox(None, 10).await.unwrap();
    assert!(mail[0].subject.contains("confirme"), "{}", mail[0].subject);
    let a = t.app.store.application(&sub.id).await.unwrap().unwrap();
    assert_eq!(a.status, "awaiting_attestation");
    assert!(a.rules_accepted_at.is_some());
    // Cannot be decided before the supervisor answers.
    assert_eq!(
        t.app
            .approve_application(&admin("TX"), &sub.id, Some(today(&t)))
            .await
            .unwrap(),
        Err("not-attested")
    );
    // The supervisor attests once; the link is then spent.
    assert!(matches!(
        t.app
            .attest_application(&token, true, "Works with me since 2019", None)
            .await
            .unwrap(),
        LinkLookup::Valid(_)
    ));
    assert!(matches!(
        t.app
            .attest_application(&token, false, "", None)
            .await
            .unwrap(),
        LinkLookup::Unknown
    ));
    let a = t.app.store.application(&sub.id).await.unwrap().unwrap();
    assert_eq!(a.status, "attested");
    // A user administrator of another state can neither see nor decide it.
    assert!(t.app.applications(&admin("CA")).await.unwrap().is_empty());
    assert!(matches!(
        t.app.application(&admin("CA"), &sub.id).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        t.app
            .approve_application(&admin("CA"), &sub.id, Some(today(&t)))
            .await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(
        t.app.deny_application(&admin("CA"), &sub.id, "no").await,
        Err(AppError::Forbidden)
    ));
    // Training date required and plausible.
    let tx_admin = admin("TX");
    assert_eq!(
        t.app
            .approve_application(&tx_admin, &sub.id, None)
            .await
            .unwrap(),
        Err("training-required")
    );
    assert_eq!(
        t.app
            .approve_application(&tx_admin, &sub.id, Some(today(&t) + Duration::days(1)))
            .await
            .unwrap(),
        Err("training-date")
    );
    let training = today(&t) - Duration::days(10);
    let act = t
        .app
        .approve_application(&tx_admin, &sub.id, Some(training))
        .await
        .unwrap()
        .unwrap();
    let a = t.app.store.application(&sub.id).await.unwrap().unwrap();
    assert_eq!(a.status, "approved");
    assert_eq!(a.training_completed_on, Some(training));
    let u = t
        .app
        .store
        .user_by_email("lucia.tx@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(u.id.clone()), a.user_id);
    assert_eq!(
        (u.role.as_str(), u.scope_state.as_deref()),
        ("primary_user", Some("TX"))
    );
    assert!(u.password_hash.is_none() && !u.mfa_enrolled);
    assert!(u.training_completed_at.is_some() && u.rules_accepted_at.is_some());
    // The applicant gets an activation link; a weak password is refused, a good one accepted once.
    assert_eq!(
        act,
        outbox_link(&t.app, "lucia.tx@example.org", "/apply/activate/").await
    );
    assert!(
        t.app
            .activate_account(&act, "password", None)
            .await
            .unwrap()
            .is_err()
    );
    t.app
        .activate_account(&act, "a long and quiet river bank", None)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        t.app
            .activate_account(&act, "another long fine phrase", None)
            .await,
        Err(AppError::NotFound)
    ));
    // Now the user signs in and is asked to enrol MFA.
    assert!(matches!(
        t.app
            .login_password("lucia.tx@example.org", "a long and quiet river bank", None)
            .await
            .unwrap(),
        puente_app::auth::LoginStep::NeedMfa { enroll: true, .. }
    ));
    let acts = actions(&t.app).await;
    for want in [
        "application.submit",
        "application.attest",
        "application.approve",
        "user.create",
        "user.activate",
    ] {
        assert!(acts.iter().any(|a| a == want), "{want} in {acts:?}");
    }
    // Access ends at deactivation: paperwork kept three years from then, then purged.
    let sys = Actor::system();
    t.app
        .change_account_status(&sys, &u.id, puente_app::accounts::StatusChange::Deactivate)
        .await
        .unwrap();
    let a = t.app.store.application(&sub.id).await.unwrap().unwrap();
    assert_eq!(a.retain_until, Some(years_after(today(&t), 3)));
    t.clock.advance(Duration::days(365 * 3));
    assert!(t.app.purge_expired_applications().await.unwrap().is_empty());
    t.clock.advance(Duration::days(2));
    assert_eq!(
        t.app.purge_expired_applications().await.unwrap(),
        vec![sub.id.clone()]
    );
    assert!(t.app.store.application(&sub.id).await.unwrap().is_none());
    assert!(
        actions(&t.app)
            .await
            .iter()
            .any(|a| a == "application.purge")
    );
}

#[tokio::test]
async fn supervisor_link_expires() {
    let t = setup().await;
    let sub = t
        .app
        .apply_for_access(&form("TX"), "en", None)
        .await
        .unwrap()
        .unwrap();
    t.clock.advance(Duration::days(7) + Duration::seconds(1));
    assert!(matches!(
        t.app
            .application_by_link(&sub.attest_token, "awaiting_attestation")
            .await
            .unwrap(),
        LinkLookup::Expired
    ));
    assert!(matches!(
        t.app
            .attest_application(&sub.attest_token, true, "", None)
            .await
            .unwrap(),
        LinkLookup::Expired
    ));
    let a = t.app.store.application(&sub.id).await.unwrap().unwrap();
    assert_eq!(a.status, "awaiting_attestation");
    // A made-up or malformed token leads nowhere.
    assert!(matches!(
        t.app
            .application_by_link(&"0".repeat(64), "awaiting_attestation")
            .await
            .unwrap(),
        LinkLookup::Unknown
    ));
}

#[tokio::test]
async fn declined_and_denied_applications_are_kept_three_years() {
    let t = setup().await;
    let a = t
        .app
        .apply_for_access(&form("TX"), "en", None)
        .await
        .unwrap()
        .unwrap();
    t.app
        .attest_application(&a.attest_token, false, "I do not know this person", None)
        .await
        .unwrap();
    let row = t.app.store.application(&a.id).await.unwrap().unwrap();
    assert_eq!(row.status, "supervisor_declined");
    assert_eq!(row.retain_until, Some(years_after(today(&t), 3)));
    let mut f = form("TX");
    f.email = "other@example.org".into();
    let b = t
        .app
        .apply_for_access(&f, "en", None)
        .await
        .unwrap()
        .unwrap();
    t.app
        .attest_application(&b.attest_token, true, "", None)
        .await
        .unwrap();
    assert_eq!(
        t.app
            .deny_application(&admin("TX"), &b.id, "  ")
            .await
            .unwrap(),
        Err("reason-required")
    );
    t.app
        .deny_application(&admin("TX"), &b.id, "No migrant program duties")
        .await
        .unwrap()
        .unwrap();
    let row = t.app.store.application(&b.id).await.unwrap().unwrap();
    assert_eq!(row.status, "denied");
    assert_eq!(
        row.decision_reason.as_deref(),
        Some("No migrant program duties")
    );
    assert_eq!(row.retain_until, Some(years_after(today(&t), 3)));
    assert!(
        t.app
            .store
            .user_by_email("other@example.org")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn form_problems_are_reported_per_field() {
    let t = setup().await;
    let mut f = form("ZZ");
    f.full_name = " ".into();
    f.role = "system_administrator".into();
    f.supervisor_email = f.email.clone();
    f.accept_rules = String::new();
    let problems = t
        .app
        .apply_for_access(&f, "en", None)
        .await
        .unwrap()
        .unwrap_err();
    for want in [
        ("full_name", FieldProblem::Required),
        ("state", FieldProblem::InvalidState),
        ("role", FieldProblem::InvalidRole),
        ("supervisor_email", FieldProblem::SameAsApplicant),
        ("accept_rules", FieldProblem::Required),
    ] {
        assert!(problems.contains(&want), "{want:?} in {problems:?}");
    }
    assert!(
        t.app
            .store
            .list_applications(None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(t.app.store.outbox(None, 10).await.unwrap().is_empty());
}
