//! Online linker: an index of known children, queried record by record.

use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

use crate::compare::{self, Cmp, Prep, Rules, conflict};
use crate::model::{LinkConfig, WeightTable};
use crate::{Decision, Explanation, LinkRecord, MatchDecision, explain_cmp};

/// Hasher for keys that are already well-mixed 64-bit hashes.
#[derive(Default, Clone, Copy, Debug)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = crate::normalize::mix(self.0 ^ u64::from(*b));
        }
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

pub(crate) type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

#[derive(Debug, Default)]
struct Child {
    id: String,
    records: Vec<u32>,
}

/// Online index of known children.
#[derive(Debug)]
pub struct Linker {
    config: LinkConfig,
    wt: WeightTable,
    recs: Vec<Prep>,
    rec_ids: Vec<String>,
    rec_child: Vec<u32>,
    children: Vec<Child>,
    child_ix: HashMap<String, u32>,
    /// blocking key -> newest posting (index into `postings`, +1; 0 = none)
    index: IdMap<u32>,
    /// (record, previous posting of the same key +1, 0 = end): one linked list per key,
    /// newest first (8 bytes per posting instead of a vector per key)
    postings: Vec<(u32, u32)>,
    /// token hash -> number of children having the token
    tf: IdMap<u32>,
    not_same: BTreeSet<(String, String)>,
    same: HashMap<String, String>,
}

