//! The seam over rusqlite: statements from the connection's own cache, values passed through
//! as SQLite's storage classes unchanged.

use super::{Error, Result, Row, RowInner, ValueRef};
use rusqlite::types::{ToSqlOutput, ValueRef as SqliteValue};

/// A seam value bound as a rusqlite parameter, borrowed.
struct Bind<'a>(ValueRef<'a>);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            ValueRef::Null => SqliteValue::Null,
            ValueRef::Integer(i) => SqliteValue::Integer(i),
            ValueRef::Real(r) => SqliteValue::Real(r),
            ValueRef::Text(s) => SqliteValue::Text(s.as_bytes()),
            ValueRef::Blob(b) => SqliteValue::Blob(b),
        }))
    }
}

fn binds<'a>(values: &'a [ValueRef<'a>]) -> rusqlite::ParamsFromIter<impl Iterator<Item = Bind<'a>>> {
    rusqlite::params_from_iter(values.iter().map(|v| Bind(*v)))
}

/// A column as the seam sees it. SQLite's text is UTF-8 by the store's own writes; text that is
/// not (written by hand into the file) reads as a blob, so a mapper asking for a `String` gets
/// a typed conversion error rather than a panic.
pub(super) fn value_ref(v: SqliteValue<'_>) -> ValueRef<'_> {
    match v {
        SqliteValue::Null => ValueRef::Null,
        SqliteValue::Integer(i) => ValueRef::Integer(i),
        SqliteValue::Real(r) => ValueRef::Real(r),
        SqliteValue::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => ValueRef::Text(s),
            Err(_) => ValueRef::Blob(t),
        },
        SqliteValue::Blob(b) => ValueRef::Blob(b),
    }
}

pub(super) fn execute(c: &rusqlite::Connection, sql: &str, values: &[ValueRef<'_>]) -> Result<usize> {
    Ok(c.prepare_cached(sql)?.execute(binds(values))?)
}

pub(super) fn query_row<T>(
    c: &rusqlite::Connection,
    sql: &str,
    values: &[ValueRef<'_>],
    f: impl FnOnce(&Row<'_>) -> Result<T>,
) -> Result<T> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(binds(values))?;
    match rows.next()? {
        Some(r) => f(&Row { inner: RowInner::Sqlite(r) }),
        None => Err(Error::NoRows),
    }
}

pub(super) fn query_map<T>(
    c: &rusqlite::Connection,
    sql: &str,
    values: &[ValueRef<'_>],
    mut f: impl FnMut(&Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(binds(values))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(f(&Row { inner: RowInner::Sqlite(r) })?);
    }
    Ok(out)
}

pub(super) fn for_each<E: From<Error>>(
    c: &rusqlite::Connection,
    sql: &str,
    values: &[ValueRef<'_>],
    mut f: impl FnMut(&Row<'_>) -> std::result::Result<(), E>,
) -> std::result::Result<(), E> {
    let mut stmt = c.prepare_cached(sql).map_err(Error::from)?;
    let mut rows = stmt.query(binds(values)).map_err(Error::from)?;
    while let Some(r) = rows.next().map_err(Error::from)? {
        f(&Row { inner: RowInner::Sqlite(r) })?;
    }
    Ok(())
}
