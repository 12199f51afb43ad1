//! Authentication and authorization in the web layer.
//!
//! * [`route_table`] declares every route with the [`Access`] it requires. The [`guard`]
//!   route layer enforces it for every matched route (an undeclared route is refused: fail
//!   closed), so a handler cannot forget a check. Portal pages redirect anonymous users to
//!   `/login?next=...`; API routes answer `401`/`403` `application/problem+json`.
//! * Handlers that need the user take [`CurrentUser`] (an [`Actor`]) and pass it to the use case,
//!   which checks the capability again (and the scope).
//! * Login: `GET/POST /login` (e-mail + password), `GET/POST /login/mfa` (TOTP or recovery code),
//!   `GET/POST /login/enroll` (first MFA enrolment with a QR code), `POST /logout`,
//!   `GET/POST /account/rules` (yearly rules of behavior and training confirmation).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{MatchedPath, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use puente_app::Actor;
use puente_app::auth::LoginStep;
use puente_domain::roles::{Capability, Role};
use serde::Deserialize;

use crate::WebState;
use crate::frame::{Frame, render};
use crate::session::{
    ClientIp, PRE_CSRF_COOKIE, SessionCtx, clear_session_cookie, cookie, session_cookie,
};

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login, language switch, health, assets).
    Public,
    /// A signed-in user (MFA passed, rules of behavior accepted).
    Authenticated,
    /// A signed-in user whose role grants the capability.
    Capability(Capability),
    /// A signed-in user whose role grants one of these capabilities.
    AnyOf(&'static [Capability]),
    /// A signed-in user whose role grants every one of these capabilities.
    AllOf(&'static [Capability]),
}

impl Access {
    /// Whether an actor (or nobody) passes.
    pub fn allows(self, actor: Option<&Actor>) -> bool {
        self.allows_role(actor.map(|a| a.role))
    }

    /// Whether a signed-in user of `role` (or nobody) passes.
    pub fn allows_role(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::Authenticated, Some(_)) => true,
            (Access::Capability(c), Some(r)) => r.can(c),
            (Access::AnyOf(cs), Some(r)) => cs.iter().any(|c| r.can(*c)),
            (Access::AllOf(cs), Some(r)) => cs.iter().all(|c| r.can(*c)),
        }
    }
}

