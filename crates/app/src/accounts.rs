//! User accounts: demo accounts, administration by user administrators (create, disable,
//! deactivate, reactivate), and the lifecycle jobs (inactivity disable).
//!
//! Status: `active`; `disabled` (temporary, an administrator can reactivate); `deactivated`
//! (permanent; the account row stays so its e-mail address is never reused).

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use puente_domain::roles::{Capability, Role};
use puente_store::{NewAuditEvent, NewUser, UserRow};

use crate::auth::{PasswordProblem, check_password, demo_totp_secret};
use crate::authz::Actor;
use crate::{App, AppError, Result};

/// The password of every demo account. Demo databases only.
pub const DEMO_PASSWORD: &str = "puente-demo-2026";

/// The second demo data administrator (TX), who validates merges the first one starts.
pub const DEMO_SECOND_DATA_ADMIN: &str = "data.administrator.2@demo.puente.test";

/// A demo account as printed by `puente demo`.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub role_label: &'static str,
    /// Base32 TOTP secret to add to an authenticator app (deterministic per account; demo only).
    pub totp_secret: String,
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Invalid("password could not be hashed".into()))
}

/// Account status changes an administrator can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    Disable,
    Deactivate,
    Reactivate,
}

/// A new account, as a user administrator enters it.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Two-letter state; `None` for national roles.
    pub scope_state: Option<String>,
    /// Initial password (the user must then enrol MFA at first login).
    pub password: String,
}

/// Why an account cannot be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateAccountError {
    Password(PasswordProblem),
    /// The e-mail address belongs (or belonged: deactivated) to an account.
    EmailTaken,
    InvalidEmail,
}

fn event(actor: &Actor, action: &str, details: Option<String>) -> NewAuditEvent {
    NewAuditEvent {
        actor: actor.user_id.clone(),
        action: action.into(),
        source_ip: actor.source_ip.clone(),
        details,
        ..Default::default()
    }
}

impl App {
    /// Creates one account per role (state-scoped to TX where a scope applies), a second TX data
    /// administrator ([`DEMO_SECOND_DATA_ADMIN`], so the two-person rule of merges and splits
    /// can be tried) and a California data administrator (the receiver of notices sent to CA),
    /// with MFA
    /// enrolled under [`demo_totp_secret`] and the rules of behavior accepted.
    pub async fn seed_demo_accounts(&self) -> Result<Vec<DemoAccount>> {
        let hash = hash_password(DEMO_PASSWORD)?;
        let now = self.clock.now();
        let mut out = Vec::new();
        let mut tx = self.store.begin().await?;
        let accounts = Role::ALL
            .into_iter()
            .filter(|r| *r != Role::StateSystem)
            .map(|r| {
                (
                    r,
                    format!("{}@demo.puente.test", r.code().replace('_', ".")),
                    r.label(),
                )
            })
            .chain(std::iter::once((
                Role::DataAdministrator,
                DEMO_SECOND_DATA_ADMIN.to_string(),
                "Data administrator (second, TX)",
            )));
        for (role, email, label) in accounts {
            let scope_state = match role {
                Role::FederalViewer | Role::SystemAdministrator => None,
                _ => Some("TX"),
            };
            let secret = demo_totp_secret(&email);
            let id = tx
                .create_user(
                    &NewUser {
                        email: &email,
                        display_name: label,
                        role: role.code(),
                        scope_state,
                        scope_region: None,
                        scope_district: None,
                        password_hash: Some(&hash),
                        totp_secret: Some(&secret),
                        mfa_enrolled: true,
                    },
                    now,
                )
                .await?;
            tx.set_rules_accepted(&id, now).await?;
            tx.set_training_completed(&id, now).await?;
            tx.append_audit(
                &event(
                    &Actor::system(),
                    "user.create",
                    Some(format!("user={id} demo")),
                ),
                now,
            );
            out.push(DemoAccount {
                email,
                role,
                role_label: label,
                totp_secret: secret,
            });
        }
        // A second state's data administrator, who receives move notices sent to California
        // (e-mail in Spanish).
        let email = "data.administrator.ca@demo.puente.test".to_string();
        let secret = demo_totp_secret(&email);
        let id = tx
            .create_user(
                &NewUser {
                    email: &email,
                    display_name: "Data administrator, California",
                    role: Role::DataAdministrator.code(),
                    scope_state: Some("CA"),
                    scope_region: None,
                    scope_district: None,
                    password_hash: Some(&hash),
                    totp_secret: Some(&secret),
                    mfa_enrolled: true,
                },
                now,
            )
            .await?;
        tx.set_rules_accepted(&id, now).await?;
        tx.set_training_completed(&id, now).await?;
        tx.append_audit(
            &event(
                &Actor::system(),
                "user.create",
                Some(format!("user={id} demo")),
            ),
            now,
        );
        out.push(DemoAccount {
            email,
            role: Role::DataAdministrator,
            role_label: "Data administrator, California (receives CA notices)",
            totp_secret: secret,
        });
        tx.commit().await?;
        self.store.set_user_locale(&id, "es").await?;
        Ok(out)
    }

