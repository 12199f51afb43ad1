#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Data-quality rules: missing elements by age and grade, implausible values, timeliness.

use chrono::NaiveDate;
use puente_domain::childcount::EligibilitySpan;
use puente_domain::codes::{EnrollmentType, GradeLevel};
use puente_domain::quality::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn complete(grade: GradeLevel, birth: NaiveDate) -> ChildFacts {
    ChildFacts {
        state_student_ids: vec!["T1".into()],
        birth_date: Some(birth),
        sex: Some("F".into()),
        birth_date_verification: Some("1003".into()),
        birth_country: Some("MX".into()),
        parent1_first_name: Some("Ana".into()),
        parent1_last_name: Some("Ruiz".into()),
        moves: vec![EligibilitySpan {
            qualifying_arrival_date: d(2025, 8, 1),
            eligibility_expiration_date: d(2028, 8, 1),
        }],
        enrollments: vec![EnrollmentFacts {
            enrollment_date: Some(d(2025, 8, 20)),
            enrollment_type: Some(EnrollmentType::BasicSchool),
            grade_level: Some(grade),
            school_or_project_name: Some("School".into()),
            school_id: Some("484512001234".into()),
            district_id: Some("4845120".into()),
            facility_state: Some("TX".into()),
            residency_date: Some(d(2025, 8, 2)),
            lep: Some(false),
            idea: Some(false),
            med_alert: Some("None".into()),
            immunization_record: Some(true),
            received_on: Some(d(2025, 8, 25)),
            ..Default::default()
        }],
        courses: 0,
        residence_notices: vec![],
    }
}

fn codes(c: &ChildFacts) -> Vec<String> {
    check(c, d(2026, 1, 15), &QualityPolicy::default())
        .into_iter()
        .map(|f| f.code)
        .collect()
}

#[test]
fn complete_elementary_child_has_no_findings() {
    assert!(codes(&complete(GradeLevel::G03, d(2017, 2, 1))).is_empty());
}

#[test]
fn secondary_elements_only_for_secondary_students() {
    // grade 8: algebra 1 and transcript expected, not course history
    let c = complete(GradeLevel::G08, d(2012, 2, 1));
    assert_eq!(
        codes(&c),
        vec![
            "missing.algebra1_indicator",
            "missing.out_of_state_transcript"
        ]
    );
    // grade 10: course history and designated graduation school too
    let c = complete(GradeLevel::G10, d(2010, 2, 1));
    assert_eq!(
        codes(&c),
        vec![
            "missing.algebra1_indicator",
            "missing.course_history",
            "missing.designated_graduation_school",
            "missing.out_of_state_transcript"
        ]
    );
    // a secondary-only element on a grade 3 enrollment is implausible
    let mut c = complete(GradeLevel::G03, d(2017, 2, 1));
    c.enrollments[0].algebra1 = Some(false);
    assert_eq!(
        codes(&c),
        vec!["implausible.secondary_element_not_secondary"]
    );
}

#[test]
fn under_3_needs_no_lep_or_idea() {
    let mut c = complete(GradeLevel::P2, d(2023, 6, 1));
    c.enrollments[0].enrollment_type = Some(EnrollmentType::MepSchoolDay);
    c.enrollments[0].lep = None;
    c.enrollments[0].idea = None;
    assert!(codes(&c).is_empty());
    c.birth_date = Some(d(2021, 6, 1));
    assert!(codes(&c).contains(&"missing.lep_indicator".to_string()));
}

#[test]
fn implausible_and_late_are_found() {
    let mut c = complete(GradeLevel::G03, d(2017, 2, 1));
    c.enrollments[0].withdrawal_date = Some(d(2025, 8, 1));
    c.enrollments[0].received_on = Some(d(2025, 9, 4)); // 10 working days after 20 Aug: 4 Sep (Labor Day 1 Sep)
    assert_eq!(codes(&c), vec!["implausible.withdrawal_before_enrollment"]);
    c.enrollments[0].received_on = Some(d(2025, 9, 5));
    assert!(codes(&c).contains(&"late.enrollment".to_string()));
    c.moves[0].eligibility_expiration_date = d(2029, 1, 1);
    assert!(codes(&c).contains(&"implausible.eligibility_expiration".to_string()));
    let mut t = QualityTally::default();
    t.add(
        &c.district(),
        &check(&c, d(2026, 1, 15), &QualityPolicy::default()),
    );
    assert_eq!(t.by_district["4845120"].by_code["late.enrollment"], 1);
    assert_eq!(t.children_with_findings, 1);
}

