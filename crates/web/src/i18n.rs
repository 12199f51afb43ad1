//! Languages, negotiation and Fluent lookup.
//!
//! Messages live in `crates/web/locales/{en,es}/main.ftl` and are compiled into the binary.
//! Resolution order for a request: `?lang=` query, then the `lang` cookie, then
//! `Accept-Language`, then English.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would leak into HTML and tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static ES: LanguageIdentifier = langid!("es");

/// Name of the cookie that remembers the chosen language.
pub const LANG_COOKIE: &str = "lang";

/// A language the portal is offered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Es,
}

impl Lang {
    /// Every supported language, in the order they are offered.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// BCP 47 code, as used in `lang`/`hreflang` attributes, the cookie and `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// Parses a code such as `es`, `es-MX` or `EN` (only the primary subtag counts).
    pub fn parse(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The other language (for the two-language switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Es,
            Lang::Es => Lang::En,
        }
    }

    fn langid(self) -> &'static LanguageIdentifier {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// Looks a message up; a missing id renders as the id itself (and is logged), so a
    /// page never fails because of a translation gap. Tests check both locales are complete.
    pub fn t(self, id: &str) -> String {
        match LOCALES.try_lookup(self.langid(), id) {
            Some(s) => s,
            None => {
                tracing::warn!(id, lang = self.code(), "missing Fluent message");
                id.to_owned()
            }
        }
    }

    /// Looks a message up with named string arguments (`{ $name }` in Fluent).
    pub fn t_args(self, id: &str, args: &[(&str, &str)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(k, v)| (Cow::Owned((*k).to_owned()), FluentValue::from(*v)))
            .collect();
        match LOCALES.try_lookup_with_args(self.langid(), id, &map) {
            Some(s) => s,
            None => {
                tracing::warn!(id, lang = self.code(), "missing Fluent message");
                id.to_owned()
            }
        }
    }

    /// A date in this language's medium form: "Mar 14, 2010" / "14 mar 2010" (unambiguous,
    /// unlike 03/04 vs 04/03; the pattern and month names are Fluent messages in formats.ftl).
    pub fn date(self, d: NaiveDate) -> String {
        let month = self.t(&format!("month-short-{}", d.month()));
        self.t_args(
            "date-medium",
            &[
                ("day", &d.day().to_string()),
                ("month", &month),
                ("year", &d.year().to_string()),
            ],
        )
    }

    /// A moment in UTC with the date in this language's form: "Mar 14, 2010, 13:05 UTC".
    pub fn date_time(self, t: &DateTime<Utc>) -> String {
        self.t_args(
            "date-time-utc",
            &[
                ("date", &self.date(t.date_naive())),
                ("time", &t.format("%H:%M").to_string()),
            ],
        )
    }

    /// A month and year: "May 2025" / "mayo de 2025".
    pub fn month_year(self, d: NaiveDate) -> String {
        let month = self.t(&format!("month-long-{}", d.month()));
        self.t_args(
            "date-month-year",
            &[("month", &month), ("year", &d.year().to_string())],
        )
    }

    /// A whole number with this language's digit grouping: "12,902" (U.S. English and U.S.
    /// and Mexican Spanish both group with a comma; the separator is the Fluent message
    /// `number-group-separator`).
    pub fn number(self, n: i64) -> String {
        let sep = self.t("number-group-separator");
        let digits = n.unsigned_abs().to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * sep.len() + 1);
        if n < 0 {
            out.push('-');
        }
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push_str(&sep);
            }
            out.push(c);
        }
        out
    }

    /// Whether the message id exists in this language (without fallback).
    pub fn has(self, id: &str) -> bool {
        LOCALES.try_lookup(self.langid(), id).is_some()
    }
}

/// Picks a language from an `Accept-Language` header value by quality, if any is supported.
pub fn negotiate(accept_language: &str) -> Option<Lang> {
    let mut best: Option<(Lang, f32, usize)> = None;
    for (pos, item) in accept_language.split(',').enumerate() {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if q <= 0.0 {
            continue;
        }
        let Some(lang) = Lang::parse(tag) else {
            continue;
        };
        // Highest quality wins; ties go to the earlier entry.
        if best.is_none_or(|(_, bq, _)| q > bq) {
            best = Some((lang, q, pos));
        }
    }
    best.map(|(l, _, _)| l)
}

/// Reads the `lang` cookie from a `Cookie` header value.
pub fn from_cookie(cookie_header: &str) -> Option<Lang> {
    cookie_header
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v))
}

/// `Set-Cookie` value remembering a language for a year.
pub fn cookie_value(lang: Lang) -> String {
    format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        lang.code()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(negotiate("es-MX,es;q=0.9,en;q=0.8"), Some(Lang::Es));
        assert_eq!(negotiate("fr, en;q=0.5, es;q=0.7"), Some(Lang::Es));
        assert_eq!(negotiate("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(negotiate("fr, de"), None);
        assert_eq!(negotiate("es;q=0, en;q=0.1"), Some(Lang::En));
        assert_eq!(negotiate(""), None);
        assert_eq!(negotiate("*"), None);
    }

    #[test]
    fn dates_and_numbers_per_language() {
        let d = NaiveDate::from_ymd_opt(2010, 3, 14).unwrap_or_default();
        assert_eq!(Lang::En.date(d), "Mar 14, 2010");
        assert_eq!(Lang::Es.date(d), "14 mar 2010");
        let m = NaiveDate::from_ymd_opt(2025, 5, 1).unwrap_or_default();
        assert_eq!(Lang::En.month_year(m), "May 2025");
        assert_eq!(Lang::Es.month_year(m), "mayo de 2025");
        // Every month has a name in both languages (no id leaks through).
        for month in 1..=12 {
            let d = NaiveDate::from_ymd_opt(2026, month, 1).unwrap_or_default();
            for lang in Lang::ALL {
                assert!(!lang.date(d).contains("month-"), "{lang:?} {month}");
                assert!(!lang.month_year(d).contains("month-"), "{lang:?} {month}");
            }
        }
        let t = DateTime::parse_from_rfc3339("2026-01-07T13:05:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(Lang::En.date_time(&t), "Jan 7, 2026, 13:05 UTC");
        assert_eq!(Lang::Es.date_time(&t), "7 ene 2026, 13:05 UTC");
        assert_eq!(Lang::En.number(12902), "12,902");
        assert_eq!(Lang::Es.number(1_000_000), "1,000,000");
        assert_eq!(Lang::En.number(-1234), "-1,234");
        assert_eq!(Lang::En.number(999), "999");
        assert_eq!(Lang::En.number(0), "0");
    }

    #[test]
    fn cookies() {
        assert_eq!(from_cookie("a=b; lang=es; c=d"), Some(Lang::Es));
        assert_eq!(from_cookie("xlang=es"), None);
        assert_eq!(from_cookie("lang=zz"), None);
    }

    #[test]
    fn lookup_and_args() {
        assert_eq!(Lang::Es.t("nav-search"), "Buscar");
        assert_eq!(Lang::En.t("nav-search"), "Search");
        assert_eq!(Lang::En.t("no-such-id"), "no-such-id");
        assert_eq!(
            Lang::Es.t_args("task-open", &[("task", "Buscar")]),
            "Abrir Buscar"
        );
    }
}
