//! The report as data: every heading, label and value, already translated and formatted, in the
//! shape `report.typ` reads from `sys.inputs.report`.

use chrono::{DateTime, NaiveDate, Utc};
use puente_domain::CodeSet;
use puente_domain::codes::{
    AssessmentInterpretation, BirthDateVerification, GradeLevel, GraduationHse, MedAlert, Sex,
    TermType,
};
use puente_domain::consolidated::{ConsolidatedRecord, Field, Source};
use serde_json::{Value, json};

use crate::text::Lang;

/// Identity fields in print order (parents go to their own section).
const IDENTITY: [&str; 12] = [
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
];

const PARENTS: [&str; 8] = [
    "parent1_first_name",
    "parent1_last_name",
    "parent1_phone",
    "parent1_email",
    "parent2_first_name",
    "parent2_last_name",
    "parent2_phone",
    "parent2_email",
];

struct Ctx {
    lang: Lang,
}

impl Ctx {
    fn t(&self, id: &str) -> String {
        self.lang.t(id)
    }

    fn source(&self, s: &Source) -> String {
        format!(
            "{} · {}",
            s.state.code(),
            self.lang.date(s.received_at.date_naive())
        )
    }

    fn yes_no(&self, b: bool) -> String {
        self.t(if b { "report-yes" } else { "report-no" })
    }

    /// A code set member by its own message (`code-<set>-<code>`), else its English label.
    fn code<T: CodeSet>(&self, set: &str, m: T) -> String {
        let id = format!(
            "code-{set}-{}",
            m.code().to_ascii_lowercase().replace(' ', "-")
        );
        if self.lang.has(&id) {
            self.t(&id)
        } else {
            m.label().to_string()
        }
    }

    fn grade(&self, g: GradeLevel) -> String {
        match g.number() {
            Some(n) => self
                .lang
                .t_args("code-grade-number", &[("n", &n.to_string())]),
            None => self.code("grade", g),
        }
    }

    /// An identity value as stored in the consolidated record (dates ISO, codes by English
    /// label, Yes/No), shown in the report's language; anything else as it is.
    fn identity_value(&self, key: &str, value: &str) -> String {
        match key {
            "birth_date" => NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| self.lang.date(d))
                .unwrap_or_else(|_| value.to_owned()),
            "sex" => Sex::parse(value).map_or_else(|| value.to_owned(), |s| self.code("sex", s)),
            "multiple_birth_flag" | "algebra1" => match value {
                "Yes" => self.yes_no(true),
                "No" => self.yes_no(false),
                _ => value.to_owned(),
            },
            "birth_date_verification" => BirthDateVerification::parse(value)
                .map_or_else(|| value.to_owned(), |v| self.code("verification", v)),
            "graduation" => GraduationHse::parse(value)
                .map_or_else(|| value.to_owned(), |g| self.code("graduation", g)),
            _ => value.to_owned(),
        }
    }

    fn field_row(&self, key: &str, f: &Field) -> Value {
        json!([
            self.t(&format!("field-{key}")),
            self.identity_value(key, &f.value),
            self.source(&f.source)
        ])
    }

    fn d(&self, d: NaiveDate) -> String {
        self.lang.date(d)
    }
}

fn table(widths: &[u32], header: Vec<String>, rows: Vec<Value>) -> Value {
    json!({"kind": "table", "widths": widths, "header": header, "rows": rows})
}

fn section(title: String, blocks: Vec<Value>) -> Value {
    json!({"title": title, "blocks": blocks})
}

fn join(parts: &[Option<&str>], sep: &str) -> String {
    parts
        .iter()
        .flatten()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(sep)
}

fn credits(h: u32) -> String {
    format!("{}.{:02}", h / 100, h % 100)
}

/// The child's name as printed at the top.
pub fn full_name(r: &ConsolidatedRecord) -> String {
    let v = |k: &str| r.identity.get(k).map(|f| f.value.as_str());
    join(
        &[
            v("first_name"),
            v("middle_name"),
            v("last_name_1"),
            v("last_name_2"),
            v("suffix"),
        ],
        " ",
    )
}

