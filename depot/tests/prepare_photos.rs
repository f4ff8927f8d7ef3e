//! `fundi-depot prepare-photos` end to end: the real binary on the fixtures, JSON checked.

use std::path::Path;
use std::process::Command;

#[test]
fn prepares_good_photos_reports_bad_ones_and_fails_overall() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos");
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_fundi-depot"))
        .arg("prepare-photos")
        .arg("--out")
        .arg(out.path())
        .arg(fixtures.join("camera-portrait-orientation6.jpg"))
        .arg(fixtures.join("hostile/bomb-60000x60000.jpg"))
        .arg(fixtures.join("hostile/zero-bytes.jpg"))
        .output()
        .unwrap();
    assert!(!run.status.success(), "a failed photo makes the exit status non-zero");
    let v: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!((v["prepared"].as_u64(), v["failed"].as_u64()), (Some(1), Some(2)));
    let good = &v["photos"][0];
    assert_eq!(good["orientation"], 6);
    assert_eq!(good["upload"]["size"], serde_json::json!([1067, 1600]));
    let written = std::fs::read(good["upload"]["path"].as_str().unwrap()).unwrap();
    assert_eq!(written.len() as u64, good["upload"]["bytes"].as_u64().unwrap());
    assert!(!written.windows(12).any(|w| w == b"FundiTestCam"), "metadata stripped");
    assert_eq!(v["photos"][1]["error"], "too_large");
    assert_eq!(v["photos"][2]["error"], "empty");
}
