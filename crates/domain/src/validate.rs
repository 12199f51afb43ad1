//! Element-level validation: every problem is reported with the element's field path, its
//! catalogue name, the offending value and the rule it broke.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::codes::CodeSet;
use crate::msix::MsixId;

/// The rule a value broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Required,
    MaxLength,
    Format,
    CodeSet,
    Range,
    DateOrder,
    Applicability,
    CheckDigit,
    Plausibility,
    Ownership,
}

impl Rule {
    pub fn as_str(&self) -> &'static str {
        match self {
            Rule::Required => "required",
            Rule::MaxLength => "max_length",
            Rule::Format => "format",
            Rule::CodeSet => "code_set",
            Rule::Range => "range",
            Rule::DateOrder => "date_order",
            Rule::Applicability => "applicability",
            Rule::CheckDigit => "check_digit",
            Rule::Plausibility => "plausibility",
            Rule::Ownership => "ownership",
        }
    }
}

/// Error: the record (or element) is rejected. Warning: accepted, reported for data quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// Field path, e.g. `enrollments[1].withdrawal_date`.
    pub path: String,
    /// Catalogue element name, e.g. `Withdrawal Date`.
    pub element: String,
    /// The offending value (long values are shortened with their length stated).
    pub value: String,
    pub rule: Rule,
    pub severity: Severity,
    pub message: String,
}

impl Issue {
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Catalogue facts about one element: the field name used in Puente, its record type, its
/// catalogue name and its maximum length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ElementSpec {
    pub field: &'static str,
    pub record_type: &'static str,
    pub element: &'static str,
    pub max_len: usize,
}

macro_rules! elements {
    ($($field:literal, $rt:literal, $name:literal, $len:literal;)+) => {
        /// Every student-level element of the catalogue (`docs/mde-catalogue.csv`).
        pub const ELEMENTS: &[ElementSpec] = &[$(ElementSpec { field: $field, record_type: $rt, element: $name, max_len: $len }),+];
    };
}

