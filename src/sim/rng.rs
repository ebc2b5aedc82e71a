//! Deterministic pseudo-random numbers for the simulator: a small SplitMix64 generator (no `rand`
//! crate) plus the helpers the generator and the server need (UUIDv4 ids, alphanumeric keys,
//! probabilities, and stateless hashing to derive stable values from an id).

/// SplitMix64: tiny, fast and good enough for synthetic test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// A value of this simulator instance's own, for the ids that must be unique across the simulators a
/// process starts, as a real server's are (albums: a record shared between tests must never meet one
/// album id twice). Everything else stays a function of the seed.
pub fn instance_salt() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STARTED: AtomicU64 = AtomicU64::new(0);
    let n = STARTED.fetch_add(1, Ordering::Relaxed);
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let high = mix(n ^ (u64::from(std::process::id()) << 32));
    ((high as u128) << 64) | mix(time ^ high) as u128
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// An independent stream derived from a seed and a stream number.
    pub fn stream(seed: u64, stream: u64) -> Self {
        Rng(mix(seed ^ mix(stream.wrapping_add(1).wrapping_mul(GOLDEN))))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        mix(self.0)
    }

    /// Uniform in `0..n` (modulo bias is irrelevant for test data). `n` must be > 0.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A random UUID with the version-4 and RFC 4122 variant bits set.
    pub fn uuid(&mut self) -> u128 {
        uuid_v4_bits(((self.next_u64() as u128) << 64) | self.next_u64() as u128)
    }

    /// A string of `len` characters from `[a-zA-Z0-9]`.
    pub fn alnum(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| ALNUM[self.below(ALNUM.len() as u64) as usize] as char)
            .collect()
    }

    pub fn bytes20(&mut self) -> [u8; 20] {
        let mut out = [0u8; 20];
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }
}

/// The SplitMix64 finaliser: a good 64-bit mixing function.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A stable 64-bit hash of an id and a salt (used to derive per-asset details without storing them).
pub fn hash_id(id: u128, salt: u64) -> u64 {
    mix(mix((id >> 64) as u64 ^ salt) ^ id as u64)
}

/// Force the version nibble to 4 and the variant to `10xx`, so the id passes Immich's UUID pattern.
pub fn uuid_v4_bits(x: u128) -> u128 {
    (x & !(0xF000u128 << 64) & !(0xC000u128 << 48)) | (0x4000u128 << 64) | (0x8000u128 << 48)
}

/// A stable UUIDv4 derived from another id (e.g. the file name on disk of an asset).
pub fn derived_uuid(id: u128, salt: u64) -> u128 {
    uuid_v4_bits(((hash_id(id, salt) as u128) << 64) | hash_id(id, salt ^ GOLDEN) as u128)
}

/// `len` lowercase alphanumeric characters derived from `n` (for `X-Correlation-ID`).
pub fn lower_alnum_from(n: u64, len: usize) -> String {
    let mut rng = Rng::new(mix(n));
    (0..len)
        .map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.below(36) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers() {
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
    }

    #[test]
    fn uuids_are_version_4() {
        let mut rng = Rng::new(1);
        for _ in 0..100 {
            let s = uuid::Uuid::from_u128(rng.uuid()).hyphenated().to_string();
            assert_eq!(&s[14..15], "4");
            assert!("89ab".contains(&s[19..20]), "{s}");
        }
    }
}
