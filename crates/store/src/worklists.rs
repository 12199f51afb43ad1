//! Worklist items, identity operations (merge, split), locks on children under a pending
//! operation, and the permanent linkage decisions. Writes run inside a [`Tx`] so that each action
//! and its audit event commit together.

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::MsixId;
use rand::Rng;
use sqlx::Row;

use crate::audit::{Tx, on_tx};
use crate::{Result, Store, StoreError, read_pool};

/// A stored worklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorklistItemRow {
    pub id: String,
    /// `near_match`, `validate_merge`, `validate_split`.
    pub kind: String,
    /// `open`, `need_info` (still open) or `closed`.
    pub status: String,
    /// `district`, `regional`, `state`.
    pub level: String,
    pub assigned_state: Option<String>,
    pub assigned_district: Option<String>,
    /// The child the item is about (new child of a near match, master of a merge, source of a split).
    pub child_id: String,
    /// The new state record of a near match.
    pub state_record_id: Option<String>,
    /// JSON array of candidate child ids (near match).
    pub candidates: String,
    /// The linkage explanation (JSON).
    pub explanation: Option<String>,
    pub operation_id: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub created_on: NaiveDate,
    pub due_on: NaiveDate,
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// Open worklist items of one state, kind, level and creation day, past due or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingGroup {
    pub state: Option<String>,
    pub kind: String,
    pub level: String,
    pub created_on: NaiveDate,
    pub overdue: bool,
    pub items: i64,
}

/// A stored merge or split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityOpRow {
    pub id: String,
    /// `merge` or `split`.
    pub kind: String,
    /// `pending`, `applied`, `rejected`.
    pub status: String,
    /// Master (merge) or the child that keeps its ID (split).
    pub child_id: String,
    pub child_msix_id: String,
    /// The merged child (merge); the child that receives the records (split: set when applied,
    /// or from the start when the split revives a merged child).
    pub other_child_id: Option<String>,
    pub other_msix_id: Option<String>,
    /// JSON array of state record ids that move (split: chosen; merge: filled when applied).
    pub record_ids: String,
    /// The operation this one undoes.
    pub undoes: Option<String>,
    pub reason: Option<String>,
    pub initiated_by: String,
    pub initiated_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

/// A permanent linkage decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDecisionRow {
    pub id: String,
    /// `not_same` (record_a, record_b never linked) or `same` (record_a belongs to child_id).
    pub kind: String,
    pub record_a: String,
    pub record_b: Option<String>,
    pub child_id: Option<String>,
    pub operation_id: Option<String>,
    pub worklist_item_id: Option<String>,
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    pub active: bool,
}

/// A child row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRow {
    pub id: String,
    pub msix_id: String,
    pub status: String,
    pub merged_into: Option<String>,
    pub created_at: DateTime<Utc>,
}

const ITEM_COLS: &str = "id, kind, status, level, assigned_state, assigned_district, child_id, state_record_id, candidates, explanation, operation_id, created_by, created_at, created_on, due_on, resolution, resolved_by, resolved_at, note, updated_at";
const OP_COLS: &str = "id, kind, status, child_id, child_msix_id, other_child_id, other_msix_id, record_ids, undoes, reason, initiated_by, initiated_at, decided_by, decided_at, decision_note";
const DECISION_COLS: &str = "id, kind, record_a, record_b, child_id, operation_id, worklist_item_id, decided_by, decided_at, active";

