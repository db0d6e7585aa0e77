//! Write batch wire format. The TS `WriteBatch` produces exactly these bytes, the WAL stores
//! them unchanged as one record payload, and recovery parses them back, so a batch is encoded
//! once and never re-serialized.
//!
//! ```text
//! 0   u64  sequence of the first record (LE; written by the DB at commit, 0 from JS)
//! 8   u32  record count (LE)
//! 12  records:
//!       u8 tag = 1 (put)    varint32 key_len, key, varint32 value_len, value
//!       u8 tag = 0 (delete) varint32 key_len, key
//! ```
//! Record i gets sequence `sequence + i`.

use super::error::{Error, Result};
use super::key::{TYPE_DELETION, TYPE_VALUE};
use crate::coding::{fixed32, fixed64, get_length_prefixed};

pub const HEADER_LEN: usize = 12;
pub const TAG_DELETE: u8 = TYPE_DELETION;
pub const TAG_PUT: u8 = TYPE_VALUE;

pub fn sequence(rep: &[u8]) -> u64 {
    fixed64(rep, 0)
}

pub fn count(rep: &[u8]) -> u32 {
    fixed32(rep, 8)
}

pub fn set_sequence(rep: &mut [u8], seq: u64) {
    rep[..8].copy_from_slice(&seq.to_le_bytes());
}

/// Visits every record; fails on malformed input (never panics).
pub fn for_each<'a>(rep: &'a [u8], mut f: impl FnMut(u8, &'a [u8], &'a [u8])) -> Result<u32> {
    if rep.len() < HEADER_LEN {
        return Err(Error::corruption(format!("write batch too short ({} bytes)", rep.len())));
    }
    let declared = count(rep);
    let mut pos = HEADER_LEN;
    let mut n = 0u32;
    while pos < rep.len() {
        let tag = rep[pos];
        pos += 1;
        let key = get_length_prefixed(rep, &mut pos).ok_or_else(|| Error::corruption(format!("write batch: bad key in record {n}")))?;
        let value: &[u8] = match tag {
            TAG_PUT => get_length_prefixed(rep, &mut pos).ok_or_else(|| Error::corruption(format!("write batch: bad value in record {n}")))?,
            TAG_DELETE => &[],
            t => return Err(Error::corruption(format!("write batch: unknown tag {t} in record {n}"))),
        };
        f(tag, key, value);
        n += 1;
    }
    if n != declared {
        return Err(Error::corruption(format!("write batch: header says {declared} records, found {n}")));
    }
    Ok(n)
}

/// Validates a batch handed in from JS (wrong bytes must not reach the WAL).
pub fn validate(rep: &[u8]) -> Result<u32> {
    for_each(rep, |_, _, _| {}).map_err(|e| Error::invalid(e.message))
}

/// Builder used by Rust-side callers and tests; mirrors src/native/index.ts `WriteBatch`.
#[derive(Clone, Debug)]
pub struct WriteBatch {
    rep: Vec<u8>,
}

impl Default for WriteBatch {
    fn default() -> Self {
        WriteBatch { rep: vec![0u8; HEADER_LEN] }
    }
}

impl WriteBatch {
    pub fn new() -> WriteBatch {
        WriteBatch::default()
    }
    fn bump(&mut self) {
        let c = count(&self.rep) + 1;
        self.rep[8..12].copy_from_slice(&c.to_le_bytes());
    }
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> &mut Self {
        self.rep.push(TAG_PUT);
        crate::coding::put_length_prefixed(&mut self.rep, key);
        crate::coding::put_length_prefixed(&mut self.rep, value);
        self.bump();
        self
    }
    pub fn delete(&mut self, key: &[u8]) -> &mut Self {
        self.rep.push(TAG_DELETE);
        crate::coding::put_length_prefixed(&mut self.rep, key);
        self.bump();
        self
    }
    pub fn count(&self) -> u32 {
        count(&self.rep)
    }
    pub fn into_rep(self) -> Vec<u8> {
        self.rep
    }
    pub fn rep(&self) -> &[u8] {
        &self.rep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode() {
        let mut b = WriteBatch::new();
        b.put(b"k1", b"v1").delete(b"k2").put(b"", b"");
        let mut rep = b.into_rep();
        set_sequence(&mut rep, 77);
        assert_eq!(sequence(&rep), 77);
        let mut seen = Vec::new();
        let n = for_each(&rep, |t, k, v| seen.push((t, k.to_vec(), v.to_vec()))).unwrap();
        assert_eq!(n, 3);
        assert_eq!(seen[0], (1, b"k1".to_vec(), b"v1".to_vec()));
        assert_eq!(seen[1], (0, b"k2".to_vec(), vec![]));
        // Exact bytes pinned (FORMAT.md).
        assert_eq!(&rep[..12], &[77, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
        assert_eq!(&rep[12..19], &[1, 2, b'k', b'1', 2, b'v', b'1']);
    }

    #[test]
    fn rejects_garbage() {
        assert!(validate(&[0; 5]).is_err());
        let mut b = WriteBatch::new();
        b.put(b"k", b"v");
        let rep = b.into_rep();
        assert!(validate(&rep[..rep.len() - 1]).is_err());
        let mut wrong_count = rep.clone();
        wrong_count[8] = 2;
        assert!(validate(&wrong_count).is_err());
        let mut bad_tag = rep.clone();
        bad_tag[12] = 9;
        assert!(validate(&bad_tag).is_err());
        assert_eq!(validate(&rep).unwrap(), 1);
    }
}
