//! Photo upload figures (issue 10, ADR 0013): a real `fundi-depot serve` process over TLS on
//! loopback and real phone stores, each talking through a proxy that counts what crosses the
//! socket (TLS included) and, for the slow link, shapes it. Prints, for photos prepared by the
//! phone's pipeline from the fixture camera files:
//! - bytes on the wire per photo over its size, and round trips (target: under 2% plus one
//!   round trip per chunk);
//! - the cost of resuming after the connection was cut in the middle of a photo (bytes sent
//!   again beyond what the depot lacked);
//! - time and throughput on a slow link made by the proxy: 100 kbit/s each way, with 2% of
//!   segments stalled 300 ms (how a lost packet looks to the reader once TCP retransmits it).
//!
//! Run: `cargo bench -p fundi-depot --bench uploads`. Figures are measured, never asserted.

#[path = "../tests/common/mod.rs"]
mod common;

use common::proxy::{CountingProxy, LinkShape};
use common::{basket, Server};
use fundi_core::photos::{PhotoLibrary, PrepareOptions};
use fundi_core::uploads::UploadPolicy;
use fundi_core::Store;
use std::path::Path;
use std::time::{Duration, Instant};

const THUMBNAILS: UploadPolicy = UploadPolicy { photos: false };
const ALL: UploadPolicy = UploadPolicy { photos: true };

/// A phone enrolled through its own proxy, with a draft holding the fixture photo `name`:
/// (store, library, proxy, photo bytes, thumbnail bytes).
fn phone_with_photo(
    server: &Server,
    dir: &Path,
    n: usize,
    name: &str,
    shape: LinkShape,
) -> (Store, PhotoLibrary, CountingProxy, u64, u64) {
    let proxy = CountingProxy::start_shaped(&server.url, shape);
    let (_, code) = server.account("artisan", &format!("artisan{n}"), None);
    let store = Store::open(dir.join(format!("artisan{n}.db"))).unwrap();
    store.enroll_device(&proxy.url, &code).unwrap();
    let lib = PhotoLibrary::open(dir.join(format!("photos{n}"))).unwrap();
    let d = store.create_draft(basket()).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name);
    // Each phone its own picture (a pixel narrower each time), or the depot would hold it already.
    let opts = PrepareOptions { max_edge: PrepareOptions::default().max_edge - n as u32, ..PrepareOptions::default() };
    let p = store.add_draft_photo_file(&lib, &d.id, &fixture, &opts).unwrap();
    store.sync_now(None).unwrap();
    // The thumbnail goes first, on its own: the rows below measure the photo alone.
    store.upload_photos(&lib, THUMBNAILS).unwrap();
    (store, lib, proxy, p.bytes, p.thumb_bytes)
}

/// Bytes (up, down) the proxy saw during `f`, after its threads copied the last bytes.
fn counted<T>(proxy: &CountingProxy, f: impl FnOnce() -> T) -> (T, u64, u64) {
    let before = proxy.totals();
    let out = f();
    std::thread::sleep(Duration::from_millis(100));
    let after = proxy.totals();
    (out, after.0 - before.0, after.1 - before.1)
}

fn main() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let photos = ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg", "camera-12mp-baseline.jpg"];

    println!("\n## One photo on loopback (TLS session resumed, thumbnail sent before)\n");
    println!("| photo | photo bytes | wire up | wire down | overhead | round trips | chunks |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (n, name) in photos.iter().enumerate() {
        let (store, lib, proxy, bytes, _) = phone_with_photo(&server, dir.path(), n, name, LinkShape::default());
        let (r, up, down) = counted(&proxy, || store.upload_photos(&lib, ALL).unwrap());
        assert_eq!(r.bytes_sent, bytes);
        let overhead = up as f64 / bytes as f64 - 1.0;
        println!(
            "| {name} | {bytes} | {up} | {down} | {:.2}% | {} | {} |",
            overhead * 100.0,
            r.wire.round_trips,
            r.wire.round_trips - 1
        );
    }

    println!("\n## Resuming after a cut in the middle of a photo\n");
    println!(
        "| photo | photo bytes | cut after (bytes up) | first run | resumed run sent | sent again beyond what the depot lacked |"
    );
    println!("|---|---:|---:|---|---:|---:|");
    for (n, name) in photos.iter().enumerate() {
        let (store, lib, proxy, bytes, _) = phone_with_photo(&server, dir.path(), 10 + n, name, LinkShape::default());
        proxy.cut_after(bytes / 2);
        let (first, up1, _) = counted(&proxy, || store.upload_photos(&lib, ALL));
        let first = match first {
            Ok(r) => format!("ended, {} waiting", r.waiting),
            Err(e) => format!("cut: {}", e.to_string().chars().take(30).collect::<String>()),
        };
        let (r, _, _) = counted(&proxy, || store.upload_photos(&lib, ALL).unwrap());
        assert_eq!(r.waiting, 0);
        // What the depot held after the cut is what the resumed run did not send.
        let held = bytes - r.bytes_sent;
        let wasted = (up1 as i64 - held as i64).max(0);
        println!(
            "| {name} | {bytes} | {} | {first} | {} | {wasted} (wire bytes of the cut run not kept) |",
            bytes / 2,
            r.bytes_sent
        );
    }

    println!("\n## Slow link: 100 kbit/s each way, 2% of segments stalled 300 ms\n");
    println!("| photo | photo bytes | seconds | throughput (kbit/s of photo) | wire up | overhead | round trips |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let slow = LinkShape { bytes_per_sec: Some(12_500), stall_per_mille: 20, stall_ms: 300 };
    let (store, lib, proxy, bytes, _) = phone_with_photo(&server, dir.path(), 20, photos[0], slow);
    let t = Instant::now();
    let (r, up, _) = counted(&proxy, || store.upload_photos(&lib, ALL).unwrap());
    let secs = t.elapsed().as_secs_f64() - 0.1;
    println!(
        "| {} | {bytes} | {secs:.1} | {:.1} | {up} | {:.2}% | {} |",
        photos[0],
        bytes as f64 * 8.0 / 1000.0 / secs,
        (up as f64 / bytes as f64 - 1.0) * 100.0,
        r.wire.round_trips
    );
}
