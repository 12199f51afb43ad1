//! The OpenAPI 3.1 contract of the JSON API, served at `GET /api/openapi.json`, and its
//! documentation UI (Swagger UI, vendored into the binary) at `GET /api/docs`.
//!
//! The document is written here by hand, next to the handlers it describes, with the code
//! lists (states, grade levels, ...) taken from the domain's code sets so they cannot drift.
//! Every object schema has `additionalProperties: false` and lists every field as required
//! (the API always writes every field, `null` when absent), so `crates/web/tests/openapi.rs`,
//! which validates live answers against these schemas, fails when a response gains or loses
//! a field that is not documented here. The same test checks that every `/api` route of
//! [`crate::auth::route_table`] is described, and nothing else.
//!
//! Adding an `/api` route: add it to `paths` in [`document`] (with every status it can answer)
//! and its schemas to `components`.

use std::sync::{Arc, OnceLock};

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use puente_domain::CodeSet;
use puente_domain::codes::{
    ActionCode, AlternateIdType, AssessmentInterpretation, AssessmentType, BirthDateVerification,
    ContinuationReason, CourseSection, CourseType, EnrollmentType, GradeLevel, GraduationHse,
    MedAlert, MepProjectType, ReportingMethod, Sex, StateCode, StudentIdType, TermType,
};
use serde_json::{Map, Value, json};

use crate::auth::problem_codes;

/// Where the document is served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
/// Where the documentation UI is served.
pub const DOCS_PATH: &str = "/api/docs";

/// The Content-Security-Policy of the documentation UI: the site's policy, except that Swagger
/// UI sets inline styles (scripts stay same-origin files only).
pub const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The identity elements of the consolidated record (`identity` keys).
pub const IDENTITY_KEYS: &[&str] = &[
    "first_name",
    "middle_name",
    "last_name_1",
    "last_name_2",
    "suffix",
    "sex",
    "birth_date",
    "multiple_birth_flag",
    "birth_city",
    "birth_state",
    "birth_country",
    "birth_date_verification",
    "parent1_first_name",
    "parent1_last_name",
    "parent2_first_name",
    "parent2_last_name",
    "parent1_email",
    "parent2_email",
    "parent1_phone",
    "parent2_phone",
];

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn nullable(schema: Value) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some(t) if schema.get("enum").is_none() => {
            let mut s = schema.clone();
            s["type"] = json!([t, "null"]);
            s
        }
        _ => json!({ "anyOf": [schema, { "type": "null" }] }),
    }
}

fn date() -> Value {
    json!({ "type": "string", "format": "date" })
}

fn date_time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn int(min: i64) -> Value {
    json!({ "type": "integer", "minimum": min })
}

