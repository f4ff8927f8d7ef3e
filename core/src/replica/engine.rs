//! The sync engine: enroll, then push the outbox and pull the change feed. Every step commits
//! before the next request, so a kill at any point loses nothing: unacknowledged changes stay
//! in the outbox and are resent (the depot applies each counter once), and a pulled page and
//! its cursor commit together.
//!
//! When the depot answers `cursor_expired` (it pruned deletions this phone never saw), the pull
//! starts over from 0 as a full re-sync: what the phone holds is marked, and what the feed does
//! not send again is swept with its last page (`sweep`, ADR 0012).
//!
//! The protocol's steps are pure and live in `fundi_sync::phone` ([`PushRound`] plans and folds
//! each batch, bisecting one the depot cannot read; [`PullRound`] walks the feed; the clock is
//! learnt by `phone::learn_clock`); this engine is the adapter that does the SQL and the HTTP
//! around them.
//!
//! Kill tests arm the crash points between the steps (`fundi_sqlite::crash_point`): an answer
//! received but not stored, stored; a page received but not applied, applied.

use super::apply::{apply_page, settle_applied, settle_refused, Me};
use super::client::Transport;
use super::pinning::Trust;
use super::status::{Enrollment, SyncListener, SyncPhase, SyncReport};
use super::sweep;
use super::tally::{self, PartTally};
use crate::account::db::SessionToken;
use crate::account::{self, vault, SyncError};
use crate::error::Result;
use crate::storage::{self, load_clock, local_wall_ms, physical_now, save_clock, set_clock_offset};
use crate::Store;
use crate::{mentees, outbox};
use fundi_sqlite::crash_point;
use fundi_sync::enrollment::{EnrollStartReply, PhoneEnrollment};
use fundi_sync::hlc::{wall_clock_ms, Timestamp};
use fundi_sync::identity::KeyFingerprint;
use fundi_sync::limits::PUSH_BATCH_MAX as MAX_BATCH;
use fundi_sync::phone::{self, FoldError, PullRound, PushAnswer, PushRound};
use fundi_sync::{DeviceCredential, EnrollDeviceReply, EnrollmentCode, EnrollmentRequest, RotatedToken};
use fundi_sync::{MenteesPage, PullResponse, PushResponse, Role};
use rusqlite::Connection;

/// What one sync works with, read once at its start.
pub(super) struct Session {
    pub(super) url: String,
    pub(super) token: String,
    pub(super) expires: i64,
    pub(super) me: Me,
    pub(super) cursor: u64,
    trust: Trust,
    next_key: Option<KeyFingerprint>,
}

/// Learn the depot's clock (the protocol's [`phone::learn_clock`]): the offset that brings this
/// phone's stamps to depot time, the re-stamping of edits made too far in the future, and the
/// depot's stamp observed by the HLC (later local stamps sort after it).
fn learn_clock(conn: &Connection, server: Timestamp) -> Result<()> {
    let lesson = phone::learn_clock(local_wall_ms(conn)?, load_clock(conn)?.wall_ms, server);
    set_clock_offset(conn, lesson.offset_ms)?;
    if let Some(above) = lesson.rebase_above {
        super::rebase::rebase_future_stamps(conn, server, above)?;
    }
    let mut hlc = load_clock(conn)?;
    hlc.observe(server, physical_now(conn)?, u64::MAX)?;
    save_clock(conn, &hlc)?;
    Ok(())
}

fn protocol_error(e: FoldError) -> crate::Error {
    SyncError::Protocol(e.to_string()).into()
}

impl Store {
    /// The session, its token opened by the vault (outside the database lock: a keystore may
    /// take a while). A token the vault can never open again is `CredentialLost`: enroll again.
    pub(super) fn session(&self) -> Result<Session> {
        let (row, device_id) = self.read(|c| Ok((account::db::session(c)?, storage::device_id(c)?)))?;
        let token = match row.token {
            SessionToken::Sealed(sealed) => vault::open(&*self.vault, &sealed)?,
            SessionToken::Clear(clear) => clear,
        };
        Ok(Session {
            url: row.url,
            token,
            expires: row.token_expires_ms,
            me: Me { account_id: row.account_id, device_id },
            cursor: row.cursor,
            trust: Trust::Pinned { current: row.depot_key, cert: row.depot_cert, next: row.depot_next_key.clone() },
            next_key: row.depot_next_key,
        })
    }

