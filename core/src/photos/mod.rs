//! Photos: from a camera JPEG (or a PNG) to an upload-ready product photo and a thumbnail,
//! coached, and kept in a content-addressed library on the phone.
//!
//! The pipeline ([`prepare_file`], [`prepare_bytes`]), one concern per file:
//! - `decode`: format sniffing, header limits (bombs are refused before any allocation),
//!   JPEG DCT-scaled decode with libjpeg errors turned into typed errors, PNG row reading;
//! - `resize`: Lanczos3, strip by strip, so the decoded image is never held whole;
//! - `ycc`: the reduced photo as YCbCr 4:2:0 planes, built from the resized strips;
//! - `orient`: EXIF orientation, applied as the encoder reads the planes;
//! - `quality`: the upload's JPEG quality, chosen per photo by simulating its quantisation;
//! - `encode`: mozjpeg, fed the planes raw, metadata-free;
//! - `coach`: blurry / too dark / overexposed / too small;
//! - `blobs`: [`PhotoLibrary`], the files directory where photos live under their SHA-256,
//!   written atomically.
//!
//! Attaching photos to drafts is in `crate::drafts::photos`. Decisions and figures:
//! `docs/adr/0007-photo-pipeline.md`.

mod blobs;
mod coach;
mod decode;
mod encode;
mod error;
mod orient;
mod quality;
mod resize;
mod ycc;

pub use blobs::{is_valid_hash, PhotoLibrary};
pub use coach::{Advice, Coaching};
pub use decode::{dct_scale, sniff, Format, MAX_PIXELS};
pub use encode::EncodeSettings;
pub use error::PhotoError;
pub use orient::{ExifOrientation, Orientation};
pub use quality::{choose_quality, BlockErrors, LossModel, QualityProbe, MAX_QUALITY, MIN_QUALITY, UPLOAD_MODEL};
pub use resize::{fit_within, RgbImage};
pub use ycc::{Plane, Ycc420};

use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::Instant;

/// No camera photo comes near this; anything larger is refused before reading it.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// What to produce. The defaults are the catalog's.
#[derive(Clone, Debug, PartialEq)]
pub struct PrepareOptions {
    /// Long edge of the upload image, in pixels.
    pub max_edge: u32,
    /// Long edge of the thumbnail.
    pub thumb_edge: u32,
    /// JPEG quality of the upload image.
    pub upload_quality: Quality,
    /// Trellis quantisation for the upload image.
    pub upload_trellis: bool,
    /// The upload's chroma quality, as an offset from its (luma) quality.
    pub upload_chroma_offset: f32,
    /// mozjpeg's base quantisation table for the upload (see [`EncodeSettings::table`]).
    pub upload_table: u8,
    pub thumbnail: EncodeSettings,
}

/// How the upload's JPEG quality is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Quality {
    /// Chosen for each photo by predicting what quantisation does to it (`quality.rs`):
    /// smooth gradients and dense texture get more bytes, moderate detail (which masks
    /// quantisation) fewer.
    PerPhoto,
    /// This quality for every photo (sweeps, the benchmark's calibration).
    Fixed(f32),
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            max_edge: 1600,
            thumb_edge: 320,
            upload_quality: Quality::PerPhoto,
            // Trellis gave the bytes and SSIMULACRA2 of 4 more quality points for 40% more
            // instructions. See the ADR.
            upload_trellis: false,
            upload_chroma_offset: 0.0,
            // mozjpeg's table tuned for PSNR-HVS: finer steps at the low frequencies (a DC step
            // of 9 against 16), where smooth skies band, and about as coarse at the high ones.
            // Each photo at the lowest quality reaching SSIMULACRA2 72, on the five photos
            // measured with both: 0.70x the `image` pipeline's bytes at equal score against
            // 0.75x with the default table (see the ADR).
            upload_table: 4,
            // A thumbnail is 4% of the upload's pixels: trellis costs little there and the
            // catalog lists download many of them.
            thumbnail: EncodeSettings::new(70.0, true),
        }
    }
}

/// One encoded JPEG and its content address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedImage {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `bytes`, lowercase hex: the name it is stored and synced under.
    pub sha256: String,
}

impl EncodedImage {
    fn new(bytes: Vec<u8>, width: u32, height: u32) -> Self {
        let sha256 = fundi_sync::hash::sha256_hex(&bytes);
        EncodedImage { bytes, width, height, sha256 }
    }
}

/// What the pipeline did, for the UI, the CLI's JSON and the benchmark.
#[derive(Clone, Debug, PartialEq)]
pub struct PrepareReport {
    pub format: Format,
    pub source_width: u32,
    pub source_height: u32,
    /// The size the decoder produced (smaller than the source when DCT scaling was used).
    pub decoded_width: u32,
    pub decoded_height: u32,
    /// M of the M/8 DCT scale (8 = decoded at full size).
    pub scale_eighths: u8,
    pub exif: ExifOrientation,
    /// The upload quality used (chosen per photo unless fixed by the options).
    pub upload_quality: f32,
    /// Wall time of the whole preparation, and of its stages.
    pub elapsed_ms: u64,
    pub decode_resize_ms: u64,
    pub coach_ms: u64,
    pub encode_ms: u64,
}

/// An upload image, its thumbnail, the coaching, and the report.
#[derive(Clone, Debug, PartialEq)]
pub struct PreparedPhoto {
    pub upload: EncodedImage,
    pub thumbnail: EncodedImage,
    pub coaching: Coaching,
    pub report: PrepareReport,
}

