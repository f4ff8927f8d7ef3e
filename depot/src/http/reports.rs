//! `GET /v1/reports/{name}?from=&to=`: an M&E report as CSV for operations (ADR 0022), streamed.
//! The report runs on a blocking thread over its own read-only snapshot and writes into a
//! bounded channel of chunks that the response body drains, so neither the orders nor the whole
//! file are ever held, and a client that goes away stops the work (the next chunk finds nobody
//! to take it; the walk over the orders looks every thousand rows). What fails before the header
//! row is sent is answered with the typed JSON error; a failure after it cuts the response off
//! without its last chunk, so the client sees a broken transfer, never a short file that looks
//! whole. At most [`EXPORTS_AT_ONCE`] reports run at once (each keeps a core busy while it
//! reads the orders, and a depot box has two); another is answered `busy`.

use super::{blocking, error_response, App};
use crate::reports::db::Snapshot;
use crate::reports::{Period, Report};
use crate::store::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fundi_sync::Role;
use futures_util::StreamExt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;

/// Bytes per chunk sent to the client, and chunks waiting in the channel: at most about
/// 160 KiB of a report is in memory at any time, however long it is.
const CHUNK_BYTES: usize = 32 * 1024;
const CHUNKS_QUEUED: usize = 4;

/// Reports running at once, at most.
const EXPORTS_AT_ONCE: usize = 2;
static EXPORTS: AtomicUsize = AtomicUsize::new(0);

/// One of the [`EXPORTS_AT_ONCE`] places, given back when dropped.
struct Place;

impl Place {
    fn take() -> Result<Place, ApiError> {
        let taken = EXPORTS.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < EXPORTS_AT_ONCE).then_some(n + 1));
        taken
            .map(|_| Place)
            .map_err(|_| ApiError::busy(format!("{EXPORTS_AT_ONCE} reports are being made: try again in a minute")))
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        EXPORTS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the report's thread sends: bytes of the file, or why it stopped.
enum Piece {
    Bytes(Bytes),
    Failed(ApiError),
}

/// The value of `key` in a query string (the first, as written: a day needs no decoding).
fn query_value<'q>(query: Option<&'q str>, key: &str) -> Option<&'q str> {
    query?.split('&').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
}

pub async fn export(State(app): State<App>, headers: HeaderMap, Path(name): Path<String>, RawQuery(q): RawQuery) -> Response {
    let asked = blocking(&app, &headers, move |db, caller| {
        if caller.role != Role::Operations {
            return Err(ApiError::forbidden("only operations read the M&E reports"));
        }
        let report = Report::from_name(&name)?;
        let period = Period::parse(query_value(q.as_deref(), "from"), query_value(q.as_deref(), "to"))?;
        Ok((report, period, db.dir().to_path_buf(), Place::take()?))
    })
    .await;
    let (report, period, dir, place) = match asked {
        Ok((_, asked)) => asked,
        Err(e) => return error_response(e, Some(&headers)),
    };
    let (tx, mut rx) = mpsc::channel::<Piece>(CHUNKS_QUEUED);
    tokio::task::spawn_blocking(move || {
        let _place = place;
        let gone = tx.clone();
        let written = Snapshot::open(&dir).and_then(|snapshot| {
            let snapshot = snapshot.cancel_when(move || gone.is_closed());
            report.write(&snapshot, &period, ChunkWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK_BYTES) })
        });
        // (When the client went away, there is nobody to tell.)
        if let Err(e) = written {
            let _ = tx.blocking_send(Piece::Failed(e.into()));
        }
    });
    // The header row comes first, once the snapshot is open: until then an error can still be
    // answered as one.
    let first = match rx.recv().await {
        Some(Piece::Bytes(b)) => b,
        Some(Piece::Failed(e)) => return error_response(e, Some(&headers)),
        None => return error_response(ApiError::internal("the report ended before its header"), Some(&headers)),
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await? {
            Piece::Bytes(b) => Some((Ok(b), rx)),
            Piece::Failed(e) => Some((Err(io::Error::other(e.to_string())), rx)),
        }
    });
    let body = futures_util::stream::once(async move { Ok::<_, io::Error>(first) }).chain(rest);
    let mut resp = (StatusCode::OK, Body::from_stream(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let disposition = format!("attachment; filename=\"{}\"", report.file_name(&period));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// A writer that sends what it is given in chunks through the channel, waiting while the
/// channel is full (the client reads slower than the report writes).
struct ChunkWriter {
    tx: mpsc::Sender<Piece>,
    buf: Vec<u8>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES)));
        self.tx.blocking_send(Piece::Bytes(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK_BYTES {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_third_report_at_once_is_answered_busy_until_a_place_is_given_back() {
        let (a, b) = (Place::take().unwrap(), Place::take().unwrap());
        let refused = Place::take().err().expect("two run already");
        assert_eq!((refused.status, refused.code), (503, "busy"));
        drop(a);
        let c = Place::take().unwrap();
        drop((b, c));
        assert_eq!(EXPORTS.load(Ordering::Acquire), 0);
    }

    #[test]
    fn the_period_is_read_from_the_query() {
        assert_eq!(query_value(Some("from=2026-09-01&to=2026-09-30"), "to"), Some("2026-09-30"));
        assert_eq!(query_value(Some("tofu=1&to=2026-09-30"), "to"), Some("2026-09-30"));
        assert_eq!(query_value(Some("from=2026-09-01"), "to"), None);
        assert_eq!(query_value(None, "from"), None);
    }
}
