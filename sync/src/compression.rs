//! Gzip framing of sync bodies, both ways, with a bound on what inflating may produce (a
//! decompression bomb is refused, never inflated). In memory only: the callers move bytes.

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use std::io::{Read, Write};

/// Bodies smaller than this are sent as they are: gzip would not pay for its header.
pub const GZIP_ABOVE_BYTES: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    #[error("not a gzip stream, or a damaged one")]
    Damaged,
    #[error("inflates to more than {max} bytes")]
    TooLarge { max: u64 },
}

/// Gzip `bytes` (fast level: phones are slow, and JSON compresses well at any level).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 4 + 32), flate2::Compression::fast());
    enc.write_all(bytes).expect("writing to memory cannot fail");
    enc.finish().expect("writing to memory cannot fail")
}

/// Inflate a gzip body, refusing one that would grow past `max` bytes.
pub fn gunzip(bytes: &[u8], max: u64) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).take(max + 1).read_to_end(&mut out).map_err(|_| InflateError::Damaged)?;
    if out.len() as u64 > max {
        return Err(InflateError::TooLarge { max });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_a_bomb_is_refused() {
        let text = b"{\"changes\":[]}".repeat(100);
        assert_eq!(gunzip(&gzip(&text), 10_000).unwrap(), text);
        let bomb = gzip(&vec![0u8; 1 << 20]);
        assert_eq!(gunzip(&bomb, 1000), Err(InflateError::TooLarge { max: 1000 }));
        assert_eq!(gunzip(b"not gzip at all", 1000), Err(InflateError::Damaged));
    }
}
