//! The upload's JPEG quality, chosen per photo by predicting what quantisation will do to it.
//!
//! One fixed quality either leaves some photos soft or spends bytes on others that would look as
//! good with fewer. What a photo needs is not detail as such: fine texture masks quantisation
//! noise, while smooth gradients (sky, sea, a blurred background) show every step of a lost low
//! coefficient, and dense texture loses itself. An earlier chooser read a quality off the share
//! of 8 x 8 blocks in bands of activity; fitted on nine photos, it failed on photos it had not
//! seen (docs/adr/0007-photo-pipeline.md).
//!
//! So the chooser now simulates the encoder instead of guessing from the content. A sample of
//! the reduced photo's 8 x 8 blocks (one in [`STEP`] x [`STEP`], luma and chroma) is transformed
//! once with the JPEG's own DCT; for a candidate quality, each block's coefficients are
//! quantised with the very tables mozjpeg will use (asked of it, see `encode::quant_tables`),
//! which is exact for this encoder (no trellis): the squared error of each block is what the
//! JPEG will lose there. Each block's error (the high frequencies' at a weight) is weighed
//! against how much its own content masks it (its AC energy, raised to a power below one, plus
//! a constant, so that smooth blocks, where nothing masks, count most); the blocks are pooled
//! (the mean, for the shipped model) and chroma added at a weight; the quality is the lowest, by
//! bisection in [`MIN_QUALITY`]..=[`MAX_QUALITY`], whose predicted loss stays under a threshold.
//!
//! The model's constants and the threshold were fitted on fifteen photos (the lowest quality at
//! which each scores SSIMULACRA2 72) and checked on fifteen held out from the fit
//! (`fundi-photo-bench fit`; figures in the ADR). Cost: one DCT per sampled block, then one
//! quantisation per block and candidate (six candidates): about 6% of the pipeline's
//! instructions on a 3.4 MP photo. SSIMULACRA2 itself, at 1600 px, would cost several times the
//! whole pipeline.

use super::encode::{quant_tables, EncodeSettings};
use super::ycc::{Plane, Ycc420};

/// The qualities the choice stays within (on mozjpeg's PSNR-HVS table, which the upload uses:
/// its numbers run ~10-17 lower than the default table's for the same score): below the floor
/// even plain photos show blocks; above the ceiling the bytes grow much faster than the score.
pub const MIN_QUALITY: f32 = 40.0;
pub const MAX_QUALITY: f32 = 90.0;

/// One block in `STEP` along each axis is measured (a quarter of them): the loss is a mean
/// over thousands of blocks, which a regular sample estimates well at a quarter of the cost.
pub const STEP: usize = 2;

/// How a block's quantisation error is weighed and pooled into one predicted loss.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossModel {
    /// Added to the masking term, in squared levels: how much error a block with no texture
    /// at all can hide.
    pub mask: f32,
    /// The power the block's AC energy is raised to before it masks (texture masks less than
    /// in proportion).
    pub masking_power: f32,
    /// The pooling norm over blocks: 1 is the mean; higher lets the worst blocks count more.
    pub pooling: f32,
    /// The chroma planes' loss, relative to the luma's.
    pub chroma_weight: f32,
    /// The weight of errors in the higher frequencies (u + v > [`LOW_FREQUENCY`]) against the
    /// lower ones, where smooth areas band.
    pub high_weight: f32,
    /// How much more errors count in darker blocks: the error is divided by
    /// (level / 128) ^ `dark_power`, as the eye (and SSIMULACRA2's XYB) sees more of a step in
    /// the dark.
    pub dark_power: f32,
    /// The loss the chosen quality must stay at or under.
    pub threshold: f32,
}

/// The upload's model, for mozjpeg's table 4 (the numbers mean nothing on another table).
/// Fitted as the module doc says; figures in docs/adr/0007-photo-pipeline.md.
pub const UPLOAD_MODEL: LossModel = LossModel {
    mask: 1.0,
    masking_power: 0.5,
    pooling: 1.0,
    chroma_weight: 0.5,
    high_weight: 0.5,
    dark_power: 0.0,
    threshold: 6.5265,
};

/// Coefficients with u + v at or under this are the low frequencies (see [`LossModel`]).
pub const LOW_FREQUENCY: usize = 2;

/// 1.5 x 2^23: a float of this size has no fraction bits, so adding and taking it away rounds to
/// a whole number (see `block_error`); exact for |x| < 2^22, and nothing rounded here comes
/// near (quantised coefficients are under 2^11, fixed-point ones under 2^15).
const ROUNDER: f32 = 12_582_912.0;

