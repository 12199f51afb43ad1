//! Account applications (paperwork of the access workflow) and state onboarding profiles
//! (contacts, regions, districts, agreement dates). Audited writes take a [`Tx`].

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;

use crate::audit::{Tx, on_tx};
use crate::{Result, Store, new_id, read_pool};

/// A stored application for access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRow {
    pub id: String,
    pub full_name: String,
    pub email: String,
    pub organisation: String,
    pub role_requested: String,
    pub state: String,
    pub district: Option<String>,
    pub supervisor_name: String,
    pub supervisor_email: String,
    pub locale: String,
    /// `awaiting_attestation`, `attested`, `approved`, `denied`, `supervisor_declined`.
    pub status: String,
    pub link_expires_at: Option<DateTime<Utc>>,
    pub attested_at: Option<DateTime<Utc>>,
    pub attestation_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_reason: Option<String>,
    pub user_id: Option<String>,
    pub training_completed_on: Option<NaiveDate>,
    pub rules_accepted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub access_ended_at: Option<DateTime<Utc>>,
    pub retain_until: Option<NaiveDate>,
}

const APP_COLS: &str = "id, full_name, email, organisation, role_requested, state, district, \
supervisor_name, supervisor_email, locale, status, link_expires_at, attested_at, attestation_note, \
decided_by, decided_at, decision_reason, user_id, training_completed_on, rules_accepted_at, created_at, \
access_ended_at, retain_until";

macro_rules! app_from_row {
    ($r:expr) => {{
        let r = $r;
        ApplicationRow {
            id: r.try_get("id")?,
            full_name: r.try_get("full_name")?,
            email: r.try_get("email")?,
            organisation: r.try_get("organisation")?,
            role_requested: r.try_get("role_requested")?,
            state: r.try_get("state")?,
            district: r.try_get("district")?,
            supervisor_name: r.try_get("supervisor_name")?,
            supervisor_email: r.try_get("supervisor_email")?,
            locale: r.try_get("locale")?,
            status: r.try_get("status")?,
            link_expires_at: r.try_get("link_expires_at")?,
            attested_at: r.try_get("attested_at")?,
            attestation_note: r.try_get("attestation_note")?,
            decided_by: r.try_get("decided_by")?,
            decided_at: r.try_get("decided_at")?,
            decision_reason: r.try_get("decision_reason")?,
            user_id: r.try_get("user_id")?,
            training_completed_on: r.try_get("training_completed_on")?,
            rules_accepted_at: r.try_get("rules_accepted_at")?,
            created_at: r.try_get("created_at")?,
            access_ended_at: r.try_get("access_ended_at")?,
            retain_until: r.try_get("retain_until")?,
        }
    }};
}

/// A new application.
#[derive(Debug, Clone)]
pub struct NewApplication<'a> {
    pub full_name: &'a str,
    pub email: &'a str,
    pub organisation: &'a str,
    pub role_requested: &'a str,
    pub state: &'a str,
    pub district: Option<&'a str>,
    pub supervisor_name: &'a str,
    pub supervisor_email: &'a str,
    pub locale: &'a str,
    /// SHA-256 (hex) of the supervisor's link token.
    pub link_token_hash: &'a str,
    pub link_expires_at: DateTime<Utc>,
    /// When the applicant accepted the rules of behavior (on the form).
    pub rules_accepted_at: DateTime<Utc>,
}

impl Store {
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>> {
        let sql = format!("SELECT {APP_COLS} FROM account_applications WHERE id = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(app_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// The application whose supervisor link token hashes to `token_hash` (unused links only).
    pub async fn application_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApplicationRow>> {
        let sql = format!("SELECT {APP_COLS} FROM account_applications WHERE link_token_hash = $1");
        read_pool!(self, p => {
            match sqlx::query(sqlx::AssertSqlSafe(sql)).bind(token_hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(app_from_row!(&r))),
                None => Ok(None),
            }
        })
    }

    /// Applications of one state (every state when `None`), newest first.
    pub async fn list_applications(&self, state: Option<&str>) -> Result<Vec<ApplicationRow>> {
        let sql = format!(
            "SELECT {APP_COLS} FROM account_applications WHERE ($1 IS NULL OR state = $1) ORDER BY created_at DESC, id DESC"
        );
        read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(app_from_row!(&r)); }
            Ok(out)
        })
    }
}

