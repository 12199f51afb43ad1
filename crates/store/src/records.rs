//! Writing and reading state records and the consolidated children they belong to.

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::codes::*;
use puente_domain::normalize::fold;
use puente_domain::records::*;
use puente_domain::{MsixId, StateCode};
use rand::Rng;
use sqlx::Row;

use crate::{Result, Store, StoreError, new_id, read_pool, write_pool};

/// One validated record to write, with the linkage decision already taken: the child it belongs
/// to. A child id not yet in the store is created, with a newly allocated MSIX ID.
#[derive(Debug, Clone)]
pub struct RecordWrite {
    pub record: StudentRecord,
    pub child_id: String,
    /// Search keys of the record (computed by the app), replacing any it had.
    pub search_keys: Vec<String>,
    pub submission_id: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// What a write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOutcome {
    pub state_record_id: String,
    pub child_id: String,
    pub msix_id: MsixId,
    pub created_child: bool,
}

/// A stored state record, typed again.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    pub id: String,
    pub child_id: String,
    pub msix_id: MsixId,
    pub submission_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub record: StudentRecord,
}

/// The fields linkage needs, for rebuilding its index.
#[derive(Debug, Clone, Default)]
pub struct LinkRow {
    pub state_record_id: String,
    pub child_id: String,
    pub msix_id: String,
    pub reporting_state: String,
    pub state_student_id: String,
    pub first_name: String,
    pub middle_name: Option<String>,
    pub last_name_1: String,
    pub last_name_2: Option<String>,
    pub sex: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub multiple_birth: Option<bool>,
    pub birth_city: Option<String>,
    pub birth_state: Option<String>,
    pub birth_country: Option<String>,
    pub parent1_first_name: Option<String>,
    pub parent1_last_name: Option<String>,
    pub parent2_first_name: Option<String>,
    pub parent2_last_name: Option<String>,
}

fn opt_fold(s: &Option<String>) -> Option<String> {
    s.as_deref().map(fold)
}

fn code<T: CodeSet>(v: &Option<T>) -> Option<&'static str> {
    v.as_ref().map(|c| c.code())
}

fn random_msix() -> Result<MsixId> {
    let payload = rand::rng().random_range(10_000_000_000u64..=puente_domain::msix::MAX_PAYLOAD);
    MsixId::from_payload(payload).map_err(|_| StoreError::IdSpace)
}

const INSERT_CHILD: &str = "INSERT INTO children (id, msix_id, status, created_at, updated_at) VALUES ($1, $2, 'active', $3, $3) ON CONFLICT (msix_id) DO NOTHING";

const UPSERT_RECORD: &str = "INSERT INTO state_records (id, child_id, msix_id, reporting_state, state_student_id, state_student_id_type, submission_id, student_record_id, \
 first_name, first_name_norm, middle_name, middle_name_norm, last_name_1, last_name_1_norm, last_name_2, last_name_2_norm, suffix, sex, birth_date, multiple_birth, \
 birth_city, birth_state, birth_country, birth_date_verification, parent1_first_name, parent1_first_name_norm, parent1_last_name, parent1_last_name_norm, \
 parent2_first_name, parent2_first_name_norm, parent2_last_name, parent2_last_name_norm, parent1_email, parent2_email, parent1_phone, parent2_phone, deleted, received_at, updated_at) \
 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26,$27,$28,$29,$30,$31,$32,$33,$34,$35,$36,FALSE,$37,$37) \
 ON CONFLICT (reporting_state, state_student_id) DO UPDATE SET child_id = excluded.child_id, msix_id = excluded.msix_id, state_student_id_type = excluded.state_student_id_type, \
 submission_id = excluded.submission_id, student_record_id = excluded.student_record_id, first_name = excluded.first_name, first_name_norm = excluded.first_name_norm, \
 middle_name = excluded.middle_name, middle_name_norm = excluded.middle_name_norm, last_name_1 = excluded.last_name_1, last_name_1_norm = excluded.last_name_1_norm, \
 last_name_2 = excluded.last_name_2, last_name_2_norm = excluded.last_name_2_norm, suffix = excluded.suffix, sex = excluded.sex, birth_date = excluded.birth_date, \
 multiple_birth = excluded.multiple_birth, birth_city = excluded.birth_city, birth_state = excluded.birth_state, birth_country = excluded.birth_country, \
 birth_date_verification = excluded.birth_date_verification, parent1_first_name = excluded.parent1_first_name, parent1_first_name_norm = excluded.parent1_first_name_norm, \
 parent1_last_name = excluded.parent1_last_name, parent1_last_name_norm = excluded.parent1_last_name_norm, parent2_first_name = excluded.parent2_first_name, \
 parent2_first_name_norm = excluded.parent2_first_name_norm, parent2_last_name = excluded.parent2_last_name, parent2_last_name_norm = excluded.parent2_last_name_norm, \
 parent1_email = excluded.parent1_email, parent2_email = excluded.parent2_email, parent1_phone = excluded.parent1_phone, parent2_phone = excluded.parent2_phone, \
 deleted = FALSE, updated_at = excluded.updated_at \
 RETURNING id";

