//! The element tables shared by every encoding: for each record type, its fields in wire order
//! with the XML element name (PascalCase), the JSON/CSV name (the `RawStudent` field name) and
//! accessors. The CSV column order and the XSD follow these tables.

use puente_domain::RawStudent;
use puente_domain::records::{
    RawAlternateId, RawAssessment, RawCourse, RawDemographics, RawEnrollment, RawQualifyingMove,
};

/// One text element of a record type.
pub(crate) struct Field<T: 'static> {
    /// XML element name.
    pub xml: &'static str,
    /// JSON member name and CSV column name.
    pub name: &'static str,
    pub get: fn(&T) -> &str,
    pub get_mut: fn(&mut T) -> &mut String,
}

macro_rules! table {
    ($name:ident: $ty:ty { $($xml:literal => $f:ident),* $(,)? }) => {
        pub(crate) const $name: &[Field<$ty>] = &[$(Field {
            xml: $xml,
            name: stringify!($f),
            get: {
                fn g(x: &$ty) -> &str {
                    &x.$f
                }
                g
            },
            get_mut: {
                fn m(x: &mut $ty) -> &mut String {
                    &mut x.$f
                }
                m
            },
        }),*];
    };
}

table!(STUDENT: RawStudent {
    "StudentRecordId" => student_record_id,
    "MsixId" => msix_id,
    "ReportingState" => reporting_state,
    "StateStudentId" => state_student_id,
    "StateStudentIdType" => state_student_id_type,
    "ActionCode" => action_code,
});

table!(ALTERNATE_ID: RawAlternateId {
    "AlternateRecordId" => alternate_record_id,
    "AlternateStudentId" => alternate_student_id,
    "AlternateStudentIdType" => alternate_student_id_type,
});

table!(DEMOGRAPHICS: RawDemographics {
    "FirstName" => first_name,
    "MiddleName" => middle_name,
    "LastName1" => last_name_1,
    "LastName2" => last_name_2,
    "Suffix" => suffix,
    "Sex" => sex,
    "BirthDate" => birth_date,
    "MultipleBirthFlag" => multiple_birth_flag,
    "BirthCity" => birth_city,
    "BirthState" => birth_state,
    "BirthCountry" => birth_country,
    "BirthDateVerification" => birth_date_verification,
    "Parent1FirstName" => parent1_first_name,
    "Parent1LastName" => parent1_last_name,
    "Parent2FirstName" => parent2_first_name,
    "Parent2LastName" => parent2_last_name,
    "Parent1Email" => parent1_email,
    "Parent2Email" => parent2_email,
    "Parent1Phone" => parent1_phone,
    "Parent2Phone" => parent2_phone,
});

table!(QUALIFYING_MOVE: RawQualifyingMove {
    "QualifyingArrivalDate" => qualifying_arrival_date,
    "FromCity" => from_city,
    "FromState" => from_state,
    "FromCountry" => from_country,
    "ToCity" => to_city,
    "ToState" => to_state,
    "EligibilityExpirationDate" => eligibility_expiration_date,
});

table!(ENROLLMENT: RawEnrollment {
    "EnrollmentDate" => enrollment_date,
    "EnrollmentType" => enrollment_type,
    "SchoolOrProjectName" => school_or_project_name,
    "MepProjectType" => mep_project_type,
    "SchoolId" => school_id,
    "FacilityName" => facility_name,
    "FacilityAddress1" => facility_address_1,
    "FacilityAddress2" => facility_address_2,
    "FacilityAddress3" => facility_address_3,
    "FacilityCity" => facility_city,
    "DistrictId" => district_id,
    "DistrictName" => district_name,
    "FacilityState" => facility_state,
    "FacilityZip" => facility_zip,
    "Telephone" => telephone,
    "GradeLevel" => grade_level,
    "LepIndicator" => lep_indicator,
    "IdeaIndicator" => idea_indicator,
    "MedAlertIndicator" => med_alert_indicator,
    "PfsFlag" => pfs_flag,
    "ImmunizationRecordFlag" => immunization_record_flag,
    "WithdrawalDate" => withdrawal_date,
    "DistrictOfResidence" => district_of_residence,
    "ResidencyDate" => residency_date,
    "ResidencyVerificationDate" => residency_verification_date,
    "DesignatedGraduationSchool" => designated_graduation_school,
    "GraduationHseIndicator" => graduation_hse_indicator,
    "GraduationHseDate" => graduation_hse_date,
    "OutOfStateTranscript" => out_of_state_transcript,
    "ContinuationReason" => continuation_reason,
    "Algebra1Indicator" => algebra1_indicator,
    "Comment" => comment,
});

