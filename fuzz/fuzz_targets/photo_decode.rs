//! Bytes as a photo from the camera or the gallery, through the phone's whole pipeline with
//! the catalog's default options (`fundi_core::photos::prepare_bytes`: sniffing, header limits,
//! JPEG/PNG decode, resize, orientation, coaching, encode). Only typed errors may come out, never
//! an internal one (a caught panic); what comes out is a JPEG of the promised sizes that decodes.
//! Run with a small RSS limit (`scripts/fuzz` passes `-rss_limit_mb=512`).
#![no_main]

use fundi_core::photos::{decode_full, prepare_bytes, PhotoError, PrepareOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = PrepareOptions::default();
    match prepare_bytes(data, &opts) {
        Ok(p) => {
            assert!(p.upload.width.max(p.upload.height) <= opts.max_edge);
            assert!(p.thumbnail.width.max(p.thumbnail.height) <= opts.thumb_edge);
            assert!(p.upload.width > 0 && p.upload.height > 0 && p.thumbnail.width > 0 && p.thumbnail.height > 0);
            for img in [&p.upload, &p.thumbnail] {
                let back = decode_full(&img.bytes).unwrap_or_else(|e| panic!("our own JPEG does not decode: {e:?}"));
                assert_eq!((back.width, back.height), (img.width, img.height));
            }
        }
        Err(PhotoError::Internal(e)) => panic!("internal error (a caught panic?): {e}"),
        Err(_) => {}
    }
});
