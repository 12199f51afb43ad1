//! Worklists, merges and splits (see `docs/worklists.md`).
//!
//! - Near-match items come from ingest when linkage is uncertain; a data administrator answers
//!   "same child" (starts a merge), "different children" (a permanent not-same decision) or
//!   "need more information".
//! - A merge or split is started by a user with `StartMergeSplit`, locks the children involved,
//!   and takes effect only when a second data administrator (`WorkWorklist`, not the initiator)
//!   validates it, or automatically when the whole escalation period lapses.
//! - Items are assigned by the child's most recent enrollment (state, district) and escalate
//!   district -> regional -> state after [`WorklistPolicy`] working days per level
//!   ([`App::escalate_worklists`]).
//! - Every applied operation can be undone (by another validated operation), and every
//!   decision is a permanent linkage constraint.
//!
//! Every write and its audit event share one transaction.

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::MsixId;
use puente_domain::roles::{Capability, Scope};
use puente_domain::worklist::age_working_days;
pub use puente_domain::worklist::{Level, WorklistKind, WorklistPolicy};
pub use puente_linkage::{CandidateExplanation, Explanation, FieldExplanation};
use puente_store::{
    IdentityOpRow, LinkDecisionRow, NewAuditEvent, StoredRecord, Tx, WorklistItemRow, new_id,
};
use serde::Serialize;

use crate::authz::Actor;
use crate::ingest::LinkIndex;
use crate::{App, AppError, Result};

/// Item statuses.
pub const OPEN: &str = "open";
pub const NEED_INFO: &str = "need_info";
pub const CLOSED: &str = "closed";

/// Operation statuses.
pub const PENDING: &str = "pending";
pub const APPLIED: &str = "applied";
pub const REJECTED: &str = "rejected";

/// The actor id of automatic decisions.
pub const SYSTEM: &str = "system";

/// Merge or split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Merge,
    Split,
}

impl OperationKind {
    pub fn code(&self) -> &'static str {
        match self {
            OperationKind::Merge => "merge",
            OperationKind::Split => "split",
        }
    }
}

/// A merge or split, as shown to users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityOperation {
    pub id: String,
    pub kind: OperationKind,
    /// `pending`, `applied`, `rejected`.
    pub status: String,
    /// Merge: the master (its MSIX ID survives). Split: the child that keeps its ID.
    pub msix_id: String,
    /// Merge: the child merged into the master. Split: the child receiving the records (known
    /// once applied, or from the start when the split undoes a merge).
    pub other_msix_id: Option<String>,
    /// State record ids that move (split: chosen; merge: filled when applied).
    pub record_ids: Vec<String>,
    /// The operation this one undoes.
    pub undoes: Option<String>,
    pub reason: Option<String>,
    pub initiated_by: String,
    pub initiated_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
}

/// A candidate child of a near match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub child_id: String,
    /// Current MSIX ID (after any merge).
    pub msix_id: Option<String>,
}

/// A worklist item, as shown to users.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorklistItem {
    pub id: String,
    pub kind: WorklistKind,
    /// `open`, `need_info` (still open) or `closed`.
    pub status: String,
    pub level: Level,
    pub assigned_state: Option<String>,
    pub assigned_district: Option<String>,
    /// The child the item is about (near match: the new child; merge: the master; split: the
    /// child being split), by its current MSIX ID.
    pub msix_id: Option<String>,
    /// The new state record of a near match.
    pub state_record_id: Option<String>,
    pub candidates: Vec<Candidate>,
    /// Linkage explanation of a near match (`puente_linkage::Explanation` as JSON).
    pub explanation: Option<serde_json::Value>,
    pub operation: Option<IdentityOperation>,
    pub created_at: DateTime<Utc>,
    pub created_on: NaiveDate,
    /// Last working day at the current level.
    pub due_on: NaiveDate,
    /// Working days open (aging).
    pub age_working_days: u32,
    /// Past the deadline of its level (for a near match at state level: past the whole period).
    pub overdue: bool,
    /// `same_child`, `different_children`, `approved`, `rejected`, `auto_approved`.
    pub resolution: Option<String>,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
}

/// The answer to a near match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearMatchResolution {
    /// The new record and `candidate_msix` are the same child: start a merge with `master_msix`
    /// (one of the two) as the master.
    SameChild {
        candidate_msix: String,
        master_msix: String,
        reason: String,
    },
    /// Different children: never link them automatically.
    DifferentChildren { reason: String },
    /// Keep the item open, waiting for information.
    NeedMoreInformation { note: String },
}

/// What a near-match resolution did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NearMatchOutcome {
    MergeStarted(Box<IdentityOperation>),
    RecordedNotSame,
    AwaitingInformation,
}

/// What one run of [`App::escalate_worklists`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscalationReport {
    pub escalated: usize,
    pub auto_approved: usize,
}

/// What one run of [`App::send_worklist_digests`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DigestReport {
    /// Data administrators who were sent a digest.
    pub mailed: usize,
    /// Data administrators with nothing new, or already sent today's digest.
    pub skipped: usize,
}

/// One step of a child's identity history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityEvent {
    pub at: DateTime<Utc>,
    /// User id, or `system`.
    pub actor: String,
    /// `child.created`, `merge.started`, `merge.approved`, `merge.auto_approved`,
    /// `merge.rejected`, the same for `split`, `near_match.same_child`,
    /// `near_match.different_children`, `near_match.need_info`.
    pub action: String,
    pub operation_id: Option<String>,
    pub worklist_item_id: Option<String>,
    pub msix_id: Option<String>,
    pub other_msix_id: Option<String>,
    /// Why (the reason or note given).
    pub reason: Option<String>,
}

