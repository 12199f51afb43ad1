//! The reports section: a state's child count (Category 1 and 2 by grade and by age) and
//! data-quality summary, or the national child count by state; CSV and Excel exports of exactly
//! the tables on the page; drill-down lists of the MSIX IDs behind a figure.
//!
//! Every table is built once ([`child_count_tables`], [`quality_tables`]) and then rendered as
//! HTML, written as CSV ([`to_csv`]) or as a workbook ([`to_xlsx`]), so the exports hold the rows
//! the page shows. Text cells of both exports go through [`neutralise`] (no formula injection).
//! Counts come from `puente_app::reports`, which checks capability and scope and audits; the
//! child-level lists are only linked for roles that may open them (never a federal viewer).

use std::borrow::Cow;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use puente_app::Actor;
use puente_app::reports::{ChildCountReport, CountList, NationalChildCount, QualityReport};
use puente_domain::childcount::{
    CategoryCounts, ChildCountPolicy, NotCounted, ReconciliationLine, SERVICES,
    period_start_year_of,
};
use puente_domain::codes::GradeLevel;
use puente_domain::roles::Capability;
use puente_domain::{CodeSet, StateCode};
use serde::Deserialize;

use crate::WebState;
use crate::auth::{CurrentUser, app_error};
use crate::frame::{Frame, render};
use crate::i18n::Lang;

// ---------------------------------------------------------------- tables

/// The value of a cell: text, or a count (a number in the exports, grouped digits on the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Num(u64),
}

/// One cell of a report table.
#[derive(Debug, Clone)]
pub struct Cell {
    pub value: Value,
    /// What the page shows (numbers with the language's digit grouping).
    pub display: String,
    /// Drill-down or navigation link, when the viewer may follow it.
    pub href: Option<String>,
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            display: s.clone(),
            value: Value::Text(s),
            href: None,
        }
    }

    pub(crate) fn num(lang: Lang, n: u64) -> Cell {
        Cell {
            value: Value::Num(n),
            display: lang.number(i64::try_from(n).unwrap_or(i64::MAX)),
            href: None,
        }
    }

    pub(crate) fn link(mut self, href: Option<String>) -> Cell {
        self.href = href;
        self
    }
}

/// A report table as the page shows it and the exports write it.
#[derive(Debug, Clone)]
pub struct Table {
    /// Anchor and chart id.
    pub id: &'static str,
    pub caption: String,
    /// Worksheet name in the workbook (at most 31 characters).
    pub sheet: String,
    pub head: Vec<String>,
    /// The first cell of each row is its header.
    pub rows: Vec<Vec<Cell>>,
    /// An SVG bar chart of the same numbers (inline, `role="img"` with a title).
    pub chart: Option<String>,
}

/// A text value that a spreadsheet would read as a formula (or that starts with a tab or
/// carriage return) gets a leading apostrophe.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// The tables as CSV: for each table, a row with its caption, a row with the column headers,
/// then its rows. Text is neutralised; counts are plain digits.
pub fn to_csv(tables: &[Table]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for t in tables {
        w.write_record([neutralise(&t.caption).as_ref()])?;
        w.write_record(t.head.iter().map(|h| neutralise(h).into_owned()))?;
        for row in &t.rows {
            w.write_record(row.iter().map(|c| match &c.value {
                Value::Text(s) => neutralise(s).into_owned(),
                Value::Num(n) => n.to_string(),
            }))?;
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// The tables as an Excel workbook, one worksheet per table laid out as in [`to_csv`]. Text is
/// written as strings (never formulas) and neutralised too; counts are numbers.
pub fn to_xlsx(tables: &[Table]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet)?;
        ws.write_string_with_format(0, 0, neutralise(&t.caption).as_ref(), &bold)?;
        for (c, h) in t.head.iter().enumerate() {
            ws.write_string_with_format(1, col(c), neutralise(h).as_ref(), &bold)?;
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = u32::try_from(r + 2).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match &cell.value {
                    Value::Text(s) => ws.write_string(r, col(c), neutralise(s).as_ref())?,
                    Value::Num(n) => ws.write_number(r, col(c), *n as f64)?,
                };
            }
        }
        ws.autofit();
    }
    wb.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

// ---------------------------------------------------------------- chart

pub(crate) const CAT1_COLOR: plotters::style::RGBColor = plotters::style::RGBColor(0, 94, 162);
const CAT2_COLOR: plotters::style::RGBColor = plotters::style::RGBColor(192, 86, 0);

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A grouped bar chart (Category 1 and Category 2 per label) as an inline SVG with `role="img"`
/// and a `<title>`; presentation attributes only (no `style=`, allowed by the CSP). `None` when
/// there is nothing to draw.
pub fn bar_chart(
    lang: Lang,
    id: &str,
    title: &str,
    x_desc: &str,
    labels: &[String],
    cat1: &[u64],
    cat2: &[u64],
) -> Option<String> {
    bars(
        lang,
        id,
        title,
        (x_desc, &lang.t("rep-children")),
        labels,
        &[
            (lang.t("rep-category1"), cat1, CAT1_COLOR),
            (lang.t("rep-category2"), cat2, CAT2_COLOR),
        ],
    )
}

/// A bar chart of one series, or grouped bars of two, per label (see [`bar_chart`]); `axes`
/// names the x and y axes.
pub fn bars(
    lang: Lang,
    id: &str,
    title: &str,
    axes: (&str, &str),
    labels: &[String],
    series: &[(String, &[u64], plotters::style::RGBColor)],
) -> Option<String> {
    use plotters::prelude::*;
    let n = labels.len();
    if n == 0 || series.is_empty() || series.len() > 2 {
        return None;
    }
    let (x_desc, y_desc) = axes;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let single = series.len() == 1;
    let width = u32::try_from((160 + n * 56).clamp(420, 960)).unwrap_or(960);
    let height = 340u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let top = max + max.div_ceil(8);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((0..n).into_segmented(), 0u64..top)
            .ok()?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        };
        let y_fmt = |v: &u64| lang.number(i64::try_from(*v).unwrap_or(i64::MAX));
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label_of)
            .y_label_formatter(&y_fmt)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .label_style(("sans-serif", 14))
            .draw()
            .ok()?;
        for (k, (name, values, color)) in series.iter().enumerate() {
            let (color, first) = (*color, k == 0);
            chart
                .draw_series(values.iter().enumerate().map(|(i, v)| {
                    let (from, to) = if single {
                        (SegmentValue::Exact(i), SegmentValue::Exact(i + 1))
                    } else if first {
                        (SegmentValue::Exact(i), SegmentValue::CenterOf(i))
                    } else {
                        (SegmentValue::CenterOf(i), SegmentValue::Exact(i + 1))
                    };
                    let mut bar = Rectangle::new([(from, 0), (to, *v)], color.filled());
                    if single {
                        bar.set_margin(0, 0, 8, 8);
                    } else if first {
                        bar.set_margin(0, 0, 6, 1);
                    } else {
                        bar.set_margin(0, 0, 1, 6);
                    }
                    bar
                }))
                .ok()?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 12, y + 6)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE)
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    accessible_svg(&svg, (width, height), id, title)
}