table!(COURSE: RawCourse {
    "CourseTitle" => course_title,
    "SubjectArea" => subject_area,
    "CourseType" => course_type,
    "BeginYear" => begin_year,
    "EndYear" => end_year,
    "CourseSection" => course_section,
    "TermType" => term_type,
    "ClockHours" => clock_hours,
    "GradeToDate" => grade_to_date,
    "CreditsGranted" => credits_granted,
    "FinalGrade" => final_grade,
});

table!(ASSESSMENT: RawAssessment {
    "Title" => title,
    "Content" => content,
    "AssessmentType" => assessment_type,
    "AdministrationDate" => administration_date,
    "ReportingMethod" => reporting_method,
    "Score" => score,
    "Interpretation" => interpretation,
});

/// Header elements in order: (XML name, JSON/CSV name).
pub(crate) const HEADER: &[(&str, &str)] = &[
    ("SubmittingState", "submitting_state"),
    ("SubmissionDate", "submission_date"),
    ("TotalStudents", "total_students"),
    ("TotalRecords", "total_records"),
    ("BeginningEffectiveDate", "beginning_effective_date"),
    ("EndingEffectiveDate", "ending_effective_date"),
];

/// Builds a header from its elements as text (XML and CSV); the totals must be whole numbers.
pub(crate) fn header_from_text(values: &[String; 6]) -> Result<crate::Header, String> {
    fn total(v: &str, what: &str) -> Result<u64, String> {
        let t = v.trim();
        if t.is_empty() {
            return Err(format!("{what} is missing"));
        }
        t.parse::<u64>()
            .map_err(|_| format!("{what} must be a whole number, found {t:?}"))
    }
    let h = crate::Header {
        submitting_state: values[0].clone(),
        submission_date: values[1].clone(),
        total_students: total(&values[2], "Total Students in File")?,
        total_records: total(&values[3], "Total Records in File")?,
        beginning_effective_date: values[4].clone(),
        ending_effective_date: values[5].clone(),
    };
    if h.submitting_state.trim().is_empty() {
        return Err("Submitting State is missing".into());
    }
    Ok(h)
}

/// The header's elements as text, in table order.
pub(crate) fn header_to_text(h: &crate::Header) -> [String; 6] {
    [
        h.submitting_state.clone(),
        h.submission_date.clone(),
        h.total_students.to_string(),
        h.total_records.to_string(),
        h.beginning_effective_date.clone(),
        h.ending_effective_date.clone(),
    ]
}

/// Calls `f(element path, value)` for every text element of a student.
pub(crate) fn for_each_value(s: &RawStudent, mut f: impl FnMut(&'static str, &str)) {
    fn each<T>(t: &'static [Field<T>], x: &T, f: &mut impl FnMut(&'static str, &str)) {
        for fl in t {
            f(fl.name, (fl.get)(x));
        }
    }
    each(STUDENT, s, &mut f);
    for a in &s.alternate_ids {
        each(ALTERNATE_ID, a, &mut f);
    }
    each(DEMOGRAPHICS, &s.demographics, &mut f);
    for m in &s.qualifying_moves {
        each(QUALIFYING_MOVE, m, &mut f);
    }
    for e in &s.enrollments {
        each(ENROLLMENT, e, &mut f);
    }
    for c in &s.courses {
        each(COURSE, c, &mut f);
    }
    for a in &s.assessments {
        each(ASSESSMENT, a, &mut f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const XSD: &str = include_str!("../../../docs/schema/puente-submission.xsd");
    const SCHEMA: &str = include_str!("../../../docs/schema/puente-submission.schema.json");
    const GUIDE: &str = include_str!("../../../docs/interchange.md");

    fn check<T>(t: &[Field<T>]) {
        for f in t {
            assert!(
                XSD.contains(&format!("name=\"{}\"", f.xml)),
                "XSD lacks {}",
                f.xml
            );
            assert!(
                SCHEMA.contains(&format!("\"{}\"", f.name)),
                "schema lacks {}",
                f.name
            );
            assert!(
                GUIDE.contains(&format!("`{}` | `{}`", f.name, f.xml)),
                "guide lacks {}",
                f.name
            );
        }
    }

    #[test]
    fn schemas_and_guide_follow_the_tables() {
        check(STUDENT);
        check(ALTERNATE_ID);
        check(DEMOGRAPHICS);
        check(QUALIFYING_MOVE);
        check(ENROLLMENT);
        check(COURSE);
        check(ASSESSMENT);
        for (xml, name) in HEADER {
            assert!(XSD.contains(&format!("name=\"{xml}\"")));
            assert!(SCHEMA.contains(&format!("\"{name}\"")));
        }
        for (kind, cols) in crate::csv::columns() {
            let cols: Vec<String> = cols.iter().map(|c| format!("`{c}`")).collect();
            let row = format!(
                "| {} | `{}` |",
                cols.len(),
                cols.join(", ").trim_matches('`')
            );
            assert!(
                GUIDE.contains(&row),
                "guide lacks the {kind} columns: {row}"
            );
        }
    }
}
