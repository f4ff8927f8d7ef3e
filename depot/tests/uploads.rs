//! Uploads over tus 1.0 and the blob store, against a real depot process over TLS (ADR 0013):
//! a photo in checksummed chunks, resumed after a cut from the offset the depot gives; the same
//! photo from two artisans stored once, and a held blob never sent again; forged uploads refused
//! with typed errors and leaving nothing behind; quotas; an expired partial upload reclaimed;
//! blobs served with ranges and strong ETags to readers only; the depot killed in the middle
//! of a PATCH (from outside, and at the uploads' crash points); `fundi-depot blobs`.

mod common;
use common::{photo, sha, Dev, Server};
use serde_json::json;
use std::io::{Read, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

struct Depot {
    s: Server,
    /// a1's mentor.
    ma: Dev,
    a1: Dev,
    /// Another artisan, with another mentor.
    a2: Dev,
    mb: Dev,
    ops: Dev,
}

fn depot(flags: &[&str]) -> Depot {
    let s = Server::start_with(flags);
    let ma = s.device("mentor", "ma", None);
    let mb = s.device("mentor", "mb", None);
    let a1 = s.device("artisan", "a1", Some(&ma.account));
    let a2 = s.device("artisan", "a2", Some(&mb.account));
    let ops = s.device("operations", "ops", None);
    Depot { s, ma, a1, a2, mb, ops }
}

/// Everything an upload can leave: the uploads table and the files of both folders.
type Trace = (Vec<(String, String, String, i64, i64, bool)>, Vec<String>, Vec<String>);

fn trace(s: &Server) -> Trace {
    (s.uploads(), s.files("uploads"), s.files("blobs"))
}

fn blob_file(s: &Server, hash: &str) -> std::path::PathBuf {
    s.data_dir().join("blobs").join(&hash[..2]).join(hash)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The size of the chunk file a PATCH is being received into (the depot's `uploads/*.chunk`).
fn chunk_bytes(s: &Server) -> Option<u64> {
    let name = s.files("uploads").into_iter().find(|f| f.ends_with(".chunk"))?;
    std::fs::metadata(s.data_dir().join("uploads").join(name)).ok().map(|m| m.len())
}

/// A PATCH body that sends its first `cut` bytes, then waits for the test and fails: the client
/// drops the connection in the middle of the body.
struct CutBody {
    bytes: Vec<u8>,
    at: usize,
    cut: usize,
    go: mpsc::Receiver<()>,
}

impl Read for CutBody {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.cut {
            let _ = self.go.recv();
            return Err(std::io::Error::other("the connection is cut"));
        }
        let n = buf.len().min(self.cut - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Start a PATCH of `chunk` at `offset` (Content-Length: the whole chunk) that stops after
/// `cut` bytes; sending on the channel drops the connection.
fn cut_patch(
    s: &Server,
    dev: &Dev,
    location: &str,
    offset: u64,
    chunk: &[u8],
    cut: usize,
    checksum: bool,
) -> (JoinHandle<()>, mpsc::Sender<()>) {
    let (go_tx, go) = mpsc::channel();
    let mut r = s
        .http()
        .patch(format!("{}{location}", s.url))
        .bearer_auth(&dev.token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset.to_string())
        .header("content-type", "application/offset+octet-stream");
    if checksum {
        r = r.header("upload-checksum", fundi_sync::uploads::checksum_header(chunk));
    }
    let body = CutBody { bytes: chunk.to_vec(), at: 0, cut, go };
    let len = chunk.len() as u64;
    let t = std::thread::spawn(move || {
        let sent = r.body(reqwest::blocking::Body::sized(body, len)).send();
        assert!(sent.is_err(), "a cut request gets no answer: {:?}", sent.map(|a| a.status()));
    });
    (t, go_tx)
}

#[test]
fn a_photo_goes_up_in_checked_chunks_and_resumes_after_cuts_from_the_offset_the_depot_gives() {
    let d = depot(&[]);
    let p = photo(1, 150_000);
    let hash = sha(&p);
    d.s.photo_draft(&d.a1, &[&p]);

    let o = d.s.send(None, "OPTIONS", "/v1/uploads", &[], None);
    assert_eq!(o.status, 204);
    assert_eq!(o.header("tus-version").as_deref(), Some("1.0.0"));
    assert_eq!(o.header("tus-extension").as_deref(), Some("creation,checksum,expiration,termination"));
    assert_eq!(o.header("tus-checksum-algorithm").as_deref(), Some("sha256"));
    assert_eq!(o.header("tus-max-size"), Some(fundi_sync::limits::BLOB_MAX_BYTES.to_string()));

    let created = d.s.tus_create(Some(&d.a1), &hash, p.len() as u64);
    assert_eq!((created.status, created.offset()), (201, Some(0)));
    assert_eq!(created.header("tus-resumable").as_deref(), Some("1.0.0"));
    assert!(httpdate::parse_http_date(&created.header("upload-expires").unwrap()).is_ok());
    let loc = created.header("location").unwrap();
    // The same ask again (its reply lost): the same upload, no second one.
    assert_eq!(d.s.tus_create(Some(&d.a1), &hash, p.len() as u64).header("location"), Some(loc.clone()));
    assert_eq!(d.s.uploads().len(), 1);

    let a = d.s.tus_patch(Some(&d.a1), &loc, 0, &p[..40_000], true);
    assert_eq!((a.status, a.offset()), (204, Some(40_000)));
    assert!(a.header("upload-expires").is_some());

    // A checked chunk cut off after 10,000 bytes: nothing of it is kept.
    let (t, go) = cut_patch(&d.s, &d.a1, &loc, 40_000, &p[40_000..80_000], 10_000, true);
    wait_for("the depot to receive 10,000 bytes", || chunk_bytes(&d.s) == Some(10_000));
    go.send(()).unwrap();
    t.join().unwrap();
    wait_for("the cut chunk to be dropped", || chunk_bytes(&d.s).is_none());
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).offset(), Some(40_000));

    // An unchecked chunk cut off after 25,000 bytes: what arrived is kept.
    let (t, go) = cut_patch(&d.s, &d.a1, &loc, 40_000, &p[40_000..100_000], 25_000, false);
    wait_for("the depot to receive 25,000 bytes", || chunk_bytes(&d.s) == Some(25_000));
    go.send(()).unwrap();
    t.join().unwrap();
    wait_for("the cut chunk's bytes to be stored", || d.s.tus_head(Some(&d.a1), &loc).offset() == Some(65_000));

    // Resumed from the depot's offset, in checked chunks, to the end.
    let head = d.s.tus_head(Some(&d.a1), &loc);
    assert_eq!(head.status, 200);
    assert_eq!(head.header("upload-length"), Some(p.len().to_string()));
    assert_eq!(head.header("upload-metadata"), Some(fundi_sync::uploads::metadata_for(&hash)));
    assert_eq!(head.header("cache-control").as_deref(), Some("no-store"));
    assert!(head.body.is_empty());
    let last = d.s.tus_send(&d.a1, &loc, &p, head.offset().unwrap() as usize, 32_768);
    assert_eq!((last.status, last.offset()), (204, Some(150_000)));
    assert_eq!(last.header("upload-expires"), None, "a finished upload does not expire");
    let done = d.s.tus_head(Some(&d.a1), &loc);
    assert_eq!((done.status, done.offset()), (200, Some(150_000)), "a lost last reply can be asked again");

    // Stored content-addressed; nothing left in the uploads folder.
    assert_eq!(d.s.files("blobs"), vec![format!("{}/{hash}", &hash[..2])]);
    assert_eq!(std::fs::read(blob_file(&d.s, &hash)).unwrap(), p);
    assert!(d.s.files("uploads").is_empty(), "{:?}", d.s.files("uploads"));
    let got = d.s.send(Some(&d.a1), "GET", &format!("/v1/blobs/{hash}"), &[], None);
    assert_eq!((got.status, got.body == p), (200, true));
}

#[test]
fn the_same_photo_from_two_artisans_is_stored_once_and_a_held_blob_is_not_sent_again() {
    let d = depot(&[]);
    let p = photo(2, 120_000);
    let hash = sha(&p);
    d.s.photo_draft(&d.a1, &[&p]);
    d.s.photo_draft(&d.a2, &[&p]);
    // Both start before either has finished.
    let l1 = d.s.tus_start(&d.a1, &p);
    let l2 = d.s.tus_start(&d.a2, &p);
    assert_ne!(l1, l2);
    assert_eq!(d.s.tus_send(&d.a1, &l1, &p, 0, 50_000).offset(), Some(120_000));
    assert_eq!(d.s.tus_send(&d.a2, &l2, &p, 0, 50_000).offset(), Some(120_000));
    assert_eq!(d.s.files("blobs"), vec![format!("{}/{hash}", &hash[..2])], "stored once");
    assert!(d.s.files("uploads").is_empty());

    // Held: the depot says so at creation, and not one byte of the photo is sent.
    let again = d.s.tus_create(Some(&d.a2), &hash, p.len() as u64);
    assert_eq!(again.refusal(), (409, "already_stored".into()));
    assert_eq!(again.header("location"), None);
    let other_draft = d.s.photo_draft(&d.a1, &[&p]);
    assert_eq!(d.s.tus_create(Some(&d.a1), &hash, p.len() as u64).refusal(), (409, "already_stored".into()));
    // Both drafts refer to it and both owners read it.
    let refs: i64 = d.s.db().query_row("SELECT COUNT(*) FROM blob_refs WHERE sha256 = ?1", [&hash], |r| r.get(0)).unwrap();
    assert_eq!(refs, 3, "a1's two drafts and a2's");
    assert!(d.s.records().iter().any(|r| r.1 == other_draft));
    for dev in [&d.a1, &d.a2] {
        let got = d.s.send(Some(dev), "GET", &format!("/v1/blobs/{hash}"), &[], None);
        assert_eq!((got.status, got.body == p), (200, true));
    }
}

#[test]
fn forged_uploads_are_refused_with_typed_errors_and_leave_nothing_behind() {
    let d = depot(&[]);
    let (p, q) = (photo(3, 100_000), photo(4, 100_000));
    let (hp, len) = (sha(&p), p.len() as u64);
    d.s.photo_draft(&d.a1, &[&p]);
    let clean = trace(&d.s);
    let refused = |a: common::Answer| a.refusal();
    let r = |status: u16, code: &str| (status, code.to_string());

    // The wrong bytes for the hash (each chunk true to its own checksum): refused at the end,
    // and the upload is gone.
    let loc = d.s.tus_start(&d.a1, &p);
    assert_eq!(refused(d.s.tus_send(&d.a1, &loc, &q, 0, 40_000)), r(422, "hash_mismatch"));
    assert_eq!(refused(d.s.tus_head(Some(&d.a1), &loc)), r(404, "not_found"));
    assert_eq!(trace(&d.s), clean);

    // The wrong length: one byte short, the photo runs past it; one byte long, the bytes do not
    // hash to the declared value.
    let loc = d.s.tus_create(Some(&d.a1), &hp, len - 1).header("location").unwrap();
    assert_eq!(refused(d.s.tus_patch(Some(&d.a1), &loc, 0, &p, true)), r(413, "too_large"));
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).offset(), Some(0), "nothing of the chunk was kept");
    assert_eq!(d.s.tus_delete(Some(&d.a1), &loc).status, 204);
    let loc = d.s.tus_create(Some(&d.a1), &hp, len + 1).header("location").unwrap();
    let longer: Vec<u8> = p.iter().copied().chain([0u8]).collect();
    assert_eq!(refused(d.s.tus_send(&d.a1, &loc, &longer, 0, 60_000)), r(422, "hash_mismatch"));
    assert_eq!(trace(&d.s), clean);

    // A chunk whose checksum does not match its bytes: 460, nothing of it kept.
    let loc = d.s.tus_start(&d.a1, &p);
    let headers = [
        ("tus-resumable", "1.0.0".to_string()),
        ("upload-offset", "0".to_string()),
        ("content-type", "application/offset+octet-stream".to_string()),
        ("upload-checksum", fundi_sync::uploads::checksum_header(&q[..1000])),
    ];
    let a = d.s.send(Some(&d.a1), "PATCH", &loc, &headers, Some(p[..1000].to_vec()));
    assert_eq!(a.refusal(), r(460, "checksum_mismatch"));
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).offset(), Some(0));
    assert!(d.s.files("uploads").is_empty(), "{:?}", d.s.files("uploads"));

    // Offsets that skip or overlap: 409, the stored bytes as they were.
    assert_eq!(d.s.tus_patch(Some(&d.a1), &loc, 0, &p[..1000], true).offset(), Some(1000));
    assert_eq!(refused(d.s.tus_patch(Some(&d.a1), &loc, 2000, &p[2000..3000], true)), r(409, "offset_mismatch"));
    assert_eq!(refused(d.s.tus_patch(Some(&d.a1), &loc, 500, &p[500..1500], true)), r(409, "offset_mismatch"));
    assert_eq!(refused(d.s.tus_patch(Some(&d.a1), &loc, 1000, &p[1000..1500], false)).0, 204);
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).offset(), Some(1500));

    // Someone else's upload does not exist for another device.
    assert_eq!(refused(d.s.tus_patch(Some(&d.a2), &loc, 1500, &p[1500..2000], true)), r(404, "not_found"));
    assert_eq!(refused(d.s.tus_head(Some(&d.a2), &loc)), r(404, "not_found"));
    assert_eq!(refused(d.s.tus_delete(Some(&d.a2), &loc)), r(404, "not_found"));
    assert_eq!(d.s.tus_delete(Some(&d.a1), &loc).status, 204);
    assert_eq!(refused(d.s.tus_head(Some(&d.a1), &loc)), r(404, "not_found"));
    assert_eq!(trace(&d.s), clean, "termination frees the bytes at once");

    // 10 GB.
    assert_eq!(refused(d.s.tus_create(Some(&d.a1), &hp, 10_000_000_000)), r(413, "too_large"));
    // Someone else's draft: another artisan finds nothing, the owner's mentor reads but may
    // not write; a blob no record names is nobody's to upload.
    assert_eq!(refused(d.s.tus_create(Some(&d.a2), &hp, len)), r(404, "not_found"));
    assert_eq!(refused(d.s.tus_create(Some(&d.ma), &hp, len)), r(403, "forbidden"));
    assert_eq!(refused(d.s.tus_create(Some(&d.mb), &hp, len)), r(404, "not_found"));
    assert_eq!(refused(d.s.tus_create(Some(&d.a1), &sha(&q), len)), r(404, "not_found"));
    // No token; a revoked device of the owner's.
    assert_eq!(refused(d.s.tus_create(None, &hp, len)), r(401, "unauthorized"));
    let lost = d.s.another_device(&d.ops, &d.a1.account);
    let (st, v) = d.s.req(Some(&d.a1), &format!("/v1/devices/{}/revoke", lost.device), Some(json!({})));
    assert_eq!(st, 200, "{v}");
    assert_eq!(refused(d.s.tus_create(Some(&lost), &hp, len)), r(401, "revoked"));

    // Not tus 1.0 as asked: no version (412, naming the one spoken), a body of another type
    // (415), no hash in the metadata, a deferred length, another checksum algorithm (400).
    let no_version = d.s.send(Some(&d.a1), "POST", "/v1/uploads", &[("upload-length", len.to_string())], None);
    assert_eq!(no_version.refusal(), r(412, "unsupported_version"));
    assert_eq!(no_version.header("tus-version").as_deref(), Some("1.0.0"));
    let tus = ("tus-resumable", "1.0.0".to_string());
    let meta = ("upload-metadata", fundi_sync::uploads::metadata_for(&hp));
    let create = |h: &[(&str, String)]| d.s.send(Some(&d.a1), "POST", "/v1/uploads", h, None).refusal();
    assert_eq!(
        create(&[tus.clone(), ("upload-length", len.to_string()), ("upload-metadata", "filename YS5qcGc=".into())]),
        r(400, "malformed")
    );
    assert_eq!(create(&[tus.clone(), ("upload-defer-length", "1".into()), meta.clone()]), r(400, "malformed"));
    assert_eq!(create(&[tus.clone(), ("upload-length", "-5".into()), meta.clone()]), r(400, "malformed"));
    let loc = d.s.tus_start(&d.a1, &p);
    let patch = |h: &[(&str, String)]| d.s.send(Some(&d.a1), "PATCH", &loc, h, Some(p[..10].to_vec())).refusal();
    let offset = ("upload-offset", "0".to_string());
    let octets = ("content-type", "application/offset+octet-stream".to_string());
    assert_eq!(patch(&[tus.clone(), offset.clone(), ("content-type", "application/json".into())]), r(415, "malformed"));
    assert_eq!(
        patch(&[tus.clone(), offset.clone(), octets.clone(), ("upload-checksum", "md5 kAFQmDzST7DWlj99KOF/cg==".into())]),
        r(400, "malformed")
    );
    assert_eq!(patch(&[offset, octets]), r(412, "unsupported_version"));
    assert_eq!(d.s.tus_delete(Some(&d.a1), &loc).status, 204);
    assert_eq!(trace(&d.s), clean);
}