/// Makes a plotters SVG scale to its container and announce itself as one image with a title.
fn accessible_svg(svg: &str, (width, height): (u32, u32), id: &str, title: &str) -> Option<String> {
    let sized = format!("width=\"{width}\" height=\"{height}\"");
    let open = svg.find('>')?;
    let (head, rest) = svg.split_at(open);
    let head = head.replacen(&sized, "width=\"100%\"", 1).replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-labelledby=\"{id}-title\" "),
        1,
    );
    Some(format!(
        "{head}><title id=\"{id}-title\">{}</title>{}",
        xml_escape(title),
        &rest[1..]
    ))
}

/// A flow chart of moves between states as an inline SVG: origins on the left, destinations on
/// the right, each state's bar as tall as its moves, and one band per pair as wide as its moves
/// (the `max_flows` largest pairs; the table beside it lists all). `None` with no moves.
pub fn flow_chart(
    lang: Lang,
    id: &str,
    title: &str,
    flows: &[puente_app::reports::Flow],
    max_flows: usize,
) -> Option<String> {
    use plotters::prelude::*;
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let flows: Vec<&puente_app::reports::Flow> = flows.iter().take(max_flows).collect();
    let total: u64 = flows.iter().map(|f| f.moves).sum();
    if total == 0 {
        return None;
    }
    // Side totals, largest first.
    let side = |pick: fn(&puente_app::reports::Flow) -> &str| {
        let mut m: std::collections::BTreeMap<&str, u64> = Default::default();
        for f in &flows {
            *m.entry(pick(f)).or_default() += f.moves;
        }
        let mut v: Vec<(&str, u64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    };
    let left = side(|f| f.from.as_str());
    let right = side(|f| f.to.as_str());
    let (width, height) = (
        760u32,
        60 + 34
            * u32::try_from(left.len().max(right.len()))
                .unwrap_or(20)
                .min(20)
            + 160,
    );
    let gap = 10.0;
    let (top, usable) = (30.0, f64::from(height) - 60.0);
    let place = |states: &[(&str, u64)]| {
        let n = states.len() as f64;
        let scale = (usable - gap * (n - 1.0)).max(1.0) / total as f64;
        let mut y = top;
        let mut at = std::collections::BTreeMap::new();
        for (s, v) in states {
            let h = (*v as f64 * scale).max(3.0);
            at.insert(s.to_string(), (y, h, scale));
            y += h + gap;
        }
        at
    };
    let lpos = place(&left);
    let rpos = place(&right);
    let (lx, rx, bar) = (150i32, 600i32, 14i32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let colors = [
            RGBColor(0x00, 0x5e, 0xa2),
            RGBColor(0xc0, 0x5c, 0x00),
            RGBColor(0x00, 0x7d, 0x5a),
            RGBColor(0x8b, 0x1a, 0x8b),
            RGBColor(0x9c, 0x3d, 0x10),
            RGBColor(0x2e, 0x5d, 0x7a),
        ];
        let mut lused: std::collections::BTreeMap<&str, f64> = Default::default();
        let mut rused: std::collections::BTreeMap<&str, f64> = Default::default();
        for (i, f) in flows.iter().enumerate() {
            let (ly, _, scale) = lpos.get(&f.from)?;
            let (ry, _, _) = rpos.get(&f.to)?;
            let w = (f.moves as f64 * scale).max(1.5);
            let lo = lused.entry(f.from.as_str()).or_default();
            let ro = rused.entry(f.to.as_str()).or_default();
            let (l0, r0) = (ly + *lo, ry + *ro);
            *lo += w;
            *ro += w;
            let c = colors[i % colors.len()];
            let pts = vec![
                (lx + bar, l0.round() as i32),
                (rx, r0.round() as i32),
                (rx, (r0 + w).round() as i32),
                (lx + bar, (l0 + w).round() as i32),
            ];
            root.draw(&Polygon::new(pts, c.mix(0.45).filled())).ok()?;
        }
        let font = ("sans-serif", 15).into_font();
        let label = |s: &str, v: u64| format!("{s} {}", lang.number(i64::try_from(v).unwrap_or(0)));
        for (s, v) in &left {
            let (y, h, _) = lpos.get(*s)?;
            root.draw(&Rectangle::new(
                [(lx, *y as i32), (lx + bar, (y + h) as i32)],
                BLACK.filled(),
            ))
            .ok()?;
            let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Right, VPos::Center));
            root.draw(&Text::new(
                label(s, *v),
                (lx - 8, (y + h / 2.0) as i32),
                style,
            ))
            .ok()?;
        }
        for (s, v) in &right {
            let (y, h, _) = rpos.get(*s)?;
            root.draw(&Rectangle::new(
                [(rx, *y as i32), (rx + bar, (y + h) as i32)],
                BLACK.filled(),
            ))
            .ok()?;
            let style = TextStyle::from(font.clone()).pos(Pos::new(HPos::Left, VPos::Center));
            root.draw(&Text::new(
                label(s, *v),
                (rx + bar + 8, (y + h / 2.0) as i32),
                style,
            ))
            .ok()?;
        }
        let head =
            TextStyle::from(("sans-serif", 15).into_font()).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw(&Text::new(
            lang.t("rep-mob-from"),
            (lx + bar / 2, 6),
            head.clone(),
        ))
        .ok()?;
        root.draw(&Text::new(lang.t("rep-mob-to"), (rx + bar / 2, 6), head))
            .ok()?;
        root.present().ok()?;
    }
    accessible_svg(&svg, (width, height), id, title)
}

/// The interstate mobility tables: moves by origin and destination (with the flow chart) and by
/// arrival month.
pub fn mobility_tables(lang: Lang, m: &puente_app::reports::Mobility) -> Vec<Table> {
    let caption = lang.t("rep-mob-flows");
    let flows = Table {
        id: "mob-flows",
        chart: flow_chart(lang, "mob-flows-chart", &caption, &m.flows, 12),
        caption,
        sheet: lang.t("rep-sheet-mob-flows"),
        head: vec![
            lang.t("rep-mob-from"),
            lang.t("rep-mob-to"),
            lang.t("rep-mob-moves"),
        ],
        rows: m
            .flows
            .iter()
            .map(|f| {
                vec![
                    Cell::text(f.from.clone()),
                    Cell::text(f.to.clone()),
                    Cell::num(lang, f.moves),
                ]
            })
            .chain(std::iter::once(vec![
                Cell::text(lang.t("rep-all-states")),
                Cell::text(String::new()),
                Cell::num(lang, m.total),
            ]))
            .collect(),
    };
    let months = Table {
        id: "mob-months",
        caption: lang.t("rep-mob-months"),
        sheet: lang.t("rep-sheet-mob-months"),
        head: vec![lang.t("rep-mob-month"), lang.t("rep-mob-moves")],
        rows: m
            .by_month
            .iter()
            .map(|(month, n)| {
                let label = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
                    .map(|d| lang.month_year(d))
                    .unwrap_or_else(|_| month.clone());
                vec![Cell::text(label), Cell::num(lang, *n)]
            })
            .collect(),
        chart: None,
    };
    vec![flows, months]
}

