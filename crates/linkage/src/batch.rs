//! Deterministic batch clustering of a whole record set.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::compare::{self, Cmp, Prep, Rules};
use crate::model::{LinkConfig, NF, NL, WeightTable, Weights, field};
use crate::normalize::mix;
use crate::{CandidateExplanation, LinkRecord, explain_cmp};

/// Reviewer decisions over record ids, applied as hard constraints.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Constraints {
    /// Pairs of record ids that must never end in the same cluster.
    pub not_same: Vec<(String, String)>,
    /// Pairs of record ids that must end in the same cluster.
    pub same: Vec<(String, String)>,
}

/// A scored candidate pair (indices into the input slice).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredPair {
    pub a: usize,
    pub b: usize,
    pub score: f64,
    pub conflicts: Vec<String>,
}

/// Counters describing a batch run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    pub records: usize,
    pub candidate_pairs: usize,
    pub kept_pairs: usize,
    pub merges: usize,
    pub merges_refused_conflict: usize,
    pub merges_refused_weak: usize,
    pub clusters: usize,
    /// Wall time per phase in milliseconds.
    pub timings_ms: Vec<(String, u64)>,
}

/// Result of [`link_batch`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchResult {
    /// Cluster number per input record (same order as input), numbered 0.. in
    /// order of first appearance.
    pub clusters: Vec<usize>,
    /// Scored pairs at or above the review threshold (only if `config.explain_pairs`).
    pub pairs: Vec<ScoredPair>,
    /// Weights used (estimated when `config.estimate_weights`).
    pub weights: Weights,
    pub stats: BatchStats,
}

/// Run `f` over `0..n` split in contiguous chunks on `threads` threads; results
/// are concatenated in order (deterministic).
pub(crate) fn par_chunks<T: Send>(
    n: usize,
    threads: usize,
    f: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, 16);
    if threads == 1 || n < 2048 {
        return f(0..n);
    }
    let chunk = n.div_ceil(threads);
    let parts: Vec<Vec<T>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let lo = (t * chunk).min(n);
                let hi = ((t + 1) * chunk).min(n);
                let f = &f;
                s.spawn(move || f(lo..hi))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    parts.into_iter().flatten().collect()
}

