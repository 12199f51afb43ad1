//! Authorization: who is acting ([`Actor`]) and what they may do. Every use case that touches
//! protected data takes `&Actor` and calls [`Actor::require`] first; scope checks use
//! [`Actor::covers_state`].

use puente_domain::roles::{Capability, Role, Scope};
use puente_store::UserRow;

use crate::{AppError, Result};

/// The authenticated user (or system job) a use case runs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User id (`system` for jobs).
    pub user_id: String,
    pub role: Role,
    pub scope: Scope,
    /// Client address, for the audit trail.
    pub source_ip: Option<String>,
}

impl Actor {
    /// The actor of an account row; `None` when the stored role is unknown.
    pub fn from_user(u: &UserRow, source_ip: Option<String>) -> Option<Actor> {
        Some(Actor {
            user_id: u.id.clone(),
            role: Role::parse(&u.role)?,
            scope: scope_of(u),
            source_ip,
        })
    }

    /// The actor of scheduled jobs and the CLI: national system administrator.
    pub fn system() -> Actor {
        Actor {
            user_id: "system".into(),
            role: Role::SystemAdministrator,
            scope: Scope::National,
            source_ip: None,
        }
    }

    pub fn can(&self, c: Capability) -> bool {
        self.role.can(c)
    }

    /// `Ok` when the role grants `c`, else [`AppError::Forbidden`].
    pub fn require(&self, c: Capability) -> Result<()> {
        if self.can(c) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The state of the actor's scope (`None` for national scope).
    pub fn state(&self) -> Option<&str> {
        scope_state(&self.scope)
    }

    /// Whether data of `state` (a two-letter code) is inside the actor's scope.
    pub fn covers_state(&self, state: &str) -> bool {
        match scope_state(&self.scope) {
            None => true,
            Some(s) => s.eq_ignore_ascii_case(state),
        }
    }

    /// `require(c)` and `covers_state(state)` together.
    pub fn require_in_state(&self, c: Capability, state: &str) -> Result<()> {
        self.require(c)?;
        if self.covers_state(state) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

fn scope_state(s: &Scope) -> Option<&str> {
    match s {
        Scope::National => None,
        Scope::State { state } | Scope::Region { state, .. } | Scope::District { state, .. } => {
            Some(state)
        }
    }
}

/// The scope stored on an account row.
pub fn scope_of(u: &UserRow) -> Scope {
    match (&u.scope_state, &u.scope_region, &u.scope_district) {
        (None, _, _) => Scope::National,
        (Some(s), _, Some(d)) => Scope::District {
            state: s.clone(),
            district: d.clone(),
        },
        (Some(s), Some(r), None) => Scope::Region {
            state: s.clone(),
            region: r.clone(),
        },
        (Some(s), None, None) => Scope::State { state: s.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor {
            user_id: "u".into(),
            role,
            scope,
            source_ip: None,
        }
    }

    #[test]
    fn capabilities_are_checked() {
        let a = actor(Role::SecondaryUser, Scope::National);
        assert!(a.require(Capability::ViewStudent).is_ok());
        assert!(matches!(
            a.require(Capability::ManageUsers),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn state_scope_covers_only_its_state() {
        let tx = actor(Role::PrimaryUser, Scope::State { state: "TX".into() });
        assert!(tx.covers_state("TX"));
        assert!(tx.covers_state("tx"));
        assert!(!tx.covers_state("CA"));
        assert!(tx.require_in_state(Capability::ViewStudent, "TX").is_ok());
        assert!(matches!(
            tx.require_in_state(Capability::ViewStudent, "CA"),
            Err(AppError::Forbidden)
        ));
        let district = actor(
            Role::DataAdministrator,
            Scope::District {
                state: "CA".into(),
                district: "0612345".into(),
            },
        );
        assert!(district.covers_state("CA") && !district.covers_state("TX"));
        let national = actor(Role::FederalViewer, Scope::National);
        assert!(national.covers_state("CA") && national.covers_state("TX"));
        // In scope but without the capability is still refused.
        assert!(
            national
                .require_in_state(Capability::ViewStudent, "CA")
                .is_err()
        );
    }
}
