//! The report's words: Fluent messages (`locales/{en,es}/report.ftl`) and locale formats.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would end up in the PDF text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static ES: LanguageIdentifier = langid!("es");

/// A language the report is printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Every supported language.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// BCP 47 code (`en`, `es`), as typst's `text(lang:)` takes it.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// Parses `en`, `es`, `es-MX` ... (only the primary subtag counts).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    fn langid(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// A message; a missing one shows its id (tests check both locales are complete).
    pub fn t(self, id: &str) -> String {
        LOCALES
            .try_lookup(self.langid(), id)
            .unwrap_or_else(|| id.to_owned())
    }

    /// A message with named string arguments.
    pub fn t_args(self, id: &str, args: &[(&str, &str)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(*v)))
            .collect();
        LOCALES
            .try_lookup_with_args(self.langid(), id, &map)
            .unwrap_or_else(|| id.to_owned())
    }

    /// Whether the message exists in this language (no fallback).
    pub fn has(self, id: &str) -> bool {
        LOCALES.try_lookup(self.langid(), id).is_some()
    }

    /// A date in the locale's numeric form: 03/05/2014 (en), 05/03/2014 (es).
    pub fn date(self, d: NaiveDate) -> String {
        self.t_args(
            "date-numeric",
            &[
                ("d", &format!("{:02}", d.day())),
                ("m", &format!("{:02}", d.month())),
                ("y", &d.year().to_string()),
            ],
        )
    }

    /// A date written out: March 5, 2014 (en), 5 de marzo de 2014 (es).
    pub fn long_date(self, d: NaiveDate) -> String {
        self.t_args(
            "date-long",
            &[
                ("d", &d.day().to_string()),
                ("month", &self.t(&format!("month-{}", d.month()))),
                ("y", &d.year().to_string()),
            ],
        )
    }

    /// A month and year: March 2014 (en), marzo de 2014 (es).
    pub fn month_year(self, d: NaiveDate) -> String {
        self.t_args(
            "date-month-year",
            &[
                ("month", &self.t(&format!("month-{}", d.month()))),
                ("y", &d.year().to_string()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_locale() {
        let d = NaiveDate::from_ymd_opt(2014, 3, 5).unwrap_or_default();
        assert_eq!(Lang::En.date(d), "03/05/2014");
        assert_eq!(Lang::Es.date(d), "05/03/2014");
        assert_eq!(Lang::En.long_date(d), "March 5, 2014");
        assert_eq!(Lang::Es.long_date(d), "5 de marzo de 2014");
        assert_eq!(Lang::Es.month_year(d), "marzo de 2014");
    }

    /// Every message of one locale exists in the other.
    #[test]
    fn both_locales_have_every_message() {
        let ids = |lang: &str| -> Vec<String> {
            let path = format!("{}/locales/{lang}/report.ftl", env!("CARGO_MANIFEST_DIR"));
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let en = ids("en");
        let es = ids("es");
        assert!(en.len() > 100, "{} messages", en.len());
        let mut en_sorted = en.clone();
        en_sorted.sort();
        let mut es_sorted = es.clone();
        es_sorted.sort();
        assert_eq!(en_sorted, es_sorted, "en and es define different messages");
        // And the loader knows them (messages without arguments resolve).
        assert!(Lang::Es.has("report-title") && Lang::En.has("report-title"));
        assert_eq!(
            Lang::Es.t("report-section-conflicts"),
            "Datos contradictorios"
        );
    }
}
