//! The upload's JPEG quality, chosen per photo from a cheap measure of its content.
//!
//! One fixed quality either leaves some photos soft or spends bytes on others that would look as
//! good with fewer. Measured on the benchmark photos (the lowest quality at which each scores
//! SSIMULACRA2 72 against a Lanczos3 resize of its original ranged from 58 to 77), what needs
//! quality is not detail as such: fine texture masks quantisation, so a detailed flower was
//! fine at 58, while smooth gradients (sky, sea, a blurred background) show every step of
//! quantised DC and low AC coefficients, and needed 71-76. Very fine, dense texture (a mountain
//! range full of rock) needed 77: there the loss of the texture itself is what the metric sees.
//!
//! So the measure is the share of 8 x 8 luma blocks (the JPEG's own unit) in each band of
//! activity (the mean absolute difference between neighbouring pixels inside the block), and
//! the quality is a line in two shares: smooth-but-not-flat blocks (activity < 1; perfectly
//! flat ones count up to 30%, since a picture made only of flat areas has nothing to band) and
//! dense-texture blocks (activity >= 8). Set on the nine benchmark photos with a margin (figures
//! in docs/adr/0007-photo-pipeline.md), for the upload's quantisation table (mozjpeg's table 4,
//! tuned for PSNR-HVS): the numbers mean nothing on another table.
//!
//! Why not a search scored by a metric: SSIMULACRA2 of a 1600 px image costs several times the
//! whole pipeline, too much for a budget phone. The measure here is one pass over the luma
//! plane (a few per cent of the pipeline's instructions).

use super::ycc::Plane;

/// The qualities the choice stays within (on mozjpeg's PSNR-HVS table, which the upload uses:
/// its numbers run ~10-17 lower than the default table's for the same score): below the floor
/// even plain photos show blocks; above the ceiling the bytes grow much faster than the score.
pub const MIN_QUALITY: f32 = 40.0;
pub const MAX_QUALITY: f32 = 90.0;

/// The activity bands, by their upper bounds: < 0.5 (flat), 0.5-1, 1-2, 2-4, 4-8, >= 8.
const BANDS: [f32; 5] = [0.5, 1.0, 2.0, 4.0, 8.0];

/// The share of whole 8 x 8 blocks of `luma` in each activity band (see [`BANDS`]).
pub fn activity_shares(luma: &Plane) -> [f32; 6] {
    let (w, h) = (luma.width as usize, luma.height as usize);
    let (bw, bh) = (w / 8, h / 8);
    let mut counts = [0u32; 6];
    // Activity x 112 (the pairs in a block: 7 per row and 7 per column, 8 each) is compared with
    // the bands x 112, in whole numbers.
    let limits = BANDS.map(|b| (b * 112.0) as u32);
    for by in 0..bh {
        let rows: Vec<&[u8]> = (0..8).map(|i| &luma.data[(by * 8 + i) * w..(by * 8 + i) * w + bw * 8]).collect();
        for bx in 0..bw {
            let mut total = 0u32;
            for i in 0..8 {
                let row = &rows[i][bx * 8..bx * 8 + 8];
                total += row.windows(2).map(|p| p[0].abs_diff(p[1]) as u32).sum::<u32>();
                if i + 1 < 8 {
                    total += row.iter().zip(&rows[i + 1][bx * 8..bx * 8 + 8]).map(|(a, b)| a.abs_diff(*b) as u32).sum::<u32>();
                }
            }
            counts[limits.iter().position(|&l| total < l).unwrap_or(5)] += 1;
        }
    }
    let n = (bw * bh).max(1) as f32;
    counts.map(|c| c as f32 / n)
}

/// The upload quality for a photo whose blocks fall in the bands as `shares` says.
pub fn quality_for(shares: [f32; 6]) -> f32 {
    let smooth = shares[1] + shares[0].min(FLAT_COUNTED);
    let dense = shares[5];
    (BASE + PER_SMOOTH * smooth + PER_DENSE * dense).round().clamp(MIN_QUALITY, MAX_QUALITY)
}

/// The calibrated line (see the module doc), for mozjpeg's table 4: the lowest constants that
/// keep every benchmark photo at least one quality point above the lowest it needs.
const BASE: f32 = 33.0;
const PER_SMOOTH: f32 = 76.0;
const PER_DENSE: f32 = 66.0;
const FLAT_COUNTED: f32 = 0.3;

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(w: u32, h: u32, f: impl Fn(u32, u32) -> u8) -> Plane {
        Plane { width: w, height: h, data: (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect() }
    }

    #[test]
    fn blocks_fall_in_their_bands() {
        assert_eq!(activity_shares(&plane(64, 48, |_, _| 128)), [1.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
        // A gradient of one level per pixel one way: 1 per pair that way, 0 the other (0.5).
        let gentle = activity_shares(&plane(64, 64, |x, _| x as u8));
        assert_eq!(gentle[1], 1.0, "{gentle:?}");
        // Columns alternating every 8 px are flat inside every block.
        assert_eq!(activity_shares(&plane(64, 64, |x, _| if (x / 8) % 2 == 0 { 0 } else { 255 }))[0], 1.0);
        // A 2 px checkerboard of 100 levels: dense.
        let dense = activity_shares(&plane(64, 64, |x, y| if ((x / 2) + (y / 2)) % 2 == 0 { 70 } else { 170 }));
        assert_eq!(dense[5], 1.0, "{dense:?}");
        // Partial blocks at the right and bottom are left out.
        assert_eq!(activity_shares(&plane(7, 7, |x, _| x as u8)), [0.0; 6]);
    }

    #[test]
    fn smooth_gradients_and_dense_texture_get_more_than_moderate_detail() {
        let moderate = [0.0, 0.03, 0.31, 0.29, 0.2, 0.17]; // the flower fixture
        let sky = [0.3, 0.16, 0.21, 0.17, 0.12, 0.04]; // the sea photo
        let rocks = [0.03, 0.02, 0.14, 0.12, 0.11, 0.57]; // the mountain photo
        assert!(quality_for(sky) >= quality_for(moderate) + 10.0, "{} {}", quality_for(sky), quality_for(moderate));
        assert!(quality_for(rocks) >= quality_for(moderate) + 10.0);
        // A picture of flat areas only has nothing to band: flat blocks count up to a point.
        assert!(quality_for([1.0, 0.0, 0.0, 0.0, 0.0, 0.0]) < quality_for(sky));
    }

    #[test]
    fn quality_stays_in_range() {
        assert_eq!(quality_for([0.0, 0.0, 1.0, 0.0, 0.0, 0.0]), MIN_QUALITY);
        assert_eq!(quality_for([0.0, 1.0, 0.0, 0.0, 0.0, 0.0]), MAX_QUALITY);
        assert_eq!(quality_for([0.0, 0.0, 0.0, 0.0, 0.0, 1.0]), MAX_QUALITY);
        // Half moderate, half dense: 33 + 66 / 2.
        assert_eq!(quality_for([0.0, 0.0, 0.5, 0.0, 0.0, 0.5]), 66.0);
    }
}
