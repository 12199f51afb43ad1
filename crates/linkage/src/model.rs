//! Comparison fields, levels, Fellegi-Sunter m/u parameters and configuration.

use serde::{Deserialize, Serialize};

/// Number of compared fields.
pub const NF: usize = 10;
/// Maximum number of levels per field (level 0 = missing).
pub const NL: usize = 16;

/// Field indices.
pub mod field {
    pub const GIVEN: usize = 0;
    pub const SURNAME: usize = 1;
    pub const DOB: usize = 2;
    pub const SEX: usize = 3;
    pub const BIRTH_PLACE: usize = 4;
    pub const PARENTS: usize = 5;
    pub const STATE_ID: usize = 6;
    pub const ALT_IDS: usize = 7;
    pub const ADDRESS: usize = 8;
    pub const POSTAL: usize = 9;
}

/// Level constants per field.
pub mod level {
    pub const MISSING: u8 = 0;
    // given
    pub const G_EXACT: u8 = 1;
    pub const G_SUBSET: u8 = 2;
    pub const G_NICK: u8 = 3;
    pub const G_PHON: u8 = 4;
    pub const G_FUZZY: u8 = 5;
    pub const G_PARTIAL: u8 = 6;
    /// Similar spelling (Jaro-Winkler >= 0.8) but beyond a typo.
    pub const G_WEAK: u8 = 7;
    pub const G_DIFF: u8 = 8;
    // surname
    pub const S_EXACT: u8 = 1;
    pub const S_SWAP: u8 = 2;
    pub const S_SUBSET: u8 = 3;
    pub const S_PHON: u8 = 4;
    pub const S_FUZZY: u8 = 5;
    pub const S_ONE: u8 = 6;
    pub const S_WEAK: u8 = 7;
    pub const S_DIFF: u8 = 8;
    /// A given name of one record is the surname of the other (one name moved to the
    /// other field, the other name lost or replaced).
    pub const S_CROSS: u8 = 9;
    // dob
    pub const D_EXACT: u8 = 1;
    pub const D_SWAP: u8 = 2;
    pub const D_ONE_DIGIT: u8 = 3;
    pub const D_YEAR1: u8 = 4;
    pub const D_DIFF: u8 = 5;
    // generic agree / different
    pub const AGREE: u8 = 1;
    pub const DIFF2: u8 = 2;
    // birth place
    pub const BP_FULL: u8 = 1;
    pub const BP_PARTIAL: u8 = 2;
    pub const BP_CITY_DIFF: u8 = 3;
    pub const BP_DIFF: u8 = 4;
    // parents
    pub const P_AGREE: u8 = 1;
    pub const P_PARTIAL: u8 = 2;
    pub const P_DIFF: u8 = 3;
    // address
    pub const A_EXACT: u8 = 1;
    pub const A_HIGH: u8 = 2;
    pub const A_MED: u8 = 3;
    pub const A_LOW: u8 = 4;
    pub const A_DIFF: u8 = 5;
    // postal
    pub const Z_EXACT: u8 = 1;
    pub const Z_ONE: u8 = 2;
    pub const Z_DIFF: u8 = 3;
}

/// Field names and level names (index = level).
pub const FIELD_SPECS: [(&str, &[&str]); NF] = [
    (
        "given_name",
        &[
            "missing",
            "exact",
            "subset",
            "nickname",
            "phonetic",
            "fuzzy",
            "partial",
            "weak",
            "different",
        ],
    ),
    (
        "surname",
        &[
            "missing",
            "exact",
            "swapped",
            "subset",
            "phonetic",
            "fuzzy",
            "one_shared",
            "weak",
            "different",
            "crossed",
        ],
    ),
    (
        "birth_date",
        &[
            "missing",
            "exact",
            "day_month_swap",
            "one_digit",
            "year_off_by_one",
            "different",
        ],
    ),
    ("sex", &["missing", "agree", "different"]),
    (
        "birth_place",
        &["missing", "full", "partial", "city_differs", "different"],
    ),
    ("parents", &["missing", "agree", "partial", "different"]),
    ("state_student_id", &["missing", "agree", "different"]),
    ("alternate_ids", &["missing", "agree"]),
    (
        "address",
        &["missing", "exact", "high", "medium", "low", "different"],
    ),
    (
        "postal_code",
        &["missing", "exact", "one_digit", "different"],
    ),
];

