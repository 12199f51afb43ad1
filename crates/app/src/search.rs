//! Student search: keys that let accent-free, nickname, phonetic, swapped-surname and
//! swapped day-month queries meet the records they mean; candidates from the store; ranking here.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use puente_domain::{CodeSet, MsixId, StudentRecord};
use puente_linkage::normalize::{name_tokens, nickname_canon, phonetic_folded_token};
use puente_store::ChildSummary;
use serde::{Deserialize, Serialize};

use crate::{App, Result};

/// Most candidates ranked per search.
const CANDIDATES: i64 = 300;
/// Most candidates ranked among the children born on the date searched.
const DATED_CANDIDATES: i64 = 100;
/// Most results returned.
pub const MAX_RESULTS: usize = 50;

/// What a user searches by; every field optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct SearchQuery {
    pub first_name: String,
    pub middle_name: String,
    /// One or both surnames, in any order.
    pub last_name: String,
    /// YYYY-MM-DD or YYYYMMDD.
    pub birth_date: String,
    pub sex: String,
    pub state_student_id: String,
    pub msix_id: String,
    pub parent_name: String,
    pub birth_city: String,
    pub state: String,
}

impl SearchQuery {
    pub fn is_empty(&self) -> bool {
        [
            &self.first_name,
            &self.middle_name,
            &self.last_name,
            &self.birth_date,
            &self.state_student_id,
            &self.msix_id,
            &self.parent_name,
            &self.birth_city,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }
}

/// One ranked result.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub score: i32,
    pub age: Option<i32>,
    pub summary: ChildSummary,
}

impl SearchHit {
    /// A result with its age on `today`.
    fn new(summary: ChildSummary, score: i32, today: NaiveDate) -> Self {
        SearchHit {
            score,
            age: summary
                .birth_date
                .map(|b| puente_domain::policy::age_on(b, today)),
            summary,
        }
    }
}

fn given_keys(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in name_tokens(text) {
        for c in nickname_canon(&t) {
            out.insert(phonetic_folded_token(c));
        }
    }
    out
}

fn surname_keys(text: &str) -> BTreeSet<String> {
    name_tokens(text)
        .iter()
        .map(|t| phonetic_folded_token(t))
        .collect()
}

fn date_key(d: NaiveDate) -> String {
    format!("d:{}", d.format("%Y%m%d"))
}

/// Parses a birth date typed by a person: YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY.
pub fn parse_query_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    puente_domain::validate::parse_date(t).or_else(|| NaiveDate::parse_from_str(t, "%m/%d/%Y").ok())
}

/// The date and its day-month swap, when that is a valid, different date.
fn date_variants(d: NaiveDate) -> Vec<NaiveDate> {
    let mut v = vec![d];
    if let Some(s) = NaiveDate::from_ymd_opt(d.year(), d.day(), d.month())
        && s != d
    {
        v.push(s);
    }
    v
}

/// Keys stored for a record.
pub fn record_keys(rec: &StudentRecord) -> Vec<String> {
    let d = &rec.demographics;
    let mut given = given_keys(&d.first_name);
    if let Some(m) = &d.middle_name {
        given.extend(given_keys(m));
    }
    let mut surnames = surname_keys(&d.last_name_1);
    if let Some(l) = &d.last_name_2 {
        surnames.extend(surname_keys(l));
    }
    let mut keys = BTreeSet::new();
    for g in &given {
        for s in &surnames {
            keys.insert(format!("gs:{g}|{s}"));
        }
    }
    for s in &surnames {
        keys.insert(format!("s:{s}"));
    }
    if let Some(b) = d.birth_date {
        keys.insert(date_key(b));
    }
    keys.insert(format!("id:{}", rec.state_student_id.to_ascii_uppercase()));
    for p in [
        &d.parent1_first_name,
        &d.parent1_last_name,
        &d.parent2_first_name,
        &d.parent2_last_name,
    ]
    .into_iter()
    .flatten()
    {
        for t in surname_keys(p) {
            keys.insert(format!("p:{t}"));
        }
    }
    if let Some(c) = &d.birth_city {
        keys.insert(format!("bc:{}", puente_domain::normalize::fold(c)));
    }
    keys.into_iter().collect()
}

