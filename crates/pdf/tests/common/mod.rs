//! A consolidated record rich enough for a three-page report: two states (with conflicting
//! values), several school years of courses, moves and assessments. Shared by the tests, the
//! timing example and nothing else.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use puente_domain::codes::{AssessmentInterpretation, GradeLevel, MedAlert, StateCode, TermType};
use puente_domain::consolidated::{ConsolidatedRecord, Source, SourcedRecord, consolidate};
use puente_domain::records::{Assessment, Course, QualifyingMove};
use puente_domain::{MsixId, StudentRecord};
use puente_testkit::fixtures::student;

pub fn msix() -> MsixId {
    MsixId::from_payload(12_345_678_901).unwrap()
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn courses(rec: &mut StudentRecord, years: std::ops::Range<u16>, per_term: usize) {
    const SUBJECTS: [(&str, &str); 6] = [
        ("Algebra I", "Mathematics"),
        ("English I", "English Language and Literature"),
        ("Biology", "Life and Physical Sciences"),
        ("World History", "Social Sciences and History"),
        (
            "Spanish for Native Speakers",
            "Foreign Language and Literature",
        ),
        (
            "Physical Education",
            "Physical, Health, and Safety Education",
        ),
    ];
    rec.courses.clear();
    for year in years {
        for (term, n) in [(TermType::Semester, per_term), (TermType::Summer, 2)] {
            for (i, (title, subject)) in SUBJECTS.iter().enumerate().take(n) {
                let partial = i % 4 == 3 || (term == TermType::Summer && i == 1);
                rec.courses.push(Course {
                    course_title: format!("{title} ({})", year - 2020),
                    subject_area: Some((*subject).to_owned()),
                    course_type: None,
                    begin_year: Some(year),
                    end_year: Some(year + 1),
                    course_section: None,
                    term_type: Some(term),
                    clock_hours: Some(60 + u16::try_from(i).unwrap()),
                    grade_to_date: Some("B".into()),
                    credits_hundredths: Some(if partial { 50 } else { 100 }),
                    final_grade: if partial { None } else { Some("B+".into()) },
                });
            }
        }
    }
}

/// The record of a child named `first last1 last2` reported by Texas and Michigan.
pub fn record(first: &str, last1: &str, last2: &str) -> ConsolidatedRecord {
    let mut tx = student(StateCode::TX, "T1", "Ana", "Torres", "Vega", "20100314");
    let mut mi = student(StateCode::MI, "M1", "Ana", "Torres", "Vega", "20100314");
    // Names are set after validation so that any text at all can be tried.
    for r in [&mut tx, &mut mi] {
        r.demographics.first_name = first.to_owned();
        r.demographics.last_name_1 = last1.to_owned();
        r.demographics.last_name_2 = (!last2.is_empty()).then(|| last2.to_owned());
    }
    // Michigan has another birth city and a second parent phone: conflicts to report.
    mi.demographics.birth_city = Some("Zapopan".into());
    mi.demographics.parent1_phone = Some("2695550199".into());
    tx.demographics.parent2_phone = Some("9565550102".into());
    courses(&mut tx, 2022..2024, 6);
    courses(&mut mi, 2024..2025, 4);
    if let Some(e) = mi.enrollments.first_mut() {
        e.enrollment_date = d(2025, 4, 14);
        e.withdrawal_date = Some(d(2025, 10, 31));
        e.school_or_project_name = Some("Hart Migrant Summer Program".into());
        e.district_name = Some("Hart Public Schools".into());
        e.grade_level = Some(GradeLevel::G10);
        e.med_alert = Some(MedAlert::Chronic);
        e.algebra1 = Some(true);
    }
    mi.qualifying_moves.push(QualifyingMove {
        qualifying_arrival_date: d(2025, 4, 10),
        from_city: Some("Weslaco".into()),
        from_state: Some("TX".into()),
        from_country: Some("US".into()),
        to_city: Some("Hart".into()),
        to_state: Some(StateCode::MI),
        eligibility_expiration_date: d(2028, 4, 10),
        expiration_defaulted: true,
    });
    mi.assessments.push(Assessment {
        title: "M-STEP Science".into(),
        content: Some("Science".into()),
        assessment_type: None,
        administration_month: Some(d(2025, 5, 1)),
        reporting_method: None,
        score: Some("1105".into()),
        interpretation: Some(AssessmentInterpretation::NotProficient),
    });
    let sourced = |r: StudentRecord, day: u32| SourcedRecord {
        source: Source {
            state: r.reporting_state,
            state_student_id: r.state_student_id.clone(),
            received_at: Utc.with_ymd_and_hms(2025, 11, day, 14, 5, 0).unwrap(),
        },
        record: r,
    };
    consolidate(msix(), vec![sourced(tx, 3), sourced(mi, 20)])
}

pub fn generated_at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 15, 30, 0).unwrap()
}