/// m and u probabilities per field and level (index 0 = missing, ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
}

impl Default for Weights {
    fn default() -> Self {
        let m: Vec<Vec<f64>> = vec![
            vec![0.0, 0.70, 0.08, 0.07, 0.05, 0.05, 0.02, 0.01, 0.03],
            vec![
                0.0, 0.70, 0.05, 0.15, 0.04, 0.03, 0.004, 0.006, 0.015, 0.003,
            ],
            vec![0.0, 0.86, 0.04, 0.07, 0.025, 0.0015],
            vec![0.0, 0.98, 0.02],
            vec![0.0, 0.80, 0.12, 0.04, 0.04],
            vec![0.0, 0.85, 0.05, 0.07],
            vec![0.0, 0.97, 0.03],
            vec![0.0, 1.0],
            vec![0.0, 0.55, 0.25, 0.10, 0.05, 0.05],
            vec![0.0, 0.85, 0.07, 0.08],
        ];
        let u: Vec<Vec<f64>> = vec![
            vec![0.0, 0.004, 0.0006, 0.0004, 0.001, 0.004, 0.01, 0.015, 0.965],
            vec![
                0.0, 0.0008, 0.00002, 0.0002, 0.0004, 0.001, 0.004, 0.02, 0.974, 0.0003,
            ],
            vec![0.0, 0.0003, 0.00003, 0.002, 0.0003, 0.997],
            vec![0.0, 0.5, 0.5],
            vec![0.0, 0.08, 0.25, 0.2, 0.47],
            vec![0.0, 0.002, 0.05, 0.948],
            vec![0.0, 0.000_001, 0.999_999],
            vec![0.0, 0.000_001],
            vec![0.0, 0.00005, 0.0002, 0.002, 0.02, 0.97775],
            vec![0.0, 0.01, 0.05, 0.94],
        ];
        Weights { m, u }
    }
}

/// Precomputed log2(m/u) table.
#[derive(Debug, Clone)]
pub(crate) struct WeightTable {
    pub w: [[f64; NL]; NF],
    /// u of the exact level for given name and surname (TF base).
    pub u_exact_given: f64,
    pub u_exact_sur: f64,
    pub family_cap: f64,
}

impl WeightTable {
    pub fn with_cap(weights: &Weights, family_cap: f64) -> Self {
        let mut w = [[0.0; NL]; NF];
        for f in 0..NF {
            let (m, u) = match (weights.m.get(f), weights.u.get(f)) {
                (Some(m), Some(u)) => (m, u),
                _ => continue,
            };
            for l in 1..NL.min(m.len()).min(u.len()) {
                let mm = m[l].clamp(1e-6, 1.0);
                let uu = u[l].clamp(1e-9, 1.0);
                w[f][l] = (mm / uu).log2().clamp(-16.0, 24.0);
            }
            // no partial agreement weighs more than full agreement (level 1): a swapped
            // surname is rarer by chance than an exact one, but not better evidence
            for l in 2..NL {
                w[f][l] = w[f][l].min(w[f][1]);
            }
        }
        let u_at = |f: usize| -> f64 {
            weights
                .u
                .get(f)
                .and_then(|v| v.get(1))
                .copied()
                .unwrap_or(0.001)
                .max(1e-9)
        };
        WeightTable {
            w,
            u_exact_given: u_at(field::GIVEN),
            u_exact_sur: u_at(field::SURNAME),
            family_cap,
        }
    }
}