impl Tx {
    pub async fn insert_application(
        &mut self,
        a: &NewApplication<'_>,
        at: DateTime<Utc>,
    ) -> Result<String> {
        let id = new_id();
        on_tx!(self, c => sqlx::query(
            "INSERT INTO account_applications (id, full_name, email, organisation, role_requested, state, district, \
             supervisor_name, supervisor_email, locale, status, link_token_hash, link_expires_at, rules_accepted_at, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,'awaiting_attestation',$11,$12,$13,$14)")
            .bind(&id).bind(a.full_name).bind(a.email).bind(a.organisation).bind(a.role_requested)
            .bind(a.state).bind(a.district).bind(a.supervisor_name).bind(a.supervisor_email)
            .bind(a.locale).bind(a.link_token_hash).bind(a.link_expires_at).bind(a.rules_accepted_at).bind(at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(id)
    }

    /// Records the supervisor's answer and spends the link (only if it is still unused:
    /// returns false when another request used it first).
    pub async fn attest_application(
        &mut self,
        id: &str,
        status: &str,
        note: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE account_applications SET status = $2, attestation_note = $3, attested_at = $4, \
             link_token_hash = NULL WHERE id = $1 AND status = 'awaiting_attestation' AND link_token_hash IS NOT NULL")
            .bind(id).bind(status).bind(note).bind(at)
            .execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Records the administrator's decision (from `attested` only; false otherwise).
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_application(
        &mut self,
        id: &str,
        status: &str,
        decided_by: &str,
        reason: Option<&str>,
        user_id: Option<&str>,
        training_completed_on: Option<NaiveDate>,
        link: Option<(&str, DateTime<Utc>)>,
        retain_until: Option<NaiveDate>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE account_applications SET status = $2, decided_by = $3, decision_reason = $4, user_id = $5, \
             training_completed_on = $6, link_token_hash = $7, link_expires_at = $8, retain_until = $9, \
             decided_at = $10 WHERE id = $1 AND status = 'attested'")
            .bind(id).bind(status).bind(decided_by).bind(reason).bind(user_id)
            .bind(training_completed_on).bind(link.map(|l| l.0)).bind(link.map(|l| l.1))
            .bind(retain_until).bind(at)
            .execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }

    /// Spends the activation link of an approved application (false if already used).
    pub async fn use_activation_link(&mut self, id: &str) -> Result<bool> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE account_applications SET link_token_hash = NULL WHERE id = $1 AND status = 'approved' AND link_token_hash IS NOT NULL")
            .bind(id).execute(&mut *c).await?.rows_affected());
        Ok(n == 1)
    }

    /// The application was closed without access (declined): kept until `retain_until`.
    pub async fn set_application_retention(
        &mut self,
        id: &str,
        retain_until: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE account_applications SET retain_until = $2, access_ended_at = $3 WHERE id = $1")
            .bind(id).bind(retain_until).bind(at)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Access of `user_id` ended (deactivation): its paperwork is kept until `retain_until`.
    pub async fn end_application_access(
        &mut self,
        user_id: &str,
        at: DateTime<Utc>,
        retain_until: NaiveDate,
    ) -> Result<()> {
        on_tx!(self, c => sqlx::query(
            "UPDATE account_applications SET access_ended_at = $2, retain_until = $3 WHERE user_id = $1")
            .bind(user_id).bind(at).bind(retain_until)
            .execute(&mut *c).await.map(|_| ()))?;
        Ok(())
    }

    /// Deletes applications whose retention date is before `today`; returns their ids.
    pub async fn purge_applications(&mut self, today: NaiveDate) -> Result<Vec<String>> {
        on_tx!(self, c => {
            let rows = sqlx::query(
                "DELETE FROM account_applications WHERE retain_until IS NOT NULL AND retain_until < $1 RETURNING id")
                .bind(today).fetch_all(&mut *c).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(r.try_get::<String, _>(0)?); }
            Ok(out)
        })
    }
}

// ---------------------------------------------------------------- state profiles

/// A state's onboarding profile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateProfileRow {
    pub state: String,
    pub program_name: Option<String>,
    pub isa_signed_on: Option<NaiveDate>,
    pub isa_expires_on: Option<NaiveDate>,
    pub mou_signed_on: Option<NaiveDate>,
    pub mou_expires_on: Option<NaiveDate>,
}

/// A contact of a state's migrant education program.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateContactRow {
    pub state: String,
    /// `director` or `data`.
    pub kind: String,
    pub name: String,
    pub title: Option<String>,
    pub email: String,
    pub phone: Option<String>,
}

/// A region or a district of a state (`region_code`: the district's region).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateAreaRow {
    pub state: String,
    pub code: String,
    pub name: String,
    pub region_code: Option<String>,
}

