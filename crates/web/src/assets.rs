//! Static assets embedded in the binary (USWDS and Puente's own), served under `/static/`.
//!
//! Vendored USWDS lives under a versioned folder (`vendor/uswds-3.14.0/`), so its URLs change
//! when it is upgraded and can be cached for a year. Puente's own files are linked through
//! [`asset_url`], which appends a content hash.

use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "assets/"]
#[exclude = "*.md"]
pub struct Assets;

/// Folder of the vendored USWDS inside `assets/`.
pub const USWDS: &str = "vendor/uswds-3.14.0";

/// Folder of the vendored htmx inside `assets/` (progressive enhancement of search and lists).
pub const HTMX: &str = "vendor/htmx-2.0.11";

/// Content type by file extension (only what the portal ships).
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn hash_hex(bytes: &[u8; 32], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

/// URL of an embedded asset with a cache-busting content hash, e.g.
/// `asset_url("css/puente.css")` → `/static/css/puente.css?v=1a2b3c4d5e6f`.
pub fn asset_url(path: &str) -> String {
    match Assets::get(path) {
        Some(f) => format!(
            "/static/{path}?v={}",
            hash_hex(&f.metadata.sha256_hash(), 6)
        ),
        None => {
            tracing::warn!(path, "asset_url: no such embedded asset");
            format!("/static/{path}")
        }
    }
}

/// `GET /static/{*path}`.
pub async fn serve(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let etag = format!("\"{}\"", hash_hex(&file.metadata.sha256_hash(), 16));
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            ),
            (header::ETAG, etag_value),
            (header::CACHE_CONTROL, cache),
        ],
        Body::from(file.data.into_owned()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `url(...)` in the USWDS stylesheet that is not a data: URI resolves to an
    /// embedded file, relative to the stylesheet's own folder.
    #[test]
    fn uswds_css_urls_resolve() {
        let css_path = format!("{USWDS}/css/uswds.min.css");
        let css = Assets::get(&css_path).expect("uswds css embedded");
        let css = std::str::from_utf8(&css.data).expect("utf-8 css");
        let mut checked = 0;
        let mut rest = css;
        while let Some(i) = rest.find("url(") {
            rest = &rest[i + 4..];
            let end = rest.find(')').expect("closing paren");
            let raw = rest[..end].trim().trim_matches(['"', '\'']);
            rest = &rest[end..];
            if raw.is_empty() || raw.starts_with("data:") || raw.starts_with('#') {
                continue;
            }
            assert!(
                !raw.contains("://") && !raw.starts_with("//"),
                "external url in css: {raw}"
            );
            let raw = raw.split(['?', '#']).next().unwrap_or(raw);
            // Resolve relative to `{USWDS}/css/`.
            let mut joined: Vec<&str> = USWDS.split('/').chain(["css"]).collect();
            for seg in raw.split('/') {
                match seg {
                    "." | "" => {}
                    ".." => {
                        joined.pop();
                    }
                    s => joined.push(s),
                }
            }
            let resolved = joined.join("/");
            assert!(
                Assets::get(&resolved).is_some(),
                "url({raw}) -> {resolved} is not embedded"
            );
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} urls found");
    }

    #[test]
    fn uswds_files_present() {
        for f in [
            "css/uswds.min.css",
            "js/uswds.min.js",
            "js/uswds-init.min.js",
            "img/sprite.svg",
        ] {
            assert!(Assets::get(&format!("{USWDS}/{f}")).is_some(), "{f}");
        }
        // The licence is kept next to the vendored files (but not served).
        let licence = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("assets")
            .join(USWDS)
            .join("LICENSE.md");
        assert!(licence.exists());
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/b.woff2"), "font/woff2");
        assert_eq!(content_type("a/b.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("x.svg"), "image/svg+xml");
        assert!(asset_url("css/puente.css").contains("?v="));
    }
}
