//! The worklist page: items waiting for the signed-in data administrator, oldest first.

use askama::Template;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::WebState;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};

/// One line of the list.
pub struct Row {
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
