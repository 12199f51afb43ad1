//! Printable reports as PDF, typeset with typst used as a library.
//!
//! [`render`] turns a [`ConsolidatedRecord`] into the Consolidated Student Record Report, in
//! English or Spanish; [`render_correction_letter`] prints the letter that tells a family the
//! outcome of their correction request (`src/letter.typ`). The layout is a fixed typst template (`src/report.typ`); every label and
//! every record value is handed to it as data through `sys.inputs`, never spliced into typst
//! source, so a name such as `*José* #x [y] $z$` prints literally. The only fonts are the
//! embedded Source Sans Pro files (SIL OFL 1.1, `fonts/`); the compiler sees no system font, no
//! file and no package: nothing is read from disk or the network while rendering.
//!
//! The PDF is tagged and checked against PDF/UA-1 by typst's exporter.
//!
//! This crate is the only one that depends on typst (a slow first build): keep it that way.

mod model;
mod text;

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use puente_domain::consolidated::ConsolidatedRecord;
use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Array, Bytes, Datetime, Dict, Str, Value};
use typst::syntax::{FileId, Source};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards, Timestamp};

pub use model::full_name;
pub use text::Lang;

/// Why a report could not be produced. The messages come from the typesetter and name the
/// template, not record values.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("typesetting failed: {0}")]
    Typeset(String),
    #[error("PDF export failed: {0}")]
    Export(String),
}

/// Renders the Consolidated Student Record Report of `record` in `lang`, dated `generated_at`
/// (the footer's generation date and the PDF's creation date: pass the application clock).
pub fn render(
    record: &ConsolidatedRecord,
    lang: Lang,
    generated_at: DateTime<Utc>,
) -> Result<Vec<u8>, PdfError> {
    let data = model::report(record, lang, generated_at);
    typeset(
        &MAIN,
        "report",
        &data,
        format!("puente-csr-{}", record.msix_id),
        generated_at,
    )
}

/// What the outcome letter of a parent/guardian correction request says. Values are printed
/// literally (never parsed as typst).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionLetter {
    /// The child's full name as the consolidated record holds it.
    pub child_name: String,
    pub msix_id: String,
    /// The state that decided (and holds the data).
    pub state: String,
    /// The element(s) the family asked to correct.
    pub topic: String,
    pub requested_on: NaiveDate,
    pub decided_on: NaiveDate,
    /// `true`: the data will be corrected; `false`: the request was denied.
    pub corrected: bool,
    /// The decision's explanation, when one was written.
    pub reason: Option<String>,
}

/// Renders the letter that tells the family the outcome of their correction request, in `lang`
/// (the family's language), dated `generated_at`.
pub fn render_correction_letter(
    letter: &CorrectionLetter,
    lang: Lang,
    generated_at: DateTime<Utc>,
) -> Result<Vec<u8>, PdfError> {
    let data = model::letter(letter, lang, generated_at);
    typeset(
        &LETTER,
        "letter",
        &data,
        format!("puente-letter-{}", letter.msix_id),
        generated_at,
    )
}

/// A report of tables (the portal's reports section) to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablesReport {
    pub title: String,
    /// Lines under the title (scope, period, as-of date).
    pub intro: Vec<String>,
    /// What an empty table says instead.
    pub empty: String,
    pub tables: Vec<PrintedTable>,
}

/// A table of a [`TablesReport`], with its chart when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedTable {
    pub caption: String,
    pub head: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// A standalone SVG chart of the same numbers, and its alternative text.
    pub chart: Option<(String, String)>,
}

/// Renders a report of tables and charts in `lang` (footer labels), dated `generated_at`;
/// `ident` names the document (no personal data). Landscape US Letter, tagged PDF/UA-1.
pub fn render_tables(
    report: &TablesReport,
    lang: Lang,
    generated_at: DateTime<Utc>,
    ident: &str,
) -> Result<Vec<u8>, PdfError> {
    let data = model::tables(report, lang, generated_at);
    typeset(&TABLES, "report", &data, ident.to_owned(), generated_at)
}

