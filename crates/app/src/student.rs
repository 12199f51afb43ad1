//! The Consolidated Student Record use cases: search and view, each checked and audited.

use puente_domain::MsixId;
use puente_domain::consolidated::{ConsolidatedRecord, Source, SourcedRecord, consolidate};
use puente_domain::roles::Capability;

use crate::authz::Actor;
use crate::search::{SearchHit, SearchQuery};
use crate::{App, AppError, Result};

/// The answer to a request for a child's record.
#[derive(Debug, Clone)]
pub enum RecordLookup {
    /// The record, after its disclosure was audited.
    Found(Box<ConsolidatedRecord>),
    /// The MSIX ID was merged into another: look there (nothing was disclosed).
    MergedInto(MsixId),
}

impl App {
    /// Searches children for `actor` (capability `SearchStudents`). Every search is audited
    /// with the fields used and the number of results (not the values typed).
    pub async fn search_students(&self, actor: &Actor, q: &SearchQuery) -> Result<Vec<SearchHit>> {
        actor.require(Capability::SearchStudents)?;
        if q.is_empty() {
            return Err(AppError::Invalid("enter at least one search field".into()));
        }
        let hits = self.search(q).await?;
        let fields: Vec<&str> = [
            ("first_name", &q.first_name),
            ("middle_name", &q.middle_name),
            ("last_name", &q.last_name),
            ("birth_date", &q.birth_date),
            ("sex", &q.sex),
            ("state_student_id", &q.state_student_id),
            ("msix_id", &q.msix_id),
            ("parent_name", &q.parent_name),
            ("birth_city", &q.birth_city),
            ("state", &q.state),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, _)| k)
        .collect();
        let details = format!("{{\"fields\":{:?},\"results\":{}}}", fields, hits.len());
        self.audit(actor, "record.search", Some(&details)).await?;
        Ok(hits)
    }

    /// The consolidated record of `msix_id` for `actor` (capability `ViewStudent`), audited with
    /// its purpose before it is returned: if the audit write fails, nothing is returned.
    pub async fn student_record(
        &self,
        actor: &Actor,
        msix_id: &str,
        purpose: &str,
    ) -> Result<RecordLookup> {
        self.student_record_disclosed(
            actor,
            Capability::ViewStudent,
            "record.view",
            msix_id,
            purpose,
        )
        .await
    }

    /// The consolidated record of `msix_id` for printing (capabilities `ViewStudent` and
    /// `PrintStudent`: every role that may view a record may print it), audited as
    /// `record.print` with its purpose before it is returned.
    pub async fn student_record_for_print(
        &self,
        actor: &Actor,
        msix_id: &str,
        purpose: &str,
    ) -> Result<RecordLookup> {
        self.student_record_disclosed(
            actor,
            Capability::PrintStudent,
            "record.print",
            msix_id,
            purpose,
        )
        .await
    }

    /// Loads the record and audits its disclosure as `action`, checking `capability` besides
    /// `ViewStudent` (nothing is audited for a merged ID: the caller is sent to the surviving
    /// one, where the disclosure happens).
    async fn student_record_disclosed(
        &self,
        actor: &Actor,
        capability: Capability,
        action: &str,
        msix_id: &str,
        purpose: &str,
    ) -> Result<RecordLookup> {
        actor.require(Capability::ViewStudent)?;
        actor.require(capability)?;
        let id = MsixId::parse(msix_id).map_err(|e| AppError::Invalid(e.to_string()))?;
        let (child_id, surviving) = self
            .store
            .resolve_msix(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if surviving != id {
            return Ok(RecordLookup::MergedInto(surviving));
        }
        let records: Vec<SourcedRecord> = self
            .store
            .records_of_child(&child_id)
            .await?
            .into_iter()
            .map(|s| SourcedRecord {
                source: Source {
                    state: s.record.reporting_state,
                    state_student_id: s.record.state_student_id.clone(),
                    received_at: s.received_at,
                },
                record: s.record,
            })
            .collect();
        if records.is_empty() {
            return Err(AppError::NotFound);
        }
        let record = consolidate(surviving, records);
        self.record_disclosure(actor, capability, action, &surviving.to_string(), purpose)
            .await?;
        Ok(RecordLookup::Found(Box::new(record)))
    }
}
