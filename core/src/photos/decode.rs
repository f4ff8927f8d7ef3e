//! Decoding: recognise the format, check the header against the limits before allocating
//! anything, and hand out the pixels row by row ([`RowSource`]).
//!
//! JPEG goes through libjpeg-turbo/mozjpeg with DCT-domain scaling: a 12 MP photo is decoded at
//! M/8 of its size, M in 1, 2, 4, 8 only (the scales libjpeg-turbo has SIMD for; 6/8 is scalar
//! and cost more than decoding whole, see ADR 0007), picking the smallest M whose long edge is
//! still at least [`DCT_SCALE_MARGIN`] times the target, because coarser scales or ones leaving
//! little room over the target show blocking after the final resize. PNG (screenshots, edited images) is read row by row with the `png`
//! crate; PNG has no scaled decode.
//!
//! libjpeg reports fatal errors through `error_exit`, which must not return: our error manager
//! unwinds with a [`JpegFailure`] payload, caught at the pipeline boundary
//! (`photos::prepare_*`) and turned into a [`PhotoError`]. Warnings that mean "the data is
//! damaged" (premature end of file, bad Huffman codes) unwind the same way: libjpeg would
//! otherwise fill the rest of the picture with grey and carry on.

use super::error::PhotoError;
use super::orient::{read_orientation, ExifOrientation};
use super::resize::RowSource;
use mozjpeg_sys as ffi;
use std::any::Any;
use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::os::raw::c_int;

/// More pixels than this are refused before decoding (a 60000 x 60000 header is a bomb; the
/// largest phone cameras write 50 MP).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Progressive JPEGs are decoded through a whole-image coefficient buffer (~3 bytes per pixel
/// at any scale), so they get a lower ceiling.
pub const MAX_PROGRESSIVE_PIXELS: u64 = 24_000_000;
/// Interlaced PNGs must be decoded whole (4 bytes per pixel).
pub const MAX_INTERLACED_PNG_PIXELS: u64 = 16_000_000;
/// WebP, GIF and BMP go through the `image` crate's decoders, which fill a whole frame (up to
/// 4 bytes per pixel): the same ceiling as an interlaced PNG.
pub const MAX_WHOLE_FRAME_PIXELS: u64 = MAX_INTERLACED_PNG_PIXELS;
/// A progressive JPEG with thousands of tiny scans costs a full pass each (a known
/// denial-of-service); libjpeg-turbo's tools stop at 500 too.
pub const MAX_SCANS: u32 = 500;
/// Decode at M/8 only when the decoded long edge stays at least this many times the target.
/// 1.25 rather than the 1.3 first measured: it lets the commonest camera (4000 px, 12 MP)
/// decode at 4/8 (SSIMULACRA2 74.3 instead of 74.7 at 6/8) rather than at a costlier scale.
pub const DCT_SCALE_MARGIN: f64 = 1.25;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    /// Gallery images, decoded whole by the `image` crate (a GIF's first frame only).
    WebP,
    Gif,
    Bmp,
}

/// An image ready to be read row by row, and what its header said.
pub struct Opened<'r> {
    pub rows: Box<dyn RowSource + 'r>,
    pub format: Format,
    pub source_width: u32,
    pub source_height: u32,
    /// M of the M/8 DCT scale used (8: full size, and always 8 for PNG).
    pub scale_eighths: u8,
    pub exif: ExifOrientation,
}

/// The DCT scales M/8 used: those whose inverse DCTs libjpeg-turbo has in SIMD (8x8, 4x4, 2x2,
/// 1x1). At 6/8 luma takes a 6x6 and 4:2:0 chroma a 12x12 inverse DCT, both scalar: an 8 MP
/// photo cost 1157 M instructions at 6/8 and 973 M decoded whole and resized, which also
/// scored higher. See docs/adr/0007-photo-pipeline.md.
pub const DCT_SCALES: [u8; 4] = [1, 2, 4, 8];

