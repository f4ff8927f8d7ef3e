//! The store's PostgreSQL migrations (issue 13 item 1, ADR 0029) against its SQLite ones, on a
//! real PostgreSQL (`common::pg`) and through the real `fundi-depot migrate`: both series
//! migrated fresh give the same catalog (tables, columns in order with their type family, NOT
//! NULL and default, primary keys, unique constraints, indexes by name, foreign keys, CHECK
//! constraints by the columns they read, triggers); the two series have the same files; the
//! data steps of 003, 004 and 014 write the same rows; what the catalog cannot show (the triggers
//! of 013 refusing, CHECK, foreign keys, UNIQUE and NOT NULL refusing, identities numbering as
//! rowids do) behaves the same; `migrate --database` says and exits as `--data-dir` does,
//! refuses a newer database untouched, and two of it started at once on one database both
//! succeed, one after the other under the advisory lock.
//!
//! A fresh SQLite store is an empty `depot.db` (an empty file is an empty SQLite database:
//! version 0, as an empty PostgreSQL database is); `migrate --data-dir` refuses a directory
//! with no store at all.

mod common;
use common::pg::{connect, fresh_database};
use common::BIN;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `store::pg_schema::MIGRATION_LOCK`, the advisory lock `migrate` takes.
const MIGRATION_LOCK: i64 = 0x6675_6E64_6900_0001;

fn migrations_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store/migrations").join(kind)
}

/// The files of one series, sorted by name.
fn series(kind: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(migrations_dir(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
}

/// The schema version the depot writes: the number of migrations.
fn end_version() -> u32 {
    series("postgres").len() as u32
}

fn depot(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `migrate --database url` (with `extra`), which must exit with `code`: what it printed.
fn migrate_pg(url: &str, extra: &[&str], code: i32) -> String {
    let out = depot(&[&["migrate", "--database", url], extra].concat());
    assert_eq!(out.status.code(), Some(code), "migrate --database {extra:?}: {out:?}");
    stdout(&out)
}

/// A new SQLite store at version 0 in a new directory, migrated by `migrate --data-dir`.
fn migrated_sqlite() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("depot.db");
    std::fs::write(&db, b"").unwrap();
    let out = depot(&["migrate", "--data-dir", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "migrate --data-dir: {out:?}");
    assert!(stdout(&out).contains(&format!("from schema version 0 to {}", end_version())), "{out:?}");
    (dir, db)
}

/// A new PostgreSQL database migrated by `migrate --database`: its URL.
fn migrated_pg(prefix: &str) -> String {
    let url = fresh_database(prefix);
    let said = migrate_pg(&url, &[], 0);
    assert!(said.contains(&format!("from schema version 0 to {}", end_version())), "{said}");
    url
}

fn pg_version(client: &mut postgres::Client) -> Option<i64> {
    let exists: bool = client.query_one("SELECT to_regclass('schema_version') IS NOT NULL", &[]).unwrap().get(0);
    exists.then(|| client.query_one("SELECT version FROM schema_version", &[]).unwrap().get(0))
}

// ---- The catalogs, each rendered as a set of lines that mean the same on both ----------------

/// One line per fact: `table T`, `T column N name: family [not null] [default D]`,
/// `T primary key (..)`, `T unique (..)`, `T index NAME [unique] (..) [where P]`,
/// `T foreign key (..) references R (..) on update A on delete A`, `T check on (..)`,
/// `T trigger NAME before update`. Unique constraints are compared by their columns, since
/// their indexes are named by each database (`sqlite_autoindex_devices_1`, `devices_token_hash_key`);
/// a CHECK by the columns its expression reads, since PostgreSQL rewrites the expression
/// (`x BETWEEN 0 AND 1` is `(x >= 0) AND (x <= 1)`).
type Catalog = BTreeSet<String>;

/// A primary key implies NOT NULL: on PostgreSQL always, on SQLite for the rowid and WITHOUT
/// ROWID keys, and SQLite's one exception (a rowid table's TEXT key without NOT NULL, which
/// may hold NULL: 007's two `id TEXT PRIMARY KEY`) is one the store never uses.
fn column_line(table: &str, n: usize, name: &str, family: &str, not_null: bool, default: Option<String>) -> String {
    let mut line = format!("{table} column {n:02} {name}: {family}");
    if not_null {
        line += " not null";
    }
    if let Some(d) = default {
        line += &format!(" default {}", normalize_default(&d));
    }
    line
}

/// `'0'::bigint` and `0` alike: casts and quotes around a number dropped.
fn normalize_default(d: &str) -> String {
    let mut d = d.trim();
    while let Some((value, cast)) = d.rsplit_once("::") {
        if cast.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '_') {
            d = value.trim();
        } else {
            break;
        }
    }
    let unquoted = d.trim_matches('\'');
    if unquoted.parse::<f64>().is_ok() {
        return unquoted.to_string();
    }
    d.to_string()
}

/// A partial index's predicate, compared without whitespace, parentheses, casts or case
/// (PostgreSQL parenthesizes and casts what it stores).
fn normalize_predicate(p: &str) -> String {
    let p = p.replace("::text", "").replace("::bigint", "");
    p.chars().filter(|c| !c.is_whitespace() && *c != '(' && *c != ')').collect::<String>().to_lowercase()
}

fn joined(cols: &[String]) -> String {
    cols.join(", ")
}

/// SQL text with its comments removed and its string literals emptied (`''`), so that a word
/// in either is not taken for a keyword or a column.
fn code_only(sql: &str) -> String {
    let mut out = String::new();
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '\'' => {
                while let Some(c) = chars.next() {
                    if c == '\'' {
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                        } else {
                            break;
                        }
                    }
                }
                out.push_str("''");
            }
            c => out.push(c),
        }
    }
    out
}

