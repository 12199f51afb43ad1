//! Data-quality rules over the stored facts of one child in one state: missing minimum data
//! elements (by age and grade), implausible values, and late submissions. Pure; the exact rules are
//! in `docs/reports.md`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar;
use crate::childcount::{EligibilityData, EligibilitySpan, ServiceEnrollment};
use crate::codes::{EnrollmentType, GradeLevel, MepProjectType};
use crate::policy::{self, Policy};

/// Quality rules, each a policy value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityPolicy {
    /// A record is on time when received within this many working days of its earliest
    /// enrollment date (the 10-working-day clock of a new certificate of eligibility).
    pub timeliness_working_days: u32,
    /// Lowest numbered grade that counts as secondary (7).
    pub secondary_min_grade: u8,
    /// Ungraded/out-of-school children of at least this age are secondary (14).
    pub secondary_min_age_ungraded: u32,
    /// Course history and designated graduation school are expected from this grade (9), and from
    /// secondary-age ungraded/out-of-school youth.
    pub credit_min_grade: u8,
    /// Oldest plausible age (30).
    pub max_plausible_age_years: u32,
    /// A grade is implausible when the age differs from grade + 6 by more than this (4).
    pub grade_age_tolerance: i32,
    /// Eligibility lasts at most this many months after the QAD, or to this age.
    pub eligibility_months: u32,
    pub eligibility_age_limit_years: u32,
    /// After a change-of-residence notice, the state it went to sends new and updated elements
    /// within this many working days (4).
    pub change_of_residence_working_days: u32,
    /// After a term ends, the state sends the updates of every child eligible during it within
    /// this many calendar days (30).
    pub term_end_calendar_days: u32,
}

impl Default for QualityPolicy {
    fn default() -> Self {
        let p = Policy::default();
        Self {
            timeliness_working_days: 10,
            secondary_min_grade: p.secondary_min_grade,
            secondary_min_age_ungraded: p.secondary_min_age_ungraded,
            credit_min_grade: 9,
            max_plausible_age_years: p.max_plausible_age_years,
            grade_age_tolerance: 4,
            eligibility_months: p.eligibility_months,
            eligibility_age_limit_years: p.eligibility_age_limit_years,
            change_of_residence_working_days: 4,
            term_end_calendar_days: 30,
        }
    }
}

/// One stored enrollment, with the date its record was received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentFacts {
    pub enrollment_date: Option<NaiveDate>,
    pub withdrawal_date: Option<NaiveDate>,
    pub enrollment_type: Option<EnrollmentType>,
    pub mep_project_type: Option<MepProjectType>,
    pub grade_level: Option<GradeLevel>,
    pub school_or_project_name: Option<String>,
    pub school_id: Option<String>,
    pub district_id: Option<String>,
    pub facility_state: Option<String>,
    pub residency_date: Option<NaiveDate>,
    pub lep: Option<bool>,
    pub idea: Option<bool>,
    /// Priority for Services flag.
    pub pfs: Option<bool>,
    pub med_alert: Option<String>,
    pub immunization_record: Option<bool>,
    pub designated_graduation_school: Option<String>,
    pub graduation_hse: Option<String>,
    pub graduation_hse_date: Option<NaiveDate>,
    pub out_of_state_transcript: Option<bool>,
    pub algebra1: Option<bool>,
    /// Day the record carrying the enrollment was first received.
    pub received_on: Option<NaiveDate>,
    /// Day the withdrawal date first reached the exchange (`None`: no withdrawal date, or not
    /// known).
    pub withdrawal_received_on: Option<NaiveDate>,
}

/// A child's service indicators in a performance period ([`ChildFacts::service_flags`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceFlags {
    /// Priority for Services.
    pub pfs: bool,
    /// English learner (the LEP indicator).
    pub el: bool,
    /// Served under IDEA (children with disabilities).
    pub idea: bool,
}

/// What the store holds of one child in one state (every live record of that state).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildFacts {
    pub state_student_ids: Vec<String>,
    pub birth_date: Option<NaiveDate>,
    pub sex: Option<String>,
    pub birth_date_verification: Option<String>,
    pub birth_country: Option<String>,
    pub parent1_first_name: Option<String>,
    pub parent1_last_name: Option<String>,
    pub moves: Vec<EligibilitySpan>,
    pub enrollments: Vec<EnrollmentFacts>,
    pub courses: u32,
    /// Change-of-residence notices the exchange sent this state about the child.
    pub residence_notices: Vec<ResidenceNoticeFacts>,
}

