//! The audit trail as use cases: record a disclosure, search the log, verify the hash chain.

use puente_domain::roles::Capability;
use puente_store::{AuditEvent, AuditFilter, GENESIS_HASH, NewAuditEvent, audit_hash};

use crate::authz::Actor;
use crate::{App, Result};

/// A break found by [`App::audit_verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditProblem {
    /// The stored hash does not match the event's fields: the event was edited.
    Edited { seq: Option<i64>, id: String },
    /// The event does not point at the previous one: an event before it was deleted, or the
    /// events were reordered.
    BrokenLink { seq: Option<i64>, id: String },
    /// A sequence number is missing or out of order.
    SequenceGap { expected: i64, found: Option<i64> },
    /// The chain head does not match the last event: events at the end were deleted (or added
    /// outside the chain).
    HeadMismatch { head_seq: i64, last_seq: i64 },
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditReport {
    pub events: usize,
    pub problems: Vec<AuditProblem>,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl App {
    /// Records that `actor` was shown the consolidated record of `msix_id` for `purpose`
    /// (FERPA 34 CFR 99.32). Call it **before** sending the record; on `Err` (no capability, or
    /// the audit write failed) do not serve the record.
    pub async fn record_view(&self, actor: &Actor, msix_id: &str, purpose: &str) -> Result<()> {
        self.record_disclosure(
            actor,
            Capability::ViewStudent,
            "record.view",
            msix_id,
            purpose,
        )
        .await
    }

    /// Like [`App::record_view`] for another disclosure (`record.print`, `record.export` ...),
    /// checking `capability`.
    pub async fn record_disclosure(
        &self,
        actor: &Actor,
        capability: Capability,
        action: &str,
        msix_id: &str,
        purpose: &str,
    ) -> Result<()> {
        actor.require(capability)?;
        self.store
            .append_audit(
                &NewAuditEvent {
                    actor: actor.user_id.clone(),
                    action: action.into(),
                    child_msix_id: Some(msix_id.into()),
                    purpose: Some(purpose.into()),
                    source_ip: actor.source_ip.clone(),
                    details: None,
                },
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// Appends an event in its own transaction (for actions without other writes).
    pub async fn audit(&self, actor: &Actor, action: &str, details: Option<&str>) -> Result<()> {
        self.store
            .append_audit(
                &NewAuditEvent {
                    actor: actor.user_id.clone(),
                    action: action.into(),
                    source_ip: actor.source_ip.clone(),
                    details: details.map(str::to_owned),
                    ..Default::default()
                },
                self.clock.now(),
            )
            .await?;
        Ok(())
    }

    /// Searches the log (capability `ViewAudit`).
    pub async fn audit_search(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>> {
        actor.require(Capability::ViewAudit)?;
        Ok(self.store.audit_search(filter).await?)
    }

    /// Walks the whole chain and reports every edited, deleted or reordered event.
    pub async fn audit_verify(&self) -> Result<AuditReport> {
        let events = self.store.audit_chain_events().await?;
        let (head_seq, head_hash) = self.store.audit_head().await?;
        let mut problems = Vec::new();
        let mut prev = GENESIS_HASH.to_owned();
        let mut expected = 1i64;
        for e in &events {
            if e.seq != Some(expected) {
                problems.push(AuditProblem::SequenceGap {
                    expected,
                    found: e.seq,
                });
            }
            if e.prev_hash != prev {
                problems.push(AuditProblem::BrokenLink {
                    seq: e.seq,
                    id: e.id.clone(),
                });
            }
            if audit_hash(&e.prev_hash, e) != e.hash {
                problems.push(AuditProblem::Edited {
                    seq: e.seq,
                    id: e.id.clone(),
                });
            }
            prev = e.hash.clone();
            expected = e.seq.map_or(expected + 1, |s| s.max(expected) + 1);
        }
        let last_seq = events.last().and_then(|e| e.seq).unwrap_or(0);
        if head_seq != last_seq || head_hash != prev {
            problems.push(AuditProblem::HeadMismatch { head_seq, last_seq });
        }
        Ok(AuditReport {
            events: events.len(),
            problems,
        })
    }
}
