//! Time to render the three-page Spanish Consolidated Student Record Report, warm (the fonts
//! loaded and the template parsed by a first render; each timed run prints another child).
//! Prints the figures for bench/README.md.
//!
//! `cargo run --release -p puente-pdf --example report_timing [runs] [out.pdf]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use puente_pdf::{Lang, render};

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let out = args.next();
    let record = common::record("José", "Hernández-López", "");
    let at = common::generated_at();

    let cold = Instant::now();
    let first = render(&record, Lang::Es, at).expect("render");
    let cold = cold.elapsed();
    if let Some(path) = out {
        std::fs::write(&path, &first).expect("write");
    }

    let mut times = Vec::with_capacity(runs);
    // A different child each time, as in service: typst's memoization must not turn the runs
    // into cache hits of the first one.
    let records: Vec<_> = (0..runs)
        .map(|i| common::record(&format!("José {i}"), "Hernández-López", ""))
        .collect();
    for r in &records {
        let t = Instant::now();
        let pdf = render(r, Lang::Es, at).expect("render");
        times.push(t.elapsed());
        assert!(pdf.starts_with(b"%PDF"));
    }
    times.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let mean = times.iter().map(|d| ms(*d)).sum::<f64>() / times.len() as f64;
    println!(
        "Spanish CSR report, {} bytes: first render {:.1} ms; warm over {runs} runs: median {:.1} ms, mean {:.1} ms, min {:.1} ms, max {:.1} ms",
        first.len(),
        ms(cold),
        ms(median),
        mean,
        ms(times[0]),
        ms(times[times.len() - 1]),
    );
}
