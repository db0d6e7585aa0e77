//! Internal keys: every stored entry is `user_key ++ trailer`, where the 8-byte little-endian
//! trailer is `(sequence << 8) | value_type`. Ordering: user key ascending (bytewise), then
//! trailer descending, so the newest version of a key comes first.

use std::cmp::Ordering;

pub const TYPE_DELETION: u8 = 0;
pub const TYPE_VALUE: u8 = 1;
/// Sequence numbers are 56 bits (the low byte of the trailer is the type).
pub const MAX_SEQUENCE: u64 = (1 << 56) - 1;
pub const TRAILER_LEN: usize = 8;

#[inline]
pub fn pack_trailer(seq: u64, vt: u8) -> u64 {
    debug_assert!(seq <= MAX_SEQUENCE);
    (seq << 8) | vt as u64
}

#[inline]
pub fn append_internal_key(dst: &mut Vec<u8>, user_key: &[u8], seq: u64, vt: u8) {
    dst.extend_from_slice(user_key);
    dst.extend_from_slice(&pack_trailer(seq, vt).to_le_bytes());
}

pub fn internal_key(user_key: &[u8], seq: u64, vt: u8) -> Vec<u8> {
    let mut v = Vec::with_capacity(user_key.len() + TRAILER_LEN);
    append_internal_key(&mut v, user_key, seq, vt);
    v
}

/// Key to seek to for "newest version of `user_key` visible at `seq`": TYPE_VALUE is the
/// largest type, so (seq, VALUE) sorts before every entry with sequence <= seq.
pub fn lookup_key(user_key: &[u8], seq: u64) -> Vec<u8> {
    internal_key(user_key, seq, TYPE_VALUE)
}

#[inline]
pub fn user_key(ikey: &[u8]) -> &[u8] {
    &ikey[..ikey.len() - TRAILER_LEN]
}

#[inline]
pub fn trailer(ikey: &[u8]) -> u64 {
    let n = ikey.len();
    let mut b = [0u8; 8];
    b.copy_from_slice(&ikey[n - TRAILER_LEN..]);
    u64::from_le_bytes(b)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub user_key: &'a [u8],
    pub seq: u64,
    pub vt: u8,
}

/// Splits an internal key; `None` if it is too short or has an unknown type (corruption).
#[inline]
pub fn parse(ikey: &[u8]) -> Option<Parsed<'_>> {
    if ikey.len() < TRAILER_LEN {
        return None;
    }
    let t = trailer(ikey);
    let vt = (t & 0xff) as u8;
    if vt > TYPE_VALUE {
        return None;
    }
    Some(Parsed { user_key: user_key(ikey), seq: t >> 8, vt })
}

/// Total order on internal keys. Keys shorter than a trailer (only possible in corrupt data,
/// which callers reject earlier) compare bytewise so the function never panics.
#[inline]
pub fn compare(a: &[u8], b: &[u8]) -> Ordering {
    if a.len() < TRAILER_LEN || b.len() < TRAILER_LEN {
        return a.cmp(b);
    }
    match user_key(a).cmp(user_key(b)) {
        Ordering::Equal => trailer(b).cmp(&trailer(a)),
        o => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering() {
        let a1 = internal_key(b"a", 1, TYPE_VALUE);
        let a2 = internal_key(b"a", 2, TYPE_VALUE);
        let a2d = internal_key(b"a", 2, TYPE_DELETION);
        let ab = internal_key(b"ab", 9, TYPE_VALUE);
        let b = internal_key(b"b", 0, TYPE_VALUE);
        let mut v = vec![b.clone(), a1.clone(), ab.clone(), a2d.clone(), a2.clone()];
        v.sort_by(|x, y| compare(x, y));
        assert_eq!(v, vec![a2, a2d, a1, ab, b]);
    }

    #[test]
    fn parse_roundtrip() {
        let k = internal_key(b"key", 12345, TYPE_DELETION);
        let p = parse(&k).unwrap();
        assert_eq!(p.user_key, b"key");
        assert_eq!(p.seq, 12345);
        assert_eq!(p.vt, TYPE_DELETION);
        assert!(parse(b"short").is_none());
        let mut bad = k.clone();
        let n = bad.len();
        bad[n - 8] = 7;
        assert!(parse(&bad).is_none());
    }
}
