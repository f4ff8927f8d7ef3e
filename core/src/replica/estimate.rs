//! Before a sync, what it will cost on the wire, split into records, thumbnails and photos.
//!
//! Records going up are the outbox's pending changes as the engine would send them: the push
//! requests are built by the same code (`PushRound`, `client::json_request`: gzipped when they
//! would be) and measured as the transport counts them, so their bytes are exact unless the
//! depot makes the engine split a batch. Records coming down are what the depot counts for this
//! phone's cursor and scope (`GET /v1/sync/estimate`, asked only when the caller says so: it
//! needs the network), gzipped at the ratio of the first page; from cursor 0 the phone's own
//! records about to be pushed come back too, and are counted. Thumbnails and photos are the upload
//! queue's bytes still to send, with a request per chunk; the photos the network policy holds
//! back (data saver on, a metered network) are counted apart, as waiting.
//!
//! A reviewer's phone also fetches the photos of the drafts it reviews after a sync
//! ([`Store::sync_estimate_for_reviewer`]): the files its review cache lacks, as the network and
//! the data saver allow, each sized by the depot with a one-byte range
//! (`Store::estimate_review_photos`), in [`SyncEstimate::review_photos_in`].

use super::client::{json_request, request_bytes};
use crate::account::{self, SyncError};
use crate::error::Result;
use crate::outbox;
use crate::photos::PhotoLibrary;
use crate::uploads::{self, UploadPolicy};
use crate::Store;
use fundi_sync::hlc::wall_clock_ms;
use fundi_sync::limits::PUSH_BATCH_MAX;
use fundi_sync::phone::{self, PullRound, PushRound};
use fundi_sync::uploads::CHUNK_START_BYTES;
use fundi_sync::PullEstimate;
use std::collections::BTreeMap;

/// An answer's status line and headers (content type and length, date), measured on the
/// depot's answers.
const ANSWER_HEAD_BYTES: u64 = 110;
/// One mutation's result in a push answer (`{"counter":N}` and its share of the list).
const PUSH_RESULT_BYTES: u64 = 16;
/// A push answer beyond its results (protocol, server time).
const PUSH_ANSWER_FRAME_BYTES: u64 = 80;
/// A tus request's line and headers (token, version, offset or length and metadata, checksum),
/// measured on the uploads the engine sends.
const TUS_REQUEST_HEAD_BYTES: u64 = 400;

/// Items and their bytes, one way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub items: u32,
    pub bytes: u64,
}

