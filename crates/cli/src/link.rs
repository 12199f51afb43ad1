//! `puente link`: batch record linkage of a CSV file (the evaluation contract).
//!
//! Input: CSV with a header row; columns in any order, unknown columns ignored, empty = missing:
//! record_id, reporting_state, state_student_id, first_name, middle_name, last_name_1,
//! last_name_2, sex, birth_date, birth_city, birth_state, birth_country, parent1_first_name,
//! parent1_last_name, parent2_first_name, parent2_last_name, multiple_birth_flag, address,
//! postal_code. Output: `record_id,cluster_id`, every input record exactly once, in input order.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use puente_linkage::{BatchInput, LinkConfig, LinkRecord, link_prepared};

fn flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Reads the input CSV record by record (checks: a record_id on every row, no id twice).
pub fn for_each_record(path: &Path, mut f: impl FnMut(LinkRecord)) -> anyhow::Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers = rdr.headers()?.clone();
    let col: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect();
    let Some(&id_col) = col.get("record_id") else {
        bail!("{}: the header has no record_id column", path.display());
    };
    let mut seen = std::collections::HashSet::new();
    for (n, row) in rdr.records().enumerate() {
        let row = row.with_context(|| format!("{}: row {}", path.display(), n + 2))?;
        let get = |name: &str| -> Option<String> {
            col.get(name)
                .and_then(|&i| row.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let record_id = row.get(id_col).unwrap_or("").trim().to_string();
        if record_id.is_empty() {
            bail!("{}: row {} has no record_id", path.display(), n + 2);
        }
        if !seen.insert(record_id.clone()) {
            bail!(
                "{}: record_id {record_id} appears twice (row {})",
                path.display(),
                n + 2
            );
        }
        f(LinkRecord {
            record_id,
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
            multiple_birth: get("multiple_birth_flag").as_deref().and_then(flag),
            address: get("address"),
            postal_code: get("postal_code"),
            alternate_ids: Vec::new(),
        });
    }
    Ok(())
}

pub fn run(input: &Path, output: &Path, explain: Option<&Path>) -> anyhow::Result<()> {
    let started = Instant::now();
    let config = LinkConfig {
        explain_pairs: explain.is_some(),
        ..LinkConfig::default()
    };
    // streamed: each record is prepared for linkage as it is read (only its id is kept)
    let mut records = BatchInput::with_threads(config.threads);
    for_each_record(input, |r| records.push(r))?;
    let result = link_prepared(&mut records, &config, &Default::default());
    let mut w =
        csv::Writer::from_path(output).with_context(|| format!("creating {}", output.display()))?;
    w.write_record(["record_id", "cluster_id"])?;
    for (i, c) in result.clusters.iter().enumerate() {
        w.write_record([records.record_id(i), &c.to_string()])?;
    }
    w.flush()?;
    if let Some(path) = explain {
        let mut w =
            csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
        w.write_record([
            "record_id_a",
            "record_id_b",
            "score",
            "same_cluster",
            "conflicts",
        ])?;
        for p in &result.pairs {
            w.write_record([
                records.record_id(p.a),
                records.record_id(p.b),
                &format!("{:.2}", p.score),
                if result.clusters[p.a] == result.clusters[p.b] {
                    "true"
                } else {
                    "false"
                },
                &p.conflicts.join(";"),
            ])?;
        }
        w.flush()?;
    }
    let clusters = result
        .clusters
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len();
    eprintln!(
        "linked {} records into {} clusters in {:.2}s",
        records.len(),
        clusters,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
