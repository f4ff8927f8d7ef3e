//! Enrollment through the real depot's router: `POST /v1/enrollments` (an `EnrollmentRequest`,
//! with the role, name and mentor checks) by any role's device, then the key exchange over the
//! code just issued (`POST /v1/enroll/start`, then `/v1/enroll/finish`; ADR 0011), bound to the
//! depot's key ([`real_depot::fingerprint`]). In one of three modes:
//!
//! - **phone**: the phone's side (`PhoneEnrollment::start` with the code as typed, `finish`
//!   with the key it saw). The code is accepted exactly when, spaces (Unicode white space) and
//!   dashes set aside, it is the issued code in any case: anything else around it is refused by
//!   the phone before it sends anything (`normalize_code`). A code the depot did not issue gets
//!   `401` at the start (a public name no code has) or at the finish (the wrong code). A phone
//!   that saw another key (a relay) is refused with `403 depot_identity_changed` and no device
//!   is made. Otherwise the device id decides (`422` not a UUID, `409` already enrolled), and an
//!   enrolled phone checks the depot's proof, may retry the whole exchange, and no other phone
//!   may use the code.
//! - **raw start**: a start body as sent (malformed JSON, names of the wrong shape or unknown,
//!   SPAKE2 messages that are not hex, of the wrong length or side, or not a point), then a
//!   finish body for the session it opened: never a credential, a malformed message is `400`.
//! - **raw finish**: a real phone's start, then a finish body as sent (malformed hex, wrong
//!   lengths, unknown sessions, another device): the depot issues a credential exactly when the
//!   key confirmation and the binding to its key are the phone's own (as bytes).
//!
//! Every session a start opened is finished (a session serves once), so none is left open.
//! Each input comes from a client address of its own, so the depot's allowance of wrong codes
//! per address never runs out, unless the flags say to use one address for all (then any
//! enrollment answer may be `429 rate_limited`, after which the input stops).
//!
//! Input: one flags byte (bits 0-1: the role of the device issuing the code; bit 2: the shared
//! client address; bits 3-4: the mode, 0 and 1 phone, 2 raw start, 3 raw finish; bit 5, phone
//! mode: the phone saw another key), the enrollment request up to the first newline, then:
//! - phone: `{"code": …, "device_id": …}`, where in `code` the text `{code}` stands for the code
//!   just issued and `{lower}` for it in lower case; anything else is sent as a raw start;
//! - raw start: the start body up to the next newline (`{id}` stands for the issued code's
//!   public name), then the finish body (`{session}` stands for the session the start opened);
//! - raw finish: the finish body, where `{session}`, `{confirm}` and `{binding}` stand for the
//!   phone's own values and `{device}` for a new device id.
#![no_main]

use fundi_fuzz::facts::device_of;
use fundi_fuzz::real_depot::{self, Answer, RealDepot};
use fundi_sync::enrollment::{
    code_id, normalize_code, EnrollFinishRequest, EnrollStartReply, EnrollStartRequest, PhoneEnrollment, PhoneKey,
};
use fundi_sync::identity::KeyFingerprint;
use fundi_sync::{EnrollDeviceReply, EnrollmentCode, EnrollmentRequest, Role};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Device ids enrolled during this run (the depot refuses them a second time).
static ENROLLED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// The public names of every code the depot issued during this run (the setup's included).
static CODE_IDS: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
/// The client address of the next input that has one of its own.
static NEXT_PEER: AtomicU64 = AtomicU64::new(1);
/// The address of the inputs that share one.
const SHARED_PEER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 443);

/// What the phone was given: the code as typed, and its device id.
#[derive(Deserialize, Debug)]
struct Typed {
    code: String,
    device_id: String,
}

/// Hex as the wire types mean it: an even number of hex digits, nothing else.
fn strict_unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

fn text(a: &Answer) -> String {
    String::from_utf8_lossy(&a.body).into_owned()
}

/// The requests of one input: from one client address, to the enrollment endpoints.
struct Client<'a> {
    depot: &'a RealDepot,
    peer: SocketAddr,
    shared: bool,
}

