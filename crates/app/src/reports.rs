//! Reports with exact rules: child counts (Category 1 and 2), reconciliation with a state's own
//! list, and data quality. Every report reads the state's children in pages ordered by child id
//! (set-based queries, memory bounded by the page). Child-level lists (drill-downs) are audited
//! and are never given to a national-statistics viewer.

use chrono::{Datelike, NaiveDate};
use puente_domain::childcount::{
    CategoryCounts, ChildCountPolicy, ChildCountTally, NotCounted, PerformancePeriod,
    PuenteCountLine, ReconciliationLine, SERVICES, decide, parse_state_list, period_start_year_of,
    reconcile,
};
use puente_domain::quality::{DistrictTally, QualityPolicy, QualityTally, check, stable_until};
use puente_domain::roles::{Capability, Role};
use puente_domain::{CodeSet, StateCode};
use puente_store::{
    CacheWrite, CountRow, CountScope, MOVES_MARK, QualityGroups, QualityRow, RejectedRow,
    ReportChild,
};
use serde::Serialize;

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Children read per page.
pub const PAGE: i64 = 5_000;

/// Children recomputed per transaction when their data changed.
const DIRTY_CHUNK: i64 = 2_000;

/// The stored value of a counted category.
const COUNTED: &str = "counted";
/// Kinds of `report_marks`.
const KIND_COUNT: &str = "count";
const KIND_QUALITY: &str = "quality";
const KIND_DUPLICATES: &str = puente_store::DUPLICATES_KIND;

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
    /// Each child once, however many states counted it: children in Category 1 in at least one
    /// state, and of them those in Category 2 in at least one state.
    pub unduplicated: CategoryCounts,
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

impl CountList {
    /// The kept (Category 1, Category 2) values of the children listed; `None` for possible
    /// duplicates, which depend on other children.
    fn stored_values(self) -> Option<(&'static str, Option<&'static str>)> {
        match self {
            CountList::Category1 => Some((COUNTED, None)),
            CountList::Category2 => Some((COUNTED, Some(COUNTED))),
            CountList::NotCounted(r) => Some((r.code(), None)),
            CountList::PossibleDuplicates => None,
        }
    }
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
    /// The districts' counts added up by region: the region the state's profile gives the
    /// district, or [`NO_REGION`] for a district the profile does not place (and children
    /// without a district).
    pub by_region: std::collections::BTreeMap<String, DistrictTally>,
    /// Region code -> name, from the state's profile.
    pub region_names: std::collections::BTreeMap<String, String>,
    /// The state's figures over time: for each month of the last year with kept figures, the
    /// latest day kept in it (today's included), oldest first.
    pub history: Vec<QualityPoint>,
}

/// A state's data-quality figures on one day (see [`QualityReport::history`]).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QualityPoint {
    pub day: NaiveDate,
    pub children: u64,
    pub children_with_findings: u64,
    pub by_code: std::collections::BTreeMap<String, u64>,
}

/// Months of kept data-quality figures a report shows (this month and the 12 before it).
pub const HISTORY_MONTHS: u32 = 12;

/// The region key of districts without a known region.
pub const NO_REGION: &str = "none";

/// The drill-down code of [`QualityReport::open_near_matches`].
pub const OPEN_NEAR_MATCH: &str = "open_near_match";

pub(crate) fn parse_state(state: &str) -> Result<StateCode> {
    StateCode::parse(state).ok_or_else(|| AppError::Invalid(format!("unknown state {state}")))
}

/// Whether the actor may see child-level lists: `ViewReports`, and not a national-statistics
/// (federal) viewer.
fn may_list_children(actor: &Actor) -> bool {
    actor.can(Capability::ViewReports)
        && !actor.can(Capability::ViewNationalStatistics)
        && actor.role != Role::FederalViewer
}

