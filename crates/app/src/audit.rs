//! The audit trail as use cases: record a disclosure, search the log, verify the hash chain.

use puente_domain::roles::Capability;
use puente_store::{AuditEvent, AuditFilter, GENESIS_HASH, NewAuditEvent, audit_hash};

use crate::authz::Actor;
use crate::{App, Result};

/// The audit log viewer's query, as typed.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// An e-mail address or an account id.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<chrono::NaiveDate>,
    /// Inclusive.
    pub until: Option<chrono::NaiveDate>,
    pub msix_id: Option<String>,
    /// Most events returned (0: the store's default).
    pub limit: i64,
}

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

    /// Searches the log (capability `ViewAudit`). A state-scoped administrator sees the
    /// events of their state's accounts only.
    pub async fn audit_search(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>> {
        actor.require(Capability::ViewAudit)?;
        let mut f = filter.clone();
        if let Some(own) = actor.state() {
            f.actor_state = Some(own.to_ascii_uppercase());
        }
        Ok(self.store.audit_search(&f).await?)
    }

    /// The audit filter of a viewer query: the actor may be given as an e-mail address
    /// (resolved to the account id) or an id; dates are whole days (UTC), `until` included.
    pub async fn audit_filter(&self, q: &AuditQuery) -> Result<AuditFilter> {
        let actor = match q.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
            Some(a) if a.contains('@') => Some(
                self.store
                    .user_by_email(a)
                    .await?
                    .map_or_else(|| a.to_lowercase(), |u| u.id),
            ),
            Some(a) => Some(a.to_owned()),
            None => None,
        };
        let day = |d: Option<chrono::NaiveDate>| {
            d.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
        };
        Ok(AuditFilter {
            actor,
            action: q
                .action
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            from: day(q.from),
            until: day(q.until.and_then(|d| d.succ_opt())),
            child_msix_id: q
                .msix_id
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned),
            actor_state: None,
            limit: q.limit,
        })
    }

    /// Exports the matching events as CSV (capability `ViewAudit`). The export itself is
    /// audited (`audit.export`, with the filters used and the number of rows) before the file
    /// is returned. Cells that a spreadsheet would read as a formula are neutralised.
    pub async fn audit_export_csv(&self, actor: &Actor, q: &AuditQuery) -> Result<String> {
        let filter = self.audit_filter(q).await?;
        let events = self
            .audit_search(
                actor,
                &AuditFilter {
                    limit: 100_000,
                    ..filter.clone()
                },
            )
            .await?;
        let used: Vec<&str> = [
            ("actor", filter.actor.is_some()),
            ("action", filter.action.is_some()),
            ("from", filter.from.is_some()),
            ("until", filter.until.is_some()),
            ("msix_id", filter.child_msix_id.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(k, _)| k)
        .collect();
        let details = serde_json::json!({ "filters": used, "rows": events.len() }).to_string();
        self.audit(actor, "audit.export", Some(&details)).await?;
        let mut out = crate::submit::csv_line(&[
            "seq",
            "at",
            "actor",
            "action",
            "msix_id",
            "purpose",
            "source_ip",
            "details",
            "hash",
        ]);
        for e in &events {
            let seq = e.seq.map(|s| s.to_string()).unwrap_or_default();
            let at = e.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            let cells = [
                seq,
                at,
                crate::submit::neutralise(&e.actor),
                crate::submit::neutralise(&e.action),
                crate::submit::neutralise(e.child_msix_id.as_deref().unwrap_or("")),
                crate::submit::neutralise(e.purpose.as_deref().unwrap_or("")),
                crate::submit::neutralise(e.source_ip.as_deref().unwrap_or("")),
                crate::submit::neutralise(e.details.as_deref().unwrap_or("")),
                e.hash.clone(),
            ];
            let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
            out.push_str(&crate::submit::csv_line(&refs));
        }
        Ok(out)
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
