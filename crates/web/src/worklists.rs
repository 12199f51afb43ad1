//! Worklist pages (see `docs/worklists.md`): the list of items waiting for the signed-in data
//! administrator, one item with the records side by side and its answer forms, the identity
//! history of a child, and the merge and split forms reached from the student record.
//!
//! Every form works without JavaScript: `POST` with the session's CSRF token, then a `303`
//! redirect on success, or the same page again with the error next to the field.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use puente_app::worklists::{ItemDetail, NearMatchResolution, WorklistKind};
use puente_app::{Actor, AppError};
use puente_domain::CodeSet;
use puente_domain::roles::Capability;
use puente_store::StoredRecord;
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, app_error, forbidden_page};
use crate::frame::{Frame, render};

/// Form values (kept out of the templates, which hold no literal text).
pub const ANSWER_SAME: &str = "same";
pub const ANSWER_DIFFERENT: &str = "different";
pub const ANSWER_INFO: &str = "info";
pub const MASTER_NEW: &str = "new";
pub const MASTER_CANDIDATE: &str = "candidate";
pub const DECISION_APPROVE: &str = "approve";
pub const DECISION_REJECT: &str = "reject";
pub const KEEP_THIS: &str = "this";
pub const KEEP_OTHER: &str = "other";

/// Longest note or reason kept.
const MAX_NOTE: usize = 1000;

fn clean(s: Option<&str>) -> String {
    s.unwrap_or("")
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(MAX_NOTE)
        .collect()
}

async fn not_found(frame: Frame) -> Response {
    crate::pages::not_found(Some(Extension(frame))).await
}

// ------------------------------------------------------------------------------------ list

/// One line of the list.
pub struct Row {
    pub id: String,
    pub kind: String,
    pub msix: Option<String>,
    pub candidates: Vec<String>,
    pub level: String,
    pub due: String,
    pub age: u32,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "worklists/index.html")]
pub struct WorklistPage {
    pub frame: Frame,
    pub rows: Vec<Row>,
}

/// `GET /worklists`.
pub async fn page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
) -> Response {
    match state.app.worklist(&actor, false).await {
        Ok(items) => {
            let rows = items
                .into_iter()
                .map(|i| Row {
                    id: i.id,
                    kind: frame.t(&format!("wl-kind-{}", i.kind.code())),
                    msix: i.msix_id,
                    candidates: i.candidates.into_iter().filter_map(|c| c.msix_id).collect(),
                    level: frame.t(&format!("wl-level-{}", i.level.code())),
                    due: i.due_on.to_string(),
                    age: i.age_working_days,
                    overdue: i.overdue,
                })
                .collect();
            render(StatusCode::OK, &WorklistPage { frame, rows })
        }
        Err(e) => app_error(frame, e),
    }
}

// ------------------------------------------------------------------------------------ item

/// A record summarised for comparison.
pub struct RecordSummary {
    pub msix: String,
    pub state_id: String,
    pub values: Vec<String>,
}

/// The identity fields compared side by side (Fluent ids `wl-cmp-*`).
const COMPARED: [&str; 8] = [
    "name",
    "birth_date",
    "sex",
    "birth_place",
    "parents",
    "state_id",
    "school",
    "received",
];

fn join(parts: &[Option<&str>], sep: &str) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

fn summary(r: &StoredRecord) -> RecordSummary {
    let d = &r.record.demographics;
    let latest = r
        .record
        .enrollments
        .iter()
        .max_by_key(|e| e.enrollment_date);
    let school = latest
        .map(|e| {
            join(
                &[
                    e.school_or_project_name.as_deref(),
                    e.district_name.as_deref(),
                    e.facility_state.map(|s| s.code()),
                ],
                " · ",
            )
        })
        .unwrap_or_default();
    let parent = |f: &Option<String>, l: &Option<String>| join(&[f.as_deref(), l.as_deref()], " ");
    let parents = [
        parent(&d.parent1_first_name, &d.parent1_last_name),
        parent(&d.parent2_first_name, &d.parent2_last_name),
    ]
    .into_iter()
    .filter(|p| !p.is_empty())
    .collect::<Vec<_>>()
    .join("; ");
    let state_id = format!(
        "{} {}",
        r.record.reporting_state.code(),
        r.record.state_student_id
    );
    RecordSummary {
        msix: r.msix_id.to_string(),
        values: vec![
            join(
                &[
                    Some(d.first_name.as_str()),
                    d.middle_name.as_deref(),
                    Some(d.last_name_1.as_str()),
                    d.last_name_2.as_deref(),
                    d.suffix.as_deref(),
                ],
                " ",
            ),
            d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
            d.sex.map(|s| s.code().to_string()).unwrap_or_default(),
            join(
                &[
                    d.birth_city.as_deref(),
                    d.birth_state.as_deref(),
                    d.birth_country.as_deref(),
                ],
                ", ",
            ),
            parents,
            state_id.clone(),
            school,
            r.received_at.format("%Y-%m-%d").to_string(),
        ],
        state_id,
    }
}

