//! The upload soak (issue 10's first test): photos uploaded from real phones (their own SQLite
//! files, photos prepared by the phone's pipeline from the fixture camera files at random sizes
//! and qualities, so most need several chunks) to a real depot process over TLS, each upload cut
//! at a random byte offset by one of: the link dropped; the phone's process SIGKILLed (held at
//! that byte, or at a random moment a few milliseconds after it); the depot's process SIGKILLed
//! and restarted on the same data directory. After each cut the phone runs `upload_photos` again
//! (in a new process after a kill) until nothing waits.
//!
//! The phones talk to the depot through a relay that reads the HTTP inside the TLS
//! (`common::relay`): it places the cuts at exact byte offsets of a blob and records every
//! `PATCH`: its blob, `Upload-Offset`, declared length (the chunk), the body bytes it forwarded
//! to the depot, and the answer passed back. What is counted is those forwarded body bytes, so
//! exactly what the depot was sent, per blob. A `PATCH` is stored if it was answered 2xx, or if
//! its answer was lost to the cut but the depot kept it (it was forwarded whole, into bytes no
//! answered one holds); the stored ones must tile each blob exactly. Every other `PATCH` was sent
//! in vain: all its bytes were sent again. Checked:
//! - every upload completes: each phone's queue is empty and the depot holds every photo and
//!   thumbnail; every blob file hashes to its name, and there is no other blob file;
//! - at most one chunk per interruption is sent twice: each `PATCH` sent in vain is the chunk in
//!   flight at an interruption (the last `PATCH` of the run it ended), or one refused because a
//!   killed phone's last chunk reached the depot after the next run had asked `HEAD` (charged
//!   to that kill); no interruption has two, and runs that were not interrupted have none. The
//!   bytes sent in vain add up to exactly the bytes forwarded beyond the blobs' sizes;
//! - nothing is left over: no unfinished upload row, no file in the depot's uploads folder.
//!
//! `FUNDI_SOAK_UPLOADS` photos (default 4; `scripts/soak-uploads` runs 1,000), 8 to a draft, each
//! cut once; one thumbnail in 8 is cut too. `FUNDI_SOAK_SEED` replays a schedule (photos, cuts,
//! offsets, delays; when a kill "a few milliseconds after" lands depends on the machine). The
//! summary is printed (`--nocapture`). The four kinds of cut come equally often.

mod common;
use common::relay::{Act, Patch, Reached, Trigger, TusRelay};
use common::{basket, upload_child, Server};
use fundi_core::photos::{prepare_file, PhotoLibrary, PrepareOptions, Quality};
use fundi_core::uploads::{UploadPolicy, UploadStatus};
use fundi_core::Store;
use fundi_sync::testing::SeededRng;
use std::collections::{BTreeMap, HashSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ALL: UploadPolicy = UploadPolicy { photos: true };
const PHOTOS_PER_DRAFT: usize = 8;
const PHONES: usize = 4;
/// Photos are 800 px to 800 + this on their long edge. A debug build's photo pipeline takes
/// seconds for a large one, so there they stay smaller.
const MAX_EDGE_SPREAD: u64 = if cfg!(debug_assertions) { 600 } else { 1200 };
/// A run that takes longer has hung.
const RUN_LIMIT: Duration = Duration::from_secs(120);

/// How an upload is interrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Cut {
    /// The relay drops both connections at the offset.
    Link,
    /// The phone's process is killed while the relay holds the connection at the offset.
    PhoneAtByte,
    /// The phone's process is killed 0-5 ms after the relay passed the offset (mid-chunk,
    /// between chunks, in a write to its SQLite file, ...).
    PhoneAtMoment,
    /// The depot's process is killed while the relay holds the connection at the offset, and
    /// restarted on the same data directory.
    Depot,
}