#[test]
fn change_of_residence_clock_counts_four_working_days_across_thanksgiving() {
    use puente_domain::quality::ResidenceNoticeFacts;
    let p = QualityPolicy::default();
    let late = |updated_on: Option<NaiveDate>, today: NaiveDate| {
        let mut c = complete(GradeLevel::G05, d(2014, 3, 1));
        c.residence_notices = vec![ResidenceNoticeFacts {
            // Wednesday before Thanksgiving (Thursday 27 November 2025, a federal holiday):
            // the four working days are 28 November, 1, 2 and 3 December.
            sent_on: d(2025, 11, 26),
            updated_on,
        }];
        check(&c, today, &p)
            .iter()
            .any(|f| f.code == "late.change_of_residence")
    };
    assert!(!late(Some(d(2025, 12, 3)), d(2026, 1, 15)));
    assert!(late(Some(d(2025, 12, 4)), d(2026, 1, 15)));
    assert!(!late(None, d(2025, 12, 3)));
    assert!(late(None, d(2025, 12, 4)));
    assert!(!late(Some(d(2025, 11, 28)), d(2026, 1, 15)));
}

mod stable_until_property {
    use super::*;
    use proptest::prelude::*;

    /// A day within about three years either side of 2026-01-15.
    fn day() -> impl Strategy<Value = NaiveDate> {
        (-1100i64..1100).prop_map(|o| d(2026, 1, 15) + chrono::Duration::days(o))
    }

