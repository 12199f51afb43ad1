//! The administration portal: accounts of the administrator's scope (list with filters, one
//! account with status and role changes) and the audit log viewer with CSV export.
//!
//! Every decision (who may see or change what) comes from the app layer
//! ([`puente_app::App::account_actions`], `find_accounts`, `audit_search`); the pages only show
//! what it allows. Changes are POST forms with the session's CSRF token, answered with a redirect
//! (success) or the page again with the error next to the field.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use puente_app::Actor;
use puente_app::accounts::{
    AccountActions, AccountFilter, RoleChangeError, StatusChange, StatusChangeError,
};
use puente_app::audit::AuditQuery;
use puente_domain::roles::{Capability, Role};
use puente_store::UserRow;
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};
use crate::i18n::Lang;

/// A link of the administration home.
pub struct AdminLink {
    pub href: &'static str,
    pub label: String,
    pub desc: String,
}

#[derive(Template)]
#[template(path = "admin/index.html")]
pub struct IndexPage {
    pub frame: Frame,
    pub links: Vec<AdminLink>,
}

/// `GET /admin`: the administration tasks the user may do.
pub async fn index(
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
) -> Response {
    let mut links = Vec::new();
    let mut add = |href, label: &str, desc: &str| {
        links.push(AdminLink {
            href,
            label: frame.t(label),
            desc: frame.t(desc),
        })
    };
    if actor.can(Capability::ManageUsers) {
        add("/admin/users", "adm-users-title", "adm-users-desc");
        add("/admin/applications", "adm-apps-title", "adm-apps-desc");
        add("/reports/oversight", "ovs-title", "adm-oversight-desc");
    }
    if actor.can(Capability::ViewAudit) {
        add("/admin/audit", "audit-title", "adm-audit-desc");
    }
    render(StatusCode::OK, &IndexPage { frame, links })
}

/// An option of a `<select>`: (value, label, selected).
pub type Choice = (String, String, bool);

fn role_label(frame: &Frame, code: &str) -> String {
    role_name(frame.lang, code)
}

/// The name of a role code in `lang`.
pub(crate) fn role_name(lang: Lang, code: &str) -> String {
    lang.t(&format!("adm-role-{}", code.replace('_', "-")))
}

fn status_label(frame: &Frame, status: &str) -> String {
    frame.t(&format!("admin-status-{status}"))
}

/// A line of the account list.
pub struct UserLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub state: String,
    pub status: String,
    pub last_login: String,
}

fn user_line(frame: &Frame, u: &UserRow) -> UserLine {
    UserLine {
        id: u.id.clone(),
        name: u.display_name.clone(),
        email: u.email.clone(),
        role: role_label(frame, &u.role),
        state: u
            .scope_state
            .clone()
            .unwrap_or_else(|| frame.t("admin-national")),
        status: status_label(frame, &u.status),
        last_login: u
            .last_login_at
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| frame.t("admin-never")),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub state: String,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub frame: Frame,
    pub q: UsersQuery,
    pub roles: Vec<Choice>,
    pub statuses: Vec<Choice>,
    /// National administrators filter by state; state administrators see their own.
    pub state_filter: bool,
    pub rows: Vec<UserLine>,
}

impl UsersPage {
    fn count(&self) -> String {
        self.frame
            .t1("adm-users-count", "count", &self.rows.len().to_string())
    }
}

fn role_choices(frame: &Frame, roles: &[Role], selected: &str, any: bool) -> Vec<Choice> {
    let mut out = Vec::new();
    if any {
        out.push((String::new(), frame.t("adm-any"), selected.is_empty()));
    }
    out.extend(roles.iter().map(|r| {
        (
            r.code().to_owned(),
            role_label(frame, r.code()),
            r.code() == selected,
        )
    }));
    out
}

