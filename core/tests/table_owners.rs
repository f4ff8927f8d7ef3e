//! Every table of the phone's database has one owner: the files of one feature. This test reads
//! core's sources and fails when a table's name appears in SQL (after FROM, INTO, UPDATE, JOIN
//! or TABLE) in any other file, so a feature that needs another's data calls its functions.
//! Migrations (`storage/migrations/*.sql`, and the runner's tests in `storage/schema.rs`) define
//! every table and are exempt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Table -> the source paths (relative to `core/src/`, a trailing `/` meaning a folder) allowed
/// to name it in SQL.
fn owners() -> BTreeMap<&'static str, Vec<&'static str>> {
    BTreeMap::from([
        ("device", vec!["storage/clock.rs"]),
        ("hlc_state", vec!["storage/clock.rs"]),
        // The clock's correction columns live in this row too; `storage/clock.rs` reads them.
        ("sync_state", vec!["account/db.rs", "storage/clock.rs"]),
        ("drafts", vec!["drafts/store.rs", "drafts/db.rs", "drafts/photos.rs"]),
        ("field_versions", vec!["drafts/store.rs", "drafts/db.rs", "drafts/photos/"]),
        ("photos", vec!["drafts/photos.rs", "drafts/photos/"]),
        ("draft_photos", vec!["drafts/photos.rs", "drafts/photos/"]),
        ("outbox", vec!["outbox/"]),
        ("orders", vec!["orders/db.rs"]),
        ("stock_entries", vec!["stock/db.rs"]),
        ("remote_docs", vec!["documents/db.rs"]),
        ("conflicts", vec!["conflicts/db.rs"]),
        ("sweep_marks", vec!["replica/sweep.rs"]),
        ("uploads", vec!["uploads/db.rs"]),
        ("review_cache", vec!["review_cache/db.rs"]),
        ("mentees", vec!["mentees/db.rs"]),
        ("sync_tally", vec!["replica/tally.rs"]),
    ])
}

const EXEMPT: &[&str] = &["storage/schema.rs"];
const KEYWORDS: &[&str] = &["from", "into", "update", "join", "table"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The tables named right after an SQL keyword in `text`.
fn tables_named(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .collect();
    words.windows(2).filter(|w| KEYWORDS.contains(&w[0].as_str())).map(|w| w[1].clone()).collect()
}

/// The string literals of a source file, each with the line it starts on (escapes honoured;
/// SQL sits in literals, and comments and code around them name no tables).
fn string_literals(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    let (mut line, mut current, mut start) = (1, None::<String>, 0);
    let mut chars = text.chars().peekable();
    let mut prev = ' ';
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (Some(lit), '\\') => {
                lit.push(c);
                if let Some(next) = chars.next() {
                    lit.push(next);
                }
            }
            (Some(_), '"') => out.push((start, current.take().unwrap())),
            (Some(lit), _) => lit.push(c),
            // A '"' char literal is not a string.
            (None, '"') if prev != '\'' => {
                current = Some(String::new());
                start = line;
            }
            (None, '/') if chars.peek() == Some(&'/') => {
                // A comment: skip to the end of the line.
                for n in chars.by_ref() {
                    if n == '\n' {
                        line += 1;
                        break;
                    }
                }
                prev = '\n';
                continue;
            }
            _ => {}
        }
        if c == '\n' {
            line += 1;
        }
        prev = c;
    }
    out
}

fn allowed(file: &str, owners: &[&str]) -> bool {
    owners.iter().any(|o| if o.ends_with('/') { file.starts_with(o) } else { file == *o })
}

#[test]
fn no_table_is_touched_in_sql_outside_its_owner() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let owners = owners();
    let mut violations = vec![];
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap().to_string_lossy().replace('\\', "/");
        if EXEMPT.contains(&rel.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, literal) in string_literals(&text) {
            for table in tables_named(&literal) {
                if let Some((name, files)) = owners.get_key_value(table.as_str()) {
                    *seen.entry(name).or_default() += 1;
                    if !allowed(&rel, files) {
                        violations.push(format!("{rel}:{line}: `{table}` belongs to {files:?}"));
                    }
                }
            }
        }
    }
    assert!(violations.is_empty(), "tables touched outside their owner:\n{}", violations.join("\n"));
    // The scan must see every table, or it proves nothing.
    for table in owners.keys() {
        assert!(seen.contains_key(table), "the scan found no SQL on `{table}`: is the test still reading the sources?");
    }
}

#[test]
fn the_scan_finds_a_table_named_in_sql() {
    assert_eq!(tables_named(r#""SELECT body FROM orders WHERE id = ?1""#), vec!["orders"]);
    assert_eq!(tables_named(r#""INSERT OR REPLACE INTO remote_docs (kind) VALUES (?1)""#), vec!["remote_docs"]);
    assert_eq!(tables_named(r#""UPDATE drafts SET title = ?1""#), vec!["drafts"]);
    let src = "let a = '\"'; // FROM orders\nconn.execute(\"SELECT x\n  FROM conflicts WHERE a = \\\"b\\\"\", [])";
    let lits = string_literals(src);
    assert_eq!(lits.len(), 1, "{lits:?}");
    assert_eq!((lits[0].0, tables_named(&lits[0].1)), (2, vec!["conflicts".to_string()]));
    assert!(allowed("outbox/mod.rs", &["outbox/"]));
    assert!(!allowed("replica/apply.rs", &["orders/db.rs"]));
}
