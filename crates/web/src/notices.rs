//! Notices in the portal: the inbox (`/notices`), a notice with its actions and thread
//! (`/notices/{id}`), and the forms reached from a child's record: send a move notice, ask for
//! data, record a parent's correction request. Forms work without JavaScript (POST, then a
//! redirect) and show errors next to their fields. Rules and clocks: `puente_app::notices`.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use puente_app::AppError;
use puente_app::notices::{
    CorrectionInput, DataRequestInput, Direction, FieldError, MoveNoticeInput, Notice,
    NoticeDetail, NoticeKind, NoticeStatus,
};
use puente_domain::{CodeSet, StateCode};
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};

/// Most notices listed on the inbox page.
pub const INBOX_LIMIT: usize = 200;

fn date(frame: &Frame, d: Option<NaiveDate>) -> String {
    d.map(|d| frame.lang.date(d)).unwrap_or_default()
}

fn kind_label(frame: &Frame, k: NoticeKind) -> String {
    frame.t(&format!("nt-kind-{}", k.code()))
}

fn status_label(frame: &Frame, s: NoticeStatus) -> String {
    frame.t(&format!("nt-status-{}", s.code()))
}

/// One line of the inbox.
pub struct Row {
    pub id: String,
    pub kind: String,
    pub msix: String,
    pub from: String,
    pub to: String,
    pub due: String,
    pub status: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "notices/index.html")]
pub struct InboxPage {
    pub frame: Frame,
    pub incoming: Vec<Row>,
    pub outgoing: Vec<Row>,
    pub summary: String,
    pub include_closed: bool,
    pub truncated: bool,
}

fn place(state: &Option<String>, district: &Option<String>) -> String {
    match (state, district) {
        (Some(s), Some(d)) => format!("{s} {d}"),
        (Some(s), None) => s.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => String::new(),
    }
}

fn row(frame: &Frame, n: &Notice) -> Row {
    Row {
        id: n.id.clone(),
        kind: kind_label(frame, n.kind),
        msix: n.msix_id.clone(),
        from: place(&n.from_state, &n.from_district),
        to: place(&Some(n.to_state.clone()), &n.to_district),
        due: date(frame, n.due_on),
        status: status_label(frame, n.status),
        overdue: n.overdue,
    }
}

/// `GET /notices[?closed=1]`: incoming notices first (due date order), then sent ones.
pub async fn inbox(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let include_closed = q.get("closed").is_some_and(|v| v == "1");
    match state.app.notice_inbox(&actor, include_closed).await {
        Ok(list) => {
            let truncated = list.len() > INBOX_LIMIT;
            let mut incoming = Vec::new();
            let mut outgoing = Vec::new();
            let (mut open_in, mut overdue_in, mut open_out) = (0usize, 0usize, 0usize);
            for n in &list {
                let open = n.status != NoticeStatus::Closed;
                match n.direction {
                    Direction::Incoming => {
                        open_in += usize::from(open);
                        overdue_in += usize::from(n.overdue);
                    }
                    Direction::Outgoing => open_out += usize::from(open),
                }
            }
            for n in list.iter().take(INBOX_LIMIT) {
                match n.direction {
                    Direction::Incoming => incoming.push(row(&frame, n)),
                    Direction::Outgoing => outgoing.push(row(&frame, n)),
                }
            }
            let summary = frame.lang.t_args(
                "nt-summary",
                &[
                    ("open", &open_in.to_string()),
                    ("overdue", &overdue_in.to_string()),
                    ("sent", &open_out.to_string()),
                ],
            );
            render(
                StatusCode::OK,
                &InboxPage {
                    frame,
                    incoming,
                    outgoing,
                    summary,
                    include_closed,
                    truncated,
                },
            )
        }
        Err(e) => app_error(frame, e),
    }
}

/// A label and a value of the notice summary.
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// A message of the thread, as shown.
pub struct MessageView {
    pub who: String,
    pub when: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "notices/detail.html")]