/// The coefficients' fixed-point scale (see [`Block`]).
const FIXED: f32 = 16.0;

/// 1 for the low frequencies (in natural order, `v * 8 + u`), 0 for the others.
const LOW_FREQUENCIES: [f32; 64] = {
    let mut mask = [0.0; 64];
    let mut k = 0;
    while k < 64 {
        if k / 8 + k % 8 <= LOW_FREQUENCY {
            mask[k] = 1.0;
        }
        k += 1;
    }
    mask
};

/// One sampled block: its DCT coefficients (orthonormal, as JPEG's, level-shifted, kept in
/// 1/[`FIXED`] steps as `i16`: half the memory of floats, and a sixteenth of a level is far below
/// any quantisation step), the energy of its AC coefficients (its texture) and its mean level
/// (0-255).
#[derive(Clone)]
struct Block {
    coefficients: [i16; 64],
    masking: f32,
    level: f32,
}

/// The sampled blocks of a reduced photo, transformed once, ready to be quantised at any quality.
pub struct QualityProbe {
    luma: Vec<Block>,
    chroma: Vec<Block>,
}

/// Each sampled block's squared quantisation error at one pair of tables, in its low and its
/// high frequencies.
pub struct BlockErrors {
    pub luma: Vec<[f32; 2]>,
    pub chroma: Vec<[f32; 2]>,
}

impl QualityProbe {
    /// Transform the sampled blocks of `img` (whole blocks only).
    pub fn new(img: &Ycc420) -> QualityProbe {
        let basis = dct_basis();
        let mut chroma = sampled_blocks(&img.cb, &basis);
        chroma.extend(sampled_blocks(&img.cr, &basis));
        QualityProbe { luma: sampled_blocks(&img.y, &basis), chroma }
    }

    /// Each block's squared error once quantised with `tables` (luma's, chroma's), as the
    /// encoder rounds.
    pub fn errors(&self, tables: &[[u16; 64]; 2]) -> BlockErrors {
        let error = |blocks: &[Block], table: &[u16; 64]| -> Vec<[f32; 2]> {
            let steps = table.map(|q| q.max(1) as f32);
            let inverse = steps.map(|q| 1.0 / q);
            blocks.iter().map(|b| block_error(&b.coefficients, &inverse, &steps)).collect::<Vec<_>>()
        };
        BlockErrors { luma: error(&self.luma, &tables[0]), chroma: error(&self.chroma, &tables[1]) }
    }

    /// The loss `model` predicts from these errors (blocks in the same order as `errors`).
    pub fn loss(&self, errors: &BlockErrors, model: &LossModel) -> f32 {
        let pooled = |blocks: &[Block], errors: &[[f32; 2]]| -> f32 {
            if blocks.is_empty() {
                return 0.0;
            }
            let sum: f32 = blocks
                .iter()
                .zip(errors)
                .map(|(b, e)| {
                    let mut error = e[0] + model.high_weight * e[1];
                    if model.dark_power != 0.0 {
                        error /= (b.level.max(16.0) / 128.0).powf(model.dark_power);
                    }
                    let relative = error / (b.masking.powf(model.masking_power) + model.mask);
                    if model.pooling == 1.0 {
                        relative
                    } else {
                        relative.powf(model.pooling)
                    }
                })
                .sum();
            (sum / blocks.len() as f32).powf(1.0 / model.pooling)
        };
        pooled(&self.luma, &errors.luma) + model.chroma_weight * pooled(&self.chroma, &errors.chroma)
    }

    /// Each block's squared error once encoded with `settings` (its quality and table).
    pub fn errors_at(&self, settings: EncodeSettings) -> BlockErrors {
        self.errors(&quant_tables(settings))
    }

    /// The predicted loss of encoding with `settings`.
    pub fn loss_at(&self, settings: EncodeSettings, model: &LossModel) -> f32 {
        self.loss(&self.errors_at(settings), model)
    }
}

