//! Student records: the raw form (every element as text, as it arrives in a file) and the typed,
//! validated form. `validate` turns one into the other and reports every problem with its element
//! name, the offending value and the rule; it never panics and never truncates.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::codes::*;
use crate::msix::MsixId;
use crate::validate::{Issue, Rule, Validator};
use crate::{Policy, policy};

// ---------------------------------------------------------------- raw (wire-neutral text) form

/// An alternate ID as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAlternateId {
    pub alternate_record_id: String,
    pub alternate_student_id: String,
    pub alternate_student_id_type: String,
}

/// Demographics as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawDemographics {
    pub first_name: String,
    pub middle_name: String,
    pub last_name_1: String,
    pub last_name_2: String,
    pub suffix: String,
    pub sex: String,
    pub birth_date: String,
    pub multiple_birth_flag: String,
    pub birth_city: String,
    pub birth_state: String,
    pub birth_country: String,
    pub birth_date_verification: String,
    pub parent1_first_name: String,
    pub parent1_last_name: String,
    pub parent2_first_name: String,
    pub parent2_last_name: String,
    pub parent1_email: String,
    pub parent2_email: String,
    pub parent1_phone: String,
    pub parent2_phone: String,
}

/// A qualifying move as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawQualifyingMove {
    pub qualifying_arrival_date: String,
    pub from_city: String,
    pub from_state: String,
    pub from_country: String,
    pub to_city: String,
    pub to_state: String,
    pub eligibility_expiration_date: String,
}

/// An enrollment as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawEnrollment {
    pub enrollment_date: String,
    pub enrollment_type: String,
    pub school_or_project_name: String,
    pub mep_project_type: String,
    pub school_id: String,
    pub facility_name: String,
    pub facility_address_1: String,
    pub facility_address_2: String,
    pub facility_address_3: String,
    pub facility_city: String,
    pub district_id: String,
    pub district_name: String,
    pub facility_state: String,
    pub facility_zip: String,
    pub telephone: String,
    pub grade_level: String,
    pub lep_indicator: String,
    pub idea_indicator: String,
    pub med_alert_indicator: String,
    pub pfs_flag: String,
    pub immunization_record_flag: String,
    pub withdrawal_date: String,
    pub district_of_residence: String,
    pub residency_date: String,
    pub residency_verification_date: String,
    pub designated_graduation_school: String,
    pub graduation_hse_indicator: String,
    pub graduation_hse_date: String,
    pub out_of_state_transcript: String,
    pub continuation_reason: String,
    pub algebra1_indicator: String,
    pub comment: String,
}

/// A course history record as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawCourse {
    pub course_title: String,
    pub subject_area: String,
    pub course_type: String,
    pub begin_year: String,
    pub end_year: String,
    pub course_section: String,
    pub term_type: String,
    pub clock_hours: String,
    pub grade_to_date: String,
    pub credits_granted: String,
    pub final_grade: String,
}

/// An assessment as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawAssessment {
    pub title: String,
    pub content: String,
    pub assessment_type: String,
    pub administration_date: String,
    pub reporting_method: String,
    pub score: String,
    pub interpretation: String,
}

/// One student record of a submission, every element as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RawStudent {
    pub student_record_id: String,
    pub msix_id: String,
    pub reporting_state: String,
    pub state_student_id: String,
    pub state_student_id_type: String,
    pub action_code: String,
    pub alternate_ids: Vec<RawAlternateId>,
    pub demographics: RawDemographics,
    pub qualifying_moves: Vec<RawQualifyingMove>,
    pub enrollments: Vec<RawEnrollment>,
    pub courses: Vec<RawCourse>,
    pub assessments: Vec<RawAssessment>,
}

// ---------------------------------------------------------------- typed form

/// Another ID the state's systems use for the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlternateId {
    pub record_id: u16,
    pub id: String,
    pub id_type: Option<AlternateIdType>,
}

