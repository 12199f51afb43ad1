//! Submission channels of the web layer: `POST /api/v1/submissions` for state systems (API
//! token) and data administrators, and the report downloads. The same use case as the command
//! line (`App::submit_as`).

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use puente_app::AppError;
use puente_app::submit::{Channel, Outcome, SubmissionReport};
use puente_domain::{CodeSet, StateCode};
use tokio::io::AsyncWriteExt;

use crate::WebState;
use crate::auth::{CurrentUser, problem};

/// Largest file accepted through the API (the interchange reader has its own limits too).
pub const MAX_UPLOAD_BYTES: u64 = 2 * 1024 * 1024 * 1024;

fn api_error(e: AppError) -> Response {
    crate::auth::api_problem(e, "no such submission")
}

/// Streams a request body to a temporary file, refusing more than `limit` bytes.
pub async fn spool(body: Body, limit: u64) -> Result<tempfile::TempPath, Response> {
    let tmp = tempfile::NamedTempFile::new()
        .map_err(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
    let path = tmp.into_temp_path();
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|_| problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
    let mut stream = body.into_data_stream();
    let mut total: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|_| problem(StatusCode::BAD_REQUEST, "the upload was interrupted"))?;
        total += chunk.len() as u64;
        if total > limit {
            return Err(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the file is larger than {limit} bytes"),
            ));
        }
        file.write_all(&chunk).await.map_err(|_| {
            problem(
                StatusCode::INSUFFICIENT_STORAGE,
                "the file could not be stored",
            )
        })?;
    }
    file.flush().await.map_err(|_| {
        problem(
            StatusCode::INSUFFICIENT_STORAGE,
            "the file could not be stored",
        )
    })?;
    Ok(path)
}

fn report_response(report: SubmissionReport) -> Response {
    let status = match report.outcome {
        Outcome::Completed => StatusCode::CREATED,
        Outcome::AlreadyReceived => StatusCode::OK,
        Outcome::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
    };
    (status, Json(report)).into_response()
}

/// `POST /api/v1/submissions?state=TX&file_name=tx.xml`: the request body is the file.
/// 201 processed (the report lists rejected records and returns MSIX IDs), 200 already
/// received, 422 rejected whole (the reason is in `submission.error`).
pub async fn api_submit(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<HashMap<String, String>>,
    body: Body,
) -> Response {
    let code = q
        .get("state")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .or(actor.state())
        .unwrap_or("")
        .to_string();
    let Some(st) = StateCode::parse(&code) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "name the submitting state: ?state=XX",
        );
    };
    if !actor.covers_state(st.code()) {
        return problem(StatusCode::FORBIDDEN, "forbidden");
    }
    let path = match spool(body, MAX_UPLOAD_BYTES).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let name = q.get("file_name").map(|n| {
        n.chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect::<String>()
    });
    match state
        .app
        .submit_as(&actor, st, Channel::Api, &path, name)
        .await
    {
        Ok(report) => report_response(report),
        Err(e) => api_error(e),
    }
}

/// `GET /api/v1/submissions/{id}`: the report as JSON.
pub async fn api_report(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match state.app.submission_report(&actor, &id).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => api_error(e),
    }
}

