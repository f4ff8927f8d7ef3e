//! The store's one door to its database (ADR 0029). Every store function takes a [`Tx`] and
//! speaks the SQL that SQLite and PostgreSQL both accept; the `Tx` runs it on whichever is
//! underneath: a rusqlite connection (`sqlite`) or a transaction of the `postgres` crate
//! (`pg`, where `?1` placeholders become `$1` once per statement and prepared statements are
//! cached per connection). Values cross the seam as [`ValueRef`] (SQLite's five storage
//! classes): parameters through [`ToValue`], columns through [`FromValue`], so one row mapper
//! reads either database. A statement that must differ between the two would keep both texts
//! side by side in one named function; none has needed to.
//!
//! The API follows rusqlite's shapes (`execute`, `query_row`, `prepare_cached` then
//! `query_map`, `params!`, `optional()`), which the store was written against.

pub mod pg;
mod pool;
mod sqlite;

pub use pg::PgConn;
pub use pool::PgPool;

use std::cell::RefCell;
use std::fmt;

/// A failure at the seam.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Postgres(::postgres::Error),
    /// PostgreSQL refused to prepare a statement (its text is kept: a statement SQLite
    /// accepts and PostgreSQL does not is a bug of the store's to find).
    Statement {
        sql: String,
        error: ::postgres::Error,
    },
    /// `query_row` found no row (`optional()` turns this into `None`).
    NoRows,
    /// A column held a value the asked-for type cannot take.
    Conversion {
        column: usize,
        wanted: &'static str,
        found: String,
    },
    /// A parameter the database cannot store (a `u64` over `i64::MAX`), or one bound to a
    /// column type it does not fit.
    Parameter(String),
    /// No database connection came free in time, or the database could not be reached.
    Busy(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(e) => write!(f, "{e}"),
            Error::Postgres(e) => write!(f, "{}", postgres_text(e)),
            Error::Statement { sql, error } => write!(f, "{}, preparing: {sql}", postgres_text(error)),
            Error::NoRows => write!(f, "Query returned no rows"),
            Error::Conversion { column, wanted, found } => write!(f, "column {column}: {found} is not a {wanted}"),
            Error::Parameter(m) => write!(f, "parameter: {m}"),
            Error::Busy(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

/// The crate's own text names only the kind: the server's message and SQLSTATE, or the cause
/// (a refused connection, a parameter that would not encode).
fn postgres_text(e: &::postgres::Error) -> String {
    match (e.as_db_error(), std::error::Error::source(e)) {
        (Some(db), _) => format!("{} (SQLSTATE {})", db.message(), db.code().code()),
        (None, Some(cause)) => format!("{e}: {cause}"),
        (None, None) => e.to_string(),
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

impl From<::postgres::Error> for Error {
    fn from(e: ::postgres::Error) -> Self {
        Error::Postgres(e)
    }
}

impl Error {
    /// The connection to PostgreSQL failed or closed (rather than a statement being refused).
    pub fn is_connection_lost(&self) -> bool {
        match self {
            Error::Postgres(e) => {
                e.is_closed()
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
                    || e.to_string().starts_with("error connecting")
            }
            _ => false,
        }
    }

    /// PostgreSQL's SQLSTATE, when the database refused the statement.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Postgres(e) | Error::Statement { error: e, .. } => e.code().map(|c| c.code()),
            _ => None,
        }
    }
}

/// `query_row(...).optional()`: no row is `None`, any other failure stays one.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value as it crosses the seam, borrowed: SQLite's storage classes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    fn describe(&self) -> String {
        match self {
            ValueRef::Null => "NULL".into(),
            ValueRef::Integer(i) => format!("integer {i}"),
            ValueRef::Real(r) => format!("real {r}"),
            ValueRef::Text(_) => "text".into(),
            ValueRef::Blob(_) => "blob".into(),
        }
    }
}

/// A Rust value bound as a statement parameter.
pub trait ToValue {
    fn to_value(&self) -> Result<ValueRef<'_>>;
}

macro_rules! to_value_as_integer {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Result<ValueRef<'_>> {
                i64::try_from(*self).map(ValueRef::Integer).map_err(|_| Error::Parameter(format!("{self} is too large to store")))
            }
        }
    )*};
}
to_value_as_integer!(i64, i32, i16, i8, u32, u16, u8, u64, usize);

impl ToValue for bool {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Integer(*self as i64))
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Real(*self))
    }
}

impl ToValue for str {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}

impl ToValue for String {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Blob(self))
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        match self {
            Some(v) => v.to_value(),
            None => Ok(ValueRef::Null),
        }
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        (**self).to_value()
    }
}

impl<T: ToValue + ?Sized> ToValue for Box<T> {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        (**self).to_value()
    }
}

impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Result<ValueRef<'_>> {
        Ok(ValueRef::Text(self))
    }
}

/// A column read into a Rust value; the error says what was found instead.
pub trait FromValue: Sized {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String>;
}

