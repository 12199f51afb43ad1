//! Student search and the Consolidated Student Record: portal pages and JSON API.

use askama::Template;
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use puente_app::AppError;
use puente_app::search::{SearchHit, SearchQuery};
use puente_app::student::RecordLookup;
use puente_domain::CodeSet;
use puente_domain::consolidated::{ConsolidatedRecord, Field, Source};
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};
use crate::i18n::Lang;

/// The purpose recorded for a view when the user does not state another.
const DEFAULT_PURPOSE: &str = "program services";

#[derive(Template)]
#[template(path = "students/search.html")]
pub struct SearchPage {
    pub frame: Frame,
    pub q: SearchQuery,
    pub searched: bool,
    pub error: Option<String>,
    pub hits: Vec<SearchHit>,
}

impl SearchPage {
    fn count(&self) -> String {
        self.frame.t1(
            "search-results-count",
            "count",
            &self.hits.len().to_string(),
        )
    }
    /// (code, label, selected) of the sex filter's options.
    fn sex_options(&self) -> Vec<(&'static str, String, bool)> {
        [
            ("", "search-sex-any"),
            ("F", "search-sex-female"),
            ("M", "search-sex-male"),
            ("X", "search-sex-nonbinary"),
        ]
        .into_iter()
        .map(|(code, id)| {
            (
                code,
                self.frame.t(id),
                self.q.sex.eq_ignore_ascii_case(code),
            )
        })
        .collect()
    }
}

