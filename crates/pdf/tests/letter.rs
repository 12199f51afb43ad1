#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The outcome letter of a parent/guardian correction request: both languages, both outcomes,
//! read back with `pdftotext`; values printed literally.

mod common;

use chrono::NaiveDate;
use puente_pdf::{CorrectionLetter, Lang, render_correction_letter};
use puente_testkit::poppler::{flat, pdf_text};

fn letter(corrected: bool, reason: Option<&str>) -> CorrectionLetter {
    CorrectionLetter {
        child_name: "José Ángel Hernández-López".into(),
        msix_id: "123456789012".into(),
        state: "TX".into(),
        topic: "Birth date (day and month swapped)".into(),
        requested_on: NaiveDate::from_ymd_opt(2026, 10, 5).unwrap(),
        decided_on: NaiveDate::from_ymd_opt(2026, 10, 20).unwrap(),
        corrected,
        reason: reason.map(str::to_owned),
    }
}

#[test]
fn spanish_letter_tells_the_family_the_data_will_be_corrected() {
    let pdf =
        render_correction_letter(&letter(true, None), Lang::Es, common::generated_at()).unwrap();
    assert_eq!(&pdf[..5], b"%PDF-");
    let text = flat(&pdf_text(&pdf));
    for needle in [
        "Decisión sobre su solicitud de corregir los expedientes de su hijo o hija",
        "José Ángel Hernández-López",
        "123456789012",
        "Estimado padre, madre o tutor:",
        "El 5 de octubre de 2026, usted pidió corregir",
        "el 20 de octubre de 2026 decidimos",
        "La información será corregida. TX enviará la información corregida dentro de los 4 días hábiles",
        "Programa de Educación Migrante, TX",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in {text}");
    }
    assert!(
        !text.contains("Dear parent"),
        "no English in the Spanish letter"
    );
}

#[test]
fn english_letter_of_a_denial_gives_the_reason_and_the_right_to_disagree() {
    let pdf = render_correction_letter(
        &letter(
            false,
            Some("The birth certificate confirms the date on file."),
        ),
        Lang::En,
        common::generated_at(),
    )
    .unwrap();
    let text = flat(&pdf_text(&pdf));
    for needle in [
        "Decision on your request to correct your child's records",
        "On October 5, 2026, you asked for a correction",
        "The information will not be changed.",
        "Explanation: The birth certificate confirms the date on file.",
        "If you disagree with this decision",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in {text}");
    }
    assert!(!text.contains("will be corrected"));
}

#[test]
fn markup_in_the_letter_is_printed_literally() {
    let mut l = letter(false, Some("<script>alert(1)</script> #set $x$ \\ *b*"));
    l.child_name = "[Ana] #María $Q$ \\ _i_".into();
    l.topic = "@ref `raw` // not a comment".into();
    for lang in Lang::ALL {
        let text = flat(&pdf_text(
            &render_correction_letter(&l, lang, common::generated_at()).unwrap(),
        ));
        for s in [
            "<script>alert(1)</script> #set $x$ \\ *b*",
            "[Ana] #María $Q$ \\ _i_",
            "@ref `raw` // not a comment",
        ] {
            assert!(text.contains(s), "{s:?} not printed literally in {text}");
        }
    }
}
