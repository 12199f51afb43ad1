//! The online linker on hostile records: fields cut from the input, inserted as one child and
//! matched as another; never a panic (blocking keys, comparisons and scoring on any text).
#![no_main]
use libfuzzer_sys::fuzz_target;
use puente_linkage::{LinkConfig, LinkRecord, Linker};

fn record(id: &str, f: &[&str]) -> LinkRecord {
    let get = |i: usize| f.get(i).map(|s| s.to_string());
    LinkRecord {
        record_id: id.to_string(),
        reporting_state: get(0),
        state_student_id: get(1),
        first_name: get(2),
        middle_name: get(3),
        last_name_1: get(4),
        last_name_2: get(5),
        sex: get(6),
        birth_date: get(7),
        birth_city: get(8),
        parent1_first_name: get(9),
        parent1_last_name: get(10),
        multiple_birth: get(11).map(|s| s.len() % 2 == 0),
        alternate_ids: f.iter().skip(12).map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = s.split_once('\u{1e}').unwrap_or((s, s));
    let fa: Vec<&str> = a.split('|').collect();
    let fb: Vec<&str> = b.split('|').collect();
    let mut linker = Linker::new(LinkConfig::default());
    linker.insert("c1", &record("r1", &fa));
    let _ = linker.match_record(&record("r2", &fb));
    linker.insert("c2", &record("r2", &fb));
    let _ = linker.match_record(&record("r3", &fa));
});
