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
    match e {
        AppError::Forbidden => problem(StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotFound => problem(StatusCode::NOT_FOUND, "no such submission"),
        AppError::Invalid(reason) => problem(StatusCode::BAD_REQUEST, &reason),
        other => {
            tracing::error!(error = %other, "submission failed");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
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
        .map(String::as_str)
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