fn array(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

/// A closed object: every listed property is required, nothing else is allowed.
fn object(description: &str, props: Vec<(&str, Value)>) -> Value {
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    let properties: Map<String, Value> =
        props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    json!({
        "type": "object",
        "description": description,
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The values of a code set as the API writes them (the Rust variant names).
fn code_set<T: CodeSet + serde::Serialize>() -> Value {
    let values: Vec<Value> = T::all()
        .iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect();
    json!({ "type": "string", "enum": values, "description": T::NAME })
}

fn sourced(description: &str, item: Value) -> Value {
    object(description, vec![("item", item), ("source", r("Source"))])
}

fn schemas() -> Value {
    let mut s = Map::new();
    let mut add = |name: &str, v: Value| {
        s.insert(name.to_string(), v);
    };
    let ns = || nullable(string());
    let nb = || json!({ "type": ["boolean", "null"] });
    let nd = || nullable(date());
    let msix = json!({ "type": "string", "pattern": "^[0-9]{12}$", "description": "MSIX ID: 11 digits and a Damm check digit" });

    for (name, v) in [
        ("StateCode", code_set::<StateCode>()),
        ("Sex", code_set::<Sex>()),
        ("StudentIdType", code_set::<StudentIdType>()),
        ("AlternateIdType", code_set::<AlternateIdType>()),
        ("ActionCode", code_set::<ActionCode>()),
        ("GradeLevel", code_set::<GradeLevel>()),
        ("MedAlert", code_set::<MedAlert>()),
        ("EnrollmentType", code_set::<EnrollmentType>()),
        ("MepProjectType", code_set::<MepProjectType>()),
        ("GraduationHse", code_set::<GraduationHse>()),
        ("ContinuationReason", code_set::<ContinuationReason>()),
        ("CourseType", code_set::<CourseType>()),
        ("CourseSection", code_set::<CourseSection>()),
        ("TermType", code_set::<TermType>()),
        ("AssessmentType", code_set::<AssessmentType>()),
        (
            "AssessmentInterpretation",
            code_set::<AssessmentInterpretation>(),
        ),
        ("BirthDateVerification", code_set::<BirthDateVerification>()),
        ("ReportingMethod", code_set::<ReportingMethod>()),
    ] {
        add(name, v);
    }

    add(
        "Problem",
        object(
            "An error (RFC 9457 problem details). `code` is stable (see docs/errors.md); `title` is \
             for people and may change.",
            vec![
                ("type", json!({ "type": "string", "const": "about:blank" })),
                ("title", string()),
                (
                    "status",
                    json!({ "type": "integer", "minimum": 400, "maximum": 599 }),
                ),
                ("code", json!({ "type": "string", "enum": problem_codes() })),
            ],
        ),
    );
    add(
        "ApiRoot",
        object(
            "What this API is, and where to go next.",
            vec![
                ("name", string()),
                ("description", string()),
                ("version", string()),
                ("api_version", json!({ "type": "string", "const": "v1" })),
                (
                    "links",
                    object(
                        "Related resources.",
                        vec![
                            ("self", string()),
                            ("openapi", string()),
                            ("docs", string()),
                            ("health", string()),
                            ("portal", string()),
                        ],
                    ),
                ),
            ],
        ),
    );

    // Search.
    let name_tuple = json!({
        "type": "array",
        "description": "given name, first surname, middle name, second surname (folded)",
        "prefixItems": [string(), string(), ns(), ns()],
        "items": false,
        "minItems": 4,
    });
    add(
        "ChildSummary",
        object(
            "Enough to tell children apart.",
            vec![
                ("child_id", string()),
                ("msix_id", msix.clone()),
                ("first_name", string()),
                ("middle_name", ns()),
                ("last_name_1", string()),
                ("last_name_2", ns()),
                ("sex", ns()),
                ("birth_date", nd()),
                (
                    "multiple_birth",
                    json!({ "type": "boolean", "description": "twin, triplet ..." }),
                ),
                ("parent1", ns()),
                ("parent2", ns()),
                ("birth_city", ns()),
                ("birth_state", ns()),
                ("birth_country", ns()),
                ("states", array(string())),
                ("state_student_ids", array(string())),
                ("last_school", ns()),
                ("last_state", ns()),
                ("last_enrollment_date", nd()),
                ("names", array(name_tuple)),
                ("birth_dates", array(date())),
            ],
        ),
    );
    add(
        "SearchHit",
        object(
            "One ranked result.",
            vec![
                ("score", json!({ "type": "integer" })),
                (
                    "age",
                    json!({ "type": ["integer", "null"], "description": "age in years today" }),
                ),
                ("summary", r("ChildSummary")),
            ],
        ),
    );
    add(
        "SearchResults",
        object(
            "Results, best first.",
            vec![(
                "results",
                json!({ "type": "array", "items": r("SearchHit"), "maxItems": puente_app::search::MAX_RESULTS }),
            )],
        ),
    );

    // The consolidated record.
    add(
        "Source",
        object(
            "Which state submitted a value, under which state student ID, and when.",
            vec![
                ("state", r("StateCode")),
                ("state_student_id", string()),
                ("received_at", date_time()),
            ],
        ),
    );
    add(
        "Field",
        object(
            "One element with its provenance and the different values other states sent.",
            vec![
                ("value", string()),
                ("source", r("Source")),
                (
                    "others",
                    array(json!({
                        "type": "array",
                        "prefixItems": [string(), r("Source")],
                        "items": false,
                        "minItems": 2,
                    })),
                ),
            ],
        ),
    );
    add(
        "QualifyingMove",
        object(
            "A qualifying move.",
            vec![
                ("qualifying_arrival_date", date()),
                ("from_city", ns()),
                ("from_state", ns()),
                ("from_country", ns()),
                ("to_city", ns()),
                ("to_state", nullable(r("StateCode"))),
                ("eligibility_expiration_date", date()),
                (
                    "expiration_defaulted",
                    json!({ "type": "boolean", "description": "computed (QAD + 36 months) rather than sent" }),
                ),
            ],
        ),
    );
    add(
        "Enrollment",
        object(
            "An enrollment.",
            vec![
                ("enrollment_date", date()),
                ("enrollment_type", nullable(r("EnrollmentType"))),
                ("school_or_project_name", ns()),
                ("mep_project_type", nullable(r("MepProjectType"))),
                ("school_id", ns()),
                ("facility_name", ns()),
                ("facility_address_1", ns()),
                ("facility_address_2", ns()),
                ("facility_address_3", ns()),
                ("facility_city", ns()),
                ("district_id", ns()),
                ("district_name", ns()),
                ("facility_state", nullable(r("StateCode"))),
                ("facility_zip", ns()),
                ("telephone", ns()),
                ("grade_level", nullable(r("GradeLevel"))),
                ("lep", nb()),
                ("idea", nb()),
                ("med_alert", nullable(r("MedAlert"))),
                ("pfs", nb()),
                ("immunization_record", nb()),
                ("withdrawal_date", nd()),
                ("district_of_residence", ns()),
                ("residency_date", nd()),
                ("residency_verification_date", nd()),
                ("designated_graduation_school", ns()),
                ("graduation_hse", nullable(r("GraduationHse"))),
                ("graduation_hse_date", nd()),
                ("out_of_state_transcript", nb()),
                ("continuation_reason", nullable(r("ContinuationReason"))),
                ("algebra1", nb()),
                ("comment", ns()),
            ],
        ),
    );
    add(
        "Course",
        object(
            "A secondary course.",
            vec![
                ("course_title", string()),
                ("subject_area", ns()),
                ("course_type", nullable(r("CourseType"))),
                (
                    "begin_year",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                (
                    "end_year",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                ("course_section", nullable(r("CourseSection"))),
                ("term_type", nullable(r("TermType"))),
                (
                    "clock_hours",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                ("grade_to_date", ns()),
                (
                    "credits_hundredths",
                    json!({ "type": ["integer", "null"], "minimum": 0, "description": "credits granted x 100" }),
                ),
                ("final_grade", ns()),
            ],
        ),
    );
    add(
        "Assessment",
        object(
            "An assessment.",
            vec![
                ("title", string()),
                ("content", ns()),
                ("assessment_type", nullable(r("AssessmentType"))),
                ("administration_month", nd()),
                ("reporting_method", nullable(r("ReportingMethod"))),
                ("score", ns()),
                ("interpretation", nullable(r("AssessmentInterpretation"))),
            ],
        ),
    );
    add(
        "AlternateId",
        object(
            "An alternate student ID.",
            vec![
                ("record_id", int(0)),
                ("id", string()),
                ("id_type", nullable(r("AlternateIdType"))),
            ],
        ),
    );
    add(
        "Demographics",
        object(
            "Identity and family of one state record.",
            vec![
                ("first_name", string()),
                ("middle_name", ns()),
                ("last_name_1", string()),
                ("last_name_2", ns()),
                ("suffix", ns()),
                ("sex", nullable(r("Sex"))),
                ("birth_date", nd()),
                ("multiple_birth", nb()),
                ("birth_city", ns()),
                ("birth_state", ns()),
                ("birth_country", ns()),
                (
                    "birth_date_verification",
                    nullable(r("BirthDateVerification")),
                ),
                ("parent1_first_name", ns()),
                ("parent1_last_name", ns()),
                ("parent2_first_name", ns()),
                ("parent2_last_name", ns()),
                ("parent1_email", ns()),
                ("parent2_email", ns()),
                ("parent1_phone", ns()),
                ("parent2_phone", ns()),
            ],
        ),
    );
    add(
        "StudentRecord",
        object(
            "One state's record of the child, as validated.",
            vec![
                ("student_record_id", int(0)),
                ("msix_id", nullable(msix.clone())),
                ("reporting_state", r("StateCode")),
                ("state_student_id", string()),
                ("state_student_id_type", r("StudentIdType")),
                ("action", r("ActionCode")),
                ("alternate_ids", array(r("AlternateId"))),
                ("demographics", r("Demographics")),
                ("qualifying_moves", array(r("QualifyingMove"))),
                ("enrollments", array(r("Enrollment"))),
                ("courses", array(r("Course"))),
                ("assessments", array(r("Assessment"))),
            ],
        ),
    );
    add(
        "SourcedString",
        sourced("A value with its source.", string()),
    );
    add(
        "SourcedQualifyingMove",
        sourced("A qualifying move with its source.", r("QualifyingMove")),
    );
    add(
        "SourcedEnrollment",
        sourced("An enrollment with its source.", r("Enrollment")),
    );
    add(
        "SourcedCourse",
        sourced("A course with its source.", r("Course")),
    );
    add(
        "SourcedAssessment",
        sourced("An assessment with its source.", r("Assessment")),
    );
    add(
        "SourcedRecord",
        object(
            "A state record behind the consolidated record (the historical view).",
            vec![("source", r("Source")), ("record", r("StudentRecord"))],
        ),
    );
    add(
        "CourseGroup",
        object(
            "The courses of one school year and term.",
            vec![
                ("school_year", string()),
                ("term", string()),
                ("courses", array(r("SourcedCourse"))),
            ],
        ),
    );
    add(
        "CreditSummary",
        object(
            "Credits accrued in one subject area.",
            vec![
                ("subject_area", string()),
                ("credits_hundredths", int(0)),
                ("courses", int(0)),
                ("partial_courses", int(0)),
            ],
        ),
    );
    let identity_props: Map<String, Value> = IDENTITY_KEYS
        .iter()
        .map(|k| (k.to_string(), r("Field")))
        .collect();
    add(
        "ConsolidatedRecord",
        object(
            "The Consolidated Student Record: every state's records of one child, each value with \
             its provenance and the conflicting values of other states.",
            vec![
                ("msix_id", msix.clone()),
                (
                    "identity",
                    json!({
                        "type": "object",
                        "description": "identity, demographics, parents and contacts, by element field name (absent when no state sent it)",
                        "properties": identity_props,
                        "additionalProperties": false,
                    }),
                ),
                ("state_ids", array(r("Source"))),
                ("alternate_ids", array(r("SourcedString"))),
                ("qualifying_moves", array(r("SourcedQualifyingMove"))),
                ("enrollments", array(r("SourcedEnrollment"))),
                ("course_groups", array(r("CourseGroup"))),
                ("credit_summary", array(r("CreditSummary"))),
                ("algebra1", nullable(r("Field"))),
                ("graduation", nullable(r("Field"))),
                ("designated_graduation_school", nullable(r("Field"))),
                ("assessments", array(r("SourcedAssessment"))),
                ("latest_grade", nullable(r("GradeLevel"))),
                ("multiple_birth", json!({ "type": "boolean" })),
                ("state_records", array(r("SourcedRecord"))),
            ],
        ),
    );

    // Submissions.
    add(
        "Issue",
        object(
            "One problem found in a student record.",
            vec![
                ("path", string()),
                ("element", string()),
                ("value", string()),
                (
                    "rule",
                    json!({ "type": "string", "enum": [
                        "required", "max_length", "format", "code_set", "range", "date_order",
                        "applicability", "check_digit", "plausibility", "ownership"
                    ] }),
                ),
                (
                    "severity",
                    json!({ "type": "string", "enum": ["error", "warning"] }),
                ),
                ("message", string()),
            ],
        ),
    );
    add(
        "ReportRow",
        object(
            "One student of the file.",
            vec![
                ("student_record_id", string()),
                ("state_student_id", string()),
                (
                    "status",
                    json!({ "type": "string", "enum": ["pending", "accepted", "deleted", "rejected"] }),
                ),
                ("msix_id", nullable(msix.clone())),
                ("issues", array(r("Issue"))),
            ],
        ),
    );
    add(
        "Submission",
        object(
            "A received file.",
            vec![
                ("id", string()),
                ("state", r("StateCode")),
                (
                    "channel",
                    json!({ "type": "string", "enum": ["cli", "api", "portal"] }),
                ),
                ("file_name", ns()),
                (
                    "content_hash",
                    json!({ "type": "string", "description": "SHA-256 of the file, hex" }),
                ),
                (
                    "format",
                    json!({ "type": ["string", "null"], "description": "xml, json, jsonl or csv" }),
                ),
                ("encoding", ns()),
                (
                    "status",
                    json!({ "type": "string", "enum": ["processing", "completed", "rejected"] }),
                ),
                (
                    "students_total",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                (
                    "accepted",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                (
                    "rejected",
                    json!({ "type": ["integer", "null"], "minimum": 0 }),
                ),
                (
                    "error",
                    json!({ "type": ["string", "null"], "description": "why the file was rejected whole" }),
                ),
                ("received_at", date_time()),
                ("completed_at", nullable(date_time())),
            ],
        ),
    );
    add(
        "SubmissionReport",
        object(
            "The submission report: every student with its status, MSIX ID and issues.",
            vec![
                (
                    "outcome",
                    json!({ "type": "string", "enum": ["completed", "already_received", "rejected"] }),
                ),
                ("submission", r("Submission")),
                ("rows", array(r("ReportRow"))),
            ],
        ),
    );
    Value::Object(s)
}

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": r("Problem") } },
    })
}

fn json_response(description: &str, schema: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": r(schema) } },
    })
}

fn query_param(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "query",
        "required": false,
        "description": description,
        "schema": { "type": "string" },
    })
}

fn path_param(name: &str, description: &str) -> Value {
    json!({
        "name": name,
        "in": "path",
        "required": true,
        "description": description,
        "schema": { "type": "string" },
    })
}

/// The responses every signed-in route may give besides its own.
fn common_errors(mut responses: Value) -> Value {
    if let Some(m) = responses.as_object_mut() {
        m.insert(
            "401".into(),
            json!({ "$ref": "#/components/responses/Unauthenticated" }),
        );
        m.insert(
            "403".into(),
            json!({ "$ref": "#/components/responses/Forbidden" }),
        );
        m.insert(
            "500".into(),
            json!({ "$ref": "#/components/responses/InternalError" }),
        );
        m.insert(
            "503".into(),
            json!({ "$ref": "#/components/responses/Unavailable" }),
        );
    }
    responses
}

fn build() -> Value {
    let file_body = json!({ "type": "string", "format": "binary" });
    let mut state_param = query_param(
        "state",
        "the submitting state (USPS code); defaults to the caller's state",
    );
    state_param["schema"] = r("StateCode");
    let signed_in = json!([{ "session": [] }]);
    let submitters = json!([{ "bearer": [] }, { "session": [] }]);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Puente API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Migrant student record exchange",
            "description": "Search children, read the Consolidated Student Record, and submit state files. \
                Errors are `application/problem+json` with a stable `code` (docs/errors.md). \
                Every search and every record view is audited.",
            "license": { "name": "Apache-2.0 OR MIT", "identifier": "Apache-2.0" },
        },
        "servers": [{ "url": "/" }],
        "tags": [
            { "name": "students", "description": "Search and the consolidated record" },
            { "name": "submissions", "description": "State files and their reports" },
            { "name": "meta", "description": "This API and its documentation" },
        ],
        "paths": {
            "/api/v1": {
                "get": {
                    "operationId": "apiRoot",
                    "tags": ["meta"],
                    "summary": "API root: name, version, links",
                    "security": [],
                    "responses": { "200": json_response("The API root.", "ApiRoot") },
                },
            },
            DOCUMENT_PATH: {
                "get": {
                    "operationId": "openapiDocument",
                    "tags": ["meta"],
                    "summary": "This OpenAPI document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": { "application/json": { "schema": { "type": "object" } } },
                        },
                    },
                },
            },
            DOCS_PATH: {
                "get": {
                    "operationId": "docsUi",
                    "tags": ["meta"],
                    "summary": "The documentation UI (redirects to its page)",
                    "security": [],
                    "responses": {
                        "308": {
                            "description": "Go to the UI page.",
                            "headers": { "location": { "schema": { "type": "string" } } },
                        },
                    },
                },
            },
            "/api/docs/{file}": {
                "get": {
                    "operationId": "docsUiFile",
                    "tags": ["meta"],
                    "summary": "A file of the documentation UI (index.html, scripts, styles)",
                    "security": [],
                    "parameters": [path_param("file", "file name, e.g. index.html")],
                    "responses": {
                        "200": {
                            "description": "The file.",
                            "content": {
                                "text/html": { "schema": { "type": "string" } },
                                "text/javascript": { "schema": { "type": "string" } },
                                "text/css": { "schema": { "type": "string" } },
                                "image/png": { "schema": { "type": "string" } },
                                "application/octet-stream": { "schema": { "type": "string" } },
                            },
                        },
                        "404": problem_response("No such file."),
                    },
                },
            },
            "/api/v1/students": {
                "get": {
                    "operationId": "searchStudents",
                    "tags": ["students"],
                    "summary": "Search children (ranked, at most 50, audited)",
                    "description": "Any combination of fields; accents and case are ignored, nicknames and \
                        phonetic variants found, both surnames in any order, day-month swapped birth dates \
                        tolerated. At least one field besides `sex` and `state` is needed. \
                        Capability: SearchStudents.",
                    "security": signed_in,
                    "parameters": [
                        query_param("first_name", "given name"),
                        query_param("middle_name", "middle name"),
                        query_param("last_name", "one or both surnames, any order"),
                        query_param("birth_date", "YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY"),
                        query_param("sex", "F, M or X (or the label)"),
                        query_param("state_student_id", "a state student ID"),
                        query_param("msix_id", "an MSIX ID (12 digits, checked)"),
                        query_param("parent_name", "a parent's given name or surname"),
                        query_param("birth_city", "birth city"),
                        query_param("state", "a USPS state code where the child has a record"),
                    ],
                    "responses": common_errors(json!({
                        "200": json_response("Ranked results, best first.", "SearchResults"),
                        "400": { "$ref": "#/components/responses/BadRequest" },
                    })),
                },
            },
            "/api/v1/students/{msix_id}": {
                "get": {
                    "operationId": "studentRecord",
                    "tags": ["students"],
                    "summary": "The Consolidated Student Record (audited with its purpose)",
                    "description": "Capability: ViewStudent. A merged MSIX ID answers 308 to the surviving one.",
                    "security": signed_in,
                    "parameters": [
                        path_param("msix_id", "the MSIX ID (12 digits, the last a check digit)"),
                        query_param("purpose", "why the record is viewed (audited; at most 200 characters are kept)"),
                    ],
                    "responses": common_errors(json!({
                        "200": json_response("The consolidated record.", "ConsolidatedRecord"),
                        "308": {
                            "description": "This MSIX ID was merged: the record is under the surviving ID.",
                            "headers": { "location": { "schema": { "type": "string" }, "description": "/api/v1/students/{surviving ID}" } },
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "404": problem_response("No such student (code `not_found`)."),
                    })),
                },
            },
            "/api/v1/students/{msix_id}/report.pdf": {
                "get": {
                    "operationId": "studentRecordPdf",
                    "tags": ["students"],
                    "summary": "The Consolidated Student Record Report as a PDF (audited as record.print with its purpose)",
                    "description": "Capability: PrintStudent. A merged MSIX ID answers 308 to the surviving one. See docs/pdf-report.md.",
                    "security": signed_in,
                    "parameters": [
                        path_param("msix_id", "the MSIX ID (12 digits, the last a check digit)"),
                        json!({
                            "name": "purpose",
                            "in": "query",
                            "required": true,
                            "description": "why the record is printed (audited)",
                            "schema": { "type": "string", "enum": ["parent-request", "family-moving", "enrollment", "other"] },
                        }),
                        query_param("lang", "en (default) or es"),
                    ],
                    "responses": common_errors(json!({
                        "200": {
                            "description": "The report (attachment msix-<id>-record-<lang>.pdf).",
                            "content": { "application/pdf": { "schema": { "type": "string", "format": "binary" } } },
                        },
                        "308": {
                            "description": "This MSIX ID was merged: the report is under the surviving ID.",
                            "headers": { "location": { "schema": { "type": "string" }, "description": "/api/v1/students/{surviving ID}/report.pdf" } },
                        },
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "404": problem_response("No such student (code `not_found`)."),
                    })),
                },
            },
            "/api/v1/submissions": {
                "post": {
                    "operationId": "submitFile",
                    "tags": ["submissions"],
                    "summary": "Submit a state file (XML, JSON, JSON Lines or CSV)",
                    "description": "The request body is the file itself (format and encoding are detected; \
                        see docs/interchange.md). Capability: SubmitRecords, in the submitting state. \
                        A state API token submits for its own state. The same file again is recognised \
                        (200, nothing written twice).",
                    "security": submitters,
                    "parameters": [
                        state_param,
                        query_param("file_name", "the file's name, for the report (at most 200 characters are kept)"),
                    ],
                    "requestBody": {
                        "required": true,
                        "description": "The submission file, at most 2 GiB.",
                        "content": {
                            "application/xml": { "schema": file_body },
                            "application/json": { "schema": file_body },
                            "application/jsonl": { "schema": file_body },
                            "text/csv": { "schema": file_body },
                            "application/octet-stream": { "schema": file_body },
                        },
                    },
                    "responses": common_errors(json!({
                        "201": json_response("Processed: good students written, bad ones listed with their issues.", "SubmissionReport"),
                        "200": json_response("This exact file was received before; its report.", "SubmissionReport"),
                        "422": json_response("Rejected whole (nothing written); `submission.error` says why.", "SubmissionReport"),
                        "400": { "$ref": "#/components/responses/BadRequest" },
                        "413": problem_response("The file is larger than 2 GiB (code `payload_too_large`)."),
                        "507": problem_response("The file could not be stored (code `insufficient_storage`)."),
                    })),
                },
            },
            "/api/v1/submissions/{id}": {
                "get": {
                    "operationId": "submissionReport",
                    "tags": ["submissions"],
                    "summary": "A submission report as JSON",
                    "description": "Capability: SubmitRecords, in the submission's state (another state's \
                        submission answers 404, so that IDs cannot be probed).",
                    "security": submitters,
                    "parameters": [path_param("id", "the submission ID")],
                    "responses": common_errors(json!({
                        "200": json_response("The report.", "SubmissionReport"),
                        "404": problem_response("No such submission (code `not_found`)."),
                    })),
                },
            },
            "/api/v1/submissions/{id}/report.csv": {
                "get": {
                    "operationId": "submissionReportCsv",
                    "tags": ["submissions"],
                    "summary": "A submission report as CSV",
                    "description": "One line per issue, and one per student without issues. Cells \
                        starting with = + - @ are prefixed with an apostrophe.",
                    "security": submitters,
                    "parameters": [path_param("id", "the submission ID")],
                    "responses": common_errors(json!({
                        "200": {
                            "description": "The report.",
                            "content": { "text/csv": { "schema": { "type": "string" } } },
                            "headers": { "content-disposition": { "schema": { "type": "string" } } },
                        },
                        "404": problem_response("No such submission (code `not_found`)."),
                    })),
                },
            },
        },
        "components": {
            "securitySchemes": {
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "puente_session",
                    "description": "The portal session after sign-in with password and TOTP.",
                },
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "pnt_...",
                    "description": "A state system's API token (`puente tokens issue`); it may only submit, for its state.",
                },
            },
            "responses": {
                "BadRequest": problem_response("A value the caller can correct (code `bad_request`; the title says what)."),
                "Unauthenticated": problem_response("No session or token (code `unauthenticated`), or a bad token (code `invalid_token`)."),
                "Forbidden": problem_response("The role lacks the capability, or the record or state is outside the caller's scope (code `forbidden`)."),
                "InternalError": problem_response("A fault on our side (code `internal`)."),
                "Unavailable": problem_response("The database is unavailable (code `unavailable`)."),
            },
            "schemas": schemas(),
        },
    })
}