/// The input stops here: its shared address ran out of wrong codes.
struct Limited;

impl Client<'_> {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Answer, Limited> {
        let a = self.depot.call_from(self.peer, "POST", path, None, false, body).expect("a fixed path");
        if a.status == 429 {
            assert!(self.shared, "{path} rate-limited a fresh client address: {}", text(&a));
            assert_eq!(a.code(), "rate_limited");
            return Err(Limited);
        }
        assert!(a.status < 500, "{path} answered {}: {}", a.status, text(&a));
        Ok(a)
    }

    /// `status` and, for an error, `code`.
    fn expect(&self, what: &str, a: &Answer, status: u16, code: Option<&str>) {
        assert_eq!(a.status, status, "{what}: {}", text(a));
        if let Some(c) = code {
            assert_eq!(a.code(), c, "{what}");
        }
    }

    /// Finish `session` with nothing the depot can check: it is refused, and the session (if it
    /// was still open) is closed.
    fn close(&self, session: &str) -> Result<(), Limited> {
        let body = serde_json::json!({"session": session, "device_id": "", "key_confirm": "", "binding": ""});
        let a = self.post("/v1/enroll/finish", body.to_string().into_bytes())?;
        self.expect("closing a session", &a, 401, Some("unauthorized"));
        Ok(())
    }

    /// How many devices have this id at the depot.
    fn devices_named(&self, device_id: &str) -> i64 {
        self.depot
            .db
            .read(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM devices WHERE device_id = ?1", [device_id], |r| r.get(0))?))
            .expect("read the depot's devices")
    }
}

/// Not a UUID, already enrolled this run, or one of the setup's devices.
fn fresh_device(device_id: &str) -> bool {
    fundi_sync::ids::is_valid_id(device_id)
        && !ENROLLED.lock().unwrap().contains(device_id)
        && !Role::ALL.iter().any(|r| device_of(*r) == device_id)
}

/// What the depot answers a finish whose code and key check, for `device_id`.
fn expected_for_device(device_id: &str) -> (u16, Option<&'static str>) {
    if !fundi_sync::ids::is_valid_id(device_id) {
        (422, Some("invalid"))
    } else if !fresh_device(device_id) {
        (409, Some("conflict"))
    } else {
        (200, None)
    }
}

/// The phone's whole exchange: `None` if the phone refuses the code itself (it sends nothing);
/// else the start's answer if it failed, or the finish's answer with the phone's key.
#[allow(clippy::type_complexity)]
fn exchange(
    c: &Client,
    code: &str,
    seen: &KeyFingerprint,
    device_id: &str,
) -> Result<Option<Result<(PhoneKey, Answer), (String, Answer)>>, Limited> {
    let Ok((phone, start)) = PhoneEnrollment::start(code) else { return Ok(None) };
    let a = c.post("/v1/enroll/start", serde_json::to_vec(&start).expect("serializes"))?;
    if a.status != 200 {
        return Ok(Some(Err((start.code_id, a))));
    }
    let reply: EnrollStartReply = serde_json::from_slice(&a.body).expect("an EnrollStartReply");
    let (key, finish) = phone.finish(&reply, seen, device_id).expect("the depot's message is well-formed");
    let a = c.post("/v1/enroll/finish", serde_json::to_vec(&finish).expect("serializes"))?;
    Ok(Some(Ok((key, a))))
}

