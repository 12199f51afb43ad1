#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tests of the synthetic data generator.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use puente_domain::normalize::fold;
use puente_domain::{StateCode, StudentRecord, ValidationContext};
use puente_testkit::synth::{Dataset, SynthConfig, generate};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 15).unwrap()
}

fn cfg(students: usize, seed: u64) -> SynthConfig {
    SynthConfig::new(students, seed, today())
}

#[test]
fn synth_is_deterministic() {
    let a = generate(&cfg(400, 7));
    let b = generate(&cfg(400, 7));
    assert_eq!(a, b);
    let c = generate(&cfg(400, 8));
    assert_ne!(a.truth, c.truth);
    assert_ne!(a.by_state, c.by_state);
}

#[test]
fn synth_counts_ids_and_truth_line_up() {
    let d = generate(&cfg(2000, 1));
    assert_eq!(d.children, 2000);
    let kids: BTreeSet<u64> = d.truth.iter().map(|t| t.child).collect();
    assert_eq!(kids.len(), 2000, "every child has at least one record");
    assert_eq!(*kids.iter().next_back().unwrap(), 2000);
    assert_eq!(d.truth.len(), d.record_count());
    let mut truth_ids: BTreeSet<(StateCode, &str)> = BTreeSet::new();
    for t in &d.truth {
        assert!(
            truth_ids.insert((t.state, t.state_student_id.as_str())),
            "duplicate state ID {t:?}"
        );
    }
    for (state, recs) in &d.by_state {
        for (i, r) in recs.iter().enumerate() {
            assert_eq!(r.student_record_id as usize, i + 1);
            assert_eq!(r.reporting_state, *state);
            assert!(r.msix_id.is_none());
            assert!(truth_ids.contains(&(*state, r.state_student_id.as_str())));
        }
    }
    // per-state ID schemes
    for r in d.by_state.get(&StateCode::TX).unwrap() {
        assert!(
            r.state_student_id.starts_with('T') && r.state_student_id.len() == 10,
            "{}",
            r.state_student_id
        );
    }
    for r in d.by_state.get(&StateCode::CA).unwrap() {
        assert!(
            r.state_student_id.len() == 10
                && r.state_student_id.bytes().all(|b| b.is_ascii_digit())
        );
    }
}

fn validate_all(d: &Dataset) -> usize {
    let ctx = ValidationContext::new(today());
    let mut checked = 0;
    let mut failures = Vec::new();
    for r in d.records() {
        let raw = r.to_raw();
        let (typed, issues) = StudentRecord::validate(&raw, &ctx);
        let errors: Vec<_> = issues.iter().filter(|i| i.is_error()).collect();
        if !errors.is_empty() || typed.is_none() {
            failures.push(format!(
                "{} {}: {:?}",
                r.reporting_state.code_str(),
                r.state_student_id,
                errors
            ));
        } else {
            // the typed record round-trips exactly
            assert_eq!(
                typed.as_ref(),
                Some(r),
                "round trip of {}",
                r.state_student_id
            );
        }
        checked += 1;
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} records fail validation, e.g.:\n{}",
        failures.len(),
        failures
            .iter()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    checked
}

trait CodeStr {
    fn code_str(&self) -> &'static str;
}
impl CodeStr for StateCode {
    fn code_str(&self) -> &'static str {
        use puente_domain::CodeSet;
        self.code()
    }
}

