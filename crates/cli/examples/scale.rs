//! Scale benchmark for search, the Consolidated Student Record and the reports
//! (`bench/scale/run.sh`).
//!
//! `scale load DB_URL N [SEED]` fills a store with the generator's N children: every state
//! record, with its child rows and search keys, through the store's batch write (the generator's
//! truth stands in for linkage, so no near matches or notices are made).
//!
//! `scale copy SQLITE_URL POSTGRES_URL` copies a loaded SQLite store into an empty, migrated
//! PostgreSQL one table by table with `COPY` (the same rows, ids and MSIX IDs): loading
//! PostgreSQL record by record takes hours at this size, and the query figures only need the
//! same data on both backends.
//!
//! `scale query DB_URL [USERS] [SECONDS]` then runs USERS concurrent counselor sessions for
//! SECONDS through the application layer (the same calls the portal makes, each audited): search
//! a child by given name, both surnames and birth date (a registrar with the child in front of
//! them), then open the first hit's Consolidated Student Record. Each session starts within the first
//! second and waits 0.5-1.5 s between actions (think time) unless `--no-think` is given. Prints p50/p99/max
//! latency and throughput per kind, and whether the sought child was the first hit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use puente_app::App;
use puente_app::authz::Actor;
use puente_app::search::{SearchQuery, record_keys};
use puente_app::student::RecordLookup;
use puente_domain::roles::{Role, Scope};
use puente_store::{RecordWrite, Store};
use puente_testkit::synth::{SynthConfig, generate_each};

const BATCH: usize = 2_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: scale load DB_URL N [SEED] | scale copy SQLITE_URL POSTGRES_URL | \
        scale query DB_URL [USERS] [SECONDS] [--no-think] [--slowest]";
    let (cmd, url) = match (args.first(), args.get(1)) {
        (Some(c), Some(u)) => (c.as_str(), u.as_str()),
        _ => return Err(anyhow!(usage)),
    };
    let num = |i: usize, default: u64| -> anyhow::Result<u64> {
        args.get(i)
            .filter(|a| !a.starts_with("--"))
            .map_or(Ok(default), |a| a.parse().context(usage))
    };
    let store = Store::connect(url).await?;
    store.migrate().await?;
    if cmd == "copy" {
        let to = args.get(2).context(usage)?;
        let target = Store::connect(to).await?;
        target.migrate().await?;
        drop(target);
        return copy(url, to).await;
    }
    match cmd {
        "load" => load(&store, num(2, 0)? as usize, num(3, 1)?).await,
        "query" => {
            let think = !args.iter().any(|a| a == "--no-think");
            let slowest = args.iter().any(|a| a == "--slowest");
            query(
                url,
                store,
                num(2, 50)? as usize,
                num(3, 60)?,
                think,
                slowest,
            )
            .await
        }
        _ => Err(anyhow!(usage)),
    }
}

async fn load(store: &Store, n: usize, seed: u64) -> anyhow::Result<()> {
    if n == 0 {
        return Err(anyhow!("scale load: give the number of children"));
    }
    let started = Instant::now();
    let cfg = SynthConfig::new(n, seed, chrono::Utc::now().date_naive());
    // The generator runs on its own threads; batches reach the writer through a bounded channel.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<RecordWrite>>(4);
    let generator = std::thread::spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let now = chrono::Utc::now();
        generate_each(&cfg, |record, truth| {
            batch.push(RecordWrite {
                search_keys: record_keys(&record),
                record,
                child_id: format!("scale-{:09}", truth.child),
                submission_id: None,
                received_at: now,
            });
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                // A closed channel means the writer failed; it reports why.
                let _ = tx.blocking_send(full);
            }
        });
        let _ = tx.blocking_send(batch);
    });
    let mut records = 0usize;
    let mut next_report = 100_000;
    while let Some(batch) = rx.recv().await {
        store.write_records(&batch).await?;
        records += batch.len();
        if records >= next_report {
            eprintln!(
                "  {records} records in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            next_report += 100_000;
        }
    }
    generator
        .join()
        .map_err(|_| anyhow!("the generator thread failed"))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded {n} children, {records} state records in {secs:.1} s ({:.0} records/s)",
        records as f64 / secs
    );
    Ok(())
}

/// Rows read from SQLite and sent to PostgreSQL at a time.
const COPY_CHUNK: i64 = 50_000;

