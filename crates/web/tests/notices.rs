#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Notices in the portal: the forms from a child's record, the inbox, a notice and its actions,
//! in English and Spanish, on the backend under test.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Site, get, session_cookie, site};
use http_body_util::BodyExt;
use puente_app::ingest::RecordOutcome;
use puente_domain::StateCode;
use puente_domain::roles::Role;
use tower::ServiceExt;

const CA_ADMIN: &str = "data.administrator.ca@demo.puente.test";

async fn child(s: &Site) -> String {
    let out = s
        .app
        .ingest(
            vec![puente_testkit::fixtures::student(
                StateCode::TX,
                "T100",
                "Ana",
                "Quintero",
                "Salas",
                "20110407",
            )],
            None,
        )
        .await
        .unwrap();
    match &out[0] {
        RecordOutcome::Written(w) => w.msix_id.to_string(),
        other => panic!("{other:?}"),
    }
}

async fn cookie_of(s: &Site, email: &str) -> String {
    let puente_app::auth::LoginStep::NeedMfa { token, .. } = s
        .app
        .login_password(email, puente_app::accounts::DEMO_PASSWORD, None)
        .await
        .unwrap()
    else {
        panic!("demo login refused")
    };
    let u = s.app.store.user_by_email(email).await.unwrap().unwrap();
    let code = puente_app::auth::totp_at(&u.totp_secret.unwrap(), chrono::Utc::now()).unwrap();
    let token = s.app.login_mfa(&token, &code, None).await.unwrap().unwrap();
    format!("puente_session={token}")
}