/// Identity and family.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demographics {
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name_1: String,
    pub last_name_2: Option<String>,
    pub suffix: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    pub multiple_birth: Option<bool>,
    pub birth_city: Option<String>,
    pub birth_state: Option<String>,
    pub birth_country: Option<String>,
    pub birth_date_verification: Option<BirthDateVerification>,
    pub parent1_first_name: Option<String>,
    pub parent1_last_name: Option<String>,
    pub parent2_first_name: Option<String>,
    pub parent2_last_name: Option<String>,
    pub parent1_email: Option<String>,
    pub parent2_email: Option<String>,
    pub parent1_phone: Option<String>,
    pub parent2_phone: Option<String>,
}

/// A qualifying move and the eligibility it gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifyingMove {
    pub qualifying_arrival_date: NaiveDate,
    pub from_city: Option<String>,
    pub from_state: Option<String>,
    pub from_country: Option<String>,
    pub to_city: Option<String>,
    pub to_state: Option<StateCode>,
    /// As submitted, or the policy default when the state left it empty.
    pub eligibility_expiration_date: NaiveDate,
    /// True when the expiration was computed from the policy rather than submitted.
    pub expiration_defaulted: bool,
}

/// An enrollment at a school or MEP project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub enrollment_date: NaiveDate,
    pub enrollment_type: Option<EnrollmentType>,
    pub school_or_project_name: Option<String>,
    pub mep_project_type: Option<MepProjectType>,
    pub school_id: Option<String>,
    pub facility_name: Option<String>,
    pub facility_address_1: Option<String>,
    pub facility_address_2: Option<String>,
    pub facility_address_3: Option<String>,
    pub facility_city: Option<String>,
    pub district_id: Option<String>,
    pub district_name: Option<String>,
    pub facility_state: Option<StateCode>,
    pub facility_zip: Option<String>,
    pub telephone: Option<String>,
    pub grade_level: Option<GradeLevel>,
    pub lep: Option<bool>,
    pub idea: Option<bool>,
    pub med_alert: Option<MedAlert>,
    pub pfs: Option<bool>,
    pub immunization_record: Option<bool>,
    pub withdrawal_date: Option<NaiveDate>,
    pub district_of_residence: Option<String>,
    pub residency_date: Option<NaiveDate>,
    pub residency_verification_date: Option<NaiveDate>,
    pub designated_graduation_school: Option<String>,
    pub graduation_hse: Option<GraduationHse>,
    pub graduation_hse_date: Option<NaiveDate>,
    pub out_of_state_transcript: Option<bool>,
    pub continuation_reason: Option<ContinuationReason>,
    pub algebra1: Option<bool>,
    pub comment: Option<String>,
}

/// A secondary course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Course {
    pub course_title: String,
    pub subject_area: Option<String>,
    pub course_type: Option<CourseType>,
    pub begin_year: Option<u16>,
    pub end_year: Option<u16>,
    pub course_section: Option<CourseSection>,
    pub term_type: Option<TermType>,
    pub clock_hours: Option<u16>,
    pub grade_to_date: Option<String>,
    /// Credits in hundredths (0.50 credit = 50).
    pub credits_hundredths: Option<u16>,
    pub final_grade: Option<String>,
}

impl Course {
    /// A course counts as partial credit when it was left before a final grade, or granted less
    /// than one full credit.
    pub fn is_partial(&self) -> bool {
        self.final_grade.is_none() || matches!(self.credits_hundredths, Some(c) if c < 100)
    }
}

/// An assessment result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    pub title: String,
    pub content: Option<String>,
    pub assessment_type: Option<AssessmentType>,
    /// First day of the administration month (the element carries month and year only).
    pub administration_month: Option<NaiveDate>,
    pub reporting_method: Option<ReportingMethod>,
    pub score: Option<String>,
    pub interpretation: Option<AssessmentInterpretation>,
}

/// A validated student record from one state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudentRecord {
    pub student_record_id: u32,
    pub msix_id: Option<MsixId>,
    pub reporting_state: StateCode,
    pub state_student_id: String,
    pub state_student_id_type: StudentIdType,
    pub action: ActionCode,
    pub alternate_ids: Vec<AlternateId>,
    pub demographics: Demographics,
    pub qualifying_moves: Vec<QualifyingMove>,
    pub enrollments: Vec<Enrollment>,
    pub courses: Vec<Course>,
    pub assessments: Vec<Assessment>,
}

