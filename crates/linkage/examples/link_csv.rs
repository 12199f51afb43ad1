//! Link a `puente link` CSV (simple CSV: no quoted commas) and score it against a truth CSV
//! (`record_id,entity`): pairwise P/R/F1 and time. For tuning without building the CLI.
//!
//! `cargo run --release -p puente-linkage --example link_csv -- records.csv truth.csv [clusters.csv]`
//!
//! With `MISSED=N` in the environment, also prints up to N true pairs left in different
//! clusters (and up to N wrongly merged pairs), with their pair explanation.

#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::time::Instant;

use puente_linkage::synth::{explanation_line, pairwise_prf, record_line};
use puente_linkage::{
    BatchInput, INPUT_COLUMNS, LinkConfig, LinkRecord, explain_pair, link_prepared,
};

/// The record of one row (`ix`: the column of each of INPUT_COLUMNS; `id`: of record_id).
fn record(row: &[&str], id: Option<usize>, ix: &[Option<usize>]) -> LinkRecord {
    let cell = |c: Option<usize>| c.and_then(|i| row.get(i)).filter(|v| !v.is_empty());
    LinkRecord::from_columns(cell(id).map(|v| v.to_string()).unwrap_or_default(), |f| {
        cell(ix[f]).map(|v| v.to_string())
    })
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut q = false;
    for ch in line.chars() {
        match ch {
            '"' => q = !q,
            ',' if !q => out.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    out.push(cur);
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // streamed line by line
    use std::io::BufRead;
    let file = std::fs::File::open(&args[1]).expect("records");
    let mut lines = std::io::BufReader::new(file)
        .lines()
        .map(|l| l.expect("read records"));
    let head = split(&lines.next().unwrap_or_default());
    let col: HashMap<&str, usize> = head
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    // records are kept only for the diagnostics; linkage streams them (BatchInput)
    let keep = std::env::var("MISSED").is_ok_and(|v| v != "0")
        || std::env::var("TRUEM").is_ok_and(|v| v == "1");
    let mut recs = Vec::new();
    let mut input = BatchInput::new();
    // column of each field (looked up once): index in INPUT_COLUMNS
    let id_col = col.get("record_id").copied();
    let ix: std::sync::Arc<Vec<Option<usize>>> =
        std::sync::Arc::new(INPUT_COLUMNS.iter().map(|n| col.get(n).copied()).collect());
    for l in lines {
        if keep || l.contains('"') {
            let row = split(&l);
            let row: Vec<&str> = row.iter().map(String::as_str).collect();
            let rec = record(&row, id_col, &ix);
            if keep {
                recs.push(rec.clone());
            }
            input.push(rec);
        } else {
            // only the id is read here; the record is made on a preparing thread
            let id = id_col
                .and_then(|i| l.split(',').nth(i))
                .unwrap_or("")
                .to_string();
            let ix = ix.clone();
            input.push_with(&id, move || {
                let row: Vec<&str> = l.split(',').collect();
                record(&row, id_col, &ix)
            });
        }
    }
    let ttext = std::fs::read_to_string(&args[2]).expect("truth");
    let truth_map: HashMap<&str, &str> = ttext
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    let truth: Vec<&str> = (0..input.len())
        .map(|i| truth_map.get(input.record_id(i)).copied().unwrap_or(""))
        .collect();
    let t = Instant::now();
    let missed: usize = std::env::var("MISSED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut config = LinkConfig {
        explain_pairs: missed > 0,
        ..LinkConfig::default()
    };
    if std::env::var("EM").is_ok_and(|v| v == "1") {
        config.estimate_weights = true;
    }
    // tuning overrides: CFG=batch=18,avg=8,cross=5,margin=8,prior=100,cap=16,max_block=12,window=6
    for kv in std::env::var("CFG").unwrap_or_default().split(',') {
        if let Some((k, v)) = kv.split_once('=')
            && let Ok(v) = v.parse::<f64>()
        {
            match k {
                "batch" => config.batch_threshold = v,
                "avg" => config.batch_min_avg = v,
                "cross" => config.batch_min_cross = v,
                "margin" => config.adapt_margin = v,
                "prior" => config.adapt_prior = v,
                "cap" => config.family_cap = v,
                "max_block" => config.max_block = v as usize,
                "window" => config.window = v as usize,
                _ => eprintln!("unknown CFG key {k}"),
            }
        }
    }
    if missed > 0 {
        // keep every candidate pair, so that a missed pair shows whether blocking found it
        config.review_threshold = -1000.0;
    }
    let res = link_prepared(&mut input, &config, &Default::default());
    let el = t.elapsed();
    let (p, r, f1) = pairwise_prf(&truth, &res.clusters);
    println!(
        "{} records: {el:.2?}  P={p:.4} R={r:.4} F1={f1:.4}",
        input.len()
    );
    println!("  stats={:?}", res.stats);
    if std::env::var("WEIGHTS").is_ok_and(|v| v == "1") {
        for f in 0..res.weights.m.len() {
            let w: Vec<String> = (1..res.weights.m[f].len())
                .map(|l| {
                    let (m, u) = (res.weights.m[f][l], res.weights.u[f][l]);
                    format!("{m:.4}/{u:.5}={:.1}", (m / u.max(1e-9)).log2())
                })
                .collect();
            println!("  field {f}: {}", w.join(" "));
        }
    }
    if std::env::var("TRUEM").is_ok_and(|v| v == "1") {
        true_levels(&recs, &truth, &config);
    }
    if missed > 0 {
        report_errors(&recs, &truth, &res, &config, missed);
    }
    if let Some(out) = args.get(3) {
        let mut s = String::from("record_id,cluster_id\n");
        for (i, c) in res.clusters.iter().enumerate() {
            s.push_str(&format!("{},{}\n", input.record_id(i), c));
        }
        std::fs::write(out, s).expect("write clusters");
    }
}

fn report_errors(
    recs: &[LinkRecord],
    truth: &[&str],
    res: &puente_linkage::BatchResult,
    config: &LinkConfig,
    max: usize,
) {
    let scored: HashMap<(usize, usize), f64> = res
        .pairs
        .iter()
        .map(|p| ((p.a.min(p.b), p.a.max(p.b)), p.score))
        .collect();
    let mut by_entity: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        by_entity.entry(t).or_default().push(i);
    }
    let mut ents: Vec<_> = by_entity.into_iter().collect();
    ents.sort();
    let mut shown = 0;
    for (_, m) in &ents {
        for x in 0..m.len() {
            for y in x + 1..m.len() {
                let (a, b) = (m[x], m[y]);
                if res.clusters[a] == res.clusters[b] || shown >= max {
                    continue;
                }
                shown += 1;
                let e = explain_pair(&recs[a], &recs[b], config);
                println!(
                    "MISSED cand={:?} total={} {:?}\n  {}\n  {}\n  {}",
                    scored.get(&(a, b)),
                    e.total,
                    e.conflicts,
                    record_line(&recs[a]),
                    record_line(&recs[b]),
                    explanation_line(&e)
                );
            }
        }
    }
    let mut wrong = 0;
    for p in &res.pairs {
        if res.clusters[p.a] == res.clusters[p.b] && truth[p.a] != truth[p.b] && wrong < max {
            wrong += 1;
            println!(
                "WRONG score={} {:?}\n  {}\n  {}",
                p.score,
                p.conflicts,
                record_line(&recs[p.a]),
                record_line(&recs[p.b])
            );
        }
    }
}

/// Level distribution per field over all true pairs (the empirical m).
fn true_levels(recs: &[LinkRecord], truth: &[&str], config: &LinkConfig) {
    let mut by_entity: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in truth.iter().enumerate() {
        by_entity.entry(t).or_default().push(i);
    }
    let mut counts: std::collections::BTreeMap<(String, String), usize> = Default::default();
    let mut pairs = 0usize;
    for m in by_entity.values() {
        for x in 0..m.len() {
            for y in x + 1..m.len() {
                pairs += 1;
                let e = explain_pair(&recs[m[x]], &recs[m[y]], config);
                for f in e.fields {
                    *counts.entry((f.field, f.level)).or_insert(0) += 1;
                }
            }
        }
    }
    println!("true pairs: {pairs}");
    for ((f, l), c) in counts {
        println!("  {f:>18} {l:>16} {:.4}", c as f64 / pairs as f64);
    }
}
