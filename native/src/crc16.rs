//! Redis Cluster key hashing: CRC16-XMODEM (poly 0x1021, init 0, no reflection) and
//! `keyHashSlot` with `{hash tag}` rules, byte-for-byte the same as Redis's cluster.c.

/// 256-entry table for CRC16-XMODEM, built at compile time.
const TABLE: [u16; 256] = build_table();

/// Slicing-by-8 tables: SLICE[k][b] is the CRC contribution of byte b followed by k zero
/// bytes, so 8 input bytes fold into the register with 8 independent lookups.
const SLICE: [[u16; 256]; 8] = build_slices();

const fn build_slices() -> [[u16; 256]; 8] {
    let mut t = [[0u16; 256]; 8];
    t[0] = build_table();
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev << 8) ^ t[0][(prev >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

const fn build_table() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut j = 0;
        while j < 8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
            j += 1;
        }
        t[i] = crc;
        i += 1;
    }
    t
}

/// Number of hash slots in a Redis cluster.
pub const SLOTS: u32 = 16384;

#[inline]
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        // The 16-bit register folds into the first two bytes of the chunk.
        let x0 = c[0] ^ (crc >> 8) as u8;
        let x1 = c[1] ^ crc as u8;
        crc = SLICE[7][x0 as usize]
            ^ SLICE[6][x1 as usize]
            ^ SLICE[5][c[2] as usize]
            ^ SLICE[4][c[3] as usize]
            ^ SLICE[3][c[4] as usize]
            ^ SLICE[2][c[5] as usize]
            ^ SLICE[1][c[6] as usize]
            ^ SLICE[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc << 8) ^ TABLE[(((crc >> 8) as u8) ^ b) as usize];
    }
    crc
}

#[cfg(test)]
fn crc16_bytewise(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &b in data {
        crc = (crc << 8) ^ TABLE[(((crc >> 8) as u8) ^ b) as usize];
    }
    crc
}

/// The part of `key` that is hashed: the content of the first `{...}` if it is non-empty,
/// otherwise the whole key (Redis semantics: "{}" and an unclosed "{" hash the whole key).
#[inline]
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(s) = key.iter().position(|&b| b == b'{') {
        if let Some(len) = key[s + 1..].iter().position(|&b| b == b'}') {
            if len > 0 {
                return &key[s + 1..s + 1 + len];
            }
        }
    }
    key
}

#[inline]
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & 0x3fff
}

/// Slots for many keys stored back to back in `buf`; key `i` is `buf[offsets[i]..offsets[i+1]]`.
/// Returns an error message when the offsets are not monotonic or point past the buffer.
pub fn key_slots_into(buf: &[u8], offsets: &[u32], out: &mut [u16]) -> Result<(), String> {
    if offsets.is_empty() {
        return Ok(());
    }
    let n = offsets.len() - 1;
    if out.len() < n {
        return Err("output too small".into());
    }
    for i in 0..n {
        let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
        if s > e || e > buf.len() {
            return Err(format!("key offsets out of range at index {i} ({s}..{e}, buffer length {})", buf.len()));
        }
        out[i] = key_slot(&buf[s..e]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicing_matches_bytewise() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        for n in 0..200 {
            assert_eq!(crc16(&data[..n]), crc16_bytewise(&data[..n]), "length {n}");
        }
        assert_eq!(crc16(&data), crc16_bytewise(&data));
    }

    #[test]
    fn check_value() {
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn slots_match_redis() {
        // Values from `CLUSTER KEYSLOT` on redis-server 7.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"hello"), 866);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(key_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 0x3fff);
        assert_eq!(key_slot(b"foo{{bar}}zap"), key_slot(b"{bar"));
        assert_eq!(key_slot(b"foo{bar}{zap}"), key_slot(b"bar"));
        assert_eq!(key_slot(b"{"), crc16(b"{") & 0x3fff);
        assert_eq!(key_slot(b"a{b"), crc16(b"a{b") & 0x3fff);
    }

    #[test]
    fn batched() {
        let keys: [&[u8]; 4] = [b"foo", b"", b"{a}b", b"hello"];
        let mut buf = Vec::new();
        let mut offs = vec![0u32];
        for k in keys {
            buf.extend_from_slice(k);
            offs.push(buf.len() as u32);
        }
        let mut out = vec![0u16; 4];
        key_slots_into(&buf, &offs, &mut out).unwrap();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(out[i], key_slot(k));
        }
        assert!(key_slots_into(&buf, &[0, 100], &mut out).is_err());
        assert!(key_slots_into(&buf, &[3, 1], &mut out).is_err());
    }
}
