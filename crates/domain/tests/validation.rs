#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! One test per kind of bad value in the catalogue: each is rejected with the element's path,
//! catalogue name, the offending value, the rule and a specific message.

use puente_domain::records::*;
use puente_domain::validate::{ELEMENTS, Rule, Severity};
use puente_testkit::fixtures::{context, raw_student};

fn errors_of(raw: &RawStudent) -> Vec<puente_domain::Issue> {
    let (rec, issues) = StudentRecord::validate(raw, &context());
    let errors: Vec<_> = issues
        .into_iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    assert_eq!(
        rec.is_none(),
        !errors.is_empty(),
        "a record is accepted exactly when it has no error"
    );
    errors
}

/// Applies `mutate` to the valid fixture and asserts exactly one error at `path` with `rule`,
/// whose message contains `fragment`.
fn rejects(mutate: impl FnOnce(&mut RawStudent), path: &str, rule: Rule, fragment: &str) {
    let mut raw = raw_student();
    mutate(&mut raw);
    let errors = errors_of(&raw);
    let hit = errors.iter().find(|i| i.path == path);
    let Some(hit) = hit else {
        panic!("expected an error at {path}, got {errors:#?}")
    };
    assert_eq!(hit.rule, rule, "{hit:#?}");
    assert!(
        hit.message.contains(fragment),
        "message {:?} lacks {:?}",
        hit.message,
        fragment
    );
    let element = ELEMENTS.iter().find(|e| path.ends_with(e.field)).unwrap();
    assert!(
        hit.message.starts_with(element.element),
        "message names the element: {}",
        hit.message
    );
    assert_eq!(hit.element, element.element);
}

#[test]
fn the_fixture_is_valid() {
    let (rec, issues) = StudentRecord::validate(&raw_student(), &context());
    assert!(issues.is_empty(), "{issues:#?}");
    let rec = rec.unwrap();
    assert_eq!(rec.demographics.first_name, "José Luis");
    // The default eligibility expiration: QAD 2024-08-10 + 36 months.
    assert_eq!(
        rec.qualifying_moves[0]
            .eligibility_expiration_date
            .to_string(),
        "2027-08-10"
    );
    assert!(rec.qualifying_moves[0].expiration_defaulted);
    assert_eq!(rec.courses[0].credits_hundredths, Some(50));
    assert!(rec.courses[0].is_partial());
}

#[test]
fn typed_record_round_trips_through_raw() {
    let (rec, _) = StudentRecord::validate(&raw_student(), &context());
    let rec = rec.unwrap();
    let (again, issues) = StudentRecord::validate(&rec.to_raw(), &context());
    assert!(issues.is_empty(), "{issues:#?}");
    assert_eq!(again.unwrap(), rec);
}

#[test]
fn required_elements() {
    rejects(
        |r| r.demographics.first_name = "  ".into(),
        "demographics.first_name",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.demographics.last_name_1.clear(),
        "demographics.last_name_1",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.demographics.birth_date.clear(),
        "demographics.birth_date",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.demographics.sex.clear(),
        "demographics.sex",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.state_student_id.clear(),
        "state_student_id",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.reporting_state.clear(),
        "reporting_state",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.action_code.clear(),
        "action_code",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.enrollments[0].enrollment_date.clear(),
        "enrollments[0].enrollment_date",
        Rule::Required,
        "is required",
    );
    rejects(
        |r| r.qualifying_moves[0].qualifying_arrival_date.clear(),
        "qualifying_moves[0].qualifying_arrival_date",
        Rule::Required,
        "is required",
    );
}

#[test]
fn lengths_are_never_silently_truncated() {
    let long = "A".repeat(10_000);
    rejects(
        |r| r.demographics.first_name = long.clone(),
        "demographics.first_name",
        Rule::MaxLength,
        "10000 characters long; the maximum is 50",
    );
    rejects(
        |r| r.demographics.birth_city = "X".repeat(31),
        "demographics.birth_city",
        Rule::MaxLength,
        "the maximum is 30",
    );
    rejects(
        |r| r.enrollments[0].comment = "c".repeat(1001),
        "enrollments[0].comment",
        Rule::MaxLength,
        "the maximum is 1000",
    );
    rejects(
        |r| r.courses[0].course_title = "t".repeat(51),
        "courses[0].course_title",
        Rule::MaxLength,
        "the maximum is 50",
    );
    rejects(
        |r| r.assessments[0].title = "t".repeat(56),
        "assessments[0].title",
        Rule::MaxLength,
        "the maximum is 55",
    );
    rejects(
        |r| r.state_student_id = "1".repeat(16),
        "state_student_id",
        Rule::MaxLength,
        "the maximum is 15",
    );
    // The reported value is shortened for the report, with its length stated.
    let mut raw = raw_student();
    raw.demographics.first_name = long;
    let e = errors_of(&raw)
        .into_iter()
        .find(|i| i.path == "demographics.first_name")
        .unwrap();
    assert!(e.value.ends_with("(10000 characters)"), "{}", e.value);
}