fn identifiers(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// The CHECK constraints of a SQLite table's `CREATE TABLE`, each as the sorted columns it reads.
fn sqlite_checks(create: &str, columns: &[String]) -> Vec<Vec<String>> {
    let code = code_only(create);
    let upper = code.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut checks = vec![];
    let mut from = 0;
    while let Some(at) = upper[from..].find("CHECK").map(|i| i + from) {
        from = at + 5;
        if (at > 0 && word(bytes[at - 1])) || bytes.get(at + 5).is_some_and(|&b| word(b)) {
            continue;
        }
        let open = at + 5 + upper[at + 5..].find('(').expect("CHECK (");
        let (mut depth, mut close) = (0, open);
        for (i, b) in bytes.iter().enumerate().skip(open) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        close = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let read: BTreeSet<String> = identifiers(&code[open..close]).into_iter().filter(|w| columns.contains(w)).collect();
        checks.push(read.into_iter().collect());
    }
    checks
}

/// SQLite's type affinity of a declared type (the rules of its "Datatypes" page, in order).
fn sqlite_family(declared: &str) -> String {
    let d = declared.to_uppercase();
    let family = if d.contains("INT") {
        "integer"
    } else if d.contains("CHAR") || d.contains("CLOB") || d.contains("TEXT") {
        "text"
    } else if d.contains("BLOB") || d.is_empty() {
        "blob"
    } else if d.contains("REAL") || d.contains("FLOA") || d.contains("DOUB") {
        "real"
    } else {
        "numeric"
    };
    family.to_string()
}

/// The PostgreSQL types of the conventions, by family; any other shows as itself (and differs).
fn pg_family(data_type: &str) -> String {
    match data_type {
        "bigint" => "integer".to_string(),
        "text" => "text".to_string(),
        "bytea" => "blob".to_string(),
        "double precision" => "real".to_string(),
        other => format!("{other} (not BIGINT, TEXT, BYTEA or DOUBLE PRECISION)"),
    }
}

struct SqliteCatalog {
    lines: Catalog,
    /// Tables whose key is SQLite's rowid (`INTEGER PRIMARY KEY` of a rowid table): `table.column`.
    rowid_aliases: BTreeSet<String>,
}

fn sqlite_catalog(conn: &rusqlite::Connection) -> SqliteCatalog {
    let mut lines = Catalog::new();
    let mut rowid_aliases = BTreeSet::new();
    let strings = |sql: &str, arg: &str| -> Vec<Vec<Option<String>>> {
        let mut s = conn.prepare(sql).unwrap();
        let n = s.column_count();
        s.query_map([arg], |r| (0..n).map(|i| r.get::<_, rusqlite::types::Value>(i)).collect::<Result<Vec<_>, _>>())
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .into_iter()
                    .map(|v| match v {
                        rusqlite::types::Value::Null => None,
                        rusqlite::types::Value::Integer(i) => Some(i.to_string()),
                        rusqlite::types::Value::Text(t) => Some(t),
                        other => Some(format!("{other:?}")),
                    })
                    .collect()
            })
            .collect()
    };
    let tables = strings("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND ?1 = ?1", "");
    for t in &tables {
        let (table, create) = (t[0].clone().unwrap(), t[1].clone().unwrap());
        lines.insert(format!("table {table}"));
        let columns =
            strings("SELECT cid, name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1) ORDER BY cid", &table);
        let mut pk = vec![];
        let names: Vec<String> = columns.iter().map(|c| c[1].clone().unwrap().to_lowercase()).collect();
        for c in &columns {
            let name = c[1].clone().unwrap();
            let key: i64 = c[5].as_ref().unwrap().parse().unwrap();
            let not_null = c[3].as_deref() == Some("1") || key > 0;
            let family = sqlite_family(c[2].as_deref().unwrap_or(""));
            lines.insert(column_line(&table, c[0].as_ref().unwrap().parse().unwrap(), &name, &family, not_null, c[4].clone()));
            if key > 0 {
                pk.push((key, name, c[2].clone().unwrap_or_default()));
            }
        }
        pk.sort();
        if !pk.is_empty() {
            let cols: Vec<String> = pk.iter().map(|(_, n, _)| n.clone()).collect();
            lines.insert(format!("{table} primary key ({})", joined(&cols)));
        }
        if pk.len() == 1
            && pk[0].2.eq_ignore_ascii_case("INTEGER")
            && !code_only(&create).to_uppercase().contains("WITHOUT ROWID")
        {
            rowid_aliases.insert(format!("{table}.{}", pk[0].1));
        }
        for idx in strings("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)", &table) {
            let name = idx[0].clone().unwrap();
            let cols: Vec<String> = strings("SELECT name FROM pragma_index_info(?1) ORDER BY seqno", &name)
                .into_iter()
                .map(|r| r[0].clone().unwrap())
                .collect();
            match idx[2].as_deref().unwrap() {
                "pk" => {}
                "u" => {
                    lines.insert(format!("{table} unique ({})", joined(&cols)));
                }
                _ => {
                    let unique = if idx[1].as_deref() == Some("1") { " unique" } else { "" };
                    let mut line = format!("{table} index {name}{unique} ({})", joined(&cols));
                    if idx[3].as_deref() == Some("1") {
                        let sql = strings("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1", &name)[0][0]
                            .clone()
                            .unwrap();
                        let at = sql.to_uppercase().rfind(" WHERE ").expect("a partial index's WHERE");
                        line += &format!(" where {}", normalize_predicate(&sql[at + 7..]));
                    }
                    lines.insert(line);
                }
            }
        }
        let mut fks: BTreeMap<String, Vec<Vec<Option<String>>>> = BTreeMap::new();
        for fk in strings(
            "SELECT id, seq, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
            &table,
        ) {
            fks.entry(fk[0].clone().unwrap()).or_default().push(fk);
        }
        for fk in fks.values() {
            let from: Vec<String> = fk.iter().map(|r| r[3].clone().unwrap()).collect();
            let to: Vec<String> = fk.iter().map(|r| r[4].clone().expect("a foreign key names its columns")).collect();
            let (on_update, on_delete) = (fk[0][5].clone().unwrap().to_lowercase(), fk[0][6].clone().unwrap().to_lowercase());
            lines.insert(format!(
                "{table} foreign key ({}) references {} ({}) on update {on_update} on delete {on_delete}",
                joined(&from),
                fk[0][2].clone().unwrap(),
                joined(&to)
            ));
        }
        for check in sqlite_checks(&create, &names) {
            lines.insert(format!("{table} check on ({})", joined(&check)));
        }
    }
    for t in strings("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND ?1 = ?1", "") {
        let sql = code_only(t[2].as_deref().unwrap()).to_lowercase();
        let words = identifiers(&sql);
        let at = words.iter().position(|w| ["before", "after", "instead"].contains(&w.as_str())).expect("a trigger's timing");
        let (timing, event) =
            if words[at] == "instead" { ("instead of", &words[at + 2]) } else { (words[at].as_str(), &words[at + 1]) };
        lines.insert(format!("{} trigger {} {timing} {event}", t[1].clone().unwrap(), t[0].clone().unwrap()));
    }
    SqliteCatalog { lines, rowid_aliases }
}

