//! Memtable: the sorted in-memory buffer that receives every committed write.
//!
//! Entries live in a `BTreeSet` under an `RwLock`. Each entry is one shared allocation holding
//! `internal_key ++ value`, so iterators can copy entries out in chunks by bumping reference
//! counts and never hold the lock between calls. Writers insert in short chunks so a reader on
//! the JS thread waits at most a few microseconds; entries newer than a reader's sequence are
//! invisible to it anyway.

use super::batch;
use super::error::Result;
use super::iter::InternalIterator;
use super::key::{self, TYPE_VALUE};
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, RwLock};

/// Approximate bookkeeping cost per entry (Arc header, set slot, allocator rounding).
const ENTRY_OVERHEAD: usize = 64;
/// Inserts per write-lock acquisition.
const INSERT_CHUNK: usize = 128;
/// Entries an iterator copies out per lock acquisition.
const ITER_CHUNK: usize = 256;

#[derive(Clone)]
pub struct MemEntry {
    data: Arc<[u8]>,
    ikey_len: u32,
}

impl MemEntry {
    fn new(user_key: &[u8], seq: u64, vt: u8, value: &[u8]) -> MemEntry {
        let ikey_len = user_key.len() + key::TRAILER_LEN;
        let mut v = Vec::with_capacity(ikey_len + value.len());
        key::append_internal_key(&mut v, user_key, seq, vt);
        v.extend_from_slice(value);
        MemEntry { data: Arc::from(v), ikey_len: ikey_len as u32 }
    }

    #[inline]
    pub fn ikey(&self) -> &[u8] {
        &self.data[..self.ikey_len as usize]
    }

    #[inline]
    pub fn value(&self) -> &[u8] {
        &self.data[self.ikey_len as usize..]
    }
}

/// An internal key as an unsized view, so the set can be searched with a borrowed key
/// (no allocation per lookup) through `Borrow<IKey>`.
#[repr(transparent)]
pub struct IKey([u8]);

impl IKey {
    pub fn new(b: &[u8]) -> &IKey {
        // SAFETY: IKey is a transparent wrapper around [u8].
        unsafe { &*(b as *const [u8] as *const IKey) }
    }
}

impl PartialEq for IKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for IKey {}
impl PartialOrd for IKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for IKey {
    fn cmp(&self, other: &Self) -> Ordering {
        key::compare(&self.0, &other.0)
    }
}

impl std::borrow::Borrow<IKey> for MemEntry {
    fn borrow(&self) -> &IKey {
        IKey::new(self.ikey())
    }
}

impl PartialEq for MemEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MemEntry {}
impl PartialOrd for MemEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MemEntry {
    fn cmp(&self, other: &Self) -> Ordering {
        key::compare(self.ikey(), other.ikey())
    }
}

/// Outcome of a point lookup in one memtable.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    Value(Vec<u8>),
    Deleted,
}

pub struct MemTable {
    set: RwLock<BTreeSet<MemEntry>>,
    bytes: AtomicUsize,
    entries: AtomicUsize,
    /// WAL file that holds this memtable's writes; obsolete once the memtable is flushed.
    pub wal_number: u64,
}

impl MemTable {
    pub fn new(wal_number: u64) -> MemTable {
        MemTable { set: RwLock::new(BTreeSet::new()), bytes: AtomicUsize::new(0), entries: AtomicUsize::new(0), wal_number }
    }

    /// Inserts every record of an encoded batch (sequence already set in its header).
    pub fn add_batch(&self, rep: &[u8]) -> Result<()> {
        let mut seq = batch::sequence(rep);
        let mut pending: Vec<MemEntry> = Vec::with_capacity(batch::count(rep) as usize);
        let mut bytes = 0usize;
        batch::for_each(rep, |tag, k, v| {
            let e = MemEntry::new(k, seq, tag, v);
            bytes += e.data.len() + ENTRY_OVERHEAD;
            pending.push(e);
            seq += 1;
        })?;
        for chunk in pending.chunks(INSERT_CHUNK) {
            let mut set = self.set.write().unwrap_or_else(|p| p.into_inner());
            for e in chunk {
                set.insert(e.clone());
            }
        }
        self.entries.fetch_add(pending.len(), AtomicOrdering::Relaxed);
        self.bytes.fetch_add(bytes, AtomicOrdering::Relaxed);
        Ok(())
    }