/// Compiles `main` with `data` as `sys.inputs.<input>` and exports a tagged PDF/UA-1 document.
fn typeset(
    main: &'static LazyLock<Source>,
    input: &str,
    data: &serde_json::Value,
    ident: String,
    generated_at: DateTime<Utc>,
) -> Result<Vec<u8>, PdfError> {
    let mut inputs = Dict::new();
    inputs.insert(Str::from(input), to_value(data));
    let world = ReportWorld::new(main, inputs);
    let result = typst::compile::<PagedDocument>(&world).output;
    // Bound the memoization cache: documents are independent of each other.
    typst::comemo::evict(2);
    let document = result.map_err(|d| PdfError::Typeset(messages(&d)))?;
    let datetime = Datetime::from_ymd_hms(
        generated_at.year(),
        u8::try_from(generated_at.month()).unwrap_or(1),
        u8::try_from(generated_at.day()).unwrap_or(1),
        u8::try_from(generated_at.hour()).unwrap_or(0),
        u8::try_from(generated_at.minute()).unwrap_or(0),
        u8::try_from(generated_at.second()).unwrap_or(0),
    );
    let standards = PdfStandards::new(&[PdfStandard::Ua_1])
        .map_err(|e| PdfError::Export(e.message().to_string()))?;
    let options = PdfOptions {
        ident: typst::foundations::Smart::Custom(ident),
        creator: typst::foundations::Smart::Custom(Some("Puente".into())),
        timestamp: datetime.map(Timestamp::new_utc),
        standards,
        tagged: true,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(&document, &options).map_err(|d| PdfError::Export(messages(&d)))
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// JSON data -> typst values (strings stay strings: typst shows them as plain text).
fn to_value(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(Str::from(s.as_str())),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(to_value).collect::<Array>()),
        serde_json::Value::Object(o) => Value::Dict(
            o.iter()
                .map(|(k, v)| (Str::from(k.as_str()), to_value(v)))
                .collect::<Dict>(),
        ),
    }
}

static TEMPLATE: &str = include_str!("report.typ");
static LETTER_TEMPLATE: &str = include_str!("letter.typ");
static TABLES_TEMPLATE: &str = include_str!("tables.typ");

static FONT_FILES: [&[u8]; 4] = [
    include_bytes!("../fonts/SourceSansPro-Regular.ttf"),
    include_bytes!("../fonts/SourceSansPro-Bold.ttf"),
    include_bytes!("../fonts/SourceSansPro-Italic.ttf"),
    include_bytes!("../fonts/SourceSansPro-BoldItalic.ttf"),
];

struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

static FONTS: LazyLock<Fonts> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    let book = FontBook::from_fonts(&fonts);
    Fonts {
        book: LazyHash::new(book),
        fonts,
    }
});

static MAIN: LazyLock<Source> = LazyLock::new(|| Source::detached(TEMPLATE));
static LETTER: LazyLock<Source> = LazyLock::new(|| Source::detached(LETTER_TEMPLATE));
static TABLES: LazyLock<Source> = LazyLock::new(|| Source::detached(TABLES_TEMPLATE));

/// The typst world of one document: its template, the embedded fonts and the inputs; no files.
struct ReportWorld {
    main: &'static LazyLock<Source>,
    library: LazyHash<Library>,
}

impl ReportWorld {
    fn new(main: &'static LazyLock<Source>, inputs: Dict) -> Self {
        ReportWorld {
            main,
            library: LazyHash::new(Library::builder().with_inputs(inputs).build()),
        }
    }
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.book
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok((**self.main).clone())
        } else {
            Err(FileError::AccessDenied)
        }
    }
    fn file(&self, _id: FileId) -> FileResult<Bytes> {
        Err(FileError::AccessDenied)
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.fonts.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // The template takes its date from the inputs; `datetime.today()` is not used.
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_font_loads() {
        assert_eq!(FONTS.fonts.len(), 4);
        assert!(
            FONTS
                .fonts
                .iter()
                .all(|f| f.info().family == "Source Sans Pro")
        );
    }
}
