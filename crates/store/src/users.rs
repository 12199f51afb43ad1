//! User accounts, MFA recovery codes and login throttling rows. Writes that must be audited take
//! a [`Tx`] so the caller appends the audit event in the same transaction.

use chrono::{DateTime, Utc};
use sqlx::Row;

use crate::audit::{Tx, on_tx};
use crate::{Result, Store, new_id, read_pool, write_pool};

/// A stored account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub scope_state: Option<String>,
    pub scope_region: Option<String>,
    pub scope_district: Option<String>,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub mfa_enrolled: bool,
    /// `active`, `disabled` (temporary) or `deactivated` (permanent).
    pub status: String,
    pub locale: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub failed_logins: i64,
    pub locked_until: Option<DateTime<Utc>>,
    pub password_changed_at: Option<DateTime<Utc>>,
    pub rules_accepted_at: Option<DateTime<Utc>>,
    pub training_completed_at: Option<DateTime<Utc>>,
    pub status_changed_at: Option<DateTime<Utc>>,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub scope_state: Option<&'a str>,
    pub scope_region: Option<&'a str>,
    pub scope_district: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub totp_secret: Option<&'a str>,
    pub mfa_enrolled: bool,
}

const USER_COLS: &str = "id, email, display_name, role, scope_state, scope_region, scope_district, \
password_hash, totp_secret, mfa_enrolled, status, locale, created_at, last_login_at, failed_logins, \
locked_until, password_changed_at, rules_accepted_at, training_completed_at, status_changed_at";

macro_rules! user_from_row {
    ($r:expr) => {{
        let r = $r;
        UserRow {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            role: r.try_get("role")?,
            scope_state: r.try_get("scope_state")?,
            scope_region: r.try_get("scope_region")?,
            scope_district: r.try_get("scope_district")?,
            password_hash: r.try_get("password_hash")?,
            totp_secret: r.try_get("totp_secret")?,
            mfa_enrolled: r.try_get("mfa_enrolled")?,
            status: r.try_get("status")?,
            locale: r.try_get("locale")?,
            created_at: r.try_get("created_at")?,
            last_login_at: r.try_get("last_login_at")?,
            failed_logins: r.try_get("failed_logins")?,
            locked_until: r.try_get("locked_until")?,
            password_changed_at: r.try_get("password_changed_at")?,
            rules_accepted_at: r.try_get("rules_accepted_at")?,
            training_completed_at: r.try_get("training_completed_at")?,
            status_changed_at: r.try_get("status_changed_at")?,
        }
    }};
}