// ---------------------------------------------------------------- building the tables

/// Which period and state a request is about.
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    pub year: Option<String>,
    /// For national viewers: one state's report instead of the national count.
    #[serde(default)]
    pub state: Option<String>,
}

/// What a page or an export reports on.
struct Target {
    year: i32,
    /// The state reported on; `None`: the national count by state.
    state: Option<String>,
}

fn current_year(state: &WebState) -> i32 {
    period_start_year_of(
        state.app.clock.now().date_naive(),
        &ChildCountPolicy::default(),
    )
}

fn target(state: &WebState, actor: &Actor, q: &ReportQuery) -> Option<Target> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => current_year(state),
        Some(y) => y.parse().ok().filter(|y| (1990..=2200).contains(y))?,
    };
    let st = report_state(actor, q.state.as_deref())?;
    Some(Target { year, state: st })
}

/// The state a report is about: the actor's own, or the one a viewer without a state scope
/// asked for (`Some(None)`: every state). `None` for an unknown state code.
pub(crate) fn report_state(actor: &Actor, asked: Option<&str>) -> Option<Option<String>> {
    Some(match actor.state() {
        Some(s) => Some(s.to_owned()),
        None => match asked.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(StateCode::parse(s)?.code().to_owned()),
        },
    })
}

/// A label from the catalogue, or `fallback` when message `id` does not exist (yet).
pub(crate) fn label_or(lang: Lang, id: &str, fallback: &str) -> String {
    if lang.has(id) {
        lang.t(id)
    } else {
        fallback.to_owned()
    }
}

/// Whether the viewer may open child-level lists (and the records they link to).
fn may_drill(actor: &Actor) -> bool {
    crate::auth::Access::AllOf(&[Capability::ViewReports, Capability::ViewStudent])
        .allows(Some(actor))
        && !actor.can(Capability::ViewNationalStatistics)
}