struct PgCatalog {
    lines: Catalog,
    /// Identity columns: `table.column`.
    identities: BTreeSet<String>,
}

/// The columns of an array of attribute numbers, in its order.
const ATTNAMES: &str = "ARRAY(SELECT a.attname::text FROM unnest({keys}) WITH ORDINALITY k(n, i)
                         JOIN pg_attribute a ON a.attrelid = {rel} AND a.attnum = k.n ORDER BY k.i)";

fn attnames(keys: &str, rel: &str) -> String {
    ATTNAMES.replace("{keys}", keys).replace("{rel}", rel)
}

fn pg_catalog(client: &mut postgres::Client) -> PgCatalog {
    let mut lines = Catalog::new();
    let mut identities = BTreeSet::new();
    let ours = "t.relnamespace = current_schema()::regnamespace AND t.relname <> 'schema_version'";
    for r in client
        .query(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_version'",
            &[],
        )
        .unwrap()
    {
        lines.insert(format!("table {}", r.get::<_, String>(0)));
    }
    let mut columns: BTreeMap<String, Vec<(i32, String, String, bool, Option<String>, bool)>> = BTreeMap::new();
    for r in client
        .query(
            "SELECT table_name::text, ordinal_position::int, column_name::text, data_type::text, is_nullable::text = 'NO',
                    column_default::text, is_identity::text = 'YES'
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'schema_version'",
            &[],
        )
        .unwrap()
    {
        columns.entry(r.get(0)).or_default().push((r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6)));
    }
    for (table, mut cols) in columns {
        // Positions count from 0 as SQLite's `cid` does, without the gaps a dropped column leaves.
        cols.sort();
        for (n, (_, name, data_type, not_null, default, identity)) in cols.into_iter().enumerate() {
            lines.insert(column_line(&table, n, &name, &pg_family(&data_type), not_null, default));
            if identity {
                identities.insert(format!("{table}.{name}"));
            }
        }
    }
    let constraints = format!(
        "SELECT t.relname::text, c.contype::text, {}, COALESCE(f.relname::text, ''), {}, c.confupdtype::text, c.confdeltype::text
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class f ON f.oid = c.confrelid
         WHERE {ours}",
        attnames("c.conkey", "c.conrelid"),
        attnames("c.confkey", "c.confrelid"),
    );
    let action = |a: &str| match a {
        "a" => "no action",
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        other => panic!("foreign key action {other:?}"),
    };
    for r in client.query(&constraints, &[]).unwrap() {
        let (table, kind, cols): (String, String, Vec<String>) = (r.get(0), r.get(1), r.get(2));
        match kind.as_str() {
            "p" => lines.insert(format!("{table} primary key ({})", joined(&cols))),
            "u" => lines.insert(format!("{table} unique ({})", joined(&cols))),
            "c" => {
                let mut cols = cols;
                cols.sort();
                cols.dedup();
                lines.insert(format!("{table} check on ({})", joined(&cols)))
            }
            "f" => lines.insert(format!(
                "{table} foreign key ({}) references {} ({}) on update {} on delete {}",
                joined(&cols),
                r.get::<_, String>(3),
                joined(&r.get::<_, Vec<String>>(4)),
                action(&r.get::<_, String>(5)),
                action(&r.get::<_, String>(6)),
            )),
            other => lines.insert(format!("{table} constraint of kind {other} (none in SQLite)")),
        };
    }
    let indexes = format!(
        "SELECT t.relname::text, i.relname::text, ix.indisunique, pg_get_expr(ix.indpred, ix.indrelid), {}
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
         WHERE {ours} AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                      WHERE c.conindid = ix.indexrelid AND c.conrelid = ix.indrelid AND c.contype IN ('p', 'u', 'x'))",
        attnames("ix.indkey::int2[]", "ix.indrelid"),
    );
    for r in client.query(&indexes, &[]).unwrap() {
        let (table, name, unique, predicate, cols): (String, String, bool, Option<String>, Vec<String>) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let unique = if unique { " unique" } else { "" };
        let mut line = format!("{table} index {name}{unique} ({})", joined(&cols));
        if let Some(p) = predicate {
            line += &format!(" where {}", normalize_predicate(&p));
        }
        lines.insert(line);
    }
    for r in client
        .query(
            "SELECT event_object_table::text, trigger_name::text, lower(action_timing::text), lower(event_manipulation::text),
                    action_orientation::text
             FROM information_schema.triggers WHERE trigger_schema = current_schema()",
            &[],
        )
        .unwrap()
    {
        let per = if r.get::<_, String>(4) == "ROW" { "" } else { " for each statement" };
        lines.insert(format!(
            "{} trigger {} {} {}{per}",
            r.get::<_, String>(0),
            r.get::<_, String>(1),
            r.get::<_, String>(2),
            r.get::<_, String>(3)
        ));
    }
    PgCatalog { lines, identities }
}

