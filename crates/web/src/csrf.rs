//! CSRF protection: a synchronizer token per session (`_csrf` form field or `X-CSRF-Token`
//! header) checked on every state-changing portal request. Before login, the login form uses a
//! double-submit token (the `puente_csrf` cookie). API routes (`/api/...`) authenticate with
//! tokens, not cookies, and are exempt.
//!
//! Multipart forms (file uploads) put the token in the form's action URL (`?_csrf=...`), since
//! the body is not read here.

use std::sync::Arc;

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::session::{PRE_CSRF_COOKIE, SessionCtx, cookie};

/// Largest url-encoded form body read for the token.
const MAX_FORM: usize = 1024 * 1024;

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn field(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// The CSRF middleware.
pub async fn middleware(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    let path = req.uri().path();
    if !unsafe_method || path == "/api" || path.starts_with("/api/") {
        return next.run(req).await;
    }
    let expected = match req.extensions().get::<Arc<SessionCtx>>() {
        Some(s) => Some(s.info.csrf_token.clone()),
        None => cookie(req.headers(), PRE_CSRF_COOKIE),
    };
    let Some(expected) = expected.filter(|e| !e.is_empty()) else {
        return reject();
    };
    let mut provided = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().query().and_then(|q| field(q, "_csrf")));
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let req = if provided.is_none() && is_form {
        let (parts, body) = req.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_FORM).await else {
            return (StatusCode::PAYLOAD_TOO_LARGE, "request too large").into_response();
        };
        provided = field(&String::from_utf8_lossy(&bytes), "_csrf");
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    match provided {
        Some(p) if constant_eq(p.as_bytes(), expected.as_bytes()) => next.run(req).await,
        _ => reject(),
    }
}

fn reject() -> Response {
    tracing::warn!("CSRF token missing or wrong");
    (
        StatusCode::FORBIDDEN,
        "The form has expired or was not sent from Puente. Go back, reload the page and try again. / \
         El formulario caducó o no se envió desde Puente. Vuelva, recargue la página e inténtelo de nuevo.",
    )
        .into_response()
}
