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
use puente_linkage::{BatchInput, INPUT_COLUMNS, LinkConfig, LinkRecord, link_prepared};

/// Reads the input CSV record by record into `records` (checks: a record_id on every row,
/// no id twice). Only the id is read on this thread; each record is made from its row by
/// the thread that prepares it (see `BatchInput::push_with`).
pub fn read_records(path: &Path, records: &mut BatchInput) -> anyhow::Result<()> {
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
    // the column of each of INPUT_COLUMNS, looked up once
    let cols: std::sync::Arc<Vec<Option<usize>>> =
        std::sync::Arc::new(INPUT_COLUMNS.iter().map(|n| col.get(*n).copied()).collect());
    let mut seen = std::collections::HashSet::new();
    for (n, row) in rdr.records().enumerate() {
        let row = row.with_context(|| format!("{}: row {}", path.display(), n + 2))?;
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
        let (id, cols) = (record_id.clone(), cols.clone());
        records.push_with(&id, move || {
            let get = |f: usize| -> Option<String> {
                cols[f]
                    .and_then(|i| row.get(i))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            LinkRecord::from_columns(record_id, get)
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
    read_records(input, &mut records)?;
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
