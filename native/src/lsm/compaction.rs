//! Leveled compaction: choosing inputs, merging them into new tables (dropping shadowed
//! versions, tombstones at the bottom, and expired values via the compaction filter), and
//! writing level-0 tables from memtables. Runs on background threads; it touches shared
//! state only through the `Version` it was given and the file-number allocator.

use super::error::{Error, ErrorKind, Result};
use super::iter::{InternalIterator, MergingIter};
use super::key::{self, TYPE_DELETION, TYPE_VALUE};
use super::options::{Options, NUM_LEVELS};
use super::sstable::{Table, TableBuilder, TableIter};
use super::version::{table_file_name, FileMeta, FileOwner, LevelIter, NewFile, Version, VersionEdit};
use crate::lsm::cache::BlockCache;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

pub struct Compaction {
    /// Level of `inputs[0]`.
    pub level: usize,
    /// Level of `inputs[1]` and of the outputs: `level + 1`, or `level` for an in-place
    /// rewrite of the deepest level (manual compaction).
    pub output_level: usize,
    pub inputs: [Vec<Arc<FileMeta>>; 2],
    /// Manual (compactRange) compactions always rewrite: their point is to drop garbage.
    pub manual: bool,
}

impl Compaction {
    pub fn input_bytes(&self) -> u64 {
        self.inputs.iter().flatten().map(|f| f.size).sum()
    }

    /// One file that overlaps nothing below can simply be moved down a level.
    pub fn is_trivial_move(&self) -> bool {
        !self.manual && self.output_level != self.level && self.inputs[0].len() == 1 && self.inputs[1].is_empty()
    }
}

/// Highest (level, score); a score >= 1 means the level needs compaction.
pub fn score(v: &Version, opts: &Options) -> (usize, f64) {
    let mut best = (0, v.files[0].len() as f64 / opts.l0_compaction_trigger as f64);
    for level in 1..NUM_LEVELS - 1 {
        let s = v.level_bytes(level) as f64 / opts.max_bytes_for_level(level) as f64;
        if s > best.1 {
            best = (level, s);
        }
    }
    best
}

pub fn needs_compaction(v: &Version, opts: &Options) -> bool {
    score(v, opts).1 >= 1.0
}

fn user_range(files: &[Arc<FileMeta>]) -> (Vec<u8>, Vec<u8>) {
    let mut lo = files[0].smallest_user().to_vec();
    let mut hi = files[0].largest_user().to_vec();
    for f in &files[1..] {
        if f.smallest_user() < lo.as_slice() {
            lo = f.smallest_user().to_vec();
        }
        if f.largest_user() > hi.as_slice() {
            hi = f.largest_user().to_vec();
        }
    }
    (lo, hi)
}

/// Level-0 files overlap each other: take every L0 file transitively overlapping `seed`, so no
/// L0 file left behind holds an older version of a key that moves down (which would then
/// shadow the newer one).
fn level0_closure(v: &Version, seed: Vec<Arc<FileMeta>>) -> Vec<Arc<FileMeta>> {
    let mut set = seed;
    loop {
        let (lo, hi) = user_range(&set);
        let all = v.overlapping(0, Some(&lo), Some(&hi));
        if all.len() == set.len() {
            return all;
        }
        set = all;
    }
}

fn with_next_level(v: &Version, level: usize, inputs: Vec<Arc<FileMeta>>) -> Compaction {
    let (lo, hi) = user_range(&inputs);
    let below = v.overlapping(level + 1, Some(&lo), Some(&hi));
    Compaction { level, output_level: level + 1, inputs: [inputs, below], manual: false }
}

/// Automatic pick: the level with the highest score; within a level, round-robin by the
/// compaction pointer so every key range gets its turn.
pub fn pick(v: &Version, opts: &Options, pointers: &[Vec<u8>]) -> Option<Compaction> {
    let (level, s) = score(v, opts);
    if s < 1.0 {
        return None;
    }
    if level == 0 {
        let oldest = v.files[0].last()?.clone();
        return Some(with_next_level(v, 0, level0_closure(v, vec![oldest])));
    }
    let files = &v.files[level];
    let ptr = &pointers[level];
    let f = files.iter().find(|f| ptr.is_empty() || key::compare(&f.largest, ptr) == std::cmp::Ordering::Greater).or(files.first())?.clone();
    Some(with_next_level(v, level, vec![f]))
}

/// Manual pick for `compactRange`: files of `level` overlapping [start, end], bounded to about
/// 25 target-sized files per step so one step never holds the compaction lock for long.
pub fn pick_range(v: &Version, opts: &Options, level: usize, start: Option<&[u8]>, end: Option<&[u8]>) -> Option<Compaction> {
    if level + 1 >= NUM_LEVELS {
        return None;
    }
    let inputs = range_inputs(v, opts, level, start, end)?;
    let mut c = with_next_level(v, level, inputs);
    c.manual = true;
    Some(c)
}

