//! Enrollment through the real depot's router: `POST /v1/enrollments` (an `EnrollmentRequest`,
//! with the role, name and mentor checks) by any role's device, then `POST /v1/enroll` (an
//! `EnrollDeviceRequest`) exchanging the code just issued, as the phone typed it.
//!
//! Input: one flags byte (bits 0-1: the enrolling device's role), an enrollment request up to
//! the first newline, then a device request. In the device request's `code`, the text `{code}`
//! stands for the code just issued and `{lower}` for it in lower case (people type codes with
//! other case, spaces and dashes): the exchange must succeed exactly when what surrounds the
//! code holds no letter or digit, the whole is at most 64 bytes, and the device id is a
//! UUID not enrolled yet. Then the same phone may retry, and no other phone may use the code.
#![no_main]

use fundi_fuzz::facts::device_of;
use fundi_fuzz::real_depot;
use fundi_sync::{EnrollDeviceReply, EnrollDeviceRequest, EnrollmentCode, EnrollmentRequest, Role};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Device ids enrolled during this run (the depot refuses them a second time).
static ENROLLED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let role = Role::ALL[(flags & 3) as usize];
    let (first, second) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let depot = real_depot::shared();
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
            Some(code)
        }
        400 | 403 | 422 => None,
        s => panic!("enrollments answered {s}: {}", String::from_utf8_lossy(&answer.body)),
    };

    // The device's request, with the code spliced in where the input says.
    let Ok(mut req) = serde_json::from_slice::<EnrollDeviceRequest>(second) else {
        let answer = depot.call("POST", "/v1/enroll", None, false, second.to_vec()).expect("a fixed path");
        return assert!(matches!(answer.status, 400 | 401 | 422), "enroll answered {}", answer.status);
    };
    let spliced = match &issued {
        Some(c) if req.code.contains("{code}") || req.code.contains("{lower}") => {
            let around = req.code.replace("{code}", "").replace("{lower}", "");
            let once = req.code.matches("{code}").count() + req.code.matches("{lower}").count() == 1;
            req.code = req.code.replace("{code}", &c.code).replace("{lower}", &c.code.to_lowercase());
            Some(once && !around.chars().any(|ch| ch.is_ascii_alphanumeric()))
        }
        _ => None,
    };
    let enroll = |req: &EnrollDeviceRequest| {
        let body = serde_json::to_vec(req).expect("serializes");
        depot.call("POST", "/v1/enroll", None, false, body).expect("a fixed path")
    };
    let answer = enroll(&req);
    let fresh_device = fundi_sync::ids::is_valid_id(&req.device_id)
        && !ENROLLED.lock().unwrap().contains(&req.device_id)
        && !Role::ALL.iter().any(|r| device_of(*r) == req.device_id);
    let expected = spliced == Some(true) && req.code.len() <= 64 && fresh_device;
    if spliced.is_none() {
        // A code made up by the input: not one the depot issued (its codes are random).
        return assert!(matches!(answer.status, 401 | 409 | 422), "a made-up code got {}", answer.status);
    }
    assert_eq!(answer.status == 200, expected, "{:?} -> {} {}", req, answer.status, String::from_utf8_lossy(&answer.body));
    if answer.status != 200 {
        return assert!(matches!(answer.status, 401 | 409 | 422), "enroll answered {}", answer.status);
    }
    let reply: EnrollDeviceReply = serde_json::from_slice(&answer.body).expect("an EnrollDeviceReply");
    let issued = issued.expect("a code was issued");
    assert_eq!(
        (reply.credential.account_id.as_str(), reply.credential.device_id.as_str()),
        (issued.account_id.as_str(), req.device_id.as_str())
    );
    ENROLLED.lock().unwrap().insert(req.device_id.clone());
    // A lost reply: the same phone retries and gets a fresh token; another phone is refused.
    let retry = enroll(&req);
    assert_eq!(retry.status, 200, "the same phone's retry: {}", String::from_utf8_lossy(&retry.body));
    let other = EnrollDeviceRequest { device_id: fundi_sync::ids::new_id(), ..req.clone() };
    assert_eq!(enroll(&other).status, 409, "a used code works for another phone");
});
