#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! A child with records from three states, conflicting values and partial credits.

use chrono::{TimeZone, Utc};
use puente_domain::StateCode;
use puente_domain::consolidated::{Source, SourcedRecord, consolidate};
use puente_domain::{MsixId, StudentRecord};
use puente_testkit::fixtures::{context, raw_student};

fn record(
    state: &str,
    ssid: &str,
    mutate: impl FnOnce(&mut puente_domain::RawStudent),
) -> StudentRecord {
    let mut raw = raw_student();
    raw.reporting_state = state.into();
    raw.state_student_id = ssid.into();
    mutate(&mut raw);
    let (rec, issues) = StudentRecord::validate(&raw, &context());
    rec.unwrap_or_else(|| panic!("{issues:#?}"))
}

fn three_state_child() -> puente_domain::consolidated::ConsolidatedRecord {
    let tx = record("TX", "T100", |_| {});
    let mi = record("MI", "M200", |r| {
        r.demographics.first_name = "JOSE LUIS".into();
        r.demographics.last_name_1 = "HERNANDEZ".into();
        r.demographics.birth_city = "Zapopan".into(); // conflicts with Guadalajara
        r.enrollments[0].enrollment_date = "20250310".into();
        r.enrollments[0].withdrawal_date = "20250815".into();
        r.enrollments[0].residency_date = "20250305".into();
        r.enrollments[0].school_or_project_name = "Hart High School".into();
        r.enrollments[0].facility_state = "MI".into();
        r.enrollments[0].algebra1_indicator = "Yes".into();
        r.qualifying_moves[0].qualifying_arrival_date = "20250301".into();
        r.courses[0].course_title = "Algebra I".into();
        r.courses[0].credits_granted = "0.50".into();
        r.courses[0].final_grade = "B".into();
        r.courses[0].term_type = "SEM".into();
        r.courses[0].begin_year = "2024".into();
        r.courses[0].end_year = "2025".into();
    });
    let fl = record("FL", "F300", |r| {
        r.demographics.first_name = "José".into();
        r.enrollments[0].enrollment_date = "20251020".into();
        r.enrollments[0].withdrawal_date.clear();
        r.enrollments[0].residency_date = "20251015".into();
        r.enrollments[0].grade_level = "10".into();
        r.qualifying_moves[0].qualifying_arrival_date = "20251010".into();
        r.courses[0].course_title = "English I".into();
        r.courses[0].subject_area = "English Language Arts".into();
        r.courses[0].credits_granted = "1.00".into();
        r.courses[0].final_grade = "A".into();
        r.courses[0].begin_year = "2025".into();
        r.courses[0].end_year = "2026".into();
        r.courses[0].term_type = "FY".into();
    });
    let at = |d| Utc.with_ymd_and_hms(2026, 1, d, 12, 0, 0).unwrap();
    let src = |s: StateCode, id: &str, d| Source {
        state: s,
        state_student_id: id.into(),
        received_at: at(d),
    };
    consolidate(
        MsixId::from_payload(12_345_678_901).unwrap(),
        vec![
            SourcedRecord {
                source: src(StateCode::TX, "T100", 5),
                record: tx,
            },
            SourcedRecord {
                source: src(StateCode::MI, "M200", 6),
                record: mi,
            },
            SourcedRecord {
                source: src(StateCode::FL, "F300", 7),
                record: fl,
            },
        ],
    )
}

#[test]
fn newest_values_win_and_conflicts_are_kept_with_provenance() {
    let c = three_state_child();
    let first = &c.identity["first_name"];
    // FL has the latest enrollment: its value is shown, with the other states' value as a conflict.
    assert_eq!(first.value, "José");
    assert_eq!(first.source.state, StateCode::FL);
    assert_eq!(
        first.others.len(),
        1,
        "JOSE LUIS from MI and José Luis from TX fold to one value"
    );
    assert_eq!(first.others[0].0, "JOSE LUIS");
    let city = &c.identity["birth_city"];
    assert_eq!(city.value, "Guadalajara");
    assert!(city.conflicting());
    assert_eq!(city.others[0].0, "Zapopan");
    assert_eq!(city.others[0].1.state, StateCode::MI);
    assert!(!c.identity["birth_date"].conflicting());
}

#[test]
fn enrollment_history_runs_across_states_newest_first() {
    let c = three_state_child();
    let states: Vec<_> = c.enrollments.iter().map(|e| e.source.state).collect();
    assert_eq!(states, vec![StateCode::FL, StateCode::MI, StateCode::TX]);
    assert_eq!(c.latest_grade.map(|g| g.number()), Some(Some(10)));
    assert_eq!(c.state_records.len(), 3);
    assert_eq!(c.state_ids.len(), 3);
    assert_eq!(
        c.algebra1.as_ref().unwrap().value,
        "No",
        "FL (newest) says No"
    );
    assert!(
        c.algebra1.as_ref().unwrap().conflicting(),
        "MI says Yes: shown, not hidden"
    );
}

#[test]
fn credits_accrue_by_subject_with_partial_credit_flagged() {
    let c = three_state_child();
    let math = c
        .credit_summary
        .iter()
        .find(|s| s.subject_area == "Mathematics")
        .unwrap();
    // TX: Algebra I 0.50 with no final grade (partial); MI: Algebra I 0.50 with a final grade B (partial: < 1 credit).
    assert_eq!(math.credits_hundredths, 100);
    assert_eq!(math.courses, 2);
    assert_eq!(math.partial_courses, 2);
    let ela = c
        .credit_summary
        .iter()
        .find(|s| s.subject_area == "English Language Arts")
        .unwrap();
    assert_eq!((ela.credits_hundredths, ela.partial_courses), (100, 0));
    assert_eq!(
        c.course_groups[0].school_year, "2025-2026",
        "most recent school year first"
    );
}

#[test]
fn consolidated_json_snapshot() {
    let c = three_state_child();
    insta::assert_json_snapshot!(c);
}