/// `GET /api/v1/submissions/{id}/report.csv`: the report as CSV (formula injection neutralised).
pub async fn api_report_csv(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match state.app.submission_report(&actor, &id).await {
        Ok(r) => {
            let mut resp = r.to_csv().into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!(
                "attachment; filename=\"submission-{}.csv\"",
                r.submission.id
            )) {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(e) => api_error(e),
    }
}

// ------------------------------------------------------------------------------------ portal

use askama::Template;
use axum::Extension;
use axum::extract::Multipart;
use axum::response::Redirect;
use puente_store::SubmissionRow;

use crate::frame::{Frame, render};

#[derive(Template)]
#[template(path = "submissions/index.html")]
pub struct SubmissionsPage {
    pub frame: Frame,
    pub state: Option<String>,
    pub csrf: String,
    pub error: Option<String>,
    pub rows: Vec<SubmissionRow>,
}

impl SubmissionsPage {
    fn history_heading(&self) -> String {
        self.frame
            .t1("sub-history", "state", self.state.as_deref().unwrap_or(""))
    }
}

async fn index(
    state: &WebState,
    frame: Frame,
    actor: &puente_app::Actor,
    error: Option<String>,
) -> Response {
    let st = actor.state().and_then(StateCode::parse);
    let rows = match st {
        Some(s) => match state.app.submissions_of(actor, s).await {
            Ok(r) => r,
            Err(e) => return crate::auth::app_error(frame, e),
        },
        None => Vec::new(),
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let csrf = frame.csrf();
    render(
        status,
        &SubmissionsPage {
            frame,
            state: st.map(|s| s.code().to_string()),
            csrf,
            error,
            rows,
        },
    )
}

/// `GET /submissions`: upload form and recent submissions of the user's state.
pub async fn page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
) -> Response {
    index(&state, frame, &actor, None).await
}

/// `POST /submissions` (multipart, field `file`): processes the file, then shows its report.
pub async fn upload(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    mut form: Multipart,
) -> Response {
    let Some(st) = actor.state().and_then(StateCode::parse) else {
        let msg = frame.t("sub-no-state");
        return index(&state, frame, &actor, Some(msg)).await;
    };
    let mut spooled = None;
    while let Ok(Some(mut field)) = form.next_field().await {
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().map(|n| {
            n.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        });
        let tmp = match tempfile::NamedTempFile::new() {
            Ok(t) => t.into_temp_path(),
            Err(_) => return crate::auth::app_error(frame, AppError::Invalid("storage".into())),
        };
        let Ok(mut file) = tokio::fs::File::create(&tmp).await else {
            return crate::auth::app_error(frame, AppError::Invalid("storage".into()));
        };
        let mut total = 0u64;
        while let Ok(Some(chunk)) = field.chunk().await {
            total += chunk.len() as u64;
            if total > MAX_UPLOAD_BYTES || file.write_all(&chunk).await.is_err() {
                return problem(StatusCode::PAYLOAD_TOO_LARGE, "the file is too large");
            }
        }
        if file.flush().await.is_err() {
            return problem(
                StatusCode::INSUFFICIENT_STORAGE,
                "the file could not be stored",
            );
        }
        if total > 0 {
            spooled = Some((tmp, name));
        }
    }
    let Some((path, name)) = spooled else {
        let msg = frame.t("sub-error-nofile");
        return index(&state, frame, &actor, Some(msg)).await;
    };
    match state
        .app
        .submit_as(&actor, st, Channel::Portal, &path, name)
        .await
    {
        Ok(report) => {
            Redirect::to(&format!("/submissions/{}", report.submission.id)).into_response()
        }
        Err(e) => crate::auth::app_error(frame, e),
    }
}

/// One problem line of the report page.
pub struct ProblemRow {
    pub record: String,
    pub state_id: String,
    pub element: String,
    pub value: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "submissions/report.html")]
pub struct ReportPage {
    pub frame: Frame,
    pub s: SubmissionRow,
    pub rejected_whole: bool,
    pub problems: Vec<ProblemRow>,
}

impl ReportPage {
    fn intro(&self) -> String {
        format!(
            "{} · {} · {}",
            self.s.file_name.as_deref().unwrap_or(""),
            self.s.state,
            self.frame.lang.date_time(&self.s.received_at)
        )
    }

    fn count(&self, v: &Option<i64>) -> String {
        v.map(|n| self.frame.lang.number(n)).unwrap_or_default()
    }
}

/// `GET /submissions/{id}`: the report of a submission of the user's state.
pub async fn report_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
) -> Response {
    match state.app.submission_report(&actor, &id).await {
        Ok(r) => {
            let problems = r
                .rows
                .iter()
                .flat_map(|row| {
                    row.issues.iter().map(move |i| ProblemRow {
                        record: row.student_record_id.clone(),
                        state_id: row.state_student_id.clone(),
                        element: i.element.clone(),
                        value: i.value.clone(),
                        message: i.message.clone(),
                    })
                })
                .take(2000)
                .collect();
            render(
                StatusCode::OK,
                &ReportPage {
                    rejected_whole: r.outcome == Outcome::Rejected,
                    s: r.submission,
                    problems,
                    frame,
                },
            )
        }
        Err(AppError::NotFound) => crate::pages::not_found(Some(Extension(frame))).await,
        Err(e) => crate::auth::app_error(frame, e),
    }
}
