#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Child count rules with hand-built children whose counts are known.

use chrono::NaiveDate;
use puente_domain::childcount::*;
use puente_domain::codes::{EnrollmentType, GradeLevel, MepProjectType};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn period() -> PerformancePeriod {
    ChildCountPolicy::default().period(2025).unwrap()
}

fn mv(qad: NaiveDate, exp: NaiveDate) -> EligibilitySpan {
    EligibilitySpan {
        qualifying_arrival_date: qad,
        eligibility_expiration_date: exp,
    }
}

fn school(from: NaiveDate, to: Option<NaiveDate>, grade: GradeLevel) -> ServiceEnrollment {
    ServiceEnrollment {
        enrollment_date: from,
        withdrawal_date: to,
        enrollment_type: Some(EnrollmentType::BasicSchool),
        mep_project_type: None,
        grade_level: Some(grade),
    }
}

fn summer(from: NaiveDate, to: NaiveDate) -> ServiceEnrollment {
    ServiceEnrollment {
        enrollment_date: from,
        withdrawal_date: Some(to),
        enrollment_type: Some(EnrollmentType::MepSummer),
        mep_project_type: None,
        grade_level: Some(GradeLevel::G05),
    }
}

fn child(birth: NaiveDate, moves: Vec<EligibilitySpan>) -> EligibilityData {
    EligibilityData {
        birth_date: Some(birth),
        moves,
        enrollments: vec![],
    }
}

fn decide_default(c: &EligibilityData) -> ChildCountDecision {
    decide(c, &period(), &ChildCountPolicy::default())
}

#[test]
fn period_is_1_september_to_31_august() {
    let p = period();
    assert_eq!((p.start, p.end), (d(2025, 9, 1), d(2026, 8, 31)));
    let pol = ChildCountPolicy::default();
    assert_eq!(period_start_year_of(d(2026, 8, 31), &pol), 2025);
    assert_eq!(period_start_year_of(d(2026, 9, 1), &pol), 2026);
}

#[test]
fn plain_eligible_child_is_category_1_only() {
    let mut c = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    c.enrollments
        .push(school(d(2025, 8, 20), None, GradeLevel::G05));
    let r = decide_default(&c);
    assert_eq!(r.category1, Ok(d(2025, 9, 1)));
    assert_eq!(r.category2, Err(NotCounted::NoSummerService));
    assert_eq!(r.age, Some(10));
    assert_eq!(r.grade, Some(GradeLevel::G05));
}

#[test]
fn turns_3_inside_the_period_counts_from_the_birthday() {
    let c = child(d(2023, 3, 15), vec![mv(d(2025, 1, 10), d(2028, 1, 10))]);
    let r = decide_default(&c);
    assert_eq!(r.category1, Ok(d(2026, 3, 15)));
    assert_eq!(r.age, Some(3));
    // turns 3 the day after the period ends: not counted
    let c = child(d(2023, 9, 1), vec![mv(d(2025, 1, 10), d(2028, 1, 10))]);
    assert_eq!(decide_default(&c).category1, Err(NotCounted::AgeOutOfRange));
    // turns 3 on the last day of the period: counted
    let c = child(d(2023, 8, 31), vec![mv(d(2025, 1, 10), d(2028, 1, 10))]);
    assert_eq!(decide_default(&c).category1, Ok(d(2026, 8, 31)));
}

#[test]
fn turns_22_inside_the_period_counts_until_the_day_before() {
    // 22nd birthday 1 October 2025: aged 21 on 1-30 September.
    let c = child(d(2003, 10, 1), vec![mv(d(2024, 1, 1), d(2025, 10, 1))]);
    let r = decide_default(&c);
    assert_eq!(r.category1, Ok(d(2025, 9, 1)));
    assert_eq!(r.age, Some(21));
    // 22nd birthday on 1 September 2025: never 21 in the period.
    let c = child(d(2003, 9, 1), vec![mv(d(2024, 1, 1), d(2027, 1, 1))]);
    assert_eq!(decide_default(&c).category1, Err(NotCounted::AgeOutOfRange));
}

