#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The OpenAPI contract (`GET /api/openapi.json`) against the code: every `/api` route of the
//! access table is described and nothing else is; live answers (search results, a consolidated
//! record from three states, submission reports, error bodies) validate against the document's
//! schemas, whose objects forbid undocumented fields; every status seen is documented for its
//! operation with the content type seen.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{session_cookie, site};
use http_body_util::BodyExt;
use puente_app::Actor;
use puente_domain::StateCode;
use puente_domain::roles::{Role, Scope};
use puente_testkit::fixtures::student;
use puente_web::openapi::document;
use serde_json::{Value, json};
use tower::ServiceExt;

struct Answer {
    status: StatusCode,
    content_type: String,
    location: Option<String>,
    body: String,
}

async fn call(site: &common::Site, req: Request<Body>) -> Answer {
    let resp = site.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let location = resp
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn get(uri: &str, cookie: Option<&str>, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::empty()).unwrap()
}

fn post(uri: &str, token: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap()
}

/// Follows a local `$ref` (`#/a/b`) in the document.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(p) => {
            let target = doc
                .pointer(p.trim_start_matches('#'))
                .unwrap_or_else(|| panic!("dangling $ref {p}"));
            resolve(doc, target)
        }
        None => v,
    }
}

fn validate(doc: &Value, schema: &Value, instance: &Value, what: &str) {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|e| panic!("{what}: the schema does not compile: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: the answer does not match the document:\n{}\n{}",
        errors.join("\n"),
        serde_json::to_string_pretty(instance).unwrap()
    );
}

/// Checks an answer against the operation `method path` of the document: the status is
/// documented, with the content type seen, and a JSON body matches its schema. Returns the body.
fn conforms(method: &str, path: &str, a: &Answer) -> Value {
    let doc = document();
    let op = doc["paths"][path][method].clone();
    assert!(op.is_object(), "{method} {path} is not in the document");
    let code = a.status.as_u16().to_string();
    let response = resolve(doc, &op["responses"][&code]);
    assert!(
        response.is_object(),
        "{method} {path} answered {code}, which the document does not list: {}",
        a.body
    );
    let media = a.content_type.split(';').next().unwrap_or("").trim();
    let content = &response["content"];
    if content.is_null() {
        assert!(
            a.body.is_empty() || media.is_empty() || a.status.is_redirection(),
            "{method} {path} {code}: the document lists no body, got {media}"
        );
        return Value::Null;
    }
    let Some(entry) = content.get(media) else {
        panic!("{method} {path} {code}: content type {media:?} not documented: {content}");
    };
    if media.ends_with("json") {
        let body: Value = serde_json::from_str(&a.body)
            .unwrap_or_else(|e| panic!("{method} {path} {code}: not JSON ({e}): {}", a.body));
        validate(
            doc,
            &entry["schema"],
            &body,
            &format!("{method} {path} {code}"),
        );
        body
    } else {
        Value::String(a.body.clone())
    }
}

#[test]
fn every_api_route_is_in_the_document_and_nothing_else() {
    let doc = document();
    let table: BTreeSet<(String, String)> = puente_web::auth::route_table()
        .into_iter()
        .filter(|(_, p, _)| p.starts_with("/api"))
        .map(|(m, p, _)| {
            (
                m.as_str().to_ascii_lowercase(),
                p.replace("{*", "{").to_string(),
            )
        })
        .collect();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    let missing: Vec<_> = table.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&table).collect();
    assert!(
        missing.is_empty(),
        "/api routes missing from the OpenAPI document (add them in crates/web/src/openapi.rs): {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "documented operations that are not routes: {extra:?}"
    );
}

