//! Enrollment bound to the depot's key, as pure steps for both sides (no I/O).
//!
//! The one-time code `0FFF-3A15-4537` is short enough to type, so it must never cross the wire:
//! whoever receives it (an impostor on the depot's Wi-Fi included) could use it. Its first group
//! names the code (`code_id`, sent in clear); the whole code is the password of a SPAKE2
//! exchange (a password-authenticated key exchange: each side learns a shared key only if both
//! used the same code, and someone in the middle can test one guess per attempt, never offline).
//!
//! 1. The phone opens TLS to the depot, whatever its certificate, and notes the key's
//!    fingerprint; sends [`EnrollStartRequest`] (code id, its SPAKE2 message).
//! 2. The depot answers [`EnrollStartReply`] (a session, its SPAKE2 message). Both now hold a key.
//! 3. The phone sends [`EnrollFinishRequest`]: a key confirmation (proves it knows the code) and
//!    a binding of the key to the fingerprint *it saw*. The depot checks both against *its own*
//!    key: a wrong code fails the first (`bad_code`); a relay with another certificate fails the
//!    second (`depot_identity_changed`), so no credential is issued through an impostor.
//! 4. The depot answers with the credential and its own proof over its fingerprint, which the
//!    phone checks before it stores anything; then it pins that fingerprint.
//!
//! ADR 0011 has the reasons and what was rejected.

use crate::hash::sha256_hex;
use crate::identity::{hex, unhex, KeyFingerprint};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use spake2::{Ed25519Group, Identity, Password, Spake2};

/// Characters in a code once spaces, dashes and case are set aside.
pub const CODE_LEN: usize = 12;
/// The leading characters that name the code (sent in clear; unique among live codes).
pub const CODE_ID_LEN: usize = 4;

const PHONE_ID: &[u8] = b"fundi phone";
const DEPOT_ID: &[u8] = b"fundi depot";

/// `POST /v1/enroll/start`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EnrollStartRequest {
    pub code_id: String,
    /// The phone's SPAKE2 message, hex.
    pub spake: String,
}

/// The answer to `POST /v1/enroll/start`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EnrollStartReply {
    pub session: String,
    /// The depot's SPAKE2 message, hex.
    pub spake: String,
}

/// `POST /v1/enroll/finish`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EnrollFinishRequest {
    pub session: String,
    pub device_id: String,
    /// HMAC of the shared key over a fixed label: proves the phone used the same code.
    pub key_confirm: String,
    /// HMAC of the shared key over the fingerprint of the key the phone's TLS connection saw.
    pub binding: String,
}

/// Why a code cannot even be tried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeFormatError {
    #[error("an enrollment code has 12 letters and digits (0-9, A-F), like 0FFF-3A15-4537")]
    Shape,
}

/// Why a step of the exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollError {
    #[error("the other side's key-exchange message is malformed")]
    Malformed,
    /// The phone used another code than the depot's (checked at the depot).
    #[error("the enrollment code is wrong")]
    WrongCode,
    /// The two sides hold the same key but saw different certificates: something in the middle.
    #[error("the depot's key is not the key this exchange was made with")]
    IdentityMismatch,
}

/// Spaces, dashes and case set aside; `Err` unless 12 hex digits remain.
pub fn normalize_code(code: &str) -> Result<String, CodeFormatError> {
    let n: String = code.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    if n.len() == CODE_LEN && n.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(n)
    } else {
        Err(CodeFormatError::Shape)
    }
}

/// What the depot stores for a code (never the code): the SPAKE2 password both sides use.
pub fn code_secret(normalized: &str) -> String {
    sha256_hex(normalized.as_bytes())
}

/// The code's public name: its first group.
pub fn code_id(normalized: &str) -> &str {
    &normalized[..CODE_ID_LEN]
}

/// The code as printed: three groups of four.
pub fn format_code(normalized: &str) -> String {
    format!("{}-{}-{}", &normalized[0..4], &normalized[4..8], &normalized[8..12])
}

fn identities(code_id: &str) -> (Identity, Identity) {
    (Identity::new(&[PHONE_ID, code_id.as_bytes()].concat()), Identity::new(&[DEPOT_ID, code_id.as_bytes()].concat()))
}

