//! The account application workflow (issue #5 item 2):
//!
//! 1. An applicant applies (public form): name, e-mail, organisation, role requested, state and
//!    district, supervisor; accepts the rules of behavior. A one-time link for the supervisor is
//!    made (only its SHA-256 is stored; it expires after [`ApplicationPolicy::attest_link`]) and
//!    e-mailed through the outbox in the same transaction.
//! 2. The supervisor (the verifying authority) opens the link and attests the applicant's
//!    identity and need, or declines. The link works once.
//! 3. A user administrator of the applicant's state (or a national administrator) approves,
//!    recording the security and privacy training completion date, which creates the account
//!    (no password yet) and e-mails the applicant a one-time activation link to choose a password;
//!    the applicant then signs in and sets up MFA as every user does. Or denies with a reason.
//!
//! Paperwork is retained until 3 years after access ends ([`ApplicationPolicy::retention_years`]):
//! `retain_until` is set when an application is denied or declined (3 years after the decision)
//! and when the resulting account is deactivated; [`App::purge_expired_applications`] deletes the
//! applications past that date (docs/accounts.md).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use puente_domain::CodeSet;
use puente_domain::roles::{Capability, Role};
use puente_store::{ApplicationRow, NewApplication, NewAuditEvent, NewUser, OutboxRow, new_id};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Numbers of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationPolicy {
    /// How long the supervisor's link works.
    pub attest_link: Duration,
    /// How long the applicant's activation link works.
    pub activation_link: Duration,
    /// Paperwork kept this many years after access ends.
    pub retention_years: i32,
}

impl Default for ApplicationPolicy {
    fn default() -> Self {
        Self {
            attest_link: Duration::days(7),
            activation_link: Duration::days(7),
            retention_years: 3,
        }
    }
}

/// Roles one can apply for (administrator and national roles are granted by hand).
pub const APPLICABLE_ROLES: [Role; 4] = [
    Role::SecondaryUser,
    Role::PrimaryUser,
    Role::DataAdministrator,
    Role::UserAdministrator,
];

/// The application form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ApplicationForm {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub district: String,
    #[serde(default)]
    pub supervisor_name: String,
    #[serde(default)]
    pub supervisor_email: String,
    #[serde(default)]
    pub accept_rules: String,
}

/// A problem with one field of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldProblem {
    Required,
    TooLong,
    InvalidEmail,
    InvalidState,
    InvalidRole,
    /// The supervisor cannot be the applicant.
    SameAsApplicant,
}

/// The outcome of an application: its id and the supervisor's link token (e-mailed; returned
/// for the caller's tests only, never shown to the applicant).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: String,
    pub attest_token: String,
}

/// What a supervisor's or applicant's link leads to.
#[derive(Debug, Clone)]
pub enum LinkLookup {
    Valid(Box<ApplicationRow>),
    /// Used already, or never issued.
    Unknown,
    Expired,
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn valid_email(e: &str) -> bool {
    e.len() <= 254
        && !e.contains(char::is_whitespace)
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        })
}

/// `date` plus `years` (29 February becomes 28 February).
pub fn years_after(date: NaiveDate, years: i32) -> NaiveDate {
    let y = date.year() + years;
    NaiveDate::from_ymd_opt(y, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(y, date.month(), 28))
        .unwrap_or(date)
}

fn event(actor: &str, action: &str, ip: Option<String>, details: String) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.into(),
        action: action.into(),
        source_ip: ip,
        details: Some(details),
        ..Default::default()
    }
}

/// A message of the workflow, rendered in English or Spanish: (subject, body).
fn mail_text(kind: &str, es: bool, name: &str, link: &str, hours: i64) -> (String, String) {
    match (kind, es) {
        ("attest", false) => (
            "Puente: please confirm an application for access".into(),
            format!(
                "{name} has applied for access to Puente, the migrant student record exchange, and named you as their supervisor.\n\nIf you know this person and their work needs this access, confirm it here (the link works once, for {hours} hours):\n{link}\n\nIf you do not know them, open the link and decline, or ignore this message.\n"
            ),
        ),
        ("attest", true) => (
            "Puente: confirme una solicitud de acceso".into(),
            format!(
                "{name} ha solicitado acceso a Puente, el sistema de intercambio de expedientes de estudiantes migrantes, y le ha indicado como su supervisor.\n\nSi conoce a esta persona y su trabajo requiere este acceso, confírmelo aquí (el enlace funciona una sola vez, durante {hours} horas):\n{link}\n\nSi no la conoce, abra el enlace y rechace la solicitud, o ignore este mensaje.\n"
            ),
        ),
        (_, false) => (
            "Puente: your access was approved".into(),
            format!(
                "Hello {name},\n\nYour access to Puente was approved. Choose your password here (the link works once, for {hours} hours):\n{link}\n\nThen sign in and set up an authenticator app.\n"
            ),
        ),
        (_, true) => (
            "Puente: se aprobó su acceso".into(),
            format!(
                "Hola, {name}:\n\nSe aprobó su acceso a Puente. Elija su contraseña aquí (el enlace funciona una sola vez, durante {hours} horas):\n{link}\n\nDespués inicie sesión y configure una aplicación de autenticación.\n"
            ),
        ),
    }
}

