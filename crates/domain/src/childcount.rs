//! Child counts (34 CFR 200.81, 200.89): who is counted in Category 1 and Category 2 of a
//! performance period, and why a child is not. Pure: the caller gives one child's eligibility
//! data from one state (counts are unduplicated within a state and use that state's own data).
//!
//! Day rules (see `docs/reports.md`):
//! - a qualifying move makes the child eligible on every day `QAD <= d < eligibility expiration`
//!   (the expiration date is the first day the child is no longer eligible);
//! - "aged 3 through 21" is every day `3rd birthday <= d < 22nd birthday`;
//! - an enrollment covers `enrollment date <= d <= withdrawal date` (no withdrawal date: to the end
//!   of the period);
//! - Category 1: some day of the period is an eligible day and an aged-3-through-21 day;
//! - Category 2: Category 1, and some such day is also covered by a summer/intersession enrollment.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::{CodeSet, EnrollmentType, GradeLevel, MepProjectType};
use crate::policy::{self, Policy};

/// Child-count rules, each a policy value with the regulation's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildCountPolicy {
    /// Month and day the performance period starts (1 September); it ends the day before, a year
    /// later (31 August).
    pub period_start_month: u32,
    pub period_start_day: u32,
    /// Youngest counted age (the child has had this birthday).
    pub min_age_years: u32,
    /// First age no longer counted (the child has not yet had this birthday).
    pub age_limit_years: u32,
    /// Enrollment types that are a summer or intersession MEP project.
    pub summer_enrollment_types: Vec<EnrollmentType>,
    /// MEP project types that are a summer or intersession project.
    pub summer_project_types: Vec<MepProjectType>,
}

impl Default for ChildCountPolicy {
    fn default() -> Self {
        Self::from_policy(&Policy::default())
    }
}

impl ChildCountPolicy {
    /// The defaults, with the age limit taken from the eligibility policy (22).
    pub fn from_policy(p: &Policy) -> Self {
        Self {
            period_start_month: 9,
            period_start_day: 1,
            min_age_years: 3,
            age_limit_years: p.eligibility_age_limit_years,
            summer_enrollment_types: vec![EnrollmentType::MepSummer],
            summer_project_types: vec![MepProjectType::SummerIntersession],
        }
    }

    /// The performance period that starts in `start_year` (1 September `start_year` to
    /// 31 August `start_year + 1` by default).
    pub fn period(&self, start_year: i32) -> Option<PerformancePeriod> {
        let start =
            NaiveDate::from_ymd_opt(start_year, self.period_start_month, self.period_start_day)?;
        let next = NaiveDate::from_ymd_opt(
            start_year + 1,
            self.period_start_month,
            self.period_start_day,
        )?;
        Some(PerformancePeriod {
            start_year,
            start,
            end: next - Duration::days(1),
        })
    }

    /// Whether an enrollment is a summer/intersession MEP project.
    pub fn is_summer(&self, e: &ServiceEnrollment) -> bool {
        e.enrollment_type
            .is_some_and(|t| self.summer_enrollment_types.contains(&t))
            || e.mep_project_type
                .is_some_and(|t| self.summer_project_types.contains(&t))
    }
}

/// A performance period: `start..=end`, both inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformancePeriod {
    pub start_year: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One qualifying move's eligibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilitySpan {
    pub qualifying_arrival_date: NaiveDate,
    pub eligibility_expiration_date: NaiveDate,
}

/// One enrollment, as far as counts need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceEnrollment {
    pub enrollment_date: NaiveDate,
    pub withdrawal_date: Option<NaiveDate>,
    pub enrollment_type: Option<EnrollmentType>,
    pub mep_project_type: Option<MepProjectType>,
    pub grade_level: Option<GradeLevel>,
}

/// A child's eligibility data in one state (every live record of that state for the child).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityData {
    pub birth_date: Option<NaiveDate>,
    pub moves: Vec<EligibilitySpan>,
    pub enrollments: Vec<ServiceEnrollment>,
}

