//! Sessions in the web layer: the `puente_session` cookie (random token; the database keeps its
//! SHA-256), the middleware that resolves it into a [`SessionCtx`] request extension, and the
//! client address used for throttling and the audit trail.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use puente_app::auth::SessionInfo;
use puente_domain::roles::Capability;

use crate::WebState;
use crate::frame::{Frame, FrameUser};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "puente_session";
/// Name of the pre-login CSRF cookie (double-submit token for the login form).
pub const PRE_CSRF_COOKIE: &str = "puente_csrf";

/// The resolved session of a request (present when the cookie names a valid session; the
/// `actor` inside is set only once MFA is passed).
#[derive(Debug, Clone)]
pub struct SessionCtx {
    pub token: String,
    pub info: SessionInfo,
}

/// The client address (socket peer), as text.
#[derive(Debug, Clone)]
pub struct ClientIp(pub Option<String>);

/// Reads a cookie from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// `Set-Cookie` value of a session cookie (HttpOnly, SameSite=Lax, Secure when configured).
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Resolves the session cookie into [`SessionCtx`] and [`ClientIp`] extensions and tells the
/// [`Frame`] who is signed in.
pub async fn middleware(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    req.extensions_mut().insert(ClientIp(ip.clone()));
    if !req.uri().path().starts_with("/static/")
        && let Some(token) = cookie(req.headers(), SESSION_COOKIE)
        && token.len() == 64
    {
        match state.app.session(&token, ip.as_deref()).await {
            Ok(Some(info)) => {
                // The worklist badge: one grouped count, for portal pages of data administrators.
                let worklist_count = match info.actor.as_ref() {
                    Some(actor)
                        if actor.can(Capability::WorkWorklist)
                            && !req.uri().path().starts_with("/api/") =>
                    {
                        match state.app.open_worklist_count(actor).await {
                            Ok(n) => Some(n),
                            Err(e) => {
                                tracing::error!(error = %e, "worklist count failed");
                                None
                            }
                        }
                    }
                    _ => None,
                };
                if let (Some(frame), Some(actor)) =
                    (req.extensions_mut().get_mut::<Frame>(), info.actor.as_ref())
                {
                    frame.user = Some(FrameUser {
                        name: info.user.display_name.clone(),
                        csrf: info.csrf_token.clone(),
                        role: actor.role,
                        worklist_count,
                    });
                }
                req.extensions_mut()
                    .insert(Arc::new(SessionCtx { token, info }));
            }
            Ok(None) => {}
            Err(e) => {
                // The session cannot be checked: never carry on as if signed out.
                tracing::error!(error = %e, "session lookup failed");
                if req.uri().path().starts_with("/api/") {
                    return crate::auth::problem(
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "the database is unavailable; try again later",
                    );
                }
                if let Some(frame) = req.extensions().get::<Frame>().cloned() {
                    return crate::auth::error_page(
                        frame,
                        axum::http::StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                    );
                }
                return (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "service unavailable",
                )
                    .into_response();
            }
        }
    }
    next.run(req).await
}