/// A change-of-residence notice sent to the state, and whether the state has updated the child's
/// records since.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidenceNoticeFacts {
    /// Day the notice was sent.
    pub sent_on: NaiveDate,
    /// Day of the state's latest update of the child's records, when it came after the notice.
    pub updated_on: Option<NaiveDate>,
}

impl ChildFacts {
    /// The child-count view of the facts.
    pub fn eligibility(&self) -> EligibilityData {
        EligibilityData {
            birth_date: self.birth_date,
            moves: self.moves.clone(),
            enrollments: self
                .enrollments
                .iter()
                .filter_map(|e| {
                    Some(ServiceEnrollment {
                        enrollment_date: e.enrollment_date?,
                        withdrawal_date: e.withdrawal_date,
                        enrollment_type: e.enrollment_type,
                        mep_project_type: e.mep_project_type,
                        grade_level: e.grade_level,
                    })
                })
                .collect(),
        }
    }

    /// The service indicators of the child in `period`: each is set when at least one
    /// enrollment overlapping the period (enrolled on or before its last day, not withdrawn
    /// before its first) says Yes (docs/reports.md "Child count", "By service").
    pub fn service_flags(&self, period: &crate::childcount::PerformancePeriod) -> ServiceFlags {
        let mut f = ServiceFlags::default();
        for e in &self.enrollments {
            let Some(start) = e.enrollment_date else {
                continue;
            };
            if start > period.end || e.withdrawal_date.is_some_and(|w| w < period.start) {
                continue;
            }
            f.pfs |= e.pfs == Some(true);
            f.el |= e.lep == Some(true);
            f.idea |= e.idea == Some(true);
        }
        f
    }

    /// The latest enrollment by enrollment date.
    pub fn latest_enrollment(&self) -> Option<&EnrollmentFacts> {
        self.enrollments.iter().max_by_key(|e| e.enrollment_date)
    }

    /// District of the latest enrollment (`none` without one).
    pub fn district(&self) -> String {
        self.latest_enrollment()
            .and_then(|e| e.district_id.clone())
            .unwrap_or_else(|| "none".into())
    }
}

/// Kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    Missing,
    Implausible,
    Late,
}

/// One problem with a child's data. `code` is `missing.<element>`, `implausible.<rule>`,
/// `late.enrollment`, `late.term_end` or `late.change_of_residence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub code: String,
}

fn f(kind: FindingKind, code: &str) -> Finding {
    Finding {
        kind,
        code: code.into(),
    }
}

fn blank(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(|v| v.trim().is_empty())
}

/// Whether an enrollment is a secondary one on its date: grade >= 7, or ungraded/out-of-school at
/// secondary age.
pub fn is_secondary(
    grade: Option<GradeLevel>,
    birth: Option<NaiveDate>,
    on: NaiveDate,
    p: &QualityPolicy,
) -> bool {
    match grade {
        Some(g) => match g.number() {
            Some(n) => n >= p.secondary_min_grade,
            None => {
                matches!(g, GradeLevel::UG | GradeLevel::OS)
                    && birth.is_some_and(|b| {
                        policy::age_on(b, on) >= p.secondary_min_age_ungraded as i32
                    })
            }
        },
        None => false,
    }
}