/// The smallest of [`DCT_SCALES`] whose long edge stays >= [`DCT_SCALE_MARGIN`] x `target`.
pub fn dct_scale(long_edge: u32, target: u32) -> u8 {
    for m in DCT_SCALES {
        let scaled = (long_edge as u64 * m as u64).div_ceil(8);
        if scaled as f64 >= DCT_SCALE_MARGIN * target as f64 {
            return m;
        }
    }
    8
}

/// Recognise the format and open a row reader sized for an output of `target` px long edge.
pub fn open<'r, R: BufRead + Seek + 'r>(mut r: R, target: u32) -> Result<Opened<'r>, PhotoError> {
    let mut magic = [0u8; 12];
    let n = read_up_to(&mut r, &mut magic)?;
    r.seek(SeekFrom::Start(0))?;
    match sniff(&magic[..n])? {
        Format::Jpeg => open_jpeg(r, target),
        Format::Png => open_png(r),
        whole => open_whole(r, whole),
    }
}

/// The format a file's first bytes (its first 12 suffice) name, by their magic numbers, or why
/// it is none this pipeline reads.
pub fn sniff(magic: &[u8]) -> Result<Format, PhotoError> {
    match magic.get(..12).unwrap_or(magic) {
        [] => Err(PhotoError::Empty),
        [0xFF, 0xD8, 0xFF, ..] => Ok(Format::Jpeg),
        [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n', ..] => Ok(Format::Png),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P'] => Ok(Format::WebP),
        [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Ok(Format::Gif),
        [b'B', b'M', ..] => Ok(Format::Bmp),
        [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if is_heif_brand(brand) => Err(PhotoError::Heic),
        _ => Err(PhotoError::NotAnImage),
    }
}

/// The major brands of an ISO-BMFF `ftyp` box that mean a HEIF still image: HEIC (HEVC-coded,
/// what iPhones and many Android cameras write), the generic HEIF brands, and AVIF (its AV1
/// cousin). None can be decoded here without a video codec, so they are refused with a typed
/// error that tells the artisan how to send the photo as JPEG instead.
fn is_heif_brand(brand: &[u8]) -> bool {
    matches!(
        brand,
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" | b"mif1" | b"msf1" | b"avif" | b"avis"
    )
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn check_size(width: u32, height: u32, max_pixels: u64) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Corrupt("zero width or height".into()));
    }
    if width as u64 * height as u64 > max_pixels {
        return Err(PhotoError::TooLarge { width, height });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// JPEG

/// What the marker segments before the first scan say.
#[derive(Debug, Default)]
pub struct JpegHeader {
    pub width: u32,
    pub height: u32,
    pub progressive: bool,
    pub exif: Option<Vec<u8>>,
    /// Start-of-scan markers in the whole file (progressive files have many).
    pub scans: u32,
}

fn eof_is_truncation(e: io::Error) -> PhotoError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        PhotoError::Truncated
    } else {
        PhotoError::Io(e)
    }
}

/// Walk the marker segments up to the first scan (reading only lengths and the few segments we
/// need), then count the remaining scans. Bounded: every segment is at most 64 KB and is
/// skipped, not stored, except one EXIF block.
pub fn scan_jpeg<R: Read>(r: &mut R) -> Result<JpegHeader, PhotoError> {
    let mut h = JpegHeader::default();
    let mut b2 = [0u8; 2];
    r.read_exact(&mut b2).map_err(eof_is_truncation)?;
    if b2 != [0xFF, 0xD8] {
        return Err(PhotoError::NotAnImage);
    }
    let mut seen_sof = false;
    loop {
        // A marker: one or more 0xFF, then the code.
        let mut byte = [0u8; 1];
        r.read_exact(&mut byte).map_err(eof_is_truncation)?;
        if byte[0] != 0xFF {
            return Err(PhotoError::Corrupt("expected a marker".into()));
        }
        let mut code = 0xFF;
        while code == 0xFF {
            r.read_exact(&mut byte).map_err(eof_is_truncation)?;
            code = byte[0];
        }
        match code {
            0x01 | 0xD0..=0xD7 => continue,
            0xD8 | 0xD9 => return Err(PhotoError::Corrupt("no image data".into())),
            _ => {}
        }
        r.read_exact(&mut b2).map_err(eof_is_truncation)?;
        let len = u16::from_be_bytes(b2) as usize;
        if len < 2 {
            return Err(PhotoError::Corrupt("bad segment length".into()));
        }
        let mut payload = vec![0u8; len - 2];
        r.read_exact(&mut payload).map_err(eof_is_truncation)?;
        match code {
            0xE1 if h.exif.is_none() && payload.starts_with(b"Exif\0\0") => h.exif = Some(payload),
            0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                if payload.len() < 6 {
                    return Err(PhotoError::Corrupt("short frame header".into()));
                }
                h.height = u16::from_be_bytes([payload[1], payload[2]]) as u32;
                h.width = u16::from_be_bytes([payload[3], payload[4]]) as u32;
                h.progressive = matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE);
                seen_sof = true;
            }
            0xDA => {
                if !seen_sof {
                    return Err(PhotoError::Corrupt("scan before frame header".into()));
                }
                h.scans = 1 + count_scans(r, MAX_SCANS)?;
                return Ok(h);
            }
            _ => {}
        }
    }
}

