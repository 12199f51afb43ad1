#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use puente_linkage::normalize::{fold, phonetic_es};

proptest! {
    #[test]
    fn fold_is_idempotent(s in "\\PC{0,40}") {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once);
    }

    #[test]
    fn fold_ignores_case_and_accents(s in "[a-zA-Z ]{0,30}") {
        let accented: String = s
            .chars()
            .map(|c| match c {
                'a' => 'á',
                'e' => 'é',
                'i' => 'í',
                'o' => 'ó',
                'u' => 'ü',
                'n' => 'ñ',
                'A' => 'Á',
                'E' => 'É',
                other => other,
            })
            .collect();
        prop_assert_eq!(fold(&accented), fold(&s.to_uppercase()));
        prop_assert_eq!(fold(&s.to_lowercase()), fold(&s.to_uppercase()));
    }

    #[test]
    fn phonetic_b_v_s_z_ll_y_h_j_g(stem in "[aeiou][lmnrt][aeiou]", vowel in "[aeiou]") {
        // b/v
        prop_assert_eq!(phonetic_es(&format!("b{stem}")), phonetic_es(&format!("v{stem}")));
        // s/z and s/c(e,i)
        prop_assert_eq!(phonetic_es(&format!("{stem}s")), phonetic_es(&format!("{stem}z")));
        prop_assert_eq!(phonetic_es(&format!("{stem}se")), phonetic_es(&format!("{stem}ce")));
        // ll/y before a vowel
        prop_assert_eq!(phonetic_es(&format!("{stem}ll{vowel}")), phonetic_es(&format!("{stem}y{vowel}")));
        // silent h
        prop_assert_eq!(phonetic_es(&format!("h{stem}")), phonetic_es(&stem));
        // j / g(e,i) / x
        prop_assert_eq!(phonetic_es(&format!("{stem}je")), phonetic_es(&format!("{stem}ge")));
        prop_assert_eq!(phonetic_es(&format!("x{stem}")), phonetic_es(&format!("j{stem}")));
        // accents and case do not matter
        prop_assert_eq!(phonetic_es(&stem.to_uppercase()), phonetic_es(&stem));
    }
}

#[test]
fn examples() {
    assert_eq!(fold("José"), fold("JOSE"));
    assert_eq!(fold("  Núñez--de la  Cruz "), "nunez de la cruz");
    assert_eq!(phonetic_es("Quiñones"), phonetic_es("Kinones"));
    assert_eq!(phonetic_es("Villalobos"), phonetic_es("Biyalobos"));
    assert_ne!(phonetic_es("Mario"), phonetic_es("Maria"));
}