pub struct DetailPage {
    pub frame: Frame,
    pub id: String,
    pub title: String,
    pub msix: String,
    pub overdue: bool,
    pub facts: Vec<Fact>,
    pub obligations: Vec<Fact>,
    pub messages: Vec<MessageView>,
    pub mail_summary: String,
    pub actions: puente_app::notices::Actions,
    pub receiver: bool,
    pub csrf: String,
    pub error: Option<String>,
    pub today: String,
    /// A decided correction request: the outcome letter to the family can be printed.
    pub letter: bool,
}

fn detail_page(frame: Frame, d: NoticeDetail, error: Option<String>) -> DetailPage {
    let n = &d.notice;
    let mut facts = Vec::new();
    let mut fact = |label: &str, value: String| {
        if !value.is_empty() {
            facts.push(Fact {
                label: frame.t(label),
                value,
            });
        }
    };
    fact("nt-status", status_label(&frame, n.status));
    fact("nt-from", place(&n.from_state, &n.from_district));
    fact("nt-to", place(&Some(n.to_state.clone()), &n.to_district));
    fact("nt-school", n.to_school.clone().unwrap_or_default());
    fact("nt-owner-state", n.owner_state.clone().unwrap_or_default());
    fact("nt-topic", n.topic.clone().unwrap_or_default());
    fact("nt-expected", date(&frame, n.expected_on));
    fact("nt-comments", n.comments.clone().unwrap_or_default());
    fact("nt-sent-on", frame.lang.date(n.created_on));
    fact("nt-due", date(&frame, n.due_on));
    fact("nt-level", frame.t(&format!("nt-level-{}", n.level.code())));
    if n.escalated {
        fact("nt-escalated", frame.t("nt-yes"));
    }
    fact(
        "nt-acknowledged",
        n.acknowledged_at
            .map(|t| frame.lang.date_time(&t))
            .unwrap_or_default(),
    );
    fact(
        "nt-forwarded",
        n.forwarded_at
            .map(|t| frame.lang.date_time(&t))
            .unwrap_or_default(),
    );
    fact(
        "nt-arrival",
        n.arrival
            .as_deref()
            .map(|a| frame.t(&format!("nt-arrival-{a}")))
            .unwrap_or_default(),
    );
    fact("nt-arrival-on", date(&frame, n.arrival_on));
    fact(
        "nt-decision",
        n.decision
            .as_deref()
            .map(|a| frame.t(&format!("nt-decision-{a}")))
            .unwrap_or_default(),
    );
    fact("nt-decided-on", date(&frame, n.decided_on));
    fact("nt-outcome", n.outcome.clone().unwrap_or_default());
    let obligations = n
        .obligations
        .iter()
        .map(|(o, d)| Fact {
            label: frame.t(&format!("nt-ob-{}", o.code())),
            value: frame.lang.date(*d),
        })
        .collect();
    let messages = d
        .messages
        .iter()
        .map(|m| MessageView {
            who: m.author_state.clone().unwrap_or_default(),
            when: frame.lang.date_time(&m.created_at),
            body: m.body.clone(),
        })
        .collect();
    let sent = d.mails.iter().filter(|(_, s)| s == "sent").count();
    let queued = d.mails.iter().filter(|(_, s)| s == "queued").count();
    let failed = d.mails.iter().filter(|(_, s)| s == "failed").count();
    let mail_summary = frame.lang.t_args(
        "nt-mail-summary",
        &[
            ("sent", &sent.to_string()),
            ("queued", &queued.to_string()),
            ("failed", &failed.to_string()),
        ],
    );
    DetailPage {
        id: n.id.clone(),
        title: kind_label(&frame, n.kind),
        msix: n.msix_id.clone(),
        overdue: n.overdue,
        facts,
        obligations,
        messages,
        mail_summary,
        actions: n.actions,
        receiver: n.direction == Direction::Incoming,
        csrf: frame.csrf(),
        error,
        today: chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string(),
        letter: letter_of(n).is_some(),
        frame,
    }
}

/// The purpose recorded in the audit trail when an outcome letter is printed.
const LETTER_PURPOSE: &str = "correction request outcome letter";

