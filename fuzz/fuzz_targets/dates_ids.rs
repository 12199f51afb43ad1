//! Dates and identifiers as submitted: the linkage date parser, sex and ID normalisation, and
//! the MSIX ID parser (check digit) on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use puente_domain::MsixId;
use puente_linkage::normalize::{norm_id, parse_date, parse_sex};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_date(s);
    let _ = parse_sex(s);
    let _ = norm_id(s);
    if let Ok(id) = MsixId::parse(s) {
        // A parsed ID prints back to something that parses to the same ID.
        let again = MsixId::parse(&id.to_string());
        assert!(again.ok() == Some(id), "MSIX ID does not round-trip");
    }
});
