//! Inputs the fuzz targets (`fuzz/`, run by `scripts/fuzz`) crashed on, kept in the normal
//! suite: every file under `fixtures/fuzz/photo_decode/crashes/` goes through the photo
//! pipeline and must come out as a typed error or a photo, never an internal error (a caught
//! panic). The seeds beside them (small JPEGs and PNGs of each kind) go through it too. Every
//! input kept for `pull_page_apply` goes through that target's own harness (its file, included
//! here), with the strict views on.

use fundi_core::photos::{prepare_bytes, PhotoError, PrepareOptions};
use std::path::{Path, PathBuf};

/// The fuzz crate's fake depot and `pull_page_apply` harness, compiled here from their files.
#[allow(dead_code)]
#[path = "../../fuzz/src/fake_depot.rs"]
mod fake_depot;
#[allow(dead_code)]
#[path = "../../fuzz/src/pull_page.rs"]
mod pull_page;

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn fixtures(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/fuzz").join(target)
}

#[test]
fn no_photo_input_the_fuzzer_kept_ends_in_an_internal_error() {
    let inputs = files(&fixtures("photo_decode"));
    assert!(inputs.iter().any(|p| p.starts_with(fixtures("photo_decode/crashes"))), "the crash inputs are missing");
    for path in inputs {
        let bytes = std::fs::read(&path).unwrap();
        if let Err(PhotoError::Internal(e)) = prepare_bytes(&bytes, &PrepareOptions::default()) {
            panic!("{}: internal error (a caught panic): {e}", path.display());
        }
    }
}

/// png 0.18.1 panics expanding a palette whose length is not a multiple of 3
/// (image-rs/image-png#694); the decoder refuses such a file as damaged first. The fuzzer's
/// own input (`png-palette-49-bytes-as-found.png`) has chunk checksums that only a fuzzing
/// build of png ignores; this one is the same file with valid checksums.
#[test]
fn a_png_palette_of_a_length_not_a_multiple_of_3_is_corrupt() {
    let bytes = std::fs::read(fixtures("photo_decode/crashes/png-palette-49-bytes.png")).unwrap();
    match prepare_bytes(&bytes, &PrepareOptions::default()) {
        Err(PhotoError::Corrupt(_)) => {}
        other => panic!("expected Corrupt, got {:?}", other.map(|p| p.report)),
    }
}

/// Every kept `pull_page_apply` input (the seeds, and the records that once made a whole view
/// fail: an order in a status this build does not know, an own draft whose `materials` are not
/// all text), through the fuzz target's harness with the strict views on: after a sync that
/// succeeded, every view reads.
#[test]
fn no_kept_pull_page_leaves_a_view_that_does_not_read() {
    let inputs = files(&fixtures("pull_page_apply"));
    for name in ["order-status-unknown", "draft-materials-not-text"] {
        assert!(inputs.iter().any(|p| p.ends_with(name)), "{name} is missing");
    }
    let depot = fake_depot::FakeDepot::start();
    let mut failed = vec![];
    for path in inputs {
        let bytes = std::fs::read(&path).unwrap();
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| pull_page::run(&depot, &bytes, true)));
        if run.is_err() {
            failed.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(failed.is_empty(), "the harness failed on {failed:?} (see the panics above)");
}
