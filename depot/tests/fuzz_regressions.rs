//! Inputs the fuzz targets (`fuzz/`, run by `scripts/fuzz`) crashed on, replayed against a
//! real depot over HTTP in the normal suite.
//!
//! `pull_query` (`fixtures/fuzz/pull_query/crashes/`): one flags byte, a query string, a
//! newline, then a pull page. The phone folds the page (`PullRound::receive`) and asks the
//! depot for the next one: the depot must answer with a page whose cursor does not go back
//! (the phone would refuse it and stay stuck), or refuse a cursor it can never have handed
//! out (above SQLite's signed 64-bit range) as malformed.
//!
//! `enrollment` (`fixtures/fuzz/enrollment/crashes/`): one flags byte (bits 3-4: the mode), an
//! enrollment request, a newline, then what the mode says (`fuzz/fuzz_targets/enrollment.rs`).
//! The inputs kept so far are raw starts (mode 2): a `/v1/enroll/start` body (`{id}` stands for
//! the public name of a code just issued), a newline, a `/v1/enroll/finish` body (`{session}`
//! for the session the start opened). A SPAKE2 message that is not hex digits for 33 bytes from
//! side `A` is `400 malformed` and opens no session; whatever the finish, no credential.

mod common;
use common::Server;
use fundi_sync::enrollment::{EnrollStartReply, EnrollStartRequest};
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

/// Hex digits only, an even number of them.
fn strict_unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

/// (status, JSON body) of a POST of `body` as sent (it need not be JSON).
fn post_raw(s: &Server, path: &str, body: String) -> (u16, serde_json::Value) {
    let resp = s.http().post(format!("{}{path}", s.url)).header("content-type", "application/json").body(body).send().unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

#[test]
fn enrollment_starts_with_malformed_messages_open_no_session() {
    let s = Server::start();
    let inputs = crashes("enrollment");
    assert!(!inputs.is_empty());
    for (n, path) in inputs.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        let mode = (bytes[0] >> 3) & 3;
        assert_eq!(mode, 2, "{}: no replay of mode {mode} yet (its oracle is in the fuzz target)", path.display());
        let mut parts = bytes[1..].splitn(3, |b| *b == b'\n').map(|p| String::from_utf8(p.to_vec()).unwrap());
        let (_request, start, finish) = (parts.next(), parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let (_, code) = s.account("artisan", &format!("Fuzz {n}"), None);
        let start = start.replace("{id}", &code[..4]);
        let (status, v) = post_raw(&s, "/v1/enroll/start", start.clone());
        let sound = serde_json::from_str::<EnrollStartRequest>(&start)
            .is_ok_and(|r| strict_unhex(&r.spake).is_some_and(|m| m.len() == 33 && m[0] == b'A'));
        let session = if sound && status == 200 {
            serde_json::from_value::<EnrollStartReply>(v).unwrap().session
        } else {
            assert_eq!((status, v["error"].as_str()), (400, Some("malformed")), "{}: {v}", path.display());
            "no session".to_string()
        };
        let (status, v) = post_raw(&s, "/v1/enroll/finish", finish.replace("{session}", &session));
        assert!(status == 400 || status == 401, "{}: {status} {v}", path.display());
    }
}