impl App {
    #[allow(clippy::too_many_arguments)]
    async fn queue_workflow_mail(
        &self,
        tx: &mut puente_store::Tx,
        kind: &str,
        to: &str,
        locale: &str,
        name: &str,
        path: &str,
        valid_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let locale = crate::mail::normalize_locale(Some(locale));
        let link = format!("{}{path}", self.public_url.trim_end_matches('/'));
        let (subject, body) = mail_text(kind, locale == "es", name, &link, valid_for.num_hours());
        tx.enqueue_mail(&OutboxRow {
            id: new_id(),
            recipient: to.into(),
            locale: locale.into(),
            template: format!("account.{kind}"),
            subject,
            body,
            notice_id: None,
            status: crate::mail::QUEUED.into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
            updated_at: now,
        })
        .await?;
        Ok(())
    }

    /// Step 1 (public): validates and stores an application and e-mails the supervisor's link.
    /// Field problems are answers, not errors. Whether the address already has an account is not
    /// revealed here (the administrator sees it before approving).
    pub async fn apply_for_access(
        &self,
        f: &ApplicationForm,
        locale: &str,
        source_ip: Option<String>,
    ) -> Result<std::result::Result<Submitted, Vec<(&'static str, FieldProblem)>>> {
        let mut problems = Vec::new();
        let mut text = |field: &'static str, v: &str, required: bool, max: usize| {
            let v = v.trim();
            if required && v.is_empty() {
                problems.push((field, FieldProblem::Required));
            } else if v.chars().count() > max {
                problems.push((field, FieldProblem::TooLong));
            }
        };
        text("full_name", &f.full_name, true, 200);
        text("organisation", &f.organisation, true, 200);
        text("district", &f.district, false, 100);
        text("supervisor_name", &f.supervisor_name, true, 200);
        let email = f.email.trim().to_lowercase();
        let sup_email = f.supervisor_email.trim().to_lowercase();
        for (field, v) in [("email", &email), ("supervisor_email", &sup_email)] {
            if v.is_empty() {
                problems.push((field, FieldProblem::Required));
            } else if !valid_email(v) {
                problems.push((field, FieldProblem::InvalidEmail));
            }
        }
        if !sup_email.is_empty() && sup_email == email {
            problems.push(("supervisor_email", FieldProblem::SameAsApplicant));
        }
        let role = Role::parse(&f.role).filter(|r| APPLICABLE_ROLES.contains(r));
        if role.is_none() {
            problems.push(("role", FieldProblem::InvalidRole));
        }
        let state = f.state.trim().to_ascii_uppercase();
        if puente_domain::StateCode::parse(&state).is_none() {
            problems.push(("state", FieldProblem::InvalidState));
        }
        if f.accept_rules.is_empty() {
            problems.push(("accept_rules", FieldProblem::Required));
        }
        let Some(role) = role else {
            return Ok(Err(problems));
        };
        if !problems.is_empty() {
            return Ok(Err(problems));
        }
        let now = self.clock.now();
        let token = new_token();
        let token_hash = hash(&token);
        let district = f.district.trim();
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_application(
                &NewApplication {
                    full_name: f.full_name.trim(),
                    email: &email,
                    organisation: f.organisation.trim(),
                    role_requested: role.code(),
                    state: &state,
                    district: Some(district).filter(|d| !d.is_empty()),
                    supervisor_name: f.supervisor_name.trim(),
                    supervisor_email: &sup_email,
                    locale: crate::mail::normalize_locale(Some(locale)),
                    link_token_hash: &token_hash,
                    link_expires_at: now + self.applications.attest_link,
                    rules_accepted_at: now,
                },
                now,
            )
            .await?;
        self.queue_workflow_mail(
            &mut tx,
            "attest",
            &sup_email,
            locale,
            f.full_name.trim(),
            &format!("/apply/attest/{token}"),
            self.applications.attest_link,
            now,
        )
        .await?;
        tx.append_audit(
            &event(
                "anonymous",
                "application.submit",
                source_ip,
                format!("application={id} state={state} role={}", role.code()),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(Submitted {
            id,
            attest_token: token,
        }))
    }

