//! Generate synthetic children, run batch linkage and the online path, and print
//! wall time and pairwise precision/recall/F1.
//!
//! `cargo run --release -p puente-linkage --example bench_link -- [children] [--em] [--online]`

use std::time::Instant;

use puente_linkage::synth::{explanation_line, generate, online_eval, pairwise_prf, record_line};
use puente_linkage::{LinkConfig, link_batch};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let em = args.iter().any(|a| a == "--em");
    let online = args.iter().any(|a| a == "--online");
    let no_batch = args.iter().any(|a| a == "--no-batch");
    let t = Instant::now();
    let data = generate(n, 42);
    println!(
        "generated {} children, {} records in {:.2?}",
        n,
        data.records.len(),
        t.elapsed()
    );
    let mut config = LinkConfig {
        estimate_weights: em,
        ..LinkConfig::default()
    };
    // overrides for tuning: attach=.. uncorr=.. batch=.. avg=.. cap=..
    for a in &args {
        if let Some((k, v)) = a.split_once('=')
            && let Ok(v) = v.parse::<f64>()
        {
            match k {
                "attach" => config.attach_threshold = v,
                "uncorr" => config.uncorroborated_attach_threshold = v,
                "review" => config.review_threshold = v,
                "batch" => config.batch_threshold = v,
                "avg" => config.batch_min_avg = v,
                "cross" => config.batch_min_cross = v,
                "cap" => config.family_cap = v,
                "block" => config.max_block = v as usize,
                "window" => config.window = v as usize,
                "online_cap" => config.online_block_cap = v as usize,
                _ => {}
            }
        }
    }
    if !no_batch {
        let t = Instant::now();
        let res = link_batch(&data.records, &config);
        let el = t.elapsed();
        let (p, r, f1) = pairwise_prf(&data.truth, &res.clusters);
        println!("batch: {el:.2?}  P={p:.4} R={r:.4} F1={f1:.4}");
        println!("  stats={:?}", res.stats);
        if args.iter().any(|a| a == "--errors") {
            show_errors(&data, &res.clusters, &config);
        }
    }
    if online {
        let t = Instant::now();
        let ev = online_eval(&data, &config, 50_000);
        println!(
            "online ({:.2?} incl. indexing): top1_rank={:.5} attach_correct={:.4} wrong_attach={:.4} near_with_truth={:.4} new_wrongly_attached={:.4} ({} new) p50={:.3}ms p99={:.3}ms indexed={}",
            t.elapsed(),
            ev.top1_correct as f64 / ev.known.max(1) as f64,
            ev.attached_correct as f64 / ev.known.max(1) as f64,
            ev.attached_wrong as f64 / ev.known.max(1) as f64,
            ev.near_match_with_truth as f64 / ev.known.max(1) as f64,
            ev.new_wrongly_attached as f64 / ev.new_total.max(1) as f64,
            ev.new_total,
            ev.p50_ms,
            ev.p99_ms,
            ev.indexed_records
        );
    }
}

fn show_errors(data: &puente_linkage::synth::SynthData, clusters: &[usize], config: &LinkConfig) {
    use std::collections::BTreeMap;
    let mut by_child: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in data.truth.iter().enumerate() {
        by_child.entry(*c).or_default().push(i);
    }
    let mut fn_shown = 0;
    for idx in by_child.values() {
        if fn_shown >= 12 {
            break;
        }
        for x in 0..idx.len() {
            for y in x + 1..idx.len() {
                let (a, b) = (idx[x], idx[y]);
                if clusters[a] != clusters[b] && fn_shown < 12 {
                    fn_shown += 1;
                    let e =
                        puente_linkage::explain_pair(&data.records[a], &data.records[b], config);
                    println!(
                        "FN:\n  {:?}\n  {:?}\n  {}",
                        record_line(&data.records[a]),
                        record_line(&data.records[b]),
                        summary(&e)
                    );
                }
            }
        }
    }
    let mut by_cl: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in clusters.iter().enumerate() {
        by_cl.entry(*c).or_default().push(i);
    }
    let mut fp_shown = 0;
    for idx in by_cl.values() {
        for x in 0..idx.len() {
            for y in x + 1..idx.len() {
                let (a, b) = (idx[x], idx[y]);
                if data.truth[a] != data.truth[b] && fp_shown < 12 {
                    fp_shown += 1;
                    let e =
                        puente_linkage::explain_pair(&data.records[a], &data.records[b], config);
                    println!(
                        "FP:\n  {:?}\n  {:?}\n  {}",
                        record_line(&data.records[a]),
                        record_line(&data.records[b]),
                        summary(&e)
                    );
                }
            }
        }
    }
}

fn summary(e: &puente_linkage::CandidateExplanation) -> String {
    format!(
        "total={:.1} conflicts={:?} {}",
        e.total,
        e.conflicts,
        explanation_line(e)
    )
}