#[test]
fn quotas_per_device_and_per_depot_refuse_with_typed_errors_until_room_is_made() {
    // Photos of 300,000 bytes: a device may hold two unfinished (700 KiB), the depot three (1000 KiB).
    let d = depot(&["--upload-device-quota-kib", "700", "--upload-depot-quota-kib", "1000"]);
    let ps: Vec<Vec<u8>> = (0..6).map(|i| photo(10 + i, 300_000)).collect();
    d.s.photo_draft(&d.a1, &[&ps[0], &ps[1], &ps[2]]);
    d.s.photo_draft(&d.a2, &[&ps[3], &ps[4], &ps[5]]);
    let ask = |dev: &Dev, p: &[u8]| d.s.tus_create(Some(dev), &sha(p), p.len() as u64);
    let l0 = d.s.tus_start(&d.a1, &ps[0]);
    let l1 = d.s.tus_start(&d.a1, &ps[1]);
    assert_eq!(ask(&d.a1, &ps[2]).refusal(), (507, "device_quota_exceeded".into()));
    d.s.tus_start(&d.a2, &ps[3]);
    assert_eq!(ask(&d.a2, &ps[4]).refusal(), (507, "depot_quota_exceeded".into()));
    assert_eq!(d.s.uploads().len(), 3, "refusals store nothing");
    // A finished upload no longer counts, nor a terminated one.
    assert_eq!(d.s.tus_send(&d.a1, &l0, &ps[0], 0, 100_000).offset(), Some(300_000));
    d.s.tus_start(&d.a2, &ps[4]);
    assert_eq!(ask(&d.a1, &ps[2]).refusal(), (507, "depot_quota_exceeded".into()));
    assert_eq!(d.s.tus_delete(Some(&d.a1), &l1).status, 204);
    assert_eq!(ask(&d.a1, &ps[2]).status, 201);
}