fn q(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

fn grade_label(lang: Lang, code: &str) -> String {
    if code == "none" {
        lang.t("rep-none")
    } else {
        code.to_owned()
    }
}

fn grade_order(code: &str) -> usize {
    GradeLevel::all()
        .iter()
        .position(|g| g.code() == code)
        .unwrap_or(usize::MAX)
}

fn count_row(lang: Lang, label: String, c: &CategoryCounts) -> Vec<Cell> {
    vec![
        Cell::text(label),
        Cell::num(lang, c.category1),
        Cell::num(lang, c.category2),
    ]
}

fn with_chart(lang: Lang, mut t: Table, x_desc: &str) -> Table {
    let labels: Vec<String> = t.rows.iter().map(|r| r[0].display.clone()).collect();
    let num = |r: &Vec<Cell>, i: usize| match r.get(i).map(|c| &c.value) {
        Some(Value::Num(n)) => *n,
        _ => 0,
    };
    let c1: Vec<u64> = t.rows.iter().map(|r| num(r, 1)).collect();
    let c2: Vec<u64> = t.rows.iter().map(|r| num(r, 2)).collect();
    t.chart = bar_chart(lang, t.id, &t.caption, x_desc, &labels, &c1, &c2);
    t
}

/// The child-count tables of one state: totals, by grade, by age, and why children are not
/// counted. Drill-down links when `drill`.
pub fn child_count_tables(lang: Lang, r: &ChildCountReport, drill: bool) -> Vec<Table> {
    let drill = drill && !r.pii_redacted;
    let list = |l: &str| {
        drill.then(|| {
            format!(
                "/reports/list?report=child-count&state={}&year={}&list={}",
                r.state,
                r.period.start_year,
                q(l)
            )
        })
    };
    let t = &r.tally;
    let totals = Table {
        id: "cc-totals",
        caption: lang.t("rep-cc-totals"),
        sheet: lang.t("rep-sheet-totals"),
        head: vec![lang.t("rep-measure"), lang.t("rep-children")],
        rows: vec![
            vec![
                Cell::text(lang.t("rep-children-considered")),
                Cell::num(lang, t.children),
            ],
            vec![
                Cell::text(lang.t("rep-category1")),
                Cell::num(lang, t.totals.category1).link(list("category1")),
            ],
            vec![
                Cell::text(lang.t("rep-category2")),
                Cell::num(lang, t.totals.category2).link(list("category2")),
            ],
            vec![
                Cell::text(lang.t("rep-possible-duplicates")),
                Cell::num(lang, r.possible_duplicates).link(list("possible_duplicates")),
            ],
        ],
        chart: None,
    };
    let mut grades: Vec<(&String, &CategoryCounts)> = t.by_grade.iter().collect();
    grades.sort_by_key(|(g, _)| grade_order(g));
    let by_grade = Table {
        id: "cc-grade",
        caption: lang.t("rep-cc-by-grade"),
        sheet: lang.t("rep-sheet-grade"),
        head: vec![
            lang.t("rep-grade"),
            lang.t("rep-category1"),
            lang.t("rep-category2"),
        ],
        rows: grades
            .into_iter()
            .map(|(g, c)| count_row(lang, grade_label(lang, g), c))
            .collect(),
        chart: None,
    };
    let by_age = Table {
        id: "cc-age",
        caption: lang.t("rep-cc-by-age"),
        sheet: lang.t("rep-sheet-age"),
        head: vec![
            lang.t("rep-age"),
            lang.t("rep-category1"),
            lang.t("rep-category2"),
        ],
        rows: t
            .by_age
            .iter()
            .map(|(a, c)| count_row(lang, a.to_string(), c))
            .collect(),
        chart: None,
    };
    let not_counted = Table {
        id: "cc-not-counted",
        caption: lang.t("rep-cc-not-counted"),
        sheet: lang.t("rep-sheet-not-counted"),
        head: vec![
            lang.t("rep-reason"),
            lang.t("rep-not-category1"),
            lang.t("rep-not-category2"),
        ],
        rows: NotCounted::ALL
            .iter()
            .filter_map(|reason| {
                let c1 = t
                    .not_counted_category1
                    .get(reason.code())
                    .copied()
                    .unwrap_or(0);
                let c2 = t
                    .not_counted_category2
                    .get(reason.code())
                    .copied()
                    .unwrap_or(0);
                (c1 + c2 > 0).then(|| {
                    vec![
                        Cell::text(lang.t(&format!("rep-reason-{}", reason.code()))),
                        Cell::num(lang, c1).link(
                            (c1 > 0)
                                .then(|| list(&format!("not_counted:{}", reason.code())))
                                .flatten(),
                        ),
                        Cell::num(lang, c2),
                    ]
                })
            })
            .collect(),
        chart: None,
    };
    let services = Table {
        id: "cc-services",
        caption: lang.t("rep-cc-services"),
        sheet: lang.t("rep-sheet-services"),
        head: vec![
            lang.t("rep-service"),
            lang.t("rep-category1"),
            lang.t("rep-category2"),
        ],
        rows: SERVICES
            .iter()
            .map(|k| {
                let c = r.tally.by_service.get(*k).copied().unwrap_or_default();
                count_row(lang, lang.t(&format!("rep-service-{k}")), &c)
            })
            .collect(),
        chart: None,
    };
    vec![
        totals,
        with_chart(lang, by_grade, &lang.t("rep-grade")),
        with_chart(lang, by_age, &lang.t("rep-age")),
        services,
        not_counted,
    ]
}

/// The national count of Category 1 children by service indicator, per state, with a total.
fn national_services_table(lang: Lang, n: &NationalChildCount) -> Table {
    let row =
        |label: Cell, t: &puente_domain::childcount::ChildCountTally| {
            std::iter::once(label)
                .chain(SERVICES.iter().map(|k| {
                    Cell::num(lang, t.by_service.get(*k).map(|c| c.category1).unwrap_or(0))
                }))
                .collect::<Vec<_>>()
        };
    let mut rows: Vec<Vec<Cell>> = n
        .by_state
        .iter()
        .map(|(s, t)| row(Cell::text(s.clone()), t))
        .collect();
    rows.push(row(Cell::text(lang.t("rep-all-states")), &n.total));
    Table {
        id: "cc-services-states",
        caption: lang.t("rep-cc-services-states"),
        sheet: lang.t("rep-sheet-services"),
        head: std::iter::once(lang.t("rep-state"))
            .chain(SERVICES.iter().map(|k| lang.t(&format!("rep-service-{k}"))))
            .collect(),
        rows,
        chart: None,
    }
}

/// The national child count: one row per state (linking to that state's report) and a total.
pub fn national_tables(lang: Lang, n: &NationalChildCount) -> Vec<Table> {
    let mut rows: Vec<Vec<Cell>> = n
        .by_state
        .iter()
        .map(|(s, t)| {
            vec![
                Cell::text(s.clone()).link(Some(format!(
                    "/reports?state={}&year={}",
                    q(s),
                    n.period.start_year
                ))),
                Cell::num(lang, t.children),
                Cell::num(lang, t.totals.category1),
                Cell::num(lang, t.totals.category2),
            ]
        })
        .collect();
    let chart_rows = rows
        .iter()
        .map(|r| vec![r[0].clone(), r[2].clone(), r[3].clone()])
        .collect();
    rows.push(vec![
        Cell::text(lang.t("rep-all-states")),
        Cell::num(lang, n.total.children),
        Cell::num(lang, n.total.totals.category1),
        Cell::num(lang, n.total.totals.category2),
    ]);
    rows.push(vec![
        Cell::text(lang.t("rep-unduplicated")),
        Cell::text(String::new()),
        Cell::num(lang, n.unduplicated.category1),
        Cell::num(lang, n.unduplicated.category2),
    ]);
    let caption = lang.t("rep-cc-by-state");
    let chart = with_chart(
        lang,
        Table {
            id: "cc-states",
            caption: caption.clone(),
            sheet: String::new(),
            head: Vec::new(),
            rows: chart_rows,
            chart: None,
        },
        &lang.t("rep-state"),
    )
    .chart;
    let services = national_services_table(lang, n);
    vec![
        Table {
            id: "cc-states",
            caption,
            sheet: lang.t("rep-sheet-states"),
            head: vec![
                lang.t("rep-state"),
                lang.t("rep-children-considered"),
                lang.t("rep-category1"),
                lang.t("rep-category2"),
            ],
            rows,
            chart,
        },
        services,
    ]
}

/// The label of a data-quality finding code (the code itself if no message exists yet).
fn finding_label(lang: Lang, code: &str) -> String {
    label_or(
        lang,
        &format!("rep-finding-{}", code.replace('.', "-")),
        code,
    )
}

/// The data-quality tables of one state: summary, children by finding, and by district and
/// finding. Every count of a finding links to its drill-down when `drill`.
pub fn quality_tables(lang: Lang, r: &QualityReport, drill: bool) -> Vec<Table> {
    let list = |code: &str, district: Option<&str>| {
        drill.then(|| {
            let mut href = format!(
                "/reports/list?report=quality&state={}&code={}",
                r.state,
                q(code)
            );
            if let Some(d) = district {
                href.push_str(&format!("&district={}", q(d)));
            }
            href
        })
    };
    let list = &list;
    let t = &r.tally;
    let summary = Table {
        id: "dq-summary",
        caption: lang.t("rep-dq-summary"),
        sheet: lang.t("rep-sheet-dq-summary"),
        head: vec![lang.t("rep-measure"), lang.t("rep-count")],
        rows: vec![
            vec![
                Cell::text(lang.t("rep-children-considered")),
                Cell::num(lang, t.children),
            ],
            vec![
                Cell::text(lang.t("rep-children-with-findings")),
                Cell::num(lang, t.children_with_findings),
            ],
            vec![
                Cell::text(lang.t("rep-rejected-students")),
                Cell::num(lang, r.rejected_students)
                    .link(drill.then(|| format!("/reports/rejected?state={}", r.state))),
            ],
            vec![
                Cell::text(lang.t("rep-rejected-files")),
                Cell::num(lang, u64::try_from(r.rejected_files).unwrap_or(0)),
            ],
            vec![
                Cell::text(lang.t("rep-open-near-matches")),
                Cell::num(lang, r.open_near_matches)
                    .link(list(puente_app::reports::OPEN_NEAR_MATCH, None)),
            ],
        ],
        chart: None,
    };
    let findings = Table {
        id: "dq-findings",
        caption: lang.t("rep-dq-findings"),
        sheet: lang.t("rep-sheet-dq-findings"),
        head: vec![lang.t("rep-finding"), lang.t("rep-children")],
        rows: t
            .by_code
            .iter()
            .map(|(code, n)| {
                vec![
                    Cell::text(finding_label(lang, code)),
                    Cell::num(lang, *n).link(list(code, None)),
                ]
            })
            .collect(),
        chart: None,
    };
    let districts = Table {
        id: "dq-districts",
        caption: lang.t("rep-dq-districts"),
        sheet: lang.t("rep-sheet-dq-districts"),
        head: vec![
            lang.t("rep-district"),
            lang.t("rep-finding"),
            lang.t("rep-children"),
        ],
        rows: t
            .by_district
            .iter()
            .flat_map(|(d, dt)| {
                let shown = if d == "none" {
                    lang.t("rep-none")
                } else {
                    d.clone()
                };
                dt.by_code.iter().map(move |(code, n)| {
                    vec![
                        Cell::text(shown.clone()),
                        Cell::text(finding_label(lang, code)),
                        Cell::num(lang, *n).link(list(code, Some(d))),
                    ]
                })
            })
            .collect(),
        chart: None,
    };
    let region_href = |code: &str, region: &str| {
        drill.then(|| {
            format!(
                "/reports/list?report=quality&state={}&code={}&region={}",
                r.state,
                q(code),
                q(region)
            )
        })
    };
    let regions = Table {
        id: "dq-regions",
        caption: lang.t("rep-dq-regions"),
        sheet: lang.t("rep-sheet-dq-regions"),
        head: vec![
            lang.t("rep-region"),
            lang.t("rep-finding"),
            lang.t("rep-children"),
        ],
        rows: r
            .by_region
            .iter()
            .flat_map(|(region, rt)| {
                let shown = if region == puente_app::reports::NO_REGION {
                    lang.t("rep-no-region")
                } else {
                    match r.region_names.get(region) {
                        Some(name) if name != region => format!("{name} ({region})"),
                        _ => region.clone(),
                    }
                };
                let region_href = &region_href;
                rt.by_code.iter().map(move |(code, n)| {
                    vec![
                        Cell::text(shown.clone()),
                        Cell::text(finding_label(lang, code)),
                        Cell::num(lang, *n).link(region_href(code, region)),
                    ]
                })
            })
            .collect(),
        chart: None,
    };
    let months: Vec<String> = r.history.iter().map(|p| lang.month_year(p.day)).collect();
    let history_caption = lang.t("rep-dq-history");
    let with_findings: Vec<u64> = r.history.iter().map(|p| p.children_with_findings).collect();
    let history = Table {
        id: "dq-history",
        chart: bars(
            lang,
            "dq-history",
            &history_caption,
            (&lang.t("rep-mob-month"), &lang.t("rep-children")),
            &months,
            &[(
                lang.t("rep-children-with-findings"),
                &with_findings,
                CAT1_COLOR,
            )],
        ),
        caption: history_caption,
        sheet: lang.t("rep-sheet-dq-history"),
        head: vec![
            lang.t("rep-mob-month"),
            lang.t("rep-dq-day"),
            lang.t("rep-children-considered"),
            lang.t("rep-children-with-findings"),
        ],
        rows: r
            .history
            .iter()
            .zip(&months)
            .map(|(p, m)| {
                vec![
                    Cell::text(m.clone()),
                    Cell::text(lang.date(p.day)),
                    Cell::num(lang, p.children),
                    Cell::num(lang, p.children_with_findings),
                ]
            })
            .collect(),
    };
    let codes: std::collections::BTreeSet<&String> =
        r.history.iter().flat_map(|p| p.by_code.keys()).collect();
    let history_codes = Table {
        id: "dq-history-codes",
        caption: lang.t("rep-dq-history-codes"),
        sheet: lang.t("rep-sheet-dq-history-codes"),
        head: std::iter::once(lang.t("rep-finding"))
            .chain(months.iter().cloned())
            .collect(),
        rows: codes
            .into_iter()
            .map(|code| {
                std::iter::once(Cell::text(finding_label(lang, code)))
                    .chain(
                        r.history
                            .iter()
                            .map(|p| Cell::num(lang, p.by_code.get(code).copied().unwrap_or(0))),
                    )
                    .collect()
            })
            .collect(),
        chart: None,
    };
    vec![
        summary,
        findings,
        regions,
        districts,
        history,
        history_codes,
    ]
}

// ---------------------------------------------------------------- handlers

/// A year the period selector offers.
pub struct YearOption {
    pub year: i32,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "reports/index.html")]