#[test]
fn code_sets() {
    rejects(
        |r| r.demographics.sex = "Other".into(),
        "demographics.sex",
        Rule::CodeSet,
        "'Other' is not a Sex code; allowed: F, M, X",
    );
    rejects(
        |r| r.reporting_state = "XX".into(),
        "reporting_state",
        Rule::CodeSet,
        "not a USPS state code",
    );
    rejects(
        |r| r.state_student_id_type = "05".into(),
        "state_student_id_type",
        Rule::CodeSet,
        "allowed: 01, 02",
    );
    rejects(
        |r| r.action_code = "X".into(),
        "action_code",
        Rule::CodeSet,
        "allowed: I, U, D",
    );
    rejects(
        |r| r.demographics.multiple_birth_flag = "Maybe".into(),
        "demographics.multiple_birth_flag",
        Rule::CodeSet,
        "allowed: Yes, No",
    );
    rejects(
        |r| r.enrollments[0].grade_level = "13".into(),
        "enrollments[0].grade_level",
        Rule::CodeSet,
        "Grade Level",
    );
    rejects(
        |r| r.enrollments[0].med_alert_indicator = "Severe".into(),
        "enrollments[0].med_alert_indicator",
        Rule::CodeSet,
        "Chronic, Acute, None",
    );
    rejects(
        |r| r.enrollments[0].enrollment_type = "08".into(),
        "enrollments[0].enrollment_type",
        Rule::CodeSet,
        "01, 02",
    );
    rejects(
        |r| r.courses[0].course_type = "99".into(),
        "courses[0].course_type",
        Rule::CodeSet,
        "Course Type",
    );
    rejects(
        |r| r.assessments[0].interpretation = "Great".into(),
        "assessments[0].interpretation",
        Rule::CodeSet,
        "Far Below Basic",
    );
    rejects(
        |r| r.demographics.birth_date_verification = "1234".into(),
        "demographics.birth_date_verification",
        Rule::CodeSet,
        "1003",
    );
    rejects(
        |r| r.enrollments[0].continuation_reason = "09".into(),
        "enrollments[0].continuation_reason",
        Rule::CodeSet,
        "01, 02, 03",
    );
    rejects(
        |r| r.alternate_ids[0].alternate_student_id_type = "04".into(),
        "alternate_ids[0].alternate_student_id_type",
        Rule::CodeSet,
        "01, 02, 03",
    );
}

