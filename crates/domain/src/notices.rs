//! Notices between states and their regulatory clocks: move notices, system change-of-residence
//! notices, data requests and parent/guardian correction requests (34 CFR 200.85; see
//! `docs/notices.md`). Working days exclude weekends and observed federal holidays
//! ([`crate::calendar`]); every number is a [`Policy`] value.
//!
//! A notice has obligations, each with a due date; the notice's due date is the earliest pending
//! obligation, and it is overdue when today is past that date.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::add_working_days;
use crate::policy::Policy;

/// What a notice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A user tells the destination state that a child is moving there.
    Move,
    /// The exchange tells the previous state that the child enrolled elsewhere.
    ChangeOfResidence,
    /// A state asks the state holding the data for something missing or newer.
    DataRequest,
    /// A parent or guardian asks for a correction (recorded by program staff).
    CorrectionRequest,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 4] = [
        NoticeKind::Move,
        NoticeKind::ChangeOfResidence,
        NoticeKind::DataRequest,
        NoticeKind::CorrectionRequest,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            NoticeKind::Move => "move",
            NoticeKind::ChangeOfResidence => "change_of_residence",
            NoticeKind::DataRequest => "data_request",
            NoticeKind::CorrectionRequest => "correction_request",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Where a notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeStatus {
    Open,
    Acknowledged,
    Closed,
}

impl NoticeStatus {
    pub const ALL: [NoticeStatus; 3] = [
        NoticeStatus::Open,
        NoticeStatus::Acknowledged,
        NoticeStatus::Closed,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            NoticeStatus::Open => "open",
            NoticeStatus::Acknowledged => "acknowledged",
            NoticeStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Something the receiving state owes, with a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// Acknowledge a move notice or data request.
    Acknowledge,
    /// Submit new and updated elements after a change-of-residence notice.
    SubmitUpdates,
    /// Decide a correction request (and tell the parent).
    Decide,
    /// Forward a correction request about another state's data to that state.
    Forward,
    /// Send the corrected data after a decision to correct.
    SendCorrectedData,
}

impl Obligation {
    pub fn code(&self) -> &'static str {
        match self {
            Obligation::Acknowledge => "acknowledge",
            Obligation::SubmitUpdates => "submit_updates",
            Obligation::Decide => "decide",
            Obligation::Forward => "forward",
            Obligation::SendCorrectedData => "send_corrected_data",
        }
    }
}

/// The clocks of notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePolicy {
    /// Working days to acknowledge a move notice or a data request (4).
    pub acknowledge_working_days: u32,
    /// Working days without acknowledgement after which a data request escalates a level (2).
    pub escalate_working_days: u32,
    /// Working days to submit updates after a change-of-residence notice (4).
    pub residence_update_working_days: u32,
    /// Calendar days to decide a correction request (30).
    pub correction_decision_days: u32,
    /// Working days to forward a correction request to the owning state (4).
    pub correction_forward_working_days: u32,
    /// Working days for corrected data to reach the exchange after the decision (4).
    pub correction_apply_working_days: u32,
}

impl Default for NoticePolicy {
    fn default() -> Self {
        Self::from_policy(&Policy::default())
    }
}

/// The facts of a notice the clocks depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticeFacts {
    pub kind: NoticeKind,
    pub status: NoticeStatus,
    /// The day the notice was created.
    pub created_on: NaiveDate,
    /// Correction request about another state's data that has not been forwarded yet.
    pub forward_pending: bool,
    /// Correction request: the day the decision was made and whether it was to correct.
    pub decided: Option<(NaiveDate, bool)>,
}

impl NoticePolicy {
    pub fn from_policy(p: &Policy) -> Self {
        Self {
            acknowledge_working_days: p.notice_acknowledge_working_days,
            escalate_working_days: p.notice_escalate_working_days,
            residence_update_working_days: p.residence_update_working_days,
            correction_decision_days: p.correction_decision_days,
            correction_forward_working_days: p.correction_forward_working_days,
            correction_apply_working_days: p.correction_apply_working_days,
        }
    }

    /// Last day to acknowledge a notice created on `created`.
    pub fn acknowledge_due(&self, created: NaiveDate) -> NaiveDate {
        add_working_days(created, self.acknowledge_working_days)
    }

    /// Last day a data request created on `created` may stay unacknowledged without escalating;
    /// it escalates the day after.
    pub fn escalation_deadline(&self, created: NaiveDate) -> NaiveDate {
        add_working_days(created, self.escalate_working_days)
    }

    /// Whether an unacknowledged data request created on `created` escalates on `today`.
    pub fn escalates(&self, created: NaiveDate, today: NaiveDate) -> bool {
        today > self.escalation_deadline(created)
    }

    /// Last day for the previous state's updates after a change-of-residence notice.
    pub fn residence_update_due(&self, created: NaiveDate) -> NaiveDate {
        add_working_days(created, self.residence_update_working_days)
    }