pub struct ReportsPage {
    pub frame: Frame,
    pub years: Vec<YearOption>,
    /// "Texas (TX)" or the national heading.
    pub scope: String,
    pub period: String,
    pub national: bool,
    /// State code when a national viewer looks at one state (for the export links).
    pub state_param: String,
    pub year: i32,
    pub child_count: Vec<Table>,
    pub quality: Vec<Table>,
    pub quality_as_of: String,
    /// National page: interstate mobility.
    pub mobility: Vec<Table>,
    /// Whether the viewer may reconcile the state's count with the state's own list.
    pub reconcile: bool,
}

/// `GET /reports?year=2025[&state=TX]`.
pub async fn page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    let Some(tg) = target(&state, &actor, &query) else {
        return app_error(frame, puente_app::AppError::Invalid("query".into()));
    };
    let lang = frame.lang;
    let drill = may_drill(&actor);
    let mobility = if tg.state.is_none() {
        match state.app.interstate_mobility(&actor, tg.year).await {
            Ok(m) => mobility_tables(lang, &m),
            Err(e) => return app_error(frame, e),
        }
    } else {
        Vec::new()
    };
    let (child_count, quality, period, quality_as_of) = match &tg.state {
        Some(st) => {
            let cc = match state.app.child_count(&actor, st, tg.year).await {
                Ok(r) => r,
                Err(e) => return app_error(frame, e),
            };
            let dq = match state.app.data_quality(&actor, st).await {
                Ok(r) => r,
                Err(e) => return app_error(frame, e),
            };
            (
                child_count_tables(lang, &cc, drill),
                quality_tables(lang, &dq, drill),
                (cc.period.start, cc.period.end),
                lang.date(dq.as_of),
            )
        }
        None => {
            let n = match state.app.national_child_count(&actor, tg.year).await {
                Ok(r) => r,
                Err(e) => return app_error(frame, e),
            };
            (
                national_tables(lang, &n),
                Vec::new(),
                (n.period.start, n.period.end),
                String::new(),
            )
        }
    };
    let current = current_year(&state);
    let mut years: Vec<i32> = (current - 4..=current).rev().collect();
    if !years.contains(&tg.year) {
        years.push(tg.year);
    }
    let years = years
        .into_iter()
        .map(|y| YearOption {
            year: y,
            label: lang.t_args(
                "rep-period-years",
                &[("from", &y.to_string()), ("to", &(y + 1).to_string())],
            ),
            selected: y == tg.year,
        })
        .collect();
    let scope = match &tg.state {
        Some(s) => frame.t1("rep-scope-state", "state", s),
        None => frame.t("rep-scope-national"),
    };
    let period = lang.t_args(
        "rep-period",
        &[
            ("start", &lang.date(period.0)),
            ("end", &lang.date(period.1)),
        ],
    );
    let page = ReportsPage {
        national: tg.state.is_none(),
        state_param: if actor.state().is_none() {
            tg.state.clone().unwrap_or_default()
        } else {
            String::new()
        },
        year: tg.year,
        frame,
        years,
        scope,
        period,
        child_count,
        quality,
        quality_as_of,
        mobility,
        reconcile: drill && tg.state.is_some(),
    };
    render(StatusCode::OK, &page)
}

