//! Sending the upload queue (`crate::uploads`) over tus 1.0 (`fundi_sync::uploads`, ADR 0013):
//! thumbnails first, then photos when the policy allows them. Each blob is read from the photo
//! library and checked against its name, its upload created once (the depot's path is kept),
//! then sent in chunks from the offset the depot confirms, each chunk with its checksum. The
//! offset is saved after every chunk the depot stored, so a kill loses at most the chunk in
//! flight; a run that finds an upload already created asks the depot (`HEAD`) where it stands
//! instead of trusting the saved offset. Chunks grow or shrink with the link
//! (`fundi_sync::uploads::next_chunk_size`).
//!
//! One blob's refusal (its draft has not reached the depot yet, a bound) leaves it waiting with
//! the code and goes on to the next; a lost connection or a refused credential ends the run.
//!
//! A listener is told the progress after every chunk the depot stored, per blob and over the
//! run; what the run cost on the wire is added to the last sync's tally (`tally`), thumbnails
//! and photos apart.

use super::client::{Transport, TusAnswer};
use super::tally::{self, Part, PartTally};
use crate::account::SyncError;
use crate::error::Result;
use crate::photos::PhotoLibrary;
use crate::uploads::{db, UploadListener, UploadPolicy, UploadProgress, UploadReport};
use crate::Store;
use fundi_sqlite::crash_point;
use fundi_sync::hlc::wall_clock_ms;
use fundi_sync::uploads::{
    checksum_header, header as h, metadata_for, next_chunk_size, parse_number, thumbnail_metadata_for, ChunkOutcome,
    CHECKSUM_MISMATCH, CHUNK_START_BYTES, OFFSET_OCTET_STREAM, TUS_VERSION, UPLOADS_PATH,
};
use reqwest::Method;
use std::time::Instant;

/// Times one blob's upload may be created again or a chunk sent again in one run before the
/// blob is left for the next run.
const RETRIES: u32 = 3;

/// How one blob's attempt ended.
enum Sent {
    /// The depot holds it whole; `stored` bytes of it were sent in this run.
    Finished { stored: u64, already: bool },
    /// Left waiting, with the code why.
    Waiting(String),
}

fn server_error(a: &TusAnswer) -> SyncError {
    let code = a.error.clone().unwrap_or_else(|| "unknown".into());
    SyncError::Server { status: a.status, code, detail: "upload".into() }
}

fn offset_of(a: &TusAnswer) -> std::result::Result<u64, SyncError> {
    let text = a.header(h::UPLOAD_OFFSET).ok_or_else(|| SyncError::Protocol("an upload answer without Upload-Offset".into()))?;
    parse_number("Upload-Offset", text).map_err(|e| SyncError::Protocol(e.to_string()))
}

/// The path of an upload from a creation's `Location` (a path, or an address under the depot's).
fn upload_path(location: &str, base: &str) -> Option<String> {
    let path = location.strip_prefix(base.trim_end_matches('/')).unwrap_or(location);
    (path.starts_with(UPLOADS_PATH) && path.len() > UPLOADS_PATH.len() + 1).then(|| path.to_string())
}

/// The progress of a run, told to its listener.
struct Progress<'a> {
    listener: Option<&'a dyn UploadListener>,
    /// Bytes the depot holds of the run's blobs, as last told, and their lengths.
    overall_done: u64,
    overall_total: u64,
}

impl Progress<'_> {
    /// The depot holds `now` bytes of `item`; `told` is what was counted for it so far.
    fn tell(&mut self, item: &db::Queued, told: &mut u64, now: u64) {
        self.overall_done = self.overall_done.saturating_sub(*told) + now;
        *told = now;
        if let Some(l) = self.listener {
            l.on_upload_progress(UploadProgress {
                sha256: item.sha256.clone(),
                thumbnail_of: item.of_sha256.clone(),
                done: now,
                total: item.length,
                overall_done: self.overall_done,
                overall_total: self.overall_total,
            });
        }
    }
}

impl Store {
    /// Send what waits in the upload queue that `policy` allows, resuming each upload where the
    /// depot has it. Run after a sync (the records that name the photos go first; the depot
    /// takes a photo only once a record it may write names it).
    pub fn upload_photos(&self, lib: &PhotoLibrary, policy: UploadPolicy) -> Result<UploadReport> {
        self.upload_photos_with(lib, policy, None)
    }