    /// Last day to decide a correction request received on `created` (calendar days).
    pub fn decision_due(&self, created: NaiveDate) -> NaiveDate {
        created
            .checked_add_days(Days::new(u64::from(self.correction_decision_days)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Last day to forward a correction request received on `created` to the owning state.
    pub fn forward_due(&self, created: NaiveDate) -> NaiveDate {
        add_working_days(created, self.correction_forward_working_days)
    }

    /// Last day for corrected data after a decision to correct on `decided`.
    pub fn correction_due(&self, decided: NaiveDate) -> NaiveDate {
        add_working_days(decided, self.correction_apply_working_days)
    }

    /// The pending obligations of a notice with their due dates, earliest first. A closed notice
    /// owes nothing.
    pub fn obligations(&self, f: &NoticeFacts) -> Vec<(Obligation, NaiveDate)> {
        let mut out = Vec::new();
        if f.status == NoticeStatus::Closed {
            return out;
        }
        match f.kind {
            NoticeKind::Move | NoticeKind::DataRequest => {
                if f.status == NoticeStatus::Open {
                    out.push((Obligation::Acknowledge, self.acknowledge_due(f.created_on)));
                }
            }
            NoticeKind::ChangeOfResidence => {
                out.push((
                    Obligation::SubmitUpdates,
                    self.residence_update_due(f.created_on),
                ));
            }
            NoticeKind::CorrectionRequest => {
                if f.forward_pending {
                    out.push((Obligation::Forward, self.forward_due(f.created_on)));
                }
                match f.decided {
                    None => out.push((Obligation::Decide, self.decision_due(f.created_on))),
                    Some((on, true)) => {
                        out.push((Obligation::SendCorrectedData, self.correction_due(on)))
                    }
                    Some((_, false)) => {}
                }
            }
        }
        out.sort_by_key(|(_, d)| *d);
        out
    }

    /// The notice's due date: its earliest pending obligation.
    pub fn due_on(&self, f: &NoticeFacts) -> Option<NaiveDate> {
        self.obligations(f).first().map(|(_, d)| *d)
    }

    /// Whether some obligation is past due on `today`.
    pub fn overdue(&self, f: &NoticeFacts, today: NaiveDate) -> bool {
        self.due_on(f).is_some_and(|d| today > d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn facts(kind: NoticeKind, created_on: NaiveDate) -> NoticeFacts {
        NoticeFacts {
            kind,
            status: NoticeStatus::Open,
            created_on,
            forward_pending: false,
            decided: None,
        }
    }

    #[test]
    fn default_clocks_follow_the_regulations() {
        let p = NoticePolicy::default();
        assert_eq!(p.acknowledge_working_days, 4);
        assert_eq!(p.escalate_working_days, 2);
        assert_eq!(p.residence_update_working_days, 4);
        assert_eq!(p.correction_decision_days, 30);
        assert_eq!(p.correction_forward_working_days, 4);
        assert_eq!(p.correction_apply_working_days, 4);
    }

    #[test]
    fn acknowledgement_skips_weekend_and_thanksgiving() {
        let p = NoticePolicy::default();
        // Wed 25 Nov 2026: Thu 26 Thanksgiving, Fri 27, (28, 29 weekend), Mon 30, Tue 1, Wed 2.
        let c = d(2026, 11, 25);
        assert_eq!(p.acknowledge_due(c), d(2026, 12, 2));
        assert_eq!(p.escalation_deadline(c), d(2026, 11, 30));
        assert!(!p.escalates(c, d(2026, 11, 30)));
        assert!(p.escalates(c, d(2026, 12, 1)));
        let f = facts(NoticeKind::DataRequest, c);
        assert_eq!(p.due_on(&f), Some(d(2026, 12, 2)));
        assert!(!p.overdue(&f, d(2026, 12, 2)));
        assert!(p.overdue(&f, d(2026, 12, 3)));
        let acked = NoticeFacts {
            status: NoticeStatus::Acknowledged,
            ..f
        };
        assert_eq!(p.due_on(&acked), None);
        assert!(!p.overdue(&acked, d(2027, 1, 1)));
    }

    #[test]
    fn correction_clocks() {
        let p = NoticePolicy::default();
        // Tue 22 Dec 2026: 30 calendar days -> Thu 21 Jan 2027 (holidays do not matter).
        let c = d(2026, 12, 22);
        assert_eq!(p.decision_due(c), d(2027, 1, 21));
        // 4 working days: 23, 24, (25 Christmas), 28, 29.
        assert_eq!(p.forward_due(c), d(2026, 12, 29));
        let f = NoticeFacts {
            forward_pending: true,
            ..facts(NoticeKind::CorrectionRequest, c)
        };
        assert_eq!(
            p.obligations(&f),
            vec![
                (Obligation::Forward, d(2026, 12, 29)),
                (Obligation::Decide, d(2027, 1, 21))
            ]
        );
        // Decided to correct on Thu 31 Dec 2026: (1 Jan holiday, weekend) 4, 5, 6, 7 Jan.
        let decided = NoticeFacts {
            decided: Some((d(2026, 12, 31), true)),
            ..facts(NoticeKind::CorrectionRequest, c)
        };
        assert_eq!(p.due_on(&decided), Some(d(2027, 1, 7)));
        let denied = NoticeFacts {
            decided: Some((d(2026, 12, 31), false)),
            ..facts(NoticeKind::CorrectionRequest, c)
        };
        assert_eq!(p.due_on(&denied), None);
    }

    #[test]
    fn change_of_residence_update_clock_runs_until_closed() {
        let p = NoticePolicy::default();
        // Fri 3 Jul 2026 is the observed Independence Day; created Thu 2 Jul.
        let c = d(2026, 7, 2);
        let f = facts(NoticeKind::ChangeOfResidence, c);
        // 6, 7, 8, 9 July.
        assert_eq!(p.due_on(&f), Some(d(2026, 7, 9)));
        let acked = NoticeFacts {
            status: NoticeStatus::Acknowledged,
            ..f
        };
        assert_eq!(p.due_on(&acked), Some(d(2026, 7, 9)));
        let closed = NoticeFacts {
            status: NoticeStatus::Closed,
            ..f
        };
        assert!(p.obligations(&closed).is_empty());
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.code()), Some(k));
        }
        for s in NoticeStatus::ALL {
            assert_eq!(NoticeStatus::parse(s.code()), Some(s));
        }
    }
}
