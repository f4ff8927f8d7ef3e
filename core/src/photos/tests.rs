//! Pipeline tests: sizes, scaling, metadata, coaching, and every kind of hostile input.
//! Synthetic images are built here; `fixtures/photos/` holds the real camera-like ones.

use super::*;
use std::path::PathBuf;

/// A textured test card: sharp edges (checks), gradients and some noise, like a woven basket.
pub(crate) fn card(w: u32, h: u32) -> RgbImage {
    let mut data = Vec::with_capacity((w * h * 3) as usize);
    let mut seed = 12345u32;
    for y in 0..h {
        for x in 0..w {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let noise = (seed >> 24) as i32 % 24 - 12;
            let check = if ((x / 12) + (y / 12)) % 2 == 0 { 60 } else { 190 };
            let r = (check + noise).clamp(0, 255) as u8;
            let g = ((x * 255 / w) as i32 + noise).clamp(0, 255) as u8;
            let b = ((y * 255 / h) as i32).clamp(0, 255) as u8;
            data.extend_from_slice(&[r, g, b]);
        }
    }
    RgbImage { width: w, height: h, data }
}

pub(crate) fn jpeg(img: &RgbImage) -> Vec<u8> {
    encode_rgb(img, 92.0).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures/photos").join(name)
}

fn map(img: &RgbImage, f: impl Fn(u8) -> u8) -> RgbImage {
    RgbImage { width: img.width, height: img.height, data: img.data.iter().map(|&v| f(v)).collect() }
}

fn box_blur(img: &RgbImage, radius: i64) -> RgbImage {
    let (w, h) = (img.width as i64, img.height as i64);
    let mut out = img.clone();
    for pass in 0..2 {
        let src = out.clone();
        for y in 0..h {
            for x in 0..w {
                for c in 0..3 {
                    let mut sum = 0u32;
                    let mut n = 0u32;
                    for d in -radius..=radius {
                        let (sx, sy) = if pass == 0 { (x + d, y) } else { (x, y + d) };
                        if (0..w).contains(&sx) && (0..h).contains(&sy) {
                            sum += src.data[((sy * w + sx) * 3 + c) as usize] as u32;
                            n += 1;
                        }
                    }
                    out.data[((y * w + x) * 3 + c) as usize] = (sum / n) as u8;
                }
            }
        }
    }
    out
}

/// `bytes` with an APP1 segment holding `payload` right after SOI.
fn with_app1(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() + 2) as u16;
    [&bytes[..2], &[0xFF, 0xE1], &len.to_be_bytes(), payload, &bytes[2..]].concat()
}

fn sof_offset(bytes: &[u8]) -> usize {
    bytes.windows(2).position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).unwrap()
}

#[test]
fn a_12_mp_photo_becomes_1600_px_and_a_thumbnail_decoded_at_4_8() {
    let src = jpeg(&card(4000, 3000));
    let p = prepare_bytes(&src, &PrepareOptions::default()).unwrap();
    assert_eq!((p.upload.width, p.upload.height), (1600, 1200));
    assert_eq!((p.thumbnail.width, p.thumbnail.height), (320, 240));
    assert_eq!(p.report.scale_eighths, 4);
    assert_eq!((p.report.decoded_width, p.report.decoded_height), (2000, 1500));
    let back = decode_full(&p.upload.bytes).unwrap();
    assert_eq!((back.width, back.height), (1600, 1200));
    assert!(p.upload.bytes.len() < src.len() / 4, "upload {} vs source {}", p.upload.bytes.len(), src.len());
    assert_eq!(p.upload.sha256.len(), 64);
    assert_ne!(p.upload.sha256, p.thumbnail.sha256);
}

#[test]
fn small_photos_are_not_enlarged_and_are_flagged_too_small() {
    let p = prepare_bytes(&jpeg(&card(400, 300)), &PrepareOptions::default()).unwrap();
    assert_eq!((p.upload.width, p.upload.height), (400, 300));
    assert_eq!(p.report.scale_eighths, 8);
    assert!(p.coaching.advice.contains(&Advice::TooSmall));
}

