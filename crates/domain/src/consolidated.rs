//! The Consolidated Student Record: every state's records of one child, assembled into one view
//! where each value keeps its provenance (which state sent it, and when) and disagreements
//! between states are shown, not hidden.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::codes::{CodeSet, GradeLevel, StateCode};
use crate::msix::MsixId;
use crate::records::{Assessment, Course, Enrollment, QualifyingMove, StudentRecord};

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    pub state: StateCode,
    pub state_student_id: String,
    pub received_at: DateTime<Utc>,
}

/// A state record with its provenance, as input to consolidation.
#[derive(Debug, Clone)]
pub struct SourcedRecord {
    pub source: Source,
    pub record: StudentRecord,
}

/// One element's value with its provenance. `others` holds the different values other states
/// sent (conflicts), newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub value: String,
    pub source: Source,
    pub others: Vec<(String, Source)>,
}

impl Field {
    pub fn conflicting(&self) -> bool {
        !self.others.is_empty()
    }
}

/// An item of a list (enrollment, move, course, assessment) with its provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sourced<T> {
    pub item: T,
    pub source: Source,
}

/// Credits earned in one subject area.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditSummary {
    pub subject_area: String,
    /// Hundredths of a credit.
    pub credits_hundredths: u32,
    pub courses: usize,
    /// Courses left with partial credit (no final grade or less than one credit).
    pub partial_courses: usize,
}

/// Courses of one school year and term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CourseGroup {
    pub school_year: String,
    pub term: String,
    pub courses: Vec<Sourced<Course>>,
}

/// The consolidated record of one child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsolidatedRecord {
    pub msix_id: MsixId,
    /// Identity, demographics, parents and contacts, by element field name.
    pub identity: BTreeMap<&'static str, Field>,
    pub state_ids: Vec<Source>,
    pub alternate_ids: Vec<Sourced<String>>,
    pub qualifying_moves: Vec<Sourced<QualifyingMove>>,
    /// Enrollment history across states, most recent first.
    pub enrollments: Vec<Sourced<Enrollment>>,
    pub course_groups: Vec<CourseGroup>,
    pub credit_summary: Vec<CreditSummary>,
    pub algebra1: Option<Field>,
    pub graduation: Option<Field>,
    pub designated_graduation_school: Option<Field>,
    pub assessments: Vec<Sourced<Assessment>>,
    pub latest_grade: Option<GradeLevel>,
    pub multiple_birth: bool,
    /// The individual state records behind this one (the historical view, for splits).
    pub state_records: Vec<SourcedRecord>,
}

impl PartialEq for SourcedRecord {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source && self.record == other.record
    }
}
impl Eq for SourcedRecord {}
impl Serialize for SourcedRecord {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SourcedRecord", 2)?;
        st.serialize_field("source", &self.source)?;
        st.serialize_field("record", &self.record)?;
        st.end()
    }
}

