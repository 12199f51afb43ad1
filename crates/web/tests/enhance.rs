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
    // Pages with form errors (400/403/409/422) are swapped in like successes; server errors not.
    let swaps = |status: &str| {
        v["responseHandling"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| regex_lite_match(r["code"].as_str().unwrap(), status))
            .map(|r| r["swap"] == true)
            .unwrap()
    };
    for (status, swapped) in [
        ("200", true),
        ("400", true),
        ("403", true),
        ("409", true),
        ("422", true),
        ("500", false),
        ("404", false),
    ] {
        assert_eq!(swaps(status), swapped, "{status}");
    }
    // And the CSP still forbids inline script and eval.
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"));
}

/// The subset of regular expressions htmx's response-handling codes use here: `[23]..`,
/// `(a|b|c)` and literal codes, matched anywhere in the status like JavaScript's `RegExp.test`.
fn regex_lite_match(pattern: &str, status: &str) -> bool {
    if let Some(alts) = pattern.strip_prefix('(').and_then(|p| p.strip_suffix(')')) {
        return alts.split('|').any(|a| status.contains(a));
    }
    if let Some(rest) = pattern.strip_prefix('[') {
        let (class, tail) = rest.split_once(']').unwrap();
        return status.len() == 1 + tail.len()
            && class.contains(&status[..1])
            && tail.chars().all(|c| c == '.');
    }
    status.contains(pattern)
}

#[tokio::test]
async fn worklist_forms_work_plain_and_are_enhanced_in_place() {
    let site = site().await;
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    // A validation item: a merge started by the demo data administrator's colleague.
    let out = site
        .app
        .ingest(
            vec![
                puente_testkit::fixtures::student(
                    puente_domain::StateCode::TX,
                    "T1",
                    "Ana",
                    "Quintero",
                    "Salas",
                    "20110407",
                ),
                puente_testkit::fixtures::student(
                    puente_domain::StateCode::TX,
                    "T2",
                    "Bruno",
                    "Villalobos",
                    "Ortega",
                    "20090912",
                ),
            ],
            None,
        )
        .await
        .unwrap();
    let msix: Vec<String> = out
        .iter()
        .map(|o| match o {
            puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    let second = site
        .app
        .store
        .user_by_email(puente_app::accounts::DEMO_SECOND_DATA_ADMIN)
        .await
        .unwrap()
        .unwrap();
    let op = site
        .app
        .start_merge(
            &puente_app::Actor::from_user(&second, None).unwrap(),
            &msix[0],
            &msix[1],
            "same family card",
        )
        .await
        .unwrap();
    let admin_user = site
        .app
        .store
        .user_by_email("data.administrator@demo.puente.test")
        .await
        .unwrap()
        .unwrap();
    let item = site
        .app
        .worklist(
            &puente_app::Actor::from_user(&admin_user, None).unwrap(),
            false,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.operation.as_ref().is_some_and(|o| o.id == op.id))
        .expect("validation item")
        .id;
    let (resp, html) = get(&site, &format!("/worklists/{item}"), Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(html.matches(r#"id="wl-area""#).count(), 1);
    for form in ["validate", "reassign"] {
        let action = format!("/worklists/{item}/{form}");
        // Without JavaScript: a plain POST form; with it, htmx posts and swaps the item area.
        assert!(
            html.contains(&format!(
                r##"method="post" action="{action}" hx-post="{action}" hx-target="#wl-area" hx-select="#wl-area""##
            )),
            "{form}: {html}"
        );
    }
}