#[test]
fn an_expired_partial_upload_is_reclaimed_and_its_room_given_back() {
    let d = depot(&["--upload-expiry-secs", "2", "--upload-device-quota-kib", "150"]);
    let (p, q) = (photo(20, 100_000), photo(21, 100_000));
    d.s.photo_draft(&d.a1, &[&p, &q]);
    let loc = d.s.tus_start(&d.a1, &p);
    let a = d.s.tus_patch(Some(&d.a1), &loc, 0, &p[..30_000], true);
    assert_eq!(a.offset(), Some(30_000));
    let expires = httpdate::parse_http_date(&a.header("upload-expires").unwrap()).unwrap();
    let left = expires.duration_since(std::time::SystemTime::now()).unwrap_or_default();
    assert!(left <= Duration::from_secs(3), "expires in {left:?}");
    let id = loc.rsplit('/').next().unwrap().to_string();
    assert_eq!(d.s.files("uploads"), vec![id]);
    assert_eq!(d.s.tus_create(Some(&d.a1), &sha(&q), 100_000).refusal(), (507, "device_quota_exceeded".into()));
    // The depot's sweep removes it, row and bytes, with nobody asking.
    wait_for("the expired upload to be reclaimed", || d.s.files("uploads").is_empty() && d.s.uploads().is_empty());
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).refusal(), (404, "not_found".into()));
    assert_eq!(d.s.tus_create(Some(&d.a1), &sha(&q), 100_000).status, 201, "its room is given back");
}