/// A decided correction request's facts for its letter: (decided on, corrected?).
fn letter_of(n: &Notice) -> Option<(NaiveDate, bool)> {
    if n.kind != NoticeKind::CorrectionRequest {
        return None;
    }
    Some((n.decided_on?, n.decision.as_deref()? == "correct"))
}

#[derive(Debug, Deserialize, Default)]
pub struct LetterQuery {
    #[serde(default)]
    pub lang: Option<String>,
}

/// `GET /notices/{id}/letter.pdf?lang=es|en`: the letter that tells the family the outcome of
/// their correction request, as PDF in their language (default: the page's). It names the child,
/// so printing it is a disclosure of the record, audited as `record.print` with its purpose.
pub async fn correction_letter(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<LetterQuery>,
) -> Response {
    let d = match state.app.notice_detail(&actor, &id).await {
        Ok(d) => d,
        Err(AppError::NotFound) => return crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => return app_error(frame, e),
    };
    let n = d.notice;
    let Some((decided_on, corrected)) = letter_of(&n) else {
        return crate::pages::not_found(Some(Extension(frame))).await;
    };
    let record = match state
        .app
        .student_record_for_print(&actor, &n.msix_id, LETTER_PURPOSE)
        .await
    {
        Ok(puente_app::student::RecordLookup::Found(r)) => r,
        Ok(puente_app::student::RecordLookup::MergedInto(_)) | Err(AppError::NotFound) => {
            return crate::pages::not_found(Some(Extension(frame))).await;
        }
        Err(e) => return app_error(frame, e),
    };
    let lang = match q
        .lang
        .as_deref()
        .and_then(crate::i18n::Lang::parse)
        .unwrap_or(frame.lang)
    {
        crate::i18n::Lang::En => puente_pdf::Lang::En,
        crate::i18n::Lang::Es => puente_pdf::Lang::Es,
    };
    let letter = puente_pdf::CorrectionLetter {
        child_name: puente_pdf::full_name(&record),
        msix_id: n.msix_id.clone(),
        state: n.to_state.clone(),
        topic: n.topic.clone().unwrap_or_default(),
        requested_on: n.created_on,
        decided_on,
        corrected,
        reason: n.outcome.clone(),
    };
    let now = state.app.clock.now();
    let name = format!("msix-{}-correction-letter-{}.pdf", n.msix_id, lang.code());
    match tokio::task::spawn_blocking(move || {
        puente_pdf::render_correction_letter(&letter, lang, now)
    })
    .await
    {
        Ok(Ok(bytes)) => crate::pdf::pdf_response(bytes, &name),
        _ => {
            tracing::error!("letter rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// `GET /notices/{id}`.
pub async fn detail(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match state.app.notice_detail(&actor, &id).await {
        Ok(d) => render(StatusCode::OK, &detail_page(frame, d, None)),
        Err(AppError::NotFound) => crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => app_error(frame, e),
    }
}

fn parse_date(s: Option<&String>) -> Result<Option<NaiveDate>, ()> {
    match s.map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| ()),
    }
}

/// `POST /notices/{id}`: one action (`action` field) on a notice, then back to it.
pub async fn act(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let app = &state.app;
    let text = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let result = match f.get("action").map(String::as_str) {
        Some("acknowledge") => app.acknowledge_notice(&actor, &id).await,
        Some("arrival") => match (
            f.get("arrival").map(String::as_str),
            parse_date(f.get("arrival_on")),
        ) {
            (Some(a @ ("arrived" | "no_show")), Ok(on)) => {
                app.record_arrival(&actor, &id, a == "arrived", on).await
            }
            _ => Err(AppError::Invalid("nt-err-arrival".into())),
        },
        Some("outcome") => {
            let o = text("outcome");
            if o.is_empty() {
                Err(AppError::Invalid("nt-err-outcome".into()))
            } else {
                app.record_outcome(&actor, &id, &o).await
            }
        }
        Some("message") => {
            let body = text("body");
            if body.is_empty() {
                Err(AppError::Invalid("nt-err-message".into()))
            } else {
                let answers = f.get("answers").is_some_and(|v| v == "yes");
                app.post_notice_message(&actor, &id, &body, answers).await
            }
        }
        Some("forward") => app.forward_correction(&actor, &id).await,
        Some("decide") => match f.get("decision").map(String::as_str) {
            Some(d @ ("correct" | "deny")) => {
                app.decide_correction(&actor, &id, d == "correct", &text("note"))
                    .await
            }
            _ => Err(AppError::Invalid("nt-err-decision".into())),
        },
        Some("corrected") => app.record_corrected(&actor, &id).await,
        _ => Err(AppError::Invalid("nt-err-action".into())),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/notices/{id}")).into_response(),
        Err(AppError::Invalid(reason)) => {
            let msg = if reason.starts_with("nt-err-") {
                frame.t(&reason)
            } else {
                frame.t("nt-err-not-now")
            };
            match app.notice_detail(&actor, &id).await {
                Ok(d) => render(StatusCode::BAD_REQUEST, &detail_page(frame, d, Some(msg))),
                Err(e) => app_error(frame, e),
            }
        }
        Err(AppError::NotFound) => crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => app_error(frame, e),
    }
}

/// One field of a notice form.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub hint: Option<String>,
    /// `text`, `date`, `select`, `textarea`.
    pub kind: &'static str,
    pub value: String,
    pub error: Option<String>,
    pub required: bool,
    /// (value, label, selected) of a select.
    pub options: Vec<(String, String, bool)>,
    /// Ids of the hint and error, for `aria-describedby`.
    pub describedby: String,
}

#[derive(Template)]
#[template(path = "notices/form.html")]
pub struct FormPage {
    pub frame: Frame,
    pub title: String,
    pub intro: String,
    pub msix: String,
    pub action: String,
    pub csrf: String,
    pub fields: Vec<Field>,
    pub submit: String,
    pub has_errors: bool,
}

/// Which form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormKind {
    Move,
    DataRequest,
    Correction,
}

