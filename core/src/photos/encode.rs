//! Encoding with mozjpeg: trellis quantisation, optimised Huffman tables, progressive scans (its
//! default script, without the costly scan search) and
//! 4:2:0 chroma (4:4:4 measured worse at equal SSIMULACRA2), which is what brings a photo to
//! 0.65-0.8x the bytes of the `image` crate's encoder at the same SSIMULACRA2 (figures in
//! docs/adr/0007-photo-pipeline.md).
//! Nothing but the pixels is written: no EXIF, no ICC profile, no comment (only the 18-byte
//! JFIF header every JPEG reader expects).

use super::decode::error_manager;
use super::error::PhotoError;
use super::resize::RgbImage;
use mozjpeg::{ColorSpace, Compress};

/// Encode `img` as a JPEG at `quality` (0-100, mozjpeg's scale). Errors from libjpeg unwind
/// and are caught at the pipeline boundary.
pub fn encode_jpeg(img: &RgbImage, quality: f32) -> Result<Vec<u8>, PhotoError> {
    let mut c = Compress::new_err(Box::new(error_manager()), ColorSpace::JCS_RGB);
    c.set_size(img.width as usize, img.height as usize);
    c.set_quality(quality);
    // 4:2:0, as cameras write: the eye does not miss the chroma, the bytes do.
    c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
    c.set_progressive_mode();
    // mozjpeg's scan optimisation tries several progressive scripts and keeps the smallest:
    // 3% fewer bytes for a quarter of the pipeline's instructions. Not worth it on a phone.
    c.set_optimize_scans(false);
    c.set_optimize_coding(true);
    let mut started = c.start_compress(Vec::with_capacity(img.data.len() / 16))?;
    started.write_scanlines(&img.data)?;
    Ok(started.finish()?)
}
