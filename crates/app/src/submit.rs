//! Submission of a state file: one code path for the command line, the API and the portal.
//!
//! Pass 1 reads the whole file without keeping it (format, encoding, header, control totals,
//! content hash): a file that fails here is rejected whole and nothing is written. Pass 2 streams
//! the students again: each is validated; good ones are linked and written in batches (each batch
//! one transaction, so no student is ever half-written); bad ones are listed with every issue.
//! The same file sent again (same state and content hash) is recognised: a completed one is not
//! processed twice; an interrupted one is processed again, and because records are upserted by
//! state + state student ID nothing is duplicated.

use std::path::Path;

use puente_domain::codes::{ActionCode, CodeSet, StateCode};
use puente_domain::validate::{Issue, Rule, Severity};
use puente_domain::{RawStudent, StudentRecord, ValidationContext};
use puente_interchange::{FileError, Limits, LineError};
use puente_store::{NewSubmission, ResultRow, SubmissionCounts, SubmissionRow};
use serde::Serialize;

use crate::ingest::RecordOutcome;
use crate::{App, AppError, Result};

/// Students written per transaction.
const BATCH: usize = 500;

/// How the file arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Cli,
    Api,
    Portal,
}

impl Channel {
    fn code(&self) -> &'static str {
        match self {
            Channel::Cli => "cli",
            Channel::Api => "api",
            Channel::Portal => "portal",
        }
    }
}

/// What happened to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Processed: every good student was written, bad ones are in the report.
    Completed,
    /// This exact file was processed before; nothing was written again.
    AlreadyReceived,
    /// The file was rejected whole; nothing was written.
    Rejected,
}

/// One row of the submission report.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    pub student_record_id: String,
    pub state_student_id: String,
    pub status: String,
    pub msix_id: Option<String>,
    pub issues: Vec<Issue>,
}

/// The submission report returned to the state.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionReport {
    pub outcome: Outcome,
    pub submission: SubmissionRow,
    pub rows: Vec<ReportRow>,
}

impl SubmissionReport {
    /// The report as CSV: one line per issue (and one per accepted student with its MSIX ID).
    pub fn to_csv(&self) -> String {
        let mut w = csv_line(&[
            "student_record_id",
            "state_student_id",
            "status",
            "msix_id",
            "element",
            "value",
            "rule",
            "severity",
            "message",
        ]);
        for r in &self.rows {
            let base = [
                r.student_record_id.as_str(),
                r.state_student_id.as_str(),
                r.status.as_str(),
                r.msix_id.as_deref().unwrap_or(""),
            ];
            if r.issues.is_empty() {
                w.push_str(&csv_line(&[
                    base[0], base[1], base[2], base[3], "", "", "", "", "",
                ]));
            }
            for i in &r.issues {
                let sev = match i.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                };
                w.push_str(&csv_line(&[
                    base[0],
                    base[1],
                    base[2],
                    base[3],
                    &i.element,
                    &neutralise(&i.value),
                    i.rule.as_str(),
                    sev,
                    &i.message,
                ]));
            }
        }
        w
    }
}

/// Spreadsheet formula injection: a cell starting with = + - @ (or a control character) is
/// prefixed with an apostrophe.
pub(crate) fn neutralise(v: &str) -> String {
    match v.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{v}"),
        _ => v.to_string(),
    }
}

pub(crate) fn csv_line(fields: &[&str]) -> String {
    let mut out = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if f.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&f.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(f);
        }
    }
    out.push_str("\r\n");
    out
}

fn line_issue(e: &LineError) -> Issue {
    Issue {
        path: format!("line {}", e.line),
        element: "Student Record".into(),
        value: String::new(),
        rule: Rule::Format,
        severity: Severity::Error,
        message: e.reason.clone(),
    }
}

fn ownership_issue(raw: &RawStudent, state: StateCode) -> Issue {
    Issue {
        path: "reporting_state".into(),
        element: "Reporting State Code".into(),
        value: raw.reporting_state.clone(),
        rule: Rule::Ownership,
        severity: Severity::Error,
        message: format!(
            "Reporting State Code: this file is submitted by {}; a state can insert, update and delete only its own records",
            state.code()
        ),
    }
}