impl Cut {
    fn act(self) -> Act {
        match self {
            Cut::Link => Act::Cut,
            Cut::PhoneAtByte | Cut::Depot => Act::Hold,
            Cut::PhoneAtMoment => Act::Notify,
        }
    }
}

/// One cut of each kind first (in a random order), then each kind as often. A depot restart
/// (SIGKILL, `serve` again on the same data directory, its banner read) takes about 10 ms in a
/// release build and under 100 ms in a debug one, no more than a phone's run in a new process, so
/// the depot gets its full share.
const DECK: [Cut; 4] = [Cut::Link, Cut::PhoneAtByte, Cut::PhoneAtMoment, Cut::Depot];

struct Deck {
    cards: Vec<Cut>,
}

impl Deck {
    fn draw(&mut self, rng: &mut SeededRng) -> Cut {
        if self.cards.is_empty() {
            self.cards = DECK.to_vec();
        }
        let i = rng.below(self.cards.len() as u64) as usize;
        self.cards.swap_remove(i)
    }
}

/// A blob of a draft, in the phone's queue order, with its cut still to come.
struct Blob {
    sha256: String,
    len: u64,
    cut: Option<(Cut, u64)>,
}

/// A run that an interruption ended.
struct Interruption {
    epoch: u32,
    cut: Cut,
}

struct Phone {
    db: PathBuf,
    photos: PathBuf,
}

#[derive(Default)]
struct Tally {
    photos: usize,
    thumbnails: usize,
    bytes: u64,
    runs: u32,
    children: u32,
    /// Cuts that found nothing to cut: the blob was whole at the depot already, or a kill a few
    /// milliseconds late came after the run had finished.
    missed: u32,
    restart_time: Duration,
    prepare_time: Duration,
}

struct Soak {
    server: Server,
    relay: TusRelay,
    rng: SeededRng,
    deck: Deck,
    /// The phones' files (removed with it).
    _dir: tempfile::TempDir,
    phones: Vec<Phone>,
    seen: HashSet<String>,
    epoch: u32,
    interruptions: Vec<Interruption>,
    /// Every blob uploaded: hash -> length.
    expected: BTreeMap<String, u64>,
    tally: Tally,
}

fn fixture(n: u64) -> PathBuf {
    let names = ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg", "camera-12mp-baseline.jpg"];
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(names[n as usize % names.len()])
}

/// The child process of the phone kills.
#[test]
fn soak_upload_child() {
    common::upload_child_main();
}

/// How a run ended.
enum Ended {
    Finished,
    /// `upload_photos` failed (the link or the depot went away).
    Failed(String),
    /// The phone's process was killed.
    Killed,
}

impl Soak {
    fn new(seed: u64) -> Soak {
        let server = Server::start();
        let relay = TusRelay::start(&server);
        let dir = tempfile::tempdir().unwrap();
        let phones = (0..PHONES)
            .map(|n| {
                let name = format!("soak{n}");
                let (_, code) = server.account("artisan", &name, None);
                let db = dir.path().join(format!("{name}.db"));
                Store::open(&db).unwrap().enroll_device(&relay.url, &code).unwrap();
                Phone { db, photos: dir.path().join(format!("{name}-photos")) }
            })
            .collect();
        let deck = Deck { cards: DECK.to_vec() };
        Soak {
            server,
            relay,
            rng: SeededRng(seed),
            deck,
            _dir: dir,
            phones,
            seen: HashSet::new(),
            epoch: 0,
            interruptions: vec![],
            expected: BTreeMap::new(),
            tally: Tally::default(),
        }
    }

