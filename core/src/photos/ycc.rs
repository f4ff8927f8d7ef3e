//! The reduced photo as the encoder takes it: YCbCr 4:2:0 (JFIF's full-range BT.601), luma at
//! full size and each chroma plane at half size in both directions.
//!
//! Built row by row from the resizer's RGB strips ([`Ycc420Builder`]), it holds 1.5 bytes per
//! pixel instead of RGB's 3 (2.6 MB instead of 5.1 MB for 1600 x 1067), and feeds mozjpeg raw,
//! so libjpeg neither converts nor downsamples. Coaching reads its luma plane; the thumbnail is
//! resized from its planes. It stays in the camera's stored orientation: the encoder applies the
//! EXIF orientation as it reads the rows.

use super::error::PhotoError;
use super::resize::{resize_channel, RgbImage};

/// One 8-bit channel, row after row, no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plane {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl Plane {
    /// This channel resized to exactly `(w, h)`.
    pub fn resized(&self, w: u32, h: u32) -> Result<Plane, PhotoError> {
        Ok(Plane { width: w, height: h, data: resize_channel(&self.data, self.width, self.height, w, h)? })
    }

    fn new(width: u32, height: u32) -> Result<Plane, PhotoError> {
        let len = width as usize * height as usize;
        let mut data = Vec::new();
        data.try_reserve_exact(len).map_err(|_| PhotoError::Internal("out of memory".into()))?;
        data.resize(len, 0);
        Ok(Plane { width, height, data })
    }

    pub fn row(&self, y: u32) -> &[u8] {
        let w = self.width as usize;
        &self.data[y as usize * w..(y as usize + 1) * w]
    }
}

/// A YCbCr 4:2:0 image: `y` is `width` x `height`, `cb` and `cr` are half that, rounded up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ycc420 {
    pub y: Plane,
    pub cb: Plane,
    pub cr: Plane,
}

/// BT.601 weights in 16-bit fixed point, as libjpeg's own converter uses them.
const Y_R: i32 = 19595;
const Y_G: i32 = 38470;
const Y_B: i32 = 7471;
const CB_R: i32 = -11059;
const CB_G: i32 = -21709;
const CR_G: i32 = -27439;
const CR_B: i32 = -5329;
const HALF: i32 = 32768;

impl Ycc420 {
    pub fn width(&self) -> u32 {
        self.y.width
    }

    pub fn height(&self) -> u32 {
        self.y.height
    }

    /// Convert a whole RGB image (tests, and encoding RGB pixels for fixtures).
    pub fn from_rgb(img: &RgbImage) -> Result<Ycc420, PhotoError> {
        let mut b = Ycc420Builder::new(img.width, img.height)?;
        b.push_rows(&img.data)?;
        b.finish()
    }

    /// Resize every plane to fit a `(w, h)` image (the thumbnail).
    pub fn resized(&self, w: u32, h: u32) -> Result<Ycc420, PhotoError> {
        Ok(Ycc420 {
            y: self.y.resized(w, h)?,
            cb: self.cb.resized(w.div_ceil(2), h.div_ceil(2))?,
            cr: self.cr.resized(w.div_ceil(2), h.div_ceil(2))?,
        })
    }
}

/// Cb and Cr of a 2 x 2 block from the sums of its R, G and B. The offsets of 128 are added
/// first so the sums stay positive; the shift divides by 65536 and by the block's 4 pixels.
fn chroma(r: i32, g: i32, b: i32) -> (u8, u8) {
    let to_byte = |v: i32| ((v + 4 * HALF) >> 18).clamp(0, 255) as u8;
    (to_byte(128 * 4 * 65536 + CB_R * r + CB_G * g + HALF * b), to_byte(128 * 4 * 65536 + HALF * r + CR_G * g + CR_B * b))
}

/// Fills a [`Ycc420`] from RGB rows pushed top to bottom, in any number at a time.
pub struct Ycc420Builder {
    img: Ycc420,
    rows_done: u32,
    /// An even row waiting for the odd row that shares its chroma.
    pending: Vec<u8>,
}

impl Ycc420Builder {
    pub fn new(width: u32, height: u32) -> Result<Ycc420Builder, PhotoError> {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        Ok(Ycc420Builder {
            img: Ycc420 { y: Plane::new(width, height)?, cb: Plane::new(cw, ch)?, cr: Plane::new(cw, ch)? },
            rows_done: 0,
            pending: Vec::new(),
        })
    }

    /// Take the next rows (a whole number of RGB rows).
    pub fn push_rows(&mut self, rgb: &[u8]) -> Result<(), PhotoError> {
        let row_bytes = self.img.width() as usize * 3;
        if row_bytes == 0 || !rgb.len().is_multiple_of(row_bytes) {
            return Err(PhotoError::Internal("ycc: rows of the wrong width".into()));
        }
        let pending = !self.pending.is_empty() as usize;
        if self.rows_done as usize + pending + rgb.len() / row_bytes > self.img.height() as usize {
            return Err(PhotoError::Internal("ycc: more rows than the image has".into()));
        }
        let mut rows = rgb.chunks_exact(row_bytes);
        if !self.pending.is_empty() {
            let Some(odd) = rows.next() else { return Ok(()) };
            let even = std::mem::take(&mut self.pending);
            self.pair(&even, Some(odd));
        }
        loop {
            match (rows.next(), rows.clone().next()) {
                (Some(even), Some(_)) => {
                    let odd = rows.next();
                    self.pair(even, odd);
                }
                (Some(even), None) => {
                    if self.rows_done + 1 == self.img.height() {
                        self.pair(even, None);
                    } else {
                        self.pending = even.to_vec();
                    }
                    return Ok(());
                }
                (None, _) => return Ok(()),
            }
        }
    }

