//! Versions: the immutable set of live tables per level, replaced atomically by applying a
//! `VersionEdit` (the unit the manifest logs). Readers and iterators hold an `Arc<Version>`, so
//! a compaction never pulls a table out from under them; a table file is deleted when the
//! last version referencing it is dropped.

use super::error::{Error, Result};
use super::iter::InternalIterator;
use super::key;
use super::memtable::Lookup;
use super::options::NUM_LEVELS;
use super::sstable::{Table, TableIter};
use crate::coding::{get_length_prefixed, get_varint32, get_varint64, put_length_prefixed, put_varint32, put_varint64};
use std::cmp::Ordering;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

/// Shared by all tables of one open DB: where they live, whether the DB is still open, and
/// the obsolete tables waiting to be unlinked. Unlinking a large file can take milliseconds,
/// and the last reference to an old version may be dropped on the JS thread (by a read or an
/// iterator), so deletion is queued here and done by the background threads.
/// After close, deletion stops: a reopened DB may already own the directory (it removes
/// leftovers itself at open).
pub struct FileOwner {
    pub dir: PathBuf,
    pub closed: AtomicBool,
    pending_deletes: std::sync::Mutex<Vec<u64>>,
}

impl FileOwner {
    pub fn new(dir: PathBuf) -> FileOwner {
        FileOwner { dir, closed: AtomicBool::new(false), pending_deletes: std::sync::Mutex::new(Vec::new()) }
    }

    /// Unlinks the queued obsolete tables (background threads and close call this).
    pub fn delete_pending(&self) {
        let list = std::mem::take(&mut *self.pending_deletes.lock().unwrap_or_else(|p| p.into_inner()));
        if self.closed.load(AtomicOrdering::Acquire) {
            return;
        }
        for n in list {
            let _ = std::fs::remove_file(self.dir.join(table_file_name(n)));
        }
    }

    pub fn has_pending_deletes(&self) -> bool {
        !self.pending_deletes.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}

pub struct FileMeta {
    pub number: u64,
    pub size: u64,
    pub entries: u64,
    pub smallest: Vec<u8>,
    pub largest: Vec<u8>,
    pub table: Arc<Table>,
    obsolete: AtomicBool,
    owner: Arc<FileOwner>,
}

impl FileMeta {
    pub fn new(number: u64, size: u64, entries: u64, smallest: Vec<u8>, largest: Vec<u8>, table: Arc<Table>, owner: Arc<FileOwner>) -> FileMeta {
        FileMeta { number, size, entries, smallest, largest, table, obsolete: AtomicBool::new(false), owner }
    }

    pub fn smallest_user(&self) -> &[u8] {
        key::user_key(&self.smallest)
    }

    pub fn largest_user(&self) -> &[u8] {
        key::user_key(&self.largest)
    }

    /// Marks the file for deletion once no version references it.
    pub fn mark_obsolete(&self) {
        self.obsolete.store(true, AtomicOrdering::Release);
    }