#[test]
fn png_input_with_alpha_is_prepared() {
    let (w, h) = (900u32, 700u32);
    let mut rgba = vec![];
    for (i, px) in card(w, h).data.chunks_exact(3).enumerate() {
        rgba.extend_from_slice(px);
        rgba.push(if i % 7 == 0 { 0 } else { 255 });
    }
    let mut out = vec![];
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header().unwrap().write_image_data(&rgba).unwrap();
    }
    let p = prepare_bytes(&out, &PrepareOptions::default()).unwrap();
    assert_eq!(p.report.format, Format::Png);
    assert_eq!((p.upload.width, p.upload.height), (900, 700));
}

#[test]
fn exif_orientation_is_applied_and_every_byte_of_metadata_dropped() {
    let exif = {
        // Orientation 6, plus text that must not survive.
        let mut b = b"Exif\0\0II*\0".to_vec();
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(b"GPS-SECRET-NAIROBI");
        b
    };
    let src = with_app1(&jpeg(&card(2000, 1000)), &exif);
    let p = prepare_bytes(&src, &PrepareOptions::default()).unwrap();
    assert_eq!(p.report.exif, ExifOrientation::Found(Orientation::Rotate90));
    assert_eq!((p.upload.width, p.upload.height), (800, 1600));
    assert_eq!((p.thumbnail.width, p.thumbnail.height), (160, 320));
    for out in [&p.upload.bytes, &p.thumbnail.bytes] {
        let has = |needle: &[u8]| out.windows(needle.len()).any(|w| w == needle);
        assert!(!has(b"GPS-SECRET"), "metadata leaked");
        assert!(!has(b"Exif"), "an EXIF block was written");
        assert!(!has(&[0xFF, 0xE1]) || !has(b"II*\0"), "APP1 written");
    }
}

#[test]
fn the_rotated_camera_fixture_comes_out_upright_without_its_gps() {
    let path = fixture("camera-portrait-orientation6.jpg");
    let src = std::fs::read(&path).unwrap();
    assert!(src.windows(12).any(|w| w == b"FundiTestCam"), "the fixture carries camera EXIF");
    let p = prepare_file(&path, &PrepareOptions::default()).unwrap();
    assert_eq!(p.report.exif, ExifOrientation::Found(Orientation::Rotate90));
    assert!(p.upload.height > p.upload.width, "portrait after rotation");
    assert!(!p.upload.bytes.windows(12).any(|w| w == b"FundiTestCam"));
    // Same picture as a full-size upright decode, and not as the stored (sideways) pixels
    // turned the other way.
    let img = decode_full(&p.upload.bytes).unwrap();
    let full = decode_full(&src).unwrap();
    let reference = resize::resize(&full, img.width, img.height).unwrap();
    let diff = |a: &RgbImage, b: &RgbImage| {
        a.data.iter().zip(&b.data).map(|(x, y)| x.abs_diff(*y) as u64).sum::<u64>() as f64 / a.data.len() as f64
    };
    assert!(diff(&img, &reference) < 4.0, "differs from the upright reference: {}", diff(&img, &reference));
    // The thumbnail too (it is resized from the stored planes and turned as it is encoded).
    let thumb = decode_full(&p.thumbnail.bytes).unwrap();
    let thumb_reference = resize::resize(&full, thumb.width, thumb.height).unwrap();
    assert!(diff(&thumb, &thumb_reference) < 6.0, "thumbnail differs: {}", diff(&thumb, &thumb_reference));
    assert!(diff(&thumb, &orient::apply(thumb_reference, Orientation::Rotate180)) > 20.0);
    let upside_down = orient::apply(reference, Orientation::Rotate180);
    assert!(diff(&img, &upside_down) > 20.0);
}