/// Builds the report data.
pub fn report(r: &ConsolidatedRecord, lang: Lang, generated_at: DateTime<Utc>) -> Value {
    let c = Ctx { lang };
    let msix = r.msix_id.to_string();
    let today = generated_at.date_naive();
    let mut sections = Vec::new();

    // Identity.
    let identity_rows: Vec<Value> = IDENTITY
        .iter()
        .filter_map(|k| r.identity.get(k).map(|f| c.field_row(k, f)))
        .collect();
    let mut blocks = Vec::new();
    if r.multiple_birth {
        blocks.push(json!({"kind": "note", "text": c.t("report-multiple-birth")}));
    }
    blocks.push(table(
        &[3, 4, 2],
        vec![
            c.t("report-col-field"),
            c.t("report-col-value"),
            c.t("report-source"),
        ],
        identity_rows,
    ));
    sections.push(section(c.t("report-section-identity"), blocks));

    // Parents and guardians.
    let parent_rows: Vec<Value> = PARENTS
        .iter()
        .filter_map(|k| r.identity.get(k).map(|f| c.field_row(k, f)))
        .collect();
    sections.push(section(
        c.t("report-section-parents"),
        vec![table(
            &[3, 4, 2],
            vec![
                c.t("report-col-field"),
                c.t("report-col-value"),
                c.t("report-source"),
            ],
            parent_rows,
        )],
    ));

    // Identifiers.
    let mut id_blocks = vec![table(
        &[2, 4, 2],
        vec![
            c.t("report-col-state"),
            c.t("report-col-state-id"),
            c.t("report-col-received"),
        ],
        r.state_ids
            .iter()
            .map(|s| {
                json!([
                    s.state.code(),
                    s.state_student_id,
                    c.d(s.received_at.date_naive())
                ])
            })
            .collect(),
    )];
    if !r.alternate_ids.is_empty() {
        id_blocks.push(table(
            &[4, 2],
            vec![c.t("report-col-alternate-id"), c.t("report-source")],
            r.alternate_ids
                .iter()
                .map(|a| json!([a.item, c.source(&a.source)]))
                .collect(),
        ));
    }
    sections.push(section(c.t("report-section-ids"), id_blocks));

    // Eligibility: qualifying moves.
    let moves = r
        .qualifying_moves
        .iter()
        .map(|m| {
            let i = &m.item;
            let to_state = i.to_state.map(|s| s.code());
            let mut expires = c.d(i.eligibility_expiration_date);
            if i.expiration_defaulted {
                expires = format!("{expires} {}", c.t("report-expiration-defaulted"));
            }
            json!([
                c.d(i.qualifying_arrival_date),
                join(
                    &[
                        i.from_city.as_deref(),
                        i.from_state.as_deref(),
                        i.from_country.as_deref()
                    ],
                    ", "
                ),
                join(&[i.to_city.as_deref(), to_state], ", "),
                expires,
                c.source(&m.source),
            ])
        })
        .collect();
    sections.push(section(
        c.t("report-section-eligibility"),
        vec![table(
            &[2, 3, 3, 2, 2],
            vec![
                c.t("report-col-qad"),
                c.t("report-col-from"),
                c.t("report-col-to"),
                c.t("report-col-expires"),
                c.t("report-source"),
            ],
            moves,
        )],
    ));

    // Enrollment history.
    let enrollments = r
        .enrollments
        .iter()
        .map(|e| {
            let i = &e.item;
            let yes = |b: Option<bool>| b == Some(true);
            let mut flags = Vec::new();
            if yes(i.lep) {
                flags.push(c.t("report-flag-lep"));
            }
            if yes(i.idea) {
                flags.push(c.t("report-flag-idea"));
            }
            if yes(i.pfs) {
                flags.push(c.t("report-flag-pfs"));
            }
            if yes(i.immunization_record) {
                flags.push(c.t("report-flag-immunization"));
            }
            if let Some(m) = i.med_alert
                && m != MedAlert::NoAlert
            {
                flags.push(lang.t_args(
                    "report-flag-med-alert",
                    &[("level", &c.code("medalert", m))],
                ));
            }
            json!([
                c.d(i.enrollment_date),
                i.withdrawal_date.map(|d| c.d(d)).unwrap_or_default(),
                join(
                    &[
                        i.school_or_project_name.as_deref(),
                        i.district_name.as_deref()
                    ],
                    " · "
                ),
                e.source.state.code(),
                i.grade_level.map(|g| c.grade(g)).unwrap_or_default(),
                flags.join("; "),
            ])
        })
        .collect();
    sections.push(section(
        c.t("report-section-enrollments"),
        vec![table(
            &[10, 10, 25, 7, 10, 18],
            vec![
                c.t("report-col-enrolled"),
                c.t("report-col-withdrawn"),
                c.t("report-col-school"),
                c.t("report-col-state"),
                c.t("report-col-grade"),
                c.t("report-col-flags"),
            ],
            enrollments,
        )],
    ));

    // Course history, by school year and term.
    let mut course_blocks = Vec::new();
    for g in &r.course_groups {
        let term = TermType::parse(&g.term).map(|t| c.code("term", t));
        let heading = join(&[Some(g.school_year.as_str()), term.as_deref()], " · ");
        course_blocks.push(json!({
            "kind": "subheading",
            "text": if heading.is_empty() { c.t("report-no-term") } else { heading },
        }));
        let rows = g
            .courses
            .iter()
            .map(|s| {
                let i = &s.item;
                json!([
                    i.course_title,
                    i.subject_area.clone().unwrap_or_default(),
                    i.clock_hours.map(|h| h.to_string()).unwrap_or_default(),
                    i.grade_to_date.clone().unwrap_or_default(),
                    i.credits_hundredths
                        .map(|h| credits(u32::from(h)))
                        .unwrap_or_default(),
                    i.final_grade.clone().unwrap_or_default(),
                    if i.is_partial() {
                        c.t("report-partial")
                    } else {
                        String::new()
                    },
                    c.source(&s.source),
                ])
            })
            .collect();
        course_blocks.push(table(
            &[34, 26, 11, 11, 11, 10, 16, 21],
            vec![
                c.t("report-col-course"),
                c.t("report-col-subject"),
                c.t("report-col-hours"),
                c.t("report-col-grade-to-date"),
                c.t("report-col-credits"),
                c.t("report-col-final-grade"),
                c.t("report-col-status"),
                c.t("report-source"),
            ],
            rows,
        ));
    }
    if course_blocks.is_empty() {
        course_blocks.push(json!({"kind": "para", "text": c.t("report-none")}));
    }
    sections.push(section(c.t("report-section-courses"), course_blocks));

    // Credit summary, with Algebra I and graduation.
    let mut credit_blocks = vec![table(
        &[4, 2, 2, 2],
        vec![
            c.t("report-col-subject"),
            c.t("report-col-credits"),
            c.t("report-col-courses"),
            c.t("report-col-partial-courses"),
        ],
        r.credit_summary
            .iter()
            .map(|s| {
                json!([
                    s.subject_area,
                    credits(s.credits_hundredths),
                    s.courses.to_string(),
                    s.partial_courses.to_string(),
                ])
            })
            .collect(),
    )];
    let extra: Vec<Value> = [
        ("algebra1", &r.algebra1),
        ("graduation", &r.graduation),
        (
            "designated_graduation_school",
            &r.designated_graduation_school,
        ),
    ]
    .into_iter()
    .filter_map(|(k, f)| f.as_ref().map(|f| c.field_row(k, f)))
    .collect();
    if !extra.is_empty() {
        credit_blocks.push(table(
            &[3, 4, 2],
            vec![
                c.t("report-col-field"),
                c.t("report-col-value"),
                c.t("report-source"),
            ],
            extra,
        ));
    }
    sections.push(section(c.t("report-section-credits"), credit_blocks));

    // Assessments.
    let assessments = r
        .assessments
        .iter()
        .map(|a| {
            let i = &a.item;
            json!([
                i.title,
                i.administration_month
                    .map(|d| c.lang.month_year(d))
                    .unwrap_or_default(),
                i.score.clone().unwrap_or_default(),
                i.interpretation
                    .map(|x: AssessmentInterpretation| c.code("interpretation", x))
                    .unwrap_or_default(),
                c.source(&a.source),
            ])
        })
        .collect();
    sections.push(section(
        c.t("report-section-assessments"),
        vec![table(
            &[4, 2, 2, 3, 2],
            vec![
                c.t("report-col-assessment"),
                c.t("report-col-date"),
                c.t("report-col-score"),
                c.t("report-col-interpretation"),
                c.t("report-source"),
            ],
            assessments,
        )],
    ));

    // Provenance: which state sent what, and when.
    sections.push(section(
        c.t("report-section-provenance"),
        vec![table(
            &[2, 4, 3],
            vec![
                c.t("report-col-state"),
                c.t("report-col-state-id"),
                c.t("report-col-received"),
            ],
            r.state_records
                .iter()
                .map(|s| {
                    json!([
                        s.source.state.code(),
                        s.source.state_student_id,
                        format!(
                            "{} {} UTC",
                            c.d(s.source.received_at.date_naive()),
                            s.source.received_at.format("%H:%M")
                        ),
                    ])
                })
                .collect(),
        )],
    ));

    // Conflicts: every value other states reported differently.
    let mut conflicts = Vec::new();
    let fields = r.identity.iter().map(|(k, f)| (*k, f)).chain(
        [
            ("algebra1", &r.algebra1),
            ("graduation", &r.graduation),
            (
                "designated_graduation_school",
                &r.designated_graduation_school,
            ),
        ]
        .into_iter()
        .filter_map(|(k, f)| f.as_ref().map(|f| (k, f))),
    );
    for (k, f) in fields {
        if !f.conflicting() {
            continue;
        }
        let others = f
            .others
            .iter()
            .map(|(v, s)| format!("{} ({})", c.identity_value(k, v), c.source(s)))
            .collect::<Vec<_>>()
            .join("; ");
        conflicts.push(json!([
            c.t(&format!("field-{k}")),
            format!(
                "{} ({})",
                c.identity_value(k, &f.value),
                c.source(&f.source)
            ),
            others,
        ]));
    }
    sections.push(section(
        c.t("report-section-conflicts"),
        vec![table(
            &[2, 3, 4],
            vec![
                c.t("report-col-field"),
                c.t("report-col-shown"),
                c.t("report-col-others"),
            ],
            conflicts,
        )],
    ));

    json!({
        "lang": lang.code(),
        "doc_title": lang.t_args("report-doc-title", &[("msix", &msix)]),
        "author": "Puente",
        "date": {
            "year": chrono::Datelike::year(&today),
            "month": chrono::Datelike::month(&today),
            "day": chrono::Datelike::day(&today),
        },
        "title": c.t("report-title"),
        "name": full_name(r),
        "msix_label": c.t("report-msix-id"),
        "msix_id": msix,
        "sources_note": c.t("report-sources-note"),
        "generated": lang.t_args("report-generated", &[("date", &lang.long_date(today))]),
        "confidential": c.t("report-confidential"),
        "page": c.t("report-page"),
        "page_of": c.t("report-page-of"),
        "none": c.t("report-none"),
        "sections": sections,
    })
}