    /// The application a one-time link leads to, in the status that link belongs to.
    pub async fn application_by_link(&self, token: &str, status: &str) -> Result<LinkLookup> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(LinkLookup::Unknown);
        }
        match self.store.application_by_token_hash(&hash(token)).await? {
            Some(a) if a.status == status => {
                if a.link_expires_at.is_none_or(|e| e <= self.clock.now()) {
                    Ok(LinkLookup::Expired)
                } else {
                    Ok(LinkLookup::Valid(Box::new(a)))
                }
            }
            _ => Ok(LinkLookup::Unknown),
        }
    }

    /// Step 2 (the supervisor's link): attests (`confirm`) or declines. Spends the link.
    pub async fn attest_application(
        &self,
        token: &str,
        confirm: bool,
        note: &str,
        source_ip: Option<String>,
    ) -> Result<LinkLookup> {
        let LinkLookup::Valid(a) = self
            .application_by_link(token, "awaiting_attestation")
            .await?
        else {
            return self
                .application_by_link(token, "awaiting_attestation")
                .await;
        };
        let now = self.clock.now();
        let note: String = note.trim().chars().take(1000).collect();
        let (status, action) = if confirm {
            ("attested", "application.attest")
        } else {
            ("supervisor_declined", "application.attest_declined")
        };
        let mut tx = self.store.begin().await?;
        if !tx
            .attest_application(
                &a.id,
                status,
                Some(&note).filter(|n| !n.is_empty()).map(String::as_str),
                now,
            )
            .await?
        {
            return Ok(LinkLookup::Unknown);
        }
        if !confirm {
            let keep = years_after(now.date_naive(), self.applications.retention_years);
            tx.set_application_retention(&a.id, keep, now).await?;
        }
        tx.append_audit(
            &event(
                "supervisor",
                action,
                source_ip,
                format!("application={}", a.id),
            ),
            now,
        );
        tx.commit().await?;
        Ok(LinkLookup::Valid(a))
    }

    /// Whether `actor` may decide applications of `state` for `role`.
    fn may_decide(actor: &Actor, role: &str, state: &str) -> bool {
        Role::parse(role).is_some_and(|r| Self::may_manage(actor, r, Some(state)))
    }

    /// Applications the actor may review (capability `ManageUsers`; state administrators their
    /// state's), newest first.
    pub async fn applications(&self, actor: &Actor) -> Result<Vec<ApplicationRow>> {
        actor.require(Capability::ManageUsers)?;
        Ok(self
            .store
            .list_applications(actor.state())
            .await?
            .into_iter()
            .filter(|a| Self::may_decide(actor, &a.role_requested, &a.state))
            .collect())
    }

    /// One application (capability `ManageUsers`, the applicant's state in scope).
    pub async fn application(&self, actor: &Actor, id: &str) -> Result<ApplicationRow> {
        actor.require(Capability::ManageUsers)?;
        let a = self
            .store
            .application(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if !Self::may_decide(actor, &a.role_requested, &a.state) {
            return Err(AppError::Forbidden);
        }
        Ok(a)
    }

    /// Whether an application's e-mail address already has (or had) an account.
    pub async fn application_email_taken(&self, a: &ApplicationRow) -> Result<bool> {
        Ok(self.store.user_by_email(&a.email).await?.is_some())
    }

    /// Step 3: approves an attested application, recording the training completion date.
    /// Creates the account (the applicant chooses a password through the e-mailed activation
    /// link, then sets up MFA at first sign-in). Returns the activation token (e-mailed; for
    /// tests), or the refusal reason key.
    pub async fn approve_application(
        &self,
        actor: &Actor,
        id: &str,
        training_completed_on: Option<NaiveDate>,
    ) -> Result<std::result::Result<String, &'static str>> {
        let a = self.application(actor, id).await?;
        if a.status != "attested" {
            return Ok(Err("not-attested"));
        }
        let today = self.clock.now().date_naive();
        let Some(training) = training_completed_on else {
            return Ok(Err("training-required"));
        };
        if training > today || training < today - Duration::days(366) {
            return Ok(Err("training-date"));
        }
        if self.application_email_taken(&a).await? {
            return Ok(Err("email-taken"));
        }
        let now = self.clock.now();
        let token = new_token();
        let mut tx = self.store.begin().await?;
        let user_id = match tx
            .create_user(
                &NewUser {
                    email: &a.email,
                    display_name: &a.full_name,
                    role: &a.role_requested,
                    scope_state: Some(&a.state),
                    scope_region: None,
                    scope_district: None,
                    password_hash: None,
                    totp_secret: None,
                    mfa_enrolled: false,
                },
                now,
            )
            .await
        {
            Ok(id) => id,
            Err(puente_store::StoreError::Database(_)) => return Ok(Err("email-taken")),
            Err(e) => return Err(e.into()),
        };
        if let Some(t) = training.and_hms_opt(12, 0, 0) {
            tx.set_training_completed(&user_id, t.and_utc()).await?;
        }
        if let Some(r) = a.rules_accepted_at {
            tx.set_rules_accepted(&user_id, r).await?;
        }
        if !tx
            .decide_application(
                &a.id,
                "approved",
                &actor.user_id,
                None,
                Some(&user_id),
                Some(training),
                Some((&hash(&token), now + self.applications.activation_link)),
                None,
                now,
            )
            .await?
        {
            return Ok(Err("not-attested"));
        }
        self.queue_workflow_mail(
            &mut tx,
            "activate",
            &a.email,
            &a.locale,
            &a.full_name,
            &format!("/apply/activate/{token}"),
            self.applications.activation_link,
            now,
        )
        .await?;
        tx.append_audit(
            &event(
                &actor.user_id,
                "application.approve",
                actor.source_ip.clone(),
                format!(
                    "application={} user={user_id} role={}",
                    a.id, a.role_requested
                ),
            ),
            now,
        );
        tx.append_audit(
            &event(
                &actor.user_id,
                "user.create",
                actor.source_ip.clone(),
                format!(
                    "user={user_id} role={} application={}",
                    a.role_requested, a.id
                ),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(token))
    }

    /// Step 3: denies an attested (or still awaiting) application with a reason.
    pub async fn deny_application(
        &self,
        actor: &Actor,
        id: &str,
        reason: &str,
    ) -> Result<std::result::Result<(), &'static str>> {
        let a = self.application(actor, id).await?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Ok(Err("reason-required"));
        }
        if reason.chars().count() > 1000 {
            return Ok(Err("reason-long"));
        }
        if a.status != "attested" {
            return Ok(Err("not-attested"));
        }
        let now = self.clock.now();
        let keep = years_after(now.date_naive(), self.applications.retention_years);
        let mut tx = self.store.begin().await?;
        if !tx
            .decide_application(
                &a.id,
                "denied",
                &actor.user_id,
                Some(reason),
                None,
                None,
                None,
                Some(keep),
                now,
            )
            .await?
        {
            return Ok(Err("not-attested"));
        }
        tx.append_audit(
            &event(
                &actor.user_id,
                "application.deny",
                actor.source_ip.clone(),
                format!("application={}", a.id),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// The applicant's activation link: sets the first password (NIST rules) and spends the
    /// link. Returns the password problem, if any.
    pub async fn activate_account(
        &self,
        token: &str,
        password: &str,
        source_ip: Option<String>,
    ) -> Result<std::result::Result<(), crate::auth::PasswordProblem>> {
        let LinkLookup::Valid(a) = self.application_by_link(token, "approved").await? else {
            return Err(AppError::NotFound);
        };
        let Some(user_id) = a.user_id.clone() else {
            return Err(AppError::NotFound);
        };
        if let Err(p) = crate::auth::check_password(password, &a.email, &self.auth) {
            return Ok(Err(p));
        }
        let hash_pw = crate::accounts::hash_password(password)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        if !tx.use_activation_link(&a.id).await? {
            return Err(AppError::NotFound);
        }
        tx.set_password_hash(&user_id, &hash_pw, now).await?;
        tx.append_audit(
            &event(
                &user_id,
                "user.activate",
                source_ip,
                format!("user={user_id} application={}", a.id),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Job: deletes the application paperwork whose retention date has passed; audited with
    /// the number deleted. Returns the deleted application ids.
    pub async fn purge_expired_applications(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let ids = tx.purge_applications(now.date_naive()).await?;
        if !ids.is_empty() {
            tx.append_audit(
                &event(
                    "system",
                    "application.purge",
                    None,
                    format!("count={}", ids.len()),
                ),
                now,
            );
        }
        tx.commit().await?;
        Ok(ids)
    }
}

/// A school district of a state and the region it belongs to (a row of
/// [`App::set_state_areas`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistrictArea {
    /// The district ID the state's records carry (`district_id` of enrollments).
    pub district_id: String,
    pub district_name: String,
    /// The region's code; `None`: the district is in no region.
    pub region_code: Option<String>,
    pub region_name: Option<String>,
}

/// Reads a state's district list: CSV with a header line naming at least `district_id`, and
/// optionally `district_name`, `region_code` and `region_name` (other columns are ignored).
/// Errors name the line.
pub fn parse_district_areas(csv_text: &str) -> std::result::Result<Vec<DistrictArea>, String> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let head = r.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| head.iter().position(|h| h.eq_ignore_ascii_case(name));
    let id = col("district_id").ok_or("the header has no district_id column")?;
    let (name, rc, rn) = (col("district_name"), col("region_code"), col("region_name"));
    let mut out: Vec<DistrictArea> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::to_owned)
                .filter(|v| !v.is_empty())
        };
        let Some(district_id) = get(Some(id)) else {
            return Err(format!("line {line}: district_id is empty"));
        };
        if !seen.insert(district_id.clone()) {
            return Err(format!(
                "line {line}: district {district_id} is listed twice"
            ));
        }
        let region_code = get(rc);
        let region_name = get(rn);
        if region_code.is_none() && region_name.is_some() {
            return Err(format!("line {line}: a region name without a region code"));
        }
        if let (Some(code), Some(named)) = (&region_code, &region_name)
            && let Some(other) = out.iter().find(|a| {
                a.region_code.as_ref() == Some(code)
                    && a.region_name.as_ref().is_some_and(|n| n != named)
            })
        {
            return Err(format!(
                "line {line}: region {code} is named {:?} on another line",
                other.region_name.as_deref().unwrap_or_default()
            ));
        }
        out.push(DistrictArea {
            district_name: get(name).unwrap_or_else(|| district_id.clone()),
            district_id,
            region_code,
            region_name,
        });
    }
    Ok(out)
}