/// The OpenAPI document.
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

/// `GET /api/openapi.json`.
pub async fn serve() -> Response {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    let bytes = BYTES.get_or_init(|| serde_json::to_vec(document()).unwrap_or_default());
    let mut resp = bytes.clone().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// `GET /api/docs`: to the UI page (its files are addressed relative to it).
pub async fn docs_root() -> Response {
    Redirect::permanent("/api/docs/index.html").into_response()
}

fn ui_config() -> Arc<utoipa_swagger_ui::Config<'static>> {
    static CONFIG: OnceLock<Arc<utoipa_swagger_ui::Config<'static>>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            Arc::new(
                utoipa_swagger_ui::Config::new([DOCUMENT_PATH])
                    .validator_url("none")
                    .try_it_out_enabled(false),
            )
        })
        .clone()
}

/// `GET /api/docs/{file}`: the Swagger UI files, embedded in the binary.
pub async fn docs_file(Path(file): Path<String>) -> Response {
    match utoipa_swagger_ui::serve(&file, ui_config()) {
        Ok(Some(f)) => {
            let mut resp = f.bytes.into_owned().into_response();
            if let Ok(v) = HeaderValue::from_str(&f.content_type) {
                resp.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            resp.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            );
            resp.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(DOCS_CSP),
            );
            resp
        }
        Ok(None) => crate::auth::problem(StatusCode::NOT_FOUND, "not found"),
        Err(e) => {
            tracing::error!(error = %e, "documentation UI file");
            crate::auth::problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