    pub fn overlaps_user_range(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> bool {
        start.is_none_or(|s| self.largest_user() >= s) && end.is_none_or(|e| self.smallest_user() <= e)
    }
}

impl Drop for FileMeta {
    fn drop(&mut self) {
        if self.obsolete.load(AtomicOrdering::Acquire) && !self.owner.closed.load(AtomicOrdering::Acquire) {
            self.owner.pending_deletes.lock().unwrap_or_else(|p| p.into_inner()).push(self.number);
        }
    }
}

pub fn table_file_name(number: u64) -> String {
    format!("{number:06}.sst")
}

pub fn wal_file_name(number: u64) -> String {
    format!("{number:06}.wal")
}

pub fn manifest_file_name(number: u64) -> String {
    format!("MANIFEST-{number:06}")
}

/// A table as recorded in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFile {
    pub number: u64,
    pub size: u64,
    pub entries: u64,
    pub smallest: Vec<u8>,
    pub largest: Vec<u8>,
}

// Version edit tags (FORMAT.md "Manifest"). Never renumber.
pub const TAG_LOG_NUMBER: u32 = 1;
pub const TAG_NEXT_FILE_NUMBER: u32 = 2;
pub const TAG_LAST_SEQUENCE: u32 = 3;
pub const TAG_COMPACT_POINTER: u32 = 4;
pub const TAG_DELETED_FILE: u32 = 5;
pub const TAG_NEW_FILE: u32 = 6;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VersionEdit {
    pub log_number: Option<u64>,
    pub next_file_number: Option<u64>,
    pub last_sequence: Option<u64>,
    pub compact_pointers: Vec<(usize, Vec<u8>)>,
    pub deleted: Vec<(usize, u64)>,
    pub added: Vec<(usize, NewFile)>,
}

impl VersionEdit {
    pub fn encode(&self) -> Vec<u8> {
        let mut d = Vec::new();
        if let Some(v) = self.log_number {
            put_varint32(&mut d, TAG_LOG_NUMBER);
            put_varint64(&mut d, v);
        }
        if let Some(v) = self.next_file_number {
            put_varint32(&mut d, TAG_NEXT_FILE_NUMBER);
            put_varint64(&mut d, v);
        }
        if let Some(v) = self.last_sequence {
            put_varint32(&mut d, TAG_LAST_SEQUENCE);
            put_varint64(&mut d, v);
        }
        for (level, k) in &self.compact_pointers {
            put_varint32(&mut d, TAG_COMPACT_POINTER);
            put_varint32(&mut d, *level as u32);
            put_length_prefixed(&mut d, k);
        }
        for (level, n) in &self.deleted {
            put_varint32(&mut d, TAG_DELETED_FILE);
            put_varint32(&mut d, *level as u32);
            put_varint64(&mut d, *n);
        }
        for (level, f) in &self.added {
            put_varint32(&mut d, TAG_NEW_FILE);
            put_varint32(&mut d, *level as u32);
            put_varint64(&mut d, f.number);
            put_varint64(&mut d, f.size);
            put_varint64(&mut d, f.entries);
            put_length_prefixed(&mut d, &f.smallest);
            put_length_prefixed(&mut d, &f.largest);
        }
        d
    }

    pub fn decode(src: &[u8]) -> Result<VersionEdit> {
        let bad = |what: &str| Error::corruption(format!("manifest: bad {what} in version edit"));
        let level = |src: &[u8], p: &mut usize| -> Result<usize> {
            let l = get_varint32(src, p).ok_or_else(|| bad("level"))? as usize;
            if l >= NUM_LEVELS {
                return Err(bad("level"));
            }
            Ok(l)
        };
        let mut e = VersionEdit::default();
        let mut p = 0;
        while p < src.len() {
            let tag = get_varint32(src, &mut p).ok_or_else(|| bad("tag"))?;
            match tag {
                TAG_LOG_NUMBER => e.log_number = Some(get_varint64(src, &mut p).ok_or_else(|| bad("log number"))?),
                TAG_NEXT_FILE_NUMBER => e.next_file_number = Some(get_varint64(src, &mut p).ok_or_else(|| bad("next file number"))?),
                TAG_LAST_SEQUENCE => e.last_sequence = Some(get_varint64(src, &mut p).ok_or_else(|| bad("last sequence"))?),
                TAG_COMPACT_POINTER => {
                    let l = level(src, &mut p)?;
                    let k = get_length_prefixed(src, &mut p).ok_or_else(|| bad("compact pointer"))?;
                    e.compact_pointers.push((l, k.to_vec()));
                }
                TAG_DELETED_FILE => {
                    let l = level(src, &mut p)?;
                    let n = get_varint64(src, &mut p).ok_or_else(|| bad("deleted file"))?;
                    e.deleted.push((l, n));
                }
                TAG_NEW_FILE => {
                    let l = level(src, &mut p)?;
                    let number = get_varint64(src, &mut p).ok_or_else(|| bad("file number"))?;
                    let size = get_varint64(src, &mut p).ok_or_else(|| bad("file size"))?;
                    let entries = get_varint64(src, &mut p).ok_or_else(|| bad("entry count"))?;
                    let smallest = get_length_prefixed(src, &mut p).ok_or_else(|| bad("smallest key"))?.to_vec();
                    let largest = get_length_prefixed(src, &mut p).ok_or_else(|| bad("largest key"))?.to_vec();
                    if smallest.len() < key::TRAILER_LEN || largest.len() < key::TRAILER_LEN {
                        return Err(bad("file key range"));
                    }
                    e.added.push((l, NewFile { number, size, entries, smallest, largest }));
                }
                t => return Err(Error::corruption(format!("manifest: unknown version edit tag {t}"))),
            }
        }
        Ok(e)
    }
}

#[derive(Default)]
pub struct Version {
    /// Level 0 newest first (by file number); deeper levels sorted by smallest key and
    /// non-overlapping.
    pub files: [Vec<Arc<FileMeta>>; NUM_LEVELS],
}

impl Version {
    /// New version = `self` with `deleted` removed and `added` inserted.
    pub fn apply(&self, deleted: &[(usize, u64)], added: &[(usize, Arc<FileMeta>)]) -> Result<Version> {
        let mut v = Version::default();
        for level in 0..NUM_LEVELS {
            let mut files: Vec<Arc<FileMeta>> = self.files[level].iter().filter(|f| !deleted.iter().any(|&(l, n)| l == level && n == f.number)).cloned().collect();
            for (l, f) in added {
                if *l == level {
                    files.push(f.clone());
                }
            }
            if level == 0 {
                files.sort_by_key(|f| std::cmp::Reverse(f.number));
            } else {
                files.sort_by(|a, b| key::compare(&a.smallest, &b.smallest));
                for w in files.windows(2) {
                    if w[0].largest_user() >= w[1].smallest_user() {
                        return Err(Error::corruption(format!(
                            "overlapping tables {} and {} in level {level}",
                            table_file_name(w[0].number),
                            table_file_name(w[1].number)
                        )));
                    }
                }
            }
            v.files[level] = files;
        }
        Ok(v)
    }

