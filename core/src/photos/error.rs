//! What can go wrong while preparing or storing a photo. Every hostile or broken input ends up
//! as one of these variants (never a panic); the bindings turn them into `FundiError`.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum PhotoError {
    /// The file holds no bytes at all.
    #[error("the file is empty")]
    Empty,
    /// Not an image this app reads (JPEG, PNG, WebP, GIF, BMP): a video, a PDF, random bytes...
    #[error("not a JPEG, PNG, WebP, GIF or BMP image")]
    NotAnImage,
    /// A HEIC/HEIF (or AVIF) photo, which needs a video codec this app does not carry. The
    /// artisan can send it as JPEG: on an iPhone, Settings > Camera > Formats > "Most
    /// Compatible"; on Android, the camera's HEIF/"high efficiency" option off; or share it from
    /// the gallery as JPEG.
    #[error("HEIC photo: send it as JPEG instead (camera setting \"Most Compatible\", or share it as JPEG)")]
    Heic,
    /// The header claims more pixels than a phone can safely decode (a decompression bomb,
    /// or a panorama far beyond what a product photo needs).
    #[error("image too large: {width}x{height} pixels")]
    TooLarge { width: u32, height: u32 },
    /// The file itself is larger than any camera photo.
    #[error("file too large: {bytes} bytes")]
    FileTooLarge { bytes: u64 },
    /// The file ends before the image does (an interrupted copy or download).
    #[error("the image file is cut short")]
    Truncated,
    /// The data is damaged. The detail comes from the decoder, never from user content.
    #[error("the image data is damaged: {0}")]
    Corrupt(String),
    /// A valid image this build does not decode (CMYK JPEG, arithmetic coding, 12-bit...).
    #[error("unsupported image: {0}")]
    Unsupported(String),
    /// The photo file given could not be opened or read (moved, deleted, no permission).
    #[error("cannot read the photo file: {0}")]
    Unreadable(io::Error),
    /// Writing or reading the photo library failed.
    #[error("photo file I/O: {0}")]
    Io(#[from] io::Error),
    /// A bug in the pipeline (a panic caught at the boundary). Never expected; reported.
    #[error("photo pipeline failure: {0}")]
    Internal(String),
}

impl PhotoError {
    /// True when the device is out of space (the UI asks the user to free some).
    pub fn is_storage_full(&self) -> bool {
        match self {
            PhotoError::Io(e) => e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28),
            _ => false,
        }
    }
}
