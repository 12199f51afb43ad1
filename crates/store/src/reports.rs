//! Set-based reads for the reports: the children of a state in pages ordered by child id (a
//! fixed number of queries a page, whatever its size: records, qualifying moves, enrollments,
//! course counts, change-of-residence notices), possible duplicates, and rejected submissions.
//!
//! Every page query starts from the state's records in the page's child-id range (index
//! `state_records (reporting_state, child_id)`) and reaches the child tables through their
//! `state_record_id` index, so a page reads only that state's rows: starting from a child
//! table's child-id range instead reads every state's rows in the range.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::CodeSet;
use puente_domain::childcount::EligibilitySpan;
use puente_domain::quality::{ChildFacts, EnrollmentFacts, ResidenceNoticeFacts};
use serde::Serialize;
use sqlx::Row;

use crate::{Backend, Result, Store, read_pool, write_pool};

/// One child of a state with the facts of every live record of that state.
#[derive(Debug, Clone)]
pub struct ReportChild {
    pub child_id: String,
    pub msix_id: String,
    pub facts: ChildFacts,
}

/// A student rejected at submission.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RejectedRow {
    pub submission_id: String,
    pub received_at: DateTime<Utc>,
    pub student_record_id: String,
    pub state_student_id: String,
    /// The validation issues (JSON array of `puente_domain::validate::Issue`).
    pub issues: String,
}

const PAGE_CHILDREN: &str = "SELECT DISTINCT child_id FROM state_records WHERE reporting_state = $1 AND deleted = FALSE AND child_id > $2 ORDER BY child_id LIMIT $3";

const PAGE_RECORDS: &str = "SELECT r.child_id, c.msix_id, r.state_student_id, r.birth_date, r.sex, r.birth_date_verification, r.birth_country, \
 r.parent1_first_name, r.parent1_last_name FROM state_records r JOIN children c ON c.id = r.child_id \
 WHERE r.reporting_state = $1 AND r.deleted = FALSE AND {r} ORDER BY r.child_id, r.received_at, r.id";

const PAGE_MOVES: &str = "SELECT r.child_id, m.qualifying_arrival_date, m.eligibility_expiration_date FROM state_records r \
 JOIN qualifying_moves m ON m.state_record_id = r.id \
 WHERE r.reporting_state = $1 AND r.deleted = FALSE AND {r}";

const PAGE_ENROLLMENTS: &str = "SELECT e.child_id, e.enrollment_date, e.withdrawal_date, e.enrollment_type, e.mep_project_type, e.grade_level, \
 e.school_or_project_name, e.school_id, e.district_id, e.facility_state, e.residency_date, e.lep, e.idea, e.med_alert, e.immunization_record, \
 e.designated_graduation_school, e.graduation_hse, e.graduation_hse_date, e.out_of_state_transcript, e.algebra1, r.received_at, e.withdrawal_received_at, e.pfs \
 FROM state_records r JOIN enrollments e ON e.state_record_id = r.id \
 WHERE r.reporting_state = $1 AND r.deleted = FALSE AND {r}";

const PAGE_COURSES: &str = "SELECT r.child_id, COUNT(*) FROM state_records r JOIN courses k ON k.state_record_id = r.id \
 WHERE r.reporting_state = $1 AND r.deleted = FALSE AND {r} GROUP BY r.child_id";

/// Change-of-residence notices sent to the state, with the state's latest update of the child.
const PAGE_RESIDENCE_NOTICES: &str = "SELECT n.child_id, n.created_at, (SELECT MAX(r.updated_at) FROM state_records r \
 WHERE r.child_id = n.child_id AND r.reporting_state = $1 AND r.deleted = FALSE) \
 FROM notices n WHERE n.kind = 'change_of_residence' AND n.to_state = $1 AND {n}";