/// Keys a query looks for.
fn query_keys(q: &SearchQuery) -> Vec<String> {
    let mut given = given_keys(&q.first_name);
    given.extend(given_keys(&q.middle_name));
    let surnames = surname_keys(&q.last_name);
    let mut keys = BTreeSet::new();
    for g in &given {
        for s in &surnames {
            keys.insert(format!("gs:{g}|{s}"));
        }
    }
    if given.is_empty() {
        for s in &surnames {
            keys.insert(format!("s:{s}"));
        }
    }
    if let Some(d) = parse_query_date(&q.birth_date) {
        for v in date_variants(d) {
            keys.insert(date_key(v));
        }
    }
    let id = q.state_student_id.trim();
    if !id.is_empty() {
        keys.insert(format!("id:{}", id.to_ascii_uppercase()));
    }
    for t in surname_keys(&q.parent_name) {
        keys.insert(format!("p:{t}"));
    }
    if !q.birth_city.trim().is_empty() {
        keys.insert(format!(
            "bc:{}",
            puente_domain::normalize::fold(&q.birth_city)
        ));
    }
    keys.into_iter().collect()
}

/// Scores a candidate against the query: names (any record's names, surnames in any order,
/// nicknames and phonetic variants), birth date (exact, or day-month swapped), sex, IDs.
fn score(q: &SearchQuery, s: &ChildSummary) -> i32 {
    let mut score = 0;
    let qg = given_keys(&q.first_name);
    let qs = surname_keys(&q.last_name);
    if !qg.is_empty() {
        let best = s
            .names
            .iter()
            .map(|(f, _, _, m)| {
                let mut g = given_keys(f);
                if let Some(m) = m {
                    g.extend(given_keys(m));
                }
                if qg.iter().all(|k| g.contains(k)) {
                    30
                } else if qg.iter().any(|k| g.contains(k)) {
                    15
                } else {
                    -20
                }
            })
            .max()
            .unwrap_or(0);
        score += best;
    }
    if !qs.is_empty() {
        let best = s
            .names
            .iter()
            .map(|(_, l1, l2, _)| {
                let mut sk = surname_keys(l1);
                if let Some(l2) = l2 {
                    sk.extend(surname_keys(l2));
                }
                let hits = qs.iter().filter(|k| sk.contains(*k)).count();
                if hits == qs.len() {
                    30
                } else if hits > 0 {
                    15
                } else {
                    -20
                }
            })
            .max()
            .unwrap_or(0);
        score += best;
    }
    if let Some(d) = parse_query_date(&q.birth_date) {
        let typed = d.format("%Y%m%d").to_string();
        score += if s.birth_dates.contains(&d) {
            40
        } else if date_variants(d).iter().any(|v| s.birth_dates.contains(v)) {
            25
        } else if s.birth_dates.iter().any(|b| {
            puente_linkage::normalize::within_one_edit(&b.format("%Y%m%d").to_string(), &typed)
        }) {
            10
        } else {
            // A birth date that disagrees beyond a swap or a one-digit slip rules the child out.
            return 0;
        };
    }
    if let Some(sex) = puente_domain::codes::Sex::parse(&q.sex) {
        if s.sex.as_deref() == Some(sex.code()) {
            score += 5;
        } else if s.sex.is_some() {
            score -= 10;
        }
    }
    let id = q.state_student_id.trim().to_ascii_uppercase();
    if !id.is_empty()
        && s.state_student_ids
            .iter()
            .any(|x| x.ends_with(&format!(":{id}")))
    {
        score += 50;
    }
    let st = q.state.trim().to_ascii_uppercase();
    if !st.is_empty() {
        score += if s.states.contains(&st) { 10 } else { -10 };
    }
    score
}