/// A value in PostgreSQL's `COPY` text format.
fn copy_text(out: &mut String, v: Option<&str>) {
    match v {
        None => out.push_str("\\N"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

async fn copy(from: &str, to: &str) -> anyhow::Result<()> {
    use sqlx::Row;
    let started = Instant::now();
    let path = from
        .strip_prefix("sqlite://")
        .or_else(|| from.strip_prefix("sqlite:"))
        .context("scale copy: the source must be a sqlite: URL")?;
    let src = sqlx::SqlitePool::connect_with(
        sqlx::sqlite::SqliteConnectOptions::new()
            .filename(path)
            .read_only(true),
    )
    .await?;
    let dst = sqlx::PgPool::connect(to).await?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' \
         AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&src)
    .await?;
    for table in tables {
        let count = format!("SELECT COUNT(*) FROM \"{table}\"");
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count.clone()))
            .fetch_one(&src)
            .await?;
        let present: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count))
            .fetch_one(&dst)
            .await?;
        // The audit trail is not copied: its chain head lives in `audit_chain`, which the
        // target's migration created afresh (the copy's sessions append their own events).
        // Kept report rows are not copied either: the target's reports compute their own (the
        // backfill is part of what the benchmark measures).
        if rows == 0 || present > 0 || table.starts_with("audit_") || table.starts_with("report_") {
            continue;
        }
        // The target's columns that the source has too, in the target's order.
        let source_cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}')"
        )))
        .fetch_all(&src)
        .await?;
        let cols: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(&dst)
        .await?
        .into_iter()
        .filter(|c| source_cols.contains(c))
        .collect();
        let select = format!(
            "SELECT rowid, {} FROM \"{table}\" WHERE rowid > $1 ORDER BY rowid LIMIT $2",
            cols.iter()
                .map(|c| format!("CAST(\"{c}\" AS TEXT)"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let statement = format!(
            "COPY \"{table}\" ({}) FROM STDIN",
            cols.iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut after = 0i64;
        let mut copied = 0u64;
        loop {
            let chunk = sqlx::query(sqlx::AssertSqlSafe(select.clone()))
                .bind(after)
                .bind(COPY_CHUNK)
                .fetch_all(&src)
                .await?;
            let Some(last) = chunk.last() else { break };
            after = last.try_get(0)?;
            let mut text = String::new();
            for row in &chunk {
                for i in 0..cols.len() {
                    if i > 0 {
                        text.push('\t');
                    }
                    let v: Option<String> = row.try_get(i + 1)?;
                    copy_text(&mut text, v.as_deref());
                }
                text.push('\n');
            }
            let mut conn = dst.acquire().await?;
            let mut sink = conn.copy_in_raw(&statement).await?;
            sink.send(text.into_bytes()).await?;
            copied += sink.finish().await?;
        }
        println!(
            "{table}: {copied} rows ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
    }
    sqlx::query("ANALYZE").execute(&dst).await?;
    println!("copied in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// One sought child: the query a registrar would type, and the child's MSIX ID.
struct Probe {
    query: SearchQuery,
    msix_id: String,
}

/// Samples `n` records spread over the whole table (every k-th by rowid on SQLite, a
/// Bernoulli sample on PostgreSQL), as the queries of registrars who have the child in front of them.
async fn probes(url: &str, n: i64) -> anyhow::Result<Vec<Probe>> {
    const COLS: &str = "msix_id, first_name, last_name_1, COALESCE(last_name_2, ''), \
        COALESCE(CAST(birth_date AS TEXT), '')";
    let rows: Vec<(String, String, String, String, String)> = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url).await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM state_records")
            .fetch_one(&pool)
            .await?;
        let percent = (200.0 * n as f64 / total.max(1) as f64).min(100.0);
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM state_records TABLESAMPLE BERNOULLI ({percent:.4}) REPEATABLE (7) \
             WHERE deleted = FALSE LIMIT $1"
        )))
        .bind(n)
        .fetch_all(&pool)
        .await?
    } else {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let total: i64 = sqlx::query_scalar("SELECT MAX(rowid) FROM state_records")
            .fetch_one(&pool)
            .await?;
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM state_records WHERE deleted = FALSE AND rowid % $1 = 0 LIMIT $2"
        )))
        .bind((total / n).max(1))
        .bind(n)
        .fetch_all(&pool)
        .await?
    };
    Ok(rows
        .into_iter()
        .map(|(msix_id, first, last1, last2, birth)| Probe {
            msix_id,
            query: SearchQuery {
                first_name: first,
                last_name: format!("{last1} {last2}").trim().to_string(),
                birth_date: birth,
                ..SearchQuery::default()
            },
        })
        .collect())
}

