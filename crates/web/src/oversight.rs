//! Oversight reports in the portal: worklist aging and user accounts (`/reports/oversight`, with
//! CSV and Excel exports of the same tables), and the students a state's submissions rejected
//! (`/reports/rejected`). The tables go through the reports section's [`Table`] machinery, so
//! the exports hold the page's rows and neutralise formulas. Access and audit are the use
//! cases' (`puente_app::oversight`); the page shows only the sections the viewer may see.

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use puente_app::oversight::{AGE_BANDS, AccountReport, RejectedStudent, WorklistAging};
use puente_app::{Actor, AppError};
use puente_domain::roles::Capability;
use serde::Deserialize;

use crate::WebState;
use crate::admin::role_name;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};
use crate::i18n::Lang;
use crate::reports::{
    Cell, DocInfo, Format, Table, bars, download_tables, export_format, label_or, report_state,
};

/// `?state=XX` (national viewers only; a state's viewer always gets their state).
#[derive(Debug, Default, Deserialize)]
pub struct StateQuery {
    #[serde(default)]
    pub state: Option<String>,
    /// Export format: `csv` or `xlsx`.
    #[serde(default)]
    pub format: Option<String>,
}

/// The state a request is about ([`report_state`]); `Err` for an unknown code.
fn scope(actor: &Actor, q: &StateQuery) -> Result<Option<String>, AppError> {
    report_state(actor, q.state.as_deref()).ok_or_else(|| AppError::Invalid("state".into()))
}

/// The export format asked for (`None`: the page); `Err` for an unknown one.
fn format_of(q: &StateQuery) -> Result<Option<Format>, AppError> {
    match q.format.as_deref() {
        None | Some("") => Ok(None),
        Some(f) => export_format(f)
            .map(Some)
            .ok_or_else(|| AppError::Invalid("format".into())),
    }
}

fn state_label(lang: Lang, s: &str) -> String {
    if s.is_empty() {
        lang.t("ovs-national-accounts")
    } else {
        s.to_owned()
    }
}

/// The label of a code (`<prefix>-<code>`), or the code itself when it has none.
fn code_label(lang: Lang, prefix: &str, code: &str) -> String {
    label_or(lang, &format!("{prefix}-{code}"), code)
}

fn band_label(lang: Lang, code: &str) -> String {
    lang.t_args("ovs-band", &[("band", code)])
}

/// The worklist aging table (one row per state, worklist and level, then the total) and a
/// chart of all open items by age band.
pub fn aging_tables(lang: Lang, a: &WorklistAging) -> Vec<Table> {
    let counts = |c: &puente_app::oversight::AgingCounts| {
        let mut cells: Vec<Cell> = c.by_band.iter().map(|n| Cell::num(lang, *n)).collect();
        cells.push(Cell::num(lang, c.overdue));
        cells.push(Cell::num(lang, c.total));
        cells.push(Cell::num(lang, u64::try_from(c.oldest_days).unwrap_or(0)));
        cells
    };
    let mut rows: Vec<Vec<Cell>> = a
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::text(state_label(lang, &r.state)),
                Cell::text(code_label(lang, "ovs-kind", &r.kind)),
                Cell::text(code_label(lang, "ovs-level", &r.level)),
            ];
            row.extend(counts(&r.counts));
            row
        })
        .collect();
    let mut total = vec![
        Cell::text(lang.t("rep-all-states")),
        Cell::text(String::new()),
        Cell::text(String::new()),
    ];
    total.extend(counts(&a.total));
    rows.push(total);
    let mut head = vec![
        lang.t("rep-state"),
        lang.t("ovs-worklist"),
        lang.t("ovs-level"),
    ];
    head.extend(AGE_BANDS.iter().map(|(code, _, _)| band_label(lang, code)));
    head.extend([
        lang.t("ovs-overdue"),
        lang.t("ovs-open-items"),
        lang.t("ovs-oldest"),
    ]);
    let caption = lang.t("ovs-aging-caption");
    let labels: Vec<String> = AGE_BANDS
        .iter()
        .map(|(code, _, _)| band_label(lang, code))
        .collect();
    let chart = (a.total.total > 0)
        .then(|| {
            bars(
                lang,
                "ovs-aging",
                &caption,
                (&lang.t("ovs-age"), &lang.t("ovs-open-items")),
                &labels,
                &[(
                    lang.t("ovs-open-items"),
                    &a.total.by_band,
                    crate::reports::CAT1_COLOR,
                )],
            )
        })
        .flatten();
    vec![Table {
        id: "ovs-aging",
        caption,
        sheet: lang.t("ovs-sheet-aging"),
        head,
        rows,
        chart,
    }]
}