#[test]
fn synth_every_record_validates() {
    let d = generate(&cfg(3000, 42));
    let n = validate_all(&d);
    assert!(n >= 5000, "only {n} records");
    // another day of the year and a small state set
    let mut c = SynthConfig::new(800, 3, NaiveDate::from_ymd_opt(2024, 8, 20).unwrap());
    c.states = vec![StateCode::TX, StateCode::MI, StateCode::AZ, StateCode::KS];
    let d2 = generate(&c);
    let ctx = ValidationContext::new(c.today);
    for r in d2.records() {
        let (_, issues) = StudentRecord::validate(&r.to_raw(), &ctx);
        let errors: Vec<_> = issues.iter().filter(|i| i.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
        assert!(c.states.contains(&r.reporting_state));
    }
}

#[test]
fn synth_dates_are_not_in_the_future() {
    let d = generate(&cfg(1500, 5));
    let t = today();
    for r in d.records() {
        assert!(r.demographics.birth_date.unwrap() <= t);
        for m in &r.qualifying_moves {
            assert!(m.qualifying_arrival_date <= t);
            assert!(m.expiration_defaulted);
        }
        for e in &r.enrollments {
            assert!(e.enrollment_date <= t);
            assert!(
                e.withdrawal_date
                    .is_none_or(|w| w <= t && w >= e.enrollment_date)
            );
            assert!(e.residency_verification_date.is_none_or(|w| w <= t));
        }
    }
}

#[test]
fn synth_population_has_the_real_shape() {
    let d = generate(&cfg(5000, 2024));
    let mut states_of: BTreeMap<u64, BTreeSet<StateCode>> = BTreeMap::new();
    let mut family_kids: BTreeMap<u64, BTreeSet<u64>> = BTreeMap::new();
    let mut twins = BTreeSet::new();
    let mut by_key: BTreeMap<(StateCode, String), u64> = BTreeMap::new();
    for t in &d.truth {
        states_of.entry(t.child).or_default().insert(t.state);
        family_kids.entry(t.family).or_default().insert(t.child);
        if t.twin_of.is_some() {
            twins.insert(t.child);
        }
        by_key.insert((t.state, t.state_student_id.clone()), t.child);
    }
    let all_states: BTreeSet<StateCode> = d.truth.iter().map(|t| t.state).collect();
    assert!(all_states.len() >= 5, "{all_states:?}");
    let twin_share = twins.len() as f64 / 5000.0;
    assert!(twin_share >= 0.01, "twins {twin_share}");
    assert!(twin_share <= 0.06, "twins {twin_share}");
    let sibling_families = family_kids.values().filter(|k| k.len() >= 2).count();
    assert!(
        sibling_families as f64 >= family_kids.len() as f64 * 0.5,
        "{sibling_families} of {}",
        family_kids.len()
    );
    let multi = states_of.values().filter(|s| s.len() >= 2).count();
    assert!(multi as f64 >= 0.30 * 5000.0, "multi-state {multi}");
    let max_states = states_of.values().map(BTreeSet::len).max().unwrap();
    assert!(max_states >= 4, "max states {max_states}");

    // Twins: same birth date and parents, different given names; flag set on most records.
    let mut recs_of: BTreeMap<u64, Vec<&StudentRecord>> = BTreeMap::new();
    for (state, recs) in &d.by_state {
        for r in recs {
            let child = by_key[&(*state, r.state_student_id.clone())];
            recs_of.entry(child).or_default().push(r);
        }
    }
    let mut flagged = 0;
    let mut twin_recs = 0;
    for t in d.truth.iter().filter(|t| t.twin_of.is_some()) {
        let a = recs_of[&t.child][0];
        let b = recs_of[&t.twin_of.unwrap()][0];
        assert_ne!(
            fold(&a.demographics.first_name),
            fold(&b.demographics.first_name)
        );
        twin_recs += 1;
        if a.demographics.multiple_birth == Some(true) {
            flagged += 1;
        }
    }
    assert!(flagged * 10 >= twin_recs * 8, "{flagged} of {twin_recs}");

    // Variation: some cross-state pairs of the same child differ in a name field (after folding
    // case and accents), but most records are clean.
    let mut pairs = 0;
    let mut differ = 0;
    let mut dob_differ = 0;
    for recs in recs_of.values() {
        for i in 0..recs.len() {
            for j in i + 1..recs.len() {
                let (a, b) = (&recs[i].demographics, &recs[j].demographics);
                pairs += 1;
                let key = |d: &puente_domain::records::Demographics| {
                    (
                        fold(&d.first_name),
                        d.middle_name.as_deref().map(fold),
                        fold(&d.last_name_1),
                        d.last_name_2.as_deref().map(fold),
                    )
                };
                if key(a) != key(b) {
                    differ += 1;
                }
                if a.birth_date != b.birth_date {
                    dob_differ += 1;
                }
            }
        }
    }
    let share = differ as f64 / pairs as f64;
    assert!(
        share > 0.15 && share < 0.65,
        "name variation in {differ} of {pairs} pairs"
    );
    assert!(
        dob_differ > 0 && (dob_differ as f64) < pairs as f64 * 0.15,
        "{dob_differ} of {pairs}"
    );

    // Accents survive in some states and are dropped in others.
    let accented = d
        .records()
        .filter(|r| !r.demographics.last_name_1.is_ascii())
        .count();
    assert!(accented > 0);
    // Texas writes upper case without accents (most of the time).
    let tx = &d.by_state[&StateCode::TX];
    let tx_upper = tx
        .iter()
        .filter(|r| {
            let l = &r.demographics.last_name_1;
            l.is_ascii() && *l == l.to_uppercase()
        })
        .count();
    assert!(tx_upper * 10 >= tx.len() * 8, "{tx_upper} of {}", tx.len());

    // Hispanic double surnames are common, non-Hispanic families exist.
    let with_two = d
        .records()
        .filter(|r| r.demographics.last_name_2.is_some())
        .count();
    assert!(with_two * 2 >= d.record_count(), "{with_two}");
    assert!(with_two < d.record_count());

    // Secondary students carry courses, some with partial credit.
    let secondary: Vec<&StudentRecord> = d
        .records()
        .filter(|r| {
            r.enrollments.iter().any(|e| {
                e.grade_level
                    .and_then(|g| g.number())
                    .is_some_and(|g| g >= 9)
            })
        })
        .collect();
    assert!(!secondary.is_empty());
    let with_courses = secondary.iter().filter(|r| !r.courses.is_empty()).count();
    assert!(
        with_courses * 10 >= secondary.len() * 7,
        "{with_courses} of {}",
        secondary.len()
    );
    let courses: Vec<_> = d.records().flat_map(|r| r.courses.iter()).collect();
    let partial = courses.iter().filter(|c| c.is_partial()).count();
    let half = courses
        .iter()
        .filter(|c| c.credits_hundredths == Some(50))
        .count();
    assert!(
        partial > 0 && partial < courses.len(),
        "{partial} of {}",
        courses.len()
    );
    assert!(half > 0);
    assert!(courses.iter().any(|c| c.course_title == "Algebra I"));
    // Assessments and MEP summer projects exist.
    assert!(d.records().any(|r| !r.assessments.is_empty()));
    assert!(d.records().flat_map(|r| &r.enrollments).any(|e| {
        e.enrollment_type
            .is_some_and(|t| t.is_summer_or_intersession())
    }));
    // Some moves come from Mexico or Guatemala.
    let foreign = d
        .records()
        .flat_map(|r| &r.qualifying_moves)
        .filter(|m| matches!(m.from_country.as_deref(), Some("MX") | Some("GT")))
        .count();
    assert!(foreign > 0);
    // Realistic duplicates: a child with two records in one state.
    let dup_children = recs_of
        .values()
        .filter(|recs| {
            let mut s = BTreeSet::new();
            recs.iter().any(|r| !s.insert(r.reporting_state))
        })
        .count();
    assert!((5..250).contains(&dup_children), "{dup_children}");
}

#[test]
fn synth_school_ids_are_consistent_per_state() {
    let d = generate(&cfg(1500, 9));
    let mut school: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in d.records() {
        for e in &r.enrollments {
            if let (Some(id), Some(name), Some(dist)) =
                (&e.school_id, &e.school_or_project_name, &e.district_id)
            {
                assert_eq!(id.len(), 12);
                assert!(id.starts_with(dist.as_str()), "{id} in {dist}");
                if e.enrollment_type == Some(puente_domain::codes::EnrollmentType::BasicSchool) {
                    let prev = school
                        .entry(id.clone())
                        .or_insert((name.clone(), dist.clone()));
                    assert_eq!(prev.0, *name);
                }
            }
        }
    }
    assert!(school.len() > 20);
}