    /// A draft of `photos` new photos on phone `p`, synced: its blobs in the phone's queue order
    /// (thumbnails, then photos), each photo with a cut, one thumbnail in 8 too.
    fn draft(&mut self, p: usize, photos: usize) -> Vec<Blob> {
        let phone = &self.phones[p];
        let store = Store::open(&phone.db).unwrap();
        let lib = PhotoLibrary::open(&phone.photos).unwrap();
        let draft = store.create_draft(basket()).unwrap();
        let (mut thumbs, mut uploads) = (vec![], vec![]);
        let started = Instant::now();
        for _ in 0..photos {
            // A picture new to the depot, photo and thumbnail (a pipeline's output is a function
            // of its source and options: draw again on a hash already used).
            let prepared = loop {
                let opts = PrepareOptions {
                    max_edge: 800 + self.rng.below(MAX_EDGE_SPREAD + 1) as u32,
                    thumb_edge: 160 + self.rng.below(161) as u32,
                    upload_quality: Quality::Fixed(70.0 + self.rng.below(28) as f32),
                    ..PrepareOptions::default()
                };
                let prepared = prepare_file(&fixture(self.rng.below(3)), &opts).unwrap();
                if !self.seen.contains(&prepared.upload.sha256) && !self.seen.contains(&prepared.thumbnail.sha256) {
                    break prepared;
                }
            };
            store.add_draft_photo(&lib, &draft.id, &prepared).unwrap();
            for (image, list) in [(&prepared.thumbnail, &mut thumbs), (&prepared.upload, &mut uploads)] {
                self.seen.insert(image.sha256.clone());
                self.expected.insert(image.sha256.clone(), image.bytes.len() as u64);
                list.push(Blob { sha256: image.sha256.clone(), len: image.bytes.len() as u64, cut: None });
            }
        }
        self.tally.prepare_time += started.elapsed();
        store.sync_now(None).unwrap();
        for b in &mut uploads {
            b.cut = Some((self.deck.draw(&mut self.rng), self.rng.below(b.len)));
        }
        for b in &mut thumbs {
            if self.rng.below(8) == 0 {
                b.cut = Some((self.deck.draw(&mut self.rng), self.rng.below(b.len)));
            }
        }
        self.tally.photos += uploads.len();
        self.tally.thumbnails += thumbs.len();
        self.tally.bytes += thumbs.iter().chain(&uploads).map(|b| b.len).sum::<u64>();
        thumbs.into_iter().chain(uploads).collect()
    }

    fn depot_holds(&self, sha256: &str) -> bool {
        self.server.data_dir().join("blobs").join(&sha256[..2]).join(sha256).is_file()
    }

    /// Upload phone `p`'s draft `blobs` to the end, one run after another, each run ended by the
    /// next cut still to come.
    fn upload(&mut self, p: usize, mut blobs: Vec<Blob>) {
        let mut runs = 0;
        loop {
            runs += 1;
            assert!(runs <= blobs.len() * 2 + 4, "phone {p}: no progress after {runs} runs");
            // The next cut to come, in the order the phone sends; a blob the depot holds whole
            // already (a late kill finished it) cannot be cut any more.
            let next = loop {
                match blobs.iter_mut().find(|b| b.cut.is_some()) {
                    Some(b) if self.depot_holds(&b.sha256) => {
                        b.cut = None;
                        self.tally.missed += 1;
                    }
                    Some(b) => break Some((b.sha256.clone(), b.cut.take().unwrap())),
                    None => break None,
                }
            };
            self.epoch += 1;
            self.relay.set_epoch(self.epoch);
            let Some((sha256, (cut, at))) = next else {
                match self.run_in_process(p, None).0 {
                    Ended::Finished => break,
                    Ended::Failed(e) => panic!("phone {p}: a run without a cut failed: {e}"),
                    Ended::Killed => unreachable!(),
                }
            };
            self.relay.arm(Trigger { sha256, at, act: cut.act() });
            let (ended, reached) = match cut {
                Cut::Link | Cut::Depot => self.run_in_process(p, Some(cut)),
                Cut::PhoneAtByte | Cut::PhoneAtMoment => self.run_in_child(p, cut),
            };
            self.relay.disarm();
            match (ended, reached) {
                (Ended::Killed | Ended::Failed(_), Some(_)) => {
                    self.interruptions.push(Interruption { epoch: self.epoch, cut });
                }
                // A kill that came after the phone finished.
                (Ended::Finished, Some(_)) if cut == Cut::PhoneAtMoment => self.tally.missed += 1,
                (Ended::Finished, None) => self.tally.missed += 1,
                (Ended::Failed(e), None) => panic!("phone {p}: a run failed without a cut: {e}"),
                (Ended::Killed, None) => unreachable!("a phone is killed only at its cut"),
                (Ended::Finished, Some(r)) => panic!("phone {p}: the run finished through a {cut:?} cut: {r:?}"),
            }
            if blobs.iter().all(|b| b.cut.is_none()) && self.phone_status(p) == UploadStatus::default() {
                break;
            }
        }
        for b in &blobs {
            assert!(self.depot_holds(&b.sha256), "phone {p}: the depot lacks {} ({} bytes)", b.sha256, b.len);
        }
        assert_eq!(self.phone_status(p), UploadStatus::default(), "phone {p}: its queue is not empty");
    }