impl FormKind {
    fn slug(self) -> &'static str {
        match self {
            FormKind::Move => "move-notice",
            FormKind::DataRequest => "data-request",
            FormKind::Correction => "correction-request",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            FormKind::Move => "nt-move",
            FormKind::DataRequest => "nt-request",
            FormKind::Correction => "nt-correction",
        }
    }

    /// (name, kind, required) of each field, in order.
    fn fields(self) -> &'static [(&'static str, &'static str, bool)] {
        match self {
            FormKind::Move => &[
                ("to_state", "select", true),
                ("to_district", "text", false),
                ("to_school", "text", false),
                ("expected_on", "date", false),
                ("comments", "textarea", false),
            ],
            FormKind::DataRequest => &[
                ("to_state", "select", true),
                ("to_district", "text", false),
                ("topic", "text", true),
                ("message", "textarea", true),
            ],
            FormKind::Correction => &[
                ("owner_state", "select", true),
                ("topic", "text", true),
                ("details", "textarea", true),
            ],
        }
    }
}

fn state_options(frame: &Frame, selected: &str) -> Vec<(String, String, bool)> {
    let mut v = vec![(
        String::new(),
        frame.t("nt-choose-state"),
        selected.is_empty(),
    )];
    for s in StateCode::all() {
        let code = s.code();
        v.push((
            code.to_string(),
            format!("{} ({code})", s.label()),
            code.eq_ignore_ascii_case(selected),
        ));
    }
    v
}

