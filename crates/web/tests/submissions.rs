#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `POST /api/v1/submissions` with per-state API tokens (machine accounts).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::site;
use http_body_util::BodyExt;
use puente_app::Actor;
use puente_domain::roles::{Role, Scope};
use tower::ServiceExt;

async fn send(site: &common::Site, req: Request<Body>) -> (StatusCode, String) {
    let resp = site.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn post(uri: &str, token: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut r = Request::post(uri);
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::from(body)).unwrap()
}

fn file(students: usize, declared: u64) -> Vec<u8> {
    let mut raws = Vec::new();
    for i in 0..students {
        let mut s = puente_testkit::fixtures::raw_student();
        s.student_record_id = (i + 1).to_string();
        s.state_student_id = format!("T{:09}", i + 1);
        raws.push(s);
    }
    let mut header = puente_interchange::header_for("TX", "20261123090000000", &raws);
    header.total_students = declared;
    let mut out = Vec::new();
    puente_interchange::write_file(&mut out, puente_interchange::Format::Xml, &header, &raws)
        .unwrap();
    out
}

fn tx_admin() -> Actor {
    Actor {
        user_id: "admin".into(),
        role: Role::UserAdministrator,
        scope: Scope::State { state: "TX".into() },
        source_ip: None,
    }
}

#[tokio::test]
async fn a_state_token_submits_for_its_state_only() {
    let site = site().await;
    let (id, token) = site
        .app
        .issue_api_token(&tx_admin(), "TX", "TX nightly loader")
        .await
        .unwrap();
    assert!(token.starts_with("pnt_"));
    let (status, body) = send(
        &site,
        post(
            "/api/v1/submissions?file_name=tx.xml",
            Some(&token),
            file(3, 3),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let report: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["outcome"], "completed");
    assert_eq!(report["rows"].as_array().unwrap().len(), 3);
    assert!(report["rows"][0]["msix_id"].as_str().unwrap().len() == 12);
    let sub = report["submission"]["id"].as_str().unwrap().to_string();
    // The report again, as CSV.
    let req = Request::get(format!("/api/v1/submissions/{sub}/report.csv"))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, csv) = send(&site, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("student_record_id,state_student_id,status,msix_id"));
    // Same file again: recognised.
    let (status, body) = send(&site, post("/api/v1/submissions", Some(&token), file(3, 3))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("already_received"));
    // Another state: refused. Searching children: refused.
    let (status, _) = send(
        &site,
        post("/api/v1/submissions?state=CA", Some(&token), file(1, 1)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let req = Request::get("/api/v1/students?last_name=Hernandez")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&site, req).await.0, StatusCode::FORBIDDEN);
    // Revoked: refused.
    assert!(site.app.revoke_api_token(&tx_admin(), &id).await.unwrap());
    let (status, body) = send(&site, post("/api/v1/submissions", Some(&token), file(2, 2))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("revoked"));
}

#[tokio::test]
async fn bad_files_and_missing_tokens_get_clear_errors() {
    let site = site().await;
    let (_, token) = site
        .app
        .issue_api_token(&tx_admin(), "TX", "loader")
        .await
        .unwrap();
    let (status, body) = send(&site, post("/api/v1/submissions", Some(&token), file(2, 5))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("total students"), "{body}");
    assert_eq!(site.app.stats().await.unwrap().state_records, 0);
    let (status, _) = send(&site, post("/api/v1/submissions", None, file(1, 1))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(
        &site,
        post("/api/v1/submissions", Some("pnt_0000"), file(1, 1)),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A user administrator cannot issue a token for another state.
    assert!(matches!(
        site.app.issue_api_token(&tx_admin(), "CA", "x").await,
        Err(puente_app::AppError::Forbidden)
    ));
}

#[tokio::test]
async fn a_data_administrator_uploads_in_the_portal_and_reads_the_report() {
    let site = site().await;
    let cookie = common::session_cookie(&site, Role::DataAdministrator).await;
    let (resp, html) = common::get(&site, "/submissions", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let csrf = html
        .split("action=\"/submissions?_csrf=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut content = file(3, 3);
    // One bad student: a birth date that does not exist.
    let text = String::from_utf8(content)
        .unwrap()
        .replacen("20100314", "20101399", 1);
    content = text.into_bytes();
    let boundary = "----puente-test-boundary";
    let mut body = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tx.xml\"\r\nContent-Type: application/xml\r\n\r\n").into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let req = Request::post(format!("/submissions?_csrf={csrf}"))
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body.clone()))
        .unwrap();
    let resp = site.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let (resp, report) = common::get(&site, &location, Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        report.contains("20101399") && report.contains("Birth Date"),
        "{report}"
    );
    assert!(report.contains(".csv"));
    assert_eq!(site.app.stats().await.unwrap().state_records, 2);
    // Without the CSRF token the upload is refused and nothing is written.
    let req = Request::post("/submissions")
        .header("cookie", &cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    let resp = site.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // The history lists the submission.
    let (_, html) = common::get(&site, "/submissions", Some(&cookie)).await;
    assert!(html.contains(&location));
}
