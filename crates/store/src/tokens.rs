//! API tokens of state systems (machine accounts): stored as SHA-256 hashes only.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::{Result, Store, read_pool, write_pool};

/// A stored API token (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRow {
    pub id: String,
    pub name: String,
    pub state: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

macro_rules! token_from_row {
    ($r:expr) => {{
        let r = $r;
        ApiTokenRow {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            state: r.try_get("state")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
            last_used_at: r.try_get("last_used_at")?,
            revoked_at: r.try_get("revoked_at")?,
        }
    }};
}

impl Store {
    pub async fn create_api_token(
        &self,
        id: &str,
        token_hash: &str,
        name: &str,
        state: &str,
        created_by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        write_pool!(self, p => sqlx::query(
            "INSERT INTO api_tokens (id, token_hash, name, state, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id).bind(token_hash).bind(name).bind(state).bind(created_by).bind(at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The live (not revoked) token with this hash.
    pub async fn api_token_by_hash(&self, token_hash: &str) -> Result<Option<ApiTokenRow>> {
        read_pool!(self, p => {
            match sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL").bind(token_hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(token_from_row!(r))),
                None => Ok(None),
            }
        })
    }

    pub async fn touch_api_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
        write_pool!(self, p => sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(id).bind(at).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Revokes a token; returns whether a live token was revoked.
    pub async fn revoke_api_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = write_pool!(self, p => sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL").bind(id).bind(at).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn api_tokens(&self, state: Option<&str>) -> Result<Vec<ApiTokenRow>> {
        read_pool!(self, p => {
            let rows = match state {
                Some(s) => sqlx::query("SELECT * FROM api_tokens WHERE state = $1 ORDER BY created_at, id").bind(s).fetch_all(p).await?,
                None => sqlx::query("SELECT * FROM api_tokens ORDER BY created_at, id").fetch_all(p).await?,
            };
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(token_from_row!(r)); }
            Ok(out)
        })
    }
}