/// Builds the correction-request outcome letter's data.
pub fn letter(l: &crate::CorrectionLetter, lang: Lang, generated_at: DateTime<Utc>) -> Value {
    use chrono::Datelike;
    let today = generated_at.date_naive();
    let state = l.state.as_str();
    json!({
        "lang": lang.code(),
        "doc_title": lang.t_args("letter-doc-title", &[("msix", &l.msix_id)]),
        "author": "Puente",
        "date": {
            "year": today.year(),
            "month": today.month(),
            "day": today.day(),
        },
        "dated": lang.t_args("letter-date", &[("date", &lang.long_date(today))]),
        "title": lang.t("letter-title"),
        "child_label": lang.t("letter-child"),
        "child": l.child_name,
        "msix_label": lang.t("letter-msix"),
        "msix_id": l.msix_id,
        "topic_label": lang.t("letter-topic"),
        "topic": l.topic,
        "greeting": lang.t("letter-greeting"),
        "received": lang.t_args(
            "letter-received",
            &[("requested", &lang.long_date(l.requested_on)), ("state", state)],
        ),
        "decided": lang.t_args("letter-decided", &[("decided", &lang.long_date(l.decided_on))]),
        "outcome": if l.corrected {
            lang.t_args("letter-corrected", &[("state", state)])
        } else {
            lang.t("letter-denied")
        },
        "reason_label": lang.t("letter-reason"),
        "reason": l.reason.as_deref().map(str::trim).filter(|r| !r.is_empty()),
        "review": lang.t("letter-review"),
        "closing": lang.t("letter-closing"),
        "signature": lang.t_args("letter-signature", &[("state", state)]),
        "footer": lang.t("letter-footer"),
    })
}

/// Builds the data of a report of tables ([`crate::render_tables`]).
pub fn tables(r: &crate::TablesReport, lang: Lang, generated_at: DateTime<Utc>) -> Value {
    use chrono::Datelike;
    let today = generated_at.date_naive();
    json!({
        "lang": lang.code(),
        "doc_title": r.title,
        "author": "Puente",
        "date": {
            "year": today.year(),
            "month": today.month(),
            "day": today.day(),
        },
        "generated": lang.t_args("report-generated", &[("date", &lang.date(today))]),
        "page": lang.t("report-page"),
        "page_of": lang.t("report-page-of"),
        "title": r.title,
        "intro": r.intro,
        "empty": r.empty,
        "tables": r.tables.iter().map(|t| json!({
            "caption": t.caption,
            "head": t.head,
            "rows": t.rows,
            "chart": t.chart.as_ref().map(|(svg, _)| svg),
            "chart_alt": t.chart.as_ref().map(|(_, alt)| alt.as_str()).unwrap_or(""),
        })).collect::<Vec<_>>(),
    })
}
