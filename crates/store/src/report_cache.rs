//! Report facts kept between runs (migration 0012, docs/reports.md "Performance"): each child's
//! child-count decision per state and performance period, and its data-quality findings per state
//! with the days they hold. Every write of a state record's data (record upsert or deletion, a
//! merge or split moving a record, a change-of-residence notice) marks the (state, child) pair in
//! `report_dirty` in its own transaction ([`mark_dirty!`]); a report recomputes the marked
//! children, then counts with grouped queries. Each mark also marks ([`MOVES_MARK`], child), for
//! the kept interstate moves of the mobility report ([`Store::report_moves_update`]).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::Row;

use crate::{Backend, Result, Store, read_pool, write_pool};

/// The `report_dirty` state of the marks the mobility report reads: a child whose moves may
/// have changed, whatever state reported them.
pub const MOVES_MARK: &str = "*";

/// Marks (state, child) pairs, and ([`MOVES_MARK`], child) for each child, out of date inside
/// the open transaction `$c` (an `&mut Connection` of either backend): one multi-row statement
/// per 2,000 distinct pairs, each with a new token, so a report that read an older mark does not
/// remove this one.
macro_rules! mark_dirty {
    ($c:expr, $pairs:expr) => {{
        let mut pairs: Vec<(&str, &str)> = $pairs.into_iter().collect();
        let moves: Vec<(&str, &str)> = pairs
            .iter()
            .map(|&(_, child)| ($crate::report_cache::MOVES_MARK, child))
            .collect();
        pairs.extend(moves);
        pairs.sort_unstable();
        pairs.dedup();
        for chunk in pairs.chunks(2_000) {
            let mut qb =
                sqlx::QueryBuilder::new("INSERT INTO report_dirty (state, child_id, token) ");
            qb.push_values(chunk, |mut b, &(state, child)| {
                b.push_bind(state)
                    .push_bind(child)
                    .push_bind($crate::new_id());
            });
            qb.push(" ON CONFLICT (state, child_id) DO UPDATE SET token = excluded.token");
            qb.build().execute(&mut *$c).await?;
        }
    }};
}
pub(crate) use mark_dirty;

/// One child's child-count decision in one state and performance period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    pub child_id: String,
    pub year: i32,
    /// `counted` or the reason code.
    pub category1: String,
    /// `counted` or the reason code.
    pub category2: String,
    pub age: Option<i32>,
    pub grade: Option<String>,
    /// The child's MSIX ID.
    pub msix_id: String,
    /// The state student IDs of the child's live records of the state, in ID order (the
    /// writer orders them; they are read back as written).
    pub state_student_ids: Vec<String>,
    /// Service indicators in the period (Priority for Services, English learner, IDEA).
    pub pfs: bool,
    pub el: bool,
    pub idea: bool,
}

/// One child's kept child-count row in one state and period, for reconciliation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountLine {
    pub child_id: String,
    pub msix_id: String,
    /// `counted` or the reason code.
    pub category1: String,
    /// `counted` or the reason code.
    pub category2: String,
    /// The state student IDs of the child's live records of the state, in ID order.
    pub state_student_ids: Vec<String>,
}

/// One child's data-quality result in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityRow {
    pub child_id: String,
    pub district: String,
    pub computed_on: NaiveDate,
    /// First day the result may no longer hold (`None`: no end).
    pub valid_until: Option<NaiveDate>,
    pub codes: Vec<String>,
}

/// Children sharing one set of child-count values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountGroup {
    pub category1: String,
    pub category2: String,
    pub age: Option<i32>,
    pub grade: Option<String>,
    pub children: u64,
    /// Of those children, how many have each service indicator.
    pub pfs: u64,
    pub el: u64,
    pub idea: u64,
}

/// Data-quality counts of a state: per district (children, children with findings) and per
/// (district, code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QualityGroups {
    pub districts: Vec<(String, u64, u64)>,
    pub codes: Vec<(String, String, u64)>,
}

/// Which count rows of a [`CacheWrite`]'s children it replaces.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CountScope {
    /// None (a quality-only write).
    #[default]
    Untouched,
    /// All of them (the children's data changed).
    All,
}

/// What one report refresh writes for a set of children of a state, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct CacheWrite {
    pub state: String,
    /// The children whose rows are replaced.
    pub children: Vec<String>,
    /// Which count rows of `children` are replaced.
    pub count_scope: CountScope,
    /// Whether the quality rows of `children` are replaced.
    pub quality: bool,
    pub counts: Vec<CountRow>,
    pub quality_rows: Vec<QualityRow>,
    /// Marks (child, token) read before the facts were: removed when still the same.
    pub consumed: Vec<(String, String)>,
}

