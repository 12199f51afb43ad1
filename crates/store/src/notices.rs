//! Notices between states, their messages, designated recipients, and the e-mail outbox. Writes
//! that belong to an action run inside a [`Tx`], so that a notice, its audit event and its
//! e-mails commit together (transactional outbox); the outbox worker's bookkeeping runs on the
//! pool.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use crate::audit::{Tx, on_tx};
use crate::{Result, Store, read_pool, write_pool};

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: String,
    /// `move`, `change_of_residence`, `data_request`, `correction_request`.
    pub kind: String,
    /// `open`, `acknowledged`, `closed`.
    pub status: String,
    pub child_id: String,
    /// The child's MSIX ID when the notice was created.
    pub msix_id: String,
    /// The sending state (move, data request, correction request: the recording state) or the
    /// new state (change of residence).
    pub from_state: Option<String>,
    pub from_district: Option<String>,
    /// The state that must act.
    pub to_state: String,
    pub to_district: Option<String>,
    pub to_school: Option<String>,
    /// Correction request: the state whose data is contested.
    pub owner_state: Option<String>,
    /// `district`, `regional`, `state`.
    pub level: String,
    /// Data request: what is asked; correction request: the element to correct.
    pub topic: Option<String>,
    pub expected_on: Option<NaiveDate>,
    pub comments: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub created_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub forwarded_at: Option<DateTime<Utc>>,
    /// Move notice: `arrived` or `no_show`.
    pub arrival: Option<String>,
    pub arrival_on: Option<NaiveDate>,
    /// Correction request: `correct` or `deny`.
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_on: Option<NaiveDate>,
    pub outcome: Option<String>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Unique key of system notices (raised once).
    pub dedupe_key: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// A message of a notice's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeMessageRow {
    pub id: String,
    pub notice_id: String,
    pub author: String,
    pub author_state: Option<String>,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// A designated recipient of a state's notices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientRow {
    pub id: String,
    pub state: String,
    pub region: Option<String>,
    pub email: String,
    pub locale: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// An e-mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: String,
    pub recipient: String,
    pub locale: String,
    /// Template name, e.g. `notice.move`.
    pub template: String,
    pub subject: String,
    pub body: String,
    pub notice_id: Option<String>,
    /// `queued`, `sent`, `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: DateTime<Utc>,
    pub claimed_until: Option<DateTime<Utc>>,
    /// Short classification of the last failure (never message contents).
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// Outbox counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    pub queued: i64,
    pub sent: i64,
    pub failed: i64,
}

const NOTICE_COLS: &str = "id, kind, status, child_id, msix_id, from_state, from_district, to_state, to_district, to_school, owner_state, level, topic, expected_on, comments, created_by, created_at, created_on, due_on, acknowledged_by, acknowledged_at, escalated_at, forwarded_at, arrival, arrival_on, decision, decided_by, decided_on, outcome, closed_by, closed_at, dedupe_key, updated_at";
const INSERT_NOTICE: &str = "INSERT INTO notices (id, kind, status, child_id, msix_id, from_state, from_district, to_state, to_district, to_school, owner_state, level, topic, expected_on, comments, created_by, created_at, created_on, due_on, acknowledged_by, acknowledged_at, escalated_at, forwarded_at, arrival, arrival_on, decision, decided_by, decided_on, outcome, closed_by, closed_at, dedupe_key, updated_at) \
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33) ON CONFLICT (dedupe_key) DO NOTHING";
const UPDATE_NOTICE: &str = "UPDATE notices SET status = $2, to_state = $3, to_district = $4, level = $5, due_on = $6, acknowledged_by = $7, acknowledged_at = $8, escalated_at = $9, forwarded_at = $10, arrival = $11, arrival_on = $12, decision = $13, decided_by = $14, decided_on = $15, outcome = $16, closed_by = $17, closed_at = $18, updated_at = $19 WHERE id = $1";
const MESSAGE_COLS: &str = "id, notice_id, author, author_state, body, created_at";
const RECIPIENT_COLS: &str = "id, state, region, email, locale, created_by, created_at";
const OUTBOX_COLS: &str = "id, recipient, locale, template, subject, body, notice_id, status, attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at, updated_at";

