//! Resizing with a proper filter (Lanczos3 from `fast_image_resize`, with its kernel widened
//! when shrinking, so fine textures do not alias the way a plain thumbnail does).
//!
//! [`resize_rows`] consumes decoded rows in strips of [`STRIP`]: each strip is narrowed
//! horizontally as soon as it is decoded, and the vertical pass runs on a sliding window of the
//! narrowed rows. Neither the decoded image nor a narrowed copy of it is ever held whole, so
//! peak memory is the output plus a few strips, whatever the camera's megapixels.

use super::error::PhotoError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

/// Rows decoded and narrowed at a time. Each strip costs one computation of the filter
/// coefficients (~0.5 ms for 3000 -> 1600 px), so strips are tall: 128 rows of a 3000 px wide
/// decode are 1.1 MB.
pub const STRIP: usize = 128;

/// 8-bit RGB pixels, row after row, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

/// Something that yields 8-bit RGB rows top to bottom (a JPEG or PNG decoder).
pub trait RowSource {
    fn width(&self) -> u32;
    fn height(&self) -> u32;
    /// Fill `buf` (a whole number of rows) with the next rows.
    fn read_rows(&mut self, buf: &mut [u8]) -> Result<(), PhotoError>;
}

/// The size that fits `(w, h)` within `max_edge` on its long edge, keeping the aspect ratio.
/// Never enlarges; never returns a zero side.
pub fn fit_within(w: u32, h: u32, max_edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= max_edge {
        return (w, h);
    }
    let scale = max_edge as f64 / long as f64;
    let side = |v: u32| ((v as f64 * scale).round() as u32).clamp(1, max_edge);
    if w >= h {
        (max_edge, side(h))
    } else {
        (side(w), max_edge)
    }
}

fn options() -> ResizeOptions {
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
}

fn internal(e: impl std::fmt::Display) -> PhotoError {
    PhotoError::Internal(format!("resize: {e}"))
}

fn alloc(len: usize) -> Result<Vec<u8>, PhotoError> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| PhotoError::Internal("out of memory".into()))?;
    v.resize(len, 0);
    Ok(v)
}

/// Resize a whole image to exactly `(w, h)`.
pub fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    if (w, h) == (src.width, src.height) {
        return Ok(src.clone());
    }
    let src_view = ImageRef::new(src.width, src.height, &src.data, PixelType::U8x3).map_err(internal)?;
    let mut dst = Image::from_vec_u8(w, h, alloc(w as usize * h as usize * 3)?, PixelType::U8x3).map_err(internal)?;
    Resizer::new().resize(&src_view, &mut dst, &options()).map_err(internal)?;
    Ok(RgbImage { width: w, height: h, data: dst.into_vec() })
}

/// Lanczos3 weights for each output row of a `src` -> `dst` resize: the first source row and the
/// normalised weights of the rows from there. When shrinking, the kernel is widened by the
/// ratio (as `fast_image_resize` does), so every source row contributes and nothing aliases.
fn lanczos3_taps(src: u32, dst: u32) -> Vec<(usize, Vec<f32>)> {
    fn lanczos3(x: f64) -> f64 {
        let x = x.abs();
        if x < 1e-9 {
            1.0
        } else if x < 3.0 {
            let px = std::f64::consts::PI * x;
            3.0 * px.sin() * (px / 3.0).sin() / (px * px)
        } else {
            0.0
        }
    }
    let ratio = src as f64 / dst as f64;
    let scale = ratio.max(1.0);
    let support = 3.0 * scale;
    (0..dst)
        .map(|j| {
            let center = (j as f64 + 0.5) * ratio;
            let first = ((center - support).floor().max(0.0)) as usize;
            let last = ((center + support).ceil() as usize).min(src as usize);
            let mut w: Vec<f64> = (first..last).map(|i| lanczos3((i as f64 + 0.5 - center) / scale)).collect();
            let sum: f64 = w.iter().sum();
            if sum.abs() > 1e-12 {
                w.iter_mut().for_each(|v| *v /= sum);
            }
            (first, w.into_iter().map(|v| v as f32).collect())
        })
        .collect()
}

