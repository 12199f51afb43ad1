//! The audit trail: an append-only hash chain in `audit_events`, and [`Tx`], the transaction an
//! action and its audit event share (so an action is never stored without its audit event, and
//! an audit failure rolls the action back).
//!
//! Each event's `hash` is SHA-256 over the previous event's hash and the event's canonical fields
//! ([`audit_hash`]); `audit_chain` holds the head (last sequence number and hash) and is updated
//! in the same transaction, which serialises appends on both backends.

use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{Backend, Result, Store, StoreError, new_id, read_pool};

/// The `prev_hash` of the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An open write transaction on either backend. Commit it with [`Tx::commit`]; dropping it rolls
/// back.
///
/// Audit events given to [`Tx::append_audit`] are held and appended to the chain by
/// [`Tx::commit`], just before the commit itself: the chain head's row lock (which serialises
/// every audit append on PostgreSQL) is then held only for the commit, not for the whole
/// transaction (a long submission batch would otherwise stall every record view's audit event).
pub struct Tx {
    pub(crate) conn: TxConn,
    pending: Vec<(NewAuditEvent, DateTime<Utc>)>,
}

/// The transaction's connection.
pub(crate) enum TxConn {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl std::fmt::Debug for Tx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tx")
    }
}

/// Runs `$body` with `$c` bound to the transaction's connection (`&mut XConnection`).
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match &mut $tx.conn {
            $crate::audit::TxConn::Sqlite(t) => {
                let $c: &mut sqlx::SqliteConnection = &mut *t;
                $body
            }
            $crate::audit::TxConn::Postgres(t) => {
                let $c: &mut sqlx::PgConnection = &mut *t;
                $body
            }
        }
    };
}
pub(crate) use on_tx;

impl Tx {
    /// Appends the held audit events to the chain, then commits; returns the appended events.
    pub async fn commit(mut self) -> Result<Vec<AuditEvent>> {
        let pending = std::mem::take(&mut self.pending);
        let mut events = Vec::with_capacity(pending.len());
        for (ev, at) in &pending {
            events.push(self.append_now(ev, *at).await?);
        }
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        Ok(events)
    }
}

impl Store {
    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        let conn = match self {
            Store::Sqlite { write, .. } => {
                TxConn::Sqlite(write.begin_with(Backend::Sqlite.begin_write()).await?)
            }
            Store::Postgres(p) => TxConn::Postgres(p.begin().await?),
        };
        Ok(Tx {
            conn,
            pending: Vec::new(),
        })
    }
}

/// An event to append. Never put passwords, tokens or record contents in `details`.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEvent {
    /// User id, `system`, or `anonymous` (failed logins of unknown accounts).
    pub actor: String,
    /// Dotted action name, e.g. `login.success`, `record.view`, `user.create`.
    pub action: String,
    pub child_msix_id: Option<String>,
    pub purpose: Option<String>,
    pub source_ip: Option<String>,
    pub details: Option<String>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEvent {
    pub id: String,
    pub seq: Option<i64>,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub child_msix_id: Option<String>,
    pub purpose: Option<String>,
    pub source_ip: Option<String>,
    pub details: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The chain hash of an event: SHA-256 (hex) over `prev_hash` and the canonical JSON array of the
/// event's fields (sequence, id, time to the microsecond, actor, action, MSIX ID, purpose, source,
/// details).
pub fn audit_hash(prev_hash: &str, e: &AuditEvent) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.id,
        e.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        e.actor,
        e.action,
        e.child_msix_id,
        e.purpose,
        e.source_ip,
        e.details,
    ]);
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical.to_string().as_bytes());
    hex::encode(h.finalize())
}

/// Filters of the audit log viewer.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub child_msix_id: Option<String>,
    /// Only events whose actor is an account of this state (state administrators' view).
    pub actor_state: Option<String>,
    pub limit: i64,
}

const COLS: &str =
    "id, seq, at, actor, action, child_msix_id, purpose, source_ip, details, prev_hash, hash";

macro_rules! event_from_row {
    ($r:expr) => {{
        let r = $r;
        AuditEvent {
            id: r.try_get("id")?,
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            action: r.try_get("action")?,
            child_msix_id: r.try_get("child_msix_id")?,
            purpose: r.try_get("purpose")?,
            source_ip: r.try_get("source_ip")?,
            details: r.try_get("details")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        }
    }};
}

