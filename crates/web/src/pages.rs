//! Portal pages of the frame: home, the task sections (placeholders until built), 404.
//!
//! To add a page: write `templates/<name>.html` extending `base.html`, a struct here (or in
//! your own module) deriving `Template` with a `frame: Frame` field, a handler taking
//! `Extension<Frame>`, a route in `lib.rs::router`, its path in `lib.rs::portal_routes`,
//! and every visible string as a message id in both `locales/*/main.ftl`.

use askama::Template;
use axum::Extension;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

use crate::frame::{Frame, NavItem, render};
use crate::i18n::{self, Lang};

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub frame: Frame,
}

/// `GET /`.
pub async fn home(Extension(frame): Extension<Frame>) -> Response {
    render(StatusCode::OK, &HomePage { frame })
}

#[derive(Template)]
#[template(path = "coming_soon.html")]
pub struct ComingSoonPage {
    pub frame: Frame,
    pub section: NavItem,
}

/// A task section that is not built yet: a real page with a USWDS info alert.
pub async fn coming_soon(frame: Frame, section: NavItem) -> Response {
    render(StatusCode::OK, &ComingSoonPage { frame, section })
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub struct NotFoundPage {
    pub frame: Frame,
}

/// Fallback: the frame's 404 page (JSON under `/api/`).
pub async fn not_found(frame: Option<Extension<Frame>>) -> Response {
    let Some(Extension(frame)) = frame else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if frame.path == "/api" || frame.path.starts_with("/api/") {
        return crate::api::not_found();
    }
    render(StatusCode::NOT_FOUND, &NotFoundPage { frame })
}

/// A safe local return path: must start with one `/`, no scheme-relative or backslash tricks.
fn safe_next(next: Option<&String>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control) =>
        {
            n
        }
        _ => "/",
    }
}

/// `GET /language/{code}?next=/path`: remembers the language in a cookie and goes back.
/// Works without JavaScript (it is a plain link).
pub async fn set_language(
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<HashMap<String, String>>,
    frame: Option<Extension<Frame>>,
) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return not_found(frame).await;
    };
    let next = safe_next(q.get("next"));
    let mut resp = Redirect::to(next).into_response();
    if let Ok(v) = HeaderValue::from_str(&i18n::cookie_value(lang)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local() {
        let s = |v: &str| safe_next(Some(&v.to_owned())).to_owned();
        assert_eq!(s("/search?q=1"), "/search?q=1");
        assert_eq!(s("//evil.example"), "/");
        assert_eq!(s("https://evil.example"), "/");
        assert_eq!(s("/\\evil.example"), "/");
        assert_eq!(safe_next(None), "/");
    }
}
