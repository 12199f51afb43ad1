//! Puente web portal frame: routes, layout, language handling, static assets and
//! security headers.
//!
//! * Pages are Askama templates in `crates/web/templates/` extending `base.html`; each page
//!   struct has a `frame: Frame` field and calls `frame.t("id")` for visible text
//!   (see [`pages`] for how to add one).
//! * Strings are Fluent messages in `crates/web/locales/{en,es}/main.ftl`.
//! * Assets in `crates/web/assets/` are embedded and served under `/static/`.

pub mod admin;
pub mod api;
pub mod apply;
pub mod assets;
pub mod auth;
pub mod csrf;
pub mod frame;
pub mod help;
pub mod i18n;
pub mod notices;
pub mod openapi;
pub mod oversight;
pub mod pages;
pub mod pdf;
pub mod reports;
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
        .route(openapi::DOCUMENT_PATH, get(openapi::serve))
        .route(openapi::DOCS_PATH, get(openapi::docs_root))
        .route("/api/docs/{file}", get(openapi::docs_file))
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
        .route("/help", get(help::index))
        .route("/help/{guide}", get(help::page))
        .route("/search", get(students::search_page))
        .route("/worklists", get(worklists::page))
        .route("/reports", get(reports::page))
        .route("/reports/child-count.csv", get(reports::child_count_csv))
        .route("/reports/child-count.xlsx", get(reports::child_count_xlsx))
        .route("/reports/quality.csv", get(reports::quality_csv))
        .route("/reports/quality.xlsx", get(reports::quality_xlsx))
        .route("/reports/child-count.pdf", get(reports::child_count_pdf))
        .route("/reports/quality.pdf", get(reports::quality_pdf))
        .route("/reports/list", get(reports::list_page))
        .route("/reports/oversight", get(oversight::page))
        .route("/reports/rejected", get(oversight::rejected_page))
        .route(
            "/reports/reconcile",
            get(reports::reconcile_form).post(reports::reconcile_upload),
        )
        .route("/notices", get(notices::inbox))
        .route("/admin/outbox", get(notices::outbox_page))
        .route(
            "/admin/outbox/{id}",
            axum::routing::post(notices::outbox_retry),
        )
        .route("/notices/{id}", get(notices::detail).post(notices::act))
        .route("/notices/{id}/letter.pdf", get(notices::correction_letter))
        .route(
            "/students/{msix_id}/move-notice",
            get(notices::move_form).post(notices::move_submit),
        )
        .route(
            "/students/{msix_id}/data-request",
            get(notices::request_form).post(notices::request_submit),
        )
        .route(
            "/students/{msix_id}/correction-request",
            get(notices::correction_form).post(notices::correction_submit),
        )
        .route("/admin", get(admin::index))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{user_id}", get(admin::user))
        .route(
            "/admin/users/{user_id}/status",
            axum::routing::post(admin::user_status),
        )
        .route(
            "/admin/users/{user_id}/role",
            axum::routing::post(admin::user_role),
        )
        .route("/admin/applications", get(admin::applications))
        .route(
            "/admin/applications/{application_id}",
            get(admin::application),
        )
        .route(
            "/admin/applications/{application_id}/approve",
            axum::routing::post(admin::approve_application),
        )
        .route(
            "/admin/applications/{application_id}/deny",
            axum::routing::post(admin::deny_application),
        )
        .route("/apply", get(apply::form).post(apply::submit))
        .route("/apply/sent", get(apply::sent))
        .route(
            "/apply/attest/{token}",
            get(apply::attest_form).post(apply::attest_submit),
        )
        .route("/apply/attested", get(apply::attested))
        .route(
            "/apply/activate/{token}",
            get(apply::activate_form).post(apply::activate_submit),
        )
        .route("/admin/audit", get(admin::audit))
        .route("/admin/audit.csv", get(admin::audit_csv))
        .route("/worklists/{id}", get(worklists::item_page))
        .route(
            "/worklists/{id}/resolve",
            axum::routing::post(worklists::resolve),
        )
        .route(
            "/worklists/{id}/validate",
            axum::routing::post(worklists::validate),
        )
        .route(
            "/worklists/{id}/reassign",
            axum::routing::post(worklists::reassign),
        )
        .route("/students/{msix_id}/history", get(worklists::history_page))
        .route(
            "/students/{msix_id}/merge",
            get(worklists::merge_form).post(worklists::merge_submit),
        )
        .route(
            "/students/{msix_id}/split",
            get(worklists::split_form).post(worklists::split_submit),
        )
        .route(
            "/submissions",
            get(submissions::page).post(submissions::upload),
        )
        .route("/submissions/{id}", get(submissions::report_page))
        .route("/students/{msix_id}", get(students::record_page))
        .route("/students/{msix_id}/report.pdf", get(pdf::portal_pdf))
        .route("/api/v1/students", get(students::api_search))
        .route("/api/v1/students/{msix_id}", get(students::api_record))
        .route("/api/v1/students/{msix_id}/report.pdf", get(pdf::api_pdf))
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
    for item in NAV.iter().filter(|n| {
        !matches!(
            n.href,
            "/search" | "/submissions" | "/worklists" | "/notices" | "/reports" | "/admin"
        )
    }) {
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
