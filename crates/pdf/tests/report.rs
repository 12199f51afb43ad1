#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The Consolidated Student Record Report: rendered in both languages, read back with
//! `pdftotext` (Debian poppler-utils; scripts/test.sh installs it), names printed literally,
//! tagged PDF.

mod common;

use std::process::Command;

use puente_testkit::poppler::{flat, pdf_text};

use puente_pdf::{Lang, render};

/// What `pdfinfo` says of a PDF.
fn pdfinfo(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdfinfo").arg(&path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Page count as `pdfinfo` reports it.
fn pages(pdf: &[u8]) -> usize {
    let info = pdfinfo(pdf);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .map(|n| n.trim().parse().unwrap())
        .unwrap_or_else(|| panic!("no page count in {info}"))
}

#[test]
fn spanish_report_has_the_name_with_accents_and_spanish_headings() {
    let record = common::record("José", "Hernández-López", "");
    let pdf = render(&record, Lang::Es, common::generated_at()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    let flat = flat(&text);
    assert!(flat.contains("José Hernández-López"), "{text}");
    for heading in [
        "Registro consolidado del estudiante",
        "Identidad",
        "Padres y tutores",
        "Identificadores",
        "Elegibilidad y mudanzas que dan derecho al programa",
        "Historial de inscripciones",
        "Historial de cursos",
        "Resumen de créditos",
        "Evaluaciones",
        "Procedencia de los datos",
        "Datos contradictorios",
    ] {
        assert!(flat.contains(heading), "missing {heading:?} in {text}");
    }
    // Dates in the Spanish form, the footer, the MSIX ID, labels of codes.
    assert!(flat.contains("14/03/2010"), "birth date: {text}");
    assert!(
        flat.contains("Generado el 23 de noviembre de 2026"),
        "{text}"
    );
    assert!(flat.contains("Confidencial"), "{text}");
    assert!(flat.contains(&common::msix().to_string()), "{text}");
    assert!(flat.contains("Masculino"), "{text}");
    assert!(flat.contains("Página 1 de"), "{text}");
    // Partial credits are flagged; the conflicting birth city from Michigan is shown, with
    // the state and the date it was received.
    assert!(flat.contains("Crédito parcial"), "{text}");
    assert!(flat.contains("Zapopan (MI · 20/11/2025)"), "{text}");
    // Provenance: both states, with when they were received.
    assert!(flat.contains("20/11/2025 14:05 UTC"), "{text}");
    assert!(flat.contains("03/11/2025 14:05 UTC"), "{text}");
    // The sample is long enough for several pages (the timing example relies on it).
    assert_eq!(pages(&pdf), 3, "{text}");
}

#[test]
fn english_report_uses_english_labels_and_dates() {
    let record = common::record("José", "Hernández-López", "");
    let pdf = render(&record, Lang::En, common::generated_at()).unwrap();
    let flat = flat(&pdf_text(&pdf));
    for s in [
        "Consolidated Student Record",
        "Enrollment history",
        "Course history",
        "Credit summary",
        "Conflicting values",
        "Provenance",
        "03/14/2010",
        "Generated on November 23, 2026",
        "Partial credit",
        "Page 1 of",
    ] {
        assert!(flat.contains(s), "missing {s:?} in {flat}");
    }
    assert!(!flat.contains("Historial"), "{flat}");
}

#[test]
fn markup_in_values_is_printed_literally() {
    let first = "<script>alert(1)</script> *bold*";
    let last1 = "[x] #set $y$ \\ _i_";
    let last2 = "@ref `raw` // no comment";
    let record = common::record(first, last1, last2);
    for lang in Lang::ALL {
        let pdf = render(&record, lang, common::generated_at()).unwrap();
        let flat = flat(&pdf_text(&pdf));
        for s in [first, last1, last2] {
            assert!(flat.contains(s), "{s:?} not printed literally in {flat}");
        }
    }
}

#[test]
fn the_pdf_is_tagged_and_carries_the_language() {
    let record = common::record("José", "Hernández-López", "");
    let pdf = render(&record, Lang::Es, common::generated_at()).unwrap();
    let has = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"/StructTreeRoot"), "no structure tree");
    assert!(has(b"/MarkInfo"), "not marked as tagged");
    assert!(has(b"/Lang"), "no document language");
    assert!(
        has(b"<pdfuaid:part>1</pdfuaid:part>"),
        "not declared PDF/UA-1"
    );
    // The metadata title names the record by MSIX ID, not by the child's name.
    let info = pdfinfo(&pdf);
    let title = info.lines().find(|l| l.starts_with("Title:")).unwrap_or("");
    assert!(title.contains(&common::msix().to_string()), "{info}");
    assert!(!title.contains("José"), "{info}");
}

#[test]
fn the_same_input_gives_the_same_pdf() {
    let record = common::record("José", "Hernández-López", "");
    let a = render(&record, Lang::Es, common::generated_at()).unwrap();
    let b = render(&record, Lang::Es, common::generated_at()).unwrap();
    assert_eq!(a, b);
}