fn form_page(
    frame: Frame,
    kind: FormKind,
    msix: &str,
    values: &HashMap<String, String>,
    errors: &[FieldError],
) -> FormPage {
    let p = kind.prefix();
    let fields = kind
        .fields()
        .iter()
        .map(|&(name, k, required)| {
            let value = values.get(name).cloned().unwrap_or_default();
            let hint_id = format!("{p}-{name}-hint");
            let hint = frame.lang.has(&hint_id).then(|| frame.t(&hint_id));
            let error = errors
                .iter()
                .find(|(f, _)| *f == name)
                .map(|(_, e)| frame.t(&format!("nt-err-{e}")));
            let mut describedby = Vec::new();
            if hint.is_some() {
                describedby.push(format!("{name}-hint"));
            }
            if error.is_some() {
                describedby.push(format!("{name}-error"));
            }
            Field {
                name,
                label: frame.t(&format!("{p}-{name}")),
                hint,
                kind: k,
                options: if k == "select" {
                    state_options(&frame, &value)
                } else {
                    Vec::new()
                },
                value,
                error,
                required,
                describedby: describedby.join(" "),
            }
        })
        .collect();
    FormPage {
        title: frame.t(&format!("{p}-title")),
        intro: frame.t(&format!("{p}-intro")),
        msix: msix.to_string(),
        action: format!("/students/{msix}/{}", kind.slug()),
        csrf: frame.csrf(),
        fields,
        submit: frame.t(&format!("{p}-submit")),
        has_errors: !errors.is_empty(),
        frame,
    }
}

fn valid_msix(msix: &str) -> bool {
    puente_domain::MsixId::parse(msix).is_ok()
}

async fn show_form(frame: Frame, kind: FormKind, msix: &str) -> Response {
    if !valid_msix(msix) {
        return crate::pages::not_found(Some(Extension(frame))).await;
    }
    render(
        StatusCode::OK,
        &form_page(frame, kind, msix, &HashMap::new(), &[]),
    )
}

/// `GET /students/{msix_id}/move-notice`.
pub async fn move_form(Extension(frame): Extension<Frame>, Path(msix): Path<String>) -> Response {
    show_form(frame, FormKind::Move, &msix).await
}

/// `GET /students/{msix_id}/data-request`.
pub async fn request_form(
    Extension(frame): Extension<Frame>,
    Path(msix): Path<String>,
) -> Response {
    show_form(frame, FormKind::DataRequest, &msix).await
}

/// `GET /students/{msix_id}/correction-request`.
pub async fn correction_form(
    Extension(frame): Extension<Frame>,
    Path(msix): Path<String>,
) -> Response {
    show_form(frame, FormKind::Correction, &msix).await
}

fn opt(v: &HashMap<String, String>, k: &str) -> Option<String> {
    v.get(k)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

async fn submit(
    state: WebState,
    frame: Frame,
    actor: puente_app::Actor,
    kind: FormKind,
    msix: String,
    v: HashMap<String, String>,
) -> Response {
    if !valid_msix(&msix) {
        return crate::pages::not_found(Some(Extension(frame))).await;
    }
    let app = &state.app;
    let get = |k: &str| v.get(k).cloned().unwrap_or_default();
    let result = match kind {
        FormKind::Move => {
            let expected = parse_date(v.get("expected_on"));
            let input = MoveNoticeInput {
                to_state: get("to_state"),
                to_district: opt(&v, "to_district"),
                to_school: opt(&v, "to_school"),
                expected_on: expected.unwrap_or(None),
                comments: opt(&v, "comments"),
            };
            let mut errors = puente_app::notices::validate_move(&input, app.clock.today());
            if expected.is_err() {
                errors.push(("expected_on", "bad_date"));
            }
            if !errors.is_empty() {
                return render(
                    StatusCode::BAD_REQUEST,
                    &form_page(frame, kind, &msix, &v, &errors),
                );
            }
            app.send_move_notice(&actor, &msix, &input).await
        }
        FormKind::DataRequest => {
            let input = DataRequestInput {
                to_state: get("to_state"),
                to_district: opt(&v, "to_district"),
                topic: get("topic"),
                message: get("message"),
            };
            let errors = puente_app::notices::validate_data_request(&input);
            if !errors.is_empty() {
                return render(
                    StatusCode::BAD_REQUEST,
                    &form_page(frame, kind, &msix, &v, &errors),
                );
            }
            app.send_data_request(&actor, &msix, &input).await
        }
        FormKind::Correction => {
            let input = CorrectionInput {
                owner_state: get("owner_state"),
                topic: get("topic"),
                details: get("details"),
            };
            let errors = puente_app::notices::validate_correction(&input);
            if !errors.is_empty() {
                return render(
                    StatusCode::BAD_REQUEST,
                    &form_page(frame, kind, &msix, &v, &errors),
                );
            }
            app.record_correction_request(&actor, &msix, &input).await
        }
    };
    match result {
        Ok(n) => Redirect::to(&format!("/notices/{}", n.id)).into_response(),
        Err(AppError::NotFound) => crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => app_error(frame, e),
    }
}

/// `POST /students/{msix_id}/move-notice`.
pub async fn move_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Form(v): Form<HashMap<String, String>>,
) -> Response {
    submit(state, frame, actor, FormKind::Move, msix, v).await
}

