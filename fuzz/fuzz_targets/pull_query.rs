//! The pull: a query string through the real depot's router (its own parsing of `cursor`,
//! `limit` and `protocol`, then the scoped change feed over SQL), and a page through the
//! phone's step (`PullRound::receive`), whose next query must go back through the depot.
//!
//! Input: one flags byte (bits 0-1: the caller's role), a query string up to the first
//! newline, then a `PullResponse` as JSON.
#![no_main]

use fundi_fuzz::real_depot::{self, RealDepot};
use fundi_sync::phone::{FoldError, PullRound};
use fundi_sync::{PullResponse, Role};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let role = Role::ALL[(flags & 3) as usize];
    let (query, page) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let depot = real_depot::shared();
    if let Ok(q) = std::str::from_utf8(query) {
        if let Some(answer) = pull(depot, role, &format!("/v1/sync/pull?{q}")) {
            match answer {
                Ok(page) => assert!(page.changes.len() <= fundi_sync::limits::PULL_PAGE_MAX),
                Err(code) => assert!(code == "malformed" || code == "unsupported_version" || code == "cursor_ahead", "{code}"),
            }
        }
    }

    // A page from anywhere, folded by the phone; the query it makes next reaches the depot.
    let Ok(page) = serde_json::from_slice::<PullResponse>(page) else { return };
    let start = u64::from(flags >> 2) * 1000;
    let mut round = PullRound::new(start);
    match round.receive(&page) {
        Ok(cursor) => {
            assert_eq!((cursor, round.cursor()), (page.cursor, page.cursor));
            assert!(cursor >= start);
            match round.next_query() {
                None => assert!(!page.more),
                Some(next) => {
                    assert!(page.more);
                    assert_eq!(next.cursor, cursor);
                    // The depot answers the phone's own query with a page the phone accepts (the
                    // cursor never goes back), or refuses a cursor it could never have sent.
                    match pull(depot, role, &next.path()).expect("the phone's own query is a valid target") {
                        Ok(answer) => {
                            let mut again = round.clone();
                            again.receive(&answer).unwrap_or_else(|e| panic!("{}: {e}", next.path()));
                        }
                        // A cursor past the head is refused as cursor_ahead: the phone pulls
                        // again from 0 (see the sync engine), so it is never stuck.
                        Err(code) if code == "cursor_ahead" => {}
                        Err(code) => {
                            assert_eq!(code, "malformed", "{}", next.path());
                            assert!(next.cursor > i64::MAX as u64, "the depot refused the phone's query {}", next.path());
                        }
                    }
                }
            }
        }
        Err(FoldError::CursorWentBack { from, to }) => assert!(to < from && from == start),
        Err(FoldError::PageTooLarge(n)) => assert!(n > fundi_sync::limits::PULL_PAGE_MAX),
        Err(e) => panic!("a pull fold cannot fail with {e}"),
    }
});

/// GET `target` as `role`'s device: the page, or the error code. `None`: not a valid target.
fn pull(depot: &RealDepot, role: Role, target: &str) -> Option<Result<PullResponse, String>> {
    let answer = depot.call("GET", target, Some(&depot.device(role).token), false, vec![])?;
    Some(match answer.status {
        200 => Ok(serde_json::from_slice(&answer.body).expect("a pull answer reads as a PullResponse")),
        400 | 409 => Err(answer.code()),
        s => panic!("{target} answered {s}: {}", String::from_utf8_lossy(&answer.body)),
    })
}