fn set_batch_tf(preps: &mut [Prep], config: &LinkConfig, wt: &WeightTable) {
    // Count tokens per approximate child: distinct (token, birth date) pairs.
    let dkey = |p: &Prep| {
        p.dob.map_or(u64::MAX, |d| {
            (u64::from(d.y) << 16) | (u64::from(d.m.min(d.d)) << 8) | u64::from(d.m.max(d.d))
        })
    };
    let mut pairs: Vec<(u64, u64)> = Vec::with_capacity(preps.len() * 4);
    let mut kids: Vec<(u64, u64)> = Vec::with_capacity(preps.len());
    for p in preps.iter() {
        let d = dkey(p);
        for t in p.given().iter().chain(p.sur().iter()) {
            pairs.push((t.h, d));
        }
        if let Some(g) = p.given().first() {
            kids.push((g.h, d));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    kids.sort_unstable();
    kids.dedup();
    let n = kids.len().max(1) as f64;
    let mut counts: crate::linker::IdMap<u32> = Default::default();
    for (h, _) in pairs {
        *counts.entry(h).or_insert(0) += 1;
    }
    let k = config.tf_pseudo;
    let (ug, us) = (wt.u_exact_given, wt.u_exact_sur.sqrt());
    for p in preps.iter_mut() {
        let (given, sur) = p.names_mut();
        for t in given.iter_mut() {
            let c = f64::from(counts.get(&t.h).copied().unwrap_or(1));
            t.f = ((c + k * ug) / (n + k)) as f32;
        }
        for t in sur.iter_mut() {
            let c = f64::from(counts.get(&t.h).copied().unwrap_or(1));
            t.f = ((c + k * us) / (n + k)) as f32;
        }
    }
}

fn secondary(p: &Prep, fam: u64) -> u64 {
    // families whose key contains the birth date are ordered by name, others by date
    match fam {
        1 | 2 | 10 | 12 | 19 | 20 => p.sort_key,
        _ => p.dob.map_or(u64::MAX, |d| {
            (u64::from(d.y) << 16) | (u64::from(d.m) << 8) | u64::from(d.d)
        }),
    }
}

fn candidate_pairs(preps: &[Prep], config: &LinkConfig) -> Vec<u64> {
    // Each thread takes the next family not taken yet and merges its pairs into its own
    // list; the lists are merged at the end. The union of the families' pairs does not
    // depend on which thread made which family.
    let threads = config.threads.clamp(1, 16);
    let names: Vec<compare::NameKeys> = par_chunks(preps.len(), threads, |r| {
        preps[r].iter().map(compare::NameKeys::of).collect()
    });
    let names = &names;
    let next = std::sync::atomic::AtomicU64::new(1);
    let work = || {
        let mut pairs: Vec<u64> = Vec::new();
        // pairs of the current family (sorted and merged into `pairs` once per family)
        let mut fresh: Vec<u64> = Vec::new();
        let mut keys: Vec<(u64, u32)> = Vec::new();
        loop {
            let fam = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if fam > compare::FAMILIES {
                return pairs;
            }
            family_pairs(preps, names, fam, config, &mut keys, &mut fresh);
            merge_into(&mut pairs, &fresh);
            fresh.clear();
        }
    };
    let lists: Vec<Vec<u64>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    let mut lists = lists.into_iter();
    let mut pairs = lists.next().unwrap_or_default();
    for l in lists {
        merge_into(&mut pairs, &l);
    }
    pairs
}

/// The candidate pairs of one key family in `fresh` (sorted, without duplicates).
fn family_pairs(
    preps: &[Prep],
    names: &[compare::NameKeys],
    fam: u64,
    config: &LinkConfig,
    keys: &mut Vec<(u64, u32)>,
    fresh: &mut Vec<u64>,
) {
    keys.clear();
    let mut buf: Vec<u64> = Vec::with_capacity(16);
    for (i, (p, nk)) in preps.iter().zip(names).enumerate() {
        buf.clear();
        compare::block_keys(p, nk, fam, &mut buf);
        buf.sort_unstable();
        buf.dedup();
        for k in &buf {
            keys.push((*k, i as u32));
        }
    }
    keys.sort_unstable();
    let mut s = 0;
    while s < keys.len() {
        let mut e = s + 1;
        while e < keys.len() && keys[e].0 == keys[s].0 {
            e += 1;
        }
        let block = &keys[s..e];
        if block.len() <= config.max_block {
            for x in 0..block.len() {
                for y in x + 1..block.len() {
                    fresh.push((u64::from(block[x].1) << 32) | u64::from(block[y].1));
                }
            }
        } else {
            let mut members: Vec<(u64, u32)> = block
                .iter()
                .map(|(_, i)| (secondary(&preps[*i as usize], fam), *i))
                .collect();
            members.sort_unstable();
            let w = config.window.max(1);
            for x in 0..members.len() {
                for y in x + 1..(x + 1 + w).min(members.len()) {
                    let (a, b) = (
                        members[x].1.min(members[y].1),
                        members[x].1.max(members[y].1),
                    );
                    fresh.push((u64::from(a) << 32) | u64::from(b));
                }
            }
        }
        s = e;
    }
    fresh.sort_unstable();
    fresh.dedup();
}

/// `a` becomes the union of `a` and `b` (both sorted and duplicate-free), in place: `a`
/// grows once by `b.len()` (no second copy of the pairs found so far) and is merged from
/// the back.
fn merge_into(a: &mut Vec<u64>, b: &[u64]) {
    let n = a.len();
    a.reserve_exact(b.len());
    a.resize(n + b.len(), 0);
    // a[..i] and b[..j] are still to merge; a[k..] is merged (k - i = j + duplicates)
    let (mut i, mut j, mut k) = (n, b.len(), n + b.len());
    while j > 0 {
        k -= 1;
        if i > 0 && a[i - 1] >= b[j - 1] {
            if a[i - 1] == b[j - 1] {
                j -= 1;
            }
            a[k] = a[i - 1];
            i -= 1;
        } else {
            a[k] = b[j - 1];
            j -= 1;
        }
    }
    // one slot per duplicate is left between the untouched prefix and the merged part
    if k > i {
        a.copy_within(k.., i);
        a.truncate(a.len() - (k - i));
    }
}

fn pattern(levels: &[u8; NF]) -> u64 {
    levels
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, l)| acc | (u64::from(*l & 15) << (4 * i)))
}

fn unpattern(p: u64) -> [u8; NF] {
    let mut l = [0u8; NF];
    for (i, x) in l.iter_mut().enumerate() {
        *x = ((p >> (4 * i)) & 15) as u8;
    }
    l
}

