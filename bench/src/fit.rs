//! `fundi-photo-bench fit [--target S] [--margin M]`: fits the upload's quality model
//! (`fundi_core::photos::LossModel`, see core's `photos/quality.rs`) and checks it on photos
//! it was not fitted on.
//!
//! The fitting photos are the benchmark's (`fixtures/photos/` and `target/bench-photos/`); the
//! held-out ones are `target/bench-photos/held-out/` (both written by
//! `scripts/fetch-bench-photos`). For each photo: the lowest quality at which the upload scores
//! SSIMULACRA2 `S` (72; found by bisection, kept in `target/bench-photos/lowest-passing.json`
//! so a refit does not score again), and the probe's block errors at every quality the chooser
//! can pick. For each model on a grid, the threshold is the highest that still gives every
//! fitting photo at least its lowest passing quality plus `M` (1), and the model is ranked by
//! the quality points it spends above that on the fitting photos. Only then are the held-out
//! photos looked at: the table shows, for the best models, how many of them the model leaves
//! under `S` and what it spends above their need. The held-out photos choose nothing.
//!
//! `--curves` prints instead each photo's score at a few fixed qualities (the raw data: how
//! fast each photo's score rises, and where the resize alone leaves it at quality 98).

use super::calibrate::lowest_passing;
use super::{flag, reference_for, Res};
use fundi_core::photos::{
    upload_planes, BlockErrors, EncodeSettings, LossModel, PrepareOptions, QualityProbe, MAX_QUALITY, MIN_QUALITY, UPLOAD_MODEL,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One photo: its lowest passing quality and its probe's errors at every candidate quality.
struct Measured {
    name: String,
    lowest: u32,
    probe: QualityProbe,
    errors: Vec<BlockErrors>,
}

impl Measured {
    fn loss(&self, q: u32, model: &LossModel) -> f32 {
        self.probe.loss(&self.errors[(q - MIN_QUALITY as u32) as usize], model)
    }

    /// The chooser's pick: the lowest quality whose loss is at or under the threshold.
    fn chosen(&self, model: &LossModel) -> u32 {
        let (mut lo, mut hi) = (MIN_QUALITY as u32, MAX_QUALITY as u32);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.loss(mid, model) <= model.threshold {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }
}

pub fn fit(args: &[String]) -> Res<()> {
    let target: f64 = flag(args, "--target").unwrap_or("72").parse()?;
    let margin: u32 = flag(args, "--margin").unwrap_or("1").parse()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let held_dir = root.join("target/bench-photos/held-out");
    let mut held: Vec<PathBuf> = std::fs::read_dir(&held_dir)
        .map_err(|e| format!("{}: {e} (run scripts/fetch-bench-photos)", held_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    held.sort();
    if args.iter().any(|a| a == "--curves") {
        return curves(&super::default_files(), &held);
    }
    let cache_path = root.join("target/bench-photos/lowest-passing.json");
    let cache: BTreeMap<String, u32> =
        std::fs::read(&cache_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    let cache = Mutex::new(cache);
    let fitting = measure_all(&super::default_files(), target, &cache)?;
    let held = measure_all(&held, target, &cache)?;
    std::fs::write(&cache_path, serde_json::to_vec_pretty(&*cache.lock().unwrap())?)?;

    let mut grid = vec![];
    for mask in [1.0, 3.0, 10.0, 30.0, 100.0] {
        for masking_power in [0.5, 0.625, 0.75, 1.0] {
            for pooling in [1.0, 2.0, 3.0] {
                for chroma_weight in [0.0, 0.25, 0.5] {
                    for high_weight in [0.25, 0.5, 1.0] {
                        for dark_power in [0.0, 0.5, 1.0] {
                            grid.push(LossModel {
                                mask,
                                masking_power,
                                pooling,
                                chroma_weight,
                                high_weight,
                                dark_power,
                                threshold: 0.0,
                            });
                        }
                    }
                }
            }
        }
    }
    let ranked = Mutex::new(vec![]);
    std::thread::scope(|s| {
        for half in grid.chunks(grid.len().div_ceil(2)) {
            let (fitting, ranked) = (&fitting, &ranked);
            s.spawn(move || {
                for model in half {
                    let mut model = *model;
                    // The highest threshold at which every fitting photo gets lowest + margin.
                    let needed: Vec<f32> = fitting
                        .iter()
                        .map(|m| m.loss((m.lowest + margin).clamp(MIN_QUALITY as u32, MAX_QUALITY as u32), &model))
                        .collect();
                    model.threshold = needed.iter().copied().fold(f32::INFINITY, f32::min);
                    // Ranked by how it does on each fitting photo when fitted on the others
                    // (leave one out): a photo it leaves under the target costs as much as
                    // ten quality points spent.
                    let mut cross = 0.0;
                    for (j, m) in fitting.iter().enumerate() {
                        let others =
                            needed.iter().enumerate().filter(|(i, _)| *i != j).map(|(_, l)| *l).fold(f32::INFINITY, f32::min);
                        let c = m.chosen(&LossModel { threshold: others, ..model }) as f64;
                        cross += if c < m.lowest as f64 { 10.0 * (m.lowest as f64 - c) } else { c - m.lowest as f64 };
                    }
                    ranked.lock().unwrap().push((cross / fitting.len() as f64, model));
                }
            });
        }
    });
    let mut ranked = ranked.into_inner().unwrap();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("{} fitting photos, {} held out; target SSIMULACRA2 {target}, margin {margin}", fitting.len(), held.len());
    println!(
        "{:>6} {:>6} {:>7} {:>6} {:>5} {:>5} {:>10} | {:>13} | {:>13} {:>8}",
        "mask", "power", "pooling", "chroma", "high", "dark", "threshold", "fit: l-o-o", "held: surplus", "under"
    );
    for (cross, model) in ranked.iter().take(12) {
        let (held_surplus, under) = surplus(&held, model);
        let fit_surplus = format!("{cross:.2} {:.2}", surplus(&fitting, model).0);
        println!(
            "{:>6} {:>6} {:>7} {:>6} {:>5} {:>5} {:>10.4} | {:>13} | {:>13.2} {:>8}",
            model.mask,
            model.masking_power,
            model.pooling,
            model.chroma_weight,
            model.high_weight,
            model.dark_power,
            model.threshold,
            fit_surplus,
            held_surplus,
            under
        );
    }
    let best = UPLOAD_MODEL;
    let ((fit_surplus, fit_under), (held_surplus, held_under)) = (surplus(&fitting, &best), surplus(&held, &best));
    println!(
        "\nthe core's model ({best:?}): surplus {fit_surplus:.2} on the fitting photos ({fit_under} under), \
         {held_surplus:.2} on the held-out ({held_under} under); photo by photo (lowest passing quality, chosen):"
    );
    for (set, photos) in [("fit", &fitting), ("held", &held)] {
        for m in photos.iter() {
            let c = m.chosen(&best);
            let flag = if c < m.lowest { "  << under" } else { "" };
            println!("{set:<5} {:<34} {:>4} {:>4} {:>+4}{flag}", m.name, m.lowest, c, c as i64 - m.lowest as i64);
        }
    }
    Ok(())
}

/// The mean quality points `model` spends above each photo's lowest passing quality, and how
/// many photos it leaves under it.
fn surplus(photos: &[Measured], model: &LossModel) -> (f64, usize) {
    let (mut total, mut under) = (0i64, 0);
    for m in photos {
        let c = m.chosen(model) as i64;
        total += c - m.lowest as i64;
        under += (c < m.lowest as i64) as usize;
    }
    (total as f64 / photos.len().max(1) as f64, under)
}

fn measure_all(files: &[PathBuf], target: f64, cache: &Mutex<BTreeMap<String, u32>>) -> Res<Vec<Measured>> {
    super::on_two_threads(files, |file| measure(file, target, cache).map_err(|e| format!("{}: {e}", file.display())))
        .into_iter()
        .map(|r| r.map_err(Into::into))
        .collect()
}

fn measure(file: &Path, target: f64, cache: &Mutex<BTreeMap<String, u32>>) -> Res<Measured> {
    let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let bytes = std::fs::read(file)?;
    let key = format!("{name} {} {target}", bytes.len());
    let known = cache.lock().unwrap().get(&key).copied();
    let lowest = match known {
        Some(q) => q,
        None => {
            let q = lowest_passing(&bytes, &reference_for(file)?, target)?.0;
            eprintln!("{name}: lowest passing quality {q}");
            cache.lock().unwrap().insert(key, q);
            q
        }
    };
    let opts = PrepareOptions::default();
    let probe = QualityProbe::new(&upload_planes(&bytes, &opts)?);
    let errors = (MIN_QUALITY as u32..=MAX_QUALITY as u32)
        .map(|q| probe.errors_at(EncodeSettings { table: opts.upload_table, ..EncodeSettings::new(q as f32, false) }))
        .collect();
    Ok(Measured { name, lowest, probe, errors })
}

/// `--curves`: each photo's score at a few qualities, and at 98 (what the resize alone leaves).
fn curves(fitting: &[PathBuf], held: &[PathBuf]) -> Res<()> {
    use super::calibrate::scored;
    use fundi_core::photos::Quality;
    for file in fitting.iter().chain(held) {
        let bytes = std::fs::read(file)?;
        let reference = reference_for(file)?;
        let mut line = format!("{:<34}", file.file_name().unwrap_or_default().to_string_lossy());
        for q in [40, 50, 60, 70, 80, 98] {
            line += &format!(" {q}:{:.1}", scored(&bytes, &reference, Quality::Fixed(q as f32))?.0);
        }
        println!("{line}");
    }
    Ok(())
}
