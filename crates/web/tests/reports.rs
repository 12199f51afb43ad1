#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The reports section through the portal: a state's child count and data-quality summary over a
//! hand-built store whose counts are known, in English and Spanish; CSV and Excel exports with
//! exactly the rows of the page and no formula injection; drill-down lists; who may see what.

mod common;

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::Reader;
use chrono::{NaiveDate, TimeZone, Utc};
use common::{Site, get, session_cookie, site};
use http_body_util::BodyExt;
use puente_domain::StateCode;
use puente_domain::codes::{EnrollmentType, GradeLevel};
use puente_domain::records::{Enrollment, QualifyingMove, StudentRecord};
use puente_domain::roles::Role;
use puente_store::RecordWrite;
use puente_testkit::fixtures::student;
use puente_testkit::poppler::{chart_blue_pixels, pdf_text_layout};
use tower::ServiceExt;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn summer(mut r: StudentRecord) -> StudentRecord {
    let mut e: Enrollment = r.enrollments[0].clone();
    e.enrollment_type = Some(EnrollmentType::MepSummer);
    e.enrollment_date = d(2026, 6, 15);
    e.withdrawal_date = Some(d(2026, 7, 31));
    e.grade_level = Some(GradeLevel::G10);
    r.enrollments.push(e);
    r
}

fn with_move(mut r: StudentRecord, qad: NaiveDate, exp: NaiveDate) -> StudentRecord {
    r.qualifying_moves = vec![QualifyingMove {
        qualifying_arrival_date: qad,
        from_city: None,
        from_state: None,
        from_country: None,
        to_city: None,
        to_state: None,
        eligibility_expiration_date: exp,
        expiration_defaulted: false,
    }];
    r
}

/// The district ID a spreadsheet would read as a formula.
const FORMULA: &str = "=HYPERLINK(\"http://x.example\",\"y\")";

/// TX: A (Category 1, also an MI record), B (Category 2, summer grade 10), C (QAD after the
/// 2025 period), D1 and D2 (one child entered twice; D2's district ID looks like a formula).
/// For 2025: 5 children, Category 1 = 4, Category 2 = 1, possible duplicates 2.
async fn seeded() -> (Site, Vec<String>) {
    let site = site().await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    let base = |st, ssid: &str, first: &str, last: &str, birth: &str| {
        student(st, ssid, first, last, "", birth)
    };
    let mut d2 = base(StateCode::TX, "TD2", "ANA", "RUIZ", "20120101");
    d2.enrollments[0].district_id = Some(FORMULA.into());
    let recs: Vec<(&str, StudentRecord)> = vec![
        (
            "child-a",
            base(StateCode::TX, "TA", "Jose", "Hernandez", "20100314"),
        ),
        (
            "child-a",
            base(StateCode::MI, "MA", "Jose", "Hernandez", "20100314"),
        ),
        (
            "child-b",
            summer(base(StateCode::TX, "TB", "Luis", "Gomez", "20110101")),
        ),
        (
            "child-c",
            with_move(
                base(StateCode::TX, "TC", "Eva", "Diaz", "20090505"),
                d(2026, 9, 15),
                d(2029, 9, 15),
            ),
        ),
        (
            "child-d1",
            base(StateCode::TX, "TD1", "Ana", "Ruiz", "20120101"),
        ),
        ("child-d2", d2),
    ];
    let batch: Vec<RecordWrite> = recs
        .into_iter()
        .map(|(child, record)| RecordWrite {
            record,
            child_id: child.into(),
            search_keys: vec![],
            submission_id: None,
            received_at: at,
        })
        .collect();
    let out = site.db.store.write_records(&batch).await.unwrap();
    let msix = out.iter().map(|o| o.msix_id.to_string()).collect();
    (site, msix)
}

async fn get_bytes(site: &Site, uri: &str, cookie: &str) -> (StatusCode, String, Vec<u8>) {
    let req = Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap();
    send(site, req).await
}

/// Sends a request; returns its status, its Content-Disposition header and its body.
async fn send(site: &Site, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = site.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let disposition = resp
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, disposition, bytes)
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    unescape(out.trim())
}

/// A table of the page: (caption, header, rows), cells as shown.
type PageTable = (String, Vec<String>, Vec<Vec<String>>);

fn cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = row;
    while let Some(i) = [rest.find("<th"), rest.find("<td")]
        .into_iter()
        .flatten()
        .min()
    {
        let after = &rest[i..];
        let open_end = after.find('>').unwrap() + 1;
        let close = after.find("</t").unwrap();
        out.push(strip_tags(&after[open_end..close]));
        rest = &after[close + 3..];
    }
    out
}