    /// Whether `actor` may administer an account of `role` in `state`: system administrators
    /// any; state user administrators only state-scoped, non-national roles of their own state.
    pub(crate) fn may_manage(actor: &Actor, role: Role, state: Option<&str>) -> bool {
        if !actor.can(Capability::ManageUsers) {
            return false;
        }
        match actor.state() {
            None => true,
            Some(own) => {
                !matches!(
                    role,
                    Role::SystemAdministrator | Role::FederalViewer | Role::UserAdministrator
                ) && state.is_some_and(|s| s.eq_ignore_ascii_case(own))
            }
        }
    }

    /// Creates an account (capability `ManageUsers`, within the actor's scope).
    pub async fn create_account(
        &self,
        actor: &Actor,
        a: &NewAccount,
    ) -> Result<std::result::Result<String, CreateAccountError>> {
        actor.require(Capability::ManageUsers)?;
        let state = a.scope_state.as_deref().map(str::to_ascii_uppercase);
        if !Self::may_manage(actor, a.role, state.as_deref()) {
            return Err(AppError::Forbidden);
        }
        let email = a.email.trim().to_lowercase();
        if email.len() > 254
            || !email
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
        {
            return Ok(Err(CreateAccountError::InvalidEmail));
        }
        if let Err(p) = check_password(&a.password, &email, &self.auth) {
            return Ok(Err(CreateAccountError::Password(p)));
        }
        if self.store.user_by_email(&email).await?.is_some() {
            return Ok(Err(CreateAccountError::EmailTaken));
        }
        let hash = hash_password(&a.password)?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        let created = tx
            .create_user(
                &NewUser {
                    email: &email,
                    display_name: a.display_name.trim(),
                    role: a.role.code(),
                    scope_state: state.as_deref(),
                    scope_region: None,
                    scope_district: None,
                    password_hash: Some(&hash),
                    totp_secret: None,
                    mfa_enrolled: false,
                },
                now,
            )
            .await;
        let id = match created {
            Ok(id) => id,
            // Lost a race with another creation of the same address.
            Err(puente_store::StoreError::Database(_)) => {
                return Ok(Err(CreateAccountError::EmailTaken));
            }
            Err(e) => return Err(e.into()),
        };
        tx.append_audit(
            &event(
                actor,
                "user.create",
                Some(format!("user={id} role={}", a.role.code())),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(id))
    }

    /// Accounts the actor may see (capability `ManageUsers`; state administrators see their state).
    pub async fn list_accounts(&self, actor: &Actor) -> Result<Vec<UserRow>> {
        actor.require(Capability::ManageUsers)?;
        Ok(self.store.list_users(actor.state()).await?)
    }

    /// One account (capability `ManageUsers`, within scope).
    pub async fn account(&self, actor: &Actor, user_id: &str) -> Result<UserRow> {
        actor.require(Capability::ManageUsers)?;
        let u = self
            .store
            .user_by_id(user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let role = Role::parse(&u.role).ok_or(AppError::Forbidden)?;
        if !Self::may_manage(actor, role, u.scope_state.as_deref()) {
            return Err(AppError::Forbidden);
        }
        Ok(u)
    }

    /// Disables, deactivates or reactivates an account; ends its sessions. A deactivated account
    /// cannot be reactivated.
    pub async fn change_account_status(
        &self,
        actor: &Actor,
        user_id: &str,
        change: StatusChange,
    ) -> Result<()> {
        let u = self.account(actor, user_id).await?;
        if u.id == actor.user_id {
            return Err(AppError::Invalid(
                "an administrator cannot change their own status".into(),
            ));
        }
        let (status, action) = match change {
            StatusChange::Disable => ("disabled", "user.disable"),
            StatusChange::Deactivate => ("deactivated", "user.deactivate"),
            StatusChange::Reactivate => ("active", "user.reactivate"),
        };
        if u.status == "deactivated" {
            return Err(AppError::Invalid(
                "a deactivated account is permanent".into(),
            ));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_user_status(&u.id, status, now).await?;
        if change == StatusChange::Reactivate {
            // A fresh 90-day window; the lockout is lifted.
            tx.record_user_login(&u.id, now).await?;
        } else {
            tx.delete_user_sessions(&u.id).await?;
        }
        if change == StatusChange::Deactivate {
            // Access has ended: the application paperwork is kept for the retention period.
            let keep = crate::applications::years_after(
                now.date_naive(),
                self.applications.retention_years,
            );
            tx.end_application_access(&u.id, now, keep).await?;
        }
        tx.append_audit(&event(actor, action, Some(format!("user={}", u.id))), now);
        tx.commit().await?;
        Ok(())
    }

    /// Records the date a user completed security and privacy training (administrator entry).
    pub async fn record_training(&self, actor: &Actor, user_id: &str) -> Result<()> {
        let u = self.account(actor, user_id).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_training_completed(&u.id, now).await?;
        tx.append_audit(
            &event(
                actor,
                "user.training_recorded",
                Some(format!("user={}", u.id)),
            ),
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    /// Resets a user's MFA (lost device): they enrol again at next login. Ends their sessions.
    pub async fn reset_mfa(&self, actor: &Actor, user_id: &str) -> Result<()> {
        let u = self.account(actor, user_id).await?;
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_totp(&u.id, None, false).await?;
        tx.replace_recovery_codes(&u.id, &[]).await?;
        tx.delete_user_sessions(&u.id).await?;
        tx.append_audit(
            &event(actor, "user.mfa_reset", Some(format!("user={}", u.id))),
            now,
        );
        tx.commit().await?;
        Ok(())
    }

    /// Job: disables active accounts without a login for the inactivity period (90 days by
    /// default; never-used accounts count from creation). Returns the disabled user ids.
    pub async fn disable_inactive_accounts(&self) -> Result<Vec<String>> {
        let now = self.clock.now();
        let limit = now - self.auth.inactivity_disable;
        let mut out = Vec::new();
        for u in self.store.list_users(None).await? {
            if u.status != "active" || u.role == Role::StateSystem.code() {
                continue;
            }
            let last = u.last_login_at.unwrap_or(u.created_at);
            if last >= limit {
                continue;
            }
            let mut tx = self.store.begin().await?;
            tx.set_user_status(&u.id, "disabled", now).await?;
            tx.delete_user_sessions(&u.id).await?;
            tx.append_audit(
                &event(
                    &Actor::system(),
                    "user.disable",
                    Some(format!("user={} reason=inactivity", u.id)),
                ),
                now,
            );
            tx.commit().await?;
            out.push(u.id);
        }
        Ok(out)
    }
}

/// Filters of the administrators' account list.
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    /// Part of the name or e-mail address (case-insensitive).
    pub text: Option<String>,
    pub role: Option<Role>,
    /// `active`, `disabled` or `deactivated`.
    pub status: Option<String>,
    /// Two-letter state (national administrators; state administrators always see their own).
    pub state: Option<String>,
}

/// What an administrator may do to one account (the portal shows only these actions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountActions {
    pub disable: bool,
    pub deactivate: bool,
    pub reactivate: bool,
    /// Roles the account can be given (empty: the role cannot be changed).
    pub roles: Vec<Role>,
}

/// Why a role change was refused (shown next to the role field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleChangeError {
    /// The administrator may not grant this role in this scope.
    NotGrantable,
    /// Deactivated accounts are permanent.
    Deactivated,
    /// Administrators cannot change their own role.
    OwnAccount,
    /// The account already has this role.
    Unchanged,
}

/// Why a status change was refused (shown next to the status actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChangeError {
    OwnAccount,
    Deactivated,
    /// The account is already in that status (e.g. reactivating an active account).
    Unchanged,
}

impl App {
    /// Accounts in the actor's scope matching `f` (capability `ManageUsers`).
    pub async fn find_accounts(&self, actor: &Actor, f: &AccountFilter) -> Result<Vec<UserRow>> {
        actor.require(Capability::ManageUsers)?;
        let state = match (actor.state(), f.state.as_deref()) {
            (Some(own), _) => Some(own.to_ascii_uppercase()),
            (None, Some(s)) if !s.trim().is_empty() => Some(s.trim().to_ascii_uppercase()),
            (None, _) => None,
        };
        let text = f
            .text
            .as_deref()
            .map(|t| puente_domain::normalize::fold(t.trim()))
            .filter(|t| !t.is_empty());
        Ok(self
            .store
            .list_users(state.as_deref())
            .await?
            .into_iter()
            .filter(|u| {
                Role::parse(&u.role)
                    .is_some_and(|r| Self::may_manage(actor, r, u.scope_state.as_deref()))
            })
            .filter(|u| f.role.is_none_or(|r| u.role == r.code()))
            .filter(|u| {
                f.status
                    .as_deref()
                    .is_none_or(|s| s.is_empty() || u.status == s)
            })
            .filter(|u| {
                text.as_deref().is_none_or(|t| {
                    puente_domain::normalize::fold(&u.email).contains(t)
                        || puente_domain::normalize::fold(&u.display_name).contains(t)
                })
            })
            .collect())
    }

