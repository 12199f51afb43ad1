//! Candidate retrieval for student search: children ranked by how many of the query's keys their
//! records carry, and the short summaries a result list shows.

use chrono::NaiveDate;
use sqlx::Row;

use crate::{Result, Store, StoreError};

/// What a search result shows to tell children apart.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ChildSummary {
    pub child_id: String,
    pub msix_id: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name_1: String,
    pub last_name_2: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub multiple_birth: bool,
    pub parent1: Option<String>,
    pub parent2: Option<String>,
    pub birth_city: Option<String>,
    pub birth_state: Option<String>,
    pub birth_country: Option<String>,
    pub states: Vec<String>,
    pub state_student_ids: Vec<String>,
    pub last_school: Option<String>,
    pub last_state: Option<String>,
    pub last_enrollment_date: Option<NaiveDate>,
    /// Every given name and surname the states sent, folded (for ranking).
    pub names: Vec<(String, String, Option<String>, Option<String>)>,
    pub birth_dates: Vec<NaiveDate>,
}

const SQLITE_CANDIDATES: &str = "SELECT child_id, COUNT(*) AS hits FROM search_keys WHERE key IN (SELECT value FROM json_each($1)) \
     GROUP BY child_id ORDER BY hits DESC, child_id LIMIT $2";
const PG_CANDIDATES: &str = "SELECT child_id, COUNT(*) AS hits FROM search_keys WHERE key = ANY($1) \
     GROUP BY child_id ORDER BY hits DESC, child_id LIMIT $2";

/// Children carrying one of `$2` (the birth-date keys: a few hundred children at a million) and
/// at least one of `$1` (the name keys), ranked by how many distinct keys of `$1` they carry (a
/// child with several records counts each key once). Each count is a few probes of the (key,
/// child_id) index instead of a pass over every row of a common name's keys; children born that
/// day who share nothing else with the query are left out (their summaries would be read only to
/// be ranked last).
const SQLITE_CANDIDATES_AMONG: &str = "SELECT child_id, hits FROM (SELECT d.child_id, (SELECT COUNT(DISTINCT k.key) FROM search_keys k \
     WHERE k.key IN (SELECT value FROM json_each($1)) AND k.child_id = d.child_id) AS hits \
     FROM (SELECT DISTINCT child_id FROM search_keys WHERE key IN (SELECT value FROM json_each($2))) d) c \
     WHERE hits > 0 ORDER BY hits DESC, child_id LIMIT $3";
/// PostgreSQL: the same in materialized steps, so each child's count runs once (an inlined
/// subquery runs it again for the ORDER BY) and the date's children come from the index alone.
const PG_CANDIDATES_AMONG: &str = "WITH d AS MATERIALIZED (SELECT DISTINCT child_id FROM search_keys WHERE key = ANY($2)), \
     c AS MATERIALIZED (SELECT d.child_id, (SELECT COUNT(DISTINCT k.key) FROM search_keys k \
     WHERE k.key = ANY($1) AND k.child_id = d.child_id) AS hits FROM d) \
     SELECT child_id, hits FROM c WHERE hits > 0 ORDER BY hits DESC, child_id LIMIT $3";

const SQLITE_RECORDS: &str = "SELECT r.child_id, r.msix_id, r.first_name, r.middle_name, r.last_name_1, r.last_name_2, r.sex, r.birth_date, r.multiple_birth, \
     r.parent1_first_name, r.parent1_last_name, r.parent2_first_name, r.parent2_last_name, r.birth_city, r.birth_state, r.birth_country, r.reporting_state, r.state_student_id, r.updated_at \
     FROM state_records r WHERE r.deleted = FALSE AND r.child_id IN (SELECT value FROM json_each($1)) ORDER BY r.child_id, r.updated_at DESC, r.id";
const PG_RECORDS: &str = "SELECT r.child_id, r.msix_id, r.first_name, r.middle_name, r.last_name_1, r.last_name_2, r.sex, r.birth_date, r.multiple_birth, \
     r.parent1_first_name, r.parent1_last_name, r.parent2_first_name, r.parent2_last_name, r.birth_city, r.birth_state, r.birth_country, r.reporting_state, r.state_student_id, r.updated_at \
     FROM state_records r WHERE r.deleted = FALSE AND r.child_id = ANY($1) ORDER BY r.child_id, r.updated_at DESC, r.id";
const SQLITE_LAST_ENROLLMENT: &str = "SELECT child_id, enrollment_date, school_or_project_name, facility_state FROM enrollments \
     WHERE child_id IN (SELECT value FROM json_each($1)) ORDER BY child_id, enrollment_date DESC";
const PG_LAST_ENROLLMENT: &str = "SELECT child_id, enrollment_date, school_or_project_name, facility_state FROM enrollments \
     WHERE child_id = ANY($1) ORDER BY child_id, enrollment_date DESC";

fn join(first: Option<String>, last: Option<String>) -> Option<String> {
    match (first, last) {
        (None, None) => None,
        (f, l) => Some(
            format!("{} {}", f.unwrap_or_default(), l.unwrap_or_default())
                .trim()
                .to_string(),
        ),
    }
}

impl Store {
    /// Children whose records carry the most of `keys`, best first (at most `limit`).
    pub async fn search_candidates(
        &self,
        keys: &[String],
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.ranked_children(SQLITE_CANDIDATES, PG_CANDIDATES, &[keys], limit)
            .await
    }

    /// Children that carry at least one of `among` (selective keys, such as the birth-date keys)
    /// and at least one of `keys` (the other keys), ranked by how many distinct keys of `keys`
    /// they carry.
    pub async fn search_candidates_among(
        &self,
        keys: &[String],
        among: &[String],
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        if keys.is_empty() || among.is_empty() {
            return Ok(Vec::new());
        }
        self.ranked_children(
            SQLITE_CANDIDATES_AMONG,
            PG_CANDIDATES_AMONG,
            &[keys, among],
            limit,
        )
        .await
    }