macro_rules! from_value_integer {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                match v {
                    ValueRef::Integer(i) => <$t>::try_from(i).map_err(|_| format!("integer {i} out of range")),
                    other => Err(other.describe()),
                }
            }
        }
    )*};
}
from_value_integer!(i64, i32, i16, u32, u16, u8, u64, usize);

impl FromValue for bool {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Integer(i) => Ok(i != 0),
            other => Err(other.describe()),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Real(r) => Ok(r),
            ValueRef::Integer(i) => Ok(i as f64),
            other => Err(other.describe()),
        }
    }
}

impl FromValue for String {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Text(s) => Ok(s.to_string()),
            other => Err(other.describe()),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            ValueRef::Text(s) => Ok(s.as_bytes().to_vec()),
            other => Err(other.describe()),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A statement's parameters: `[]`, `[a, b]` of one type, `(a, b)`, `&[&a, &b]`, or `params![a, b]`.
pub trait Params {
    fn values(&self) -> Result<Vec<ValueRef<'_>>>;
}

impl Params for [&dyn ToValue; 0] {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        Ok(Vec::new())
    }
}

impl Params for () {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        Ok(Vec::new())
    }
}

impl Params for &[&dyn ToValue] {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

impl Params for Vec<&dyn ToValue> {
    fn values(&self) -> Result<Vec<ValueRef<'_>>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}

macro_rules! params_for_arrays {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Result<Vec<ValueRef<'_>>> {
                self.iter().map(|v| v.to_value()).collect()
            }
        }
        impl<T: ToValue + ?Sized> Params for &[&T; $n] {
            fn values(&self) -> Result<Vec<ValueRef<'_>>> {
                self.iter().map(|v| v.to_value()).collect()
            }
        }
    )*};
}
params_for_arrays!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20);

macro_rules! params_for_tuples {
    ($(($($t:ident $i:tt),+))*) => {$(
        impl<$($t: ToValue),+> Params for ($($t,)+) {
            fn values(&self) -> Result<Vec<ValueRef<'_>>> {
                Ok(vec![$(self.$i.to_value()?),+])
            }
        }
    )*};
}
params_for_tuples!((A 0) (A 0, B 1) (A 0, B 1, C 2) (A 0, B 1, C 2, D 3) (A 0, B 1, C 2, D 3, E 4));

/// Parameters of mixed types: `params![id, 3, Some("x")]` (or a tuple, `(id, 3)`).
macro_rules! params {
    () => { &[] as &[&dyn $crate::store::sql::ToValue] };
    ($($v:expr),+ $(,)?) => { &[$(&$v as &dyn $crate::store::sql::ToValue),+] as &[&dyn $crate::store::sql::ToValue] };
}
pub(crate) use params;

/// A column by position or by name.
pub trait RowIndex {
    fn index(&self, row: &Row<'_>) -> Result<usize>;
}

impl RowIndex for usize {
    fn index(&self, _: &Row<'_>) -> Result<usize> {
        Ok(*self)
    }
}

impl RowIndex for &str {
    fn index(&self, row: &Row<'_>) -> Result<usize> {
        row.column_index(self)
    }
}

/// One row of a result, from either database.
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Postgres(&'r ::postgres::Row),
}

impl<'r> Row<'r> {
    /// Column `idx` as a `T` (`get::<_, i64>(0)`, as rusqlite spells it).
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let i = idx.index(self)?;
        let v = self.get_ref(i)?;
        T::from_value(v).map_err(|found| Error::Conversion { column: i, wanted: std::any::type_name::<T>(), found })
    }

    /// How many columns the row has (the tests' dumps of whole rows read it).
    #[allow(dead_code)]
    pub fn column_count(&self) -> usize {
        match &self.inner {
            RowInner::Sqlite(r) => r.as_ref().column_count(),
            RowInner::Postgres(r) => r.len(),
        }
    }

    /// Column `i` as it is stored, borrowed from the row.
    pub fn get_ref(&self, i: usize) -> Result<ValueRef<'_>> {
        match &self.inner {
            RowInner::Sqlite(r) => Ok(sqlite::value_ref(r.get_ref(i)?)),
            RowInner::Postgres(r) => pg::value_ref(r, i),
        }
    }

    fn column_index(&self, name: &str) -> Result<usize> {
        match &self.inner {
            RowInner::Sqlite(r) => Ok(r.as_ref().column_index(name)?),
            RowInner::Postgres(r) => r.columns().iter().position(|c| c.name() == name).ok_or_else(|| Error::Conversion {
                column: usize::MAX,
                wanted: "column",
                found: format!("no column named {name}"),
            }),
        }
    }
}

/// The store's transaction (or, for the command line's one-off reads, its connection).
pub struct Tx<'c> {
    inner: TxInner<'c>,
}

