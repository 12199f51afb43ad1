#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Accounts, login, sessions, MFA, lifecycle and the audit chain, on the configured backend.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use puente_app::accounts::{CreateAccountError, DEMO_PASSWORD, NewAccount, StatusChange};
use puente_app::audit::AuditProblem;
use puente_app::auth::{LoginStep, PasswordProblem, totp_at};
use puente_app::{Actor, App, AppError, FixedClock};
use puente_domain::roles::Role;

struct T {
    app: App,
    clock: Arc<FixedClock>,
    _db: puente_testkit::db::TestDb,
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T15:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

async fn setup() -> T {
    let db = puente_testkit::db::test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(t0()));
    let app = App::new(db.store.clone(), clock.clone()).await.unwrap();
    T {
        app,
        clock,
        _db: db,
    }
}

const ADMIN: &str = "system.administrator@demo.puente.test";
const PRIMARY: &str = "primary.user@demo.puente.test";

async fn seeded() -> T {
    let t = setup().await;
    t.app.seed_demo_accounts().await.unwrap();
    t
}

/// Full login (password + TOTP); returns the session token.
async fn login(t: &T, email: &str) -> String {
    let step = t
        .app
        .login_password(email, DEMO_PASSWORD, Some("10.0.0.1"))
        .await
        .unwrap();
    let LoginStep::NeedMfa { token, enroll } = step else {
        panic!("password refused for {email}");
    };
    assert!(!enroll);
    let u = t.app.store.user_by_email(email).await.unwrap().unwrap();
    let code = totp_at(u.totp_secret.as_deref().unwrap(), t.clock.now()).unwrap();
    t.app
        .login_mfa(&token, &code, Some("10.0.0.1"))
        .await
        .unwrap()
        .expect("code accepted")
}

async fn actor(t: &T, token: &str) -> Actor {
    t.app
        .session(token, None)
        .await
        .unwrap()
        .unwrap()
        .actor
        .unwrap()
}

use puente_app::Clock as _;

#[tokio::test]
async fn login_with_password_and_totp_opens_a_new_session() {
    let t = seeded().await;
    let step = t
        .app
        .login_password(PRIMARY, DEMO_PASSWORD, None)
        .await
        .unwrap();
    let LoginStep::NeedMfa { token: pending, .. } = step else {
        panic!()
    };
    // The half-open session is no login: no actor.
    let s = t.app.session(&pending, None).await.unwrap().unwrap();
    assert!(!s.mfa_passed && s.actor.is_none());
    let u = t.app.store.user_by_email(PRIMARY).await.unwrap().unwrap();
    let wrong = if totp_at(u.totp_secret.as_deref().unwrap(), t.clock.now()).unwrap() == "000000" {
        "111111"
    } else {
        "000000"
    };
    assert!(
        t.app
            .login_mfa(&pending, wrong, None)
            .await
            .unwrap()
            .is_none()
    );
    let code = totp_at(u.totp_secret.as_deref().unwrap(), t.clock.now()).unwrap();
    let token = t
        .app
        .login_mfa(&pending, &code, None)
        .await
        .unwrap()
        .unwrap();
    // Fixation: the session id changes at login; the pending token is dead.
    assert_ne!(token, pending);
    assert!(t.app.session(&pending, None).await.unwrap().is_none());
    let a = actor(&t, &token).await;
    assert_eq!(a.role, Role::PrimaryUser);
    // Only the hash of the token is stored.
    assert!(t.app.store.session(&token).await.unwrap().is_none());
    t.app.logout(&token, None).await.unwrap();
    assert!(t.app.session(&token, None).await.unwrap().is_none());
}

#[tokio::test]
async fn idle_and_absolute_timeouts() {
    let t = seeded().await;
    let token = login(&t, PRIMARY).await;
    t.clock.advance(Duration::minutes(29));
    assert!(t.app.session(&token, None).await.unwrap().is_some());
    t.clock.advance(Duration::minutes(31));
    assert!(t.app.session(&token, None).await.unwrap().is_none(), "idle");

    let token = login(&t, PRIMARY).await;
    for _ in 0..25 {
        t.clock.advance(Duration::minutes(29));
        if t.app.session(&token, None).await.unwrap().is_none() {
            break;
        }
    }
    // 12 hours absolute: gone after 25 * 29 min = 12h05.
    assert!(
        t.app.session(&token, None).await.unwrap().is_none(),
        "absolute"
    );
}