#[test]
fn eligibility_expiring_mid_period_still_counts() {
    let c = child(d(2012, 5, 5), vec![mv(d(2022, 11, 15), d(2025, 11, 15))]);
    assert_eq!(decide_default(&c).category1, Ok(d(2025, 9, 1)));
    // expires on the first day of the period: the expiration day is not an eligible day
    let c = child(d(2012, 5, 5), vec![mv(d(2022, 9, 1), d(2025, 9, 1))]);
    assert_eq!(
        decide_default(&c).category1,
        Err(NotCounted::EligibilityExpired)
    );
}

#[test]
fn qad_after_the_period_is_not_counted() {
    let c = child(d(2012, 5, 5), vec![mv(d(2026, 9, 1), d(2029, 9, 1))]);
    assert_eq!(
        decide_default(&c).category1,
        Err(NotCounted::QadAfterPeriod)
    );
    // QAD on the last day counts
    let c = child(d(2012, 5, 5), vec![mv(d(2026, 8, 31), d(2029, 8, 31))]);
    assert_eq!(decide_default(&c).category1, Ok(d(2026, 8, 31)));
}

#[test]
fn no_qad_no_birth_date_and_gaps_have_their_reasons() {
    let c = child(d(2012, 5, 5), vec![]);
    assert_eq!(
        decide_default(&c).category1,
        Err(NotCounted::NoQualifyingMove)
    );
    let mut c = child(d(2012, 5, 5), vec![mv(d(2024, 1, 1), d(2027, 1, 1))]);
    c.birth_date = None;
    assert_eq!(decide_default(&c).category1, Err(NotCounted::NoBirthDate));
    let c = child(
        d(2012, 5, 5),
        vec![
            mv(d(2022, 1, 1), d(2025, 1, 1)),
            mv(d(2026, 10, 1), d(2029, 10, 1)),
        ],
    );
    assert_eq!(
        decide_default(&c).category1,
        Err(NotCounted::NotEligibleInPeriod)
    );
    assert_eq!(decide_default(&c).category2, Err(NotCounted::NotCategory1));
}

#[test]
fn category_2_needs_summer_service_while_eligible() {
    let mut c = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    c.enrollments.push(summer(d(2026, 6, 15), d(2026, 7, 31)));
    assert_eq!(decide_default(&c).category2, Ok(d(2026, 6, 15)));

    // by MEP project type too
    let mut c2 = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    c2.enrollments.push(ServiceEnrollment {
        enrollment_type: Some(EnrollmentType::MepYearRound),
        mep_project_type: Some(MepProjectType::SummerIntersession),
        ..summer(d(2026, 6, 15), d(2026, 7, 31))
    });
    assert!(decide_default(&c2).in_category2());

    // eligibility ended before the summer project
    let mut c3 = child(d(2015, 1, 1), vec![mv(d(2022, 11, 15), d(2025, 11, 15))]);
    c3.enrollments.push(summer(d(2026, 6, 15), d(2026, 7, 31)));
    let r = decide_default(&c3);
    assert!(r.in_category1());
    assert_eq!(r.category2, Err(NotCounted::SummerServiceNotWhileEligible));

    // a summer project of the previous period does not count
    let mut c4 = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    c4.enrollments.push(summer(d(2025, 6, 15), d(2025, 7, 31)));
    assert_eq!(
        decide_default(&c4).category2,
        Err(NotCounted::NoSummerService)
    );

    // the policy decides which enrollments are summer service
    let pol = ChildCountPolicy {
        summer_enrollment_types: vec![],
        summer_project_types: vec![],
        ..ChildCountPolicy::default()
    };
    assert_eq!(
        decide(&c, &period(), &pol).category2,
        Err(NotCounted::NoSummerService)
    );
}

#[test]
fn policy_changes_the_age_range() {
    let c = child(d(2023, 3, 15), vec![mv(d(2025, 1, 10), d(2028, 1, 10))]);
    let pol = ChildCountPolicy {
        min_age_years: 2,
        ..ChildCountPolicy::default()
    };
    assert_eq!(decide(&c, &period(), &pol).category1, Ok(d(2025, 9, 1)));
}

