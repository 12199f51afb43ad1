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
    /// Creates one account per role (state-scoped to TX where a scope applies), with MFA
    /// enrolled under [`demo_totp_secret`] and the rules of behavior accepted.
    pub async fn seed_demo_accounts(&self) -> Result<Vec<DemoAccount>> {
        let hash = hash_password(DEMO_PASSWORD)?;
        let now = self.clock.now();
        let mut out = Vec::new();
        let mut tx = self.store.begin().await?;
        for role in Role::ALL {
            if role == Role::StateSystem {
                continue;
            }
            let email = format!("{}@demo.puente.test", role.code().replace('_', "."));
            let scope_state = match role {
                Role::FederalViewer | Role::SystemAdministrator => None,
                _ => Some("TX"),
            };
            let secret = demo_totp_secret(&email);
            let id = tx
                .create_user(
                    &NewUser {
                        email: &email,
                        display_name: role.label(),
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
            )
            .await?;
            out.push(DemoAccount {
                email,
                role,
                role_label: role.label(),
                totp_secret: secret,
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Whether `actor` may administer an account of `role` in `state`: system administrators
    /// any; state user administrators only state-scoped, non-national roles of their own state.
    fn may_manage(actor: &Actor, role: Role, state: Option<&str>) -> bool {
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
        )
        .await?;
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
        tx.append_audit(&event(actor, action, Some(format!("user={}", u.id))), now)
            .await?;
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
        )
        .await?;
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
        )
        .await?;
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
            )
            .await?;
            tx.commit().await?;
            out.push(u.id);
        }
        Ok(out)
    }
}
