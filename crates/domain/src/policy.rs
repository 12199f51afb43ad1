//! Configurable policy values. Every number from the regulations is a policy with the regulatory
//! value as its default.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Rules that depend on policy rather than on the format of a value.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Policy {
    /// Eligibility normally ends this many months after the qualifying arrival date.
    pub eligibility_months: u32,
    /// ... or on the day the child turns this age, whichever is first.
    pub eligibility_age_limit_years: u32,
    /// Lowest numbered grade that counts as secondary.
    pub secondary_min_grade: u8,
    /// Ungraded or out-of-school children of at least this age count as secondary.
    pub secondary_min_age_ungraded: u32,
    /// Oldest plausible age of a child in the exchange.
    pub max_plausible_age_years: u32,
    /// Working days a worklist item stays at each level (district, regional, state) before it
    /// escalates; validation items auto-approve when the state level lapses.
    pub worklist_working_days: [u32; 3],
    /// Working days to acknowledge a move notice or a data request.
    pub notice_acknowledge_working_days: u32,
    /// Working days without acknowledgement after which a data request escalates a level.
    pub notice_escalate_working_days: u32,
    /// Working days for the previous state's updates after a change-of-residence notice.
    pub residence_update_working_days: u32,
    /// Calendar days to decide a parent's correction request.
    pub correction_decision_days: u32,
    /// Working days to forward a correction request about another state's data.
    pub correction_forward_working_days: u32,
    /// Working days for corrected data to reach the exchange after a decision to correct.
    pub correction_apply_working_days: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            eligibility_months: 36,
            eligibility_age_limit_years: 22,
            secondary_min_grade: 7,
            secondary_min_age_ungraded: 14,
            max_plausible_age_years: 30,
            worklist_working_days: [5, 5, 5],
            notice_acknowledge_working_days: 4,
            notice_escalate_working_days: 2,
            residence_update_working_days: 4,
            correction_decision_days: 30,
            correction_forward_working_days: 4,
            correction_apply_working_days: 4,
        }
    }
}

/// Age in whole years on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut age = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// The day a child born on `birth` reaches `years` of age (28 February for a 29 February birth in
/// a non-leap year).
pub fn birthday(birth: NaiveDate, years: u32) -> Option<NaiveDate> {
    birth.checked_add_months(Months::new(years.checked_mul(12)?))
}

impl Policy {
    /// The default eligibility expiration: QAD + 36 months, or the day the child turns 22 if
    /// that comes first.
    pub fn default_eligibility_expiration(
        &self,
        qad: NaiveDate,
        birth: Option<NaiveDate>,
    ) -> Option<NaiveDate> {
        let by_term = qad.checked_add_months(Months::new(self.eligibility_months))?;
        match birth.and_then(|b| birthday(b, self.eligibility_age_limit_years)) {
            Some(by_age) if by_age < by_term => Some(by_age),
            _ => Some(by_term),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn eligibility_is_36_months_or_age_22() {
        let p = Policy::default();
        assert_eq!(
            p.default_eligibility_expiration(d(2024, 3, 10), Some(d(2015, 1, 1))),
            Some(d(2027, 3, 10))
        );
        // turns 22 before the 36 months are up
        assert_eq!(
            p.default_eligibility_expiration(d(2024, 3, 10), Some(d(2004, 6, 1))),
            Some(d(2026, 6, 1))
        );
        assert_eq!(
            p.default_eligibility_expiration(d(2024, 3, 10), None),
            Some(d(2027, 3, 10))
        );
        assert_eq!(birthday(d(2004, 2, 29), 22), Some(d(2026, 2, 28)));
        assert_eq!(age_on(d(2010, 5, 5), d(2020, 5, 4)), 9);
        assert_eq!(age_on(d(2010, 5, 5), d(2020, 5, 5)), 10);
    }
}