#[derive(Default)]
struct Tally {
    search: Vec<Duration>,
    record: Vec<Duration>,
    errors: usize,
    first_hit: usize,
    /// (search time, probe index, hits) of every search, for `--slowest`.
    searches: Vec<(Duration, usize, usize)>,
}

async fn query(
    url: &str,
    store: Store,
    users: usize,
    seconds: u64,
    think: bool,
    slowest: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let app = Arc::new(App::new(store.clone(), Arc::new(puente_app::clock::SystemClock)).await?);
    println!(
        "application ready in {:.1} s (the linkage index is built on first use: not by search or views)",
        started.elapsed().as_secs_f64()
    );
    let probes = Arc::new(probes(url, 2_000).await?);
    if probes.is_empty() {
        return Err(anyhow!(
            "the store holds no records: run `scale load` first"
        ));
    }
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for u in 0..users {
        let app = app.clone();
        let probes = probes.clone();
        tasks.push(tokio::spawn(async move {
            let actor = Actor {
                user_id: format!("scale-bench-{u}"),
                role: Role::PrimaryUser,
                scope: Scope::National,
                source_ip: Some("127.0.0.1".into()),
            };
            let mut t = Tally::default();
            let mut i = u * 7919;
            if think {
                // Sessions start spread over the first second, as people do, not all at once.
                tokio::time::sleep(Duration::from_millis((u * 1_000 / users.max(1)) as u64)).await;
            }
            while Instant::now() < until {
                let p = &probes[i % probes.len()];
                i += 1;
                let s = Instant::now();
                let hits = match app.search_students(&actor, &p.query).await {
                    Ok(h) => h,
                    Err(_) => {
                        t.errors += 1;
                        continue;
                    }
                };
                t.search.push(s.elapsed());
                t.searches
                    .push((s.elapsed(), (i - 1) % probes.len(), hits.len()));
                let Some(first) = hits.first() else {
                    t.errors += 1;
                    continue;
                };
                if first.summary.msix_id == p.msix_id {
                    t.first_hit += 1;
                }
                pause(think, i).await;
                let s = Instant::now();
                match app
                    .student_record(&actor, &first.summary.msix_id, "enrollment")
                    .await
                {
                    Ok(RecordLookup::Found(_)) | Ok(RecordLookup::MergedInto(_)) => {
                        t.record.push(s.elapsed())
                    }
                    Err(_) => t.errors += 1,
                }
                pause(think, i).await;
            }
            t
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        let t = t.await?;
        all.search.extend(t.search);
        all.searches.extend(t.searches);
        all.record.extend(t.record);
        all.errors += t.errors;
        all.first_hit += t.first_hit;
    }
    let secs = seconds as f64;
    let searches = all.search.len();
    println!(
        "{users} sessions for {seconds} s ({}):",
        if think {
            "0.5-1.5 s think time"
        } else {
            "no think time"
        }
    );
    report("search", &mut all.search, secs);
    if slowest {
        // The queries behind the tail (synthetic children): what makes a search slow.
        all.searches.sort_by_key(|s| std::cmp::Reverse(s.0));
        all.searches.dedup_by_key(|s| s.1);
        for (d, i, hits) in all.searches.iter().take(15) {
            let q = &probes[*i].query;
            println!(
                "    slow {:>7.1} ms  {} hits  {:?} / {:?} / {}",
                d.as_secs_f64() * 1000.0,
                hits,
                q.first_name,
                q.last_name,
                q.birth_date
            );
        }
    }
    report("record view", &mut all.record, secs);
    println!(
        "errors {}; sought child first in {:.1} % of searches",
        all.errors,
        100.0 * all.first_hit as f64 / searches.max(1) as f64
    );
    Ok(())
}

async fn pause(think: bool, i: usize) {
    if think {
        // 0.5-1.5 s, spread deterministically per session.
        let ms = 500 + (i.wrapping_mul(2_654_435_761) % 1_000) as u64;
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}

fn report(kind: &str, d: &mut [Duration], secs: f64) {
    d.sort();
    let at = |q: f64| {
        d.get(((d.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or(0.0, |x| x.as_secs_f64() * 1000.0)
    };
    println!(
        "  {kind:<12} {:>7} requests ({:.1}/s)  p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        d.len(),
        d.len() as f64 / secs,
        at(0.50),
        at(0.99),
        d.last().map_or(0.0, |x| x.as_secs_f64() * 1000.0)
    );
}