    fn phone_status(&self, p: usize) -> UploadStatus {
        Store::open(&self.phones[p].db).unwrap().upload_status().unwrap()
    }

    /// Run `upload_photos` in this process (on a thread), restarting the depot when the relay
    /// holds the connection for a depot cut.
    fn run_in_process(&mut self, p: usize, cut: Option<Cut>) -> (Ended, Option<Reached>) {
        self.tally.runs += 1;
        let phone = &self.phones[p];
        let (server, relay, tally) = (&mut self.server, &self.relay, &mut self.tally);
        let started = Instant::now();
        std::thread::scope(|s| {
            let run = s.spawn(|| {
                let store = Store::open(&phone.db).unwrap();
                store.upload_photos(&PhotoLibrary::open(&phone.photos).unwrap(), ALL)
            });
            let mut reached = None;
            while !run.is_finished() {
                assert!(started.elapsed() < RUN_LIMIT, "phone {p}: a run hung");
                if let Some(r) = relay.reached(Duration::from_millis(10)) {
                    if cut == Some(Cut::Depot) {
                        let t = Instant::now();
                        server.restart(&[]);
                        tally.restart_time += t.elapsed();
                        relay.release();
                    }
                    reached = Some(r);
                }
            }
            reached = reached.or_else(|| relay.reached(Duration::ZERO));
            let ended = match run.join().unwrap() {
                Ok(r) if r.waiting == 0 => Ended::Finished,
                Ok(r) => panic!("phone {p}: a run ended with blobs waiting: {r:?}"),
                Err(fundi_core::Error::Sync(fundi_core::replica::SyncError::Offline(e))) => Ended::Failed(e),
                Err(e) => panic!("phone {p}: a run failed with {e:?}"),
            };
            (ended, reached)
        })
    }