const INSERT_ALT: &str = "INSERT INTO alternate_ids (id, state_record_id, child_id, seq, alternate_student_id, id_type) ";
const INSERT_MOVE: &str = "INSERT INTO qualifying_moves (id, state_record_id, child_id, seq, qualifying_arrival_date, from_city, from_state, from_country, to_city, to_state, eligibility_expiration_date, expiration_defaulted) ";
const INSERT_ENROLLMENT: &str = "INSERT INTO enrollments (id, state_record_id, child_id, seq, enrollment_date, enrollment_type, school_or_project_name, mep_project_type, school_id, facility_name, \
 facility_address_1, facility_address_2, facility_address_3, facility_city, district_id, district_name, facility_state, facility_zip, telephone, grade_level, lep, idea, med_alert, pfs, \
 immunization_record, withdrawal_date, district_of_residence, residency_date, residency_verification_date, designated_graduation_school, graduation_hse, graduation_hse_date, \
 out_of_state_transcript, continuation_reason, algebra1, comment, withdrawal_received_at) ";
const INSERT_COURSE: &str = "INSERT INTO courses (id, state_record_id, child_id, seq, course_title, subject_area, course_type, begin_year, end_year, course_section, term_type, clock_hours, grade_to_date, credits_hundredths, final_grade) ";
const INSERT_ASSESSMENT: &str = "INSERT INTO assessments (id, state_record_id, child_id, seq, title, content, assessment_type, administration_month, reporting_method, score, interpretation) ";
const INSERT_SEARCH_KEYS: &str = "INSERT INTO search_keys (state_record_id, child_id, key) ";

/// Per state record rewritten in a batch: its stored enrollments' (enrollment date, school or
/// project name, withdrawal date, when that withdrawal date first arrived).
type Carried =
    std::collections::HashMap<String, Vec<(NaiveDate, Option<String>, NaiveDate, DateTime<Utc>)>>;

/// When an enrollment's withdrawal date first reached the exchange: kept from the record's
/// previous write when the same enrollment (date and school or project) had the same
/// withdrawal date, else now (`received`); `None` without a withdrawal date.
fn withdrawal_received(
    carried: &Carried,
    record_id: &str,
    e: &puente_domain::records::Enrollment,
    received: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let w = e.withdrawal_date?;
    Some(
        carried
            .get(record_id)
            .and_then(|rows| {
                rows.iter()
                    .find(|(date, school, wd, _)| {
                        *date == e.enrollment_date
                            && *school == e.school_or_project_name
                            && *wd == w
                    })
                    .map(|row| row.3)
            })
            .unwrap_or(received),
    )
}

/// Rows per multi-row statement for a table of `cols` columns: the bound parameters stay well
/// under SQLite's 32,766 (and PostgreSQL's 65,535).
const fn rows_per_statement(cols: usize) -> usize {
    30_000 / cols
}

const CHILD_TABLES: [&str; 6] = [
    "DELETE FROM search_keys WHERE state_record_id = $1",
    "DELETE FROM alternate_ids WHERE state_record_id = $1",
    "DELETE FROM qualifying_moves WHERE state_record_id = $1",
    "DELETE FROM enrollments WHERE state_record_id = $1",
    "DELETE FROM courses WHERE state_record_id = $1",
    "DELETE FROM assessments WHERE state_record_id = $1",
];

