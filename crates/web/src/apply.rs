//! Public pages of the account application workflow: apply for access, the supervisor's
//! one-time attestation link, and the applicant's one-time activation link (choose a password).
//! The decisions live in `puente_app::applications`; the administrators' pages are in `admin.rs`.
//!
//! These forms are used before sign-in: like the login form they carry a double-submit CSRF
//! token (the `puente_csrf` cookie), or the session's token when someone signed in uses them.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use puente_app::applications::{APPLICABLE_ROLES, ApplicationForm, FieldProblem, LinkLookup};
use puente_domain::{CodeSet, StateCode};
use serde::Deserialize;

use crate::WebState;
use crate::auth::app_error;
use crate::frame::{Frame, render};
use crate::session::{ClientIp, PRE_CSRF_COOKIE, SessionCtx, cookie};

/// The CSRF token for a public form, and the cookie to set when a new one was made.
fn public_csrf(
    session: &Option<Extension<Arc<SessionCtx>>>,
    headers: &HeaderMap,
) -> (String, Option<String>) {
    if let Some(Extension(s)) = session {
        return (s.info.csrf_token.clone(), None);
    }
    match cookie(headers, PRE_CSRF_COOKIE).filter(|c| c.len() == 64) {
        Some(c) => (c, None),
        None => {
            let t = puente_app::auth::random_token();
            let c = format!("{PRE_CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Strict");
            (t, Some(c))
        }
    }
}

fn with_cookie(mut resp: Response, set: Option<String>) -> Response {
    if let Some(v) = set.and_then(|v| HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// An option of a `<select>`: (value, label, selected).
pub type Choice = (String, String, bool);

#[derive(Template)]
#[template(path = "apply/form.html")]
pub struct ApplyPage {
    pub frame: Frame,
    pub csrf: String,
    pub f: ApplicationForm,
    pub errors: HashMap<&'static str, String>,
}

impl ApplyPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }
    fn roles(&self) -> Vec<Choice> {
        let mut out = vec![(
            String::new(),
            self.frame.t("apply-choose"),
            self.f.role.is_empty(),
        )];
        out.extend(APPLICABLE_ROLES.iter().map(|r| {
            (
                r.code().to_owned(),
                self.frame
                    .t(&format!("adm-role-{}", r.code().replace('_', "-"))),
                self.f.role == r.code(),
            )
        }));
        out
    }
    fn states(&self) -> Vec<Choice> {
        let mut out = vec![(
            String::new(),
            self.frame.t("apply-choose"),
            self.f.state.is_empty(),
        )];
        out.extend(StateCode::all().iter().map(|s| {
            (
                s.code().to_owned(),
                format!("{} ({})", s.label(), s.code()),
                self.f.state.eq_ignore_ascii_case(s.code()),
            )
        }));
        out
    }
    /// (name, label, type, autocomplete, value) of the text fields, in order.
    fn text_fields(&self) -> Vec<(&'static str, String, &'static str, &'static str, String)> {
        vec![
            (
                "full_name",
                self.frame.t("apply-full-name"),
                "text",
                "name",
                self.f.full_name.clone(),
            ),
            (
                "email",
                self.frame.t("apply-email"),
                "email",
                "email",
                self.f.email.clone(),
            ),
            (
                "organisation",
                self.frame.t("apply-organisation"),
                "text",
                "organization",
                self.f.organisation.clone(),
            ),
        ]
    }
    fn supervisor_fields(&self) -> Vec<(&'static str, String, &'static str, &'static str, String)> {
        vec![
            (
                "supervisor_name",
                self.frame.t("apply-supervisor-name"),
                "text",
                "off",
                self.f.supervisor_name.clone(),
            ),
            (
                "supervisor_email",
                self.frame.t("apply-supervisor-email"),
                "email",
                "off",
                self.f.supervisor_email.clone(),
            ),
        ]
    }
}

