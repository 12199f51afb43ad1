#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Built-in help: the guides exist in both languages with the same sections, every page's
//! context-help link lands on a section that exists, and the pages render safely.

use axum::http::{Method, StatusCode};
use puente_domain::roles::Role;
use puente_web::Lang;
use puente_web::help::{GUIDES, GuideKind, context_href, guide, guide_for, render_markdown};

mod common;

use common::{get, session_cookie, site};

#[test]
fn every_guide_has_both_languages_with_the_same_sections() {
    for g in GUIDES {
        let en = render_markdown(g.source(Lang::En));
        let es = render_markdown(g.source(Lang::Es));
        assert!(!en.title.is_empty(), "{}: no title in English", g.slug);
        assert!(!es.title.is_empty(), "{}: no title in Spanish", g.slug);
        assert_ne!(
            en.title, es.title,
            "{}: Spanish title not translated",
            g.slug
        );
        assert!(!en.anchors.is_empty(), "{}: no sections", g.slug);
        assert_eq!(en.anchors, es.anchors, "{}: sections differ", g.slug);
        let mut unique = en.anchors.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            en.anchors.len(),
            "{}: repeated anchor",
            g.slug
        );
    }
}

#[test]
fn every_role_has_a_guide_and_a_quick_reference() {
    for role in Role::ALL {
        let slug = guide_for(role);
        assert_eq!(guide(slug).map(|g| g.kind), Some(GuideKind::Guide));
    }
    let guides = GUIDES.iter().filter(|g| g.kind == GuideKind::Guide);
    for g in guides {
        let quick = format!("quick-{}", g.slug);
        assert_eq!(
            guide(&quick).map(|q| q.kind),
            Some(GuideKind::Quick),
            "{quick} missing"
        );
    }
    assert!(GUIDES.iter().any(|g| g.kind == GuideKind::Faq));
}

/// A concrete path for a route pattern (`{msix_id}` and other parameters filled in).
fn concrete(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "123456789018"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn context_help_of_every_portal_page_lands_on_an_existing_section() {
    let pages: Vec<String> = puente_web::auth::route_table()
        .into_iter()
        .filter(|(m, p, _)| {
            *m == Method::GET
                && !p.starts_with("/api")
                && !p.starts_with("/static")
                && *p != "/healthz"
        })
        .map(|(_, p, _)| concrete(p))
        .collect();
    assert!(pages.iter().any(|p| p == "/search"));
    let roles: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    for path in &pages {
        for role in &roles {
            let href = context_href(path, *role);
            let rest = href
                .strip_prefix("/help")
                .unwrap_or_else(|| panic!("{path}: {href}"));
            if rest.is_empty() {
                continue;
            }
            let rest = rest.strip_prefix('/').unwrap();
            let (slug, anchor) = rest.split_once('#').unwrap_or((rest, ""));
            let g = guide(slug).unwrap_or_else(|| panic!("{path} -> {href}: no such guide"));
            if !anchor.is_empty() {
                for lang in Lang::ALL {
                    let r = render_markdown(g.source(lang));
                    assert!(
                        r.anchors.iter().any(|a| a == anchor),
                        "{path} -> {href}: no section #{anchor} in {lang:?}"
                    );
                }
            }
        }
    }
    // Pages that document a task go to that task's section, not just the index.
    assert_eq!(context_href("/search", None), "/help/registrar#search");
    assert_eq!(
        context_href("/students/123456789018", Some(Role::SecondaryUser)),
        "/help/registrar#record"
    );
    assert_eq!(
        context_href("/worklists", Some(Role::DataAdministrator)),
        "/help/data-administrator#worklists"
    );
    assert_eq!(
        context_href("/reports", Some(Role::FederalViewer)),
        "/help/federal-viewer#national"
    );
}

#[test]
fn markdown_is_rendered_without_passing_html_through() {
    let r = render_markdown(
        "# Title <b>x</b>\n\n<script>alert(1)</script>\n\nText <img src=x onerror=alert(1)>\n\n## Part {#part}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    );
    assert!(!r.html.contains("<script"), "{}", r.html);
    assert!(!r.html.contains("<img"), "{}", r.html);
    assert!(!r.html.contains("<b>"), "{}", r.html);
    assert!(r.html.contains("&lt;script&gt;"), "{}", r.html);
    assert!(r.html.contains("<h2 id=\"part\">"), "{}", r.html);
    assert!(
        r.html
            .contains("<div class=\"usa-table-container--scrollable\" tabindex=\"0\"><table"),
        "{}",
        r.html
    );
    assert_eq!(r.anchors, vec!["part".to_string()]);
    assert!(r.title.starts_with("Title"));
}

#[tokio::test]
async fn help_pages_render_in_both_languages() {
    let site = site().await;
    let (resp, body) = get(&site, "/help", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    for g in GUIDES {
        assert!(
            body.contains(&format!("href=\"/help/{}\"", g.slug)),
            "index lacks {}",
            g.slug
        );
    }
    let (resp, body) = get(&site, "/help/registrar?lang=es", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(body.contains("<html lang=\"es\""));
    assert!(body.contains("Guía para registradores y consejeros"));
    assert!(body.contains("id=\"search\""));
    assert_eq!(body.matches("<h1").count(), 1, "exactly one h1");
    let (resp, body) = get(&site, "/help/quick-recruiter", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(body.contains("Quick reference: recruiters"));
    let (resp, _) = get(&site, "/help/no-such-guide", None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_page_links_to_its_help() {
    let site = site().await;
    let (_, body) = get(&site, "/", None).await;
    assert!(
        body.contains("href=\"/help\""),
        "anonymous home links to help"
    );
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (_, body) = get(&site, "/", Some(&cookie)).await;
    assert!(body.contains("href=\"/help/data-administrator\""));
    let (_, body) = get(&site, "/worklists", Some(&cookie)).await;
    assert!(body.contains("href=\"/help/data-administrator#worklists\""));
    let (_, body) = get(&site, "/search", Some(&cookie)).await;
    assert!(body.contains("href=\"/help/registrar#search\""));
    // The signed-in index puts the user's own guide first.
    let (_, body) = get(&site, "/help", Some(&cookie)).await;
    let yours = body.find("/help/data-administrator").unwrap();
    let all = body.find("/help/registrar").unwrap();
    assert!(yours < all);
}