/// The national reports' access: national statistics, or reports without a state scope.
pub(crate) fn require_national(actor: &Actor) -> Result<()> {
    if actor.can(Capability::ViewNationalStatistics)
        || (actor.can(Capability::ViewReports) && actor.state().is_none())
    {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl App {
    fn period_of(year: i32) -> Result<(ChildCountPolicy, PerformancePeriod)> {
        let policy = ChildCountPolicy::default();
        let period = policy
            .period(year)
            .ok_or_else(|| AppError::Invalid(format!("no performance period starts in {year}")))?;
        Ok((policy, period))
    }

    /// The count lines of a state (one per child), for reconciliation: the kept child-count
    /// rows of the period (brought up to date first) with each child's state student IDs.
    async fn count_lines(&self, state: StateCode, year: i32) -> Result<Vec<PuenteCountLine>> {
        Self::period_of(year)?;
        self.refresh_reports(state, Some(year), false, true).await?;
        let (dups, kept) = tokio::try_join!(
            self.store.report_duplicate_children(state.code()),
            self.store.report_count_lines(state.code(), year)
        )?;
        let not_counted = |value: &str| -> Result<Option<NotCounted>> {
            match reason(value) {
                None => Ok(None),
                Some(code) => NotCounted::parse(code).map(Some).ok_or_else(|| {
                    puente_store::StoreError::Corrupt(format!("kept child-count value {code:?}"))
                        .into()
                }),
            }
        };
        let dups: std::collections::HashSet<&str> = dups.iter().map(String::as_str).collect();
        let mut lines = Vec::with_capacity(kept.len());
        for l in kept {
            lines.push(PuenteCountLine {
                category1: not_counted(&l.category1)?,
                category2: not_counted(&l.category2)?,
                possible_duplicate: dups.contains(l.child_id.as_str()),
                msix_id: l.msix_id,
                state_student_ids: l.state_student_ids,
            });
        }
        Ok(lines)
    }

    /// Brings the kept report rows of a state up to date (docs/reports.md "Performance"):
    /// first the children whose data changed since their rows were written, then a full pass
    /// for a period (`year`), for quality (`quality`) or for the possible duplicates
    /// (`duplicates`) never computed in this state, then the quality rows whose days have
    /// passed. Refreshes run one at a time.
    async fn refresh_reports(
        &self,
        st: StateCode,
        year: Option<i32>,
        quality: bool,
        duplicates: bool,
    ) -> Result<()> {
        let _one_at_a_time = self.report_refresh.lock().await;
        let state = st.code();
        let today = self.clock.now().date_naive();
        let policy = ChildCountPolicy::default();
        let qpolicy = QualityPolicy::default();
        let marks = self.store.report_marks(state).await?;
        let kept: Vec<PerformancePeriod> = marks
            .iter()
            .filter(|(k, _)| k == KIND_COUNT)
            .map(|(_, y)| Self::period_of(*y).map(|(_, p)| p))
            .collect::<Result<_>>()?;
        let mut quality_marked = marks.iter().any(|(k, _)| k == KIND_QUALITY);
        let duplicates_marked = marks.iter().any(|(k, _)| k == KIND_DUPLICATES);
        // The rows of `children` for `periods`, and their quality rows when `quality`.
        let fill = |w: &mut CacheWrite,
                    children: &[ReportChild],
                    periods: &[PerformancePeriod],
                    quality: bool| {
            for c in children {
                for p in periods {
                    w.counts.push(count_row(c, p, &policy));
                }
                if quality {
                    w.quality_rows.push(quality_row(c, today, &qpolicy));
                }
            }
        };
        // 1. Children whose data changed: every kept row of theirs is computed again. Nothing
        // kept in this state yet: the marks only need removing (one statement; refreshes run
        // one at a time, so no full pass is under way).
        let mut after = String::new();
        let mut more = !kept.is_empty() || quality_marked || duplicates_marked;
        if !more {
            self.store.report_dirty_drop(state).await?;
        }
        while more {
            let dirty = self.store.report_dirty(state, &after, DIRTY_CHUNK).await?;
            let Some((last, _)) = dirty.last() else { break };
            after = last.clone();
            let ids: Vec<String> = dirty.iter().map(|(c, _)| c.clone()).collect();
            // Before the write that removes the marks: a crash in between leaves them, and
            // doing this again changes nothing.
            if duplicates_marked {
                self.store.report_duplicates_update(state, &ids).await?;
            }
            let children = self.store.report_children_by_ids(state, &ids).await?;
            let mut w = CacheWrite {
                state: state.into(),
                children: ids,
                count_scope: CountScope::All,
                quality: true,
                consumed: dirty.clone(),
                ..Default::default()
            };
            fill(&mut w, &children, &kept, quality_marked);
            self.store.report_cache_write(&w).await?;
            more = (dirty.len() as i64) >= DIRTY_CHUNK;
        }
        // 2. A period or the quality report never computed in this state: every child.
        let new_year = year.filter(|y| !marks.iter().any(|(k, m)| k == KIND_COUNT && m == y));
        let new_quality = quality && !quality_marked;
        if new_year.is_some() || new_quality {
            let period: Vec<PerformancePeriod> = new_year
                .map(Self::period_of)
                .transpose()?
                .map(|(_, p)| p)
                .into_iter()
                .collect();
            // Rows of a pass that stopped part-way go first; the pages then only insert.
            self.store
                .report_clear_for_pass(state, new_year, new_quality)
                .await?;
            let mut after = String::new();
            loop {
                let page = self.store.report_children_page(state, &after, PAGE).await?;
                let Some(last) = page.last() else { break };
                after = last.child_id.clone();
                let mut w = CacheWrite {
                    state: state.into(),
                    ..Default::default()
                };
                fill(&mut w, &page, &period, new_quality);
                self.store.report_cache_write(&w).await?;
                if (page.len() as i64) < PAGE {
                    break;
                }
            }
            self.store.report_analyze().await?;
            if let Some(y) = new_year {
                self.store.report_mark(state, KIND_COUNT, y).await?;
            }
            if new_quality {
                self.store.report_mark(state, KIND_QUALITY, 0).await?;
                quality_marked = true;
            }
        }
        // The possible duplicates never kept in this state: computed whole (one statement).
        if duplicates && !duplicates_marked {
            self.store.report_duplicates_rebuild(state).await?;
        }
        // 3. Quality rows whose days have passed (a clock ran out, a birthday, a future date
        // reached).
        if quality && quality_marked {
            let expired = self.store.report_quality_expired(state, today).await?;
            for ids in expired.chunks(DIRTY_CHUNK as usize) {
                let children = self.store.report_children_by_ids(state, ids).await?;
                let mut w = CacheWrite {
                    state: state.into(),
                    children: ids.to_vec(),
                    quality: true,
                    ..Default::default()
                };
                fill(&mut w, &children, &[], true);
                self.store.report_cache_write(&w).await?;
            }
        }
        Ok(())
    }

    /// Brings the kept report rows up to date where writes marked children, computing nothing
    /// never computed (no full pass): in each state with marks, its marked children and its
    /// quality rows whose days have passed; the kept interstate moves of the children marked
    /// [`MOVES_MARK`]; then today's data-quality figures of the states that have none yet. Cheap
    /// when nothing changed (two queries), so `puente serve` runs it every
    /// 30 seconds and the first report after a bulk upload finds little left to do. Same access
    /// as [`App::refresh_all_reports`]; not audited (it shows nothing, and runs that often).
    pub async fn refresh_marked_reports(&self, actor: &Actor) -> Result<()> {
        require_national(actor)?;
        for state in self.store.report_dirty_states().await? {
            if state == MOVES_MARK {
                self.refresh_mobility(false).await?;
                continue;
            }
            let Some(st) = StateCode::parse(&state) else {
                continue;
            };
            let quality = self
                .store
                .report_marks(st.code())
                .await?
                .iter()
                .any(|(k, _)| k == KIND_QUALITY);
            self.refresh_reports(st, None, quality, false).await?;
        }
        self.keep_daily_quality_snapshots().await
    }

    /// Brings the kept interstate moves up to date (docs/reports.md "Performance"): computed
    /// from nothing the first time (when `rebuild`; otherwise the marks, which nothing kept
    /// needs, are removed), then only the moves of the children whose data changed.
    async fn refresh_mobility(&self, rebuild: bool) -> Result<()> {
        let _one_at_a_time = self.report_refresh.lock().await;
        if !self.store.report_moves_kept().await? {
            if rebuild {
                self.store.report_moves_rebuild().await?;
                self.store.report_analyze().await?;
            } else {
                self.store.report_dirty_drop(MOVES_MARK).await?;
            }
            return Ok(());
        }
        let mut after = String::new();
        loop {
            let marks = self
                .store
                .report_dirty(MOVES_MARK, &after, DIRTY_CHUNK)
                .await?;
            let Some((last, _)) = marks.last() else { break };
            after = last.clone();
            self.store.report_moves_update(&marks).await?;
            if (marks.len() as i64) < DIRTY_CHUNK {
                return Ok(());
            }
        }
        Ok(())
    }

    /// A state's child-count tally for a period, from its kept rows as they are.
    async fn tally_kept(
        &self,
        st: StateCode,
        year: i32,
    ) -> Result<(PerformancePeriod, ChildCountTally)> {
        let (_, period) = Self::period_of(year)?;
        let mut tally = ChildCountTally::default();
        for g in self.store.report_count_groups(st.code(), year).await? {
            tally.add_children(
                g.children,
                reason(&g.category1),
                reason(&g.category2),
                g.age,
                g.grade.as_deref(),
            );
            if g.category1 == COUNTED {
                let c2 = g.category2 == COUNTED;
                for (key, n) in SERVICES.into_iter().zip([g.pfs, g.el, g.idea]) {
                    tally.add_service(key, n, if c2 { n } else { 0 });
                }
            }
        }
        Ok((period, tally))
    }

    /// MSIX IDs of a state's possible duplicates counted in Category 1 (child id order).
    async fn counted_duplicates(&self, st: StateCode, year: i32) -> Result<Vec<String>> {
        let dups: Vec<String> = self
            .store
            .report_duplicate_children(st.code())
            .await?
            .into_iter()
            .collect();
        if dups.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .store
            .report_count_children(st.code(), year, COUNTED, None, Some(&dups))
            .await?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
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
        self.refresh_reports(st, Some(period_start_year), false, true)
            .await?;
        let (period, tally) = self.tally_kept(st, period_start_year).await?;
        let dup_ids = self.counted_duplicates(st, period_start_year).await?;
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
        require_national(actor)?;
        let (_, period) = Self::period_of(period_start_year)?;
        let states: Vec<StateCode> = self
            .store
            .report_states()
            .await?
            .iter()
            .filter_map(|s| StateCode::parse(s))
            .collect();
        // Every state's kept rows first: the unduplicated count reads them all.
        for st in &states {
            self.refresh_reports(*st, Some(period_start_year), false, false)
                .await?;
        }
        // The states' tallies in two halves, each on its own connection, and the kept
        // unduplicated count: from a cold cache the grouped reads wait on the disk, and two at
        // once finish sooner.
        let tallies = |states: Vec<StateCode>| async move {
            let mut out = Vec::with_capacity(states.len());
            for st in states {
                out.push((st.code(), self.tally_kept(st, period_start_year).await?.1));
            }
            Ok::<_, AppError>(out)
        };
        let (first, second) = states.split_at(states.len() / 2);
        let unduplicated = async {
            Ok::<_, AppError>(
                self.store
                    .report_national_unduplicated(period_start_year)
                    .await?,
            )
        };
        let (mut tallies, more, (category1, category2)) = tokio::try_join!(
            tallies(first.to_vec()),
            tallies(second.to_vec()),
            unduplicated
        )?;
        tallies.extend(more);
        let mut by_state = std::collections::BTreeMap::new();
        let mut total = ChildCountTally::default();
        for (code, t) in tallies {
            total.merge(&t);
            by_state.insert(code.to_owned(), t);
        }
        let details = format!("{{\"year\":{period_start_year}}}");
        self.audit(actor, "report.child_count.national", Some(&details))
            .await?;
        Ok(NationalChildCount {
            period,
            by_state,
            total,
            unduplicated: CategoryCounts {
                category1,
                category2,
            },
        })
    }

    /// Brings every state's kept report rows up to date for the period starting 1 September
    /// `period_start_year` and for data quality, and the kept interstate moves (same access as
    /// [`App::national_child_count`]); returns the states. Audited as `report.refresh`.
    pub async fn refresh_all_reports(
        &self,
        actor: &Actor,
        period_start_year: i32,
    ) -> Result<Vec<String>> {
        require_national(actor)?;
        Self::period_of(period_start_year)?;
        let mut done = Vec::new();
        for s in self.store.report_states().await? {
            let Some(st) = StateCode::parse(&s) else {
                continue;
            };
            self.refresh_reports(st, Some(period_start_year), true, true)
                .await?;
            done.push(s);
        }
        self.refresh_mobility(true).await?;
        // The national count, kept from here on (a pass above leaves it to be counted again).
        self.store
            .report_national_unduplicated(period_start_year)
            .await?;
        let details = format!("{{\"year\":{period_start_year},\"states\":{}}}", done.len());
        self.audit(actor, "report.refresh", Some(&details)).await?;
        Ok(done)
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
        require_national(actor)?;
        let (_, period) = Self::period_of(period_start_year)?;
        let mut pairs: std::collections::BTreeMap<(String, String), u64> = Default::default();
        let mut months: std::collections::BTreeMap<String, u64> = Default::default();
        let mut total = 0;
        self.refresh_mobility(true).await?;
        for (from, to, month, n) in self.store.report_flows(period.start, period.end).await? {
            let (Some(f), Some(t)) = (StateCode::parse(&from), StateCode::parse(&to)) else {
                continue;
            };
            if f == t {
                continue;
            }
            *pairs
                .entry((f.code().to_owned(), t.code().to_owned()))
                .or_default() += n;
            *months.entry(month).or_default() += n;
            total += n;
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
        Self::period_of(period_start_year)?;
        self.refresh_reports(st, Some(period_start_year), false, true)
            .await?;
        let ids: Vec<String> = match list.stored_values() {
            None => self.counted_duplicates(st, period_start_year).await?,
            Some((c1, c2)) => self
                .store
                .report_count_children(st.code(), period_start_year, c1, c2, None)
                .await?
                .into_iter()
                .map(|(_, m)| m)
                .collect(),
        };
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
        let lines = self.count_lines(st, period_start_year).await?;
        let out = reconcile(&lines, &list);
        let counted = lines.iter().filter(|l| l.category() > 0).count();
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
        self.refresh_reports(st, None, true, false).await?;
        let tally = quality_tally(self.store.report_quality_groups(st.code()).await?);
        let regions = self.district_regions(st).await?;
        let mut by_region: std::collections::BTreeMap<String, DistrictTally> = Default::default();
        for (district, dt) in &tally.by_district {
            let r = by_region
                .entry(region_of(&regions, district).to_owned())
                .or_default();
            r.children += dt.children;
            for (code, n) in &dt.by_code {
                *r.by_code.entry(code.clone()).or_default() += n;
            }
        }
        let region_names = self
            .store
            .state_areas(st.code(), false)
            .await?
            .into_iter()
            .map(|a| (a.code, a.name))
            .collect();
        self.keep_quality_snapshot(st, today, &tally).await?;
        let history = self.quality_history(st, today).await?;
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
            by_region,
            region_names,
            history,
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

    /// Keeps `tally` as the state's data-quality figures of `day`.
    async fn keep_quality_snapshot(
        &self,
        st: StateCode,
        day: NaiveDate,
        tally: &QualityTally,
    ) -> Result<()> {
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        self.store
            .put_quality_snapshot(
                st.code(),
                &puente_store::QualitySnapshot {
                    day,
                    children: as_i64(tally.children),
                    children_with_findings: as_i64(tally.children_with_findings),
                    // A map of strings to numbers always serialises.
                    by_code: serde_json::to_string(&tally.by_code).unwrap_or_else(|_| "{}".into()),
                },
            )
            .await?;
        Ok(())
    }

    /// The kept figures of the last [`HISTORY_MONTHS`] months and this one: the latest day of
    /// each month, oldest first.
    async fn quality_history(&self, st: StateCode, today: NaiveDate) -> Result<Vec<QualityPoint>> {
        let since = today
            .with_day(1)
            .and_then(|d| d.checked_sub_months(chrono::Months::new(HISTORY_MONTHS)))
            .unwrap_or(today);
        let mut by_month: std::collections::BTreeMap<(i32, u32), QualityPoint> = Default::default();
        for snap in self.store.quality_snapshots(st.code(), since).await? {
            let as_u64 = |n: i64| u64::try_from(n).unwrap_or(0);
            by_month.insert(
                (snap.day.year(), snap.day.month()),
                QualityPoint {
                    day: snap.day,
                    children: as_u64(snap.children),
                    children_with_findings: as_u64(snap.children_with_findings),
                    by_code: serde_json::from_str(&snap.by_code).unwrap_or_default(),
                },
            );
        }
        Ok(by_month.into_values().collect())
    }

    /// Keeps today's data-quality figures of every state whose quality rows are kept and whose
    /// figures of today are not (the report job calls it; one query when all are kept).
    async fn keep_daily_quality_snapshots(&self) -> Result<()> {
        let today = self.clock.now().date_naive();
        for s in self
            .store
            .quality_snapshots_due(KIND_QUALITY, today)
            .await?
        {
            let Some(st) = StateCode::parse(&s) else {
                continue;
            };
            self.refresh_reports(st, None, true, false).await?;
            let tally = quality_tally(self.store.report_quality_groups(st.code()).await?);
            self.keep_quality_snapshot(st, today, &tally).await?;
        }
        Ok(())
    }

    /// The region of each district the state's profile places (district code -> region code).
    async fn district_regions(
        &self,
        state: StateCode,
    ) -> Result<std::collections::HashMap<String, String>> {
        Ok(self
            .store
            .state_areas(state.code(), true)
            .await?
            .into_iter()
            .filter_map(|a| a.region_code.map(|r| (a.code, r)))
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
        self.quality_list(actor, state, code, district.map(Area::District))
            .await
    }

    /// The MSIX IDs behind one figure of the by-region table: children of `state` with a
    /// finding `code` whose district is in `region` ([`NO_REGION`]: in no known region).
    /// Audited; refused to national-statistics viewers.
    pub async fn data_quality_region_list(
        &self,
        actor: &Actor,
        state: &str,
        code: &str,
        region: &str,
    ) -> Result<Vec<String>> {
        self.quality_list(actor, state, code, Some(Area::Region(region)))
            .await
    }

    async fn quality_list(
        &self,
        actor: &Actor,
        state: &str,
        code: &str,
        area: Option<Area<'_>>,
    ) -> Result<Vec<String>> {
        actor.require_in_state(Capability::ViewReports, state)?;
        if !may_list_children(actor) {
            return Err(AppError::Forbidden);
        }
        let st = parse_state(state)?;
        let regions = match area {
            Some(Area::Region(_)) => self.district_regions(st).await?,
            _ => Default::default(),
        };
        let inside = |d: Option<&str>| match area {
            None => true,
            Some(Area::District(want)) => d.unwrap_or(NO_REGION) == want,
            Some(Area::Region(want)) => region_of(&regions, d.unwrap_or(NO_REGION)) == want,
        };
        let mut ids = Vec::new();
        if code == OPEN_NEAR_MATCH {
            let mut children: Vec<String> = self
                .open_near_match_children(st)
                .await?
                .into_iter()
                .filter(|(_, d)| inside(d.as_deref()))
                .map(|(child, _)| child)
                .collect();
            children.sort_unstable();
            children.dedup();
            let msix = self.store.msix_of_children(&children).await?;
            ids.extend(
                children
                    .iter()
                    .filter_map(|c| msix.get(c))
                    .map(|m| m.to_string()),
            );
        }
        self.refresh_reports(st, None, true, false).await?;
        // The districts inside the area (a region: those its districts' figures name).
        let districts: Option<Vec<String>> = match area {
            None => None,
            Some(Area::District(d)) => Some(vec![d.to_owned()]),
            Some(Area::Region(_)) => Some(
                self.store
                    .report_quality_groups(st.code())
                    .await?
                    .districts
                    .into_iter()
                    .map(|(d, _, _)| d)
                    .filter(|d| inside(Some(d)))
                    .collect(),
            ),
        };
        ids.extend(
            self.store
                .report_quality_children(st.code(), code, districts.as_deref())
                .await?
                .into_iter()
                .map(|(_, m)| m),
        );
        let (district, region) = match area {
            None => (None, None),
            Some(Area::District(d)) => (Some(d), None),
            Some(Area::Region(r)) => (None, Some(r)),
        };
        let details = format!(
            "{{\"state\":\"{}\",\"code\":{code:?},\"district\":{district:?},\"region\":{region:?},\"children\":{}}}",
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

/// Part of a state a data-quality drill-down is limited to.
#[derive(Debug, Clone, Copy)]
enum Area<'a> {
    District(&'a str),
    Region(&'a str),
}

/// The region of a district ([`NO_REGION`] when the state's profile does not place it).
fn region_of<'a>(
    regions: &'a std::collections::HashMap<String, String>,
    district: &str,
) -> &'a str {
    regions.get(district).map_or(NO_REGION, String::as_str)
}

/// The kept child-count row of one child for one period.
fn count_row(c: &ReportChild, period: &PerformancePeriod, policy: &ChildCountPolicy) -> CountRow {
    let d = decide(&c.facts.eligibility(), period, policy);
    let services = c.facts.service_flags(period);
    let value = |r: &std::result::Result<NaiveDate, NotCounted>| match r {
        Ok(_) => COUNTED.to_string(),
        Err(reason) => reason.code().to_string(),
    };
    CountRow {
        child_id: c.child_id.clone(),
        year: period_start_year_of(period.start, policy),
        category1: value(&d.category1),
        category2: value(&d.category2),
        age: d.age,
        grade: d.grade.map(|g| g.code().to_string()),
        msix_id: c.msix_id.clone(),
        state_student_ids: {
            let mut ids = c.facts.state_student_ids.clone();
            ids.sort_unstable();
            ids.dedup();
            ids
        },
        pfs: services.pfs,
        el: services.el,
        idea: services.idea,
    }
}

/// The kept data-quality row of one child, holding from `today` until the facts' answer may
/// change.
fn quality_row(c: &ReportChild, today: NaiveDate, policy: &QualityPolicy) -> QualityRow {
    QualityRow {
        child_id: c.child_id.clone(),
        district: c.facts.district(),
        computed_on: today,
        valid_until: stable_until(&c.facts, today, policy),
        codes: check(&c.facts, today, policy)
            .into_iter()
            .map(|f| f.code)
            .collect(),
    }
}

/// A kept category value as [`ChildCountTally::add_children`] takes it: the reason code, or
/// `None` when counted.
fn reason(value: &str) -> Option<&str> {
    (value != COUNTED).then_some(value)
}

/// The data-quality tally of a state from its kept rows' groups.
fn quality_tally(g: QualityGroups) -> QualityTally {
    let mut t = QualityTally::default();
    for (district, children, with_findings) in g.districts {
        t.children += children;
        t.children_with_findings += with_findings;
        t.by_district.insert(
            district,
            DistrictTally {
                children,
                by_code: Default::default(),
            },
        );
    }
    for (district, code, n) in g.codes {
        *t.by_code.entry(code.clone()).or_default() += n;
        *t.by_district
            .entry(district)
            .or_default()
            .by_code
            .entry(code)
            .or_default() += n;
    }
    t
}