/// One line of a side-by-side comparison.
pub struct CompareRow {
    pub label: String,
    pub left: String,
    pub right: String,
    pub differs: bool,
}

/// One field's agreement level and weight.
pub struct AgreementRow {
    pub field: String,
    pub level: String,
    pub weight: String,
    pub against: bool,
}

/// One candidate of a near match.
pub struct CandidateView {
    pub heading: String,
    pub msix: String,
    pub compare: Vec<CompareRow>,
    pub agreement: Vec<AgreementRow>,
    pub total: String,
    pub conflicts: Vec<String>,
    pub corroborated: String,
}

/// A record of a validation item.
pub struct OpRecord {
    pub id: String,
    pub msix: String,
    pub summary: String,
    pub moving: bool,
}

#[derive(Default)]
pub struct ResolveErrors {
    pub answer: Option<String>,
    pub candidate: Option<String>,
    pub master: Option<String>,
    pub note: Option<String>,
    pub form: Option<String>,
}

#[derive(Default)]
pub struct ValidateErrors {
    pub decision: Option<String>,
    pub form: Option<String>,
}

#[derive(Default)]
pub struct ReassignErrors {
    pub state: Option<String>,
    pub form: Option<String>,
}

#[derive(Template)]
#[template(path = "worklists/item.html")]
pub struct ItemPage {
    pub frame: Frame,
    pub csrf: String,
    pub id: String,
    pub kind: String,
    pub is_near_match: bool,
    pub open: bool,
    pub status: String,
    pub msix: String,
    pub facts: Vec<(String, String)>,
    pub overdue: bool,
    pub done: Option<String>,
    pub new_record: Option<RecordSummary>,
    pub candidates: Vec<CandidateView>,
    pub thresholds: String,
    /// Validation items: the operation in words, and its records.
    pub operation: Option<String>,
    pub op_records: Vec<OpRecord>,
    pub initiator: bool,
    pub can_start: bool,
    pub national: bool,
    pub state_value: String,
    pub district_value: String,
    pub resolve: ResolveErrors,
    pub validate: ValidateErrors,
    pub reassign: ReassignErrors,
    /// Values typed into the forms, shown again after an error.
    pub typed_note: String,
    pub typed_answer: String,
    pub typed_candidate: String,
    pub typed_master: String,
}

impl ItemPage {
    fn answer_same(&self) -> &'static str {
        ANSWER_SAME
    }
    fn answer_different(&self) -> &'static str {
        ANSWER_DIFFERENT
    }
    fn answer_info(&self) -> &'static str {
        ANSWER_INFO
    }
    fn master_new(&self) -> &'static str {
        MASTER_NEW
    }
    fn master_candidate(&self) -> &'static str {
        MASTER_CANDIDATE
    }
    fn approve(&self) -> &'static str {
        DECISION_APPROVE
    }
    fn reject(&self) -> &'static str {
        DECISION_REJECT
    }
    fn checked(&self, field: &str, value: &str) -> bool {
        match field {
            "answer" => self.typed_answer == value,
            "master" => self.typed_master == value,
            "candidate" => {
                self.typed_candidate == value
                    || (self.typed_candidate.is_empty() && self.candidates.len() == 1)
            }
            _ => false,
        }
    }
    fn master_new_label(&self) -> String {
        self.frame.t1("wl-master-new", "msix", &self.msix)
    }
    fn candidate_label(&self, c: &CandidateView) -> String {
        self.frame.t1("wl-candidate-choice", "msix", &c.msix)
    }
}