/// Count `FF DA` (start of scan) in the rest of the stream, stopping past `limit`. Entropy-coded
/// data escapes every 0xFF as `FF 00`, so `FF DA` can only be a marker.
fn count_scans<R: Read>(r: &mut R, limit: u32) -> Result<u32, PhotoError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut count = 0u32;
    let mut prev_ff = false;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => return Ok(count),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        for &b in &buf[..n] {
            if prev_ff && b == 0xDA {
                count += 1;
                if count > limit {
                    return Err(PhotoError::Corrupt(format!("more than {limit} scans")));
                }
            }
            prev_ff = b == 0xFF;
        }
    }
}

/// The payload our libjpeg error manager unwinds with.
#[derive(Debug)]
pub struct JpegFailure {
    pub code: c_int,
    pub detail: String,
}

impl From<JpegFailure> for PhotoError {
    fn from(f: JpegFailure) -> PhotoError {
        match f.code {
            ffi::JWRN_JPEG_EOF => PhotoError::Truncated,
            ffi::JERR_CONVERSION_NOTIMPL | ffi::JERR_ARITH_NOTIMPL | ffi::JERR_NOT_COMPILED => PhotoError::Unsupported(f.detail),
            ffi::JERR_IMAGE_TOO_BIG => PhotoError::TooLarge { width: 0, height: 0 },
            ffi::JERR_NO_SOI => PhotoError::NotAnImage,
            _ => PhotoError::Corrupt(f.detail),
        }
    }
}

/// Turn a caught unwind into a typed error: ours from libjpeg, anything else is a bug.
pub fn from_panic(payload: Box<dyn Any + Send>) -> PhotoError {
    match payload.downcast::<JpegFailure>() {
        Ok(f) => (*f).into(),
        Err(other) => {
            let text = other
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| other.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            PhotoError::Internal(text)
        }
    }
}

/// libjpeg's message template for `code` (static text from its table, never image content).
fn template(err: &ffi::jpeg_error_mgr, code: c_int) -> String {
    if err.jpeg_message_table.is_null() || code < 0 || code > err.last_jpeg_message {
        return format!("libjpeg code {code}");
    }
    // SAFETY: the table has `last_jpeg_message + 1` entries of NUL-terminated static strings.
    unsafe {
        let p = *err.jpeg_message_table.add(code as usize);
        if p.is_null() {
            return format!("libjpeg code {code}");
        }
        std::ffi::CStr::from_ptr(p.cast::<std::ffi::c_char>()).to_string_lossy().into_owned()
    }
}

fn failure(cinfo: &ffi::jpeg_common_struct) -> JpegFailure {
    // SAFETY: libjpeg calls us with `err` pointing at the manager we installed.
    let err = unsafe { &*cinfo.err };
    JpegFailure { code: err.msg_code, detail: template(err, err.msg_code) }
}

extern "C-unwind" fn on_error_exit(cinfo: &mut ffi::jpeg_common_struct) {
    std::panic::resume_unwind(Box::new(failure(cinfo)));
}

