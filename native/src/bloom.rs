//! Bloom filter shared by the standalone `Bloom` JS class and the per-table filter block.
//!
//! Serialized form (FORMAT.md "Bloom filter"): an 8-byte header followed by the bit array.
//!
//! ```text
//! 0  u8   format   = 1
//! 1  u8   k        number of probes (1..=30)
//! 2  u16  reserved = 0
//! 4  u32  m        number of bits (little endian), >= 64
//! 8  ..   ceil(m/8) bytes; bit i lives in byte i>>3 under mask 1<<(i&7)
//! ```
//!
//! Probing uses one 32-bit MurmurHash3 (x86_32, seed 0xbc9f1d34) and double hashing
//! (`h += rotr(h, 17)` per probe, position `h % m`), so a TypeScript reader on the request path
//! can test membership with a handful of `Math.imul`s and no native call.

pub const FORMAT_V1: u8 = 1;
pub const HEADER_LEN: usize = 8;
pub const HASH_SEED: u32 = 0xbc9f_1d34;
const MAX_BITS: u64 = u32::MAX as u64 - 7;
const MIN_BITS: u64 = 64;

pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for ch in &mut chunks {
        let mut k = u32::from_le_bytes([ch[0], ch[1], ch[2], ch[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, &b) in tail.iter().enumerate() {
            k ^= (b as u32) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[inline]
pub fn key_hash(key: &[u8]) -> u32 {
    murmur3_32(key, HASH_SEED)
}

#[derive(Clone, Debug)]
pub struct Bloom {
    k: u8,
    m: u32,
    /// Header + bits, kept serialized so `serialize` is a copy and table filters need no decode.
    data: Vec<u8>,
}

impl Bloom {
    /// Sized for `expected` items at false-positive rate `fp` (0 < fp < 1).
    pub fn with_rate(expected: u64, fp: f64) -> Result<Bloom, String> {
        if !(fp > 0.0 && fp < 1.0) {
            return Err(format!("bloom false-positive rate must be in (0, 1), got {fp}"));
        }
        let n = expected.max(1) as f64;
        let ln2 = std::f64::consts::LN_2;
        let bits = (-n * fp.ln() / (ln2 * ln2)).ceil();
        if !bits.is_finite() || bits > MAX_BITS as f64 {
            return Err(format!("bloom filter for {expected} items at rate {fp} exceeds {MAX_BITS} bits"));
        }
        let m = (bits as u64).max(MIN_BITS);
        let k = ((m as f64 / n) * ln2).round().clamp(1.0, 30.0) as u8;
        Ok(Bloom::with_params(m as u32, k))
    }

    /// Sized by bits per key, the way table filters are configured.
    pub fn with_bits_per_key(expected: usize, bits_per_key: u32) -> Bloom {
        let m = ((expected as u64) * bits_per_key as u64).clamp(MIN_BITS, MAX_BITS);
        let k = ((bits_per_key as f64) * std::f64::consts::LN_2).round().clamp(1.0, 30.0) as u8;
        Bloom::with_params(m as u32, k)
    }

    fn with_params(m: u32, k: u8) -> Bloom {
        let nbytes = (m as usize).div_ceil(8);
        let mut data = vec![0u8; HEADER_LEN + nbytes];
        data[0] = FORMAT_V1;
        data[1] = k;
        data[4..8].copy_from_slice(&m.to_le_bytes());
        Bloom { k, m, data }
    }

    pub fn bits(&self) -> u32 {
        self.m
    }

    pub fn hashes(&self) -> u8 {
        self.k
    }

    #[inline]
    pub fn add_hash(&mut self, mut h: u32) {
        let delta = h.rotate_right(17);
        let bits = &mut self.data[HEADER_LEN..];
        for _ in 0..self.k {
            let pos = h % self.m;
            bits[(pos >> 3) as usize] |= 1 << (pos & 7);
            h = h.wrapping_add(delta);
        }
    }

    pub fn add(&mut self, key: &[u8]) {
        self.add_hash(key_hash(key));
    }

    pub fn may_contain(&self, key: &[u8]) -> bool {
        may_contain_hash(&self.data, key_hash(key))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.data
    }

    /// Validates a serialized filter (format, probe count, length) and takes ownership of it.
    pub fn from_bytes(data: Vec<u8>) -> Result<Bloom, String> {
        let (k, m) = validate(&data)?;
        Ok(Bloom { k, m, data })
    }
}

/// Checks the header of a serialized filter; returns (k, m).
pub fn validate(data: &[u8]) -> Result<(u8, u32), String> {
    if data.len() < HEADER_LEN {
        return Err(format!("bloom filter too short ({} bytes)", data.len()));
    }
    if data[0] != FORMAT_V1 {
        return Err(format!("unknown bloom filter format {}", data[0]));
    }
    let k = data[1];
    if k == 0 || k > 30 {
        return Err(format!("bloom filter has invalid probe count {k}"));
    }
    let m = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    if (m as u64) < MIN_BITS || data.len() != HEADER_LEN + (m as usize).div_ceil(8) {
        return Err(format!("bloom filter length {} does not match {m} bits", data.len()));
    }
    Ok((k, m))
}

/// Membership test directly on serialized bytes (used for table filters, which stay serialized).
/// A filter that fails validation answers "maybe" so a damaged filter can only cost a read.
#[inline]
pub fn may_contain_hash(data: &[u8], mut h: u32) -> bool {
    if data.len() < HEADER_LEN {
        return true;
    }
    let k = data[1];
    let m = u32::from_le_bytes([data[4], data[5], data[6], data[7]]);
    if m == 0 || data.len() < HEADER_LEN + (m as usize).div_ceil(8) {
        return true;
    }
    let bits = &data[HEADER_LEN..];
    let delta = h.rotate_right(17);
    for _ in 0..k {
        let pos = h % m;
        if bits[(pos >> 3) as usize] & (1 << (pos & 7)) == 0 {
            return false;
        }
        h = h.wrapping_add(delta);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur_vectors() {
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"hello", 0), 0x248b_fa47);
        assert_eq!(murmur3_32(b"The quick brown fox jumps over the lazy dog", 0), 0x2e4f_f723);
    }

    #[test]
    fn no_false_negatives_and_rate() {
        let n = 20_000u32;
        let mut b = Bloom::with_rate(n as u64, 0.01).unwrap();
        for i in 0..n {
            b.add(format!("key{i}").as_bytes());
        }
        for i in 0..n {
            assert!(b.may_contain(format!("key{i}").as_bytes()));
        }
        let fp = (0..n).filter(|i| b.may_contain(format!("other{i}").as_bytes())).count();
        let rate = fp as f64 / n as f64;
        assert!(rate < 0.02, "fp rate {rate}");
    }

    #[test]
    fn serialize_roundtrip_and_validation() {
        let mut b = Bloom::with_bits_per_key(100, 10);
        b.add(b"a");
        let bytes = b.as_bytes().to_vec();
        assert_eq!(bytes[0], 1);
        assert_eq!(bytes[1], 7);
        let c = Bloom::from_bytes(bytes.clone()).unwrap();
        assert!(c.may_contain(b"a"));
        assert!(Bloom::from_bytes(bytes[..bytes.len() - 1].to_vec()).is_err());
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(Bloom::from_bytes(bad).is_err());
        assert!(Bloom::with_rate(10, 0.0).is_err());
        assert!(Bloom::with_rate(10, 1.5).is_err());
    }
}
