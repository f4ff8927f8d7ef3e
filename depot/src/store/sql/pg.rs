//! The seam over the `postgres` crate (blocking, as the store is). A statement's `?1`
//! placeholders become `$1` once, when it is first prepared on a connection; the prepared
//! statement is kept per connection. Parameters are encoded for the type PostgreSQL inferred for
//! them (an integer bound where a `BIGINT`, `INTEGER` or `TEXT` is wanted), and columns decode
//! into SQLite's storage classes, so the store's one SQL and one row mapper serve both.

use super::{Error, Isolation, Result, ValueRef};
use postgres::types::{private::BytesMut, FromSql, IsNull, ToSql, Type};
use std::collections::HashMap;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

/// One PostgreSQL connection with the statements prepared on it.
pub struct PgConn {
    client: postgres::Client,
    prepared: HashMap<String, postgres::Statement>,
}

impl PgConn {
    pub fn connect(url: &str) -> Result<PgConn> {
        Ok(PgConn { client: postgres::Client::connect(url, postgres::NoTls)?, prepared: HashMap::new() })
    }

    /// The connection itself, for what is outside a store transaction (migrations).
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    /// Whether the connection is gone (the pool drops it rather than reuse it).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    pub(super) fn begin(&mut self, isolation: Isolation) -> Result<PgTx<'_>> {
        let level = match isolation {
            Isolation::ReadCommitted => postgres::IsolationLevel::ReadCommitted,
            Isolation::RepeatableReadOnly => postgres::IsolationLevel::RepeatableRead,
        };
        let tx = self
            .client
            .build_transaction()
            .isolation_level(level)
            .read_only(isolation == Isolation::RepeatableReadOnly)
            .start()?;
        Ok(PgTx { session: Session::Transaction(tx), prepared: &mut self.prepared })
    }

    /// Statements on the connection as it is, inside a transaction its owner began and ends
    /// with plain `BEGIN` / `COMMIT` (a report's snapshot, which outlives any one call).
    pub(super) fn session(&mut self) -> PgTx<'_> {
        PgTx { session: Session::Client(&mut self.client), prepared: &mut self.prepared }
    }
}

/// Statements in progress on one connection, with its prepared statements.
pub(super) struct PgTx<'c> {
    session: Session<'c>,
    prepared: &'c mut HashMap<String, postgres::Statement>,
}