#[tokio::test]
async fn unknown_account_and_wrong_password_look_the_same() {
    let t = seeded().await;
    let a = t
        .app
        .login_password("nobody@example.org", "whatever whatever", Some("10.0.0.2"))
        .await
        .unwrap();
    let b = t
        .app
        .login_password(PRIMARY, "wrong password!", Some("10.0.0.2"))
        .await
        .unwrap();
    assert_eq!(a, LoginStep::Failed);
    assert_eq!(b, LoginStep::Failed);
    // Both are audited; no password in the log.
    let events = t.app.store.audit_chain_events().await.unwrap();
    let fails: Vec<_> = events
        .iter()
        .filter(|e| e.action == "login.failure")
        .collect();
    assert_eq!(fails.len(), 2);
    for e in &events {
        let d = format!("{e:?}");
        assert!(!d.contains("wrong password") && !d.contains(DEMO_PASSWORD));
    }
}

#[tokio::test]
async fn five_failures_lock_the_account_for_15_minutes() {
    let t = seeded().await;
    for _ in 0..5 {
        t.app
            .login_password(PRIMARY, "not the password", Some("10.0.0.3"))
            .await
            .unwrap();
    }
    // The right password is refused while locked.
    let r = t
        .app
        .login_password(PRIMARY, DEMO_PASSWORD, Some("10.0.0.4"))
        .await
        .unwrap();
    assert_eq!(r, LoginStep::Failed);
    t.clock.advance(Duration::minutes(16));
    login(&t, PRIMARY).await;
}

#[tokio::test]
async fn one_address_is_throttled() {
    let t = seeded().await;
    for i in 0..20 {
        t.app
            .login_password(
                &format!("guess{i}@example.org"),
                "guess guess guess",
                Some("10.9.9.9"),
            )
            .await
            .unwrap();
    }
    let r = t
        .app
        .login_password(PRIMARY, DEMO_PASSWORD, Some("10.9.9.9"))
        .await
        .unwrap();
    assert_eq!(r, LoginStep::Failed, "throttled address");
    // Another address is not affected.
    login(&t, PRIMARY).await;
    t.clock.advance(Duration::minutes(16));
    let r = t
        .app
        .login_password(PRIMARY, DEMO_PASSWORD, Some("10.9.9.9"))
        .await
        .unwrap();
    assert!(matches!(r, LoginStep::NeedMfa { .. }));
}

