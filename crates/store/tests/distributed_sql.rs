#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Keeps the schema and the store's SQL inside the distributed-safe PostgreSQL subset that
//! docs/scaling.md relies on (Citus: record tables distributed by child), and keeps the table
//! placement list in that document complete.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// SQL text without `--` comments, upper-cased, whitespace collapsed.
fn normalised(sql: &str) -> String {
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// What Citus cannot distribute (or what our design forbids for it), as found in SQL text.
fn forbidden_in(sql: &str) -> Vec<&'static str> {
    let s = normalised(sql);
    let words = [
        ("SERIAL", "serial column"),
        ("BIGSERIAL", "serial column"),
        ("SMALLSERIAL", "serial column"),
        ("NEXTVAL", "sequence"),
        ("IDENTITY", "identity column"),
        ("REFERENCES", "foreign key"),
        ("LISTEN", "LISTEN"),
        ("NOTIFY", "NOTIFY"),
        ("PG_ADVISORY_LOCK", "advisory lock"),
        ("PG_ADVISORY_XACT_LOCK", "advisory lock"),
        ("PG_TRY_ADVISORY_LOCK", "advisory lock"),
    ];
    let phrases = [
        ("CREATE SEQUENCE", "sequence"),
        ("CREATE TRIGGER", "trigger"),
        ("CREATE FUNCTION", "function"),
        ("CREATE OR REPLACE FUNCTION", "function"),
        ("CREATE RULE", "rule"),
        ("CREATE OR REPLACE RULE", "rule"),
    ];
    let mut out: Vec<&'static str> = words
        .iter()
        .filter(|(w, _)| has_word(&s, w))
        .map(|(_, why)| *why)
        .collect();
    out.extend(
        phrases
            .iter()
            .filter(|(p, _)| s.contains(p))
            .map(|(_, why)| *why),
    );
    out
}

fn pg_migrations() -> Vec<(String, String)> {
    let dir = root().join("crates/store/migrations/postgres");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// Tables created by the migrations, with their column names (lower case).
fn tables() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (_, sql) in pg_migrations() {
        let s = normalised(&sql);
        for part in s.split("CREATE TABLE ").skip(1) {
            let part = part.strip_prefix("IF NOT EXISTS ").unwrap_or(part);
            let name = part.split([' ', '(']).next().unwrap().to_lowercase();
            // Column definitions: the top-level comma-separated items of the parenthesis.
            let body = part.split_once('(').map(|(_, b)| b).unwrap_or("");
            let mut depth = 0;
            let mut item = String::new();
            let mut cols = BTreeSet::new();
            let mut push = |item: &str| {
                let first = item.split_whitespace().next().unwrap_or("");
                let keyword = [
                    "PRIMARY",
                    "UNIQUE",
                    "CHECK",
                    "CONSTRAINT",
                    "FOREIGN",
                    "EXCLUDE",
                ]
                .contains(&first);
                if !first.is_empty() && !keyword {
                    cols.insert(first.to_lowercase());
                }
            };
            for c in body.chars() {
                match c {
                    '(' => {
                        depth += 1;
                        item.push(c);
                    }
                    ')' if depth == 0 => break,
                    ')' => {
                        depth -= 1;
                        item.push(c);
                    }
                    ',' if depth == 0 => {
                        push(&item);
                        item.clear();
                    }
                    _ => item.push(c),
                }
            }
            push(&item);
            out.entry(name).or_default().extend(cols);
        }
        for part in s.split("ALTER TABLE ").skip(1) {
            let mut words = part.split_whitespace();
            let name = words.next().unwrap_or("").to_lowercase();
            let rest: Vec<&str> = words.take(4).collect();
            if let ["ADD", "COLUMN", col, ..] = rest.as_slice() {
                out.entry(name).or_default().insert(col.to_lowercase());
            }
        }
    }
    out
}

/// The placement table of docs/scaling.md: table name -> placement.
fn documented_placement() -> BTreeMap<String, String> {
    let doc = std::fs::read_to_string(root().join("docs/scaling.md")).unwrap();
    let section = doc
        .split("## Table placement under Citus")
        .nth(1)
        .expect("docs/scaling.md has a 'Table placement under Citus' section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l
                .trim()
                .trim_matches('|')
                .split('|')
                .map(str::trim)
                .collect();
            match cells.as_slice() {
                [table, placement]
                    if !table.is_empty() && *table != "table" && !table.starts_with("---") =>
                {
                    Some((table.to_string(), placement.to_string()))
                }
                _ => None,
            }
        })
        .collect()
}

#[test]
fn migrations_use_only_the_distributed_safe_subset() {
    for (file, sql) in pg_migrations() {
        let found = forbidden_in(&sql);
        assert!(found.is_empty(), "{file}: {found:?}");
    }
}

#[test]
fn store_sql_uses_no_locks_or_notifications_citus_cannot_route() {
    let dir = root().join("crates/store/src");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap().to_uppercase();
        for bad in [
            "PG_ADVISORY",
            "PG_TRY_ADVISORY",
            "NEXTVAL(",
            "LISTEN ",
            "NOTIFY ",
        ] {
            assert!(!src.contains(bad), "{}: uses {bad}", p.display());
        }
    }
}

#[test]
fn every_table_has_a_documented_placement() {
    let tables = tables();
    assert!(tables.contains_key("state_records"), "{tables:?}");
    let placement = documented_placement();
    let allowed = [
        "distributed by child_id",
        "distributed by id",
        "reference",
        "coordinator",
    ];
    for (table, place) in &placement {
        assert!(
            allowed.contains(&place.as_str()),
            "{table}: unknown placement {place:?}"
        );
        assert!(
            tables.contains_key(table),
            "docs/scaling.md lists {table}, which no migration creates"
        );
    }
    for (table, cols) in &tables {
        let place = placement.get(table).unwrap_or_else(|| {
            panic!("table {table} is not in the placement list of docs/scaling.md")
        });
        if place == "distributed by child_id" {
            assert!(
                cols.contains("child_id"),
                "{table} is listed as distributed by child_id but has no child_id column"
            );
        }
    }
}

#[test]
fn the_checks_catch_what_they_should() {
    assert_eq!(
        forbidden_in("CREATE TABLE t (id BIGSERIAL PRIMARY KEY)"),
        vec!["serial column"]
    );
    assert_eq!(
        forbidden_in("CREATE TABLE t (x TEXT REFERENCES children(id))"),
        vec!["foreign key"]
    );
    assert_eq!(
        forbidden_in("CREATE TRIGGER t AFTER INSERT ON x"),
        vec!["trigger"]
    );
    assert!(forbidden_in("-- a comment mentioning NOTIFY\nSELECT 1").is_empty());
    assert!(forbidden_in("CREATE TABLE listeners (listened_at TEXT)").is_empty());
}