#[test]
fn blobs_are_served_with_ranges_and_strong_etags_only_to_who_may_read_a_record_naming_them() {
    let d = depot(&[]);
    let staff = d.s.device("staff", "staff", None);
    let p = photo(30, 50_000);
    let hash = sha(&p);
    let draft = d.s.photo_draft(&d.a1, &[&p]);
    let loc = d.s.tus_start(&d.a1, &p);
    assert_eq!(d.s.tus_send(&d.a1, &loc, &p, 0, 50_000).offset(), Some(50_000));
    let path = format!("/v1/blobs/{hash}");
    let get = |dev: Option<&Dev>, h: &[(&str, &str)]| {
        let h: Vec<(&str, String)> = h.iter().map(|(k, v)| (*k, v.to_string())).collect();
        d.s.send(dev, "GET", &path, &h, None)
    };
    let etag = format!("\"{hash}\"");

    let whole = get(Some(&d.a1), &[]);
    assert_eq!((whole.status, whole.body == p), (200, true));
    assert_eq!(whole.header("etag"), Some(etag.clone()));
    assert_eq!(whole.header("accept-ranges").as_deref(), Some("bytes"));
    assert_eq!(whole.header("content-type").as_deref(), Some("application/octet-stream"));
    let part = get(Some(&d.a1), &[("range", "bytes=100-199")]);
    assert_eq!((part.status, part.header("content-range").as_deref()), (206, Some("bytes 100-199/50000")));
    assert_eq!(part.body, p[100..200]);
    let tail = get(Some(&d.a1), &[("range", "bytes=-10")]);
    assert_eq!((tail.status, tail.body.as_slice()), (206, &p[49_990..]));
    let from = get(Some(&d.a1), &[("range", "bytes=49000-")]);
    assert_eq!((from.status, from.body.as_slice()), (206, &p[49_000..]));
    let past = get(Some(&d.a1), &[("range", "bytes=50000-")]);
    assert_eq!(past.refusal(), (416, "range_not_satisfiable".into()));
    assert_eq!(past.header("content-range").as_deref(), Some("bytes */50000"));
    assert_eq!(get(Some(&d.a1), &[("range", "bytes=0-1,5-6")]).body, p, "several ranges: the whole blob");
    for tag in [etag.clone(), format!("W/{etag}"), format!("\"x\", {etag}"), "*".to_string()] {
        let same = get(Some(&d.a1), &[("if-none-match", &tag)]);
        assert_eq!((same.status, same.body.len()), (304, 0), "{tag}");
        assert_eq!(same.header("etag"), Some(etag.clone()));
    }
    assert_eq!(get(Some(&d.a1), &[("if-none-match", "\"other\"")]).status, 200);
    assert_eq!(get(Some(&d.a1), &[("if-range", "\"other\""), ("range", "bytes=0-9")]).status, 200, "changed: whole");
    assert_eq!(get(Some(&d.a1), &[("if-range", &etag), ("range", "bytes=0-9")]).status, 206);
    let head = d.s.send(Some(&d.a1), "HEAD", &path, &[], None);
    assert_eq!((head.status, head.header("etag")), (200, Some(etag.clone())));

    // Readers of a1's draft: a1, her mentor, staff. Not another artisan or mentor, nor anyone
    // without a credential.
    for dev in [&d.ma, &staff] {
        assert_eq!(get(Some(dev), &[]).body, p);
    }
    for dev in [&d.a2, &d.mb] {
        assert_eq!(get(Some(dev), &[]).refusal(), (404, "not_found".into()));
    }
    assert_eq!(get(None, &[]).refusal(), (401, "unauthorized".into()));
    assert_eq!(d.s.send(Some(&d.a2), "HEAD", &path, &[], None).refusal(), (404, "not_found".into()));
    let bad = d.s.send(Some(&staff), "GET", &format!("/v1/blobs/{}", hash.to_uppercase()), &[], None);
    assert_eq!(bad.refusal(), (400, "malformed".into()));
    // Once no record names it any more, nobody reads it (it stays until reclaimed).
    d.s.set_photos(&d.a1, &draft, &[]);
    for dev in [&d.a1, &staff] {
        assert_eq!(get(Some(dev), &[]).refusal(), (404, "not_found".into()));
    }
    assert!(blob_file(&d.s, &hash).exists());
}

