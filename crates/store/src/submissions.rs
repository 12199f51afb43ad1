//! Submissions: one row per file received, and one result row per student in it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{Result, Store, new_id, read_pool, write_pool};

/// A submission as stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SubmissionRow {
    pub id: String,
    pub state: String,
    pub channel: String,
    pub file_name: Option<String>,
    pub content_hash: String,
    pub format: Option<String>,
    pub encoding: Option<String>,
    /// processing | completed | rejected
    pub status: String,
    pub students_total: Option<i64>,
    pub accepted: Option<i64>,
    pub rejected: Option<i64>,
    pub error: Option<String>,
    pub received_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A file being received.
#[derive(Debug, Clone)]
pub struct NewSubmission<'a> {
    pub state: &'a str,
    pub channel: &'a str,
    pub file_name: Option<&'a str>,
    pub hash: &'a str,
    pub format: &'a str,
    pub encoding: &'a str,
    pub at: DateTime<Utc>,
}

/// Students in a file, accepted and rejected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubmissionCounts {
    pub total: i64,
    pub accepted: i64,
    pub rejected: i64,
}

/// One student's outcome.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResultRow {
    pub seq: i64,
    pub student_record_id: String,
    pub state_student_id: String,
    /// accepted | rejected | deleted
    pub status: String,
    pub msix_id: Option<String>,
    /// JSON array of issues.
    pub issues: String,
}

macro_rules! select_submissions {
    ($tail:literal) => {
        concat!(
            "SELECT id, state, channel, file_name, content_hash, format, encoding, status, students_total, accepted, rejected, error, received_at, completed_at FROM submissions ",
            $tail
        )
    };
}
const BY_HASH: &str = select_submissions!("WHERE state = $1 AND content_hash = $2");
const BY_ID: &str = select_submissions!("WHERE id = $1");
const OF_STATE: &str =
    select_submissions!("WHERE state = $1 ORDER BY received_at DESC, id DESC LIMIT $2");

macro_rules! submission_from_row {
    ($r:expr) => {{
        let r = $r;
        SubmissionRow {
            id: r.try_get(0)?,
            state: r.try_get(1)?,
            channel: r.try_get(2)?,
            file_name: r.try_get(3)?,
            content_hash: r.try_get(4)?,
            format: r.try_get(5)?,
            encoding: r.try_get(6)?,
            status: r.try_get(7)?,
            students_total: r.try_get(8)?,
            accepted: r.try_get(9)?,
            rejected: r.try_get(10)?,
            error: r.try_get(11)?,
            received_at: r.try_get(12)?,
            completed_at: r.try_get(13)?,
        }
    }};
}

impl Store {
    /// The submission of this exact file (state + content hash), if one was received before.
    pub async fn submission_by_hash(
        &self,
        state: &str,
        hash: &str,
    ) -> Result<Option<SubmissionRow>> {
        read_pool!(self, p => {
            match sqlx::query(BY_HASH).bind(state).bind(hash).fetch_optional(p).await? {
                Some(r) => Ok(Some(submission_from_row!(r))),
                None => Ok(None),
            }
        })
    }

    pub async fn submission(&self, id: &str) -> Result<Option<SubmissionRow>> {
        read_pool!(self, p => {
            match sqlx::query(BY_ID).bind(id).fetch_optional(p).await? {
                Some(r) => Ok(Some(submission_from_row!(r))),
                None => Ok(None),
            }
        })
    }

    /// Submissions of a state, newest first.
    pub async fn submissions_of_state(
        &self,
        state: &str,
        limit: i64,
    ) -> Result<Vec<SubmissionRow>> {
        read_pool!(self, p => {
            let rows = sqlx::query(OF_STATE).bind(state).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(submission_from_row!(r)); }
            Ok(out)
        })
    }

    /// Records a newly received file (status `processing`) and returns its id. A file already
    /// received (same state and content hash) keeps its row: the caller decides what to do.
    pub async fn begin_submission(&self, n: &NewSubmission<'_>) -> Result<String> {
        let id = new_id();
        write_pool!(self, p => sqlx::query(
            "INSERT INTO submissions (id, state, channel, file_name, content_hash, format, encoding, status, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'processing', $8)")
            .bind(&id).bind(n.state).bind(n.channel).bind(n.file_name).bind(n.hash).bind(n.format).bind(n.encoding).bind(n.at)
            .execute(p).await.map(|_| ()))?;
        Ok(id)
    }

    /// Clears the results of an interrupted run of a submission, before it is processed again.
    pub async fn restart_submission(&self, id: &str) -> Result<()> {
        write_pool!(self, p => sqlx::query("DELETE FROM submission_results WHERE submission_id = $1").bind(id).execute(p).await.map(|_| ()))?;
        write_pool!(self, p => sqlx::query("UPDATE submissions SET status = 'processing', error = NULL, completed_at = NULL WHERE id = $1").bind(id).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Writes per-student results (idempotent: a result already written is replaced).
    pub async fn write_results(&self, submission_id: &str, rows: &[ResultRow]) -> Result<()> {
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            for r in rows {
                sqlx::query(
                    "INSERT INTO submission_results (submission_id, seq, student_record_id, state_student_id, status, msix_id, issues) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (submission_id, seq) DO UPDATE SET status = excluded.status, \
                     msix_id = excluded.msix_id, issues = excluded.issues")
                    .bind(submission_id).bind(r.seq).bind(&r.student_record_id).bind(&r.state_student_id)
                    .bind(&r.status).bind(&r.msix_id).bind(&r.issues)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks a submission finished: `completed` with counts, or `rejected` with the reason.
    pub async fn finish_submission(
        &self,
        id: &str,
        status: &str,
        counts: SubmissionCounts,
        error: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        write_pool!(self, p => sqlx::query(
            "UPDATE submissions SET status = $2, students_total = $3, accepted = $4, rejected = $5, error = $6, completed_at = $7 WHERE id = $1")
            .bind(id).bind(status).bind(counts.total).bind(counts.accepted).bind(counts.rejected).bind(error).bind(at)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// The per-student results of a submission, in file order.
    pub async fn submission_results(&self, id: &str) -> Result<Vec<ResultRow>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT seq, student_record_id, state_student_id, status, msix_id, issues FROM submission_results WHERE submission_id = $1 ORDER BY seq")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ResultRow { seq: r.try_get(0)?, student_record_id: r.try_get(1)?, state_student_id: r.try_get(2)?,
                    status: r.try_get(3)?, msix_id: r.try_get(4)?, issues: r.try_get(5)? });
            }
            Ok(out)
        })
    }
}
