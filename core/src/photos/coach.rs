//! Coaching: cheap checks on the reduced image that let the app say "hold the phone still",
//! "find more light" or "move out of the sun" before the artisan submits a product.
//!
//! Everything runs on the reduced photo's luma plane, shrunk to at most [`WORK_EDGE`] px long by
//! averaging square blocks (no filter to compute), so the measures do not depend on the
//! camera's resolution:
//! - sharpness: the 99.5th percentile of the absolute Laplacian of luma. A plain background
//!   does not make a sharp product look blurry (a mean or variance would), because only the
//!   strongest edges count;
//! - brightness: mean luma, and the share of clipped (near-white) pixels;
//! - size: the camera image's short edge.
//!
//! The thresholds were set on the fixtures and their blurred, darkened and brightened copies
//! (see the tests); depot liaisons may ask to tune them.

use super::ycc::Plane;

pub const WORK_EDGE: u32 = 800;
/// Below this 99.5th-percentile Laplacian, the photo is called blurry.
pub const MIN_SHARPNESS: f32 = 24.0;
/// Mean luma (0-255) below which the photo is too dark.
pub const MIN_BRIGHTNESS: f32 = 60.0;
/// Share of pixels at luma >= 250 above which the photo is overexposed.
pub const MAX_CLIPPED: f32 = 0.30;
/// A source whose short edge is below this is too small for the catalog.
pub const MIN_SHORT_EDGE: u32 = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Advice {
    /// "Hold the phone still / tap to focus."
    Blurry,
    /// "Find more light."
    TooDark,
    /// "Move out of direct sun / away from the flash."
    Overexposed,
    /// "Use the phone's camera at full size."
    TooSmall,
}

impl Advice {
    pub const ALL: [Advice; 4] = [Advice::Blurry, Advice::TooDark, Advice::Overexposed, Advice::TooSmall];

    /// Stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Advice::Blurry => "blurry",
            Advice::TooDark => "too_dark",
            Advice::Overexposed => "overexposed",
            Advice::TooSmall => "too_small",
        }
    }

    pub fn from_code(code: &str) -> Option<Advice> {
        Advice::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// The measures and the advice they lead to.
#[derive(Clone, Debug, PartialEq)]
pub struct Coaching {
    pub advice: Vec<Advice>,
    pub sharpness: f32,
    pub mean_luma: f32,
    pub clipped_share: f32,
}

/// The mean of each `k` x `k` block of `luma`, row by row; the partial blocks at the right
/// and bottom edges are left out. Returns the means and their width.
fn block_means(luma: &Plane, k: usize) -> (Vec<u8>, usize) {
    let (w, h) = (luma.width as usize / k, luma.height as usize / k);
    let mut means = Vec::with_capacity(w * h);
    // Each block row: sum its rows column by column (a loop the compiler vectorises), then
    // the columns of each block.
    let mut column_sums = vec![0u32; luma.width as usize];
    let n = (k * k) as u32;
    for block_row in luma.data.chunks_exact(luma.width as usize * k).take(h) {
        column_sums.fill(0);
        for row in block_row.chunks_exact(luma.width as usize) {
            for (sum, &v) in column_sums.iter_mut().zip(row) {
                *sum += v as u32;
            }
        }
        means.extend(column_sums.chunks_exact(k).map(|b| ((b.iter().sum::<u32>() + n / 2) / n) as u8));
    }
    (means, w)
}

/// The value below which `share` of the counted values lie.
fn percentile(histogram: &[u64], share: f64) -> usize {
    let total: u64 = histogram.iter().sum();
    let rank = ((total.saturating_sub(1)) as f64 * share) as u64;
    let mut seen = 0;
    for (value, &count) in histogram.iter().enumerate() {
        seen += count;
        if seen > rank {
            return value;
        }
    }
    0
}

/// Assess the reduced photo by its `luma` plane (any orientation: nothing measured depends on
/// it), taken from a `source_w` x `source_h` original.
pub fn assess(luma: &Plane, source_w: u32, source_h: u32) -> Coaching {
    let k = luma.width.max(luma.height).div_ceil(WORK_EDGE).max(1) as usize;
    let (y, w) = block_means(luma, k);
    let h = y.len() / w.max(1);
    let n = y.len().max(1) as f32;
    let mean_luma = y.iter().map(|&v| v as u64).sum::<u64>() as f32 / n;
    let clipped_share = y.iter().filter(|&&v| v >= 250).count() as f32 / n;

    // |Laplacian| is 0..=1020 in whole numbers: a histogram gives its percentile without
    // sorting a million floats.
    let mut histogram = vec![0u64; 4 * 255 + 1];
    for row in 1..h.saturating_sub(1) {
        let (above, here, below) = (&y[(row - 1) * w..row * w], &y[row * w..(row + 1) * w], &y[(row + 1) * w..(row + 2) * w]);
        for col in 1..w - 1 {
            let around = here[col - 1] as i32 + here[col + 1] as i32 + above[col] as i32 + below[col] as i32;
            histogram[(around - 4 * here[col] as i32).unsigned_abs() as usize] += 1;
        }
    }
    let sharpness = if h < 3 || w < 3 { 0.0 } else { percentile(&histogram, 0.995) as f32 };

    let mut advice = vec![];
    if sharpness < MIN_SHARPNESS {
        advice.push(Advice::Blurry);
    }
    if mean_luma < MIN_BRIGHTNESS {
        advice.push(Advice::TooDark);
    }
    if clipped_share > MAX_CLIPPED {
        advice.push(Advice::Overexposed);
    }
    if source_w.min(source_h) < MIN_SHORT_EDGE {
        advice.push(Advice::TooSmall);
    }
    Coaching { advice, sharpness, mean_luma, clipped_share }
}
