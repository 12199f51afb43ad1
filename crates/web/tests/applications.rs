#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The application workflow through the portal: the public form (labelled fields, errors next to
//! them, CSRF, POST + redirect), the supervisor's single-use link, the administrators' review
//! (another state's administrator refused) and the activation link.

mod common;

use axum::http::StatusCode;
use common::{Site, get, post_located as post, session_cookie, site};
use puente_domain::roles::Role;

/// The anonymous CSRF cookie and token of a public form page.
async fn public_form(site: &Site, uri: &str) -> (String, String, String) {
    let (resp, html) = get(site, uri, None).await;
    assert_eq!(resp.status(), StatusCode::OK, "{uri}");
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find_map(|c| c.strip_prefix("puente_csrf="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (format!("puente_csrf={cookie}"), csrf, html)
}

fn body(csrf: &str, state: &str, email: &str) -> String {
    format!(
        "_csrf={csrf}&full_name=Luc%C3%ADa+Ram%C3%ADrez&email={email}&organisation=Weslaco+ISD&role=primary_user&state={state}&district=&supervisor_name=Marta+Sol%C3%ADs&supervisor_email=marta%40example.org&accept_rules=on"
    )
}

async fn link(site: &Site, to: &str, prefix: &str) -> String {
    let rows = site.app.store.outbox(None, 100).await.unwrap();
    let mail = rows
        .iter()
        .rev()
        .find(|m| m.recipient == to && m.body.contains(prefix))
        .unwrap();
    let start = mail.body.find(prefix).unwrap() + prefix.len();
    mail.body[start..start + 64].to_owned()
}

#[tokio::test]
async fn the_whole_workflow_through_the_portal() {
    let site = site().await;
    // The login page points to the application form.
    let (_, login) = get(&site, "/login", None).await;
    assert!(login.contains("href=\"/apply\""));
    let (cookie, csrf, html) = public_form(&site, "/apply").await;
    assert_eq!(html.matches("<h1>").count(), 1);
    for f in [
        "full_name",
        "email",
        "organisation",
        "role",
        "state",
        "district",
        "supervisor_name",
        "supervisor_email",
        "accept_rules",
    ] {
        assert!(html.contains(&format!("for=\"{f}\"")), "label of {f}");
    }
    let (_, es) = get(&site, "/apply?lang=es", None).await;
    assert!(es.contains("Solicite acceso"));
    // Without the CSRF token: refused.
    let (st, _, _) = post(
        &site,
        "/apply",
        &cookie,
        &body("x", "TX", "lucia%40example.org"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // Errors next to the fields, answers kept.
    let (st, _, html) = post(
        &site,
        "/apply",
        &cookie,
        &body(&csrf, "ZZ", "not-an-address"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(
        html.contains("id=\"email-error\"") && html.contains("aria-describedby=\"email-error\"")
    );
    assert!(html.contains("id=\"state-error\""));
    assert!(html.contains("value=\"Weslaco ISD\""));
    // Sent.
    let (st, loc, _) = post(
        &site,
        "/apply",
        &cookie,
        &body(&csrf, "TX", "lucia%40example.org"),
    )
    .await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/apply/sent"));
    let (resp, _) = get(&site, "/apply/sent", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // The supervisor's link: the page, one answer, then the link is spent.
    let token = link(&site, "marta@example.org", "/apply/attest/").await;
    let uri = format!("/apply/attest/{token}");
    let (cookie2, csrf2, html) = public_form(&site, &uri).await;
    assert!(html.contains("Lucía Ramírez") && html.contains("for=\"answer-confirm\""));
    let (st, _, html) = post(&site, &uri, &cookie2, &format!("_csrf={csrf2}")).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"answer-error\""));
    let (st, loc, _) = post(
        &site,
        &uri,
        &cookie2,
        &format!("_csrf={csrf2}&answer=confirm&note=ok"),
    )
    .await;
    assert_eq!(
        (st, loc.as_str()),
        (StatusCode::SEE_OTHER, "/apply/attested")
    );
    let (resp, _) = get(&site, &uri, None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND, "single use");
    let (st, _, _) = post(
        &site,
        &uri,
        &cookie2,
        &format!("_csrf={csrf2}&answer=confirm"),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // The TX user administrator reviews and approves.
    let admin = session_cookie(&site, Role::UserAdministrator).await;
    let admin_csrf = site
        .app
        .session(admin.strip_prefix("puente_session=").unwrap(), None)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let (resp, html) = get(&site, "/admin/applications", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let id = site.app.store.list_applications(None).await.unwrap()[0]
        .id
        .clone();
    assert!(html.contains(&format!("href=\"/admin/applications/{id}\"")));
    let (resp, html) = get(&site, &format!("/admin/applications/{id}"), Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("for=\"training_completed_on\"") && html.contains("for=\"reason\""));
    let (st, _, html) = post(
        &site,
        &format!("/admin/applications/{id}/approve"),
        &admin,
        &format!("_csrf={admin_csrf}&training_completed_on=31%2F12%2F2020"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"training-error\""));
    let today = chrono::Utc::now().date_naive();
    let (st, loc, _) = post(
        &site,
        &format!("/admin/applications/{id}/approve"),
        &admin,
        &format!("_csrf={admin_csrf}&training_completed_on={today}"),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(loc, format!("/admin/applications/{id}?done=approved"));
    let u = site
        .app
        .store
        .user_by_email("lucia@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(u.role, "primary_user");
    // The applicant chooses a password through the activation link, once.
    let token = link(&site, "lucia@example.org", "/apply/activate/").await;
    let uri = format!("/apply/activate/{token}");
    let (cookie3, csrf3, html) = public_form(&site, &uri).await;
    assert!(html.contains("for=\"password\"") && html.contains("for=\"confirm\""));
    let (st, _, html) = post(
        &site,
        &uri,
        &cookie3,
        &format!("_csrf={csrf3}&password=short&confirm=short"),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"password-error\""));
    let pw = "a+long+and+quiet+river+bank";
    let (st, loc, _) = post(
        &site,
        &uri,
        &cookie3,
        &format!("_csrf={csrf3}&password={pw}&confirm={pw}"),
    )
    .await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/login"));
    let (resp, _) = get(&site, &uri, None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_states_administrator_is_refused() {
    let site = site().await;
    let sub = site
        .app
        .apply_for_access(
            &puente_app::applications::ApplicationForm {
                full_name: "Pedro Ruiz".into(),
                email: "pedro@example.org".into(),
                organisation: "Fresno COE".into(),
                role: "secondary_user".into(),
                state: "CA".into(),
                district: String::new(),
                supervisor_name: "Ana".into(),
                supervisor_email: "ana@example.org".into(),
                accept_rules: "on".into(),
            },
            "en",
            None,
        )
        .await
        .unwrap()
        .unwrap();
    site.app
        .attest_application(&sub.attest_token, true, "", None)
        .await
        .unwrap();
    let admin = session_cookie(&site, Role::UserAdministrator).await;
    let (_, html) = get(&site, "/admin/applications", Some(&admin)).await;
    assert!(!html.contains("Pedro Ruiz"));
    let (resp, _) = get(
        &site,
        &format!("/admin/applications/{}", sub.id),
        Some(&admin),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let csrf = site
        .app
        .session(admin.strip_prefix("puente_session=").unwrap(), None)
        .await
        .unwrap()
        .unwrap()
        .csrf_token;
    let today = chrono::Utc::now().date_naive();
    let (st, _, _) = post(
        &site,
        &format!("/admin/applications/{}/approve", sub.id),
        &admin,
        &format!("_csrf={csrf}&training_completed_on={today}"),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(
        site.app
            .store
            .user_by_email("pedro@example.org")
            .await
            .unwrap()
            .is_none()
    );
    // The national system administrator can.
    let sys = session_cookie(&site, Role::SystemAdministrator).await;
    let (resp, html) = get(
        &site,
        &format!("/admin/applications/{}", sub.id),
        Some(&sys),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("Pedro Ruiz"));
}