fn u(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The child-id list of a statement as one JSON text parameter.
pub(crate) fn id_list(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// SQL that is true when `col` is in the JSON list bound as `$n`.
pub(crate) fn in_list(backend: Backend, col: &str, n: u8) -> String {
    match backend {
        Backend::Sqlite => format!("{col} IN (SELECT value FROM json_each(${n}))"),
        Backend::Postgres => {
            format!("{col} IN (SELECT jsonb_array_elements_text(${n}::jsonb))")
        }
    }
}

/// Removes the marks of state `$1` whose (child, token) is in the JSON list of pairs `$2`.
fn consume_sql(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "DELETE FROM report_dirty WHERE state = $1 AND (child_id, token) IN \
            (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each($2))"
        }
        Backend::Postgres => {
            "DELETE FROM report_dirty WHERE state = $1 AND (child_id, token) IN \
            (SELECT x->>0, x->>1 FROM jsonb_array_elements($2::jsonb) x)"
        }
    }
}

/// The `report_marks` kind of the kept interstate moves (state [`MOVES_MARK`], year 0).
const MOBILITY_KIND: &str = "mobility";

/// The `report_marks` kind of a state's kept possible duplicates (year 0).
pub const DUPLICATES_KIND: &str = "duplicates";

/// A state's possible duplicates (`$1`) from its live records: the (key, child) pairs of the
/// keys that at least two children's records share: the groups first, then each group's records
/// through the names index (SQLite keeps a `CROSS JOIN`'s order, and reads `ON CONFLICT` after
/// an `INSERT ... SELECT` only when the select has a `WHERE`).
const DUPLICATES_REBUILD: &str = "INSERT INTO report_duplicates \
   (state, first_name_norm, last_name_1_norm, birth_date, child_id) \
 SELECT DISTINCT $1, r.first_name_norm, r.last_name_1_norm, r.birth_date, r.child_id FROM ( \
   SELECT first_name_norm, last_name_1_norm, birth_date FROM state_records \
   WHERE reporting_state = $1 AND deleted = FALSE AND birth_date IS NOT NULL \
   GROUP BY first_name_norm, last_name_1_norm, birth_date HAVING MIN(child_id) <> MAX(child_id)) g \
 CROSS JOIN state_records r WHERE r.reporting_state = $1 AND r.deleted = FALSE \
 AND r.first_name_norm = g.first_name_norm AND r.last_name_1_norm = g.last_name_1_norm \
 AND r.birth_date = g.birth_date ON CONFLICT DO NOTHING";

/// The distinct interstate moves of live records (child, from state, to state, arrival date):
/// origin and destination given and different; `filter` further limits the moves `m`.
fn live_moves(filter: Option<&str>) -> String {
    format!(
        "SELECT DISTINCT m.child_id, m.from_state, m.to_state, m.qualifying_arrival_date \
         FROM qualifying_moves m JOIN state_records s ON s.id = m.state_record_id \
         WHERE s.deleted = FALSE AND m.from_state IS NOT NULL AND m.to_state IS NOT NULL \
         AND m.from_state <> m.to_state{}",
        filter.map(|f| format!(" AND {f}")).unwrap_or_default()
    )
}

/// The `YYYY-MM` month of date column `col`.
fn month_of(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => format!("substr({col}, 1, 7)"),
        Backend::Postgres => format!("to_char({col}, 'YYYY-MM')"),
    }
}

/// The national unduplicated count of period `$1` from the kept count rows (read through
/// `report_counts_national` alone).
const NATIONAL_COUNT: &str = "SELECT COUNT(*), COALESCE(SUM(c2), 0) FROM (SELECT child_id, \
    MAX(CASE WHEN category2 = 'counted' THEN 1 ELSE 0 END) AS c2 FROM report_counts \
    WHERE year = $1 AND category1 = 'counted' GROUP BY child_id) x";

/// The kept national count of period `$1` (`report_national`).
const NATIONAL_KEPT: &str = "SELECT category1, category2 FROM report_national WHERE year = $1";

/// Holds the writes of one state's kept rows (`$1`) one after the other, across processes (a
/// server and a `puente report refresh`, two servers), until the transaction ends: the state's
/// row of `report_writers` (migration 0022), locked by an upsert. Without it two refreshes of
/// the same children both insert their rows (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already
/// holds the file's write lock).
const STATE_LOCK: &str = "INSERT INTO report_writers (state) VALUES ($1) ON CONFLICT (state) DO UPDATE SET state = excluded.state";

/// The periods with a kept national count: (SQLite, PostgreSQL, whose rows are locked for the
/// transaction).
const NATIONAL_YEARS: [&str; 2] = [
    "SELECT year FROM report_national ORDER BY year",
    "SELECT year FROM report_national ORDER BY year FOR UPDATE",
];

/// The share of the children in the JSON list `$2` in the national count of period `$1`: how
/// many are counted in Category 1 in some state, and in Category 2 too.
fn national_of_children(backend: Backend) -> String {
    format!(
        "SELECT COUNT(DISTINCT child_id), COUNT(DISTINCT CASE WHEN category2 = 'counted' THEN child_id END) \
         FROM report_counts WHERE year = $1 AND category1 = 'counted' AND {}",
        in_list(backend, "child_id", 2)
    )
}

/// Rows per multi-row statement (parameters stay under SQLite's limit).
const ROWS: usize = 2_000;

/// Children per page of [`Store::report_count_lines`].
const LINES_PAGE: i64 = 20_000;