/// The lines only in `a` (`- `) and only in `b` (`+ `), or None when the two are the same.
fn diff(a: &Catalog, b: &Catalog) -> Option<String> {
    let mut out = String::new();
    for l in a.difference(b) {
        out += &format!("- {l}\n");
    }
    for l in b.difference(a) {
        out += &format!("+ {l}\n");
    }
    (!out.is_empty()).then_some(out)
}

// ---- The tests ---------------------------------------------------------------------------------

/// Both series migrated fresh by the real command give the same catalog.
#[test]
fn a_fresh_postgresql_store_has_the_sqlite_stores_catalog() {
    let (_dir, db) = migrated_sqlite();
    let url = migrated_pg("lockstep");

    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    let mut client = connect(&url);
    assert_eq!((version, pg_version(&mut client)), (end_version(), Some(i64::from(end_version()))));

    let sqlite = sqlite_catalog(&conn);
    let pg = pg_catalog(&mut client);
    if let Some(d) = diff(&sqlite.lines, &pg.lines) {
        panic!("the catalogs differ (- only on SQLite, + only on PostgreSQL):\n{d}");
    }
    // The catalog is not empty by a mistake of its own (every kind of line is there).
    for kind in [" column ", " primary key ", " unique ", " index ", " foreign key ", " check on ", " trigger "] {
        assert!(sqlite.lines.iter().any(|l| l.contains(kind)), "no{kind}line: {:#?}", sqlite.lines);
    }
    assert!(sqlite.lines.len() > 200, "{} lines", sqlite.lines.len());
    // An identity numbers rows the store inserts without a key, as SQLite's rowid does: only
    // such columns may be one.
    let stray: Vec<_> = pg.identities.difference(&sqlite.rowid_aliases).collect();
    assert!(stray.is_empty(), "identities that are no rowid on SQLite: {stray:?}");
    assert!(!pg.identities.is_empty());
}

