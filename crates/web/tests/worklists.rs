#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The worklist page lists a near match raised by linkage, for data administrators only.

mod common;

use axum::http::StatusCode;
use common::{get, session_cookie, site};
use puente_domain::StateCode;
use puente_domain::roles::Role;
use puente_testkit::fixtures::student;

#[tokio::test]
async fn a_near_match_appears_on_the_data_administrators_worklist() {
    let site = site().await;
    site.app
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
    // Same name and birth date from another state, without corroborating fields: uncertain.
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
    let msix = match &out[0] {
        puente_app::ingest::RecordOutcome::Written(w) => w.msix_id.to_string(),
        o => panic!("{o:?}"),
    };
    // The item is assigned by the child's latest enrollment (a TX school in the fixture): the
    // TX-scoped demo data administrator sees it.
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (resp, html) = get(&site, "/worklists", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, es) = get(&site, "/worklists?lang=es", Some(&cookie)).await;
    assert!(es.contains("Lista de trabajo"));
    assert!(
        html.contains(&format!("/students/{msix}")),
        "the near match links the new child: {html}"
    );
    assert!(html.contains("Possible duplicate"));
    // Roles without the capability are refused.
    let secondary = session_cookie(&site, Role::SecondaryUser).await;
    let (resp, _) = get(&site, "/worklists", Some(&secondary)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