#[derive(Clone, Copy)]
enum Report {
    ChildCount,
    Quality,
}

/// An export format.
#[derive(Clone, Copy)]
pub(crate) enum Format {
    Csv,
    Xlsx,
    /// The tables with their charts, printable.
    Pdf,
}

/// The format named by a `format=` query value.
pub(crate) fn export_format(s: &str) -> Option<Format> {
    match s {
        "csv" => Some(Format::Csv),
        "xlsx" => Some(Format::Xlsx),
        "pdf" => Some(Format::Pdf),
        _ => None,
    }
}

/// What a printed report says around its tables.
pub(crate) struct DocInfo {
    pub lang: Lang,
    pub title: String,
    /// Lines under the title (scope, period, as-of date).
    pub intro: Vec<String>,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// A chart of the page as a standalone SVG for the PDF: its natural size instead of the page's
/// `width="100%"` (the typesetter needs an absolute size; the view box gives it).
fn standalone_svg(svg: &str) -> String {
    let width = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|v| v.split([' ', '"']).next())
        .unwrap_or("800");
    svg.replacen("width=\"100%\"", &format!("width=\"{width}\""), 1)
}

/// The tables as a printable PDF: each table's chart (its caption as the alternative text)
/// above the table, cells as the page shows them.
pub(crate) async fn tables_pdf(tables: &[Table], doc: DocInfo, name: &str) -> Option<Vec<u8>> {
    let report = puente_pdf::TablesReport {
        title: doc.title,
        intro: doc.intro,
        empty: doc.lang.t("rep-none"),
        tables: tables
            .iter()
            .map(|t| puente_pdf::PrintedTable {
                caption: t.caption.clone(),
                head: t.head.clone(),
                rows: t
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.display.clone()).collect())
                    .collect(),
                chart: t
                    .chart
                    .as_deref()
                    .map(|svg| (standalone_svg(svg), t.caption.clone())),
            })
            .collect(),
    };
    let lang = match doc.lang {
        Lang::En => puente_pdf::Lang::En,
        Lang::Es => puente_pdf::Lang::Es,
    };
    let (at, ident) = (doc.at, name.to_owned());
    // Typesetting is CPU work: keep it off the async workers.
    match tokio::task::spawn_blocking(move || puente_pdf::render_tables(&report, lang, at, &ident))
        .await
    {
        Ok(Ok(bytes)) => Some(bytes),
        _ => None,
    }
}

/// The tables as a CSV, XLSX or PDF attachment named `name` (plus the extension).
pub(crate) async fn download_tables(
    tables: &[Table],
    format: Format,
    name: &str,
    doc: DocInfo,
) -> Response {
    let body = match format {
        Format::Csv => to_csv(tables).ok(),
        Format::Xlsx => to_xlsx(tables).ok(),
        Format::Pdf => tables_pdf(tables, doc, name).await,
    };
    download(body, format, name)
}

async fn export(
    state: WebState,
    frame: Frame,
    actor: Actor,
    query: ReportQuery,
    report: Report,
    format: Format,
) -> Response {
    let Some(tg) = target(&state, &actor, &query) else {
        return app_error(frame, puente_app::AppError::Invalid("query".into()));
    };
    let lang = frame.lang;
    let drill = may_drill(&actor);
    let period = |p: &puente_domain::childcount::PerformancePeriod| {
        lang.t_args(
            "rep-period",
            &[("start", &lang.date(p.start)), ("end", &lang.date(p.end))],
        )
    };
    let scope = |st: &str| frame.t1("rep-scope-state", "state", st);
    let (tables, name, heading, intro) = match (report, &tg.state) {
        (Report::ChildCount, Some(st)) => match state.app.child_count(&actor, st, tg.year).await {
            Ok(r) => (
                child_count_tables(lang, &r, drill),
                format!("puente-child-count-{st}-{}", tg.year),
                lang.t("rep-cc-heading"),
                vec![scope(st), period(&r.period), lang.t("rep-cc-explain")],
            ),
            Err(e) => return app_error(frame, e),
        },
        (Report::ChildCount, None) => {
            let n = match state.app.national_child_count(&actor, tg.year).await {
                Ok(n) => n,
                Err(e) => return app_error(frame, e),
            };
            let m = match state.app.interstate_mobility(&actor, tg.year).await {
                Ok(m) => m,
                Err(e) => return app_error(frame, e),
            };
            // The national export holds every table of the national page.
            let mut tables = national_tables(lang, &n);
            tables.extend(mobility_tables(lang, &m));
            (
                tables,
                format!("puente-child-count-national-{}", tg.year),
                lang.t("rep-cc-national-heading"),
                vec![
                    frame.t("rep-scope-national"),
                    period(&n.period),
                    lang.t("rep-cc-explain"),
                    lang.t("rep-mob-explain"),
                ],
            )
        }
        (Report::Quality, Some(st)) => match state.app.data_quality(&actor, st).await {
            Ok(r) => (
                quality_tables(lang, &r, drill),
                format!("puente-data-quality-{st}-{}", r.as_of.format("%Y%m%d")),
                lang.t("rep-dq-heading"),
                vec![
                    scope(st),
                    lang.t_args("rep-dq-as-of", &[("date", &lang.date(r.as_of))]),
                ],
            ),
            Err(e) => return app_error(frame, e),
        },
        // The national page has no data-quality summary: choose a state.
        (Report::Quality, None) => {
            return app_error(frame, puente_app::AppError::Invalid("state".into()));
        }
    };
    let doc = DocInfo {
        lang,
        title: heading,
        intro,
        at: state.app.clock.now(),
    };
    download_tables(&tables, format, &name, doc).await
}

/// A CSV or XLSX export as an attachment (500 when it could not be made).
fn download(body: Option<Vec<u8>>, format: Format, name: &str) -> Response {
    let (ctype, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Pdf => ("application/pdf", "pdf"),
    };
    let Some(body) = body else {
        tracing::error!("report export failed");
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}.{ext}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// `GET /reports/child-count.csv`.
pub async fn child_count_csv(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::ChildCount, Format::Csv).await
}

