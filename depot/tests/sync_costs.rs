//! What a sync will cost and did cost (issue 10, items 3 and 5), a real phone core against a
//! real depot process: the estimate before a sync (records from the outbox and the depot's
//! count, thumbnails and photos from the upload queue, the photos the data saver holds back)
//! against the bytes the sync then put on the wire; the tally kept after it, by part, across a
//! restart; and the progress an upload run reports per photo and overall.

mod common;
use common::{basket, Server};
use fundi_core::photos::PhotoLibrary;
use fundi_core::photos::PrepareOptions;
use fundi_core::replica::{PartTally, Traffic};
use fundi_core::uploads::{UploadListener, UploadProgress};
use fundi_core::Store;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name)
}

/// `n` new orders for the artisan `account`, imported by operations: records her pull brings.
fn orders_for(server: &Server, ops: &common::Dev, account: &str, n: usize) {
    let orders: Vec<_> = (0..n)
        .map(|i| json!({"source": "shop", "external_ref": common::uuid_like(), "product": format!("Kiondo basket {i}"), "quantity": 1 + i, "price_minor": 250_000, "artisan_id": account}))
        .collect();
    let (s, v) = server.req(Some(ops), "/v1/orders", Some(json!({ "orders": orders })));
    assert_eq!(s, 200, "{v}");
}

/// Every progress report of a run.
#[derive(Default)]
struct Heard(Mutex<Vec<UploadProgress>>);

impl UploadListener for Heard {
    fn on_upload_progress(&self, p: UploadProgress) {
        self.0.lock().unwrap().push(p);
    }
}

fn within(estimated: u64, actual: u64, share: f64) -> bool {
    (estimated as f64 - actual as f64).abs() <= share * actual as f64
}

#[test]
fn the_estimate_before_a_sync_is_what_the_sync_then_costs_and_the_tally_outlives_a_restart() {
    let server = Server::start();
    let ops = server.device("operations", "ops", None);
    let (phone, me) = server.phone("artisan", "akinyi", None);
    let dir = tempfile::tempdir().unwrap();
    let lib = PhotoLibrary::open(dir.path().join("photos")).unwrap();
    for _ in 0..3 {
        phone.create_draft(basket()).unwrap();
    }
    let d = phone.create_draft(basket()).unwrap();
    let photo = phone.add_draft_photo_file(&lib, &d.id, &fixture("camera-flower-3mp.jpg"), &PrepareOptions::default()).unwrap();
    orders_for(&server, &ops, &me, 40);
    let status = phone.sync_status().unwrap();
    assert!(status.data_saver, "the data saver is on by default");
    assert_eq!(status.last_tally, None, "never synced");

    // Before: on a metered network, with the data saver on.
    let e = phone.sync_estimate(false, true).unwrap();
    assert_eq!(e.records_out.items, status.pending);
    assert_eq!(e.thumbnails_out.items, 1);
    assert_eq!((e.photos_out, e.photos_held_back.items), (Traffic::default(), 1), "{e:?}");
    assert!(e.photos_held_back.bytes >= photo.bytes, "{e:?}");
    let records_in = e.records_in.expect("the depot was asked");
    // The 40 orders, and from cursor 0 her own 4 drafts come back once pushed.
    assert_eq!((records_in.items, e.exits_in, e.resync), (44, 0, false), "{e:?}");
    assert_eq!(e.review_photos_in, None, "estimated only for a reviewer (review_photos.rs)");
    // Without asking the depot: the same going up, nothing known coming down.
    let offline = phone.sync_estimate(false, false).unwrap();
    assert_eq!((offline.records_in, offline.thumbnails_out), (None, e.thumbnails_out));

    let report = phone.sync_now(None).unwrap();
    assert_eq!(report.pulled, records_in.items);
    // The requests are built by the sync's own code: the bytes going up are exact.
    assert_eq!(e.records_out.bytes, report.wire.bytes_sent, "estimate {e:?}, sync {report:?}");
    // Coming down, gzipped at the ratio of the first page: about the estimate.
    let received = report.wire.bytes_received;
    assert!(within(records_in.bytes, received, 0.25), "estimated {} bytes in, received {received}", records_in.bytes);
    eprintln!(
        "records: out estimated {} / sent {}; in estimated {} / received {received} ({:.2}x)",
        e.records_out.bytes,
        report.wire.bytes_sent,
        records_in.bytes,
        records_in.bytes as f64 / received as f64
    );
    let policy = phone.upload_policy(false).unwrap();
    assert!(!policy.photos);
    let heard = Heard::default();
    let up = phone.upload_photos_with(&lib, policy, Some(&heard)).unwrap();
    assert_eq!((up.finished, up.waiting), (1, 1), "{up:?}");
    let tally = phone.sync_status().unwrap().last_tally.expect("a tally after a sync");
    assert_eq!(tally.records, PartTally { items: report.pushed + report.pulled, wire: report.wire });
    assert_eq!(tally.thumbnails, PartTally { items: 1, wire: up.wire });
    assert_eq!(tally.photos, PartTally::default(), "the photo waits for Wi-Fi");
    assert_eq!(tally.bytes_sent, report.wire.bytes_sent + up.wire.bytes_sent);
    assert_eq!(tally.bytes_received, report.wire.bytes_received + up.wire.bytes_received);
    assert!(within(e.thumbnails_out.bytes, up.wire.bytes_sent, 0.05), "thumbnail: estimated {e:?}, sent {up:?}");
    let thumb = heard.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!((thumb.sha256.as_str(), thumb.thumbnail_of.as_deref()), (photo.thumb_hash.as_str(), Some(photo.hash.as_str())));

    // The artisan turns the data saver off: the photo goes on the metered network too.
    phone.set_data_saver(false).unwrap();
    let e = phone.sync_estimate(false, true).unwrap();
    assert_eq!((e.photos_out.items, e.photos_held_back, e.thumbnails_out), (1, Traffic::default(), Traffic::default()));
    assert_eq!((e.records_out.items, e.records_in.map(|r| r.items)), (0, Some(0)), "nothing new either way");
    let report = phone.sync_now(None).unwrap();
    assert_eq!(e.records_out.bytes, report.wire.bytes_sent);
    let heard = Heard::default();
    let up = phone.upload_photos_with(&lib, phone.upload_policy(false).unwrap(), Some(&heard)).unwrap();
    assert_eq!((up.finished, up.waiting, up.bytes_sent), (1, 0, photo.bytes), "{up:?}");
    assert!(within(e.photos_out.bytes, up.wire.bytes_sent, 0.02), "photo: estimated {e:?}, sent {up:?}");
    eprintln!(
        "photo: estimated {} bytes out, sent {} in {} round trips",
        e.photos_out.bytes, up.wire.bytes_sent, up.wire.round_trips
    );

    // Progress: per chunk the depot stored, growing to the photo's length, overall likewise.
    let heard = heard.0.lock().unwrap().clone();
    assert!(heard.len() >= 2, "{heard:?}");
    assert!(heard.iter().all(|p| p.sha256 == photo.hash && p.total == photo.bytes && p.overall_total == photo.bytes));
    assert!(heard.windows(2).all(|w| w[0].done <= w[1].done && w[0].overall_done <= w[1].overall_done), "{heard:?}");
    let last = heard.last().unwrap();
    assert_eq!((heard[0].done, last.done, last.overall_done), (0, photo.bytes, photo.bytes));
    assert!(
        heard.len() as u32 >= up.wire.round_trips - 1,
        "a report per chunk: {} for {} round trips",
        heard.len(),
        up.wire.round_trips
    );

    // After a restart: the data saver and the last sync's tally, as they were.
    let tally = phone.sync_status().unwrap().last_tally.unwrap();
    assert_eq!(tally.photos, PartTally { items: 1, wire: up.wire });
    phone.close().unwrap();
    drop(phone);
    let again = Store::open(common::db_path(&server_dir(&server), "akinyi")).unwrap();
    let status = again.sync_status().unwrap();
    assert_eq!((status.data_saver, status.last_tally), (false, Some(tally)));
}