/// A finish that enrolled `device_id` on `issued`: the credential is the account's, and the
/// depot's proof checks against the key the phone saw.
fn enrolled(key: &PhoneKey, a: &Answer, issued: &EnrollmentCode, device_id: &str) {
    let reply: EnrollDeviceReply = serde_json::from_slice(&a.body).expect("an EnrollDeviceReply");
    key.check_depot_proof(&reply.depot_proof).expect("the depot proves it holds the key the phone saw");
    assert_eq!(
        (reply.credential.account_id.as_str(), reply.credential.device_id.as_str()),
        (issued.account_id.as_str(), device_id)
    );
    assert!(!reply.credential.token.is_empty());
    ENROLLED.lock().unwrap().insert(device_id.to_string());
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let role = Role::ALL[(flags & 3) as usize];
    let shared = flags & 4 != 0;
    let mode = (flags >> 3) & 3;
    let relay = flags & 32 != 0;
    let (first, second) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let depot = real_depot::shared();
    {
        let mut ids = CODE_IDS.lock().unwrap();
        if ids.is_empty() {
            ids.extend(depot.setup_code_ids.iter().cloned());
        }
    }
    let peer = if shared {
        SHARED_PEER
    } else {
        let n = NEXT_PEER.fetch_add(1, Ordering::Relaxed);
        SocketAddr::new(IpAddr::V6(Ipv6Addr::from((0xfd00_u128 << 112) | n as u128)), 443)
    };
    let c = Client { depot, peer, shared };
    let token = depot.device(role).token.clone();

    let answer = depot.call("POST", "/v1/enrollments", Some(&token), false, first.to_vec()).expect("a fixed path");
    let issued: Option<EnrollmentCode> = match answer.status {
        200 => {
            let code: EnrollmentCode = serde_json::from_slice(&answer.body).expect("an EnrollmentCode");
            let req: EnrollmentRequest = serde_json::from_slice(first).expect("the depot read what the wire type reads");
            let name = req.name.trim();
            assert!(!name.is_empty() && name.chars().count() <= fundi_sync::limits::ACCOUNT_NAME_MAX_CHARS);
            assert!(!name.chars().any(char::is_control));
            let shape = code.code.split('-').map(str::len).collect::<Vec<_>>();
            assert_eq!(shape, [4, 4, 4], "codes are XXXX-XXXX-XXXX: {}", code.code);
            let normalized = normalize_code(&code.code).expect("the depot's codes are codes");
            CODE_IDS.lock().unwrap().insert(code_id(&normalized).to_string());
            Some(code)
        }
        400 | 403 | 422 => None,
        s => panic!("enrollments answered {s}: {}", text(&answer)),
    };

    let _ = match mode {
        0 | 1 => match serde_json::from_slice::<Typed>(second) {
            Ok(typed) => phone(&c, issued.as_ref(), &typed, relay),
            Err(_) => raw_start(&c, issued.as_ref(), second, b""),
        },
        2 => {
            let (start, finish) = match second.iter().position(|b| *b == b'\n') {
                Some(i) => (&second[..i], &second[i + 1..]),
                None => (second, &[][..]),
            };
            raw_start(&c, issued.as_ref(), start, finish)
        }
        _ => raw_finish(&c, issued.as_ref(), second),
    };
    if let Some(i) = &issued {
        depot.retire_code(&i.code);
    }
});