/// Why a child is not counted (in a category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotCounted {
    /// No birth date: the age cannot be established.
    NoBirthDate,
    /// No qualifying move (no QAD).
    NoQualifyingMove,
    /// Every qualifying arrival date is after the end of the period.
    QadAfterPeriod,
    /// Every eligibility ended before the period started.
    EligibilityExpired,
    /// Eligible before and after the period but on no day of it.
    NotEligibleInPeriod,
    /// Eligible in the period, but never aged 3 through 21 while eligible.
    AgeOutOfRange,
    /// Category 2 only: no summer/intersession MEP enrollment in the period.
    NoSummerService,
    /// Category 2 only: a summer/intersession enrollment exists in the period, but not on a day
    /// the child was eligible and aged 3 through 21.
    SummerServiceNotWhileEligible,
    /// Category 2 only: the child is not in Category 1.
    NotCategory1,
}

impl NotCounted {
    pub const ALL: [NotCounted; 9] = [
        NotCounted::NoBirthDate,
        NotCounted::NoQualifyingMove,
        NotCounted::QadAfterPeriod,
        NotCounted::EligibilityExpired,
        NotCounted::NotEligibleInPeriod,
        NotCounted::AgeOutOfRange,
        NotCounted::NoSummerService,
        NotCounted::SummerServiceNotWhileEligible,
        NotCounted::NotCategory1,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            NotCounted::NoBirthDate => "no_birth_date",
            NotCounted::NoQualifyingMove => "no_qualifying_move",
            NotCounted::QadAfterPeriod => "qad_after_period",
            NotCounted::EligibilityExpired => "eligibility_expired",
            NotCounted::NotEligibleInPeriod => "not_eligible_in_period",
            NotCounted::AgeOutOfRange => "age_out_of_range",
            NotCounted::NoSummerService => "no_summer_service",
            NotCounted::SummerServiceNotWhileEligible => "summer_service_not_while_eligible",
            NotCounted::NotCategory1 => "not_category_1",
        }
    }

    pub fn parse(code: &str) -> Option<NotCounted> {
        NotCounted::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn message(&self) -> &'static str {
        match self {
            NotCounted::NoBirthDate => "no birth date: the age cannot be established",
            NotCounted::NoQualifyingMove => "no qualifying move (no qualifying arrival date)",
            NotCounted::QadAfterPeriod => "the qualifying arrival date is after the period",
            NotCounted::EligibilityExpired => "eligibility expired before the period",
            NotCounted::NotEligibleInPeriod => "not eligible on any day of the period",
            NotCounted::AgeOutOfRange => "not aged 3 through 21 on any eligible day of the period",
            NotCounted::NoSummerService => {
                "no summer or intersession MEP project enrollment in the period"
            }
            NotCounted::SummerServiceNotWhileEligible => {
                "summer/intersession service in the period, but not while eligible and aged 3 through 21"
            }
            NotCounted::NotCategory1 => "not in Category 1",
        }
    }
}

/// The decision for one child in one state and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildCountDecision {
    /// `Ok(first counted day)` or the reason the child is not in Category 1.
    pub category1: Result<NaiveDate, NotCounted>,
    /// `Ok(first counted service day)` or the reason the child is not in Category 2.
    pub category2: Result<NaiveDate, NotCounted>,
    /// Age on the first Category 1 day (3..=21) when counted.
    pub age: Option<i32>,
    /// Grade of the latest enrollment (by enrollment date) that overlaps the period.
    pub grade: Option<GradeLevel>,
}

impl ChildCountDecision {
    pub fn in_category1(&self) -> bool {
        self.category1.is_ok()
    }
    pub fn in_category2(&self) -> bool {
        self.category2.is_ok()
    }
}

/// Inclusive date interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    from: NaiveDate,
    to: NaiveDate,
}

impl Span {
    fn new(from: NaiveDate, to: NaiveDate) -> Option<Span> {
        (from <= to).then_some(Span { from, to })
    }
    fn intersect(&self, o: &Span) -> Option<Span> {
        Span::new(self.from.max(o.from), self.to.min(o.to))
    }
}