#[test]
fn tally_counts_by_grade_and_age() {
    let mut t = ChildCountTally::default();
    let mut a = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    a.enrollments
        .push(school(d(2025, 8, 20), None, GradeLevel::G05));
    a.enrollments.push(summer(d(2026, 6, 15), d(2026, 7, 31)));
    let mut b = child(d(2015, 6, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    b.enrollments
        .push(school(d(2025, 8, 20), None, GradeLevel::G05));
    let c = child(d(2023, 3, 15), vec![mv(d(2025, 1, 10), d(2028, 1, 10))]);
    let gone = child(d(2012, 5, 5), vec![mv(d(2026, 9, 1), d(2029, 9, 1))]);
    for x in [&a, &b, &c, &gone] {
        t.add(&decide_default(x));
    }
    assert_eq!(t.children, 4);
    assert_eq!(
        t.totals,
        CategoryCounts {
            category1: 3,
            category2: 1
        }
    );
    assert_eq!(
        t.by_grade["05"],
        CategoryCounts {
            category1: 2,
            category2: 1
        }
    );
    assert_eq!(t.by_grade["none"].category1, 1);
    assert_eq!(t.by_age[&10].category1, 2);
    assert_eq!(t.by_age[&3].category1, 1);
    assert_eq!(t.not_counted_category1["qad_after_period"], 1);
    assert_eq!(t.not_counted_category2["no_summer_service"], 2);
    let mut national = ChildCountTally::default();
    national.merge(&t);
    national.merge(&t);
    assert_eq!(national.totals.category1, 6);
}

fn line(msix: &str, ssid: &str, data: &EligibilityData, dup: bool) -> PuenteCountLine {
    let decision = decide_default(data);
    PuenteCountLine {
        msix_id: msix.into(),
        state_student_ids: vec![ssid.into()],
        category1: decision.category1.err(),
        category2: decision.category2.err(),
        possible_duplicate: dup,
    }
}

#[test]
fn reconciliation_lists_each_side_with_the_reason() {
    let counted = child(d(2015, 1, 1), vec![mv(d(2024, 3, 10), d(2027, 3, 10))]);
    let expired = child(d(2015, 1, 1), vec![mv(d(2021, 3, 10), d(2024, 3, 10))]);
    let puente = vec![
        line("100000000001", "A", &counted, false),
        line("100000000002", "B", &expired, false),
        line("100000000003", "C", &counted, false),
        line("100000000004", "D", &counted, true),
        line("100000000005", "E", &counted, true),
    ];
    let list =
        parse_state_list("category,state_student_id\n1,A\n1,B\n2,C\n1,D\n1,E\n1,Z\n").unwrap();
    let r = reconcile(&puente, &list);
    let reasons: Vec<(&str, &str)> = r
        .iter()
        .map(|l| (l.state_student_id.as_str(), l.reason.as_str()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("B", "eligibility_expired"),
            ("C", "no_summer_service"),
            ("D", "possible_duplicate"),
            ("E", "possible_duplicate"),
            ("Z", "unknown_state_student_id"),
        ]
    );
    // a child Puente counts that the state left out
    let r = reconcile(&puente[..1], &[]);
    assert_eq!(r[0].reason, "not_on_state_list");
    assert_eq!(r[0].puente_category, 1);
}

#[test]
fn state_list_errors_name_the_line() {
    assert!(parse_state_list("").is_err());
    assert!(parse_state_list("id,cat\n").unwrap_err().contains("line 1"));
    assert!(
        parse_state_list("state_student_id,category\nA,3\n")
            .unwrap_err()
            .contains("line 2")
    );
    let ok = parse_state_list("\u{feff}state_student_id,category\r\n\"A,1\",2\r\n").unwrap();
    assert_eq!(ok[0].state_student_id, "A,1");
    assert_eq!(ok[0].category, 2);
}
