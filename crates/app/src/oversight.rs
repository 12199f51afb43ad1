//! Oversight reports: how long worklist items have waited, the state of user accounts, and the
//! students rejected at submission. Worklist aging and accounts are counts only (no child and no
//! user is named), so a national-statistics viewer sees every state and a state's report viewer
//! sees their state; the rejected-students list names students and is a child-level list.
//! Every report is audited.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::roles::{Capability, Role};
use puente_domain::validate::{Issue, Severity};
use puente_domain::{CodeSet, StateCode};
use serde::Serialize;

use crate::authz::Actor;
use crate::reports::{parse_state, require_national};
use crate::{App, AppError, Result};

/// Age bands of open worklist items, in calendar days since the item was created: (code,
/// first day, last day). The last band has no end.
pub const AGE_BANDS: [(&str, i64, Option<i64>); 5] = [
    ("0-7", 0, Some(7)),
    ("8-14", 8, Some(14)),
    ("15-30", 15, Some(30)),
    ("31-60", 31, Some(60)),
    ("61+", 61, None),
];

/// The band index of an age in days (negative ages, from a clock behind the item, are band 0).
pub fn age_band(days: i64) -> usize {
    AGE_BANDS
        .iter()
        .position(|(_, _, last)| last.is_none_or(|l| days <= l))
        .unwrap_or(AGE_BANDS.len() - 1)
}

/// Open items of one group by age band.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AgingCounts {
    /// Items per band of [`AGE_BANDS`].
    pub by_band: [u64; 5],
    /// Items past their due date at their current level.
    pub overdue: u64,
    pub total: u64,
    /// Age in days of the oldest item (0 when none).
    pub oldest_days: i64,
}

impl AgingCounts {
    fn add(&mut self, age_days: i64, overdue: bool, items: u64) {
        self.by_band[age_band(age_days)] += items;
        if overdue {
            self.overdue += items;
        }
        self.total += items;
        self.oldest_days = self.oldest_days.max(age_days);
    }
}

/// Open worklist items of one state, kind and level.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AgingRow {
    /// Assigned state (`""` for an item without one).
    pub state: String,
    /// `near_match`, `validate_merge`, `validate_split`.
    pub kind: String,
    /// `district`, `regional`, `state`.
    pub level: String,
    pub counts: AgingCounts,
}

/// The worklist aging report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WorklistAging {
    pub as_of: NaiveDate,
    /// Ordered by state, kind, then level (district, regional, state).
    pub rows: Vec<AgingRow>,
    pub total: AgingCounts,
}

/// Accounts of one state and role.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct AccountCounts {
    pub accounts: u64,
    pub active: u64,
    /// Temporarily disabled (by an administrator or for inactivity).
    pub disabled: u64,
    /// Permanently deactivated.
    pub deactivated: u64,
    /// Active accounts whose security and privacy training is missing or older than the
    /// renewal period (a year).
    pub training_overdue: u64,
    /// Accounts that signed in within the last 30 days.
    pub logged_in_30_days: u64,
    /// Active accounts that never signed in.
    pub never_logged_in: u64,
    /// Active accounts without a sign-in (or, never used, created) for the inactivity period:
    /// the nightly job disables them.
    pub inactive: u64,
}

impl AccountCounts {
    fn merge(&mut self, o: &AccountCounts) {
        self.accounts += o.accounts;
        self.active += o.active;
        self.disabled += o.disabled;
        self.deactivated += o.deactivated;
        self.training_overdue += o.training_overdue;
        self.logged_in_30_days += o.logged_in_30_days;
        self.never_logged_in += o.never_logged_in;
        self.inactive += o.inactive;
    }
}

/// Accounts of one state (`""`: national accounts) and role.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccountRow {
    pub state: String,
    pub role: String,
    pub counts: AccountCounts,
}

/// The user and account report. State systems' machine accounts are left out (they do not
/// sign in, train or lapse).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AccountReport {
    pub as_of: NaiveDate,
    /// Ordered by state, then role.
    pub rows: Vec<AccountRow>,
    pub total: AccountCounts,
}

/// Days within which a sign-in counts as recent in [`AccountCounts::logged_in_30_days`].
pub const RECENT_LOGIN_DAYS: i64 = 30;

/// A student rejected at submission, with why (element and rule of each error; never the
/// offending value, which may be a name).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedStudent {
    pub submission_id: String,
    pub received_at: DateTime<Utc>,
    pub state_student_id: String,
    /// `(element, rule code)` of each error, in the order found.
    pub errors: Vec<(String, String)>,
}

fn level_order(level: &str) -> u8 {
    match level {
        "district" => 0,
        "regional" => 1,
        "state" => 2,
        _ => 3,
    }
}

impl App {
    /// Checks report access to `state`, or to every state when `None` (national statistics, or
    /// reports without a state scope).
    fn require_report_scope(actor: &Actor, state: Option<&str>) -> Result<Option<StateCode>> {
        match state {
            Some(s) => {
                if !(actor.can(Capability::ViewNationalStatistics)
                    || actor.require_in_state(Capability::ViewReports, s).is_ok())
                {
                    return Err(AppError::Forbidden);
                }
                parse_state(s).map(Some)
            }
            None => require_national(actor).map(|()| None),
        }
    }

