#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Faults that are not the user's: the database unreachable, its disk full. Clear answers (503,
//! 507) without internal text, and never "signed out" because a session could not be checked.

mod common;

use axum::http::StatusCode;
use common::{get, session_cookie, site};
use http_body_util::BodyExt;
use puente_app::AppError;
use puente_domain::roles::Role;
use puente_store::StoreError;

#[tokio::test]
async fn with_the_database_gone_signed_in_requests_get_503_not_the_login_page() {
    let site = site().await;
    let cookie = session_cookie(&site, Role::SecondaryUser).await;
    let (resp, _) = get(&site, "/search", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    site.app.store.close().await;

    let (resp, html) = get(&site, "/search?last_name=garcia", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("Puente is temporarily unavailable"), "{html}");
    assert!(!html.contains("pool") && !html.contains("sqlx"), "{html}");
    let (resp, html) = get(&site, "/search?lang=es", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(html.contains("Puente no está disponible por el momento"));

    let (resp, body) = get(&site, "/api/v1/students?last_name=garcia", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["code"], "unavailable");
    assert!(!body.contains("pool") && !body.contains("closed"), "{body}");

    let (resp, _) = get(&site, "/healthz", None).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn storage_errors_map_to_stable_problems_without_driver_text() {
    let cases = [
        (
            AppError::Store(StoreError::Full),
            StatusCode::INSUFFICIENT_STORAGE,
            "insufficient_storage",
        ),
        (
            AppError::Store(StoreError::Unavailable(
                "pool timed out while waiting for an open connection".into(),
            )),
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
        ),
        (
            AppError::Store(StoreError::Database(
                "error returned from database: relation x does not exist".into(),
            )),
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
        ),
    ];
    for (e, status, code) in cases {
        let resp = puente_web::auth::api_problem(e, "no such thing");
        assert_eq!(resp.status(), status);
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["code"], code);
        let text = String::from_utf8_lossy(&body);
        for leak in ["pool", "relation", "database error", "sqlx"] {
            assert!(!text.contains(leak), "{leak} in {text}");
        }
    }
    // The CLI prints the error chain: the message is said once.
    let e = anyhow::Error::from(AppError::Store(StoreError::Full));
    let shown = format!("{e:#}");
    assert_eq!(
        shown,
        "the disk holding the database is full; nothing of this write was kept"
    );
}
