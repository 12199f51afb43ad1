//! User accounts. (The application workflow, MFA and sessions arrive with the Accounts issue;
//! this holds what the demo needs: one account per role with an Argon2id password hash.)

use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
use puente_domain::roles::Role;

use crate::{App, AppError, Result};

/// The password of every demo account. Demo databases only.
pub const DEMO_PASSWORD: &str = "puente-demo-2026";

/// A demo account as printed by `puente demo`.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub role_label: &'static str,
}

/// Hashes a password with Argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| AppError::Invalid("password could not be hashed".into()))
}

impl App {
    /// Creates one account per role (state-scoped to TX where a scope applies).
    pub async fn seed_demo_accounts(&self) -> Result<Vec<DemoAccount>> {
        let hash = hash_password(DEMO_PASSWORD)?;
        let now = self.clock.now();
        let mut out = Vec::new();
        for role in Role::ALL {
            if role == Role::StateSystem {
                continue;
            }
            let email = format!("{}@demo.puente.test", role.code().replace('_', "."));
            let scope_state = match role {
                Role::FederalViewer | Role::SystemAdministrator => None,
                _ => Some("TX"),
            };
            self.store
                .create_user(&email, role.label(), role.code(), scope_state, &hash, now)
                .await?;
            out.push(DemoAccount {
                email,
                role,
                role_label: role.label(),
            });
        }
        Ok(out)
    }
}