/// What validation knows besides the record: today's date (time is a parameter) and policy.
#[derive(Debug, Clone)]
pub struct ValidationContext {
    pub today: NaiveDate,
    pub policy: Policy,
}

impl ValidationContext {
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            policy: Policy::default(),
        }
    }
}

fn yes_no(v: Option<YesNo>) -> Option<bool> {
    v.map(|y| y == YesNo::Yes)
}

impl StudentRecord {
    /// Validates a raw record. Returns the typed record when no error was found (warnings may
    /// still be reported) and every issue found, in element order.
    pub fn validate(
        raw: &RawStudent,
        ctx: &ValidationContext,
    ) -> (Option<StudentRecord>, Vec<Issue>) {
        let mut v = Validator::new(ctx.today);
        let record_id = v.number_in(
            "student_record_id",
            &raw.student_record_id,
            1,
            9_999_999,
            true,
        );
        let msix_id = v.msix_id("msix_id", &raw.msix_id);
        let state = v.code::<StateCode>("reporting_state", &raw.reporting_state, true);
        let ssid = v.identifier("state_student_id", &raw.state_student_id, true);
        let id_type =
            v.code::<StudentIdType>("state_student_id_type", &raw.state_student_id_type, true);
        let action = v.code::<ActionCode>("action_code", &raw.action_code, true);

        let mut alternate_ids = Vec::new();
        for (i, a) in raw.alternate_ids.iter().enumerate() {
            v.enter(format!("alternate_ids[{i}]"));
            let rid = v.number_in("alternate_record_id", &a.alternate_record_id, 1, 999, true);
            let id = v.identifier("alternate_student_id", &a.alternate_student_id, true);
            let id_type = v.code::<AlternateIdType>(
                "alternate_student_id_type",
                &a.alternate_student_id_type,
                false,
            );
            if let (Some(rid), Some(id)) = (rid, id) {
                alternate_ids.push(AlternateId {
                    record_id: rid as u16,
                    id,
                    id_type,
                });
            }
            v.leave();
        }

        let d = &raw.demographics;
        v.enter("demographics".to_string());
        let demographics = Demographics {
            first_name: v
                .name("first_name", &d.first_name, true)
                .unwrap_or_default(),
            middle_name: v.name("middle_name", &d.middle_name, false),
            last_name_1: v
                .name("last_name_1", &d.last_name_1, true)
                .unwrap_or_default(),
            last_name_2: v.name("last_name_2", &d.last_name_2, false),
            suffix: v.text("suffix", &d.suffix, false),
            sex: v.code::<Sex>("sex", &d.sex, true),
            birth_date: v.date("birth_date", &d.birth_date, true),
            multiple_birth: yes_no(v.code::<YesNo>(
                "multiple_birth_flag",
                &d.multiple_birth_flag,
                false,
            )),
            birth_city: v.text("birth_city", &d.birth_city, false),
            birth_state: v.letters("birth_state", &d.birth_state, 2, 2),
            birth_country: v.letters("birth_country", &d.birth_country, 2, 4),
            birth_date_verification: v.code::<BirthDateVerification>(
                "birth_date_verification",
                &d.birth_date_verification,
                false,
            ),
            parent1_first_name: v.name("parent1_first_name", &d.parent1_first_name, false),
            parent1_last_name: v.name("parent1_last_name", &d.parent1_last_name, false),
            parent2_first_name: v.name("parent2_first_name", &d.parent2_first_name, false),
            parent2_last_name: v.name("parent2_last_name", &d.parent2_last_name, false),
            parent1_email: v.email("parent1_email", &d.parent1_email),
            parent2_email: v.email("parent2_email", &d.parent2_email),
            parent1_phone: v.digits("parent1_phone", &d.parent1_phone, 7, 15),
            parent2_phone: v.digits("parent2_phone", &d.parent2_phone, 7, 15),
        };
        let birth = demographics.birth_date;
        if let Some(b) = birth {
            if b > ctx.today {
                v.issue(
                    "birth_date",
                    &d.birth_date,
                    Rule::Plausibility,
                    "the birth date is in the future",
                );
            } else if policy::age_on(b, ctx.today) > ctx.policy.max_plausible_age_years as i32 {
                v.issue(
                    "birth_date",
                    &d.birth_date,
                    Rule::Plausibility,
                    &format!(
                        "the child would be older than {} years",
                        ctx.policy.max_plausible_age_years
                    ),
                );
            }
        }
        v.leave();

        let mut qualifying_moves = Vec::new();
        for (i, m) in raw.qualifying_moves.iter().enumerate() {
            v.enter(format!("qualifying_moves[{i}]"));
            let qad = v.date("qualifying_arrival_date", &m.qualifying_arrival_date, true);
            let from_city = v.text("from_city", &m.from_city, false);
            let from_state = v.letters("from_state", &m.from_state, 2, 10);
            let from_country = v.letters("from_country", &m.from_country, 2, 4);
            let to_city = v.text("to_city", &m.to_city, false);
            let to_state = v.code::<StateCode>("to_state", &m.to_state, false);
            let submitted_exp = v.date(
                "eligibility_expiration_date",
                &m.eligibility_expiration_date,
                false,
            );
            if let Some(qad) = qad {
                if qad > ctx.today {
                    v.issue(
                        "qualifying_arrival_date",
                        &m.qualifying_arrival_date,
                        Rule::Plausibility,
                        "the qualifying arrival date is in the future",
                    );
                }
                if let Some(b) = birth
                    && qad < b
                {
                    v.issue(
                        "qualifying_arrival_date",
                        &m.qualifying_arrival_date,
                        Rule::DateOrder,
                        "the qualifying arrival date is before the birth date",
                    );
                }
                let default_exp = ctx.policy.default_eligibility_expiration(qad, birth);
                if let (Some(exp), Some(max)) = (submitted_exp, default_exp) {
                    if exp < qad {
                        v.issue(
                            "eligibility_expiration_date",
                            &m.eligibility_expiration_date,
                            Rule::DateOrder,
                            "the eligibility expiration date is before the qualifying arrival date",
                        );
                    } else if exp > max {
                        v.issue(
                            "eligibility_expiration_date",
                            &m.eligibility_expiration_date,
                            Rule::Range,
                            &format!(
                                "eligibility ends {} months after the qualifying arrival date or when the child turns {}, whichever is first ({max})",
                                ctx.policy.eligibility_months, ctx.policy.eligibility_age_limit_years
                            ),
                        );
                    }
                }
                if let Some(exp) = submitted_exp.or(default_exp) {
                    qualifying_moves.push(QualifyingMove {
                        qualifying_arrival_date: qad,
                        from_city,
                        from_state,
                        from_country,
                        to_city,
                        to_state,
                        eligibility_expiration_date: exp,
                        expiration_defaulted: submitted_exp.is_none(),
                    });
                }
            }
            v.leave();
        }

        let is_secondary_enrollment = |grade: Option<GradeLevel>, on: NaiveDate| -> bool {
            match grade {
                Some(g) => match g.number() {
                    Some(n) => n >= ctx.policy.secondary_min_grade,
                    None => {
                        matches!(g, GradeLevel::UG | GradeLevel::OS)
                            && birth.is_some_and(|b| {
                                policy::age_on(b, on)
                                    >= ctx.policy.secondary_min_age_ungraded as i32
                            })
                    }
                },
                None => false,
            }
        };

        let mut enrollments = Vec::new();
        let mut any_secondary = false;
        for (i, e) in raw.enrollments.iter().enumerate() {
            v.enter(format!("enrollments[{i}]"));
            let enrollment_date = v.date("enrollment_date", &e.enrollment_date, true);
            let grade = v.code::<GradeLevel>("grade_level", &e.grade_level, false);
            let en = Enrollment {
                enrollment_date: enrollment_date.unwrap_or(NaiveDate::MIN),
                enrollment_type: v.code::<EnrollmentType>(
                    "enrollment_type",
                    &e.enrollment_type,
                    false,
                ),
                school_or_project_name: v.text(
                    "school_or_project_name",
                    &e.school_or_project_name,
                    false,
                ),
                mep_project_type: v.code::<MepProjectType>(
                    "mep_project_type",
                    &e.mep_project_type,
                    false,
                ),
                school_id: v.digits("school_id", &e.school_id, 12, 12),
                facility_name: v.text("facility_name", &e.facility_name, false),
                facility_address_1: v.text("facility_address_1", &e.facility_address_1, false),
                facility_address_2: v.text("facility_address_2", &e.facility_address_2, false),
                facility_address_3: v.text("facility_address_3", &e.facility_address_3, false),
                facility_city: v.text("facility_city", &e.facility_city, false),
                district_id: v.digits("district_id", &e.district_id, 7, 7),
                district_name: v.text("district_name", &e.district_name, false),
                facility_state: v.code::<StateCode>("facility_state", &e.facility_state, false),
                facility_zip: v.zip("facility_zip", &e.facility_zip),
                telephone: v.digits("telephone", &e.telephone, 10, 10),
                grade_level: grade,
                lep: yes_no(v.code::<YesNo>("lep_indicator", &e.lep_indicator, false)),
                idea: yes_no(v.code::<YesNo>("idea_indicator", &e.idea_indicator, false)),
                med_alert: v.code::<MedAlert>("med_alert_indicator", &e.med_alert_indicator, false),
                pfs: yes_no(v.code::<YesNo>("pfs_flag", &e.pfs_flag, false)),
                immunization_record: yes_no(v.code::<YesNo>(
                    "immunization_record_flag",
                    &e.immunization_record_flag,
                    false,
                )),
                withdrawal_date: v.date("withdrawal_date", &e.withdrawal_date, false),
                district_of_residence: v.digits(
                    "district_of_residence",
                    &e.district_of_residence,
                    7,
                    7,
                ),
                residency_date: v.date("residency_date", &e.residency_date, false),
                residency_verification_date: v.date(
                    "residency_verification_date",
                    &e.residency_verification_date,
                    false,
                ),
                designated_graduation_school: v.text(
                    "designated_graduation_school",
                    &e.designated_graduation_school,
                    false,
                ),
                graduation_hse: v.code::<GraduationHse>(
                    "graduation_hse_indicator",
                    &e.graduation_hse_indicator,
                    false,
                ),
                graduation_hse_date: v.date("graduation_hse_date", &e.graduation_hse_date, false),
                out_of_state_transcript: yes_no(v.code::<YesNo>(
                    "out_of_state_transcript",
                    &e.out_of_state_transcript,
                    false,
                )),
                continuation_reason: v.code::<ContinuationReason>(
                    "continuation_reason",
                    &e.continuation_reason,
                    false,
                ),
                algebra1: yes_no(v.code::<YesNo>(
                    "algebra1_indicator",
                    &e.algebra1_indicator,
                    false,
                )),
                comment: v.text("comment", &e.comment, false),
            };
            if let Some(start) = enrollment_date {
                if start > ctx.today {
                    v.issue(
                        "enrollment_date",
                        &e.enrollment_date,
                        Rule::Plausibility,
                        "the enrollment date is in the future",
                    );
                }
                if let Some(b) = birth
                    && start < b
                {
                    v.issue(
                        "enrollment_date",
                        &e.enrollment_date,
                        Rule::DateOrder,
                        "the enrollment date is before the birth date",
                    );
                }
                if let Some(w) = en.withdrawal_date
                    && w < start
                {
                    v.issue(
                        "withdrawal_date",
                        &e.withdrawal_date,
                        Rule::DateOrder,
                        "the withdrawal date is before the enrollment date",
                    );
                }
                // QAD <= residency date: the move that brought the child to this enrollment is the
                // latest one that arrived on or before the enrollment date.
                if let Some(res) = en.residency_date {
                    let qad = qualifying_moves
                        .iter()
                        .map(|m| m.qualifying_arrival_date)
                        .filter(|q| *q <= start)
                        .max();
                    if let Some(qad) = qad
                        && res < qad
                    {
                        v.issue(
                            "residency_date",
                            &e.residency_date,
                            Rule::DateOrder,
                            &format!(
                                "the residency date is before the qualifying arrival date ({qad})"
                            ),
                        );
                    }
                }
                if let (Some(res), Some(ver)) = (en.residency_date, en.residency_verification_date)
                    && ver < res
                {
                    v.issue(
                        "residency_verification_date",
                        &e.residency_verification_date,
                        Rule::DateOrder,
                        "the residency verification date is before the residency date",
                    );
                }
                let secondary = is_secondary_enrollment(grade, start);
                any_secondary |= secondary;
                if !secondary {
                    let secondary_only: [(&str, &str); 5] = [
                        (
                            "designated_graduation_school",
                            &e.designated_graduation_school,
                        ),
                        ("graduation_hse_indicator", &e.graduation_hse_indicator),
                        ("graduation_hse_date", &e.graduation_hse_date),
                        ("out_of_state_transcript", &e.out_of_state_transcript),
                        ("algebra1_indicator", &e.algebra1_indicator),
                    ];
                    for (field, value) in secondary_only {
                        if !value.trim().is_empty() {
                            v.issue(field, value, Rule::Applicability, "this element applies to secondary students only (grade 7 and above, or ungraded/out-of-school youth of secondary age)");
                        }
                    }
                }
                if en.graduation_hse_date.is_some() && en.graduation_hse.is_none() {
                    v.issue(
                        "graduation_hse_date",
                        &e.graduation_hse_date,
                        Rule::Required,
                        "a graduation/HSE date needs the Graduation/HSE Indicator",
                    );
                }
                if let (Some(b), Some(g)) = (birth, grade.and_then(|g| g.number())) {
                    let age = policy::age_on(b, start);
                    let expected = i32::from(g) + 6;
                    if (age - expected).abs() > 4 {
                        v.warn(
                            "grade_level",
                            &e.grade_level,
                            Rule::Plausibility,
                            &format!("grade {g} is unusual for a child aged {age}"),
                        );
                    }
                }
                enrollments.push(en);
            }
            v.leave();
        }

        let mut courses = Vec::new();
        for (i, c) in raw.courses.iter().enumerate() {
            v.enter(format!("courses[{i}]"));
            let title = v.text("course_title", &c.course_title, true);
            let begin_year = v
                .number_in("begin_year", &c.begin_year, 1900, 2100, false)
                .map(|n| n as u16);
            let end_year = v
                .number_in("end_year", &c.end_year, 1900, 2100, false)
                .map(|n| n as u16);
            let course = Course {
                course_title: title.clone().unwrap_or_default(),
                subject_area: v.text("subject_area", &c.subject_area, false),
                course_type: v.code::<CourseType>("course_type", &c.course_type, false),
                begin_year,
                end_year,
                course_section: v.code::<CourseSection>("course_section", &c.course_section, false),
                term_type: v.code::<TermType>("term_type", &c.term_type, false),
                clock_hours: v
                    .number_in("clock_hours", &c.clock_hours, 0, 9999, false)
                    .map(|n| n as u16),
                grade_to_date: v.text("grade_to_date", &c.grade_to_date, false),
                credits_hundredths: v.credits("credits_granted", &c.credits_granted),
                final_grade: v.text("final_grade", &c.final_grade, false),
            };
            if let (Some(b), Some(e)) = (begin_year, end_year)
                && (e < b || e > b + 1)
            {
                v.issue(
                    "end_year",
                    &c.end_year,
                    Rule::DateOrder,
                    "the end academic year must be the begin year or the one after it",
                );
            }
            let secondary = any_secondary
                || (raw.enrollments.is_empty()
                    && birth.is_some_and(|b| {
                        policy::age_on(b, ctx.today) >= ctx.policy.secondary_min_age_ungraded as i32
                    }));
            if !secondary {
                v.issue("course_title", &c.course_title, Rule::Applicability, "course history applies to secondary students only (grade 7 and above, or ungraded/out-of-school youth of secondary age)");
            }
            if title.is_some() {
                courses.push(course);
            }
            v.leave();
        }

        let mut assessments = Vec::new();
        for (i, a) in raw.assessments.iter().enumerate() {
            v.enter(format!("assessments[{i}]"));
            let title = v.text("title", &a.title, true);
            let month = v.month_year("administration_date", &a.administration_date);
            if let Some(m) = month {
                if m > ctx.today {
                    v.issue(
                        "administration_date",
                        &a.administration_date,
                        Rule::Plausibility,
                        "the administration date is in the future",
                    );
                }
                if let Some(b) = birth
                    && m < b.with_day0(0).unwrap_or(b)
                {
                    v.issue(
                        "administration_date",
                        &a.administration_date,
                        Rule::DateOrder,
                        "the administration date is before the birth date",
                    );
                }
            }
            let assessment = Assessment {
                title: title.clone().unwrap_or_default(),
                content: v.text("content", &a.content, false),
                assessment_type: v.code::<AssessmentType>(
                    "assessment_type",
                    &a.assessment_type,
                    false,
                ),
                administration_month: month,
                reporting_method: v.code::<ReportingMethod>(
                    "reporting_method",
                    &a.reporting_method,
                    false,
                ),
                score: v.text("score", &a.score, false),
                interpretation: v.code::<AssessmentInterpretation>(
                    "interpretation",
                    &a.interpretation,
                    false,
                ),
            };
            if title.is_some() {
                assessments.push(assessment);
            }
            v.leave();
        }

        let issues = v.finish();
        let has_error = issues.iter().any(|i| i.is_error());
        let record = match (record_id, state, ssid, id_type, action) {
            (
                Some(record_id),
                Some(reporting_state),
                Some(state_student_id),
                Some(id_type),
                Some(action),
            ) if !has_error => Some(StudentRecord {
                student_record_id: record_id as u32,
                msix_id,
                reporting_state,
                state_student_id,
                state_student_id_type: id_type,
                action,
                alternate_ids,
                demographics,
                qualifying_moves,
                enrollments,
                courses,
                assessments,
            }),
            _ => None,
        };
        (record, issues)
    }

