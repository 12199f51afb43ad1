#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Progressive enhancement: the search form is a plain GET form (works without JavaScript) that
//! htmx, served from the binary, turns into an in-place update; htmx is configured so that it
//! needs nothing our CSP forbids and keeps no copies of pages in the browser.

mod common;

use axum::http::StatusCode;
use common::{get, session_cookie, site};
use puente_domain::roles::Role;

#[tokio::test]
async fn search_form_works_plain_and_is_enhanced_with_vendored_htmx() {
    let site = site().await;
    let cookie = session_cookie(&site, Role::SecondaryUser).await;
    let (resp, html) = get(&site, "/search?last_name=garcia", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Without JavaScript: an ordinary GET form to the same page.
    assert!(html.contains(r#"method="get" action="/search""#));
    // With JavaScript: htmx swaps the search area in place and keeps the URL shareable.
    assert!(html.contains(r#"hx-get="/search""#));
    assert!(html.contains(r##"hx-select="#search-area""##));
    assert!(html.contains(r#"hx-push-url="true""#));
    assert_eq!(html.matches(r#"id="search-area""#).count(), 1);

    // The script is embedded and served as JavaScript from our origin.
    let src = html
        .split("<script src=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .find(|s| s.contains("htmx"))
        .expect("htmx script tag");
    let (resp, body) = get(&site, src, None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(body.contains("htmx"), "not the htmx library");

    // Configuration: no eval, no inline styles, no history cache (no PII in localStorage).
    let config = html
        .split(r#"<meta name="htmx-config" content=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("htmx-config meta")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"");
    let v: serde_json::Value = serde_json::from_str(&config).unwrap();
    assert_eq!(v["allowEval"], false);
    assert_eq!(v["allowScriptTags"], false);
    assert_eq!(v["includeIndicatorStyles"], false);
    assert_eq!(v["historyCacheSize"], 0);
    // And the CSP still forbids inline script and eval.
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
}