#[test]
fn formats() {
    rejects(
        |r| r.demographics.birth_date = "20100230".into(),
        "demographics.birth_date",
        Rule::Format,
        "not a valid date in the form YYYYMMDD",
    );
    rejects(
        |r| r.demographics.birth_date = "14/03/2010".into(),
        "demographics.birth_date",
        Rule::Format,
        "YYYYMMDD",
    );
    rejects(
        |r| r.demographics.birth_date = "18991231".into(),
        "demographics.birth_date",
        Rule::Range,
        "before 1900",
    );
    rejects(
        |r| r.demographics.first_name = "Jo<script>".into(),
        "demographics.first_name",
        Rule::Format,
        "not used in names",
    );
    rejects(
        |r| r.demographics.last_name_1 = "123".into(),
        "demographics.last_name_1",
        Rule::Format,
        "must contain letters",
    );
    rejects(
        |r| r.state_student_id = "T-12".into(),
        "state_student_id",
        Rule::Format,
        "letters and digits only",
    );
    rejects(
        |r| r.enrollments[0].school_id = "48451200123".into(),
        "enrollments[0].school_id",
        Rule::Format,
        "must be 12 digits",
    );
    rejects(
        |r| r.enrollments[0].district_id = "48A5120".into(),
        "enrollments[0].district_id",
        Rule::Format,
        "must be 7 digits",
    );
    rejects(
        |r| r.enrollments[0].facility_zip = "7859".into(),
        "enrollments[0].facility_zip",
        Rule::Format,
        "ZIP",
    );
    rejects(
        |r| r.demographics.parent1_email = "juan at example".into(),
        "demographics.parent1_email",
        Rule::Format,
        "not an e-mail address",
    );
    rejects(
        |r| r.demographics.parent1_phone = "555-CALL".into(),
        "demographics.parent1_phone",
        Rule::Format,
        "digits",
    );
    rejects(
        |r| r.demographics.birth_country = "M3".into(),
        "demographics.birth_country",
        Rule::Format,
        "letters",
    );
    rejects(
        |r| r.courses[0].credits_granted = "12.5".into(),
        "courses[0].credits_granted",
        Rule::Format,
        "0.50",
    );
    rejects(
        |r| r.courses[0].credits_granted = "0.5x".into(),
        "courses[0].credits_granted",
        Rule::Format,
        "two after the decimal point",
    );
    rejects(
        |r| r.courses[0].clock_hours = "12h".into(),
        "courses[0].clock_hours",
        Rule::Format,
        "whole number",
    );
    rejects(
        |r| r.courses[0].clock_hours = "12345".into(),
        "courses[0].clock_hours",
        Rule::MaxLength,
        "maximum is 4",
    );
    rejects(
        |r| r.assessments[0].administration_date = "132025".into(),
        "assessments[0].administration_date",
        Rule::Format,
        "MMYYYY",
    );
    rejects(
        |r| r.student_record_id = "0".into(),
        "student_record_id",
        Rule::Range,
        "between 1 and 9999999",
    );
    rejects(
        |r| r.alternate_ids[0].alternate_record_id = "1000".into(),
        "alternate_ids[0].alternate_record_id",
        Rule::MaxLength,
        "maximum is 3",
    );
    rejects(
        |r| r.demographics.first_name = "Jos\u{0007}e".into(),
        "demographics.first_name",
        Rule::Format,
        "control characters",
    );
}

#[test]
fn msix_id_check_digit() {
    let good = puente_domain::MsixId::from_payload(12_345_678_901)
        .unwrap()
        .to_string();
    let mut typo = good.clone().into_bytes();
    typo.swap(3, 4);
    let typo = String::from_utf8(typo).unwrap();
    rejects(
        |r| r.msix_id = typo,
        "msix_id",
        Rule::CheckDigit,
        "mistyped",
    );
    rejects(
        |r| r.msix_id = "12345".into(),
        "msix_id",
        Rule::Format,
        "exactly 12 digits",
    );
    let mut raw = raw_student();
    raw.msix_id = good;
    assert!(errors_of(&raw).is_empty());
}

#[test]
fn cross_field_rules() {
    rejects(
        |r| r.enrollments[0].withdrawal_date = "20240801".into(),
        "enrollments[0].withdrawal_date",
        Rule::DateOrder,
        "before the enrollment date",
    );
    rejects(
        |r| r.enrollments[0].residency_date = "20240801".into(),
        "enrollments[0].residency_date",
        Rule::DateOrder,
        "before the qualifying arrival date (2024-08-10)",
    );
    rejects(
        |r| r.qualifying_moves[0].qualifying_arrival_date = "20090101".into(),
        "qualifying_moves[0].qualifying_arrival_date",
        Rule::DateOrder,
        "before the birth date",
    );
    rejects(
        |r| r.enrollments[0].enrollment_date = "20090101".into(),
        "enrollments[0].enrollment_date",
        Rule::DateOrder,
        "before the birth date",
    );
    rejects(
        |r| r.qualifying_moves[0].eligibility_expiration_date = "20280101".into(),
        "qualifying_moves[0].eligibility_expiration_date",
        Rule::Range,
        "36 months",
    );
    rejects(
        |r| r.qualifying_moves[0].eligibility_expiration_date = "20240101".into(),
        "qualifying_moves[0].eligibility_expiration_date",
        Rule::DateOrder,
        "before the qualifying arrival date",
    );
    rejects(
        |r| r.courses[0].end_year = "2023".into(),
        "courses[0].end_year",
        Rule::DateOrder,
        "begin year or the one after",
    );
    rejects(
        |r| r.enrollments[0].graduation_hse_date = "20250601".into(),
        "enrollments[0].graduation_hse_date",
        Rule::Required,
        "needs the Graduation/HSE Indicator",
    );
}