fn name_of(names: &HashMap<String, String>, frame: &Frame, id: &str) -> String {
    if id == puente_app::worklists::SYSTEM {
        return frame.t("wl-system");
    }
    names
        .get(id)
        .cloned()
        .unwrap_or_else(|| frame.t("wl-someone"))
}

fn candidate_views(frame: &Frame, d: &ItemDetail) -> (Vec<CandidateView>, String) {
    let Some(exp) = d
        .item
        .explanation
        .clone()
        .and_then(|e| serde_json::from_value::<puente_app::worklists::Explanation>(e).ok())
    else {
        return (Vec::new(), String::new());
    };
    let left = d.subject.first().map(summary);
    let thresholds = frame.lang.t_args(
        "wl-thresholds",
        &[
            ("attach", &format!("{:.1}", exp.attach_threshold)),
            ("review", &format!("{:.1}", exp.review_threshold)),
        ],
    );
    let views = exp
        .candidates
        .iter()
        .enumerate()
        .map(|(n, c)| {
            let right = d
                .matched
                .iter()
                .position(|m| *m == n)
                .and_then(|i| d.others.get(i))
                .map(summary);
            let msix = right
                .as_ref()
                .map(|r| r.msix.clone())
                .or_else(|| {
                    d.item
                        .candidates
                        .iter()
                        .find(|k| k.child_id == c.child_id)
                        .and_then(|k| k.msix_id.clone())
                })
                .unwrap_or_default();
            let compare = COMPARED
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    let l = left
                        .as_ref()
                        .and_then(|s| s.values.get(i).cloned())
                        .unwrap_or_default();
                    let r = right
                        .as_ref()
                        .and_then(|s| s.values.get(i).cloned())
                        .unwrap_or_default();
                    CompareRow {
                        label: frame.t(&format!("wl-cmp-{key}")),
                        differs: *key != "received"
                            && !l.is_empty()
                            && !r.is_empty()
                            && !l.eq_ignore_ascii_case(&r),
                        left: l,
                        right: r,
                    }
                })
                .collect();
            let agreement = c
                .fields
                .iter()
                .map(|f| AgreementRow {
                    field: frame.t(&format!("wl-field-{}", f.field)),
                    level: frame.t(&format!("wl-agree-{}", f.level)),
                    weight: format!("{:+.2}", f.weight),
                    against: f.weight < 0.0,
                })
                .collect();
            CandidateView {
                heading: frame.lang.t_args(
                    "wl-candidate-heading",
                    &[("n", &(n + 1).to_string()), ("msix", &msix)],
                ),
                msix,
                compare,
                agreement,
                total: format!("{:.2}", c.total),
                conflicts: c
                    .conflicts
                    .iter()
                    .map(|k| frame.t(&format!("wl-conflict-{k}")))
                    .collect(),
                corroborated: frame.t(if c.corroborated { "wl-yes" } else { "wl-no" }),
            }
        })
        .collect();
    (views, thresholds)
}

