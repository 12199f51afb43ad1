//! Shared helpers of the web integration tests: an in-process site on the backend under test,
//! demo sign-in, requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use puente_web::{WebState, router};
use tower::ServiceExt;

pub struct Site {
    pub router: Router,
    pub app: Arc<puente_app::App>,
    pub db: puente_testkit::db::TestDb,
}

/// A site over a fresh database (PUENTE_TEST_BACKEND) with the demo accounts.
pub async fn site() -> Site {
    let db = puente_testkit::db::test_db().await.unwrap();
    let app = Arc::new(
        puente_app::App::new(db.store.clone(), Arc::new(puente_app::SystemClock))
            .await
            .unwrap(),
    );
    app.seed_demo_accounts().await.unwrap();
    Site {
        router: router(WebState { app: app.clone() }),
        app,
        db,
    }
}

/// A signed-in session cookie for the demo account of `role`.
pub async fn session_cookie(site: &Site, role: puente_domain::roles::Role) -> String {
    let email = format!("{}@demo.puente.test", role.code().replace('_', "."));
    session_cookie_of(site, &email).await
}

/// A signed-in session cookie for an account with the demo password and its TOTP secret set.
pub async fn session_cookie_of(site: &Site, email: &str) -> String {
    let email = email.to_string();
    let puente_app::auth::LoginStep::NeedMfa { token, .. } = site
        .app
        .login_password(&email, puente_app::accounts::DEMO_PASSWORD, None)
        .await
        .unwrap()
    else {
        panic!("demo login refused")
    };
    let u = site.app.store.user_by_email(&email).await.unwrap().unwrap();
    let code = puente_app::auth::totp_at(&u.totp_secret.unwrap(), chrono::Utc::now()).unwrap();
    let token = site
        .app
        .login_mfa(&token, &code, None)
        .await
        .unwrap()
        .unwrap();
    format!("puente_session={token}")
}

/// GET with an optional cookie; returns the response (without body) and the body text.
pub async fn get(site: &Site, uri: &str, cookie: Option<&str>) -> (Response<Body>, String) {
    let mut req = Request::get(uri);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let resp = site
        .router
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// The CSRF token of a session cookie (`puente_session=...`).
pub async fn csrf_of(site: &Site, cookie: &str) -> String {
    let token = cookie.trim_start_matches("puente_session=");
    site.app
        .session(token, None)
        .await
        .unwrap()
        .unwrap()
        .csrf_token
}

/// POST an url-encoded form with a cookie; returns the response (without body) and the body.
pub async fn post_form(
    site: &Site,
    uri: &str,
    cookie: &str,
    body: &str,
) -> (Response<Body>, String) {
    let req = Request::post(uri)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = site.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        Response::from_parts(parts, Body::empty()),
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// POST a form body with a cookie; returns the status, the `Location` header (empty when none)
/// and the body text.
pub async fn post_located(
    site: &Site,
    uri: &str,
    cookie: &str,
    body: &str,
) -> (axum::http::StatusCode, String, String) {
    let resp = site
        .router
        .clone()
        .oneshot(
            Request::post(uri)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie)
                .body(Body::from(body.to_owned()))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = resp.status();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location,
        String::from_utf8_lossy(&body).into_owned(),
    )
}
