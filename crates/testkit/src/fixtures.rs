//! Hand-built records for tests.

use chrono::NaiveDate;
use puente_domain::codes::*;
use puente_domain::records::*;
use puente_domain::{CodeSet, StateCode};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
}

/// A complete, valid raw record of a secondary student (every record type present), as a state
/// would send it. Tests mutate one element at a time.
pub fn raw_student() -> RawStudent {
    RawStudent {
        student_record_id: "1".into(),
        msix_id: String::new(),
        reporting_state: "TX".into(),
        state_student_id: "T123456789".into(),
        state_student_id_type: "01".into(),
        action_code: "I".into(),
        alternate_ids: vec![RawAlternateId {
            alternate_record_id: "1".into(),
            alternate_student_id: "MEP0042".into(),
            alternate_student_id_type: "02".into(),
        }],
        demographics: RawDemographics {
            first_name: "José Luis".into(),
            middle_name: String::new(),
            last_name_1: "Hernández".into(),
            last_name_2: "López".into(),
            sex: "M".into(),
            birth_date: "20100314".into(),
            multiple_birth_flag: "No".into(),
            birth_city: "Guadalajara".into(),
            birth_state: "JA".into(),
            birth_country: "MX".into(),
            birth_date_verification: "1003".into(),
            parent1_first_name: "Juan".into(),
            parent1_last_name: "Hernández".into(),
            parent2_first_name: "María".into(),
            parent2_last_name: "López".into(),
            parent1_email: "juan@example.org".into(),
            parent1_phone: "9565550101".into(),
            ..Default::default()
        },
        qualifying_moves: vec![RawQualifyingMove {
            qualifying_arrival_date: "20240810".into(),
            from_city: "Weslaco".into(),
            from_state: "TX".into(),
            from_country: "US".into(),
            to_city: "Hart".into(),
            to_state: "MI".into(),
            eligibility_expiration_date: String::new(),
        }],
        enrollments: vec![RawEnrollment {
            enrollment_date: "20240826".into(),
            enrollment_type: "01".into(),
            school_or_project_name: "Weslaco High School".into(),
            school_id: "484512001234".into(),
            district_id: "4845120".into(),
            district_name: "Weslaco ISD".into(),
            facility_state: "TX".into(),
            facility_zip: "78596".into(),
            grade_level: "09".into(),
            lep_indicator: "Yes".into(),
            idea_indicator: "No".into(),
            med_alert_indicator: "None".into(),
            pfs_flag: "Yes".into(),
            immunization_record_flag: "Yes".into(),
            withdrawal_date: "20250301".into(),
            residency_date: "20240812".into(),
            algebra1_indicator: "No".into(),
            ..Default::default()
        }],
        courses: vec![RawCourse {
            course_title: "Algebra I".into(),
            subject_area: "Mathematics".into(),
            course_type: "01".into(),
            begin_year: "2024".into(),
            end_year: "2025".into(),
            course_section: "01".into(),
            term_type: "SEM".into(),
            clock_hours: "62".into(),
            grade_to_date: "84".into(),
            credits_granted: "0.50".into(),
            final_grade: String::new(),
        }],
        assessments: vec![RawAssessment {
            title: "STAAR Algebra I".into(),
            content: "Mathematics".into(),
            assessment_type: "10".into(),
            administration_date: "052025".into(),
            reporting_method: "0490".into(),
            score: "3650".into(),
            interpretation: "Proficient".into(),
        }],
    }
}

/// The validation context the fixtures are valid in.
pub fn context() -> ValidationContext {
    ValidationContext::new(d(2026, 11, 23))
}

/// A valid typed record for `state`/`ssid` with the given name and birth date.
pub fn student(
    state: StateCode,
    ssid: &str,
    first: &str,
    last1: &str,
    last2: &str,
    birth: &str,
) -> StudentRecord {
    let mut raw = raw_student();
    raw.reporting_state = state.code().into();
    raw.state_student_id = ssid.into();
    raw.demographics.first_name = first.into();
    raw.demographics.last_name_1 = last1.into();
    raw.demographics.last_name_2 = last2.into();
    raw.demographics.birth_date = birth.into();
    let (rec, issues) = StudentRecord::validate(&raw, &context());
    match rec {
        Some(r) => r,
        None => {
            // Fixtures are only built from valid values; fall back to the base record so a
            // mistake shows up as a failing assertion in the test, not a panic here.
            let (base, _) = StudentRecord::validate(&raw_student(), &context());
            let _ = issues;
            base.unwrap_or_else(|| empty_record(state))
        }
    }
}

fn empty_record(state: StateCode) -> StudentRecord {
    StudentRecord {
        student_record_id: 1,
        msix_id: None,
        reporting_state: state,
        state_student_id: String::new(),
        state_student_id_type: StudentIdType::StateAssigned,
        action: ActionCode::Insert,
        alternate_ids: vec![],
        demographics: Demographics::default(),
        qualifying_moves: vec![],
        enrollments: vec![],
        courses: vec![],
        assessments: vec![],
    }
}

/// A record with the given first name, first surname and birth date and nothing that could
/// corroborate it (no second surname, middle name, parents, birth city or alternate IDs): next to
/// a known child with the same name and birth date, linkage cannot be sure (a near match).
pub fn uncorroborated(
    state: StateCode,
    ssid: &str,
    first: &str,
    last: &str,
    birth: &str,
) -> StudentRecord {
    let mut r = student(state, ssid, first, last, "", birth);
    r.demographics.parent1_first_name = None;
    r.demographics.parent1_last_name = None;
    r.demographics.parent2_first_name = None;
    r.demographics.parent2_last_name = None;
    r.demographics.birth_city = None;
    r.demographics.middle_name = None;
    r.alternate_ids.clear();
    r
}

/// A file submission of `state` received `at`, with one result per row (state student ID,
/// status, issues as JSON text), numbered in order from 1; returns the submission's id.
pub async fn submission_with_results(
    store: &puente_store::Store,
    state: &str,
    at: chrono::DateTime<chrono::Utc>,
    rows: &[(&str, &str, String)],
) -> anyhow::Result<String> {
    let sub = store
        .begin_submission(&puente_store::NewSubmission {
            state,
            channel: "file",
            file_name: Some("tx.csv"),
            hash: "h1",
            format: "csv",
            encoding: "utf-8",
            at,
        })
        .await?;
    let results: Vec<puente_store::ResultRow> = rows
        .iter()
        .zip(1..)
        .map(|((ssid, status, issues), seq)| puente_store::ResultRow {
            seq,
            student_record_id: seq.to_string(),
            state_student_id: (*ssid).to_owned(),
            status: (*status).to_owned(),
            msix_id: None,
            issues: issues.clone(),
        })
        .collect();
    store.write_results(&sub, &results).await?;
    Ok(sub)
}

/// The issues of a rejected record: an error (a birth date in the future) and a warning (a
/// long first name), each with the submitted value, as ingest keeps them.
pub fn rejection_issues() -> String {
    serde_json::json!([
        {"path": "birth_date", "element": "Birth Date", "value": "2030-01-01",
         "rule": "plausibility", "severity": "error", "message": "in the future"},
        {"path": "first_name", "element": "First Name", "value": "Zoë",
         "rule": "max_length", "severity": "warning", "message": "long"}
    ])
    .to_string()
}
