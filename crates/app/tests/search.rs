#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Search with the hard cases: accents and case, nicknames, swapped surnames, day-month swapped
//! birth dates, twins listed and distinguishable, MSIX IDs. Runs on the backend under test.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use puente_app::search::SearchQuery;
use puente_app::{App, FixedClock};
use puente_domain::StateCode;
use puente_testkit::db::test_db;
use puente_testkit::fixtures::student;

async fn app_with_children() -> (App, puente_testkit::db::TestDb) {
    let db = test_db().await.unwrap();
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
    ));
    let app = App::new(db.store.clone(), clock).await.unwrap();
    let mut twin_a = student(StateCode::CA, "C900", "Luis", "Pérez", "Soto", "20150505");
    let mut twin_b = student(StateCode::CA, "C901", "Lucía", "Pérez", "Soto", "20150505");
    for t in [&mut twin_a, &mut twin_b] {
        t.demographics.multiple_birth = Some(true);
        t.demographics.sex = None;
        t.courses.clear();
        t.enrollments[0].algebra1 = None;
        t.enrollments[0].grade_level = Some(puente_domain::codes::GradeLevel::G05);
    }
    let mut guadalupe = student(
        StateCode::TX,
        "T2",
        "Guadalupe",
        "García",
        "Ruiz",
        "20110907",
    );
    guadalupe.demographics.sex = Some(puente_domain::codes::Sex::Female);
    let records = vec![
        student(
            StateCode::TX,
            "T1",
            "JOSÉ",
            "HERNÁNDEZ-LÓPEZ",
            "",
            "20100314",
        ),
        guadalupe,
        student(
            StateCode::WA,
            "W7",
            "Marco",
            "Ximénez",
            "Ortega",
            "20090102",
        ),
        student(StateCode::FL, "F3", "Ana", "Torres", "Vega", "20120101"),
        twin_a,
        twin_b,
    ];
    app.ingest(records, None).await.unwrap();
    (app, db)
}

fn names(hits: &[puente_app::search::SearchHit]) -> Vec<String> {
    hits.iter()
        .map(|h| format!("{} {}", h.summary.first_name, h.summary.last_name_1))
        .collect()
}

#[tokio::test]
async fn accents_case_and_joined_surnames_are_ignored() {
    let (app, _db) = app_with_children().await;
    let hits = app
        .search(&SearchQuery {
            first_name: "Jose".into(),
            last_name: "Hernandez".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        names(&hits).first().map(String::as_str),
        Some("JOSÉ HERNÁNDEZ-LÓPEZ"),
        "{:?}",
        names(&hits)
    );
    assert_eq!(hits[0].summary.states, vec!["TX".to_string()]);
    assert_eq!(hits[0].age, Some(16));
}

#[tokio::test]
async fn nicknames_find_the_formal_name() {
    let (app, _db) = app_with_children().await;
    let hits = app
        .search(&SearchQuery {
            first_name: "Lupe".into(),
            last_name: "Garcia".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Guadalupe García"]);
}

#[tokio::test]
async fn surnames_in_either_order_and_phonetic_spelling() {
    let (app, _db) = app_with_children().await;
    let hits = app
        .search(&SearchQuery {
            first_name: "Ana".into(),
            last_name: "Vega Torres".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Ana Torres"]);
    // Ximénez spelled Jimenez.
    let hits = app
        .search(&SearchQuery {
            first_name: "Marco".into(),
            last_name: "Jimenez".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Marco Ximénez"]);
}

#[tokio::test]
async fn day_month_swapped_birth_date_is_found_but_ranked_below_exact() {
    let (app, _db) = app_with_children().await;
    // Born 2011-09-07; typed as 2011-07-09.
    let hits = app
        .search(&SearchQuery {
            last_name: "Garcia".into(),
            birth_date: "2011-07-09".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Guadalupe García"]);
    let exact = app
        .search(&SearchQuery {
            last_name: "Garcia".into(),
            birth_date: "2011-09-07".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(exact[0].score > hits[0].score);
    // A wrong birth date with the right name is not a hit.
    let none = app
        .search(&SearchQuery {
            first_name: "Guadalupe".into(),
            last_name: "Garcia".into(),
            birth_date: "2001-01-30".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(none.is_empty(), "{:?}", names(&none));
}

#[tokio::test]
async fn twins_are_both_listed_and_marked() {
    let (app, _db) = app_with_children().await;
    let hits = app
        .search(&SearchQuery {
            last_name: "Perez Soto".into(),
            birth_date: "20150505".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 2, "{:?}", names(&hits));
    assert!(hits.iter().all(|h| h.summary.multiple_birth));
    assert_ne!(hits[0].summary.msix_id, hits[1].summary.msix_id);
    assert_ne!(hits[0].summary.first_name, hits[1].summary.first_name);
}

#[tokio::test]
async fn msix_id_and_state_id_lookups() {
    let (app, _db) = app_with_children().await;
    let by_name = app
        .search(&SearchQuery {
            first_name: "Ana".into(),
            last_name: "Torres".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let msix = by_name[0].summary.msix_id.clone();
    let hits = app
        .search(&SearchQuery {
            msix_id: msix.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].summary.msix_id, msix);
    let hits = app
        .search(&SearchQuery {
            state_student_id: "w7".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Marco Ximénez"]);
    // A mistyped MSIX ID is refused, not silently searched.
    let mut typo = msix.into_bytes();
    typo.swap(0, 1);
    if typo[0] != typo[1] {
        assert!(
            app.search(&SearchQuery {
                msix_id: String::from_utf8(typo).unwrap(),
                ..Default::default()
            })
            .await
            .is_err()
        );
    }
}

#[tokio::test]
async fn children_born_that_day_who_share_no_name_are_left_out_and_a_wrong_date_still_finds_the_name()
 {
    let (app, _db) = app_with_children().await;
    app.ingest(
        vec![student(
            StateCode::FL,
            "F4",
            "Pedro",
            "Sánchez",
            "Mora",
            "20120101",
        )],
        None,
    )
    .await
    .unwrap();
    let q = |date: &str| SearchQuery {
        first_name: "Ana".into(),
        last_name: "Torres".into(),
        birth_date: date.into(),
        ..Default::default()
    };
    let hits = app.search(&q("2012-01-01")).await.unwrap();
    assert_eq!(names(&hits), vec!["Ana Torres"]);
    // Only the date matches: Pedro is found by the date alone.
    let hits = app
        .search(&SearchQuery {
            birth_date: "2012-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(hits.len(), 2, "{:?}", names(&hits));
    // Nobody named so was born on the date typed (a one-digit slip): the names still find her.
    let hits = app.search(&q("2012-01-07")).await.unwrap();
    assert_eq!(names(&hits).first().map(String::as_str), Some("Ana Torres"));
}

#[tokio::test]
async fn among_children_born_that_day_a_twin_is_listed_and_one_common_surname_is_not_enough() {
    let (app, _db) = app_with_children().await;
    app.ingest(
        vec![
            // Born the same day as Ana Torres Vega: her twin, and a boy sharing one surname.
            student(StateCode::FL, "F5", "Sofía", "Torres", "Vega", "20120101"),
            student(StateCode::FL, "F6", "Luis", "Torres", "Soto", "20120101"),
        ],
        None,
    )
    .await
    .unwrap();
    let hits = app
        .search(&SearchQuery {
            first_name: "Ana".into(),
            last_name: "Torres Vega".into(),
            birth_date: "2012-01-01".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(names(&hits), vec!["Ana Torres", "Sofía Torres"]);
}