#[test]
fn the_document_is_well_formed() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    // Every reference resolves, every schema compiles, and every object schema is closed.
    fn walk(doc: &Value, v: &Value, at: &str) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(p)) = m.get("$ref") {
                    assert!(
                        doc.pointer(p.trim_start_matches('#')).is_some(),
                        "dangling $ref {p} at {at}"
                    );
                }
                if m.get("type") == Some(&json!("object")) && m.contains_key("properties") {
                    assert_eq!(
                        m.get("additionalProperties"),
                        Some(&json!(false)),
                        "object schema at {at} must set additionalProperties: false"
                    );
                }
                for (k, x) in m {
                    walk(doc, x, &format!("{at}/{k}"));
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(doc, x, &format!("{at}/{i}"));
                }
            }
            _ => {}
        }
    }
    walk(doc, doc, "");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"],
            "allOf": [schema],
        });
        assert!(
            jsonschema::meta::validate(&root).is_ok(),
            "schema {name} is not valid JSON Schema 2020-12"
        );
    }
    // The checks bite: an undocumented field, a missing one, a value outside a code set.
    let bad = |schema: &str, instance: Value| {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"],
            "$ref": format!("#/components/schemas/{schema}"),
        });
        let v = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap();
        assert!(!v.is_valid(&instance), "{schema} accepted {instance}");
    };
    let source =
        json!({ "state": "TX", "state_student_id": "T1", "received_at": "2026-01-05T12:00:00Z" });
    bad(
        "Source",
        json!({ "state": "TX", "state_student_id": "T1", "received_at": "2026-01-05T12:00:00Z", "extra": 1 }),
    );
    bad("Source", json!({ "state": "TX", "state_student_id": "T1" }));
    bad(
        "Source",
        json!({ "state": "XX", "state_student_id": "T1", "received_at": "2026-01-05T12:00:00Z" }),
    );
    bad(
        "Source",
        json!({ "state": "TX", "state_student_id": "T1", "received_at": "yesterday" }),
    );
    bad(
        "Field",
        json!({ "value": "a", "source": source, "others": [["b"]] }),
    );
    bad(
        "Problem",
        json!({ "type": "about:blank", "title": "x", "status": 400, "code": "nope" }),
    );

    // Every operation has an id, a summary and responses; every path parameter is declared.
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap().to_string();
            assert!(ids.insert(id), "duplicate operationId in {method} {path}");
            assert!(op["summary"].is_string());
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()));
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(
                    op["parameters"].as_array().is_some_and(|ps| ps
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path")),
                    "{method} {path}: path parameter {name} not declared"
                );
            }
        }
    }
    // The problem codes of docs/errors.md are the ones the schema allows.
    let errors_md = include_str!("../../../docs/errors.md");
    for code in puente_web::auth::problem_codes() {
        assert!(
            errors_md.contains(&format!("`{code}`")),
            "problem code {code} is not documented in docs/errors.md"
        );
    }
}

