//! Puente storage: SQLite (embedded default) and PostgreSQL behind one [`Store`]. This is the only
//! crate that writes SQL. The same SQL text runs on both backends where it can (`$N` placeholders,
//! `ON CONFLICT ... RETURNING`); where the dialects differ, the difference sits in one `match`.

mod applications;
mod audit;
mod notices;
mod records;
mod report_cache;
mod reports;
mod search;
mod sessions;
mod stats;
mod submissions;
mod tokens;
mod users;
mod worklists;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use applications::{
    ApplicationRow, NewApplication, StateAreaRow, StateContactRow, StateProfileRow,
};
pub use audit::{AuditEvent, AuditFilter, GENESIS_HASH, NewAuditEvent, Tx, audit_hash};
pub use notices::{NoticeMessageRow, NoticeRow, OutboxCounts, OutboxRow, RecipientRow};
pub use records::{LinkRow, RecordWrite, StoredRecord, WriteOutcome};
pub use report_cache::{
    CacheWrite, CountGroup, CountLine, CountRow, CountScope, DUPLICATES_KIND, MOVES_MARK,
    QualityGroups, QualityRow,
};
pub use reports::{QualitySnapshot, RejectedRow, ReportChild};
pub use search::ChildSummary;
pub use sessions::SessionRow;
pub use stats::Stats;
pub use submissions::{NewSubmission, ResultRow, SubmissionCounts, SubmissionRow};
pub use tokens::ApiTokenRow;
pub use users::{NewUser, UserRow};
pub use worklists::{AgingGroup, ChildRow, IdentityOpRow, LinkDecisionRow, WorklistItemRow};

/// Storage errors. Messages never contain record contents (no PII in logs).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("the database URL is not valid: {0}")]
    BadUrl(String),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Database(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("could not allocate a unique MSIX ID")]
    IdSpace,
    /// The disk (or quota) holding the database is full: the write was rolled back.
    #[error("the disk holding the database is full; nothing of this write was kept")]
    Full,
}

/// Whether a database error says the disk is full: SQLite's SQLITE_FULL (13) or PostgreSQL's
/// `disk_full` (53100).
fn is_disk_full(code: Option<&str>, message: &str) -> bool {
    matches!(code, Some("13") | Some("53100")) || message.contains("database or disk is full")
}

/// Whether a database error says the server went away: PostgreSQL connection exceptions
/// (class 08) and shutdowns (57P01 admin, 57P02 crash, 57P03 cannot connect now).
fn is_server_gone(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("08") || matches!(c, "57P01" | "57P02" | "57P03"))
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let code = db.code();
            if is_disk_full(code.as_deref(), db.message()) {
                return StoreError::Full;
            }
            if is_server_gone(code.as_deref()) {
                return StoreError::Unavailable(e.to_string());
            }
        }
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_) => StoreError::Corrupt(e.to_string()),
            other => StoreError::Database(other.to_string()),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// How a write transaction begins. SQLite's takes the database file's write lock at once
    /// (`IMMEDIATE`), waiting for another process's writes within the busy timeout: a
    /// transaction that read first and then wrote while another process was writing would
    /// fail at once with SQLITE_BUSY, the busy timeout not applying to that case.
    pub(crate) fn begin_write(self) -> &'static str {
        match self {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        }
    }
}

/// A connection pool on one of the two backends. SQLite gets a separate single-connection writer
/// pool, so writes queue in-process instead of failing with SQLITE_BUSY.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite { read: SqlitePool, write: SqlitePool },
    Postgres(PgPool),
}

/// Runs `$body` with `$p` bound to the read pool of either backend.
macro_rules! read_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite { read: $p, .. } => $body,
            $crate::Store::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the write pool of either backend.
macro_rules! write_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite { write: $p, .. } => $body,
            $crate::Store::Postgres($p) => $body,
        }
    };
}
pub(crate) use {read_pool, write_pool};

impl Store {
    /// Connects to `url`: `postgres://...`, `sqlite://path` or a plain file path (SQLite).
    /// SQLite databases are created when missing, with WAL and a busy timeout.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // No JIT: it compiles a plan whose estimated cost is high (a search over a common
            // name at a million children) for tens to hundreds of milliseconds, longer than the
            // short queries of a portal take to run.
            let opts = PgConnectOptions::from_str(url)
                .map_err(|e| StoreError::BadUrl(e.to_string()))?
                .options([("jit", "off")]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            return Ok(Store::Postgres(pool));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(15))
            .foreign_keys(true);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(60))
            .connect_with(opts.clone())
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts.read_only(false))
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Store::Sqlite { read, write })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite { .. } => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the backend's migrations (idempotent).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite { write, .. } => sqlx::migrate!("migrations/sqlite").run(write).await,
            Store::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await,
        }
        .map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Cheap liveness check.
    pub async fn ping(&self) -> Result<()> {
        read_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Every table (except the migration bookkeeping) with its columns and NOT NULL flags, for the
    /// parity test between backends.
    pub async fn schema(&self) -> Result<std::collections::BTreeMap<String, Vec<(String, bool)>>> {
        use sqlx::Row;
        let mut out: std::collections::BTreeMap<String, Vec<(String, bool)>> = Default::default();
        match self {
            Store::Sqlite { read, .. } => {
                let rows = sqlx::query(
                    "SELECT m.name, p.name, p.\"notnull\" OR p.pk FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%' ORDER BY m.name, p.cid",
                )
                .fetch_all(read)
                .await?;
                for r in rows {
                    let nn: i64 = r.try_get(2)?;
                    out.entry(r.try_get(0)?)
                        .or_default()
                        .push((r.try_get(1)?, nn != 0));
                }
            }
            Store::Postgres(p) => {
                let rows = sqlx::query(
                    "SELECT table_name::text, column_name::text, is_nullable = 'NO' FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' ORDER BY table_name, ordinal_position",
                )
                .fetch_all(p)
                .await?;
                for r in rows {
                    out.entry(r.try_get(0)?)
                        .or_default()
                        .push((r.try_get(1)?, r.try_get(2)?));
                }
            }
        }
        Ok(out)
    }

    /// Closes the pools.
    pub async fn close(&self) {
        match self {
            Store::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Store::Postgres(p) => p.close().await,
        }
    }
}

/// A new time-ordered key.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

impl Store {
    /// Creates a user account; the e-mail address must be new (a deactivated address is never reused).
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        role: &str,
        scope_state: Option<&str>,
        password_hash: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<String> {
        let id = new_id();
        write_pool!(self, p => sqlx::query(
            "INSERT INTO users (id, email, display_name, role, scope_state, password_hash, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'active', $7)")
            .bind(&id).bind(email.to_lowercase()).bind(display_name).bind(role).bind(scope_state).bind(password_hash).bind(at)
            .execute(p).await.map(|_| ()))?;
        Ok(id)
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;

    #[test]
    fn disk_full_and_server_gone_are_recognised_on_both_backends() {
        assert!(is_disk_full(Some("13"), "database or disk is full"));
        assert!(is_disk_full(Some("53100"), "could not extend file"));
        assert!(!is_disk_full(Some("23505"), "duplicate key"));
        assert!(is_server_gone(Some("57P01")));
        assert!(is_server_gone(Some("08006")));
        assert!(!is_server_gone(Some("23505")));
        assert!(!is_server_gone(None));
    }
}
