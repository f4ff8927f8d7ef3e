//! Encoding with mozjpeg, driven through `mozjpeg-sys` so every setting is ours to choose:
//! progressive scans (its standard script, without the costly scan search), optimised Huffman
//! tables, mozjpeg's quantisation tables and 4:2:0 chroma (4:4:4 measured worse at equal
//! SSIMULACRA2). Trellis quantisation is a setting: it saves bytes but was most of the whole
//! pipeline's instructions (figures in docs/adr/0007-photo-pipeline.md).
//! Nothing but the pixels is written: no EXIF, no ICC profile, no comment (only the 18-byte
//! JFIF header every JPEG reader expects).

use super::decode::error_manager;
use super::error::PhotoError;
use super::resize::RgbImage;
use mozjpeg_sys as ffi;
use std::ffi::{c_ulong, c_void};

/// How to encode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncodeSettings {
    /// 0-100, libjpeg's scale applied to mozjpeg's tables.
    pub quality: f32,
    /// Trellis quantisation (rate-distortion search per block).
    pub trellis: bool,
}

extern "C" {
    fn free(ptr: *mut c_void);
}

/// A compressor writing into a buffer libjpeg grows with `malloc`; destroyed (and the buffer
/// freed) on drop, so an error unwinding out of libjpeg leaks nothing.
struct Compressor {
    cinfo: ffi::jpeg_compress_struct,
    err: Box<ffi::jpeg_error_mgr>,
    out: *mut u8,
    out_len: c_ulong,
}

impl Compressor {
    fn new(width: u32, height: u32, settings: EncodeSettings) -> Box<Compressor> {
        // SAFETY: zeroed structs are what libjpeg's create/std_error expect to fill; the box
        // keeps `cinfo`, `err`, `out` and `out_len` at fixed addresses, which libjpeg keeps
        // pointers to.
        let mut c = Box::new(Compressor {
            cinfo: unsafe { std::mem::zeroed() },
            err: Box::new(error_manager()),
            out: std::ptr::null_mut(),
            out_len: 0,
        });
        unsafe {
            c.cinfo.common.err = &mut *c.err;
            ffi::jpeg_create_compress(&mut c.cinfo);
            let cinfo = &mut c.cinfo;
            cinfo.image_width = width;
            cinfo.image_height = height;
            cinfo.input_components = 3;
            cinfo.in_color_space = ffi::J_COLOR_SPACE::JCS_RGB;
            // mozjpeg's defaults: its quantisation tables, optimised Huffman tables, trellis.
            ffi::jpeg_set_defaults(cinfo);
            ffi::jpeg_c_set_bool_param(
                cinfo,
                ffi::J_BOOLEAN_PARAM::JBOOLEAN_TRELLIS_QUANT,
                settings.trellis as _,
            );
            ffi::jpeg_c_set_bool_param(
                cinfo,
                ffi::J_BOOLEAN_PARAM::JBOOLEAN_TRELLIS_QUANT_DC,
                settings.trellis as _,
            );
            // mozjpeg's scan search tries several progressive scripts and keeps the smallest:
            // 3% fewer bytes for a quarter of the pipeline's instructions. Off, and before
            // choosing the script, which depends on it.
            ffi::jpeg_c_set_bool_param(cinfo, ffi::J_BOOLEAN_PARAM::JBOOLEAN_OPTIMIZE_SCANS, 0);
            ffi::jpeg_simple_progression(cinfo);
            cinfo.optimize_coding = 1;
            ffi::jpeg_set_quality(cinfo, settings.quality.round().clamp(1.0, 100.0) as _, 0);
            // 4:2:0, as cameras write: the eye does not miss the chroma, the bytes do.
            let comps = std::slice::from_raw_parts_mut(cinfo.comp_info, 3);
            for (comp, factor) in comps.iter_mut().zip([2, 1, 1]) {
                comp.h_samp_factor = factor;
                comp.v_samp_factor = factor;
            }
            ffi::jpeg_mem_dest(cinfo, &mut c.out, &mut c.out_len);
        }
        c
    }

    /// The finished file.
    fn finish(&mut self) -> Vec<u8> {
        // SAFETY: called once, after every scanline was written; libjpeg then sets `out` and
        // `out_len` to the buffer it filled.
        unsafe {
            ffi::jpeg_finish_compress(&mut self.cinfo);
            std::slice::from_raw_parts(self.out, self.out_len as usize).to_vec()
        }
    }
}

impl Drop for Compressor {
    fn drop(&mut self) {
        // SAFETY: created in `new`; the output buffer, if any, came from libjpeg's malloc.
        unsafe {
            ffi::jpeg_destroy_compress(&mut self.cinfo);
            if !self.out.is_null() {
                free(self.out.cast());
            }
        }
    }
}

/// Encode `img` as a JPEG. Errors from libjpeg unwind and are caught at the pipeline boundary.
pub fn encode_jpeg(img: &RgbImage, settings: EncodeSettings) -> Result<Vec<u8>, PhotoError> {
    if img.width == 0
        || img.height == 0
        || img.data.len() != img.width as usize * img.height as usize * 3
    {
        return Err(PhotoError::Internal(
            "encode: image size and pixel data disagree".into(),
        ));
    }
    let mut c = Compressor::new(img.width, img.height, settings);
    let row = img.width as usize * 3;
    // SAFETY: each row pointer points at `row` bytes of `img.data`, alive for the call.
    unsafe {
        ffi::jpeg_start_compress(&mut c.cinfo, 1);
        for chunk in img.data.chunks(row * 16) {
            let rows: Vec<*const u8> = chunk.chunks_exact(row).map(<[u8]>::as_ptr).collect();
            ffi::jpeg_write_scanlines(&mut c.cinfo, rows.as_ptr(), rows.len() as _);
        }
    }
    Ok(c.finish())
}