fn json_ids(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn to_json(ids: &[String]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

fn op_view(o: &IdentityOpRow) -> IdentityOperation {
    IdentityOperation {
        id: o.id.clone(),
        kind: if o.kind == "merge" {
            OperationKind::Merge
        } else {
            OperationKind::Split
        },
        status: o.status.clone(),
        msix_id: o.child_msix_id.clone(),
        other_msix_id: o.other_msix_id.clone(),
        record_ids: json_ids(&o.record_ids),
        undoes: o.undoes.clone(),
        reason: o.reason.clone(),
        initiated_by: o.initiated_by.clone(),
        initiated_at: o.initiated_at,
        decided_by: o.decided_by.clone(),
        decided_at: o.decided_at,
        decision_note: o.decision_note.clone(),
    }
}

fn is_open(i: &WorklistItemRow) -> bool {
    i.status != CLOSED
}

fn eq_opt(a: &Option<String>, b: &str) -> bool {
    a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b))
}

/// Whether `actor` sees (and may work) `item`: national and state scope see every item of the
/// state; regional scope sees district and regional items of its state; district scope sees
/// district-level items of its district.
pub fn visible_to(actor: &Actor, item: &WorklistItemRow) -> bool {
    visible_at(
        actor,
        item.assigned_state.as_deref(),
        item.assigned_district.as_deref(),
        Level::parse(&item.level).unwrap_or(Level::District),
    )
}

/// [`visible_to`] for an assignment (state, district) and level.
pub fn visible_at(
    actor: &Actor,
    state: Option<&str>,
    district: Option<&str>,
    level: Level,
) -> bool {
    let state = state.map(str::to_owned);
    let district = district.map(str::to_owned);
    match &actor.scope {
        Scope::National => true,
        Scope::State { state: s } => eq_opt(&state, s),
        Scope::Region { state: s, .. } => eq_opt(&state, s) && level <= Level::Regional,
        Scope::District {
            state: s,
            district: d,
        } => eq_opt(&state, s) && eq_opt(&district, d) && level == Level::District,
    }
}

fn locked() -> AppError {
    AppError::Invalid("a merge or split of this child is pending: its records are locked".into())
}

fn audit_event(
    actor: &str,
    ip: Option<String>,
    action: &str,
    msix: &str,
    details: serde_json::Value,
) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.to_string(),
        action: action.to_string(),
        child_msix_id: Some(msix.to_string()),
        purpose: None,
        source_ip: ip,
        details: Some(details.to_string()),
    }
}

/// A new near-match item (used by ingest).
pub(crate) struct NearMatchNew {
    pub child_id: String,
    pub msix_id: String,
    pub state_record_id: String,
    pub candidates: Vec<String>,
    pub explanation: String,
}

impl App {
    fn new_item(
        &self,
        kind: WorklistKind,
        child_id: &str,
        assignment: (Option<String>, Option<String>),
        created_by: &str,
        now: DateTime<Utc>,
    ) -> WorklistItemRow {
        let today = now.date_naive();
        WorklistItemRow {
            id: new_id(),
            kind: kind.code().into(),
            status: OPEN.into(),
            level: Level::District.code().into(),
            assigned_state: assignment.0,
            assigned_district: assignment.1,
            child_id: child_id.into(),
            state_record_id: None,
            candidates: "[]".into(),
            explanation: None,
            operation_id: None,
            created_by: created_by.into(),
            created_at: now,
            created_on: today,
            due_on: self.worklists.due_on(today, Level::District),
            resolution: None,
            resolved_by: None,
            resolved_at: None,
            note: None,
            updated_at: now,
        }
    }

    /// Creates near-match items for records ingest could not link with certainty, audited, in
    /// `tx`: the transaction that writes those records.
    pub(crate) async fn create_near_match_items(
        &self,
        tx: &mut Tx,
        items: Vec<NearMatchNew>,
    ) -> Result<()> {
        let now = self.clock.now();
        for n in &items {
            let assignment = tx.child_assignment(&n.child_id).await?;
            let mut row = self.new_item(
                WorklistKind::NearMatch,
                &n.child_id,
                assignment,
                SYSTEM,
                now,
            );
            row.state_record_id = Some(n.state_record_id.clone());
            row.candidates = to_json(&n.candidates);
            row.explanation = Some(n.explanation.clone());
            tx.insert_worklist_item(&row).await?;
            tx.append_audit(
                &audit_event(
                    SYSTEM,
                    None,
                    "worklist.near_match.create",
                    &n.msix_id,
                    serde_json::json!({"item": row.id, "candidates": n.candidates.len()}),
                ),
                now,
            );
        }
        Ok(())
    }

    async fn item_view(&self, row: &WorklistItemRow) -> Result<WorklistItem> {
        let today = self.clock.today();
        let kind = WorklistKind::parse(&row.kind)
            .ok_or_else(|| AppError::Invalid("unknown worklist kind".into()))?;
        let level = Level::parse(&row.level).unwrap_or(Level::District);
        let mut candidates = Vec::new();
        for c in json_ids(&row.candidates) {
            let msix_id = self.store.msix_of_child(&c).await?.map(|m| m.to_string());
            candidates.push(Candidate {
                child_id: c,
                msix_id,
            });
        }
        let operation = match &row.operation_id {
            Some(op) => self.store.identity_op(op).await?.map(|o| op_view(&o)),
            None => None,
        };
        let standing = self.worklists.standing(row.created_on, today);
        Ok(WorklistItem {
            id: row.id.clone(),
            kind,
            status: row.status.clone(),
            level,
            assigned_state: row.assigned_state.clone(),
            assigned_district: row.assigned_district.clone(),
            msix_id: self
                .store
                .msix_of_child(&row.child_id)
                .await?
                .map(|m| m.to_string()),
            state_record_id: row.state_record_id.clone(),
            candidates,
            explanation: row
                .explanation
                .as_deref()
                .and_then(|e| serde_json::from_str(e).ok()),
            operation,
            created_at: row.created_at,
            created_on: row.created_on,
            due_on: row.due_on,
            age_working_days: age_working_days(row.created_on, today),
            overdue: is_open(row) && (today > row.due_on || standing.lapsed),
            resolution: row.resolution.clone(),
            resolved_by: row.resolved_by.clone(),
            resolved_at: row.resolved_at,
            note: row.note.clone(),
        })
    }