/// Manual rewrite of part of the deepest populated level (level >= 1) into the same level,
/// so its tombstones and expired values are dropped even though nothing lies below it.
pub fn pick_range_in_place(v: &Version, opts: &Options, level: usize, start: Option<&[u8]>, end: Option<&[u8]>) -> Option<Compaction> {
    if level == 0 {
        return None;
    }
    let inputs = range_inputs(v, opts, level, start, end)?;
    Some(Compaction { level, output_level: level, inputs: [inputs, Vec::new()], manual: true })
}

fn range_inputs(v: &Version, opts: &Options, level: usize, start: Option<&[u8]>, end: Option<&[u8]>) -> Option<Vec<Arc<FileMeta>>> {
    let mut inputs = v.overlapping(level, start, end);
    if inputs.is_empty() {
        return None;
    }
    if level == 0 {
        return Some(level0_closure(v, inputs));
    }
    // Consecutive files of a sorted level, so the outputs cannot overlap the files left out.
    let limit = opts.target_file_size.saturating_mul(25);
    let mut total = 0;
    let mut n = 0;
    for f in &inputs {
        total += f.size;
        n += 1;
        if total >= limit {
            break;
        }
    }
    inputs.truncate(n);
    Some(inputs)
}

/// Everything a compaction or flush needs besides its inputs.
pub struct Context<'a> {
    pub dir: &'a Path,
    pub opts: &'a Options,
    pub cache: &'a Arc<BlockCache>,
    pub owner: &'a Arc<FileOwner>,
    /// Oldest sequence any reader can still see; older shadowed versions may be dropped.
    pub smallest_snapshot: u64,
    pub now_ms: u64,
    /// Set on close: long-running work stops early and leaves no trace.
    pub shutdown: &'a AtomicBool,
    pub new_file_number: &'a (dyn Fn() -> u64 + Sync),
}

pub struct Output {
    pub edit: VersionEdit,
    pub added: Vec<(usize, Arc<FileMeta>)>,
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub dropped_entries: u64,
    pub expired_entries: u64,
}

fn aborted() -> Error {
    Error { kind: ErrorKind::Closed, message: "background work aborted: database closing".into() }
}

/// Opens a finished table and wraps it for a version.
fn install_table(ctx: &Context, number: u64, s: super::sstable::TableSummary) -> Result<Arc<FileMeta>> {
    let path = ctx.dir.join(table_file_name(number));
    let table = Arc::new(Table::open(&path, number, ctx.cache.clone())?);
    Ok(Arc::new(FileMeta::new(number, s.size, s.entries, s.smallest, s.largest, table, ctx.owner.clone())))
}

fn new_file(meta: &FileMeta) -> NewFile {
    NewFile { number: meta.number, size: meta.size, entries: meta.entries, smallest: meta.smallest.clone(), largest: meta.largest.clone() }
}

/// Writes all entries of `it` (a memtable) into one level-0 table. None if it is empty.
pub fn write_level0_table(ctx: &Context, it: &mut dyn InternalIterator) -> Result<Option<Arc<FileMeta>>> {
    it.seek_to_first();
    if !it.valid() {
        return Ok(None);
    }
    let number = (ctx.new_file_number)();
    let path = ctx.dir.join(table_file_name(number));
    let mut b = TableBuilder::create(&path, ctx.opts)?;
    let mut n = 0u64;
    while it.valid() {
        if let Err(e) = b.add(it.key(), it.value()) {
            b.abandon();
            return Err(e);
        }
        n += 1;
        if n.is_multiple_of(4096) && ctx.shutdown.load(Ordering::Relaxed) {
            b.abandon();
            return Err(aborted());
        }
        it.next();
    }
    let s = match it.status().and_then(|_| b.finish()) {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    install_table(ctx, number, s).map(Some)
}

/// Tracks, for keys visited in increasing order, whether any level below the output level
/// may hold the key (if none does, a tombstone has nothing left to shadow).
struct BaseLevelCheck<'a> {
    version: &'a Version,
    output_level: usize,
    ptrs: [usize; NUM_LEVELS],
}

impl BaseLevelCheck<'_> {
    fn is_base_level_for(&mut self, user_key: &[u8]) -> bool {
        for level in self.output_level + 1..NUM_LEVELS {
            let files = &self.version.files[level];
            while self.ptrs[level] < files.len() {
                let f = &files[self.ptrs[level]];
                if user_key <= f.largest_user() {
                    if user_key >= f.smallest_user() {
                        return false;
                    }
                    break;
                }
                self.ptrs[level] += 1;
            }
        }
        true
    }
}