    /// Newest version of `user_key` with sequence <= `seq`.
    pub fn get(&self, user_key: &[u8], seq: u64) -> Option<Lookup> {
        let lk = key::lookup_key(user_key, seq);
        let set = self.set.read().unwrap_or_else(|p| p.into_inner());
        let e = set.range::<IKey, _>((Bound::Included(IKey::new(&lk)), Bound::Unbounded)).next()?;
        let p = key::parse(e.ikey())?;
        if p.user_key != user_key {
            return None;
        }
        Some(if p.vt == TYPE_VALUE { Lookup::Value(e.value().to_vec()) } else { Lookup::Deleted })
    }

    pub fn approximate_bytes(&self) -> usize {
        self.bytes.load(AtomicOrdering::Relaxed)
    }

    pub fn len(&self) -> usize {
        self.entries.load(AtomicOrdering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn collect(&self, from: Bound<&IKey>, out: &mut Vec<MemEntry>) {
        out.clear();
        let set = self.set.read().unwrap_or_else(|p| p.into_inner());
        out.extend(set.range::<IKey, _>((from, Bound::Unbounded)).take(ITER_CHUNK).cloned());
    }
}

/// Iterator over a memtable that copies entries out in chunks (see module docs).
pub struct MemIter {
    mem: Arc<MemTable>,
    buf: Vec<MemEntry>,
    pos: usize,
}

impl MemIter {
    pub fn new(mem: Arc<MemTable>) -> MemIter {
        MemIter { mem, buf: Vec::new(), pos: 0 }
    }
}

impl InternalIterator for MemIter {
    fn valid(&self) -> bool {
        self.pos < self.buf.len()
    }
    fn seek_to_first(&mut self) {
        self.mem.collect(Bound::Unbounded, &mut self.buf);
        self.pos = 0;
    }
    fn seek(&mut self, target: &[u8]) {
        self.mem.collect(Bound::Included(IKey::new(target)), &mut self.buf);
        self.pos = 0;
    }
    fn next(&mut self) {
        self.pos += 1;
        if self.pos == self.buf.len() && self.buf.len() == ITER_CHUNK {
            let last = self.buf[self.pos - 1].clone();
            self.mem.collect(Bound::Excluded(IKey::new(last.ikey())), &mut self.buf);
            self.pos = 0;
        }
    }
    fn key(&self) -> &[u8] {
        self.buf[self.pos].ikey()
    }
    fn value(&self) -> &[u8] {
        self.buf[self.pos].value()
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::batch::{set_sequence, WriteBatch};

    fn apply(m: &MemTable, seq: u64, f: impl FnOnce(&mut WriteBatch)) {
        let mut b = WriteBatch::new();
        f(&mut b);
        let mut rep = b.into_rep();
        set_sequence(&mut rep, seq);
        m.add_batch(&rep).unwrap();
    }

    #[test]
    fn versions_and_visibility() {
        let m = MemTable::new(1);
        apply(&m, 1, |b| {
            b.put(b"a", b"1").put(b"b", b"x");
        });
        apply(&m, 3, |b| {
            b.delete(b"a");
        });
        apply(&m, 4, |b| {
            b.put(b"a", b"2");
        });
        assert_eq!(m.get(b"a", 1), Some(Lookup::Value(b"1".to_vec())));
        assert_eq!(m.get(b"a", 2), Some(Lookup::Value(b"1".to_vec())));
        assert_eq!(m.get(b"a", 3), Some(Lookup::Deleted));
        assert_eq!(m.get(b"a", 100), Some(Lookup::Value(b"2".to_vec())));
        assert_eq!(m.get(b"b", 100), Some(Lookup::Value(b"x".to_vec())));
        assert_eq!(m.get(b"c", 100), None);
        assert_eq!(m.get(b"a", 0), None);
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn iterator_chunks() {
        let m = Arc::new(MemTable::new(1));
        let n = ITER_CHUNK * 3 + 5;
        for i in 0..n {
            apply(&m, i as u64 + 1, |b| {
                b.put(format!("k{i:05}").as_bytes(), b"v");
            });
        }
        let mut it = MemIter::new(m.clone());
        it.seek_to_first();
        let mut count = 0;
        let mut prev: Option<Vec<u8>> = None;
        while it.valid() {
            if let Some(p) = &prev {
                assert_eq!(key::compare(p, it.key()), Ordering::Less);
            }
            prev = Some(it.key().to_vec());
            count += 1;
            it.next();
        }
        assert_eq!(count, n);
        it.seek(&key::lookup_key(b"k00500", u64::MAX >> 8));
        assert_eq!(key::user_key(it.key()), b"k00500");
    }
}
