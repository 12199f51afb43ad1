//! Times the synthetic generator: `cargo run --release -p puente-testkit --example synth_bench -- 100000 [stream]`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use chrono::NaiveDate;
use puente_testkit::synth::{SynthConfig, generate, generate_each};

fn main() {
    let mut args = std::env::args().skip(1);
    let students: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let stream = args.next().as_deref() == Some("stream");
    let cfg = SynthConfig::new(
        students,
        2024,
        NaiveDate::from_ymd_opt(2025, 3, 15).unwrap(),
    );
    let t = Instant::now();
    if stream {
        let mut records = 0usize;
        let mut enrollments = 0usize;
        generate_each(&cfg, |r, _| {
            records += 1;
            enrollments += r.enrollments.len();
        });
        println!(
            "{students} children: {records} records, {enrollments} enrollments streamed in {:.2?}",
            t.elapsed()
        );
    } else {
        let d = generate(&cfg);
        let elapsed = t.elapsed();
        let per_state: Vec<String> = d
            .by_state
            .iter()
            .map(|(s, v)| format!("{s:?}={}", v.len()))
            .collect();
        let enrollments: usize = d.records().map(|r| r.enrollments.len()).sum();
        let courses: usize = d.records().map(|r| r.courses.len()).sum();
        println!(
            "{students} children: {} records ({}), {enrollments} enrollments, {courses} courses in {elapsed:.2?}",
            d.record_count(),
            per_state.join(" ")
        );
    }
}
