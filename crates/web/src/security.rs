//! Security headers on every response.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The Content-Security-Policy of the whole site. No inline script or style is allowed:
/// templates must link files under `/static/`.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// Permissions-Policy: the portal uses no powerful browser features.
pub const PERMISSIONS_POLICY: &str =
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), fullscreen=(self)";

/// Adds the security headers (leaving any a handler set itself), and `Cache-Control:
/// no-store` unless the handler chose caching (pages may show children's records).
pub async fn headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in set {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    }
    resp
}