/// `GET /reports/child-count.xlsx`.
pub async fn child_count_xlsx(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::ChildCount, Format::Xlsx).await
}

/// `GET /reports/child-count.pdf`: the tables with their charts, printable.
pub async fn child_count_pdf(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::ChildCount, Format::Pdf).await
}

/// `GET /reports/quality.pdf`.
pub async fn quality_pdf(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::Quality, Format::Pdf).await
}

/// `GET /reports/quality.csv`.
pub async fn quality_csv(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::Quality, Format::Csv).await
}

/// `GET /reports/quality.xlsx`.
pub async fn quality_xlsx(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    export(state, frame, actor, query, Report::Quality, Format::Xlsx).await
}

/// Query of a drill-down list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub report: String,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub year: Option<String>,
    /// Child count: `category1`, `category2`, `possible_duplicates` or `not_counted:<reason>`.
    #[serde(default)]
    pub list: String,
    /// Data quality: the finding code, and optionally the district.
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub district: Option<String>,
    /// Data quality: the region (instead of a district).
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Template)]
#[template(path = "reports/list.html")]
pub struct ListPage {
    pub frame: Frame,
    /// What the figure is, e.g. "Category 2, Texas (TX), 2025–2026".
    pub figure: String,
    pub ids: Vec<String>,
    pub count: String,
    pub back: String,
}

fn count_list(list: &str) -> Option<CountList> {
    match list {
        "category1" => Some(CountList::Category1),
        "category2" => Some(CountList::Category2),
        "possible_duplicates" => Some(CountList::PossibleDuplicates),
        other => other
            .strip_prefix("not_counted:")
            .and_then(NotCounted::parse)
            .map(CountList::NotCounted),
    }
}

/// `GET /reports/list?...`: the MSIX IDs behind one figure, each linking to the record (the
/// list is audited by the use case; federal viewers are refused there and never linked here).
pub async fn list_page(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(lq): Query<ListQuery>,
) -> Response {
    let rq = ReportQuery {
        year: lq.year.clone(),
        state: lq.state.clone(),
    };
    let bad = || puente_app::AppError::Invalid("query".into());
    let Some(tg) = target(&state, &actor, &rq) else {
        return app_error(frame, bad());
    };
    let Some(st) = tg.state else {
        return app_error(frame, bad());
    };
    let lang = frame.lang;
    let scope = frame.t1("rep-scope-state", "state", &st);
    let (result, figure, back) = match lq.report.as_str() {
        "child-count" => {
            let Some(list) = count_list(&lq.list) else {
                return app_error(frame, bad());
            };
            let label = match list {
                CountList::Category1 => lang.t("rep-category1"),
                CountList::Category2 => lang.t("rep-category2"),
                CountList::PossibleDuplicates => lang.t("rep-possible-duplicates"),
                CountList::NotCounted(r) => lang.t(&format!("rep-reason-{}", r.code())),
            };
            let years = lang.t_args(
                "rep-period-years",
                &[
                    ("from", &tg.year.to_string()),
                    ("to", &(tg.year + 1).to_string()),
                ],
            );
            (
                state.app.child_count_list(&actor, &st, tg.year, list).await,
                format!("{label} · {scope} · {years}"),
                format!("/reports?year={}", tg.year),
            )
        }
        "quality" if !lq.code.is_empty() && lq.region.as_deref().is_some_and(|r| !r.is_empty()) => {
            let region = lq.region.as_deref().unwrap_or_default();
            let shown = if region == puente_app::reports::NO_REGION {
                lang.t("rep-no-region")
            } else {
                lang.t_args("rep-region-named", &[("region", region)])
            };
            (
                state
                    .app
                    .data_quality_region_list(&actor, &st, &lq.code, region)
                    .await,
                format!("{} · {scope} · {shown}", finding_label(lang, &lq.code)),
                "/reports".to_owned(),
            )
        }
        "quality" if !lq.code.is_empty() => {
            let district = lq.district.as_deref().filter(|d| !d.is_empty());
            let mut figure = format!("{} · {scope}", finding_label(lang, &lq.code));
            if let Some(d) = district {
                let d = if d == "none" {
                    lang.t("rep-none")
                } else {
                    d.to_owned()
                };
                figure.push_str(&format!(
                    " · {}",
                    lang.t_args("rep-district-named", &[("district", &d)])
                ));
            }
            (
                state
                    .app
                    .data_quality_list(&actor, &st, &lq.code, district)
                    .await,
                figure,
                "/reports".to_owned(),
            )
        }
        _ => return app_error(frame, bad()),
    };
    match result {
        Ok(ids) => render(
            StatusCode::OK,
            &ListPage {
                count: lang.number(i64::try_from(ids.len()).unwrap_or(i64::MAX)),
                frame,
                figure,
                ids,
                back,
            },
        ),
        Err(e) => app_error(frame, e),
    }
}

// ------------------------------------------------------------ reconciliation

/// Largest child list a state may upload for reconciliation (a state's list of a few hundred
/// thousand children is a few megabytes).
const MAX_STATE_LIST_BYTES: usize = 32 * 1024 * 1024;

#[derive(Template)]
#[template(path = "reports/reconcile.html")]
pub struct ReconcilePage {
    pub frame: Frame,
    pub scope: String,
    pub period: String,
    pub year: i32,
    pub state_param: String,
    pub csrf: String,
    pub error: Option<String>,
    /// The result formats offered: (form value, label), the page first.
    pub formats: Vec<(&'static str, String)>,
    /// After an upload: the summary line and the differences.
    pub summary: Option<String>,
    pub table: Option<Table>,
}

/// The differences as a report table (MSIX IDs link to the records).
fn reconciliation_table(lang: Lang, lines: &[ReconciliationLine]) -> Table {
    let cat = |c: u8| {
        if c == 0 {
            lang.t("rep-rec-none")
        } else {
            c.to_string()
        }
    };
    Table {
        id: "rec-differences",
        caption: lang.t("rep-rec-caption"),
        sheet: lang.t("rep-sheet-rec"),
        head: vec![
            lang.t("rep-rec-ssid"),
            lang.t("rep-rec-msix"),
            lang.t("rep-rec-state-category"),
            lang.t("rep-rec-puente-category"),
            lang.t("rep-rec-reason"),
        ],
        rows: lines
            .iter()
            .map(|l| {
                let msix = l.msix_id.clone().unwrap_or_default();
                let href = l.msix_id.as_ref().map(|m| format!("/students/{}", q(m)));
                let reason = match l.reason.as_str() {
                    "unknown_state_student_id"
                    | "not_on_state_list"
                    | "listed_twice"
                    | "possible_duplicate"
                    | "puente_counts_category_2" => lang.t(&format!("rep-rec-{}", l.reason)),
                    code => lang.t(&format!("rep-reason-{code}")),
                };
                vec![
                    Cell::text(l.state_student_id.clone()),
                    Cell::text(msix).link(href),
                    Cell::text(cat(l.state_category)),
                    Cell::text(cat(l.puente_category)),
                    Cell::text(reason),
                ]
            })
            .collect(),
        chart: None,
    }
}

fn reconcile_page(
    frame: Frame,
    actor: &Actor,
    tg: &Target,
    st: &str,
    error: Option<String>,
    lines: Option<&[ReconciliationLine]>,
) -> Response {
    let lang = frame.lang;
    let period = ChildCountPolicy::default()
        .period(tg.year)
        .map(|p| {
            lang.t_args(
                "rep-period",
                &[("start", &lang.date(p.start)), ("end", &lang.date(p.end))],
            )
        })
        .unwrap_or_default();
    let page = ReconcilePage {
        scope: frame.t1("rep-scope-state", "state", st),
        period,
        year: tg.year,
        state_param: if actor.state().is_none() {
            st.to_owned()
        } else {
            String::new()
        },
        csrf: frame.csrf(),
        summary: lines.map(|l| {
            lang.t_args(
                "rep-rec-summary",
                &[(
                    "count",
                    &lang.number(i64::try_from(l.len()).unwrap_or(i64::MAX)),
                )],
            )
        }),
        table: lines.map(|l| reconciliation_table(lang, l)),
        formats: ["page", "csv", "xlsx"]
            .into_iter()
            .map(|f| (f, lang.t(&format!("rep-rec-format-{f}"))))
            .collect(),
        error,
        frame,
    };
    let status = if page.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &page)
}

