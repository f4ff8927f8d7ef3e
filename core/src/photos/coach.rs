//! Coaching: cheap checks on the reduced image that let the app say "hold the phone still",
//! "find more light" or "move out of the sun" before the artisan submits a product.
//!
//! Everything runs on a copy at most [`WORK_EDGE`] px long (a few milliseconds), so the
//! measures do not depend on the camera's resolution:
//! - sharpness: the 99.5th percentile of the absolute Laplacian of luma. A plain background
//!   does not make a sharp product look blurry (a mean or variance would), because only the
//!   strongest edges count;
//! - brightness: mean luma, and the share of clipped (near-white) pixels;
//! - size: the camera image's short edge.
//!
//! The thresholds were set on the fixtures and their blurred, darkened and brightened copies
//! (see the tests); depot liaisons may ask to tune them.

use super::resize::{fit_within, resize, RgbImage};

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

fn luma(px: &[u8]) -> f32 {
    0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32
}

/// Assess `img` (the reduced, upright photo) taken from a `source_w` x `source_h` original.
pub fn assess(img: &RgbImage, source_w: u32, source_h: u32) -> Coaching {
    let (w, h) = fit_within(img.width, img.height, WORK_EDGE);
    let small;
    let work = if (w, h) == (img.width, img.height) {
        img
    } else {
        match resize(img, w, h) {
            Ok(s) => {
                small = s;
                &small
            }
            Err(_) => img,
        }
    };
    let (w, h) = (work.width as usize, work.height as usize);
    let y: Vec<f32> = work.data.chunks_exact(3).map(luma).collect();
    let n = y.len().max(1) as f32;
    let mean_luma = y.iter().sum::<f32>() / n;
    let clipped_share = y.iter().filter(|&&v| v >= 250.0).count() as f32 / n;

    let mut lap: Vec<f32> = Vec::with_capacity(w.saturating_sub(2) * h.saturating_sub(2));
    for row in 1..h.saturating_sub(1) {
        for col in 1..w.saturating_sub(1) {
            let i = row * w + col;
            lap.push((y[i - 1] + y[i + 1] + y[i - w] + y[i + w] - 4.0 * y[i]).abs());
        }
    }
    let sharpness = if lap.is_empty() {
        0.0
    } else {
        let k = ((lap.len() - 1) as f32 * 0.995) as usize;
        *lap.select_nth_unstable_by(k, |a, b| a.total_cmp(b)).1
    };

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
