//! Resizing with a proper filter (Lanczos3 from `fast_image_resize`, with its kernel widened
//! when shrinking, so fine textures do not alias the way a plain thumbnail does).
//!
//! [`resize_rows`] consumes decoded rows in strips of [`STRIP`]: each strip is narrowed
//! horizontally as soon as it is decoded, and only the narrowed rows are kept for the vertical
//! pass. The decoded image is never held whole, so peak memory is the narrowed buffer
//! (target width x decoded height), not the decoded one.

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

/// Read every row of `src` and resize to exactly `(w, h)`, strip by strip (see the module doc).
pub fn resize_rows(src: &mut dyn RowSource, w: u32, h: u32) -> Result<RgbImage, PhotoError> {
    let (sw, sh) = (src.width(), src.height());
    let row = sw as usize * 3;
    let narrow_row = w as usize * 3;
    let mut narrowed = alloc(narrow_row * sh as usize)?;
    let mut strip = alloc(row * STRIP)?;
    let mut resizer = Resizer::new();
    let opts = options();
    let mut y = 0usize;
    while y < sh as usize {
        let n = STRIP.min(sh as usize - y);
        let buf = &mut strip[..row * n];
        src.read_rows(buf)?;
        let out = &mut narrowed[y * narrow_row..(y + n) * narrow_row];
        if w == sw {
            out.copy_from_slice(buf);
        } else {
            let from = ImageRef::new(sw, n as u32, buf, PixelType::U8x3).map_err(internal)?;
            let mut to = Image::from_slice_u8(w, n as u32, out, PixelType::U8x3).map_err(internal)?;
            resizer.resize(&from, &mut to, &opts).map_err(internal)?;
        }
        y += n;
    }
    drop(strip);
    let narrowed = RgbImage { width: w, height: sh, data: narrowed };
    if h == sh {
        return Ok(narrowed);
    }
    resize(&narrowed, w, h)
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
    }
}