/// The two series have the same files (numbers and names), and each runner includes every
/// file of its own series, in order.
#[test]
fn the_two_series_have_the_same_files_and_their_runners_include_them_all() {
    let names = |kind: &str| -> Vec<String> {
        series(kind).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect()
    };
    let (sqlite, pg) = (names("sqlite"), names("postgres"));
    assert_eq!(sqlite, pg);
    for (i, name) in sqlite.iter().enumerate() {
        assert!(name.starts_with(&format!("{:03}_", i + 1)), "{name} is not number {}", i + 1);
    }
    let included = |source: &str, kind: &str| -> Vec<String> {
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(source)).unwrap();
        let prefix = format!("include_str!(\"migrations/{kind}/");
        text.split(&prefix).skip(1).map(|rest| rest.split_once('"').unwrap().0.to_string()).collect()
    };
    assert_eq!(included("src/store/mod.rs", "sqlite"), sqlite);
    assert_eq!(included("src/store/pg_schema.rs", "postgres"), pg);
}

/// `--check` on a fresh database exits 2 and changes nothing; migrating says from which
/// version to which; a second run and `--check` find nothing to do.
#[test]
fn migrating_a_database_twice_migrates_once_and_check_tells_by_its_exit_status() {
    let end = end_version();
    let url = fresh_database("twice");
    let said = migrate_pg(&url, &["--check"], 2);
    assert!(said.contains(&format!("schema version 0; this depot writes {end}: {end} migrations pending")), "{said}");
    let mut client = connect(&url);
    assert_eq!(pg_version(&mut client), None, "--check made the version table");
    assert!(pg_catalog(&mut client).lines.is_empty(), "--check made tables");

    let said = migrate_pg(&url, &[], 0);
    assert_eq!(said.trim(), format!("migrated the store from schema version 0 to {end}"));
    let once = pg_catalog(&mut client).lines;
    for extra in [&[][..], &["--check"]] {
        let said = migrate_pg(&url, extra, 0);
        assert_eq!(said.trim(), format!("the store is at schema version {end}, this depot's: nothing to migrate"), "{extra:?}");
    }
    assert_eq!(pg_version(&mut client), Some(i64::from(end)));
    assert_eq!(pg_catalog(&mut client).lines, once);
}

/// A database written by a newer depot is refused with `newer_schema`, by `migrate` and by
/// `--check`, and left as it was: its version, its tables (one this depot does not know among
/// them) and its rows.
#[test]
fn a_database_at_a_newer_version_is_refused_and_left_untouched() {
    let url = migrated_pg("newer");
    let mut client = connect(&url);
    client
        .batch_execute(
            "UPDATE schema_version SET version = 99;
             CREATE TABLE from_the_future (x BIGINT);
             INSERT INTO meta (id, node, next_seq) VALUES (1, 7, 42);",
        )
        .unwrap();
    let before = pg_catalog(&mut client).lines;
    for extra in [&[][..], &["--check"]] {
        let out = depot(&[&["migrate", "--database", url.as_str()], extra].concat());
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("newer_schema") && err.contains("schema version 99"), "{extra:?}: {err}");
    }
    assert_eq!(pg_version(&mut client), Some(99));
    assert_eq!(diff(&before, &pg_catalog(&mut client).lines), None);
    let meta: (i64, i64) = client.query_one("SELECT node, next_seq FROM meta", &[]).map(|r| (r.get(0), r.get(1))).unwrap();
    assert_eq!(meta, (7, 42));
}

/// The same SQL run on both stores, each with the store's own connection settings.
struct Both<'a> {
    sqlite: &'a rusqlite::Connection,
    pg: &'a mut postgres::Client,
}

impl Both<'_> {
    fn run(&mut self, sql: &str) -> (Result<(), String>, Result<(), (String, String)>) {
        let sqlite = self.sqlite.execute_batch(sql).map_err(|e| e.to_string());
        let pg = self.pg.batch_execute(sql).map_err(|e| {
            let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
            (db.code().code().to_string(), db.message().to_string())
        });
        (sqlite, pg)
    }

    fn taken(&mut self, sql: &str) {
        let (sqlite, pg) = self.run(sql);
        assert!(sqlite.is_ok() && pg.is_ok(), "{sql}\nSQLite: {sqlite:?}\nPostgreSQL: {pg:?}");
    }

    /// Refused by both, PostgreSQL with `sqlstate`; the message (when given) is in both.
    fn refused(&mut self, sql: &str, sqlstate: &str, message: Option<&str>) {
        let (sqlite, pg) = self.run(sql);
        let (Err(sqlite), Err((code, pg))) = (&sqlite, &pg) else {
            panic!("{sql}\nwas taken by one: SQLite {sqlite:?}, PostgreSQL {pg:?}")
        };
        assert_eq!(code, sqlstate, "{sql}: {pg}");
        if let Some(m) = message {
            assert!(sqlite.contains(m) && pg.contains(m), "{sql}\nSQLite: {sqlite}\nPostgreSQL: {pg}");
        }
    }

    fn same(&mut self, sql: &str) -> Vec<String> {
        let mut s = self.sqlite.prepare(sql).unwrap();
        let sqlite: Vec<String> = s.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect();
        let pg: Vec<String> = self.pg.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect();
        assert_eq!(sqlite, pg, "{sql}");
        sqlite
    }
}

