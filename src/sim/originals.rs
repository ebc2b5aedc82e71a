//! The originals of generated assets and the checksums of uploads, for copies between servers. A
//! generated asset's original is not stored: it is made while it is sent, from the asset's checksum
//! and size (`MAGIC`, the checksum, the size, then filler). Hashing 100,000 generated files to give
//! each a true SHA-1 would make every simulator start slow, so an upload that begins with `MAGIC` and
//! has the size it announces is taken to have the checksum it carries; any other upload gets the SHA-1
//! of its bytes. Neither side holds a whole file in memory. The endpoints are in `routes::uploads`.

use axum::body::Bytes;
use futures::stream;

/// The first bytes of every original the simulator makes.
pub const MAGIC: &[u8; 8] = b"IMSIMORG";
const HEADER: usize = MAGIC.len() + 20 + 8;
const CHUNK: usize = 64 * 1024;

/// The bytes of an original, made chunk by chunk: `MAGIC`, the checksum, the size (u64, little
/// endian), then a filler block derived from the checksum, repeated.
pub fn original_chunks(
    checksum: [u8; 20],
    size: u64,
) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> {
    let mut block = vec![0u8; CHUNK];
    for (i, byte) in block.iter_mut().enumerate() {
        *byte = checksum[i % 20] ^ (i as u8).wrapping_mul(31);
    }
    let mut header = Vec::with_capacity(HEADER);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&checksum);
    header.extend_from_slice(&size.to_le_bytes());
    let block = Bytes::from(block);
    stream::unfold(0u64, move |sent| {
        let (block, header) = (block.clone(), header.clone());
        async move {
            if sent >= size {
                return None;
            }
            let n = (size - sent).min(CHUNK as u64) as usize;
            let chunk = if sent == 0 {
                let mut first = header;
                first.extend_from_slice(&block[..n.saturating_sub(HEADER)]);
                first.truncate(n);
                Bytes::from(first)
            } else {
                block.slice(..n)
            };
            Some((Ok(chunk), sent + n as u64))
        }
    })
}

/// The checksum of a file as its bytes arrive.
pub struct Checksummer {
    sha1: ring::digest::Context,
    head: Vec<u8>,
    len: u64,
}

impl Default for Checksummer {
    fn default() -> Self {
        Checksummer {
            sha1: ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            head: Vec::with_capacity(HEADER),
            len: 0,
        }
    }
}

impl Checksummer {
    pub fn update(&mut self, chunk: &[u8]) {
        if self.head.len() < HEADER {
            let take = (HEADER - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        // The simulator's own originals are not hashed (SHA-1 of 200 MB is slow in a debug build):
        // only their length is checked.
        if !self.is_ours() {
            self.sha1.update(chunk);
        }
        self.len += chunk.len() as u64;
    }

    fn is_ours(&self) -> bool {
        self.head.len() == HEADER && self.head.starts_with(MAGIC)
    }

    /// The checksum the simulator's own original stands for, else the SHA-1 of the bytes. One of its
    /// originals cut short gets a checksum of its own (the SHA-1 of its header and length).
    pub fn finish(mut self) -> ([u8; 20], u64) {
        if self.is_ours() {
            let announced = u64::from_le_bytes(self.head[28..36].try_into().expect("8 bytes"));
            if announced == self.len {
                return (self.head[8..28].try_into().expect("20 bytes"), self.len);
            }
            self.sha1 = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
            self.sha1.update(&self.head);
            self.sha1.update(&self.len.to_le_bytes());
        }
        let digest = self.sha1.finish();
        (
            digest.as_ref().try_into().expect("SHA-1 is 20 bytes"),
            self.len,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    async fn collect(checksum: [u8; 20], size: u64) -> Vec<u8> {
        let mut out = Vec::new();
        let mut chunks = std::pin::pin!(original_chunks(checksum, size));
        while let Some(Ok(chunk)) = chunks.next().await {
            out.extend_from_slice(&chunk);
        }
        out
    }

    #[tokio::test]
    async fn an_original_carries_its_checksum_and_any_other_file_gets_its_sha1() {
        let checksum = [7u8; 20];
        for size in [36, 100, 64 * 1024, 64 * 1024 + 1, 300_000] {
            let bytes = collect(checksum, size).await;
            assert_eq!(bytes.len() as u64, size);
            let mut sum = Checksummer::default();
            for part in bytes.chunks(1000) {
                sum.update(part);
            }
            assert_eq!(sum.finish(), (checksum, size), "{size}");
        }
        // Cut short: a checksum of its own, not the original's.
        let mut bytes = collect(checksum, 1000).await;
        bytes.truncate(999);
        let mut sum = Checksummer::default();
        sum.update(&bytes);
        let (cut, len) = sum.finish();
        assert_ne!(cut, checksum);
        assert_eq!(len, 999);
        // Not ours: the SHA-1 of the bytes.
        let mut sum = Checksummer::default();
        sum.update(b"hello");
        let expected = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b"hello");
        assert_eq!(sum.finish().0.as_slice(), expected.as_ref());
    }
}