/// Children of a state sharing folded first name, folded first last name and birth date with
/// another child of that state.
const DUPLICATES: &str = "SELECT DISTINCT r.child_id FROM ( \
   SELECT first_name_norm, last_name_1_norm, birth_date FROM state_records \
   WHERE reporting_state = $1 AND deleted = FALSE AND birth_date IS NOT NULL \
   GROUP BY first_name_norm, last_name_1_norm, birth_date HAVING MIN(child_id) <> MAX(child_id)) g \
 CROSS JOIN state_records r WHERE r.reporting_state = $1 AND r.deleted = FALSE \
 AND r.first_name_norm = g.first_name_norm AND r.last_name_1_norm = g.last_name_1_norm AND r.birth_date = g.birth_date";

/// The states with a live record, by walking the (reporting_state, ...) index from one state to
/// the next (a DISTINCT over the table reads every record: seconds at a million children).
const REPORT_STATES: &str = "WITH RECURSIVE s(st) AS ( \
   SELECT MIN(reporting_state) FROM state_records \
   UNION ALL \
   SELECT (SELECT MIN(reporting_state) FROM state_records WHERE reporting_state > s.st) FROM s WHERE s.st IS NOT NULL) \
 SELECT st FROM s WHERE st IS NOT NULL \
   AND EXISTS (SELECT 1 FROM state_records r WHERE r.reporting_state = s.st AND r.deleted = FALSE) ORDER BY st";

const REJECTED: &str = "SELECT s.id, s.received_at, x.student_record_id, x.state_student_id, x.issues FROM submission_results x \
 JOIN submissions s ON s.id = x.submission_id WHERE s.state = $1 AND x.status = 'rejected' ORDER BY s.received_at, s.id, x.seq";

/// Which children of a state a report read loads: a child-id range `(after, last]`, or the
/// children of a JSON list.
#[derive(Clone, Copy)]
enum Which<'a> {
    Range(&'a str, &'a str),
    Ids(&'a str),
}

impl Which<'_> {
    /// The condition on `alias.child_id` (parameters `$2`, and `$3` for a range).
    fn condition(&self, backend: Backend, alias: &str) -> String {
        match self {
            Which::Range(..) => format!("{alias}.child_id > $2 AND {alias}.child_id <= $3"),
            Which::Ids(_) => crate::report_cache::in_list(backend, &format!("{alias}.child_id"), 2),
        }
    }
}

fn code<T: CodeSet>(v: Option<String>) -> Option<T> {
    v.as_deref().and_then(T::parse)
}

impl Store {
    /// The next page of a state's children after `after_child` (`""` for the first page), at
    /// most `limit` children, ordered by child id.
    pub async fn report_children_page(
        &self,
        state: &str,
        after_child: &str,
        limit: i64,
    ) -> Result<Vec<ReportChild>> {
        let last: Option<String> = read_pool!(self, p => {
            let ids = sqlx::query(PAGE_CHILDREN).bind(state).bind(after_child).bind(limit).fetch_all(p).await?;
            ids.last().map(|r| r.try_get(0)).transpose()?
        });
        let Some(last) = last else {
            return Ok(Vec::new());
        };
        self.report_children_where(state, Which::Range(after_child, &last))
            .await
    }