extern "C-unwind" fn on_message(cinfo: &mut ffi::jpeg_common_struct, level: c_int) {
    if level >= 0 {
        return; // trace messages
    }
    // SAFETY: as above.
    let code = unsafe { (*cinfo.err).msg_code };
    // Damage that would otherwise be painted grey. Harmless warnings (extraneous bytes
    // before a marker, common in phone files) are let through.
    if matches!(code, ffi::JWRN_JPEG_EOF | ffi::JWRN_HUFF_BAD_CODE | ffi::JWRN_MUST_RESYNC | ffi::JWRN_HIT_MARKER) {
        std::panic::resume_unwind(Box::new(failure(cinfo)));
    }
}

/// A libjpeg error manager whose errors unwind with a [`JpegFailure`] (encoder too).
pub(super) fn error_manager() -> ffi::jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed manager.
    let mut err: ffi::jpeg_error_mgr = unsafe { std::mem::zeroed() };
    unsafe { ffi::jpeg_std_error(&mut err) };
    err.error_exit = Some(on_error_exit);
    err.emit_message = Some(on_message);
    err
}

struct JpegRows<R> {
    started: Option<mozjpeg::decompress::DecompressStarted<R>>,
    width: u32,
    height: u32,
    rows_read: u32,
}

impl<R: BufRead> RowSource for JpegRows<R> {
    fn width(&self) -> u32 {
        self.width
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn read_rows(&mut self, buf: &mut [u8]) -> Result<(), PhotoError> {
        let started = self.started.as_mut().ok_or_else(|| PhotoError::Internal("read after finish".into()))?;
        started.read_scanlines_into::<u8>(buf).map_err(eof_is_truncation)?;
        self.rows_read += (buf.len() / (self.width as usize * 3)) as u32;
        if self.rows_read == self.height {
            // Read through to the end-of-image marker, so damage after the last row is seen.
            if let Some(s) = self.started.take() {
                s.finish().map_err(eof_is_truncation)?;
            }
        }
        Ok(())
    }
}

fn open_jpeg<'r, R: BufRead + Seek + 'r>(mut r: R, target: u32) -> Result<Opened<'r>, PhotoError> {
    let header = scan_jpeg(&mut r)?;
    check_size(header.width, header.height, MAX_PIXELS)?;
    if header.progressive {
        check_size(header.width, header.height, MAX_PROGRESSIVE_PIXELS)?;
    }
    r.seek(SeekFrom::Start(0))?;
    let exif = header.exif.as_deref().map(read_orientation).unwrap_or(ExifOrientation::Absent);
    let scale = dct_scale(header.width.max(header.height), target);
    let mut d = mozjpeg::Decompress::builder().with_err(error_manager()).from_reader(r)?;
    if (d.width(), d.height()) != (header.width as usize, header.height as usize) {
        return Err(PhotoError::Corrupt("frame headers disagree".into()));
    }
    d.scale(scale);
    let started = d.rgb()?;
    let (width, height) = (started.width() as u32, started.height() as u32);
    Ok(Opened {
        rows: Box::new(JpegRows { started: Some(started), width, height, rows_read: 0 }),
        format: Format::Jpeg,
        source_width: header.width,
        source_height: header.height,
        scale_eighths: scale,
        exif,
    })
}

// ---------------------------------------------------------------------------------------------
// PNG

struct PngRows<R: BufRead + Seek> {
    reader: png::Reader<R>,
    width: u32,
    height: u32,
    channels: usize,
    /// Interlaced images only: the whole decoded frame.
    frame: Option<Vec<u8>>,
    line: Vec<u8>,
    next: usize,
}

fn png_error(e: png::DecodingError) -> PhotoError {
    match e {
        png::DecodingError::IoError(e) => eof_is_truncation(e),
        png::DecodingError::Format(f) => PhotoError::Corrupt(f.to_string()),
        png::DecodingError::LimitsExceeded => PhotoError::TooLarge { width: 0, height: 0 },
        other => PhotoError::Corrupt(other.to_string()),
    }
}