    /// Luma of both rows, and the chroma they share (each 2 x 2 block averaged before
    /// conversion, which is the same as converting then averaging, as conversion is linear).
    fn pair(&mut self, even: &[u8], odd: Option<&[u8]>) {
        let w = self.img.width() as usize;
        let y0 = self.rows_done as usize;
        for (r, row) in [Some(even), odd].into_iter().flatten().enumerate() {
            let luma = &mut self.img.y.data[(y0 + r) * w..(y0 + r + 1) * w];
            for (l, p) in luma.iter_mut().zip(row.chunks_exact(3)) {
                let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
                *l = ((Y_R * r + Y_G * g + Y_B * b + HALF) >> 16) as u8;
            }
        }
        let cy = y0 / 2;
        let cw = self.img.cb.width as usize;
        let below = odd.unwrap_or(even);
        let (cb, cr) = (&mut self.img.cb.data[cy * cw..(cy + 1) * cw], &mut self.img.cr.data[cy * cw..(cy + 1) * cw]);
        let blocks = even.chunks_exact(6).zip(below.chunks_exact(6));
        for ((cb, cr), (top, bottom)) in cb.iter_mut().zip(cr.iter_mut()).zip(blocks) {
            let sum = |c: usize| top[c] as i32 + top[c + 3] as i32 + bottom[c] as i32 + bottom[c + 3] as i32;
            (*cb, *cr) = chroma(sum(0), sum(1), sum(2));
        }
        if w % 2 == 1 {
            // The last column of an odd width stands for two.
            let a = 3 * (w - 1);
            let sum = |c: usize| 2 * (even[a + c] as i32 + below[a + c] as i32);
            (cb[cw - 1], cr[cw - 1]) = chroma(sum(0), sum(1), sum(2));
        }
        self.rows_done += if odd.is_some() { 2 } else { 1 };
    }

    pub fn finish(self) -> Result<Ycc420, PhotoError> {
        if self.rows_done != self.img.height() {
            return Err(PhotoError::Internal(format!("ycc: {} of {} rows", self.rows_done, self.img.height())));
        }
        Ok(self.img)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rgb(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
        let f = &f;
        RgbImage { width: w, height: h, data: (0..h).flat_map(|y| (0..w).flat_map(move |x| f(x, y))).collect() }
    }

    #[test]
    fn grey_white_and_pure_colours_convert_as_jfif_says() {
        let img = rgb(2, 2, |_, _| [255, 255, 255]);
        let ycc = Ycc420::from_rgb(&img).unwrap();
        assert_eq!((ycc.y.data.as_slice(), ycc.cb.data[0], ycc.cr.data[0]), ([255u8; 4].as_slice(), 128, 128));
        // JFIF: red is Y 76, Cb 85, Cr 255; blue is Y 29, Cb 255, Cr 107.
        let red = Ycc420::from_rgb(&rgb(2, 2, |_, _| [255, 0, 0])).unwrap();
        assert_eq!((red.y.data[0], red.cb.data[0], red.cr.data[0]), (76, 85, 255));
        let blue = Ycc420::from_rgb(&rgb(2, 2, |_, _| [0, 0, 255])).unwrap();
        assert_eq!((blue.y.data[0], blue.cb.data[0], blue.cr.data[0]), (29, 255, 107));
    }

    #[test]
    fn odd_sizes_and_any_row_grouping_give_the_same_planes() {
        let img = rgb(7, 5, |x, y| [(x * 37 % 256) as u8, (y * 51 % 256) as u8, ((x + y) * 23 % 256) as u8]);
        let whole = Ycc420::from_rgb(&img).unwrap();
        assert_eq!((whole.cb.width, whole.cb.height), (4, 3));
        let row = 7 * 3;
        for split in [&[1usize, 1, 1, 1, 1][..], &[3, 2], &[1, 4], &[5]] {
            let mut b = Ycc420Builder::new(7, 5).unwrap();
            let mut at = 0;
            for n in split {
                b.push_rows(&img.data[at * row..(at + n) * row]).unwrap();
                at += n;
            }
            assert_eq!(b.finish().unwrap(), whole, "rows pushed as {split:?}");
        }
        // The last column and row, each alone in their block, are their own chroma.
        let corner = &img.data[(4 * 7 + 6) * 3..(4 * 7 + 6) * 3 + 3];
        let alone = Ycc420::from_rgb(&RgbImage { width: 1, height: 1, data: corner.to_vec() }).unwrap();
        assert_eq!((whole.cb.data[2 * 4 + 3], whole.cr.data[2 * 4 + 3]), (alone.cb.data[0], alone.cr.data[0]));
    }

    #[test]
    fn too_many_rows_or_too_few_are_errors() {
        let mut b = Ycc420Builder::new(2, 2).unwrap();
        assert!(b.push_rows(&[0; 18]).is_err());
        b.push_rows(&[0; 6]).unwrap();
        assert!(b.finish().is_err());
    }
}
