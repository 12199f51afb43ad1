//! Reports with exact rules: child counts (Category 1 and 2), reconciliation with a state's own
//! list, and data quality. Every report reads the state's children in pages ordered by child id
//! (set-based queries, memory bounded by the page). Child-level lists (drill-downs) are audited
//! and are never given to a national-statistics viewer.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use puente_domain::childcount::{
    ChildCountPolicy, ChildCountTally, PerformancePeriod, PuenteCountLine, ReconciliationLine,
    category_of, decide, parse_state_list, reconcile,
};
use puente_domain::quality::{QualityPolicy, QualityTally, check};
use puente_domain::roles::{Capability, Role};
use puente_domain::{CodeSet, StateCode};
use puente_store::{RejectedRow, ReportChild};
use serde::Serialize;

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Children read per page.
pub const PAGE: i64 = 5_000;

/// A state's child count for one performance period.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChildCountReport {
    pub state: String,
    pub period: PerformancePeriod,
    pub tally: ChildCountTally,
    /// Counted children (Category 1) that look like another child of the state: same folded
    /// first name, first last name and birth date. Each may be counted twice until merged.
    pub possible_duplicates: u64,
    /// MSIX IDs of those children (empty when `pii_redacted`).
    pub possible_duplicate_msix_ids: Vec<String>,
    /// True when child-level lists were left out (national-statistics viewer).
    pub pii_redacted: bool,
}

/// National totals: each state's count (a child who moved counts once per state) and the sum.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NationalChildCount {
    pub period: PerformancePeriod,
    pub by_state: std::collections::BTreeMap<String, ChildCountTally>,
    pub total: ChildCountTally,
}

/// Interstate mobility over a performance period: qualifying moves from one state to another,
/// each child's move counted once (however many states reported it). No child-level data.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Mobility {
    pub period: PerformancePeriod,
    /// Moves per (from, to) pair, most moves first (then by codes).
    pub flows: Vec<Flow>,
    /// Moves per arrival month (`YYYY-MM`), in calendar order, months without moves included.
    pub by_month: Vec<(String, u64)>,
    pub total: u64,
}

/// Moves from one state to another.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub moves: u64,
}

/// Which children a child-count drill-down lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountList {
    Category1,
    Category2,
    /// Not in Category 1 for this reason code (`NotCounted::code`).
    NotCounted(puente_domain::childcount::NotCounted),
    PossibleDuplicates,
}

/// A state's data-quality report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QualityReport {
    pub state: String,
    /// The day ages and plausibility are judged on (the clock's today).
    pub as_of: NaiveDate,
    pub tally: QualityTally,
    /// Students rejected at submission (per-student results with status `rejected`).
    pub rejected_students: u64,
    /// Files rejected whole.
    pub rejected_files: i64,
    /// Possible duplicates (near-match worklist items) of the state still waiting for a data
    /// administrator: records linkage could not place with certainty.
    pub open_near_matches: u64,
}

/// The drill-down code of [`QualityReport::open_near_matches`].
pub const OPEN_NEAR_MATCH: &str = "open_near_match";

fn parse_state(state: &str) -> Result<StateCode> {
    StateCode::parse(state).ok_or_else(|| AppError::Invalid(format!("unknown state {state}")))
}

/// Whether the actor may see child-level lists: `ViewReports`, and not a national-statistics
/// (federal) viewer.
fn may_list_children(actor: &Actor) -> bool {
    actor.can(Capability::ViewReports)
        && !actor.can(Capability::ViewNationalStatistics)
        && actor.role != Role::FederalViewer
}

impl App {
    async fn for_each_child<F>(&self, state: StateCode, mut f: F) -> Result<()>
    where
        F: FnMut(&ReportChild),
    {
        let mut after = String::new();
        loop {
            let page = self
                .store
                .report_children_page(state.code(), &after, PAGE)
                .await?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = last.child_id.clone();
            for c in &page {
                f(c);
            }
            if (page.len() as i64) < PAGE {
                return Ok(());
            }
        }
    }