    /// The worklist of `actor` (capability `WorkWorklist`): open items visible to the actor,
    /// oldest first; closed ones too with `include_closed`.
    pub async fn worklist(&self, actor: &Actor, include_closed: bool) -> Result<Vec<WorklistItem>> {
        actor.require(Capability::WorkWorklist)?;
        let rows = self
            .store
            .worklist_items(actor.state(), include_closed)
            .await?;
        let mut out = Vec::new();
        for r in rows.iter().filter(|r| visible_to(actor, r)) {
            out.push(self.item_view(r).await?);
        }
        Ok(out)
    }

    async fn visible_item(&self, actor: &Actor, id: &str) -> Result<WorklistItemRow> {
        actor.require(Capability::WorkWorklist)?;
        let row = self
            .store
            .worklist_item(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !visible_to(actor, &row) {
            return Err(AppError::NotFound);
        }
        Ok(row)
    }

    /// One item (capability `WorkWorklist`, visible to the actor).
    pub async fn worklist_item(&self, actor: &Actor, id: &str) -> Result<WorklistItem> {
        let row = self.visible_item(actor, id).await?;
        self.item_view(&row).await
    }

    /// Reassigns an open item to another district (or, for national scope, another state) inside
    /// the actor's scope: down or sideways. Its level and deadlines do not move.
    pub async fn reassign_worklist_item(
        &self,
        actor: &Actor,
        id: &str,
        state: &str,
        district: Option<&str>,
    ) -> Result<WorklistItem> {
        let mut row = self.visible_item(actor, id).await?;
        if !is_open(&row) {
            return Err(AppError::Invalid("the item is closed".into()));
        }
        let state = state.trim().to_ascii_uppercase();
        if <puente_domain::StateCode as puente_domain::CodeSet>::parse(&state).is_none() {
            return Err(AppError::Invalid("unknown state code".into()));
        }
        if !actor.covers_state(&state) {
            return Err(AppError::Forbidden);
        }
        let now = self.clock.now();
        let from = (row.assigned_state.clone(), row.assigned_district.clone());
        row.assigned_state = Some(state);
        row.assigned_district = district
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        row.updated_at = now;
        let msix = self.child_msix(&row.child_id).await?;
        let mut tx = self.store.begin().await?;
        tx.save_worklist_item(&row).await?;
        tx.append_audit(
            &audit_event(
                &actor.user_id,
                actor.source_ip.clone(),
                "worklist.reassign",
                &msix,
                serde_json::json!({"item": row.id, "from": [from.0, from.1], "to": [row.assigned_state, row.assigned_district]}),
            ),
            now,
        );
        tx.commit().await?;
        self.item_view(&row).await
    }

    async fn child_msix(&self, child_id: &str) -> Result<String> {
        Ok(self
            .store
            .msix_of_child(child_id)
            .await?
            .map(|m| m.to_string())
            .unwrap_or_default())
    }

    /// The active child holding `msix` (not merged away).
    async fn active_child(&self, msix: &str) -> Result<(String, MsixId)> {
        let id = MsixId::parse(msix).map_err(|e| AppError::Invalid(e.to_string()))?;
        let (child, surviving) = self
            .store
            .resolve_msix(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if surviving != id {
            return Err(AppError::Invalid(format!(
                "{id} was merged into {surviving}: use the surviving MSIX ID"
            )));
        }
        Ok((child, id))
    }

    /// Inserts a pending operation, its locks, its validation item and its audit event.
    async fn open_operation(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        op: &IdentityOpRow,
        lock: &[&str],
        now: DateTime<Utc>,
    ) -> Result<WorklistItemRow> {
        if !tx.lock_children(&op.id, lock, now).await? {
            return Err(locked());
        }
        tx.insert_identity_op(op).await?;
        let kind = if op.kind == "merge" {
            WorklistKind::ValidateMerge
        } else {
            WorklistKind::ValidateSplit
        };
        let assignment = self.store.child_assignment(&op.child_id).await?;
        let mut item = self.new_item(kind, &op.child_id, assignment, &actor.user_id, now);
        item.operation_id = Some(op.id.clone());
        item.candidates = to_json(&op.other_child_id.iter().cloned().collect::<Vec<_>>());
        tx.insert_worklist_item(&item).await?;
        tx.append_audit(
            &audit_event(
                &actor.user_id,
                actor.source_ip.clone(),
                &format!("identity.{}.start", op.kind),
                &op.child_msix_id,
                serde_json::json!({"operation": op.id, "other": op.other_msix_id, "records": json_ids(&op.record_ids).len(), "undoes": op.undoes, "item": item.id}),
            ),
            now,
        );
        Ok(item)
    }

    #[allow(clippy::too_many_arguments)]
    fn pending_op(
        kind: OperationKind,
        child: (&str, &str),
        other: Option<(&str, &str)>,
        records: &[String],
        undoes: Option<&str>,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> IdentityOpRow {
        IdentityOpRow {
            id: new_id(),
            kind: kind.code().into(),
            status: PENDING.into(),
            child_id: child.0.into(),
            child_msix_id: child.1.into(),
            other_child_id: other.map(|o| o.0.to_string()),
            other_msix_id: other.map(|o| o.1.to_string()),
            record_ids: to_json(records),
            undoes: undoes.map(str::to_owned),
            reason: Some(reason.trim().to_string()).filter(|r| !r.is_empty()),
            initiated_by: actor.user_id.clone(),
            initiated_at: now,
            decided_by: None,
            decided_at: None,
            decision_note: None,
        }
    }

    /// Starts a merge of `other_msix` into `master_msix` (capability `StartMergeSplit`). Both
    /// children are locked until a second data administrator validates or rejects it.
    pub async fn start_merge(
        &self,
        actor: &Actor,
        master_msix: &str,
        other_msix: &str,
        reason: &str,
    ) -> Result<IdentityOperation> {
        actor.require(Capability::StartMergeSplit)?;
        let (master, m) = self.active_child(master_msix).await?;
        let (other, o) = self.active_child(other_msix).await?;
        self.require_child_in_scope(actor, &master).await?;
        self.require_child_in_scope(actor, &other).await?;
        if master == other {
            return Err(AppError::Invalid(
                "a child cannot be merged with itself".into(),
            ));
        }
        let now = self.clock.now();
        let op = Self::pending_op(
            OperationKind::Merge,
            (&master, &m.to_string()),
            Some((&other, &o.to_string())),
            &[],
            None,
            reason,
            actor,
            now,
        );
        let mut tx = self.store.begin().await?;
        self.open_operation(&mut tx, actor, &op, &[&master, &other], now)
            .await?;
        tx.commit().await?;
        Ok(op_view(&op))
    }

    /// Starts a split of `msix` (capability `StartMergeSplit`): the state records `record_ids`
    /// (ids from the historical view, `StoredRecord::id`) leave for a new child with a new MSIX
    /// ID; the child keeps its ID and the other records.
    pub async fn start_split(
        &self,
        actor: &Actor,
        msix: &str,
        record_ids: &[String],
        reason: &str,
    ) -> Result<IdentityOperation> {
        actor.require(Capability::StartMergeSplit)?;
        let (child, m) = self.active_child(msix).await?;
        self.require_child_in_scope(actor, &child).await?;
        let mut tx = self.store.begin().await?;
        let all = tx.record_ids_of_child(&child).await?;
        let mut moving: Vec<String> = record_ids.to_vec();
        moving.sort();
        moving.dedup();
        if moving.is_empty() || moving.iter().any(|r| !all.contains(r)) {
            return Err(AppError::Invalid(
                "choose one or more state records of this child".into(),
            ));
        }
        if moving.len() == all.len() {
            return Err(AppError::Invalid(
                "the child must keep at least one state record".into(),
            ));
        }
        let now = self.clock.now();
        let op = Self::pending_op(
            OperationKind::Split,
            (&child, &m.to_string()),
            None,
            &moving,
            None,
            reason,
            actor,
            now,
        );
        self.open_operation(&mut tx, actor, &op, &[&child], now)
            .await?;
        tx.commit().await?;
        Ok(op_view(&op))
    }

    /// Starts the undo of an applied operation (capability `StartMergeSplit`): a merge is split
    /// back (the merged child gets its MSIX ID and its records back), a split is merged back.
    /// The undo is validated like any merge or split.
    pub async fn start_undo(
        &self,
        actor: &Actor,
        operation_id: &str,
        reason: &str,
    ) -> Result<IdentityOperation> {
        actor.require(Capability::StartMergeSplit)?;
        let done = self
            .store
            .identity_op(operation_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if done.status != APPLIED {
            return Err(AppError::Invalid(
                "only an applied operation can be undone".into(),
            ));
        }
        self.require_child_in_scope(actor, &done.child_id).await?;
        let (Some(other), Some(other_msix)) = (&done.other_child_id, &done.other_msix_id) else {
            return Err(AppError::Invalid(
                "the operation has no second child".into(),
            ));
        };
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let op = if done.kind == "merge" {
            // Split the merged child's records back out of the master, reviving its MSIX ID.
            let on_master = tx.record_ids_of_child(&done.child_id).await?;
            let moving = json_ids(&done.record_ids);
            if moving.iter().any(|r| !on_master.contains(r)) {
                return Err(AppError::Invalid(
                    "the merged records have changed since: split them instead".into(),
                ));
            }
            Self::pending_op(
                OperationKind::Split,
                (&done.child_id, &done.child_msix_id),
                Some((other, other_msix)),
                &moving,
                Some(&done.id),
                reason,
                actor,
                now,
            )
        } else {
            Self::pending_op(
                OperationKind::Merge,
                (&done.child_id, &done.child_msix_id),
                Some((other, other_msix)),
                &[],
                Some(&done.id),
                reason,
                actor,
                now,
            )
        };
        let lock: Vec<&str> = vec![done.child_id.as_str(), other.as_str()];
        self.open_operation(&mut tx, actor, &op, &lock, now).await?;
        tx.commit().await?;
        Ok(op_view(&op))
    }

    /// Answers a near-match item (capability `WorkWorklist`; "same child" also needs
    /// `StartMergeSplit`, and starts a merge that another administrator validates).
    pub async fn resolve_near_match(
        &self,
        actor: &Actor,
        item_id: &str,
        resolution: NearMatchResolution,
    ) -> Result<NearMatchOutcome> {
        let mut row = self.visible_item(actor, item_id).await?;
        if row.kind != WorklistKind::NearMatch.code() || !is_open(&row) {
            return Err(AppError::Invalid("not an open near-match item".into()));
        }
        let now = self.clock.now();
        let msix = self.child_msix(&row.child_id).await?;
        let candidates = json_ids(&row.candidates);
        match resolution {
            NearMatchResolution::NeedMoreInformation { note } => {
                row.status = NEED_INFO.into();
                row.note = Some(note.clone());
                row.updated_at = now;
                let mut tx = self.store.begin().await?;
                tx.save_worklist_item(&row).await?;
                tx.append_audit(
                    &audit_event(
                        &actor.user_id,
                        actor.source_ip.clone(),
                        "worklist.near_match.need_info",
                        &msix,
                        serde_json::json!({"item": row.id, "note": note}),
                    ),
                    now,
                );
                tx.commit().await?;
                Ok(NearMatchOutcome::AwaitingInformation)
            }
            NearMatchResolution::DifferentChildren { reason } => {
                let mut linker = self.link_index().await?;
                let record = row.state_record_id.clone().unwrap_or_default();
                let mut pairs = Vec::new();
                for c in &candidates {
                    for r in self
                        .store
                        .records_of_child(c)
                        .await?
                        .into_iter()
                        .map(|s| s.id)
                    {
                        pairs.push((r, c.clone()));
                    }
                }
                close(
                    &mut row,
                    "different_children",
                    actor,
                    now,
                    Some(reason.clone()),
                );
                let mut tx = self.store.begin().await?;
                for (other, child) in &pairs {
                    tx.insert_link_decision(&LinkDecisionRow {
                        id: new_id(),
                        kind: "not_same".into(),
                        record_a: record.clone(),
                        record_b: Some(other.clone()),
                        child_id: Some(child.clone()),
                        operation_id: None,
                        worklist_item_id: Some(row.id.clone()),
                        decided_by: actor.user_id.clone(),
                        decided_at: now,
                        active: true,
                    })
                    .await?;
                }
                tx.save_worklist_item(&row).await?;
                tx.append_audit(
                    &audit_event(
                        &actor.user_id,
                        actor.source_ip.clone(),
                        "worklist.near_match.different_children",
                        &msix,
                        serde_json::json!({"item": row.id, "reason": reason}),
                    ),
                    now,
                );
                tx.commit().await?;
                linker.not_same(
                    &record,
                    pairs.iter().flat_map(|(r, c)| [r.as_str(), c.as_str()]),
                );
                Ok(NearMatchOutcome::RecordedNotSame)
            }
            NearMatchResolution::SameChild {
                candidate_msix,
                master_msix,
                reason,
            } => {
                actor.require(Capability::StartMergeSplit)?;
                let (cand_child, cand) = self.active_child(&candidate_msix).await?;
                if !candidates.contains(&cand_child) {
                    return Err(AppError::Invalid("not a candidate of this item".into()));
                }
                let (own_child, own) = self.active_child(&msix).await?;
                let (master, other) = if master_msix.trim() == cand.to_string()
                    || MsixId::parse(&master_msix).ok() == Some(cand)
                {
                    ((cand_child, cand), (own_child, own))
                } else if MsixId::parse(&master_msix).ok() == Some(own) {
                    ((own_child, own), (cand_child, cand))
                } else {
                    return Err(AppError::Invalid(
                        "the master must be one of the two children".into(),
                    ));
                };
                let op = Self::pending_op(
                    OperationKind::Merge,
                    (&master.0, &master.1.to_string()),
                    Some((&other.0, &other.1.to_string())),
                    &[],
                    None,
                    &reason,
                    actor,
                    now,
                );
                close(&mut row, "same_child", actor, now, Some(reason));
                row.operation_id = Some(op.id.clone());
                let mut tx = self.store.begin().await?;
                self.open_operation(&mut tx, actor, &op, &[&master.0, &other.0], now)
                    .await?;
                tx.save_worklist_item(&row).await?;
                tx.commit().await?;
                Ok(NearMatchOutcome::MergeStarted(Box::new(op_view(&op))))
            }
        }
    }

    /// Validates (approves or rejects) a merge or split (capability `WorkWorklist`). The
    /// initiator may not validate their own operation (two-person rule).
    pub async fn validate_operation(
        &self,
        actor: &Actor,
        item_id: &str,
        approve: bool,
        note: &str,
    ) -> Result<IdentityOperation> {
        let row = self.visible_item(actor, item_id).await?;
        if row.kind == WorklistKind::NearMatch.code() || !is_open(&row) {
            return Err(AppError::Invalid("not an open validation item".into()));
        }
        let op_id = row.operation_id.clone().ok_or(AppError::NotFound)?;
        let op = self
            .store
            .identity_op(&op_id)
            .await?
            .ok_or(AppError::NotFound)?;
        if op.initiated_by == actor.user_id {
            return Err(AppError::Forbidden);
        }
        let note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
        self.decide(
            row,
            &actor.user_id,
            actor.source_ip.clone(),
            approve,
            note,
            false,
        )
        .await
    }

    /// Approves/rejects an operation and closes its item, in one transaction; reloads linkage.
    async fn decide(
        &self,
        mut row: WorklistItemRow,
        by: &str,
        ip: Option<String>,
        approve: bool,
        note: Option<String>,
        auto: bool,
    ) -> Result<IdentityOperation> {
        let mut linker = self.link_index().await?;
        let now = self.clock.now();
        let op_id = row.operation_id.clone().ok_or(AppError::NotFound)?;
        let mut tx = self.store.begin().await?;
        let mut op = tx.identity_op(&op_id).await?.ok_or(AppError::NotFound)?;
        if op.status != PENDING {
            return Err(AppError::Invalid(
                "the operation was already decided".into(),
            ));
        }
        op.decided_by = Some(by.to_string());
        op.decided_at = Some(now);
        op.decision_note = note.clone();
        let resolution = match (approve, auto) {
            (true, true) => "auto_approved",
            (true, false) => "approved",
            (false, _) => "rejected",
        };
        if approve {
            apply(&mut tx, &mut op, by, now).await?;
        } else {
            op.status = REJECTED.into();
        }
        tx.save_identity_op(&op).await?;
        tx.unlock_children(&op.id).await?;
        row.status = CLOSED.into();
        row.resolution = Some(resolution.into());
        row.resolved_by = Some(by.to_string());
        row.resolved_at = Some(now);
        row.note = note;
        row.updated_at = now;
        tx.save_worklist_item(&row).await?;
        tx.append_audit(
            &audit_event(
                by,
                ip,
                &format!("identity.{}.{}", op.kind, resolution),
                &op.child_msix_id,
                serde_json::json!({"operation": op.id, "other": op.other_msix_id, "records": json_ids(&op.record_ids).len(), "item": row.id}),
            ),
            now,
        );
        tx.commit().await?;
        if approve {
            *linker = LinkIndex::load(&self.store).await?;
        }
        Ok(op_view(&op))
    }

    /// The scheduled job: moves every open item to the level its age calls for, and approves
    /// validation items whose whole escalation period has lapsed. Audited as `system`.
    pub async fn escalate_worklists(&self) -> Result<EscalationReport> {
        let today = self.clock.today();
        let mut report = EscalationReport::default();
        for mut row in self.store.worklist_items(None, false).await? {
            let standing = self.worklists.standing(row.created_on, today);
            let kind = WorklistKind::parse(&row.kind);
            if standing.lapsed && kind.is_some_and(|k| k.auto_approves()) {
                self.decide(row, SYSTEM, None, true, None, true).await?;
                report.auto_approved += 1;
                continue;
            }
            let current = Level::parse(&row.level).unwrap_or(Level::District);
            if standing.level > current {
                let now = self.clock.now();
                row.level = standing.level.code().into();
                row.due_on = standing.due_on;
                row.updated_at = now;
                let msix = self.child_msix(&row.child_id).await?;
                let mut tx = self.store.begin().await?;
                tx.save_worklist_item(&row).await?;
                tx.append_audit(
                    &audit_event(
                        SYSTEM,
                        None,
                        "worklist.escalate",
                        &msix,
                        serde_json::json!({"item": row.id, "from": current.code(), "to": standing.level.code(), "due_on": standing.due_on}),
                    ),
                    now,
                );
                tx.commit().await?;
                report.escalated += 1;
            }
        }
        Ok(report)
    }

    /// The daily e-mail digest (a scheduled job, run as `system`): every active data administrator
    /// with open items that are new, or were escalated to a level they see, since their last
    /// digest (or within the last day, before the first one) gets one message with the two counts
    /// and a link to the worklist, in their language, through the outbox. No child data in it.
    /// At most one digest per administrator and day, however often the job runs: the mail and the
    /// day's digest row are written in one transaction.
    pub async fn send_worklist_digests(&self) -> Result<DigestReport> {
        let now = self.clock.now();
        let today = self.clock.today();
        let default_since = now - chrono::Duration::days(1);
        let items = self.store.worklist_items(None, false).await?;
        let admins: Vec<(puente_store::UserRow, Actor)> = self
            .store
            .list_users(None)
            .await?
            .into_iter()
            .filter(|u| u.status == "active")
            .filter_map(|u| Actor::from_user(&u, None).map(|a| (u, a)))
            .filter(|(_, a)| a.can(Capability::WorkWorklist))
            .collect();
        let mut since = Vec::with_capacity(admins.len());
        for (u, _) in &admins {
            since.push(
                self.store
                    .last_worklist_digest(&u.id)
                    .await?
                    .unwrap_or(default_since),
            );
        }
        // Escalations since the earliest of those times: (when, item id).
        let mut escalations: Vec<(DateTime<Utc>, String)> = Vec::new();
        if let Some(from) = since.iter().min() {
            for e in self
                .store
                .audit_search(&puente_store::AuditFilter {
                    action: Some("worklist.escalate".into()),
                    from: Some(*from),
                    limit: 100_000,
                    ..Default::default()
                })
                .await?
            {
                let item = e
                    .details
                    .as_deref()
                    .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                    .and_then(|d| d["item"].as_str().map(str::to_owned));
                if let Some(item) = item {
                    escalations.push((e.at, item));
                }
            }
        }
        let mut report = DigestReport::default();
        for ((user, actor), since) in admins.iter().zip(since) {
            let mine: Vec<&WorklistItemRow> =
                items.iter().filter(|i| visible_to(actor, i)).collect();
            let new_items = mine.iter().filter(|i| i.created_at > since).count();
            let escalated_items = mine
                .iter()
                .filter(|i| i.created_at <= since)
                .filter(|i| {
                    escalations
                        .iter()
                        .any(|(at, id)| *at > since && *id == i.id)
                })
                .count();
            if new_items + escalated_items == 0 {
                report.skipped += 1;
                continue;
            }
            let mut tx = self.store.begin().await?;
            let first_today = tx
                .record_worklist_digest(
                    &user.id,
                    today,
                    i64::try_from(new_items).unwrap_or(i64::MAX),
                    i64::try_from(escalated_items).unwrap_or(i64::MAX),
                    now,
                )
                .await?;
            if !first_today {
                report.skipped += 1;
                continue;
            }
            self.queue_mail(
                &mut tx,
                crate::mail::MailKind::WorklistDigest,
                &[crate::mail::Recipient {
                    email: user.email.clone(),
                    locale: crate::mail::normalize_locale(user.locale.as_deref()).into(),
                }],
                &crate::mail::MailContext {
                    to_state: actor.state().map(str::to_owned),
                    path: "/worklists".into(),
                    new_items,
                    escalated_items,
                    ..Default::default()
                },
                None,
                now,
            )
            .await?;
            tx.commit().await?;
            report.mailed += 1;
        }
        Ok(report)
    }

    /// One operation (capability `WorkWorklist` or `StartMergeSplit`).
    pub async fn identity_operation(&self, actor: &Actor, id: &str) -> Result<IdentityOperation> {
        if !actor.can(Capability::WorkWorklist) {
            actor.require(Capability::StartMergeSplit)?;
        }
        let op = self
            .store
            .identity_op(id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(op_view(&op))
    }

    /// The identity history of the child that holds (or held) `msix`: creation, every merge
    /// and split it took part in (who started it, why, who validated it, when), and near-match
    /// answers about it. Capability `WorkWorklist` (administrators); the child (once merged
    /// away: the child it was merged into) must be in the actor's scope.
    pub async fn identity_history(&self, actor: &Actor, msix: &str) -> Result<Vec<IdentityEvent>> {
        actor.require(Capability::WorkWorklist)?;
        let id = MsixId::parse(msix).map_err(|e| AppError::Invalid(e.to_string()))?;
        let child = self
            .store
            .child_by_msix(&id.to_string())
            .await?
            .ok_or(AppError::NotFound)?;
        let (holder, _) = self
            .store
            .resolve_msix(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.require_child_in_scope(actor, &holder).await?;
        let mut out = vec![IdentityEvent {
            at: child.created_at,
            actor: SYSTEM.into(),
            action: "child.created".into(),
            operation_id: None,
            worklist_item_id: None,
            msix_id: Some(child.msix_id.clone()),
            other_msix_id: None,
            reason: None,
        }];
        for op in self.store.identity_ops_of_child(&child.id).await? {
            out.push(IdentityEvent {
                at: op.initiated_at,
                actor: op.initiated_by.clone(),
                action: format!("{}.started", op.kind),
                operation_id: Some(op.id.clone()),
                worklist_item_id: None,
                msix_id: Some(op.child_msix_id.clone()),
                other_msix_id: op.other_msix_id.clone(),
                reason: op.reason.clone(),
            });
            if let (Some(by), Some(at)) = (&op.decided_by, op.decided_at) {
                let what = match (op.status.as_str(), by.as_str()) {
                    (APPLIED, SYSTEM) => "auto_approved",
                    (APPLIED, _) => "approved",
                    _ => "rejected",
                };
                out.push(IdentityEvent {
                    at,
                    actor: by.clone(),
                    action: format!("{}.{what}", op.kind),
                    operation_id: Some(op.id.clone()),
                    worklist_item_id: None,
                    msix_id: Some(op.child_msix_id.clone()),
                    other_msix_id: op.other_msix_id.clone(),
                    reason: op.decision_note.clone(),
                });
            }
        }
        for item in self.store.worklist_items_of_child(&child.id).await? {
            if item.kind != WorklistKind::NearMatch.code() {
                continue;
            }
            let (Some(by), Some(at), Some(res)) =
                (&item.resolved_by, item.resolved_at, &item.resolution)
            else {
                if item.status == NEED_INFO {
                    out.push(IdentityEvent {
                        at: item.updated_at,
                        actor: String::new(),
                        action: "near_match.need_info".into(),
                        operation_id: None,
                        worklist_item_id: Some(item.id.clone()),
                        msix_id: Some(child.msix_id.clone()),
                        other_msix_id: None,
                        reason: item.note.clone(),
                    });
                }
                continue;
            };
            out.push(IdentityEvent {
                at,
                actor: by.clone(),
                action: format!("near_match.{res}"),
                operation_id: item.operation_id.clone(),
                worklist_item_id: Some(item.id.clone()),
                msix_id: Some(child.msix_id.clone()),
                other_msix_id: None,
                reason: item.note.clone(),
            });
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }
}

fn close(
    row: &mut WorklistItemRow,
    resolution: &str,
    actor: &Actor,
    now: DateTime<Utc>,
    note: Option<String>,
) {
    row.status = CLOSED.into();
    row.resolution = Some(resolution.into());
    row.resolved_by = Some(actor.user_id.clone());
    row.resolved_at = Some(now);
    row.note = note;
    row.updated_at = now;
}

/// Applies a pending operation inside `tx`: moves records, sets statuses and redirects, and
/// records the linkage decisions it implies.
async fn apply(tx: &mut Tx, op: &mut IdentityOpRow, by: &str, now: DateTime<Utc>) -> Result<()> {
    let decision =
        |kind: &str, a: &str, b: Option<&str>, child: Option<&str>, op: &str| LinkDecisionRow {
            id: new_id(),
            kind: kind.into(),
            record_a: a.into(),
            record_b: b.map(str::to_owned),
            child_id: child.map(str::to_owned),
            operation_id: Some(op.to_string()),
            worklist_item_id: None,
            decided_by: by.to_string(),
            decided_at: now,
            active: true,
        };
    let master = tx.child(&op.child_id).await?.ok_or(AppError::NotFound)?;
    if op.kind == "merge" {
        let other = op.other_child_id.clone().ok_or(AppError::NotFound)?;
        let moving = tx.record_ids_of_child(&other).await?;
        tx.move_records(&moving, &master.id, &master.msix_id, now)
            .await?;
        tx.set_child_status(&other, "merged", Some(&master.msix_id), now)
            .await?;
        if let Some(undone) = &op.undoes {
            tx.deactivate_decisions_of(undone).await?;
        }
        for r in &moving {
            tx.insert_link_decision(&decision("same", r, None, Some(&master.id), &op.id))
                .await?;
        }
        op.record_ids = to_json(&moving);
    } else {
        let moving = json_ids(&op.record_ids);
        let (target, target_msix) = match &op.other_child_id {
            Some(t) => {
                let c = tx.child(t).await?.ok_or(AppError::NotFound)?;
                tx.set_child_status(t, "active", None, now).await?;
                (c.id, c.msix_id)
            }
            None => {
                let t = new_id();
                let m = tx.create_child(&t, now).await?;
                (t, m.to_string())
            }
        };
        tx.move_records(&moving, &target, &target_msix, now).await?;
        if let Some(undone) = &op.undoes {
            tx.deactivate_decisions_of(undone).await?;
        }
        let staying = tx.record_ids_of_child(&master.id).await?;
        for r in &moving {
            for s in &staying {
                tx.insert_link_decision(&decision("not_same", r, Some(s), None, &op.id))
                    .await?;
            }
        }
        op.other_child_id = Some(target);
        op.other_msix_id = Some(target_msix);
    }
    op.status = APPLIED.into();
    Ok(())
}

/// A worklist item with the records it is about, as its page shows them.
#[derive(Debug, Clone)]
pub struct ItemDetail {
    pub item: WorklistItem,
    /// Near match: the new record. Merge: the master's records. Split: every record of the
    /// child (those leaving are in the operation's `record_ids`).
    pub subject: Vec<StoredRecord>,
    /// Near match: for each candidate of the explanation, in its order, the record that scored
    /// best (or, when that record is no longer live under that id, the newest record of the
    /// child now holding the candidate). Pending merge: the records of the child merged into
    /// the master.
    pub others: Vec<StoredRecord>,
    /// Near match: `others[i]` belongs to the explanation's candidate `matched[i]` (index).
    pub matched: Vec<usize>,
}

impl App {
    /// `Forbidden` unless the child is inside the actor's scope: national scope covers every
    /// child; other scopes cover a child with a live record reported by the actor's state.
    pub async fn require_child_in_scope(&self, actor: &Actor, child_id: &str) -> Result<()> {
        let Some(state) = actor.state() else {
            return Ok(());
        };
        let states = self.store.child_states(child_id).await?;
        if states.iter().any(|s| s.eq_ignore_ascii_case(state)) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The number of open items on `actor`'s worklist (0 without `WorkWorklist`): one grouped
    /// count query.
    pub async fn open_worklist_count(&self, actor: &Actor) -> Result<usize> {
        if !actor.can(Capability::WorkWorklist) {
            return Ok(0);
        }
        let rows = self.store.open_worklist_counts(actor.state()).await?;
        let state = actor.state().map(str::to_owned);
        Ok(rows
            .into_iter()
            .filter(|(level, district, _)| {
                visible_at(
                    actor,
                    state.as_deref(),
                    district.as_deref(),
                    Level::parse(level).unwrap_or(Level::District),
                )
            })
            .map(|(_, _, n)| usize::try_from(n).unwrap_or(0))
            .sum())
    }

    /// One item with the records it is about (capability `WorkWorklist`, visible to the actor).
    /// Showing those records is a disclosure: each child's view is audited
    /// (`worklist.record_view`) before anything is returned.
    pub async fn worklist_item_detail(&self, actor: &Actor, id: &str) -> Result<ItemDetail> {
        let row = self.visible_item(actor, id).await?;
        let item = self.item_view(&row).await?;
        let mut subject = Vec::new();
        let mut others = Vec::new();
        let mut matched = Vec::new();
        match item.kind {
            WorklistKind::NearMatch => {
                if let Some(r) = &row.state_record_id
                    && let Some(rec) = self.store.live_record(r).await?
                {
                    subject.push(rec);
                }
                let explained: Vec<(String, String)> = item
                    .explanation
                    .as_ref()
                    .and_then(|e| e.get("candidates"))
                    .and_then(|c| c.as_array())
                    .map(|cs| {
                        cs.iter()
                            .map(|c| {
                                let f = |k: &str| {
                                    c.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string()
                                };
                                (f("record_id"), f("child_id"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                for (n, (r, child)) in explained.iter().enumerate() {
                    let mut rec = self.store.live_record(r).await?;
                    if rec.is_none()
                        && let Some(m) = item
                            .candidates
                            .iter()
                            .find(|c| &c.child_id == child)
                            .and_then(|c| c.msix_id.as_deref())
                            .and_then(|m| MsixId::parse(m).ok())
                        && let Some((holder, _)) = self.store.resolve_msix(m).await?
                    {
                        rec = self.store.records_of_child(&holder).await?.pop();
                    }
                    if let Some(rec) = rec {
                        others.push(rec);
                        matched.push(n);
                    }
                }
            }
            WorklistKind::ValidateMerge | WorklistKind::ValidateSplit => {
                if let Some(op) = &item.operation
                    && let Some(o) = self.store.identity_op(&op.id).await?
                {
                    subject = self.store.records_of_child(&o.child_id).await?;
                    if o.kind == "merge"
                        && o.status == PENDING
                        && let Some(other) = &o.other_child_id
                    {
                        others = self.store.records_of_child(other).await?;
                    }
                }
            }
        }
        let mut shown: Vec<String> = subject
            .iter()
            .chain(&others)
            .map(|r| r.msix_id.to_string())
            .collect();
        shown.sort();
        shown.dedup();
        for m in &shown {
            self.record_disclosure(
                actor,
                Capability::WorkWorklist,
                "worklist.record_view",
                m,
                "worklist review",
            )
            .await?;
        }
        Ok(ItemDetail {
            item,
            subject,
            others,
            matched,
        })
    }

    /// The state records behind `msix` (the historical view), to choose those a split moves
    /// (capability `StartMergeSplit`, child in scope; audited as `record.view` with purpose
    /// `split`).
    pub async fn records_for_split(&self, actor: &Actor, msix: &str) -> Result<Vec<StoredRecord>> {
        actor.require(Capability::StartMergeSplit)?;
        let (child, m) = self.active_child(msix).await?;
        self.require_child_in_scope(actor, &child).await?;
        let records = self.store.records_of_child(&child).await?;
        self.record_disclosure(
            actor,
            Capability::StartMergeSplit,
            "record.view",
            &m.to_string(),
            "split",
        )
        .await?;
        Ok(records)
    }

    /// The child a merge or split form is about (capability `StartMergeSplit`): its MSIX ID must
    /// be the surviving one and the child in the actor's scope. Returns the pending operation
    /// locking it, if any.
    pub async fn identity_change_target(
        &self,
        actor: &Actor,
        msix: &str,
    ) -> Result<Option<String>> {
        actor.require(Capability::StartMergeSplit)?;
        let (child, _) = self.active_child(msix).await?;
        self.require_child_in_scope(actor, &child).await?;
        Ok(self.store.lock_of_child(&child).await?)
    }

    /// Display names of user ids (who started or decided something); `system` and unknown ids
    /// are left out.
    pub async fn user_display_names(
        &self,
        ids: &[String],
    ) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for id in ids {
            if out.contains_key(id) || id.is_empty() || id == SYSTEM {
                continue;
            }
            if let Some(u) = self.store.user_by_id(id).await? {
                out.insert(id.clone(), u.display_name.clone());
            }
        }
        Ok(out)
    }
}