#[tokio::test]
async fn new_account_enrols_mfa_and_gets_recovery_codes() {
    let t = seeded().await;
    let admin = actor(&t, &login(&t, ADMIN).await).await;
    let pw = "a long enough passphrase 42";
    let id = t
        .app
        .create_account(
            &admin,
            &NewAccount {
                email: "Ana.Lopez@example.org".into(),
                display_name: "Ana López".into(),
                role: Role::SecondaryUser,
                scope_state: Some("ca".into()),
                password: pw.into(),
            },
        )
        .await
        .unwrap()
        .unwrap();
    let LoginStep::NeedMfa { token, enroll } = t
        .app
        .login_password("ana.lopez@example.org", pw, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(enroll);
    assert!(
        t.app
            .login_mfa(&token, "123456", None)
            .await
            .unwrap()
            .is_none()
    );
    let e = t.app.mfa_enrollment(&token).await.unwrap().unwrap();
    assert!(e.qr_svg.contains("<svg") && e.otpauth_uri.contains(&e.secret));
    let code = totp_at(&e.secret, t.clock.now()).unwrap();
    let (session, codes) = t
        .app
        .confirm_mfa_enrollment(&token, &code, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(codes.len(), 10);
    let a = actor(&t, &session).await;
    assert_eq!(a.user_id, id);
    // A recovery code works once.
    let LoginStep::NeedMfa { token, .. } = t
        .app
        .login_password("ana.lopez@example.org", pw, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(
        t.app
            .login_mfa(&token, &codes[3], None)
            .await
            .unwrap()
            .is_some()
    );
    let LoginStep::NeedMfa { token, .. } = t
        .app
        .login_password("ana.lopez@example.org", pw, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(
        t.app
            .login_mfa(&token, &codes[3], None)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn account_creation_rules() {
    let t = seeded().await;
    let admin = actor(&t, &login(&t, ADMIN).await).await;
    let new = |email: &str, pw: &str| NewAccount {
        email: email.into(),
        display_name: "X".into(),
        role: Role::SecondaryUser,
        scope_state: Some("TX".into()),
        password: pw.into(),
    };
    let r = t
        .app
        .create_account(&admin, &new("x@example.org", "password1234"))
        .await
        .unwrap();
    assert_eq!(
        r,
        Err(CreateAccountError::Password(PasswordProblem::Common))
    );
    // Not a user administrator: forbidden.
    let primary = actor(&t, &login(&t, PRIMARY).await).await;
    assert!(matches!(
        t.app
            .create_account(&primary, &new("y@example.org", "fine passphrase here"))
            .await,
        Err(AppError::Forbidden)
    ));
    // A TX user administrator cannot create CA accounts nor national roles.
    let tx_admin = actor(&t, &login(&t, "user.administrator@demo.puente.test").await).await;
    let mut ca = new("z@example.org", "fine passphrase here");
    ca.scope_state = Some("CA".into());
    assert!(matches!(
        t.app.create_account(&tx_admin, &ca).await,
        Err(AppError::Forbidden)
    ));
    let mut sys = new("z@example.org", "fine passphrase here");
    sys.role = Role::SystemAdministrator;
    assert!(matches!(
        t.app.create_account(&tx_admin, &sys).await,
        Err(AppError::Forbidden)
    ));
    assert!(
        t.app
            .create_account(&tx_admin, &new("z@example.org", "fine passphrase here"))
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test]
async fn disabled_and_deactivated_accounts_cannot_log_in_and_emails_are_never_reused() {
    let t = seeded().await;
    let admin = actor(&t, &login(&t, ADMIN).await).await;
    let primary_token = login(&t, PRIMARY).await;
    let pid = t
        .app
        .store
        .user_by_email(PRIMARY)
        .await
        .unwrap()
        .unwrap()
        .id;
    t.app
        .change_account_status(&admin, &pid, StatusChange::Disable)
        .await
        .unwrap();
    assert!(
        t.app.session(&primary_token, None).await.unwrap().is_none(),
        "sessions end"
    );
    assert_eq!(
        t.app
            .login_password(PRIMARY, DEMO_PASSWORD, None)
            .await
            .unwrap(),
        LoginStep::Failed
    );
    t.app
        .change_account_status(&admin, &pid, StatusChange::Reactivate)
        .await
        .unwrap();
    login(&t, PRIMARY).await;
    t.app
        .change_account_status(&admin, &pid, StatusChange::Deactivate)
        .await
        .unwrap();
    assert_eq!(
        t.app
            .login_password(PRIMARY, DEMO_PASSWORD, None)
            .await
            .unwrap(),
        LoginStep::Failed
    );
    assert!(
        t.app
            .change_account_status(&admin, &pid, StatusChange::Reactivate)
            .await
            .is_err(),
        "deactivation is permanent"
    );
    let r = t
        .app
        .create_account(
            &admin,
            &NewAccount {
                email: PRIMARY.to_uppercase(),
                display_name: "Again".into(),
                role: Role::PrimaryUser,
                scope_state: Some("TX".into()),
                password: "a different passphrase".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(r, Err(CreateAccountError::EmailTaken));
}

#[tokio::test]
async fn inactive_accounts_are_disabled_after_90_days() {
    let t = seeded().await;
    t.clock.advance(Duration::days(60));
    login(&t, PRIMARY).await;
    t.clock.advance(Duration::days(31));
    let disabled = t.app.disable_inactive_accounts().await.unwrap();
    let pid = t
        .app
        .store
        .user_by_email(PRIMARY)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(
        disabled.len(),
        7,
        "every demo account (six roles, the second TX data administrator and the California \
         receiver) but the one used on day 60"
    );
    assert!(!disabled.contains(&pid));
    assert_eq!(
        t.app
            .login_password(ADMIN, DEMO_PASSWORD, None)
            .await
            .unwrap(),
        LoginStep::Failed
    );
    t.clock.advance(Duration::days(60));
    assert_eq!(t.app.disable_inactive_accounts().await.unwrap(), vec![pid]);
}

#[tokio::test]
async fn rules_of_behavior_are_reaccepted_every_year() {
    let t = seeded().await;
    let token = login(&t, PRIMARY).await;
    assert!(
        !t.app
            .session(&token, None)
            .await
            .unwrap()
            .unwrap()
            .needs_rules
    );
    t.clock.advance(Duration::days(366));
    let token = login(&t, PRIMARY).await;
    let s = t.app.session(&token, None).await.unwrap().unwrap();
    assert!(s.needs_rules);
    t.app
        .accept_rules_of_behavior(s.actor.as_ref().unwrap(), true)
        .await
        .unwrap();
    let s = t.app.session(&token, None).await.unwrap().unwrap();
    assert!(!s.needs_rules);
    assert_eq!(s.user.training_completed_at, Some(t.clock.now()));
}

async fn chain_with_events(t: &T) {
    let a = Actor::system();
    for i in 0..5 {
        t.app
            .audit(&a, "test.event", Some(&format!("n={i}")))
            .await
            .unwrap();
        t.clock.advance(Duration::seconds(1));
    }
    let r = t.app.audit_verify().await.unwrap();
    assert!(r.ok(), "{r:?}");
    assert!(r.events >= 5);
}

async fn exec(t: &T, sql: &str) {
    puente_testkit::db::exec(&t.app.store, sql).await.unwrap();
}

#[tokio::test]
async fn audit_verify_detects_an_edited_event() {
    let t = setup().await;
    chain_with_events(&t).await;
    exec(
        &t,
        "UPDATE audit_events SET details = 'n=9' WHERE details = 'n=2'",
    )
    .await;
    let r = t.app.audit_verify().await.unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, AuditProblem::Edited { seq: Some(3), .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn audit_verify_detects_a_deleted_event() {
    let t = setup().await;
    chain_with_events(&t).await;
    exec(&t, "DELETE FROM audit_events WHERE details = 'n=2'").await;
    let r = t.app.audit_verify().await.unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, AuditProblem::BrokenLink { seq: Some(4), .. })),
        "{r:?}"
    );
    // Deleting the newest event is caught by the head.
    let t = setup().await;
    chain_with_events(&t).await;
    exec(&t, "DELETE FROM audit_events WHERE details = 'n=4'").await;
    let r = t.app.audit_verify().await.unwrap();
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, AuditProblem::HeadMismatch { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn audit_verify_detects_reordered_events() {
    let t = setup().await;
    chain_with_events(&t).await;
    // Swap the sequence numbers of two events.
    exec(&t, "UPDATE audit_events SET seq = -1 WHERE details = 'n=1'").await;
    exec(&t, "UPDATE audit_events SET seq = 2 WHERE details = 'n=2'").await;
    exec(&t, "UPDATE audit_events SET seq = 3 WHERE details = 'n=1'").await;
    let r = t.app.audit_verify().await.unwrap();
    assert!(!r.ok());
    assert!(
        r.problems
            .iter()
            .any(|p| matches!(p, AuditProblem::BrokenLink { .. })),
        "{r:?}"
    );
}

#[tokio::test]
async fn a_record_view_is_refused_when_the_audit_write_fails() {
    let t = seeded().await;
    let a = actor(&t, &login(&t, PRIMARY).await).await;
    t.app
        .record_view(&a, "123456789012", "enrollment")
        .await
        .unwrap();
    let ev = t.app.store.audit_chain_events().await.unwrap();
    let last = ev.last().unwrap();
    assert_eq!(last.action, "record.view");
    assert_eq!(last.child_msix_id.as_deref(), Some("123456789012"));
    assert_eq!(last.purpose.as_deref(), Some("enrollment"));
    // Without the capability: refused.
    let fed = actor(&t, &login(&t, "federal.viewer@demo.puente.test").await).await;
    assert!(matches!(
        t.app.record_view(&fed, "123456789012", "x").await,
        Err(AppError::Forbidden)
    ));
    // The audit table cannot be written: the view is refused.
    exec(&t, "DROP TABLE audit_events").await;
    assert!(
        t.app
            .record_view(&a, "123456789012", "enrollment")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn account_changes_and_logins_are_audited_in_a_valid_chain() {
    let t = seeded().await;
    let admin = actor(&t, &login(&t, ADMIN).await).await;
    let pid = t
        .app
        .store
        .user_by_email(PRIMARY)
        .await
        .unwrap()
        .unwrap()
        .id;
    t.app
        .change_account_status(&admin, &pid, StatusChange::Disable)
        .await
        .unwrap();
    let actions: Vec<String> = t
        .app
        .store
        .audit_chain_events()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "user.create",
        "login.password_ok",
        "login.success",
        "user.disable",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert!(t.app.audit_verify().await.unwrap().ok());
}