fn file_error_text(e: &FileError) -> String {
    e.to_string()
}

impl App {
    /// Submits a file for `state`. Returns the report; `Outcome::Rejected` carries the reason in
    /// `submission.error`. Errors are infrastructure failures (the database), never bad data.
    pub async fn submit_file(
        &self,
        state: StateCode,
        channel: Channel,
        path: &Path,
        file_name: Option<String>,
    ) -> Result<SubmissionReport> {
        self.submit_file_with_progress(state, channel, path, file_name, &|_, _| {})
            .await
    }

    /// [`App::submit_file`], calling `progress(students done, students in the file)` as the
    /// students are processed (for a progress bar).
    pub async fn submit_file_with_progress(
        &self,
        state: StateCode,
        channel: Channel,
        path: &Path,
        file_name: Option<String>,
        progress: &(dyn Fn(u64, u64) + Send + Sync),
    ) -> Result<SubmissionReport> {
        let now = self.clock.now();
        let name = file_name
            .clone()
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().to_string()));
        // Pass 1: structure, header, control totals, hash.
        let p = path.to_path_buf();
        let hint = name.clone();
        let summary = tokio::task::spawn_blocking(
            move || -> std::result::Result<puente_interchange::FileSummary, FileError> {
                let file =
                    std::fs::File::open(&p).map_err(|e| FileError::Io(e.kind().to_string()))?;
                puente_interchange::read_file_detect(
                    std::io::BufReader::new(file),
                    hint.as_deref(),
                    &Limits::default(),
                    |_| {},
                )
            },
        )
        .await
        .map_err(|_| AppError::Invalid("the file could not be read".into()))?;
        let summary = match summary {
            Ok(s) => s,
            Err(e) => {
                return self
                    .reject(state, channel, name.as_deref(), path, &file_error_text(&e))
                    .await;
            }
        };
        if !summary
            .header
            .submitting_state
            .eq_ignore_ascii_case(state.code())
        {
            let reason = format!(
                "the header's Submitting State is '{}' but the file was submitted for {}",
                summary.header.submitting_state,
                state.code()
            );
            return self
                .reject(state, channel, name.as_deref(), path, &reason)
                .await;
        }
        let submission_id = match self
            .store
            .submission_by_hash(state.code(), &summary.sha256)
            .await?
        {
            Some(prev) if prev.status == "processing" => {
                self.store.restart_submission(&prev.id).await?;
                prev.id
            }
            Some(prev) => {
                let rows = self.report_rows(&prev.id).await?;
                return Ok(SubmissionReport {
                    outcome: Outcome::AlreadyReceived,
                    submission: prev,
                    rows,
                });
            }
            None => {
                self.store
                    .begin_submission(&NewSubmission {
                        state: state.code(),
                        channel: channel.code(),
                        file_name: name.as_deref(),
                        hash: &summary.sha256,
                        format: summary.format.name(),
                        encoding: summary.encoding,
                        at: now,
                    })
                    .await?
            }
        };

        // Pass 2: stream, validate, link and write.
        let (tx, mut rx) =
            tokio::sync::mpsc::channel::<std::result::Result<RawStudent, LineError>>(1024);
        let p = path.to_path_buf();
        let format = summary.format;
        let reader = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&p).map_err(|e| FileError::Io(e.kind().to_string()))?;
            puente_interchange::read_file(
                std::io::BufReader::new(file),
                format,
                &Limits::default(),
                |item| {
                    let _ = tx.blocking_send(item);
                },
            )
        });
        let ctx = ValidationContext::new(self.clock.today());
        let mut seq: i64 = 0;
        let mut batch: Vec<(i64, StudentRecord)> = Vec::with_capacity(BATCH);
        let mut results: Vec<ResultRow> = Vec::new();
        let (mut accepted, mut rejected) = (0i64, 0i64);
        let total = summary.students;
        while let Some(item) = rx.recv().await {
            seq += 1;
            if seq % 100 == 0 {
                progress(seq as u64, total);
            }
            match item {
                Err(e) => {
                    rejected += 1;
                    results.push(result_row(
                        seq,
                        &e.student_record_id,
                        "",
                        "rejected",
                        None,
                        &[line_issue(&e)],
                    ));
                }
                Ok(raw) => {
                    let (rec, mut issues) = StudentRecord::validate(&raw, &ctx);
                    let owned = StateCode::parse(&raw.reporting_state).is_none_or(|s| s == state);
                    if !owned {
                        issues.insert(0, ownership_issue(&raw, state));
                    }
                    match rec {
                        Some(rec) if owned => {
                            results.push(result_row(
                                seq,
                                &raw.student_record_id,
                                &raw.state_student_id,
                                "pending",
                                None,
                                &issues,
                            ));
                            batch.push((seq, rec));
                        }
                        _ => {
                            rejected += 1;
                            results.push(result_row(
                                seq,
                                &raw.student_record_id,
                                &raw.state_student_id,
                                "rejected",
                                None,
                                &issues,
                            ));
                        }
                    }
                }
            }
            if batch.len() >= BATCH {
                accepted += self
                    .write_batch(&submission_id, &mut batch, &mut results)
                    .await?;
            }
        }
        accepted += self
            .write_batch(&submission_id, &mut batch, &mut results)
            .await?;
        let rejected =
            rejected + results.iter().filter(|r| r.status == "rejected").count() as i64 - rejected;
        self.store.write_results(&submission_id, &results).await?;
        // A read error in pass 2 would mean the file changed under us.
        if let Ok(Err(e)) = reader.await {
            let reason = file_error_text(&e);
            self.store
                .finish_submission(
                    &submission_id,
                    "rejected",
                    SubmissionCounts {
                        total: seq,
                        accepted,
                        rejected,
                    },
                    Some(&reason),
                    self.clock.now(),
                )
                .await?;
        } else {
            self.store
                .finish_submission(
                    &submission_id,
                    "completed",
                    SubmissionCounts {
                        total: seq,
                        accepted,
                        rejected,
                    },
                    None,
                    self.clock.now(),
                )
                .await?;
        }
        let submission = self
            .store
            .submission(&submission_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let rows = self.report_rows(&submission_id).await?;
        Ok(SubmissionReport {
            outcome: if submission.status == "completed" {
                Outcome::Completed
            } else {
                Outcome::Rejected
            },
            submission,
            rows,
        })
    }

    /// Ingests a batch and fills in the results of its students. Returns how many were accepted.
    async fn write_batch(
        &self,
        submission_id: &str,
        batch: &mut Vec<(i64, StudentRecord)>,
        results: &mut [ResultRow],
    ) -> Result<i64> {
        if batch.is_empty() {
            return Ok(0);
        }
        let seqs: Vec<i64> = batch.iter().map(|(s, _)| *s).collect();
        let records: Vec<StudentRecord> = batch.drain(..).map(|(_, r)| r).collect();
        let outcomes = self
            .ingest(records, Some(submission_id.to_string()))
            .await?;
        let mut accepted = 0;
        for (seq, outcome) in seqs.into_iter().zip(outcomes) {
            let Some(row) = results.iter_mut().rev().find(|r| r.seq == seq) else {
                continue;
            };
            match outcome {
                RecordOutcome::Written(w) => {
                    row.status = "accepted".into();
                    row.msix_id = Some(w.msix_id.to_string());
                    accepted += 1;
                }
                RecordOutcome::Deleted { found: true } => {
                    row.status = "deleted".into();
                    accepted += 1;
                }
                RecordOutcome::Deleted { found: false } => {
                    row.status = "rejected".into();
                    let issue = Issue {
                        path: "action_code".into(),
                        element: "Action Code".into(),
                        value: ActionCode::Delete.code().into(),
                        rule: Rule::Ownership,
                        severity: Severity::Error,
                        message: "Action Code: there is no record of this state with this State Student Identifier to delete".into(),
                    };
                    row.issues = serde_json::to_string(&[issue]).unwrap_or_else(|_| "[]".into());
                }
            }
        }
        Ok(accepted)
    }

    async fn reject(
        &self,
        state: StateCode,
        channel: Channel,
        name: Option<&str>,
        path: &Path,
        reason: &str,
    ) -> Result<SubmissionReport> {
        let now = self.clock.now();
        let bytes = tokio::fs::read(path).await.unwrap_or_default();
        let hash = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(&bytes))
        };
        let id = match self.store.submission_by_hash(state.code(), &hash).await? {
            Some(prev) => prev.id,
            None => {
                self.store
                    .begin_submission(&NewSubmission {
                        state: state.code(),
                        channel: channel.code(),
                        file_name: name,
                        hash: &hash,
                        format: "",
                        encoding: "",
                        at: now,
                    })
                    .await?
            }
        };
        self.store
            .finish_submission(
                &id,
                "rejected",
                SubmissionCounts::default(),
                Some(reason),
                now,
            )
            .await?;
        let submission = self
            .store
            .submission(&id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(SubmissionReport {
            outcome: Outcome::Rejected,
            submission,
            rows: Vec::new(),
        })
    }

    /// The report rows of a submission.
    pub async fn report_rows(&self, submission_id: &str) -> Result<Vec<ReportRow>> {
        Ok(self
            .store
            .submission_results(submission_id)
            .await?
            .into_iter()
            .map(|r| ReportRow {
                issues: serde_json::from_str(&r.issues).unwrap_or_default(),
                student_record_id: r.student_record_id,
                state_student_id: r.state_student_id,
                status: r.status,
                msix_id: r.msix_id,
            })
            .collect())
    }
}