#[test]
fn eligibility_ends_at_22_when_that_comes_first() {
    let mut raw = raw_student();
    raw.demographics.birth_date = "20050101".into();
    raw.enrollments[0].grade_level = "12".into();
    // Turns 22 on 2027-01-01, before QAD + 36 months (2027-08-10): a day later is too late.
    raw.qualifying_moves[0].eligibility_expiration_date = "20270102".into();
    let errors = errors_of(&raw);
    let e = errors
        .iter()
        .find(|i| i.path == "qualifying_moves[0].eligibility_expiration_date")
        .unwrap();
    assert!(
        e.message.contains("turns 22") && e.message.contains("(2027-01-01)"),
        "{}",
        e.message
    );
    raw.qualifying_moves[0].eligibility_expiration_date = "20270101".into();
    assert!(errors_of(&raw).is_empty());
    raw.qualifying_moves[0].eligibility_expiration_date.clear();
    let (rec, issues) = StudentRecord::validate(&raw, &context());
    assert_eq!(
        rec.unwrap_or_else(|| panic!("{issues:#?}"))
            .qualifying_moves[0]
            .eligibility_expiration_date
            .to_string(),
        "2027-01-01"
    );
}

#[test]
fn plausibility() {
    rejects(
        |r| r.demographics.birth_date = "20270101".into(),
        "demographics.birth_date",
        Rule::Plausibility,
        "in the future",
    );
    rejects(
        |r| r.demographics.birth_date = "19500101".into(),
        "demographics.birth_date",
        Rule::Plausibility,
        "older than 30",
    );
    rejects(
        |r| r.assessments[0].administration_date = "122030".into(),
        "assessments[0].administration_date",
        Rule::Plausibility,
        "in the future",
    );
    // An odd grade for the age is a warning: the record is kept.
    let mut raw = raw_student();
    raw.enrollments[0].grade_level = "01".into();
    raw.courses.clear();
    raw.enrollments[0].algebra1_indicator.clear();
    let (rec, issues) = StudentRecord::validate(&raw, &context());
    assert!(rec.is_some());
    assert!(issues.iter().any(|i| i.severity == Severity::Warning
        && i.rule == Rule::Plausibility
        && i.path == "enrollments[0].grade_level"));
}

#[test]
fn secondary_only_elements_apply_to_secondary_students() {
    // A third grader with course history and an Algebra I indicator.
    let mut raw = raw_student();
    raw.demographics.birth_date = "20170314".into();
    raw.enrollments[0].grade_level = "03".into();
    let errors = errors_of(&raw);
    assert!(errors.iter().any(|i| i.path == "enrollments[0].algebra1_indicator" && i.rule == Rule::Applicability));
    assert!(errors.iter().any(|i| i.path == "courses[0].course_title"
        && i.rule == Rule::Applicability
        && i.message.contains("secondary students only")));
    // Out-of-school youth of secondary age may carry them.
    raw.demographics.birth_date = "20090314".into();
    raw.enrollments[0].grade_level = "OS".into();
    assert!(errors_of(&raw).is_empty(), "{:#?}", errors_of(&raw));
}

#[test]
fn every_issue_carries_the_offending_value() {
    let mut raw = raw_student();
    raw.demographics.sex = "Q".into();
    raw.enrollments[0].withdrawal_date = "20240801".into();
    let errors = errors_of(&raw);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert_eq!(errors[0].value, "Q");
    assert_eq!(errors[1].value, "20240801");
}

#[test]
fn the_element_table_matches_the_catalogue() {
    // Every student-level row of the catalogue has an element here with the same maximum length.
    let text = include_str!("../../../docs/mde-catalogue.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut seen = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        let (rt, name, max) = (&row[0], &row[1], &row[4]);
        if rt == "header" {
            continue;
        }
        let spec = ELEMENTS
            .iter()
            .find(|e| e.element == name)
            .unwrap_or_else(|| panic!("catalogue element {name} has no spec"));
        assert_eq!(spec.record_type, rt, "{name}");
        let max = if max == "3,2" {
            4
        } else {
            max.parse::<usize>().unwrap()
        };
        assert_eq!(spec.max_len, max, "{name}");
        seen += 1;
    }
    assert_eq!(seen, ELEMENTS.len(), "no element beyond the catalogue");
}