/// m by EM over candidate-pair patterns (u fixed from random pairs), with priors.
fn estimate(patterns: &[(u64, u64)], random_u: &[[f64; NL]; NF], prior: &Weights) -> Weights {
    let mut m = [[0.0f64; NL]; NF];
    for f in 0..NF {
        for l in 1..NL {
            m[f][l] = prior
                .m
                .get(f)
                .and_then(|v| v.get(l))
                .copied()
                .unwrap_or(0.0);
        }
    }
    let mut lambda = 0.2f64;
    let alpha = 50.0;
    for _ in 0..25 {
        let mut acc_m = [[0.0f64; NL]; NF];
        let mut tot_g = 0.0;
        let mut tot = 0.0;
        for (pat, cnt) in patterns {
            let lv = unpattern(*pat);
            let mut lm = 0.0f64;
            let mut lu = 0.0f64;
            for f in 0..NF {
                let l = lv[f] as usize;
                if l == 0 {
                    continue;
                }
                lm += m[f][l].max(1e-9).ln();
                lu += random_u[f][l].max(1e-9).ln();
            }
            let a = lambda.ln() + lm;
            let b = (1.0 - lambda).ln() + lu;
            let g = 1.0 / (1.0 + (b - a).exp());
            let c = *cnt as f64;
            tot_g += g * c;
            tot += c;
            for f in 0..NF {
                let l = lv[f] as usize;
                if l != 0 {
                    acc_m[f][l] += g * c;
                }
            }
        }
        lambda = (tot_g / tot.max(1.0)).clamp(1e-4, 0.9);
        for f in 0..NF {
            let s: f64 = acc_m[f].iter().sum();
            for l in 1..NL {
                let p0 = prior
                    .m
                    .get(f)
                    .and_then(|v| v.get(l))
                    .copied()
                    .unwrap_or(0.0);
                m[f][l] = ((acc_m[f][l] + alpha * p0) / (s + alpha)).clamp(1e-5, 0.9999);
            }
        }
    }
    let mut out = prior.clone();
    for f in 0..NF {
        for l in 1..NL {
            if let Some(x) = out.m.get_mut(f).and_then(|v| v.get_mut(l)) {
                *x = m[f][l];
            }
            if let Some(x) = out.u.get_mut(f).and_then(|v| v.get_mut(l)) {
                // blend the random-pair u with the prior (sparse levels)
                *x = (random_u[f][l] * 0.7 + *x * 0.3).clamp(1e-9, 1.0);
            }
        }
    }
    out
}

/// m re-estimated from confident pairs: per field, the level distribution over the
/// conflict-free pairs whose other fields alone score at least `min_rest`, with the
/// prior m as `alpha` pseudo-counts. u is left as it is.
fn adapt_m<'a>(
    kept: impl IntoIterator<Item = &'a (u64, Cmp)>,
    wt: &WeightTable,
    prior: &Weights,
    min_rest: f64,
    alpha: f64,
) -> Weights {
    let mut counts = [[0.0f64; NL]; NF];
    for (_, c) in kept {
        if c.conflicts != 0 {
            continue;
        }
        let w = compare::field_weights(c, wt);
        let total: f64 = w.iter().sum();
        for f in 0..NF {
            let l = c.levels[f] as usize;
            if l != 0 && total - w[f] >= min_rest {
                counts[f][l] += 1.0;
            }
        }
    }
    let mut out = prior.clone();
    for f in 0..NF {
        let n: f64 = counts[f].iter().sum();
        let Some(m) = out.m.get_mut(f) else { continue };
        let prior_sum: f64 = m.iter().skip(1).sum();
        if prior_sum <= 0.0 {
            continue;
        }
        for l in 1..m.len().min(NL) {
            let p0 = m[l] / prior_sum;
            m[l] = ((counts[f][l] + alpha * p0) / (n + alpha)).clamp(1e-6, 1.0);
        }
    }
    out
}

fn random_u(preps: &[Prep], rules: &Rules, prior: &Weights) -> [[f64; NL]; NF] {
    random_u_with(preps, prior, 1, |a, b| compare::compare(a, b, rules).levels)
}