    /// Keep a token the depot rotated: sealed by the vault, then stored.
    pub(super) fn keep_rotated_token(&self, r: &RotatedToken) -> Result<()> {
        let sealed = vault::seal(&*self.vault, &r.token)?;
        self.write(|tx| account::db::set_token(tx, &sealed, r.token_expires_ms))
    }

    /// A transport to the enrolled depot, trusting only its pinned key.
    pub(super) fn transport(s: &Session) -> Result<Transport> {
        Ok(Transport::new(&s.url, s.trust.clone())?)
    }

    /// What a sync's connections taught about the depot's key: a next key announced (and signed
    /// by the pinned one) is remembered; the next key presented means the depot switched to it.
    fn learn_depot_key(&self, next_key: Option<&KeyFingerprint>, t: &Transport) -> Result<()> {
        let seen = t.seen();
        self.write(|tx| {
            if let (Some(next), Some(key), Some(cert)) = (next_key, &seen.key, &seen.cert) {
                if key == next {
                    account::db::promote_next_depot_key(tx, cert)?;
                    return Ok(());
                }
            }
            if let Some(next) = &t.announced {
                account::db::set_next_depot_key(tx, next)?;
            }
            Ok(())
        })
    }

    /// Exchange an enrollment code (from a mentor, staff or operations) for this phone's
    /// credential at the depot `server_url` (`https://`), and pin the depot's key. The code never
    /// crosses the wire: it is the password of a key exchange bound to the key this connection
    /// saw (`fundi_sync::enrollment`), so enrolling through an impostor fails with
    /// `DepotIdentityChanged` and stores nothing. Retrying after a lost reply is safe.
    pub fn enroll_device(&self, server_url: &str, code: &str) -> Result<Enrollment> {
        let device = self.read(|c| Ok(storage::device_id(c)?))?;
        // A code that is not one is refused here, as the depot would refuse it.
        let (exchange, start) =
            PhoneEnrollment::start(code).map_err(|_| SyncError::Unauthorized { code: "unauthorized".into() })?;
        let mut t = Transport::new(server_url, Trust::Enrolling)?;
        let reply: EnrollStartReply = t.call("/v1/enroll/start", None, Some(&start))?;
        let seen = t.seen();
        let (Some(key), Some(cert)) = (seen.key, seen.cert) else {
            return Err(SyncError::Protocol("no certificate was presented".into()).into());
        };
        let changed = |presented: &KeyFingerprint| SyncError::DepotIdentityChanged {
            pinned: key.to_string(),
            presented: presented.to_string(),
        };
        let (proof, finish) = exchange.finish(&reply, &key, &device).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let reply: EnrollDeviceReply = t.call("/v1/enroll/finish", None, Some(&finish)).map_err(|e| match e {
            SyncError::Server { code, .. } if code == "depot_identity_changed" => changed(&key),
            other => other,
        })?;
        // Both requests must have gone over the connection whose key the exchange was bound to.
        if let Some(other) = t.seen().key.filter(|k| k != &key) {
            return Err(changed(&other).into());
        }
        proof.check_depot_proof(&reply.depot_proof).map_err(|_| changed(&key))?;
        let depot = account::db::PinnedDepot { url: server_url, key: &key, cert: &cert };
        self.keep_credential(depot, &reply.credential, reply.server_time)?;
        Ok(Enrollment { account_id: reply.credential.account_id, role: reply.credential.role })
    }

