//! Resumable uploads as both sides write them (ADR 0013): tus 1.0 with the creation, checksum,
//! expiration and termination extensions, each upload bound at creation to the SHA-256 of the
//! blob it carries. Header names, the `Upload-Metadata` pair that carries the hash, the
//! per-chunk `Upload-Checksum`, and the strict number form of `Upload-Offset` and
//! `Upload-Length`. Pure: the depot's server and the phone's queue parse and write the same way.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The one tus version spoken.
pub const TUS_VERSION: &str = "1.0.0";
/// What the depot supports, as `OPTIONS` advertises it.
pub const TUS_EXTENSIONS: &str = "creation,checksum,expiration,termination";
/// The one checksum algorithm (`Tus-Checksum-Algorithm`).
pub const CHECKSUM_ALGORITHM: &str = "sha256";
/// The content type of a `PATCH` body.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// The status tus gives a chunk whose bytes do not match its `Upload-Checksum`.
pub const CHECKSUM_MISMATCH: u16 = 460;
/// Where the collection of uploads is (`POST` creates one there, `OPTIONS` describes them).
pub const UPLOADS_PATH: &str = "/v1/uploads";
/// The metadata key that binds an upload to its blob (value: the hash's 64 hex digits).
pub const METADATA_SHA256: &str = "sha256";
/// The metadata key that makes an upload the thumbnail of a photo (value: the photo's hash). A
/// thumbnail may be uploaded by whoever may upload its photo, and read by whoever may read it.
pub const METADATA_THUMBNAIL_OF: &str = "thumbnail_of";

/// A phone's first chunk; later ones follow the link ([`next_chunk_size`]).
pub const CHUNK_START_BYTES: u64 = 64 * 1024;
/// The smallest chunk (a link that fails even these is not worth a smaller one).
pub const CHUNK_MIN_BYTES: u64 = 16 * 1024;
/// The largest chunk: a cut costs at most this much sent again.
pub const CHUNK_MAX_BYTES: u64 = 1024 * 1024;
/// How long a chunk should take: long enough that a round trip is a small share of it, short
/// enough that a cut loses little.
pub const CHUNK_TARGET_MS: u64 = 2_000;

/// Header names, lowercase (HTTP names are case-insensitive; `http` wants them so).
pub mod header {
    pub const TUS_RESUMABLE: &str = "tus-resumable";
    pub const TUS_VERSION: &str = "tus-version";
    pub const TUS_EXTENSION: &str = "tus-extension";
    pub const TUS_MAX_SIZE: &str = "tus-max-size";
    pub const TUS_CHECKSUM_ALGORITHM: &str = "tus-checksum-algorithm";
    pub const UPLOAD_OFFSET: &str = "upload-offset";
    pub const UPLOAD_LENGTH: &str = "upload-length";
    pub const UPLOAD_DEFER_LENGTH: &str = "upload-defer-length";
    pub const UPLOAD_METADATA: &str = "upload-metadata";
    pub const UPLOAD_CHECKSUM: &str = "upload-checksum";
    pub const UPLOAD_EXPIRES: &str = "upload-expires";
    /// A `HEAD` answer has no body: a refused one names its typed error code here.
    pub const FUNDI_ERROR: &str = "fundi-error";
}

/// Why a header could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("{0} must be a non-negative decimal integer")]
    NotANumber(&'static str),
    #[error("Upload-Metadata must carry sha256 with the base64 of the blob's SHA-256 in 64 lowercase hex digits")]
    NoHash,
    #[error("Upload-Metadata is not a list of `key base64` pairs with unique keys")]
    BadMetadata,
    #[error("thumbnail_of in Upload-Metadata must be the base64 of the photo's SHA-256 in 64 lowercase hex digits")]
    BadThumbnailOf,
    #[error("Upload-Checksum must be `sha256 <base64 of the 32-byte digest>`")]
    BadChecksum,
    #[error("the checksum algorithm {0:?} is not supported (sha256 is)")]
    UnsupportedAlgorithm(String),
}

/// A tus number (`Upload-Offset`, `Upload-Length`): decimal digits only, no sign, no spaces.
pub fn parse_number(name: &'static str, value: &str) -> Result<u64, HeaderError> {
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeaderError::NotANumber(name));
    }
    value.parse().map_err(|_| HeaderError::NotANumber(name))
}

/// The `Upload-Metadata` value that binds an upload to the blob named `sha256_hex`.
pub fn metadata_for(sha256_hex: &str) -> String {
    format!("{METADATA_SHA256} {}", BASE64.encode(sha256_hex))
}