/// The account table: one row per state and role, then the total.
pub fn account_tables(lang: Lang, a: &AccountReport) -> Vec<Table> {
    let counts = |c: &puente_app::oversight::AccountCounts| {
        [
            c.accounts,
            c.active,
            c.disabled,
            c.deactivated,
            c.training_overdue,
            c.logged_in_30_days,
            c.never_logged_in,
            c.inactive,
        ]
        .into_iter()
        .map(|n| Cell::num(lang, n))
        .collect::<Vec<_>>()
    };
    let mut rows: Vec<Vec<Cell>> = a
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![
                Cell::text(state_label(lang, &r.state)),
                Cell::text(role_name(lang, &r.role)),
            ];
            row.extend(counts(&r.counts));
            row
        })
        .collect();
    let mut total = vec![
        Cell::text(lang.t("rep-all-states")),
        Cell::text(String::new()),
    ];
    total.extend(counts(&a.total));
    rows.push(total);
    vec![Table {
        id: "ovs-accounts",
        caption: lang.t("ovs-accounts-caption"),
        sheet: lang.t("ovs-sheet-accounts"),
        head: [
            "rep-state",
            "ovs-role",
            "ovs-accounts",
            "ovs-active",
            "ovs-disabled",
            "ovs-deactivated",
            "ovs-training-overdue",
            "ovs-recent-login",
            "ovs-never-logged-in",
            "ovs-inactive",
        ]
        .iter()
        .map(|id| lang.t(id))
        .collect(),
        rows,
        chart: None,
    }]
}