impl App {
    /// Scores the candidates' summaries against the query, best first (positive scores only).
    async fn ranked(
        &self,
        q: &SearchQuery,
        candidates: Vec<(String, i64)>,
        today: NaiveDate,
    ) -> Result<Vec<SearchHit>> {
        let ids: Vec<String> = candidates.into_iter().map(|(c, _)| c).collect();
        let mut hits: Vec<SearchHit> = self
            .store
            .child_summaries(&ids)
            .await?
            .into_iter()
            .filter_map(|summary| {
                let score = score(q, &summary);
                (score > 0).then(|| SearchHit::new(summary, score, today))
            })
            .collect();
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| a.summary.msix_id.cmp(&b.summary.msix_id))
        });
        Ok(hits)
    }

    /// Searches children. An MSIX ID (following merges) answers directly; otherwise keys from
    /// the query find candidates, which are ranked here.
    pub async fn search(&self, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        let today = self.clock.today();
        if !q.msix_id.trim().is_empty() {
            let id =
                MsixId::parse(&q.msix_id).map_err(|e| crate::AppError::Invalid(e.to_string()))?;
            let Some((child, _)) = self.store.resolve_msix(id).await? else {
                return Ok(Vec::new());
            };
            let mut found = self.store.child_summaries(&[child]).await?;
            self.store.fill_last_enrollments(&mut found).await?;
            return Ok(found
                .into_iter()
                .map(|s| SearchHit::new(s, 100, today))
                .collect());
        }
        let keys = query_keys(q);
        let mut hits = Vec::new();
        // With a birth date and a name, the children born on that date (or on its day-month
        // swap) are ranked first: a few hundred at a million children, where a common name's
        // keys match tens of thousands. Surnames alone count too, so a twin (same date and
        // surnames, another given name) ranks next to the child sought; children born that day
        // who share no name, ID, parent or birth city with the query are not candidates.
        let date_keys: Vec<String> = keys
            .iter()
            .filter(|k| k.starts_with("d:"))
            .cloned()
            .collect();
        if !date_keys.is_empty() && date_keys.len() < keys.len() {
            // Every child found carries the date: the other keys rank them.
            let mut ranking: BTreeSet<String> = keys
                .iter()
                .filter(|k| !k.starts_with("d:"))
                .cloned()
                .collect();
            ranking.extend(
                surname_keys(&q.last_name)
                    .into_iter()
                    .map(|s| format!("s:{s}")),
            );
            let surnames = ranking.iter().filter(|k| k.starts_with("s:")).count();
            let ranking: Vec<String> = ranking.into_iter().collect();
            let mut candidates = self
                .store
                .search_candidates_among(&ranking, &date_keys, DATED_CANDIDATES)
                .await?;
            // A child who shares fewer keys than every surname typed (a twin shares those) is
            // left out when someone shares more: born that day with one common surname ("s:
            // HERNANDEZ") is not worth a summary read.
            if let Some(best) = candidates.first().map(|c| c.1) {
                let floor = best.min(surnames.max(1) as i64);
                candidates.retain(|c| c.1 >= floor);
            }
            hits = self.ranked(q, candidates, today).await?;
        }
        // Nobody born on that date matches (or no date was given): every key counts.
        if hits.is_empty() {
            let candidates = self.store.search_candidates(&keys, CANDIDATES).await?;
            hits = self.ranked(q, candidates, today).await?;
        }
        hits.truncate(MAX_RESULTS);
        // Only the results shown need their last enrollment.
        let mut shown: Vec<ChildSummary> = hits
            .iter_mut()
            .map(|h| std::mem::take(&mut h.summary))
            .collect();
        self.store.fill_last_enrollments(&mut shown).await?;
        for (h, s) in hits.iter_mut().zip(shown) {
            h.summary = s;
        }
        Ok(hits)
    }
}