    /// Keep an enrollment's credential: its token sealed by the vault before the transaction,
    /// and only the sealed bytes written. Should the vault fail, nothing is stored (enrolling
    /// again with the same code is then as safe as retrying after a lost reply).
    fn keep_credential(&self, depot: account::db::PinnedDepot<'_>, c: &DeviceCredential, server_time: Timestamp) -> Result<()> {
        let sealed = vault::seal(&*self.vault, &c.token)?;
        self.write(|tx| {
            account::db::set_credential(tx, depot, c, &sealed)?;
            learn_clock(tx, server_time)
        })
    }

    /// Push every pending change, then pull what changed at the depot. Safe to call at any
    /// time, from any thread, even while another sync runs (the depot dedupes pushes; a pulled
    /// page is applied only if no other sync moved the cursor meanwhile).
    pub fn sync_now(&self, listener: Option<&dyn SyncListener>) -> Result<SyncReport> {
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let next_key = s.next_key.clone();
        let mut report = SyncReport::default();
        let result = self.sync_with(&mut t, s, listener, &mut report);
        // Even a sync that failed half way may have met the depot's next key.
        let learnt = self.learn_depot_key(next_key.as_ref(), &t);
        let result = result.and(learnt);
        let err_text = result.as_ref().err().map(|e| e.to_string());
        report.wire = t.stats;
        // What it cost is noted even when it failed half way: the bytes were spent.
        let records = PartTally { items: report.pushed + report.refused + report.pulled, wire: t.stats };
        let _ = self.write(|tx| {
            tally::start(tx, records, wall_clock_ms())?;
            account::db::record_sync_outcome(tx, err_text.as_deref(), wall_clock_ms())
        });
        result.map(|_| report)
    }