    /// Whether any enrollment is at a secondary grade.
    pub fn is_secondary(&self, policy: &Policy) -> bool {
        self.enrollments.iter().any(|e| {
            e.grade_level
                .and_then(|g| g.number())
                .is_some_and(|n| n >= policy.secondary_min_grade)
        }) || !self.courses.is_empty()
    }

    /// Back to the raw form (as a state would send it), for writing files.
    pub fn to_raw(&self) -> RawStudent {
        fn s(o: &Option<String>) -> String {
            o.clone().unwrap_or_default()
        }
        fn c<T: CodeSet>(o: &Option<T>) -> String {
            o.map(|v| v.code().to_string()).unwrap_or_default()
        }
        fn yn(o: &Option<bool>) -> String {
            match o {
                Some(true) => "Yes".into(),
                Some(false) => "No".into(),
                None => String::new(),
            }
        }
        fn dt(o: &Option<NaiveDate>) -> String {
            o.map(|d| d.format("%Y%m%d").to_string())
                .unwrap_or_default()
        }
        let d = &self.demographics;
        RawStudent {
            student_record_id: self.student_record_id.to_string(),
            msix_id: self.msix_id.map(|m| m.to_string()).unwrap_or_default(),
            reporting_state: self.reporting_state.code().into(),
            state_student_id: self.state_student_id.clone(),
            state_student_id_type: self.state_student_id_type.code().into(),
            action_code: self.action.code().into(),
            alternate_ids: self
                .alternate_ids
                .iter()
                .map(|a| RawAlternateId {
                    alternate_record_id: a.record_id.to_string(),
                    alternate_student_id: a.id.clone(),
                    alternate_student_id_type: c(&a.id_type),
                })
                .collect(),
            demographics: RawDemographics {
                first_name: d.first_name.clone(),
                middle_name: s(&d.middle_name),
                last_name_1: d.last_name_1.clone(),
                last_name_2: s(&d.last_name_2),
                suffix: s(&d.suffix),
                sex: c(&d.sex),
                birth_date: dt(&d.birth_date),
                multiple_birth_flag: yn(&d.multiple_birth),
                birth_city: s(&d.birth_city),
                birth_state: s(&d.birth_state),
                birth_country: s(&d.birth_country),
                birth_date_verification: c(&d.birth_date_verification),
                parent1_first_name: s(&d.parent1_first_name),
                parent1_last_name: s(&d.parent1_last_name),
                parent2_first_name: s(&d.parent2_first_name),
                parent2_last_name: s(&d.parent2_last_name),
                parent1_email: s(&d.parent1_email),
                parent2_email: s(&d.parent2_email),
                parent1_phone: s(&d.parent1_phone),
                parent2_phone: s(&d.parent2_phone),
            },
            qualifying_moves: self
                .qualifying_moves
                .iter()
                .map(|m| RawQualifyingMove {
                    qualifying_arrival_date: dt(&Some(m.qualifying_arrival_date)),
                    from_city: s(&m.from_city),
                    from_state: s(&m.from_state),
                    from_country: s(&m.from_country),
                    to_city: s(&m.to_city),
                    to_state: c(&m.to_state),
                    eligibility_expiration_date: if m.expiration_defaulted {
                        String::new()
                    } else {
                        dt(&Some(m.eligibility_expiration_date))
                    },
                })
                .collect(),
            enrollments: self
                .enrollments
                .iter()
                .map(|e| RawEnrollment {
                    enrollment_date: dt(&Some(e.enrollment_date)),
                    enrollment_type: c(&e.enrollment_type),
                    school_or_project_name: s(&e.school_or_project_name),
                    mep_project_type: c(&e.mep_project_type),
                    school_id: s(&e.school_id),
                    facility_name: s(&e.facility_name),
                    facility_address_1: s(&e.facility_address_1),
                    facility_address_2: s(&e.facility_address_2),
                    facility_address_3: s(&e.facility_address_3),
                    facility_city: s(&e.facility_city),
                    district_id: s(&e.district_id),
                    district_name: s(&e.district_name),
                    facility_state: c(&e.facility_state),
                    facility_zip: s(&e.facility_zip),
                    telephone: s(&e.telephone),
                    grade_level: c(&e.grade_level),
                    lep_indicator: yn(&e.lep),
                    idea_indicator: yn(&e.idea),
                    med_alert_indicator: c(&e.med_alert),
                    pfs_flag: yn(&e.pfs),
                    immunization_record_flag: yn(&e.immunization_record),
                    withdrawal_date: dt(&e.withdrawal_date),
                    district_of_residence: s(&e.district_of_residence),
                    residency_date: dt(&e.residency_date),
                    residency_verification_date: dt(&e.residency_verification_date),
                    designated_graduation_school: s(&e.designated_graduation_school),
                    graduation_hse_indicator: c(&e.graduation_hse),
                    graduation_hse_date: dt(&e.graduation_hse_date),
                    out_of_state_transcript: yn(&e.out_of_state_transcript),
                    continuation_reason: c(&e.continuation_reason),
                    algebra1_indicator: yn(&e.algebra1),
                    comment: s(&e.comment),
                })
                .collect(),
            courses: self
                .courses
                .iter()
                .map(|k| RawCourse {
                    course_title: k.course_title.clone(),
                    subject_area: s(&k.subject_area),
                    course_type: c(&k.course_type),
                    begin_year: k.begin_year.map(|y| y.to_string()).unwrap_or_default(),
                    end_year: k.end_year.map(|y| y.to_string()).unwrap_or_default(),
                    course_section: c(&k.course_section),
                    term_type: c(&k.term_type),
                    clock_hours: k.clock_hours.map(|h| h.to_string()).unwrap_or_default(),
                    grade_to_date: s(&k.grade_to_date),
                    credits_granted: k
                        .credits_hundredths
                        .map(|h| format!("{}.{:02}", h / 100, h % 100))
                        .unwrap_or_default(),
                    final_grade: s(&k.final_grade),
                })
                .collect(),
            assessments: self
                .assessments
                .iter()
                .map(|a| RawAssessment {
                    title: a.title.clone(),
                    content: s(&a.content),
                    assessment_type: c(&a.assessment_type),
                    administration_date: a
                        .administration_month
                        .map(|m| m.format("%m%Y").to_string())
                        .unwrap_or_default(),
                    reporting_method: c(&a.reporting_method),
                    score: s(&a.score),
                    interpretation: c(&a.interpretation),
                })
                .collect(),
        }
    }
}

/// Convenience for callers that only need the error list.
pub fn issues_of(raw: &RawStudent, ctx: &ValidationContext) -> Vec<Issue> {
    StudentRecord::validate(raw, ctx).1
}
