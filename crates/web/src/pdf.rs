//! The Consolidated Student Record Report as a PDF (portal and API): the user picks the language
//! and the purpose; each print is audited (`record.print`, with the purpose) before it is
//! rendered, with the same capability as viewing the record.

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use puente_app::AppError;
use puente_app::student::RecordLookup;
use puente_domain::MsixId;
use puente_domain::consolidated::ConsolidatedRecord;
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, api_problem, app_error};
use crate::frame::Frame;
use crate::i18n::Lang;

/// Why a report is printed, as the user declares it. The audit trail keeps `audit_text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintPurpose {
    ParentRequest,
    FamilyMoving,
    Enrollment,
    Other,
}

impl PrintPurpose {
    pub const ALL: [PrintPurpose; 4] = [
        PrintPurpose::ParentRequest,
        PrintPurpose::FamilyMoving,
        PrintPurpose::Enrollment,
        PrintPurpose::Other,
    ];

    /// The value sent by the form (`purpose=`).
    pub fn code(self) -> &'static str {
        match self {
            PrintPurpose::ParentRequest => "parent-request",
            PrintPurpose::FamilyMoving => "family-moving",
            PrintPurpose::Enrollment => "enrollment",
            PrintPurpose::Other => "other",
        }
    }

    /// The purpose as recorded in the audit trail.
    pub fn audit_text(self) -> &'static str {
        match self {
            PrintPurpose::ParentRequest => "parent or guardian request",
            PrintPurpose::FamilyMoving => "family moving",
            PrintPurpose::Enrollment => "enrollment",
            PrintPurpose::Other => "other",
        }
    }

    pub fn parse(code: &str) -> Option<PrintPurpose> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The Fluent message of its label.
    pub fn message(self) -> String {
        format!("pdf-purpose-{}", self.code())
    }
}

/// `?lang=en|es&purpose=...`
#[derive(Debug, Deserialize, Default)]
pub struct PrintQuery {
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub purpose: Option<String>,
}

fn pdf_lang(q: &PrintQuery, fallback: Lang) -> puente_pdf::Lang {
    let lang = q.lang.as_deref().and_then(Lang::parse).unwrap_or(fallback);
    match lang {
        Lang::En => puente_pdf::Lang::En,
        Lang::Es => puente_pdf::Lang::Es,
    }
}

/// `msix-<id>-<lang>.pdf`: the MSIX ID, never the child's name.
pub fn file_name(msix: &MsixId, lang: puente_pdf::Lang) -> String {
    format!("msix-{msix}-record-{}.pdf", lang.code())
}

fn query_of(lang: puente_pdf::Lang, purpose: PrintPurpose) -> String {
    format!("lang={}&purpose={}", lang.code(), purpose.code())
}

enum Printed {
    Pdf(Vec<u8>, String),
    Merged(MsixId),
}

enum PrintError {
    App(AppError),
    /// Typesetting failed: a 500, logged without details (nothing of the record is logged).
    Render,
}

impl From<AppError> for PrintError {
    fn from(e: AppError) -> Self {
        PrintError::App(e)
    }
}

async fn print(
    state: &WebState,
    actor: &puente_app::authz::Actor,
    msix: &str,
    purpose: PrintPurpose,
    lang: puente_pdf::Lang,
) -> Result<Printed, PrintError> {
    let record: ConsolidatedRecord = match state
        .app
        .student_record_for_print(actor, msix, purpose.audit_text())
        .await?
    {
        RecordLookup::Found(r) => *r,
        RecordLookup::MergedInto(id) => return Ok(Printed::Merged(id)),
    };
    let now = state.app.clock.now();
    let name = file_name(&record.msix_id, lang);
    // Typesetting is CPU work (tens of milliseconds): keep it off the async workers.
    match tokio::task::spawn_blocking(move || puente_pdf::render(&record, lang, now)).await {
        Ok(Ok(bytes)) => Ok(Printed::Pdf(bytes, name)),
        _ => {
            tracing::error!("report rendering failed");
            Err(PrintError::Render)
        }
    }
}

fn render_failed() -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

pub(crate) fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /students/{msix_id}/report.pdf?lang=es&purpose=parent-request`: the report as an
/// attachment. Without a valid purpose the user is sent back to the form on the record page.
pub async fn portal_pdf(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Query(q): Query<PrintQuery>,
) -> Response {
    let Ok(id) = MsixId::parse(&msix) else {
        return crate::pages::not_found(Some(Extension(frame))).await;
    };
    let lang = pdf_lang(&q, frame.lang);
    let Some(purpose) = q.purpose.as_deref().and_then(PrintPurpose::parse) else {
        return Redirect::to(&format!(
            "/students/{id}?print_error=purpose&lang={}#print-report",
            frame.lang.code()
        ))
        .into_response();
    };
    match print(&state, &actor, &msix, purpose, lang).await {
        Ok(Printed::Pdf(bytes, name)) => pdf_response(bytes, &name),
        Ok(Printed::Merged(id)) => Redirect::to(&format!(
            "/students/{id}/report.pdf?{}",
            query_of(lang, purpose)
        ))
        .into_response(),
        Err(PrintError::App(AppError::Invalid(_) | AppError::NotFound)) => {
            crate::pages::not_found(Some(Extension(frame))).await
        }
        Err(PrintError::App(e)) => app_error(frame, e),
        Err(PrintError::Render) => render_failed(),
    }
}

/// `GET /api/v1/students/{msix_id}/report.pdf?lang=es&purpose=enrollment`: the same report for
/// state systems; `purpose` is required; a merged ID redirects (308) to the surviving one.
pub async fn api_pdf(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    q: Result<Query<PrintQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A malformed query (e.g. `purpose` twice) is a problem+json 400 like every API error.
    let Ok(Query(q)) = q else {
        return api_problem(
            AppError::Invalid(
                "the query string is not valid: give purpose and lang once each".into(),
            ),
            "no such student",
        );
    };
    let lang = pdf_lang(&q, Lang::En);
    let Some(purpose) = q.purpose.as_deref().and_then(PrintPurpose::parse) else {
        let allowed = PrintPurpose::ALL.map(PrintPurpose::code).join(", ");
        return api_problem(
            AppError::Invalid(format!("purpose must be one of: {allowed}")),
            "no such student",
        );
    };
    match print(&state, &actor, &msix, purpose, lang).await {
        Ok(Printed::Pdf(bytes, name)) => pdf_response(bytes, &name),
        Ok(Printed::Merged(id)) => Redirect::permanent(&format!(
            "/api/v1/students/{id}/report.pdf?{}",
            query_of(lang, purpose)
        ))
        .into_response(),
        Err(PrintError::App(e)) => api_problem(e, "no such student"),
        Err(PrintError::Render) => render_failed(),
    }
}