impl App {
    /// Replaces a state's districts and regions (the regions the data-quality report adds
    /// districts up by), keeping the rest of its profile and its contacts. Capability
    /// `ManageUsers` in the state's scope; audited as `state.areas` (counts only), in the same
    /// transaction.
    pub async fn set_state_areas(
        &self,
        actor: &Actor,
        state: &str,
        areas: &[DistrictArea],
    ) -> Result<()> {
        actor.require_in_state(Capability::ManageUsers, state)?;
        let st = crate::reports::parse_state(state)?;
        let code = st.code();
        let profile = self
            .store
            .state_profiles()
            .await?
            .into_iter()
            .find(|p| p.state == code)
            .unwrap_or_else(|| puente_store::StateProfileRow {
                state: code.into(),
                ..Default::default()
            });
        let contacts = self.store.state_contacts(Some(code)).await?;
        let mut regions: Vec<puente_store::StateAreaRow> = Vec::new();
        for a in areas {
            if let Some(rc) = &a.region_code
                && !regions.iter().any(|r| &r.code == rc)
            {
                regions.push(puente_store::StateAreaRow {
                    state: code.into(),
                    code: rc.clone(),
                    name: a.region_name.clone().unwrap_or_else(|| rc.clone()),
                    region_code: None,
                });
            }
        }
        let districts: Vec<puente_store::StateAreaRow> = areas
            .iter()
            .map(|a| puente_store::StateAreaRow {
                state: code.into(),
                code: a.district_id.clone(),
                name: a.district_name.clone(),
                region_code: a.region_code.clone(),
            })
            .collect();
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.put_state_profile(
            &profile,
            &contacts,
            &regions,
            &districts,
            &actor.user_id,
            now,
        )
        .await?;
        tx.append_audit(
            &event(
                &actor.user_id,
                "state.areas",
                actor.source_ip.clone(),
                format!(
                    "{{\"state\":\"{code}\",\"regions\":{},\"districts\":{}}}",
                    regions.len(),
                    districts.len()
                ),
            ),
            now,
        );
        tx.commit().await?;
        Ok(())
    }
}