fn full_name(first: &str, middle: Option<&str>, last1: &str, last2: Option<&str>) -> String {
    [Some(first), middle, Some(last1), last2]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Display helpers for a hit.
pub trait HitView {
    fn name(&self) -> String;
    fn parents(&self) -> String;
    fn last_school(&self) -> String;
    fn birth(&self, lang: &Lang) -> String;
    fn age_text(&self) -> String;
}

impl HitView for SearchHit {
    fn name(&self) -> String {
        let s = &self.summary;
        full_name(
            &s.first_name,
            s.middle_name.as_deref(),
            &s.last_name_1,
            s.last_name_2.as_deref(),
        )
    }
    fn parents(&self) -> String {
        [
            self.summary.parent1.as_deref(),
            self.summary.parent2.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ")
    }
    fn last_school(&self) -> String {
        match (&self.summary.last_school, &self.summary.last_state) {
            (Some(s), Some(st)) => format!("{s} ({st})"),
            (Some(s), None) => s.clone(),
            (None, Some(st)) => st.clone(),
            (None, None) => String::new(),
        }
    }
    fn birth(&self, lang: &Lang) -> String {
        self.summary
            .birth_date
            .map(|d| lang.date(d))
            .unwrap_or_default()
    }
    fn age_text(&self) -> String {
        self.age.map(|a| a.to_string()).unwrap_or_default()
    }
}

/// `GET /search`: the form, and results when any field is filled. Works without JavaScript.
pub async fn search_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Response {
    let searched = !q.is_empty();
    let mut page = SearchPage {
        frame,
        q,
        searched,
        error: None,
        hits: Vec::new(),
    };
    if searched {
        match state.app.search_students(&actor, &page.q).await {
            Ok(hits) => page.hits = hits,
            Err(AppError::Invalid(reason)) => {
                page.error = Some(page.frame.t1("search-error-invalid", "reason", &reason))
            }
            Err(e) => return app_error(page.frame, e),
        }
    } else if page.frame.path.contains('?') {
        page.error = Some(page.frame.t("search-error-empty"));
    }
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// A row of the identity table.
pub struct IdentityRow {
    pub label: String,
    pub value: String,
    pub source: String,
    pub others: Vec<String>,
}

fn source_text(lang: Lang, s: &Source) -> String {
    format!(
        "{} · {}",
        s.state.code(),
        lang.date(s.received_at.date_naive())
    )
}

/// A value as shown: ISO dates (as states report them) in the page language's date form.
fn shown_value(lang: Lang, v: &str) -> String {
    match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => lang.date(d),
        Err(_) => v.to_string(),
    }
}

fn field_row(frame: &Frame, key: &str, f: &Field) -> IdentityRow {
    let lang = frame.lang;
    IdentityRow {
        label: frame.t(&format!("field-{key}")),
        value: shown_value(lang, &f.value),
        source: source_text(lang, &f.source),
        others: f
            .others
            .iter()
            .map(|(v, s)| format!("{} ({})", shown_value(lang, v), source_text(lang, s)))
            .collect(),
    }
}

/// One enrollment line of the timeline.
pub struct EnrollmentRow {
    pub start: String,
    pub end: String,
    pub school: String,
    pub state: String,
    pub grade: String,
    pub flags: Vec<String>,
}

/// One course line.
pub struct CourseRow {
    pub title: String,
    pub subject: String,
    pub hours: String,
    pub grade_to_date: String,
    pub credits: String,
    pub final_grade: String,
    pub partial: bool,
    pub source: String,
}

pub struct CourseGroupView {
    pub heading: String,
    pub courses: Vec<CourseRow>,
}

pub struct CreditRow {
    pub subject: String,
    pub credits: String,
    pub courses: usize,
    pub partial: usize,
}

pub struct MoveRow {
    pub qad: String,
    pub from: String,
    pub to: String,
    pub expires: String,
    pub source: String,
}

pub struct AssessmentRow {
    pub title: String,
    pub date: String,
    pub score: String,
    pub interpretation: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "students/record.html")]
pub struct RecordPage {
    pub frame: Frame,
    pub msix_id: String,
    pub name: String,
    pub multiple_birth: bool,
    pub identity: Vec<IdentityRow>,
    pub state_ids: Vec<String>,
    pub moves: Vec<MoveRow>,
    pub enrollments: Vec<EnrollmentRow>,
    pub credits: Vec<CreditRow>,
    pub course_groups: Vec<CourseGroupView>,
    pub algebra1: Option<IdentityRow>,
    pub graduation: Option<IdentityRow>,
    pub assessments: Vec<AssessmentRow>,
    /// Notice forms the user may open for this child: (href, label).
    pub notice_links: Vec<(String, String)>,
    /// The signed-in user may start a merge or split (links to the forms).
    pub can_merge: bool,
    /// The signed-in user may see the identity history (administrators).
    pub can_history: bool,
    /// The print form: (code, label, checked) of each report language.
    pub print_langs: Vec<(&'static str, String, bool)>,
    /// The print form: (code, label) of each purpose.
    pub print_purposes: Vec<(&'static str, String)>,
    /// The print form came back without a purpose.
    pub print_error: bool,
}

fn credits(h: u32) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

impl RecordPage {
    fn build(frame: Frame, r: &ConsolidatedRecord, in_scope: bool) -> RecordPage {
        let lang = frame.lang;
        const ORDER: [&str; 20] = [
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
        let identity = ORDER
            .iter()
            .filter_map(|k| r.identity.get(k).map(|f| field_row(&frame, k, f)))
            .collect();
        let v = |k: &str| r.identity.get(k).map(|f| f.value.as_str());
        let name = full_name(
            v("first_name").unwrap_or(""),
            v("middle_name"),
            v("last_name_1").unwrap_or(""),
            v("last_name_2"),
        );
        let moves = r
            .qualifying_moves
            .iter()
            .map(|m| MoveRow {
                qad: lang.date(m.item.qualifying_arrival_date),
                from: [
                    opt(&m.item.from_city),
                    opt(&m.item.from_state),
                    opt(&m.item.from_country),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
                to: [
                    opt(&m.item.to_city),
                    m.item
                        .to_state
                        .map(|s| s.code().to_string())
                        .unwrap_or_default(),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
                expires: lang.date(m.item.eligibility_expiration_date),
                source: source_text(lang, &m.source),
            })
            .collect();
        let yes = |b: Option<bool>| b == Some(true);
        let enrollments = r
            .enrollments
            .iter()
            .map(|e| {
                let i = &e.item;
                let mut flags = Vec::new();
                if yes(i.lep) {
                    flags.push(frame.t("csr-flag-lep"));
                }
                if yes(i.idea) {
                    flags.push(frame.t("csr-flag-idea"));
                }
                if yes(i.pfs) {
                    flags.push(frame.t("csr-flag-pfs"));
                }
                if yes(i.immunization_record) {
                    flags.push(frame.t("csr-flag-immunization"));
                }
                if let Some(m) = i.med_alert
                    && m != puente_domain::codes::MedAlert::NoAlert
                {
                    flags.push(frame.t1("csr-flag-med-alert", "level", m.code()));
                }
                EnrollmentRow {
                    start: lang.date(i.enrollment_date),
                    end: i.withdrawal_date.map(|d| lang.date(d)).unwrap_or_default(),
                    school: [opt(&i.school_or_project_name), opt(&i.district_name)]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(" · "),
                    state: e.source.state.code().to_string(),
                    grade: i
                        .grade_level
                        .map(|g| g.code().to_string())
                        .unwrap_or_default(),
                    flags,
                }
            })
            .collect();
        let credits_rows = r
            .credit_summary
            .iter()
            .map(|c| CreditRow {
                subject: c.subject_area.clone(),
                credits: credits(c.credits_hundredths),
                courses: c.courses,
                partial: c.partial_courses,
            })
            .collect();
        let course_groups = r
            .course_groups
            .iter()
            .map(|g| CourseGroupView {
                heading: [g.school_year.clone(), g.term.clone()]
                    .into_iter()
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · "),
                courses: g
                    .courses
                    .iter()
                    .map(|c| CourseRow {
                        title: c.item.course_title.clone(),
                        subject: opt(&c.item.subject_area),
                        hours: c
                            .item
                            .clock_hours
                            .map(|h| h.to_string())
                            .unwrap_or_default(),
                        grade_to_date: opt(&c.item.grade_to_date),
                        credits: c
                            .item
                            .credits_hundredths
                            .map(|h| credits(u32::from(h)))
                            .unwrap_or_default(),
                        final_grade: opt(&c.item.final_grade),
                        partial: c.item.is_partial(),
                        source: source_text(lang, &c.source),
                    })
                    .collect(),
            })
            .collect();
        let assessments = r
            .assessments
            .iter()
            .map(|a| AssessmentRow {
                title: a.item.title.clone(),
                date: a
                    .item
                    .administration_month
                    .map(|d| lang.month_year(d))
                    .unwrap_or_default(),
                score: opt(&a.item.score),
                interpretation: a
                    .item
                    .interpretation
                    .map(|i| i.code().to_string())
                    .unwrap_or_default(),
                source: source_text(lang, &a.source),
            })
            .collect();
        RecordPage {
            msix_id: r.msix_id.to_string(),
            name,
            multiple_birth: r.multiple_birth,
            identity,
            state_ids: r
                .state_ids
                .iter()
                .map(|s| {
                    format!(
                        "{}: {} ({})",
                        s.state.code(),
                        s.state_student_id,
                        lang.date(s.received_at.date_naive())
                    )
                })
                .collect(),
            moves,
            enrollments,
            credits: credits_rows,
            course_groups,
            algebra1: r.algebra1.as_ref().map(|f| IdentityRow {
                label: frame.t("csr-algebra1"),
                value: f.value.clone(),
                source: source_text(lang, &f.source),
                others: f
                    .others
                    .iter()
                    .map(|(v, s)| format!("{} ({})", shown_value(lang, v), source_text(lang, s)))
                    .collect(),
            }),
            graduation: r.graduation.as_ref().map(|f| IdentityRow {
                label: frame.t("csr-graduation"),
                value: f.value.clone(),
                source: source_text(lang, &f.source),
                others: Vec::new(),
            }),
            assessments,
            notice_links: crate::notices::record_links(&frame, &r.msix_id.to_string()),
            can_merge: in_scope
                && crate::auth::role_can_get(
                    frame.user.as_ref().map(|u| u.role),
                    "/students/{msix_id}/merge",
                ),
            can_history: in_scope
                && crate::auth::role_can_get(
                    frame.user.as_ref().map(|u| u.role),
                    "/students/{msix_id}/history",
                ),
            print_langs: crate::i18n::Lang::ALL
                .into_iter()
                .map(|l| {
                    (
                        l.code(),
                        frame.t(&format!("pdf-language-{}", l.code())),
                        l == frame.lang,
                    )
                })
                .collect(),
            print_purposes: crate::pdf::PrintPurpose::ALL
                .into_iter()
                .map(|p| (p.code(), frame.t(&p.message())))
                .collect(),
            print_error: false,
            frame,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub struct PurposeQuery {
    #[serde(default)]
    pub purpose: Option<String>,
    /// Set when the print form came back without a purpose.
    #[serde(default)]
    pub print_error: Option<String>,
}

fn purpose_of(q: &PurposeQuery) -> String {
    q.purpose
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| p.chars().take(200).collect())
        .unwrap_or_else(|| DEFAULT_PURPOSE.to_string())
}

/// `GET /students/{msix_id}`: the consolidated record (audited before it is shown).
pub async fn record_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Query(pq): Query<PurposeQuery>,
) -> Response {
    match state
        .app
        .student_record(&actor, &msix, &purpose_of(&pq))
        .await
    {
        Ok(RecordLookup::Found(r)) => {
            // Identity changes are offered only for children in the user's scope (a state
            // holding a record of the child), as the app layer enforces.
            let in_scope = actor
                .state()
                .is_none_or(|s| r.state_ids.iter().any(|i| i.state.code() == s));
            let mut page = RecordPage::build(frame, &r, in_scope);
            page.print_error = pq.print_error.is_some();
            render(StatusCode::OK, &page)
        }
        Ok(RecordLookup::MergedInto(id)) => {
            Redirect::to(&format!("/students/{id}")).into_response()
        }
        Err(AppError::Invalid(_)) | Err(AppError::NotFound) => {
            crate::pages::not_found(Some(Extension(frame))).await
        }
        Err(e) => app_error(frame, e),
    }
}

fn api_error(e: AppError) -> Response {
    crate::auth::api_problem(e, "no such student")
}

/// `GET /api/v1/students?first_name=...`: ranked search results.
pub async fn api_search(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Query(q): Query<SearchQuery>,
) -> Response {
    match state.app.search_students(&actor, &q).await {
        Ok(hits) => Json(serde_json::json!({ "results": hits })).into_response(),
        Err(e) => api_error(e),
    }
}

/// `GET /api/v1/students/{msix_id}`: the consolidated record as JSON; a merged ID redirects
/// (308) to the surviving one.
pub async fn api_record(
    State(state): State<WebState>,
    CurrentUser(actor): CurrentUser,
    Path(msix): Path<String>,
    Query(pq): Query<PurposeQuery>,
) -> Response {
    match state
        .app
        .student_record(&actor, &msix, &purpose_of(&pq))
        .await
    {
        Ok(RecordLookup::Found(r)) => Json(r).into_response(),
        Ok(RecordLookup::MergedInto(id)) => {
            Redirect::permanent(&format!("/api/v1/students/{id}")).into_response()
        }
        Err(e) => api_error(e),
    }
}