/// Every route of the site with its access rule: `(method, path pattern as routed, access)`.
/// Add a line here for every new route; the guard refuses routes missing from this table.
pub fn route_table() -> Vec<(Method, &'static str, Access)> {
    use Access::*;
    use puente_domain::roles::Capability as C;
    vec![
        (Method::GET, "/", Public),
        (Method::GET, "/healthz", Public),
        (Method::GET, "/api/v1", Public),
        (Method::GET, "/api/openapi.json", Public),
        (Method::GET, "/api/docs", Public),
        (Method::GET, "/api/docs/{file}", Public),
        (Method::GET, "/language/{code}", Public),
        (Method::GET, "/static/{*path}", Public),
        // Built-in help (no personal data).
        (Method::GET, "/help", Public),
        (Method::GET, "/help/{guide}", Public),
        // Login and account.
        (Method::GET, "/login", Public),
        (Method::POST, "/login", Public),
        (Method::GET, "/login/mfa", Public),
        (Method::POST, "/login/mfa", Public),
        (Method::GET, "/login/enroll", Public),
        (Method::POST, "/login/enroll", Public),
        (Method::POST, "/logout", Public),
        (Method::GET, "/account/rules", Authenticated),
        (Method::POST, "/account/rules", Authenticated),
        // Task sections.
        (Method::GET, "/search", Capability(C::SearchStudents)),
        (
            Method::GET,
            "/students/{msix_id}",
            Capability(C::ViewStudent),
        ),
        (
            Method::GET,
            "/students/{msix_id}/report.pdf",
            Capability(C::PrintStudent),
        ),
        (
            Method::GET,
            "/api/v1/students",
            Capability(C::SearchStudents),
        ),
        (
            Method::GET,
            "/api/v1/students/{msix_id}/report.pdf",
            Capability(C::PrintStudent),
        ),
        (
            Method::GET,
            "/api/v1/students/{msix_id}",
            Capability(C::ViewStudent),
        ),
        (
            Method::POST,
            "/api/v1/submissions",
            Capability(C::SubmitRecords),
        ),
        (
            Method::GET,
            "/api/v1/submissions/{id}",
            Capability(C::SubmitRecords),
        ),
        (
            Method::GET,
            "/api/v1/submissions/{id}/report.csv",
            Capability(C::SubmitRecords),
        ),
        (Method::GET, "/worklists", Capability(C::WorkWorklist)),
        (Method::GET, "/worklists/{id}", Capability(C::WorkWorklist)),
        (
            Method::POST,
            "/worklists/{id}/resolve",
            Capability(C::WorkWorklist),
        ),
        (
            Method::POST,
            "/worklists/{id}/validate",
            Capability(C::WorkWorklist),
        ),
        (
            Method::POST,
            "/worklists/{id}/reassign",
            Capability(C::WorkWorklist),
        ),
        (
            Method::GET,
            "/students/{msix_id}/history",
            Capability(C::WorkWorklist),
        ),
        (
            Method::GET,
            "/students/{msix_id}/merge",
            Capability(C::StartMergeSplit),
        ),
        (
            Method::POST,
            "/students/{msix_id}/merge",
            Capability(C::StartMergeSplit),
        ),
        (
            Method::GET,
            "/students/{msix_id}/split",
            Capability(C::StartMergeSplit),
        ),
        (
            Method::POST,
            "/students/{msix_id}/split",
            Capability(C::StartMergeSplit),
        ),
        (
            Method::GET,
            "/notices",
            AnyOf(&[C::SendMoveNotice, C::SendDataRequest, C::AnswerDataRequest]),
        ),
        (
            Method::GET,
            "/notices/{id}",
            AnyOf(&[C::SendMoveNotice, C::SendDataRequest, C::AnswerDataRequest]),
        ),
        (
            Method::POST,
            "/notices/{id}",
            AnyOf(&[C::SendMoveNotice, C::SendDataRequest, C::AnswerDataRequest]),
        ),
        (
            Method::GET,
            "/notices/{id}/letter.pdf",
            AnyOf(&[C::SendMoveNotice, C::SendDataRequest, C::AnswerDataRequest]),
        ),
        (
            Method::GET,
            "/students/{msix_id}/move-notice",
            Capability(C::SendMoveNotice),
        ),
        (
            Method::POST,
            "/students/{msix_id}/move-notice",
            Capability(C::SendMoveNotice),
        ),
        (
            Method::GET,
            "/students/{msix_id}/data-request",
            Capability(C::SendDataRequest),
        ),
        (
            Method::POST,
            "/students/{msix_id}/data-request",
            Capability(C::SendDataRequest),
        ),
        (
            Method::GET,
            "/students/{msix_id}/correction-request",
            Capability(C::SendDataRequest),
        ),
        (
            Method::POST,
            "/students/{msix_id}/correction-request",
            Capability(C::SendDataRequest),
        ),
        (
            Method::GET,
            "/reports",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        // Report exports: the same figures as the page.
        (
            Method::GET,
            "/reports/child-count.csv",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        (
            Method::GET,
            "/reports/child-count.xlsx",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        (
            Method::GET,
            "/reports/quality.csv",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        (
            Method::GET,
            "/reports/quality.xlsx",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        (
            Method::GET,
            "/reports/child-count.pdf",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        (
            Method::GET,
            "/reports/quality.pdf",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics]),
        ),
        // Drill-down: the MSIX IDs behind a figure, linking to the records (audited).
        (
            Method::GET,
            "/reports/list",
            AllOf(&[C::ViewReports, C::ViewStudent]),
        ),
        // Worklist aging and accounts: counts only (user administrators see the accounts).
        (
            Method::GET,
            "/reports/oversight",
            AnyOf(&[C::ViewReports, C::ViewNationalStatistics, C::ManageUsers]),
        ),
        // Students rejected at submission: child-level (refused to federal viewers).
        (
            Method::GET,
            "/reports/rejected",
            AllOf(&[C::ViewReports, C::ViewStudent]),
        ),
        // Reconciliation with the state's own child list (lists children; audited).
        (
            Method::GET,
            "/reports/reconcile",
            AllOf(&[C::ViewReports, C::ViewStudent]),
        ),
        (
            Method::POST,
            "/reports/reconcile",
            AllOf(&[C::ViewReports, C::ViewStudent]),
        ),
        (Method::GET, "/submissions", Capability(C::SubmitRecords)),
        (Method::POST, "/submissions", Capability(C::SubmitRecords)),
        (
            Method::GET,
            "/submissions/{id}",
            Capability(C::SubmitRecords),
        ),
        // Administration.
        (Method::GET, "/admin", Capability(C::ManageUsers)),
        (
            Method::GET,
            "/admin/outbox",
            Capability(C::AdministerSystem),
        ),
        (
            Method::POST,
            "/admin/outbox/{id}",
            Capability(C::AdministerSystem),
        ),
        (Method::GET, "/admin/users", Capability(C::ManageUsers)),
        (
            Method::GET,
            "/admin/users/{user_id}",
            Capability(C::ManageUsers),
        ),
        (
            Method::POST,
            "/admin/users/{user_id}/status",
            Capability(C::ManageUsers),
        ),
        (
            Method::POST,
            "/admin/users/{user_id}/role",
            Capability(C::ManageUsers),
        ),
        (
            Method::GET,
            "/admin/applications",
            Capability(C::ManageUsers),
        ),
        (
            Method::GET,
            "/admin/applications/{application_id}",
            Capability(C::ManageUsers),
        ),
        (
            Method::POST,
            "/admin/applications/{application_id}/approve",
            Capability(C::ManageUsers),
        ),
        (
            Method::POST,
            "/admin/applications/{application_id}/deny",
            Capability(C::ManageUsers),
        ),
        // Applying for access (public; the supervisor's and applicant's one-time links).
        (Method::GET, "/apply", Public),
        (Method::POST, "/apply", Public),
        (Method::GET, "/apply/sent", Public),
        (Method::GET, "/apply/attest/{token}", Public),
        (Method::POST, "/apply/attest/{token}", Public),
        (Method::GET, "/apply/attested", Public),
        (Method::GET, "/apply/activate/{token}", Public),
        (Method::POST, "/apply/activate/{token}", Public),
        (Method::GET, "/admin/audit", Capability(C::ViewAudit)),
        (Method::GET, "/admin/audit.csv", Capability(C::ViewAudit)),
    ]
}

/// The access rule of a routed path for a method (`HEAD` counts as `GET`), if declared.
pub fn access_of(method: &Method, path: &str) -> Option<Access> {
    let m = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    route_table()
        .into_iter()
        .find(|(rm, p, _)| rm == m && *p == path)
        .map(|(_, _, a)| a)
}

/// Whether `path` (a routed portal path such as `/search`) is open to a user of `role` (or
/// nobody) with `GET`.
pub fn role_can_get(role: Option<Role>, path: &str) -> bool {
    access_of(&Method::GET, path).is_some_and(|a| a.allows_role(role))
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The stable `code` of an API problem with this status, when the handler names none
/// (docs/errors.md lists them; the OpenAPI document takes them from [`problem_codes`]).
pub fn default_problem_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        413 => "payload_too_large",
        422 => "unprocessable",
        500 => "internal",
        503 => "unavailable",
        507 => "insufficient_storage",
        _ => "error",
    }
}

/// Every stable problem `code` the API can answer.
pub fn problem_codes() -> Vec<&'static str> {
    vec![
        "bad_request",
        "unauthenticated",
        "invalid_token",
        "forbidden",
        "not_found",
        "method_not_allowed",
        "payload_too_large",
        "unprocessable",
        "internal",
        "unavailable",
        "insufficient_storage",
        "error",
    ]
}

/// `application/problem+json` (RFC 9457) response with the status's stable `code`.
pub fn problem(status: StatusCode, title: &str) -> Response {
    problem_with_code(status, default_problem_code(status), title)
}

/// `application/problem+json` (RFC 9457) response with a stable `code` (one of
/// [`problem_codes`]) and a title for people.
pub fn problem_with_code(status: StatusCode, code: &'static str, title: &str) -> Response {
    let mut r = (
        status,
        Json(serde_json::json!({
            "type": "about:blank",
            "title": title,
            "status": status.as_u16(),
            "code": code,
        })),
    )
        .into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    r
}

/// Redirect to the login page, coming back to `path_and_query` afterwards.
fn to_login(path_and_query: &str) -> Response {
    Redirect::to(&format!(
        "/login?next={}",
        utf8_percent_encode(path_and_query, NON_ALPHANUMERIC)
    ))
    .into_response()
}

/// The authorization guard (a route layer: it sees the matched route).
pub async fn guard(req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(access) = access_of(req.method(), &path) else {
        let allowed = methods_of(&path);
        if !allowed.is_empty() {
            return method_not_allowed(&req, &allowed);
        }
        tracing::error!(route = %path, method = %req.method(), "route missing from the route table");
        return deny(&req, StatusCode::FORBIDDEN);
    };
    if access == Access::Public {
        return next.run(req).await;
    }
    let session = req.extensions().get::<Arc<SessionCtx>>().cloned();
    let token_actor = req.extensions().get::<ApiActor>().map(|a| a.0.clone());
    let actor = session
        .as_ref()
        .and_then(|s| s.info.actor.as_ref())
        .or(token_actor.as_ref());
    let Some(actor) = actor else {
        return deny(&req, StatusCode::UNAUTHORIZED);
    };
    let needs_rules = session.as_ref().is_some_and(|s| s.info.needs_rules);
    if needs_rules && path != "/account/rules" && !is_api(&path) {
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        return Redirect::to(&format!(
            "/account/rules?next={}",
            utf8_percent_encode(pq, NON_ALPHANUMERIC)
        ))
        .into_response();
    }
    if !access.allows(Some(actor)) {
        return deny(&req, StatusCode::FORBIDDEN);
    }
    next.run(req).await
}

/// The methods declared for a routed path (`HEAD` with `GET`), for `405` answers.
fn methods_of(path: &str) -> Vec<Method> {
    let mut out: Vec<Method> = route_table()
        .into_iter()
        .filter(|(_, p, _)| *p == path)
        .map(|(m, _, _)| m)
        .collect();
    if out.contains(&Method::GET) {
        out.push(Method::HEAD);
    }
    out
}

/// `405 Method Not Allowed` with `Allow`, for a declared path asked with another method.
fn method_not_allowed(req: &Request, allowed: &[Method]) -> Response {
    let mut resp = if is_api(req.uri().path()) {
        problem(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    } else {
        (StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response()
    };
    let list = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(v) = HeaderValue::from_str(&list) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

fn deny(req: &Request, status: StatusCode) -> Response {
    let path = req.uri().path();
    if is_api(path) {
        let title = if status == StatusCode::UNAUTHORIZED {
            "authentication required"
        } else {
            "forbidden"
        };
        return problem(status, title);
    }
    if status == StatusCode::UNAUTHORIZED {
        let pq = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        return to_login(pq);
    }
    match req.extensions().get::<Frame>() {
        Some(frame) => forbidden_page(frame.clone()),
        None => (StatusCode::FORBIDDEN, "forbidden").into_response(),
    }
}

#[derive(Template)]
#[template(path = "auth/forbidden.html")]
struct ForbiddenPage {
    frame: Frame,
}

/// The 403 page of the portal.
pub fn forbidden_page(frame: Frame) -> Response {
    render(StatusCode::FORBIDDEN, &ForbiddenPage { frame })
}

/// The machine actor of a valid `Authorization: Bearer <API token>` on an `/api/` request.
#[derive(Debug, Clone)]
pub struct ApiActor(pub Actor);

/// Resolves API tokens of state systems on `/api/` requests. A present but invalid token is
/// refused with 401 (never silently treated as anonymous).
pub async fn api_token_middleware(
    axum::extract::State(state): axum::extract::State<crate::WebState>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_api(req.uri().path()) {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        if let Some(token) = bearer {
            let ip = req
                .extensions()
                .get::<crate::session::ClientIp>()
                .and_then(|c| c.0.clone());
            match state.app.api_token_actor(&token, ip).await {
                Ok(Some(actor)) => {
                    req.extensions_mut().insert(ApiActor(actor));
                }
                Ok(None) => {
                    return problem_with_code(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "invalid or revoked API token",
                    );
                }
                Err(e) => {
                    tracing::error!(error = %e, "API token lookup failed");
                    return problem(StatusCode::SERVICE_UNAVAILABLE, "service unavailable");
                }
            }
        }
    }
    next.run(req).await
}

/// The signed-in user (MFA passed). Handlers take it to call use cases with an [`Actor`].
/// Without a session: portal requests are redirected to `/login?next=...`, API requests get a
/// `401` problem.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Actor);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let actor = parts
            .extensions
            .get::<Arc<SessionCtx>>()
            .and_then(|s| s.info.actor.clone())
            .or_else(|| parts.extensions.get::<ApiActor>().map(|a| a.0.clone()));
        match actor {
            Some(mut a) => {
                a.source_ip = parts
                    .extensions
                    .get::<ClientIp>()
                    .and_then(|c| c.0.clone())
                    .or(a.source_ip);
                Ok(CurrentUser(a))
            }
            None if is_api(parts.uri.path()) => {
                Err(problem(StatusCode::UNAUTHORIZED, "authentication required"))
            }
            None => Err(to_login(
                parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/"),
            )),
        }
    }
}

/// Maps a use-case error to an API problem response; `not_found` names what was not found. No
/// internal details reach the caller (they are logged, without personal data).
pub fn api_problem(e: puente_app::AppError, not_found: &str) -> Response {
    use puente_store::StoreError;
    match e {
        puente_app::AppError::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden"),
        puente_app::AppError::NotFound => problem(StatusCode::NOT_FOUND, not_found),
        puente_app::AppError::Invalid(reason) => problem(StatusCode::BAD_REQUEST, &reason),
        puente_app::AppError::Store(StoreError::Unavailable(m)) => {
            tracing::error!(error = %m, "database unavailable");
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable; nothing was changed, try again later",
            )
        }
        puente_app::AppError::Store(StoreError::Full) => {
            tracing::error!("database disk full");
            problem(
                StatusCode::INSUFFICIENT_STORAGE,
                "the server's storage is full; nothing was kept, send it again later",
            )
        }
        other => {
            tracing::error!(error = %other, "use case failed");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Maps a use-case error to a portal response (no internal details).
pub fn app_error(frame: Frame, e: puente_app::AppError) -> Response {
    use puente_store::StoreError;
    match e {
        puente_app::AppError::Forbidden => forbidden_page(frame),
        puente_app::AppError::NotFound => (StatusCode::NOT_FOUND, "not found").into_response(),
        puente_app::AppError::Invalid(_) => {
            (StatusCode::BAD_REQUEST, "bad request").into_response()
        }
        puente_app::AppError::Store(StoreError::Unavailable(m)) => {
            tracing::error!(error = %m, "database unavailable");
            error_page(frame, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        puente_app::AppError::Store(StoreError::Full) => {
            tracing::error!("database disk full");
            error_page(frame, StatusCode::INSUFFICIENT_STORAGE, "storage-full")
        }
        other => {
            tracing::error!(error = %other, "use case failed");
            error_page(frame, StatusCode::INTERNAL_SERVER_ERROR, "internal")
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    frame: Frame,
    title: String,
    text: String,
}

/// A portal error page for problems that are not the user's (no internal details). `kind`:
/// `unavailable`, `storage-full` or `internal` (messages `error-<kind>-title` and `-text`).
pub fn error_page(frame: Frame, status: StatusCode, kind: &'static str) -> Response {
    let title = frame.t(&format!("error-{kind}-title"));
    let text = frame.t(&format!("error-{kind}-text"));
    render(status, &ErrorPage { frame, title, text })
}

/// A safe local return path: one leading `/`, no scheme-relative or backslash tricks.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n.starts_with("/login")
                && !n.starts_with("/logout") =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

fn with_cookie(mut resp: Response, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

fn secure(state: &WebState) -> bool {
    state.app.auth.secure_cookies
}

// ---------------------------------------------------------------- pages

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    frame: Frame,
    csrf: String,
    next: String,
    email: String,
    error: bool,
}

#[derive(Template)]
#[template(path = "auth/mfa.html")]
struct MfaPage {
    frame: Frame,
    csrf: String,
    next: String,
    error: bool,
}

#[derive(Template)]
#[template(path = "auth/enroll.html")]
struct EnrollPage {
    frame: Frame,
    csrf: String,
    next: String,
    secret: String,
    qr_data_uri: String,
    error: bool,
}

#[derive(Template)]
#[template(path = "auth/recovery_codes.html")]
struct RecoveryCodesPage {
    frame: Frame,
    codes: Vec<String>,
    next: String,
}

#[derive(Template)]
#[template(path = "auth/rules.html")]
struct RulesPage {
    frame: Frame,
    csrf: String,
    next: String,
}

/// `GET /login`.
pub async fn login_form(
    Extension(frame): Extension<Frame>,
    Query(q): Query<HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let existing = cookie(&headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64);
    let csrf = existing
        .clone()
        .unwrap_or_else(puente_app::auth::random_token);
    let page = LoginPage {
        frame,
        csrf: csrf.clone(),
        next: safe_next(q.get("next").map(String::as_str)),
        email: String::new(),
        error: false,
    };
    let resp = render(StatusCode::OK, &page);
    if existing.is_none() {
        with_cookie(
            resp,
            &format!("{PRE_CSRF_COOKIE}={csrf}; Path=/; HttpOnly; SameSite=Strict"),
        )
    } else {
        resp
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`.
pub async fn login_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: axum::http::HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    // Whatever session came with the request ends here (no fixation).
    if let Some(Extension(s)) = &session {
        let _ = state.app.logout(&s.token, ip.0.as_deref()).await;
    }
    let next = safe_next(Some(&f.next));
    match state
        .app
        .login_password(&f.email, &f.password, ip.0.as_deref())
        .await
    {
        Ok(LoginStep::NeedMfa { token, enroll }) => {
            let to = if enroll {
                "/login/enroll"
            } else {
                "/login/mfa"
            };
            let resp = Redirect::to(&format!(
                "{to}?next={}",
                utf8_percent_encode(&next, NON_ALPHANUMERIC)
            ))
            .into_response();
            with_cookie(resp, &session_cookie(&token, secure(&state)))
        }
        Ok(LoginStep::Failed) => {
            let page = LoginPage {
                frame,
                csrf: cookie(&headers, PRE_CSRF_COOKIE).unwrap_or_default(),
                next,
                email: f.email,
                error: true,
            };
            render(StatusCode::UNAUTHORIZED, &page)
        }
        Err(e) => app_error(frame, e),
    }
}

fn pending(session: &Option<Extension<Arc<SessionCtx>>>) -> Option<Arc<SessionCtx>> {
    session
        .as_ref()
        .map(|Extension(s)| s.clone())
        .filter(|s| !s.info.mfa_passed)
}

/// `GET /login/mfa`.
pub async fn mfa_form(
    Extension(frame): Extension<Frame>,
    session: Option<Extension<Arc<SessionCtx>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next").map(String::as_str));
    let Some(s) = pending(&session) else {
        return to_login(&next);
    };
    render(
        StatusCode::OK,
        &MfaPage {
            frame,
            csrf: s.info.csrf_token.clone(),
            next,
            error: false,
        },
    )
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// `POST /login/mfa`.
pub async fn mfa_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let Some(s) = pending(&session) else {
        return to_login(&next);
    };
    match state
        .app
        .login_mfa(&s.token, &f.code, ip.0.as_deref())
        .await
    {
        Ok(Some(token)) => with_cookie(
            Redirect::to(&next).into_response(),
            &session_cookie(&token, secure(&state)),
        ),
        Ok(None) => render(
            StatusCode::UNAUTHORIZED,
            &MfaPage {
                frame,
                csrf: s.info.csrf_token.clone(),
                next,
                error: true,
            },
        ),
        Err(e) => app_error(frame, e),
    }
}

fn svg_data_uri(svg: &str) -> String {
    format!(
        "data:image/svg+xml,{}",
        utf8_percent_encode(svg, NON_ALPHANUMERIC)
    )
}

async fn enroll_page(
    state: &WebState,
    frame: Frame,
    s: &SessionCtx,
    next: String,
    error: bool,
) -> Response {
    match state.app.mfa_enrollment(&s.token).await {
        Ok(Some(e)) => render(
            if error {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::OK
            },
            &EnrollPage {
                frame,
                csrf: s.info.csrf_token.clone(),
                next,
                secret: e.secret,
                qr_data_uri: svg_data_uri(&e.qr_svg),
                error,
            },
        ),
        Ok(None) => to_login(&next),
        Err(e) => app_error(frame, e),
    }
}

/// `GET /login/enroll`: first MFA enrolment (QR code and secret).
pub async fn enroll_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    session: Option<Extension<Arc<SessionCtx>>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next").map(String::as_str));
    let Some(s) = pending(&session) else {
        return to_login(&next);
    };
    enroll_page(&state, frame, &s, next, false).await
}

/// `POST /login/enroll`: confirms enrolment with a first code, shows the recovery codes once.
pub async fn enroll_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    let Some(s) = pending(&session) else {
        return to_login(&next);
    };
    match state
        .app
        .confirm_mfa_enrollment(&s.token, &f.code, ip.0.as_deref())
        .await
    {
        Ok(Some((token, codes))) => with_cookie(
            render(StatusCode::OK, &RecoveryCodesPage { frame, codes, next }),
            &session_cookie(&token, secure(&state)),
        ),
        Ok(None) => enroll_page(&state, frame, &s, next, true).await,
        Err(e) => app_error(frame, e),
    }
}

/// `POST /logout`: deletes the session and the cookie.
pub async fn logout(
    State(state): State<WebState>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
) -> Response {
    if let Some(Extension(s)) = session
        && let Err(e) = state.app.logout(&s.token, ip.0.as_deref()).await
    {
        tracing::error!(error = %e, "logout failed");
    }
    with_cookie(
        Redirect::to("/login").into_response(),
        &clear_session_cookie(secure(&state)),
    )
}

/// `GET /account/rules`.
pub async fn rules_form(
    Extension(frame): Extension<Frame>,
    Extension(session): Extension<Arc<SessionCtx>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    render(
        StatusCode::OK,
        &RulesPage {
            frame,
            csrf: session.info.csrf_token.clone(),
            next: safe_next(q.get("next").map(String::as_str)),
        },
    )
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    accept: String,
    #[serde(default)]
    training: String,
    #[serde(default)]
    next: String,
}

/// `POST /account/rules`.
pub async fn rules_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(session): Extension<Arc<SessionCtx>>,
    CurrentUser(actor): CurrentUser,
    Form(f): Form<RulesForm>,
) -> Response {
    let next = safe_next(Some(&f.next));
    if f.accept.is_empty() {
        return render(
            StatusCode::BAD_REQUEST,
            &RulesPage {
                frame,
                csrf: session.info.csrf_token.clone(),
                next,
            },
        );
    }
    match state
        .app
        .accept_rules_of_behavior(&actor, !f.training.is_empty())
        .await
    {
        Ok(()) => Redirect::to(&next).into_response(),
        Err(e) => app_error(frame, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_and_not_the_login() {
        assert_eq!(safe_next(Some("/search?q=1")), "/search?q=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/login?next=/x")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn every_nav_section_is_declared() {
        for item in crate::NAV {
            assert!(
                access_of(&Method::GET, item.href).is_some(),
                "{} missing from the route table",
                item.href
            );
        }
        let mut seen = std::collections::HashSet::new();
        for (m, p, _) in route_table() {
            assert!(seen.insert((m.clone(), p)), "{m} {p} declared twice");
        }
    }
}
