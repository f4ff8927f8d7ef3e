//! `fundi-photo-bench calibrate [--target S] FILE...`: the data behind the per-photo quality.
//! For each photo, the lowest upload quality at which fundi's pipeline reaches SSIMULACRA2 `S`
//! (default 72) against the benchmark's reference, and what the core's own choice gives;
//! `--features` prints the block activity shares the choice reads, and that choice, instead. Runs in-process (memory is not measured here).

use super::{flag, reference_for, score, Res};
use fundi_core::photos::{prepare_bytes, PrepareOptions, Quality};
use std::path::PathBuf;

pub fn calibrate(args: &[String]) -> Res<()> {
    let target: f64 = flag(args, "--target").unwrap_or("72").parse()?;
    let mut files: Vec<PathBuf> = vec![];
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--features" {
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
        if args.iter().any(|a| a == "--features") {
            let rgb = fundi_core::photos::RgbImage {
                width: reference.width(),
                height: reference.height(),
                data: reference.as_raw().clone(),
            };
            let ycc = fundi_core::photos::Ycc420::from_rgb(&rgb)?;
            let shares = fundi_core::photos::activity_shares(&ycc.y);
            println!(
                "{name:<40} q {} shares {:?}",
                fundi_core::photos::quality_for(shares),
                shares.map(|s| (s * 1000.0).round() / 1000.0)
            );
            continue;
        }
        let run = |quality: Quality| -> Res<(f64, f32, usize)> {
            let opts = PrepareOptions { upload_quality: quality, ..PrepareOptions::default() };
            let p = prepare_bytes(&bytes, &opts)?;
            Ok((score(&reference, &p.upload.bytes)?, p.report.upload_quality, p.upload.bytes.len()))
        };
        // The lowest whole quality in 20..=98 that reaches the target (scores rise with quality;
        // on table 4 the easiest photos need about 41).
        let (mut lo, mut hi) = (20u32, 98u32);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if run(Quality::Fixed(mid as f32))?.0 >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let at_min = run(Quality::Fixed(lo as f32))?;
        let auto = run(Quality::PerPhoto)?;
        println!("{:<40} {:>6} {:>8.1} {:>6} {:>8.1} {:>8.1}", name, lo, at_min.0, auto.1, auto.0, auto.2 as f64 / 1024.0);
    }
    Ok(())
}