fn mac(key: &[u8], label: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(label);
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

fn mac_matches(key: &[u8], label: &[u8], data: &[u8], claimed_hex: &str) -> bool {
    let Some(claimed) = unhex(claimed_hex) else { return false };
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(label);
    m.update(data);
    m.verify_slice(&claimed).is_ok() // constant time
}

const KEY_CONFIRM: &[u8] = b"fundi enroll v1 key confirm\0";
const PHONE_BINDING: &[u8] = b"fundi enroll v1 phone binding\0";
const DEPOT_PROOF: &[u8] = b"fundi enroll v1 depot proof\0";

/// The phone's side, between its first and second request.
pub struct PhoneEnrollment {
    spake: Spake2<Ed25519Group>,
}

/// The phone's side after the key exchange: what it checks the depot's final answer with.
pub struct PhoneKey {
    key: Vec<u8>,
    seen: KeyFingerprint,
}

impl PhoneEnrollment {
    /// Step 1: from the typed code, the first request.
    pub fn start(code: &str) -> Result<(PhoneEnrollment, EnrollStartRequest), CodeFormatError> {
        let n = normalize_code(code)?;
        let id = code_id(&n).to_string();
        let (a, b) = identities(&id);
        let (spake, msg) = Spake2::<Ed25519Group>::start_a(&Password::new(code_secret(&n).as_bytes()), &a, &b);
        Ok((PhoneEnrollment { spake }, EnrollStartRequest { code_id: id, spake: hex(&msg) }))
    }

    /// Step 3: from the depot's reply and the fingerprint of the key this phone's TLS
    /// connection saw, the second request.
    pub fn finish(
        self,
        reply: &EnrollStartReply,
        seen: &KeyFingerprint,
        device_id: &str,
    ) -> Result<(PhoneKey, EnrollFinishRequest), EnrollError> {
        let theirs = unhex(&reply.spake).ok_or(EnrollError::Malformed)?;
        let key = self.spake.finish(&theirs).map_err(|_| EnrollError::Malformed)?;
        let request = EnrollFinishRequest {
            session: reply.session.clone(),
            device_id: device_id.to_string(),
            key_confirm: hex(&mac(&key, KEY_CONFIRM, b"")),
            binding: hex(&mac(&key, PHONE_BINDING, &seen.bytes())),
        };
        Ok((PhoneKey { key, seen: seen.clone() }, request))
    }
}

impl PhoneKey {
    /// Step 4: the depot proved it holds the shared key *and* the key the phone saw.
    pub fn check_depot_proof(&self, proof_hex: &str) -> Result<(), EnrollError> {
        if mac_matches(&self.key, DEPOT_PROOF, &self.seen.bytes(), proof_hex) {
            Ok(())
        } else {
            Err(EnrollError::IdentityMismatch)
        }
    }

    /// The fingerprint to pin once the proof checked.
    pub fn fingerprint(&self) -> &KeyFingerprint {
        &self.seen
    }
}

/// The depot's side of step 2: from the stored secret of the named code and the phone's
/// message, its reply message and the shared key (kept with the session until step 3).
pub fn depot_start(secret: &str, request: &EnrollStartRequest) -> Result<(Vec<u8>, String), EnrollError> {
    let theirs = unhex(&request.spake).ok_or(EnrollError::Malformed)?;
    let (a, b) = identities(&request.code_id);
    let (spake, msg) = Spake2::<Ed25519Group>::start_b(&Password::new(secret.as_bytes()), &a, &b);
    let key = spake.finish(&theirs).map_err(|_| EnrollError::Malformed)?;
    Ok((key, hex(&msg)))
}

/// The depot's side of step 3: the phone used the same code and saw this depot's key.
pub fn depot_check_finish(key: &[u8], own: &KeyFingerprint, request: &EnrollFinishRequest) -> Result<(), EnrollError> {
    if !mac_matches(key, KEY_CONFIRM, b"", &request.key_confirm) {
        return Err(EnrollError::WrongCode);
    }
    if !mac_matches(key, PHONE_BINDING, &own.bytes(), &request.binding) {
        return Err(EnrollError::IdentityMismatch);
    }
    Ok(())
}

/// The depot's proof in its final answer: its own fingerprint under the shared key.
pub fn depot_proof(key: &[u8], own: &KeyFingerprint) -> String {
    hex(&mac(key, DEPOT_PROOF, &own.bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(s: &str) -> KeyFingerprint {
        KeyFingerprint::of_spki(s.as_bytes())
    }

    /// The depot's half of a whole exchange: (reply, key).
    fn depot(code: &str, req: &EnrollStartRequest) -> (EnrollStartReply, Vec<u8>) {
        let secret = code_secret(&normalize_code(code).unwrap());
        let (key, spake) = depot_start(&secret, req).unwrap();
        (EnrollStartReply { session: "s1".into(), spake }, key)
    }

    #[test]
    fn the_same_code_and_the_same_key_enroll() {
        let (phone, req) = PhoneEnrollment::start("0fff 3a15-4537").unwrap();
        assert_eq!(req.code_id, "0FFF");
        let (reply, key) = depot("0FFF-3A15-4537", &req);
        let (pk, fin) = phone.finish(&reply, &fp("depot"), "dev-1").unwrap();
        depot_check_finish(&key, &fp("depot"), &fin).unwrap();
        pk.check_depot_proof(&depot_proof(&key, &fp("depot"))).unwrap();
        assert_eq!(pk.fingerprint(), &fp("depot"));
    }

    #[test]
    fn a_wrong_code_is_told_apart_from_a_wrong_key() {
        let (phone, req) = PhoneEnrollment::start("0FFF-3A15-4538").unwrap();
        let (reply, key) = depot("0FFF-3A15-4537", &req);
        let (_, fin) = phone.finish(&reply, &fp("depot"), "dev-1").unwrap();
        assert_eq!(depot_check_finish(&key, &fp("depot"), &fin), Err(EnrollError::WrongCode));
    }

    /// A relay that forwards every message but terminates TLS with its own key: the depot
    /// refuses, and an impostor that answers the phone itself cannot make a proof it accepts.
    #[test]
    fn a_relay_with_another_key_is_refused_by_both_sides() {
        let (phone, req) = PhoneEnrollment::start("0FFF-3A15-4537").unwrap();
        let (reply, key) = depot("0FFF-3A15-4537", &req);
        let (pk, fin) = phone.finish(&reply, &fp("impostor"), "dev-1").unwrap();
        assert_eq!(depot_check_finish(&key, &fp("depot"), &fin), Err(EnrollError::IdentityMismatch));
        // The real depot's proof is over its own key, not the one the phone saw.
        assert_eq!(pk.check_depot_proof(&depot_proof(&key, &fp("depot"))), Err(EnrollError::IdentityMismatch));
        // An impostor that guessed the code wrong cannot prove anything either.
        let (phone, req) = PhoneEnrollment::start("0FFF-3A15-4537").unwrap();
        let (reply, key) = depot("0FFF-0000-0000", &req);
        let (pk, _) = phone.finish(&reply, &fp("impostor"), "dev-1").unwrap();
        assert_eq!(pk.check_depot_proof(&depot_proof(&key, &fp("impostor"))), Err(EnrollError::IdentityMismatch));
        assert_eq!(pk.check_depot_proof("not hex"), Err(EnrollError::IdentityMismatch));
    }

    #[test]
    fn codes_are_forgiving_of_spaces_dashes_and_case_and_nothing_else() {
        assert_eq!(normalize_code(" 0fff-3a15 4537 ").unwrap(), "0FFF3A154537");
        for bad in ["0FFF-3A15-453", "0FFF-3A15-45370", "0FFG-3A15-4537", "0FFF_3A15_4537", ""] {
            assert_eq!(normalize_code(bad), Err(CodeFormatError::Shape), "{bad:?}");
        }
        assert_eq!(format_code("0FFF3A154537"), "0FFF-3A15-4537");
    }

    #[test]
    fn garbage_messages_are_typed_errors() {
        let (phone, req) = PhoneEnrollment::start("0FFF-3A15-4537").unwrap();
        let reply = EnrollStartReply { session: "s".into(), spake: "zz".into() };
        assert!(matches!(phone.finish(&reply, &fp("d"), "x"), Err(EnrollError::Malformed)));
        let bad = EnrollStartRequest { spake: "00".repeat(40), ..req };
        assert_eq!(depot_start("secret", &bad).err(), Some(EnrollError::Malformed));
    }
}
