#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Worklist pages through the real router on the configured backend: the near-match page with
//! the records side by side, its answers, the two-person rule of validation, merge and split
//! forms from the student record, identity history, scope checks and the navigation badge.

mod common;

use axum::http::StatusCode;
use common::{Site, csrf_of, get, post_form, session_cookie, session_cookie_of, site};
use puente_app::Actor;
use puente_app::accounts::{DEMO_PASSWORD, DEMO_SECOND_DATA_ADMIN};
use puente_app::auth::demo_totp_secret;
use puente_app::ingest::RecordOutcome;
use puente_app::worklists::WorklistKind;
use puente_domain::StateCode;
use puente_domain::roles::Role;
use puente_store::NewUser;
use puente_testkit::fixtures::student;

const ADMIN: &str = "data.administrator@demo.puente.test";

fn location(resp: &axum::http::Response<axum::body::Body>) -> String {
    resp.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn actor(site: &Site, email: &str) -> Actor {
    let u = site.app.store.user_by_email(email).await.unwrap().unwrap();
    Actor::from_user(&u, None).unwrap()
}

fn msix_of(o: &RecordOutcome) -> String {
    match o {
        RecordOutcome::Written(w) => w.msix_id.to_string(),
        o => panic!("{o:?}"),
    }
}

/// A TX child, and a record from CA that linkage finds close but not certain: a near-match
/// item assigned to TX (the fixture's latest enrollment). Returns (candidate, new child, item).
async fn near_match(site: &Site) -> (String, String, String) {
    let out = site
        .app
        .ingest(
            vec![student(
                StateCode::TX,
                "T100",
                "Ana",
                "Quintero",
                "Salas",
                "20110407",
            )],
            None,
        )
        .await
        .unwrap();
    let candidate = msix_of(&out[0]);
    let mut other = student(StateCode::CA, "C900", "Ana", "Quintero", "", "20110407");
    let d = &mut other.demographics;
    (
        d.parent1_first_name,
        d.parent1_last_name,
        d.parent2_first_name,
        d.parent2_last_name,
    ) = (None, None, None, None);
    d.birth_city = None;
    d.middle_name = None;
    other.alternate_ids.clear();
    let out = site.app.ingest(vec![other], None).await.unwrap();
    let new = msix_of(&out[0]);
    let items = site
        .app
        .worklist(&actor(site, ADMIN).await, false)
        .await
        .unwrap();
    let item = items
        .iter()
        .find(|i| i.kind == WorklistKind::NearMatch)
        .expect("a near-match item");
    assert_eq!(item.msix_id.as_deref(), Some(new.as_str()));
    (candidate, new, item.id.clone())
}

fn enc(s: &str) -> String {
    s.replace(' ', "+").replace(':', "%3A")
}

#[tokio::test]
async fn a_near_match_is_resolved_as_the_same_child_and_a_second_administrator_validates() {
    let site = site().await;
    let (candidate, new, item) = near_match(&site).await;
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    let csrf = csrf_of(&site, &admin).await;

    // The list links the item; roles without a worklist are refused.
    let (resp, list) = get(&site, "/worklists", Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(list.contains(&format!("href=\"/worklists/{item}\"")));
    assert!(list.contains("Possible duplicate"));
    let secondary = session_cookie(&site, Role::SecondaryUser).await;
    for path in ["/worklists".to_string(), format!("/worklists/{item}")] {
        let (resp, _) = get(&site, &path, Some(&secondary)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
    // The item page: both records side by side, each field's agreement and weight.
    let (resp, html) = get(&site, &format!("/worklists/{item}"), Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    for needle in [
        "Records side by side",
        "New record",
        "Possible match",
        "Agreement and weight of each field",
        "Birth date",
        "2011-04-07",
        "TX T100",
        "CA C900",
        &candidate,
        &new,
        "Same child",
        "Different children",
        "Need more information",
        "Working days open",
    ] {
        assert!(html.contains(needle), "missing {needle:?}: {html}");
    }
    let (_, es) = get(&site, &format!("/worklists/{item}?lang=es"), Some(&admin)).await;
    assert!(es.contains("Expedientes lado a lado") && es.contains("Mismo estudiante"));
    // Viewing the records is audited.
    let views = site
        .app
        .store
        .audit_search(&puente_store::AuditFilter {
            action: Some("worklist.record_view".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(views.len(), 4, "two children, twice (en and es)");

    // Without the CSRF token: refused.
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        "answer=same",
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Same child, the candidate's MSIX ID survives.
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        &format!(
            "_csrf={csrf}&answer=same&candidate={candidate}&master=candidate&note={}",
            enc("same parents on the COE")
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), format!("/worklists/{item}?done=same"));
    let (_, html) = get(&site, &location(&resp), Some(&admin)).await;
    assert!(html.contains("Recorded: same child"));
    assert!(html.contains("Closed"));

    // The merge waits for validation; its initiator is refused with a clear message.
    let items = site
        .app
        .worklist(&actor(&site, ADMIN).await, false)
        .await
        .unwrap();
    let validation = items
        .iter()
        .find(|i| i.kind == WorklistKind::ValidateMerge)
        .expect("a validation item")
        .id
        .clone();
    let (resp, html) = get(&site, &format!("/worklists/{validation}"), Some(&admin)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("you cannot validate it"), "{html}");
    assert!(
        !html.contains("name=\"decision\""),
        "no buttons for the initiator"
    );
    let (resp, html) = post_form(
        &site,
        &format!("/worklists/{validation}/validate"),
        &admin,
        &format!("_csrf={csrf}&decision=approve"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(html.contains("You started this change, so you cannot validate it"));
    assert!(
        site.app
            .worklist(&actor(&site, ADMIN).await, false)
            .await
            .unwrap()
            .iter()
            .any(|i| i.id == validation),
        "still open"
    );

    // The second data administrator approves.
    let second = session_cookie_of(&site, DEMO_SECOND_DATA_ADMIN).await;
    let csrf2 = csrf_of(&site, &second).await;
    let (resp, html) = get(&site, &format!("/worklists/{validation}"), Some(&second)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("name=\"decision\""));
    assert!(html.contains("Merge MSIX ID"), "{html}");
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{validation}/validate"),
        &second,
        &format!("_csrf={csrf2}&decision=approve&note=checked"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "approved");
    // The new child's MSIX ID now leads to the candidate's.
    let (resp, _) = get(&site, &format!("/students/{new}"), Some(&second)).await;
    assert_eq!(location(&resp), format!("/students/{candidate}"));

    // Identity history, for administrators.
    let (resp, html) = get(
        &site,
        &format!("/students/{candidate}/history"),
        Some(&admin),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("Merge started") && html.contains("Merge approved and applied"));
    assert!(
        html.contains("Data administrator (second, TX)"),
        "who validated"
    );
    assert!(html.contains("same parents on the COE"), "why");
    let primary = session_cookie(&site, Role::PrimaryUser).await;
    let (resp, _) = get(
        &site,
        &format!("/students/{candidate}/history"),
        Some(&primary),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn other_answers_and_errors_next_to_the_field() {
    let site = site().await;
    let (_, _, item) = near_match(&site).await;
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    let csrf = csrf_of(&site, &admin).await;
    // Need more information without a note: the error is next to the note field.
    let (resp, html) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        &format!("_csrf={csrf}&answer=info&note="),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"note-info-error\""));
    assert!(html.contains("aria-describedby=\"note-info-error\""));
    assert!(html.contains("Say what information is needed."));
    // Same child without choosing the surviving ID.
    let (resp, html) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        &format!("_csrf={csrf}&answer=same"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"master-error\""));
    // With a note: stays open, waiting.
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        &format!(
            "_csrf={csrf}&answer=info&note={}",
            enc("ask CA for the COE")
        ),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&site, &format!("/worklists/{item}"), Some(&admin)).await;
    assert!(html.contains("Open, waiting for information"));
    assert!(html.contains("ask CA for the COE"));
    // Then: different children. Closed; the badge count drops to zero.
    let (_, home) = get(&site, "/", Some(&admin)).await;
    assert!(home.contains("Open worklist items: 1"));
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &admin,
        &format!("_csrf={csrf}&answer=different&note=twins"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&site, &format!("/worklists/{item}"), Some(&admin)).await;
    assert!(html.contains("Different children") && html.contains("Closed"));
    assert!(
        !html.contains("action=\"/worklists/"),
        "no forms on a closed item"
    );
    let (_, home) = get(&site, "/", Some(&admin)).await;
    assert!(!home.contains("puente-badge"));
}

#[tokio::test]
async fn the_badge_counts_open_items_of_the_signed_in_administrator() {
    let site = site().await;
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    let (_, home) = get(&site, "/", Some(&admin)).await;
    assert!(!home.contains("puente-badge"), "nothing open");
    near_match(&site).await;
    let (_, home) = get(&site, "/", Some(&admin)).await;
    assert!(home.contains("<span class=\"usa-tag puente-badge\" aria-hidden=\"true\">1</span>"));
    assert!(home.contains("<span class=\"usa-sr-only\">Open worklist items: 1</span>"));
    let (_, es) = get(&site, "/?lang=es", Some(&admin)).await;
    assert!(es.contains("Asuntos abiertos en la lista de trabajo: 1"));
    // Roles without a worklist, and administrators of another state, see no badge.
    let primary = session_cookie(&site, Role::PrimaryUser).await;
    let (_, home) = get(&site, "/", Some(&primary)).await;
    assert!(!home.contains("puente-badge"));
    let ca = ca_admin(&site).await;
    let (_, home) = get(&site, "/", Some(&ca)).await;
    assert!(!home.contains("puente-badge"));
}

/// A data administrator scoped to California.
async fn ca_admin(site: &Site) -> String {
    let email = "ca.data.administrator@demo.puente.test";
    let hash = puente_app::accounts::hash_password(DEMO_PASSWORD).unwrap();
    let secret = demo_totp_secret(email);
    let now = chrono::Utc::now();
    let mut tx = site.app.store.begin().await.unwrap();
    let id = tx
        .create_user(
            &NewUser {
                email,
                display_name: "CA data administrator",
                role: Role::DataAdministrator.code(),
                scope_state: Some("CA"),
                scope_region: None,
                scope_district: None,
                password_hash: Some(&hash),
                totp_secret: Some(&secret),
                mfa_enrolled: true,
            },
            now,
        )
        .await
        .unwrap();
    tx.set_rules_accepted(&id, now).await.unwrap();
    tx.set_training_completed(&id, now).await.unwrap();
    tx.commit().await.unwrap();
    session_cookie_of(site, email).await
}

#[tokio::test]
async fn administrators_of_another_state_are_refused() {
    let site = site().await;
    let (candidate, _, item) = near_match(&site).await;
    let ca = ca_admin(&site).await;
    let csrf = csrf_of(&site, &ca).await;
    // The TX item is not on a CA administrator's worklist.
    let (resp, _) = get(&site, &format!("/worklists/{item}"), Some(&ca)).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{item}/resolve"),
        &ca,
        &format!("_csrf={csrf}&answer=different"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    // A TX-only child: no merge, split or identity history for a CA administrator.
    for path in ["merge", "split", "history"] {
        let (resp, _) = get(&site, &format!("/students/{candidate}/{path}"), Some(&ca)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (resp, _) = post_form(
        &site,
        &format!("/students/{candidate}/merge"),
        &ca,
        &format!("_csrf={csrf}&other={candidate}&keep=this&reason=x"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Nothing was started.
    let items = site
        .app
        .worklist(&actor(&site, ADMIN).await, false)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
}

#[tokio::test]
async fn merges_and_splits_start_from_the_student_record() {
    let site = site().await;
    let out = site
        .app
        .ingest(
            vec![
                student(
                    StateCode::TX,
                    "T100",
                    "Ana",
                    "Quintero",
                    "Salas",
                    "20110407",
                ),
                student(
                    StateCode::TX,
                    "T200",
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
    let (ana, bruno) = (msix_of(&out[0]), msix_of(&out[1]));
    let primary = session_cookie(&site, Role::PrimaryUser).await;
    let csrf = csrf_of(&site, &primary).await;
    let (_, record) = get(&site, &format!("/students/{ana}"), Some(&primary)).await;
    assert!(record.contains(&format!("/students/{ana}/merge")));
    assert!(record.contains(&format!("/students/{ana}/split")));
    assert!(
        !record.contains("/history"),
        "history is for administrators"
    );
    let (resp, html) = get(&site, &format!("/students/{ana}/merge"), Some(&primary)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("Which MSIX ID survives?"));
    // A mistyped MSIX ID: the error is next to the field, the typed values stay.
    let (resp, html) = post_form(
        &site,
        &format!("/students/{ana}/merge"),
        &primary,
        &format!("_csrf={csrf}&other=123&keep=this&reason=dup"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"other-error\"") && html.contains("Enter a 12-digit MSIX ID"));
    assert!(html.contains(">dup</textarea>"));
    let (resp, _) = post_form(
        &site,
        &format!("/students/{ana}/merge"),
        &primary,
        &format!("_csrf={csrf}&other={bruno}&keep=this&reason=dup"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&site, &location(&resp), Some(&primary)).await;
    assert!(html.contains("The merge was started"));
    assert!(html.contains("waiting for validation"), "locked now");
    let items = site
        .app
        .worklist(&actor(&site, ADMIN).await, false)
        .await
        .unwrap();
    let v = items
        .iter()
        .find(|i| i.kind == WorklistKind::ValidateMerge)
        .unwrap();
    assert_eq!(v.msix_id.as_deref(), Some(ana.as_str()), "ana survives");
    // The data administrator (not the initiator) rejects it: unlocked again.
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    let acsrf = csrf_of(&site, &admin).await;
    let (resp, _) = post_form(
        &site,
        &format!("/worklists/{}/validate", v.id),
        &admin,
        &format!("_csrf={acsrf}&decision=reject&note=different+children"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);

    // Split: Ana gets a second record (same child, another state), then one record leaves.
    site.app
        .ingest(
            vec![student(
                StateCode::CA,
                "C100",
                "Ana",
                "Quintero",
                "Salas",
                "20110407",
            )],
            None,
        )
        .await
        .unwrap();
    let (resp, html) = get(&site, &format!("/students/{ana}/split"), Some(&primary)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        html.contains("TX T100") && html.contains("CA C100"),
        "{html}"
    );
    let (resp, html) = post_form(
        &site,
        &format!("/students/{ana}/split"),
        &primary,
        &format!("_csrf={csrf}&reason=wrong+link"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(html.contains("id=\"records-error\""));
    let ca_record = site
        .app
        .store
        .records_of_child(
            &site
                .app
                .store
                .child_by_msix(&ana)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.record.reporting_state == StateCode::CA)
        .unwrap()
        .id;
    let (resp, _) = post_form(
        &site,
        &format!("/students/{ana}/split"),
        &primary,
        &format!("_csrf={csrf}&record={ca_record}&reason=wrong+link"),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let items = site
        .app
        .worklist(&actor(&site, ADMIN).await, false)
        .await
        .unwrap();
    assert!(items.iter().any(|i| i.kind == WorklistKind::ValidateSplit));
}