/// The state a reconciliation is for: the viewer's own, or (for national roles that may list
/// children) the one asked for. `None`: the request names no state.
fn reconcile_target(state: &WebState, actor: &Actor, q: &ReportQuery) -> Option<(Target, String)> {
    let tg = target(state, actor, q)?;
    let st = tg.state.clone()?;
    Some((tg, st))
}

/// `GET /reports/reconcile?year=2025[&state=TX]`: the form to upload the state's child list.
pub async fn reconcile_form(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
) -> Response {
    if !may_drill(&actor) {
        return app_error(frame, puente_app::AppError::Forbidden);
    }
    let Some((tg, st)) = reconcile_target(&state, &actor, &query) else {
        return app_error(frame, puente_app::AppError::Invalid("query".into()));
    };
    reconcile_page(frame, &actor, &tg, &st, None, None)
}

/// `POST /reports/reconcile?year=..[&state=..]` (multipart: `list`, the state's CSV
/// `state_student_id,category`; `format`: `page`, `csv` or `xlsx`): the children counted on one
/// side and not the other, with the reason. The use case audits the comparison.
pub async fn reconcile_upload(
    State(state): State<WebState>,
    Extension(frame): Extension<Frame>,
    CurrentUser(actor): CurrentUser,
    Query(query): Query<ReportQuery>,
    mut form: axum::extract::Multipart,
) -> Response {
    if !may_drill(&actor) {
        return app_error(frame, puente_app::AppError::Forbidden);
    }
    let Some((tg, st)) = reconcile_target(&state, &actor, &query) else {
        return app_error(frame, puente_app::AppError::Invalid("query".into()));
    };
    let mut list: Option<Vec<u8>> = None;
    let mut format = String::from("page");
    while let Ok(Some(mut field)) = form.next_field().await {
        match field.name() {
            Some("list") => {
                let mut bytes = Vec::new();
                while let Ok(Some(chunk)) = field.chunk().await {
                    if bytes.len() + chunk.len() > MAX_STATE_LIST_BYTES {
                        let msg = frame.t("rep-rec-too-large");
                        return reconcile_page(frame, &actor, &tg, &st, Some(msg), None);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                list = Some(bytes);
            }
            Some("format") => {
                if let Ok(f) = field.text().await {
                    format = f;
                }
            }
            _ => {}
        }
    }
    let Some(bytes) = list.filter(|b| !b.is_empty()) else {
        let msg = frame.t("rep-rec-no-file");
        return reconcile_page(frame, &actor, &tg, &st, Some(msg), None);
    };
    let Ok(text) = String::from_utf8(bytes) else {
        let msg = frame.t("rep-rec-not-utf8");
        return reconcile_page(frame, &actor, &tg, &st, Some(msg), None);
    };
    let lines = match state.app.reconcile(&actor, &st, tg.year, &text).await {
        Ok(l) => l,
        Err(puente_app::AppError::Invalid(m)) => {
            let msg = frame.t1("rep-rec-bad-list", "reason", &m);
            return reconcile_page(frame, &actor, &tg, &st, Some(msg), None);
        }
        Err(e) => return app_error(frame, e),
    };
    let name = format!("puente-reconciliation-{st}-{}", tg.year);
    match format.as_str() {
        "csv" => download(
            to_csv(&[reconciliation_table(frame.lang, &lines)]).ok(),
            Format::Csv,
            &name,
        ),
        "xlsx" => download(
            to_xlsx(&[reconciliation_table(frame.lang, &lines)]).ok(),
            Format::Xlsx,
            &name,
        ),
        _ => reconcile_page(frame, &actor, &tg, &st, None, Some(&lines)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        for s in ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(s), format!("'{s}"));
        }
        assert_eq!(neutralise("TX"), "TX");
        assert_eq!(neutralise("a=b"), "a=b");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn csv_blocks_neutralise_text_and_keep_numbers() {
        let t = Table {
            id: "t",
            caption: "Cap".into(),
            sheet: "S".into(),
            head: vec!["A".into(), "B".into()],
            rows: vec![vec![Cell::text("=HYPERLINK(1)"), Cell::num(Lang::En, 1234)]],
            chart: None,
        };
        let csv = String::from_utf8(to_csv(&[t]).unwrap_or_default()).unwrap_or_default();
        assert_eq!(csv, "Cap\nA,B\n'=HYPERLINK(1),1234\n");
    }

    #[test]
    fn chart_is_an_accessible_svg_without_style_attributes() {
        let svg = bar_chart(
            Lang::En,
            "c",
            "Children <by> grade",
            "Grade",
            &["KG".into(), "01".into()],
            &[3, 1200],
            &[1, 0],
        )
        .unwrap_or_default();
        assert!(
            svg.starts_with("<svg role=\"img\" aria-labelledby=\"c-title\""),
            "{svg}"
        );
        assert!(svg.contains("<title id=\"c-title\">Children &lt;by&gt; grade</title>"));
        assert!(svg.contains("width=\"100%\"") && svg.contains("viewBox="));
        assert!(!svg.contains("style="));
        assert!(svg.contains("KG") && svg.contains("01"));
        assert!(bar_chart(Lang::En, "c", "t", "x", &[], &[], &[]).is_none());
    }
}
