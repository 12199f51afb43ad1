#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Search and the consolidated record through the portal and the API: signed-in roles only,
//! audited, markup in names printed literally, in English and Spanish.

mod common;

use axum::http::StatusCode;
use common::{get, session_cookie, site};
use puente_domain::StateCode;
use puente_domain::roles::Role;
use puente_testkit::fixtures::student;

async fn seeded() -> (common::Site, String) {
    let site = site().await;
    let out = site
        .app
        .ingest(
            vec![
                student(
                    StateCode::TX,
                    "T1",
                    "José",
                    "Hernández",
                    "López",
                    "20100314",
                ),
                student(
                    StateCode::MI,
                    "M1",
                    "JOSE",
                    "HERNANDEZ",
                    "LOPEZ",
                    "20100314",
                ),
            ],
            None,
        )
        .await
        .unwrap();
    let msix = match &out[0] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        other => panic!("{other:?}"),
    };
    (site, msix)
}

#[tokio::test]
async fn search_page_finds_the_child_and_links_the_record() {
    let (site, msix) = seeded().await;
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    let (resp, html) = get(
        &site,
        "/search?first_name=jose&last_name=hernandez",
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/students/{msix}\"")),
        "{html}"
    );
    assert!(html.contains("José") && html.contains("TX, MI") || html.contains("MI, TX"));
    // Spanish.
    let (_, es) = get(&site, "/search?lang=es&last_name=hernandez", Some(&cookie)).await;
    assert!(
        es.contains("lang=\"es\"") && es.contains("Resultados"),
        "{es}"
    );
    // An empty search shows the form without results; a mistyped MSIX ID is explained.
    let (resp, html) = get(&site, "/search?msix_id=123", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("usa-alert--error"));
}

#[tokio::test]
async fn record_page_is_served_once_audited_and_escapes_markup() {
    let site = site().await;
    let mut rec = student(StateCode::TX, "T9", "Ana", "Torres", "Vega", "20120101");
    rec.demographics.birth_city = Some("<script>alert(1)</script> # $ \\".into());
    let out = site.app.ingest(vec![rec], None).await.unwrap();
    let msix = match &out[0] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        other => panic!("{other:?}"),
    };
    let cookie = session_cookie(&site, Role::SecondaryUser).await;
    let before = site.db.store.audit_chain_events().await.unwrap().len();
    let (resp, html) = get(
        &site,
        &format!("/students/{msix}?purpose=enrollment"),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "markup is escaped"
    );
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; # $ \\"),
        "printed literally, escaped"
    );
    let events = site.db.store.audit_chain_events().await.unwrap();
    assert_eq!(
        events.len(),
        before + 1,
        "exactly one audit event for one view"
    );
    assert_eq!(
        events.last().unwrap().purpose.as_deref(),
        Some("enrollment")
    );
}

#[tokio::test]
async fn api_returns_json_and_refuses_without_session_or_capability() {
    let (site, msix) = seeded().await;
    let (resp, _) = get(&site, &format!("/api/v1/students/{msix}"), None).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let fed = session_cookie(&site, Role::FederalViewer).await;
    let (resp, body) = get(&site, &format!("/api/v1/students/{msix}"), Some(&fed)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(!body.contains("Hern"), "nothing of the child is disclosed");
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (resp, body) = get(&site, &format!("/api/v1/students/{msix}"), Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["msix_id"], msix);
    assert_eq!(json["state_records"].as_array().unwrap().len(), 2);
    let (resp, body) = get(
        &site,
        "/api/v1/students?last_name=Lopez%20Hernandez",
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["results"][0]["summary"]["msix_id"], msix);
    let (resp, body) = get(&site, "/api/v1/students/123456789012", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body.contains("check digit"), "{body}");
}

#[tokio::test]
async fn dates_are_shown_in_the_page_language() {
    let (site, msix) = seeded().await;
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    let (_, en) = get(
        &site,
        "/search?first_name=jose&last_name=hernandez&lang=en",
        Some(&cookie),
    )
    .await;
    assert!(en.contains("Mar 14, 2010"), "{en}");
    let (_, es) = get(
        &site,
        "/search?first_name=jose&last_name=hernandez&lang=es",
        Some(&cookie),
    )
    .await;
    assert!(es.contains("14 mar 2010"), "{es}");
    let (_, record) = get(&site, &format!("/students/{msix}?lang=es"), Some(&cookie)).await;
    assert!(record.contains("14 mar 2010"), "{record}");
    assert!(
        !record.contains("2010-03-14"),
        "ISO date on the Spanish record page"
    );
}