/// The lowest whole quality in [`MIN_QUALITY`]..=[`MAX_QUALITY`] whose predicted loss is at or
/// under the model's threshold (the ceiling when none is), for `settings`' table and
/// chroma offset. The loss falls as the quality rises, so a bisection needs about six
/// candidates.
pub fn choose_quality(probe: &QualityProbe, settings: EncodeSettings, model: &LossModel) -> f32 {
    let offset = settings.chroma_quality.map(|c| c - settings.quality);
    let at = |q: f32| EncodeSettings { quality: q, chroma_quality: offset.map(|o| q + o), ..settings };
    let (mut lo, mut hi) = (MIN_QUALITY as u32, MAX_QUALITY as u32);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if probe.loss_at(at(mid as f32), model) <= model.threshold {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo as f32
}

/// One block's squared error once each coefficient is rounded to the nearest multiple of its
/// step, as the encoder quantises, split into the low frequencies' and the rest. Straight-line
/// arithmetic over whole arrays, summed lane by lane, so the compiler vectorises all of it (a
/// single running float sum it may not reorder).
fn block_error(fixed: &[i16; 64], inverse: &[f32; 64], steps: &[f32; 64]) -> [f32; 2] {
    let coefficients = fixed.map(|c| c as f32 * (1.0 / FIXED));
    let mut squared = [0.0f32; 64];
    for k in 0..64 {
        // To the nearest whole number (ties to even, which a float coefficient almost never
        // is): adding and taking away 1.5 x 2^23 leaves no fraction bits.
        let rounded = (coefficients[k] * inverse[k] + ROUNDER) - ROUNDER;
        let d = coefficients[k] - rounded * steps[k];
        squared[k] = d * d;
    }
    let (mut low, mut all) = ([0.0f32; 8], [0.0f32; 8]);
    for row in squared.chunks_exact(8).zip(LOW_FREQUENCIES.chunks_exact(8)) {
        for lane in 0..8 {
            all[lane] += row.0[lane];
            low[lane] += row.0[lane] * row.1[lane];
        }
    }
    let (low, all): (f32, f32) = (low.iter().sum(), all.iter().sum());
    [low, all - low]
}

/// The 8-point orthonormal DCT-II basis: `basis[u][x]`.
fn dct_basis() -> [[f32; 8]; 8] {
    let mut basis = [[0.0; 8]; 8];
    for (u, row) in basis.iter_mut().enumerate() {
        let scale = if u == 0 { (1.0f64 / 8.0).sqrt() } else { (2.0f64 / 8.0).sqrt() };
        for (x, v) in row.iter_mut().enumerate() {
            *v = (scale * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos()) as f32;
        }
    }
    basis
}

/// The transformed blocks at every `STEP`th block row and column of `plane`.
fn sampled_blocks(plane: &Plane, basis: &[[f32; 8]; 8]) -> Vec<Block> {
    let (w, h) = (plane.width as usize, plane.height as usize);
    let mut blocks = Vec::with_capacity((w / 8).div_ceil(STEP) * (h / 8).div_ceil(STEP));
    for by in (0..h / 8).step_by(STEP) {
        for bx in (0..w / 8).step_by(STEP) {
            let mut pixels = [[0.0f32; 8]; 8];
            for (y, row) in pixels.iter_mut().enumerate() {
                let start = (by * 8 + y) * w + bx * 8;
                for (v, &p) in row.iter_mut().zip(&plane.data[start..start + 8]) {
                    *v = p as f32 - 128.0;
                }
            }
            blocks.push(transformed(&pixels, basis));
        }
    }
    blocks
}

/// The 2-D DCT of one block (rows, then columns), and its AC energy. Each output row is built
/// by adding whole rows of the basis (`u` the lane), which vectorises; a dot product per
/// coefficient would be a float sum the compiler may not reorder.
fn transformed(pixels: &[[f32; 8]; 8], basis: &[[f32; 8]; 8]) -> Block {
    let mut by_column = [[0.0f32; 8]; 8];
    for u in 0..8 {
        for x in 0..8 {
            by_column[x][u] = basis[u][x];
        }
    }
    let mut rows = [[0.0f32; 8]; 8];
    for (out, px) in rows.iter_mut().zip(pixels) {
        for (&p, b) in px.iter().zip(&by_column) {
            for (o, &b) in out.iter_mut().zip(b) {
                *o += b * p;
            }
        }
    }
    let mut coefficients = [0.0f32; 64];
    for (out, b) in coefficients.chunks_exact_mut(8).zip(basis) {
        for (&weight, row) in b.iter().zip(&rows) {
            for (o, &r) in out.iter_mut().zip(row) {
                *o += weight * r;
            }
        }
    }
    let masking = coefficients[1..].iter().map(|c| c * c).sum();
    // |coefficient| <= 8 x 128 = 1024, so 1024 x 16 fits an i16.
    let fixed = coefficients.map(|c| ((c * FIXED + ROUNDER) - ROUNDER) as i16);
    Block { coefficients: fixed, masking, level: coefficients[0] / 8.0 + 128.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Plane {
        Plane { width: w, height: h, data: (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect() }
    }

    fn photo(w: u32, h: u32, f: impl Fn(u32, u32) -> u8 + Copy) -> Ycc420 {
        Ycc420 { y: plane(w, h, f), cb: plane(w / 2, h / 2, |_, _| 128), cr: plane(w / 2, h / 2, |_, _| 128) }
    }

    #[test]
    fn the_transform_keeps_the_energy_and_puts_a_flat_block_in_dc() {
        let basis = dct_basis();
        let flat = transformed(&[[10.0; 8]; 8], &basis);
        assert_eq!(flat.coefficients[0], 80 * FIXED as i16);
        assert!(flat.masking < 1e-6);
        let mut pixels = [[0.0f32; 8]; 8];
        for (y, row) in pixels.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                *v = ((x * 7 + y * 13) % 17) as f32 - 8.0;
            }
        }
        let energy: f32 = pixels.iter().flatten().map(|p| p * p).sum();
        let block = transformed(&pixels, &basis);
        let total: f32 = block.coefficients.iter().map(|&c| (c as f32 / FIXED).powi(2)).sum();
        assert!((energy - total).abs() < 1e-2 * energy, "{energy} {total}");
    }

    #[test]
    fn one_block_in_step_squared_is_sampled() {
        let probe = QualityProbe::new(&photo(64, 48, |_, _| 128));
        assert_eq!(probe.luma.len(), 4 * 3);
        // The 32 x 24 chroma planes: 2 x 2 of their 4 x 3 blocks, each plane.
        assert_eq!(probe.chroma.len(), 2 * 2 * 2);
        assert!(QualityProbe::new(&photo(7, 7, |_, _| 0)).luma.is_empty());
    }

    #[test]
    fn the_error_is_what_quantising_loses() {
        let probe = QualityProbe::new(&photo(16, 16, |x, _| 100 + x as u8 * 3));
        let fine = probe.errors(&[[1; 64]; 2]);
        let coarse = probe.errors(&[[200; 64]; 2]);
        let total = |e: [f32; 2]| e[0] + e[1];
        assert!(total(fine.luma[0]) < 64.0 * 0.25 + 1e-3, "{:?}", fine.luma[0]);
        // A step of 200 rounds every coefficient of this gentle ramp but the DC to zero.
        let ac = probe.luma[0].masking;
        assert!(total(coarse.luma[0]) >= ac, "{:?} {ac}", coarse.luma[0]);
        // A horizontal ramp's energy is in its first horizontal frequencies: the low ones.
        assert!(coarse.luma[0][0] > 10.0 * coarse.luma[0][1], "{:?}", coarse.luma[0]);
    }

    #[test]
    fn dense_strong_texture_needs_more_quality_than_a_gentle_ramp() {
        let model = UPLOAD_MODEL;
        let settings = EncodeSettings { table: 4, ..EncodeSettings::new(75.0, false) };
        let chosen = |f: fn(u32, u32) -> u8| choose_quality(&QualityProbe::new(&photo(256, 256, f)), settings, &model);
        let flat = chosen(|_, _| 120);
        // A slow ramp, whose few low coefficients the table keeps well at any quality.
        let sky = chosen(|x, y| (60 + (x + y) / 5) as u8);
        // Strong, fine texture everywhere: quantisation erases the texture itself, which is what
        // SSIMULACRA2 sees (the benchmark's mountain range, `picos`, needs the most of all).
        let texture = chosen(|x, y| (128 + ((x * 37 + y * 91) % 23) as i32 * 4 - 44) as u8);
        assert!(texture >= sky + 20.0, "sky {sky}, texture {texture}");
        for q in [flat, sky, texture] {
            assert!((MIN_QUALITY..=MAX_QUALITY).contains(&q));
        }
    }

    #[test]
    fn the_loss_falls_as_the_quality_rises() {
        let probe = QualityProbe::new(&photo(128, 128, |x, y| ((x * x + y * 3) % 251) as u8));
        let loss = |q: f32| probe.loss_at(EncodeSettings { table: 4, ..EncodeSettings::new(q, false) }, &UPLOAD_MODEL);
        let losses: Vec<f32> = [40.0, 55.0, 70.0, 85.0].into_iter().map(loss).collect();
        assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    }
}