/// The command line on the depot's data directory, allowed to fail: (success, stdout).
fn cli(s: &Server, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(common::BIN).args(args).arg("--data-dir").arg(s.data_dir()).output().unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_blobs_command_lists_verifies_and_reclaims() {
    const EXPIRY: Duration = Duration::from_secs(3);
    let mut d = depot(&["--upload-expiry-secs", "3"]);
    let (p, q, r) = (photo(50, 60_000), photo(51, 60_000), photo(52, 30_000));
    let draft = d.s.photo_draft(&d.a1, &[&p, &q, &r]);
    let lp = d.s.tus_start(&d.a1, &p);
    d.s.tus_send(&d.a1, &lp, &p, 0, 60_000);
    let lr = d.s.tus_start(&d.a1, &r);
    d.s.tus_send(&d.a1, &lr, &r, 0, 60_000);
    let lq = d.s.tus_start(&d.a1, &q);
    d.s.tus_patch(Some(&d.a1), &lq, 0, &q[..10_000], true);
    let last_progress = Instant::now();
    let (hp, hq, hr) = (sha(&p), sha(&q), sha(&r));
    // r is no longer named by any record; then the depot stops (its sweep would reclaim too).
    d.s.set_photos(&d.a1, &draft, &[hp.clone(), hq.clone()]);
    let _ = d.s.child.kill();
    let _ = d.s.child.wait();

    let (ok, out) = cli(&d.s, &["blobs", "list"]);
    assert!(ok, "{out}");
    assert!(out.contains(&format!("blob {hp} 60000 bytes, 1 records")), "{out}");
    assert!(out.contains(&format!("blob {hr} 30000 bytes, 0 records")), "{out}");
    let qid = lq.rsplit('/').next().unwrap();
    assert!(out.contains(&format!("upload {qid} {hq} 10000/60000 bytes expires")), "{out}");
    assert!(out.contains(&format!("missing {hq}")), "{out}");
    assert!(out.contains("2 blobs (90000 bytes), 3 uploads (1 unfinished), 1 referred to but not arrived"), "{out}");
    let (ok, out) = cli(&d.s, &["blobs", "verify"]);
    assert!(ok && out.contains("verified 2 blobs: 0 damaged, 0 stray"), "{out}");

    // One byte of p changed on disk: verify says which blob, and fails.
    let path = blob_file(&d.s, &hp);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[1234] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let (ok, out) = cli(&d.s, &["blobs", "verify"]);
    assert!(!ok, "{out}");
    assert!(out.contains(&format!("damaged {hp} (its bytes hash to {})", sha(&bytes))), "{out}");
    assert!(!out.contains(&format!("damaged {hr}")), "{out}");
    let (ok, out) = cli(&d.s, &["blobs", "verify", "--remove-damaged"]);
    assert!(!ok && out.contains(&format!("damaged {hp} (its bytes hash to {}, removed)", sha(&bytes))), "{out}");
    assert!(!path.exists());

    // The uploads expire (the finished ones' rows too; their blobs stay).
    std::thread::sleep((last_progress + EXPIRY + Duration::from_millis(200)).saturating_duration_since(Instant::now()));
    let (ok, out) = cli(&d.s, &["blobs", "reclaim"]);
    assert!(ok, "{out}");
    assert!(out.contains("reclaimed 3 expired uploads (10000 bytes) and 0 stray upload files"), "{out}");
    assert!(d.s.files("uploads").is_empty() && d.s.uploads().is_empty());
    assert!(blob_file(&d.s, &hr).exists(), "a blob stays unless asked");
    let (ok, out) = cli(&d.s, &["blobs", "reclaim", "--unreferenced"]);
    assert!(ok && out.contains(", 1 unreferenced blobs (30000 bytes)"), "{out}");
    assert!(d.s.files("blobs").is_empty());
    // The damaged blob removed, the phone sends it again.
    d.s.restart(&[]);
    assert_eq!(d.s.tus_create(Some(&d.a1), &hp, 60_000).status, 201);
}

/// Two photos whose thumbnails are the same bytes (two shots of one plain cloth, say, or one
/// photo cropped twice): the thumbnail is stored once and bound to both photos, so each photo's
/// readers read it, `blobs list` counts the records of both, and `blobs reclaim --unreferenced`
/// keeps it while a record names either photo.
#[test]
fn a_thumbnail_shared_by_two_photos_is_read_through_either_and_kept_while_either_is_named() {
    let d = depot(&[]);
    let (p1, p2, t) = (photo(60, 40_000), photo(61, 40_000), photo(62, 9_000));
    let (h1, h2, ht) = (sha(&p1), sha(&p2), sha(&t));
    let draft1 = d.s.photo_draft(&d.a1, &[&p1]);
    let draft2 = d.s.photo_draft(&d.a2, &[&p2]);
    let created = d.s.tus_create_thumbnail(&d.a1, &ht, &h1, t.len() as u64);
    assert_eq!(created.status, 201, "{:?}", created.refusal());
    let done = d.s.tus_send(&d.a1, &created.header("location").unwrap(), &t, 0, t.len());
    assert_eq!(done.offset(), Some(t.len() as u64));
    // a2's phone made the same thumbnail for its own photo: held already, and now p2's too.
    let again = d.s.tus_create_thumbnail(&d.a2, &ht, &h2, t.len() as u64);
    assert_eq!(again.refusal(), (409, "already_stored".to_string()));
    let read = |dev: &Dev| d.s.send(Some(dev), "GET", &format!("/v1/blobs/{ht}"), &[], None).status;
    // a2 and her mentor may read p2 and nothing of a1's.
    for (who, dev) in [("a1", &d.a1), ("ma", &d.ma), ("a2", &d.a2), ("mb", &d.mb)] {
        assert_eq!(read(dev), 200, "{who} reads the thumbnail of a photo they may read");
    }
    let by_photo = d.s.send(Some(&d.mb), "GET", &format!("/v1/blobs/{h2}/thumbnail"), &[], None);
    assert_eq!((by_photo.status, by_photo.body == t), (200, true), "p2's thumbnail, asked by its photo");
    let (ok, out) = cli(&d.s, &["blobs", "list"]);
    assert!(ok && out.contains(&format!("blob {ht} 9000 bytes, 2 records")), "{out}");
    let (ok, out) = cli(&d.s, &["blobs", "reclaim", "--unreferenced"]);
    assert!(ok && out.contains(", 0 unreferenced blobs"), "{out}");
    assert!(blob_file(&d.s, &ht).exists(), "the thumbnail of named photos was reclaimed");

    // p1 leaves a1's draft: the thumbnail stays, p2's.
    d.s.set_photos(&d.a1, &draft1, &[]);
    let (ok, out) = cli(&d.s, &["blobs", "reclaim", "--unreferenced"]);
    assert!(ok && out.contains(", 0 unreferenced blobs"), "{out}");
    assert!(blob_file(&d.s, &ht).exists(), "reclaimed while p2 is still named");
    assert_eq!((read(&d.mb), read(&d.ma)), (200, 404), "now p2's alone");
    // p2 leaves too: the thumbnail goes with its last photo.
    d.s.set_photos(&d.a2, &draft2, &[]);
    let (ok, out) = cli(&d.s, &["blobs", "reclaim", "--unreferenced"]);
    assert!(ok && out.contains(", 1 unreferenced blobs (9000 bytes)"), "{out}");
    assert!(!blob_file(&d.s, &ht).exists());
}

/// A chunk sent at a stale offset (a killed phone's last chunk reached the depot after its next
/// run asked `HEAD`, so that run sends the same bytes again) is refused with 409 on a connection
/// that stays open: the client, still sending, hears the refusal rather than a reset, and asks
/// `HEAD` on the same connection. (The upload soak found phones losing their run here.)
#[test]
fn a_chunk_at_a_stale_offset_is_refused_and_the_client_hears_it_on_a_connection_kept_open() {
    let d = depot(&[]);
    let p = photo(70, 600_000);
    d.s.photo_draft(&d.a1, &[&p]);
    let location = d.s.tus_start(&d.a1, &p);
    assert_eq!(d.s.tus_patch(Some(&d.a1), &location, 0, &p[..100_000], true).offset(), Some(100_000));
    let mut conn = common::relay::connect_to(&d.s);
    let stale = &p[..400_000];
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nhost: depot\r\nauthorization: Bearer {}\r\ntus-resumable: 1.0.0\r\n\
         upload-offset: 0\r\ncontent-type: application/offset+octet-stream\r\nupload-checksum: {}\r\ncontent-length: {}\r\n\r\n",
        d.a1.token,
        fundi_sync::uploads::checksum_header(stale),
        stale.len()
    );
    let sent = conn
        .get_mut()
        .write_all(head.as_bytes())
        .and_then(|_| conn.get_mut().write_all(stale))
        .and_then(|_| conn.get_mut().flush());
    assert!(sent.is_ok(), "the depot cut the connection while the chunk was being sent: {sent:?}");
    let (status, _, body) = common::relay::read_answer(&mut conn, false).expect("the refusal");
    assert_eq!((status, String::from_utf8_lossy(&body).contains("offset_mismatch")), (409, true));
    let ask = format!(
        "HEAD {location} HTTP/1.1\r\nhost: depot\r\nauthorization: Bearer {}\r\ntus-resumable: 1.0.0\r\n\r\n",
        d.a1.token
    );
    conn.get_mut().write_all(ask.as_bytes()).unwrap();
    let answer = common::relay::read_answer(&mut conn, true);
    let (status, headers, _) = answer.expect("HEAD answered on the same connection");
    assert_eq!((status, headers.get("upload-offset").map(String::as_str)), (200, Some("100000")));
    assert_eq!(d.s.tus_send(&d.a1, &location, &p, 100_000, 250_000).offset(), Some(600_000));
}

