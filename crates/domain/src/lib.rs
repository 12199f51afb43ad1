//! Puente domain: pure types and rules of the migrant student record exchange. No IO.
//!
//! - [`msix`]: the 12-digit MSIX ID with its check digit.
//! - [`codes`]: code sets of the minimum data elements.
//! - [`records`]: raw and validated student records; [`validate`]: element rules and issues.
//! - [`policy`]: configurable regulatory numbers; [`calendar`]: working days and federal holidays.
//! - [`normalize`]: name folding for storage and search.

pub mod calendar;
pub mod childcount;
pub mod codes;
pub mod consolidated;
pub mod msix;
pub mod normalize;
pub mod notices;
pub mod policy;
pub mod quality;
pub mod records;
pub mod roles;
pub mod validate;
pub mod worklist;

pub use codes::{CodeSet, StateCode};
pub use msix::{MsixId, MsixIdError};
pub use policy::Policy;
pub use records::{RawStudent, StudentRecord, ValidationContext};
pub use validate::{Issue, Rule, Severity};