    /// [`Store::upload_photos`], telling `listener` the progress after every chunk.
    pub fn upload_photos_with(
        &self,
        lib: &PhotoLibrary,
        policy: UploadPolicy,
        listener: Option<&dyn UploadListener>,
    ) -> Result<UploadReport> {
        let s = self.session()?;
        let mut t = Self::transport(&s)?;
        let mut report = UploadReport::default();
        let mut chunk = CHUNK_START_BYTES;
        let (queue, held_back): (Vec<_>, Vec<_>) = self.read(db::waiting)?.into_iter().partition(|q| policy.allows(q));
        let mut progress = Progress {
            listener,
            overall_done: queue.iter().map(|q| q.confirmed.min(q.length)).sum(),
            overall_total: queue.iter().map(|q| q.length).sum(),
        };
        // Thumbnails, photos: what each cost on the wire.
        let mut parts = [PartTally::default(); 2];
        let mut result = Ok(());
        for (i, item) in queue.iter().enumerate() {
            let before = t.stats;
            let sent = self.upload_one(&mut t, &s.url, &s.token, lib, item, &mut chunk, &mut progress);
            let part = &mut parts[item.of_sha256.is_none() as usize];
            part.wire = part.wire.plus(t.stats.since(before));
            match sent {
                Ok(Sent::Finished { stored, already }) => {
                    part.items += 1;
                    report.finished += 1;
                    report.bytes_sent += stored;
                    report.already_stored += already as u32;
                }
                Ok(Sent::Waiting(code)) => {
                    self.write(|tx| db::set_error(tx, &item.sha256, &code))?;
                    report.waiting += 1;
                }
                Err(e) => {
                    report.waiting += (queue.len() - i) as u32;
                    result = Err(e);
                    break;
                }
            }
        }
        // Photos the policy held back wait too.
        report.waiting += held_back.len() as u32;
        report.wire = t.stats;
        // Noted even when the run was cut short (like the sync's own tally).
        let _ = self.write(|tx| {
            tally::add(tx, Part::Thumbnails, parts[0], wall_clock_ms())?;
            tally::add(tx, Part::Photos, parts[1], wall_clock_ms())
        });
        result.map(|_| report)
    }