pub fn run(c: &Compaction, version: &Version, ctx: &Context) -> Result<Output> {
    let out_level = c.output_level;
    let mut edit = VersionEdit::default();
    for (i, files) in c.inputs.iter().enumerate() {
        for f in files {
            edit.deleted.push((if i == 0 { c.level } else { c.output_level }, f.number));
        }
    }
    if let Some(last) = c.inputs[0].iter().max_by(|a, b| key::compare(&a.largest, &b.largest)) {
        edit.compact_pointers.push((c.level, last.largest.clone()));
    }
    if c.is_trivial_move() {
        let f = c.inputs[0][0].clone();
        edit.added.push((out_level, new_file(&f)));
        return Ok(Output { edit, added: vec![(out_level, f)], bytes_read: 0, bytes_written: 0, dropped_entries: 0, expired_entries: 0 });
    }

    // Compaction reads do not fill the block cache: they would evict the blocks readers use.
    let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
    if c.level == 0 {
        for f in &c.inputs[0] {
            children.push(Box::new(TableIter::new(f.table.clone(), false)));
        }
    } else {
        children.push(Box::new(LevelIter::new(c.inputs[0].clone(), false)));
    }
    children.push(Box::new(LevelIter::new(c.inputs[1].clone(), false)));
    let mut it = MergingIter::new(children);
    it.seek_to_first();

    let mut base = BaseLevelCheck { version, output_level: out_level, ptrs: [0; NUM_LEVELS] };
    let filter = ctx.opts.compaction_filter.as_deref();
    let mut outputs: Vec<Arc<FileMeta>> = Vec::new();
    let mut builder: Option<(u64, TableBuilder)> = None;
    let mut current_user_key: Vec<u8> = Vec::new();
    let mut have_current = false;
    let mut last_seq_for_key = u64::MAX;
    let (mut visited, mut dropped, mut expired) = (0u64, 0u64, 0u64);
    let mut tomb = Vec::new();

    let result: Result<()> = (|| {
        while it.valid() {
            visited += 1;
            if visited.is_multiple_of(1024) && ctx.shutdown.load(Ordering::Relaxed) {
                return Err(aborted());
            }
            let ikey = it.key();
            let p = key::parse(ikey).ok_or_else(|| Error::corruption("compaction: bad internal key in input"))?;
            if !have_current || p.user_key != current_user_key.as_slice() {
                // A new user key: the only safe place to cut an output file, so the versions
                // of one key never straddle two files of a level.
                if let Some((_, b)) = &builder {
                    if b.file_size_estimate() >= ctx.opts.target_file_size {
                        let (n, b) = builder.take().unwrap();
                        outputs.push(install_table(ctx, n, b.finish()?)?);
                    }
                }
                current_user_key.clear();
                current_user_key.extend_from_slice(p.user_key);
                have_current = true;
                last_seq_for_key = u64::MAX;
            }
            let mut drop_it = false;
            let mut as_tombstone = false;
            if last_seq_for_key <= ctx.smallest_snapshot {
                // A newer version of this key is visible to every reader.
                drop_it = true;
            } else if p.vt == TYPE_DELETION && p.seq <= ctx.smallest_snapshot && base.is_base_level_for(p.user_key) {
                // Nothing older below to shadow, and no snapshot can see what it deleted.
                drop_it = true;
            } else if p.vt == TYPE_VALUE && filter.is_some_and(|f| f.is_dead(p.user_key, it.value(), ctx.now_ms)) {
                expired += 1;
                if p.seq <= ctx.smallest_snapshot && base.is_base_level_for(p.user_key) {
                    drop_it = true;
                } else {
                    // An older, live version may exist further down: keep shadowing it.
                    as_tombstone = true;
                }
            }
            last_seq_for_key = p.seq;
            if drop_it {
                dropped += 1;
            } else {
                if builder.is_none() {
                    let n = (ctx.new_file_number)();
                    builder = Some((n, TableBuilder::create(&ctx.dir.join(table_file_name(n)), ctx.opts)?));
                }
                let b = &mut builder.as_mut().unwrap().1;
                if as_tombstone {
                    tomb.clear();
                    key::append_internal_key(&mut tomb, p.user_key, p.seq, TYPE_DELETION);
                    b.add(&tomb, &[])?;
                } else {
                    b.add(ikey, it.value())?;
                }
            }
            it.next();
        }
        it.status()?;
        if let Some((n, b)) = builder.take() {
            outputs.push(install_table(ctx, n, b.finish()?)?);
        }
        Ok(())
    })();

    if let Err(e) = result {
        if let Some((_, b)) = builder.take() {
            b.abandon();
        }
        for f in &outputs {
            f.mark_obsolete(); // deleted when dropped below
        }
        return Err(e);
    }
    let mut added = Vec::new();
    let mut bytes_written = 0;
    for f in outputs {
        bytes_written += f.size;
        edit.added.push((out_level, new_file(&f)));
        added.push((out_level, f));
    }
    Ok(Output { edit, added, bytes_read: c.input_bytes(), bytes_written, dropped_entries: dropped, expired_entries: expired })
}
