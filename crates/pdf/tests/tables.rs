#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Reports of tables with charts: the tables read back with `pdftotext`, the chart drawn on the
//! page (pixels of its colour in a `pdftoppm` rendering), values printed literally.

use puente_pdf::{Lang, PrintedTable, TablesReport, render_tables};
use puente_testkit::poppler::chart_blue_pixels as blue_pixels;
use puente_testkit::poppler::{flat, pdf_text};

/// A chart as the portal draws it: one bar in the Category 1 blue, with a title.
const CHART: &str = r##"<svg width="100%" height="200" viewBox="0 0 400 200" xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="c-title"><title id="c-title">Counted children by grade</title><rect x="0" y="0" width="400" height="200" fill="#FFFFFF"/><rect x="40" y="40" width="120" height="150" fill="#005EA2"/><text x="60" y="30" font-family="sans-serif" font-size="14">Grade 10</text></svg>"##;

fn report(chart: Option<&str>, first_cell: &str) -> TablesReport {
    TablesReport {
        title: "Child count".into(),
        intro: vec![
            "State: TX".into(),
            "Performance period: 9/1/2025 to 8/31/2026".into(),
        ],
        empty: "None recorded".into(),
        tables: vec![
            PrintedTable {
                caption: "Counted children by grade".into(),
                head: vec!["Grade".into(), "Category 1".into(), "Category 2".into()],
                rows: vec![
                    vec![first_cell.into(), "1,204".into(), "17".into()],
                    vec!["11".into(), "9".into(), "0".into()],
                ],
                chart: chart.map(|c| (c.to_owned(), "Counted children by grade".to_owned())),
            },
            PrintedTable {
                caption: "Children not counted, by reason".into(),
                head: vec!["Reason".into(), "Children".into()],
                rows: vec![],
                chart: None,
            },
        ],
    }
}

#[test]
fn tables_print_with_their_charts() {
    let at = chrono::Utc::now();
    let with = render_tables(&report(Some(CHART), "10"), Lang::En, at, "t").unwrap();
    let without = render_tables(&report(None, "10"), Lang::En, at, "t").unwrap();
    assert!(with.starts_with(b"%PDF-"));
    let text = flat(&pdf_text(&with));
    for want in [
        "Child count",
        "State: TX",
        "Performance period: 9/1/2025 to 8/31/2026",
        "Counted children by grade",
        "Grade Category 1 Category 2",
        "10 1,204 17",
        "11 9 0",
        "Children not counted, by reason",
        "None recorded",
        "Page 1 of 1",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    assert!(blue_pixels(&with) > 500, "the chart is drawn");
    assert_eq!(blue_pixels(&without), 0, "no chart, no blue");
}

#[test]
fn values_print_literally_and_spanish_labels_follow_the_language() {
    let odd = "*José* #x [y] $z$ =SUM(A1)";
    let pdf = render_tables(&report(None, odd), Lang::Es, chrono::Utc::now(), "t").unwrap();
    let text = flat(&pdf_text(&pdf));
    assert!(text.contains(odd), "{text}");
    assert!(text.contains("Página 1 de 1"), "{text}");
}