/// u from up to 200,000 random pairs (counter-based sampling, so the result does not
/// depend on `threads`), with the prior as 1,000 pseudo-comparisons.
fn random_u_with(
    preps: &[Prep],
    prior: &Weights,
    threads: usize,
    levels: impl Fn(&Prep, &Prep) -> [u8; NF] + Sync,
) -> [[f64; NL]; NF] {
    let n = preps.len() as u64;
    let samples = 200_000u64.min(n * n / 2) as usize;
    let parts: Vec<[[u32; NL]; NF]> = par_chunks(samples, threads, |r| {
        let mut counts = [[0u32; NL]; NF];
        for k in r {
            let s =
                mix(0x5eed_u64.wrapping_add((k as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
            let i = (s % n) as usize;
            let j = ((s >> 32) % n) as usize;
            if i == j {
                continue;
            }
            let lv = levels(&preps[i], &preps[j]);
            for f in 0..NF {
                counts[f][lv[f] as usize] += 1;
            }
        }
        vec![counts]
    });
    let mut counts = [[0.0f64; NL]; NF];
    for part in &parts {
        for f in 0..NF {
            for l in 0..NL {
                counts[f][l] += f64::from(part[f][l]);
            }
        }
    }
    let mut u = [[0.0f64; NL]; NF];
    for f in 0..NF {
        let tot: f64 = counts[f][1..].iter().sum();
        for l in 1..NL {
            let p0 = prior
                .u
                .get(f)
                .and_then(|v| v.get(l))
                .copied()
                .unwrap_or(0.0);
            // prior pseudo-count of 1000 comparisons
            u[f][l] = (counts[f][l] + 1000.0 * p0) / (tot + 1000.0);
        }
    }
    u
}

struct Dsu {
    parent: Vec<u32>,
    members: Vec<Vec<u32>>,
}

impl Dsu {
    fn new(n: usize) -> Self {
        Dsu {
            parent: (0..n as u32).collect(),
            members: (0..n as u32).map(|i| vec![i]).collect(),
        }
    }
    fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = p;
        }
        x
    }
    fn union(&mut self, a: u32, b: u32) {
        let (big, small) = if self.members[a as usize].len() >= self.members[b as usize].len() {
            (a, b)
        } else {
            (b, a)
        };
        self.parent[small as usize] = big;
        let moved = std::mem::take(&mut self.members[small as usize]);
        self.members[big as usize].extend(moved);
    }
}

/// Records prepared for [`link_prepared`] one at a time, so that a caller can stream its
/// input (a CSV of a million records) without holding every [`LinkRecord`]: only the
/// normalised comparison data and the record id are kept.
#[derive(Debug, Default)]
pub struct BatchInput {
    preps: Vec<Prep>,
    ids: Vec<Box<str>>,
    /// Records not prepared yet (prepared a chunk at a time on `threads` threads).
    pending: Vec<Pending>,
    threads: usize,
    /// With more than one thread: the workers preparing chunks while the caller reads on.
    workers: Option<Workers>,
}

/// Records per chunk prepared together by [`BatchInput`].
const PREPARE_CHUNK: usize = 8192;

/// A record to prepare: given whole, or made on the thread that prepares it (its strings
/// are then allocated and freed by that thread: no allocation crosses threads). Not boxed:
/// the chunk's list is allocated once at its full size, a box would cost an allocation
/// per record.
#[allow(clippy::large_enum_variant)]
enum Pending {
    Record(LinkRecord),
    Later(Box<dyn FnOnce() -> LinkRecord + Send>),
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Pending::Record(r) => f.debug_tuple("Record").field(&r.record_id).finish(),
            Pending::Later(_) => f.write_str("Later"),
        }
    }
}

impl Pending {
    fn prepare(self) -> Prep {
        match self {
            Pending::Record(r) => compare::prepare(&r),
            Pending::Later(make) => compare::prepare(&make()),
        }
    }
}

/// A chunk to prepare: its number, its records and an empty list for the prepared ones.
type Chunk = (usize, Vec<Pending>, Vec<Prep>);

/// A prepared chunk: its number, the prepared records and its emptied list of records.
type Prepared = (usize, Vec<Prep>, Vec<Pending>);

/// One scoring thread's kept pairs (pair, comparison) and EM pattern counts.
type ScoredPart = (Vec<(u64, Cmp)>, Vec<(u64, u64)>);

/// Worker threads preparing numbered chunks of records; the prepared chunks are appended
/// in their order, whichever worker finishes first (the result does not depend on the
/// number of workers). Each worker keeps its token cache for the whole input, so records
/// share the data of their name tokens across chunks.
struct Workers {
    jobs: Option<std::sync::mpsc::Sender<Chunk>>,
    done: std::sync::mpsc::Receiver<Prepared>,
    handles: Vec<std::thread::JoinHandle<()>>,
    /// Chunks sent, and the number of the next chunk to append.
    sent: usize,
    next: usize,
    /// Chunks prepared ahead of `next`.
    ready: std::collections::BTreeMap<usize, Vec<Prep>>,
    /// Emptied lists, used again for the next chunks (fresh large lists cost page faults
    /// and page clearing each time).
    spare_records: Vec<Vec<Pending>>,
    spare_preps: Vec<Vec<Prep>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("threads", &self.handles.len())
            .field("sent", &self.sent)
            .field("next", &self.next)
            .finish()
    }
}