/// `GET /apply`.
pub async fn form(
    Extension(frame): Extension<Frame>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
) -> Response {
    let (csrf, set) = public_csrf(&session, &headers);
    let page = ApplyPage {
        frame,
        csrf,
        f: ApplicationForm::default(),
        errors: HashMap::new(),
    };
    with_cookie(render(StatusCode::OK, &page), set)
}

fn problem_id(p: FieldProblem) -> &'static str {
    match p {
        FieldProblem::Required => "apply-error-required",
        FieldProblem::TooLong => "apply-error-too-long",
        FieldProblem::InvalidEmail => "apply-error-email",
        FieldProblem::InvalidState => "apply-error-state",
        FieldProblem::InvalidRole => "apply-error-role",
        FieldProblem::SameAsApplicant => "apply-error-same-supervisor",
    }
}

/// `POST /apply`: stores the application and e-mails the supervisor; errors next to fields.
pub async fn submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
    Form(f): Form<ApplicationForm>,
) -> Response {
    match state
        .app
        .apply_for_access(&f, frame.lang_code(), ip.0.clone())
        .await
    {
        Ok(Ok(_)) => Redirect::to("/apply/sent").into_response(),
        Ok(Err(problems)) => {
            let (csrf, _) = public_csrf(&session, &headers);
            let mut errors = HashMap::new();
            for (field, p) in problems {
                errors
                    .entry(field)
                    .or_insert_with(|| frame.t(problem_id(p)));
            }
            render(
                StatusCode::BAD_REQUEST,
                &ApplyPage {
                    frame,
                    csrf,
                    f,
                    errors,
                },
            )
        }
        Err(e) => app_error(frame, e),
    }
}

#[derive(Template)]
#[template(path = "apply/message.html")]
pub struct MessagePage {
    pub frame: Frame,
    pub title: String,
    pub body: String,
}

fn message(frame: Frame, status: StatusCode, title: &str, body: &str) -> Response {
    let page = MessagePage {
        title: frame.t(title),
        body: frame.t(body),
        frame,
    };
    render(status, &page)
}

/// `GET /apply/sent`.
pub async fn sent(Extension(frame): Extension<Frame>) -> Response {
    message(frame, StatusCode::OK, "apply-sent-title", "apply-sent-body")
}

fn link_problem(frame: Frame, l: &LinkLookup) -> Response {
    match l {
        LinkLookup::Expired => message(
            frame,
            StatusCode::GONE,
            "apply-link-expired-title",
            "apply-link-expired-body",
        ),
        _ => message(
            frame,
            StatusCode::NOT_FOUND,
            "apply-link-unknown-title",
            "apply-link-unknown-body",
        ),
    }
}

#[derive(Template)]
#[template(path = "apply/attest.html")]
pub struct AttestPage {
    pub frame: Frame,
    pub csrf: String,
    pub token: String,
    pub facts: Vec<(String, String)>,
    pub error: Option<String>,
}

impl AttestPage {
    fn choices(&self) -> Vec<(&'static str, String)> {
        vec![
            ("confirm", self.frame.t("attest-confirm")),
            ("decline", self.frame.t("attest-decline")),
        ]
    }
}

fn attest_facts(frame: &Frame, a: &puente_store::ApplicationRow) -> Vec<(String, String)> {
    vec![
        (frame.t("apply-full-name"), a.full_name.clone()),
        (frame.t("apply-email"), a.email.clone()),
        (frame.t("apply-organisation"), a.organisation.clone()),
        (
            frame.t("apply-role"),
            frame.t(&format!("adm-role-{}", a.role_requested.replace('_', "-"))),
        ),
        (frame.t("apply-state"), a.state.clone()),
        (
            frame.t("apply-district"),
            a.district.clone().unwrap_or_default(),
        ),
    ]
}