    /// The actions `actor` may take on account `u` (decided here, shown by the portal).
    pub fn account_actions(&self, actor: &Actor, u: &UserRow) -> AccountActions {
        let Some(role) = Role::parse(&u.role) else {
            return AccountActions::default();
        };
        if !Self::may_manage(actor, role, u.scope_state.as_deref())
            || u.id == actor.user_id
            || u.status == "deactivated"
        {
            return AccountActions::default();
        }
        AccountActions {
            disable: u.status == "active",
            deactivate: true,
            reactivate: u.status == "disabled",
            roles: Role::ALL
                .into_iter()
                .filter(|r| *r != Role::StateSystem)
                .filter(|r| Self::may_manage(actor, *r, u.scope_state.as_deref()))
                .filter(|r| Self::role_fits_scope(*r, u.scope_state.as_deref()))
                .collect(),
        }
    }

    /// National roles have no state; the others need one.
    fn role_fits_scope(role: Role, state: Option<&str>) -> bool {
        matches!(role, Role::FederalViewer | Role::SystemAdministrator) == state.is_none()
    }

    /// [`App::change_account_status`] for the portal: a refused change is an answer, not an error.
    pub async fn try_change_account_status(
        &self,
        actor: &Actor,
        user_id: &str,
        change: StatusChange,
    ) -> Result<std::result::Result<(), StatusChangeError>> {
        let u = self.account(actor, user_id).await?;
        if u.id == actor.user_id {
            return Ok(Err(StatusChangeError::OwnAccount));
        }
        if u.status == "deactivated" {
            return Ok(Err(StatusChangeError::Deactivated));
        }
        let unchanged = match change {
            StatusChange::Disable => u.status == "disabled",
            StatusChange::Deactivate => false,
            StatusChange::Reactivate => u.status == "active",
        };
        if unchanged {
            return Ok(Err(StatusChangeError::Unchanged));
        }
        self.change_account_status(actor, user_id, change).await?;
        Ok(Ok(()))
    }

