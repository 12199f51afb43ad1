//! Code sets of the minimum data elements. Each parses from its wire code or its label
//! (case-insensitive) and writes back its wire code.

use serde::{Deserialize, Serialize};

/// A closed code set.
pub trait CodeSet: Sized + Copy + 'static {
    /// Name of the code set, for messages.
    const NAME: &'static str;
    /// Every member, in catalogue order.
    fn all() -> &'static [Self];
    /// The code written in interchange files.
    fn code(&self) -> &'static str;
    /// Human label (English).
    fn label(&self) -> &'static str;
    /// Parses a code or a label, ignoring case and surrounding space.
    fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        Self::all()
            .iter()
            .copied()
            .find(|m| m.code().eq_ignore_ascii_case(t) || m.label().eq_ignore_ascii_case(t))
    }
    /// The allowed codes, for error messages.
    fn allowed() -> String {
        Self::all()
            .iter()
            .map(|m| m.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

macro_rules! code_set {
    ($(#[$meta:meta])* $name:ident, $set:literal, { $($variant:ident => ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($variant),+ }
        impl CodeSet for $name {
            const NAME: &'static str = $set;
            fn all() -> &'static [Self] { &[$(Self::$variant),+] }
            fn code(&self) -> &'static str { match self { $(Self::$variant => $code),+ } }
            fn label(&self) -> &'static str { match self { $(Self::$variant => $label),+ } }
        }
    };
}

code_set!(
    /// USPS codes of the states, DC and territories that take part in the exchange.
    StateCode, "USPS state code", {
    AL => ("AL", "Alabama"), AK => ("AK", "Alaska"), AZ => ("AZ", "Arizona"), AR => ("AR", "Arkansas"),
    CA => ("CA", "California"), CO => ("CO", "Colorado"), CT => ("CT", "Connecticut"), DE => ("DE", "Delaware"),
    DC => ("DC", "District of Columbia"), FL => ("FL", "Florida"), GA => ("GA", "Georgia"), HI => ("HI", "Hawaii"),
    ID => ("ID", "Idaho"), IL => ("IL", "Illinois"), IN => ("IN", "Indiana"), IA => ("IA", "Iowa"),
    KS => ("KS", "Kansas"), KY => ("KY", "Kentucky"), LA => ("LA", "Louisiana"), ME => ("ME", "Maine"),
    MD => ("MD", "Maryland"), MA => ("MA", "Massachusetts"), MI => ("MI", "Michigan"), MN => ("MN", "Minnesota"),
    MS => ("MS", "Mississippi"), MO => ("MO", "Missouri"), MT => ("MT", "Montana"), NE => ("NE", "Nebraska"),
    NV => ("NV", "Nevada"), NH => ("NH", "New Hampshire"), NJ => ("NJ", "New Jersey"), NM => ("NM", "New Mexico"),
    NY => ("NY", "New York"), NC => ("NC", "North Carolina"), ND => ("ND", "North Dakota"), OH => ("OH", "Ohio"),
    OK => ("OK", "Oklahoma"), OR => ("OR", "Oregon"), PA => ("PA", "Pennsylvania"), RI => ("RI", "Rhode Island"),
    SC => ("SC", "South Carolina"), SD => ("SD", "South Dakota"), TN => ("TN", "Tennessee"), TX => ("TX", "Texas"),
    UT => ("UT", "Utah"), VT => ("VT", "Vermont"), VA => ("VA", "Virginia"), WA => ("WA", "Washington"),
    WV => ("WV", "West Virginia"), WI => ("WI", "Wisconsin"), WY => ("WY", "Wyoming"), PR => ("PR", "Puerto Rico"),
});

code_set!(
    /// MDE 9: sex ("Nonbinary" replaced "Other" in 2023).
    Sex, "Sex", { Female => ("F", "Female"), Male => ("M", "Male"), Nonbinary => ("X", "Nonbinary") });

code_set!(
    /// Yes/No indicators.
    YesNo, "Yes/No", { Yes => ("Yes", "Y"), No => ("No", "N") });

code_set!(
    /// MDE 3: type of the state student identifier.
    StudentIdType, "State Student Identifier Type", {
    StateAssigned => ("01", "state-assigned unique ID"),
    MepAssigned => ("02", "state MEP-assigned unique ID"),
});

code_set!(
    /// Alternate state student ID types.
    AlternateIdType, "Alternate State Student ID Type", {
    StateAssigned => ("01", "state-assigned"), MepAssigned => ("02", "MEP-assigned"), Other => ("03", "other"),
});

code_set!(
    /// Record action codes.
    ActionCode, "Action Code", { Insert => ("I", "insert"), Update => ("U", "update"), Delete => ("D", "delete") });

code_set!(
    /// Grade levels.
    GradeLevel, "Grade Level", {
    P0 => ("P0", "age 0"), P1 => ("P1", "age 1"), P2 => ("P2", "age 2"), P3 => ("P3", "age 3"),
    P4 => ("P4", "age 4"), P5 => ("P5", "age 5"), PS => ("PS", "preschool"), KG => ("KG", "kindergarten"),
    G01 => ("01", "grade 1"), G02 => ("02", "grade 2"), G03 => ("03", "grade 3"), G04 => ("04", "grade 4"),
    G05 => ("05", "grade 5"), G06 => ("06", "grade 6"), G07 => ("07", "grade 7"), G08 => ("08", "grade 8"),
    G09 => ("09", "grade 9"), G10 => ("10", "grade 10"), G11 => ("11", "grade 11"), G12 => ("12", "grade 12"),
    UG => ("UG", "ungraded"), OS => ("OS", "out of school"),
});

impl GradeLevel {
    /// Numeric grade 1..12, if this is a numbered grade.
    pub fn number(&self) -> Option<u8> {
        self.code().parse().ok()
    }
}

code_set!(
    /// Medical alert indicator (the exchange carries indicators only).
    MedAlert, "Med Alert Indicator", { Chronic => ("Chronic", "chronic"), Acute => ("Acute", "acute"), NoAlert => ("None", "none") });

code_set!(
    /// Enrollment types.
    EnrollmentType, "Enrollment Type", {
    BasicSchool => ("01", "basic school program"),
    MepSummer => ("02", "MEP-funded summer/intersession project"),
    MepYearRound => ("03", "MEP-funded year-round project"),
    ResidencyOnly => ("04", "residency only"),
    MepExtendedDay => ("05", "MEP-funded extended day/week"),
    MepSchoolDay => ("06", "MEP-funded school day"),
    NonMep => ("07", "non-MEP funded project"),
});

impl EnrollmentType {
    /// Summer or intersession enrollment (Category 2 child count).
    pub fn is_summer_or_intersession(&self) -> bool {
        matches!(self, Self::MepSummer)
    }
}

code_set!(
    /// MEP project types.
    MepProjectType, "MEP Project Type", {
    SchoolDay => ("01", "school day"), ExtendedDay => ("02", "extended day"),
    SummerIntersession => ("03", "summer/intersession"), YearRound => ("04", "year round"),
});

code_set!(
    /// Graduation or high school equivalency.
    GraduationHse, "Graduation/HSE Indicator", { Graduation => ("Graduation", "graduated"), Hse => ("HSE", "high school equivalency") });

code_set!(
    /// ESEA 1304(e) continuation of services reasons.
    ContinuationReason, "Continuation of Services Reason", {
    CeasedDuringTerm => ("01", "ceased to be migratory during the term"),
    CeasedEarlierTerm => ("02", "ceased in an earlier term with no comparable services"),
    SecondaryCreditAccrual => ("03", "secondary student continuing credit accrual"),
});

code_set!(
    /// Course types.
    CourseType, "Course Type", {
    Regular => ("01", "regular"), Honors => ("02", "honors"), PreAdvanced => ("03", "pre-advanced"),
    Ap => ("04", "AP"), Ib => ("05", "IB"), NotApplicable => ("06", "not applicable"), Other => ("07", "other"),
});

code_set!(
    /// Course sections.
    CourseSection, "Course Section", { FullYear => ("01", "full year"), FirstHalf => ("02", "first half"), SecondHalf => ("03", "second half") });

code_set!(
    /// CEDS session (term) types.
    TermType, "Term Type", {
    FullYear => ("FY", "full school year"), Semester => ("SEM", "semester"), Trimester => ("TRI", "trimester"),
    Quarter => ("QTR", "quarter"), Summer => ("SUM", "summer term"), Intersession => ("INT", "intersession"),
    Other => ("OTH", "other"),
});

code_set!(
    /// Assessment types.
    AssessmentType, "Assessment Type", {
    State => ("01", "state assessment"), District => ("02", "district assessment"),
    EnglishProficiency => ("03", "English language proficiency"), Benchmark => ("04", "benchmark"),
    Diagnostic => ("05", "diagnostic"), Formative => ("06", "formative"), Other => ("07", "other"),
    Interim => ("08", "interim"), StateReading => ("09", "state assessment: reading"),
    StateMath => ("10", "state assessment: mathematics"), StateScience => ("11", "state assessment: science"),
});

code_set!(
    /// Assessment interpretations.
    AssessmentInterpretation, "Assessment Interpretation", {
    Advanced => ("Advanced", "advanced"), ProficientOrAbove => ("Proficient or Above", "proficient or above"),
    Proficient => ("Proficient", "proficient"), Passed => ("Passed", "passed"), Failed => ("Failed", "failed"),
    NotProficient => ("Not Proficient", "not proficient"), Basic => ("Basic", "basic"),
    BelowBasic => ("Below Basic", "below basic"), FarBelowBasic => ("Far Below Basic", "far below basic"),
});

code_set!(
    /// CEDS birth date verification codes.
    BirthDateVerification, "Birth Date Verification", {
    BirthCertificate => ("1003", "birth certificate"), BaptismalRecord => ("1004", "baptismal or church certificate"),
    HospitalCertificate => ("1005", "hospital certificate"), ImmunizationRecord => ("1009", "immunization record"),
    Passport => ("1012", "passport"), ParentAffidavit => ("1010", "parent's affidavit"),
    PreviousSchool => ("1007", "previously verified school records"), Other => ("9999", "other"),
});

code_set!(
    /// CEDS assessment reporting methods.
    ReportingMethod, "Assessment Reporting Method", {
    ScaleScore => ("0490", "scale score"), Percentile => ("0491", "percentile"), RawScore => ("0492", "raw score"),
    AchievementLevel => ("0493", "achievement level"), PassFail => ("0494", "pass/fail"), Other => ("9999", "other"),
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_labels_case_insensitively() {
        assert_eq!(Sex::parse("female"), Some(Sex::Female));
        assert_eq!(Sex::parse("M"), Some(Sex::Male));
        assert_eq!(Sex::parse("Other"), None);
        assert_eq!(GradeLevel::parse("07"), Some(GradeLevel::G07));
        assert_eq!(GradeLevel::G11.number(), Some(11));
        assert_eq!(StateCode::parse("tx"), Some(StateCode::TX));
        assert_eq!(StateCode::parse("XX"), None);
        assert!(YesNo::allowed().contains("Yes"));
    }

    #[test]
    fn codes_are_unique_within_each_set() {
        fn check<T: CodeSet>() {
            let mut seen = std::collections::BTreeSet::new();
            for m in T::all() {
                assert!(
                    seen.insert(m.code().to_ascii_lowercase()),
                    "{} repeats {}",
                    T::NAME,
                    m.code()
                );
            }
        }
        check::<StateCode>();
        check::<GradeLevel>();
        check::<AssessmentType>();
        check::<BirthDateVerification>();
        check::<TermType>();
    }
}
