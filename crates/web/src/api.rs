//! JSON API root and API-wide helpers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
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
            "openapi": crate::openapi::DOCUMENT_PATH,
            "docs": crate::openapi::DOCS_PATH,
            "health": "/healthz",
            "portal": "/",
        }
    }))
}

/// `404` problem for unknown `/api/...` paths.
pub fn not_found() -> Response {
    crate::auth::problem(StatusCode::NOT_FOUND, "no such API resource")
}