#[test]
fn coaching_flags_blur_darkness_and_overexposure_but_not_a_good_photo() {
    let good = card(1600, 1200);
    let assess = |img: &RgbImage| coach::assess(&Ycc420::from_rgb(img).unwrap().y, 4000, 3000);
    let advice = |img: &RgbImage| assess(img).advice;
    assert_eq!(advice(&good), vec![], "{:?}", assess(&good));
    let blurred = box_blur(&card(800, 600), 6);
    assert!(advice(&blurred).contains(&Advice::Blurry), "{:?}", assess(&blurred));
    let dark = map(&good, |v| v / 5);
    assert!(advice(&dark).contains(&Advice::TooDark));
    let bright = map(&good, |v| v.saturating_add(200));
    assert!(advice(&bright).contains(&Advice::Overexposed));
    assert!(!advice(&bright).contains(&Advice::TooDark));
}

fn expect_err(bytes: &[u8]) -> PhotoError {
    match prepare_bytes(bytes, &PrepareOptions::default()) {
        Ok(_) => panic!("accepted a hostile input"),
        Err(PhotoError::Internal(e)) => panic!("internal error (a caught panic?) instead of a typed one: {e}"),
        Err(e) => e,
    }
}

#[test]
fn empty_and_non_images_are_refused() {
    assert!(matches!(expect_err(b""), PhotoError::Empty));
    assert!(matches!(expect_err(b"%PDF-1.7 hello"), PhotoError::NotAnImage));
    assert!(matches!(expect_err(&[0u8; 4096]), PhotoError::NotAnImage));
    assert!(matches!(expect_err(b"\xFF\xD8"), PhotoError::NotAnImage | PhotoError::Truncated));
}

#[test]
fn a_60000_x_60000_jpeg_header_is_refused_before_decoding() {
    let mut bomb = jpeg(&card(64, 64));
    let at = sof_offset(&bomb);
    bomb[at + 5..at + 7].copy_from_slice(&60000u16.to_be_bytes());
    bomb[at + 7..at + 9].copy_from_slice(&60000u16.to_be_bytes());
    assert!(matches!(expect_err(&bomb), PhotoError::TooLarge { width: 60000, height: 60000 }));
}