fn result_row(
    seq: i64,
    record_id: &str,
    ssid: &str,
    status: &str,
    msix: Option<String>,
    issues: &[Issue],
) -> ResultRow {
    ResultRow {
        seq,
        student_record_id: record_id.to_string(),
        state_student_id: ssid.to_string(),
        status: status.to_string(),
        msix_id: msix,
        issues: serde_json::to_string(issues).unwrap_or_else(|_| "[]".into()),
    }
}

impl App {
    /// [`App::submit_file`] for an actor: the actor needs `SubmitRecords` in `state`.
    pub async fn submit_as(
        &self,
        actor: &crate::Actor,
        state: StateCode,
        channel: Channel,
        path: &Path,
        file_name: Option<String>,
    ) -> Result<SubmissionReport> {
        actor.require_in_state(
            puente_domain::roles::Capability::SubmitRecords,
            state.code(),
        )?;
        let report = self.submit_file(state, channel, path, file_name).await?;
        let details = format!(
            "{{\"submission\":\"{}\",\"outcome\":\"{:?}\"}}",
            report.submission.id, report.outcome
        );
        self.audit(actor, "submission.receive", Some(&details))
            .await?;
        Ok(report)
    }

    /// A submission's report, for an actor with `SubmitRecords` in the submission's state.
    pub async fn submission_report(
        &self,
        actor: &crate::Actor,
        id: &str,
    ) -> Result<SubmissionReport> {
        actor.require(puente_domain::roles::Capability::SubmitRecords)?;
        let submission = self.store.submission(id).await?.ok_or(AppError::NotFound)?;
        if !actor.covers_state(&submission.state) {
            return Err(AppError::NotFound);
        }
        let rows = self.report_rows(id).await?;
        let outcome = match submission.status.as_str() {
            "rejected" => Outcome::Rejected,
            _ => Outcome::Completed,
        };
        Ok(SubmissionReport {
            outcome,
            submission,
            rows,
        })
    }

    /// Recent submissions of a state.
    pub async fn submissions_of(
        &self,
        actor: &crate::Actor,
        state: StateCode,
    ) -> Result<Vec<SubmissionRow>> {
        actor.require_in_state(
            puente_domain::roles::Capability::SubmitRecords,
            state.code(),
        )?;
        Ok(self.store.submissions_of_state(state.code(), 50).await?)
    }
}