    pub fn level_bytes(&self, level: usize) -> u64 {
        self.files[level].iter().map(|f| f.size).sum()
    }

    pub fn num_files(&self) -> usize {
        self.files.iter().map(|l| l.len()).sum()
    }

    pub fn find(&self, number: u64) -> Option<(usize, Arc<FileMeta>)> {
        for (l, files) in self.files.iter().enumerate() {
            if let Some(f) = files.iter().find(|f| f.number == number) {
                return Some((l, f.clone()));
            }
        }
        None
    }

    /// Files of `level` whose user-key range intersects [start, end] (None = unbounded).
    pub fn overlapping(&self, level: usize, start: Option<&[u8]>, end: Option<&[u8]>) -> Vec<Arc<FileMeta>> {
        self.files[level].iter().filter(|f| f.overlaps_user_range(start, end)).cloned().collect()
    }

    /// Index of the first file in a sorted level whose largest key is >= `ikey`.
    fn find_file(files: &[Arc<FileMeta>], ikey: &[u8]) -> usize {
        files.partition_point(|f| key::compare(&f.largest, ikey) == Ordering::Less)
    }

    /// Newest version of `user_key` visible at `seq`, searching L0 newest first, then each
    /// deeper level (at most one table per level). `hash` is the user key's bloom hash.
    pub fn get(&self, user_key: &[u8], lookup: &[u8], hash: u32) -> Result<Option<Lookup>> {
        let check = |f: &Arc<FileMeta>| -> Result<Option<Lookup>> {
            let r = f
                .table
                .get(lookup, hash, |k, v| match key::parse(k) {
                    None => Err(Error::corruption(format!("{}: bad internal key", table_file_name(f.number)))),
                    Some(p) if p.user_key != user_key => Ok(None),
                    Some(p) => Ok(Some(if p.vt == key::TYPE_VALUE { Lookup::Value(v.to_vec()) } else { Lookup::Deleted })),
                })
                .map_err(|e| e.context(table_file_name(f.number)))?;
            r.transpose().map(|o| o.flatten())
        };
        for f in &self.files[0] {
            if f.smallest_user() <= user_key && user_key <= f.largest_user() {
                if let Some(r) = check(f)? {
                    return Ok(Some(r));
                }
            }
        }
        for level in 1..NUM_LEVELS {
            let files = &self.files[level];
            if files.is_empty() {
                continue;
            }
            let i = Self::find_file(files, lookup);
            if i < files.len() && files[i].smallest_user() <= user_key {
                if let Some(r) = check(&files[i])? {
                    return Ok(Some(r));
                }
            }
        }
        Ok(None)
    }

