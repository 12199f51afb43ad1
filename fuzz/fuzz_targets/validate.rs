//! Parse then validate: whatever a JSON Lines file holds, validation returns a record or issues
//! and never panics (dates, codes, lengths, cross-field rules on hostile values).
#![no_main]
use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use puente_domain::{StudentRecord, ValidationContext};
use puente_interchange::{Format, Limits, read_file};

fuzz_target!(|data: &[u8]| {
    let Some(today) = NaiveDate::from_ymd_opt(2026, 11, 23) else {
        return;
    };
    let ctx = ValidationContext::new(today);
    for format in [Format::JsonLines, Format::Csv] {
        let _ = read_file(data, format, &Limits::default(), |item| {
            if let Ok(raw) = item {
                let _ = StudentRecord::validate(&raw, &ctx);
            }
        });
    }
});
