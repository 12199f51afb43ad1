//! Every reader (XML, JSON, JSON Lines, CSV, and format detection) on arbitrary bytes: never a
//! panic, never unbounded memory (the limits apply), every item reported as a student or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use puente_interchange::{Format, Limits, read_file, read_file_detect};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    for format in Format::ALL {
        let _ = read_file(data, format, &limits, |_| {});
    }
    let _ = read_file_detect(data, None, &limits, |_| {});
    let _ = read_file_detect(data, Some("upload.csv"), &limits, |_| {});
});