#[test]
fn a_depot_killed_in_the_middle_of_a_patch_resumes_from_the_stored_offset() {
    let mut d = depot(&[]);
    let p = photo(40, 200_000);
    let hash = sha(&p);
    d.s.photo_draft(&d.a1, &[&p]);
    let loc = d.s.tus_start(&d.a1, &p);
    let id = loc.rsplit('/').next().unwrap().to_string();
    assert_eq!(d.s.tus_patch(Some(&d.a1), &loc, 0, &p[..50_000], true).offset(), Some(50_000));

    // SIGKILL while the second chunk is half received.
    let (t, go) = cut_patch(&d.s, &d.a1, &loc, 50_000, &p[50_000..150_000], 30_000, false);
    wait_for("the depot to receive 30,000 bytes", || chunk_bytes(&d.s) == Some(30_000));
    d.s.restart(&[]);
    let _ = go.send(());
    t.join().unwrap();
    assert_eq!(d.s.files("uploads"), vec![id.clone()], "the dead PATCH's chunk was removed at start");
    assert_eq!(d.s.tus_head(Some(&d.a1), &loc).offset(), Some(50_000));

    // Killed between a chunk's flushed bytes and its stored offset: the file holds more than
    // the row says, and the depot goes by the row.
    let crash = |d: &mut Depot, point: &str, from: usize, to: usize| {
        d.s.restart(&[("FUNDI_CRASH_AT", point)]);
        let url = format!("{}{loc}", d.s.url);
        let r =
            d.s.http()
                .patch(url)
                .bearer_auth(&d.a1.token)
                .header("tus-resumable", "1.0.0")
                .header("upload-offset", from.to_string())
                .header("content-type", "application/offset+octet-stream")
                .body(p[from..to].to_vec())
                .send();
        assert!(r.is_err(), "the depot died at {point}");
        wait_for("the depot to die", || d.s.is_dead());
        d.s.restart(&[]);
    };
    crash(&mut d, "upload:appended", 50_000, 120_000);
    let on_disk = std::fs::metadata(d.s.data_dir().join("uploads").join(&id)).unwrap().len();
    assert_eq!((on_disk, d.s.tus_head(Some(&d.a1), &loc).offset()), (120_000, Some(50_000)));

    // Killed after the last chunk's check, before the blob was in place: finished at start.
    crash(&mut d, "upload:verified", 50_000, 200_000);
    let head = d.s.tus_head(Some(&d.a1), &loc);
    assert_eq!((head.status, head.offset(), head.header("upload-expires")), (200, Some(200_000), None));
    assert_eq!(file_hash(&blob_file(&d.s, &hash)), hash);
    assert!(d.s.files("uploads").is_empty(), "{:?}", d.s.files("uploads"));
    assert_eq!(d.s.send(Some(&d.a1), "GET", &format!("/v1/blobs/{hash}"), &[], None).body, p);
    assert_eq!(d.s.integrity(), "ok");
}

/// The SHA-256 of a file's bytes.
fn file_hash(path: &std::path::Path) -> String {
    sha(&std::fs::read(path).unwrap())
}