/// Writes one record (its child and its `state_records` row) inside the open transaction `$tx`;
/// its child rows are written afterwards, for the whole batch, by `write_child_rows!`.
macro_rules! write_one {
    ($tx:expr, $w:expr, $carried:expr) => {{
        let w: &RecordWrite = $w;
        let now = w.received_at;
        let child_id = w.child_id.clone();
        let existing: Option<String> = sqlx::query("SELECT msix_id FROM children WHERE id = $1")
            .bind(&child_id)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        let (msix_id, created_child) = match existing {
            Some(m) => (parse_msix(&m)?, false),
            None => {
                let mut allocated = None;
                for _ in 0..8 {
                    let msix = random_msix()?;
                    let done = sqlx::query(INSERT_CHILD)
                        .bind(&child_id)
                        .bind(msix.to_string())
                        .bind(now)
                        .execute(&mut *$tx)
                        .await?;
                    if done.rows_affected() == 1 {
                        allocated = Some(msix);
                        break;
                    }
                }
                (allocated.ok_or(StoreError::IdSpace)?, true)
            }
        };
        let r = &w.record;
        let d = &r.demographics;
        // A record that moves to another child leaves the old child's reports out of date.
        let previous: Option<String> = sqlx::query("SELECT child_id FROM state_records WHERE reporting_state = $1 AND state_student_id = $2")
            .bind(r.reporting_state.code())
            .bind(&r.state_student_id)
            .fetch_optional(&mut *$tx)
            .await?
            .map(|r| r.try_get(0))
            .transpose()?;
        if let Some(old) = previous.filter(|old| *old != child_id) {
            $crate::report_cache::mark_dirty!($tx, [(r.reporting_state.code(), old.as_str())]);
        }
        let new_record_id = new_id();
        let row = sqlx::query(UPSERT_RECORD)
            .bind(&new_record_id)
            .bind(&child_id)
            .bind(msix_id.to_string())
            .bind(r.reporting_state.code())
            .bind(&r.state_student_id)
            .bind(r.state_student_id_type.code())
            .bind(&w.submission_id)
            .bind(i64::from(r.student_record_id))
            .bind(&d.first_name)
            .bind(fold(&d.first_name))
            .bind(&d.middle_name)
            .bind(opt_fold(&d.middle_name))
            .bind(&d.last_name_1)
            .bind(fold(&d.last_name_1))
            .bind(&d.last_name_2)
            .bind(opt_fold(&d.last_name_2))
            .bind(&d.suffix)
            .bind(code(&d.sex))
            .bind(d.birth_date)
            .bind(d.multiple_birth)
            .bind(&d.birth_city)
            .bind(&d.birth_state)
            .bind(&d.birth_country)
            .bind(code(&d.birth_date_verification))
            .bind(&d.parent1_first_name)
            .bind(opt_fold(&d.parent1_first_name))
            .bind(&d.parent1_last_name)
            .bind(opt_fold(&d.parent1_last_name))
            .bind(&d.parent2_first_name)
            .bind(opt_fold(&d.parent2_first_name))
            .bind(&d.parent2_last_name)
            .bind(opt_fold(&d.parent2_last_name))
            .bind(&d.parent1_email)
            .bind(&d.parent2_email)
            .bind(&d.parent1_phone)
            .bind(&d.parent2_phone)
            .bind(now)
            .fetch_one(&mut *$tx)
            .await?;
        let record_id: String = row.try_get(0)?;
        // A record seen before: its child rows are replaced (a new one has none yet). When each
        // withdrawal date first arrived is carried over to the new rows.
        if record_id != new_record_id {
            let carried: &mut Carried = $carried;
            for row in sqlx::query("SELECT enrollment_date, school_or_project_name, withdrawal_date, withdrawal_received_at FROM enrollments \
                WHERE state_record_id = $1 AND withdrawal_date IS NOT NULL AND withdrawal_received_at IS NOT NULL")
                .bind(&record_id)
                .fetch_all(&mut *$tx)
                .await?
            {
                carried.entry(record_id.clone()).or_default().push((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    row.try_get(2)?,
                    row.try_get(3)?,
                ));
            }
            for sql in CHILD_TABLES {
                sqlx::query(sql).bind(&record_id).execute(&mut *$tx).await?;
            }
        }
        WriteOutcome {
            state_record_id: record_id,
            child_id,
            msix_id,
            created_child,
        }
    }};
}

/// Runs a multi-row `INSERT` (`$head`, then `VALUES`, then `$tail`) over `$rows` in chunks,
/// pushing each row's values with `$push`.
macro_rules! insert_rows {
    ($tx:expr, $head:expr, $tail:expr, $cols:expr, $rows:expr, |$b:ident, $row:pat_param| $push:block) => {{
        for chunk in $rows.chunks(rows_per_statement($cols)) {
            let mut qb = sqlx::QueryBuilder::new($head);
            qb.push_values(chunk, |mut $b, $row| $push);
            qb.push($tail);
            qb.build().execute(&mut *$tx).await?;
        }
    }};
}

