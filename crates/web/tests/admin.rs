#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The administration portal: account list and detail in the administrator's scope, status and
//! role changes (audited, CSRF, POST + redirect, errors next to the field), and the audit log
//! viewer with its filters and the audited, formula-safe CSV export.

mod common;

use axum::http::StatusCode;
use common::{Site, get, post_located as post, session_cookie, site};
use puente_app::Actor;
use puente_app::accounts::NewAccount;
use puente_domain::roles::Role;

async fn account(site: &Site, email: &str, role: Role, state: Option<&str>) -> String {
    site.app
        .create_account(
            &Actor::system(),
            &NewAccount {
                email: email.into(),
                display_name: email.split('@').next().unwrap().into(),
                role,
                scope_state: state.map(str::to_owned),
                password: "a fine long passphrase".into(),
            },
        )
        .await
        .unwrap()
        .unwrap()
}

/// The CSRF token of a signed-in session cookie (`puente_session=...`).
async fn csrf(site: &Site, cookie: &str) -> String {
    let token = cookie.strip_prefix("puente_session=").unwrap();
    site.app
        .session(token, None)
        .await
        .unwrap()
        .unwrap()
        .csrf_token
}

async fn events(site: &Site, action: &str) -> Vec<puente_store::AuditEvent> {
    site.app
        .store
        .audit_search(&puente_store::AuditFilter {
            action: Some(action.into()),
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn state_administrator_lists_and_filters_their_state_only() {
    let site = site().await;
    account(&site, "ana.tx@example.org", Role::PrimaryUser, Some("TX")).await;
    account(&site, "bea.ca@example.org", Role::PrimaryUser, Some("CA")).await;
    account(&site, "off.tx@example.org", Role::SecondaryUser, Some("TX")).await;
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let (resp, html) = get(&site, "/admin/users", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("ana.tx@example.org") && html.contains("off.tx@example.org"));
    assert!(
        !html.contains("bea.ca@example.org"),
        "another state's account"
    );
    assert!(
        !html.contains("system.administrator@demo"),
        "national accounts are not a state administrator's"
    );
    assert_eq!(html.matches("<h1>").count(), 1);
    // Filters: role, text, status.
    let (_, html) = get(&site, "/admin/users?role=primary_user", Some(&cookie)).await;
    assert!(html.contains("ana.tx@example.org") && !html.contains("off.tx@example.org"));
    let (_, html) = get(&site, "/admin/users?q=OFF.TX", Some(&cookie)).await;
    assert!(!html.contains("ana.tx@example.org") && html.contains("off.tx@example.org"));
    let (_, html) = get(&site, "/admin/users?status=disabled", Some(&cookie)).await;
    assert!(!html.contains("ana.tx@example.org"));
    // A national administrator sees every state and filters by state.
    let admin = session_cookie(&site, Role::SystemAdministrator).await;
    let (_, html) = get(&site, "/admin/users?state=ca", Some(&admin)).await;
    assert!(html.contains("bea.ca@example.org") && !html.contains("ana.tx@example.org"));
    // Spanish.
    let (_, es) = get(&site, "/admin/users?lang=es", Some(&cookie)).await;
    assert!(es.contains("Cuentas encontradas"), "{es}");
}

#[tokio::test]
async fn status_changes_are_posted_audited_and_refused_next_to_the_field() {
    let site = site().await;
    let id = account(&site, "ana.tx@example.org", Role::PrimaryUser, Some("TX")).await;
    let other = account(&site, "bea.ca@example.org", Role::PrimaryUser, Some("CA")).await;
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let token = csrf(&site, &cookie).await;
    let (resp, html) = get(&site, &format!("/admin/users/{id}"), Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("value=\"disable\"") && !html.contains("value=\"reactivate\""));
    assert!(html.contains("for=\"change-disable\""), "labelled choices");
    // Without the CSRF token: refused, nothing changes.
    let (st, _, _) = post(
        &site,
        &format!("/admin/users/{id}/status"),
        &cookie,
        "change=disable",
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(
        site.app
            .store
            .user_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
    // Disable: POST, then redirect back with a notice.
    let (st, loc, _) = post(
        &site,
        &format!("/admin/users/{id}/status"),
        &cookie,
        &format!("_csrf={token}&change=disable"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/admin/users/{id}?done=status"));
    assert_eq!(
        site.app
            .store
            .user_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "disabled"
    );
    let disables = events(&site, "user.disable").await;
    assert_eq!(disables.len(), 1);
    assert_eq!(disables[0].details.as_deref(), Some(&*format!("user={id}")));
    let (_, html) = get(&site, &loc, Some(&cookie)).await;
    assert!(html.contains("usa-alert--success") && html.contains("value=\"reactivate\""));
    // Disabling again: the error is shown next to the choices, status 400.
    let (st, _, html) = post(
        &site,
        &format!("/admin/users/{id}/status"),
        &cookie,
        &format!("_csrf={token}&change=disable"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("id=\"change-error\"") && html.contains("aria-describedby=\"change-error\"")
    );
    // Deactivate, then reactivation is refused: permanent.
    let (st, _, _) = post(
        &site,
        &format!("/admin/users/{id}/status"),
        &cookie,
        &format!("_csrf={token}&change=deactivate"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, html) = post(
        &site,
        &format!("/admin/users/{id}/status"),
        &cookie,
        &format!("_csrf={token}&change=reactivate"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("permanent"));
    assert_eq!(
        site.app
            .store
            .user_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .status,
        "deactivated"
    );
    assert_eq!(events(&site, "user.reactivate").await.len(), 0);
    // Another state's account: neither shown nor changed.
    let (resp, _) = get(&site, &format!("/admin/users/{other}"), Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (st, _, _) = post(
        &site,
        &format!("/admin/users/{other}/status"),
        &cookie,
        &format!("_csrf={token}&change=disable"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(
        site.app
            .store
            .user_by_id(&other)
            .await
            .unwrap()
            .unwrap()
            .status,
        "active"
    );
}

#[tokio::test]
async fn role_changes_stay_within_what_the_administrator_may_grant() {
    let site = site().await;
    let id = account(&site, "ana.tx@example.org", Role::SecondaryUser, Some("TX")).await;
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let token = csrf(&site, &cookie).await;
    let (_, html) = get(&site, &format!("/admin/users/{id}"), Some(&cookie)).await;
    assert!(html.contains("value=\"primary_user\""));
    assert!(
        !html.contains("value=\"user_administrator\"")
            && !html.contains("value=\"system_administrator\""),
        "a state administrator cannot grant administrator roles"
    );
    let (st, loc, _) = post(
        &site,
        &format!("/admin/users/{id}/role"),
        &cookie,
        &format!("_csrf={token}&role=primary_user"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{loc}");
    assert_eq!(
        site.app.store.user_by_id(&id).await.unwrap().unwrap().role,
        "primary_user"
    );
    let ev = events(&site, "user.role_change").await;
    assert_eq!(ev.len(), 1);
    assert!(
        ev[0]
            .details
            .as_deref()
            .unwrap()
            .contains("from=secondary_user to=primary_user")
    );
    // A forged form asking for an administrator role: refused next to the field.
    let (st, _, html) = post(
        &site,
        &format!("/admin/users/{id}/role"),
        &cookie,
        &format!("_csrf={token}&role=system_administrator"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"role-error\"") && html.contains("aria-describedby=\"role-error\""));
    assert_eq!(
        site.app.store.user_by_id(&id).await.unwrap().unwrap().role,
        "primary_user"
    );
    // Their own account: no actions offered.
    let me = site
        .app
        .store
        .user_by_email("user.administrator@demo.puente.test")
        .await
        .unwrap()
        .unwrap();
    let (st, _, _) = post(
        &site,
        &format!("/admin/users/{}/role", me.id),
        &cookie,
        &format!("_csrf={token}&role=primary_user"),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "not an account a state administrator manages"
    );
}

#[tokio::test]
async fn audit_viewer_filters_and_exports_safely() {
    let site = site().await;
    let cookie = session_cookie(&site, Role::SystemAdministrator).await;
    let actor = site
        .app
        .store
        .user_by_email("primary.user@demo.puente.test")
        .await
        .unwrap()
        .unwrap();
    let who = Actor {
        user_id: actor.id.clone(),
        role: Role::PrimaryUser,
        scope: puente_domain::roles::Scope::State { state: "TX".into() },
        source_ip: Some("=1+2".into()),
    };
    site.app
        .audit(&who, "test.note", Some("=HYPERLINK(\"http://x\")"))
        .await
        .unwrap();
    // Filter by actor e-mail and action.
    let (resp, html) = get(
        &site,
        "/admin/audit?actor=primary.user%40demo.puente.test&action=test.note",
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("test.note") && !html.contains("user.create"));
    assert_eq!(html.matches("<h1>").count(), 1);
    // Dates: today's events are inside today..today, none before.
    let today = chrono::Utc::now().date_naive();
    let (_, html) = get(
        &site,
        &format!("/admin/audit?action=test.note&from={today}&until={today}"),
        Some(&cookie),
    )
    .await;
    assert!(html.contains("test.note"));
    let (_, html) = get(
        &site,
        "/admin/audit?action=test.note&until=2000-01-01",
        Some(&cookie),
    )
    .await;
    assert!(!html.contains("<td data-label=\"Action\">test.note"));
    // A wrong date: 400, the message next to the field.
    let (resp, html) = get(&site, "/admin/audit?from=31%2F12%2F2026", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"from-error\""));
    let (resp, _) = get(&site, "/admin/audit?msix_id=123", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // Export: CSV, formula cells neutralised, and the export audited.
    let (resp, csv) = get(&site, "/admin/audit.csv?action=test.note", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.starts_with("seq,at,actor,action"));
    assert!(csv.contains("'=1+2"), "{csv}");
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\")\""), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"));
    let exports = events(&site, "audit.export").await;
    assert_eq!(exports.len(), 1);
    assert!(
        exports[0]
            .details
            .as_deref()
            .unwrap()
            .contains("\"rows\":1")
    );
}

#[tokio::test]
async fn a_state_administrator_sees_their_states_events_only() {
    let site = site().await;
    let ca = account(&site, "bea.ca@example.org", Role::PrimaryUser, Some("CA")).await;
    let tx = account(&site, "ana.tx@example.org", Role::PrimaryUser, Some("TX")).await;
    for (id, action) in [(&ca, "test.ca"), (&tx, "test.tx")] {
        let a = Actor {
            user_id: id.clone(),
            role: Role::PrimaryUser,
            scope: puente_domain::roles::Scope::National,
            source_ip: None,
        };
        site.app.audit(&a, action, None).await.unwrap();
    }
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let (_, html) = get(&site, "/admin/audit?action=test.tx", Some(&cookie)).await;
    assert!(
        html.contains("ana.tx@example.org"),
        "actors shown by e-mail"
    );
    let (_, html) = get(&site, "/admin/audit?action=test.ca", Some(&cookie)).await;
    assert!(!html.contains("test.ca</td>"));
    let (_, csv) = get(&site, "/admin/audit.csv", Some(&cookie)).await;
    assert!(csv.contains("test.tx") && !csv.contains("test.ca"));
    // Nobody else: a primary user cannot open the log.
    let user = session_cookie(&site, Role::PrimaryUser).await;
    let (resp, _) = get(&site, "/admin/audit", Some(&user)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn admin_home_links_the_tasks_and_replaces_the_placeholder() {
    let site = site().await;
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let (resp, html) = get(&site, "/admin", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("href=\"/admin/users\"") && html.contains("href=\"/admin/audit\""));
    assert!(
        !html.contains("usa-alert--info"),
        "not the coming-soon page"
    );
}