/// Read every row of `src` and resize to exactly `(w, h)`, streaming (see the module doc):
/// strips are narrowed with `fast_image_resize` as they are decoded; the vertical Lanczos3 pass
/// runs on a sliding window of narrowed rows, emitting each output row as soon as the rows it
/// needs have arrived. Memory: one strip, the window and the output.
pub fn resize_rows(src: &mut dyn RowSource, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    let (sw, sh) = (src.width(), src.height());
    let row = sw as usize * 3;
    let out_row = w as usize * 3;
    let taps = lanczos3_taps(sh, h);
    let mut out = alloc(out_row * h as usize)?;
    let mut strip = alloc(row * STRIP)?;
    let mut narrowed = alloc(out_row * STRIP)?;
    // Narrowed rows `base..base + window.len() / out_row`.
    let mut window: Vec<u8> = Vec::new();
    let mut base = 0usize;
    let mut acc = vec![0f32; out_row];
    let mut next_out = 0usize;
    let mut resizer = Resizer::new();
    let opts = options();
    let mut y = 0usize;
    while y < sh as usize {
        let n = STRIP.min(sh as usize - y);
        let buf = &mut strip[..row * n];
        src.read_rows(buf)?;
        let narrow = &mut narrowed[..out_row * n];
        if w == sw {
            narrow.copy_from_slice(buf);
        } else {
            let from = ImageRef::new(sw, n as u32, buf, PixelType::U8x3).map_err(internal)?;
            let mut to = Image::from_slice_u8(w, n as u32, narrow, PixelType::U8x3).map_err(internal)?;
            resizer.resize(&from, &mut to, &opts).map_err(internal)?;
        }
        y += n;
        if h == sh {
            out[(y - n) * out_row..y * out_row].copy_from_slice(narrow);
            continue;
        }
        window.extend_from_slice(narrow);
        // Emit every output row whose source rows have all arrived.
        while next_out < h as usize {
            let (first, weights) = &taps[next_out];
            if first + weights.len() > y {
                break;
            }
            // Start at 0.5 so the final truncation rounds (`f32::round` is a libm call per
            // sample and was a tenth of the whole pipeline).
            acc.iter_mut().for_each(|v| *v = 0.5);
            for (k, &wt) in weights.iter().enumerate() {
                let r = first + k - base;
                let src_row = &window[r * out_row..(r + 1) * out_row];
                for (a, &v) in acc.iter_mut().zip(src_row) {
                    *a += wt * v as f32;
                }
            }
            let dst = &mut out[next_out * out_row..(next_out + 1) * out_row];
            for (d, &a) in dst.iter_mut().zip(&acc) {
                *d = a.clamp(0.0, 255.0) as u8;
            }
            next_out += 1;
        }
        // Forget rows no later output row needs.
        let keep_from = taps.get(next_out).map_or(y, |t| t.0).max(base);
        window.drain(..(keep_from - base) * out_row);
        base = keep_from;
    }
    if h != sh && next_out != h as usize {
        return Err(PhotoError::Internal(format!("resize emitted {next_out} of {h} rows")));
    }
    Ok(RgbImage { width: w, height: h, data: out })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_within_keeps_aspect_and_never_enlarges() {
        assert_eq!(fit_within(4000, 3000, 1600), (1600, 1200));
        assert_eq!(fit_within(3000, 4000, 1600), (1200, 1600));
        assert_eq!(fit_within(800, 600, 1600), (800, 600));
        assert_eq!(fit_within(100_000, 1, 320), (320, 1));
    }

    struct Gradient {
        w: u32,
        h: u32,
        y: u32,
    }

    impl RowSource for Gradient {
        fn width(&self) -> u32 {
            self.w
        }
        fn height(&self) -> u32 {
            self.h
        }
        fn read_rows(&mut self, buf: &mut [u8]) -> Result<(), PhotoError> {
            for row in buf.chunks_exact_mut(self.w as usize * 3) {
                for (x, px) in row.chunks_exact_mut(3).enumerate() {
                    px.copy_from_slice(&[(x * 255 / self.w as usize) as u8, (self.y * 255 / self.h) as u8, 128]);
                }
                self.y += 1;
            }
            Ok(())
        }
    }

    #[test]
    fn strip_resize_matches_whole_image_resize() {
        let (w, h) = (301, 203);
        let mut whole = Gradient { w, h, y: 0 };
        let mut data = vec![0; (w * h * 3) as usize];
        whole.read_rows(&mut data).unwrap();
        let reference = resize(&RgbImage { width: w, height: h, data }, 120, 81).unwrap();
        let streamed = resize_rows(&mut Gradient { w, h, y: 0 }, 120, 81).unwrap();
        let max_diff = reference.data.iter().zip(&streamed.data).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(max_diff <= 2, "strip-wise resize differs from a whole resize by {max_diff}");
        // Taller than a strip, shrinking by odd ratios, and a height that does not change.
        for (sw, sh, dw, dh) in [(640, 1000, 333, 517), (500, 300, 200, 300), (97, 4000, 50, 1600), (300, 200, 300, 90)]
        {
            let mut whole = Gradient { w: sw, h: sh, y: 0 };
            let mut data = vec![0; (sw * sh * 3) as usize];
            whole.read_rows(&mut data).unwrap();
            let reference = resize(&RgbImage { width: sw, height: sh, data }, dw, dh).unwrap();
            let streamed = resize_rows(&mut Gradient { w: sw, h: sh, y: 0 }, dw, dh).unwrap();
            assert_eq!((streamed.width, streamed.height), (dw, dh));
            let max_diff = reference.data.iter().zip(&streamed.data).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(max_diff <= 3, "{sw}x{sh} -> {dw}x{dh}: streamed resize differs by {max_diff}");
        }
    }
}
