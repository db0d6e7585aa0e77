//! The internal iterator interface (entries in internal-key order) and the merging iterator
//! that combines memtables and tables for reads, iterators and compaction.

use super::error::Result;
use super::key;
use std::cmp::Ordering;

/// Forward iterator over (internal key, value) entries in internal-key order.
pub trait InternalIterator: Send {
    fn valid(&self) -> bool;
    fn seek_to_first(&mut self);
    /// Positions at the first entry with internal key >= `target`.
    fn seek(&mut self, target: &[u8]);
    fn next(&mut self);
    /// Internal key of the current entry; only while `valid()`.
    fn key(&self) -> &[u8];
    fn value(&self) -> &[u8];
    /// First error met (corrupt block, I/O); an iterator with an error is not valid.
    fn status(&self) -> Result<()>;
}

/// Merges children by internal key. The child count is small (two memtables, at most the L0
/// stop trigger of L0 tables, one concatenating iterator per deeper level), so a linear scan
/// for the minimum beats maintaining a heap.
pub struct MergingIter {
    children: Vec<Box<dyn InternalIterator>>,
    current: Option<usize>,
}

impl MergingIter {
    pub fn new(children: Vec<Box<dyn InternalIterator>>) -> MergingIter {
        MergingIter { children, current: None }
    }

    fn find_smallest(&mut self) {
        let mut best: Option<usize> = None;
        for (i, c) in self.children.iter().enumerate() {
            if !c.valid() {
                continue;
            }
            best = match best {
                None => Some(i),
                // Ties (same internal key in two children) cannot occur for distinct sequence
                // numbers; prefer the earlier (newer) child if they ever do.
                Some(b) if key::compare(c.key(), self.children[b].key()) == Ordering::Less => Some(i),
                keep => keep,
            };
        }
        self.current = best;
    }
}

impl InternalIterator for MergingIter {
    fn valid(&self) -> bool {
        self.current.is_some()
    }
    fn seek_to_first(&mut self) {
        for c in &mut self.children {
            c.seek_to_first();
        }
        self.find_smallest();
    }
    fn seek(&mut self, target: &[u8]) {
        for c in &mut self.children {
            c.seek(target);
        }
        self.find_smallest();
    }
    fn next(&mut self) {
        if let Some(i) = self.current {
            self.children[i].next();
            self.find_smallest();
        }
    }
    fn key(&self) -> &[u8] {
        self.children[self.current.expect("valid")].key()
    }
    fn value(&self) -> &[u8] {
        self.children[self.current.expect("valid")].value()
    }
    fn status(&self) -> Result<()> {
        for c in &self.children {
            c.status()?;
        }
        Ok(())
    }
}

/// Iterator over an in-memory sorted vector (tests and small inputs).
pub struct VecIter {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    pos: usize,
}

impl VecIter {
    /// `entries` must already be sorted by internal key.
    pub fn new(entries: Vec<(Vec<u8>, Vec<u8>)>) -> VecIter {
        let pos = entries.len();
        VecIter { entries, pos }
    }
}

impl InternalIterator for VecIter {
    fn valid(&self) -> bool {
        self.pos < self.entries.len()
    }
    fn seek_to_first(&mut self) {
        self.pos = 0;
    }
    fn seek(&mut self, target: &[u8]) {
        self.pos = self.entries.partition_point(|(k, _)| key::compare(k, target) == Ordering::Less);
    }
    fn next(&mut self) {
        self.pos += 1;
    }
    fn key(&self) -> &[u8] {
        &self.entries[self.pos].0
    }
    fn value(&self) -> &[u8] {
        &self.entries[self.pos].1
    }
    fn status(&self) -> Result<()> {
        Ok(())
    }
}
