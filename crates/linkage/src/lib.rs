//! Puente record linkage: decides whether a state record belongs to a known
//! child (attach), is a new child, or needs review (near match).
//!
//! * [`normalize`]: Unicode folding, Spanish-aware phonetic keys, nicknames, dates.
//! * [`Linker`]: online index of known children (`insert`, `match_record`).
//! * [`link_batch`]: deterministic clustering of a whole record set.
//! * [`synth`]: seeded generator of migrant-like test data with ground truth.

// Field/level tables are indexed in parallel; index loops read clearer here.
#![allow(clippy::needless_range_loop)]

mod batch;
mod compare;
mod linker;
pub mod model;
pub mod normalize;
pub mod synth;

pub use batch::{
    BatchInput, BatchResult, Constraints, ScoredPair, explain_pair, link_batch, link_batch_with,
    link_prepared,
};
pub use linker::Linker;
pub use model::{LinkConfig, Weights};

use serde::{Deserialize, Serialize};

/// One state record as seen by linkage (all strings raw, as submitted; empty/None = missing).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub record_id: String,
    pub reporting_state: Option<String>,
    pub state_student_id: Option<String>,
    pub first_name: Option<String>,
    pub middle_name: Option<String>,
    pub last_name_1: Option<String>,
    pub last_name_2: Option<String>,
    /// "M"/"F"/"X" or Male/Female/Nonbinary.
    pub sex: Option<String>,
    /// "YYYY-MM-DD" (also YYYYMMDD, MM/DD/YYYY).
    pub birth_date: Option<String>,
    pub birth_city: Option<String>,
    pub birth_state: Option<String>,
    pub birth_country: Option<String>,
    pub parent1_first_name: Option<String>,
    pub parent1_last_name: Option<String>,
    pub parent2_first_name: Option<String>,
    pub parent2_last_name: Option<String>,
    pub multiple_birth: Option<bool>,
    pub address: Option<String>,
    pub postal_code: Option<String>,
    pub alternate_ids: Vec<String>,
}

/// The columns of the `puente link` input CSV besides `record_id`, in the order
/// [`LinkRecord::from_columns`] reads them.
pub const INPUT_COLUMNS: [&str; 18] = [
    "reporting_state",
    "state_student_id",
    "first_name",
    "middle_name",
    "last_name_1",
    "last_name_2",
    "sex",
    "birth_date",
    "birth_city",
    "birth_state",
    "birth_country",
    "parent1_first_name",
    "parent1_last_name",
    "parent2_first_name",
    "parent2_last_name",
    "multiple_birth_flag",
    "address",
    "postal_code",
];

impl LinkRecord {
    /// The record of one input row: `get(i)` is the value of `INPUT_COLUMNS[i]` (`None` when
    /// the column is absent or the value empty). `multiple_birth_flag` reads yes/y/true/1 and
    /// no/n/false/0 in any case; anything else is missing.
    pub fn from_columns(record_id: String, get: impl Fn(usize) -> Option<String>) -> LinkRecord {
        let flag = |v: String| match v.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Some(true),
            "no" | "n" | "false" | "0" => Some(false),
            _ => None,
        };
        LinkRecord {
            record_id,
            reporting_state: get(0),
            state_student_id: get(1),
            first_name: get(2),
            middle_name: get(3),
            last_name_1: get(4),
            last_name_2: get(5),
            sex: get(6),
            birth_date: get(7),
            birth_city: get(8),
            birth_state: get(9),
            birth_country: get(10),
            parent1_first_name: get(11),
            parent1_last_name: get(12),
            parent2_first_name: get(13),
            parent2_last_name: get(14),
            multiple_birth: get(15).and_then(flag),
            address: get(16),
            postal_code: get(17),
            alternate_ids: Vec::new(),
        }
    }
}

/// Online decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Decision {
    /// The record belongs to this known child.
    Attach { child_id: String },
    /// Uncertain: a data administrator must review these candidate children.
    NearMatch { candidates: Vec<String> },
    /// A child not yet known.
    New,
}

/// Per-field comparison outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldExplanation {
    pub field: String,
    pub level: String,
    pub weight: f64,
}

/// Why a candidate scored as it did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateExplanation {
    /// Child (cluster) id; empty in pair explanations from batch.
    pub child_id: String,
    /// The child's record that scored best against the incoming record.
    pub record_id: String,
    /// Sum of field weights (log2 likelihood ratio).
    pub total: f64,
    pub fields: Vec<FieldExplanation>,
    /// Conflict rules that fired (against any record of the child).
    pub conflicts: Vec<String>,
    /// Whether a corroborating field (parents, birth place, ids, address) agrees.
    pub corroborated: bool,
}

/// Explanation attached to every decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Top candidates, best first (at most five).
    pub candidates: Vec<CandidateExplanation>,
    pub attach_threshold: f64,
    pub review_threshold: f64,
    /// Short reason code for the decision.
    pub reason: String,
}

/// A decision and its explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchDecision {
    pub decision: Decision,
    pub explanation: Explanation,
}

pub(crate) fn explain_cmp(
    c: &compare::Cmp,
    wt: &model::WeightTable,
    child_id: &str,
    record_id: &str,
) -> CandidateExplanation {
    let w = compare::field_weights(c, wt);
    let fields = (0..model::NF)
        .filter(|f| c.levels[*f] != 0)
        .map(|f| {
            let (name, levels) = model::FIELD_SPECS[f];
            FieldExplanation {
                field: name.to_string(),
                level: levels
                    .get(c.levels[f] as usize)
                    .copied()
                    .unwrap_or("?")
                    .to_string(),
                weight: (w[f] * 100.0).round() / 100.0,
            }
        })
        .collect();
    CandidateExplanation {
        child_id: child_id.to_string(),
        record_id: record_id.to_string(),
        total: (w.iter().sum::<f64>() * 100.0).round() / 100.0,
        fields,
        conflicts: conflict_names(c.conflicts),
        corroborated: compare::corroborated(c),
    }
}

pub(crate) fn conflict_names(bits: u8) -> Vec<String> {
    compare::conflict::NAMES
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| (*n).to_string())
        .collect()
}