/// Decides Category 1 and 2 for one child's data in one state.
pub fn decide(
    data: &EligibilityData,
    period: &PerformancePeriod,
    policy: &ChildCountPolicy,
) -> ChildCountDecision {
    let p = Span {
        from: period.start,
        to: period.end,
    };
    let grade = data
        .enrollments
        .iter()
        .filter(|e| e.enrollment_date <= p.to && e.withdrawal_date.is_none_or(|w| w >= p.from))
        .max_by_key(|e| e.enrollment_date)
        .and_then(|e| e.grade_level);
    let category1 = category1_windows(data, &p, policy);
    let (category1, windows) = match category1 {
        Ok(w) => (
            w.first().map(|s| s.from).ok_or(NotCounted::AgeOutOfRange),
            w,
        ),
        Err(r) => (Err(r), Vec::new()),
    };
    let age = match (&category1, data.birth_date) {
        (Ok(first), Some(b)) => Some(policy::age_on(b, *first)),
        _ => None,
    };
    let category2 = match category1 {
        Err(_) => Err(NotCounted::NotCategory1),
        Ok(_) => {
            let summer: Vec<Span> = data
                .enrollments
                .iter()
                .filter(|e| policy.is_summer(e))
                .filter_map(|e| {
                    Span::new(e.enrollment_date, e.withdrawal_date.unwrap_or(p.to))
                        .and_then(|s| s.intersect(&p))
                })
                .collect();
            if summer.is_empty() {
                Err(NotCounted::NoSummerService)
            } else {
                summer
                    .iter()
                    .flat_map(|s| windows.iter().filter_map(|w| w.intersect(s)))
                    .map(|s| s.from)
                    .min()
                    .ok_or(NotCounted::SummerServiceNotWhileEligible)
            }
        }
    };
    ChildCountDecision {
        category1,
        category2,
        age,
        grade,
    }
}

/// The days of the period on which the child was eligible and aged 3 through 21, sorted.
fn category1_windows(
    data: &EligibilityData,
    p: &Span,
    policy: &ChildCountPolicy,
) -> Result<Vec<Span>, NotCounted> {
    if data.moves.is_empty() {
        return Err(NotCounted::NoQualifyingMove);
    }
    let eligible: Vec<Span> = data
        .moves
        .iter()
        .filter_map(|m| {
            let last = m.eligibility_expiration_date.pred_opt()?;
            Span::new(m.qualifying_arrival_date, last)?.intersect(p)
        })
        .collect();
    if eligible.is_empty() {
        return Err(
            if data.moves.iter().all(|m| m.qualifying_arrival_date > p.to) {
                NotCounted::QadAfterPeriod
            } else if data
                .moves
                .iter()
                .all(|m| m.eligibility_expiration_date <= p.from)
            {
                NotCounted::EligibilityExpired
            } else {
                NotCounted::NotEligibleInPeriod
            },
        );
    }
    let birth = data.birth_date.ok_or(NotCounted::NoBirthDate)?;
    let from = policy::birthday(birth, policy.min_age_years).ok_or(NotCounted::AgeOutOfRange)?;
    let until = policy::birthday(birth, policy.age_limit_years)
        .and_then(|d| d.pred_opt())
        .ok_or(NotCounted::AgeOutOfRange)?;
    let aged = Span::new(from, until).ok_or(NotCounted::AgeOutOfRange)?;
    let mut w: Vec<Span> = eligible.iter().filter_map(|e| e.intersect(&aged)).collect();
    if w.is_empty() {
        return Err(NotCounted::AgeOutOfRange);
    }
    w.sort_by_key(|s| s.from);
    Ok(w)
}

/// Category 1 and Category 2 counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCounts {
    pub category1: u64,
    pub category2: u64,
}

/// The counts of one state (or of the nation, summed over states).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildCountTally {
    /// Children considered (with a live record in the state).
    pub children: u64,
    pub totals: CategoryCounts,
    /// By grade code of the latest enrollment overlapping the period; `none` without one.
    pub by_grade: BTreeMap<String, CategoryCounts>,
    /// By age on the first counted day.
    pub by_age: BTreeMap<i32, CategoryCounts>,
    /// Children not in Category 1, by reason.
    pub not_counted_category1: BTreeMap<String, u64>,
    /// Category 1 children not in Category 2, by reason.
    pub not_counted_category2: BTreeMap<String, u64>,
    /// Counted children with a service indicator in the period, by [`SERVICES`] key (`pfs`,
    /// `el`, `idea`; a child may be under several).
    #[serde(default)]
    pub by_service: BTreeMap<String, CategoryCounts>,
}

/// The keys of [`ChildCountTally::by_service`], in report order.
pub const SERVICES: [&str; 3] = ["pfs", "el", "idea"];