    fn period_of(year: i32) -> Result<(ChildCountPolicy, PerformancePeriod)> {
        let policy = ChildCountPolicy::default();
        let period = policy
            .period(year)
            .ok_or_else(|| AppError::Invalid(format!("no performance period starts in {year}")))?;
        Ok((policy, period))
    }

    /// The count lines of a state (one per child), for reconciliation and drill-downs.
    async fn count_lines(
        &self,
        state: StateCode,
        year: i32,
    ) -> Result<(PerformancePeriod, Vec<PuenteCountLine>)> {
        let (policy, period) = Self::period_of(year)?;
        let dups = self.store.possible_duplicate_children(state.code()).await?;
        let mut lines = Vec::new();
        self.for_each_child(state, |c| {
            lines.push(PuenteCountLine {
                msix_id: c.msix_id.clone(),
                state_student_ids: c.facts.state_student_ids.clone(),
                decision: decide(&c.facts.eligibility(), &period, &policy),
                possible_duplicate: dups.contains(&c.child_id),
            });
        })
        .await?;
        Ok((period, lines))
    }

    async fn tally_state(
        &self,
        state: StateCode,
        year: i32,
        dups: &BTreeSet<String>,
    ) -> Result<(PerformancePeriod, ChildCountTally, Vec<String>)> {
        let (policy, period) = Self::period_of(year)?;
        let mut tally = ChildCountTally::default();
        let mut dup_ids = Vec::new();
        self.for_each_child(state, |c| {
            let d = decide(&c.facts.eligibility(), &period, &policy);
            if d.in_category1() && dups.contains(&c.child_id) {
                dup_ids.push(c.msix_id.clone());
            }
            tally.add(&d);
        })
        .await?;
        Ok((period, tally, dup_ids))
    }

    /// The child count of `state` for the period starting 1 September `period_start_year`
    /// (capability `ViewReports`, in the actor's state scope). A national-statistics viewer gets
    /// the counts without child-level lists.
    pub async fn child_count(
        &self,
        actor: &Actor,
        state: &str,
        period_start_year: i32,
    ) -> Result<ChildCountReport> {
        actor.require_in_state(Capability::ViewReports, state)?;
        let st = parse_state(state)?;
        let dups = self.store.possible_duplicate_children(st.code()).await?;
        let (period, tally, dup_ids) = self.tally_state(st, period_start_year, &dups).await?;
        let redact = !may_list_children(actor);
        let details = format!(
            "{{\"state\":\"{}\",\"year\":{period_start_year}}}",
            st.code()
        );
        self.audit(actor, "report.child_count", Some(&details))
            .await?;
        Ok(ChildCountReport {
            state: st.code().into(),
            period,
            tally,
            possible_duplicates: dup_ids.len() as u64,
            possible_duplicate_msix_ids: if redact { Vec::new() } else { dup_ids },
            pii_redacted: redact,
        })
    }

    /// National totals (capability `ViewNationalStatistics`, or a national-scope `ViewReports`
    /// actor): every state's count and their sum; no child-level data.
    pub async fn national_child_count(
        &self,
        actor: &Actor,
        period_start_year: i32,
    ) -> Result<NationalChildCount> {
        if !(actor.can(Capability::ViewNationalStatistics)
            || (actor.can(Capability::ViewReports) && actor.state().is_none()))
        {
            return Err(AppError::Forbidden);
        }
        let (_, period) = Self::period_of(period_start_year)?;
        let mut by_state = std::collections::BTreeMap::new();
        let mut total = ChildCountTally::default();
        for s in self.store.report_states().await? {
            let Some(st) = StateCode::parse(&s) else {
                continue;
            };
            let (_, t, _) = self
                .tally_state(st, period_start_year, &BTreeSet::new())
                .await?;
            total.merge(&t);
            by_state.insert(s, t);
        }
        let details = format!("{{\"year\":{period_start_year}}}");
        self.audit(actor, "report.child_count.national", Some(&details))
            .await?;
        Ok(NationalChildCount {
            period,
            by_state,
            total,
        })
    }

