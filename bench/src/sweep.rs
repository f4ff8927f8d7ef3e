//! `fundi-photo-bench sweep [--target S] [--configs t3c0,t0c-8,...] [FILE...]`: encoder settings
//! compared by the benchmark's own bytes measure, each at the quality it needs. For each photo
//! and each configuration (`t` mozjpeg's base table, `c` the chroma quality's offset from the
//! luma's, a trailing `T` for trellis), the lowest upload quality reaching SSIMULACRA2 `S` (72),
//! then the bytes (upload + thumbnail) over the `image` pipeline's at equal score, as the table
//! computes them (its quality searched to reach our score, its thumbnail as it makes it). Also
//! the same at the core's own per-photo choice. Runs in-process, two photos at a time.

use super::{encode_image_crate, fit_within, flag, score, upright_full, Res};
use fundi_core::photos::{prepare_bytes, PrepareOptions, Quality};
use image::DynamicImage;
use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Clone, Copy)]
struct Config {
    table: u8,
    chroma: f32,
    trellis: bool,
}

fn parse(c: &str) -> Res<Config> {
    let trellis = c.ends_with('T');
    let c = c.trim_end_matches('T');
    let (t, ch) = c.trim_start_matches('t').split_once('c').ok_or("config: t<table>c<offset>[T]")?;
    Ok(Config { table: t.parse()?, chroma: ch.parse()?, trellis })
}

pub fn sweep(args: &[String]) -> Res<()> {
    let target: f64 = flag(args, "--target").unwrap_or("72").parse()?;
    let configs: Vec<(String, Config)> =
        flag(args, "--configs").unwrap_or("t3c0").split(',').map(|c| Ok((c.to_string(), parse(c)?))).collect::<Res<_>>()?;
    let mut files: Vec<PathBuf> = vec![];
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a == "--target" || a == "--configs" {
            skip = true;
        } else {
            files.push(a.into());
        }
    }
    if files.is_empty() {
        files = super::default_files();
    }
    let results = super::on_two_threads(&files, |file| match one_photo(file, target, &configs) {
        Ok(lines) => {
            for l in &lines {
                eprintln!("{l}");
            }
            lines
        }
        Err(e) => {
            eprintln!("{}: {e}", file.display());
            vec![]
        }
    });
    println!(
        "{:<34} {:<8} {:>5} {:>6} {:>8} {:>6} {:>6} | {:>6} {:>6} {:>6}",
        "photo", "config", "q", "score", "KB", "img q", "ratio", "auto q", "score", "ratio"
    );
    let mut sums: HashMap<String, (f64, f64, usize)> = HashMap::new();
    for lines in &results {
        for l in lines {
            println!("{l}");
            let cols: Vec<&str> = l.split_whitespace().collect();
            let e = sums.entry(cols[1].to_string()).or_default();
            e.0 += cols[6].parse::<f64>().unwrap_or(0.0);
            e.1 += cols[10].parse::<f64>().unwrap_or(0.0);
            e.2 += 1;
        }
    }
    for (name, _) in &configs {
        if let Some((a, b, n)) = sums.get(name) {
            println!(
                "MEAN {name}: ratio at the lowest quality reaching {target} {:.3}x; at the core's choice {:.3}x ({n} photos)",
                a / *n as f64,
                b / *n as f64
            );
        }
    }
    Ok(())
}

fn one_photo(file: &PathBuf, target: f64, configs: &[(String, Config)]) -> Res<Vec<String>> {
    let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let bytes = std::fs::read(file)?;
    let full = upright_full(file)?;
    let rgb = full.to_rgb8();
    let (w, h) = fit_within(rgb.width(), rgb.height(), 1600);
    let reference = super::resize_lanczos(&rgb, w, h)?;
    let resized = DynamicImage::ImageRgb8(rgb).resize_exact(w, h, image::imageops::FilterType::Lanczos3).to_rgb8();
    let image_thumb = encode_image_crate(&full.thumbnail(320, 320).to_rgb8(), 75)?.len();
    drop(full);
    let mut image_scores: HashMap<u8, f64> = HashMap::new();
    let mut image_eq = |s: f64| -> Res<(u8, usize)> {
        let (mut lo, mut hi) = (20u8, 100u8);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let sc = match image_scores.get(&mid) {
                Some(s) => *s,
                None => {
                    let v = score(&reference, &encode_image_crate(&resized, mid)?)?;
                    image_scores.insert(mid, v);
                    v
                }
            };
            if sc >= s {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok((lo, encode_image_crate(&resized, lo)?.len()))
    };
    let mut lines = vec![];
    for (cname, c) in configs {
        let run = |quality: Quality| -> Res<(f64, f32, usize)> {
            let opts = PrepareOptions {
                upload_quality: quality,
                upload_table: c.table,
                upload_chroma_offset: c.chroma,
                upload_trellis: c.trellis,
                ..PrepareOptions::default()
            };
            let p = prepare_bytes(&bytes, &opts)?;
            Ok((score(&reference, &p.upload.bytes)?, p.report.upload_quality, p.upload.bytes.len() + p.thumbnail.bytes.len()))
        };
        let mut memo: HashMap<u32, (f64, f32, usize)> = HashMap::new();
        let (mut lo, mut hi) = (20u32, 98u32);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let r = match memo.get(&mid) {
                Some(r) => *r,
                None => {
                    let r = run(Quality::Fixed(mid as f32))?;
                    memo.insert(mid, r);
                    r
                }
            };
            if r.0 >= target {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let at = match memo.get(&lo) {
            Some(r) => *r,
            None => run(Quality::Fixed(lo as f32))?,
        };
        let (iq, ib) = image_eq(at.0)?;
        let auto = run(Quality::PerPhoto)?;
        let (aq, ab) = image_eq(auto.0)?;
        let ratio = |ours: usize, theirs: usize| ours as f64 / (theirs + image_thumb) as f64;
        lines.push(format!(
            "{:<34} {:<8} {:>5} {:>6.1} {:>8.1} {:>6} {:>6.3} | {:>6} {:>6.1} {:>6.3} (img q{aq})",
            name,
            cname,
            lo,
            at.0,
            at.2 as f64 / 1024.0,
            iq,
            ratio(at.2, ib),
            auto.1,
            auto.0,
            ratio(auto.2, ab)
        ));
    }
    Ok(lines)
}