fn table(html: &str, id: &str) -> PageTable {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let t = &html[start..];
    let t = &t[..t.find("</table>").unwrap()];
    let caption = strip_tags(
        t.split("<caption>")
            .nth(1)
            .unwrap()
            .split("</caption>")
            .next()
            .unwrap(),
    );
    let thead = t
        .split("<thead>")
        .nth(1)
        .unwrap()
        .split("</thead>")
        .next()
        .unwrap();
    let head = cells(thead);
    let tbody = t.split("<tbody>").nth(1).unwrap();
    let rows = tbody
        .split("<tr>")
        .skip(1)
        .map(|r| cells(r.split("</tr>").next().unwrap()))
        .collect();
    (caption, head, rows)
}

fn neutral(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The page's tables as the exports must hold them (digit grouping removed, text neutralised).
fn expected(tables: &[PageTable]) -> Vec<Vec<Vec<String>>> {
    tables
        .iter()
        .map(|(caption, head, rows)| {
            let mut block = vec![
                vec![neutral(caption)],
                head.iter().map(String::as_str).map(neutral).collect(),
            ];
            for r in rows {
                block.push(
                    r.iter()
                        .map(|c| {
                            if c.chars().all(|ch| ch.is_ascii_digit() || ch == ',') && !c.is_empty()
                            {
                                c.replace(',', "")
                            } else {
                                neutral(c)
                            }
                        })
                        .collect(),
                );
            }
            block
        })
        .collect()
}

fn csv_blocks(bytes: &[u8], shapes: &[Vec<Vec<String>>]) -> Vec<Vec<Vec<String>>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let all: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let mut out = Vec::new();
    let mut at = 0;
    for s in shapes {
        out.push(all[at..(at + s.len()).min(all.len())].to_vec());
        at += s.len();
    }
    assert_eq!(at, all.len(), "the CSV has exactly the page's rows");
    out
}

fn xlsx_blocks(bytes: Vec<u8>) -> Vec<Vec<Vec<String>>> {
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        // No cell is a formula.
        let formulas = wb.worksheet_formula(&name).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "{name} has formulas"
        );
        let range = wb.worksheet_range(&name).unwrap();
        out.push(
            range
                .rows()
                .map(|r| {
                    let mut cells: Vec<String> = r.iter().map(|c| c.to_string()).collect();
                    while cells.last().is_some_and(String::is_empty) {
                        cells.pop();
                    }
                    cells
                })
                .collect(),
        );
    }
    out
}

fn h1_count(html: &str) -> usize {
    html.matches("<h1").count()
}