/// Every finding for one child, sorted by code, each code once.
pub fn check(c: &ChildFacts, today: NaiveDate, p: &QualityPolicy) -> Vec<Finding> {
    use FindingKind::*;
    let mut out = Vec::new();
    // ---- missing: every child
    if c.birth_date.is_none() {
        out.push(f(Missing, "missing.birth_date"));
    }
    if blank(&c.sex) {
        out.push(f(Missing, "missing.sex"));
    }
    if blank(&c.birth_date_verification) {
        out.push(f(Missing, "missing.birth_date_verification"));
    }
    if blank(&c.birth_country) {
        out.push(f(Missing, "missing.birth_country"));
    }
    if blank(&c.parent1_first_name) || blank(&c.parent1_last_name) {
        out.push(f(Missing, "missing.parent_guardian_name"));
    }
    if c.moves.is_empty() {
        out.push(f(Missing, "missing.qualifying_move"));
    }
    match c.latest_enrollment() {
        None => out.push(f(Missing, "missing.enrollment")),
        Some(e) => {
            let on = e.enrollment_date.unwrap_or(today);
            if e.enrollment_type.is_none() {
                out.push(f(Missing, "missing.enrollment_type"));
            }
            if blank(&e.school_or_project_name) {
                out.push(f(Missing, "missing.school_or_project_name"));
            }
            if blank(&e.facility_state) {
                out.push(f(Missing, "missing.facility_state"));
            }
            if e.residency_date.is_none() {
                out.push(f(Missing, "missing.residency_date"));
            }
            if e.grade_level.is_none() {
                out.push(f(Missing, "missing.grade_level"));
            }
            if e.immunization_record.is_none() {
                out.push(f(Missing, "missing.immunization_record_flag"));
            }
            if blank(&e.med_alert) {
                out.push(f(Missing, "missing.med_alert_indicator"));
            }
            // ---- aged 3 and over (on the enrollment date)
            let age = c.birth_date.map(|b| policy::age_on(b, on));
            if age.is_some_and(|a| a >= 3) {
                if e.lep.is_none() {
                    out.push(f(Missing, "missing.lep_indicator"));
                }
                if e.idea.is_none() {
                    out.push(f(Missing, "missing.idea_indicator"));
                }
            }
            // ---- school enrollments in kindergarten through grade 12
            let graded = e
                .grade_level
                .is_some_and(|g| g == GradeLevel::KG || g.number().is_some());
            if graded && e.enrollment_type == Some(EnrollmentType::BasicSchool) {
                if blank(&e.school_id) {
                    out.push(f(Missing, "missing.school_id"));
                }
                if blank(&e.district_id) {
                    out.push(f(Missing, "missing.district_id"));
                }
            }
            // ---- secondary
            if is_secondary(e.grade_level, c.birth_date, on, p) {
                if e.algebra1.is_none() {
                    out.push(f(Missing, "missing.algebra1_indicator"));
                }
                if e.out_of_state_transcript.is_none() {
                    out.push(f(Missing, "missing.out_of_state_transcript"));
                }
                let credit = match e.grade_level.and_then(|g| g.number()) {
                    Some(n) => n >= p.credit_min_grade,
                    None => true, // ungraded/out-of-school youth of secondary age
                };
                if credit {
                    if c.courses == 0 {
                        out.push(f(Missing, "missing.course_history"));
                    }
                    if blank(&e.designated_graduation_school) {
                        out.push(f(Missing, "missing.designated_graduation_school"));
                    }
                }
            }
        }
    }
    // ---- implausible values (re-validation of stored data)
    if let Some(b) = c.birth_date {
        if b > today {
            out.push(f(Implausible, "implausible.birth_date_future"));
        } else if policy::age_on(b, today) > p.max_plausible_age_years as i32 {
            out.push(f(Implausible, "implausible.birth_date_too_old"));
        }
    }
    for m in &c.moves {
        let qad = m.qualifying_arrival_date;
        if qad > today {
            out.push(f(Implausible, "implausible.qad_future"));
        }
        if c.birth_date.is_some_and(|b| qad < b) {
            out.push(f(Implausible, "implausible.qad_before_birth"));
        }
        let max = qad
            .checked_add_months(chrono::Months::new(p.eligibility_months))
            .map(|by_term| {
                match c
                    .birth_date
                    .and_then(|b| policy::birthday(b, p.eligibility_age_limit_years))
                {
                    Some(by_age) if by_age < by_term => by_age,
                    _ => by_term,
                }
            });
        if m.eligibility_expiration_date < qad
            || max.is_some_and(|max| m.eligibility_expiration_date > max)
        {
            out.push(f(Implausible, "implausible.eligibility_expiration"));
        }
    }
    for e in &c.enrollments {
        let Some(start) = e.enrollment_date else {
            continue;
        };
        if start > today {
            out.push(f(Implausible, "implausible.enrollment_future"));
        }
        if c.birth_date.is_some_and(|b| start < b) {
            out.push(f(Implausible, "implausible.enrollment_before_birth"));
        }
        if e.withdrawal_date.is_some_and(|w| w < start) {
            out.push(f(Implausible, "implausible.withdrawal_before_enrollment"));
        }
        if let Some(res) = e.residency_date {
            let qad = c
                .moves
                .iter()
                .map(|m| m.qualifying_arrival_date)
                .filter(|q| *q <= start)
                .max();
            if qad.is_some_and(|q| res < q) {
                out.push(f(Implausible, "implausible.residency_before_qad"));
            }
        }
        if let (Some(b), Some(g)) = (c.birth_date, e.grade_level.and_then(|g| g.number())) {
            let age = policy::age_on(b, start);
            if (age - (i32::from(g) + 6)).abs() > p.grade_age_tolerance {
                out.push(f(Implausible, "implausible.grade_for_age"));
            }
        }
        let secondary_only = !blank(&e.designated_graduation_school)
            || !blank(&e.graduation_hse)
            || e.graduation_hse_date.is_some()
            || e.out_of_state_transcript.is_some()
            || e.algebra1.is_some();
        if secondary_only && !is_secondary(e.grade_level, c.birth_date, start, p) {
            out.push(f(
                Implausible,
                "implausible.secondary_element_not_secondary",
            ));
        }
        if e.graduation_hse_date.is_some() && blank(&e.graduation_hse) {
            out.push(f(
                Implausible,
                "implausible.graduation_date_without_indicator",
            ));
        }
        // ---- timeliness
        if let Some(received) = e.received_on
            && received > calendar::add_working_days(start, p.timeliness_working_days)
        {
            out.push(f(Late, "late.enrollment"));
        }
        // The end of the child's term at this school or project (its withdrawal date) reached
        // the exchange more than 30 calendar days after it.
        if let (Some(end), Some(arrived)) = (e.withdrawal_date, e.withdrawal_received_on)
            && (arrived - end).num_days() > i64::from(p.term_end_calendar_days)
        {
            out.push(f(Late, "late.term_end"));
        }
    }
    // A change-of-residence notice: the state's update came after the limit, or has not come
    // and the limit has passed.
    for n in &c.residence_notices {
        let due = calendar::add_working_days(n.sent_on, p.change_of_residence_working_days);
        let late = match n.updated_on {
            Some(u) => u > due,
            None => today > due,
        };
        if late {
            out.push(f(Late, "late.change_of_residence"));
        }
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out.dedup();
    out
}

/// The first day after `today` on which [`check`] may answer otherwise for the same facts, or
/// `None` when no later day changes its answer. Only these findings depend on the day: a birth
/// date, arrival or enrollment in the future; the age on the day (too old, and the latest
/// enrollment's age-dependent elements when it has no date); an unanswered change-of-residence
/// notice once its limit has passed. A stored result holds from `today` until the day before.
pub fn stable_until(c: &ChildFacts, today: NaiveDate, p: &QualityPolicy) -> Option<NaiveDate> {
    let mut days: Vec<NaiveDate> = Vec::new();
    if let Some(b) = c.birth_date {
        days.push(b);
        // Too old from the day the child is older than the oldest plausible age.
        days.extend(age_reached(b, p.max_plausible_age_years + 1));
        let undated = c
            .latest_enrollment()
            .is_some_and(|e| e.enrollment_date.is_none());
        if undated {
            // The latest enrollment is judged at today's age.
            let age = policy::age_on(b, today);
            days.extend(u32::try_from(age + 1).ok().and_then(|a| age_reached(b, a)));
        }
    }
    days.extend(c.moves.iter().map(|m| m.qualifying_arrival_date));
    days.extend(c.enrollments.iter().filter_map(|e| e.enrollment_date));
    days.extend(
        c.residence_notices
            .iter()
            .filter(|n| n.updated_on.is_none())
            .filter_map(|n| {
                calendar::add_working_days(n.sent_on, p.change_of_residence_working_days).succ_opt()
            }),
    );
    days.into_iter().filter(|d| *d > today).min()
}

/// The first day on which a child born on `birth` is `years` old by [`policy::age_on`] (a
/// 29 February birthday counts from 1 March in other years).
fn age_reached(birth: NaiveDate, years: u32) -> Option<NaiveDate> {
    let day = policy::birthday(birth, years)?;
    if policy::age_on(birth, day) >= years as i32 {
        Some(day)
    } else {
        day.succ_opt()
    }
}

/// Children per finding code, for a state and for each district.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityTally {
    pub children: u64,
    /// Children with at least one finding.
    pub children_with_findings: u64,
    pub by_code: BTreeMap<String, u64>,
    /// District ID (of the latest enrollment, `none` without one) -> children -> code -> count.
    pub by_district: BTreeMap<String, DistrictTally>,
}

/// The counts of one district.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistrictTally {
    pub children: u64,
    pub by_code: BTreeMap<String, u64>,
}

impl QualityTally {
    pub fn add(&mut self, district: &str, findings: &[Finding]) {
        self.children += 1;
        self.children_with_findings += u64::from(!findings.is_empty());
        let d = self.by_district.entry(district.to_string()).or_default();
        d.children += 1;
        for x in findings {
            *self.by_code.entry(x.code.clone()).or_default() += 1;
            *d.by_code.entry(x.code.clone()).or_default() += 1;
        }
    }
}