    /// Interstate mobility in the performance period starting 1 September `period_start_year`
    /// (same access as [`App::national_child_count`]): moves whose arrival date falls in the
    /// period, between two U.S. states (moves from or to another country's state or province
    /// are not interstate), by pair and by month. Audited as `report.mobility`.
    pub async fn interstate_mobility(
        &self,
        actor: &Actor,
        period_start_year: i32,
    ) -> Result<Mobility> {
        if !(actor.can(Capability::ViewNationalStatistics)
            || (actor.can(Capability::ViewReports) && actor.state().is_none()))
        {
            return Err(AppError::Forbidden);
        }
        let (_, period) = Self::period_of(period_start_year)?;
        let mut pairs: std::collections::BTreeMap<(String, String), u64> = Default::default();
        let mut months: std::collections::BTreeMap<String, u64> = Default::default();
        let mut total = 0;
        for (_, from, to, qad) in self
            .store
            .interstate_moves(period.start, period.end)
            .await?
        {
            let (Some(f), Some(t)) = (StateCode::parse(&from), StateCode::parse(&to)) else {
                continue;
            };
            if f == t {
                continue;
            }
            *pairs
                .entry((f.code().to_owned(), t.code().to_owned()))
                .or_default() += 1;
            *months.entry(qad.format("%Y-%m").to_string()).or_default() += 1;
            total += 1;
        }
        let mut flows: Vec<Flow> = pairs
            .into_iter()
            .map(|((from, to), moves)| Flow { from, to, moves })
            .collect();
        flows.sort_by(|a, b| {
            b.moves
                .cmp(&a.moves)
                .then(a.from.cmp(&b.from))
                .then(a.to.cmp(&b.to))
        });
        let mut by_month = Vec::new();
        let mut m = period.start;
        while m <= period.end {
            let key = m.format("%Y-%m").to_string();
            by_month.push((key.clone(), months.get(&key).copied().unwrap_or(0)));
            m = m
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(period.end + chrono::Days::new(1));
        }
        let details = format!("{{\"year\":{period_start_year}}}");
        self.audit(actor, "report.mobility", Some(&details)).await?;
        Ok(Mobility {
            period,
            flows,
            by_month,
            total,
        })
    }

    /// The MSIX IDs behind one child-count figure (audited; refused to national-statistics
    /// viewers).
    pub async fn child_count_list(
        &self,
        actor: &Actor,
        state: &str,
        period_start_year: i32,
        list: CountList,
    ) -> Result<Vec<String>> {
        actor.require_in_state(Capability::ViewReports, state)?;
        if !may_list_children(actor) {
            return Err(AppError::Forbidden);
        }
        let st = parse_state(state)?;
        let (_, lines) = self.count_lines(st, period_start_year).await?;
        let ids: Vec<String> = lines
            .into_iter()
            .filter(|l| match list {
                CountList::Category1 => l.decision.in_category1(),
                CountList::Category2 => l.decision.in_category2(),
                CountList::NotCounted(r) => l.decision.category1 == Err(r),
                CountList::PossibleDuplicates => l.possible_duplicate && l.decision.in_category1(),
            })
            .map(|l| l.msix_id)
            .collect();
        let details = format!(
            "{{\"state\":\"{}\",\"year\":{period_start_year},\"list\":\"{list:?}\",\"children\":{}}}",
            st.code(),
            ids.len()
        );
        self.audit(actor, "report.child_count.list", Some(&details))
            .await?;
        Ok(ids)
    }

    /// Compares a state's own child list (CSV `state_student_id,category`) with Puente's count:
    /// every child counted on one side and not the other (or in another category), with the
    /// reason, and counted possible duplicates. Audited (child-level).
    pub async fn reconcile(
        &self,
        actor: &Actor,
        state: &str,
        period_start_year: i32,
        csv: &str,
    ) -> Result<Vec<ReconciliationLine>> {
        actor.require_in_state(Capability::ViewReports, state)?;
        if !may_list_children(actor) {
            return Err(AppError::Forbidden);
        }
        let st = parse_state(state)?;
        let list = parse_state_list(csv).map_err(AppError::Invalid)?;
        let (_, lines) = self.count_lines(st, period_start_year).await?;
        let out = reconcile(&lines, &list);
        let counted = lines
            .iter()
            .filter(|l| category_of(&l.decision) > 0)
            .count();
        let details = format!(
            "{{\"state\":\"{}\",\"year\":{period_start_year},\"state_rows\":{},\"puente_counted\":{counted},\"differences\":{}}}",
            st.code(),
            list.len(),
            out.len()
        );
        self.audit(actor, "report.reconcile", Some(&details))
            .await?;
        Ok(out)
    }

