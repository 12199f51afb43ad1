//! PDFs read back with Debian's poppler-utils (`pdftotext`, `pdftoppm`; scripts/test.sh
//! installs them): the text as a reader's software extracts it, and the pixels of a rendering.
#![allow(clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs a poppler tool over a PDF on its standard input; its standard output.
pub fn run(tool: &str, args: &[&str], pdf: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("Debian poppler-utils must be installed: scripts/test.sh installs it");
    child
        .stdin
        .take()
        .expect("piped standard input")
        .write_all(pdf)
        .expect("the PDF written to the tool");
    let out = child.wait_with_output().expect("the tool's output");
    assert!(out.status.success(), "{tool} failed");
    out.stdout
}

/// The text of a PDF as `pdftotext` reads it (in reading order).
pub fn pdf_text(pdf: &[u8]) -> String {
    String::from_utf8(run("pdftotext", &["-enc", "UTF-8", "-", "-"], pdf))
        .expect("pdftotext writes UTF-8")
}

/// The text of a PDF as `pdftotext -layout` reads it (each table row on one line), runs of
/// white space collapsed.
pub fn pdf_text_layout(pdf: &[u8]) -> String {
    let text = String::from_utf8(run(
        "pdftotext",
        &["-layout", "-enc", "UTF-8", "-", "-"],
        pdf,
    ))
    .expect("pdftotext writes UTF-8");
    flat(&text)
}

/// Text with runs of white space collapsed (lines may wrap).
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Pixels of the first page, rendered at 40 dpi, close to the charts' Category 1 blue
/// (0, 94, 162): zero when no chart is drawn.
pub fn chart_blue_pixels(pdf: &[u8]) -> usize {
    let ppm = run("pdftoppm", &["-r", "40", "-f", "1", "-l", "1", "-"], pdf);
    // Binary PPM: "P6 <w> <h> <max>" and one white-space byte, then RGB triples.
    let mut at = 0;
    for _ in 0..4 {
        while ppm[at].is_ascii_whitespace() {
            at += 1;
        }
        while !ppm[at].is_ascii_whitespace() {
            at += 1;
        }
    }
    ppm[at + 1..]
        .chunks_exact(3)
        .filter(|p| p[0] < 40 && (74..115).contains(&p[1]) && (140..185).contains(&p[2]))
        .count()
}