    /// Run `upload_photos` in a child process, killed at the cut.
    fn run_in_child(&mut self, p: usize, cut: Cut) -> (Ended, Option<Reached>) {
        self.tally.runs += 1;
        self.tally.children += 1;
        let phone = &self.phones[p];
        let delay = Duration::from_millis(self.rng.below(6));
        let mut child = upload_child("soak_upload_child", &phone.db, &phone.photos).spawn().unwrap();
        let started = Instant::now();
        let mut reached = None;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(started.elapsed() < RUN_LIMIT, "phone {p}: a run hung");
            if let Some(r) = self.relay.reached(Duration::from_millis(10)) {
                if cut == Cut::PhoneAtMoment {
                    std::thread::sleep(delay);
                }
                let _ = child.kill();
                let status = child.wait().unwrap();
                self.relay.release();
                reached = Some(r);
                break status;
            }
        };
        let ended = match (status.success(), status.signal()) {
            (true, _) => Ended::Finished,
            (false, Some(9)) => Ended::Killed,
            _ => panic!("phone {p}: the upload process failed ({status})"),
        };
        (ended, reached)
    }

    /// Sort the `PATCH`es the relay forwarded into those the depot stored and those sent in vain,
    /// and charge each one sent in vain to the interruption that caused it. Stored: answered
    /// 2xx, or (its answer lost to the cut) forwarded whole into a range no answered one holds;
    /// the stored ones must tile each blob exactly. In vain: the rest, whose bytes were all sent
    /// again. A cut one is charged to its own run, whose last `PATCH` it must be (the chunk in
    /// flight); a refused one (409: a killed phone's last chunk reached the depot after its next
    /// run asked `HEAD`) to the last interruption of that blob before it. Each interruption may
    /// have one at most. Returns, per interruption, (bytes sent in vain, the chunk in flight).
    fn sent_in_vain(&self, patches: &[Patch]) -> Vec<(u64, u64)> {
        let range = |p: &Patch| (p.offset, p.offset + p.forwarded);
        let mut by_blob: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, p) in patches.iter().enumerate() {
            by_blob.entry(&p.sha256).or_default().push(i);
        }
        let mut vain = vec![];
        for (sha, list) in &by_blob {
            let answered = |i: &usize| patches[*i].answer.is_some_and(|s| (200..300).contains(&s));
            let mut stored: Vec<(u64, u64)> = list.iter().filter(|i| answered(i)).map(|&i| range(&patches[i])).collect();
            for &i in list.iter().filter(|i| patches[**i].answer.is_none()) {
                let (a, b) = range(&patches[i]);
                let whole = patches[i].forwarded == patches[i].declared && b > a;
                if whole && stored.iter().all(|&(c, d)| b <= c || d <= a) {
                    stored.push((a, b));
                } else {
                    vain.push(i);
                }
            }
            vain.extend(list.iter().filter(|i| patches[**i].answer.is_some() && !answered(i)));
            stored.sort();
            let tiled = stored.windows(2).all(|w| w[0].1 == w[1].0) && stored.first().map(|r| r.0) == Some(0);
            let len = self.expected[*sha];
            assert!(tiled && stored.last().map(|r| r.1) == Some(len), "{sha} ({len} bytes): the stored chunks {stored:?}");
        }
        let last_of = |epoch: u32| patches.iter().rposition(|p| p.epoch == epoch);
        let mut charged: Vec<Option<usize>> = vec![None; self.interruptions.len()];
        for i in vain {
            let p = &patches[i];
            let by = match p.answer {
                None => self.interruptions.iter().position(|int| int.epoch == p.epoch && last_of(int.epoch) == Some(i)),
                Some(_) => self
                    .interruptions
                    .iter()
                    .rposition(|int| int.epoch < p.epoch && last_of(int.epoch).is_some_and(|l| patches[l].sha256 == p.sha256)),
            };
            let Some(by) = by else { panic!("a PATCH sent in vain that no interruption explains: {p:?}") };
            assert!(
                charged[by].is_none(),
                "two PATCHes sent in vain for one interruption: {:?} and {p:?}",
                patches[charged[by].unwrap()]
            );
            charged[by] = Some(i);
        }
        self.interruptions
            .iter()
            .zip(charged)
            .map(|(int, c)| (c.map_or(0, |i| patches[i].forwarded), last_of(int.epoch).map_or(0, |l| patches[l].declared)))
            .collect()
    }

    /// The depot at the end: every blob whole and named by its hash, nothing else, no leftovers.
    fn check_depot(&self) {
        // A killed phone's last chunk may still be on its way to the depot (its chunk file too).
        self.relay.wait_idle(Duration::from_secs(30));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.server.files("uploads").is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let files = self.server.files("blobs");
        let names: Vec<String> = files.iter().map(|f| f.rsplit('/').next().unwrap().to_string()).collect();
        let expected: Vec<String> = self.expected.keys().cloned().collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "the depot's blob files are not the photos and thumbnails uploaded");
        for f in &files {
            let bytes = std::fs::read(self.server.data_dir().join("blobs").join(f)).unwrap();
            let name = f.rsplit('/').next().unwrap();
            assert_eq!(common::sha(&bytes), name, "the blob {f} does not hash to its name");
            assert_eq!(bytes.len() as u64, self.expected[name]);
        }
        assert_eq!(self.server.files("uploads"), Vec::<String>::new(), "upload files left over");
        let open: Vec<_> = self.server.uploads().into_iter().filter(|u| !u.5).collect();
        assert!(open.is_empty(), "unfinished uploads left over: {open:?}");
    }
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