macro_rules! item_from_row {
    ($r:expr) => {{
        let r = $r;
        WorklistItemRow {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            status: r.try_get("status")?,
            level: r.try_get("level")?,
            assigned_state: r.try_get("assigned_state")?,
            assigned_district: r.try_get("assigned_district")?,
            child_id: r.try_get("child_id")?,
            state_record_id: r.try_get("state_record_id")?,
            candidates: r.try_get("candidates")?,
            explanation: r.try_get("explanation")?,
            operation_id: r.try_get("operation_id")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            created_on: r.try_get("created_on")?,
            due_on: r.try_get("due_on")?,
            resolution: r.try_get("resolution")?,
            resolved_by: r.try_get("resolved_by")?,
            resolved_at: r.try_get("resolved_at")?,
            note: r.try_get("note")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

macro_rules! op_from_row {
    ($r:expr) => {{
        let r = $r;
        IdentityOpRow {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            status: r.try_get("status")?,
            child_id: r.try_get("child_id")?,
            child_msix_id: r.try_get("child_msix_id")?,
            other_child_id: r.try_get("other_child_id")?,
            other_msix_id: r.try_get("other_msix_id")?,
            record_ids: r.try_get("record_ids")?,
            undoes: r.try_get("undoes")?,
            reason: r.try_get("reason")?,
            initiated_by: r.try_get("initiated_by")?,
            initiated_at: r.try_get("initiated_at")?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            decision_note: r.try_get("decision_note")?,
        }
    }};
}

macro_rules! decision_from_row {
    ($r:expr) => {{
        let r = $r;
        LinkDecisionRow {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            record_a: r.try_get("record_a")?,
            record_b: r.try_get("record_b")?,
            child_id: r.try_get("child_id")?,
            operation_id: r.try_get("operation_id")?,
            worklist_item_id: r.try_get("worklist_item_id")?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            active: r.try_get("active")?,
        }
    }};
}

macro_rules! child_from_row {
    ($r:expr) => {{
        let r = $r;
        ChildRow {
            id: r.try_get("id")?,
            msix_id: r.try_get("msix_id")?,
            status: r.try_get("status")?,
            merged_into: r.try_get("merged_into")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

const INSERT_ITEM: &str = "INSERT INTO worklist_items (id, kind, status, level, assigned_state, assigned_district, child_id, state_record_id, candidates, explanation, operation_id, created_by, created_at, created_on, due_on, resolution, resolved_by, resolved_at, note, updated_at) \
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20)";
const UPDATE_ITEM: &str = "UPDATE worklist_items SET status = $2, level = $3, assigned_state = $4, assigned_district = $5, due_on = $6, resolution = $7, resolved_by = $8, resolved_at = $9, note = $10, updated_at = $11, operation_id = $12 WHERE id = $1";
const INSERT_OP: &str = "INSERT INTO identity_operations (id, kind, status, child_id, child_msix_id, other_child_id, other_msix_id, record_ids, undoes, reason, initiated_by, initiated_at, decided_by, decided_at, decision_note) \
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)";
const UPDATE_OP: &str = "UPDATE identity_operations SET status = $2, other_child_id = $3, other_msix_id = $4, record_ids = $5, decided_by = $6, decided_at = $7, decision_note = $8 WHERE id = $1";
const INSERT_DECISION: &str = "INSERT INTO link_decisions (id, kind, record_a, record_b, child_id, operation_id, worklist_item_id, decided_by, decided_at, active) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)";
const CHILD_ROW_TABLES: [&str; 6] = [
    "UPDATE alternate_ids SET child_id = $1 WHERE state_record_id = $2",
    "UPDATE qualifying_moves SET child_id = $1 WHERE state_record_id = $2",
    "UPDATE enrollments SET child_id = $1 WHERE state_record_id = $2",
    "UPDATE courses SET child_id = $1 WHERE state_record_id = $2",
    "UPDATE assessments SET child_id = $1 WHERE state_record_id = $2",
    "UPDATE search_keys SET child_id = $1 WHERE state_record_id = $2",
];

impl Tx {
    pub async fn insert_worklist_item(&mut self, i: &WorklistItemRow) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(INSERT_ITEM)
                .bind(&i.id).bind(&i.kind).bind(&i.status).bind(&i.level).bind(&i.assigned_state)
                .bind(&i.assigned_district).bind(&i.child_id).bind(&i.state_record_id).bind(&i.candidates)
                .bind(&i.explanation).bind(&i.operation_id).bind(&i.created_by).bind(i.created_at)
                .bind(i.created_on).bind(i.due_on).bind(&i.resolution).bind(&i.resolved_by)
                .bind(i.resolved_at).bind(&i.note).bind(i.updated_at)
                .execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Saves the mutable fields of an item.
    pub async fn save_worklist_item(&mut self, i: &WorklistItemRow) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(UPDATE_ITEM)
                .bind(&i.id).bind(&i.status).bind(&i.level).bind(&i.assigned_state)
                .bind(&i.assigned_district).bind(i.due_on).bind(&i.resolution).bind(&i.resolved_by)
                .bind(i.resolved_at).bind(&i.note).bind(i.updated_at).bind(&i.operation_id)
                .execute(&mut *c).await?;
        });
        Ok(())
    }

    /// An item read inside the transaction.
    pub async fn worklist_item(&mut self, id: &str) -> Result<Option<WorklistItemRow>> {
        let sql = format!("SELECT {ITEM_COLS} FROM worklist_items WHERE id = $1");
        on_tx!(self, c => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await? {
                Some(r) => Ok(Some(item_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    pub async fn insert_identity_op(&mut self, o: &IdentityOpRow) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(INSERT_OP)
                .bind(&o.id).bind(&o.kind).bind(&o.status).bind(&o.child_id).bind(&o.child_msix_id)
                .bind(&o.other_child_id).bind(&o.other_msix_id).bind(&o.record_ids).bind(&o.undoes)
                .bind(&o.reason).bind(&o.initiated_by).bind(o.initiated_at).bind(&o.decided_by)
                .bind(o.decided_at).bind(&o.decision_note)
                .execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Saves the mutable fields of an operation.
    pub async fn save_identity_op(&mut self, o: &IdentityOpRow) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(UPDATE_OP)
                .bind(&o.id).bind(&o.status).bind(&o.other_child_id).bind(&o.other_msix_id)
                .bind(&o.record_ids).bind(&o.decided_by).bind(o.decided_at).bind(&o.decision_note)
                .execute(&mut *c).await?;
        });
        Ok(())
    }

    pub async fn identity_op(&mut self, id: &str) -> Result<Option<IdentityOpRow>> {
        let sql = format!("SELECT {OP_COLS} FROM identity_operations WHERE id = $1");
        on_tx!(self, c => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await? {
                Some(r) => Ok(Some(op_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Locks `children` for operation `op`. Returns `false` (and locks nothing that matters: the
    /// caller must drop the transaction) when one of them is already locked.
    pub async fn lock_children(
        &mut self,
        op: &str,
        children: &[&str],
        at: DateTime<Utc>,
    ) -> Result<bool> {
        for child in children {
            let n = on_tx!(self, c => sqlx::query(
                "INSERT INTO identity_locks (child_id, operation_id, locked_at) VALUES ($1, $2, $3) ON CONFLICT (child_id) DO NOTHING")
                .bind(child).bind(op).bind(at).execute(&mut *c).await?.rows_affected());
            if n != 1 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Releases the locks of operation `op`.
    pub async fn unlock_children(&mut self, op: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM identity_locks WHERE operation_id = $1")
            .bind(op).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// A child row by id.
    pub async fn child(&mut self, id: &str) -> Result<Option<ChildRow>> {
        on_tx!(self, c => {
            match sqlx::query("SELECT id, msix_id, status, merged_into, created_at FROM children WHERE id = $1")
                .bind(id).fetch_optional(&mut *c).await? {
                Some(r) => Ok(Some(child_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Ids of every state record of a child (deleted ones included), oldest first.
    pub async fn record_ids_of_child(&mut self, child_id: &str) -> Result<Vec<String>> {
        on_tx!(self, c => {
            let rows = sqlx::query("SELECT id FROM state_records WHERE child_id = $1 ORDER BY received_at, id")
                .bind(child_id).fetch_all(&mut *c).await?;
            rows.iter().map(|r| r.try_get::<String, _>(0).map_err(StoreError::from)).collect()
        })
    }

    /// Creates a new active child with a newly allocated MSIX ID.
    pub async fn create_child(&mut self, id: &str, at: DateTime<Utc>) -> Result<MsixId> {
        for _ in 0..8 {
            let payload =
                rand::rng().random_range(10_000_000_000u64..=puente_domain::msix::MAX_PAYLOAD);
            let msix = MsixId::from_payload(payload).map_err(|_| StoreError::IdSpace)?;
            let n = on_tx!(self, c => sqlx::query(
                "INSERT INTO children (id, msix_id, status, created_at, updated_at) VALUES ($1, $2, 'active', $3, $3) ON CONFLICT (msix_id) DO NOTHING")
                .bind(id).bind(msix.to_string()).bind(at).execute(&mut *c).await?.rows_affected());
            if n == 1 {
                return Ok(msix);
            }
        }
        Err(StoreError::IdSpace)
    }

    /// Sets a child's status and redirect.
    pub async fn set_child_status(
        &mut self,
        id: &str,
        status: &str,
        merged_into: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE children SET status = $2, merged_into = $3, updated_at = $4 WHERE id = $1")
            .bind(id).bind(status).bind(merged_into).bind(at).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Moves state records (and their rows) to another child.
    pub async fn move_records(
        &mut self,
        record_ids: &[String],
        to_child: &str,
        to_msix: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        for id in record_ids {
            on_tx!(self, c => {
                // Both children's reports in the record's state are out of date.
                if let Some(row) = sqlx::query("SELECT reporting_state, child_id FROM state_records WHERE id = $1")
                    .bind(id).fetch_optional(&mut *c).await? {
                    let (state, from): (String, String) = (row.try_get(0)?, row.try_get(1)?);
                    crate::report_cache::mark_dirty!(c, [(state.as_str(), from.as_str()), (state.as_str(), to_child)]);
                }
                sqlx::query("UPDATE state_records SET child_id = $1, msix_id = $2, updated_at = $3 WHERE id = $4")
                    .bind(to_child).bind(to_msix).bind(at).bind(id).execute(&mut *c).await?;
                for sql in CHILD_ROW_TABLES {
                    sqlx::query(sql).bind(to_child).bind(id).execute(&mut *c).await?;
                }
            });
        }
        Ok(())
    }

    pub async fn insert_link_decision(&mut self, d: &LinkDecisionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(INSERT_DECISION)
            .bind(&d.id).bind(&d.kind).bind(&d.record_a).bind(&d.record_b).bind(&d.child_id)
            .bind(&d.operation_id).bind(&d.worklist_item_id).bind(&d.decided_by).bind(d.decided_at).bind(d.active)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Deactivates the decisions made by operation `op` (when it is undone).
    pub async fn deactivate_decisions_of(&mut self, op: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE link_decisions SET active = FALSE WHERE operation_id = $1")
            .bind(op).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Deactivates one decision.
    pub async fn deactivate_decision(&mut self, id: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE link_decisions SET active = FALSE WHERE id = $1")
            .bind(id).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store {
    /// One item.
    pub async fn worklist_item(&self, id: &str) -> Result<Option<WorklistItemRow>> {
        let sql = format!("SELECT {ITEM_COLS} FROM worklist_items WHERE id = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(item_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Items, oldest first: open ones only unless `include_closed`; of one state when given.
    pub async fn worklist_items(
        &self,
        state: Option<&str>,
        include_closed: bool,
    ) -> Result<Vec<WorklistItemRow>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM worklist_items WHERE ($1 IS NULL OR assigned_state = $1) \
             AND ($2 OR status <> 'closed') ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).bind(include_closed).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(item_from_row!(r)); }
            Ok(out)
        })
    }

    /// Items about a child (as subject or candidate is not indexed: subject only).
    pub async fn worklist_items_of_child(&self, child_id: &str) -> Result<Vec<WorklistItemRow>> {
        let sql = format!(
            "SELECT {ITEM_COLS} FROM worklist_items WHERE child_id = $1 ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(item_from_row!(r)); }
            Ok(out)
        })
    }

    pub async fn identity_op(&self, id: &str) -> Result<Option<IdentityOpRow>> {
        let sql = format!("SELECT {OP_COLS} FROM identity_operations WHERE id = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(op_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Every operation a child took part in, oldest first.
    pub async fn identity_ops_of_child(&self, child_id: &str) -> Result<Vec<IdentityOpRow>> {
        let sql = format!(
            "SELECT {OP_COLS} FROM identity_operations WHERE child_id = $1 OR other_child_id = $1 ORDER BY initiated_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(op_from_row!(r)); }
            Ok(out)
        })
    }

    /// The pending operation locking a child, if any.
    pub async fn lock_of_child(&self, child_id: &str) -> Result<Option<String>> {
        read_pool!(self, p => {
            match sqlx::query("SELECT operation_id FROM identity_locks WHERE child_id = $1")
                .bind(child_id).fetch_optional(p).await? {
                Some(r) => Ok(Some(r.try_get(0)?)),
                None => Ok(None),
            }
        })
    }

    /// Every active linkage decision.
    pub async fn active_link_decisions(&self) -> Result<Vec<LinkDecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLS} FROM link_decisions WHERE active = TRUE ORDER BY decided_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(decision_from_row!(r)); }
            Ok(out)
        })
    }

    /// Decisions (active or not) made about the given state records.
    pub async fn link_decisions_of_records(
        &self,
        record_ids: &[String],
    ) -> Result<Vec<LinkDecisionRow>> {
        let sql = format!(
            "SELECT {DECISION_COLS} FROM link_decisions WHERE record_a = $1 OR record_b = $1 ORDER BY decided_at, id"
        );
        let mut out = Vec::new();
        for id in record_ids {
            read_pool!(self, p => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_all(p).await?;
                for r in &rows { out.push(decision_from_row!(r)); }
            });
        }
        out.sort_by(|a, b| {
            a.decided_at
                .cmp(&b.decided_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        out.dedup_by(|a, b| a.id == b.id);
        Ok(out)
    }

    /// Open items per (level, assigned district), of one state when given: the cheap count
    /// behind the portal's worklist badge.
    pub async fn open_worklist_counts(
        &self,
        state: Option<&str>,
    ) -> Result<Vec<(String, Option<String>, i64)>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT level, assigned_district, COUNT(*) FROM worklist_items \
                 WHERE status <> 'closed' AND ($1 IS NULL OR assigned_state = $1) \
                 GROUP BY level, assigned_district")
                .bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)); }
            Ok(out)
        })
    }

    /// Open items grouped for the aging report: (assigned state, kind, level, created on,
    /// past due on `today`, items), of one state when given.
    pub async fn worklist_aging_groups(
        &self,
        state: Option<&str>,
        today: NaiveDate,
    ) -> Result<Vec<AgingGroup>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT assigned_state, kind, level, created_on, CASE WHEN due_on < $2 THEN 1 ELSE 0 END, COUNT(*) \
                 FROM worklist_items WHERE status <> 'closed' AND ($1 IS NULL OR assigned_state = $1) \
                 GROUP BY 1, 2, 3, 4, 5")
                .bind(state).bind(today).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let overdue: i32 = r.try_get(4)?;
                out.push(AgingGroup {
                    state: r.try_get(0)?,
                    kind: r.try_get(1)?,
                    level: r.try_get(2)?,
                    created_on: r.try_get(3)?,
                    overdue: overdue != 0,
                    items: r.try_get(5)?,
                });
            }
            Ok(out)
        })
    }

    /// The states holding a live record of a child (its records' reporting states), for scope
    /// checks.
    pub async fn child_states(&self, child_id: &str) -> Result<Vec<String>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT DISTINCT reporting_state FROM state_records \
                 WHERE child_id = $1 AND deleted = FALSE ORDER BY reporting_state")
                .bind(child_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(r.try_get::<String, _>(0)?); }
            Ok(out)
        })
    }

    /// The child that holds `msix` itself (no redirect followed).
    pub async fn child_by_msix(&self, msix: &str) -> Result<Option<ChildRow>> {
        read_pool!(self, p => {
            match sqlx::query("SELECT id, msix_id, status, merged_into, created_at FROM children WHERE msix_id = $1")
                .bind(msix).fetch_optional(p).await? {
                Some(r) => Ok(Some(child_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Where a child's worklist items go: (state, district) of its most recent enrollment, else
    /// the reporting state of its newest record.
    pub async fn child_assignment(
        &self,
        child_id: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        read_pool!(self, p => {
            let row = sqlx::query(ASSIGNMENT_BY_ENROLLMENT)
                .bind(child_id).fetch_optional(p).await?;
            if let Some(r) = row {
                return Ok((r.try_get(0)?, r.try_get(1)?));
            }
            let row = sqlx::query(ASSIGNMENT_BY_RECORD)
                .bind(child_id).fetch_optional(p).await?;
            match row {
                Some(r) => Ok((Some(r.try_get(0)?), None)),
                None => Ok((None, None)),
            }
        })
    }
}

/// A child's worklist assignment: the state and district of its most recent enrollment ...
const ASSIGNMENT_BY_ENROLLMENT: &str = "SELECT COALESCE(e.facility_state, s.reporting_state), e.district_id FROM enrollments e \
     JOIN state_records s ON s.id = e.state_record_id \
     WHERE e.child_id = $1 AND s.deleted = FALSE ORDER BY e.enrollment_date DESC, s.received_at DESC LIMIT 1";
/// ... or, without enrollments, the state of its newest record.
const ASSIGNMENT_BY_RECORD: &str = "SELECT reporting_state FROM state_records WHERE child_id = $1 ORDER BY received_at DESC, id DESC LIMIT 1";

impl Tx {
    /// [`Store::child_assignment`] inside the transaction (sees its uncommitted records).
    pub async fn child_assignment(
        &mut self,
        child_id: &str,
    ) -> Result<(Option<String>, Option<String>)> {
        on_tx!(self, c => {
            let row = sqlx::query(ASSIGNMENT_BY_ENROLLMENT)
                .bind(child_id).fetch_optional(&mut *c).await?;
            if let Some(r) = row {
                return Ok((r.try_get(0)?, r.try_get(1)?));
            }
            let row = sqlx::query(ASSIGNMENT_BY_RECORD)
                .bind(child_id).fetch_optional(&mut *c).await?;
            match row {
                Some(r) => Ok((Some(r.try_get(0)?), None)),
                None => Ok((None, None)),
            }
        })
    }

    /// Records that `user_id` got the worklist digest of `sent_on`. `false` when that day's digest
    /// was already recorded (then the caller sends nothing: at most one digest a day).
    pub async fn record_worklist_digest(
        &mut self,
        user_id: &str,
        sent_on: NaiveDate,
        new_items: i64,
        escalated_items: i64,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        on_tx!(self, c => {
            let done = sqlx::query(
                "INSERT INTO worklist_digests (user_id, sent_on, new_items, escalated_items, sent_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, sent_on) DO NOTHING")
                .bind(user_id).bind(sent_on).bind(new_items).bind(escalated_items).bind(at)
                .execute(&mut *c).await?;
            Ok(done.rows_affected() == 1)
        })
    }
}

impl Store {
    /// When `user_id` last got a worklist digest.
    pub async fn last_worklist_digest(&self, user_id: &str) -> Result<Option<DateTime<Utc>>> {
        read_pool!(self, p => {
            let row = sqlx::query(
                "SELECT sent_at FROM worklist_digests WHERE user_id = $1 ORDER BY sent_on DESC LIMIT 1")
                .bind(user_id).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(Some(r.try_get(0)?)),
                None => Ok(None),
            }
        })
    }
}