impl Tx {
    /// Adds an event to this transaction: it is appended to the chain when the transaction
    /// commits (and never, if it rolls back).
    pub fn append_audit(&mut self, ev: &NewAuditEvent, at: DateTime<Utc>) {
        self.pending.push((ev.clone(), at));
    }

    /// Appends an event to the chain now (the head's row lock is held until the commit).
    async fn append_now(&mut self, ev: &NewAuditEvent, at: DateTime<Utc>) -> Result<AuditEvent> {
        let at = at.trunc_subsecs(6);
        on_tx!(self, c => {
            // Locks the head row until commit (PostgreSQL); SQLite has one writer.
            let head = sqlx::query(
                "UPDATE audit_chain SET seq = seq + 1 WHERE id = 'main' RETURNING seq, last_hash")
                .fetch_optional(&mut *c).await?
                .ok_or_else(|| StoreError::Corrupt("audit chain head is missing".into()))?;
            let seq: i64 = head.try_get(0)?;
            let prev: String = head.try_get(1)?;
            let mut e = AuditEvent {
                id: new_id(),
                seq: Some(seq),
                at,
                actor: ev.actor.clone(),
                action: ev.action.clone(),
                child_msix_id: ev.child_msix_id.clone(),
                purpose: ev.purpose.clone(),
                source_ip: ev.source_ip.clone(),
                details: ev.details.clone(),
                prev_hash: prev.clone(),
                hash: String::new(),
            };
            e.hash = audit_hash(&prev, &e);
            sqlx::query("INSERT INTO audit_events (id, seq, at, actor, action, child_msix_id, purpose, source_ip, details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)")
                .bind(&e.id).bind(e.seq).bind(e.at).bind(&e.actor).bind(&e.action)
                .bind(&e.child_msix_id).bind(&e.purpose).bind(&e.source_ip).bind(&e.details)
                .bind(&e.prev_hash).bind(&e.hash)
                .execute(&mut *c).await?;
            sqlx::query("UPDATE audit_chain SET last_hash = $1 WHERE id = 'main'")
                .bind(&e.hash).execute(&mut *c).await?;
            Ok(e)
        })
    }
}

impl Store {
    /// Appends one event in its own transaction.
    pub async fn append_audit(&self, ev: &NewAuditEvent, at: DateTime<Utc>) -> Result<AuditEvent> {
        let mut tx = self.begin().await?;
        tx.append_audit(ev, at);
        tx.commit()
            .await?
            .pop()
            .ok_or_else(|| StoreError::Corrupt("the audit event was not appended".into()))
    }

    /// The chain head: (last sequence number, last hash).
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        let head: Option<(i64, String)> = read_pool!(self, p => {
            match sqlx::query("SELECT seq, last_hash FROM audit_chain WHERE id = 'main'")
                .fetch_optional(p).await? {
                Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
                None => None,
            }
        });
        head.ok_or_else(|| StoreError::Corrupt("audit chain head is missing".into()))
    }

    /// Every event in chain order (by sequence number; events without one last, by time).
    pub async fn audit_chain_events(&self) -> Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {COLS} FROM audit_events ORDER BY CASE WHEN seq IS NULL THEN 1 ELSE 0 END, seq, at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(event_from_row!(&r)); }
            Ok(out)
        })
    }

    /// Events matching the filter, newest first.
    pub async fn audit_search(&self, f: &AuditFilter) -> Result<Vec<AuditEvent>> {
        let sql = format!(
            "SELECT {COLS} FROM audit_events WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) \
             AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) AND ($5 IS NULL OR child_msix_id = $5) \
             AND ($7 IS NULL OR actor IN (SELECT id FROM users WHERE scope_state = $7)) \
             ORDER BY seq DESC, at DESC LIMIT $6"
        );
        let limit = if f.limit <= 0 { 1000 } else { f.limit };
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&f.actor).bind(&f.action).bind(f.from).bind(f.until).bind(&f.child_msix_id).bind(limit)
                .bind(&f.actor_state)
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(event_from_row!(&r)); }
            Ok(out)
        })
    }
}