/// The rows of one child table for a batch: (state record id, child id, position, item) for
/// every item `items` gives of each record.
fn child_rows<'a, T>(
    records: &[(&'a str, &'a str, &'a RecordWrite)],
    items: impl Fn(&'a RecordWrite) -> &'a [T],
) -> Vec<(&'a str, &'a str, usize, &'a T)> {
    records
        .iter()
        .flat_map(|&(r, c, w)| items(w).iter().enumerate().map(move |(i, x)| (r, c, i, x)))
        .collect()
}

/// Writes the child rows (search keys, alternate IDs, qualifying moves, enrollments, courses,
/// assessments) of a batch written by `write_one!`, a few multi-row statements per table. A
/// record written twice in one batch keeps the rows of its last write.
macro_rules! write_child_rows {
    ($tx:expr, $batch:expr, $outcomes:expr, $carried:expr) => {{
        let batch: &[RecordWrite] = $batch;
        let outcomes: &[WriteOutcome] = $outcomes;
        let carried: &Carried = $carried;
        let mut seen = std::collections::HashSet::new();
        let mut last: Vec<(&str, &str, &RecordWrite)> = Vec::with_capacity(batch.len());
        for (w, o) in batch.iter().zip(outcomes).rev() {
            if seen.insert(o.state_record_id.as_str()) {
                last.push((o.state_record_id.as_str(), o.child_id.as_str(), w));
            }
        }
        last.reverse();
        let received_of: std::collections::HashMap<&str, DateTime<Utc>> =
            last.iter().map(|&(r, _, w)| (r, w.received_at)).collect();
        $crate::report_cache::mark_dirty!(
            $tx,
            last.iter()
                .map(|&(_, c, w)| (w.record.reporting_state.code(), c))
        );
        let keys = child_rows(&last, |w| &w.search_keys);
        insert_rows!(
            $tx,
            INSERT_SEARCH_KEYS,
            " ON CONFLICT DO NOTHING",
            3,
            keys,
            |b, &(r, c, _, k)| {
                b.push_bind(r).push_bind(c).push_bind(k);
            }
        );
        let alts = child_rows(&last, |w| &w.record.alternate_ids);
        insert_rows!($tx, INSERT_ALT, "", 6, alts, |b, &(r, c, i, a)| {
            b.push_bind(new_id())
                .push_bind(r)
                .push_bind(c)
                .push_bind(i as i64)
                .push_bind(&a.id)
                .push_bind(code(&a.id_type));
        });
        let moves = child_rows(&last, |w| &w.record.qualifying_moves);
        insert_rows!($tx, INSERT_MOVE, "", 12, moves, |b, &(r, c, i, m)| {
            b.push_bind(new_id())
                .push_bind(r)
                .push_bind(c)
                .push_bind(i as i64)
                .push_bind(m.qualifying_arrival_date)
                .push_bind(&m.from_city)
                .push_bind(&m.from_state)
                .push_bind(&m.from_country)
                .push_bind(&m.to_city)
                .push_bind(code(&m.to_state))
                .push_bind(m.eligibility_expiration_date)
                .push_bind(m.expiration_defaulted);
        });
        let enrollments = child_rows(&last, |w| &w.record.enrollments);
        insert_rows!($tx, INSERT_ENROLLMENT, "", 37, enrollments, |b,
                                                                   &(
            r,
            c,
            i,
            e,
        )| {
            b.push_bind(new_id())
                .push_bind(r)
                .push_bind(c)
                .push_bind(i as i64)
                .push_bind(e.enrollment_date)
                .push_bind(code(&e.enrollment_type))
                .push_bind(&e.school_or_project_name)
                .push_bind(code(&e.mep_project_type))
                .push_bind(&e.school_id)
                .push_bind(&e.facility_name)
                .push_bind(&e.facility_address_1)
                .push_bind(&e.facility_address_2)
                .push_bind(&e.facility_address_3)
                .push_bind(&e.facility_city)
                .push_bind(&e.district_id)
                .push_bind(&e.district_name)
                .push_bind(code(&e.facility_state))
                .push_bind(&e.facility_zip)
                .push_bind(&e.telephone)
                .push_bind(code(&e.grade_level))
                .push_bind(e.lep)
                .push_bind(e.idea)
                .push_bind(code(&e.med_alert))
                .push_bind(e.pfs)
                .push_bind(e.immunization_record)
                .push_bind(e.withdrawal_date)
                .push_bind(&e.district_of_residence)
                .push_bind(e.residency_date)
                .push_bind(e.residency_verification_date)
                .push_bind(&e.designated_graduation_school)
                .push_bind(code(&e.graduation_hse))
                .push_bind(e.graduation_hse_date)
                .push_bind(e.out_of_state_transcript)
                .push_bind(code(&e.continuation_reason))
                .push_bind(e.algebra1)
                .push_bind(&e.comment)
                .push_bind(withdrawal_received(carried, r, e, received_of[r]));
        });
        let courses = child_rows(&last, |w| &w.record.courses);
        insert_rows!($tx, INSERT_COURSE, "", 15, courses, |b, &(r, c, i, x)| {
            b.push_bind(new_id())
                .push_bind(r)
                .push_bind(c)
                .push_bind(i as i64)
                .push_bind(&x.course_title)
                .push_bind(&x.subject_area)
                .push_bind(code(&x.course_type))
                .push_bind(x.begin_year.map(i64::from))
                .push_bind(x.end_year.map(i64::from))
                .push_bind(code(&x.course_section))
                .push_bind(code(&x.term_type))
                .push_bind(x.clock_hours.map(i64::from))
                .push_bind(&x.grade_to_date)
                .push_bind(x.credits_hundredths.map(i64::from))
                .push_bind(&x.final_grade);
        });
        let assessments = child_rows(&last, |w| &w.record.assessments);
        insert_rows!($tx, INSERT_ASSESSMENT, "", 11, assessments, |b,
                                                                   &(
            r,
            c,
            i,
            a,
        )| {
            b.push_bind(new_id())
                .push_bind(r)
                .push_bind(c)
                .push_bind(i as i64)
                .push_bind(&a.title)
                .push_bind(&a.content)
                .push_bind(code(&a.assessment_type))
                .push_bind(a.administration_month)
                .push_bind(code(&a.reporting_method))
                .push_bind(&a.score)
                .push_bind(code(&a.interpretation));
        });
    }};
}

fn parse_code<T: CodeSet>(v: Option<String>) -> Option<T> {
    v.as_deref().and_then(T::parse)
}

fn parse_msix(s: &str) -> Result<MsixId> {
    MsixId::parse(s).map_err(|e| StoreError::Corrupt(format!("stored MSIX ID: {e}")))
}

/// Reads the typed record (without its child rows) from a `state_records` row.
macro_rules! record_from_row {
    ($row:expr) => {{
        let row = $row;
        let state: String = row.try_get("reporting_state")?;
        let id_type: String = row.try_get("state_student_id_type")?;
        let record = StudentRecord {
            student_record_id: row
                .try_get::<Option<i64>, _>("student_record_id")?
                .unwrap_or(0) as u32,
            msix_id: Some(parse_msix(&row.try_get::<String, _>("msix_id")?)?),
            reporting_state: StateCode::parse(&state)
                .ok_or_else(|| StoreError::Corrupt("state code".into()))?,
            state_student_id: row.try_get("state_student_id")?,
            state_student_id_type: StudentIdType::parse(&id_type)
                .ok_or_else(|| StoreError::Corrupt("id type".into()))?,
            action: ActionCode::Insert,
            alternate_ids: Vec::new(),
            demographics: Demographics {
                first_name: row.try_get("first_name")?,
                middle_name: row.try_get("middle_name")?,
                last_name_1: row.try_get("last_name_1")?,
                last_name_2: row.try_get("last_name_2")?,
                suffix: row.try_get("suffix")?,
                sex: parse_code(row.try_get("sex")?),
                birth_date: row.try_get("birth_date")?,
                multiple_birth: row.try_get("multiple_birth")?,
                birth_city: row.try_get("birth_city")?,
                birth_state: row.try_get("birth_state")?,
                birth_country: row.try_get("birth_country")?,
                birth_date_verification: parse_code(row.try_get("birth_date_verification")?),
                parent1_first_name: row.try_get("parent1_first_name")?,
                parent1_last_name: row.try_get("parent1_last_name")?,
                parent2_first_name: row.try_get("parent2_first_name")?,
                parent2_last_name: row.try_get("parent2_last_name")?,
                parent1_email: row.try_get("parent1_email")?,
                parent2_email: row.try_get("parent2_email")?,
                parent1_phone: row.try_get("parent1_phone")?,
                parent2_phone: row.try_get("parent2_phone")?,
            },
            qualifying_moves: Vec::new(),
            enrollments: Vec::new(),
            courses: Vec::new(),
            assessments: Vec::new(),
        };
        StoredRecord {
            id: row.try_get("id")?,
            child_id: row.try_get("child_id")?,
            msix_id: parse_msix(&row.try_get::<String, _>("msix_id")?)?,
            submission_id: row.try_get("submission_id")?,
            received_at: row.try_get("received_at")?,
            record,
        }
    }};
}

impl Store {
    /// Writes a batch of records in one transaction: all of them or none. Each record's child rows
    /// are replaced, so a re-sent record never duplicates anything.
    pub async fn write_records(&self, batch: &[RecordWrite]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            let mut carried = Carried::new();
            for w in batch {
                out.push(write_one!(tx, w, &mut carried));
            }
            write_child_rows!(tx, batch, &out, &carried);
            tx.commit().await?;
        });
        Ok(out)
    }

    /// The MSIX ID of a child, if the child exists.
    pub async fn msix_of_child(&self, child_id: &str) -> Result<Option<MsixId>> {
        let m: Option<String> = read_pool!(self, p => sqlx::query("SELECT msix_id FROM children WHERE id = $1")
            .bind(child_id).fetch_optional(p).await?.map(|r| r.try_get(0)).transpose()?);
        m.map(|m| parse_msix(&m)).transpose()
    }

    /// The MSIX IDs of children (child id -> MSIX ID; unknown children are left out), in one
    /// query.
    pub async fn msix_of_children(
        &self,
        child_ids: &[String],
    ) -> Result<std::collections::HashMap<String, MsixId>> {
        let sql = format!(
            "SELECT id, msix_id FROM children WHERE {}",
            crate::report_cache::in_list(self.backend(), "id", 1)
        );
        let ids = crate::report_cache::id_list(child_ids);
        let rows: Vec<(String, String)> = read_pool!(self, p => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(&ids).fetch_all(p).await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<_>>>()?
        });
        rows.into_iter()
            .map(|(id, m)| Ok((id, parse_msix(&m)?)))
            .collect()
    }

    /// The record a state holds under its own ID, if any (deleted records are not returned).
    pub async fn find_state_record(
        &self,
        state: StateCode,
        state_student_id: &str,
    ) -> Result<Option<(String, String, MsixId)>> {
        let row = read_pool!(self, p => sqlx::query(
            "SELECT id, child_id, msix_id FROM state_records WHERE reporting_state = $1 AND state_student_id = $2 AND deleted = FALSE")
            .bind(state.code()).bind(state_student_id).fetch_optional(p).await?
            .map(|r| -> Result<(String, String, String)> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) }));
        match row {
            Some(r) => {
                let (id, child, msix) = r?;
                Ok(Some((id, child, parse_msix(&msix)?)))
            }
            None => Ok(None),
        }
    }

    /// The child behind an MSIX ID, following merge redirects. Returns (child id, surviving MSIX ID).
    pub async fn resolve_msix(&self, msix: MsixId) -> Result<Option<(String, MsixId)>> {
        let mut current = msix.to_string();
        for _ in 0..16 {
            let row = read_pool!(self, p => sqlx::query("SELECT id, status, merged_into FROM children WHERE msix_id = $1")
                .bind(&current).fetch_optional(p).await?
                .map(|r| -> Result<(String, String, Option<String>)> { Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)) }));
            match row {
                None => return Ok(None),
                Some(r) => {
                    let (id, status, merged_into) = r?;
                    match (status.as_str(), merged_into) {
                        ("merged", Some(next)) => current = next,
                        _ => return Ok(Some((id, parse_msix(&current)?))),
                    }
                }
            }
        }
        Err(StoreError::Corrupt("merge redirect chain too long".into()))
    }

    /// Every live state record of a child, with its child rows.
    pub async fn records_of_child(&self, child_id: &str) -> Result<Vec<StoredRecord>> {
        let mut out = read_pool!(self, p => {
            let rows = sqlx::query("SELECT * FROM state_records WHERE child_id = $1 AND deleted = FALSE ORDER BY received_at, id")
                .bind(child_id).fetch_all(p).await?;
            let mut v = Vec::with_capacity(rows.len());
            for row in &rows { v.push(record_from_row!(row)); }
            v
        });
        // One query per child table for all the child's records (not one per record).
        self.load_child_rows_where(
            &mut out,
            "state_record_id IN (SELECT id FROM state_records WHERE child_id = $1 AND deleted = FALSE)",
            child_id,
        )
        .await?;
        Ok(out)
    }

    /// One live state record (not deleted), with its child rows.
    pub async fn live_record(&self, id: &str) -> Result<Option<StoredRecord>> {
        let found = read_pool!(self, p => {
            match sqlx::query("SELECT * FROM state_records WHERE id = $1 AND deleted = FALSE")
                .bind(id).fetch_optional(p).await? {
                Some(row) => Some(record_from_row!(&row)),
                None => None,
            }
        });
        match found {
            Some(mut s) => {
                self.load_child_rows(&mut s).await?;
                Ok(Some(s))
            }
            None => Ok(None),
        }
    }

    async fn load_child_rows(&self, s: &mut StoredRecord) -> Result<()> {
        let id = s.id.clone();
        self.load_child_rows_where(std::slice::from_mut(s), "state_record_id = $1", &id)
            .await
    }

    /// Loads the child rows (alternate IDs, moves, enrollments, courses, assessments) of
    /// `records` with one query per table: `clause` (binding `$1` to `value`) selects the rows of
    /// every record in `records`.
    async fn load_child_rows_where(
        &self,
        records: &mut [StoredRecord],
        clause: &str,
        value: &str,
    ) -> Result<()> {
        let at: std::collections::HashMap<String, usize> = records
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        let sql = |table: &str| {
            sqlx::AssertSqlSafe(format!(
                "SELECT * FROM {table} WHERE {clause} ORDER BY state_record_id, seq"
            ))
        };
        macro_rules! record_of {
            ($row:expr) => {{
                let rid: String = $row.try_get("state_record_id")?;
                match at.get(&rid) {
                    Some(&i) => &mut records[i].record,
                    None => continue,
                }
            }};
        }
        read_pool!(self, p => {
            for row in sqlx::query(sql("alternate_ids")).bind(value).fetch_all(p).await? {
                let r = record_of!(row);
                r.alternate_ids.push(AlternateId {
                    record_id: row.try_get::<i64, _>("seq")? as u16 + 1,
                    id: row.try_get("alternate_student_id")?,
                    id_type: parse_code(row.try_get("id_type")?),
                });
            }
            for row in sqlx::query(sql("qualifying_moves")).bind(value).fetch_all(p).await? {
                let r = record_of!(row);
                r.qualifying_moves.push(QualifyingMove {
                    qualifying_arrival_date: row.try_get("qualifying_arrival_date")?,
                    from_city: row.try_get("from_city")?,
                    from_state: row.try_get("from_state")?,
                    from_country: row.try_get("from_country")?,
                    to_city: row.try_get("to_city")?,
                    to_state: parse_code(row.try_get("to_state")?),
                    eligibility_expiration_date: row.try_get("eligibility_expiration_date")?,
                    expiration_defaulted: row.try_get("expiration_defaulted")?,
                });
            }
            for row in sqlx::query(sql("enrollments")).bind(value).fetch_all(p).await? {
                let r = record_of!(row);
                r.enrollments.push(Enrollment {
                    enrollment_date: row.try_get("enrollment_date")?,
                    enrollment_type: parse_code(row.try_get("enrollment_type")?),
                    school_or_project_name: row.try_get("school_or_project_name")?,
                    mep_project_type: parse_code(row.try_get("mep_project_type")?),
                    school_id: row.try_get("school_id")?,
                    facility_name: row.try_get("facility_name")?,
                    facility_address_1: row.try_get("facility_address_1")?,
                    facility_address_2: row.try_get("facility_address_2")?,
                    facility_address_3: row.try_get("facility_address_3")?,
                    facility_city: row.try_get("facility_city")?,
                    district_id: row.try_get("district_id")?,
                    district_name: row.try_get("district_name")?,
                    facility_state: parse_code(row.try_get("facility_state")?),
                    facility_zip: row.try_get("facility_zip")?,
                    telephone: row.try_get("telephone")?,
                    grade_level: parse_code(row.try_get("grade_level")?),
                    lep: row.try_get("lep")?,
                    idea: row.try_get("idea")?,
                    med_alert: parse_code(row.try_get("med_alert")?),
                    pfs: row.try_get("pfs")?,
                    immunization_record: row.try_get("immunization_record")?,
                    withdrawal_date: row.try_get("withdrawal_date")?,
                    district_of_residence: row.try_get("district_of_residence")?,
                    residency_date: row.try_get("residency_date")?,
                    residency_verification_date: row.try_get("residency_verification_date")?,
                    designated_graduation_school: row.try_get("designated_graduation_school")?,
                    graduation_hse: parse_code(row.try_get("graduation_hse")?),
                    graduation_hse_date: row.try_get("graduation_hse_date")?,
                    out_of_state_transcript: row.try_get("out_of_state_transcript")?,
                    continuation_reason: parse_code(row.try_get("continuation_reason")?),
                    algebra1: row.try_get("algebra1")?,
                    comment: row.try_get("comment")?,
                });
            }
            for row in sqlx::query(sql("courses")).bind(value).fetch_all(p).await? {
                let r = record_of!(row);
                r.courses.push(Course {
                    course_title: row.try_get("course_title")?,
                    subject_area: row.try_get("subject_area")?,
                    course_type: parse_code(row.try_get("course_type")?),
                    begin_year: row.try_get::<Option<i64>, _>("begin_year")?.map(|v| v as u16),
                    end_year: row.try_get::<Option<i64>, _>("end_year")?.map(|v| v as u16),
                    course_section: parse_code(row.try_get("course_section")?),
                    term_type: parse_code(row.try_get("term_type")?),
                    clock_hours: row.try_get::<Option<i64>, _>("clock_hours")?.map(|v| v as u16),
                    grade_to_date: row.try_get("grade_to_date")?,
                    credits_hundredths: row.try_get::<Option<i64>, _>("credits_hundredths")?.map(|v| v as u16),
                    final_grade: row.try_get("final_grade")?,
                });
            }
            for row in sqlx::query(sql("assessments")).bind(value).fetch_all(p).await? {
                let r = record_of!(row);
                r.assessments.push(Assessment {
                    title: row.try_get("title")?,
                    content: row.try_get("content")?,
                    assessment_type: parse_code(row.try_get("assessment_type")?),
                    administration_month: row.try_get("administration_month")?,
                    reporting_method: parse_code(row.try_get("reporting_method")?),
                    score: row.try_get("score")?,
                    interpretation: parse_code(row.try_get("interpretation")?),
                });
            }
        });
        Ok(())
    }

    /// Every live record's linkage fields, for rebuilding the linkage index at start-up.
    pub async fn link_rows(&self) -> Result<Vec<LinkRow>> {
        read_pool!(self, p => {
            let rows = sqlx::query(
                "SELECT id, child_id, msix_id, reporting_state, state_student_id, first_name, middle_name, last_name_1, last_name_2, sex, birth_date, \
                 multiple_birth, birth_city, birth_state, birth_country, parent1_first_name, parent1_last_name, parent2_first_name, parent2_last_name \
                 FROM state_records WHERE deleted = FALSE ORDER BY id").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(LinkRow {
                    state_record_id: r.try_get(0)?, child_id: r.try_get(1)?, msix_id: r.try_get(2)?, reporting_state: r.try_get(3)?,
                    state_student_id: r.try_get(4)?, first_name: r.try_get(5)?, middle_name: r.try_get(6)?, last_name_1: r.try_get(7)?,
                    last_name_2: r.try_get(8)?, sex: r.try_get(9)?, birth_date: r.try_get(10)?, multiple_birth: r.try_get(11)?,
                    birth_city: r.try_get(12)?, birth_state: r.try_get(13)?, birth_country: r.try_get(14)?,
                    parent1_first_name: r.try_get(15)?, parent1_last_name: r.try_get(16)?, parent2_first_name: r.try_get(17)?,
                    parent2_last_name: r.try_get(18)?,
                });
            }
            Ok(out)
        })
    }

    /// Marks a state's record deleted (action code D). Returns whether a live record was found.
    pub async fn delete_state_record(
        &self,
        state: StateCode,
        state_student_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        write_pool!(self, p => {
            let mut tx = p.begin_with(self.backend().begin_write()).await?;
            sqlx::query("DELETE FROM search_keys WHERE state_record_id IN (SELECT id FROM state_records WHERE reporting_state = $1 AND state_student_id = $2)")
                .bind(state.code()).bind(state_student_id).execute(&mut *tx).await?;
            let child: Option<String> = sqlx::query(
                "UPDATE state_records SET deleted = TRUE, updated_at = $3 WHERE reporting_state = $1 AND state_student_id = $2 AND deleted = FALSE RETURNING child_id")
                .bind(state.code()).bind(state_student_id).bind(at).fetch_optional(&mut *tx).await?
                .map(|r| r.try_get(0)).transpose()?;
            if let Some(c) = &child {
                crate::report_cache::mark_dirty!(tx, [(state.code(), c.as_str())]);
            }
            tx.commit().await?;
            Ok(child.is_some())
        })
    }
}

impl crate::audit::Tx {
    /// [`Store::write_records`] inside a transaction the caller commits, so that what the batch
    /// causes (worklist items, audit events) is written with it or not at all.
    pub async fn write_records(&mut self, batch: &[RecordWrite]) -> Result<Vec<WriteOutcome>> {
        let mut out = Vec::with_capacity(batch.len());
        crate::audit::on_tx!(self, c => {
            let mut carried = Carried::new();
            for w in batch {
                out.push(write_one!(c, w, &mut carried));
            }
            write_child_rows!(c, batch, &out, &carried);
        });
        Ok(out)
    }
}