/// `POST /students/{msix_id}/data-request`.
pub async fn request_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Form(v): Form<HashMap<String, String>>,
) -> Response {
    submit(state, frame, actor, FormKind::DataRequest, msix, v).await
}

/// `POST /students/{msix_id}/correction-request`.
pub async fn correction_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Form(v): Form<HashMap<String, String>>,
) -> Response {
    submit(state, frame, actor, FormKind::Correction, msix, v).await
}

/// Links to the notice forms of a child's record that `role` may open.
pub fn record_links(frame: &Frame, msix: &str) -> Vec<(String, String)> {
    let role = frame.user.as_ref().map(|u| u.role);
    [FormKind::Move, FormKind::DataRequest, FormKind::Correction]
        .into_iter()
        .filter(|k| crate::auth::role_can_get(role, &format!("/students/{{msix_id}}/{}", k.slug())))
        .map(|k| {
            (
                format!("/students/{msix}/{}", k.slug()),
                frame.t(&format!("{}-link", k.prefix())),
            )
        })
        .collect()
}

/// One e-mail of the outbox, as the administrator sees it.
pub struct MailRow {
    pub id: String,
    pub created: String,
    pub recipient: String,
    pub template: String,
    pub locale: String,
    pub status: String,
    pub failed: bool,
    pub attempts: i64,
    pub next_attempt: String,
    pub last_error: String,
}

#[derive(Template)]
#[template(path = "notices/outbox.html")]
pub struct OutboxPage {
    pub frame: Frame,
    pub summary: String,
    pub rows: Vec<MailRow>,
    pub csrf: String,
    pub only_failed: bool,
}

/// `GET /admin/outbox[?status=failed]`: outbox counts and the latest e-mails (system
/// administrators), with a retry button on failed ones.
pub async fn outbox_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let only_failed = q.get("status").is_some_and(|s| s == "failed");
    let status = only_failed.then_some("failed");
    match state.app.outbox_status(&actor, status, 100).await {
        Ok((c, rows)) => {
            let summary = frame.lang.t_args(
                "nt-outbox-summary",
                &[
                    ("queued", &c.queued.to_string()),
                    ("sent", &c.sent.to_string()),
                    ("failed", &c.failed.to_string()),
                ],
            );
            let rows = rows
                .into_iter()
                .map(|m| MailRow {
                    created: frame.lang.date_time(&m.created_at),
                    next_attempt: if m.status == "queued" {
                        frame.lang.date_time(&m.next_attempt_at)
                    } else {
                        String::new()
                    },
                    status: frame.t(&format!("nt-mail-{}", m.status)),
                    failed: m.status == "failed",
                    id: m.id,
                    recipient: m.recipient,
                    template: m.template,
                    locale: m.locale,
                    attempts: m.attempts,
                    last_error: m.last_error.unwrap_or_default(),
                })
                .collect();
            render(
                StatusCode::OK,
                &OutboxPage {
                    summary,
                    rows,
                    csrf: frame.csrf(),
                    only_failed,
                    frame,
                },
            )
        }
        Err(e) => app_error(frame, e),
    }
}

/// `POST /admin/outbox/{id}`: put a failed e-mail back in the queue.
pub async fn outbox_retry(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match state.app.retry_mail(&actor, &id).await {
        Ok(()) => Redirect::to("/admin/outbox").into_response(),
        Err(AppError::NotFound) => crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => app_error(frame, e),
    }
}
