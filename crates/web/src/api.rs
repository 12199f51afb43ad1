//! JSON API root and API-wide helpers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `GET /api/v1`: name, version and links.
pub async fn root() -> Json<serde_json::Value> {
    Json(json!({
        "name": "Puente",
        "description": "Migrant student record exchange",
        "version": env!("CARGO_PKG_VERSION"),
        "api_version": "v1",
        "links": {
            "self": "/api/v1",
            "health": "/healthz",
            "portal": "/",
        }
    }))
}

/// JSON 404 for unknown `/api/...` paths.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "error": "not_found", "message": "no such API resource" })),
    )
        .into_response()
}
