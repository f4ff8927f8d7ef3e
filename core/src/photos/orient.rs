//! EXIF orientation: finding the tag in a JPEG's APP1 (or a PNG's eXIf) block, and turning the
//! pixels so the photo stands the way the artisan held the phone.
//!
//! The parser reads only IFD0 of the TIFF structure and never follows more than one offset, so a
//! hostile block (offsets out of range, absurd counts, loops) costs bounded time. EXIF that cannot
//! be read is ignored (orientation taken as upright): every byte of metadata is dropped from the
//! output anyway, and refusing a good photo for a damaged tag would only hurt the artisan.

use super::resize::RgbImage;

/// The eight EXIF orientations (TIFF tag 0x0112). `Normal` is 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    Normal = 1,
    FlipHorizontal = 2,
    Rotate180 = 3,
    FlipVertical = 4,
    Transpose = 5,
    Rotate90 = 6,
    Transverse = 7,
    Rotate270 = 8,
}

impl Orientation {
    pub fn from_exif_value(v: u16) -> Option<Orientation> {
        use Orientation::*;
        Some(match v {
            1 => Normal,
            2 => FlipHorizontal,
            3 => Rotate180,
            4 => FlipVertical,
            5 => Transpose,
            6 => Rotate90,
            7 => Transverse,
            8 => Rotate270,
            _ => return None,
        })
    }

    /// True when width and height trade places.
    pub fn swaps_dimensions(self) -> bool {
        matches!(self, Orientation::Transpose | Orientation::Rotate90 | Orientation::Transverse | Orientation::Rotate270)
    }
}

/// What reading the orientation found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExifOrientation {
    /// No EXIF block, or one without the tag.
    Absent,
    Found(Orientation),
    /// A block was there but could not be read (bad header, offsets out of range, a value
    /// outside 1..=8). Treated as upright.
    Unreadable,
}

impl ExifOrientation {
    pub fn orientation(self) -> Orientation {
        match self {
            ExifOrientation::Found(o) => o,
            _ => Orientation::Normal,
        }
    }
}

/// Read the orientation from an APP1 payload (starting with `Exif\0\0`) or a bare TIFF block.
pub fn read_orientation(block: &[u8]) -> ExifOrientation {
    let tiff = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    match orientation_in_tiff(tiff) {
        Ok(Some(o)) => ExifOrientation::Found(o),
        Ok(None) => ExifOrientation::Absent,
        Err(()) => ExifOrientation::Unreadable,
    }
}

