//! API tokens for state systems: issued by a user administrator (or system administrator) for
//! one state, shown once, stored hashed, revocable. A token acts as a `StateSystem` actor scoped
//! to its state: it can submit records for that state and nothing else.

use puente_domain::CodeSet;
use puente_domain::roles::{Capability, Role, Scope};
use puente_store::ApiTokenRow;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::authz::Actor;
use crate::{App, AppError, Result};

/// Prefix of every token, so that a leaked one is recognisable by secret scanners.
pub const TOKEN_PREFIX: &str = "pnt_";

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl App {
    /// Issues a token for `state`. Returns (token id, the token): the token is never shown again.
    pub async fn issue_api_token(
        &self,
        actor: &Actor,
        state: &str,
        name: &str,
    ) -> Result<(String, String)> {
        actor.require_in_state(Capability::ManageUsers, state)?;
        if puente_domain::StateCode::parse(state).is_none() {
            return Err(AppError::Invalid(format!(
                "'{state}' is not a USPS state code"
            )));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AppError::Invalid(
                "a token needs a name of 1 to 100 characters".into(),
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
        let id = puente_store::new_id();
        let now = self.clock.now();
        self.store
            .create_api_token(
                &id,
                &hash(&token),
                name,
                &state.to_ascii_uppercase(),
                &actor.user_id,
                now,
            )
            .await?;
        self.audit(
            actor,
            "api_token.issue",
            Some(&format!(
                "{{\"token_id\":\"{id}\",\"state\":\"{}\"}}",
                state.to_ascii_uppercase()
            )),
        )
        .await?;
        Ok((id, token))
    }

    /// Revokes a token.
    pub async fn revoke_api_token(&self, actor: &Actor, id: &str) -> Result<bool> {
        actor.require(Capability::ManageUsers)?;
        let tokens = self.store.api_tokens(actor.state()).await?;
        if !tokens.iter().any(|t| t.id == id) {
            return Err(AppError::NotFound);
        }
        let done = self.store.revoke_api_token(id, self.clock.now()).await?;
        self.audit(
            actor,
            "api_token.revoke",
            Some(&format!("{{\"token_id\":\"{id}\"}}")),
        )
        .await?;
        Ok(done)
    }

    pub async fn api_tokens(&self, actor: &Actor) -> Result<Vec<ApiTokenRow>> {
        actor.require(Capability::ManageUsers)?;
        Ok(self.store.api_tokens(actor.state()).await?)
    }

    /// The machine actor of a presented token, if it is live.
    pub async fn api_token_actor(
        &self,
        token: &str,
        source_ip: Option<String>,
    ) -> Result<Option<Actor>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 200 {
            return Ok(None);
        }
        let Some(row) = self.store.api_token_by_hash(&hash(token)).await? else {
            return Ok(None);
        };
        self.store
            .touch_api_token(&row.id, self.clock.now())
            .await?;
        Ok(Some(Actor {
            user_id: format!("token:{}", row.id),
            role: Role::StateSystem,
            scope: Scope::State { state: row.state },
            source_ip,
        }))
    }
}