    /// The children of a state among `ids` that have a live record there (child id order).
    pub async fn report_children_by_ids(
        &self,
        state: &str,
        ids: &[String],
    ) -> Result<Vec<ReportChild>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let mut out = self.report_children_where(state, Which::Ids(&list)).await?;
        out.sort_by(|a, b| a.child_id.cmp(&b.child_id));
        Ok(out)
    }

    async fn report_children_where(
        &self,
        state: &str,
        which: Which<'_>,
    ) -> Result<Vec<ReportChild>> {
        let b = self.backend();
        let sql = |base: &str| -> String {
            base.replace("{r}", &which.condition(b, "r"))
                .replace("{n}", &which.condition(b, "n"))
        };
        let (records, moves, enrollments, courses, notices) = (
            sql(PAGE_RECORDS),
            sql(PAGE_MOVES),
            sql(PAGE_ENROLLMENTS),
            sql(PAGE_COURSES),
            sql(PAGE_RESIDENCE_NOTICES),
        );
        macro_rules! q {
            ($sql:expr) => {{
                let q = sqlx::query(sqlx::AssertSqlSafe($sql.clone())).bind(state);
                match which {
                    Which::Range(after, last) => q.bind(after).bind(last),
                    Which::Ids(list) => q.bind(list),
                }
            }};
        }
        read_pool!(self, p => {
            let mut out: Vec<ReportChild> = Vec::new();
            let mut index: BTreeMap<String, usize> = BTreeMap::new();
            for r in q!(records).fetch_all(p).await? {
                let child_id: String = r.try_get(0)?;
                let i = match index.get(&child_id) {
                    Some(&i) => i,
                    None => {
                        index.insert(child_id.clone(), out.len());
                        out.push(ReportChild { child_id, msix_id: r.try_get(1)?, facts: ChildFacts::default() });
                        out.len() - 1
                    }
                };
                let f = &mut out[i].facts;
                f.state_student_ids.push(r.try_get(2)?);
                // Several records of the state: the first with a value wins (oldest record first).
                let birth: Option<NaiveDate> = r.try_get(3)?;
                f.birth_date = f.birth_date.or(birth);
                let sex: Option<String> = r.try_get(4)?;
                f.sex = f.sex.take().or(sex);
                let v: Option<String> = r.try_get(5)?;
                f.birth_date_verification = f.birth_date_verification.take().or(v);
                let v: Option<String> = r.try_get(6)?;
                f.birth_country = f.birth_country.take().or(v);
                let v: Option<String> = r.try_get(7)?;
                f.parent1_first_name = f.parent1_first_name.take().or(v);
                let v: Option<String> = r.try_get(8)?;
                f.parent1_last_name = f.parent1_last_name.take().or(v);
            }
            for r in q!(moves).fetch_all(p).await? {
                let child_id: String = r.try_get(0)?;
                if let Some(&i) = index.get(&child_id) {
                    out[i].facts.moves.push(EligibilitySpan {
                        qualifying_arrival_date: r.try_get(1)?,
                        eligibility_expiration_date: r.try_get(2)?,
                    });
                }
            }
            for r in q!(enrollments).fetch_all(p).await? {
                let child_id: String = r.try_get(0)?;
                let Some(&i) = index.get(&child_id) else { continue };
                let received: DateTime<Utc> = r.try_get(20)?;
                out[i].facts.enrollments.push(EnrollmentFacts {
                    enrollment_date: r.try_get(1)?,
                    withdrawal_date: r.try_get(2)?,
                    enrollment_type: code(r.try_get(3)?),
                    mep_project_type: code(r.try_get(4)?),
                    grade_level: code(r.try_get(5)?),
                    school_or_project_name: r.try_get(6)?,
                    school_id: r.try_get(7)?,
                    district_id: r.try_get(8)?,
                    facility_state: r.try_get(9)?,
                    residency_date: r.try_get(10)?,
                    lep: r.try_get(11)?,
                    idea: r.try_get(12)?,
                    med_alert: r.try_get(13)?,
                    immunization_record: r.try_get(14)?,
                    designated_graduation_school: r.try_get(15)?,
                    graduation_hse: r.try_get(16)?,
                    graduation_hse_date: r.try_get(17)?,
                    out_of_state_transcript: r.try_get(18)?,
                    algebra1: r.try_get(19)?,
                    received_on: Some(received.date_naive()),
                    withdrawal_received_on: r.try_get::<Option<DateTime<Utc>>, _>(21)?.map(|t| t.date_naive()),
                    pfs: r.try_get(22)?,
                });
            }
            for r in q!(courses).fetch_all(p).await? {
                let child_id: String = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                if let Some(&i) = index.get(&child_id) {
                    out[i].facts.courses = u32::try_from(n).unwrap_or(u32::MAX);
                }
            }
            for r in q!(notices).fetch_all(p).await? {
                let child_id: String = r.try_get(0)?;
                let Some(&i) = index.get(&child_id) else { continue };
                let sent: DateTime<Utc> = r.try_get(1)?;
                let updated: Option<DateTime<Utc>> = r.try_get(2)?;
                out[i].facts.residence_notices.push(ResidenceNoticeFacts {
                    sent_on: sent.date_naive(),
                    updated_on: updated.filter(|u| *u > sent).map(|u| u.date_naive()),
                });
            }
            for c in &mut out {
                c.facts.residence_notices.sort_by_key(|n| n.sent_on);
                c.facts.moves.sort_by_key(|m| m.qualifying_arrival_date);
                c.facts.enrollments.sort_by_key(|e| e.enrollment_date);
            }
            Ok(out)
        })
    }

    /// Child ids of a state that look like another child of the same state (same folded first
    /// name, folded first last name and birth date): possible duplicates not yet merged, by a
    /// scan of the live records. Reports read the kept set instead
    /// ([`Store::report_duplicate_children`]); tests hold the two equal.
    pub async fn possible_duplicate_children(&self, state: &str) -> Result<BTreeSet<String>> {
        read_pool!(self, p => {
            let mut out = BTreeSet::new();
            for r in sqlx::query(DUPLICATES).bind(state).fetch_all(p).await? {
                out.insert(r.try_get(0)?);
            }
            Ok(out)
        })
    }

    /// The states with at least one live record.
    pub async fn report_states(&self) -> Result<Vec<String>> {
        read_pool!(self, p => {
            let mut out = Vec::new();
            for r in sqlx::query(REPORT_STATES).fetch_all(p).await? {
                out.push(r.try_get(0)?);
            }
            Ok(out)
        })
    }

    /// Students of a state rejected at submission, and the number of files rejected whole.
    pub async fn rejected_submissions(&self, state: &str) -> Result<(Vec<RejectedRow>, i64)> {
        read_pool!(self, p => {
            let mut rows = Vec::new();
            for r in sqlx::query(REJECTED).bind(state).fetch_all(p).await? {
                rows.push(RejectedRow {
                    submission_id: r.try_get(0)?,
                    received_at: r.try_get(1)?,
                    student_record_id: r.try_get(2)?,
                    state_student_id: r.try_get(3)?,
                    issues: r.try_get(4)?,
                });
            }
            let files: i64 = sqlx::query("SELECT COUNT(*) FROM submissions WHERE state = $1 AND status = 'rejected'")
                .bind(state).fetch_one(p).await?.try_get(0)?;
            Ok((rows, files))
        })
    }

    /// Keeps a state's data-quality figures of a day (replacing that day's earlier figures).
    pub async fn put_quality_snapshot(&self, state: &str, s: &QualitySnapshot) -> Result<()> {
        write_pool!(self, p => sqlx::query(
            "INSERT INTO report_quality_history (state, day, children, children_with_findings, by_code) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (state, day) DO UPDATE SET \
             children = excluded.children, children_with_findings = excluded.children_with_findings, \
             by_code = excluded.by_code")
            .bind(state).bind(s.day).bind(s.children).bind(s.children_with_findings).bind(&s.by_code)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// A state's kept data-quality figures from `since` on, oldest first.
    pub async fn quality_snapshots(
        &self,
        state: &str,
        since: NaiveDate,
    ) -> Result<Vec<QualitySnapshot>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT day, children, children_with_findings, by_code FROM report_quality_history \
                 WHERE state = $1 AND day >= $2 ORDER BY day")
                .bind(state).bind(since).fetch_all(p).await?;
            rows.iter().map(|r| Ok(QualitySnapshot {
                day: r.try_get(0)?,
                children: r.try_get(1)?,
                children_with_findings: r.try_get(2)?,
                by_code: r.try_get(3)?,
            })).collect()
        })
    }

    /// The states whose rows of report kind `kind` are kept (`report_marks`) and whose
    /// data-quality figures of `day` are not: one query, whatever the number of states.
    pub async fn quality_snapshots_due(&self, kind: &str, day: NaiveDate) -> Result<Vec<String>> {
        read_pool!(self, p => {
            let rows = sqlx::query("SELECT m.state FROM report_marks m WHERE m.kind = $1 AND NOT EXISTS \
                (SELECT 1 FROM report_quality_history h WHERE h.state = m.state AND h.day = $2) ORDER BY m.state")
                .bind(kind).bind(day).fetch_all(p).await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>(0)?)).collect()
        })
    }
}

/// A state's data-quality figures on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualitySnapshot {
    pub day: NaiveDate,
    pub children: i64,
    pub children_with_findings: i64,
    /// Children per finding code, as a JSON object.
    pub by_code: String,
}