#[tokio::test]
async fn state_page_shows_the_known_counts_in_english_and_spanish() {
    let (site, msix) = seeded().await;
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (resp, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{html}");
    assert_eq!(h1_count(&html), 1);
    assert!(html.contains("<h1>Reports</h1>"));
    assert!(
        html.contains("Sep 1, 2025") && html.contains("Aug 31, 2026"),
        "{html}"
    );
    let (caption, head, rows) = table(&html, "cc-totals");
    assert_eq!(caption, "Child count totals");
    assert_eq!(head, vec!["Measure", "Children"]);
    assert_eq!(
        rows,
        vec![
            vec!["Children with a record in the state", "5"],
            vec!["Category 1", "4"],
            vec!["Category 2", "1"],
            vec!["Possible duplicates (counted children)", "2"],
        ]
    );
    let (_, head, rows) = table(&html, "cc-grade");
    assert_eq!(head, vec!["Grade", "Category 1", "Category 2"]);
    assert!(
        rows.contains(&vec!["10".to_string(), "1".into(), "1".into()]),
        "{rows:?}"
    );
    assert!(
        rows.contains(&vec!["None recorded".to_string(), "3".into(), "0".into()]),
        "{rows:?}"
    );
    let (_, _, rows) = table(&html, "cc-age");
    assert!(
        rows.contains(&vec!["15".to_string(), "1".into(), "0".into()]),
        "{rows:?}"
    );
    // By service: B's summer enrollment says PFS and EL Yes, IDEA No.
    let (caption, _, services) = table(&html, "cc-services");
    assert_eq!(caption, "Counted children by service");
    assert_eq!(
        services,
        [
            vec!["Priority for Services", "1", "1"],
            vec!["English learners", "1", "1"],
            vec!["Children with disabilities (IDEA)", "0", "0"]
        ]
    );
    let total: u32 = rows.iter().map(|r| r[1].parse::<u32>().unwrap()).sum();
    assert_eq!(total, 4);
    let (_, _, rows) = table(&html, "cc-not-counted");
    assert_eq!(
        rows[0],
        vec!["The qualifying arrival date is after the period", "1", "0"]
    );
    // Charts of the same numbers: inline SVG, named, inside the CSP (no style attributes).
    assert!(html.contains("<svg role=\"img\" aria-labelledby=\"cc-grade-title\""));
    assert!(html.contains("<title id=\"cc-grade-title\">Counted children by grade</title>"));
    assert!(!html.contains(" style="));
    // Tables scroll at 375 px.
    assert!(html.contains("<div class=\"usa-table-container--scrollable\" tabindex=\"0\">"));
    // Data quality: the district whose ID looks like a formula is shown as text.
    let (_, _, rows) = table(&html, "dq-districts");
    assert!(rows.iter().any(|r| r[0] == FORMULA), "{rows:?}");
    // Every data-quality figure links to its drill-down.
    let plain = unescape(&html);
    assert!(plain.contains("/reports/list?report=quality&state=TX&code="));
    // TX has no district list: every district is under no region, which drills down too.
    let (_, _, regions) = table(&html, "dq-regions");
    assert!(
        regions
            .iter()
            .all(|r| r[0] == "No region (district not placed in the state profile)"),
        "{regions:?}"
    );
    let region_link = "/reports/list?report=quality&state=TX&code=late%2Eenrollment&region=none";
    assert!(plain.contains(region_link), "{html}");
    let (resp, list) = get(&site, region_link, Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{list}");
    assert!(list.contains("No region"), "{list}");
    assert!(list.contains("href=\"/students/"), "{list}");

    // Drill-down: Category 2 is child B, linked to the record; the list is audited.
    let link = "/reports/list?report=child-count&state=TX&year=2025&list=category2";
    assert!(plain.contains(link), "{html}");
    let (resp, list) = get(&site, link, Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{list}");
    assert_eq!(h1_count(&list), 1);
    assert!(
        list.contains(&format!("href=\"/students/{}\"", msix[2])),
        "{list}"
    );
    assert!(!list.contains(&format!("href=\"/students/{}\"", msix[0])));
    let lists = site
        .app
        .store
        .audit_search(&puente_store::AuditFilter {
            action: Some("report.child_count.list".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(lists.len(), 1);
    // A data-quality drill-down by district (the formula-like ID is passed back as data).
    let (resp, list) = get(
        &site,
        &format!(
            "/reports/list?report=quality&state=TX&code=late.enrollment&district={}",
            percent_encoding::utf8_percent_encode(FORMULA, percent_encoding::NON_ALPHANUMERIC)
        ),
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK, "{list}");
    assert!(
        list.contains(&format!("href=\"/students/{}\"", msix[5])) || list.contains("0 children")
    );

    // Spanish.
    let (resp, es) = get(&site, "/reports?year=2025&lang=es", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(h1_count(&es), 1);
    assert!(es.contains("<h1>Informes</h1>"));
    assert!(
        es.contains("1 sept 2025") && es.contains("31 ago 2026"),
        "{es}"
    );
    let (caption, _, rows) = table(&es, "cc-totals");
    assert_eq!(caption, "Totales del conteo de niños");
    assert_eq!(rows[1], vec!["Categoría 1", "4"]);
    assert_eq!(rows[2], vec!["Categoría 2", "1"]);
    let (_, _, rows) = table(&es, "cc-not-counted");
    assert_eq!(
        rows[0],
        vec![
            "La fecha de llegada calificada es posterior al período",
            "1",
            "0"
        ]
    );

    // The default period is the current one; a nonsense year is refused.
    let (resp, _) = get(&site, "/reports", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (resp, _) = get(&site, "/reports?year=abc", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn exports_hold_exactly_the_page_rows_without_formulas() {
    let (site, _) = seeded().await;
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (_, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    for (ids, base, file) in [
        (
            &[
                "cc-totals",
                "cc-grade",
                "cc-age",
                "cc-services",
                "cc-not-counted",
            ][..],
            "/reports/child-count",
            "puente-child-count-TX-2025",
        ),
        (
            &[
                "dq-summary",
                "dq-findings",
                "dq-regions",
                "dq-districts",
                "dq-history",
                "dq-history-codes",
            ][..],
            "/reports/quality",
            "puente-data-quality-TX-",
        ),
    ] {
        let page: Vec<PageTable> = ids.iter().map(|id| table(&html, id)).collect();
        let want = expected(&page);
        let q = if base.ends_with("count") {
            "?year=2025"
        } else {
            ""
        };

        let (st, disp, bytes) = get_bytes(&site, &format!("{base}.csv{q}"), &cookie).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            disp.starts_with(&format!("attachment; filename=\"{file}")),
            "{disp}"
        );
        assert!(disp.ends_with(".csv\""), "{disp}");
        assert_eq!(csv_blocks(&bytes, &want), want, "{base}.csv");

        let (st, disp, bytes) = get_bytes(&site, &format!("{base}.xlsx{q}"), &cookie).await;
        assert_eq!(st, StatusCode::OK);
        assert!(
            disp.starts_with(&format!("attachment; filename=\"{file}")),
            "{disp}"
        );
        assert!(disp.ends_with(".xlsx\""), "{disp}");
        assert_eq!(xlsx_blocks(bytes), want, "{base}.xlsx");
    }
    // The formula-like district ID reached the quality exports, neutralised in both.
    let (_, _, csv) = get_bytes(&site, "/reports/quality.csv", &cookie).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains("\n=") && !csv.contains(",="));
    let (_, _, x) = get_bytes(&site, "/reports/quality.xlsx", &cookie).await;
    let cells: Vec<String> = xlsx_blocks(x).into_iter().flatten().flatten().collect();
    assert!(cells.contains(&format!("'{FORMULA}")));
    assert!(!cells.iter().any(|c| c.starts_with('=')));
}

#[tokio::test]
async fn users_without_view_reports_are_refused() {
    let (site, _) = seeded().await;
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    for uri in [
        "/reports",
        "/reports/child-count.csv",
        "/reports/child-count.xlsx",
        "/reports/quality.csv",
        "/reports/quality.xlsx",
        "/reports/list?report=child-count&list=category1",
    ] {
        let (resp, body) = get(&site, uri, Some(&cookie)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{uri}");
        assert!(!body.contains("Category 1"), "{uri}");
    }
    // Not signed in: to the login page.
    let (resp, _) = get(&site, "/reports/child-count.csv", None).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn federal_viewer_sees_national_counts_and_no_child_level_links() {
    let (site, _) = seeded().await;
    let cookie = session_cookie(&site, Role::FederalViewer).await;
    let (resp, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{html}");
    assert_eq!(h1_count(&html), 1);
    let (_, head, rows) = table(&html, "cc-states");
    assert_eq!(head[0], "State");
    assert!(
        rows.contains(&vec!["MI".to_string(), "1".into(), "1".into(), "0".into()]),
        "{rows:?}"
    );
    assert!(rows.contains(&vec!["TX".to_string(), "5".into(), "4".into(), "1".into()]));
    assert_eq!(rows[rows.len() - 2], vec!["All states", "6", "5", "1"]);
    // A counts in TX and in MI, once nationally.
    assert_eq!(
        rows.last().unwrap(),
        &vec!["All states, each child once (unduplicated)", "", "4", "1"]
    );
    assert!(html.contains("<title id=\"cc-states-title\">"));
    assert!(!html.contains("/reports/list") && !html.contains("/students/"));
    // One state's report: counts, still no child-level links.
    let (resp, html) = get(&site, "/reports?year=2025&state=TX", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, _, rows) = table(&html, "cc-totals");
    assert_eq!(rows[1], vec!["Category 1", "4"]);
    let _ = table(&html, "dq-findings");
    assert!(
        !html.contains("/reports/list") && !html.contains("/students/"),
        "{html}"
    );
    // The national export has the page's rows.
    let (st, disp, bytes) = get_bytes(&site, "/reports/child-count.csv?year=2025", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        disp,
        "attachment; filename=\"puente-child-count-national-2025.csv\""
    );
    let (_, national) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    let nat = table(&national, "cc-states");
    assert_eq!(nat.2.len(), 4);
    // Category 1 children by service: B's summer enrollment (PFS and EL Yes) is the only one
    // overlapping the period.
    let services = table(&national, "cc-services-states");
    assert_eq!(
        services.1,
        [
            "State",
            "Priority for Services",
            "English learners",
            "Children with disabilities (IDEA)"
        ]
    );
    assert_eq!(
        services.2,
        [
            vec!["MI", "0", "0", "0"],
            vec!["TX", "1", "1", "0"],
            vec!["All states", "1", "1", "0"]
        ]
    );
    let want = expected(&[
        nat,
        services,
        table(&national, "mob-flows"),
        table(&national, "mob-months"),
    ]);
    assert_eq!(csv_blocks(&bytes, &want), want);
    // Drill-down lists are not for national statistics viewers.
    let (resp, _) = get(
        &site,
        "/reports/list?report=child-count&state=TX&year=2025&list=category1",
        Some(&cookie),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // No data-quality export without a state.
    let (resp, _) = get(&site, "/reports/quality.csv", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_national_page_shows_interstate_mobility_with_a_flow_chart_and_its_table() {
    let (site, _) = seeded().await;
    let at = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
    let moved = |st, ssid: &str, first: &str, from: &str, to: StateCode, qad: NaiveDate| {
        let mut r = student(st, ssid, first, "Soto", "", "20100101");
        r.qualifying_moves = vec![QualifyingMove {
            qualifying_arrival_date: qad,
            from_city: None,
            from_state: Some(from.into()),
            from_country: Some("US".into()),
            to_city: None,
            to_state: Some(to),
            eligibility_expiration_date: d(2028, 1, 1),
            expiration_defaulted: false,
        }];
        r
    };
    let recs = vec![
        (
            "m1",
            moved(
                StateCode::CA,
                "CM1",
                "Ana",
                "TX",
                StateCode::CA,
                d(2025, 10, 3),
            ),
        ),
        (
            "m2",
            moved(
                StateCode::CA,
                "CM2",
                "Beto",
                "TX",
                StateCode::CA,
                d(2026, 2, 9),
            ),
        ),
        (
            "m3",
            moved(
                StateCode::WA,
                "WM3",
                "Caro",
                "CA",
                StateCode::WA,
                d(2026, 2, 20),
            ),
        ),
    ];
    let batch: Vec<RecordWrite> = recs
        .into_iter()
        .map(|(child, record)| RecordWrite {
            record,
            child_id: child.into(),
            search_keys: vec![],
            submission_id: None,
            received_at: at,
        })
        .collect();
    site.db.store.write_records(&batch).await.unwrap();
    let cookie = session_cookie(&site, Role::FederalViewer).await;
    let (resp, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(html.contains("<h2>Interstate mobility</h2>"));
    let (_, head, rows) = table(&html, "mob-flows");
    assert_eq!(head, ["From", "To", "Moves"]);
    assert_eq!(
        rows,
        [
            vec!["TX", "CA", "2"],
            vec!["CA", "WA", "1"],
            vec!["All states", "", "3"]
        ]
    );
    let (_, _, months) = table(&html, "mob-months");
    assert_eq!(months.len(), 12);
    assert_eq!(months[1], vec!["October 2025", "1"]);
    assert_eq!(months[5], vec!["February 2026", "2"]);
    // The flow chart: one accessible image, state bars labelled with their moves, no inline style.
    let svg_start = html
        .find("<svg role=\"img\" aria-labelledby=\"mob-flows-chart-title\"")
        .expect("flow chart");
    let svg = &html[svg_start..svg_start + html[svg_start..].find("</svg>").unwrap()];
    assert!(svg.contains("Moves by state of origin and destination"));
    for label in ["TX 2", "CA 2", "CA 1", "WA 1", "From", "To"] {
        assert!(svg.contains(&format!("\n{label}\n")), "{label} in {svg}");
    }
    assert_eq!(svg.matches("<polygon").count(), 2, "one band per pair");
    assert!(!svg.contains("style="));
    // In Spanish.
    let (_, es) = get(&site, "/reports?year=2025&lang=es", Some(&cookie)).await;
    assert!(es.contains("<h2>Movilidad entre estados</h2>"));
    let (_, _, months) = table(&es, "mob-months");
    assert_eq!(months[1], vec!["octubre de 2025", "1"]);
    // State-scoped administrators get no national mobility section.
    let admin = session_cookie(&site, Role::DataAdministrator).await;
    let (_, html) = get(&site, "/reports?year=2025", Some(&admin)).await;
    assert!(!html.contains("Interstate mobility"));
}

/// Posts the state's child list to the reconciliation form as a multipart upload.
async fn post_state_list(
    site: &Site,
    cookie: &str,
    list: &str,
    format: &str,
) -> (StatusCode, String, Vec<u8>) {
    let csrf = common::csrf_of(site, cookie).await;
    let boundary = "----puente-reconcile-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"list\"; filename=\"tx.csv\"\r\nContent-Type: text/csv\r\n\r\n{list}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"format\"\r\n\r\n{format}\r\n--{boundary}--\r\n"
    );
    let req = Request::post(format!("/reports/reconcile?_csrf={csrf}&year=2025"))
        .header("cookie", cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(site, req).await
}

#[tokio::test]
async fn a_state_reconciles_its_own_list_in_the_portal_with_reasons_and_exports() {
    let (site, _) = seeded().await;
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (resp, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        html.contains("href=\"/reports/reconcile?year=2025\""),
        "{html}"
    );
    let (resp, form) = get(&site, "/reports/reconcile?year=2025", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(form.contains("enctype=\"multipart/form-data\""), "{form}");

    // TA agrees; TB is Category 2 for Puente; TC's arrival is after the period; TZ and the
    // formula are unknown IDs; TD1/TD2 (one child entered twice) are missing from the list.
    let list = "state_student_id,category\nTA,1\nTB,1\nTC,1\nTZ,2\n=1+1,1\n";
    let (status, _, bytes) = post_state_list(&site, &cookie, list, "page").await;
    let html = String::from_utf8(bytes).unwrap();
    assert_eq!(status, StatusCode::OK, "{html}");
    let (caption, head, rows) = table(&html, "rec-differences");
    assert_eq!(caption, "Children counted on one side and not the other");
    assert_eq!(
        head,
        vec![
            "State student ID",
            "MSIX ID",
            "Your category",
            "Puente's category",
            "Reason"
        ]
    );
    let row = |ssid: &str| {
        rows.iter()
            .find(|r| r[0] == ssid)
            .unwrap_or_else(|| panic!("no row for {ssid}: {rows:?}"))
            .clone()
    };
    assert_eq!(
        row("TZ")[1..],
        [
            "",
            "2",
            "not counted",
            "Puente holds no live record with this state student ID"
        ]
    );
    assert_eq!(
        row("TC")[2..],
        [
            "1",
            "not counted",
            "The qualifying arrival date is after the period"
        ]
    );
    assert_eq!(row("TB")[2..4], ["1", "2"]);
    assert!(row("TB")[4].contains("Category 2"), "{rows:?}");
    assert_eq!(
        row("TD1")[2..],
        ["not counted", "1", "Counted by Puente but not on your list"]
    );
    assert!(!rows.iter().any(|r| r[0] == "TA"), "{rows:?}");
    assert!(
        html.contains(&format!("{} differences", rows.len())),
        "{html}"
    );

    // The same comparison as CSV: the formula-like ID is neutralised.
    let (status, disposition, bytes) = post_state_list(&site, &cookie, list, "csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        disposition.contains("attachment")
            && disposition.contains("puente-reconciliation-TX-2025.csv"),
        "{disposition}"
    );
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.contains("'=1+1"), "{csv}");
    assert_eq!(csv.lines().count(), rows.len() + 2, "{csv}");
    let (status, _, bytes) = post_state_list(&site, &cookie, list, "xlsx").await;
    assert_eq!(status, StatusCode::OK);
    let blocks = xlsx_blocks(bytes);
    assert_eq!(blocks[0].len(), rows.len() + 2);

    // A list that cannot be read says why, on the form, and compares nothing.
    let (status, _, bytes) =
        post_state_list(&site, &cookie, "state_student_id,category\nTA,7\n", "page").await;
    let html = String::from_utf8(bytes).unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("The list could not be read"), "{html}");
    assert!(!html.contains("rec-differences"));
}

/// An open worklist item of `state` created `age` days ago, due 10 days after creation.
fn open_item(n: usize, state: &str, age: i64) -> puente_store::WorklistItemRow {
    let now = Utc::now();
    let created_on = now.date_naive() - chrono::Duration::days(age);
    puente_store::WorklistItemRow {
        id: format!("wi-{n}"),
        kind: "near_match".into(),
        status: "open".into(),
        level: "district".into(),
        assigned_state: Some(state.into()),
        assigned_district: None,
        child_id: format!("child-{n}"),
        state_record_id: None,
        candidates: "[]".into(),
        explanation: None,
        operation_id: None,
        created_by: "system".into(),
        created_at: now - chrono::Duration::days(age),
        created_on,
        due_on: created_on + chrono::Duration::days(10),
        resolution: None,
        resolved_by: None,
        resolved_at: None,
        note: None,
        updated_at: now,
    }
}

async fn seed_items(site: &Site) {
    let mut t = site.db.store.begin().await.unwrap();
    for (n, (state, age)) in [("TX", 0), ("TX", 20), ("TX", 90), ("MI", 3)]
        .into_iter()
        .enumerate()
    {
        t.insert_worklist_item(&open_item(n, state, age))
            .await
            .unwrap();
    }
    t.commit().await.unwrap();
}

#[tokio::test]
async fn oversight_page_shows_worklist_aging_and_accounts_and_exports_them() {
    let site = site().await;
    seed_items(&site).await;
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (resp, html) = get(&site, "/reports/oversight", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{html}");
    assert_eq!(h1_count(&html), 1);
    let aging = table(&html, "ovs-aging");
    assert_eq!(
        aging.1,
        [
            "State",
            "Worklist",
            "Level",
            "0-7 days",
            "8-14 days",
            "15-30 days",
            "31-60 days",
            "61+ days",
            "Overdue",
            "Open items",
            "Oldest (days)"
        ]
    );
    // TX only (the MI item is outside the administrator's state): ages 0, 20 and 90.
    assert_eq!(
        aging.2,
        [
            vec![
                "TX",
                "Near match",
                "District",
                "1",
                "0",
                "1",
                "0",
                "1",
                "2",
                "3",
                "90"
            ],
            vec![
                "All states",
                "",
                "",
                "1",
                "0",
                "1",
                "0",
                "1",
                "2",
                "3",
                "90"
            ],
        ]
    );
    assert!(html.contains("<title id=\"ovs-aging-title\">"), "chart");
    let accounts = table(&html, "ovs-accounts");
    // The demo accounts of TX: two data administrators (one signed in just now, trained).
    let da = accounts
        .2
        .iter()
        .find(|r| r[1] == "Data administrator")
        .unwrap();
    assert_eq!(
        da,
        &vec![
            "TX",
            "Data administrator",
            "2",
            "2",
            "0",
            "0",
            "0",
            "1",
            "1",
            "0"
        ]
    );
    assert!(!accounts.2.iter().any(|r| r[0] == "National"), "TX only");

    let want = expected(&[aging, accounts]);
    let (st, disp, bytes) = get_bytes(&site, "/reports/oversight?format=csv", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        disp.starts_with("attachment; filename=\"puente-oversight-TX-") && disp.ends_with(".csv\""),
        "{disp}"
    );
    assert_eq!(csv_blocks(&bytes, &want), want);
    let (st, _, bytes) = get_bytes(&site, "/reports/oversight?format=xlsx", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(xlsx_blocks(bytes), want);
    let (resp, _) = get(&site, "/reports/oversight?format=pdfx", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // Spanish labels.
    let (_, es) = get(&site, "/reports/oversight?lang=es", Some(&cookie)).await;
    let (caption, head, rows) = table(&es, "ovs-aging");
    assert_eq!(caption, "Elementos abiertos por antigüedad");
    assert_eq!(head[3], "0-7 días");
    assert_eq!(rows[0][1..3], ["Coincidencia cercana", "Distrito"]);

    // Audited, without the counts' children (there are none) or any name.
    let events = site.db.store.audit_chain_events().await.unwrap();
    assert!(events.iter().any(|e| e.action == "report.worklist_aging"));
    assert!(events.iter().any(|e| e.action == "report.accounts"));
}

#[tokio::test]
async fn oversight_sections_follow_the_viewer() {
    let site = site().await;
    seed_items(&site).await;
    // A user administrator: the accounts, not the worklists, and not the reports section.
    let cookie = session_cookie(&site, Role::UserAdministrator).await;
    let (resp, html) = get(&site, "/reports/oversight", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{html}");
    assert!(!html.contains("id=\"ovs-aging\""));
    let _ = table(&html, "ovs-accounts");
    let (_, admin) = get(&site, "/admin", Some(&cookie)).await;
    assert!(admin.contains("href=\"/reports/oversight\""), "{admin}");
    for uri in ["/reports", "/reports/rejected"] {
        let (resp, _) = get(&site, uri, Some(&cookie)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{uri}");
    }
    // A primary user: nothing.
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    for uri in [
        "/reports/oversight",
        "/reports/oversight?format=csv",
        "/reports/rejected",
    ] {
        let (resp, _) = get(&site, uri, Some(&cookie)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{uri}");
    }
    // The federal viewer: every state and the national accounts; one state on request; no
    // rejected students (child-level).
    let cookie = session_cookie(&site, Role::FederalViewer).await;
    let (_, html) = get(&site, "/reports/oversight", Some(&cookie)).await;
    let (_, _, rows) = table(&html, "ovs-aging");
    assert_eq!(rows[0][..3], ["MI", "Near match", "District"]);
    assert_eq!(rows.last().unwrap()[9], "4");
    let (_, _, accounts) = table(&html, "ovs-accounts");
    assert_eq!(accounts[0][0], "National");
    let (_, html) = get(&site, "/reports/oversight?state=MI", Some(&cookie)).await;
    let (_, _, rows) = table(&html, "ovs-aging");
    assert_eq!(rows.last().unwrap()[9], "1");
    assert!(
        html.contains("format=csv&amp;state=MI") || html.contains("format=csv&#38;state=MI"),
        "exports keep the state: {html}"
    );
    let (resp, _) = get(&site, "/reports/oversight?state=ZZ", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let (resp, _) = get(&site, "/reports/rejected?state=TX", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn rejected_students_are_listed_with_their_errors_and_exported_safely() {
    let (site, _) = seeded().await;
    let sub = puente_testkit::fixtures::submission_with_results(
        &site.db.store,
        "TX",
        Utc.with_ymd_and_hms(2026, 11, 20, 8, 0, 0).unwrap(),
        &[(
            "=SUM(A1)",
            "rejected",
            puente_testkit::fixtures::rejection_issues(),
        )],
    )
    .await
    .unwrap();
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    // The quality summary links its count to the list.
    let (_, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    let (_, _, summary) = table(&html, "dq-summary");
    assert_eq!(summary[2], vec!["Students rejected at submission", "1"]);
    assert!(
        html.contains("href=\"/reports/rejected?state=TX\""),
        "{html}"
    );

    let (resp, html) = get(&site, "/reports/rejected", Some(&cookie)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{html}");
    let t = table(&html, "ovs-rejected");
    assert_eq!(
        t.1,
        ["State student ID", "Received", "Submission", "Errors"]
    );
    assert_eq!(t.2.len(), 1);
    assert_eq!(t.2[0][0], "=SUM(A1)");
    assert_eq!(t.2[0][2], sub);
    assert_eq!(t.2[0][3], "Birth Date: implausible");
    assert!(html.contains(&format!("href=\"/submissions/{sub}\"")));
    // Never the offending values.
    assert!(!html.contains("2030-01-01") && !html.contains("Zoë"));
    let events = site.db.store.audit_chain_events().await.unwrap();
    assert_eq!(events.last().unwrap().action, "report.rejected.list");

    let want = expected(&[t]);
    let (st, disp, bytes) = get_bytes(&site, "/reports/rejected?format=csv", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        disp.starts_with("attachment; filename=\"puente-rejected-TX-"),
        "{disp}"
    );
    assert_eq!(csv_blocks(&bytes, &want), want);
    assert!(String::from_utf8(bytes).unwrap().contains("'=SUM(A1)"));
    let (_, _, bytes) = get_bytes(&site, "/reports/rejected?format=xlsx", &cookie).await;
    assert_eq!(xlsx_blocks(bytes), want);
}

#[tokio::test]
async fn reports_print_as_pdf_with_their_charts_and_tables() {
    let (site, _) = seeded().await;
    seed_items(&site).await;
    let cookie = session_cookie(&site, Role::DataAdministrator).await;
    let (_, html) = get(&site, "/reports?year=2025", Some(&cookie)).await;
    assert!(html.contains("href=\"/reports/child-count.pdf?year=2025\""));
    let (st, disp, pdf) = get_bytes(&site, "/reports/child-count.pdf?year=2025", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        disp,
        "attachment; filename=\"puente-child-count-TX-2025.pdf\""
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text_layout(&pdf);
    for want in [
        "Child count",
        "State: TX",
        "Child count totals",
        "Category 1 4",
        "Category 2 1",
        "Counted children by grade",
        "Children not counted, by reason",
    ] {
        assert!(text.contains(want), "missing {want:?} in {text}");
    }
    // The by-grade chart is drawn; its numbers are in the table beside it.
    assert!(chart_blue_pixels(&pdf) > 200, "chart");

    let (st, _, pdf) = get_bytes(&site, "/reports/quality.pdf", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    let text = pdf_text_layout(&pdf);
    assert!(
        text.contains("Data-quality summary") && text.contains("Children by region and finding")
    );
    assert!(
        text.contains("'=HYPERLINK") || text.contains("=HYPERLINK"),
        "{text}"
    );

    let (st, disp, pdf) = get_bytes(&site, "/reports/oversight?format=pdf", &cookie).await;
    assert_eq!(st, StatusCode::OK);
    assert!(disp.ends_with(".pdf\""), "{disp}");
    let text = pdf_text_layout(&pdf);
    assert!(text.contains("Open worklist items by age"), "{text}");
    assert!(
        text.contains("TX Near match District 1 0 1 0 1 2 3 90"),
        "{text}"
    );
    assert!(chart_blue_pixels(&pdf) > 200, "aging chart");

    // Not for users without reports.
    let cookie = session_cookie(&site, Role::PrimaryUser).await;
    for uri in ["/reports/child-count.pdf?year=2025", "/reports/quality.pdf"] {
        let (resp, _) = get(&site, uri, Some(&cookie)).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{uri}");
    }
}