/// The phone's side with the code as typed.
fn phone(c: &Client, issued: Option<&EnrollmentCode>, typed: &Typed, relay: bool) -> Result<(), Limited> {
    // The code spliced in where the input says; `Some(accepted)` when it was.
    let (code, spliced) = match issued {
        Some(i) if typed.code.contains("{code}") || typed.code.contains("{lower}") => {
            let around = typed.code.replace("{code}", "").replace("{lower}", "");
            let once = typed.code.matches("{code}").count() + typed.code.matches("{lower}").count() == 1;
            let code = typed.code.replace("{code}", &i.code).replace("{lower}", &i.code.to_lowercase());
            (code, Some(once && around.chars().all(|ch| ch == '-' || ch.is_whitespace())))
        }
        _ => (typed.code.clone(), None),
    };
    let seen = if relay { KeyFingerprint::of_spki(b"a relay") } else { real_depot::fingerprint() };
    let devices_before = c.devices_named(&typed.device_id);
    let outcome = exchange(c, &code, &seen, &typed.device_id)?;
    let what = format!("{typed:?} as {code:?}");
    let (key, a) = match (spliced, outcome) {
        (Some(true), None) => panic!("{what}: the phone refused the issued code"),
        (Some(false), Some(_)) => panic!("{what}: the phone took for a code what is not the issued one"),
        (_, None) => return Ok(()),
        (Some(true), Some(Err((_, a)))) => panic!("{what}: the start of the issued code was refused: {}", text(&a)),
        (_, Some(Err((id, a)))) => {
            // A code the input made up: only a public name the depot knows opens a session.
            assert!(!CODE_IDS.lock().unwrap().contains(&id), "{what}: a known name was refused: {}", text(&a));
            return Ok(c.expect(&what, &a, 401, Some("unauthorized")));
        }
        (None, Some(Ok((_, a)))) => return Ok(c.expect(&what, &a, 401, Some("unauthorized"))),
        (Some(_), Some(Ok(done))) => done,
    };
    let issued = issued.expect("a code was spliced in");
    if relay {
        c.expect(&what, &a, 403, Some("depot_identity_changed"));
        assert_eq!(c.devices_named(&typed.device_id), devices_before, "{what}: a relay's exchange made a device");
        // The code is still unused: the phone, connected to the depot itself, enrolls with it.
        let Some(Ok((key, a))) = exchange(c, &code, &real_depot::fingerprint(), &typed.device_id)? else {
            panic!("{what}: the start of the issued code was refused")
        };
        return after_finish(c, issued, &code, &typed.device_id, &key, &a);
    }
    after_finish(c, issued, &code, &typed.device_id, &key, &a)
}

/// The answer to a finish whose code and key check; once enrolled, a retry and another phone.
fn after_finish(
    c: &Client,
    issued: &EnrollmentCode,
    code: &str,
    device_id: &str,
    key: &PhoneKey,
    a: &Answer,
) -> Result<(), Limited> {
    let what = format!("{code:?} for {device_id:?}");
    let (status, error) = expected_for_device(device_id);
    c.expect(&what, a, status, error);
    if status != 200 {
        return Ok(());
    }
    enrolled(key, a, issued, device_id);
    // A lost reply: the same phone runs the exchange again and gets a fresh token.
    let Some(Ok((key, a))) = exchange(c, code, &real_depot::fingerprint(), device_id)? else {
        panic!("{what}: the retry's start was refused")
    };
    c.expect(&format!("{what}, the same phone's retry"), &a, 200, None);
    enrolled(&key, &a, issued, device_id);
    // Another phone with the used code.
    let other = fundi_sync::ids::new_id();
    let Some(Ok((_, a))) = exchange(c, code, &real_depot::fingerprint(), &other)? else {
        panic!("{what}: another phone's start was refused")
    };
    c.expect(&format!("{what}, another phone"), &a, 409, Some("conflict"));
    Ok(())
}

/// A start body as sent, then a finish body for the session it opened.
fn raw_start(c: &Client, issued: Option<&EnrollmentCode>, start: &[u8], finish: &[u8]) -> Result<(), Limited> {
    let id = issued.map(|i| code_id(&normalize_code(&i.code).expect("a code")).to_string());
    let start = match (&id, std::str::from_utf8(start)) {
        (Some(id), Ok(s)) => s.replace("{id}", id).into_bytes(),
        _ => start.to_vec(),
    };
    let a = c.post("/v1/enroll/start", start.clone())?;
    let what = format!("start {:?}", String::from_utf8_lossy(&start));
    let session = match serde_json::from_slice::<EnrollStartRequest>(&start) {
        Err(_) => {
            c.expect(&what, &a, 400, Some("malformed"));
            None
        }
        Ok(req) if !CODE_IDS.lock().unwrap().contains(&req.code_id) => {
            c.expect(&what, &a, 401, Some("unauthorized"));
            None
        }
        Ok(req) => {
            let sound = strict_unhex(&req.spake).is_some_and(|m| m.len() == 33 && m[0] == b'A');
            if !sound || a.status != 200 {
                // A message that is not a point of the curve is malformed too.
                c.expect(&what, &a, 400, Some("malformed"));
                None
            } else {
                let reply: EnrollStartReply = serde_json::from_slice(&a.body).expect("an EnrollStartReply");
                let theirs = strict_unhex(&reply.spake).expect("the depot's message is hex");
                assert!(theirs.len() == 33 && theirs[0] == b'B', "{what}: the depot's message {}", reply.spake);
                assert!(!reply.session.is_empty());
                Some(reply.session)
            }
        }
    };
    let finish = match (&session, std::str::from_utf8(finish)) {
        (Some(s), Ok(f)) => f.replace("{session}", s).into_bytes(),
        _ => finish.to_vec(),
    };
    let a = c.post("/v1/enroll/finish", finish.clone())?;
    let what = format!("finish {:?}", String::from_utf8_lossy(&finish));
    // Whoever made up the start message holds no key: nothing they send can be confirmed.
    match serde_json::from_slice::<EnrollFinishRequest>(&finish) {
        Err(_) => c.expect(&what, &a, 400, Some("malformed")),
        Ok(_) => c.expect(&what, &a, 401, Some("unauthorized")),
    }
    if let Some(s) = session {
        c.close(&s)?;
    }
    Ok(())
}