elements! {
    "student_record_id", "student", "Student Record ID", 7;
    "msix_id", "student", "MSIX Identification Number", 12;
    "reporting_state", "student", "Reporting State Code", 2;
    "state_student_id", "student", "State Student Identifier", 15;
    "state_student_id_type", "student", "State Student Identifier Type", 2;
    "action_code", "student", "Action Code", 1;
    "alternate_record_id", "alternate_id", "Alternate State Record ID", 3;
    "alternate_student_id", "alternate_id", "Alternate State Student ID", 15;
    "alternate_student_id_type", "alternate_id", "Alternate State Student ID Type", 2;
    "first_name", "demographics", "First Name", 50;
    "middle_name", "demographics", "Middle Name", 50;
    "last_name_1", "demographics", "Last Name 1", 50;
    "last_name_2", "demographics", "Last Name 2", 50;
    "suffix", "demographics", "Suffix", 10;
    "sex", "demographics", "Sex", 9;
    "birth_date", "demographics", "Birth Date", 8;
    "multiple_birth_flag", "demographics", "Multiple Birth Flag", 3;
    "birth_city", "demographics", "Birth City", 30;
    "birth_state", "demographics", "Birth State", 2;
    "birth_country", "demographics", "Birth Country", 4;
    "birth_date_verification", "demographics", "Birth Date Verification", 4;
    "parent1_first_name", "demographics", "Male Parent First Name", 50;
    "parent1_last_name", "demographics", "Male Parent Last Name", 50;
    "parent2_first_name", "demographics", "Female Parent First Name", 50;
    "parent2_last_name", "demographics", "Female Parent Last Name", 50;
    "parent1_email", "demographics", "Parent 1 Email Address", 50;
    "parent2_email", "demographics", "Parent 2 Email Address", 50;
    "parent1_phone", "demographics", "Parent 1 Phone Number", 15;
    "parent2_phone", "demographics", "Parent 2 Phone Number", 15;
    "qualifying_arrival_date", "qualifying_move", "Qualifying Arrival Date", 8;
    "from_city", "qualifying_move", "Qualifying Move From City", 100;
    "from_state", "qualifying_move", "Qualifying Move From State", 10;
    "from_country", "qualifying_move", "Qualifying Move From Country", 4;
    "to_city", "qualifying_move", "Qualifying Move To City", 100;
    "to_state", "qualifying_move", "Qualifying Move To State", 2;
    "eligibility_expiration_date", "qualifying_move", "Eligibility Expiration Date", 8;
    "enrollment_date", "enrollment", "Enrollment Date", 8;
    "enrollment_type", "enrollment", "Enrollment Type", 2;
    "school_or_project_name", "enrollment", "School or Project Name", 100;
    "mep_project_type", "enrollment", "MEP Project Type", 2;
    "school_id", "enrollment", "School Identification Code", 12;
    "facility_name", "enrollment", "Facility Name", 100;
    "facility_address_1", "enrollment", "Facility Address 1", 35;
    "facility_address_2", "enrollment", "Facility Address 2", 35;
    "facility_address_3", "enrollment", "Facility Address 3", 35;
    "facility_city", "enrollment", "Facility City", 30;
    "district_id", "enrollment", "School District ID", 7;
    "district_name", "enrollment", "School District", 60;
    "facility_state", "enrollment", "Facility State", 2;
    "facility_zip", "enrollment", "Facility Zip", 10;
    "telephone", "enrollment", "Telephone Number", 10;
    "grade_level", "enrollment", "Grade Level", 2;
    "lep_indicator", "enrollment", "LEP Indicator", 3;
    "idea_indicator", "enrollment", "IDEA Indicator", 3;
    "med_alert_indicator", "enrollment", "Med Alert Indicator", 10;
    "pfs_flag", "enrollment", "PFS Flag", 3;
    "immunization_record_flag", "enrollment", "Immunization Record Flag", 3;
    "withdrawal_date", "enrollment", "Withdrawal Date", 8;
    "district_of_residence", "enrollment", "District of Residence", 7;
    "residency_date", "enrollment", "Residency Date", 8;
    "residency_verification_date", "enrollment", "Residency Verification Date", 8;
    "designated_graduation_school", "enrollment", "Designated Graduation School", 30;
    "graduation_hse_indicator", "enrollment", "Graduation/HSE Indicator", 10;
    "graduation_hse_date", "enrollment", "Graduation/HSE Date", 8;
    "out_of_state_transcript", "enrollment", "Out of State Transcript Indicator", 3;
    "continuation_reason", "enrollment", "Continuation of Services Reason", 2;
    "algebra1_indicator", "enrollment", "Algebra 1 or Equivalent Indicator", 3;
    "comment", "enrollment", "Enrollment Comment", 1000;
    "course_title", "course_history", "Course Title", 50;
    "subject_area", "course_history", "Subject Area Name", 50;
    "course_type", "course_history", "Course Type", 2;
    "begin_year", "course_history", "Begin Academic Year", 4;
    "end_year", "course_history", "End Academic Year", 4;
    "course_section", "course_history", "Course Section", 2;
    "term_type", "course_history", "Term Type", 4;
    "clock_hours", "course_history", "Clock Hours", 4;
    "grade_to_date", "course_history", "Grade-to-Date", 3;
    "credits_granted", "course_history", "Credits Granted", 4;
    "final_grade", "course_history", "Final Grade", 10;
    "title", "assessment", "Assessment Title", 55;
    "content", "assessment", "Assessment Content", 35;
    "assessment_type", "assessment", "Assessment Type", 2;
    "administration_date", "assessment", "Assessment Administration Date", 6;
    "reporting_method", "assessment", "Assessment Reporting Method", 4;
    "score", "assessment", "Score Results", 40;
    "interpretation", "assessment", "Assessment Interpretation", 100;
}

/// Looks up an element by its field name.
pub fn element(field: &str) -> Option<&'static ElementSpec> {
    ELEMENTS.iter().find(|e| e.field == field)
}

/// Values longer than this are shortened in reports (with their length stated).
const VALUE_SHOWN: usize = 60;

fn shown(value: &str) -> String {
    let n = value.chars().count();
    if n <= VALUE_SHOWN {
        value.to_string()
    } else {
        let head: String = value.chars().take(VALUE_SHOWN).collect();
        format!("{head}… ({n} characters)")
    }
}

/// Parses a date element: YYYYMMDD (catalogue format) or YYYY-MM-DD.
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let fmt = if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        "%Y%m%d"
    } else if t.len() == 10 {
        "%Y-%m-%d"
    } else {
        return None;
    };
    NaiveDate::parse_from_str(t, fmt).ok()
}

/// Collects issues while a record is walked.
pub(crate) struct Validator {
    prefix: Vec<String>,
    issues: Vec<Issue>,
    #[allow(dead_code)]
    today: NaiveDate,
}

