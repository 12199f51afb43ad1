#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Both locales define exactly the same messages, and templates only use defined ones.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use fluent_syntax::ast::Entry;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn ftl_files(lang: &str) -> Vec<PathBuf> {
    let dir = crate_dir().join("locales").join(lang);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ftl"))
        .collect();
    files.sort();
    files
}

fn message_ids(lang: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let files = ftl_files(lang);
    assert!(!files.is_empty(), "no .ftl files for {lang}");
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        let res = fluent_syntax::parser::parse(src.as_str())
            .unwrap_or_else(|(_, errs)| panic!("{}: {errs:?}", f.display()));
        for entry in res.body {
            match entry {
                Entry::Message(m) => {
                    assert!(
                        m.value.is_some(),
                        "{}: {} has no value",
                        f.display(),
                        m.id.name
                    );
                    assert!(ids.insert(m.id.name.to_owned()), "duplicate {}", m.id.name);
                }
                Entry::Term(t) => {
                    assert!(
                        ids.insert(format!("-{}", t.id.name)),
                        "duplicate -{}",
                        t.id.name
                    );
                }
                Entry::Junk { content } => panic!("{}: junk {content:?}", f.display()),
                _ => {}
            }
        }
    }
    ids
}

#[test]
fn locales_define_the_same_ids() {
    let en = message_ids("en");
    let es = message_ids("es");
    let only_en: Vec<_> = en.difference(&es).collect();
    let only_es: Vec<_> = es.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_es.is_empty(),
        "only en: {only_en:?}; only es: {only_es:?}"
    );
    // Same file set too.
    let names = |l| {
        ftl_files(l)
            .iter()
            .map(|p| p.file_name().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names("en"), names("es"));
}

fn templates(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            templates(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every literal `t("id")` / `t1("id", ...)` in the templates names a defined message, and
/// the templates contain no visible text outside of Fluent lookups.
#[test]
fn templates_use_defined_ids_only() {
    let en = message_ids("en");
    let mut files = Vec::new();
    templates(&crate_dir().join("templates"), &mut files);
    assert!(!files.is_empty());
    let mut used = 0;
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap();
        for call in [".t(\"", ".t1(\""] {
            for rest in src.split(call).skip(1) {
                let id = rest.split('"').next().unwrap();
                assert!(en.contains(id), "{}: unknown message id {id}", f.display());
                used += 1;
            }
        }
        // Attributes that are read out (title, alt, aria-label, placeholder) are translated.
        for attr in [
            "title=\"",
            "alt=\"",
            "aria-label=\"",
            "placeholder=\"",
            "value=\"",
        ] {
            for rest in src.split(attr).skip(1) {
                let value = rest.split('"').next().unwrap();
                assert!(
                    value.is_empty() || value.starts_with("{{"),
                    "{}: hard-coded {attr}{value}\"",
                    f.display()
                );
            }
        }
        // Strip tags and template expressions; what remains would be hard-coded text.
        let mut text = String::new();
        let mut depth = 0i32;
        let mut chars = src.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                '{' if matches!(chars.peek(), Some('{' | '%' | '#')) => depth += 1,
                '}' | '%' | '#' if depth > 0 && chars.peek() == Some(&'}') => {
                    chars.next();
                    depth -= 1;
                }
                _ if depth == 0 => text.push(c),
                _ => {}
            }
        }
        let leftover: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            leftover.chars().all(|c| !c.is_alphabetic()),
            "{}: hard-coded text {leftover:?}",
            f.display()
        );
    }
    assert!(used > 20);
}
