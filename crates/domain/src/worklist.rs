//! Worklist rules: the kinds of items, the levels an item escalates through (district, then
//! regional, then state) and the deadline of each level, counted in working days (weekends and
//! observed federal holidays excluded) from the day the item was created.
//!
//! An item has `days[0]` working days at district level, then `days[1]` at regional level, then
//! `days[2]` at state level. The deadline of a level is the last working day at that level; the
//! item moves up the day after. A validation item (merge or split) whose state-level deadline has
//! passed is approved automatically, as the federal system does; a near match stays at state
//! level, overdue.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{add_working_days, working_days_between};
use crate::policy::Policy;

/// What an item asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorklistKind {
    /// Linkage was uncertain: is the new record the same child as a candidate?
    NearMatch,
    /// A merge waits for a second data administrator.
    ValidateMerge,
    /// A split waits for a second data administrator.
    ValidateSplit,
}

impl WorklistKind {
    pub const ALL: [WorklistKind; 3] = [
        WorklistKind::NearMatch,
        WorklistKind::ValidateMerge,
        WorklistKind::ValidateSplit,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            WorklistKind::NearMatch => "near_match",
            WorklistKind::ValidateMerge => "validate_merge",
            WorklistKind::ValidateSplit => "validate_split",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Whether the item auto-approves when the whole escalation period lapses.
    pub fn auto_approves(&self) -> bool {
        !matches!(self, WorklistKind::NearMatch)
    }
}

/// The administrative level an item is assigned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    District,
    Regional,
    State,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::District, Level::Regional, Level::State];

    pub fn code(&self) -> &'static str {
        match self {
            Level::District => "district",
            Level::Regional => "regional",
            Level::State => "state",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    fn index(&self) -> usize {
        match self {
            Level::District => 0,
            Level::Regional => 1,
            Level::State => 2,
        }
    }
}

/// Working days per level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorklistPolicy {
    /// Working days at district, regional and state level.
    pub days: [u32; 3],
}

impl Default for WorklistPolicy {
    fn default() -> Self {
        Self::from_policy(&Policy::default())
    }
}

/// Where an item stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub level: Level,
    /// Last working day at `level`.
    pub due_on: NaiveDate,
    /// The state-level deadline has passed.
    pub lapsed: bool,
}

impl WorklistPolicy {
    pub fn from_policy(p: &Policy) -> Self {
        Self {
            days: p.worklist_working_days,
        }
    }

    /// The deadline (last working day) of each level for an item created on `created`.
    pub fn deadlines(&self, created: NaiveDate) -> [NaiveDate; 3] {
        let d0 = add_working_days(created, self.days[0]);
        let d1 = add_working_days(d0, self.days[1]);
        let d2 = add_working_days(d1, self.days[2]);
        [d0, d1, d2]
    }

    /// The deadline of `level` for an item created on `created`.
    pub fn due_on(&self, created: NaiveDate, level: Level) -> NaiveDate {
        self.deadlines(created)[level.index()]
    }

    /// The level an item created on `created` has reached on `today`.
    pub fn standing(&self, created: NaiveDate, today: NaiveDate) -> Standing {
        let d = self.deadlines(created);
        let (level, due_on) = if today <= d[0] {
            (Level::District, d[0])
        } else if today <= d[1] {
            (Level::Regional, d[1])
        } else {
            (Level::State, d[2])
        };
        Standing {
            level,
            due_on,
            lapsed: today > d[2],
        }
    }
}

/// Age of an item: working days since it was created.
pub fn age_working_days(created: NaiveDate, today: NaiveDate) -> u32 {
    working_days_between(created, today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn levels_escalate_on_working_days() {
        let p = WorklistPolicy { days: [2, 1, 1] };
        // Wed 25 Nov 2026; Thu 26 is Thanksgiving; weekend 28-29.
        let c = d(2026, 11, 25);
        assert_eq!(
            p.deadlines(c),
            [d(2026, 11, 30), d(2026, 12, 1), d(2026, 12, 2)]
        );
        assert_eq!(p.standing(c, d(2026, 11, 29)).level, Level::District);
        assert_eq!(p.standing(c, d(2026, 11, 30)).level, Level::District);
        assert_eq!(p.standing(c, d(2026, 12, 1)).level, Level::Regional);
        assert_eq!(p.standing(c, d(2026, 12, 2)).level, Level::State);
        assert!(!p.standing(c, d(2026, 12, 2)).lapsed);
        assert!(p.standing(c, d(2026, 12, 3)).lapsed);
        assert_eq!(age_working_days(c, d(2026, 11, 30)), 2);
        for k in WorklistKind::ALL {
            assert_eq!(WorklistKind::parse(k.code()), Some(k));
        }
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(l));
        }
    }
}