/// What the catalog does not show behaves the same on both: 013's triggers refuse an UPDATE and
/// a DELETE with the same message; CHECK, foreign keys, UNIQUE and NOT NULL refuse a bad row;
/// the identities number rows as SQLite's rowid does.
#[test]
fn triggers_checks_keys_and_identities_behave_as_on_sqlite() {
    let (_dir, db) = migrated_sqlite();
    let url = migrated_pg("behaviour");
    // The store's own connection settings (foreign keys on).
    let sqlite = fundi_sqlite::open(&db, &fundi_sqlite::Options { busy_timeout: Duration::from_secs(5) }).unwrap();
    let mut pg = connect(&url);
    let mut both = Both { sqlite: &sqlite, pg: &mut pg };

    both.taken("INSERT INTO exchange_rates VALUES ('USD', '2026-01-01', 1295000, 'ops', 1)");
    both.refused("UPDATE exchange_rates SET kes_per_unit_e4 = 1", "23000", Some("exchange rates are never changed"));
    both.refused("DELETE FROM exchange_rates", "23000", Some("exchange rates are never deleted"));
    // A row trigger: an UPDATE or DELETE that touches no row is no change, on both.
    both.taken("UPDATE exchange_rates SET kes_per_unit_e4 = 1 WHERE currency = 'EUR'");
    both.taken("DELETE FROM exchange_rates WHERE currency = 'GBP'");
    assert_eq!(both.same("SELECT currency || ' ' || kes_per_unit_e4 FROM exchange_rates"), ["USD 1295000"]);

    let ledger = |id: &str| {
        format!(
            "INSERT INTO platform_ledger (id, kind, order_id, amount_minor, currency, sale_minor, sale_currency, kes_per_unit_e4,
                 sale_kes_minor, earning_minor, commission_at_rate_minor, commission_minor, note, at_ms)
             VALUES ('{id}', 'margin', 'o1', 500, 'KES', 3000, 'USD', 1295000, 388500, 300000, 0, 0, NULL, 1)"
        )
    };
    both.taken(&ledger("margin:o1"));
    both.taken(&ledger("margin:o2"));
    both.refused(&ledger("margin:o1"), "23505", None);
    both.refused("UPDATE platform_ledger SET amount_minor = 0", "23000", Some("the platform ledger is append-only"));
    both.refused("DELETE FROM platform_ledger WHERE seq = 1", "23000", Some("the platform ledger is append-only"));
    assert_eq!(both.same("SELECT seq || ' ' || id FROM platform_ledger ORDER BY seq"), ["1 margin:o1", "2 margin:o2"]);

    for _ in 0..2 {
        both.taken("INSERT INTO audit_log (at_ms, account_id, action) VALUES (1, 'a1', 'sign_in')");
        both.taken("INSERT INTO shop_deliveries (at_ms, shop_id, status, code, detail) VALUES (1, 's1', 200, 'ok', '')");
    }
    assert_eq!(both.same("SELECT CAST(id AS TEXT) FROM audit_log ORDER BY id"), ["1", "2"]);
    assert_eq!(both.same("SELECT CAST(id AS TEXT) FROM shop_deliveries ORDER BY id"), ["1", "2"]);

    // CHECK constraints.
    both.refused("INSERT INTO exchange_rates VALUES ('JPY', '2026-01-01', 10000, 'ops', 1)", "23514", None);
    both.refused("INSERT INTO exchange_rates VALUES ('EUR', '2026-01-01', 0, 'ops', 1)", "23514", None);
    both.refused("INSERT INTO commission_rates VALUES ('2026-01-01', 5001, 'ops', 1)", "23514", None);
    both.taken("INSERT INTO commission_rates VALUES ('2026-01-01', 5000, 'ops', 1)");
    both.refused("INSERT INTO order_sales VALUES ('o1', 's1', 0, 'USD', '2026-01-01')", "23514", None);
    both.refused("INSERT INTO meta (id, node, next_seq) VALUES (2, 7, 1)", "23514", None);
    both.refused("INSERT INTO accounts (id, role, name, created_ms) VALUES ('a1', 'king', 'Ann', 1)", "23514", None);
    both.taken("INSERT INTO accounts (id, role, name, created_ms) VALUES ('a1', 'artisan', 'Ann', 1)");
    // Foreign keys, UNIQUE, NOT NULL, the primary key.
    both.refused(
        "INSERT INTO accounts (id, role, name, mentor_id, created_ms) VALUES ('a2', 'artisan', 'Bo', 'nobody', 1)",
        "23503",
        None,
    );
    both.refused("INSERT INTO devices (device_id, account_id, token_hash, token_expires_ms, created_ms) VALUES ('d1', 'nobody', 't1', 1, 1)", "23503", None);
    both.taken(
        "INSERT INTO devices (device_id, account_id, token_hash, token_expires_ms, created_ms) VALUES ('d1', 'a1', 't1', 1, 1)",
    );
    both.refused(
        "INSERT INTO devices (device_id, account_id, token_hash, token_expires_ms, created_ms) VALUES ('d2', 'a1', 't1', 1, 1)",
        "23505",
        None,
    );
    both.refused("DELETE FROM accounts WHERE id = 'a1'", "23503", None);
    both.refused("INSERT INTO records (kind, id, seq, body) VALUES ('draft', 'r1', 1, NULL)", "23502", None);
    both.refused("INSERT INTO accounts (id, role, name, created_ms) VALUES ('a1', 'mentor', 'Ann', 1)", "23505", None);
    assert_eq!(both.same("SELECT CAST(last_counter AS TEXT) || ' ' || resync_floor FROM devices"), ["0 0"]);
}

