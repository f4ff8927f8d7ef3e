//! `fundi-photo-bench calibrate [--target S] FILE...`: the data behind the per-photo quality.
//! For each photo, the lowest upload quality at which fundi's pipeline reaches SSIMULACRA2 `S`
//! (default 72) against the benchmark's reference, and what the core's own choice gives.
//! Runs in-process (memory is not measured here).

use super::{flag, reference_for, score, Res};
use fundi_core::photos::{prepare_bytes, PrepareOptions, Quality};
use image::RgbImage;
use std::path::PathBuf;

pub fn calibrate(args: &[String]) -> Res<()> {
    let target: f64 = flag(args, "--target").unwrap_or("72").parse()?;
    let mut files: Vec<PathBuf> = vec![];
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--target" {
            skip = true;
        } else {
            files.push(a.into());
        }
    }
    if files.is_empty() {
        files = super::default_files();
    }
    println!("{:<40} {:>6} {:>8} {:>6} {:>8} {:>8}", "photo", "q@min", "score", "auto q", "score", "KB");
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        let bytes = std::fs::read(&file)?;
        let reference = reference_for(&file)?;
        let (q, at_min) = lowest_passing(&bytes, &reference, target)?;
        let auto = scored(&bytes, &reference, Quality::PerPhoto)?;
        println!("{:<40} {:>6} {:>8.1} {:>6} {:>8.1} {:>8.1}", name, q, at_min, auto.1, auto.0, auto.2 as f64 / 1024.0);
    }
    Ok(())
}

/// The score, the quality used and the upload's bytes of preparing `bytes` at `quality`.
pub fn scored(bytes: &[u8], reference: &RgbImage, quality: Quality) -> Res<(f64, f32, usize)> {
    let opts = PrepareOptions { upload_quality: quality, ..PrepareOptions::default() };
    let p = prepare_bytes(bytes, &opts)?;
    Ok((score(reference, &p.upload.bytes)?, p.report.upload_quality, p.upload.bytes.len()))
}

/// The lowest whole quality in 20..=98 at which the upload reaches `target`, and its score
/// (scores rise with quality; on table 4 the easiest photos need about 41). 98 when none does.
pub fn lowest_passing(bytes: &[u8], reference: &RgbImage, target: f64) -> Res<(u32, f64)> {
    let (mut lo, mut hi) = (20u32, 98u32);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if scored(bytes, reference, Quality::Fixed(mid as f32))?.0 >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok((lo, scored(bytes, reference, Quality::Fixed(lo as f32))?.0))
}
