//! Ingest of validated records: decide which child each record belongs to, then write it.
//!
//! A record is attached to the child its state already holds under the same state student ID;
//! otherwise the linkage engine decides against every known child: attach, near match (a new
//! child plus a near-match worklist item pairing the record with the candidate children, with the
//! linkage explanation), or a new child. Reviewer decisions (`link_decisions`) are loaded as
//! linkage constraints.

use puente_domain::StudentRecord;
use puente_domain::codes::{ActionCode, CodeSet};
use puente_linkage::{Decision, LinkConfig, LinkRecord, Linker};
use puente_store::{LinkRow, RecordWrite, Store, WriteOutcome, new_id};

use crate::{App, AppError, Result};

/// The longest one batch's write may take before the database is taken to be unavailable (a
/// batch of a few hundred records takes well under a second in a release build, seconds in a
/// debug build on a loaded machine).
const BATCH_WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The online linkage index over every known child, rebuilt from the store at start-up.
#[derive(Debug)]
pub struct LinkIndex {
    linker: Linker,
}

fn date(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// The linkage view of a typed record.
pub fn link_record(record_id: String, rec: &StudentRecord) -> LinkRecord {
    let d = &rec.demographics;
    LinkRecord {
        record_id,
        reporting_state: Some(rec.reporting_state.code().to_string()),
        state_student_id: Some(rec.state_student_id.clone()),
        first_name: Some(d.first_name.clone()),
        middle_name: d.middle_name.clone(),
        last_name_1: Some(d.last_name_1.clone()),
        last_name_2: d.last_name_2.clone(),
        sex: d.sex.map(|s| s.code().to_string()),
        birth_date: date(d.birth_date),
        birth_city: d.birth_city.clone(),
        birth_state: d.birth_state.clone(),
        birth_country: d.birth_country.clone(),
        parent1_first_name: d.parent1_first_name.clone(),
        parent1_last_name: d.parent1_last_name.clone(),
        parent2_first_name: d.parent2_first_name.clone(),
        parent2_last_name: d.parent2_last_name.clone(),
        multiple_birth: d.multiple_birth,
        address: None,
        postal_code: None,
        alternate_ids: rec.alternate_ids.iter().map(|a| a.id.clone()).collect(),
    }
}

fn link_row(r: LinkRow) -> (String, LinkRecord) {
    let rec = LinkRecord {
        record_id: r.state_record_id,
        reporting_state: Some(r.reporting_state),
        state_student_id: Some(r.state_student_id),
        first_name: Some(r.first_name),
        middle_name: r.middle_name,
        last_name_1: Some(r.last_name_1),
        last_name_2: r.last_name_2,
        sex: r.sex,
        birth_date: date(r.birth_date),
        birth_city: r.birth_city,
        birth_state: r.birth_state,
        birth_country: r.birth_country,
        parent1_first_name: r.parent1_first_name,
        parent1_last_name: r.parent1_last_name,
        parent2_first_name: r.parent2_first_name,
        parent2_last_name: r.parent2_last_name,
        multiple_birth: r.multiple_birth,
        address: None,
        postal_code: None,
        alternate_ids: Vec::new(),
    };
    (r.child_id, rec)
}

impl LinkIndex {
    /// An index of no children.
    pub(crate) fn empty() -> Self {
        LinkIndex {
            linker: Linker::new(LinkConfig::default()),
        }
    }

    /// Children indexed.
    pub(crate) fn num_children(&self) -> usize {
        self.linker.num_children()
    }

    pub(crate) async fn load(store: &Store) -> Result<Self> {
        let mut linker = Linker::new(LinkConfig::default());
        for row in store.link_rows().await? {
            let (child, rec) = link_row(row);
            linker.insert(&child, &rec);
        }
        for d in store.active_link_decisions().await? {
            match (d.kind.as_str(), &d.record_b, &d.child_id) {
                ("same", _, Some(child)) => linker.add_constraint_same(&d.record_a, child),
                ("not_same", b, c) => {
                    for other in b.iter().chain(c.iter()) {
                        linker.add_constraint_not_same(&d.record_a, other);
                    }
                }
                _ => {}
            }
        }
        Ok(LinkIndex { linker })
    }

    /// Attach: `Ok(child)`; near match: `Err(Some((candidates, explanation JSON)))`; new: `Err(None)`.
    #[allow(clippy::type_complexity)]
    fn decide(&self, rec: &LinkRecord) -> Result<String, Option<(Vec<String>, String)>> {
        let m = self.linker.match_record(rec);
        match m.decision {
            Decision::Attach { child_id } => Ok(child_id),
            Decision::NearMatch { candidates } => Err(Some((
                candidates,
                serde_json::to_string(&m.explanation).unwrap_or_else(|_| "null".into()),
            ))),
            Decision::New => Err(None),
        }
    }

    /// Records reviewer not-same decisions between `record` and `others` (records or children).
    pub(crate) fn not_same<'a>(&mut self, record: &str, others: impl Iterator<Item = &'a str>) {
        for o in others {
            self.linker.add_constraint_not_same(record, o);
        }
    }

    fn add(&mut self, child_id: &str, rec: &LinkRecord) {
        self.linker.insert(child_id, rec);
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    Written(WriteOutcome),
    Deleted { found: bool },
}

impl App {
    /// Ingests validated records in one transaction (deletes apply after it). Returns one outcome
    /// per record, in input order.
    pub async fn ingest(
        &self,
        records: Vec<StudentRecord>,
        submission_id: Option<String>,
    ) -> Result<Vec<RecordOutcome>> {
        let now = self.clock.now();
        let mut linker = self.link_index().await?;
        let mut writes = Vec::with_capacity(records.len());
        let mut slots = Vec::with_capacity(records.len());
        let mut deletes = Vec::new();
        let mut near_matches = Vec::new();
        // Records of children known before this batch: candidates for change-of-residence notices.
        let mut known_children = Vec::new();
        for (i, rec) in records.into_iter().enumerate() {
            if rec.action == ActionCode::Delete {
                deletes.push((i, rec));
                continue;
            }
            let lrec = link_record(new_id(), &rec);
            let search_keys = crate::search::record_keys(&rec);
            let (child_id, known) = match self
                .store
                .find_state_record(rec.reporting_state, &rec.state_student_id)
                .await?
            {
                Some((_, child_id, _)) => (child_id, true),
                None => match linker.decide(&lrec) {
                    Ok(child_id) => (child_id, true),
                    Err(near) => {
                        let child_id = new_id();
                        if let Some(near) = near {
                            near_matches.push((writes.len(), near));
                        }
                        (child_id, false)
                    }
                },
            };
            if known {
                known_children.push(writes.len());
            }
            linker.add(&child_id, &lrec);
            slots.push(i);
            writes.push(RecordWrite {
                record: rec,
                child_id,
                search_keys,
                submission_id: submission_id.clone(),
                received_at: now,
            });
        }
        let moved: Vec<(String, &StudentRecord)> = known_children
            .iter()
            .filter_map(|&w| writes.get(w).map(|w| (w.child_id.clone(), &w.record)))
            .collect();
        let residence_changes = self.residence_changes(&moved).await?;
        // The records and what they cause (near-match items, change-of-residence notices and
        // their e-mail) are written together or not at all.
        let writing = async {
            let mut tx = self.store.begin().await?;
            let outcomes = tx.write_records(&writes).await?;
            let items = near_matches
                .into_iter()
                .filter_map(|(w, (candidates, explanation))| {
                    let o = outcomes.get(w)?;
                    Some(crate::worklists::NearMatchNew {
                        child_id: o.child_id.clone(),
                        msix_id: o.msix_id.to_string(),
                        state_record_id: o.state_record_id.clone(),
                        candidates,
                        explanation,
                    })
                })
                .collect();
            self.create_near_match_items(&mut tx, items).await?;
            self.raise_residence_changes(&mut tx, residence_changes)
                .await?;
            tx.commit().await?;
            Ok::<_, AppError>(outcomes)
        };
        // A database that stops answering (a paused server) must not hold the upload forever:
        // the batch is given up (its transaction rolls back) and the upload answers 503.
        let written = match tokio::time::timeout(BATCH_WRITE_TIMEOUT, writing).await {
            Ok(w) => w,
            Err(_) => Err(AppError::Store(puente_store::StoreError::Unavailable(
                "the database did not answer within the batch time limit".into(),
            ))),
        };
        let outcomes = match written {
            Ok(o) => o,
            Err(e) => {
                // The index already holds this batch's records: forget them again.
                if let Ok(fresh) = LinkIndex::load(&self.store).await {
                    *linker = fresh;
                }
                return Err(e);
            }
        };
        let mut out: Vec<Option<RecordOutcome>> = vec![None; slots.len() + deletes.len()];
        for (slot, o) in slots.into_iter().zip(outcomes) {
            out[slot] = Some(RecordOutcome::Written(o));
        }
        for (i, rec) in deletes {
            let found = self
                .store
                .delete_state_record(rec.reporting_state, &rec.state_student_id, now)
                .await?;
            out[i] = Some(RecordOutcome::Deleted { found });
        }
        Ok(out.into_iter().flatten().collect())
    }
}