fn csrf_in(html: &str) -> String {
    let i = html
        .find("name=\"_csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 20;
    html[i..].split('"').next().unwrap().to_string()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// POST a form; returns (status, location, body).
async fn post(
    s: &Site,
    uri: &str,
    cookie: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let resp = s
        .router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("cookie", cookie)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

#[tokio::test]
async fn move_notice_from_the_record_to_the_receivers_inbox_and_acknowledged() {
    let s = site().await;
    let msix = child(&s).await;
    let sender = session_cookie(&s, Role::PrimaryUser).await;

    // The record links to the form; a secondary user gets no link and no form.
    let (resp, html) = get(&s, &format!("/students/{msix}"), Some(&sender)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains(&format!("href=\"/students/{msix}/move-notice\"")));
    let secondary = session_cookie(&s, Role::SecondaryUser).await;
    let (_, html) = get(&s, &format!("/students/{msix}"), Some(&secondary)).await;
    assert!(!html.contains("/move-notice"));
    let (resp, _) = get(
        &s,
        &format!("/students/{msix}/move-notice"),
        Some(&secondary),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // The form: labelled fields; errors come back next to the field, values kept.
    let form_uri = format!("/students/{msix}/move-notice");
    let (resp, html) = get(&s, &form_uri, Some(&sender)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("<h1>Send a move notice</h1>"));
    for id in [
        "to_state",
        "to_district",
        "to_school",
        "expected_on",
        "comments",
    ] {
        assert!(html.contains(&format!("for=\"{id}\"")), "label for {id}");
    }
    let csrf = csrf_in(&html);
    let (st, _, html) = post(
        &s,
        &form_uri,
        &sender,
        &[
            ("_csrf", &csrf),
            ("to_state", ""),
            ("expected_on", "7/12/2026"),
            ("comments", "Harvest ends"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"to_state-error\""));
    assert!(html.contains("This field is required."));
    assert!(html.contains("id=\"expected_on-error\""));
    assert!(html.contains("aria-describedby=\"expected_on-hint expected_on-error\""));
    assert!(html.contains(">Harvest ends</textarea>"), "values are kept");
    assert_eq!(
        s.app
            .store
            .notices_for_state(None, true)
            .await
            .unwrap()
            .len(),
        0
    );

    // Without the CSRF token nothing is sent.
    let (st, _, _) = post(&s, &form_uri, &sender, &[("to_state", "CA")]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let (st, location, _) = post(
        &s,
        &form_uri,
        &sender,
        &[
            ("_csrf", &csrf),
            ("to_state", "CA"),
            ("to_district", "0612345"),
            ("to_school", ""),
            ("expected_on", ""),
            ("comments", "Harvest ends"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert!(location.starts_with("/notices/"), "{location}");
    let (resp, html) = get(&s, &location, Some(&sender)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("<h1>Move notice"));
    assert!(
        !html.contains("id=\"acknowledge\""),
        "the sender does not acknowledge"
    );
    // The CA data administrator's e-mail is queued, in Spanish (the demo account's language).
    let mails = s.app.store.outbox(None, 10).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].recipient, CA_ADMIN);
    assert_eq!(mails[0].locale, "es");

    // The receiver: inbox with the count and due date, then acknowledge.
    let receiver = cookie_of(&s, CA_ADMIN).await;
    let (resp, html) = get(&s, "/notices", Some(&receiver)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("1 open for your state, 0 overdue"), "{html}");
    assert!(html.contains(&format!("href=\"{location}\"")));
    assert!(html.contains(&msix));
    let (_, html) = get(&s, "/notices?lang=es", Some(&receiver)).await;
    assert!(html.contains("<h1>Avisos</h1>"));
    assert!(html.contains("1 abiertos para su estado"));
    let (_, html) = get(&s, &location, Some(&receiver)).await;
    assert!(html.contains("id=\"acknowledge\""));
    let csrf = csrf_in(&html);
    let (st, back, _) = post(
        &s,
        &location,
        &receiver,
        &[("_csrf", &csrf), ("action", "acknowledge")],
    )
    .await;
    assert_eq!(
        (st, back.as_str()),
        (StatusCode::SEE_OTHER, location.as_str())
    );
    let (_, html) = get(&s, &location, Some(&receiver)).await;
    assert!(html.contains("Acknowledged"));
    assert!(!html.contains("id=\"acknowledge\""));
    // Again: refused with a message on the page, not an error page.
    let (st, _, html) = post(
        &s,
        &location,
        &receiver,
        &[("_csrf", &csrf), ("action", "acknowledge")],
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("That action is not available.") || html.contains("not possible"));
    // Arrival and outcome close it.
    let (st, _, _) = post(
        &s,
        &location,
        &receiver,
        &[
            ("_csrf", &csrf),
            ("action", "arrival"),
            ("arrival", "arrived"),
            ("arrival_on", "2026-11-30"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = post(
        &s,
        &location,
        &receiver,
        &[
            ("_csrf", &csrf),
            ("action", "outcome"),
            ("outcome", "Enrolled"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = get(&s, "/notices", Some(&receiver)).await;
    assert!(html.contains("0 open for your state"));
    // A TX data administrator (sending state) sees it but cannot act on it.
    let tx_admin = session_cookie(&s, Role::DataAdministrator).await;
    let (resp, _) = get(&s, &location, Some(&tx_admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn data_request_thread_in_the_portal() {
    let s = site().await;
    let msix = child(&s).await;
    let sender = session_cookie(&s, Role::PrimaryUser).await;
    let uri = format!("/students/{msix}/data-request");
    let (resp, html) = get(&s, &uri, Some(&sender)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csrf = csrf_in(&html);
    let (st, _, html) = post(&s, &uri, &sender, &[("_csrf", &csrf), ("to_state", "CA")]).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"topic-error\"") && html.contains("id=\"message-error\""));
    let (st, location, _) = post(
        &s,
        &uri,
        &sender,
        &[
            ("_csrf", &csrf),
            ("to_state", "CA"),
            ("topic", "withdrawal date"),
            ("message", "Please send the withdrawal date."),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let receiver = cookie_of(&s, CA_ADMIN).await;
    let (_, html) = get(&s, &location, Some(&receiver)).await;
    assert!(html.contains("Please send the withdrawal date."));
    let csrf_r = csrf_in(&html);
    let (st, _, _) = post(
        &s,
        &location,
        &receiver,
        &[
            ("_csrf", &csrf_r),
            ("action", "message"),
            ("body", "Withdrawn on 20 November."),
            ("answers", "yes"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = get(&s, &location, Some(&sender)).await;
    assert!(html.contains("Withdrawn on 20 November."));
    assert!(html.contains("Closed"));
}

#[tokio::test]
async fn correction_request_form_records_and_shows_its_clocks() {
    let s = site().await;
    let msix = child(&s).await;
    let admin = session_cookie(&s, Role::DataAdministrator).await;
    let uri = format!("/students/{msix}/correction-request?lang=es");
    let (resp, html) = get(&s, &uri, Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("<h1>Registrar una solicitud de corrección de los padres</h1>"));
    let csrf = csrf_in(&html);
    let (st, location, _) = post(
        &s,
        &format!("/students/{msix}/correction-request"),
        &admin,
        &[
            ("_csrf", &csrf),
            ("owner_state", "CA"),
            ("topic", "birth date"),
            ("details", "The mother says the birth date is wrong."),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, html) = get(&s, &location, Some(&admin)).await;
    assert!(html.contains("Forward to the state that holds the data"));
    assert!(html.contains("Decide and tell the family"));
    // Unknown or malformed children: not found.
    let (resp, _) = get(&s, "/students/123/move-notice", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (resp, _) = get(
        &s,
        "/notices/00000000-0000-7000-8000-000000000000",
        Some(&admin),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_outbox_is_visible_to_system_administrators_and_failed_mail_can_be_retried() {
    let s = site().await;
    let sys = session_cookie(&s, Role::SystemAdministrator).await;
    s.app
        .queue_test_mail(&puente_app::Actor::system(), "ops@puente.example", "en")
        .await
        .unwrap();
    let (resp, html) = get(&s, "/admin/outbox", Some(&sys)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("1 waiting, 0 sent, 0 failed."));
    assert!(html.contains("ops@puente.example"));
    // Mark it failed, as the worker does after the last attempt.
    let id = s.app.store.outbox(None, 1).await.unwrap()[0].id.clone();
    s.app
        .store
        .mark_mail(
            &id,
            "failed",
            30,
            chrono::Utc::now(),
            Some("smtp connection"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let (_, html) = get(&s, "/admin/outbox?status=failed", Some(&sys)).await;
    assert!(html.contains("smtp connection"));
    let csrf = csrf_in(&html);
    let (st, loc, _) = post(
        &s,
        &format!("/admin/outbox/{id}"),
        &sys,
        &[("_csrf", &csrf)],
    )
    .await;
    assert_eq!((st, loc.as_str()), (StatusCode::SEE_OTHER, "/admin/outbox"));
    assert_eq!(s.app.store.outbox_counts().await.unwrap().queued, 1);
    // Nobody else sees it.
    let admin = session_cookie(&s, Role::DataAdministrator).await;
    let (resp, _) = get(&s, "/admin/outbox", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
