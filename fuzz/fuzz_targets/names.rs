//! Name normalisation on arbitrary text: folding, camel-case splitting, tokens, the Spanish
//! phonetic key and nickname lookup never panic, and folding is idempotent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use puente_linkage::normalize::{fold, name_tokens, nickname_canon, phonetic_es, split_camel};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let folded = fold(s);
    assert_eq!(fold(&folded), folded, "fold is not idempotent");
    let _ = split_camel(s);
    for t in name_tokens(s) {
        let _ = nickname_canon(&t);
        let _ = phonetic_es(&t);
    }
    let _ = phonetic_es(s);
    let _ = puente_domain::normalize::fold(s);
});