/// The data steps (003 stamps the records it finds; 004 collects the photo references of the
/// drafts it finds, current and in conflict) write the same rows on both, the files applied
/// one by one onto the same records.
#[test]
fn the_data_steps_of_the_migrations_write_the_same_rows_on_both() {
    let (sqlite_files, pg_files) = (series("sqlite"), series("postgres"));
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let url = fresh_database("datasteps");
    let mut pg = connect(&url);
    let upto = |sqlite: &rusqlite::Connection, pg: &mut postgres::Client, from: usize, to: usize| {
        for (s, p) in sqlite_files[from..to].iter().zip(&pg_files[from..to]) {
            sqlite.execute_batch(&std::fs::read_to_string(s).unwrap()).unwrap();
            let mut tx = pg.transaction().unwrap();
            tx.batch_execute(&std::fs::read_to_string(p).unwrap()).unwrap_or_else(|e| panic!("{}: {e:?}", p.display()));
            tx.commit().unwrap();
        }
    };
    upto(&sqlite, &mut pg, 0, 2);
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let records = [
        (
            "draft",
            "d1",
            format!(
                r#"{{"doc":{{"fields":{{"photos":{{"value":["{a}","short",3,null]}}}},"conflicts":{{"photos":[{{"value":["{b}","{a}"]}},{{"value":"x"}},{{"other":1}}]}}}}}}"#
            ),
        ),
        ("draft", "d2", format!(r#"{{"doc":{{"fields":{{"photos":{{"value":"{b}"}}}}}}}}"#)),
        ("draft", "d3", format!(r#"{{"doc":{{"fields":{{"photos":{{"value":{{"k":"{b}","n":{{"deep":"{a}"}}}}}}}}}}}}"#)),
        ("draft", "d4", "{}".to_string()),
        ("draft", "d5", format!(r#"{{"doc":{{"fields":{{"photos":{{"value":["{a}","{a}"]}}}},"conflicts":{{"photos":[]}}}}}}"#)),
        ("order", "o1", format!(r#"{{"doc":{{"fields":{{"photos":{{"value":["{a}"]}}}}}}}}"#)),
    ];
    for (seq, (kind, id, body)) in records.iter().enumerate() {
        let sql = format!("INSERT INTO records (kind, id, seq, body) VALUES ('{kind}', '{id}', {seq}, '{body}')");
        sqlite.execute_batch(&sql).unwrap();
        pg.batch_execute(&sql).unwrap();
    }
    let started_s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    upto(&sqlite, &mut pg, 2, 4);
    let ended_s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;

    let refs = "SELECT sha256 || ' ' || kind || ' ' || id FROM blob_refs ORDER BY kind, id, sha256";
    let on_sqlite: Vec<String> = sqlite.prepare(refs).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let on_pg: Vec<String> = pg.query(refs, &[]).unwrap().iter().map(|r| r.get(0)).collect();
    assert_eq!(on_sqlite, on_pg);
    assert_eq!(
        on_sqlite,
        [
            format!("{a} draft d1"),
            format!("{b} draft d1"),
            format!("{b} draft d2"),
            format!("{b} draft d3"),
            format!("{a} draft d5")
        ]
    );

    let stamps = "SELECT changed_ms FROM records";
    let on_sqlite: Vec<i64> = sqlite.prepare(stamps).unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    let on_pg: Vec<i64> = pg.query(stamps, &[]).unwrap().iter().map(|r| r.get(0)).collect();
    for ms in on_sqlite.iter().chain(&on_pg) {
        assert!(ms % 1000 == 0 && (started_s * 1000..=ended_s * 1000).contains(ms), "changed_ms {ms}: whole seconds, now");
    }
    assert_eq!((on_sqlite.len(), on_pg.len()), (records.len(), records.len()));
}

/// 014's data step (several depots, ADR 0030) writes the same rows on both: one depot, the
/// default, created now; every artisan, mentor and staff account found in it, operations in
/// none; a depot_id naming no depot refused by its foreign key, and a second depot's name
/// taken already refused as UNIQUE.
#[test]
fn the_depots_data_step_puts_every_account_but_operations_in_the_default_depot_on_both() {
    let (sqlite_files, pg_files) = (series("sqlite"), series("postgres"));
    let at = sqlite_files.iter().position(|f| f.ends_with("014_depots.sql")).expect("migration 014");
    assert!(pg_files[at].ends_with("014_depots.sql"));
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    sqlite.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    let url = fresh_database("depotstep");
    let mut pg = connect(&url);
    let apply = |sqlite: &rusqlite::Connection, pg: &mut postgres::Client, files: std::ops::Range<usize>| {
        for i in files {
            sqlite.execute_batch(&std::fs::read_to_string(&sqlite_files[i]).unwrap()).unwrap();
            pg.batch_execute(&std::fs::read_to_string(&pg_files[i]).unwrap()).unwrap_or_else(|e| panic!("{i}: {e:?}"));
        }
    };
    apply(&sqlite, &mut pg, 0..at);
    let mut both = Both { sqlite: &sqlite, pg: &mut pg };
    for (id, role) in [("a1", "artisan"), ("m1", "mentor"), ("s1", "staff"), ("o1", "operations")] {
        both.taken(&format!("INSERT INTO accounts (id, role, name, created_ms) VALUES ('{id}', '{role}', 'N', 1)"));
    }
    let started_s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    apply(both.sqlite, both.pg, at..at + 1);
    let ended_s = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let default = "00000000-0000-7000-8000-00000000d001";
    assert_eq!(both.same("SELECT id || ' ' || name FROM depots"), [format!("{default} Main depot")]);
    assert_eq!(
        both.same("SELECT id || ' ' || COALESCE(depot_id, 'none') FROM accounts ORDER BY id"),
        [format!("a1 {default}"), format!("m1 {default}"), "o1 none".to_string(), format!("s1 {default}")]
    );
    let created = both.same("SELECT CAST(created_ms AS TEXT) FROM depots");
    let ms: i64 = created[0].parse().unwrap();
    assert!(ms % 1000 == 0 && (started_s * 1000..=ended_s * 1000).contains(&ms), "created_ms {ms}: whole seconds, now");
    both.refused(
        "INSERT INTO accounts (id, role, name, created_ms, depot_id) VALUES ('a2', 'artisan', 'N', 1, 'nowhere')",
        "23503",
        None,
    );
    both.taken("INSERT INTO depots (id, name, created_ms) VALUES ('d2', 'North', 1)");
    both.refused("INSERT INTO depots (id, name, created_ms) VALUES ('d3', 'North', 1)", "23505", None);
    both.taken("UPDATE accounts SET depot_id = 'd2' WHERE id = 'a1'");
}

/// The command's processes, with what each printed, once all ended (each must succeed).
fn wait_all(children: Vec<std::process::Child>) -> Vec<String> {
    children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "a migrate failed: {out:?}");
            stdout(&out)
        })
        .collect()
}

/// Exactly one of the two migrated, the other found nothing to migrate; the database is at the
/// end with the schema one migration gives.
fn one_migrated(said: &[String], url: &str, reference: &Catalog) {
    let end = end_version();
    let migrated = said.iter().filter(|s| s.trim() == format!("migrated the store from schema version 0 to {end}")).count();
    let nothing = said
        .iter()
        .filter(|s| s.trim() == format!("the store is at schema version {end}, this depot's: nothing to migrate"))
        .count();
    assert_eq!((migrated, nothing), (1, 1), "{said:?}");
    let mut client = connect(url);
    assert_eq!(pg_version(&mut client), Some(i64::from(end)));
    assert_eq!(diff(reference, &pg_catalog(&mut client).lines), None);
}

fn spawn_migrate(url: &str) -> std::process::Child {
    Command::new(BIN)
        .args(["migrate", "--database", url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Two `migrate --database` started at once on one new database both succeed: one migrates,
/// the other waits for it on the advisory lock and then finds nothing to do. Once as they come,
/// and once with the lock held by the test until both are seen waiting on it, so that the two
/// surely meet there.
#[test]
fn two_migrations_started_at_once_on_one_database_both_succeed_one_after_the_other() {
    let reference = pg_catalog(&mut connect(&migrated_pg("reference"))).lines;

    let url = fresh_database("race");
    let said = wait_all(vec![spawn_migrate(&url), spawn_migrate(&url)]);
    one_migrated(&said, &url, &reference);

    // This database reads under REPEATABLE READ by default: `migrate` must read the version
    // after the lock all the same (it runs READ COMMITTED whatever the default).
    let url = fresh_database("meet");
    let name = url.rsplit_once('/').unwrap().1;
    connect(&url).batch_execute(&format!("ALTER DATABASE {name} SET default_transaction_isolation = 'repeatable read'")).unwrap();
    let mut holder = connect(&url);
    holder.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK]).unwrap();
    let children = vec![spawn_migrate(&url), spawn_migrate(&url)];
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting: i64 = holder
            .query_one(
                "SELECT count(*) FROM pg_locks
                 WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND (classid::bigint << 32 | objid::bigint) = $1",
                &[&MIGRATION_LOCK],
            )
            .unwrap()
            .get(0);
        if waiting == 2 {
            break;
        }
        if Instant::now() > deadline {
            for mut c in children {
                let _ = c.kill();
                let _ = c.wait();
            }
            panic!("the two processes never both waited on advisory lock {MIGRATION_LOCK:#x}: is it still store::pg_schema::MIGRATION_LOCK?");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    holder.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]).unwrap();
    let said = wait_all(children);
    one_migrated(&said, &url, &reference);
}
