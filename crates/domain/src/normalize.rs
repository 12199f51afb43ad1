//! Name folding for storage and search: Unicode NFKD, marks removed, case folded, punctuation
//! turned into single spaces. SQLite's LOWER() is ASCII-only, so every normalised column is
//! computed here, in Rust, and stored beside the original.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a name: "  José  HERNÁNDEZ-López " -> "jose hernandez lopez".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            for l in c.to_lowercase() {
                // ß and similar fold to ASCII where a plain transliteration exists.
                match l {
                    'ß' => out.push_str("ss"),
                    'ø' => out.push('o'),
                    'æ' => out.push_str("ae"),
                    'đ' => out.push('d'),
                    'ł' => out.push('l'),
                    other => out.push(other),
                }
            }
        } else {
            pending_space = true;
        }
    }
    out
}

/// Whether `c` is a combining mark (accents written as separate code points).
pub fn is_mark(c: char) -> bool {
    is_combining_mark(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_spanish_names() {
        assert_eq!(fold("  José  HERNÁNDEZ-López "), "jose hernandez lopez");
        assert_eq!(fold("Peña"), "pena");
        assert_eq!(fold("Ximénez"), "ximenez");
        assert_eq!(fold("O'Brien"), "o brien");
        assert_eq!(fold(""), "");
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn fold_ignores_case_and_accents(s in "[a-zA-Z ]{0,30}") {
            let accented: String = s.chars().map(|c| match c { 'a' => 'á', 'e' => 'é', 'n' => 'ñ', 'u' => 'ü', o => o }).collect();
            prop_assert_eq!(fold(&accented.to_uppercase()), fold(&s));
        }
    }
}