    /// The data-quality report of a state, as of the clock's today (capability `ViewReports`).
    pub async fn data_quality(&self, actor: &Actor, state: &str) -> Result<QualityReport> {
        actor.require_in_state(Capability::ViewReports, state)?;
        let st = parse_state(state)?;
        let today = self.clock.now().date_naive();
        let policy = QualityPolicy::default();
        let mut tally = QualityTally::default();
        self.for_each_child(st, |c| {
            tally.add(&c.facts.district(), &check(&c.facts, today, &policy));
        })
        .await?;
        let (rejected, files) = self.store.rejected_submissions(st.code()).await?;
        let open_near_matches = self.open_near_match_children(st).await?.len() as u64;
        let details = format!("{{\"state\":\"{}\"}}", st.code());
        self.audit(actor, "report.data_quality", Some(&details))
            .await?;
        Ok(QualityReport {
            state: st.code().into(),
            as_of: today,
            tally,
            rejected_students: rejected.len() as u64,
            rejected_files: files,
            open_near_matches,
        })
    }

    /// The children (child id, district) of `state`'s open near-match worklist items.
    async fn open_near_match_children(
        &self,
        state: StateCode,
    ) -> Result<Vec<(String, Option<String>)>> {
        Ok(self
            .store
            .worklist_items(Some(state.code()), false)
            .await?
            .into_iter()
            .filter(|i| i.kind == crate::worklists::WorklistKind::NearMatch.code())
            .map(|i| (i.child_id, i.assigned_district))
            .collect())
    }

    /// The MSIX IDs behind one data-quality figure: children of `state` (and `district`, when
    /// given) with a finding `code` (audited; refused to national-statistics viewers).
    pub async fn data_quality_list(
        &self,
        actor: &Actor,
        state: &str,
        code: &str,
        district: Option<&str>,
    ) -> Result<Vec<String>> {
        actor.require_in_state(Capability::ViewReports, state)?;
        if !may_list_children(actor) {
            return Err(AppError::Forbidden);
        }
        let st = parse_state(state)?;
        let today = self.clock.now().date_naive();
        let policy = QualityPolicy::default();
        let mut ids = Vec::new();
        if code == OPEN_NEAR_MATCH {
            for (child, d) in self.open_near_match_children(st).await? {
                if district.is_some_and(|want| d.as_deref() != Some(want)) {
                    continue;
                }
                if let Some(m) = self.store.msix_of_child(&child).await? {
                    ids.push(m.to_string());
                }
            }
        }
        self.for_each_child(st, |c| {
            if district.is_some_and(|d| c.facts.district() != d) {
                return;
            }
            if check(&c.facts, today, &policy)
                .iter()
                .any(|f| f.code == code)
            {
                ids.push(c.msix_id.clone());
            }
        })
        .await?;
        let details = format!(
            "{{\"state\":\"{}\",\"code\":{code:?},\"district\":{district:?},\"children\":{}}}",
            st.code(),
            ids.len()
        );
        self.audit(actor, "report.data_quality.list", Some(&details))
            .await?;
        Ok(ids)
    }

    /// Students of a state rejected at submission (no MSIX ID: they were never stored).
    pub async fn rejected_list(&self, actor: &Actor, state: &str) -> Result<Vec<RejectedRow>> {
        actor.require_in_state(Capability::ViewReports, state)?;
        if !may_list_children(actor) {
            return Err(AppError::Forbidden);
        }
        let st = parse_state(state)?;
        let (rows, _) = self.store.rejected_submissions(st.code()).await?;
        let details = format!(
            "{{\"state\":\"{}\",\"children\":{}}}",
            st.code(),
            rows.len()
        );
        self.audit(actor, "report.rejected.list", Some(&details))
            .await?;
        Ok(rows)
    }
}