impl Store {
    /// Every state profile, by state.
    pub async fn state_profiles(&self) -> Result<Vec<StateProfileRow>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT state, program_name, isa_signed_on, isa_expires_on, mou_signed_on, mou_expires_on FROM state_profiles ORDER BY state")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(StateProfileRow {
                    state: r.try_get("state")?,
                    program_name: r.try_get("program_name")?,
                    isa_signed_on: r.try_get("isa_signed_on")?,
                    isa_expires_on: r.try_get("isa_expires_on")?,
                    mou_signed_on: r.try_get("mou_signed_on")?,
                    mou_expires_on: r.try_get("mou_expires_on")?,
                });
            }
            Ok(out)
        })
    }

    /// Contacts of every state (of one when given), by state, kind and name.
    pub async fn state_contacts(&self, state: Option<&str>) -> Result<Vec<StateContactRow>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT state, kind, name, title, email, phone FROM state_contacts WHERE ($1 IS NULL OR state = $1) ORDER BY state, kind, name")
                .bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(StateContactRow {
                    state: r.try_get("state")?,
                    kind: r.try_get("kind")?,
                    name: r.try_get("name")?,
                    title: r.try_get("title")?,
                    email: r.try_get("email")?,
                    phone: r.try_get("phone")?,
                });
            }
            Ok(out)
        })
    }

    /// Regions (`districts == false`) or districts of a state, by code.
    pub async fn state_areas(&self, state: &str, districts: bool) -> Result<Vec<StateAreaRow>> {
        let sql = if districts {
            "SELECT state, code, name, region_code FROM state_districts WHERE state = $1 ORDER BY code"
        } else {
            "SELECT state, code, name, NULL AS region_code FROM state_regions WHERE state = $1 ORDER BY code"
        };
        read_pool!(self, p => {
            let rows = sqlx::query(sql).bind(state).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(StateAreaRow {
                    state: r.try_get("state")?,
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    region_code: r.try_get("region_code")?,
                });
            }
            Ok(out)
        })
    }
}

impl Tx {
    /// Creates or replaces a state's profile with its contacts, regions and districts.
    pub async fn put_state_profile(
        &mut self,
        p: &StateProfileRow,
        contacts: &[StateContactRow],
        regions: &[StateAreaRow],
        districts: &[StateAreaRow],
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO state_profiles (state, program_name, isa_signed_on, isa_expires_on, mou_signed_on, mou_expires_on, updated_by, updated_at) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (state) DO UPDATE SET program_name = excluded.program_name, \
                 isa_signed_on = excluded.isa_signed_on, isa_expires_on = excluded.isa_expires_on, \
                 mou_signed_on = excluded.mou_signed_on, mou_expires_on = excluded.mou_expires_on, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(&p.state).bind(&p.program_name).bind(p.isa_signed_on).bind(p.isa_expires_on)
                .bind(p.mou_signed_on).bind(p.mou_expires_on).bind(by).bind(at)
                .execute(&mut *c).await?;
            sqlx::query("DELETE FROM state_contacts WHERE state = $1").bind(&p.state).execute(&mut *c).await?;
            for k in contacts {
                sqlx::query("INSERT INTO state_contacts (id, state, kind, name, title, email, phone) VALUES ($1,$2,$3,$4,$5,$6,$7)")
                    .bind(new_id()).bind(&p.state).bind(&k.kind).bind(&k.name).bind(&k.title).bind(&k.email).bind(&k.phone)
                    .execute(&mut *c).await?;
            }
            sqlx::query("DELETE FROM state_regions WHERE state = $1").bind(&p.state).execute(&mut *c).await?;
            for a in regions {
                sqlx::query("INSERT INTO state_regions (id, state, code, name) VALUES ($1,$2,$3,$4)")
                    .bind(new_id()).bind(&p.state).bind(&a.code).bind(&a.name)
                    .execute(&mut *c).await?;
            }
            sqlx::query("DELETE FROM state_districts WHERE state = $1").bind(&p.state).execute(&mut *c).await?;
            for a in districts {
                sqlx::query("INSERT INTO state_districts (id, state, code, name, region_code) VALUES ($1,$2,$3,$4,$5)")
                    .bind(new_id()).bind(&p.state).bind(&a.code).bind(&a.name).bind(&a.region_code)
                    .execute(&mut *c).await?;
            }
            Ok::<(), crate::StoreError>(())
        })?;
        Ok(())
    }
}