enum Session<'c> {
    /// A transaction this value began (committed by `commit`, rolled back when dropped).
    Transaction(postgres::Transaction<'c>),
    /// The connection itself.
    Client(&'c mut postgres::Client),
}

/// `$call` on whichever of the two the statements run on.
macro_rules! on_session {
    ($tx:expr, $c:ident => $call:expr) => {
        match &mut $tx.session {
            Session::Transaction($c) => $call,
            Session::Client($c) => $call,
        }
    };
}

fn binds<'a>(values: &'a [ValueRef<'a>]) -> Vec<Bind<'a>> {
    values.iter().map(|v| Bind(*v)).collect()
}

fn refs<'a>(binds: &'a [Bind<'a>]) -> Vec<&'a (dyn ToSql + Sync)> {
    binds.iter().map(|b| b as &(dyn ToSql + Sync)).collect()
}

impl PgTx<'_> {
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let numbered = numbered_placeholders(sql);
        let s = on_session!(self, c => c.prepare(&numbered)).map_err(|error| Error::Statement { sql: sql.to_string(), error })?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    pub(super) fn execute(&mut self, sql: &str, values: &[ValueRef<'_>]) -> Result<usize> {
        let stmt = self.statement(sql)?;
        let binds = binds(values);
        Ok(on_session!(self, c => c.execute(&stmt, &refs(&binds)))? as usize)
    }

    pub(super) fn query(&mut self, sql: &str, values: &[ValueRef<'_>]) -> Result<Vec<postgres::Row>> {
        let stmt = self.statement(sql)?;
        let binds = binds(values);
        Ok(on_session!(self, c => c.query(&stmt, &refs(&binds)))?)
    }

    /// Each row as it arrives, never all of them at once.
    pub(super) fn for_each<E: From<Error>>(
        &mut self,
        sql: &str,
        values: &[ValueRef<'_>],
        mut f: impl FnMut(&postgres::Row) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        use postgres::fallible_iterator::FallibleIterator;
        let stmt = self.statement(sql)?;
        let binds = binds(values);
        let params = refs(&binds);
        let mut rows = on_session!(self, c => c.query_raw(&stmt, params.iter().copied())).map_err(Error::from)?;
        while let Some(row) = rows.next().map_err(Error::from)? {
            f(&row)?;
        }
        Ok(())
    }

    pub(super) fn batch_execute(&mut self, sql: &str) -> Result<()> {
        Ok(on_session!(self, c => c.batch_execute(sql))?)
    }

    pub(super) fn commit(self) -> Result<()> {
        match self.session {
            Session::Transaction(tx) => Ok(tx.commit()?),
            Session::Client(_) => Ok(()),
        }
    }
}

/// `?1` → `$1` and a bare `?` → the next number, outside quoted text, quoted names and comments.
pub fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                out.push('$');
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&digits);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A seam value encoded for the type PostgreSQL wants at its place.
#[derive(Debug)]
struct Bind<'a>(ValueRef<'a>);

fn mismatch(v: &ValueRef<'_>, ty: &Type) -> BoxError {
    format!("a {} cannot be bound where PostgreSQL wants {ty}", v.describe()).into()
}

impl ToSql for Bind<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, BoxError> {
        match self.0 {
            ValueRef::Null => Ok(IsNull::Yes),
            ValueRef::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(i)?.to_sql(ty, out),
                Type::BOOL => (i != 0).to_sql(ty, out),
                Type::FLOAT8 => (i as f64).to_sql(ty, out),
                Type::FLOAT4 => (i as f32).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::UNKNOWN => i.to_string().as_str().to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            ValueRef::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                Type::FLOAT4 => (r as f32).to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            ValueRef::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => s.to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
            ValueRef::Blob(b) => match *ty {
                Type::BYTEA => b.to_sql(ty, out),
                _ => Err(mismatch(&self.0, ty)),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// A column decoded into a seam value, borrowing its text and bytes from the row.
struct Decoded<'a>(ValueRef<'a>);

impl<'a> FromSql<'a> for Decoded<'a> {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> std::result::Result<Self, BoxError> {
        Ok(Decoded(match *ty {
            Type::INT8 => ValueRef::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => ValueRef::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => ValueRef::Integer(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => ValueRef::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => ValueRef::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => ValueRef::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => ValueRef::Blob(<&[u8]>::from_sql(ty, raw)?),
            _ => ValueRef::Text(<&str>::from_sql(ty, raw)?),
        }))
    }

    fn from_sql_null(_: &Type) -> std::result::Result<Self, BoxError> {
        Ok(Decoded(ValueRef::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `NUMERIC` (what PostgreSQL's `SUM` of `BIGINT`s is): an integer when it is whole and
/// fits, else a real. The binary form is base-10000 digits with a weight and a sign.
fn numeric(raw: &[u8]) -> std::result::Result<ValueRef<'static>, BoxError> {
    let word = |i: usize| -> std::result::Result<i16, BoxError> {
        raw.get(i * 2..i * 2 + 2).map(|b| i16::from_be_bytes([b[0], b[1]])).ok_or_else(|| "short NUMERIC".into())
    };
    let (ndigits, weight, sign) = (word(0)? as usize, word(1)? as i32, word(2)? as u16);
    if sign == 0xC000 {
        return Err("NUMERIC NaN".into());
    }
    let negative = sign == 0x4000;
    let mut whole: i128 = 0;
    let mut fraction = false;
    let mut real = 0f64;
    for i in 0..ndigits {
        let digit = word(4 + i)? as i128;
        let power = weight - i as i32;
        real += digit as f64 * 10_000f64.powi(power);
        if power < 0 {
            fraction |= digit != 0;
        } else {
            whole = whole.checked_mul(10_000).and_then(|w| w.checked_add(digit)).ok_or("NUMERIC too large")?;
        }
    }
    // Digits stop at the last non-zero one: a weight past them means trailing zero groups.
    let trailing = weight + 1 - ndigits as i32;
    for _ in 0..trailing.max(0) {
        whole = whole.checked_mul(10_000).ok_or("NUMERIC too large")?;
    }
    if !fraction {
        let whole = if negative { -whole } else { whole };
        if let Ok(i) = i64::try_from(whole) {
            return Ok(ValueRef::Integer(i));
        }
    }
    Ok(ValueRef::Real(if negative { -real } else { real }))
}

pub(super) fn value_ref(row: &postgres::Row, i: usize) -> Result<ValueRef<'_>> {
    let d: Decoded<'_> = row.try_get(i).map_err(Error::Postgres)?;
    Ok(d.0)
}
