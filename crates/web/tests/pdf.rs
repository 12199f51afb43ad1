#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Consolidated Student Record Report as a PDF: the form on the record page, the download
//! (portal and API), its audit event with the purpose, refusals, merged IDs.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{get, session_cookie, site};
use http_body_util::BodyExt;
use puente_app::authz::Actor;
use puente_app::ingest::RecordOutcome;
use puente_domain::StateCode;
use puente_domain::roles::{Role, Scope};
use puente_store::AuditFilter;
use puente_testkit::fixtures::student;
use tower::ServiceExt;

/// GET returning the raw body (PDF bytes).
async fn get_bytes(
    site: &common::Site,
    uri: &str,
    cookie: &str,
) -> (axum::http::response::Parts, Vec<u8>) {
    let resp = site
        .router
        .clone()
        .oneshot(
            Request::get(uri)
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    (parts, body.collect().await.unwrap().to_bytes().to_vec())
}

async fn seeded() -> (common::Site, Vec<String>) {
    let site = site().await;
    let out = site
        .app
        .ingest(
            vec![
                student(
                    StateCode::TX,
                    "T1",
                    "José",
                    "Hernández-López",
                    "",
                    "20100314",
                ),
                student(StateCode::TX, "T2", "Bruno", "Díaz", "Ruiz", "20120520"),
            ],
            None,
        )
        .await
        .unwrap();
    let ids = out
        .iter()
        .map(|o| match o {
            RecordOutcome::Written(w) => w.msix_id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    (site, ids)
}

async fn prints(site: &common::Site, msix: &str) -> Vec<puente_store::AuditEvent> {
    site.db
        .store
        .audit_search(&AuditFilter {
            action: Some("record.print".into()),
            child_msix_id: Some(msix.into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn the_record_page_offers_the_form_and_the_pdf_downloads_audited() {
    let (site, ids) = seeded().await;
    let msix = &ids[0];
    let cookie = session_cookie(&site, Role::SecondaryUser).await;

    // The form: language (the page's language checked) and purpose, in Spanish too.
    let (_, html) = get(&site, &format!("/students/{msix}?lang=es"), Some(&cookie)).await;
    assert!(
        html.contains(&format!("action=\"/students/{msix}/report.pdf\"")),
        "{html}"
    );
    assert!(html.contains("Finalidad del informe") && html.contains("La familia se muda"));
    assert!(html.contains("id=\"pdf-lang-es\" type=\"radio\" name=\"lang\" value=\"es\" checked"));

    let (parts, body) = get_bytes(
        &site,
        &format!("/students/{msix}/report.pdf?lang=es&purpose=family-moving"),
        &cookie,
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers[header::CONTENT_TYPE], "application/pdf");
    let disposition = parts.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert_eq!(
        disposition,
        format!("attachment; filename=\"msix-{msix}-record-es.pdf\"")
    );
    assert!(!disposition.contains("Hern") && !disposition.contains("Jos"));
    assert_eq!(parts.headers[header::CACHE_CONTROL], "no-store");
    assert!(body.starts_with(b"%PDF-") && body.len() > 10_000);

    // One audit event for the print, with the purpose; the print is not a view.
    let events = prints(&site, msix).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].purpose.as_deref(), Some("family moving"));
    let user = site
        .app
        .store
        .user_by_email("secondary.user@demo.puente.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(events[0].actor, user.id);

    // The API: same report, purpose required.
    let (parts, body) = get_bytes(
        &site,
        &format!("/api/v1/students/{msix}/report.pdf?purpose=enrollment"),
        &cookie,
    )
    .await;
    assert_eq!(parts.status, StatusCode::OK);
    assert!(body.starts_with(b"%PDF-"));
    assert!(
        parts.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("-record-en.pdf")
    );
    let (resp, body) = get(
        &site,
        &format!("/api/v1/students/{msix}/report.pdf"),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(body.contains("purpose"), "{body}");
    let events = prints(&site, msix).await;
    assert_eq!(events.len(), 2, "a refused request is not a print");
    assert!(
        events
            .iter()
            .any(|e| e.purpose.as_deref() == Some("enrollment"))
    );
}

#[tokio::test]
async fn without_a_purpose_the_form_comes_back_with_an_error() {
    let (site, ids) = seeded().await;
    let msix = &ids[0];
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    let (resp, _) = get(
        &site,
        &format!("/students/{msix}/report.pdf?lang=es&purpose=curiosity"),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with(&format!("/students/{msix}?print_error=purpose")),
        "{location}"
    );
    let (_, html) = get(&site, &location, Some(&cookie)).await;
    assert!(html.contains("usa-form-group--error"), "{html}");
    assert!(html.contains("pdf-purpose-error"));
    assert!(prints(&site, msix).await.is_empty(), "nothing printed");
}

#[tokio::test]
async fn users_without_the_capability_are_refused_and_nothing_is_printed() {
    let (site, ids) = seeded().await;
    let msix = &ids[0];
    let uri = format!("/students/{msix}/report.pdf?lang=en&purpose=parent-request");
    for role in [Role::FederalViewer, Role::UserAdministrator] {
        let cookie = session_cookie(&site, role).await;
        let (parts, body) = get_bytes(&site, &uri, &cookie).await;
        assert_eq!(parts.status, StatusCode::FORBIDDEN, "{role:?}");
        assert!(!body.starts_with(b"%PDF"));
        let api = format!("/api/v1/students/{msix}/report.pdf?purpose=parent-request");
        let (parts, _) = get_bytes(&site, &api, &cookie).await;
        assert_eq!(parts.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    // Signed out: sent to the sign-in page (portal), 401 (API).
    let (resp, _) = get(&site, &uri, None).await;
    assert!(resp.status().is_redirection() || resp.status() == StatusCode::UNAUTHORIZED);
    assert!(prints(&site, msix).await.is_empty());
}

#[tokio::test]
async fn a_merged_msix_id_redirects_to_the_surviving_report() {
    let (site, ids) = seeded().await;
    let (keep, gone) = (&ids[0], &ids[1]);
    let admin = |id: &str| Actor {
        user_id: id.into(),
        role: Role::DataAdministrator,
        scope: Scope::State { state: "TX".into() },
        source_ip: None,
    };
    let op = site
        .app
        .start_merge(&admin("a"), keep, gone, "same child")
        .await
        .unwrap();
    let item = site
        .app
        .worklist(&admin("b"), false)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.operation.as_ref().is_some_and(|o| o.id == op.id))
        .unwrap()
        .id;
    site.app
        .validate_operation(&admin("b"), &item, true, "ok")
        .await
        .unwrap();

    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    let (resp, _) = get(
        &site,
        &format!("/students/{gone}/report.pdf?lang=es&purpose=enrollment"),
        Some(&cookie),
    )
    .await;
    assert!(resp.status().is_redirection(), "{:?}", resp.status());
    assert_eq!(
        resp.headers()[header::LOCATION],
        format!("/students/{keep}/report.pdf?lang=es&purpose=enrollment").as_str()
    );
    let (resp, _) = get(
        &site,
        &format!("/api/v1/students/{gone}/report.pdf?purpose=enrollment"),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::PERMANENT_REDIRECT);
    assert!(prints(&site, gone).await.is_empty());
}

#[tokio::test]
async fn a_decided_correction_request_prints_the_family_letter_audited() {
    let (site, ids) = seeded().await;
    let msix = &ids[0];
    let u = site
        .app
        .store
        .user_by_email("data.administrator@demo.puente.test")
        .await
        .unwrap()
        .unwrap();
    let actor = Actor::from_user(&u, None).unwrap();
    let n = site
        .app
        .record_correction_request(
            &actor,
            msix,
            &puente_app::notices::CorrectionInput {
                owner_state: "TX".into(),
                topic: "Birth date".into(),
                details: "The mother says the day and month are swapped.".into(),
            },
        )
        .await
        .unwrap();
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let letter = format!("/notices/{}/letter.pdf?lang=es", n.id);
    // Not decided yet: no letter.
    let (_, html) = get(&site, &format!("/notices/{}", n.id), Some(&cookie)).await;
    assert!(!html.contains("letter.pdf"));
    let (parts, _) = get_bytes(&site, &letter, &cookie).await;
    assert_eq!(parts.status, StatusCode::NOT_FOUND);

    site.app
        .decide_correction(
            &actor,
            &n.id,
            false,
            "The birth certificate confirms the date on file.",
        )
        .await
        .unwrap();
    let (_, html) = get(&site, &format!("/notices/{}", n.id), Some(&cookie)).await;
    assert!(html.contains("Letter to the family"), "{html}");
    assert!(html.contains(&letter.replace('&', "&amp;")) || html.contains(&letter));
    let before = prints(&site, msix).await.len();
    let (parts, bytes) = get_bytes(&site, &letter, &cookie).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(
        parts.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains(&format!("msix-{msix}-correction-letter-es.pdf"))
    );
    assert_eq!(&bytes[..5], b"%PDF-");
    // It names the child: a disclosure of the record, audited with its purpose.
    let after = prints(&site, msix).await;
    assert_eq!(after.len(), before + 1);
    assert_eq!(
        after[0].purpose.as_deref(),
        Some("correction request outcome letter")
    );
    // Roles without notices are refused.
    let secondary = session_cookie(&site, Role::SecondaryUser).await;
    let (parts, _) = get_bytes(&site, &letter, &secondary).await;
    assert_eq!(parts.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_malformed_api_query_is_a_problem_json_400() {
    let (site, ids) = seeded().await;
    let cookie = session_cookie(&site, Role::SecondaryUser).await;
    let (resp, body) = get(
        &site,
        &format!(
            "/api/v1/students/{}/report.pdf?purpose=other&purpose=other",
            ids[0]
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        resp.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .contains("problem+json")
    );
    assert!(body.contains("bad_request"), "{body}");
}