    /// Push then pull, counting into `report` as it goes (so a sync cut short still says what
    /// it did).
    fn sync_with(
        &self,
        t: &mut Transport,
        mut s: Session,
        listener: Option<&dyn SyncListener>,
        report: &mut SyncReport,
    ) -> Result<()> {
        let progress = |p, d, n| {
            if let Some(l) = listener {
                l.on_progress(p, d, n)
            }
        };
        if phone::needs_new_token(s.expires.max(0) as u64, wall_clock_ms()) {
            // The old token keeps working until the new one is used, so a lost reply is harmless.
            let r: RotatedToken = t.call("/v1/token", Some(&s.token), Some(&serde_json::json!({})))?;
            self.keep_rotated_token(&r)?;
            s.token = r.token;
        }
        // Push, an outbox batch at a time; each batch is a round of the protocol's step machine.
        let total = self.read(outbox::pending_count)?;
        // Every round settles at least one item or stops, so this ends; the bound is a
        // belt-and-braces guard against a depot that answers nonsense forever.
        for _ in 0..=total {
            let batch = self.read(|c| outbox::pending(c, MAX_BATCH))?;
            let full = batch.len() == MAX_BATCH;
            if batch.is_empty() {
                break;
            }
            let mut round = PushRound::new(&s.me.device_id, s.cursor, batch);
            let mut settled = 0;
            while let Some(req) = round.next_request() {
                progress(SyncPhase::Pushing, report.pushed + report.refused, total);
                let answer = match t.call::<PushResponse>("/v1/sync/push", Some(&s.token), Some(&req)) {
                    Ok(r) => PushAnswer::Answered(r),
                    // The depot could not read the request, or it is too big: the round
                    // bisects it until the one item at fault is parked as wedged.
                    Err(SyncError::Server { status: 400 | 413, code, detail }) => PushAnswer::RefusedWhole { code, detail },
                    Err(e) => return Err(e.into()),
                };
                crash_point("sync:push_answered");
                let folded = round.receive(answer).map_err(protocol_error)?;
                settled += folded.settled.len();
                let (applied, refused) = self.write(|tx| {
                    let applied = outbox::acknowledge(tx, &folded.settled)?;
                    for m in &applied {
                        settle_applied(tx, m)?;
                    }
                    settle_refused(tx, &folded.settled)?;
                    // After the answers: items refused for the clock are re-stamped here.
                    if let Some(time) = folded.server_time {
                        learn_clock(tx, time)?;
                    }
                    Ok((applied.len() as u32, (folded.settled.len() - applied.len()) as u32))
                })?;
                crash_point("sync:push_stored");
                report.pushed += applied;
                report.refused += refused;
                // Again once answered, so a progress bar moves as items settle, not only
                // before each request.
                progress(SyncPhase::Pushing, report.pushed + report.refused, total);
            }
            if !full || settled == 0 {
                break;
            }
        }
        // Pull until the feed is drained; a full re-sync left unfinished is resumed.
        let mut pull = if self.read(sweep::in_progress)? { PullRound::full(s.cursor) } else { PullRound::new(s.cursor) };
        let mut restarted = false;
        while let Some(query) = pull.next_query() {
            progress(SyncPhase::Pulling, report.pulled, 0);
            let page: PullResponse = match t.call(&query.path(), Some(&s.token), None::<&()>) {
                Ok(page) => page,
                // The depot never gave out this cursor (its data was restored from an older
                // copy): pull everything again, once, rather than miss what lies before it.
                Err(SyncError::Server { code, .. }) if code == "cursor_ahead" && !restarted => {
                    restarted = true;
                    self.write(|tx| account::db::restart_feed(tx))?;
                    // A full re-sync under way stays one: its marks must all be answered.
                    pull = if pull.is_full() { PullRound::full(0) } else { PullRound::new(0) };
                    continue;
                }
                // The depot pruned deletions this phone never saw: mark what it holds, pull
                // everything again, and sweep what does not come back.
                // Marked and restarted first: a second expiry in one sync ends it with an
                // error, and the next sync starts over from there.
                Err(SyncError::Server { code, .. }) if code == "cursor_expired" => {
                    self.write(|tx| {
                        sweep::mark(tx)?;
                        account::db::restart_feed(tx)
                    })?;
                    pull.restart_full().map_err(protocol_error)?;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            crash_point("sync:pull_received");
            let before = pull.cursor();
            let after = pull.receive(&page).map_err(protocol_error)?;
            let applied = self.write(|tx| {
                learn_clock(tx, page.server_time)?;
                if account::db::cursor(tx)? != before {
                    return Ok(false); // another sync got here first; its data is as new
                }
                apply_page(tx, &s.me, &page, pull.is_full())?;
                if pull.sweep_due() {
                    sweep::sweep(tx)?;
                }
                account::db::set_cursor(tx, after)?;
                Ok(true)
            })?;
            crash_point("sync:pull_applied");
            if !applied {
                pull.stop();
                break;
            }
            report.pulled += page.changes.len() as u32;
        }
        if self.read(account::db::me)?.1 == Role::Mentor {
            self.fetch_mentees(t, &s.token)?;
        }
        progress(SyncPhase::Done, report.pushed + report.pulled, report.pushed + report.pulled);
        Ok(())
    }

    /// A mentor's mentees as the depot lists them now, kept for the screen. A depot older than
    /// the list (404) leaves the kept list as it was.
    fn fetch_mentees(&self, t: &mut Transport, token: &str) -> Result<()> {
        match t.call::<MenteesPage>("/v1/mentees", Some(token), None::<&()>) {
            Ok(page) => self.write(|tx| mentees::db::replace(tx, &page.mentees)),
            Err(SyncError::Server { status: 404, .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Create an account and its one-time enrollment code at the depot: a mentor enrolls a
    /// mentee's phone, staff an artisan's, operations anyone's. Needs the network.
    pub fn create_enrollment(&self, role: Role, name: &str) -> Result<EnrollmentCode> {
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let request = EnrollmentRequest { role, name: name.to_string(), mentor_id: None, depot_id: None };
        Ok(t.call("/v1/enrollments", Some(&s.token), Some(&request))?)
    }

    /// Revoke a lost phone (its owner's, a mentee's, or any for operations). Needs the network.
    pub fn revoke_device(&self, device_id: &str) -> Result<()> {
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let _: serde_json::Value =
            t.call(&format!("/v1/devices/{device_id}/revoke"), Some(&s.token), Some(&serde_json::json!({})))?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "vault_tests.rs"]
mod vault_tests;