impl<R: BufRead + Seek> RowSource for PngRows<R> {
    fn width(&self) -> u32 {
        self.width
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn read_rows(&mut self, buf: &mut [u8]) -> Result<(), PhotoError> {
        let w = self.width as usize;
        let line_len = w * self.channels;
        for out in buf.chunks_exact_mut(w * 3) {
            let line: &[u8] = match &self.frame {
                Some(frame) => frame.get(self.next * line_len..(self.next + 1) * line_len).ok_or(PhotoError::Truncated)?,
                None => {
                    self.reader.read_row(&mut self.line).map_err(png_error)?.ok_or(PhotoError::Truncated)?;
                    &self.line[..line_len]
                }
            };
            to_rgb(line, self.channels, out);
            self.next += 1;
        }
        Ok(())
    }
}

/// Grey, grey+alpha, RGB or RGBA to RGB; transparency is laid over white (a product on a
/// page, as the catalog shows it).
fn to_rgb(line: &[u8], channels: usize, out: &mut [u8]) {
    let over_white = |v: u8, a: u8| ((v as u32 * a as u32 + 255 * (255 - a as u32) + 127) / 255) as u8;
    for (px, o) in line.chunks_exact(channels).zip(out.chunks_exact_mut(3)) {
        match *px {
            [g] => o.copy_from_slice(&[g, g, g]),
            [g, a] => o.fill(over_white(g, a)),
            [r, g, b] => o.copy_from_slice(&[r, g, b]),
            [r, g, b, a] => o.copy_from_slice(&[over_white(r, a), over_white(g, a), over_white(b, a)]),
            _ => {}
        }
    }
}

fn open_png<'r, R: BufRead + Seek + 'r>(r: R) -> Result<Opened<'r>, PhotoError> {
    // 16 MB for text, ICC and other ancillary chunks, far more than any real photo carries.
    let mut decoder = png::Decoder::new_with_limits(r, png::Limits { bytes: 16 * 1024 * 1024 });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    decoder.set_ignore_text_chunk(true);
    let (width, height, interlaced) = {
        let info = decoder.read_header_info().map_err(png_error)?;
        (info.width, info.height, info.interlaced)
    };
    check_size(width, height, if interlaced { MAX_INTERLACED_PNG_PIXELS } else { MAX_PIXELS })?;
    let mut reader = decoder.read_info().map_err(png_error)?;
    // png 0.18.1 panics expanding a palette whose length is not a multiple of 3 (found by the
    // photo_decode fuzz target; image-rs/image-png#694): refuse it as damaged first.
    if reader.info().palette.as_ref().is_some_and(|p| p.len() % 3 != 0) {
        return Err(PhotoError::Corrupt("PNG palette length is not a multiple of 3".into()));
    }
    let exif = reader.info().exif_metadata.as_deref().map(read_orientation).unwrap_or(ExifOrientation::Absent);
    let channels = reader.output_color_type().0.samples();
    let line_size = reader.output_line_size(width).ok_or(PhotoError::TooLarge { width, height })?;
    let frame = if interlaced {
        let size = reader.output_buffer_size().ok_or(PhotoError::TooLarge { width, height })?;
        let mut frame = vec![0u8; size];
        reader.next_frame(&mut frame).map_err(png_error)?;
        Some(frame)
    } else {
        None
    };
    Ok(Opened {
        rows: Box::new(PngRows { reader, width, height, channels, frame, line: vec![0; line_size], next: 0 }),
        format: Format::Png,
        source_width: width,
        source_height: height,
        scale_eighths: 8,
        exif,
    })
}

// ---------------------------------------------------------------------------------------------
// WebP, GIF (first frame), BMP: through the `image` crate, whole frames

/// A whole decoded frame handed out row by row (8-bit grey, grey+alpha, RGB or RGBA).
struct FrameRows {
    frame: Vec<u8>,
    width: u32,
    height: u32,
    channels: usize,
    next: usize,
}

impl RowSource for FrameRows {
    fn width(&self) -> u32 {
        self.width
    }
    fn height(&self) -> u32 {
        self.height
    }
    fn read_rows(&mut self, buf: &mut [u8]) -> Result<(), PhotoError> {
        let w = self.width as usize;
        let line_len = w * self.channels;
        for out in buf.chunks_exact_mut(w * 3) {
            let line = self.frame.get(self.next * line_len..(self.next + 1) * line_len).ok_or(PhotoError::Truncated)?;
            to_rgb(line, self.channels, out);
            self.next += 1;
        }
        Ok(())
    }
}