/// Configuration of the linkage engine. Every number is a policy knob.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkConfig {
    /// m/u parameters (defaults are sane priors; `link_batch` may re-estimate by EM).
    pub weights: Weights,
    /// Online: score at or above which a record attaches to an existing child.
    pub attach_threshold: f64,
    /// Online: attach without any corroborating field (parents, birth place, ids,
    /// address) requires at least this score.
    pub uncorroborated_attach_threshold: f64,
    /// Online: minimum gap between best and second-best child to attach.
    pub attach_margin: f64,
    /// Online: the attach thresholds rise by log2(children / reference_population)
    /// bits (capped at `max_population_adjustment`) as the index grows, because the
    /// prior odds that a record belongs to any one child fall with the population.
    pub reference_population: f64,
    pub max_population_adjustment: f64,
    /// Online: score at or above which the record becomes a near match (review).
    pub review_threshold: f64,
    /// Batch: minimum pair score to consider merging two clusters.
    pub batch_threshold: f64,
    /// Batch: minimum average score over all cross pairs when merging clusters.
    pub batch_min_avg: f64,
    /// Batch: every cross pair of a merge must score at least this.
    pub batch_min_cross: f64,
    /// Batch: re-estimate m/u with EM on candidate pairs.
    pub estimate_weights: bool,
    /// Batch: re-estimate m from confident candidate pairs: for each field, the level
    /// distribution over pairs whose other fields alone score at least
    /// `batch_threshold + adapt_margin` (prior m as pseudo-counts). Robust to family
    /// structure (siblings never reach that score on the other fields), unlike EM over
    /// all candidate pairs. u of birth date, address and postal code is then taken from
    /// random pairs of the input (priors as pseudo-counts); other u stay. 0 or less
    /// disables both.
    #[serde(default = "default_adapt_margin")]
    pub adapt_margin: f64,
    /// Pseudo-count of the prior m in that estimate.
    #[serde(default = "default_adapt_prior")]
    pub adapt_prior: f64,
    /// Blocks with more members than this are windowed (sorted neighbourhood). Batch
    /// only. Small: a record shares several keys with each of its other records, and
    /// the pairs of crowded blocks (common names, common dates) are mostly different
    /// children (synth1m: 12 and 6 gave 25.8M candidate pairs and P 0.979; 6 and 1 give
    /// 5.0M and P 0.991, recall 0.9938 -> 0.9922).
    pub max_block: usize,
    /// Window for large blocks (each member is paired with the next `window` members in
    /// the block's sort order).
    pub window: usize,
    /// Online: max members examined per blocking key (most recent first).
    pub online_block_cap: usize,
    /// Conflict rule: same DOB/family but different given names never merge.
    pub twin_rule: bool,
    /// Conflict rule: different student ids from the same state never merge.
    pub state_id_rule: bool,
    /// Batch only: a same-state student id difference is a score penalty rather than
    /// a hard conflict (states do issue a second id to a child they already know; the
    /// online path keeps the hard rule and sends such records to review).
    #[serde(default = "yes")]
    pub batch_soft_state_id: bool,
    /// Cap on the joint positive weight of family-shared fields (surname,
    /// parents, birth place), so siblings cannot reach the thresholds on family
    /// evidence alone.
    pub family_cap: f64,
    /// Term-frequency smoothing pseudo-count (children).
    pub tf_pseudo: f64,
    /// Batch: keep scored pairs (>= review threshold) in the result, for --explain.
    pub explain_pairs: bool,
    /// Worker threads for batch (1 = sequential).
    pub threads: usize,
}

fn yes() -> bool {
    true
}

fn default_adapt_margin() -> f64 {
    8.0
}

fn default_adapt_prior() -> f64 {
    100.0
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            weights: Weights::default(),
            attach_threshold: 17.0,
            uncorroborated_attach_threshold: 23.0,
            attach_margin: 4.0,
            review_threshold: 12.0,
            reference_population: 2000.0,
            max_population_adjustment: 8.0,
            batch_threshold: 16.0,
            batch_min_avg: 8.0,
            batch_min_cross: 5.0,
            estimate_weights: false,
            adapt_margin: default_adapt_margin(),
            adapt_prior: default_adapt_prior(),
            max_block: 6,
            window: 1,
            online_block_cap: 100,
            twin_rule: true,
            state_id_rule: true,
            batch_soft_state_id: true,
            family_cap: 16.0,
            tf_pseudo: 2000.0,
            explain_pairs: false,
            threads: 2,
        }
    }
}