/// Prepare the photo in the file at `path`.
pub fn prepare_file(path: &Path, opts: &PrepareOptions) -> Result<PreparedPhoto, PhotoError> {
    let file = File::open(path).map_err(PhotoError::Unreadable)?;
    let len = file.metadata().map_err(PhotoError::Unreadable)?.len();
    if len > MAX_FILE_BYTES {
        return Err(PhotoError::FileTooLarge { bytes: len });
    }
    guarded(|| pipeline(BufReader::with_capacity(64 * 1024, file), opts))
}

/// Prepare a photo already in memory.
pub fn prepare_bytes(bytes: &[u8], opts: &PrepareOptions) -> Result<PreparedPhoto, PhotoError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(PhotoError::FileTooLarge { bytes: bytes.len() as u64 });
    }
    guarded(|| pipeline(Cursor::new(bytes), opts))
}

/// Run `f`, turning an unwind (libjpeg's errors, or a bug) into a typed error, so no panic
/// ever reaches the caller, let alone crosses the FFI.
fn guarded<T>(f: impl FnOnce() -> Result<T, PhotoError>) -> Result<T, PhotoError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(decode::from_panic(payload)))
}

fn pipeline<R: BufRead + Seek>(reader: R, opts: &PrepareOptions) -> Result<PreparedPhoto, PhotoError> {
    let started = Instant::now();
    if opts.max_edge == 0 || opts.thumb_edge == 0 {
        return Err(PhotoError::Internal("zero output size".into()));
    }
    let mut opened = decode::open(reader, opts.max_edge)?;
    let (sw, sh) = (opened.source_width, opened.source_height);
    let (dw, dh) = (opened.rows.width(), opened.rows.height());
    let reduced = reduce(&mut opened, opts.max_edge)?;
    drop(opened.rows);
    let (tw, th) = (reduced.width(), reduced.height());
    let orientation = opened.exif.orientation();
    let (thw, thh) = fit_within(tw, th, opts.thumb_edge);
    let thumb = reduced.resized(thw, thh)?;
    let decoded_at = Instant::now();
    let coaching = coach::assess(&reduced.y, sw, sh);
    let at = |quality: f32| EncodeSettings {
        quality,
        trellis: opts.upload_trellis,
        chroma_quality: (opts.upload_chroma_offset != 0.0).then_some(quality + opts.upload_chroma_offset),
        table: opts.upload_table,
    };
    let quality = match opts.upload_quality {
        Quality::PerPhoto => quality::choose_quality(&QualityProbe::new(&reduced), at(MIN_QUALITY), &UPLOAD_MODEL),
        Quality::Fixed(q) => q,
    };
    let coached_at = Instant::now();
    let settings = at(quality);
    let upload = encoded(&reduced, orientation, settings)?;
    drop(reduced);
    let thumbnail = encoded(&thumb, orientation, opts.thumbnail)?;
    Ok(PreparedPhoto {
        upload,
        thumbnail,
        coaching,
        report: PrepareReport {
            format: opened.format,
            source_width: sw,
            source_height: sh,
            decoded_width: dw,
            decoded_height: dh,
            scale_eighths: opened.scale_eighths,
            exif: opened.exif,
            upload_quality: quality,
            elapsed_ms: started.elapsed().as_millis() as u64,
            decode_resize_ms: (decoded_at - started).as_millis() as u64,
            coach_ms: (coached_at - decoded_at).as_millis() as u64,
            encode_ms: coached_at.elapsed().as_millis() as u64,
        },
    })
}

/// The photo decoded and resized to the upload's size, as YCbCr 4:2:0 planes in its stored
/// orientation: what the encoder is given.
fn reduce(opened: &mut decode::Opened<'_>, max_edge: u32) -> Result<Ycc420, PhotoError> {
    let (dw, dh) = (opened.rows.width(), opened.rows.height());
    // The output size comes from the source's, so every scale gives the same result size.
    // Sizes are in the stored orientation until the encoder turns the image upright.
    let (tw, th) = fit_within(opened.source_width, opened.source_height, max_edge);
    let (tw, th) = (tw.min(dw), th.min(dh));
    let mut reduced = ycc::Ycc420Builder::new(tw, th)?;
    resize::resize_rows(opened.rows.as_mut(), tw, th, &mut |rows| reduced.push_rows(rows))?;
    reduced.finish()
}

/// The planes the pipeline would encode as the upload of this photo (the benchmark's fitting
/// of the quality model).
pub fn upload_planes(bytes: &[u8], opts: &PrepareOptions) -> Result<Ycc420, PhotoError> {
    guarded(|| reduce(&mut decode::open(Cursor::new(bytes), opts.max_edge)?, opts.max_edge))
}

fn encoded(img: &Ycc420, orientation: Orientation, settings: EncodeSettings) -> Result<EncodedImage, PhotoError> {
    let (w, h) = orientation.upright_size(img.width(), img.height());
    Ok(EncodedImage::new(encode::encode_jpeg(img, orientation, settings)?, w, h))
}

/// Decode a JPEG or PNG whole, upright, at full size (tests, the benchmark's reference).
pub fn decode_full(bytes: &[u8]) -> Result<RgbImage, PhotoError> {
    guarded(|| {
        let mut opened = decode::open(Cursor::new(bytes), u32::MAX / 2)?;
        let (w, h) = (opened.rows.width(), opened.rows.height());
        let img = resize::read_resized(opened.rows.as_mut(), w, h)?;
        Ok(orient::apply(img, opened.exif.orientation()))
    })
}

/// Encode RGB pixels as a JPEG with the pipeline's encoder (tests, fixtures, the benchmark).
pub fn encode_rgb(img: &RgbImage, quality: f32) -> Result<Vec<u8>, PhotoError> {
    guarded(|| encode::encode_jpeg(&Ycc420::from_rgb(img)?, Orientation::Normal, EncodeSettings::new(quality, false)))
}

#[cfg(test)]
mod tests;
