//! `puente report`: child count, national totals, reconciliation and data quality, run as the
//! system actor.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::Datelike;
use puente_app::{Actor, App, SystemClock};
use puente_store::Store;

use crate::DbArgs;

#[derive(clap::Subcommand, Debug)]
pub enum ReportCmd {
    /// Category 1 and 2 child count of a state for the period starting 1 September YEAR.
    ChildCount {
        #[arg(long)]
        state: String,
        /// Start year of the performance period (default: the period containing today).
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// National totals: each state's child count and the sum.
    National {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Interstate mobility: qualifying moves from state to state in the period, by pair and month.
    Mobility {
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Compare a state's own child list (CSV state_student_id,category) with Puente's count.
    Reconcile {
        #[arg(long)]
        state: String,
        #[arg(long)]
        year: Option<i32>,
        #[arg(long)]
        input: std::path::PathBuf,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Bring every state's kept report rows up to date (child count of the period, data
    /// quality): the first run after an upgrade or a bulk load computes every child, later runs
    /// only the children whose data changed. Reports do the same for their own state on demand.
    Refresh {
        #[arg(long)]
        year: Option<i32>,
        /// Only the children that writes marked, in what is already kept (never a full pass):
        /// what `puente serve` does every 30 seconds.
        #[arg(long, conflicts_with = "year")]
        marked: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Open worklist items by age band (days since creation) and overdue, per state, worklist
    /// and level; every state without --state.
    Aging {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// User accounts per state and role: status, training overdue, sign-ins; every state
    /// without --state.
    Accounts {
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Data quality of a state: missing elements, implausible values, late and rejected records.
    Quality {
        #[arg(long)]
        state: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

async fn app(db: &DbArgs) -> anyhow::Result<App> {
    let store = Store::connect(&db.url())
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(App::new(store, Arc::new(SystemClock)).await?)
}

/// Runs a report and prints it, as JSON or through `table`, then its time on standard error.
async fn print_report<T: serde::Serialize>(
    json: bool,
    report: impl std::future::Future<Output = Result<T, puente_app::AppError>>,
    table: impl FnOnce(&T),
) -> anyhow::Result<()> {
    let t = Instant::now();
    let r = report.await?;
    let secs = t.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        table(&r);
    }
    eprintln!("report time: {secs:.3} s");
    Ok(())
}

fn year_or_current(y: Option<i32>) -> i32 {
    y.unwrap_or_else(|| {
        puente_domain::childcount::period_start_year_of(
            chrono::Utc::now().date_naive(),
            &Default::default(),
        )
    })
}

pub async fn run(cmd: ReportCmd) -> anyhow::Result<()> {
    let actor = Actor::system();
    match cmd {
        ReportCmd::ChildCount {
            state,
            year,
            json,
            db,
        } => {
            let app = app(&db).await?;
            print_report(
                json,
                app.child_count(&actor, &state.to_ascii_uppercase(), year_or_current(year)),
                |r| {
                    println!(
                        "{} child count {}-{} ({} to {})",
                        r.state,
                        r.period.start_year,
                        r.period.end.year(),
                        r.period.start,
                        r.period.end
                    );
                    println!("children with a record: {}", r.tally.children);
                    println!("category 1: {}", r.tally.totals.category1);
                    println!("category 2: {}", r.tally.totals.category2);
                    println!("possible duplicates counted: {}", r.possible_duplicates);
                    println!("by grade (category 1 / category 2):");
                    for (g, c) in &r.tally.by_grade {
                        println!("  {g:>4}  {:>8} {:>8}", c.category1, c.category2);
                    }
                    println!("by age (category 1 / category 2):");
                    for (a, c) in &r.tally.by_age {
                        println!("  {a:>4}  {:>8} {:>8}", c.category1, c.category2);
                    }
                    println!("not in category 1:");
                    for (k, n) in &r.tally.not_counted_category1 {
                        println!("  {k}: {n}");
                    }
                    println!("in category 1, not category 2:");
                    for (k, n) in &r.tally.not_counted_category2 {
                        println!("  {k}: {n}");
                    }
                },
            )
            .await?;
        }
        ReportCmd::Mobility { year, json, db } => {
            let app = app(&db).await?;
            print_report(
                json,
                app.interstate_mobility(&actor, year_or_current(year)),
                |r| {
                    println!("from   to     moves");
                    for f in &r.flows {
                        println!("{:<5}  {:<5}  {:>5}", f.from, f.to, f.moves);
                    }
                    println!("total         {:>5}", r.total);
                },
            )
            .await?;
        }
        ReportCmd::Refresh { year, marked, db } => {
            let app = app(&db).await?;
            let t = Instant::now();
            if marked {
                app.refresh_marked_reports(&actor).await?;
                println!("kept report rows of the marked children up to date");
            } else {
                let states = app
                    .refresh_all_reports(&actor, year_or_current(year))
                    .await?;
                println!("kept report rows up to date for {} states", states.len());
            }
            eprintln!("refresh time: {:.3} s", t.elapsed().as_secs_f64());
        }
        ReportCmd::National { year, json, db } => {
            let app = app(&db).await?;
            print_report(
                json,
                app.national_child_count(&actor, year_or_current(year)),
                |r| {
                    println!("state  category1  category2");
                    for (s, t) in &r.by_state {
                        println!(
                            "{s:<5}  {:>9}  {:>9}",
                            t.totals.category1, t.totals.category2
                        );
                    }
                    println!(
                        "total  {:>9}  {:>9}",
                        r.total.totals.category1, r.total.totals.category2
                    );
                    println!(
                        "each child once (unduplicated)  {:>9}  {:>9}",
                        r.unduplicated.category1, r.unduplicated.category2
                    );
                },
            )
            .await?;
        }
        ReportCmd::Reconcile {
            state,
            year,
            input,
            json,
            db,
        } => {
            let csv = std::fs::read_to_string(&input)
                .with_context(|| format!("reading {}", input.display()))?;
            let app = app(&db).await?;
            let r = app
                .reconcile(
                    &actor,
                    &state.to_ascii_uppercase(),
                    year_or_current(year),
                    &csv,
                )
                .await?;
            // Written as it is made, buffered: a state's differences can run to tens of MB.
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if json {
                serde_json::to_writer_pretty(&mut out, &r)?;
                writeln!(out)?;
            } else {
                writeln!(
                    out,
                    "state_student_id,msix_id,state_category,puente_category,reason,message"
                )?;
                for l in &r {
                    writeln!(
                        out,
                        "{},{},{},{},{},\"{}\"",
                        l.state_student_id,
                        l.msix_id.as_deref().unwrap_or(""),
                        l.state_category,
                        l.puente_category,
                        l.reason,
                        l.message
                    )?;
                }
            }
            out.flush()?;
        }
        ReportCmd::Aging { state, json, db } => {
            let app = app(&db).await?;
            let state = state.map(|s| s.to_ascii_uppercase());
            print_report(json, app.worklist_aging(&actor, state.as_deref()), |r| {
                let bands: Vec<&str> = puente_app::oversight::AGE_BANDS
                    .iter()
                    .map(|(b, _, _)| *b)
                    .collect();
                println!(
                    "state  kind            level     {}  overdue  total  oldest",
                    bands
                        .iter()
                        .map(|b| format!("{b:>6}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                let line =
                    |st: &str, kind: &str, level: &str, c: &puente_app::oversight::AgingCounts| {
                        println!(
                            "{st:<5}  {kind:<14}  {level:<8}  {}  {:>7}  {:>5}  {:>6}",
                            c.by_band
                                .iter()
                                .map(|n| format!("{n:>6}"))
                                .collect::<Vec<_>>()
                                .join(" "),
                            c.overdue,
                            c.total,
                            c.oldest_days
                        );
                    };
                for row in &r.rows {
                    line(&row.state, &row.kind, &row.level, &row.counts);
                }
                line("total", "", "", &r.total);
            })
            .await?;
        }
        ReportCmd::Accounts { state, json, db } => {
            let app = app(&db).await?;
            let state = state.map(|s| s.to_ascii_uppercase());
            print_report(json, app.account_report(&actor, state.as_deref()), |r| {
                println!(
                    "state  role                  accounts  active  disabled  deactivated  training_overdue  login_30d  never  inactive"
                );
                let line = |st: &str, role: &str, c: &puente_app::oversight::AccountCounts| {
                    println!(
                        "{st:<5}  {role:<20}  {:>8}  {:>6}  {:>8}  {:>11}  {:>16}  {:>9}  {:>5}  {:>8}",
                        c.accounts,
                        c.active,
                        c.disabled,
                        c.deactivated,
                        c.training_overdue,
                        c.logged_in_30_days,
                        c.never_logged_in,
                        c.inactive
                    );
                };
                for row in &r.rows {
                    line(if row.state.is_empty() { "(nat)" } else { &row.state }, &row.role, &row.counts);
                }
                line("total", "", &r.total);
            })
            .await?;
        }
        ReportCmd::Quality { state, json, db } => {
            let app = app(&db).await?;
            print_report(
                json,
                app.data_quality(&actor, &state.to_ascii_uppercase()),
                |r| {
                    println!("{} data quality as of {}", r.state, r.as_of);
                    println!("children: {}", r.tally.children);
                    println!("children with findings: {}", r.tally.children_with_findings);
                    println!("students rejected at submission: {}", r.rejected_students);
                    println!("files rejected whole: {}", r.rejected_files);
                    println!(
                        "possible duplicates waiting for review: {}",
                        r.open_near_matches
                    );
                    for (code, n) in &r.tally.by_code {
                        println!("  {code}: {n}");
                    }
                    println!("districts: {}", r.tally.by_district.len());
                },
            )
            .await?;
        }
    }
    Ok(())
}
