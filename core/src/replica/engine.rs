//! The sync engine: enroll, then push the outbox and pull the change feed. Every step commits
//! before the next request, so a kill at any point loses nothing: unacknowledged changes stay
//! in the outbox and are resent (the depot applies each counter once), and a pulled page and
//! its cursor commit together.

use super::apply::{apply_page, Me};
use super::client::{SyncError, Transport, WireStats};
use crate::error::Result;
use crate::outbox;
use crate::storage::device_node;
use crate::Store;
use fundi_sync::hlc::{wall_clock_ms, Hlc, Timestamp};
use fundi_sync::limits::PUSH_BATCH_MAX as MAX_BATCH;
use fundi_sync::limits::{PULL_PAGE_ASKED as PAGE, TOKEN_RENEW_BEFORE_MS};
use fundi_sync::{EnrollDeviceReply, EnrollDeviceRequest, EnrollmentCode, EnrollmentRequest, RotatedToken};
use fundi_sync::{Extra, Mutation, PullResponse, PushRequest, PushResponse, Role, PROTOCOL_VERSION};
use rusqlite::{params, Connection};

/// Renew the device credential when it has less than this left.
/// Changes asked for per pull page.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncPhase {
    Pushing,
    Pulling,
    Done,
}

/// Told how a sync goes (the UI's progress bar). Called on the syncing thread.
pub trait SyncListener: Send + Sync {
    fn on_progress(&self, phase: SyncPhase, done: u32, total: u32);
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Local changes the depot applied.
    pub pushed: u32,
    /// Local changes the depot refused (now wedged, with their reason).
    pub refused: u32,
    /// Records received.
    pub pulled: u32,
    pub wire: WireStats,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncStatus {
    pub enrolled: bool,
    pub role: Option<Role>,
    pub account_id: Option<String>,
    pub pending: u32,
    pub wedged: u32,
    pub conflicts: u32,
    pub last_sync_ms: Option<u64>,
    /// Why the last sync failed, if it did (cleared by the next success).
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enrollment {
    pub account_id: String,
    pub role: Role,
}

struct Session {
    url: String,
    token: String,
    expires: i64,
    me: Me,
    cursor: u64,
}

fn device_id(conn: &Connection) -> Result<String> {
    Ok(conn.query_row("SELECT device_id FROM device", [], |r| r.get(0))?)
}

/// Learn the depot's clock: the offset that brings this phone's stamps to depot time, and the
/// depot's stamp observed by the HLC (later local stamps sort after it).
fn learn_clock(conn: &Connection, server: Timestamp) -> Result<()> {
    let skew: i64 = conn.query_row("SELECT clock_skew_ms FROM sync_state WHERE id = 1", [], |r| r.get(0))?;
    let local = wall_clock_ms() as i64 + skew;
    conn.execute("UPDATE sync_state SET clock_offset_ms = ?1 WHERE id = 1", [server.wall_ms as i64 - local])?;
    super::rebase::rebase_future_stamps(conn, server)?;
    let node = device_node(conn)?;
    let (wall, counter): (i64, i64) =
        conn.query_row("SELECT wall_ms, counter FROM hlc_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut hlc = Hlc { wall_ms: wall as u64, counter: counter as u32, node };
    hlc.observe(server, crate::storage::physical_now(conn)?, u64::MAX)?;
    conn.execute(
        "UPDATE hlc_state SET wall_ms = ?1, counter = ?2 WHERE id = 1",
        params![hlc.wall_ms as i64, hlc.counter as i64],
    )?;
    Ok(())
}

impl Store {
    fn session(&self) -> Result<Session> {
        self.read(|c| {
            let row: (Option<String>, Option<String>, Option<String>, Option<String>, Option<i64>, i64) = c.query_row(
                "SELECT server_url, account_id, role, token, token_expires_ms, cursor FROM sync_state WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )?;
            match row {
                (Some(url), Some(account_id), Some(_role), Some(token), expires, cursor) => Ok(Session {
                    url,
                    token,
                    expires: expires.unwrap_or(0),
                    me: Me { account_id, device_id: device_id(c)? },
                    cursor: cursor as u64,
                }),
                _ => Err(SyncError::NotEnrolled.into()),
            }
        })
    }

    /// Exchange an enrollment code (from a mentor, staff or operations) for this phone's
    /// credential at the depot `server_url`. Retrying after a lost reply is safe.
    pub fn enroll_device(&self, server_url: &str, code: &str) -> Result<Enrollment> {
        let device = self.read(device_id)?;
        let mut t = Transport::new(server_url)?;
        let request = EnrollDeviceRequest { code: code.trim().to_string(), device_id: device };
        let reply: EnrollDeviceReply = t.call("/v1/enroll", None, Some(&request))?;
        let (credential, server_time) = (reply.credential, reply.server_time);
        self.write(|tx| {
            tx.execute(
                "UPDATE sync_state SET server_url = ?1, account_id = ?2, role = ?3, token = ?4, token_expires_ms = ?5, cursor = 0 WHERE id = 1",
                params![
                    server_url,
                    credential.account_id,
                    credential.role.code(),
                    credential.token,
                    credential.token_expires_ms as i64
                ],
            )?;
            learn_clock(tx, server_time)
        })?;
        Ok(Enrollment { account_id: credential.account_id, role: credential.role })
    }

    /// Push every pending change, then pull what changed at the depot. Safe to call at any
    /// time, from any thread, even while another sync runs (the depot dedupes pushes; a pulled
    /// page is applied only if no other sync moved the cursor meanwhile).
    pub fn sync_now(&self, listener: Option<&dyn SyncListener>) -> Result<SyncReport> {
        let s = self.session()?;
        let mut t = Transport::new(&s.url)?;
        let result = self.sync_with(&mut t, s, listener);
        let err_text = result.as_ref().err().map(|e| e.to_string());
        let _ = self.write(|tx| {
            match &err_text {
                None => tx.execute(
                    "UPDATE sync_state SET last_sync_ms = ?1, last_error = NULL WHERE id = 1",
                    [wall_clock_ms() as i64],
                )?,
                Some(e) => tx.execute("UPDATE sync_state SET last_error = ?1 WHERE id = 1", [e])?,
            };
            Ok(())
        });
        result.map(|mut r| {
            r.wire = t.stats;
            r
        })
    }

    fn sync_with(&self, t: &mut Transport, mut s: Session, listener: Option<&dyn SyncListener>) -> Result<SyncReport> {
        let progress = |p, d, n| {
            if let Some(l) = listener {
                l.on_progress(p, d, n)
            }
        };
        let mut report = SyncReport::default();
        if s.expires - (wall_clock_ms() as i64) < TOKEN_RENEW_BEFORE_MS as i64 {
            // The old token keeps working until the new one is used, so a lost reply is harmless.
            let r: RotatedToken = t.call("/v1/token", Some(&s.token), Some(&serde_json::json!({})))?;
            self.write(|tx| {
                tx.execute(
                    "UPDATE sync_state SET token = ?1, token_expires_ms = ?2 WHERE id = 1",
                    params![r.token, r.token_expires_ms as i64],
                )?;
                Ok(())
            })?;
            s.token = r.token;
        }
        // Push, a batch at a time.
        let total = self
            .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM outbox WHERE state = 'pending'", [], |r| r.get::<_, i64>(0))?))?
            as u32;
        // Every round acknowledges or wedges at least one item, so this ends; the bound is a
        // belt-and-braces guard against a depot that answers nonsense forever.
        for _ in 0..=total {
            let batch = self.read(|c| outbox::pending(c, MAX_BATCH))?;
            if batch.is_empty() {
                break;
            }
            progress(SyncPhase::Pushing, report.pushed + report.refused, total);
            let n = batch.len();
            let req = PushRequest {
                protocol: PROTOCOL_VERSION,
                device_id: s.me.device_id.clone(),
                cursor: s.cursor,
                mutations: batch,
                extra: Extra::new(),
            };
            let resp: PushResponse = match t.call("/v1/sync/push", Some(&s.token), Some(&req)) {
                Ok(r) => r,
                // The depot refused the batch as a whole (it could not read it, or it is too
                // big): find the culprit by sending one at a time, and park it as wedged, so
                // one bad item never blocks the queue.
                Err(SyncError::Server { status: 400 | 413, code, detail }) => {
                    let (applied, refused) = self.push_one_by_one(t, &s, req.mutations, &code, &detail)?;
                    report.pushed += applied;
                    report.refused += refused;
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            if resp.results.len() != n {
                return Err(SyncError::Protocol("push answered a different number of mutations".into()).into());
            }
            let (applied, refused) = self.write(|tx| {
                let counts = outbox::acknowledge(tx, &resp.results)?;
                // After the answers: items refused for the clock are re-stamped here.
                learn_clock(tx, resp.server_time)?;
                Ok(counts)
            })?;
            report.pushed += applied;
            report.refused += refused;
            if n < MAX_BATCH {
                break;
            }
        }
        // Pull until the feed is drained.
        loop {
            progress(SyncPhase::Pulling, report.pulled, 0);
            let path = format!("/v1/sync/pull?cursor={}&limit={PAGE}&protocol={PROTOCOL_VERSION}", s.cursor);
            let page: PullResponse = t.call(&path, Some(&s.token), None::<&()>)?;
            let n = page.changes.len() as u32;
            let applied = self.write(|tx| {
                learn_clock(tx, page.server_time)?;
                let current: i64 = tx.query_row("SELECT cursor FROM sync_state WHERE id = 1", [], |r| r.get(0))?;
                if current as u64 != s.cursor {
                    return Ok(false); // another sync got here first; its data is as new
                }
                apply_page(tx, &s.me, &page.changes)?;
                tx.execute("UPDATE sync_state SET cursor = ?1 WHERE id = 1", [page.cursor as i64])?;
                Ok(true)
            })?;
            if !applied {
                break;
            }
            report.pulled += n;
            s.cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        progress(SyncPhase::Done, report.pushed + report.pulled, report.pushed + report.pulled);
        Ok(report)
    }

    fn push_one_by_one(
        &self,
        t: &mut Transport,
        s: &Session,
        batch: Vec<Mutation>,
        code: &str,
        detail: &str,
    ) -> Result<(u32, u32)> {
        let (mut applied, mut refused) = (0, 0);
        if batch.len() == 1 {
            let counter = batch[0].counter as i64;
            self.write(|tx| {
                tx.execute(
                    "UPDATE outbox SET state = 'wedged', reason = ?1, attempts = attempts + 1 WHERE counter = ?2",
                    params![format!("{code}: {detail}"), counter],
                )?;
                Ok(())
            })?;
            return Ok((0, 1));
        }
        for m in batch {
            let req = PushRequest {
                protocol: PROTOCOL_VERSION,
                device_id: s.me.device_id.clone(),
                cursor: s.cursor,
                mutations: vec![m],
                extra: Extra::new(),
            };
            match t.call::<PushResponse>("/v1/sync/push", Some(&s.token), Some(&req)) {
                Ok(resp) => {
                    let (a, r) = self.write(|tx| {
                        let counts = outbox::acknowledge(tx, &resp.results)?;
                        learn_clock(tx, resp.server_time)?;
                        Ok(counts)
                    })?;
                    applied += a;
                    refused += r;
                }
                Err(SyncError::Server { status: 400 | 413, code, detail }) => {
                    let (a, r) = self.push_one_by_one(t, s, req.mutations, &code, &detail)?;
                    applied += a;
                    refused += r;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let _ = (code, detail);
        Ok((applied, refused))
    }

    pub fn sync_status(&self) -> Result<SyncStatus> {
        self.read(|c| {
            let (account_id, role, last_sync, last_error): (Option<String>, Option<String>, Option<i64>, Option<String>) = c
                .query_row("SELECT account_id, role, last_sync_ms, last_error FROM sync_state WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).map(|n| n as u32);
            Ok(SyncStatus {
                enrolled: account_id.is_some(),
                role: role.as_deref().and_then(Role::from_code),
                account_id,
                pending: count("SELECT COUNT(*) FROM outbox WHERE state = 'pending'")?,
                wedged: count("SELECT COUNT(*) FROM outbox WHERE state = 'wedged'")?,
                conflicts: count(
                    "SELECT (SELECT COUNT(*) FROM conflicts) + (SELECT COUNT(*) FROM outbox WHERE state = 'wedged')",
                )?,
                last_sync_ms: last_sync.map(|m| m as u64),
                last_error,
            })
        })
    }

    /// Create an account and its one-time enrollment code at the depot: a mentor enrolls a
    /// mentee's phone, staff an artisan's, operations anyone's. Needs the network.
    pub fn create_enrollment(&self, role: Role, name: &str) -> Result<EnrollmentCode> {
        let s = self.session()?;
        let mut t = Transport::new(&s.url)?;
        let request = EnrollmentRequest { role, name: name.to_string(), mentor_id: None };
        Ok(t.call("/v1/enrollments", Some(&s.token), Some(&request))?)
    }

    /// Revoke a lost phone (its owner's, a mentee's, or any for operations). Needs the network.
    pub fn revoke_device(&self, device_id: &str) -> Result<()> {
        let s = self.session()?;
        let mut t = Transport::new(&s.url)?;
        let _: serde_json::Value =
            t.call(&format!("/v1/devices/{device_id}/revoke"), Some(&s.token), Some(&serde_json::json!({})))?;
        Ok(())
    }

    /// This phone's permanent device id (what a mentor or operations revoke when it is lost).
    pub fn device_id(&self) -> Result<String> {
        self.read(device_id)
    }

    /// Pretend this phone's wall clock is `ms` off (tests and demos of clock trouble).
    pub fn set_clock_skew_for_testing(&self, ms: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE sync_state SET clock_skew_ms = ?1 WHERE id = 1", [ms])?;
            Ok(())
        })
    }

    /// The greatest HLC stamp this phone has issued or seen (tests check it never goes back).
    pub fn clock_high_water(&self) -> Result<Timestamp> {
        self.read(|c| {
            let node = device_node(c)?;
            let (wall, counter): (i64, i64) =
                c.query_row("SELECT wall_ms, counter FROM hlc_state WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(Timestamp { wall_ms: wall as u64, counter: counter as u32, node })
        })
    }
}
