//! Puente web portal frame: routes, layout, language handling, static assets and
//! security headers.
//!
//! * Pages are Askama templates in `crates/web/templates/` extending `base.html`; each page
//!   struct has a `frame: Frame` field and calls `frame.t("id")` for visible text
//!   (see [`pages`] for how to add one).
//! * Strings are Fluent messages in `crates/web/locales/{en,es}/main.ftl`.
//! * Assets in `crates/web/assets/` are embedded and served under `/static/`.

pub mod api;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod frame;
pub mod i18n;
pub mod pages;
pub mod security;
pub mod session;
pub mod students;
pub mod submissions;
pub mod worklists;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};

pub use frame::{Frame, NAV, NavItem};
pub use i18n::Lang;

/// Shared state of the web layer.
#[derive(Clone)]
pub struct WebState {
    pub app: Arc<puente_app::App>,
}

/// Every portal page reachable with `GET` (for crawling tests and the authorization matrix).
pub fn portal_routes() -> Vec<&'static str> {
    let mut routes = vec!["/"];
    routes.extend(NAV.iter().map(|n| n.href));
    routes
}

/// `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.
async fn healthz(State(state): State<WebState>) -> impl IntoResponse {
    if state.app.health().await {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    }
}

/// The whole site.
pub fn router(state: WebState) -> Router {
    let mut r = Router::new()
        .route("/", get(pages::home))
        .route("/healthz", get(healthz))
        .route("/api/v1", get(api::root))
        .route("/language/{code}", get(pages::set_language))
        .route("/static/{*path}", get(assets::serve))
        .route("/login", get(auth::login_form).post(auth::login_submit))
        .route("/login/mfa", get(auth::mfa_form).post(auth::mfa_submit))
        .route(
            "/login/enroll",
            get(auth::enroll_form).post(auth::enroll_submit),
        )
        .route("/logout", axum::routing::post(auth::logout))
        .route(
            "/account/rules",
            get(auth::rules_form).post(auth::rules_submit),
        )
        .route("/search", get(students::search_page))
        .route("/worklists", get(worklists::page))
        .route(
            "/submissions",
            get(submissions::page).post(submissions::upload),
        )
        .route("/submissions/{id}", get(submissions::report_page))
        .route("/students/{msix_id}", get(students::record_page))
        .route("/api/v1/students", get(students::api_search))
        .route("/api/v1/students/{msix_id}", get(students::api_record))
        .route(
            "/api/v1/submissions",
            axum::routing::post(submissions::api_submit)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/submissions/{id}", get(submissions::api_report))
        .route(
            "/api/v1/submissions/{id}/report.csv",
            get(submissions::api_report_csv),
        );
    for item in NAV
        .iter()
        .filter(|n| !matches!(n.href, "/search" | "/submissions" | "/worklists"))
    {
        let section = *item;
        r = r.route(
            section.href,
            get(move |Extension(frame): Extension<Frame>| pages::coming_soon(frame, section)),
        );
    }
    // Every route above is checked against `auth::route_table()` (undeclared routes are refused).
    r.route_layer(axum::middleware::from_fn(auth::guard))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(csrf::middleware))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::api_token_middleware,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session::middleware,
        ))
        .layer(axum::middleware::from_fn(frame::locale_middleware))
        .layer(axum::middleware::map_response(security::headers))
        .with_state(state)
}