    fn facts() -> impl Strategy<Value = ChildFacts> {
        (
            prop_oneof![
                Just(None),
                (-11000i64..2000).prop_map(|o| Some(d(2026, 1, 15) + chrono::Duration::days(o))),
                Just(Some(d(1995, 2, 28))),
                Just(Some(d(1996, 2, 29))),
            ],
            proptest::collection::vec((day(), day()), 0..3),
            proptest::collection::vec(
                (
                    prop_oneof![Just(None), day().prop_map(Some)],
                    prop_oneof![
                        Just(Some(GradeLevel::UG)),
                        Just(Some(GradeLevel::G03)),
                        Just(Some(GradeLevel::G10)),
                        Just(None)
                    ],
                    any::<bool>(),
                ),
                0..3,
            ),
            proptest::collection::vec((day(), prop_oneof![Just(None), day().prop_map(Some)]), 0..3),
        )
            .prop_map(|(birth, moves, enrollments, notices)| {
                let mut c = complete(GradeLevel::G03, d(2017, 2, 1));
                c.birth_date = birth;
                c.moves = moves
                    .into_iter()
                    .map(|(q, e)| EligibilitySpan {
                        qualifying_arrival_date: q,
                        eligibility_expiration_date: e,
                    })
                    .collect();
                let template = c.enrollments[0].clone();
                c.enrollments = enrollments
                    .into_iter()
                    .map(|(date, grade, lep)| EnrollmentFacts {
                        enrollment_date: date,
                        grade_level: grade,
                        lep: lep.then_some(true),
                        ..template.clone()
                    })
                    .collect();
                c.residence_notices = notices
                    .into_iter()
                    .map(|(sent_on, updated_on)| ResidenceNoticeFacts {
                        sent_on,
                        updated_on,
                    })
                    .collect();
                c
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// A stored quality result is reused from `today` until the day before `stable_until`:
        /// every one of those days gives the same findings.
        #[test]
        fn check_gives_the_same_findings_until_stable_until(c in facts(), today in day()) {
            let p = QualityPolicy::default();
            let first = check(&c, today, &p);
            let until = stable_until(&c, today, &p);
            prop_assert!(until.is_none_or(|u| u > today));
            let horizon = today + chrono::Duration::days(500);
            let last = until.map_or(horizon, |u| u.pred_opt().unwrap().min(horizon));
            let mut day = today;
            while day <= last {
                prop_assert_eq!(&check(&c, day, &p), &first, "changed on {} (until {:?})", day, until);
                day = day.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn an_unanswered_change_of_residence_notice_turns_late_on_the_day_stable_until_gives() {
        let p = QualityPolicy::default();
        let mut c = complete(GradeLevel::G03, d(2017, 2, 1));
        // Sent on Monday 2026-01-05: due Friday 2026-01-09, late from Saturday 2026-01-10.
        c.residence_notices = vec![ResidenceNoticeFacts {
            sent_on: d(2026, 1, 5),
            updated_on: None,
        }];
        let today = d(2026, 1, 6);
        let until = stable_until(&c, today, &p).unwrap();
        assert_eq!(until, d(2026, 1, 10));
        let late = |day| {
            check(&c, day, &p)
                .iter()
                .any(|f| f.code == "late.change_of_residence")
        };
        assert!(!late(until.pred_opt().unwrap()));
        assert!(late(until));
    }

    #[test]
    fn a_complete_past_record_holds_until_the_child_is_older_than_plausible() {
        let c = complete(GradeLevel::G03, d(2017, 2, 1));
        let p = QualityPolicy::default();
        assert_eq!(stable_until(&c, d(2026, 1, 15), &p), Some(d(2048, 2, 1)));
        assert!(check(&c, d(2048, 1, 31), &p).is_empty());
        assert_eq!(
            check(&c, d(2048, 2, 1), &p)
                .into_iter()
                .map(|f| f.code)
                .collect::<Vec<_>>(),
            ["implausible.birth_date_too_old"]
        );
    }
}

#[test]
fn a_term_end_reported_more_than_30_calendar_days_late_is_found() {
    let mut c = complete(GradeLevel::G03, d(2017, 2, 1));
    // The term ends on 19 December 2025; 30 calendar days later is 18 January 2026 (holidays
    // and weekends count: the clock is in calendar days).
    c.enrollments[0].withdrawal_date = Some(d(2025, 12, 19));
    c.enrollments[0].withdrawal_received_on = Some(d(2026, 1, 18));
    assert!(!codes(&c).contains(&"late.term_end".to_string()));
    c.enrollments[0].withdrawal_received_on = Some(d(2026, 1, 19));
    assert!(codes(&c).contains(&"late.term_end".to_string()));
    // Not known (stored before the exchange kept it): not judged.
    c.enrollments[0].withdrawal_received_on = None;
    assert!(!codes(&c).contains(&"late.term_end".to_string()));
}

#[test]
fn service_flags_come_from_enrollments_overlapping_the_period() {
    use puente_domain::childcount::PerformancePeriod;
    let period = PerformancePeriod {
        start_year: 2025,
        start: d(2025, 9, 1),
        end: d(2026, 8, 31),
    };
    let base = complete(GradeLevel::G05, d(2015, 1, 1));
    let with = |start: NaiveDate, end: Option<NaiveDate>, pfs, lep, idea| {
        let mut c = base.clone();
        c.enrollments[0].enrollment_date = Some(start);
        c.enrollments[0].withdrawal_date = end;
        c.enrollments[0].pfs = pfs;
        c.enrollments[0].lep = lep;
        c.enrollments[0].idea = idea;
        c.service_flags(&period)
    };
    let all = ServiceFlags {
        pfs: true,
        el: true,
        idea: true,
    };
    let y = Some(true);
    // Enrolled on the period's last day; withdrawn on its first day: both overlap.
    assert_eq!(with(d(2026, 8, 31), None, y, y, y), all);
    assert_eq!(with(d(2025, 1, 1), Some(d(2025, 9, 1)), y, y, y), all);
    // Withdrawn the day before; enrolled the day after: neither does.
    assert_eq!(
        with(d(2025, 1, 1), Some(d(2025, 8, 31)), y, y, y),
        ServiceFlags::default()
    );
    assert_eq!(with(d(2026, 9, 1), None, y, y, y), ServiceFlags::default());
    // No and unknown are not Yes; each indicator stands alone.
    assert_eq!(
        with(d(2025, 10, 1), None, Some(false), None, y),
        ServiceFlags {
            idea: true,
            ..Default::default()
        }
    );
    // Any overlapping enrollment that says Yes is enough.
    let mut c = base.clone();
    c.enrollments[0].enrollment_date = Some(d(2025, 10, 1));
    c.enrollments[0].withdrawal_date = None;
    c.enrollments[0].pfs = Some(false);
    let mut later = c.enrollments[0].clone();
    later.enrollment_date = Some(d(2026, 2, 1));
    later.pfs = Some(true);
    c.enrollments.push(later);
    assert!(c.service_flags(&period).pfs);
}