/// `GET /admin/users`: the accounts of the administrator's scope, filtered.
pub async fn users(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<UsersQuery>,
) -> Response {
    let filter = AccountFilter {
        text: Some(q.q.clone()),
        role: Role::parse(&q.role),
        status: Some(q.status.clone()).filter(|s| !s.is_empty()),
        state: Some(q.state.clone()),
    };
    match state.app.find_accounts(&actor, &filter).await {
        Ok(list) => {
            let human: Vec<Role> = Role::ALL
                .into_iter()
                .filter(|r| *r != Role::StateSystem)
                .collect();
            let roles = role_choices(&frame, &human, &q.role, true);
            let mut statuses = vec![(String::new(), frame.t("adm-any"), q.status.is_empty())];
            for s in ["active", "disabled", "deactivated"] {
                statuses.push((s.to_owned(), status_label(&frame, s), q.status == s));
            }
            let rows = list.iter().map(|u| user_line(&frame, u)).collect();
            render(
                StatusCode::OK,
                &UsersPage {
                    state_filter: actor.state().is_none(),
                    frame,
                    q,
                    roles,
                    statuses,
                    rows,
                },
            )
        }
        Err(e) => app_error(frame, e),
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub frame: Frame,
    pub csrf: String,
    pub user: UserLine,
    pub created: String,
    pub rules_accepted: String,
    pub training: String,
    pub mfa: String,
    pub actions: AccountActions,
    pub roles: Vec<Choice>,
    pub notice: Option<String>,
    pub status_error: Option<String>,
    pub role_error: Option<String>,
}

impl UserPage {
    /// (value, label) of the status changes the administrator may make.
    fn status_choices(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.actions.disable {
            out.push(("disable", self.frame.t("admin-disable")));
        }
        if self.actions.reactivate {
            out.push(("reactivate", self.frame.t("admin-reactivate")));
        }
        if self.actions.deactivate {
            out.push(("deactivate", self.frame.t("admin-deactivate")));
        }
        out
    }
}

fn date_or_never(frame: &Frame, d: Option<chrono::DateTime<chrono::Utc>>) -> String {
    d.map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| frame.t("admin-never"))
}

async fn user_page(
    state: &WebState,
    frame: Frame,
    csrf: String,
    actor: &Actor,
    user_id: &str,
    notice: Option<String>,
    errors: (Option<String>, Option<String>),
) -> Response {
    let u = match state.app.account(actor, user_id).await {
        Ok(u) => u,
        Err(e) => return app_error(frame, e),
    };
    let actions = state.app.account_actions(actor, &u);
    let roles = role_choices(&frame, &actions.roles, &u.role, false);
    let status = if errors.0.is_some() || errors.1.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = UserPage {
        user: user_line(&frame, &u),
        created: u.created_at.format("%Y-%m-%d").to_string(),
        rules_accepted: date_or_never(&frame, u.rules_accepted_at),
        training: date_or_never(&frame, u.training_completed_at),
        mfa: frame.t(if u.mfa_enrolled {
            "adm-mfa-yes"
        } else {
            "adm-mfa-no"
        }),
        actions,
        roles,
        notice,
        status_error: errors.0,
        role_error: errors.1,
        csrf,
        frame,
    };
    render(status, &page)
}