async fn item_page_for(
    state: &WebState,
    frame: Frame,
    actor: &Actor,
    id: &str,
    done: Option<&str>,
) -> Result<ItemPage, Response> {
    let d = match state.app.worklist_item_detail(actor, id).await {
        Ok(d) => d,
        Err(AppError::NotFound) => return Err(not_found(frame).await),
        Err(e) => return Err(app_error(frame, e)),
    };
    let it = &d.item;
    let mut ids = vec![];
    if let Some(op) = &it.operation {
        ids.push(op.initiated_by.clone());
    }
    if let Some(r) = &it.resolved_by {
        ids.push(r.clone());
    }
    let names = state.app.user_display_names(&ids).await.unwrap_or_default();
    let mut facts = vec![
        (
            frame.t("wl-level"),
            frame.t(&format!("wl-level-{}", it.level.code())),
        ),
        (
            frame.t("wl-assigned"),
            join(
                &[
                    it.assigned_state.as_deref(),
                    it.assigned_district.as_deref(),
                ],
                " · ",
            ),
        ),
        (frame.t("wl-created"), it.created_on.to_string()),
        (frame.t("wl-due"), it.due_on.to_string()),
        (frame.t("wl-age"), it.age_working_days.to_string()),
    ];
    if let (Some(res), Some(by)) = (&it.resolution, &it.resolved_by) {
        facts.push((
            frame.t("wl-resolution"),
            format!(
                "{} · {} · {}",
                frame.t(&format!("wl-res-{res}")),
                name_of(&names, &frame, by),
                it.resolved_at
                    .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(n) = &it.note {
        facts.push((frame.t("wl-note"), n.clone()));
    }
    let (candidates, thresholds) = if it.kind == WorklistKind::NearMatch {
        candidate_views(&frame, &d)
    } else {
        (Vec::new(), String::new())
    };
    let (operation, op_records, initiator) = match &it.operation {
        Some(op) => {
            let who = name_of(&names, &frame, &op.initiated_by);
            let text = match op.kind {
                puente_app::worklists::OperationKind::Merge => frame.lang.t_args(
                    "wl-op-merge",
                    &[
                        ("master", &op.msix_id),
                        ("other", op.other_msix_id.as_deref().unwrap_or("")),
                        ("who", &who),
                        ("when", &op.initiated_at.format("%Y-%m-%d").to_string()),
                    ],
                ),
                puente_app::worklists::OperationKind::Split => frame.lang.t_args(
                    "wl-op-split",
                    &[
                        ("msix", &op.msix_id),
                        ("count", &op.record_ids.len().to_string()),
                        ("who", &who),
                        ("when", &op.initiated_at.format("%Y-%m-%d").to_string()),
                    ],
                ),
            };
            let text = match &op.reason {
                Some(r) => format!("{text} {}", frame.t1("wl-op-reason", "reason", r)),
                None => text,
            };
            let recs = d
                .subject
                .iter()
                .chain(&d.others)
                .map(|r| {
                    let s = summary(r);
                    OpRecord {
                        id: r.id.clone(),
                        msix: s.msix.clone(),
                        summary: join(
                            &[
                                Some(s.state_id.as_str()),
                                s.values.first().map(String::as_str),
                                s.values.get(1).map(String::as_str),
                            ],
                            " · ",
                        ),
                        moving: op.record_ids.contains(&r.id),
                    }
                })
                .collect();
            (Some(text), recs, op.initiated_by == actor.user_id)
        }
        None => (None, Vec::new(), false),
    };
    let status = frame.t(&format!("wl-status-{}", it.status));
    let done = done
        .filter(|d| {
            matches!(
                *d,
                "same" | "different" | "info" | "approve" | "reject" | "reassign"
            )
        })
        .map(|d| frame.t(&format!("wl-done-{d}")));
    Ok(ItemPage {
        csrf: frame.csrf(),
        id: it.id.clone(),
        kind: frame.t(&format!("wl-kind-{}", it.kind.code())),
        is_near_match: it.kind == WorklistKind::NearMatch,
        open: it.status != puente_app::worklists::CLOSED,
        status,
        msix: it.msix_id.clone().unwrap_or_default(),
        facts,
        overdue: it.overdue,
        done,
        new_record: d.subject.first().map(summary),
        candidates,
        thresholds,
        operation,
        op_records,
        initiator,
        can_start: actor.can(Capability::StartMergeSplit),
        national: actor.state().is_none(),
        state_value: it.assigned_state.clone().unwrap_or_default(),
        district_value: it.assigned_district.clone().unwrap_or_default(),
        resolve: ResolveErrors::default(),
        validate: ValidateErrors::default(),
        reassign: ReassignErrors::default(),
        typed_note: String::new(),
        typed_answer: String::new(),
        typed_candidate: String::new(),
        typed_master: String::new(),
        frame,
    })
}

#[derive(Debug, Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// `GET /worklists/{id}`: one item, the records side by side, and its forms.
pub async fn item_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    match item_page_for(&state, frame, &actor, &id, q.done.as_deref()).await {
        Ok(p) => render(StatusCode::OK, &p),
        Err(r) => r,
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ResolveForm {
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub candidate: Option<String>,
    #[serde(default)]
    pub master: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

fn is_locked(e: &AppError) -> bool {
    matches!(e, AppError::Invalid(m) if m.contains("locked"))
}

/// `POST /worklists/{id}/resolve`: answers a near match (same child: starts a merge; different
/// children; need more information).
pub async fn resolve(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ResolveForm>,
) -> Response {
    let answer = clean(f.answer.as_deref());
    let note = clean(f.note.as_deref());
    let candidate = clean(f.candidate.as_deref());
    let master = clean(f.master.as_deref());
    let mut page = match item_page_for(&state, frame, &actor, &id, None).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page.typed_answer = answer.clone();
    page.typed_note = note.clone();
    page.typed_candidate = candidate.clone();
    page.typed_master = master.clone();
    let t = |id: &str| page.frame.t(id);
    let mut errors = ResolveErrors::default();
    if !page.is_near_match || !page.open {
        errors.form = Some(t("wl-error-closed"));
    }
    let resolution = match answer.as_str() {
        ANSWER_SAME => {
            let cand = if candidate.is_empty() && page.candidates.len() == 1 {
                page.candidates[0].msix.clone()
            } else {
                candidate.clone()
            };
            if !page
                .candidates
                .iter()
                .any(|c| c.msix == cand && !cand.is_empty())
            {
                errors.candidate = Some(t("wl-error-candidate"));
            }
            let master_msix = match master.as_str() {
                MASTER_NEW => page.msix.clone(),
                MASTER_CANDIDATE => cand.clone(),
                _ => {
                    errors.master = Some(t("wl-error-master"));
                    String::new()
                }
            };
            if !page.can_start {
                errors.form = Some(t("wl-error-cannot-start"));
            }
            NearMatchResolution::SameChild {
                candidate_msix: cand,
                master_msix,
                reason: note.clone(),
            }
        }
        ANSWER_DIFFERENT => NearMatchResolution::DifferentChildren {
            reason: note.clone(),
        },
        ANSWER_INFO => {
            if note.is_empty() {
                errors.note = Some(t("wl-error-note"));
            }
            NearMatchResolution::NeedMoreInformation { note: note.clone() }
        }
        _ => {
            errors.answer = Some(t("wl-error-answer"));
            NearMatchResolution::NeedMoreInformation { note: note.clone() }
        }
    };
    let failed = errors.answer.is_some()
        || errors.candidate.is_some()
        || errors.master.is_some()
        || errors.note.is_some()
        || errors.form.is_some();
    if failed {
        page.resolve = errors;
        return render(StatusCode::BAD_REQUEST, &page);
    }
    match state.app.resolve_near_match(&actor, &id, resolution).await {
        Ok(_) => Redirect::to(&format!("/worklists/{id}?done={answer}")).into_response(),
        Err(AppError::Forbidden) => forbidden_page(page.frame),
        Err(e) if is_locked(&e) => {
            page.resolve.form = Some(page.frame.t("wl-error-locked"));
            render(StatusCode::CONFLICT, &page)
        }
        Err(AppError::Invalid(_)) | Err(AppError::NotFound) => {
            page.resolve.form = Some(page.frame.t("wl-error-invalid"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => app_error(page.frame, e),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ValidateForm {
    #[serde(default)]
    pub decision: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /worklists/{id}/validate`: approves or rejects a merge or split. The administrator who
/// started it is refused (two-person rule) with a message saying so.
pub async fn validate(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ValidateForm>,
) -> Response {
    let decision = clean(f.decision.as_deref());
    let note = clean(f.note.as_deref());
    let mut page = match item_page_for(&state, frame, &actor, &id, None).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page.typed_note = note.clone();
    if page.initiator {
        page.validate.form = Some(page.frame.t("wl-error-initiator"));
        return render(StatusCode::FORBIDDEN, &page);
    }
    if page.is_near_match || !page.open {
        page.validate.form = Some(page.frame.t("wl-error-closed"));
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let approve = match decision.as_str() {
        DECISION_APPROVE => true,
        DECISION_REJECT => false,
        _ => {
            page.validate.decision = Some(page.frame.t("wl-error-decision"));
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    match state
        .app
        .validate_operation(&actor, &id, approve, &note)
        .await
    {
        Ok(_) => Redirect::to(&format!("/worklists/{id}?done={decision}")).into_response(),
        Err(AppError::Forbidden) => forbidden_page(page.frame),
        Err(AppError::Invalid(_)) | Err(AppError::NotFound) => {
            page.validate.form = Some(page.frame.t("wl-error-invalid"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => app_error(page.frame, e),
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct ReassignForm {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub district: Option<String>,
}

/// `POST /worklists/{id}/reassign`: another district of the state (national scope: another
/// state), down or sideways.
pub async fn reassign(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ReassignForm>,
) -> Response {
    let mut page = match item_page_for(&state, frame, &actor, &id, None).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let st = match actor.state() {
        Some(s) => s.to_string(),
        None => clean(f.state.as_deref()).to_ascii_uppercase(),
    };
    let district = clean(f.district.as_deref());
    page.state_value = st.clone();
    page.district_value = district.clone();
    if puente_domain::StateCode::parse(&st).is_none() {
        page.reassign.state = Some(page.frame.t("wl-error-state"));
        return render(StatusCode::BAD_REQUEST, &page);
    }
    if !page.open {
        page.reassign.form = Some(page.frame.t("wl-error-closed"));
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let district = Some(district.as_str()).filter(|d| !d.is_empty());
    match state
        .app
        .reassign_worklist_item(&actor, &id, &st, district)
        .await
    {
        Ok(_) => {
            // The item may now be outside the actor's worklist (another district).
            Redirect::to("/worklists").into_response()
        }
        Err(AppError::Forbidden) => forbidden_page(page.frame),
        Err(AppError::Invalid(_)) | Err(AppError::NotFound) => {
            page.reassign.form = Some(page.frame.t("wl-error-invalid"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => app_error(page.frame, e),
    }
}

// ------------------------------------------------------------------------------------ history

/// One line of a child's identity history.
pub struct HistoryRow {
    pub at: String,
    pub what: String,
    pub who: String,
    pub other: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "worklists/history.html")]
pub struct HistoryPage {
    pub frame: Frame,
    pub msix: String,
    pub rows: Vec<HistoryRow>,
}

impl HistoryPage {
    fn heading(&self) -> String {
        self.frame.t1("wl-history-title", "msix", &self.msix)
    }
}

/// `GET /students/{msix_id}/history`: the identity history of a child (administrators in
/// scope).
pub async fn history_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
) -> Response {
    let events = match state.app.identity_history(&actor, &msix).await {
        Ok(e) => e,
        Err(AppError::NotFound) | Err(AppError::Invalid(_)) => return not_found(frame).await,
        Err(e) => return app_error(frame, e),
    };
    let ids: Vec<String> = events.iter().map(|e| e.actor.clone()).collect();
    let names = state.app.user_display_names(&ids).await.unwrap_or_default();
    let rows = events
        .iter()
        .map(|e| HistoryRow {
            at: e.at.format("%Y-%m-%d %H:%M UTC").to_string(),
            what: frame.t(&format!("wl-ev-{}", e.action.replace(['.', '_'], "-"))),
            who: if e.actor.is_empty() {
                String::new()
            } else {
                name_of(&names, &frame, &e.actor)
            },
            other: join(&[e.msix_id.as_deref(), e.other_msix_id.as_deref()], " · "),
            reason: e.reason.clone().unwrap_or_default(),
        })
        .collect();
    let msix = puente_domain::MsixId::parse(&msix)
        .map(|m| m.to_string())
        .unwrap_or_default();
    render(StatusCode::OK, &HistoryPage { frame, msix, rows })
}

// ------------------------------------------------------------------------------------ merge

#[derive(Default)]
pub struct MergeErrors {
    pub other: Option<String>,
    pub keep: Option<String>,
    pub reason: Option<String>,
    pub form: Option<String>,
}

#[derive(Template)]
#[template(path = "worklists/merge.html")]
pub struct MergePage {
    pub frame: Frame,
    pub csrf: String,
    pub msix: String,
    pub locked: bool,
    pub started: bool,
    pub other: String,
    pub keep: String,
    pub reason: String,
    pub errors: MergeErrors,
}

impl MergePage {
    fn keep_this(&self) -> &'static str {
        KEEP_THIS
    }
    fn keep_other(&self) -> &'static str {
        KEEP_OTHER
    }
    fn keep_this_label(&self) -> String {
        self.frame.t1("wl-merge-keep-this", "msix", &self.msix)
    }
    fn heading(&self) -> String {
        self.frame.t1("wl-merge-title", "msix", &self.msix)
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct StartedQuery {
    #[serde(default)]
    pub started: Option<String>,
}

async fn change_target(
    state: &WebState,
    frame: Frame,
    actor: &Actor,
    msix: &str,
) -> Result<(Frame, String, bool), Response> {
    match state.app.identity_change_target(actor, msix).await {
        Ok(lock) => {
            let m = puente_domain::MsixId::parse(msix)
                .map(|m| m.to_string())
                .unwrap_or_default();
            Ok((frame, m, lock.is_some()))
        }
        Err(AppError::NotFound) | Err(AppError::Invalid(_)) => Err(not_found(frame).await),
        Err(e) => Err(app_error(frame, e)),
    }
}

/// `GET /students/{msix_id}/merge`: the form to merge another child with this one.
pub async fn merge_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Query(q): Query<StartedQuery>,
) -> Response {
    let (frame, msix, locked) = match change_target(&state, frame, &actor, &msix).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    render(
        StatusCode::OK,
        &MergePage {
            csrf: frame.csrf(),
            frame,
            msix,
            locked,
            started: q.started.is_some(),
            other: String::new(),
            keep: String::new(),
            reason: String::new(),
            errors: MergeErrors::default(),
        },
    )
}

#[derive(Debug, Deserialize, Default)]
pub struct MergeForm {
    #[serde(default)]
    pub other: Option<String>,
    #[serde(default)]
    pub keep: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /students/{msix_id}/merge`: starts a merge (validated by a second data administrator).
pub async fn merge_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Form(f): Form<MergeForm>,
) -> Response {
    let (frame, msix, locked) = match change_target(&state, frame, &actor, &msix).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let mut page = MergePage {
        csrf: frame.csrf(),
        frame,
        msix: msix.clone(),
        locked,
        started: false,
        other: clean(f.other.as_deref()),
        keep: clean(f.keep.as_deref()),
        reason: clean(f.reason.as_deref()),
        errors: MergeErrors::default(),
    };
    let other = puente_domain::MsixId::parse(&page.other).map(|m| m.to_string());
    match &other {
        Err(_) => page.errors.other = Some(page.frame.t("wl-error-msix")),
        Ok(o) if *o == msix => page.errors.other = Some(page.frame.t("wl-error-same-child")),
        Ok(_) => {}
    }
    if page.keep != KEEP_THIS && page.keep != KEEP_OTHER {
        page.errors.keep = Some(page.frame.t("wl-error-keep"));
    }
    if page.reason.is_empty() {
        page.errors.reason = Some(page.frame.t("wl-error-reason"));
    }
    let Ok(other) = other else {
        return render(StatusCode::BAD_REQUEST, &page);
    };
    if page.errors.other.is_some() || page.errors.keep.is_some() || page.errors.reason.is_some() {
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let (master, merged) = if page.keep == KEEP_THIS {
        (msix.clone(), other)
    } else {
        (other, msix.clone())
    };
    match state
        .app
        .start_merge(&actor, &master, &merged, &page.reason)
        .await
    {
        Ok(_) => Redirect::to(&format!("/students/{msix}/merge?started=1")).into_response(),
        Err(AppError::NotFound) => {
            page.errors.other = Some(page.frame.t("wl-error-no-child"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(AppError::Forbidden) => {
            page.errors.form = Some(page.frame.t("wl-error-scope"));
            render(StatusCode::FORBIDDEN, &page)
        }
        Err(e) if is_locked(&e) => {
            page.errors.form = Some(page.frame.t("wl-error-locked"));
            render(StatusCode::CONFLICT, &page)
        }
        Err(AppError::Invalid(_)) => {
            page.errors.other = Some(page.frame.t("wl-error-merged-away"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => app_error(page.frame, e),
    }
}

// ------------------------------------------------------------------------------------ split

#[derive(Default)]
pub struct SplitErrors {
    pub records: Option<String>,
    pub reason: Option<String>,
    pub form: Option<String>,
}

/// A state record that may leave in a split.
pub struct SplitRecord {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "worklists/split.html")]
pub struct SplitPage {
    pub frame: Frame,
    pub csrf: String,
    pub msix: String,
    pub locked: bool,
    pub started: bool,
    pub records: Vec<SplitRecord>,
    pub reason: String,
    pub errors: SplitErrors,
}

impl SplitPage {
    fn heading(&self) -> String {
        self.frame.t1("wl-split-title", "msix", &self.msix)
    }
}

async fn split_page_for(
    state: &WebState,
    frame: Frame,
    actor: &Actor,
    msix: &str,
    chosen: &[String],
) -> Result<SplitPage, Response> {
    let (frame, msix, locked) = change_target(state, frame, actor, msix).await?;
    let records = match state.app.records_for_split(actor, &msix).await {
        Ok(r) => r,
        Err(e) => return Err(app_error(frame, e)),
    };
    let records = records
        .iter()
        .map(|r| {
            let s = summary(r);
            SplitRecord {
                id: r.id.clone(),
                label: join(
                    &[
                        Some(s.state_id.as_str()),
                        s.values.first().map(String::as_str),
                        s.values.get(1).map(String::as_str),
                        s.values.get(6).map(String::as_str),
                        s.values.get(7).map(String::as_str),
                    ],
                    " · ",
                ),
                checked: chosen.contains(&r.id),
            }
        })
        .collect();
    Ok(SplitPage {
        csrf: frame.csrf(),
        frame,
        msix,
        locked,
        started: false,
        records,
        reason: String::new(),
        errors: SplitErrors::default(),
    })
}

/// `GET /students/{msix_id}/split`: the records behind the consolidated record, to choose those
/// that belong to another child.
pub async fn split_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Query(q): Query<StartedQuery>,
) -> Response {
    match split_page_for(&state, frame, &actor, &msix, &[]).await {
        Ok(mut p) => {
            p.started = q.started.is_some();
            render(StatusCode::OK, &p)
        }
        Err(r) => r,
    }
}

/// `POST /students/{msix_id}/split` (fields `record`, repeated, and `reason`): starts a split
/// (validated by a second data administrator).
pub async fn split_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    let chosen: Vec<String> = f
        .iter()
        .filter(|(k, _)| k == "record")
        .map(|(_, v)| v.clone())
        .collect();
    let reason = clean(
        f.iter()
            .find(|(k, _)| k == "reason")
            .map(|(_, v)| v.as_str()),
    );
    let mut page = match split_page_for(&state, frame, &actor, &msix, &chosen).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    page.reason = reason.clone();
    if chosen.is_empty() {
        page.errors.records = Some(page.frame.t("wl-error-split-none"));
    } else if chosen.len() >= page.records.len() {
        page.errors.records = Some(page.frame.t("wl-error-split-all"));
    }
    if reason.is_empty() {
        page.errors.reason = Some(page.frame.t("wl-error-reason"));
    }
    if page.errors.records.is_some() || page.errors.reason.is_some() {
        return render(StatusCode::BAD_REQUEST, &page);
    }
    let msix = page.msix.clone();
    match state.app.start_split(&actor, &msix, &chosen, &reason).await {
        Ok(_) => Redirect::to(&format!("/students/{msix}/split?started=1")).into_response(),
        Err(AppError::Forbidden) => {
            page.errors.form = Some(page.frame.t("wl-error-scope"));
            render(StatusCode::FORBIDDEN, &page)
        }
        Err(e) if is_locked(&e) => {
            page.errors.form = Some(page.frame.t("wl-error-locked"));
            render(StatusCode::CONFLICT, &page)
        }
        Err(AppError::Invalid(_)) | Err(AppError::NotFound) => {
            page.errors.records = Some(page.frame.t("wl-error-split-none"));
            render(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => app_error(page.frame, e),
    }
}