/// Parses one page of [`Store::report_count_lines`] into `out`.
fn push_count_lines(out: &mut Vec<CountLine>, text: &str) -> Result<()> {
    for line in text.split('\u{1d}').filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\u{1e}').collect();
        let [child_id, msix_id, category1, category2, ids] = f[..] else {
            return Err(crate::StoreError::Corrupt(format!(
                "child-count line of {} fields",
                f.len()
            )));
        };
        out.push(CountLine {
            child_id: child_id.to_owned(),
            msix_id: msix_id.to_owned(),
            category1: category1.to_owned(),
            category2: category2.to_owned(),
            // Kept in ID order: [`CountRow::state_student_ids`].
            state_student_ids: ids
                .split('\u{1f}')
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(())
}

impl Store {
    /// Up to `limit` out-of-date children of a state after `after` (child id order), with the
    /// token of their mark.
    pub async fn report_dirty(
        &self,
        state: &str,
        after: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT child_id, token FROM report_dirty WHERE state = $1 AND child_id > $2 ORDER BY child_id LIMIT $3")
                .bind(state).bind(after).bind(limit).fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }

    /// The states (and [`MOVES_MARK`]) with at least one out-of-date child.
    pub async fn report_dirty_states(&self) -> Result<Vec<String>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT DISTINCT state FROM report_dirty ORDER BY state").fetch_all(p).await?;
            rows.iter().map(|r| r.try_get(0).map_err(Into::into)).collect()
        })
    }

    /// Removes every mark of `state` (for marks that nothing kept needs: the first full pass
    /// computes everything anyway).
    pub async fn report_dirty_drop(&self, state: &str) -> Result<()> {
        write_pool!(self, p => sqlx::query("DELETE FROM report_dirty WHERE state = $1")
            .bind(state).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The complete reports of a state: (kind, year).
    pub async fn report_marks(&self, state: &str) -> Result<Vec<(String, i32)>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT kind, year FROM report_marks WHERE state = $1 ORDER BY kind, year")
                .bind(state).fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }

    /// Records that a state's report rows of `kind` (and `year`) are complete.
    pub async fn report_mark(&self, state: &str, kind: &str, year: i32) -> Result<()> {
        write_pool!(self, p => sqlx::query("INSERT INTO report_marks (state, kind, year) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(state).bind(kind).bind(year).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets every kept report row and mark (the next reports compute everything again).
    pub async fn report_cache_clear(&self) -> Result<()> {
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            for t in ["report_national", "report_marks", "report_counts", "report_quality", "report_findings", "report_dirty", "report_moves", "report_flows", "report_duplicates"] {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}"))).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Removes a state's rows that a full pass is about to write: its count rows of period
    /// `year` (when given) and its quality rows (when `quality`). Rows are there only when an
    /// earlier pass stopped part-way (a period or quality report is marked complete only at the
    /// end of its pass), so the pass's pages then insert without deleting: one statement here
    /// instead of a delete per page, whose plan depends on the tables' statistics. A page whose
    /// rows are there already (another process running the same pass) replaces them.
    pub async fn report_clear_for_pass(
        &self,
        state: &str,
        year: Option<i32>,
        quality: bool,
    ) -> Result<()> {
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            if let Some(y) = year {
                // The pass's pages add no change to the national count (it has no row then):
                // the next national report counts again.
                sqlx::query("DELETE FROM report_national WHERE year = $1").bind(y).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM report_counts WHERE state = $1 AND year = $2")
                    .bind(state).bind(y).execute(&mut *tx).await?;
            }
            if quality {
                sqlx::query("DELETE FROM report_quality WHERE state = $1").bind(state).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM report_findings WHERE state = $1").bind(state).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Brings the planner's statistics and the visibility map of the kept report tables up to
    /// date after a full pass or a rebuild wrote many rows (PostgreSQL: `VACUUM (ANALYZE)`;
    /// SQLite keeps no statistics unless asked, so nothing). Without it, PostgreSQL may plan the
    /// next per-child deletes on the statistics of an empty table, and its index-only scans (the
    /// national unduplicated count reads 2.5 million index entries at 1,000,000 children) fetch
    /// every row from the table, until autovacuum comes by, if it runs at all. Sent as one
    /// simple-protocol statement: `VACUUM` cannot run inside a transaction.
    pub async fn report_analyze(&self) -> Result<()> {
        if self.backend() == Backend::Postgres {
            write_pool!(self, p => sqlx::raw_sql(
                "VACUUM (ANALYZE) report_counts, report_quality, report_findings, report_moves, report_flows, report_duplicates")
                .execute(p).await.map(|_| ()))?;
        }
        Ok(())
    }

    /// Replaces the report rows of a set of children and removes the marks it consumed, in one
    /// transaction.
    pub async fn report_cache_write(&self, w: &CacheWrite) -> Result<()> {
        let b = self.backend();
        let ids = id_list(&w.children);
        let del_counts = format!(
            "DELETE FROM report_counts WHERE state = $1 AND {}",
            in_list(b, "child_id", 2)
        );
        let del_quality = format!(
            "DELETE FROM report_quality WHERE state = $1 AND {}",
            in_list(b, "child_id", 2)
        );
        let del_findings = format!(
            "DELETE FROM report_findings WHERE state = $1 AND {}",
            in_list(b, "child_id", 2)
        );
        let consume = consume_sql(b);
        let consumed: Vec<[&str; 2]> = w
            .consumed
            .iter()
            .map(|(c, t)| [c.as_str(), t.as_str()])
            .collect();
        let consumed = serde_json::to_string(&consumed).unwrap_or_else(|_| "[]".into());
        // The children whose count rows this write changes, for the kept national count.
        let mut counted: Vec<&str> = w.counts.iter().map(|c| c.child_id.as_str()).collect();
        if w.count_scope == CountScope::All {
            counted.extend(w.children.iter().map(String::as_str));
        }
        counted.sort_unstable();
        counted.dedup();
        let any_counted = !counted.is_empty();
        let counted = serde_json::to_string(&counted).unwrap_or_else(|_| "[]".into());
        let national_of = national_of_children(b);
        write_pool!(self, p => {
            let mut tx = p.begin_with(b.begin_write()).await?;
            if b == Backend::Postgres {
                sqlx::query(STATE_LOCK).bind(&w.state).execute(&mut *tx).await?;
            }
            // Periods whose national count is kept, locked (PostgreSQL; SQLite has one writer)
            // so that two writes of one child, or a count taken meanwhile, come one after the
            // other; and those children's share of each, before the write.
            let mut national = Vec::new();
            if any_counted {
                let years: Vec<i32> = sqlx::query_scalar(NATIONAL_YEARS[usize::from(b == Backend::Postgres)])
                    .fetch_all(&mut *tx).await?;
                for y in years {
                    let r = sqlx::query(sqlx::AssertSqlSafe(national_of.clone())).bind(y).bind(&counted).fetch_one(&mut *tx).await?;
                    national.push((y, r.try_get::<i64, _>(0)?, r.try_get::<i64, _>(1)?));
                }
            }
            if !w.children.is_empty() {
                if w.count_scope == CountScope::All {
                    sqlx::query(sqlx::AssertSqlSafe(del_counts.clone())).bind(&w.state).bind(&ids).execute(&mut *tx).await?;
                }
                if w.quality {
                    sqlx::query(sqlx::AssertSqlSafe(del_quality.clone())).bind(&w.state).bind(&ids).execute(&mut *tx).await?;
                    sqlx::query(sqlx::AssertSqlSafe(del_findings.clone())).bind(&w.state).bind(&ids).execute(&mut *tx).await?;
                }
            }
            for chunk in w.counts.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO report_counts (state, year, child_id, category1, category2, age, grade, msix_id, state_student_ids, pfs, el, idea) ");
                qb.push_values(chunk, |mut r, c| {
                    r.push_bind(&w.state).push_bind(c.year).push_bind(&c.child_id).push_bind(&c.category1)
                        .push_bind(&c.category2).push_bind(c.age).push_bind(&c.grade).push_bind(&c.msix_id)
                        .push_bind(c.state_student_ids.join("\u{1f}"))
                        .push_bind(c.pfs).push_bind(c.el).push_bind(c.idea);
                });
                qb.push(" ON CONFLICT (state, year, child_id) DO UPDATE SET category1 = excluded.category1, \
                    category2 = excluded.category2, age = excluded.age, grade = excluded.grade, msix_id = excluded.msix_id, \
                    state_student_ids = excluded.state_student_ids, pfs = excluded.pfs, el = excluded.el, idea = excluded.idea");
                qb.build().execute(&mut *tx).await?;
            }
            for chunk in w.quality_rows.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO report_quality (state, child_id, district, computed_on, valid_until, findings) ");
                qb.push_values(chunk, |mut r, q| {
                    r.push_bind(&w.state).push_bind(&q.child_id).push_bind(&q.district).push_bind(q.computed_on)
                        .push_bind(q.valid_until).push_bind(i32::try_from(q.codes.len()).unwrap_or(i32::MAX));
                });
                qb.push(" ON CONFLICT (state, child_id) DO UPDATE SET district = excluded.district, \
                    computed_on = excluded.computed_on, valid_until = excluded.valid_until, findings = excluded.findings");
                qb.build().execute(&mut *tx).await?;
            }
            let findings: Vec<(&str, &str, &str)> = w.quality_rows.iter()
                .flat_map(|q| q.codes.iter().map(move |c| (q.child_id.as_str(), q.district.as_str(), c.as_str())))
                .collect();
            for chunk in findings.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO report_findings (state, child_id, district, code) ");
                qb.push_values(chunk, |mut r, (c, d, code)| {
                    r.push_bind(&w.state).push_bind(*c).push_bind(*d).push_bind(*code);
                });
                qb.push(" ON CONFLICT (state, child_id, code) DO UPDATE SET district = excluded.district");
                qb.build().execute(&mut *tx).await?;
            }
            for (y, c1, c2) in national {
                let r = sqlx::query(sqlx::AssertSqlSafe(national_of.clone())).bind(y).bind(&counted).fetch_one(&mut *tx).await?;
                let (d1, d2) = (r.try_get::<i64, _>(0)? - c1, r.try_get::<i64, _>(1)? - c2);
                if (d1, d2) != (0, 0) {
                    sqlx::query("UPDATE report_national SET category1 = category1 + $2, category2 = category2 + $3 WHERE year = $1")
                        .bind(y).bind(d1).bind(d2).execute(&mut *tx).await?;
                }
            }
            if !w.consumed.is_empty() {
                sqlx::query(consume).bind(&w.state).bind(&consumed).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Children counted in Category 1 in at least one state in the period starting
    /// 1 September `year`, each once, and of them those counted in Category 2 in at least one
    /// state: the national unduplicated count of the kept rows as they are. Read from
    /// `report_national` (migration 0021), which each write of kept count rows keeps exact; when
    /// the period has no row there (after a full pass or a clear), counted from every counted
    /// child's index entry and kept, inside a write transaction that holds off the writes of
    /// count rows (PostgreSQL: a table lock that their row locks wait for; SQLite: one writer).
    pub async fn report_national_unduplicated(&self, year: i32) -> Result<(u64, u64)> {
        if let Some(kept) = self.report_national_kept(year).await? {
            return Ok(kept);
        }
        let lock = self.backend() == Backend::Postgres;
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            if lock {
                sqlx::query("LOCK TABLE report_national IN EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            let r = match sqlx::query(NATIONAL_KEPT).bind(year).fetch_optional(&mut *tx).await? {
                Some(r) => r,
                None => {
                    let r = sqlx::query(NATIONAL_COUNT).bind(year).fetch_one(&mut *tx).await?;
                    let (c1, c2): (i64, i64) = (r.try_get(0)?, r.try_get(1)?);
                    sqlx::query("INSERT INTO report_national (year, category1, category2) VALUES ($1, $2, $3)")
                        .bind(year).bind(c1).bind(c2).execute(&mut *tx).await?;
                    r
                }
            };
            let c1: i64 = r.try_get(0)?;
            let c2: i64 = r.try_get(1)?;
            tx.commit().await?;
            Ok((u(c1), u(c2)))
        })
    }

    /// The kept national count of a period, if any (`report_national`).
    pub async fn report_national_kept(&self, year: i32) -> Result<Option<(u64, u64)>> {
        read_pool!(self, p => {
            let r = sqlx::query(NATIONAL_KEPT).bind(year).fetch_optional(p).await?;
            r.map(|r| Ok((u(r.try_get(0)?), u(r.try_get(1)?)))).transpose()
        })
    }

    /// The national count of a period counted from the kept count rows, not kept: the tests'
    /// reference for [`Store::report_national_unduplicated`].
    pub async fn report_national_recount(&self, year: i32) -> Result<(u64, u64)> {
        read_pool!(self, p => {
            let r = sqlx::query(NATIONAL_COUNT).bind(year).fetch_one(p).await?;
            Ok((u(r.try_get(0)?), u(r.try_get(1)?)))
        })
    }

    /// A state's child-count decisions of one period, grouped.
    pub async fn report_count_groups(&self, state: &str, year: i32) -> Result<Vec<CountGroup>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT category1, category2, age, grade, COUNT(*), \
                SUM(CASE WHEN pfs THEN 1 ELSE 0 END), SUM(CASE WHEN el THEN 1 ELSE 0 END), SUM(CASE WHEN idea THEN 1 ELSE 0 END) \
                FROM report_counts WHERE state = $1 AND year = $2 GROUP BY category1, category2, age, grade")
                .bind(state).bind(year).fetch_all(p).await?;
            rows.iter().map(|r| Ok(CountGroup {
                category1: r.try_get(0)?,
                category2: r.try_get(1)?,
                age: r.try_get(2)?,
                grade: r.try_get(3)?,
                children: u(r.try_get(4)?),
                pfs: u(r.try_get(5)?),
                el: u(r.try_get(6)?),
                idea: u(r.try_get(7)?),
            })).collect()
        })
    }

    /// (child id, MSIX ID) of a state's children in one period whose Category 1 value is
    /// `category1` (and Category 2 value `category2`, when given), among `among` when given,
    /// by child id.
    pub async fn report_count_children(
        &self,
        state: &str,
        year: i32,
        category1: &str,
        category2: Option<&str>,
        among: Option<&[String]>,
    ) -> Result<Vec<(String, String)>> {
        let sql = format!(
            "SELECT r.child_id, r.msix_id FROM report_counts r \
             WHERE r.state = $1 AND r.year = $2 AND r.category1 = $3 AND ($4 IS NULL OR r.category2 = $4) {} ORDER BY r.child_id",
            if among.is_some() {
                format!("AND {}", in_list(self.backend(), "r.child_id", 5))
            } else {
                String::new()
            }
        );
        let list = among.map(id_list);
        read_pool!(self, p => {
            let q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(state).bind(year).bind(category1).bind(category2);
            let q = match &list { Some(l) => q.bind(l), None => q };
            let rows = q.fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }

    /// Every kept child-count row of a state and period, by child id, with the child's MSIX ID
    /// and state student IDs kept in it (migration 0016).
    ///
    /// Read in pages of [`LINES_PAGE`] children on one connection, each page one row of one
    /// text (lines joined by the ASCII group separator, fields by the record separator, IDs by
    /// the unit separator; validation refuses control characters in every stored value): a
    /// state's hundreds of thousands of children cross from the database in a few dozen rows
    /// instead of one row each, which cost more than the query itself.
    pub async fn report_count_lines(&self, state: &str, year: i32) -> Result<Vec<CountLine>> {
        self.report_count_lines_paged(state, year, LINES_PAGE).await
    }

    /// [`Store::report_count_lines`] in pages of `page` children (tests use small pages).
    pub async fn report_count_lines_paged(
        &self,
        state: &str,
        year: i32,
        page: i64,
    ) -> Result<Vec<CountLine>> {
        let (agg, rs) = match self.backend() {
            Backend::Sqlite => ("group_concat(line, char(29))", "char(30)"),
            Backend::Postgres => ("string_agg(line, chr(29))", "chr(30)"),
        };
        let sql = format!(
            "SELECT COUNT(*), MAX(child_id), {agg} FROM (\
             SELECT child_id, child_id || {rs} || msix_id || {rs} || category1 || {rs} || category2 || {rs} || state_student_ids AS line \
             FROM report_counts WHERE state = $1 AND year = $2 AND child_id > $3 ORDER BY child_id LIMIT $4) page"
        );
        let page = page.max(1);
        let mut out: Vec<CountLine> = Vec::new();
        let mut after = String::new();
        // One connection for every page (handed a new one each page, SQLite took up to four
        // times as long for the same pages).
        read_pool!(self, p => {
            let mut conn = p.acquire().await?;
            loop {
                let r = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(state).bind(year).bind(&after)
                    .bind(page).fetch_one(&mut *conn).await?;
                let (n, last, text): (i64, Option<String>, Option<String>) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                let from = out.len();
                push_count_lines(&mut out, text.as_deref().unwrap_or_default())?;
                out[from..].sort_unstable_by(|a, b| a.child_id.cmp(&b.child_id));
                match last {
                    Some(l) if n == page => after = l,
                    _ => break,
                }
            }
        });
        Ok(out)
    }

    /// A state's data-quality results, grouped by district and by (district, code).
    pub async fn report_quality_groups(&self, state: &str) -> Result<QualityGroups> {
        read_pool!(self, p => {
            let mut out = QualityGroups::default();
            for r in sqlx::query("SELECT district, COUNT(*), SUM(CASE WHEN findings > 0 THEN 1 ELSE 0 END) FROM report_quality \
                WHERE state = $1 GROUP BY district").bind(state).fetch_all(p).await? {
                out.districts.push((r.try_get(0)?, u(r.try_get(1)?), u(r.try_get(2)?)));
            }
            for r in sqlx::query("SELECT district, code, COUNT(*) FROM report_findings WHERE state = $1 GROUP BY district, code")
                .bind(state).fetch_all(p).await? {
                out.codes.push((r.try_get(0)?, r.try_get(1)?, u(r.try_get(2)?)));
            }
            Ok(out)
        })
    }

    /// (child id, MSIX ID) of a state's children with finding `code` (in one of `districts`,
    /// when given), by child id.
    pub async fn report_quality_children(
        &self,
        state: &str,
        code: &str,
        districts: Option<&[String]>,
    ) -> Result<Vec<(String, String)>> {
        let sql = format!(
            "SELECT f.child_id, c.msix_id FROM report_findings f JOIN children c ON c.id = f.child_id \
             WHERE f.state = $1 AND f.code = $2 {} ORDER BY f.child_id",
            if districts.is_some() {
                format!("AND {}", in_list(self.backend(), "f.district", 3))
            } else {
                String::new()
            }
        );
        let districts = districts.map(id_list);
        read_pool!(self, p => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(state).bind(code);
            if let Some(d) = &districts {
                q = q.bind(d);
            }
            let rows = q.fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
        })
    }

    /// Children of a state whose quality result does not hold on `today` (child id order).
    pub async fn report_quality_expired(
        &self,
        state: &str,
        today: NaiveDate,
    ) -> Result<Vec<String>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT child_id FROM report_quality WHERE state = $1 AND valid_until <= $2 \
                UNION SELECT child_id FROM report_quality WHERE state = $1 AND computed_on > $2 ORDER BY 1")
                .bind(state).bind(today).fetch_all(p).await?;
            rows.iter().map(|r| r.try_get(0).map_err(Into::into)).collect()
        })
    }

    /// Computes the kept interstate moves and their flow counts from nothing, in one
    /// transaction: removes every [`MOVES_MARK`] mark first (a mark written later stays, and its
    /// child is computed again by [`Store::report_moves_update`]), then records that mobility is
    /// complete (`report_marks` ('*', 'mobility', 0)).
    pub async fn report_moves_rebuild(&self) -> Result<()> {
        let moves = format!(
            "INSERT INTO report_moves (child_id, from_state, to_state, arrival_date) {}",
            live_moves(None)
        );
        let flows = format!(
            "INSERT INTO report_flows (from_state, to_state, month, moves) \
             SELECT from_state, to_state, {}, COUNT(*) FROM report_moves GROUP BY 1, 2, 3",
            month_of(self.backend(), "arrival_date")
        );
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            sqlx::query("DELETE FROM report_dirty WHERE state = $1").bind(MOVES_MARK).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM report_moves").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM report_flows").execute(&mut *tx).await?;
            sqlx::query(sqlx::AssertSqlSafe(moves.clone())).execute(&mut *tx).await?;
            sqlx::query(sqlx::AssertSqlSafe(flows.clone())).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO report_marks (state, kind, year) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING")
                .bind(MOVES_MARK).bind(MOBILITY_KIND).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Whether the kept interstate moves were computed ([`Store::report_moves_rebuild`]).
    pub async fn report_moves_kept(&self) -> Result<bool> {
        Ok(self
            .report_marks(MOVES_MARK)
            .await?
            .iter()
            .any(|(k, _)| k == MOBILITY_KIND))
    }

    /// Computes again the kept moves of the children of `marks` ((child, token) pairs read from
    /// the [`MOVES_MARK`] marks) in one transaction: removes their rows, inserts their live
    /// moves, moves each flow count by the rows the statements actually removed and added (so
    /// two refreshes racing cannot count a move twice), and removes the marks still holding the
    /// token read.
    pub async fn report_moves_update(&self, marks: &[(String, String)]) -> Result<()> {
        if marks.is_empty() {
            return Ok(());
        }
        let b = self.backend();
        let ids: Vec<String> = marks.iter().map(|(c, _)| c.clone()).collect();
        let ids = id_list(&ids);
        let remove = format!(
            "DELETE FROM report_moves WHERE {} RETURNING from_state, to_state, arrival_date",
            in_list(b, "child_id", 1)
        );
        let live = live_moves(Some(&in_list(b, "m.child_id", 1)));
        let consumed: Vec<[&str; 2]> = marks
            .iter()
            .map(|(c, t)| [c.as_str(), t.as_str()])
            .collect();
        let consumed = serde_json::to_string(&consumed).unwrap_or_else(|_| "[]".into());
        let consume = consume_sql(b);
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            // (from, to, month) -> rows added less rows removed.
            let mut delta: BTreeMap<(String, String, String), i64> = BTreeMap::new();
            for r in sqlx::query(sqlx::AssertSqlSafe(remove.clone())).bind(&ids).fetch_all(&mut *tx).await? {
                let d: NaiveDate = r.try_get(2)?;
                *delta.entry((r.try_get(0)?, r.try_get(1)?, d.format("%Y-%m").to_string())).or_default() -= 1;
            }
            let mut moves: Vec<(String, String, String, NaiveDate)> = Vec::new();
            for r in sqlx::query(sqlx::AssertSqlSafe(live.clone())).bind(&ids).fetch_all(&mut *tx).await? {
                moves.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?));
            }
            for chunk in moves.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO report_moves (child_id, from_state, to_state, arrival_date) ");
                qb.push_values(chunk, |mut r, (c, f, t, d)| {
                    r.push_bind(c).push_bind(f).push_bind(t).push_bind(*d);
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING from_state, to_state, arrival_date");
                for r in qb.build().fetch_all(&mut *tx).await? {
                    let d: NaiveDate = r.try_get(2)?;
                    *delta.entry((r.try_get(0)?, r.try_get(1)?, d.format("%Y-%m").to_string())).or_default() += 1;
                }
            }
            let changed: Vec<_> = delta.into_iter().filter(|(_, n)| *n != 0).collect();
            for chunk in changed.chunks(ROWS) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO report_flows (from_state, to_state, month, moves) ");
                qb.push_values(chunk, |mut r, ((f, t, m), n)| {
                    r.push_bind(f).push_bind(t).push_bind(m).push_bind(*n);
                });
                qb.push(" ON CONFLICT (from_state, to_state, month) DO UPDATE SET moves = report_flows.moves + excluded.moves");
                qb.build().execute(&mut *tx).await?;
            }
            sqlx::query(consume).bind(MOVES_MARK).bind(&consumed).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Computes a state's kept possible duplicates from nothing, in one transaction: every
    /// (key, child) whose key (folded first name, folded first last name, birth date) the
    /// state's live records of at least two children share; then records that they are kept
    /// (`report_marks` (state, 'duplicates', 0)). Marked children are brought up to date later
    /// by [`Store::report_duplicates_update`] (doing so again changes nothing).
    pub async fn report_duplicates_rebuild(&self, state: &str) -> Result<()> {
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            sqlx::query("DELETE FROM report_duplicates WHERE state = $1").bind(state).execute(&mut *tx).await?;
            sqlx::query(DUPLICATES_REBUILD).bind(state).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO report_marks (state, kind, year) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING")
                .bind(state).bind(DUPLICATES_KIND).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Brings a state's kept possible duplicates up to date for the children `children` (whose
    /// records changed), in one transaction: every key they had (their kept rows) or have
    /// (their live records) is computed again from the state's live records, through the
    /// (state, deleted, names, birth date, child) index. A key's children change only when a
    /// record with that key changes, and each such write marks the record's child (old and
    /// new, for a merge or split), so no other key needs it. Two refreshes racing over the
    /// same keys insert the same rows (a row already there is left as it is).
    pub async fn report_duplicates_update(&self, state: &str, children: &[String]) -> Result<()> {
        if children.is_empty() {
            return Ok(());
        }
        let b = self.backend();
        let ids = id_list(children);
        // Plans are fixed: the children's rows through the child indexes, each key's records
        // through the names index (SQLite's planner otherwise prefers walking the state's whole
        // range of a covering index, for every child of the list).
        let keys_of = match b {
            Backend::Sqlite => {
                "SELECT d.first_name_norm, d.last_name_1_norm, d.birth_date \
                FROM json_each($2) i CROSS JOIN report_duplicates d INDEXED BY report_duplicates_child \
                WHERE d.state = $1 AND d.child_id = i.value \
                UNION SELECT r.first_name_norm, r.last_name_1_norm, r.birth_date \
                FROM json_each($2) i CROSS JOIN state_records r INDEXED BY state_records_child \
                WHERE r.child_id = i.value AND r.reporting_state = $1 AND r.deleted = FALSE \
                AND r.birth_date IS NOT NULL"
            }
            Backend::Postgres => {
                "SELECT first_name_norm, last_name_1_norm, birth_date FROM report_duplicates \
                WHERE state = $1 AND child_id IN (SELECT jsonb_array_elements_text($2::jsonb)) \
                UNION SELECT first_name_norm, last_name_1_norm, birth_date FROM state_records \
                WHERE reporting_state = $1 AND deleted = FALSE AND birth_date IS NOT NULL \
                AND child_id IN (SELECT jsonb_array_elements_text($2::jsonb))"
            }
        };
        let keys = match b {
            Backend::Sqlite => {
                "SELECT json_extract(value, '$[0]') AS f, json_extract(value, '$[1]') AS l, \
                json_extract(value, '$[2]') AS d FROM json_each($2)"
            }
            Backend::Postgres => {
                "SELECT x->>0 AS f, x->>1 AS l, (x->>2)::date AS d FROM jsonb_array_elements($2::jsonb) x"
            }
        };
        let remove = format!(
            "DELETE FROM report_duplicates WHERE state = $1 AND \
             (first_name_norm, last_name_1_norm, birth_date) IN (SELECT f, l, d FROM ({keys}) k)"
        );
        let insert = format!(
            "INSERT INTO report_duplicates (state, first_name_norm, last_name_1_norm, birth_date, child_id) \
             SELECT DISTINCT $1, r.first_name_norm, r.last_name_1_norm, r.birth_date, r.child_id \
             FROM ({keys}) k CROSS JOIN state_records r WHERE r.reporting_state = $1 AND r.deleted = FALSE \
             AND r.first_name_norm = k.f AND r.last_name_1_norm = k.l AND r.birth_date = k.d \
             AND EXISTS (SELECT 1 FROM state_records o WHERE o.reporting_state = $1 AND o.deleted = FALSE \
             AND o.first_name_norm = k.f AND o.last_name_1_norm = k.l AND o.birth_date = k.d \
             AND o.child_id <> r.child_id) ON CONFLICT DO NOTHING"
        );
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            let mut found: Vec<(String, String, String)> = Vec::new();
            for r in sqlx::query(keys_of).bind(state).bind(&ids).fetch_all(&mut *tx).await? {
                let d: NaiveDate = r.try_get(2)?;
                found.push((r.try_get(0)?, r.try_get(1)?, d.format("%Y-%m-%d").to_string()));
            }
            for chunk in found.chunks(ROWS) {
                let list = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".into());
                sqlx::query(sqlx::AssertSqlSafe(remove.clone())).bind(state).bind(&list).execute(&mut *tx).await?;
                sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(state).bind(&list).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Child ids of a state's kept possible duplicates ([`Store::report_duplicates_rebuild`]).
    pub async fn report_duplicate_children(&self, state: &str) -> Result<BTreeSet<String>> {
        read_pool!(self, p => {
            let mut out = BTreeSet::new();
            for r in sqlx::query("SELECT child_id FROM report_duplicates WHERE state = $1")
                .bind(state).fetch_all(p).await? {
                out.insert(r.try_get(0)?);
            }
            Ok(out)
        })
    }

    /// Interstate flow counts whose arrival month is in `from..=to`: (from state, to state,
    /// month `YYYY-MM`, moves), none with no move.
    pub async fn report_flows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, String, String, u64)>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT from_state, to_state, month, moves FROM report_flows \
                WHERE month >= $1 AND month <= $2 AND moves > 0 ORDER BY 1, 2, 3")
                .bind(from.format("%Y-%m").to_string()).bind(to.format("%Y-%m").to_string())
                .fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, u(r.try_get(3)?)))).collect()
        })
    }
}
