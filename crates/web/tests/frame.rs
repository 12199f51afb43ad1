#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! In-process tests of the portal frame against a real database (the backend under test).

use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use puente_web::portal_routes;
use tower::ServiceExt;

mod common;

use common::{Site, session_cookie, site};

async fn send(site: &Site, req: Request<Body>) -> (Response<Body>, String) {
    let resp = site.router.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    (Response::from_parts(parts, Body::empty()), text)
}

async fn get(site: &Site, uri: &str) -> (Response<Body>, String) {
    send(site, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_with(site: &Site, uri: &str, name: &str, value: &str) -> (Response<Body>, String) {
    send(
        site,
        Request::get(uri)
            .header(name, value)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn header<'a>(resp: &'a Response<Body>, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// Frame invariants every HTML page must satisfy.
fn assert_frame(html: &str, lang: &str, uri: &str) {
    assert!(
        html.contains(&format!("<html lang=\"{lang}\">")),
        "{uri}: html lang {lang}"
    );
    assert_eq!(html.matches("<h1").count(), 1, "{uri}: exactly one h1");
    assert!(html.contains("<header class=\"usa-header"), "{uri}: header");
    assert!(html.contains("<main id=\"main-content\""), "{uri}: main");
    assert!(html.contains("<footer class=\"usa-footer"), "{uri}: footer");
    assert!(
        html.contains("class=\"usa-skipnav\" href=\"#main-content\""),
        "{uri}: skip link"
    );
    assert!(html.contains("<nav aria-label=\""), "{uri}: labelled nav");
    assert!(html.contains(">Puente</a>"), "{uri}: site name");
    // No inline script or style (CSP forbids them).
    assert!(!html.contains("<style"), "{uri}: inline <style>");
    assert!(!html.contains("style=\""), "{uri}: style attribute");
    for chunk in html.split("<script").skip(1) {
        let tag_end = chunk.find('>').unwrap();
        assert!(
            chunk[..tag_end].contains("src=\"/static/"),
            "{uri}: inline script"
        );
        assert!(
            chunk[tag_end + 1..].starts_with("</script>"),
            "{uri}: inline script body"
        );
    }
    for tag in html.split('<').skip(1).filter_map(|c| c.split('>').next()) {
        for word in tag.split_whitespace().skip(1) {
            let name = word.split('=').next().unwrap().to_ascii_lowercase();
            assert!(
                !(name.starts_with("on") && word.contains('=')),
                "{uri}: inline event handler in <{tag}>"
            );
        }
    }
}

#[tokio::test]
async fn healthz_reports_database() {
    let s = site().await;
    let (resp, body) = get(&s, "/healthz").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body, "ok");
    s.app.store.close().await;
    let (resp, _) = get(&s, "/healthz").await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn api_root_is_json() {
    let s = site().await;
    let (resp, body) = get(&s, "/api/v1").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(header(&resp, "content-type").starts_with("application/json"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["name"], "Puente");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["links"]["self"], "/api/v1");
    let (resp, body) = get(&s, "/api/v1/nope").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(body.contains("not_found"));
}

#[tokio::test]
async fn security_headers_everywhere() {
    let s = site().await;
    for uri in [
        "/",
        "/healthz",
        "/api/v1",
        "/no-such-page",
        "/static/css/puente.css",
        "/static/missing.css",
        "/language/es?next=/",
    ] {
        let (resp, _) = get(&s, uri).await;
        assert_eq!(
            header(&resp, "content-security-policy"),
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
            "{uri}"
        );
        assert_eq!(header(&resp, "x-frame-options"), "DENY", "{uri}");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff", "{uri}");
        assert_eq!(header(&resp, "referrer-policy"), "no-referrer", "{uri}");
        assert!(
            header(&resp, "permissions-policy").contains("camera=()"),
            "{uri}"
        );
    }
    let (resp, _) = get(&s, "/").await;
    assert_eq!(header(&resp, "cache-control"), "no-store");
}

/// Every portal page renders for every role that may open it (signed in), and nobody else
/// gets it (redirect to the login when signed out, 403 otherwise).
#[tokio::test]
async fn every_portal_route_renders_in_both_languages() {
    let s = site().await;
    let routes = portal_routes();
    assert!(routes.len() >= 7);
    let mut rendered = std::collections::BTreeSet::new();
    for role in puente_domain::roles::Role::ALL {
        if role == puente_domain::roles::Role::StateSystem {
            continue;
        }
        let cookie = session_cookie(&s, role).await;
        for route in routes.clone() {
            if !puente_web::auth::role_can_get(Some(role), route) {
                let (resp, _) = get_with(&s, route, "cookie", &cookie).await;
                assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{role:?} {route}");
                let (resp, _) = get(&s, route).await;
                assert_eq!(resp.status(), StatusCode::SEE_OTHER, "signed out {route}");
                continue;
            }
            rendered.insert(route);
            for lang in ["en", "es"] {
                let sep = if route.contains('?') { '&' } else { '?' };
                let uri = format!("{route}{sep}lang={lang}");
                let (resp, html) = get_with(&s, &uri, "cookie", &cookie).await;
                assert_eq!(resp.status(), StatusCode::OK, "{uri}");
                assert!(
                    header(&resp, "content-type").starts_with("text/html"),
                    "{uri}"
                );
                assert_frame(&html, lang, &uri);
                // Every local link in the frame resolves.
                for href in html
                    .split("href=\"")
                    .skip(1)
                    .filter_map(|c| c.split('"').next())
                {
                    if href.starts_with('/') && !href.starts_with("/language/") {
                        let href = href.replace("&amp;", "&").replace("&#38;", "&");
                        let (r, _) = get_with(&s, &href, "cookie", &cookie).await;
                        assert_eq!(r.status(), StatusCode::OK, "{uri} links to {href}");
                    }
                }
            }
        }
    }
    assert_eq!(
        rendered.len(),
        routes.len(),
        "every portal route renders for some role"
    );
}

#[tokio::test]
async fn accept_language_cookie_and_query() {
    let s = site().await;
    let session = session_cookie(&s, puente_domain::roles::Role::DataAdministrator).await;
    let get_with = async |s: &Site, uri: &str, name: &str, value: &str| {
        let req = Request::get(uri).header("cookie", &session);
        let req = if name == "cookie" {
            Request::get(uri).header("cookie", format!("{value}; {session}"))
        } else {
            req.header(name, value)
        };
        send(s, req.body(Body::empty()).unwrap()).await
    };
    let (resp, html) = get_with(&s, "/", "accept-language", "es-MX,es;q=0.9,en;q=0.5").await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("Buscar"));
    assert!(html.contains("Listas de trabajo"));
    assert!(html.contains("Saltar al contenido principal"));
    assert_eq!(header(&resp, "content-language"), "es");
    // The switch offers English, marked up in English.
    assert!(html.contains("lang=\"en\" hreflang=\"en\""));
    assert!(html.contains(">English</a>"));

    // ?lang=en overrides Accept-Language and remembers the choice.
    let (resp, html) = get_with(&s, "/?lang=en", "accept-language", "es").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains(">Search<"));
    assert!(!html.contains("Buscar"));
    assert!(header(&resp, "set-cookie").starts_with("lang=en;"));
    // The switch offers Spanish and returns to the page without the lang parameter.
    assert!(html.contains("href=\"/language/es?next=/\" lang=\"es\" hreflang=\"es\""));
    assert!(html.contains(">Español</a>"));

    // The cookie beats Accept-Language.
    let (_, html) = get_with(&s, "/reports", "cookie", "a=1; lang=es").await;
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("<h1>Informes</h1>"));
    assert!(html.contains("aria-current=\"page\""));

    // Unsupported languages fall back to English.
    let (_, html) = get_with(&s, "/", "accept-language", "fr-FR, de;q=0.8").await;
    assert!(html.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn language_switch_sets_cookie_without_js() {
    let s = site().await;
    let (resp, _) = get(&s, "/language/es?next=/search%3Fq%3Dx").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&resp, "location"), "/search?q=x");
    let cookie = header(&resp, "set-cookie");
    assert!(cookie.starts_with("lang=es;"), "{cookie}");
    assert!(cookie.contains("Path=/"));
    // Open redirects are refused.
    let (resp, _) = get(&s, "/language/en?next=//evil.example/").await;
    assert_eq!(header(&resp, "location"), "/");
    let (resp, _) = get(&s, "/language/xx?next=/").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn not_found_page_in_frame() {
    let s = site().await;
    let (resp, html) = get(&s, "/no/such/page?lang=es").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_frame(&html, "es", "/no/such/page");
    assert!(html.contains("Página no encontrada"));
    let (resp, html) = get(&s, "/nothing-here").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn static_assets_served_with_types_and_cache() {
    let s = site().await;
    let (_, html) = get(&s, "/").await;
    let mut seen = 0;
    for attr in ["href=\"/static/", "src=\"/static/"] {
        for rest in html.split(attr).skip(1) {
            let path = rest.split('"').next().unwrap();
            let (resp, _) = get(&s, &format!("/static/{path}")).await;
            assert_eq!(resp.status(), StatusCode::OK, "{path}");
            assert!(header(&resp, "cache-control").contains("max-age=31536000"));
            seen += 1;
        }
    }
    assert!(seen >= 5, "css, js and icon links: {seen}");
    for (path, ctype) in [
        ("vendor/uswds-3.14.0/css/uswds.min.css", "text/css"),
        ("vendor/uswds-3.14.0/js/uswds.min.js", "text/javascript"),
        ("vendor/uswds-3.14.0/img/sprite.svg", "image/svg+xml"),
        (
            "vendor/uswds-3.14.0/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2",
            "font/woff2",
        ),
    ] {
        let (resp, body) = get(&s, &format!("/static/{path}")).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        assert!(header(&resp, "content-type").starts_with(ctype), "{path}");
        assert!(!body.is_empty());
        let etag = header(&resp, "etag").to_owned();
        assert!(etag.starts_with('"'));
        let (resp, _) = get_with(&s, &format!("/static/{path}"), "if-none-match", &etag).await;
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    }
    let (resp, _) = get(&s, "/static/css/puente.css").await;
    assert_eq!(header(&resp, "vary"), "", "assets do not vary by language");
    let (resp, _) = get(&s, "/static/vendor/uswds-3.14.0/LICENSE.md").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (resp, _) = get(&s, "/static/../Cargo.toml").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
#[ignore = "writes rendered pages to $PUENTE_WEB_DUMP for manual review"]
async fn dump_pages() {
    let Ok(dir) = std::env::var("PUENTE_WEB_DUMP") else {
        return;
    };
    let s = site().await;
    for route in portal_routes() {
        for lang in ["en", "es"] {
            let (_, html) = get(&s, &format!("{route}?lang={lang}")).await;
            let name = format!("{}-{lang}.html", route.trim_matches('/').replace('/', "_"));
            std::fs::write(std::path::Path::new(&dir).join(name), html).unwrap();
        }
    }
}