impl Store {
    /// The account with this e-mail address (case-insensitive), whatever its status.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE email = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(email.trim().to_lowercase()).fetch_optional(p).await? {
                Some(r) => Ok(Some(user_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<UserRow>> {
        let sql = format!("SELECT {USER_COLS} FROM users WHERE id = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(user_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Every account (of one state when given), by e-mail.
    pub async fn list_users(&self, state: Option<&str>) -> Result<Vec<UserRow>> {
        let sql = format!(
            "SELECT {USER_COLS} FROM users WHERE ($1 IS NULL OR scope_state = $1) ORDER BY email"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(user_from_row!(&r)); }
            Ok(out)
        })
    }

    /// Records a failed login from a source address (for per-address throttling).
    pub async fn record_ip_failure(&self, source_ip: &str, at: DateTime<Utc>) -> Result<()> {
        write_pool!(self, p => sqlx::query("INSERT INTO login_failures (id, source_ip, at) VALUES ($1, $2, $3)")
            .bind(new_id()).bind(source_ip).bind(at).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Failed logins from a source address since `since`.
    pub async fn ip_failures_since(&self, source_ip: &str, since: DateTime<Utc>) -> Result<i64> {
        let n: i64 = read_pool!(self, p => sqlx::query("SELECT COUNT(*) FROM login_failures WHERE source_ip = $1 AND at >= $2")
            .bind(source_ip).bind(since).fetch_one(p).await?.try_get(0)?);
        Ok(n)
    }

    /// Removes throttling rows older than `before`.
    pub async fn prune_ip_failures(&self, before: DateTime<Utc>) -> Result<u64> {
        let n = write_pool!(self, p => sqlx::query("DELETE FROM login_failures WHERE at < $1")
            .bind(before).execute(p).await?.rows_affected());
        Ok(n)
    }

    /// Unused recovery code hashes of a user: (id, hash).
    pub async fn unused_recovery_codes(&self, user_id: &str) -> Result<Vec<(String, String)>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT id, code_hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
                .bind(user_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push((r.try_get(0)?, r.try_get(1)?)); }
            Ok(out)
        })
    }
}

impl Tx {
    /// Creates an account; fails when the e-mail address exists (a deactivated address is never
    /// reused: deactivated accounts are kept).
    pub async fn create_user(&mut self, u: &NewUser<'_>, at: DateTime<Utc>) -> Result<String> {
        let id = new_id();
        on_tx!(self, c => sqlx::query(
            "INSERT INTO users (id, email, display_name, role, scope_state, scope_region, scope_district, password_hash, totp_secret, mfa_enrolled, status, created_at, password_changed_at, status_changed_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'active',$11,$11,$11)")
            .bind(&id).bind(u.email.trim().to_lowercase()).bind(u.display_name).bind(u.role)
            .bind(u.scope_state).bind(u.scope_region).bind(u.scope_district)
            .bind(u.password_hash).bind(u.totp_secret).bind(u.mfa_enrolled).bind(at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(id)
    }

    pub async fn set_user_status(
        &mut self,
        id: &str,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE users SET status = $2, status_changed_at = $3 WHERE id = $1")
            .bind(id).bind(status).bind(at).execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Counts a failed password for the account; `locked_until` set when the lockout starts.
    pub async fn record_user_failure(
        &mut self,
        id: &str,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE users SET failed_logins = CASE WHEN $2 IS NULL THEN failed_logins + 1 ELSE 0 END, \
             locked_until = COALESCE($2, locked_until) WHERE id = $1")
            .bind(id).bind(locked_until).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// A completed login: resets the failure count and stamps the time.
    pub async fn record_user_login(&mut self, id: &str, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn set_password_hash(
        &mut self,
        id: &str,
        hash: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE users SET password_hash = $2, password_changed_at = $3 WHERE id = $1")
            .bind(id).bind(hash).bind(at).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Stores the TOTP secret (base32) and whether enrolment is confirmed.
    pub async fn set_totp(&mut self, id: &str, secret: Option<&str>, enrolled: bool) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE users SET totp_secret = $2, mfa_enrolled = $3 WHERE id = $1")
            .bind(id).bind(secret).bind(enrolled).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn set_rules_accepted(&mut self, id: &str, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE users SET rules_accepted_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn set_training_completed(&mut self, id: &str, at: DateTime<Utc>) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE users SET training_completed_at = $2 WHERE id = $1")
            .bind(id).bind(at).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    pub async fn set_user_role(
        &mut self,
        id: &str,
        role: &str,
        scope_state: Option<&str>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query("UPDATE users SET role = $2, scope_state = $3 WHERE id = $1")
            .bind(id).bind(role).bind(scope_state).execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Replaces the user's recovery codes with these hashes.
    pub async fn replace_recovery_codes(&mut self, user_id: &str, hashes: &[String]) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *c).await?;
            for h in hashes {
                sqlx::query("INSERT INTO recovery_codes (id, user_id, code_hash) VALUES ($1, $2, $3)")
                    .bind(new_id()).bind(user_id).bind(h).execute(&mut *c).await?;
            }
        });
        Ok(())
    }

    /// Marks a recovery code used; false when it was already used.
    pub async fn use_recovery_code(&mut self, code_id: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query("UPDATE recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL")
            .bind(code_id).bind(at).execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }
}
