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

/// The blob's hash declared in an `Upload-Metadata` value. Other pairs (a tus client's
/// `filename`, say) are allowed and ignored; keys must be unique, values base64.
pub fn sha256_from_metadata(value: &str) -> Result<String, HeaderError> {
    let mut keys = std::collections::BTreeSet::new();
    let mut hash = None;
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
        if key == METADATA_SHA256 {
            let text = decoded.and_then(|d| String::from_utf8(d).ok()).ok_or(HeaderError::NoHash)?;
            if !crate::hash::is_content_hash(&text) {
                return Err(HeaderError::NoHash);
            }
            hash = Some(text);
        }
    }
    hash.ok_or(HeaderError::NoHash)
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