/// `GET /apply/attest/{token}`: the supervisor's page.
pub async fn attest_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match state
        .app
        .application_by_link(&token, "awaiting_attestation")
        .await
    {
        Ok(LinkLookup::Valid(a)) => {
            let (csrf, set) = public_csrf(&session, &headers);
            let page = AttestPage {
                facts: attest_facts(&frame, &a),
                frame,
                csrf,
                token,
                error: None,
            };
            with_cookie(render(StatusCode::OK, &page), set)
        }
        Ok(other) => link_problem(frame, &other),
        Err(e) => app_error(frame, e),
    }
}

#[derive(Deserialize)]
pub struct AttestForm {
    #[serde(default)]
    answer: String,
    #[serde(default)]
    note: String,
}

/// `POST /apply/attest/{token}`: records the attestation once.
pub async fn attest_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<AttestForm>,
) -> Response {
    let confirm = match f.answer.as_str() {
        "confirm" => true,
        "decline" => false,
        _ => {
            return match state
                .app
                .application_by_link(&token, "awaiting_attestation")
                .await
            {
                Ok(LinkLookup::Valid(a)) => {
                    let (csrf, _) = public_csrf(&session, &headers);
                    let page = AttestPage {
                        facts: attest_facts(&frame, &a),
                        error: Some(frame.t("attest-error-choose")),
                        frame,
                        csrf,
                        token,
                    };
                    render(StatusCode::BAD_REQUEST, &page)
                }
                Ok(other) => link_problem(frame, &other),
                Err(e) => app_error(frame, e),
            };
        }
    };
    match state
        .app
        .attest_application(&token, confirm, &f.note, ip.0.clone())
        .await
    {
        Ok(LinkLookup::Valid(_)) => Redirect::to("/apply/attested").into_response(),
        Ok(other) => link_problem(frame, &other),
        Err(e) => app_error(frame, e),
    }
}

/// `GET /apply/attested`.
pub async fn attested(Extension(frame): Extension<Frame>) -> Response {
    message(
        frame,
        StatusCode::OK,
        "attest-done-title",
        "attest-done-body",
    )
}

#[derive(Template)]
#[template(path = "apply/activate.html")]
pub struct ActivatePage {
    pub frame: Frame,
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub error: Option<String>,
}

/// `GET /apply/activate/{token}`: the applicant chooses a password.
pub async fn activate_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    match state.app.application_by_link(&token, "approved").await {
        Ok(LinkLookup::Valid(a)) => {
            let (csrf, set) = public_csrf(&session, &headers);
            let page = ActivatePage {
                frame,
                csrf,
                token,
                email: a.email,
                error: None,
            };
            with_cookie(render(StatusCode::OK, &page), set)
        }
        Ok(other) => link_problem(frame, &other),
        Err(e) => app_error(frame, e),
    }
}

#[derive(Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /apply/activate/{token}`: sets the password, then the applicant signs in.
pub async fn activate_submit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    Extension(ip): Extension<ClientIp>,
    session: Option<Extension<Arc<SessionCtx>>>,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(f): Form<ActivateForm>,
) -> Response {
    let lookup = match state.app.application_by_link(&token, "approved").await {
        Ok(LinkLookup::Valid(a)) => a,
        Ok(other) => return link_problem(frame, &other),
        Err(e) => return app_error(frame, e),
    };
    let error = if f.password != f.confirm {
        Some(frame.t("activate-error-mismatch"))
    } else {
        match state
            .app
            .activate_account(&token, &f.password, ip.0.clone())
            .await
        {
            Ok(Ok(())) => return Redirect::to("/login").into_response(),
            Ok(Err(p)) => Some(frame.t(p.message_id())),
            Err(e) => return app_error(frame, e),
        }
    };
    let (csrf, _) = public_csrf(&session, &headers);
    render(
        StatusCode::BAD_REQUEST,
        &ActivatePage {
            frame,
            csrf,
            token,
            email: lookup.email,
            error,
        },
    )
}