fn yes_no(b: bool) -> String {
    if b { "Yes".into() } else { "No".into() }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Accumulates one element across records, newest first: the newest value wins, different values
/// from other states are kept as conflicts. Values are compared case- and accent-insensitively so
/// that "JOSE" and "José" are not reported as a conflict.
fn collect(
    records: &[&SourcedRecord],
    get: impl Fn(&StudentRecord) -> Option<String>,
) -> Option<Field> {
    let mut field: Option<Field> = None;
    for r in records {
        let Some(v) = get(&r.record) else { continue };
        match &mut field {
            None => {
                field = Some(Field {
                    value: v,
                    source: r.source.clone(),
                    others: Vec::new(),
                })
            }
            Some(f) => {
                let same = crate::normalize::fold(&f.value) == crate::normalize::fold(&v);
                let known = f
                    .others
                    .iter()
                    .any(|(o, _)| crate::normalize::fold(o) == crate::normalize::fold(&v));
                if !same && !known {
                    f.others.push((v, r.source.clone()));
                }
            }
        }
    }
    field
}

/// Builds the consolidated record from every state record of the child.
pub fn consolidate(msix_id: MsixId, records: Vec<SourcedRecord>) -> ConsolidatedRecord {
    let mut sorted: Vec<&SourcedRecord> = records.iter().collect();
    // Newest information first: by the latest enrollment date, then by receipt.
    let latest = |r: &StudentRecord| r.enrollments.iter().map(|e| e.enrollment_date).max();
    sorted.sort_by(|a, b| {
        latest(&b.record)
            .cmp(&latest(&a.record))
            .then(b.source.received_at.cmp(&a.source.received_at))
    });

    let mut identity = BTreeMap::new();
    macro_rules! id_field {
        ($name:literal, $get:expr) => {
            if let Some(f) = collect(&sorted, $get) {
                identity.insert($name, f);
            }
        };
    }
    id_field!("first_name", |r: &StudentRecord| Some(
        r.demographics.first_name.clone()
    ));
    id_field!("middle_name", |r: &StudentRecord| r
        .demographics
        .middle_name
        .clone());
    id_field!("last_name_1", |r: &StudentRecord| Some(
        r.demographics.last_name_1.clone()
    ));
    id_field!("last_name_2", |r: &StudentRecord| r
        .demographics
        .last_name_2
        .clone());
    id_field!("suffix", |r: &StudentRecord| r.demographics.suffix.clone());
    id_field!("sex", |r: &StudentRecord| r
        .demographics
        .sex
        .map(|s| s.label().to_string()));
    id_field!("birth_date", |r: &StudentRecord| r
        .demographics
        .birth_date
        .map(date));
    id_field!("multiple_birth_flag", |r: &StudentRecord| r
        .demographics
        .multiple_birth
        .map(yes_no));
    id_field!("birth_city", |r: &StudentRecord| r
        .demographics
        .birth_city
        .clone());
    id_field!("birth_state", |r: &StudentRecord| r
        .demographics
        .birth_state
        .clone());
    id_field!("birth_country", |r: &StudentRecord| r
        .demographics
        .birth_country
        .clone());
    id_field!("birth_date_verification", |r: &StudentRecord| r
        .demographics
        .birth_date_verification
        .map(|v| v.label().to_string()));
    id_field!("parent1_first_name", |r: &StudentRecord| r
        .demographics
        .parent1_first_name
        .clone());
    id_field!("parent1_last_name", |r: &StudentRecord| r
        .demographics
        .parent1_last_name
        .clone());
    id_field!("parent2_first_name", |r: &StudentRecord| r
        .demographics
        .parent2_first_name
        .clone());
    id_field!("parent2_last_name", |r: &StudentRecord| r
        .demographics
        .parent2_last_name
        .clone());
    id_field!("parent1_email", |r: &StudentRecord| r
        .demographics
        .parent1_email
        .clone());
    id_field!("parent2_email", |r: &StudentRecord| r
        .demographics
        .parent2_email
        .clone());
    id_field!("parent1_phone", |r: &StudentRecord| r
        .demographics
        .parent1_phone
        .clone());
    id_field!("parent2_phone", |r: &StudentRecord| r
        .demographics
        .parent2_phone
        .clone());

    let mut alternate_ids = Vec::new();
    let mut qualifying_moves = Vec::new();
    let mut enrollments = Vec::new();
    let mut courses: Vec<Sourced<Course>> = Vec::new();
    let mut assessments = Vec::new();
    for r in &sorted {
        for a in &r.record.alternate_ids {
            alternate_ids.push(Sourced {
                item: a.id.clone(),
                source: r.source.clone(),
            });
        }
        for m in &r.record.qualifying_moves {
            qualifying_moves.push(Sourced {
                item: m.clone(),
                source: r.source.clone(),
            });
        }
        for e in &r.record.enrollments {
            enrollments.push(Sourced {
                item: e.clone(),
                source: r.source.clone(),
            });
        }
        for c in &r.record.courses {
            courses.push(Sourced {
                item: c.clone(),
                source: r.source.clone(),
            });
        }
        for a in &r.record.assessments {
            assessments.push(Sourced {
                item: a.clone(),
                source: r.source.clone(),
            });
        }
    }
    qualifying_moves.sort_by(|a, b| {
        b.item
            .qualifying_arrival_date
            .cmp(&a.item.qualifying_arrival_date)
    });
    enrollments.sort_by_key(|e| std::cmp::Reverse(e.item.enrollment_date));
    assessments.sort_by(|a, b| {
        b.item
            .administration_month
            .cmp(&a.item.administration_month)
    });

    // Courses grouped by school year and term, most recent year first.
    let mut groups: BTreeMap<(String, String), Vec<Sourced<Course>>> = BTreeMap::new();
    let mut credits: BTreeMap<String, CreditSummary> = BTreeMap::new();
    for c in courses {
        let year = match (c.item.begin_year, c.item.end_year) {
            (Some(b), Some(e)) => format!("{b}-{e}"),
            (Some(b), None) => format!("{b}-{}", b + 1),
            _ => String::new(),
        };
        let term = c
            .item
            .term_type
            .map(|t| t.label().to_string())
            .unwrap_or_default();
        let subject = c.item.subject_area.clone().unwrap_or_default();
        let s = credits
            .entry(subject.clone())
            .or_insert_with(|| CreditSummary {
                subject_area: subject,
                credits_hundredths: 0,
                courses: 0,
                partial_courses: 0,
            });
        s.credits_hundredths += u32::from(c.item.credits_hundredths.unwrap_or(0));
        s.courses += 1;
        if c.item.is_partial() {
            s.partial_courses += 1;
        }
        groups.entry((year, term)).or_default().push(c);
    }
    let mut course_groups: Vec<CourseGroup> = groups
        .into_iter()
        .map(|((school_year, term), courses)| CourseGroup {
            school_year,
            term,
            courses,
        })
        .collect();
    course_groups.reverse();

    let enrollment_field = |get: &dyn Fn(&Enrollment) -> Option<String>| -> Option<Field> {
        let mut f: Option<Field> = None;
        for e in &enrollments {
            if let Some(v) = get(&e.item) {
                match &mut f {
                    None => {
                        f = Some(Field {
                            value: v,
                            source: e.source.clone(),
                            others: Vec::new(),
                        })
                    }
                    Some(f) if f.value != v && !f.others.iter().any(|(o, _)| *o == v) => {
                        f.others.push((v, e.source.clone()))
                    }
                    _ => {}
                }
            }
        }
        f
    };
    let algebra1 = enrollment_field(&|e| e.algebra1.map(yes_no));
    let graduation = enrollment_field(&|e| e.graduation_hse.map(|g| g.code().to_string()));
    let designated_graduation_school =
        enrollment_field(&|e| e.designated_graduation_school.clone());
    let latest_grade = enrollments.iter().find_map(|e| e.item.grade_level);
    let multiple_birth = records
        .iter()
        .any(|r| r.record.demographics.multiple_birth == Some(true));
    let state_ids = sorted.iter().map(|r| r.source.clone()).collect();

    ConsolidatedRecord {
        msix_id,
        identity,
        state_ids,
        alternate_ids,
        qualifying_moves,
        enrollments,
        course_groups,
        credit_summary: credits.into_values().collect(),
        algebra1,
        graduation,
        designated_graduation_school,
        assessments,
        latest_grade,
        multiple_birth,
        state_records: records,
    }
}