fn orientation_in_tiff(t: &[u8]) -> Result<Option<Orientation>, ()> {
    let big_endian = match t.get(0..4) {
        Some(b"II*\0") => false,
        Some(b"MM\0*") => true,
        _ => return Err(()),
    };
    let u16_at = |at: usize| -> Result<u16, ()> {
        let b = t.get(at..at.checked_add(2).ok_or(())?).ok_or(())?;
        Ok(if big_endian { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| -> Result<u32, ()> {
        let b = t.get(at..at.checked_add(4).ok_or(())?).ok_or(())?;
        let b = [b[0], b[1], b[2], b[3]];
        Ok(if big_endian { u32::from_be_bytes(b) } else { u32::from_le_bytes(b) })
    };
    let ifd0 = u32_at(4)? as usize;
    let count = u16_at(ifd0)? as usize;
    // 12 bytes per entry; a count running past the block is a damaged block.
    if ifd0 + 2 + count * 12 > t.len() {
        return Err(());
    }
    for i in 0..count {
        let entry = ifd0 + 2 + i * 12;
        if u16_at(entry)? == 0x0112 {
            let (kind, n) = (u16_at(entry + 2)?, u32_at(entry + 4)?);
            if kind != 3 || n != 1 {
                return Err(());
            }
            return Orientation::from_exif_value(u16_at(entry + 8)?).map(Some).ok_or(());
        }
    }
    Ok(None)
}

impl Orientation {
    /// The size of a `(w, h)` stored image once upright.
    pub fn upright_size(self, w: u32, h: u32) -> (u32, u32) {
        if self.swaps_dimensions() {
            (h, w)
        } else {
            (w, h)
        }
    }

    /// Where the pixel at `(ux, uy)` of the upright image lies in the stored `w` x `h` image.
    pub fn stored_position(self, ux: usize, uy: usize, w: usize, h: usize) -> (usize, usize) {
        match self {
            Orientation::Normal => (ux, uy),
            Orientation::FlipHorizontal => (w - 1 - ux, uy),
            Orientation::Rotate180 => (w - 1 - ux, h - 1 - uy),
            Orientation::FlipVertical => (ux, h - 1 - uy),
            Orientation::Transpose => (uy, ux),
            Orientation::Rotate90 => (uy, h - 1 - ux),
            Orientation::Transverse => (w - 1 - uy, h - 1 - ux),
            Orientation::Rotate270 => (w - 1 - uy, ux),
        }
    }

    /// Row `uy` of the upright image, from a stored `w` x `h` image of `channels` bytes per
    /// pixel, into `out` (its upright width times `channels`).
    pub fn upright_row(self, stored: &[u8], w: usize, h: usize, channels: usize, uy: usize, out: &mut [u8]) {
        if self == Orientation::Normal {
            out.copy_from_slice(&stored[uy * w * channels..(uy + 1) * w * channels]);
            return;
        }
        for (ux, px) in out.chunks_exact_mut(channels).enumerate() {
            let (x, y) = self.stored_position(ux, uy, w, h);
            let at = (y * w + x) * channels;
            px.copy_from_slice(&stored[at..at + channels]);
        }
    }
}

/// Turn `img` so it displays upright (the encoder turns the pipeline's planes as it reads
/// them; this is for whole RGB images: tests and the benchmark's reference).
pub fn apply(img: RgbImage, o: Orientation) -> RgbImage {
    if o == Orientation::Normal {
        return img;
    }
    let (w, h) = (img.width as usize, img.height as usize);
    let (ow, oh) = o.upright_size(img.width, img.height);
    let mut out = vec![0u8; w * h * 3];
    for (uy, row) in out.chunks_exact_mut(ow as usize * 3).enumerate() {
        o.upright_row(&img.data, w, h, 3, uy, row);
    }
    RgbImage { width: ow, height: oh, data: out }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little-endian TIFF block with one IFD0 entry: orientation = `v`.
    pub(crate) fn exif_with_orientation(v: u16) -> Vec<u8> {
        let mut b = b"Exif\0\0II*\0".to_vec();
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&0x0112u16.to_le_bytes());
        b.extend_from_slice(&3u16.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&v.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b
    }

    #[test]
    fn every_orientation_puts_each_stored_pixel_where_the_exif_spec_says() {
        // Where stored pixel (x, y) of a w x h image lands in the upright image (EXIF 2.3,
        // tag 0x0112), written forwards, independently of `stored_position`.
        fn lands_at(o: Orientation, x: usize, y: usize, w: usize, h: usize) -> (usize, usize) {
            match o {
                Orientation::Normal => (x, y),
                Orientation::FlipHorizontal => (w - 1 - x, y),
                Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                Orientation::FlipVertical => (x, h - 1 - y),
                Orientation::Transpose => (y, x),
                Orientation::Rotate90 => (h - 1 - y, x),
                Orientation::Transverse => (h - 1 - y, w - 1 - x),
                Orientation::Rotate270 => (y, w - 1 - x),
            }
        }
        let (w, h) = (5usize, 3usize);
        let stored: Vec<u8> = (0..(w * h) as u8).collect();
        for v in 1..=8 {
            let o = Orientation::from_exif_value(v).unwrap();
            let (uw, uh) = o.upright_size(w as u32, h as u32);
            let mut upright = vec![0u8; w * h];
            for (uy, row) in upright.chunks_exact_mut(uw as usize).enumerate() {
                o.upright_row(&stored, w, h, 1, uy, row);
            }
            for (i, &value) in stored.iter().enumerate() {
                let (ux, uy) = lands_at(o, i % w, i / w, w, h);
                assert!(ux < uw as usize && uy < uh as usize);
                assert_eq!(upright[uy * uw as usize + ux], value, "orientation {v}, stored pixel {i}");
            }
        }
    }

    #[test]
    fn reads_orientation_in_both_byte_orders() {
        assert_eq!(read_orientation(&exif_with_orientation(6)), ExifOrientation::Found(Orientation::Rotate90));
        let be =
            [b"Exif\0\0MM\0*".as_slice(), &[0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0]].concat();
        assert_eq!(read_orientation(&be), ExifOrientation::Found(Orientation::Rotate270));
    }

    #[test]
    fn absurd_exif_is_unreadable_not_a_panic() {
        assert_eq!(read_orientation(&exif_with_orientation(0)), ExifOrientation::Unreadable);
        assert_eq!(read_orientation(&exif_with_orientation(999)), ExifOrientation::Unreadable);
        assert_eq!(read_orientation(b"Exif\0\0"), ExifOrientation::Unreadable);
        assert_eq!(read_orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), ExifOrientation::Unreadable);
        // IFD0 claims 65535 entries in a 30-byte block.
        let mut huge = exif_with_orientation(1);
        huge[14] = 0xff;
        huge[15] = 0xff;
        assert_eq!(read_orientation(&huge), ExifOrientation::Unreadable);
        // Every truncation of a valid block is handled.
        let good = exif_with_orientation(3);
        for n in 0..good.len() {
            let _ = read_orientation(&good[..n]);
        }
    }

    fn numbered(w: u32, h: u32) -> RgbImage {
        let data = (0..w * h).flat_map(|i| [i as u8, 0, 0]).collect();
        RgbImage { width: w, height: h, data }
    }

    fn px(img: &RgbImage, x: u32, y: u32) -> u8 {
        img.data[((y * img.width + x) * 3) as usize]
    }

    #[test]
    fn rotate90_puts_the_top_left_at_the_top_right() {
        // 3 wide, 2 high:  0 1 2 / 3 4 5
        let r = apply(numbered(3, 2), Orientation::Rotate90);
        assert_eq!((r.width, r.height), (2, 3));
        // Rotated clockwise: 3 0 / 4 1 / 5 2
        let rows: Vec<Vec<u8>> = (0..3).map(|y| (0..2).map(|x| px(&r, x, y)).collect()).collect();
        assert_eq!(rows, vec![vec![3, 0], vec![4, 1], vec![5, 2]]);
        let l = apply(numbered(3, 2), Orientation::Rotate270);
        let rows: Vec<Vec<u8>> = (0..3).map(|y| (0..2).map(|x| px(&l, x, y)).collect()).collect();
        assert_eq!(rows, vec![vec![2, 5], vec![1, 4], vec![0, 3]]);
        let f = apply(numbered(3, 2), Orientation::Rotate180);
        assert_eq!(px(&f, 0, 0), 5);
    }
}