/// The directory the server's phones keep their databases in.
fn server_dir(server: &Server) -> PathBuf {
    server.data_dir().parent().unwrap().to_path_buf()
}

/// A cursor the depot cannot answer from (past its head, as after restoring an older copy of
/// its data) is estimated as the full re-sync the pull then starts.
#[test]
fn a_cursor_the_depot_cannot_answer_from_is_estimated_as_a_resync() {
    let server = Server::start();
    let artisan = server.device("artisan", "akinyi", None);
    let ops = server.device("operations", "ops", None);
    orders_for(&server, &ops, &artisan.account, 3);
    let estimate = |cursor: u64| {
        let (s, v) = server.req(Some(&artisan), &format!("/v1/sync/estimate?cursor={cursor}&limit=2"), None);
        assert_eq!(s, 200, "{v}");
        v
    };
    let all = estimate(0);
    assert_eq!((all["changes"].as_u64(), all["pages"].as_u64(), all["resync"].as_bool()), (Some(3), Some(2), Some(false)));
    let head = server.next_seq() - 1;
    let none = estimate(head as u64);
    assert_eq!((none["changes"].as_u64(), none["pages"].as_u64(), none["resync"].as_bool()), (Some(0), Some(1), Some(false)));
    let ahead = estimate(head as u64 + 100);
    assert_eq!((ahead["changes"].as_u64(), ahead["resync"].as_bool()), (Some(3), Some(true)), "{ahead}");
    // The pull itself refuses that cursor, and the estimate stored nothing meanwhile.
    let (s, v) = server.req(Some(&artisan), &format!("/v1/sync/pull?cursor={}", head + 100), None);
    assert_eq!((s, v["error"].as_str()), (409, Some("cursor_ahead")));
    // Its own clean writes do not come back after cursor 0: not counted either.
    let d = common::uuid_like();
    assert_eq!(server.push(&artisan, vec![common::field_write(&d, "draft", "title", json!("Mine"))]), vec![None]);
    let mine = estimate(head as u64);
    assert_eq!(mine["changes"].as_u64(), Some(0), "{mine}");
    assert_eq!(estimate(0)["changes"].as_u64(), Some(4), "from 0, everything");
}