#[test]
fn a_60000_x_60000_png_header_is_refused_before_decoding() {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&60000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let crc = crc32(&ihdr);
    let bomb = [b"\x89PNG\r\n\x1a\n".as_slice(), &13u32.to_be_bytes(), &ihdr, &crc.to_be_bytes()].concat();
    assert!(matches!(expect_err(&bomb), PhotoError::TooLarge { .. }));
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn truncated_jpegs_are_typed_errors_at_every_length() {
    let full = jpeg(&card(96, 64));
    assert!(matches!(expect_err(&full[..full.len() / 2]), PhotoError::Truncated));
    for n in 1..full.len() - 2 {
        match prepare_bytes(&full[..n], &PrepareOptions::default()) {
            Err(PhotoError::Internal(e)) => panic!("cut at {n}: internal {e}"),
            Ok(_) => panic!("cut at {n}: accepted"),
            Err(_) => {}
        }
    }
}

#[test]
fn corrupt_jpegs_are_typed_errors() {
    let full = jpeg(&card(256, 192));
    let mut seed = 7u32;
    let mut refused = 0;
    for round in 0..200 {
        let mut bad = full.clone();
        for _ in 0..(1 + round % 8) {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let at = (seed as usize >> 8) % bad.len();
            bad[at] ^= (seed >> 3) as u8 | 1;
        }
        match prepare_bytes(&bad, &PrepareOptions::default()) {
            Err(PhotoError::Internal(e)) => panic!("round {round}: internal {e}"),
            Err(_) => refused += 1,
            Ok(_) => {} // damage inside the pixels that the decoder cannot see
        }
    }
    // Most flipped bits inside entropy-coded data decode to wrong pixels that no decoder can
    // tell from right ones; damage to headers, tables and codes must be noticed.
    assert!(refused >= 5, "only {refused} of 200 damaged files were noticed");
}

#[test]
fn a_jpeg_with_thousands_of_scans_is_refused() {
    let mut bomb = jpeg(&card(64, 64));
    let eoi = bomb.len() - 2;
    let extra: Vec<u8> = std::iter::repeat_n([0xFF, 0xDA, 0x00, 0x02], 600).flatten().collect();
    bomb.splice(eoi..eoi, extra);
    assert!(matches!(expect_err(&bomb), PhotoError::Corrupt(_)));
}

#[test]
fn absurd_exif_is_ignored_and_the_photo_still_prepared() {
    let base = jpeg(&card(640, 480));
    for payload in [
        b"Exif\0\0".to_vec(),
        b"Exif\0\0II*\0\xff\xff\xff\x7f".to_vec(),
        [b"Exif\0\0MM\0*\0\0\0\x08\xff\xff".as_slice(), &[0xAB; 2000]].concat(),
        [b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0\x63\x00\0\0\0\0\0\0".as_slice()].concat(),
    ] {
        let p = prepare_bytes(&with_app1(&base, &payload), &PrepareOptions::default()).unwrap();
        assert!(matches!(p.report.exif, ExifOrientation::Unreadable), "{:?}", p.report.exif);
        assert_eq!((p.upload.width, p.upload.height), (640, 480));
    }
}

#[test]
fn unreadable_and_oversized_files_are_typed_errors() {
    let missing = prepare_file(Path::new("/nonexistent/photo.jpg"), &PrepareOptions::default());
    assert!(matches!(missing, Err(PhotoError::Unreadable(_))));
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jpg");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap();
    assert!(matches!(prepare_file(&big, &PrepareOptions::default()), Err(PhotoError::FileTooLarge { .. })));
}

#[test]
fn the_hostile_fixtures_get_the_expected_typed_errors() {
    let opts = PrepareOptions::default();
    let err = |name: &str| match prepare_file(&fixture(&format!("hostile/{name}")), &opts) {
        Ok(_) => panic!("{name} accepted"),
        Err(e) => e,
    };
    assert!(matches!(err("bomb-60000x60000.jpg"), PhotoError::TooLarge { width: 60000, height: 60000 }));
    assert!(matches!(err("truncated.jpg"), PhotoError::Truncated));
    assert!(matches!(err("zero-bytes.jpg"), PhotoError::Empty));
    assert!(matches!(err("not-an-image.jpg"), PhotoError::NotAnImage));
    assert!(matches!(err("corrupt.jpg"), PhotoError::Corrupt(_)), "{:?}", err("corrupt.jpg"));
    let absurd = prepare_file(&fixture("hostile/absurd-exif.jpg"), &opts).unwrap();
    assert_eq!(absurd.report.exif, ExifOrientation::Unreadable);
}

#[test]
fn the_12_mp_camera_fixture_is_decoded_scaled_and_keeps_detail() {
    let p = prepare_file(&fixture("camera-12mp-baseline.jpg"), &PrepareOptions::default()).unwrap();
    assert_eq!((p.report.source_width, p.report.source_height), (4000, 3000));
    assert_eq!(p.report.scale_eighths, 4);
    assert_eq!((p.upload.width, p.upload.height), (1600, 1200));
    assert!(!p.coaching.advice.contains(&Advice::Blurry), "{:?}", p.coaching);
    assert!(p.upload.bytes.len() < 400_000, "{} bytes", p.upload.bytes.len());
}

/// The markers of a JPEG's header, up to its first scan (SOS).
fn header_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = vec![];
    let mut at = 2;
    while at + 4 <= jpeg.len() && jpeg[at] == 0xFF {
        let marker = jpeg[at + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        at += 2 + u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]) as usize;
    }
    markers
}

