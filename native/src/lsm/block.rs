//! Sorted key/value blocks with prefix-compressed keys and restart points (FORMAT.md "Blocks").
//!
//! ```text
//! entry*    varint32 shared, varint32 non_shared, varint32 value_len,
//!           key[shared..shared+non_shared], value
//! restart*  u32 LE offset of an entry stored with shared = 0
//! u32 LE    number of restarts (>= 1)
//! ```
//! Every `restart_interval`-th key is stored whole, so a seek binary-searches the restart
//! array and then scans at most `restart_interval` entries.

use super::error::{Error, Result};
use super::iter::InternalIterator;
use super::key;
use crate::coding::{fixed32, get_varint32, put_fixed32, put_varint32};
use std::cmp::Ordering;
use std::sync::Arc;

pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    counter: usize,
    restart_interval: usize,
    last_key: Vec<u8>,
    entries: usize,
}

impl BlockBuilder {
    pub fn new(restart_interval: usize) -> BlockBuilder {
        BlockBuilder { buf: Vec::new(), restarts: vec![0], counter: 0, restart_interval: restart_interval.max(1), last_key: Vec::new(), entries: 0 }
    }

    /// Keys must be added in increasing order (the caller guarantees it).
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        let mut shared = 0;
        if self.counter < self.restart_interval {
            let max = self.last_key.len().min(key.len());
            while shared < max && self.last_key[shared] == key[shared] {
                shared += 1;
            }
        } else {
            self.restarts.push(self.buf.len() as u32);
            self.counter = 0;
        }
        put_varint32(&mut self.buf, shared as u32);
        put_varint32(&mut self.buf, (key.len() - shared) as u32);
        put_varint32(&mut self.buf, value.len() as u32);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        self.counter += 1;
        self.entries += 1;
    }

    pub fn size_estimate(&self) -> usize {
        self.buf.len() + self.restarts.len() * 4 + 4
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    pub fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Appends the restart array and returns the finished block; the builder is reset.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for &r in &self.restarts {
            put_fixed32(&mut out, r);
        }
        put_fixed32(&mut out, self.restarts.len() as u32);
        self.restarts.clear();
        self.restarts.push(0);
        self.counter = 0;
        self.entries = 0;
        self.last_key.clear();
        out
    }
}

/// A decoded (uncompressed, checksum-verified) block.
pub struct Block {
    data: Vec<u8>,
    restart_offset: usize,
    num_restarts: usize,
}

impl Block {
    pub fn new(data: Vec<u8>) -> Result<Block> {
        if data.len() < 4 {
            return Err(Error::corruption("block too short"));
        }
        let n = fixed32(&data, data.len() - 4) as usize;
        let max = (data.len() - 4) / 4;
        if n == 0 || n > max {
            return Err(Error::corruption(format!("block has bad restart count {n}")));
        }
        let restart_offset = data.len() - 4 - n * 4;
        Ok(Block { data, restart_offset, num_restarts: n })
    }

    pub fn size(&self) -> usize {
        self.data.len()
    }

    fn restart_point(&self, i: usize) -> usize {
        fixed32(&self.data, self.restart_offset + i * 4) as usize
    }
}

/// How keys in a block are ordered: data and index blocks hold internal keys.
#[derive(Clone, Copy)]
pub enum KeyOrder {
    Internal,
    Bytewise,
}

impl KeyOrder {
    #[inline]
    fn compare(self, a: &[u8], b: &[u8]) -> Ordering {
        match self {
            KeyOrder::Internal => key::compare(a, b),
            KeyOrder::Bytewise => a.cmp(b),
        }
    }
}

pub struct BlockIter {
    block: Arc<Block>,
    order: KeyOrder,
    /// Offset of the current entry; `restart_offset` when not valid.
    current: usize,
    next_off: usize,
    key: Vec<u8>,
    value: (usize, usize),
    err: Option<Error>,
}

impl BlockIter {
    pub fn new(block: Arc<Block>, order: KeyOrder) -> BlockIter {
        let end = block.restart_offset;
        BlockIter { block, order, current: end, next_off: end, key: Vec::new(), value: (0, 0), err: None }
    }

    fn corrupt(&mut self, what: &str) {
        self.err = Some(Error::corruption(format!("block entry: {what}")));
        self.current = self.block.restart_offset;
    }

    /// Decodes the entry at `next_off` into `key`/`value`; false at the end or on corruption.
    fn parse_next(&mut self) -> bool {
        let end = self.block.restart_offset;
        if self.next_off >= end {
            self.current = end;
            return false;
        }
        let data = &self.block.data[..end];
        let mut p = self.next_off;
        let (Some(shared), Some(non_shared), Some(vlen)) = (get_varint32(data, &mut p), get_varint32(data, &mut p), get_varint32(data, &mut p)) else {
            self.corrupt("bad header");
            return false;
        };
        let (shared, non_shared, vlen) = (shared as usize, non_shared as usize, vlen as usize);
        if shared > self.key.len() || p + non_shared + vlen > end {
            self.corrupt("out of range");
            return false;
        }
        self.key.truncate(shared);
        self.key.extend_from_slice(&data[p..p + non_shared]);
        p += non_shared;
        self.value = (p, p + vlen);
        self.current = self.next_off;
        self.next_off = p + vlen;
        true
    }

