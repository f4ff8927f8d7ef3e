//! `fundi-depot prepare-photos`: prepare camera photos on a laptop exactly as the phone does
//! (upright, metadata removed, 1600 px upload image and 320 px thumbnail, coached), write them
//! into an output directory under their SHA-256 names, and print what was done as JSON.
//!
//! Arguments may be files or directories (their `.jpg`, `.jpeg` and `.png` files). A photo
//! that cannot be used is reported in the JSON with its reason and does not stop the others;
//! the exit status is non-zero if any failed.

use fundi_core::photos::{
    prepare_file, Advice, ExifOrientation, PhotoError, PhotoLibrary, PrepareOptions, PreparedPhoto, Quality,
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct PrepareArgs {
    /// Photo files, or directories of them.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where the prepared JPEGs go (created if missing).
    #[arg(long, default_value = "prepared-photos")]
    out: PathBuf,
    /// Long edge of the upload image, in pixels.
    #[arg(long, default_value_t = 1600)]
    max_edge: u32,
    /// Long edge of the thumbnail, in pixels.
    #[arg(long, default_value_t = 320)]
    thumb_edge: u32,
    /// JPEG quality of the upload image (libjpeg's scale, on mozjpeg's table 4: about 10-17 below
    /// the default table's number for the same look); chosen per photo when left out.
    #[arg(long)]
    quality: Option<f32>,
}

fn inputs(args: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = vec![];
    for a in args {
        if a.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(a)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && p.extension()
                            .and_then(|e| e.to_str())
                            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(a.clone());
        }
    }
    Ok(files)
}

fn error_kind(e: &PhotoError) -> &'static str {
    match e {
        PhotoError::Empty => "empty",
        PhotoError::NotAnImage => "not_an_image",
        PhotoError::TooLarge { .. } | PhotoError::FileTooLarge { .. } => "too_large",
        PhotoError::Truncated => "truncated",
        PhotoError::Corrupt(_) => "corrupt",
        PhotoError::Unsupported(_) => "unsupported",
        PhotoError::Heic => "heic",
        PhotoError::Unreadable(_) => "unreadable",
        PhotoError::Io(_) => "io",
        PhotoError::Internal(_) => "internal",
    }
}

fn describe(source: &Path, lib: &PhotoLibrary, p: &PreparedPhoto) -> Result<Value, PhotoError> {
    let upload_path = lib.put(&p.upload.sha256, &p.upload.bytes)?;
    let thumb_path = lib.put(&p.thumbnail.sha256, &p.thumbnail.bytes)?;
    let r = &p.report;
    let (orientation, exif) = match r.exif {
        ExifOrientation::Absent => (1, "absent"),
        ExifOrientation::Found(o) => (o as u8, "read"),
        ExifOrientation::Unreadable => (1, "unreadable_ignored"),
    };
    Ok(json!({
        "source": source.display().to_string(),
        "ok": true,
        "format": format!("{:?}", r.format).to_lowercase(),
        "source_size": [r.source_width, r.source_height],
        "decoded_size": [r.decoded_width, r.decoded_height],
        "dct_scale": format!("{}/8", r.scale_eighths),
        "orientation": orientation,
        "exif": exif,
        "upload": {"path": upload_path.display().to_string(), "sha256": p.upload.sha256, "size": [p.upload.width, p.upload.height], "bytes": p.upload.bytes.len()},
        "thumbnail": {"path": thumb_path.display().to_string(), "sha256": p.thumbnail.sha256, "size": [p.thumbnail.width, p.thumbnail.height], "bytes": p.thumbnail.bytes.len()},
        "advice": p.coaching.advice.iter().map(|a: &Advice| a.code()).collect::<Vec<_>>(),
        "measures": {"sharpness": p.coaching.sharpness, "mean_luma": p.coaching.mean_luma, "clipped_share": p.coaching.clipped_share},
        "upload_quality": r.upload_quality,
        "elapsed_ms": r.elapsed_ms,
    }))
}

pub fn run(args: PrepareArgs) -> Result<(), Box<dyn std::error::Error>> {
    let opts = PrepareOptions {
        max_edge: args.max_edge,
        thumb_edge: args.thumb_edge,
        upload_quality: args.quality.map_or(Quality::PerPhoto, Quality::Fixed),
        ..Default::default()
    };
    let lib = PhotoLibrary::open(&args.out)?;
    let mut results = vec![];
    let mut failed = 0;
    for source in inputs(&args.inputs)? {
        let outcome = prepare_file(&source, &opts).and_then(|p| describe(&source, &lib, &p));
        results.push(match outcome {
            Ok(v) => v,
            Err(e) => {
                failed += 1;
                json!({"source": source.display().to_string(), "ok": false, "error": error_kind(&e), "detail": e.to_string()})
            }
        });
    }
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({"out": args.out.display().to_string(), "prepared": results.len() - failed, "failed": failed, "photos": results})
        )?
    );
    if failed > 0 {
        return Err(format!("{failed} of {} photos could not be prepared", results.len()).into());
    }
    Ok(())
}