    /// Runs a candidate query: `$1`, `$2`, .. are the key lists (JSON on SQLite, arrays on
    /// PostgreSQL), the last parameter the limit; rows are (child_id, hits).
    async fn ranked_children(
        &self,
        sqlite: &'static str,
        postgres: &'static str,
        key_lists: &[&[String]],
        limit: i64,
    ) -> Result<Vec<(String, i64)>> {
        let rows = match self {
            Store::Sqlite { read, .. } => {
                let mut q = sqlx::query(sqlite);
                for keys in key_lists {
                    q = q.bind(
                        serde_json::to_string(keys)
                            .map_err(|e| StoreError::Database(e.to_string()))?,
                    );
                }
                q.bind(limit)
                    .fetch_all(read)
                    .await?
                    .into_iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<Vec<_>>>()?
            }
            Store::Postgres(p) => {
                let mut q = sqlx::query(postgres);
                for keys in key_lists {
                    q = q.bind(*keys);
                }
                q.bind(limit)
                    .fetch_all(p)
                    .await?
                    .into_iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<Vec<_>>>()?
            }
        };
        Ok(rows)
    }

    /// Summaries of the given children, in the order given (unknown ids are skipped), without
    /// their last enrollment (see [`Store::fill_last_enrollments`]: a search ranks many
    /// candidates and shows few).
    pub async fn child_summaries(&self, child_ids: &[String]) -> Result<Vec<ChildSummary>> {
        if child_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut by_child: std::collections::HashMap<String, ChildSummary> = Default::default();
        macro_rules! fill {
            ($records:expr) => {{
                for r in $records {
                    let child: String = r.try_get(0)?;
                    let first: String = r.try_get(2)?;
                    let middle: Option<String> = r.try_get(3)?;
                    let last1: String = r.try_get(4)?;
                    let last2: Option<String> = r.try_get(5)?;
                    let dob: Option<NaiveDate> = r.try_get(7)?;
                    let mb: Option<bool> = r.try_get(8)?;
                    let state: String = r.try_get(16)?;
                    let ssid: String = r.try_get(17)?;
                    let s = by_child
                        .entry(child.clone())
                        .or_insert_with(|| ChildSummary {
                            child_id: child.clone(),
                            ..Default::default()
                        });
                    if s.msix_id.is_empty() {
                        // The newest record gives the headline values.
                        s.msix_id = r.try_get(1)?;
                        s.first_name = first.clone();
                        s.middle_name = middle.clone();
                        s.last_name_1 = last1.clone();
                        s.last_name_2 = last2.clone();
                        s.sex = r.try_get(6)?;
                        s.birth_date = dob;
                        s.parent1 = join(r.try_get(9)?, r.try_get(10)?);
                        s.parent2 = join(r.try_get(11)?, r.try_get(12)?);
                        s.birth_city = r.try_get(13)?;
                        s.birth_state = r.try_get(14)?;
                        s.birth_country = r.try_get(15)?;
                    }
                    s.multiple_birth |= mb == Some(true);
                    if !s.states.contains(&state) {
                        s.states.push(state.clone());
                    }
                    s.state_student_ids.push(format!("{state}:{ssid}"));
                    s.names.push((first, last1, last2, middle));
                    if let Some(d) = dob
                        && !s.birth_dates.contains(&d)
                    {
                        s.birth_dates.push(d);
                    }
                }
            }};
        }
        match self {
            Store::Sqlite { read, .. } => {
                let json = serde_json::to_string(child_ids)
                    .map_err(|e| StoreError::Database(e.to_string()))?;
                let records = sqlx::query(SQLITE_RECORDS)
                    .bind(&json)
                    .fetch_all(read)
                    .await?;
                fill!(records);
            }
            Store::Postgres(p) => {
                let records = sqlx::query(PG_RECORDS).bind(child_ids).fetch_all(p).await?;
                fill!(records);
            }
        }
        Ok(child_ids
            .iter()
            .filter_map(|c| by_child.remove(c))
            .collect())
    }

    /// Fills in the last enrollment (date, school, state) of each summary.
    pub async fn fill_last_enrollments(&self, summaries: &mut [ChildSummary]) -> Result<()> {
        if summaries.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = summaries.iter().map(|s| s.child_id.as_str()).collect();
        let mut at: std::collections::HashMap<String, usize> = summaries
            .iter()
            .enumerate()
            .map(|(i, s)| (s.child_id.clone(), i))
            .collect();
        // Newest first per child: the first row of a child is its last enrollment.
        macro_rules! fill {
            ($rows:expr) => {
                for e in $rows {
                    let child: String = e.try_get(0)?;
                    if let Some(i) = at.remove(&child) {
                        let s = &mut summaries[i];
                        s.last_enrollment_date = e.try_get(1)?;
                        s.last_school = e.try_get(2)?;
                        s.last_state = e.try_get(3)?;
                    }
                }
            };
        }
        match self {
            Store::Sqlite { read, .. } => {
                let json =
                    serde_json::to_string(&ids).map_err(|e| StoreError::Database(e.to_string()))?;
                fill!(
                    sqlx::query(SQLITE_LAST_ENROLLMENT)
                        .bind(json)
                        .fetch_all(read)
                        .await?
                );
            }
            Store::Postgres(p) => fill!(
                sqlx::query(PG_LAST_ENROLLMENT)
                    .bind(&ids)
                    .fetch_all(p)
                    .await?
            ),
        }
        Ok(())
    }
}