enum TxInner<'c> {
    Sqlite(&'c rusqlite::Connection),
    Postgres(RefCell<pg::PgTx<'c>>),
}

impl<'c> Tx<'c> {
    /// Run on a SQLite connection (a transaction derefs to one); its owner commits.
    pub fn sqlite(conn: &'c rusqlite::Connection) -> Tx<'c> {
        Tx { inner: TxInner::Sqlite(conn) }
    }

    /// Begin a transaction on a PostgreSQL connection; [`Tx::commit`] ends it, dropping rolls
    /// it back.
    pub fn postgres(conn: &'c mut PgConn, isolation: Isolation) -> Result<Tx<'c>> {
        Ok(Tx { inner: TxInner::Postgres(RefCell::new(conn.begin(isolation)?)) })
    }

    /// Statements on a PostgreSQL connection inside a transaction its owner began with plain
    /// `BEGIN` and ends itself (a report's snapshot, held across many calls).
    pub fn postgres_session(conn: &'c mut PgConn) -> Tx<'c> {
        Tx { inner: TxInner::Postgres(RefCell::new(conn.session())) }
    }

    /// Commit a PostgreSQL transaction (a SQLite one is committed by its owner).
    pub fn commit(self) -> Result<()> {
        match self.inner {
            TxInner::Sqlite(_) => Ok(()),
            TxInner::Postgres(tx) => tx.into_inner().commit(),
        }
    }

    /// Whether the statements run on PostgreSQL (for the few steps only one database has).
    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, TxInner::Postgres(_))
    }

    /// Run one statement; the number of rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        let values = params.values()?;
        match &self.inner {
            TxInner::Sqlite(c) => sqlite::execute(c, sql, &values),
            TxInner::Postgres(tx) => tx.borrow_mut().execute(sql, &values),
        }
    }

    /// Run statements with no parameters (separated by `;`).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            TxInner::Sqlite(c) => Ok(c.execute_batch(sql)?),
            TxInner::Postgres(tx) => tx.borrow_mut().batch_execute(sql),
        }
    }

    /// The first row of a query, mapped by `f`; no row is [`Error::NoRows`].
    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(&self, sql: &str, params: P, f: F) -> Result<T> {
        let values = params.values()?;
        match &self.inner {
            TxInner::Sqlite(c) => sqlite::query_row(c, sql, &values, f),
            TxInner::Postgres(tx) => {
                let rows = tx.borrow_mut().query(sql, &values)?;
                let row = rows.first().ok_or(Error::NoRows)?;
                f(&Row { inner: RowInner::Postgres(row) })
            }
        }
    }

    /// Every row of a query, each mapped by `f`.
    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(&self, sql: &str, params: P, mut f: F) -> Result<Vec<T>> {
        let values = params.values()?;
        match &self.inner {
            TxInner::Sqlite(c) => sqlite::query_map(c, sql, &values, f),
            TxInner::Postgres(tx) => {
                let rows = tx.borrow_mut().query(sql, &values)?;
                rows.iter().map(|r| f(&Row { inner: RowInner::Postgres(r) })).collect()
            }
        }
    }

    /// Every row of a query passed to `f` as it is read, none kept (a report walking every
    /// order in bounded memory).
    pub fn for_each<E: From<Error>, P: Params, F: FnMut(&Row<'_>) -> Result<(), E>>(
        &self,
        sql: &str,
        params: P,
        mut f: F,
    ) -> Result<(), E> {
        let values = params.values()?;
        match &self.inner {
            TxInner::Sqlite(c) => sqlite::for_each(c, sql, &values, f),
            TxInner::Postgres(tx) => tx.borrow_mut().for_each(sql, &values, |r| f(&Row { inner: RowInner::Postgres(r) })),
        }
    }

    /// A statement to run (rusqlite's shape: `prepare_cached(sql)?.query_map(params, f)?`).
    /// Both backends cache what they prepare per connection.
    pub fn prepare_cached<'t>(&'t self, sql: &str) -> Result<Stmt<'t, 'c>> {
        Ok(Stmt { tx: self, sql: sql.to_string() })
    }

    /// As [`Tx::prepare_cached`].
    pub fn prepare<'t>(&'t self, sql: &str) -> Result<Stmt<'t, 'c>> {
        Ok(Stmt { tx: self, sql: sql.to_string() })
    }
}

/// How a PostgreSQL transaction isolates itself (ADR 0029): writes run `ReadCommitted` after
/// taking the store's write lock, so each statement sees every write committed before it;
/// reads run on one snapshot, read-only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableReadOnly,
}

/// A statement bound to its transaction.
pub struct Stmt<'t, 'c> {
    tx: &'t Tx<'c>,
    sql: String,
}

impl Stmt<'_, '_> {
    /// Every row, mapped; each item is a `Result` as rusqlite's are, so loops and
    /// `collect::<Result<Vec<_>, _>>()` read the same.
    pub fn query_map<T, P: Params, F: FnMut(&Row<'_>) -> Result<T>>(
        &mut self,
        params: P,
        mut f: F,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let rows = self.tx.query_map(&self.sql, params, |r| Ok(f(r)))?;
        Ok(rows.into_iter())
    }

    pub fn query_row<T, P: Params, F: FnOnce(&Row<'_>) -> Result<T>>(&mut self, params: P, f: F) -> Result<T> {
        self.tx.query_row(&self.sql, params, f)
    }

    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        self.tx.execute(&self.sql, params)
    }
}