fn ordered(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Linker {
    /// Empty index with the given configuration.
    pub fn new(config: LinkConfig) -> Self {
        let wt = WeightTable::with_cap(&config.weights, config.family_cap);
        Linker {
            config,
            wt,
            recs: Vec::new(),
            rec_ids: Vec::new(),
            rec_child: Vec::new(),
            children: Vec::new(),
            child_ix: HashMap::new(),
            index: IdMap::default(),
            postings: Vec::new(),
            tf: IdMap::default(),
            not_same: BTreeSet::new(),
            same: HashMap::new(),
        }
    }

    /// Configuration in use.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Number of known children.
    pub fn num_children(&self) -> usize {
        self.children.len()
    }

    /// Bits added to the attach thresholds for the current population size.
    pub fn population_adjustment(&self) -> f64 {
        let n = self.children.len() as f64;
        let r = self.config.reference_population.max(1.0);
        if n <= r {
            0.0
        } else {
            (n / r)
                .log2()
                .min(self.config.max_population_adjustment.max(0.0))
        }
    }

    /// Number of indexed records.
    pub fn num_records(&self) -> usize {
        self.recs.len()
    }

    /// Add a record known to belong to `child_id` (a cluster id / MSIX ID).
    pub fn insert(&mut self, child_id: &str, rec: &LinkRecord) {
        let p = compare::prepare(rec);
        let ci = match self.child_ix.get(child_id) {
            Some(ci) => *ci,
            None => {
                let ci = self.children.len() as u32;
                self.children.push(Child {
                    id: child_id.to_string(),
                    records: Vec::new(),
                });
                self.child_ix.insert(child_id.to_string(), ci);
                ci
            }
        };
        // term frequencies counted per child (a token counts once per child)
        let existing: Vec<u64> = self.children[ci as usize]
            .records
            .iter()
            .flat_map(|r| {
                let q = &self.recs[*r as usize];
                q.given().iter().chain(q.sur().iter()).map(|t| t.h)
            })
            .collect();
        let mut seen: Vec<u64> = Vec::new();
        for t in p.given().iter().chain(p.sur().iter()) {
            if !existing.contains(&t.h) && !seen.contains(&t.h) {
                *self.tf.entry(t.h).or_insert(0) += 1;
                seen.push(t.h);
            }
        }
        let ri = self.recs.len() as u32;
        let mut keys = Vec::with_capacity(48);
        compare::all_block_keys(&p, &mut keys);
        compare::extra_block_keys(&p, &mut keys);
        keys.sort_unstable();
        keys.dedup();
        for k in keys {
            let head = self.index.entry(k).or_insert(0);
            self.postings.push((ri, *head));
            *head = self.postings.len() as u32;
        }
        self.recs.push(p);
        self.rec_ids.push(rec.record_id.clone());
        self.rec_child.push(ci);
        self.children[ci as usize].records.push(ri);
    }

    /// Reviewer decision: these record ids / child ids are never merged.
    pub fn add_constraint_not_same(&mut self, a: &str, b: &str) {
        self.not_same.insert(ordered(a, b));
    }

    /// Reviewer decision: the record with this record id belongs to this child.
    pub fn add_constraint_same(&mut self, record_id: &str, child_id: &str) {
        self.same
            .insert(record_id.to_string(), child_id.to_string());
    }

    fn set_tf(&self, p: &mut Prep) {
        let n = self.children.len() as f64;
        let k = self.config.tf_pseudo;
        let (ug, us) = (self.wt.u_exact_given, self.wt.u_exact_sur.sqrt());
        let (given, sur) = p.names_mut();
        for t in given.iter_mut() {
            let c = f64::from(self.tf.get(&t.h).copied().unwrap_or(0));
            t.f = ((c + 1.0 + k * ug) / (n + 1.0 + k)) as f32;
        }
        for t in sur.iter_mut() {
            let c = f64::from(self.tf.get(&t.h).copied().unwrap_or(0));
            t.f = ((c + 1.0 + k * us) / (n + 1.0 + k)) as f32;
        }
    }

    fn rules(&self) -> Rules {
        Rules {
            twin: self.config.twin_rule,
            state_id: self.config.state_id_rule,
        }
    }

    /// Indexed records sharing a blocking key with `p` (at most `online_block_cap` of the
    /// newest per key), sorted.
    fn candidates(&self, p: &Prep) -> Vec<u32> {
        let mut keys = Vec::with_capacity(24);
        compare::all_block_keys(p, &mut keys);
        let main = keys.len();
        compare::extra_block_keys(p, &mut keys);
        let full_cap = self.config.online_block_cap.max(1);
        let mut cands: Vec<u32> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            // the `cap` most recent records of the key (a third of it for the fallback keys)
            let cap = if i < main {
                full_cap
            } else {
                full_cap.div_ceil(3)
            };
            let mut at = self.index.get(k).copied().unwrap_or(0);
            let mut taken = 0;
            while at != 0 && taken < cap {
                let (ri, prev) = self.postings[at as usize - 1];
                cands.push(ri);
                at = prev;
                taken += 1;
            }
        }
        cands.sort_unstable();
        cands.dedup();
        cands
    }

    /// Record ids of the indexed records that blocking retrieves for `rec` (diagnostics).
    pub fn candidate_record_ids(&self, rec: &LinkRecord) -> Vec<&str> {
        self.candidates(&compare::prepare(rec))
            .into_iter()
            .map(|ri| self.rec_ids[ri as usize].as_str())
            .collect()
    }

    /// Online decision for a record, without inserting it.
    pub fn match_record(&self, rec: &LinkRecord) -> MatchDecision {
        let mut p = compare::prepare(rec);
        self.set_tf(&mut p);
        let rules = self.rules();
        let cands = self.candidates(&p);

        // best record per child
        let mut best: HashMap<u32, (f64, u32, Cmp)> = HashMap::new();
        for &ri in &cands {
            let c = compare::compare(&p, &self.recs[ri as usize], &rules);
            let s = compare::score(&c, &self.wt);
            let ci = self.rec_child[ri as usize];
            let e = best.entry(ci).or_insert((f64::NEG_INFINITY, ri, c));
            if s > e.0 || (s == e.0 && ri < e.1) {
                *e = (s, ri, c);
            }
        }
        // rank children, check conflicts against every record of each child
        let mut ranked: Vec<(f64, u32, u32, Cmp, u8)> = best
            .into_iter()
            .map(|(ci, (s, ri, c))| (s, ci, ri, c, 0u8))
            .collect();
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| {
                self.children[a.1 as usize]
                    .id
                    .cmp(&self.children[b.1 as usize].id)
            })
        });
        ranked.truncate(8);
        for r in ranked.iter_mut() {
            let child = &self.children[r.1 as usize];
            let mut bits = r.3.conflicts;
            // child profile: per field, the best level over the child's records
            let mut agg = r.3;
            let mut best_w = compare::field_weights(&r.3, &self.wt);
            for &ri in child.records.iter().take(64) {
                if ri != r.2 {
                    let c = compare::compare(&p, &self.recs[ri as usize], &rules);
                    bits |= c.conflicts;
                    let w = compare::field_weights(&c, &self.wt);
                    for f in 0..crate::model::NF {
                        if c.levels[f] != 0 && (agg.levels[f] == 0 || w[f] > best_w[f]) {
                            agg.levels[f] = c.levels[f];
                            best_w[f] = w[f];
                            if f == crate::model::field::GIVEN {
                                agg.tf_given = c.tf_given;
                            }
                            if f == crate::model::field::SURNAME {
                                agg.tf_sur = c.tf_sur;
                            }
                        }
                    }
                }
                if !rec.record_id.is_empty()
                    && self
                        .not_same
                        .contains(&ordered(&rec.record_id, &self.rec_ids[ri as usize]))
                {
                    bits |= conflict::REVIEWER;
                }
            }
            if !rec.record_id.is_empty()
                && self.not_same.contains(&ordered(&rec.record_id, &child.id))
            {
                bits |= conflict::REVIEWER;
            }
            agg.conflicts = bits;
            r.0 = compare::score(&agg, &self.wt);
            r.3 = agg;
            r.4 = bits;
        }
        ranked.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| {
                self.children[a.1 as usize]
                    .id
                    .cmp(&self.children[b.1 as usize].id)
            })
        });

        let cfg = &self.config;
        let candidates: Vec<crate::CandidateExplanation> = ranked
            .iter()
            .take(5)
            .map(|(_, ci, ri, c, bits)| {
                let mut c = *c;
                c.conflicts = *bits;
                explain_cmp(
                    &c,
                    &self.wt,
                    &self.children[*ci as usize].id,
                    &self.rec_ids[*ri as usize],
                )
            })
            .collect();
        let mk =
            |decision: Decision, reason: &str, candidates: Vec<crate::CandidateExplanation>| {
                MatchDecision {
                    decision,
                    explanation: Explanation {
                        candidates,
                        attach_threshold: cfg.attach_threshold + self.population_adjustment(),
                        review_threshold: cfg.review_threshold,
                        reason: reason.to_string(),
                    },
                }
            };

        if let Some(child_id) = self.same.get(&rec.record_id) {
            return mk(
                Decision::Attach {
                    child_id: child_id.clone(),
                },
                "reviewer_same",
                candidates,
            );
        }

        let ok: Vec<&(f64, u32, u32, Cmp, u8)> = ranked.iter().filter(|r| r.4 == 0).collect();
        let Some(top) = ok.first() else {
            let reason = if ranked.is_empty() {
                "no_candidates"
            } else {
                "all_candidates_conflict"
            };
            return mk(Decision::New, reason, candidates);
        };
        let second = ok.get(1).map_or(f64::NEG_INFINITY, |r| r.0);
        let top_id = self.children[top.1 as usize].id.clone();
        let adj = self.population_adjustment();
        let needed = adj
            + if compare::corroborated(&top.3) {
                cfg.attach_threshold
            } else {
                cfg.uncorroborated_attach_threshold
            };
        if top.0 >= needed && (top.0 - second >= cfg.attach_margin || second < cfg.review_threshold)
        {
            return mk(
                Decision::Attach { child_id: top_id },
                "score_above_attach_threshold",
                candidates,
            );
        }
        if top.0 >= cfg.review_threshold {
            let ids: Vec<String> = ok
                .iter()
                .filter(|r| r.0 >= cfg.review_threshold)
                .take(5)
                .map(|r| self.children[r.1 as usize].id.clone())
                .collect();
            let reason = if top.0 >= needed {
                "ambiguous_between_candidates"
            } else if top.0 >= cfg.attach_threshold + adj {
                "uncorroborated"
            } else {
                "score_in_review_band"
            };
            return mk(Decision::NearMatch { candidates: ids }, reason, candidates);
        }
        mk(Decision::New, "score_below_review_threshold", candidates)
    }
}
