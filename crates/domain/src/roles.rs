//! Roles, scopes and capabilities. Every use case checks a capability; a role grants a fixed set.

use serde::{Deserialize, Serialize};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    SearchStudents,
    ViewStudent,
    PrintStudent,
    StartMergeSplit,
    SendMoveNotice,
    SendDataRequest,
    WorkWorklist,
    AnswerDataRequest,
    ViewReports,
    ViewNationalStatistics,
    ManageUsers,
    ViewAudit,
    SubmitRecords,
    AdministerSystem,
}

/// Where a role applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Scope {
    National,
    State { state: String },
    Region { state: String, region: String },
    District { state: String, district: String },
}

/// The roles of the exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SecondaryUser,
    PrimaryUser,
    DataAdministrator,
    UserAdministrator,
    FederalViewer,
    SystemAdministrator,
    /// A state system's machine account (API token), submission only.
    StateSystem,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SecondaryUser,
        Role::PrimaryUser,
        Role::DataAdministrator,
        Role::UserAdministrator,
        Role::FederalViewer,
        Role::SystemAdministrator,
        Role::StateSystem,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Role::SecondaryUser => "secondary_user",
            Role::PrimaryUser => "primary_user",
            Role::DataAdministrator => "data_administrator",
            Role::UserAdministrator => "user_administrator",
            Role::FederalViewer => "federal_viewer",
            Role::SystemAdministrator => "system_administrator",
            Role::StateSystem => "state_system",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(&self) -> &'static str {
        match self {
            Role::SecondaryUser => "Secondary user (search, view, print)",
            Role::PrimaryUser => "Primary user (counselor, registrar, MEP specialist)",
            Role::DataAdministrator => "Data administrator",
            Role::UserAdministrator => "User administrator",
            Role::FederalViewer => "Federal program viewer",
            Role::SystemAdministrator => "System administrator",
            Role::StateSystem => "State system (API)",
        }
    }

    /// The capabilities the role grants.
    pub fn capabilities(&self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Role::SecondaryUser => &[SearchStudents, ViewStudent, PrintStudent],
            Role::PrimaryUser => &[
                SearchStudents,
                ViewStudent,
                PrintStudent,
                StartMergeSplit,
                SendMoveNotice,
                SendDataRequest,
            ],
            Role::DataAdministrator => &[
                SearchStudents,
                ViewStudent,
                PrintStudent,
                StartMergeSplit,
                SendMoveNotice,
                SendDataRequest,
                WorkWorklist,
                AnswerDataRequest,
                ViewReports,
                SubmitRecords,
            ],
            Role::UserAdministrator => &[ManageUsers, ViewAudit],
            Role::FederalViewer => &[ViewNationalStatistics, ViewReports],
            Role::SystemAdministrator => &[ManageUsers, ViewAudit, AdministerSystem, ViewReports],
            Role::StateSystem => &[SubmitRecords],
        }
    }

    pub fn can(&self, c: Capability) -> bool {
        self.capabilities().contains(&c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_grant_expected_capabilities() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert!(!Role::SecondaryUser.can(Capability::StartMergeSplit));
        assert!(Role::PrimaryUser.can(Capability::SendMoveNotice));
        assert!(
            !Role::FederalViewer.can(Capability::ViewStudent),
            "no child-level PII for the federal viewer"
        );
        assert!(!Role::StateSystem.can(Capability::SearchStudents));
    }
}
