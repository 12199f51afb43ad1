//! Baseline for the ingest benchmark: writes the students of submission files straight to the
//! store (parse + typed conversion + batched transactional insert), without validation reports,
//! linkage or submission bookkeeping. `bench/ingest/run.sh` compares `puente submit` with it.
//!
//! Usage: bulk_insert DB_URL FILE...

use std::io::BufReader;
use std::time::Instant;

use puente_domain::{StudentRecord, ValidationContext};
use puente_store::{RecordWrite, Store, new_id};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bulk_insert DB_URL FILE..."))?;
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let ctx = ValidationContext::new(chrono::Utc::now().date_naive());
    let started = Instant::now();
    let mut n = 0usize;
    for file in args {
        let (_, reader) =
            puente_interchange::jsonl::Reader::open(BufReader::new(std::fs::File::open(&file)?))?;
        let mut batch = Vec::with_capacity(500);
        for raw in reader {
            let raw = raw.map_err(|e| anyhow::anyhow!("{file}: line {}: {}", e.line, e.reason))?;
            if let (Some(record), _) = StudentRecord::validate(&raw, &ctx) {
                batch.push(RecordWrite {
                    record,
                    child_id: new_id(),
                    search_keys: Vec::new(),
                    submission_id: None,
                    received_at: chrono::Utc::now(),
                });
            }
            if batch.len() == 500 {
                n += batch.len();
                store.write_records(&batch).await?;
                batch.clear();
            }
        }
        n += batch.len();
        store.write_records(&batch).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bulk insert: {n} students in {secs:.2}s = {:.0} students/s",
        n as f64 / secs
    );
    Ok(())
}