    /// Open worklist items by age band, of `state` or of every state (capability `ViewReports`
    /// in the state's scope, or national statistics). Age is counted in calendar days from the
    /// day the item was created to the clock's today; an item is overdue when its due date at
    /// its current level has passed. Audited as `report.worklist_aging`.
    pub async fn worklist_aging(
        &self,
        actor: &Actor,
        state: Option<&str>,
    ) -> Result<WorklistAging> {
        let st = Self::require_report_scope(actor, state)?;
        let today = self.clock.now().date_naive();
        let mut groups: BTreeMap<(String, String, u8, String), AgingCounts> = BTreeMap::new();
        let mut total = AgingCounts::default();
        for g in self
            .store
            .worklist_aging_groups(st.map(|s| s.code()), today)
            .await?
        {
            let age = (today - g.created_on).num_days().max(0);
            let items = u64::try_from(g.items).unwrap_or(0);
            groups
                .entry((
                    g.state.unwrap_or_default(),
                    g.kind,
                    level_order(&g.level),
                    g.level,
                ))
                .or_default()
                .add(age, g.overdue, items);
            total.add(age, g.overdue, items);
        }
        let details = format!(
            "{{\"state\":{:?},\"items\":{}}}",
            st.map(|s| s.code()).unwrap_or(""),
            total.total
        );
        self.audit(actor, "report.worklist_aging", Some(&details))
            .await?;
        Ok(WorklistAging {
            as_of: today,
            rows: groups
                .into_iter()
                .map(|((state, kind, _, level), counts)| AgingRow {
                    state,
                    kind,
                    level,
                    counts,
                })
                .collect(),
            total,
        })
    }

    /// User accounts by state and role, of `state` or of every state (same access as
    /// [`App::worklist_aging`], and user administrators within their scope): status, overdue training, recent and missing sign-ins. Audited
    /// as `report.accounts`.
    pub async fn account_report(
        &self,
        actor: &Actor,
        state: Option<&str>,
    ) -> Result<AccountReport> {
        // User administrators see their own scope's accounts (a state, or every state).
        let manages = actor.can(Capability::ManageUsers)
            && match state {
                Some(s) => actor.covers_state(s),
                None => actor.state().is_none(),
            };
        let st = if manages {
            state.map(parse_state).transpose()?
        } else {
            Self::require_report_scope(actor, state)?
        };
        let now = self.clock.now();
        let training_limit = now - self.auth.rules_reacceptance;
        let inactive_limit = now - self.auth.inactivity_disable;
        let recent_limit = now - chrono::Duration::days(RECENT_LOGIN_DAYS);
        let mut groups: BTreeMap<(String, String), AccountCounts> = BTreeMap::new();
        for u in self.store.list_users(st.map(|s| s.code())).await? {
            if u.role == Role::StateSystem.code() {
                continue;
            }
            let c = groups
                .entry((u.scope_state.clone().unwrap_or_default(), u.role.clone()))
                .or_default();
            c.accounts += 1;
            match u.status.as_str() {
                "active" => {
                    c.active += 1;
                    if u.training_completed_at.is_none_or(|t| t < training_limit) {
                        c.training_overdue += 1;
                    }
                    if u.last_login_at.is_none() {
                        c.never_logged_in += 1;
                    }
                    if u.last_login_at.unwrap_or(u.created_at) < inactive_limit {
                        c.inactive += 1;
                    }
                }
                "disabled" => c.disabled += 1,
                _ => c.deactivated += 1,
            }
            if u.last_login_at.is_some_and(|t| t >= recent_limit) {
                c.logged_in_30_days += 1;
            }
        }
        let mut total = AccountCounts::default();
        for c in groups.values() {
            total.merge(c);
        }
        let details = format!(
            "{{\"state\":{:?},\"accounts\":{}}}",
            st.map(|s| s.code()).unwrap_or(""),
            total.accounts
        );
        self.audit(actor, "report.accounts", Some(&details)).await?;
        Ok(AccountReport {
            as_of: now.date_naive(),
            rows: groups
                .into_iter()
                .map(|((state, role), counts)| AccountRow {
                    state,
                    role,
                    counts,
                })
                .collect(),
            total,
        })
    }

    /// Students of a state rejected at submission, oldest submission first, each with its
    /// errors (child-level: same access as the other drill-downs; audited as
    /// `report.rejected.list`).
    pub async fn rejected_students(
        &self,
        actor: &Actor,
        state: &str,
    ) -> Result<Vec<RejectedStudent>> {
        Ok(self
            .rejected_list(actor, state)
            .await?
            .into_iter()
            .map(|r| {
                let issues: Vec<Issue> = serde_json::from_str(&r.issues).unwrap_or_default();
                RejectedStudent {
                    submission_id: r.submission_id,
                    received_at: r.received_at,
                    state_student_id: r.state_student_id,
                    errors: issues
                        .into_iter()
                        .filter(|i| i.severity == Severity::Error)
                        .map(|i| (i.element, i.rule.as_str().to_owned()))
                        .collect(),
                }
            })
            .collect())
    }
}
