//! Encoding with mozjpeg, driven through `mozjpeg-sys` so every setting is ours to choose. The
//! input is the pipeline's own YCbCr 4:2:0 planes, given raw (libjpeg converts and downsamples
//! nothing) and turned upright row by row as they are handed over. Settings: progressive scans (its standard script, without the costly scan search), optimised Huffman
//! tables, one of mozjpeg's quantisation tables (the upload's is a setting: table 4, tuned for
//! PSNR-HVS) and 4:2:0 chroma (4:4:4 measured worse at equal
//! SSIMULACRA2). Trellis quantisation is a setting: it saves bytes but was most of the whole
//! pipeline's instructions (figures in docs/adr/0007-photo-pipeline.md).
//! Nothing but the pixels is written: no EXIF, no ICC profile, no comment (only the 18-byte
//! JFIF header every JPEG reader expects).

use super::decode::error_manager;
use super::error::PhotoError;
use super::orient::Orientation;
use super::ycc::{Plane, Ycc420};
use mozjpeg_sys as ffi;
use std::ffi::{c_ulong, c_void};

/// How to encode.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EncodeSettings {
    /// 0-100, libjpeg's scale applied to mozjpeg's tables.
    pub quality: f32,
    /// Trellis quantisation (rate-distortion search per block).
    pub trellis: bool,
    /// The chroma tables' quality, when it differs from `quality` (the luma's).
    pub chroma_quality: Option<f32>,
    /// Which of mozjpeg's base quantisation tables `quality` scales (its `-quant-table`: 0 is
    /// the JPEG standard's Annex K, 3 mozjpeg's default, N. Robidoux's for ImageMagick).
    pub table: u8,
}