/// `GET /admin/users/{user_id}`.
pub async fn user(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(user_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = match q.get("done").map(String::as_str) {
        Some("status") => Some(frame.t("admin-updated")),
        Some("role") => Some(frame.t("adm-role-changed")),
        _ => None,
    };
    let csrf = frame.csrf();
    user_page(&state, frame, csrf, &actor, &user_id, notice, (None, None)).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    change: String,
}

/// `POST /admin/users/{user_id}/status`: disable, deactivate or reactivate.
pub async fn user_status(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(user_id): Path<String>,
    Form(f): Form<StatusForm>,
) -> Response {
    let change = match f.change.as_str() {
        "disable" => Some(StatusChange::Disable),
        "deactivate" => Some(StatusChange::Deactivate),
        "reactivate" => Some(StatusChange::Reactivate),
        _ => None,
    };
    let csrf = frame.csrf();
    let Some(change) = change else {
        let err = frame.t("adm-error-choose-status");
        return user_page(
            &state,
            frame,
            csrf,
            &actor,
            &user_id,
            None,
            (Some(err), None),
        )
        .await;
    };
    match state
        .app
        .try_change_account_status(&actor, &user_id, change)
        .await
    {
        Ok(Ok(())) => Redirect::to(&format!("/admin/users/{user_id}?done=status")).into_response(),
        Ok(Err(e)) => {
            let err = frame.t(match e {
                StatusChangeError::OwnAccount => "adm-error-own-account",
                StatusChangeError::Deactivated => "adm-error-deactivated",
                StatusChangeError::Unchanged => "adm-error-unchanged",
            });
            user_page(
                &state,
                frame,
                csrf,
                &actor,
                &user_id,
                None,
                (Some(err), None),
            )
            .await
        }
        Err(e) => app_error(frame, e),
    }
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{user_id}/role`.
pub async fn user_role(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(user_id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    let csrf = frame.csrf();
    let Some(role) = Role::parse(&f.role) else {
        let err = frame.t("adm-error-role-not-grantable");
        return user_page(
            &state,
            frame,
            csrf,
            &actor,
            &user_id,
            None,
            (None, Some(err)),
        )
        .await;
    };
    match state.app.change_account_role(&actor, &user_id, role).await {
        Ok(Ok(())) => Redirect::to(&format!("/admin/users/{user_id}?done=role")).into_response(),
        Ok(Err(e)) => {
            let err = frame.t(match e {
                RoleChangeError::NotGrantable => "adm-error-role-not-grantable",
                RoleChangeError::Deactivated => "adm-error-deactivated",
                RoleChangeError::OwnAccount => "adm-error-own-account",
                RoleChangeError::Unchanged => "adm-error-unchanged",
            });
            user_page(
                &state,
                frame,
                csrf,
                &actor,
                &user_id,
                None,
                (None, Some(err)),
            )
            .await
        }
        Err(e) => app_error(frame, e),
    }
}

// ---------------------------------------------------------------- audit log

#[derive(Debug, Default, Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub msix_id: String,
}

impl AuditForm {
    /// The query, or the fields with an error (field name, message id).
    fn query(&self) -> Result<AuditQuery, Vec<(&'static str, &'static str)>> {
        let mut errors = Vec::new();
        let mut date = |field: &'static str, v: &str| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push((field, "adm-error-date"));
                    None
                }
            }
        };
        let from = date("from", &self.from);
        let until = date("until", &self.until);
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            errors.push(("until", "adm-error-date-order"));
        }
        let msix = self.msix_id.trim();
        if !msix.is_empty() && puente_domain::MsixId::parse(msix).is_err() {
            errors.push(("msix_id", "adm-error-msix"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(AuditQuery {
            actor: Some(self.actor.clone()),
            action: Some(self.action.clone()),
            from,
            until,
            msix_id: Some(msix.to_owned()),
            limit: 500,
        })
    }

    fn export_href(&self) -> String {
        let enc = |v: &str| {
            percent_encoding::utf8_percent_encode(v.trim(), percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        format!(
            "/admin/audit.csv?actor={}&action={}&from={}&until={}&msix_id={}",
            enc(&self.actor),
            enc(&self.action),
            enc(&self.from),
            enc(&self.until),
            enc(&self.msix_id)
        )
    }
}

/// A line of the audit viewer.
pub struct AuditLine {
    pub seq: String,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub msix: String,
    pub purpose: String,
    pub ip: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub frame: Frame,
    pub q: AuditForm,
    pub errors: HashMap<&'static str, String>,
    pub rows: Vec<AuditLine>,
    pub export_href: String,
}

impl AuditPage {
    fn error(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// (name, label, error, value) of the date filters.
    fn date_fields(&self) -> Vec<(&'static str, String, Option<String>, String)> {
        [
            ("from", "audit-filter-from", &self.q.from),
            ("until", "audit-filter-until", &self.q.until),
        ]
        .into_iter()
        .map(|(name, label, value)| {
            (
                name,
                self.frame.t(label),
                self.errors.get(name).cloned(),
                value.clone(),
            )
        })
        .collect()
    }

    fn count(&self) -> String {
        self.frame
            .t1("adm-audit-count", "count", &self.rows.len().to_string())
    }
}

/// `GET /admin/audit`: the audit log with filters (actor, action, dates, MSIX ID), newest first.
pub async fn audit(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<AuditForm>,
) -> Response {
    let export_href = q.export_href();
    let query = match q.query() {
        Ok(query) => query,
        Err(errs) => {
            let errors = errs.into_iter().map(|(f, id)| (f, frame.t(id))).collect();
            let page = AuditPage {
                frame,
                q,
                errors,
                rows: Vec::new(),
                export_href,
            };
            return render(StatusCode::BAD_REQUEST, &page);
        }
    };
    let events = match state.app.audit_filter(&query).await {
        Ok(filter) => state.app.audit_search(&actor, &filter).await,
        Err(e) => Err(e),
    };
    let events = match events {
        Ok(e) => e,
        Err(e) => return app_error(frame, e),
    };
    // Show e-mail addresses for the accounts the administrator may see.
    let names: HashMap<String, String> = state
        .app
        .find_accounts(&actor, &AccountFilter::default())
        .await
        .map(|l| l.into_iter().map(|u| (u.id, u.email)).collect())
        .unwrap_or_default();
    let rows = events
        .into_iter()
        .map(|e| AuditLine {
            seq: e.seq.map(|s| s.to_string()).unwrap_or_default(),
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: names.get(&e.actor).cloned().unwrap_or(e.actor),
            action: e.action,
            msix: e.child_msix_id.unwrap_or_default(),
            purpose: e.purpose.unwrap_or_default(),
            ip: e.source_ip.unwrap_or_default(),
            details: e.details.unwrap_or_default(),
        })
        .collect();
    render(
        StatusCode::OK,
        &AuditPage {
            frame,
            q,
            errors: HashMap::new(),
            rows,
            export_href,
        },
    )
}

/// `GET /admin/audit.csv`: the filtered log as CSV; the export is itself audited.
pub async fn audit_csv(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<AuditForm>,
) -> Response {
    let Ok(query) = q.query() else {
        return (StatusCode::BAD_REQUEST, frame.t("adm-error-filters")).into_response();
    };
    match state.app.audit_export_csv(&actor, &query).await {
        Ok(csv) => {
            let mut resp = csv.into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            resp.headers_mut().insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"puente-audit.csv\""),
            );
            resp
        }
        Err(e) => app_error(frame, e),
    }
}

// ---------------------------------------------------------------- applications

/// A line of the application list.
pub struct ApplicationLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub organisation: String,
    pub role: String,
    pub state: String,
    pub status: String,
    pub received: String,
}

fn application_line(frame: &Frame, a: &puente_store::ApplicationRow) -> ApplicationLine {
    ApplicationLine {
        id: a.id.clone(),
        name: a.full_name.clone(),
        email: a.email.clone(),
        organisation: a.organisation.clone(),
        role: role_label(frame, &a.role_requested),
        state: match &a.district {
            Some(d) => format!("{} · {d}", a.state),
            None => a.state.clone(),
        },
        status: frame.t(&format!("adm-app-status-{}", a.status.replace('_', "-"))),
        received: a.created_at.format("%Y-%m-%d").to_string(),
    }
}

#[derive(Template)]
#[template(path = "admin/applications.html")]
pub struct ApplicationsPage {
    pub frame: Frame,
    pub rows: Vec<ApplicationLine>,
}

/// `GET /admin/applications`: applications of the administrator's state, newest first.
pub async fn applications(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
) -> Response {
    match state.app.applications(&actor).await {
        Ok(list) => {
            let rows = list.iter().map(|a| application_line(&frame, a)).collect();
            render(StatusCode::OK, &ApplicationsPage { frame, rows })
        }
        Err(e) => app_error(frame, e),
    }
}

#[derive(Template)]
#[template(path = "admin/application.html")]
pub struct ApplicationPage {
    pub frame: Frame,
    pub csrf: String,
    pub a: ApplicationLine,
    pub facts: Vec<(String, String)>,
    pub can_decide: bool,
    pub email_taken: bool,
    pub notice: Option<String>,
    pub training: String,
    pub training_error: Option<String>,
    pub reason: String,
    pub reason_error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn application_page(
    state: &WebState,
    frame: Frame,
    actor: &Actor,
    id: &str,
    notice: Option<String>,
    training: String,
    training_error: Option<String>,
    reason: String,
    reason_error: Option<String>,
) -> Response {
    let a = match state.app.application(actor, id).await {
        Ok(a) => a,
        Err(e) => return app_error(frame, e),
    };
    let email_taken = match state.app.application_email_taken(&a).await {
        Ok(t) => t,
        Err(e) => return app_error(frame, e),
    };
    let date = |d: Option<chrono::DateTime<chrono::Utc>>| {
        d.map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    let facts = vec![
        (frame.t("apply-supervisor-name"), a.supervisor_name.clone()),
        (
            frame.t("apply-supervisor-email"),
            a.supervisor_email.clone(),
        ),
        (frame.t("adm-app-link-expires"), date(a.link_expires_at)),
        (frame.t("adm-app-attested"), date(a.attested_at)),
        (
            frame.t("adm-app-note"),
            a.attestation_note.clone().unwrap_or_default(),
        ),
        (frame.t("adm-rules-accepted"), date(a.rules_accepted_at)),
        (
            frame.t("adm-training"),
            a.training_completed_on
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        (frame.t("adm-app-decided"), date(a.decided_at)),
        (
            frame.t("adm-app-reason"),
            a.decision_reason.clone().unwrap_or_default(),
        ),
        (
            frame.t("adm-app-retain"),
            a.retain_until.map(|d| d.to_string()).unwrap_or_default(),
        ),
    ];
    let status = if training_error.is_some() || reason_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = ApplicationPage {
        csrf: frame.csrf(),
        a: application_line(&frame, &a),
        can_decide: a.status == "attested",
        email_taken,
        facts,
        notice,
        training,
        training_error,
        reason,
        reason_error,
        frame,
    };
    render(status, &page)
}

/// `GET /admin/applications/{application_id}`.
pub async fn application(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice = match q.get("done").map(String::as_str) {
        Some("approved") => Some(frame.t("adm-app-approved")),
        Some("denied") => Some(frame.t("adm-app-denied")),
        _ => None,
    };
    application_page(
        &state,
        frame,
        &actor,
        &id,
        notice,
        String::new(),
        None,
        String::new(),
        None,
    )
    .await
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    training_completed_on: String,
}

/// `POST /admin/applications/{application_id}/approve`.
pub async fn approve_application(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Response {
    let date = chrono::NaiveDate::parse_from_str(f.training_completed_on.trim(), "%Y-%m-%d").ok();
    let outcome = if date.is_none() && !f.training_completed_on.trim().is_empty() {
        Ok(Err("training-date"))
    } else {
        state.app.approve_application(&actor, &id, date).await
    };
    match outcome {
        Ok(Ok(_)) => {
            Redirect::to(&format!("/admin/applications/{id}?done=approved")).into_response()
        }
        Ok(Err(key)) => {
            let err = frame.t(&format!("adm-app-error-{key}"));
            application_page(
                &state,
                frame,
                &actor,
                &id,
                None,
                f.training_completed_on,
                Some(err),
                String::new(),
                None,
            )
            .await
        }
        Err(e) => app_error(frame, e),
    }
}

#[derive(Deserialize)]
pub struct DenyForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/applications/{application_id}/deny`.
pub async fn deny_application(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<DenyForm>,
) -> Response {
    match state.app.deny_application(&actor, &id, &f.reason).await {
        Ok(Ok(())) => {
            Redirect::to(&format!("/admin/applications/{id}?done=denied")).into_response()
        }
        Ok(Err(key)) => {
            let err = frame.t(&format!("adm-app-error-{key}"));
            application_page(
                &state,
                frame,
                &actor,
                &id,
                None,
                String::new(),
                None,
                f.reason,
                Some(err),
            )
            .await
        }
        Err(e) => app_error(frame, e),
    }
}