    fn seek_to_restart(&mut self, i: usize) {
        self.key.clear();
        self.next_off = self.block.restart_point(i);
    }

    /// Key stored whole at restart point `i` (None if malformed).
    fn restart_key(&self, i: usize) -> Option<&[u8]> {
        let data = &self.block.data[..self.block.restart_offset];
        let mut p = self.block.restart_point(i);
        let shared = get_varint32(data, &mut p)?;
        let non_shared = get_varint32(data, &mut p)? as usize;
        let _vlen = get_varint32(data, &mut p)?;
        if shared != 0 || p + non_shared > data.len() {
            return None;
        }
        Some(&data[p..p + non_shared])
    }
}

impl InternalIterator for BlockIter {
    fn valid(&self) -> bool {
        self.err.is_none() && self.current < self.block.restart_offset
    }

    fn seek_to_first(&mut self) {
        if self.err.is_some() {
            return;
        }
        self.seek_to_restart(0);
        self.parse_next();
    }

    fn seek(&mut self, target: &[u8]) {
        if self.err.is_some() {
            return;
        }
        // Last restart point whose key is < target.
        let (mut lo, mut hi) = (0usize, self.block.num_restarts - 1);
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            match self.restart_key(mid) {
                Some(k) if self.order.compare(k, target) == Ordering::Less => lo = mid,
                Some(_) => hi = mid - 1,
                None => {
                    self.corrupt("bad restart point");
                    return;
                }
            }
        }
        self.seek_to_restart(lo);
        while self.parse_next() {
            if self.order.compare(&self.key, target) != Ordering::Less {
                return;
            }
        }
    }

    fn next(&mut self) {
        if self.valid() {
            self.parse_next();
        }
    }

    fn key(&self) -> &[u8] {
        &self.key
    }

    fn value(&self) -> &[u8] {
        &self.block.data[self.value.0..self.value.1]
    }

    fn status(&self) -> Result<()> {
        match &self.err {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(keys: &[Vec<u8>], interval: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(interval);
        for (i, k) in keys.iter().enumerate() {
            b.add(k, format!("v{i}").as_bytes());
        }
        Arc::new(Block::new(b.finish()).unwrap())
    }

    #[test]
    fn seek_and_scan() {
        let keys: Vec<Vec<u8>> = (0..200).map(|i| format!("key{:04}", i * 2).into_bytes()).collect();
        for interval in [1, 2, 16, 1000] {
            let blk = build(&keys, interval);
            let mut it = BlockIter::new(blk.clone(), KeyOrder::Bytewise);
            it.seek_to_first();
            for (i, k) in keys.iter().enumerate() {
                assert!(it.valid());
                assert_eq!(it.key(), &k[..]);
                assert_eq!(it.value(), format!("v{i}").as_bytes());
                it.next();
            }
            assert!(!it.valid());
            for i in 0..400usize {
                it.seek(format!("key{i:04}").as_bytes());
                let want = i.div_ceil(2);
                if want < 200 {
                    assert_eq!(it.key(), &keys[want][..], "interval {interval} seek {i}");
                } else {
                    assert!(!it.valid());
                }
            }
            it.seek(b"");
            assert_eq!(it.key(), &keys[0][..]);
            it.seek(b"zzz");
            assert!(!it.valid());
            it.status().unwrap();
        }
    }

    #[test]
    fn exact_bytes_pinned() {
        let mut b = BlockBuilder::new(16);
        b.add(b"abc", b"1");
        b.add(b"abd", b"22");
        let data = b.finish();
        assert_eq!(data, vec![0, 3, 1, b'a', b'b', b'c', b'1', 2, 1, 2, b'd', b'2', b'2', 0, 0, 0, 0, 1, 0, 0, 0]);
    }

    #[test]
    fn corrupt_blocks_do_not_panic() {
        let keys: Vec<Vec<u8>> = (0..50).map(|i| format!("k{i:03}").into_bytes()).collect();
        let mut b = BlockBuilder::new(4);
        for k in &keys {
            b.add(k, b"value");
        }
        let good = b.finish();
        let mut seed = 12345u64;
        for _ in 0..2000 {
            let mut d = good.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let pos = (seed >> 33) as usize % d.len();
                d[pos] = (seed >> 13) as u8;
            }
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            if seed.is_multiple_of(5) {
                d.truncate((seed >> 40) as usize % d.len());
            }
            if let Ok(blk) = Block::new(d) {
                let mut it = BlockIter::new(Arc::new(blk), KeyOrder::Bytewise);
                it.seek_to_first();
                let mut n = 0;
                while it.valid() && n < 1000 {
                    it.next();
                    n += 1;
                }
                it.seek(b"k025");
            }
        }
        assert!(Block::new(vec![1, 0]).is_err());
        assert!(Block::new(vec![0, 0, 0, 0]).is_err());
    }
}