fn image_error(e: image::ImageError) -> PhotoError {
    use image::ImageError as E;
    match e {
        E::IoError(e) => eof_is_truncation(e),
        E::Limits(_) => PhotoError::TooLarge { width: 0, height: 0 },
        E::Unsupported(u) => PhotoError::Unsupported(u.to_string()),
        // The decoders' messages describe the format's structure, never pixel or text content.
        E::Decoding(d) => PhotoError::Corrupt(d.to_string()),
        other => PhotoError::Corrupt(other.to_string()),
    }
}

/// Open a WebP, GIF or BMP: the header is read first and its size checked against
/// [`MAX_WHOLE_FRAME_PIXELS`] before a single pixel is decoded, then the first frame is decoded
/// whole (these decoders have no row-by-row interface) under an allocation limit of that frame.
fn open_whole<'r, R: BufRead + Seek + 'r>(r: R, format: Format) -> Result<Opened<'r>, PhotoError> {
    use image::codecs::{bmp::BmpDecoder, gif::GifDecoder, webp::WebPDecoder};
    use image::ImageDecoder;
    let mut decoder: Box<dyn ImageDecoder + 'r> = match format {
        Format::WebP => Box::new(WebPDecoder::new(r).map_err(image_error)?),
        Format::Gif => Box::new(GifDecoder::new(r).map_err(image_error)?),
        Format::Bmp => Box::new(BmpDecoder::new(r).map_err(image_error)?),
        Format::Jpeg | Format::Png => return Err(PhotoError::Internal("open_whole: not a whole-frame format".into())),
    };
    let (width, height) = decoder.dimensions();
    check_size(width, height, MAX_WHOLE_FRAME_PIXELS)?;
    let color = decoder.color_type();
    let channels = color.channel_count() as usize;
    if color.bytes_per_pixel() as usize != channels {
        return Err(PhotoError::Unsupported(format!("{color:?} pixels")));
    }
    let size = decoder.total_bytes();
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    // The frame itself, and as much again for a decoder's own buffers (a GIF's first frame
    // may be smaller than its canvas, a WebP's alpha plane is separate).
    limits.max_alloc = Some(2 * size + (1 << 20));
    decoder.set_limits(limits).map_err(image_error)?;
    let mut frame = Vec::new();
    frame.try_reserve_exact(size as usize).map_err(|_| PhotoError::TooLarge { width, height })?;
    frame.resize(size as usize, 0);
    decoder.read_image_boxed(&mut frame).map_err(image_error)?;
    Ok(Opened {
        rows: Box::new(FrameRows { frame, width, height, channels, next: 0 }),
        format,
        source_width: width,
        source_height: height,
        scale_eighths: 8,
        exif: ExifOrientation::Absent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_scale_keeps_a_margin_over_the_target() {
        // 12 MP (4000 px): 4/8 gives 2000 = 1.25 x 1600.
        assert_eq!(dct_scale(4000, 1600), 4);
        assert_eq!(dct_scale(4224, 1600), 4);
        // 8 MP (3264 px): 4/8 = 1632 is too close, and 6/8 is not used: whole.
        assert_eq!(dct_scale(3264, 1600), 8);
        assert_eq!(dct_scale(6000, 1600), 4);
        assert_eq!(dct_scale(2000, 1600), 8);
        assert_eq!(dct_scale(4000, 320), 1);
    }

    #[test]
    fn count_scans_stops_at_the_limit() {
        let many: Vec<u8> = std::iter::repeat_n([0xFF, 0xDA, 0x00], 600).flatten().collect();
        assert!(matches!(count_scans(&mut many.as_slice(), MAX_SCANS), Err(PhotoError::Corrupt(_))));
        let stuffed = [0xFF, 0x00, 0xDA, 0xFF, 0xDA];
        assert_eq!(count_scans(&mut stuffed.as_slice(), MAX_SCANS).unwrap(), 1);
    }
}