#[test]
fn uploads_cut_at_random_offsets_all_complete_and_resend_at_most_the_chunk_in_flight() {
    let uploads: usize = std::env::var("FUNDI_SOAK_UPLOADS").ok().and_then(|v| v.parse().ok()).unwrap_or(4);
    let seed = std::env::var("FUNDI_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    println!("upload soak: seed {seed} (FUNDI_SOAK_SEED={seed} replays it), {uploads} photos");
    let started = Instant::now();
    let mut soak = Soak::new(seed);
    let mut done = 0;
    while done < uploads {
        let n = PHOTOS_PER_DRAFT.min(uploads - done);
        let p = (done / PHOTOS_PER_DRAFT) % PHONES;
        let blobs = soak.draft(p, n);
        soak.upload(p, blobs);
        done += n;
    }
    soak.check_depot();
    let patches = soak.relay.patches();
    let resent = soak.sent_in_vain(&patches);

    let t = &soak.tally;
    let restarts = soak.interruptions.iter().filter(|i| i.cut == Cut::Depot).count();
    let forwarded: u64 = patches.iter().map(|p| p.forwarded).sum();
    let again: Vec<u64> = resent.iter().map(|r| r.0).collect();
    let chunks: Vec<u64> = resent.iter().map(|r| r.1).filter(|&c| c > 0).collect();
    println!(
        "upload soak: {} photos and {} thumbnails ({} bytes) from {PHONES} phones in {:.1} s ({:.1} s preparing photos, {:.1} s restarting the depot {restarts} times)",
        t.photos,
        t.thumbnails,
        t.bytes,
        started.elapsed().as_secs_f64(),
        t.prepare_time.as_secs_f64(),
        t.restart_time.as_secs_f64()
    );
    println!(
        "upload soak: {} interruptions, {} cuts that found nothing to cut; {} runs ({} in child processes), {} PATCHes",
        soak.interruptions.len(),
        t.missed,
        t.runs,
        t.children,
        patches.len()
    );
    let mut kinds: BTreeMap<Cut, Vec<u64>> = BTreeMap::new();
    for (&(a, _), int) in resent.iter().zip(&soak.interruptions) {
        kinds.entry(int.cut).or_default().push(a);
    }
    for (cut, list) in kinds.into_iter().map(|(c, l)| (format!("{c:?}"), l)).chain([("all".to_string(), again.clone())]) {
        println!(
            "upload soak: sent again, {cut}: {} interruptions, per interruption max {} bytes, median {}, total {}",
            list.len(),
            list.iter().max().copied().unwrap_or(0),
            median(list.clone()),
            list.iter().sum::<u64>()
        );
    }
    println!(
        "upload soak: {forwarded} PATCH bytes forwarded for {} bytes of blobs ({:.2}% sent again); chunk in flight at an interruption: max {} bytes, median {}",
        t.bytes,
        (forwarded - t.bytes) as f64 * 100.0 / t.bytes.max(1) as f64,
        chunks.iter().max().copied().unwrap_or(0),
        median(chunks.clone())
    );
    assert_eq!(forwarded - again.iter().sum::<u64>(), t.bytes, "every byte once, plus what was sent again");
    assert!(soak.interruptions.len() >= uploads / 2, "too few cuts acted: {}", soak.interruptions.len());
}
