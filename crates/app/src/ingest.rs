//! Ingest of validated records: decide which child each record belongs to, then write it.
//!
//! A record is attached to the child its state already holds under the same state student ID;
//! otherwise the linkage index decides (until the full engine is wired in: same folded first name,
//! first surname and birth date); otherwise it starts a new child.

use std::collections::HashMap;

use puente_domain::StudentRecord;
use puente_domain::codes::ActionCode;
use puente_domain::normalize::fold;
use puente_store::{RecordWrite, Store, WriteOutcome, new_id};

use crate::{App, Result};

/// In-memory index from a record's linkage key to its child.
#[derive(Debug, Default)]
pub struct LinkIndex {
    by_key: HashMap<String, String>,
}

fn key_of(rec: &StudentRecord) -> Option<String> {
    let d = &rec.demographics;
    let dob = d.birth_date?;
    Some(format!(
        "{}|{}|{}",
        fold(&d.first_name),
        fold(&d.last_name_1),
        dob
    ))
}

impl LinkIndex {
    pub(crate) async fn load(store: &Store) -> Result<Self> {
        let mut idx = LinkIndex::default();
        for r in store.link_rows().await? {
            if let Some(dob) = r.birth_date {
                let k = format!("{}|{}|{}", fold(&r.first_name), fold(&r.last_name_1), dob);
                idx.by_key.entry(k).or_insert(r.child_id);
            }
        }
        Ok(idx)
    }

    fn decide(&self, rec: &StudentRecord) -> Option<String> {
        key_of(rec).and_then(|k| self.by_key.get(&k).cloned())
    }

    fn add(&mut self, rec: &StudentRecord, child_id: &str) {
        if let Some(k) = key_of(rec) {
            self.by_key.entry(k).or_insert_with(|| child_id.to_string());
        }
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
        let mut linker = self.linker.lock().await;
        let mut writes = Vec::with_capacity(records.len());
        let mut slots = Vec::with_capacity(records.len());
        let mut deletes = Vec::new();
        for (i, rec) in records.into_iter().enumerate() {
            if rec.action == ActionCode::Delete {
                deletes.push((i, rec));
                continue;
            }
            let child_id = match self
                .store
                .find_state_record(rec.reporting_state, &rec.state_student_id)
                .await?
            {
                Some((_, child_id, _)) => child_id,
                None => linker.decide(&rec).unwrap_or_else(new_id),
            };
            linker.add(&rec, &child_id);
            slots.push(i);
            writes.push(RecordWrite {
                record: rec,
                child_id,
                submission_id: submission_id.clone(),
                received_at: now,
            });
        }
        let outcomes = self.store.write_records(&writes).await?;
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