impl Workers {
    fn start(threads: usize) -> Workers {
        let (jobs, job_rx) = std::sync::mpsc::channel::<Chunk>();
        let (done_tx, done) = std::sync::mpsc::channel();
        let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
        let handles = (0..threads)
            .map(|_| {
                let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
                std::thread::spawn(move || {
                    loop {
                        let job = match job_rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok((n, mut records, mut preps)) = job else {
                            return;
                        };
                        preps.reserve(records.len());
                        preps.extend(records.drain(..).map(Pending::prepare));
                        if done_tx.send((n, preps, records)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Workers {
            jobs: Some(jobs),
            done,
            handles,
            sent: 0,
            next: 0,
            ready: Default::default(),
            spare_records: Vec::new(),
            spare_preps: Vec::new(),
        }
    }

    /// Appends to `out` the prepared chunks that are next in order; waits while more
    /// than `ahead` chunks are still being prepared.
    fn collect(&mut self, out: &mut Vec<Prep>, ahead: usize) {
        loop {
            while let Some(mut p) = self.ready.remove(&self.next) {
                out.append(&mut p);
                self.spare_preps.push(p);
                self.next += 1;
            }
            let waiting = self.sent - self.next > ahead;
            let got = if waiting {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            match got {
                Some((n, p, records)) => {
                    self.ready.insert(n, p);
                    self.spare_records.push(records);
                }
                // nothing ready (or every worker gone)
                None => return,
            }
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
    }
}

impl BatchInput {
    /// Empty input (records prepared on two threads).
    pub fn new() -> Self {
        Self::with_threads(2)
    }

    /// Empty input whose records are prepared on `threads` threads (the result does not
    /// depend on it).
    pub fn with_threads(threads: usize) -> Self {
        BatchInput {
            threads: threads.max(1),
            ..Self::default()
        }
    }

    /// Append one record (its index is the number of records before it).
    pub fn push(&mut self, record: LinkRecord) {
        self.ids.push(record.record_id.as_str().into());
        self.pending.push(Pending::Record(record));
        self.after_push();
    }

    /// Append one record made by `make` on the thread that prepares it (a caller that
    /// reads on one thread can leave the building of the record's strings to the
    /// preparing threads). `record_id` is the record's id: `make` must return the record
    /// with that id.
    pub fn push_with(
        &mut self,
        record_id: &str,
        make: impl FnOnce() -> LinkRecord + Send + 'static,
    ) {
        self.ids.push(record_id.into());
        self.pending.push(Pending::Later(Box::new(make)));
        self.after_push();
    }

    fn after_push(&mut self) {
        if self.pending.len() >= PREPARE_CHUNK {
            self.flush();
        }
    }

    /// Sends the pending records to be prepared (on this thread with one thread).
    fn flush(&mut self) {
        if self.threads <= 1 {
            let mut pending = std::mem::take(&mut self.pending);
            self.preps.extend(pending.drain(..).map(Pending::prepare));
            self.pending = pending;
            return;
        }
        let threads = self.threads;
        let w = self.workers.get_or_insert_with(|| Workers::start(threads));
        // the next chunk's list: an emptied one, else one made at its full size (no
        // growing: each large allocation makes the allocator consolidate the small
        // blocks freed meanwhile)
        let next = w
            .spare_records
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(PREPARE_CHUNK));
        let pending = std::mem::replace(&mut self.pending, next);
        if !pending.is_empty()
            && let Some(jobs) = &w.jobs
            && jobs
                .send((w.sent, pending, w.spare_preps.pop().unwrap_or_default()))
                .is_ok()
        {
            w.sent += 1;
        }
        // a few chunks may be read ahead of the workers (bounded memory)
        w.collect(&mut self.preps, 2 * threads);
    }

    /// Every record prepared; the workers are stopped.
    fn finish(&mut self) {
        self.flush();
        if let Some(mut w) = self.workers.take() {
            w.jobs = None;
            w.collect(&mut self.preps, 0);
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// No records.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Record id of record `i`.
    pub fn record_id(&self, i: usize) -> &str {
        &self.ids[i]
    }
}

/// The records prepared for comparison on `threads` threads, in order.
fn prepare_all(records: &[LinkRecord], threads: usize) -> Vec<Prep> {
    par_chunks(records.len(), threads, |r| {
        records[r].iter().map(compare::prepare).collect()
    })
}

/// Cluster a whole set deterministically.
pub fn link_batch(records: &[LinkRecord], config: &LinkConfig) -> BatchResult {
    link_batch_with(records, config, &Constraints::default())
}

/// [`link_batch`] with reviewer constraints over record ids.
pub fn link_batch_with(
    records: &[LinkRecord],
    config: &LinkConfig,
    constraints: &Constraints,
) -> BatchResult {
    let preps = prepare_all(records, config.threads);
    let ids = records
        .iter()
        .map(|r| r.record_id.as_str().into())
        .collect();
    let mut input = BatchInput {
        preps,
        ids,
        pending: Vec::new(),
        threads: config.threads,
        workers: None,
    };
    link_prepared(&mut input, config, constraints)
}

/// [`link_batch_with`] over records given to [`BatchInput::push`] (same result as
/// [`link_batch_with`] on the same records in the same order). The prepared records are
/// consumed; the record ids stay readable through `input`.
pub fn link_prepared(
    input: &mut BatchInput,
    config: &LinkConfig,
    constraints: &Constraints,
) -> BatchResult {
    input.finish();
    let mut preps = std::mem::take(&mut input.preps);
    let ids = &input.ids;
    let n = preps.len();
    let t0 = std::time::Instant::now();
    let mut timings: Vec<(String, u64)> = Vec::new();
    let lap = |name: &str, timings: &mut Vec<(String, u64)>| {
        timings.push((name.to_string(), t0.elapsed().as_millis() as u64));
    };
    let threads = config.threads;
    let rules = Rules {
        twin: config.twin_rule,
        state_id: config.state_id_rule && !config.batch_soft_state_id,
    };
    let mut weights = config.weights.clone();
    let wt0 = WeightTable::with_cap(&weights, config.family_cap);
    set_batch_tf(&mut preps, config, &wt0);

    lap("prepare", &mut timings);
    let cands = candidate_pairs(&preps, config);
    lap("blocking", &mut timings);
    // Pairs are kept on their prior-weight score; the re-estimated weights can raise a
    // score by several bits (a field whose disagreement is common in this data), so
    // the bar leaves room for that when re-estimation is on.
    let slack = if config.adapt_margin > 0.0 || config.estimate_weights {
        12.0
    } else {
        2.0
    };
    let keep_bar = config.review_threshold.min(config.batch_threshold) - slack;
    // score with prior weights; collect EM patterns
    // each thread's kept pairs stay in their own list (no copy into one list)
    let parts: Vec<ScoredPart> = par_chunks(cands.len(), threads, |r| {
        let mut out = Vec::new();
        let mut pats: HashMap<u64, u64> = HashMap::new();
        for &pr in &cands[r] {
            let (a, b) = ((pr >> 32) as usize, (pr & 0xffff_ffff) as usize);
            let c = if config.estimate_weights {
                // EM counts the patterns of every candidate pair
                compare::compare(&preps[a], &preps[b], &rules)
            } else {
                // pairs that cannot reach the bar are never fully compared
                match compare::compare_above(&preps[a], &preps[b], &rules, &wt0, keep_bar) {
                    Some(c) => c,
                    None => continue,
                }
            };
            if config.estimate_weights {
                *pats.entry(pattern(&c.levels)).or_insert(0) += 1;
            }
            if compare::score(&c, &wt0) >= keep_bar {
                out.push((pr, c));
            }
        }
        out.shrink_to_fit();
        let mut pv: Vec<(u64, u64)> = pats.into_iter().collect();
        pv.sort_unstable();
        vec![(out, pv)]
    });
    let mut patterns: HashMap<u64, u64> = HashMap::new();
    let mut kept: Vec<Vec<(u64, Cmp)>> = Vec::with_capacity(parts.len());
    for (part, pv) in parts {
        for (p, c) in pv {
            *patterns.entry(p).or_insert(0) += c;
        }
        kept.push(part);
    }
    if config.estimate_weights && !patterns.is_empty() {
        let mut pv: Vec<(u64, u64)> = patterns.into_iter().collect();
        pv.sort_unstable();
        let ru = random_u(&preps, &rules, &weights);
        weights = estimate(&pv, &ru, &weights);
    }
    if config.adapt_margin > 0.0 {
        // How often birth dates, addresses and postcodes agree by chance depends on how
        // spread the population is (children over 18 years or adults over a century, one
        // town or a state): their u comes from random pairs of this input. Names have
        // term frequencies; the family fields keep their priors.
        let ru = random_u_with(&preps, &weights, threads, compare::spread_levels);
        for f in [field::DOB, field::ADDRESS, field::POSTAL] {
            if let Some(u) = weights.u.get_mut(f) {
                for (l, x) in u.iter_mut().enumerate().skip(1).take(NL - 1) {
                    *x = ru[f][l].clamp(1e-9, 1.0);
                }
            }
        }
        let wt1 = WeightTable::with_cap(&weights, config.family_cap);
        weights = adapt_m(
            kept.iter().flatten(),
            &wt1,
            &weights,
            config.batch_threshold + config.adapt_margin,
            config.adapt_prior,
        );
    }
    let wt = WeightTable::with_cap(&weights, config.family_cap);
    lap("scoring", &mut timings);

    let mut stats = BatchStats {
        records: n,
        candidate_pairs: cands.len(),
        kept_pairs: kept.iter().map(Vec::len).sum(),
        ..Default::default()
    };
    drop(cands);

    let mut edges: Vec<(f64, u32, u32)> = kept
        .iter()
        .flatten()
        .filter(|(_, c)| c.conflicts == 0)
        .map(|(pr, c)| {
            (
                compare::score(c, &wt),
                (pr >> 32) as u32,
                (pr & 0xffff_ffff) as u32,
            )
        })
        .filter(|(s, _, _)| *s >= config.batch_threshold)
        .collect();
    edges.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));

    // reviewer constraints (the id map only when there are any)
    let mut id_ix: HashMap<&str, Vec<u32>> = HashMap::new();
    if !constraints.not_same.is_empty() || !constraints.same.is_empty() {
        for (i, id) in ids.iter().enumerate() {
            id_ix.entry(&**id).or_default().push(i as u32);
        }
    }
    let mut not_same: BTreeSet<(u32, u32)> = BTreeSet::new();
    for (a, b) in &constraints.not_same {
        for &x in id_ix.get(a.as_str()).map_or(&[][..], |v| v.as_slice()) {
            for &y in id_ix.get(b.as_str()).map_or(&[][..], |v| v.as_slice()) {
                not_same.insert((x.min(y), x.max(y)));
            }
        }
    }
    let mut dsu = Dsu::new(n);
    for (a, b) in &constraints.same {
        if let (Some(x), Some(y)) = (
            id_ix.get(a.as_str()).and_then(|v| v.first()),
            id_ix.get(b.as_str()).and_then(|v| v.first()),
        ) {
            let (rx, ry) = (dsu.find(*x), dsu.find(*y));
            if rx != ry {
                dsu.union(rx, ry);
            }
        }
    }

    for (s, a, b) in edges {
        let (ra, rb) = (dsu.find(a), dsu.find(b));
        if ra == rb {
            continue;
        }
        let (ma, mb) = (&dsu.members[ra as usize], &dsu.members[rb as usize]);
        let mut ok = true;
        let mut weak = false;
        if ma.len() == 1 && mb.len() == 1 {
            ok = !not_same.contains(&(a.min(b), a.max(b)));
        } else {
            let mut total = 0.0;
            let mut cnt = 0.0;
            let (mut below, mut strong) = (0.0, 0.0);
            'outer: for &x in ma {
                for &y in mb {
                    if not_same.contains(&(x.min(y), x.max(y))) {
                        ok = false;
                        break 'outer;
                    }
                    let c = if (x, y) == (a, b) || (y, x) == (a, b) {
                        None
                    } else {
                        Some(compare::compare(
                            &preps[x as usize],
                            &preps[y as usize],
                            &rules,
                        ))
                    };
                    match c {
                        Some(c) => {
                            if c.conflicts != 0 {
                                ok = false;
                                break 'outer;
                            }
                            let sc = compare::score(&c, &wt);
                            if sc < config.batch_min_cross {
                                below += 1.0;
                            }
                            if sc >= config.batch_threshold {
                                strong += 1.0;
                            }
                            total += sc;
                        }
                        None => {
                            total += s;
                            strong += 1.0;
                        }
                    }
                    cnt += 1.0;
                }
            }
            // A weak cross pair (one badly corrupted record, or a chain through
            // a look-alike) refuses the merge unless most cross pairs are strong
            // links on their own.
            if ok && below > 0.0 && (below > 1.0 || cnt < 4.0 || strong * 2.0 <= cnt) {
                ok = false;
                weak = true;
            }
            if ok && cnt > 0.0 && total / cnt < config.batch_min_avg {
                ok = false;
                weak = true;
            }
        }
        if ok {
            dsu.union(ra, rb);
            stats.merges += 1;
        } else if weak {
            stats.merges_refused_weak += 1;
        } else {
            stats.merges_refused_conflict += 1;
        }
    }

    lap("clustering", &mut timings);
    stats.timings_ms = timings;
    // cluster numbers in order of first appearance, by root
    let mut label: Vec<usize> = vec![usize::MAX; n];
    let mut clusters = Vec::with_capacity(n);
    let mut next = 0;
    for i in 0..n as u32 {
        let r = dsu.find(i) as usize;
        if label[r] == usize::MAX {
            label[r] = next;
            next += 1;
        }
        clusters.push(label[r]);
    }
    stats.clusters = next;

    let pairs = if config.explain_pairs {
        kept.iter()
            .flatten()
            .map(|(pr, c)| ScoredPair {
                a: (pr >> 32) as usize,
                b: (pr & 0xffff_ffff) as usize,
                score: (compare::score(c, &wt) * 100.0).round() / 100.0,
                conflicts: crate::conflict_names(c.conflicts),
            })
            .filter(|p| p.score >= config.review_threshold)
            .collect()
    } else {
        Vec::new()
    };
    BatchResult {
        clusters,
        pairs,
        weights,
        stats,
    }
}

/// Explain the comparison of two records (no term-frequency adjustment).
pub fn explain_pair(a: &LinkRecord, b: &LinkRecord, config: &LinkConfig) -> CandidateExplanation {
    let rules = Rules {
        twin: config.twin_rule,
        state_id: config.state_id_rule,
    };
    let wt = WeightTable::with_cap(&config.weights, config.family_cap);
    let c = compare::compare(&compare::prepare(a), &compare::prepare(b), &rules);
    explain_cmp(&c, &wt, "", &b.record_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::level;

    fn cmp(given: u8, sur: u8, dob: u8) -> Cmp {
        let mut levels = [0u8; NF];
        levels[field::GIVEN] = given;
        levels[field::SURNAME] = sur;
        levels[field::DOB] = dob;
        Cmp {
            levels,
            tf_given: 0.0,
            tf_sur: 0.0,
            conflicts: 0,
        }
    }

    #[test]
    fn merge_into_is_the_sorted_union() {
        let mut seed = 7u64;
        for round in 0..200 {
            let mut list = |n: usize, range: u64| {
                let mut v: Vec<u64> = (0..n)
                    .map(|_| {
                        seed = mix(seed.wrapping_add(1));
                        seed % range
                    })
                    .collect();
                v.sort_unstable();
                v.dedup();
                v
            };
            let (na, nb) = (round % 17, (round * 7) % 23);
            let (mut a, b) = (list(na, 40), list(nb, 40));
            let want: BTreeSet<u64> = a.iter().chain(b.iter()).copied().collect();
            merge_into(&mut a, &b);
            assert_eq!(a, want.into_iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn adapt_m_learns_from_confident_pairs_only() {
        let prior = Weights::default();
        let wt = WeightTable::with_cap(&prior, 16.0);
        let mut kept = Vec::new();
        // 300 confident pairs (names exact: ~17 bits without the birth date), a third
        // of them with a different birth date
        for i in 0..300u64 {
            let dob = if i % 3 == 0 {
                level::D_DIFF
            } else {
                level::D_EXACT
            };
            kept.push((i, cmp(level::G_EXACT, level::S_EXACT, dob)));
        }
        // weak pairs (siblings: different given name) never count, whatever their dates
        for i in 0..300u64 {
            kept.push((1000 + i, cmp(level::G_DIFF, level::S_EXACT, level::D_DIFF)));
        }
        let m_diff = |w: &Weights| w.m[field::DOB][level::D_DIFF as usize];
        let est = adapt_m(&kept, &wt, &prior, 16.0, 100.0);
        // 100 of 300 confident pairs differ on the birth date, with 100 prior pseudo-counts
        assert!(m_diff(&est) > 0.2 && m_diff(&est) < 0.3, "{}", m_diff(&est));
        // a higher bar: the names alone (~17 bits) are no longer confident, nothing changes
        let est = adapt_m(&kept, &wt, &prior, 30.0, 100.0);
        assert!((m_diff(&est) - m_diff(&prior)).abs() < 1e-3);
        // u is never changed
        assert_eq!(est.u, prior.u);
    }

    #[test]
    fn random_pair_u_follows_the_spread_of_birth_dates() {
        // 3,000 people born over a century: two of them share a birth date far less
        // often than two children of one school-age population (the prior)
        let recs: Vec<LinkRecord> = (0..3000u32)
            .map(|i| LinkRecord {
                record_id: i.to_string(),
                first_name: Some(format!("n{i}")),
                birth_date: {
                    // distinct days of the century
                    let d = (i * 7919) % 36_500;
                    let doy = d % 365;
                    Some(format!(
                        "{}-{:02}-{:02}",
                        1900 + d / 365,
                        1 + (doy / 31).min(11),
                        1 + doy % 28
                    ))
                },
                ..Default::default()
            })
            .collect();
        let preps: Vec<Prep> = recs.iter().map(compare::prepare).collect();
        let rules = Rules {
            twin: true,
            state_id: true,
        };
        let prior = Weights::default();
        let u = random_u(&preps, &rules, &prior);
        let exact = level::D_EXACT as usize;
        assert!(u[field::DOB][exact] < prior.u[field::DOB][exact] / 3.0);
    }
}
