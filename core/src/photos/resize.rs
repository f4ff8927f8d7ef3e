//! Resizing with a proper filter (Lanczos3 from `fast_image_resize`, with its kernel widened
//! when shrinking, so fine textures do not alias the way a plain thumbnail does).
//!
//! [`resize_rows`] produces the output in strips of [`OUT_STRIP`] rows: it keeps a sliding window
//! of the decoded rows one strip needs (its rows and the filter's reach above and below), and
//! lets `fast_image_resize` do both passes with a crop box placing the strip exactly where it
//! lies in the whole image. The decoded image is never held whole, so peak memory is the output
//! plus a window of rows, whatever the camera's megapixels.

use super::error::PhotoError;
use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{Filter, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use std::sync::OnceLock;

/// Output rows made at a time. Each strip costs one computation of the filter coefficients, so
/// strips are tall; the window for 128 rows of 1600 px from a 2256 px wide decode is ~1.4 MB.
pub const OUT_STRIP: usize = 128;

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

/// Samples of Lanczos3 per unit of distance in [`LANCZOS3_TABLE`]: linear interpolation between
/// them is off by less than 1e-5, far below what an 8-bit result can show.
const LANCZOS3_STEPS: usize = 1024;

/// Lanczos3 from a table. `fast_image_resize` evaluates the filter for every tap of every
/// output pixel each time it computes coefficients (once per strip); with two libm `sin`
/// calls per evaluation that was 4% of the whole pipeline's instructions.
fn lanczos3(x: f64) -> f64 {
    static LANCZOS3_TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let table = LANCZOS3_TABLE
        .get_or_init(|| (0..=3 * LANCZOS3_STEPS + 1).map(|i| lanczos3_exact(i as f64 / LANCZOS3_STEPS as f64)).collect());
    let t = x.abs() * LANCZOS3_STEPS as f64;
    if t >= (3 * LANCZOS3_STEPS) as f64 {
        return 0.0;
    }
    let i = t as usize;
    let frac = t - i as f64;
    table[i] + (table[i + 1] - table[i]) * frac
}

/// sinc(x) sinc(x / 3) on [-3, 3], zero outside.
fn lanczos3_exact(x: f64) -> f64 {
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

fn options() -> ResizeOptions {
    let filter = Filter::new("Lanczos3 (table)", lanczos3, 3.0).map_or(FilterType::Lanczos3, FilterType::Custom);
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter))
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

/// Resize `src` (`pixel` describes its layout) to exactly `(w, h)`.
fn resize_pixels(src: &[u8], sw: u32, sh: u32, w: u32, h: u32, pixel: PixelType) -> Result<Vec<u8>, PhotoError> {
    let bytes_per_pixel = src.len() / (sw as usize * sh as usize).max(1);
    if (w, h) == (sw, sh) {
        return Ok(src.to_vec());
    }
    let src_view = ImageRef::new(sw, sh, src, pixel).map_err(internal)?;
    let mut dst = Image::from_vec_u8(w, h, alloc(w as usize * h as usize * bytes_per_pixel)?, pixel).map_err(internal)?;
    Resizer::new().resize(&src_view, &mut dst, &options()).map_err(internal)?;
    Ok(dst.into_vec())
}

/// Resize a whole RGB image to exactly `(w, h)` (tests' references).
#[cfg(test)]
pub fn resize(src: &RgbImage, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    Ok(RgbImage { width: w, height: h, data: resize_pixels(&src.data, src.width, src.height, w, h, PixelType::U8x3)? })
}

/// Resize one 8-bit channel of `sw` x `sh` samples to exactly `(w, h)` (the planes of
/// `ycc::Ycc420` go through here).
pub(super) fn resize_channel(src: &[u8], sw: u32, sh: u32, w: u32, h: u32) -> Result<Vec<u8>, PhotoError> {
    resize_pixels(src, sw, sh, w, h, PixelType::U8)
}

/// Read every row of `src`, resized to exactly `(w, h)`, into one RGB image (tests, and the
/// benchmark's full-size reference).
pub fn read_resized(src: &mut dyn RowSource, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    let mut data = Vec::new();
    data.try_reserve_exact(w as usize * h as usize * 3).map_err(|_| PhotoError::Internal("out of memory".into()))?;
    resize_rows(src, w, h, &mut |rows| {
        data.extend_from_slice(rows);
        Ok(())
    })?;
    Ok(RgbImage { width: w, height: h, data })
}

/// Read every row of `src` and resize to exactly `(w, h)`, streaming (see the module doc): the
/// output goes to `sink` top to bottom, at most [`OUT_STRIP`] rows at a time.
pub fn resize_rows(
    src: &mut dyn RowSource,
    w: u32,
    h: u32,
    sink: &mut dyn FnMut(&[u8]) -> Result<(), PhotoError>,
) -> Result<(), PhotoError> {
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let row = sw * 3;
    let out_row = w as usize * 3;
    let mut out = alloc(out_row * OUT_STRIP.min(h as usize))?;
    if (w as usize, h as usize) == (sw, sh) {
        for strip_start in (0..sh).step_by(OUT_STRIP) {
            let strip = &mut out[..out_row * OUT_STRIP.min(sh - strip_start)];
            src.read_rows(strip)?;
            sink(strip)?;
        }
        return Ok(());
    }
    let ratio = sh as f64 / h as f64;
    // How far the (widened) kernel reaches from an output row's centre, in source rows.
    let reach = 3.0 * ratio.max(1.0) + 1.0;
    // Decoded rows `first_kept..rows_read` are in `window`.
    let mut window: Vec<u8> = Vec::new();
    let (mut first_kept, mut rows_read) = (0usize, 0usize);
    let mut resizer = Resizer::new();
    for strip_start in (0..h as usize).step_by(OUT_STRIP) {
        let strip_end = (strip_start + OUT_STRIP).min(h as usize);
        let needed_from = ((strip_start as f64 * ratio - reach).floor().max(0.0) as usize).min(sh);
        let needed_to = ((strip_end as f64 * ratio + reach).ceil() as usize).min(sh);
        if needed_from > first_kept {
            window.drain(..(needed_from - first_kept) * row);
            first_kept = needed_from;
        }
        if needed_to > rows_read {
            let at = window.len();
            window.try_reserve((needed_to - rows_read) * row).map_err(|_| PhotoError::Internal("out of memory".into()))?;
            window.resize(at + (needed_to - rows_read) * row, 0);
            src.read_rows(&mut window[at..])?;
            rows_read = needed_to;
        }
        let view_rows = rows_read - first_kept;
        let from = ImageRef::new(sw as u32, view_rows as u32, &window, PixelType::U8x3).map_err(internal)?;
        let strip = &mut out[..(strip_end - strip_start) * out_row];
        let mut to = Image::from_slice_u8(w, (strip_end - strip_start) as u32, strip, PixelType::U8x3).map_err(internal)?;
        // The strip's place in the window, in source rows (fractional, as in the whole resize).
        let top = strip_start as f64 * ratio - first_kept as f64;
        let height = ((strip_end - strip_start) as f64 * ratio).min(view_rows as f64 - top);
        resizer.resize(&from, &mut to, &options().crop(0.0, top, sw as f64, height)).map_err(internal)?;
        sink(strip)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lanczos3_table_follows_the_function() {
        let worst = (0..30_000)
            .map(|i| i as f64 / 10_000.0 - 0.0001)
            .map(|x| (lanczos3(x) - lanczos3_exact(x)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-5, "table off by {worst}");
        assert_eq!(lanczos3(3.0), 0.0);
        assert_eq!(lanczos3(-7.5), 0.0);
        assert!((lanczos3(-1.3) - lanczos3(1.3)).abs() < 1e-12);
    }

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
        let streamed = read_resized(&mut Gradient { w, h, y: 0 }, 120, 81).unwrap();
        let max_diff = reference.data.iter().zip(&streamed.data).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
        assert!(max_diff <= 1, "strip-wise resize differs from a whole resize by {max_diff}");
        // Taller than a strip, shrinking by odd ratios, and a height that does not change.
        for (sw, sh, dw, dh) in
            [(640, 1000, 333, 517), (500, 300, 200, 300), (97, 4000, 50, 1600), (300, 200, 300, 90), (2256, 1504, 1600, 1067)]
        {
            let mut whole = Gradient { w: sw, h: sh, y: 0 };
            let mut data = vec![0; (sw * sh * 3) as usize];
            whole.read_rows(&mut data).unwrap();
            let reference = resize(&RgbImage { width: sw, height: sh, data }, dw, dh).unwrap();
            let streamed = read_resized(&mut Gradient { w: sw, h: sh, y: 0 }, dw, dh).unwrap();
            assert_eq!((streamed.width, streamed.height), (dw, dh));
            let max_diff = reference.data.iter().zip(&streamed.data).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert!(max_diff <= 1, "{sw}x{sh} -> {dw}x{dh}: streamed resize differs by {max_diff}");
        }
    }
}