#[test]
fn uploads_and_thumbnails_are_progressive_jpegs_with_only_a_jfif_header() {
    let p = prepare_bytes(&jpeg(&card(2000, 1500)), &PrepareOptions::default()).unwrap();
    for out in [&p.upload.bytes, &p.thumbnail.bytes] {
        let markers = header_markers(out);
        assert!(markers.contains(&0xC2), "not progressive (SOF2): {markers:02X?}");
        assert!(!markers.contains(&0xC0), "baseline frame: {markers:02X?}");
        // APP0 (JFIF) only: no APP1 (EXIF), APP2 (ICC) or comment.
        assert!(!markers.iter().any(|&m| (0xE1..=0xEF).contains(&m) || m == 0xFE), "{markers:02X?}");
        let scans = out.windows(2).filter(|w| w == &[0xFF, 0xDA]).count();
        assert!(scans > 1, "{scans} scan(s)");
    }
}

#[test]
fn tiny_and_thin_photos_in_every_orientation_come_out_whole() {
    for (w, h) in [(1, 1), (2, 1), (1, 2), (3, 3), (17, 1), (1, 17), (33, 5), (5, 2001)] {
        for v in 1..=8u16 {
            let src = with_app1(&jpeg(&card(w, h)), &orient::tests::exif_with_orientation(v));
            let p = prepare_bytes(&src, &PrepareOptions::default()).unwrap_or_else(|e| panic!("{w}x{h} orientation {v}: {e:?}"));
            let o = Orientation::from_exif_value(v).unwrap();
            let (tw, th) = fit_within(w, h, 1600);
            assert_eq!((p.upload.width, p.upload.height), o.upright_size(tw, th), "{w}x{h} orientation {v}");
            let decoded = decode_full(&p.upload.bytes).unwrap();
            assert_eq!((decoded.width, decoded.height), (p.upload.width, p.upload.height));
            assert!(p.coaching.advice.contains(&Advice::TooSmall));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The per-photo quality

/// SSIMULACRA2 of `jpeg` against `reference` (the metric the benchmark uses; a dev-dependency
/// only: the phone never runs it).
fn ssimulacra2_of(reference: &RgbImage, jpeg: &[u8]) -> f64 {
    let decoded = decode_full(jpeg).unwrap();
    assert_eq!((decoded.width, decoded.height), (reference.width, reference.height));
    let linear = |img: &RgbImage| {
        let px = img.data.chunks_exact(3).map(|p| [p[0] as f32 / 255.0, p[1] as f32 / 255.0, p[2] as f32 / 255.0]).collect();
        ssimulacra2::Rgb::new(
            px,
            img.width as usize,
            img.height as usize,
            ssimulacra2::TransferCharacteristic::SRGB,
            ssimulacra2::ColorPrimaries::BT709,
        )
        .unwrap()
    };
    ssimulacra2::compute_frame_ssimulacra2(linear(reference), linear(&decoded)).unwrap()
}

/// The benchmark's reference: the original decoded whole, upright, resized with Lanczos3 to the
/// upload's size (no DCT scaling).
fn reference_of(src: &[u8], max_edge: u32) -> RgbImage {
    let full = decode_full(src).unwrap();
    let (w, h) = fit_within(full.width, full.height, max_edge);
    resize::resize(&full, w, h).unwrap()
}

#[test]
fn every_camera_fixture_uploads_at_ssimulacra2_72_or_more() {
    let opts = PrepareOptions::default();
    for name in ["camera-flower-3mp.jpg", "camera-portrait-orientation6.jpg", "camera-12mp-baseline.jpg"] {
        let src = std::fs::read(fixture(name)).unwrap();
        let p = prepare_bytes(&src, &opts).unwrap();
        let score = ssimulacra2_of(&reference_of(&src, opts.max_edge), &p.upload.bytes);
        assert!(score >= 72.0, "{name}: SSIMULACRA2 {score:.1} at quality {}", p.report.upload_quality);
    }
}

#[test]
fn the_quality_is_chosen_per_photo_and_spends_less_than_the_ceiling() {
    let flower = prepare_file(&fixture("camera-flower-3mp.jpg"), &PrepareOptions::default()).unwrap();
    let landscape = prepare_file(&fixture("camera-12mp-baseline.jpg"), &PrepareOptions::default()).unwrap();
    let (qf, ql) = (flower.report.upload_quality, landscape.report.upload_quality);
    assert_ne!(qf, ql, "two different photos, one quality");
    for q in [qf, ql] {
        assert!((MIN_QUALITY..MAX_QUALITY).contains(&q), "{q}");
    }
    let at_max = prepare_file(
        &fixture("camera-flower-3mp.jpg"),
        &PrepareOptions { upload_quality: Quality::Fixed(MAX_QUALITY), ..PrepareOptions::default() },
    )
    .unwrap();
    assert!(
        flower.upload.bytes.len() * 3 < at_max.upload.bytes.len() * 2,
        "{} vs {}",
        flower.upload.bytes.len(),
        at_max.upload.bytes.len()
    );
}

#[test]
fn a_fixed_quality_is_used_as_given() {
    let src = jpeg(&card(640, 480));
    let opts = PrepareOptions { upload_quality: Quality::Fixed(50.0), ..PrepareOptions::default() };
    let p = prepare_bytes(&src, &opts).unwrap();
    assert_eq!(p.report.upload_quality, 50.0);
    let auto = prepare_bytes(&src, &PrepareOptions::default()).unwrap();
    assert!(auto.report.upload_quality >= MIN_QUALITY && auto.upload.bytes.len() > p.upload.bytes.len());
}

// ---------------------------------------------------------------------------------------------
// Gallery formats: WebP, GIF (first frame), BMP; HEIC refused

fn encoded_with_image_crate(img: &RgbImage, format: Format) -> Vec<u8> {
    use image::ImageEncoder;
    let mut out = vec![];
    let (w, h) = (img.width, img.height);
    match format {
        Format::WebP => image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .write_image(&img.data, w, h, image::ExtendedColorType::Rgb8)
            .unwrap(),
        Format::Bmp => {
            image::codecs::bmp::BmpEncoder::new(&mut out).write_image(&img.data, w, h, image::ExtendedColorType::Rgb8).unwrap()
        }
        Format::Gif => {
            // Two frames: the photo, then a plain blue one that must not be the one used.
            let rgba = |f: &dyn Fn(&[u8]) -> [u8; 4]| {
                image::RgbaImage::from_raw(w, h, img.data.chunks_exact(3).flat_map(f).collect()).unwrap()
            };
            let frames = [rgba(&|p| [p[0], p[1], p[2], 255]), rgba(&|_| [0, 0, 255, 255])];
            let mut enc = image::codecs::gif::GifEncoder::new_with_speed(&mut out, 30);
            enc.encode_frames(frames.into_iter().map(image::Frame::new)).unwrap();
        }
        Format::Jpeg | Format::Png => unreachable!(),
    }
    out
}

#[test]
fn webp_gif_and_bmp_gallery_images_are_prepared() {
    // Plain red on the left, plain green on the right: colours survive each decoder.
    let (w, h) = (720u32, 480u32);
    let data = (0..h).flat_map(|_| (0..w).flat_map(|x| if x < w / 2 { [200, 30, 30] } else { [30, 160, 40] })).collect();
    let img = RgbImage { width: w, height: h, data };
    for format in [Format::WebP, Format::Gif, Format::Bmp] {
        let src = encoded_with_image_crate(&img, format);
        let p = prepare_bytes(&src, &PrepareOptions::default()).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(p.report.format, format);
        assert_eq!((p.upload.width, p.upload.height), (w, h), "{format:?}");
        let back = decode_full(&p.upload.bytes).unwrap();
        let at = |x: u32, y: u32| &back.data[((y * w + x) * 3) as usize..((y * w + x) * 3 + 3) as usize];
        let near = |a: &[u8], b: [u8; 3]| a.iter().zip(b).all(|(&x, y)| x.abs_diff(y) <= 12);
        // GIF's palette may move a colour a little; the second (blue) frame must not show.
        assert!(near(at(100, 240), [200, 30, 30]), "{format:?} left {:?}", at(100, 240));
        assert!(near(at(600, 240), [30, 160, 40]), "{format:?} right {:?}", at(600, 240));
    }
}

#[test]
fn gallery_image_headers_claiming_too_many_pixels_are_refused_before_decoding() {
    // BMP: file header and a BITMAPINFOHEADER for 60000 x 60000 at 24 bits, and no pixels.
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&(54u32 + 16).to_le_bytes());
    bmp.extend_from_slice(&0u32.to_le_bytes());
    bmp.extend_from_slice(&54u32.to_le_bytes());
    for v in [40u32, 60000, 60000] {
        bmp.extend_from_slice(&v.to_le_bytes());
    }
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp.extend_from_slice(&[0; 16]);
    assert!(matches!(expect_err(&bmp), PhotoError::TooLarge { width: 60000, height: 60000 }), "{:?}", expect_err(&bmp));
    // GIF: a 65535 x 65535 screen and frame, with an empty image.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00]);
    gif.extend_from_slice(&[0x2C, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x02, 0x00, 0x3B]);
    assert!(matches!(expect_err(&gif), PhotoError::TooLarge { width: 65535, height: 65535 }), "{:?}", expect_err(&gif));
    // WebP (lossless): a real 16 x 16 file whose header is made to say 8000 x 8000 (the
    // 14-bit sizes minus one after the 0x2F signature at byte 20).
    let mut webp = encoded_with_image_crate(&card(16, 16), Format::WebP);
    assert_eq!(&webp[12..16], b"VP8L");
    let bits = u32::from_le_bytes(webp[21..25].try_into().unwrap()) & !((1 << 28) - 1) | 7999 | (7999 << 14);
    webp[21..25].copy_from_slice(&bits.to_le_bytes());
    assert!(matches!(expect_err(&webp), PhotoError::TooLarge { width: 8000, height: 8000 }), "{:?}", expect_err(&webp));
}

#[test]
fn damaged_gallery_images_are_typed_errors_at_every_cut() {
    let img = card(160, 120);
    for format in [Format::WebP, Format::Gif, Format::Bmp] {
        let src = encoded_with_image_crate(&img, format);
        for len in (1..src.len()).step_by(src.len() / 97 + 1) {
            match prepare_bytes(&src[..len], &PrepareOptions::default()) {
                Err(PhotoError::Internal(e)) => panic!("{format:?} cut at {len}: internal error {e}"),
                Err(_) => {}
                // A GIF cut after its first frame is still a whole first frame.
                Ok(_) => assert_eq!(format, Format::Gif, "{format:?} cut at {len} of {} accepted", src.len()),
            }
        }
    }
}

#[test]
fn heic_is_refused_with_a_message_that_says_to_send_jpeg() {
    for brand in [b"heic", b"heix", b"mif1", b"avif"] {
        let mut heic = vec![0, 0, 0, 0x18];
        heic.extend_from_slice(b"ftyp");
        heic.extend_from_slice(brand);
        heic.extend_from_slice(&[0, 0, 0, 0]);
        heic.extend_from_slice(b"mif1heic");
        heic.extend_from_slice(&[0; 64]);
        let err = expect_err(&heic);
        assert!(matches!(err, PhotoError::Heic), "{:?}", err);
        assert!(err.to_string().contains("JPEG"), "{err}");
    }
    // An MP4 video (brand isom) is not a photo at all.
    let mut mp4 = vec![0, 0, 0, 0x18];
    mp4.extend_from_slice(b"ftypisom");
    mp4.extend_from_slice(&[0; 64]);
    assert!(matches!(expect_err(&mp4), PhotoError::NotAnImage));
}