macro_rules! notice_from_row {
    ($r:expr) => {{
        let r = $r;
        NoticeRow {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            status: r.try_get("status")?,
            child_id: r.try_get("child_id")?,
            msix_id: r.try_get("msix_id")?,
            from_state: r.try_get("from_state")?,
            from_district: r.try_get("from_district")?,
            to_state: r.try_get("to_state")?,
            to_district: r.try_get("to_district")?,
            to_school: r.try_get("to_school")?,
            owner_state: r.try_get("owner_state")?,
            level: r.try_get("level")?,
            topic: r.try_get("topic")?,
            expected_on: r.try_get("expected_on")?,
            comments: r.try_get("comments")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            created_on: r.try_get("created_on")?,
            due_on: r.try_get("due_on")?,
            acknowledged_by: r.try_get("acknowledged_by")?,
            acknowledged_at: r.try_get("acknowledged_at")?,
            escalated_at: r.try_get("escalated_at")?,
            forwarded_at: r.try_get("forwarded_at")?,
            arrival: r.try_get("arrival")?,
            arrival_on: r.try_get("arrival_on")?,
            decision: r.try_get("decision")?,
            decided_by: r.try_get("decided_by")?,
            decided_on: r.try_get("decided_on")?,
            outcome: r.try_get("outcome")?,
            closed_by: r.try_get("closed_by")?,
            closed_at: r.try_get("closed_at")?,
            dedupe_key: r.try_get("dedupe_key")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

macro_rules! message_from_row {
    ($r:expr) => {{
        let r = $r;
        NoticeMessageRow {
            id: r.try_get("id")?,
            notice_id: r.try_get("notice_id")?,
            author: r.try_get("author")?,
            author_state: r.try_get("author_state")?,
            body: r.try_get("body")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

macro_rules! recipient_from_row {
    ($r:expr) => {{
        let r = $r;
        RecipientRow {
            id: r.try_get("id")?,
            state: r.try_get("state")?,
            region: r.try_get("region")?,
            email: r.try_get("email")?,
            locale: r.try_get("locale")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
        }
    }};
}

macro_rules! outbox_from_row {
    ($r:expr) => {{
        let r = $r;
        OutboxRow {
            id: r.try_get("id")?,
            recipient: r.try_get("recipient")?,
            locale: r.try_get("locale")?,
            template: r.try_get("template")?,
            subject: r.try_get("subject")?,
            body: r.try_get("body")?,
            notice_id: r.try_get("notice_id")?,
            status: r.try_get("status")?,
            attempts: r.try_get("attempts")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            claimed_until: r.try_get("claimed_until")?,
            last_error: r.try_get("last_error")?,
            created_at: r.try_get("created_at")?,
            sent_at: r.try_get("sent_at")?,
            updated_at: r.try_get("updated_at")?,
        }
    }};
}

impl Tx {
    /// Inserts a notice. Returns `false` when a notice with the same `dedupe_key` exists (nothing
    /// is written).
    pub async fn insert_notice(&mut self, n: &NoticeRow) -> Result<bool> {
        let done = on_tx!(self, c => sqlx::query(INSERT_NOTICE)
            .bind(&n.id).bind(&n.kind).bind(&n.status).bind(&n.child_id).bind(&n.msix_id)
            .bind(&n.from_state).bind(&n.from_district).bind(&n.to_state).bind(&n.to_district)
            .bind(&n.to_school).bind(&n.owner_state).bind(&n.level).bind(&n.topic).bind(n.expected_on)
            .bind(&n.comments).bind(&n.created_by).bind(n.created_at).bind(n.created_on).bind(n.due_on)
            .bind(&n.acknowledged_by).bind(n.acknowledged_at).bind(n.escalated_at).bind(n.forwarded_at)
            .bind(&n.arrival).bind(n.arrival_on).bind(&n.decision).bind(&n.decided_by).bind(n.decided_on)
            .bind(&n.outcome).bind(&n.closed_by).bind(n.closed_at).bind(&n.dedupe_key).bind(n.updated_at)
            .execute(&mut *c).await?.rows_affected());
        // The state a change-of-residence notice goes to has a new clock on the child.
        if done == 1 && n.kind == "change_of_residence" {
            on_tx!(self, c => crate::report_cache::mark_dirty!(c, [(n.to_state.as_str(), n.child_id.as_str())]));
        }
        Ok(done == 1)
    }

    /// Saves the mutable fields of a notice.
    pub async fn save_notice(&mut self, n: &NoticeRow) -> Result<()> {
        // A forwarded change-of-residence notice moves its clock from one state to another.
        if n.kind == "change_of_residence" {
            on_tx!(self, c => {
                let before: Option<String> = sqlx::query("SELECT to_state FROM notices WHERE id = $1")
                    .bind(&n.id).fetch_optional(&mut *c).await?.map(|r| r.try_get(0)).transpose()?;
                let mut pairs = vec![(n.to_state.as_str(), n.child_id.as_str())];
                if let Some(b) = &before {
                    pairs.push((b.as_str(), n.child_id.as_str()));
                }
                crate::report_cache::mark_dirty!(c, pairs);
            });
        }
        on_tx!(self, c => sqlx::query(UPDATE_NOTICE)
            .bind(&n.id).bind(&n.status).bind(&n.to_state).bind(&n.to_district).bind(&n.level)
            .bind(n.due_on).bind(&n.acknowledged_by).bind(n.acknowledged_at).bind(n.escalated_at)
            .bind(n.forwarded_at).bind(&n.arrival).bind(n.arrival_on).bind(&n.decision)
            .bind(&n.decided_by).bind(n.decided_on).bind(&n.outcome).bind(&n.closed_by)
            .bind(n.closed_at).bind(n.updated_at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// A notice read inside the transaction.
    pub async fn notice(&mut self, id: &str) -> Result<Option<NoticeRow>> {
        let sql = format!("SELECT {NOTICE_COLS} FROM notices WHERE id = $1");
        on_tx!(self, c => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *c).await? {
                Some(r) => Ok(Some(notice_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    pub async fn insert_notice_message(&mut self, m: &NoticeMessageRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO notice_messages (id, notice_id, author, author_state, body, created_at) VALUES ($1,$2,$3,$4,$5,$6)")
            .bind(&m.id).bind(&m.notice_id).bind(&m.author).bind(&m.author_state).bind(&m.body).bind(m.created_at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn insert_recipient(&mut self, r: &RecipientRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO notice_recipients (id, state, region, email, locale, created_by, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(&r.id).bind(&r.state).bind(&r.region).bind(&r.email).bind(&r.locale).bind(&r.created_by).bind(r.created_at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Queues an e-mail in the same transaction as the event that causes it.
    pub async fn enqueue_mail(&mut self, m: &OutboxRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO outbox (id, recipient, locale, template, subject, body, notice_id, status, attempts, next_attempt_at, claimed_until, last_error, created_at, sent_at, updated_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)")
            .bind(&m.id).bind(&m.recipient).bind(&m.locale).bind(&m.template).bind(&m.subject)
            .bind(&m.body).bind(&m.notice_id).bind(&m.status).bind(m.attempts).bind(m.next_attempt_at)
            .bind(m.claimed_until).bind(&m.last_error).bind(m.created_at).bind(m.sent_at).bind(m.updated_at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }
}

impl Store {
    pub async fn notice(&self, id: &str) -> Result<Option<NoticeRow>> {
        let sql = format!("SELECT {NOTICE_COLS} FROM notices WHERE id = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(notice_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Notices addressed to or sent from `state` (every notice when `None`), newest first; open
    /// ones only unless `include_closed`.
    pub async fn notices_for_state(
        &self,
        state: Option<&str>,
        include_closed: bool,
    ) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE ($1 IS NULL OR to_state = $1 OR from_state = $1) \
             AND ($2 OR status <> 'closed') ORDER BY created_at DESC, id DESC"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).bind(include_closed).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(notice_from_row!(r)); }
            Ok(out)
        })
    }

    /// Notices about a child, oldest first.
    pub async fn notices_of_child(&self, child_id: &str) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE child_id = $1 ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(child_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(notice_from_row!(r)); }
            Ok(out)
        })
    }

    /// Open data requests not yet acknowledged and not yet escalated.
    pub async fn unacknowledged_requests(&self) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "SELECT {NOTICE_COLS} FROM notices WHERE kind = 'data_request' AND status = 'open' \
             AND escalated_at IS NULL ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(notice_from_row!(r)); }
            Ok(out)
        })
    }

    /// The thread of a notice, oldest first.
    pub async fn notice_messages(&self, notice_id: &str) -> Result<Vec<NoticeMessageRow>> {
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM notice_messages WHERE notice_id = $1 ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(notice_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(message_from_row!(r)); }
            Ok(out)
        })
    }

    /// Designated recipients of `state`.
    pub async fn recipients_of_state(&self, state: &str) -> Result<Vec<RecipientRow>> {
        let sql = format!(
            "SELECT {RECIPIENT_COLS} FROM notice_recipients WHERE state = $1 ORDER BY email, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(recipient_from_row!(r)); }
            Ok(out)
        })
    }

    /// (e-mail, locale) of the active data administrators of `state`.
    pub async fn data_administrators_of_state(
        &self,
        state: &str,
    ) -> Result<Vec<(String, Option<String>)>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT email, locale FROM users WHERE role = 'data_administrator' AND status = 'active' \
                 AND scope_state = $1 ORDER BY email")
                .bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push((r.try_get(0)?, r.try_get(1)?)); }
            Ok(out)
        })
    }

    /// Queued e-mails due at `now` (not leased by a worker), oldest first.
    pub async fn due_mail(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY next_attempt_at, id LIMIT $2"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(outbox_from_row!(r)); }
            Ok(out)
        })
    }

    /// Leases a queued e-mail until `until`; `false` when another worker holds it or it is no
    /// longer queued.
    pub async fn claim_mail(
        &self,
        id: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool> {
        let n = write_pool!(self, p => sqlx::query(
            "UPDATE outbox SET claimed_until = $3 WHERE id = $1 AND status = 'queued' \
             AND (claimed_until IS NULL OR claimed_until < $2)")
            .bind(id).bind(now).bind(until).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records the outcome of one delivery attempt: `status` `sent`, `queued` (retry at
    /// `next_attempt_at`) or `failed`.
    pub async fn mark_mail(
        &self,
        id: &str,
        status: &str,
        attempts: i64,
        next_attempt_at: DateTime<Utc>,
        last_error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let sent_at = (status == "sent").then_some(at);
        write_pool!(self, p => sqlx::query(
            "UPDATE outbox SET status = $2, attempts = $3, next_attempt_at = $4, last_error = $5, \
             sent_at = $6, claimed_until = NULL, updated_at = $7 WHERE id = $1")
            .bind(id).bind(status).bind(attempts).bind(next_attempt_at).bind(last_error).bind(sent_at).bind(at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Puts a failed e-mail back in the queue, due at `at`.
    pub async fn requeue_mail(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = write_pool!(self, p => sqlx::query(
            "UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = $2, claimed_until = NULL, updated_at = $2 \
             WHERE id = $1 AND status = 'failed'")
            .bind(id).bind(at).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// E-mails with `status` (every status when `None`), newest first.
    pub async fn outbox(&self, status: Option<&str>, limit: i64) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE ($1 IS NULL OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(status).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(outbox_from_row!(r)); }
            Ok(out)
        })
    }

    /// The e-mails a notice caused, oldest first.
    pub async fn outbox_of_notice(&self, notice_id: &str) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLS} FROM outbox WHERE notice_id = $1 ORDER BY created_at, id"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(notice_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows { out.push(outbox_from_row!(r)); }
            Ok(out)
        })
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetch_all(p).await?;
            let mut c = OutboxCounts::default();
            for r in &rows {
                let s: String = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                match s.as_str() {
                    "queued" => c.queued = n,
                    "sent" => c.sent = n,
                    "failed" => c.failed = n,
                    _ => {}
                }
            }
            Ok(c)
        })
    }

    /// Sets the language of an account's e-mail and pages (`en`, `es`).
    pub async fn set_user_locale(&self, user_id: &str, locale: &str) -> Result<()> {
        write_pool!(self, p => sqlx::query("UPDATE users SET locale = $2 WHERE id = $1")
            .bind(user_id).bind(locale).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The latest enrollment of a child before this write: (state, district, enrollment date).
    pub async fn latest_enrollment(
        &self,
        child_id: &str,
    ) -> Result<Option<(Option<String>, Option<String>, NaiveDate)>> {
        read_pool!(self, p => {
            let row = sqlx::query(
                "SELECT COALESCE(e.facility_state, s.reporting_state), e.district_id, e.enrollment_date FROM enrollments e \
                 JOIN state_records s ON s.id = e.state_record_id \
                 WHERE e.child_id = $1 AND s.deleted = FALSE ORDER BY e.enrollment_date DESC, s.received_at DESC LIMIT 1")
                .bind(child_id).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(Some((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))),
                None => Ok(None),
            }
        })
    }
}
