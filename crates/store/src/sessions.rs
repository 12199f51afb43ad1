//! Server-side sessions. The cookie carries a random token; the table keeps only its SHA-256.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::audit::{Tx, on_tx};
use crate::{Result, Store, read_pool, write_pool};

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    /// SHA-256 (hex) of the cookie token.
    pub id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub csrf_token: String,
    pub mfa_passed: bool,
    pub source_ip: Option<String>,
}

impl Store {
    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>> {
        read_pool!(self, p => {
            match sqlx::query("SELECT id, user_id, created_at, last_seen_at, csrf_token, mfa_passed, source_ip FROM sessions WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(SessionRow {
                    id: r.try_get(0)?,
                    user_id: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                    last_seen_at: r.try_get(3)?,
                    csrf_token: r.try_get(4)?,
                    mfa_passed: r.try_get(5)?,
                    source_ip: r.try_get(6)?,
                })),
                None => Ok(None),
            }
        })
    }

    pub async fn touch_session(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        write_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn delete_session(&self, id: &str) -> Result<()> {
        write_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Removes sessions idle since before `idle_before` or created before `created_before`.
    pub async fn prune_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<u64> {
        let n = write_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before).bind(created_before).execute(p).await?.rows_affected());
        Ok(n)
    }
}

impl Tx {
    pub async fn create_session(&mut self, s: &SessionRow) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "INSERT INTO sessions (id, user_id, created_at, last_seen_at, csrf_token, mfa_passed, source_ip) VALUES ($1,$2,$3,$4,$5,$6,$7)")
            .bind(&s.id).bind(&s.user_id).bind(s.created_at).bind(s.last_seen_at)
            .bind(&s.csrf_token).bind(s.mfa_passed).bind(&s.source_ip)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn delete_session(&mut self, id: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Ends every session of a user (on disable, deactivate, password or role change).
    pub async fn delete_user_sessions(&mut self, user_id: &str) -> Result<()> {
        on_tx!(self, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }
}