/// A real phone's start with the issued code, then a finish body as sent.
fn raw_finish(c: &Client, issued: Option<&EnrollmentCode>, body: &[u8]) -> Result<(), Limited> {
    let Some(issued) = issued else {
        // No session to speak of: whatever it names is unknown.
        let a = c.post("/v1/enroll/finish", body.to_vec())?;
        return Ok(match serde_json::from_slice::<EnrollFinishRequest>(body) {
            Err(_) => c.expect("a finish", &a, 400, Some("malformed")),
            Ok(_) => c.expect("a finish", &a, 401, Some("unauthorized")),
        });
    };
    let (phone, start) = PhoneEnrollment::start(&issued.code).expect("the depot's codes are codes");
    let a = c.post("/v1/enroll/start", serde_json::to_vec(&start).expect("serializes"))?;
    c.expect("the start of the issued code", &a, 200, None);
    let reply: EnrollStartReply = serde_json::from_slice(&a.body).expect("an EnrollStartReply");
    let device = fundi_sync::ids::new_id();
    let (key, own) = phone.finish(&reply, &real_depot::fingerprint(), &device).expect("the depot's message is well-formed");
    let body = match std::str::from_utf8(body) {
        Ok(s) => s
            .replace("{session}", &own.session)
            .replace("{confirm}", &own.key_confirm)
            .replace("{binding}", &own.binding)
            .replace("{device}", &device)
            .into_bytes(),
        Err(_) => body.to_vec(),
    };
    let what = format!("finish {:?}", String::from_utf8_lossy(&body));
    let parsed = serde_json::from_slice::<EnrollFinishRequest>(&body);
    let devices_before = parsed.as_ref().map(|r| c.devices_named(&r.device_id)).unwrap_or(0);
    let a = c.post("/v1/enroll/finish", body.clone())?;
    let req = match parsed {
        Err(_) => {
            c.expect(&what, &a, 400, Some("malformed"));
            return c.close(&own.session);
        }
        Ok(req) if req.session != own.session => {
            c.expect(&what, &a, 401, Some("unauthorized"));
            return c.close(&own.session);
        }
        Ok(req) => req,
    };
    let same = |theirs: &str, ours: &str| strict_unhex(theirs).is_some() && strict_unhex(theirs) == strict_unhex(ours);
    if !same(&req.key_confirm, &own.key_confirm) {
        c.expect(&what, &a, 401, Some("unauthorized"));
    } else if !same(&req.binding, &own.binding) {
        c.expect(&what, &a, 403, Some("depot_identity_changed"));
        assert_eq!(c.devices_named(&req.device_id), devices_before, "{what}: a refused binding made a device");
    } else {
        let (status, error) = expected_for_device(&req.device_id);
        c.expect(&what, &a, status, error);
        if status == 200 {
            enrolled(&key, &a, issued, &req.device_id);
        }
    }
    // The session served once, whatever the answer.
    c.close(&own.session)
}