    #[allow(clippy::too_many_arguments)]
    fn upload_one(
        &self,
        t: &mut Transport,
        base: &str,
        token: &str,
        lib: &PhotoLibrary,
        item: &db::Queued,
        chunk: &mut u64,
        progress: &mut Progress<'_>,
    ) -> Result<Sent> {
        let mut told = item.confirmed.min(item.length);
        let bytes = match lib.path_of(&item.sha256).ok().and_then(|p| std::fs::read(p).ok()) {
            Some(b) if b.len() as u64 == item.length && fundi_sync::hash::sha256_hex(&b) == item.sha256 => b,
            // The file is gone or damaged: nothing to send that the depot would take.
            _ => return Ok(Sent::Waiting("file_missing".into())),
        };
        let tus = |extra: &[(&'static str, String)]| {
            let mut hs = vec![(h::TUS_RESUMABLE, TUS_VERSION.to_string())];
            hs.extend_from_slice(extra);
            hs
        };
        let mut location = item.location.clone();
        let mut stored = 0u64;
        let mut retries = 0;
        loop {
            if retries > RETRIES {
                return Ok(Sent::Waiting("retries_exhausted".into()));
            }
            // Where the upload stands: created now, or asked of the depot.
            let mut offset = match &location {
                None => {
                    let metadata = match &item.of_sha256 {
                        Some(photo) => thumbnail_metadata_for(&item.sha256, photo),
                        None => metadata_for(&item.sha256),
                    };
                    let hs = tus(&[(h::UPLOAD_LENGTH, item.length.to_string()), (h::UPLOAD_METADATA, metadata)]);
                    let a = t.tus(Method::POST, UPLOADS_PATH, token, &hs, None)?;
                    match (a.status, a.error.as_deref()) {
                        (201, _) => {
                            let path = a
                                .header("location")
                                .and_then(|l| upload_path(l, base))
                                .ok_or_else(|| SyncError::Protocol("a created upload without a usable Location".into()))?;
                            let offset = offset_of(&a)?;
                            crash_point("upload.created");
                            self.write(|tx| db::set_location(tx, &item.sha256, Some(&path), offset))?;
                            location = Some(path);
                            offset
                        }
                        (409, Some("already_stored")) => {
                            self.write(|tx| db::set_done(tx, &item.sha256))?;
                            progress.tell(item, &mut told, item.length);
                            return Ok(Sent::Finished { stored, already: true });
                        }
                        // Quotas, bounds, a record not (yet) at the depot: this blob waits.
                        (400..=499 | 507, Some(code)) => return Ok(Sent::Waiting(code.to_string())),
                        _ => return Err(server_error(&a).into()),
                    }
                }
                Some(path) => {
                    let a = t.tus(Method::HEAD, path, token, &tus(&[]), None)?;
                    match a.status {
                        200 => offset_of(&a)?,
                        // Expired or terminated at the depot: create another.
                        404 => {
                            self.write(|tx| db::set_location(tx, &item.sha256, None, 0))?;
                            location = None;
                            retries += 1;
                            continue;
                        }
                        _ => return Err(server_error(&a).into()),
                    }
                }
            };
            let path = location.clone().expect("created or resumed above");
            progress.tell(item, &mut told, offset.min(item.length));
            // Send from the depot's offset to the end.
            while offset < item.length {
                let end = (offset + *chunk).min(item.length);
                let body = bytes[offset as usize..end as usize].to_vec();
                let hs = tus(&[
                    (h::UPLOAD_OFFSET, offset.to_string()),
                    ("content-type", OFFSET_OCTET_STREAM.to_string()),
                    (h::UPLOAD_CHECKSUM, checksum_header(&body)),
                ]);
                let started = Instant::now();
                let a = match t.tus(Method::PATCH, &path, token, &hs, Some(body)) {
                    Ok(a) => a,
                    Err(e) => {
                        *chunk = next_chunk_size(*chunk, ChunkOutcome::Failed);
                        return Err(e.into());
                    }
                };
                match a.status {
                    204 => {
                        let now = offset_of(&a)?;
                        crash_point("upload.chunk_stored");
                        self.write(|tx| db::set_confirmed(tx, &item.sha256, now))?;
                        let advanced = now.saturating_sub(offset);
                        stored += advanced;
                        let elapsed_ms = started.elapsed().as_millis() as u64;
                        *chunk = next_chunk_size(*chunk, ChunkOutcome::Stored { bytes: advanced, elapsed_ms });
                        offset = now;
                        progress.tell(item, &mut told, now.min(item.length));
                    }
                    CHECKSUM_MISMATCH => {
                        *chunk = next_chunk_size(*chunk, ChunkOutcome::Failed);
                        retries += 1;
                        if retries > RETRIES {
                            return Ok(Sent::Waiting("checksum_mismatch".into()));
                        }
                    }
                    // The depot has another offset (a chunk whose answer was lost), or lost the
                    // upload: ask again from the top.
                    409 | 404 => {
                        retries += 1;
                        if a.status == 404 {
                            self.write(|tx| db::set_location(tx, &item.sha256, None, 0))?;
                            location = None;
                        }
                        break;
                    }
                    _ => match a.error.as_deref() {
                        // A hash that does not match (the depot discarded the upload): the
                        // file changed under us; it waits.
                        Some(code) if a.status < 500 || a.status == 507 => return Ok(Sent::Waiting(code.to_string())),
                        _ => return Err(server_error(&a).into()),
                    },
                }
            }
            if offset >= item.length {
                self.write(|tx| db::set_done(tx, &item.sha256))?;
                return Ok(Sent::Finished { stored, already: false });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::upload_path;

    #[test]
    fn an_upload_is_found_by_its_path_under_the_depot() {
        let base = "https://10.0.0.2:8443";
        assert_eq!(upload_path("/v1/uploads/abc", base).as_deref(), Some("/v1/uploads/abc"));
        assert_eq!(upload_path("https://10.0.0.2:8443/v1/uploads/abc", base).as_deref(), Some("/v1/uploads/abc"));
        assert_eq!(upload_path("https://elsewhere/v1/uploads/abc", base), None, "another host");
        assert_eq!(upload_path("/v1/uploads/", base), None);
        assert_eq!(upload_path("/v1/blobs/abc", base), None);
    }
}