#[tokio::test]
async fn the_document_and_the_ui_are_served_to_anyone() {
    let site = site().await;
    let a = call(&site, get("/api/openapi.json", None, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    let served = conforms("get", "/api/openapi.json", &a);
    assert_eq!(&served, document());
    // The API root links the document and the UI, and matches its own schema.
    let a = call(&site, get("/api/v1", None, None)).await;
    let root = conforms("get", "/api/v1", &a);
    assert_eq!(root["links"]["openapi"], "/api/openapi.json");
    assert_eq!(root["links"]["docs"], "/api/docs");
    // The UI: a redirect to its page, which loads its files from the binary and the document.
    let a = call(&site, get("/api/docs", None, None)).await;
    assert_eq!(a.status, StatusCode::PERMANENT_REDIRECT);
    conforms("get", "/api/docs", &a);
    let page = a.location.unwrap();
    assert_eq!(page, "/api/docs/index.html");
    let a = call(&site, get(&page, None, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    conforms("get", "/api/docs/{file}", &a);
    assert!(
        a.content_type.starts_with("text/html"),
        "{}",
        a.content_type
    );
    assert!(a.body.contains("swagger-ui-bundle.js"), "{}", a.body);
    let resp = site
        .router
        .clone()
        .oneshot(get(&page, None, None))
        .await
        .unwrap();
    let csp = resp.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self';") && !csp.contains("script-src 'self' 'unsafe"));
    assert!(!a.body.contains("http://") && !a.body.contains("https://"));
    let a = call(&site, get("/api/docs/swagger-initializer.js", None, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    conforms("get", "/api/docs/{file}", &a);
    assert!(a.body.contains("/api/openapi.json"), "{}", a.body);
    let a = call(&site, get("/api/docs/swagger-ui-bundle.js", None, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    conforms("get", "/api/docs/{file}", &a);
    let a = call(&site, get("/api/docs/nothing-here.js", None, None)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    conforms("get", "/api/docs/{file}", &a);
}

fn tx_admin() -> Actor {
    Actor {
        user_id: "admin".into(),
        role: Role::UserAdministrator,
        scope: Scope::National,
        source_ip: None,
    }
}

fn file(state: &str, raws: &[puente_domain::RawStudent]) -> Vec<u8> {
    let header = puente_interchange::header_for(state, "20261123090000000", raws);
    let mut out = Vec::new();
    puente_interchange::write_file(&mut out, puente_interchange::Format::Xml, &header, raws)
        .unwrap();
    out
}

#[tokio::test]
async fn live_answers_match_the_document() {
    let site = site().await;
    let cookie = session_cookie(&site, Role::PrimaryUser).await;

    // A child with records from three states, with conflicting values.
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
                    "JOSE LUIS",
                    "HERNANDEZ",
                    "LOPEZ",
                    "20100314",
                ),
                student(
                    StateCode::FL,
                    "F1",
                    "José",
                    "Hernández",
                    "López",
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

    // Search.
    let a = call(
        &site,
        get(
            "/api/v1/students?first_name=jose&last_name=hernandez&birth_date=2010-03-14",
            Some(&cookie),
            None,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let hits = conforms("get", "/api/v1/students", &a);
    assert_eq!(hits["results"][0]["summary"]["msix_id"], msix.as_str());

    // The consolidated record.
    let a = call(
        &site,
        get(
            &format!("/api/v1/students/{msix}?purpose=enrollment"),
            Some(&cookie),
            None,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let rec = conforms("get", "/api/v1/students/{msix_id}", &a);
    assert_eq!(rec["state_ids"].as_array().unwrap().len(), 3);
    assert_eq!(rec["state_records"].as_array().unwrap().len(), 3);
    assert!(
        !rec["identity"]["first_name"]["others"]
            .as_array()
            .unwrap()
            .is_empty(),
        "the conflicting first name is shown: {}",
        rec["identity"]
    );
    assert!(!rec["course_groups"].as_array().unwrap().is_empty());

    // Submissions with a state token: processed (one student rejected), the report as JSON
    // and CSV, the same file again, a file rejected whole.
    let (_, token) = site
        .app
        .issue_api_token(&tx_admin(), "TX", "TX loader")
        .await
        .unwrap();
    let mut good = puente_testkit::fixtures::raw_student();
    good.reporting_state = "TX".into();
    good.state_student_id = "T900".into();
    let mut bad = good.clone();
    bad.student_record_id = "2".into();
    bad.state_student_id = "T901".into();
    bad.demographics.birth_date = "2010-02-30".into();
    let body = file("TX", &[good.clone(), bad]);
    let a = call(
        &site,
        post(
            "/api/v1/submissions?file_name=tx.xml",
            &token,
            "application/xml",
            body.clone(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let report = conforms("post", "/api/v1/submissions", &a);
    assert!(
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["status"] == "rejected" && !r["issues"].as_array().unwrap().is_empty()),
        "{report}"
    );
    let id = report["submission"]["id"].as_str().unwrap().to_string();
    let a = call(
        &site,
        get(&format!("/api/v1/submissions/{id}"), None, Some(&token)),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    conforms("get", "/api/v1/submissions/{id}", &a);
    let a = call(
        &site,
        get(
            &format!("/api/v1/submissions/{id}/report.csv"),
            None,
            Some(&token),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    conforms("get", "/api/v1/submissions/{id}/report.csv", &a);
    let a = call(
        &site,
        post(
            "/api/v1/submissions",
            &token,
            "application/octet-stream",
            body,
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        conforms("post", "/api/v1/submissions", &a)["outcome"],
        "already_received"
    );
    let a = call(
        &site,
        post(
            "/api/v1/submissions",
            &token,
            "text/csv",
            b"not,a\nsubmission".to_vec(),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let rejected = conforms("post", "/api/v1/submissions", &a);
    assert!(rejected["submission"]["error"].is_string());

    // Errors: problem+json with their stable codes.
    let problem = |a: &Answer, method: &str, path: &str, code: &str| {
        assert!(
            a.content_type.starts_with("application/problem+json"),
            "{method} {path}: {}",
            a.content_type
        );
        let p = conforms(method, path, a);
        assert_eq!(p["code"], code, "{p}");
        assert_eq!(p["status"], a.status.as_u16());
    };
    let a = call(&site, get("/api/v1/students?last_name=x", None, None)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    problem(&a, "get", "/api/v1/students", "unauthenticated");
    let a = call(
        &site,
        get("/api/v1/students?last_name=x", None, Some("pnt_nonsense")),
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    problem(&a, "get", "/api/v1/students", "invalid_token");
    let a = call(
        &site,
        get("/api/v1/students?last_name=x", None, Some(&token)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    problem(&a, "get", "/api/v1/students", "forbidden");
    let a = call(
        &site,
        get(&format!("/api/v1/students/{msix}"), None, Some(&token)),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    problem(&a, "get", "/api/v1/students/{msix_id}", "forbidden");
    let a = call(
        &site,
        post(
            "/api/v1/submissions?state=CA",
            &token,
            "application/xml",
            vec![],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    problem(&a, "post", "/api/v1/submissions", "forbidden");
    // A mistyped MSIX ID (wrong check digit) and an unknown one.
    let mut wrong = msix.clone().into_bytes();
    wrong[11] = if wrong[11] == b'9' {
        b'0'
    } else {
        wrong[11] + 1
    };
    let wrong = String::from_utf8(wrong).unwrap();
    let a = call(
        &site,
        get(&format!("/api/v1/students/{wrong}"), Some(&cookie), None),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    problem(&a, "get", "/api/v1/students/{msix_id}", "bad_request");
    let a = call(&site, get("/api/v1/students/abc", Some(&cookie), None)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    problem(&a, "get", "/api/v1/students/{msix_id}", "bad_request");
    let unknown = puente_domain::MsixId::from_payload(99_999_999_999)
        .unwrap()
        .to_string();
    let a = call(
        &site,
        get(&format!("/api/v1/students/{unknown}"), Some(&cookie), None),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    problem(&a, "get", "/api/v1/students/{msix_id}", "not_found");
    let a = call(&site, get("/api/v1/students", Some(&cookie), None)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.body);
    problem(&a, "get", "/api/v1/students", "bad_request");
    let a = call(
        &site,
        get("/api/v1/submissions/no-such-id", None, Some(&token)),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    problem(&a, "get", "/api/v1/submissions/{id}", "not_found");
    let a = call(
        &site,
        get(
            "/api/v1/submissions/no-such-id/report.csv",
            None,
            Some(&token),
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    problem(
        &a,
        "get",
        "/api/v1/submissions/{id}/report.csv",
        "not_found",
    );
    // Another state's submission is not found either (IDs cannot be probed).
    let (_, ca) = site
        .app
        .issue_api_token(&tx_admin(), "CA", "CA loader")
        .await
        .unwrap();
    let a = call(
        &site,
        get(&format!("/api/v1/submissions/{id}"), None, Some(&ca)),
    )
    .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    problem(&a, "get", "/api/v1/submissions/{id}", "not_found");
    // A method the path does not serve: 405 with Allow, as a problem.
    let a = call(
        &site,
        Request::delete("/api/v1/students")
            .header("cookie", &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    let p: Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(p["code"], "method_not_allowed");
    let resp = site
        .router
        .clone()
        .oneshot(Request::put("/api/v1").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(resp.headers()[header::ALLOW], "GET, HEAD");
    // Unknown API paths: a problem too.
    let a = call(&site, get("/api/v1/nothing", Some(&cookie), None)).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.content_type.starts_with("application/problem+json"));
    let p: Value = serde_json::from_str(&a.body).unwrap();
    validate(
        document(),
        &json!({ "$ref": "#/components/schemas/Problem" }),
        &p,
        "unknown API path",
    );
}