impl ChildCountTally {
    /// Adds one child's decision.
    pub fn add(&mut self, d: &ChildCountDecision) {
        self.add_children(
            1,
            d.category1.err().map(|r| r.code()),
            d.category2.err().map(|r| r.code()),
            d.age,
            d.grade.map(|g| g.code()),
        );
    }

    /// Adds `n` children with the same decision, given by its codes: the reason code when not
    /// in Category 1 (`not_category1`) or not in Category 2 (`not_category2`), `None` when
    /// counted; the age and the grade code as in [`ChildCountDecision`].
    pub fn add_children(
        &mut self,
        n: u64,
        not_category1: Option<&str>,
        not_category2: Option<&str>,
        age: Option<i32>,
        grade: Option<&str>,
    ) {
        self.children += n;
        if let Some(r) = not_category1 {
            *self.not_counted_category1.entry(r.into()).or_default() += n;
            return;
        }
        let c2 = if not_category2.is_none() { n } else { 0 };
        self.totals.category1 += n;
        self.totals.category2 += c2;
        let e = self
            .by_grade
            .entry(grade.unwrap_or("none").to_string())
            .or_default();
        e.category1 += n;
        e.category2 += c2;
        if let Some(age) = age {
            let e = self.by_age.entry(age).or_default();
            e.category1 += n;
            e.category2 += c2;
        }
        if let Some(r) = not_category2 {
            *self.not_counted_category2.entry(r.into()).or_default() += n;
        }
    }

    /// Adds another tally (national totals: a child counts once per state).
    /// Adds service indicators: of `category1` counted children, `category2` of them also in
    /// Category 2, each with indicator `key` (one of [`SERVICES`]).
    pub fn add_service(&mut self, key: &str, category1: u64, category2: u64) {
        if category1 == 0 && category2 == 0 {
            return;
        }
        let e = self.by_service.entry(key.to_owned()).or_default();
        e.category1 += category1;
        e.category2 += category2;
    }

    pub fn merge(&mut self, o: &ChildCountTally) {
        self.children += o.children;
        self.totals.category1 += o.totals.category1;
        self.totals.category2 += o.totals.category2;
        for (k, v) in &o.by_grade {
            let e = self.by_grade.entry(k.clone()).or_default();
            e.category1 += v.category1;
            e.category2 += v.category2;
        }
        for (k, v) in &o.by_age {
            let e = self.by_age.entry(*k).or_default();
            e.category1 += v.category1;
            e.category2 += v.category2;
        }
        for (k, v) in &o.not_counted_category1 {
            *self.not_counted_category1.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.not_counted_category2 {
            *self.not_counted_category2.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.by_service {
            self.add_service(k, v.category1, v.category2);
        }
    }
}

// ---------------------------------------------------------------- reconciliation

/// One child of the state's count, as Puente sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PuenteCountLine {
    pub msix_id: String,
    /// The state's IDs of the child (every live record of that state).
    pub state_student_ids: Vec<String>,
    /// `None` when counted in Category 1, or the reason the child is not.
    pub category1: Option<NotCounted>,
    /// `None` when counted in Category 2, or the reason the child is not.
    pub category2: Option<NotCounted>,
    /// Another child of the same state has the same folded first and last name and birth date.
    pub possible_duplicate: bool,
}

impl PuenteCountLine {
    /// The highest category the child is counted in: 0 (not counted), 1 or 2.
    pub fn category(&self) -> u8 {
        if self.category2.is_none() {
            2
        } else if self.category1.is_none() {
            1
        } else {
            0
        }
    }
}

/// One row of a state's own list: `state_student_id,category` (category 1 or 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateListRow {
    pub state_student_id: String,
    pub category: u8,
}

/// A difference between the state's list and Puente's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationLine {
    pub state_student_id: String,
    pub msix_id: Option<String>,
    /// Category on the state's list (0: not listed).
    pub state_category: u8,
    /// Category Puente counts (0: not counted).
    pub puente_category: u8,
    /// `not_counted` code, `unknown_state_student_id`, `not_on_state_list`,
    /// `listed_twice` or `possible_duplicate`.
    pub reason: String,
    pub message: String,
}