impl EncodeSettings {
    /// `quality` on mozjpeg's default table, chroma at the luma's quality.
    pub fn new(quality: f32, trellis: bool) -> Self {
        EncodeSettings { quality, trellis, chroma_quality: None, table: 3 }
    }
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
            cinfo.in_color_space = ffi::J_COLOR_SPACE::JCS_YCbCr;
            // mozjpeg's defaults: its quantisation tables, optimised Huffman tables, trellis.
            ffi::jpeg_set_defaults(cinfo);
            ffi::jpeg_c_set_bool_param(cinfo, ffi::J_BOOLEAN_PARAM::JBOOLEAN_TRELLIS_QUANT, settings.trellis as _);
            ffi::jpeg_c_set_bool_param(cinfo, ffi::J_BOOLEAN_PARAM::JBOOLEAN_TRELLIS_QUANT_DC, settings.trellis as _);
            // mozjpeg's scan search tries several progressive scripts and keeps the smallest:
            // 3% fewer bytes for a quarter of the pipeline's instructions. Off, and before
            // choosing the script, which depends on it.
            ffi::jpeg_c_set_bool_param(cinfo, ffi::J_BOOLEAN_PARAM::JBOOLEAN_OPTIMIZE_SCANS, 0);
            ffi::jpeg_simple_progression(cinfo);
            cinfo.optimize_coding = 1;
            ffi::jpeg_c_set_int_param(cinfo, ffi::J_INT_PARAM::JINT_BASE_QUANT_TBL_IDX, settings.table.min(8) as _);
            let q = |q: f32| q.round().clamp(1.0, 100.0) as _;
            // libjpeg scales both tables by one quality; a chroma quality of its own is set by
            // scaling for it first and keeping table 1 (chroma's) from that.
            let chroma = settings.chroma_quality.map(|cq| {
                ffi::jpeg_set_quality(cinfo, q(cq), 0);
                (*cinfo.quant_tbl_ptrs[1]).quantval
            });
            ffi::jpeg_set_quality(cinfo, q(settings.quality), 0);
            if let Some(table) = chroma {
                (*cinfo.quant_tbl_ptrs[1]).quantval = table;
            }
            // 4:2:0, as cameras write: the eye does not miss the chroma, the bytes do.
            let comps = std::slice::from_raw_parts_mut(cinfo.comp_info, 3);
            for (comp, factor) in comps.iter_mut().zip([2, 1, 1]) {
                comp.h_samp_factor = factor;
                comp.v_samp_factor = factor;
            }
            cinfo.raw_data_in = 1;
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

/// The luma and chroma quantisation tables (natural order) that `settings` makes mozjpeg use,
/// asked of mozjpeg itself, so the quality chooser measures the very steps the encoder takes.
pub fn quant_tables(settings: EncodeSettings) -> [[u16; 64]; 2] {
    let c = Compressor::new(16, 16, settings);
    // SAFETY: `Compressor::new` set both tables (jpeg_set_quality allocates and fills them).
    unsafe { [(*c.cinfo.quant_tbl_ptrs[0]).quantval, (*c.cinfo.quant_tbl_ptrs[1]).quantval] }
}

/// Encode `img`, turned by `orientation`, as a JPEG. Errors from libjpeg unwind and are caught
/// at the pipeline boundary.
pub fn encode_jpeg(img: &Ycc420, orientation: Orientation, settings: EncodeSettings) -> Result<Vec<u8>, PhotoError> {
    let (w, h) = orientation.upright_size(img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(PhotoError::Internal("encode: empty image".into()));
    }
    let mut c = Compressor::new(w, h, settings);
    // One iMCU row at a time: 16 luma rows and 8 of each chroma plane, upright, each padded on
    // the right to whole 8 x 8 blocks and the last rows repeated below the image, as libjpeg's
    // raw input requires (it would otherwise read past the planes).
    let mut luma = Rows::new(&img.y, orientation, 16);
    let mut cb = Rows::new(&img.cb, orientation, 8);
    let mut cr = Rows::new(&img.cr, orientation, 8);
    // SAFETY: the row pointers point into the scratch buffers of `luma`, `cb` and `cr`, which
    // hold as many padded rows as libjpeg reads in one call and outlive it.
    unsafe {
        ffi::jpeg_start_compress(&mut c.cinfo, 1);
        for imcu in 0..h.div_ceil(16) as usize {
            let planes = [luma.fill(imcu), cb.fill(imcu), cr.fill(imcu)];
            ffi::jpeg_write_raw_data(&mut c.cinfo, planes.as_ptr(), 16);
        }
    }
    Ok(c.finish())
}

/// The upright, padded rows of one plane that one call to `jpeg_write_raw_data` reads.
struct Rows<'a> {
    plane: &'a Plane,
    orientation: Orientation,
    upright: (usize, usize),
    stride: usize,
    scratch: Vec<u8>,
    /// Where each row of `scratch` starts (the buffer never moves).
    pointers: Vec<*const u8>,
}

impl<'a> Rows<'a> {
    fn new(plane: &'a Plane, orientation: Orientation, rows: usize) -> Rows<'a> {
        let (uw, uh) = orientation.upright_size(plane.width, plane.height);
        // Whole blocks, and a multiple of 16 so luma covers whole 4:2:0 MCUs.
        let stride = (uw as usize).div_ceil(16) * 16;
        let scratch = vec![0; stride * rows];
        let pointers = scratch.chunks_exact(stride).map(<[u8]>::as_ptr).collect();
        Rows { plane, orientation, upright: (uw as usize, uh as usize), stride, scratch, pointers }
    }

    /// Rows `imcu * n .. (imcu + 1) * n` (n = 16 or 8), as libjpeg's array of row pointers.
    fn fill(&mut self, imcu: usize) -> *const *const u8 {
        let (uw, uh) = self.upright;
        let (w, h) = (self.plane.width as usize, self.plane.height as usize);
        let n = self.scratch.len() / self.stride;
        for (i, row) in self.scratch.chunks_exact_mut(self.stride).enumerate() {
            let uy = (imcu * n + i).min(uh - 1);
            self.orientation.upright_row(&self.plane.data, w, h, 1, uy, &mut row[..uw]);
            let last = row[uw - 1];
            row[uw..].fill(last);
        }
        self.pointers.as_ptr()
    }
}