/// The rejected students as a table; the submission links to its report when `link`.
pub fn rejected_table(lang: Lang, rows: &[RejectedStudent], link: bool) -> Table {
    Table {
        id: "ovs-rejected",
        caption: lang.t("rep-rejected-students"),
        sheet: lang.t("ovs-sheet-rejected"),
        head: vec![
            lang.t("rep-rec-ssid"),
            lang.t("ovs-received"),
            lang.t("ovs-submission"),
            lang.t("ovs-errors"),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let errors = r
                    .errors
                    .iter()
                    .map(|(element, rule)| {
                        format!("{element}: {}", code_label(lang, "ovs-rule", rule))
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                vec![
                    Cell::text(r.state_student_id.clone()),
                    Cell::text(lang.date(r.received_at.date_naive())),
                    Cell::text(r.submission_id.clone())
                        .link(link.then(|| format!("/submissions/{}", r.submission_id))),
                    Cell::text(errors),
                ]
            })
            .collect(),
        chart: None,
    }
}

#[derive(Template)]
#[template(path = "reports/oversight.html")]
pub struct OversightPage {
    pub frame: Frame,
    pub scope: String,
    pub as_of: String,
    /// `&state=XX` for the export links of a national viewer looking at one state.
    pub state_param: String,
    pub aging: Vec<Table>,
    pub accounts: Vec<Table>,
}

/// Which oversight sections the viewer may see: (worklist aging, accounts).
fn sections(actor: &Actor) -> (bool, bool) {
    let reports =
        actor.can(Capability::ViewReports) || actor.can(Capability::ViewNationalStatistics);
    (reports, reports || actor.can(Capability::ManageUsers))
}

async fn oversight_tables(
    state: &WebState,
    actor: &Actor,
    lang: Lang,
    st: Option<&str>,
) -> Result<(Vec<Table>, Vec<Table>, String), AppError> {
    let (see_aging, see_accounts) = sections(actor);
    let mut as_of = String::new();
    let aging = if see_aging {
        let a = state.app.worklist_aging(actor, st).await?;
        as_of = lang.date(a.as_of);
        aging_tables(lang, &a)
    } else {
        Vec::new()
    };
    let accounts = if see_accounts {
        let a = state.app.account_report(actor, st).await?;
        as_of = lang.date(a.as_of);
        account_tables(lang, &a)
    } else {
        Vec::new()
    };
    Ok((aging, accounts, as_of))
}

/// `GET /reports/oversight[?state=XX][&format=csv|xlsx]`: worklist aging and accounts.
pub async fn page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<StateQuery>,
) -> Response {
    let st = match scope(&actor, &q) {
        Ok(s) => s,
        Err(e) => return app_error(frame, e),
    };
    let lang = frame.lang;
    let format = match format_of(&q) {
        Ok(f) => f,
        Err(e) => return app_error(frame, e),
    };
    let (aging, accounts, as_of) = match oversight_tables(&state, &actor, lang, st.as_deref()).await
    {
        Ok(t) => t,
        Err(e) => return app_error(frame, e),
    };
    let scope = match &st {
        Some(s) => frame.t1("rep-scope-state", "state", s),
        None => frame.t("rep-scope-national"),
    };
    if let Some(f) = format {
        let mut tables = aging;
        tables.extend(accounts);
        let name = format!(
            "puente-oversight-{}-{}",
            st.as_deref().unwrap_or("national"),
            state.app.clock.now().format("%Y%m%d")
        );
        let doc = DocInfo {
            lang,
            title: lang.t("ovs-title"),
            intro: vec![scope, lang.t_args("ovs-as-of", &[("date", &as_of)])],
            at: state.app.clock.now(),
        };
        return download_tables(&tables, f, &name, doc).await;
    }
    let state_param = match (&st, actor.state()) {
        (Some(s), None) => format!("&state={s}"),
        _ => String::new(),
    };
    render(
        StatusCode::OK,
        &OversightPage {
            frame,
            scope,
            as_of,
            state_param,
            aging,
            accounts,
        },
    )
}

#[derive(Template)]
#[template(path = "reports/rejected.html")]
pub struct RejectedPage {
    pub frame: Frame,
    pub scope: String,
    pub count: String,
    pub state_param: String,
    pub empty: bool,
    pub tables: Vec<Table>,
}

/// `GET /reports/rejected?state=XX[&format=csv|xlsx]`: the students a state's submissions
/// rejected, with their errors (child-level; audited by the use case).
pub async fn rejected_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<StateQuery>,
) -> Response {
    let st = match scope(&actor, &q) {
        Ok(Some(s)) => s,
        Ok(None) => return app_error(frame, AppError::Invalid("state".into())),
        Err(e) => return app_error(frame, e),
    };
    let format = match format_of(&q) {
        Ok(f) => f,
        Err(e) => return app_error(frame, e),
    };
    let rows = match state.app.rejected_students(&actor, &st).await {
        Ok(r) => r,
        Err(e) => return app_error(frame, e),
    };
    let lang = frame.lang;
    let table = rejected_table(lang, &rows, actor.can(Capability::SubmitRecords));
    if let Some(f) = format {
        let name = format!(
            "puente-rejected-{st}-{}",
            state.app.clock.now().format("%Y%m%d")
        );
        let doc = DocInfo {
            lang,
            title: lang.t("rep-rejected-students"),
            intro: vec![frame.t1("rep-scope-state", "state", &st)],
            at: state.app.clock.now(),
        };
        return download_tables(std::slice::from_ref(&table), f, &name, doc).await;
    }
    render(
        StatusCode::OK,
        &RejectedPage {
            scope: frame.t1("rep-scope-state", "state", &st),
            count: lang.number(i64::try_from(rows.len()).unwrap_or(i64::MAX)),
            state_param: if actor.state().is_none() {
                format!("&state={st}")
            } else {
                String::new()
            },
            frame,
            empty: rows.is_empty(),
            tables: vec![table],
        },
    )
}