/// What the next sync (and the uploads after it) will cost, before it runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SyncEstimate {
    /// Up: the outbox's pending changes (the push requests, and the pull's requests).
    pub records_out: Traffic,
    /// Down: the records the pull would bring and the push's answers; `None` when the depot was
    /// not asked. Bytes before gzip: at most this much.
    pub records_in: Option<Traffic>,
    /// Records that left this phone's scope, to be removed (counted by the depot).
    pub exits_in: u32,
    /// The depot cannot answer from this phone's cursor: the pull is a full re-sync from 0.
    pub resync: bool,
    /// Up: thumbnails and photos the policy lets go on this network (bytes still to send, with
    /// a request per chunk).
    pub thumbnails_out: Traffic,
    pub photos_out: Traffic,
    /// Photos the policy holds back (data saver on, a metered network): they wait, at no cost.
    pub photos_held_back: Traffic,
    /// Down: the review photos (thumbnails, and photos when allowed) a reviewer's phone would
    /// fetch after the sync; `None` when not asked ([`Store::sync_estimate`] without a review
    /// cache, or without asking the depot).
    pub review_photos_in: Option<Traffic>,
    /// Everything known, each way.
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl Store {
    /// What the next sync and its uploads will cost on this network (`unmetered`, as the
    /// platform reports it; the data saver decides the photos). `ask_depot`: also ask the depot
    /// what the pull would bring (needs the network; without it, `records_in` is `None`).
    pub fn sync_estimate(&self, unmetered: bool, ask_depot: bool) -> Result<SyncEstimate> {
        let s = self.session()?;
        let (mutations, queue, data_saver) =
            self.read(|c| Ok((outbox::pending_readable(c)?, uploads::db::waiting(c)?, account::db::data_saver(c)?)))?;
        let policy = UploadPolicy::for_network(unmetered, data_saver);
        let url = |path: &str| format!("{}{}", s.url.trim_end_matches('/'), path);
        let request = |path: &str, json: Option<Vec<u8>>| -> Result<u64> {
            Ok(request_bytes(&json_request(&url(path), Some(&s.token), json)?))
        };

        let mut e = SyncEstimate { records_out: Traffic { items: mutations.len() as u32, bytes: 0 }, ..Default::default() };
        let mut answers_in = 0;
        if phone::needs_new_token(s.expires.max(0) as u64, wall_clock_ms()) {
            e.records_out.bytes += request("/v1/token", Some(b"{}".to_vec()))?;
            answers_in += ANSWER_HEAD_BYTES + 200;
        }
        for batch in mutations.chunks(PUSH_BATCH_MAX) {
            let mut round = PushRound::new(&s.me.device_id, s.cursor, batch.to_vec());
            let Some(req) = round.next_request() else { continue };
            let json = serde_json::to_vec(&req).map_err(|e| SyncError::Protocol(e.to_string()))?;
            e.records_out.bytes += request("/v1/sync/push", Some(json))?;
            answers_in += ANSWER_HEAD_BYTES + PUSH_ANSWER_FRAME_BYTES + PUSH_RESULT_BYTES * batch.len() as u64;
        }
        let query = PullRound::new(s.cursor).next_query().ok_or_else(|| SyncError::Protocol("no pull to ask".into()))?;
        let pages = if ask_depot {
            let mut t = Self::transport(&s)?;
            let pull: PullEstimate = t.call(&query.estimate_path(), Some(&s.token), None::<&()>)?;
            // From cursor 0 the feed sends this phone's own records back too: those it is
            // about to push are not at the depot yet (their mutations stand in for their size).
            let mut echoes = BTreeMap::new();
            if s.cursor == 0 || pull.resync {
                for m in &mutations {
                    *echoes.entry((m.kind.as_str(), m.id.as_str())).or_insert(0) +=
                        serde_json::to_vec(m).map_or(0, |j| j.len() as u64);
                }
            }
            // On the wire the pages are gzipped: at the depot's ratio, when it tells one.
            let gzipped = pull.gzip_bytes.unwrap_or(pull.bytes);
            let echo_bytes = echoes.values().sum::<u64>() * gzipped / pull.bytes.max(1);
            e.records_in = Some(Traffic {
                items: (pull.changes + echoes.len() as u64).min(u32::MAX as u64) as u32,
                bytes: answers_in + gzipped + echo_bytes + pull.pages * ANSWER_HEAD_BYTES,
            });
            e.exits_in = pull.exits.min(u32::MAX as u64) as u32;
            e.resync = pull.resync;
            pull.pages.max(1)
        } else {
            1
        };
        e.records_out.bytes += pages * request(&query.path(), None)?;

        for q in &queue {
            let left = q.length.saturating_sub(q.confirmed);
            // A creation or a HEAD, then a PATCH per chunk.
            let requests = 1 + left.div_ceil(CHUNK_START_BYTES);
            let cost = Traffic { items: 1, bytes: left + requests * TUS_REQUEST_HEAD_BYTES };
            let part = match (policy.allows(q), q.of_sha256.is_some()) {
                (true, true) => &mut e.thumbnails_out,
                (true, false) => &mut e.photos_out,
                (false, _) => &mut e.photos_held_back,
            };
            part.items += cost.items;
            part.bytes += cost.bytes;
            if policy.allows(q) {
                e.bytes_in += requests * ANSWER_HEAD_BYTES;
            }
        }
        e.bytes_out = e.records_out.bytes + e.thumbnails_out.bytes + e.photos_out.bytes;
        e.bytes_in += e.records_in.map_or(0, |r| r.bytes);
        Ok(e)
    }

    /// [`Self::sync_estimate`] for a reviewer, with the review photos the fetch after the sync
    /// would bring into `review_cache` on this network (asked of the depot, so only with
    /// `ask_depot`). The drafts are those already on the phone: what the sync itself brings is
    /// not known before it.
    pub fn sync_estimate_for_reviewer(
        &self,
        unmetered: bool,
        ask_depot: bool,
        review_cache: &PhotoLibrary,
    ) -> Result<SyncEstimate> {
        let mut e = self.sync_estimate(unmetered, ask_depot)?;
        if ask_depot {
            let (incoming, requests) = self.estimate_review_photos(review_cache, self.download_policy(unmetered)?)?;
            e.review_photos_in = Some(incoming);
            e.bytes_in += incoming.bytes;
            e.bytes_out += requests;
        }
        Ok(e)
    }
}