/// The `Upload-Metadata` value of the thumbnail `sha256_hex` of the photo `photo_hex`.
pub fn thumbnail_metadata_for(sha256_hex: &str, photo_hex: &str) -> String {
    format!("{},{METADATA_THUMBNAIL_OF} {}", metadata_for(sha256_hex), BASE64.encode(photo_hex))
}

/// How the last chunk went, for [`next_chunk_size`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// The depot stored `bytes` (its offset moved by that much) in `elapsed_ms`.
    Stored { bytes: u64, elapsed_ms: u64 },
    /// The chunk was lost or refused (a dropped connection, a checksum mismatch).
    Failed,
}

/// The size of the next chunk, after one asked to be `current` bytes: halve after a failure;
/// otherwise aim at [`CHUNK_TARGET_MS`] at the rate just seen (the bytes the depot really stored
/// over the time taken), never more than doubling or halving at once, within
/// [`CHUNK_MIN_BYTES`]..=[`CHUNK_MAX_BYTES`]. A chunk that stored under half of `current` (a
/// file's short tail) leaves the size as it is: its time is mostly the round trip, not the link.
pub fn next_chunk_size(current: u64, outcome: ChunkOutcome) -> u64 {
    let current = current.clamp(CHUNK_MIN_BYTES, CHUNK_MAX_BYTES);
    let next = match outcome {
        ChunkOutcome::Stored { bytes, .. } if bytes < current / 2 => current,
        ChunkOutcome::Stored { bytes, elapsed_ms } => {
            let ideal = (bytes as u128 * CHUNK_TARGET_MS as u128 / elapsed_ms.max(1) as u128).min(u64::MAX as u128) as u64;
            ideal.clamp(current / 2, current.saturating_mul(2))
        }
        ChunkOutcome::Failed => current / 2,
    };
    next.clamp(CHUNK_MIN_BYTES, CHUNK_MAX_BYTES)
}

/// What an `Upload-Metadata` value declares: the blob's hash, and the photo it is the thumbnail
/// of, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    pub sha256: String,
    pub thumbnail_of: Option<String>,
}

/// The blob's hash declared in an `Upload-Metadata` value. Other pairs (a tus client's
/// `filename`, say) are allowed and ignored; keys must be unique, values base64.
pub fn sha256_from_metadata(value: &str) -> Result<String, HeaderError> {
    declared_in_metadata(value).map(|d| d.sha256)
}

/// [`sha256_from_metadata`], with the photo a thumbnail belongs to.
pub fn declared_in_metadata(value: &str) -> Result<Declared, HeaderError> {
    let mut keys = std::collections::BTreeSet::new();
    let (mut hash, mut thumbnail_of) = (None, None);
    for pair in value.split(',') {
        let pair = pair.trim();
        let (key, encoded) = match pair.split_once(' ') {
            Some((k, v)) => (k, Some(v)),
            None => (pair, None),
        };
        if key.is_empty() || !keys.insert(key) {
            return Err(HeaderError::BadMetadata);
        }
        let decoded = match encoded {
            Some(v) => Some(BASE64.decode(v).map_err(|_| HeaderError::BadMetadata)?),
            None => None,
        };
        let as_hash = |d: Option<Vec<u8>>, e: HeaderError| {
            d.and_then(|d| String::from_utf8(d).ok()).filter(|t| crate::hash::is_content_hash(t)).ok_or(e)
        };
        if key == METADATA_SHA256 {
            hash = Some(as_hash(decoded, HeaderError::NoHash)?);
        } else if key == METADATA_THUMBNAIL_OF {
            thumbnail_of = Some(as_hash(decoded, HeaderError::BadThumbnailOf)?);
        }
    }
    Ok(Declared { sha256: hash.ok_or(HeaderError::NoHash)?, thumbnail_of })
}

/// The `Upload-Checksum` of a chunk.
pub fn checksum_header(chunk: &[u8]) -> String {
    format!("{CHECKSUM_ALGORITHM} {}", BASE64.encode(Sha256::digest(chunk)))
}