/// Parses the state's list: a header line `state_student_id,category` (either order, extra
/// columns ignored), one row per child, category `1` or `2`. Errors name the line.
pub fn parse_state_list(text: &str) -> Result<Vec<StateListRow>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("the file is empty")?;
    let cols: Vec<String> = split_csv(header)
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let pos = |name: &str| cols.iter().position(|c| c == name);
    let (Some(id_col), Some(cat_col)) = (pos("state_student_id"), pos("category")) else {
        return Err("line 1: the header must name state_student_id and category".into());
    };
    let mut out = Vec::new();
    for (i, line) in lines {
        let f = split_csv(line);
        let id = f.get(id_col).map(|s| s.trim()).unwrap_or_default();
        let cat = f.get(cat_col).map(|s| s.trim()).unwrap_or_default();
        if id.is_empty() {
            return Err(format!("line {}: state_student_id is empty", i + 1));
        }
        let category = match cat {
            "1" => 1,
            "2" => 2,
            _ => return Err(format!("line {}: category must be 1 or 2", i + 1)),
        };
        out.push(StateListRow {
            state_student_id: id.to_string(),
            category,
        });
    }
    Ok(out)
}

fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Lists every child counted on one side and not the other (or in another category), with the
/// reason, plus every counted child Puente holds as a possible duplicate.
pub fn reconcile(puente: &[PuenteCountLine], state: &[StateListRow]) -> Vec<ReconciliationLine> {
    let mut by_ssid: HashMap<&str, usize> =
        HashMap::with_capacity(puente.iter().map(|l| l.state_student_ids.len()).sum());
    for (i, l) in puente.iter().enumerate() {
        for s in &l.state_student_ids {
            by_ssid.insert(s.as_str(), i);
        }
    }
    // The state's rows of each Puente line, by line.
    let mut listed: Vec<Vec<&StateListRow>> = vec![Vec::new(); puente.len()];
    let mut out = Vec::new();
    for row in state {
        match by_ssid.get(row.state_student_id.as_str()) {
            None => out.push(ReconciliationLine {
                state_student_id: row.state_student_id.clone(),
                msix_id: None,
                state_category: row.category,
                puente_category: 0,
                reason: "unknown_state_student_id".into(),
                message: "Puente holds no live record of the state under this ID".into(),
            }),
            Some(&i) => listed[i].push(row),
        }
    }
    for (l, rows) in puente.iter().zip(&listed) {
        let pc = l.category();
        let sc = rows.iter().map(|r| r.category).max().unwrap_or(0);
        let line = |reason: &str, message: &str| ReconciliationLine {
            state_student_id: rows.first().map_or_else(
                || l.state_student_ids.first().cloned().unwrap_or_default(),
                |r| r.state_student_id.clone(),
            ),
            msix_id: Some(l.msix_id.clone()),
            state_category: sc,
            puente_category: pc,
            reason: reason.into(),
            message: message.into(),
        };
        if rows.len() > 1 {
            out.push(line(
                "listed_twice",
                "the state lists this child under more than one ID",
            ));
        }
        if pc != sc {
            if sc == 0 {
                out.push(line(
                    "not_on_state_list",
                    "counted by Puente, not on the state's list",
                ));
            } else {
                let reason = if pc == 0 { l.category1 } else { l.category2 };
                match reason {
                    Some(r) => out.push(line(r.code(), r.message())),
                    None => out.push(line(
                        "puente_counts_category_2",
                        "Puente counts the child in Category 2 (summer/intersession service while eligible)",
                    )),
                }
            }
        }
        if pc > 0 && l.possible_duplicate {
            out.push(line(
                "possible_duplicate",
                "possible duplicate: another child of the state has the same name and birth date",
            ));
        }
    }
    // Lines equal in every compared field are equal whole, so an unstable sort is deterministic.
    out.sort_unstable_by(|a, b| {
        (&a.state_student_id, &a.reason, a.state_category, &a.msix_id).cmp(&(
            &b.state_student_id,
            &b.reason,
            b.state_category,
            &b.msix_id,
        ))
    });
    out
}

/// The first day of the period in which `d` falls, as its start year.
pub fn period_start_year_of(d: NaiveDate, policy: &ChildCountPolicy) -> i32 {
    if (d.month(), d.day()) >= (policy.period_start_month, policy.period_start_day) {
        d.year()
    } else {
        d.year() - 1
    }
}