impl Validator {
    pub(crate) fn new(today: NaiveDate) -> Self {
        Self {
            prefix: Vec::new(),
            issues: Vec::new(),
            today,
        }
    }

    pub(crate) fn enter(&mut self, segment: String) {
        self.prefix.push(segment);
    }

    pub(crate) fn leave(&mut self) {
        self.prefix.pop();
    }

    pub(crate) fn finish(self) -> Vec<Issue> {
        self.issues
    }

    fn push(&mut self, field: &str, value: &str, rule: Rule, severity: Severity, message: &str) {
        let mut path = self.prefix.join(".");
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(field);
        let element = element(field).map(|e| e.element).unwrap_or(field);
        self.issues.push(Issue {
            path,
            element: element.to_string(),
            value: shown(value),
            rule,
            severity,
            message: format!("{element}: {message}"),
        });
    }

    pub(crate) fn issue(&mut self, field: &str, value: &str, rule: Rule, message: &str) {
        self.push(field, value, rule, Severity::Error, message);
    }

    pub(crate) fn warn(&mut self, field: &str, value: &str, rule: Rule, message: &str) {
        self.push(field, value, rule, Severity::Warning, message);
    }

    /// Common checks: presence and length. Returns the trimmed value when present and within
    /// its length.
    fn present<'a>(&mut self, field: &str, raw: &'a str, required: bool) -> Option<&'a str> {
        let t = raw.trim();
        if t.is_empty() {
            if required {
                self.issue(field, raw, Rule::Required, "is required");
            }
            return None;
        }
        if t.chars().any(|c| c.is_control()) {
            self.issue(field, raw, Rule::Format, "contains control characters");
            return None;
        }
        let max = element(field).map(|e| e.max_len).unwrap_or(usize::MAX);
        let n = t.chars().count();
        if n > max {
            self.issue(
                field,
                raw,
                Rule::MaxLength,
                &format!("is {n} characters long; the maximum is {max}"),
            );
            return None;
        }
        Some(t)
    }

    pub(crate) fn text(&mut self, field: &str, raw: &str, required: bool) -> Option<String> {
        self.present(field, raw, required).map(str::to_string)
    }

    /// A personal name: letters, marks, spaces, hyphens, apostrophes and periods.
    pub(crate) fn name(&mut self, field: &str, raw: &str, required: bool) -> Option<String> {
        let t = self.present(field, raw, required)?;
        if !t.chars().any(char::is_alphabetic) {
            self.issue(field, raw, Rule::Format, "must contain letters");
            return None;
        }
        if let Some(bad) = t.chars().find(|c| {
            !(c.is_alphabetic()
                || matches!(c, ' ' | '-' | '\'' | '.' | '’')
                || crate::normalize::is_mark(*c))
        }) {
            self.issue(
                field,
                raw,
                Rule::Format,
                &format!("contains the character '{bad}', which is not used in names"),
            );
            return None;
        }
        Some(t.to_string())
    }

    /// An identifier: letters and digits only.
    pub(crate) fn identifier(&mut self, field: &str, raw: &str, required: bool) -> Option<String> {
        let t = self.present(field, raw, required)?;
        if !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.issue(
                field,
                raw,
                Rule::Format,
                "may contain letters and digits only",
            );
            return None;
        }
        Some(t.to_string())
    }

    pub(crate) fn code<T: CodeSet>(&mut self, field: &str, raw: &str, required: bool) -> Option<T> {
        // A code set is its own length rule: an unknown code is reported as such, however long.
        let t = raw.trim();
        if t.is_empty() {
            if required {
                self.issue(field, raw, Rule::Required, "is required");
            }
            return None;
        }
        match T::parse(t) {
            Some(v) => Some(v),
            None => {
                self.issue(
                    field,
                    raw,
                    Rule::CodeSet,
                    &format!(
                        "'{}' is not a {} code; allowed: {}",
                        shown(t),
                        T::NAME,
                        T::allowed()
                    ),
                );
                None
            }
        }
    }

    pub(crate) fn date(&mut self, field: &str, raw: &str, required: bool) -> Option<NaiveDate> {
        let t = raw.trim();
        if t.is_empty() {
            if required {
                self.issue(field, raw, Rule::Required, "is required");
            }
            return None;
        }
        match parse_date(t) {
            Some(d) if d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) => {
                Some(d)
            }
            Some(_) => {
                self.issue(field, raw, Rule::Range, "is before 1900");
                None
            }
            None => {
                self.issue(
                    field,
                    raw,
                    Rule::Format,
                    "is not a valid date in the form YYYYMMDD",
                );
                None
            }
        }
    }

    /// MMYYYY -> first day of that month.
    pub(crate) fn month_year(&mut self, field: &str, raw: &str) -> Option<NaiveDate> {
        let t = self.present(field, raw, false)?;
        let parsed = if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
            let m: u32 = t[..2].parse().ok()?;
            let y: i32 = t[2..].parse().ok()?;
            NaiveDate::from_ymd_opt(y, m, 1)
        } else {
            None
        };
        if parsed.is_none() {
            self.issue(
                field,
                raw,
                Rule::Format,
                "is not a month and year in the form MMYYYY",
            );
        }
        parsed
    }

    pub(crate) fn number_in(
        &mut self,
        field: &str,
        raw: &str,
        min: u64,
        max: u64,
        required: bool,
    ) -> Option<u64> {
        let t = self.present(field, raw, required)?;
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            self.issue(field, raw, Rule::Format, "must be a whole number");
            return None;
        }
        match t.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.issue(
                    field,
                    raw,
                    Rule::Range,
                    &format!("must be between {min} and {max}"),
                );
                None
            }
        }
    }

    pub(crate) fn digits(
        &mut self,
        field: &str,
        raw: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        let t = self.present(field, raw, false)?;
        let digits: String = t
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
            .collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() < min || digits.len() > max {
            let len = if min == max {
                format!("{min}")
            } else {
                format!("{min} to {max}")
            };
            self.issue(field, raw, Rule::Format, &format!("must be {len} digits"));
            return None;
        }
        Some(digits)
    }

    pub(crate) fn letters(
        &mut self,
        field: &str,
        raw: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        let t = self.present(field, raw, false)?;
        if !t.chars().all(|c| c.is_ascii_alphabetic()) || t.len() < min || t.len() > max {
            self.issue(
                field,
                raw,
                Rule::Format,
                &format!("must be a code of {min} to {max} letters"),
            );
            return None;
        }
        Some(t.to_ascii_uppercase())
    }

    pub(crate) fn zip(&mut self, field: &str, raw: &str) -> Option<String> {
        let t = self.present(field, raw, false)?;
        let ok = match t.len() {
            5 => t.bytes().all(|b| b.is_ascii_digit()),
            9 => t.bytes().all(|b| b.is_ascii_digit()),
            10 => {
                t.as_bytes()[5] == b'-'
                    && t.bytes()
                        .enumerate()
                        .all(|(i, b)| i == 5 || b.is_ascii_digit())
            }
            _ => false,
        };
        if !ok {
            self.issue(
                field,
                raw,
                Rule::Format,
                "must be a ZIP code: 5 digits or ZIP+4",
            );
            return None;
        }
        Some(t.to_string())
    }

    pub(crate) fn email(&mut self, field: &str, raw: &str) -> Option<String> {
        let t = self.present(field, raw, false)?;
        let ok = match t.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !t
                        .chars()
                        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
                    && !domain.contains('@')
            }
            None => false,
        };
        if !ok {
            self.issue(field, raw, Rule::Format, "is not an e-mail address");
            return None;
        }
        Some(t.to_string())
    }

    pub(crate) fn credits(&mut self, field: &str, raw: &str) -> Option<u16> {
        let t = self.present(field, raw, false)?;
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let ok = !whole.is_empty()
            && whole.len() == 1
            && whole.bytes().all(|b| b.is_ascii_digit())
            && frac.len() <= 2
            && frac.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            self.issue(field, raw, Rule::Format, "must be a number with at most one digit before and two after the decimal point (e.g. 0.50)");
            return None;
        }
        let w: u16 = whole.parse().ok()?;
        let f: u16 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().ok()?
        };
        Some(w * 100 + f)
    }

    pub(crate) fn msix_id(&mut self, field: &str, raw: &str) -> Option<MsixId> {
        let t = self.present(field, raw, false)?;
        match MsixId::parse(t) {
            Ok(id) => Some(id),
            Err(e) => {
                let rule = if matches!(e, crate::msix::MsixIdError::CheckDigit) {
                    Rule::CheckDigit
                } else {
                    Rule::Format
                };
                self.issue(field, raw, rule, &e.to_string());
                None
            }
        }
    }
}