    /// Gives an account another role (same state scope); ends its sessions so the new rights
    /// apply at once. Audited as `user.role_change` in the same transaction.
    pub async fn change_account_role(
        &self,
        actor: &Actor,
        user_id: &str,
        role: Role,
    ) -> Result<std::result::Result<(), RoleChangeError>> {
        let u = self.account(actor, user_id).await?;
        if u.id == actor.user_id {
            return Ok(Err(RoleChangeError::OwnAccount));
        }
        if u.status == "deactivated" {
            return Ok(Err(RoleChangeError::Deactivated));
        }
        if u.role == role.code() {
            return Ok(Err(RoleChangeError::Unchanged));
        }
        if role == Role::StateSystem
            || !Self::may_manage(actor, role, u.scope_state.as_deref())
            || !Self::role_fits_scope(role, u.scope_state.as_deref())
        {
            return Ok(Err(RoleChangeError::NotGrantable));
        }
        let now = self.clock.now();
        let mut tx = self.store.begin().await?;
        tx.set_user_role(&u.id, role.code(), u.scope_state.as_deref())
            .await?;
        tx.delete_user_sessions(&u.id).await?;
        tx.append_audit(
            &event(
                actor,
                "user.role_change",
                Some(format!("user={} from={} to={}", u.id, u.role, role.code())),
            ),
            now,
        );
        tx.commit().await?;
        Ok(Ok(()))
    }
}
