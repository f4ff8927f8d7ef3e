//! Inputs the fuzz targets (`fuzz/`, run by `scripts/fuzz`) crashed on, replayed against a
//! real depot over HTTP in the normal suite.
//!
//! `pull_query` (`fixtures/fuzz/pull_query/crashes/`): one flags byte, a query string, a
//! newline, then a pull page. The phone folds the page (`PullRound::receive`) and asks the
//! depot for the next one: the depot must answer with a page whose cursor does not go back
//! (the phone would refuse it and stay stuck), or refuse a cursor it can never have handed
//! out (above SQLite's signed 64-bit range) as malformed.

mod common;
use common::Server;
use fundi_sync::phone::PullRound;
use fundi_sync::PullResponse;
use std::path::{Path, PathBuf};

fn crashes(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fuzz").join(target).join("crashes");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

#[test]
fn the_depot_never_answers_a_pull_with_a_cursor_that_went_back() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let inputs = crashes("pull_query");
    assert!(!inputs.is_empty());
    for path in inputs {
        let bytes = std::fs::read(&path).unwrap();
        let rest = &bytes[1..];
        let nl = rest.iter().position(|b| *b == b'\n').unwrap();
        let (query, page) = (std::str::from_utf8(&rest[..nl]).unwrap(), &rest[nl + 1..]);
        let (status, v) = s.req(Some(&a), &format!("/v1/sync/pull?{query}"), None);
        assert!(status == 200 || status == 400 || status == 409, "{}: {status} {v}", path.display());
        let page: PullResponse = serde_json::from_slice(page).unwrap();
        let mut round = PullRound::new(0);
        round.receive(&page).unwrap();
        let Some(next) = round.next_query() else { continue };
        let (status, v) = s.req(Some(&a), &next.path(), None);
        if next.cursor > i64::MAX as u64 {
            assert_eq!((status, v["error"].as_str()), (400, Some("malformed")), "{}: {v}", path.display());
        } else if status == 409 {
            // Past the depot's head: refused as cursor_ahead, and the phone pulls again from 0.
            assert_eq!(v["error"].as_str(), Some("cursor_ahead"), "{}: {v}", path.display());
        } else {
            assert_eq!(status, 200, "{}: {v}", path.display());
            let answer: PullResponse = serde_json::from_value(v).unwrap();
            round.receive(&answer).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn cursors_at_and_above_the_signed_range() {
    let s = Server::start();
    let a = s.device("artisan", "a", None);
    let max = i64::MAX as u64;
    let (status, v) = s.req(Some(&a), &format!("/v1/sync/pull?cursor={max}"), None);
    // Never handed out by this depot: refused, so the phone starts over rather than stall.
    assert_eq!((status, v["error"].as_str()), (409, Some("cursor_ahead")), "{v}");
    for above in [max + 1, u64::MAX] {
        let (status, v) = s.req(Some(&a), &format!("/v1/sync/pull?cursor={above}"), None);
        assert_eq!((status, v["error"].as_str()), (400, Some("malformed")), "{above}: {v}");
    }
}