    /// Iterators over every table: one per L0 file, one concatenating iterator per level.
    pub fn add_iterators(&self, out: &mut Vec<Box<dyn InternalIterator>>, fill_cache: bool) {
        for f in &self.files[0] {
            out.push(Box::new(TableIter::new(f.table.clone(), fill_cache)));
        }
        for level in 1..NUM_LEVELS {
            if !self.files[level].is_empty() {
                out.push(Box::new(LevelIter::new(self.files[level].clone(), fill_cache)));
            }
        }
    }
}

/// Concatenates the tables of one sorted, non-overlapping level, opening each table's
/// iterator only when the scan reaches it.
pub struct LevelIter {
    files: Vec<Arc<FileMeta>>,
    index: usize,
    cur: Option<TableIter>,
    fill_cache: bool,
}

impl LevelIter {
    pub fn new(files: Vec<Arc<FileMeta>>, fill_cache: bool) -> LevelIter {
        let index = files.len();
        LevelIter { files, index, cur: None, fill_cache }
    }

    fn open(&mut self, i: usize) {
        self.index = i;
        self.cur = self.files.get(i).map(|f| TableIter::new(f.table.clone(), self.fill_cache));
    }

    fn skip_exhausted(&mut self) {
        while let Some(c) = &self.cur {
            if c.valid() || c.status().is_err() {
                return;
            }
            let next = self.index + 1;
            self.open(next);
            if let Some(c) = self.cur.as_mut() {
                c.seek_to_first();
            }
        }
    }
}

impl InternalIterator for LevelIter {
    fn valid(&self) -> bool {
        self.cur.as_ref().is_some_and(|c| c.valid())
    }
    fn seek_to_first(&mut self) {
        self.open(0);
        if let Some(c) = self.cur.as_mut() {
            c.seek_to_first();
        }
        self.skip_exhausted();
    }
    fn seek(&mut self, target: &[u8]) {
        let i = Version::find_file(&self.files, target);
        self.open(i);
        if let Some(c) = self.cur.as_mut() {
            c.seek(target);
        }
        self.skip_exhausted();
    }
    fn next(&mut self) {
        if let Some(c) = self.cur.as_mut() {
            c.next();
            self.skip_exhausted();
        }
    }
    fn key(&self) -> &[u8] {
        self.cur.as_ref().expect("valid").key()
    }
    fn value(&self) -> &[u8] {
        self.cur.as_ref().expect("valid").value()
    }
    fn status(&self) -> Result<()> {
        match &self.cur {
            Some(c) => c.status().map_err(|e| e.context(table_file_name(self.files[self.index].number))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_roundtrip_and_pinned_tags() {
        let e = VersionEdit {
            log_number: Some(7),
            next_file_number: Some(9),
            last_sequence: Some(1 << 40),
            compact_pointers: vec![(1, key::internal_key(b"m", 3, 1))],
            deleted: vec![(0, 4), (1, 5)],
            added: vec![(2, NewFile { number: 8, size: 1234, entries: 10, smallest: key::internal_key(b"a", 1, 1), largest: key::internal_key(b"z", 2, 0) })],
        };
        let enc = e.encode();
        assert_eq!(VersionEdit::decode(&enc).unwrap(), e);
        assert_eq!(&enc[..4], &[1, 7, 2, 9]);
        assert!(VersionEdit::decode(&[99, 1]).is_err());
        assert!(VersionEdit::decode(&enc[..enc.len() - 1]).is_err());
        assert!(VersionEdit::decode(&[TAG_DELETED_FILE as u8, 7, 1]).is_err(), "level out of range");
    }
}
