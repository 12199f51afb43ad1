//! Link a `puente link` CSV (simple CSV: no quoted commas) and score it against a truth CSV
//! (`record_id,entity`): pairwise P/R/F1 and time. For tuning without building the CLI.
//!
//! `cargo run --release -p puente-linkage --example link_csv -- records.csv truth.csv [clusters.csv]`

#![allow(clippy::expect_used)]

use std::collections::HashMap;
use std::time::Instant;

use puente_linkage::synth::pairwise_prf;
use puente_linkage::{LinkConfig, LinkRecord, link_batch};

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
    let text = std::fs::read_to_string(&args[1]).expect("records");
    let mut lines = text.lines();
    let head = split(lines.next().unwrap_or(""));
    let col: HashMap<&str, usize> = head
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let mut recs = Vec::new();
    for l in lines {
        let row = split(l);
        let get = |n: &str| {
            col.get(n)
                .and_then(|i| row.get(*i))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        recs.push(LinkRecord {
            record_id: get("record_id").unwrap_or_default(),
            reporting_state: get("reporting_state"),
            state_student_id: get("state_student_id"),
            first_name: get("first_name"),
            middle_name: get("middle_name"),
            last_name_1: get("last_name_1"),
            last_name_2: get("last_name_2"),
            sex: get("sex"),
            birth_date: get("birth_date"),
            birth_city: get("birth_city"),
            birth_state: get("birth_state"),
            birth_country: get("birth_country"),
            parent1_first_name: get("parent1_first_name"),
            parent1_last_name: get("parent1_last_name"),
            parent2_first_name: get("parent2_first_name"),
            parent2_last_name: get("parent2_last_name"),
            multiple_birth: get("multiple_birth_flag").map(|v| v == "Yes" || v == "Y"),
            address: get("address"),
            postal_code: get("postal_code"),
            alternate_ids: Vec::new(),
        });
    }
    let ttext = std::fs::read_to_string(&args[2]).expect("truth");
    let truth_map: HashMap<&str, &str> = ttext
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(','))
        .collect();
    let truth: Vec<&str> = recs
        .iter()
        .map(|r| truth_map.get(r.record_id.as_str()).copied().unwrap_or(""))
        .collect();
    let t = Instant::now();
    let res = link_batch(&recs, &LinkConfig::default());
    let el = t.elapsed();
    let (p, r, f1) = pairwise_prf(&truth, &res.clusters);
    println!(
        "{} records: {el:.2?}  P={p:.4} R={r:.4} F1={f1:.4}",
        recs.len()
    );
    println!("  stats={:?}", res.stats);
    if let Some(out) = args.get(3) {
        let mut s = String::from("record_id,cluster_id\n");
        for (r, c) in recs.iter().zip(&res.clusters) {
            s.push_str(&format!("{},{}\n", r.record_id, c));
        }
        std::fs::write(out, s).expect("write clusters");
    }
}