/// The digest an `Upload-Checksum` value declares.
pub fn parse_checksum(value: &str) -> Result<[u8; 32], HeaderError> {
    let (algorithm, encoded) = value.trim().split_once(' ').ok_or(HeaderError::BadChecksum)?;
    if algorithm != CHECKSUM_ALGORITHM {
        return Err(HeaderError::UnsupportedAlgorithm(algorithm.chars().take(32).collect()));
    }
    let digest = BASE64.decode(encoded.trim()).map_err(|_| HeaderError::BadChecksum)?;
    digest.try_into().map_err(|_| HeaderError::BadChecksum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::sha256_hex;

    #[test]
    fn the_hash_travels_in_the_metadata() {
        let h = sha256_hex(b"photo");
        assert_eq!(sha256_from_metadata(&metadata_for(&h)), Ok(h.clone()));
        // Other pairs, in any order, with or without a value: the hash is found.
        let with_others = format!("filename {},{} , is_confidential", BASE64.encode("a.jpg"), metadata_for(&h));
        assert_eq!(sha256_from_metadata(&with_others), Ok(h.clone()));
        for bad in [
            String::new(),
            "filename YS5qcGc=".to_string(),
            format!("sha256 {}", BASE64.encode(h.to_uppercase())),
            format!("sha256 {}", BASE64.encode(&h[1..])),
            format!("sha256 {h}"),
            "sha256".to_string(),
        ] {
            assert!(sha256_from_metadata(&bad).is_err(), "{bad:?}");
        }
        let twice = format!("{},{}", metadata_for(&h), metadata_for(&h));
        assert_eq!(sha256_from_metadata(&twice), Err(HeaderError::BadMetadata));
    }

    #[test]
    fn a_thumbnail_names_its_photo() {
        let (t, p) = (sha256_hex(b"thumb"), sha256_hex(b"photo"));
        let d = declared_in_metadata(&thumbnail_metadata_for(&t, &p)).unwrap();
        assert_eq!(d, Declared { sha256: t.clone(), thumbnail_of: Some(p) });
        assert_eq!(declared_in_metadata(&metadata_for(&t)).unwrap().thumbnail_of, None);
        let bad = format!("{},thumbnail_of {}", metadata_for(&t), BASE64.encode("not a hash"));
        assert_eq!(declared_in_metadata(&bad), Err(HeaderError::BadThumbnailOf));
    }

    #[test]
    fn chunks_follow_the_link() {
        let stored = |bytes, elapsed_ms| ChunkOutcome::Stored { bytes, elapsed_ms };
        let full = |ms| stored(CHUNK_START_BYTES, ms);
        // A fast link: at most double at once, up to the largest chunk.
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, full(10)), 2 * CHUNK_START_BYTES);
        assert_eq!(next_chunk_size(CHUNK_MAX_BYTES, stored(CHUNK_MAX_BYTES, 1)), CHUNK_MAX_BYTES);
        // On target: unchanged. Twice as slow as the target: half.
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, full(CHUNK_TARGET_MS)), CHUNK_START_BYTES);
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, full(2 * CHUNK_TARGET_MS)), CHUNK_START_BYTES / 2);
        // Very slow or failing: halve, never under the smallest.
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, full(60_000)), CHUNK_START_BYTES / 2);
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, ChunkOutcome::Failed), CHUNK_START_BYTES / 2);
        assert_eq!(next_chunk_size(CHUNK_MIN_BYTES, ChunkOutcome::Failed), CHUNK_MIN_BYTES);
        // The rate is that of the bytes stored, not of the size asked: 48 KB of a 64 KB chunk in
        // the target time is 48 KB per target time.
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, stored(48 * 1024, CHUNK_TARGET_MS)), 48 * 1024);
        // A short tail (1 KB in 5 ms) says nothing about the link: the size stays.
        assert_eq!(next_chunk_size(CHUNK_START_BYTES, stored(1024, 5)), CHUNK_START_BYTES);
        // 100 kbit/s is 12.5 KB/s: a 2 s chunk is 25 KB.
        let mut size = CHUNK_START_BYTES;
        for _ in 0..5 {
            let ms = size * 1000 / 12_500;
            size = next_chunk_size(size, stored(size, ms));
        }
        assert!((20_000..=30_000).contains(&size), "{size}");
    }

    #[test]
    fn checksums_and_numbers() {
        let c = checksum_header(b"abc");
        assert_eq!(c, "sha256 ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
        assert_eq!(parse_checksum(&c).unwrap().to_vec(), Sha256::digest(b"abc").to_vec());
        assert_eq!(parse_checksum("md5 kAFQmDzST7DWlj99KOF/cg=="), Err(HeaderError::UnsupportedAlgorithm("md5".into())));
        assert_eq!(parse_checksum("sha256 YWJj"), Err(HeaderError::BadChecksum));
        assert_eq!(parse_checksum("sha256"), Err(HeaderError::BadChecksum));
        assert_eq!(parse_number("Upload-Offset", "0"), Ok(0));
        assert_eq!(parse_number("Upload-Offset", "18446744073709551615"), Err(HeaderError::NotANumber("Upload-Offset")));
        for bad in ["", "+1", "-1", " 1", "1.0", "0x10", "١"] {
            assert!(parse_number("Upload-Offset", bad).is_err(), "{bad:?}");
        }
    }
}
