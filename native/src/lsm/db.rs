//! The database: open/recovery, the group-commit write path, reads, snapshots, iterators,
//! background flush and compaction threads, stats and close.
//!
//! Writes: `enqueue` takes a ticket (an atomic counter) and pushes the batch onto a lock-free
//! stack (submit.rs); nothing a submitter does can wait for another thread. One committer at a
//! time (the `committing` flag: the "aikv-writer" thread, or a caller of `commit`) drains the
//! stack into a reorder buffer, takes the next run of consecutive tickets as a group, writes
//! it to the WAL with one write (and at most one fsync), inserts it into the memtable and
//! publishes the new last sequence and committed ticket.
//!
//! Locks (acquire in this order only: commit_state, writer, manifest, state):
//! * `commit_state`: the reorder buffer; only the current committer touches it.
//! * `writer`: the WAL writer; held by the committer (and by flush() to rotate the memtable).
//! * `manifest`: serializes version changes (flush, compaction). The manifest fsync happens
//!   under this lock but outside `state`, so readers never wait for disk.
//! * `state`: memtables, current version, counters. Held only for short, non-blocking sections;
//!   this is the only lock a read on the JS thread takes.
//!
//! Background threads: "aikv-flush" turns the immutable memtable into a level-0 table,
//! "aikv-compact" runs leveled compactions, "aikv-sync" fsyncs the WAL in periodic mode.

use super::batch;
use super::cache::BlockCache;
use super::compaction::{self, Compaction, Context};
use super::error::{Error, ErrorKind, Result};
use super::expiry;
use super::iter::{InternalIterator, MergingIter};
use super::key::{self, MAX_SEQUENCE, TYPE_VALUE};
use super::manifest::{self, Manifest};
use super::memtable::{Lookup, MemIter, MemTable};
use super::options::{CompactionFilter, Options, SyncMode, NUM_LEVELS};
use super::sstable::Table;
use super::version::{manifest_file_name, table_file_name, wal_file_name, FileMeta, FileOwner, NewFile, Version, VersionEdit};
use super::submit::SubmitStack;
use super::wal::{read_log, LogWriter};
use crate::bloom;
use std::collections::BTreeMap;
use std::fs::File;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock is caught at the boundary and turned into a sticky
    // background error; the data under the lock stays usable for reads and for close.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

#[derive(Default)]
struct Stats {
    user_bytes: AtomicU64,
    user_batches: AtomicU64,
    user_entries: AtomicU64,
    wal_bytes: AtomicU64,
    wal_syncs: AtomicU64,
    write_groups: AtomicU64,
    flushes: AtomicU64,
    flush_bytes: AtomicU64,
    compactions: AtomicU64,
    trivial_moves: AtomicU64,
    compaction_bytes_read: AtomicU64,
    compaction_bytes_written: AtomicU64,
    compaction_dropped: AtomicU64,
    compaction_expired: AtomicU64,
    stalls: AtomicU64,
    stall_micros: AtomicU64,
    slowdowns: AtomicU64,
    recovered_records: AtomicU64,
}

struct State {
    mem: Arc<MemTable>,
    imm: Option<Arc<MemTable>>,
    current: Arc<Version>,
    next_file_number: u64,
    log_number: u64,
    compact_pointers: Vec<Vec<u8>>,
    /// Live snapshot sequences (iterators register one too) -> reference count.
    snapshots: BTreeMap<u64, usize>,
    bg_error: Option<Error>,
    wal_file: Option<Arc<File>>,
    compacting: bool,
    recovery_note: Option<String>,
}

struct Pending {
    ticket: u64,
    rep: Vec<u8>,
    sync: bool,
}

/// What the committer writes to: the WAL and the memtable it belongs to (only the holder of
/// `writer` rotates them, so this copy of the memtable is always the live one).
struct WriterCtx {
    wal: LogWriter,
    mem: Arc<MemTable>,
}

/// Owned by the current committer.
struct CommitState {
    /// Batches with consecutive tickets, ready to commit in order.
    ready: std::collections::VecDeque<Pending>,
    /// Ticket after the last one in `ready` (or the next to commit if it is empty).
    next: u64,
    /// Batches that arrived ahead of a missing ticket (concurrent submitters), by ticket.
    early: BTreeMap<u64, Pending>,
}

pub struct DbInner {
    dir: PathBuf,
    opts: Options,
    cache: Arc<BlockCache>,
    owner: Arc<FileOwner>,
    state: Mutex<State>,
    bg_cv: Condvar,
    submissions: SubmitStack,
    next_ticket: AtomicU64,
    /// Set while some thread is committing (see module docs).
    committing: AtomicBool,
    commit_state: Mutex<CommitState>,
    /// Every ticket <= committed has been processed.
    committed: AtomicU64,
    /// Tickets >= this failed (the DB is then in a sticky error state).
    failed_from: Mutex<Option<(u64, Error)>>,
    /// Waiters for `committed` (synchronous writes, close).
    commit_mu: Mutex<()>,
    commit_cv: Condvar,
    /// The "aikv-writer" thread, unparked when an asynchronous write is queued.
    writer_thread: std::sync::OnceLock<std::thread::Thread>,
    /// Called (on the committing thread) after every write group is published; the binding
    /// uses it to settle writeAsync promises on the JS thread.
    commit_listener: Mutex<Option<CommitListener>>,
    writer: Mutex<Option<WriterCtx>>,
    /// Highest sequence whose batch is fully in the memtable (what new readers see). Written
    /// only by the committer; read under `state` where a consistent view is needed.
    last_sequence: AtomicU64,
    /// Number of level-0 tables in the current version (lets the write path check for
    /// slowdowns without taking `state`).
    l0_files: std::sync::atomic::AtomicUsize,
    manifest: Mutex<Option<Manifest>>,
    compaction_lock: Mutex<()>,
    shutdown: AtomicBool,
    closed: AtomicBool,
    wal_dirty: AtomicBool,
    has_bg_error: AtomicBool,
    lock_file: Mutex<Option<File>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stats: Stats,
}

pub type CommitListener = Arc<dyn Fn() + Send + Sync>;

/// What a read needs: memtable, immutable memtable, version, and the sequence to read at.
type ReadView = (Arc<MemTable>, Option<Arc<MemTable>>, Arc<Version>, u64);

/// Owning handle: dropping it closes the database.
pub struct Db {
    inner: Arc<DbInner>,
}

enum DirFile {
    Wal(u64),
    Table(u64),
    Manifest(u64),
    Temp,
}

fn classify(name: &str) -> Option<DirFile> {
    let num = |s: &str| if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u64>().ok() } else { None };
    if let Some(n) = name.strip_suffix(".wal").and_then(num) {
        return Some(DirFile::Wal(n));
    }
    if let Some(n) = name.strip_suffix(".sst").and_then(num) {
        return Some(DirFile::Table(n));
    }
    if let Some(n) = name.strip_prefix("MANIFEST-").and_then(num) {
        return Some(DirFile::Manifest(n));
    }
    if name.ends_with(".dbtmp") {
        return Some(DirFile::Temp);
    }
    None
}

fn snapshot_edit(v: &Version, log_number: u64, next_file: u64, last_seq: u64, pointers: &[Vec<u8>]) -> VersionEdit {
    let mut e = VersionEdit { log_number: Some(log_number), next_file_number: Some(next_file), last_sequence: Some(last_seq), ..Default::default() };
    for (l, p) in pointers.iter().enumerate() {
        if !p.is_empty() {
            e.compact_pointers.push((l, p.clone()));
        }
    }
    for (l, files) in v.files.iter().enumerate() {
        for f in files {
            e.added.push((l, NewFile { number: f.number, size: f.size, entries: f.entries, smallest: f.smallest.clone(), largest: f.largest.clone() }));
        }
    }
    e
}

/// Options for `Db::iter`.
#[derive(Default, Clone)]
pub struct IterOptions {
    /// Inclusive lower bound.
    pub start: Option<Vec<u8>>,
    /// Exclusive upper bound.
    pub end: Option<Vec<u8>>,
    /// Read at this snapshot sequence (must be held via `snapshot()`), else at "now".
    pub snapshot: Option<u64>,
}

impl Db {
    pub fn open(dir: impl AsRef<Path>, opts: Options) -> Result<Db> {
        opts.validate()?;
        let dir = dir.as_ref().to_path_buf();
        if !dir.exists() {
            if !opts.create_if_missing {
                return Err(Error::invalid(format!("{} does not exist (createIfMissing is false)", dir.display())));
            }
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("create directory {}", dir.display()), e))?;
        }
        let lock_path = dir.join("LOCK");
        let lock_file = File::create(&lock_path).map_err(|e| Error::io(format!("create {}", lock_path.display()), e))?;
        match lock_file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::locked(format!("{} is already open (LOCK is held by this or another process)", dir.display())));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(format!("lock {}", lock_path.display()), e)),
        }
        let inner = Arc::new(recover(dir, opts, lock_file)?);
        let mut threads = Vec::new();
        let spawn = |name: &str, f: fn(Arc<DbInner>), db: Arc<DbInner>| {
            std::thread::Builder::new().name(name.to_string()).spawn(move || f(db)).map_err(|e| Error::io("spawn background thread", e))
        };
        let writer = spawn("aikv-writer", DbInner::writer_loop, inner.clone())?;
        let _ = inner.writer_thread.set(writer.thread().clone());
        threads.push(writer);
        threads.push(spawn("aikv-flush", DbInner::flush_loop, inner.clone())?);
        threads.push(spawn("aikv-compact", DbInner::compaction_loop, inner.clone())?);
        if inner.opts.sync == SyncMode::Periodic {
            threads.push(spawn("aikv-sync", DbInner::sync_loop, inner.clone())?);
        }
        *lock(&inner.threads) = threads;
        Ok(Db { inner })
    }

    pub fn inner(&self) -> &Arc<DbInner> {
        &self.inner
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.inner.close();
    }
}

impl std::ops::Deref for Db {
    type Target = DbInner;
    fn deref(&self) -> &DbInner {
        &self.inner
    }
}

/// Opens the directory's state: manifest, tables, WAL replay, fresh manifest. Runs before any
/// background thread exists.
fn recover(dir: PathBuf, opts: Options, lock_file: File) -> Result<DbInner> {
    let cache = Arc::new(BlockCache::new(opts.block_cache_size));
    let owner = Arc::new(FileOwner::new(dir.clone()));

    let (mut wals, mut tables, mut manifests, mut temps) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut max_number = 0u64;
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(format!("list {}", dir.display()), e))?;
    for ent in entries {
        let ent = ent.map_err(|e| Error::io(format!("list {}", dir.display()), e))?;
        let name = ent.file_name().to_string_lossy().into_owned();
        match classify(&name) {
            Some(DirFile::Wal(n)) => {
                wals.push(n);
                max_number = max_number.max(n);
            }
            Some(DirFile::Table(n)) => {
                tables.push(n);
                max_number = max_number.max(n);
            }
            Some(DirFile::Manifest(n)) => {
                manifests.push(n);
                max_number = max_number.max(n);
            }
            Some(DirFile::Temp) => temps.push(name),
            None => {}
        }
    }

    let current = manifest::read_current(&dir)?;
    let recovered = match &current {
        Some(_) if opts.error_if_exists => return Err(Error::invalid(format!("{} already contains a database (errorIfExists)", dir.display()))),
        Some(name) => Some(manifest::replay(&dir, name)?),
        None => {
            if !opts.create_if_missing {
                return Err(Error::invalid(format!("{} has no database (createIfMissing is false)", dir.display())));
            }
            if !wals.is_empty() || !tables.is_empty() {
                return Err(Error::corruption(format!("{} has data files but no CURRENT manifest pointer", dir.display())));
            }
            None
        }
    };
    let mut notes: Vec<String> = Vec::new();
    let (log_number, mut next_file, mut last_seq, pointers, descs) = match recovered {
        Some(r) => {
            if let Some(t) = &r.tail_error {
                notes.push(format!("manifest tail ignored: {t}"));
            }
            (r.log_number, r.next_file_number, r.last_sequence, r.compact_pointers, r.files)
        }
        None => (0, 1, 0, vec![Vec::new(); NUM_LEVELS], vec![BTreeMap::new(); NUM_LEVELS]),
    };
    next_file = next_file.max(max_number + 1).max(2);

    // Open every live table now: damage to footers, indexes and filters is reported at open.
    let mut added: Vec<(usize, Arc<FileMeta>)> = Vec::new();
    for (level, files) in descs.iter().enumerate() {
        for f in files.values() {
            let path = dir.join(table_file_name(f.number));
            if !path.exists() {
                return Err(Error::corruption(format!("table {} listed in the manifest is missing", table_file_name(f.number))));
            }
            let t = Table::open(&path, f.number, cache.clone())?;
            if t.size() != f.size {
                return Err(Error::corruption(format!("table {} is {} bytes, the manifest says {}", table_file_name(f.number), t.size(), f.size)));
            }
            added.push((level, Arc::new(FileMeta::new(f.number, t.size(), f.entries, f.smallest.clone(), f.largest.clone(), Arc::new(t), owner.clone()))));
        }
    }
    let mut version = Version::default().apply(&[], &added)?;

    // Replay WALs newer than the manifest's log number into memtables, flushing as they fill.
    wals.sort_unstable();
    let shutdown = AtomicBool::new(false);
    let next = std::sync::atomic::AtomicU64::new(next_file);
    let alloc = || next.fetch_add(1, Ordering::Relaxed);
    let mut replayed = 0u64;
    {
        let ctx = Context { dir: &dir, opts: &opts, cache: &cache, owner: &owner, smallest_snapshot: 0, now_ms: 0, shutdown: &shutdown, new_file_number: &alloc };
        let mut mem = Arc::new(MemTable::new(0));
        let mut l0: Vec<(usize, Arc<FileMeta>)> = Vec::new();
        for &n in wals.iter().filter(|&&n| n >= log_number) {
            let name = wal_file_name(n);
            let contents = read_log(&dir.join(&name))?;
            for i in 0..contents.records.len() {
                let rep = contents.payload(i);
                mem.add_batch(rep).map_err(|e| e.context(format!("{name} record {i}")))?;
                let cnt = batch::count(rep) as u64;
                if cnt > 0 {
                    last_seq = last_seq.max(batch::sequence(rep) + cnt - 1);
                }
                replayed += 1;
                if mem.approximate_bytes() >= opts.write_buffer_size {
                    if let Some(f) = compaction::write_level0_table(&ctx, &mut MemIter::new(mem.clone()))? {
                        l0.push((0, f));
                    }
                    mem = Arc::new(MemTable::new(0));
                }
            }
            if let Some(t) = contents.tail_error {
                // Everything after the first bad record is dropped, including later WALs, so
                // the recovered state is always a prefix of the acknowledged write history.
                notes.push(format!("{name}: {t}; recovered {} records, ignored {} trailing bytes", contents.records.len(), contents.data.len() - contents.valid_len));
                break;
            }
        }
        if let Some(f) = compaction::write_level0_table(&ctx, &mut MemIter::new(mem.clone()))? {
            l0.push((0, f));
        }
        version = version.apply(&[], &l0)?;
    }
    let mut next_file = next.load(Ordering::Relaxed);

    // Fresh WAL and manifest; then retire everything the new manifest no longer needs.
    let wal_number = next_file;
    let manifest_number = next_file + 1;
    next_file += 2;
    let wal = LogWriter::create(&dir.join(wal_file_name(wal_number)))?;
    let snap = snapshot_edit(&version, wal_number, next_file, last_seq, &pointers);
    let manifest = Manifest::create(&dir, manifest_number, &snap)?;
    for n in wals.iter().filter(|&&n| n != wal_number) {
        let _ = std::fs::remove_file(dir.join(wal_file_name(*n)));
    }
    for n in manifests.iter().filter(|&&n| n != manifest_number) {
        let _ = std::fs::remove_file(dir.join(manifest_file_name(*n)));
    }
    for n in &tables {
        if version.find(*n).is_none() {
            let _ = std::fs::remove_file(dir.join(table_file_name(*n)));
        }
    }
    for t in &temps {
        let _ = std::fs::remove_file(dir.join(t));
    }

    let stats = Stats::default();
    stats.recovered_records.store(replayed, Ordering::Relaxed);
    let wal_file = wal.file();
    let mem = Arc::new(MemTable::new(wal_number));
    let l0 = version.files[0].len();
    Ok(DbInner {
        dir,
        cache,
        owner,
        state: Mutex::new(State {
            mem: mem.clone(),
            imm: None,
            current: Arc::new(version),
            next_file_number: next_file,
            log_number: wal_number,
            compact_pointers: pointers,
            snapshots: BTreeMap::new(),
            bg_error: None,
            wal_file: Some(wal_file),
            compacting: false,
            recovery_note: if notes.is_empty() { None } else { Some(notes.join("; ")) },
        }),
        bg_cv: Condvar::new(),
        submissions: SubmitStack::default(),
        next_ticket: AtomicU64::new(1),
        committing: AtomicBool::new(false),
        commit_state: Mutex::new(CommitState { ready: std::collections::VecDeque::new(), next: 1, early: BTreeMap::new() }),
        committed: AtomicU64::new(0),
        failed_from: Mutex::new(None),
        commit_mu: Mutex::new(()),
        commit_cv: Condvar::new(),
        writer_thread: std::sync::OnceLock::new(),
        commit_listener: Mutex::new(None),
        writer: Mutex::new(Some(WriterCtx { wal, mem })),
        last_sequence: AtomicU64::new(last_seq),
        l0_files: std::sync::atomic::AtomicUsize::new(l0),
        manifest: Mutex::new(Some(manifest)),
        compaction_lock: Mutex::new(()),
        shutdown: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        wal_dirty: AtomicBool::new(false),
        has_bg_error: AtomicBool::new(false),
        lock_file: Mutex::new(Some(lock_file)),
        threads: Mutex::new(Vec::new()),
        stats,
        opts,
    })
}

impl DbInner {
    pub fn options(&self) -> &Options {
        &self.opts
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::closed())
        } else {
            Ok(())
        }
    }

    fn set_bg_error(&self, e: Error) {
        let mut st = lock(&self.state);
        if st.bg_error.is_none() {
            st.bg_error = Some(e);
            self.has_bg_error.store(true, Ordering::Release);
        }
        drop(st);
        self.bg_cv.notify_all();
    }

    fn new_file_number(&self) -> u64 {
        let mut st = lock(&self.state);
        let n = st.next_file_number;
        st.next_file_number += 1;
        n
    }

    // ---------------------------------------------------------------- writes

    /// Queues an encoded batch (batch.rs format) and returns its ticket. Ticket order is commit
    /// order, so batches submitted from one thread apply in call order. Lock-free: never waits
    /// for another thread. With `background`, the writer thread commits it; otherwise the
    /// caller must call `commit(ticket)`.
    pub fn enqueue(&self, rep: Vec<u8>, sync: bool, background: bool) -> Result<u64> {
        self.check_open()?;
        let n = batch::validate(&rep)?;
        if n == 0 {
            return Ok(0);
        }
        if self.has_bg_error.load(Ordering::Acquire) {
            if let Some(e) = &lock(&self.state).bg_error {
                return Err(e.clone());
            }
        }
        let ticket = self.next_ticket.fetch_add(1, Ordering::AcqRel);
        self.submissions.push(ticket, rep, sync);
        if background {
            if let Some(t) = self.writer_thread.get() {
                t.unpark();
            }
        }
        Ok(ticket)
    }

    fn ticket_result(&self, ticket: u64) -> Result<()> {
        match &*lock(&self.failed_from) {
            Some((from, e)) if ticket >= *from => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Waits until `ticket` is committed, committing groups itself while no other thread is.
    pub fn commit(&self, ticket: u64) -> Result<()> {
        if ticket == 0 {
            return Ok(());
        }
        loop {
            if self.committed.load(Ordering::Acquire) >= ticket {
                return self.ticket_result(ticket);
            }
            if self.drive() {
                continue;
            }
            // Another thread is committing; it keeps going until nothing is ready, and our
            // batch was pushed before we looked at the flag (see drive), so it will be taken.
            let g = lock(&self.commit_mu);
            if self.committed.load(Ordering::Acquire) < ticket {
                let _ = self.commit_cv.wait_timeout(g, Duration::from_millis(10));
            }
        }
    }

    /// Commits every ready group if no other thread is committing. Returns false if another
    /// thread holds the committer role.
    fn drive(&self) -> bool {
        if self.committing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_err() {
            return false;
        }
        loop {
            let mut group: Vec<Pending> = Vec::new();
            {
                let mut cs = lock(&self.commit_state);
                let cs = &mut *cs;
                // One submitter (the usual case) delivers tickets in order: straight to `ready`.
                for s in self.submissions.take_all() {
                    let p = Pending { ticket: s.ticket, rep: s.rep, sync: s.sync };
                    if p.ticket == cs.next {
                        cs.ready.push_back(p);
                        cs.next += 1;
                    } else {
                        cs.early.insert(p.ticket, p);
                    }
                }
                while let Some(e) = cs.early.first_entry() {
                    if *e.key() != cs.next {
                        break;
                    }
                    cs.ready.push_back(e.remove());
                    cs.next += 1;
                }
                // As in LevelDB: a small first batch only takes 128 KiB of followers along, so
                // grouping never adds much latency to small writes.
                let first = cs.ready.front().map(|p| p.rep.len()).unwrap_or(0);
                let max_group = if first <= 128 << 10 { (first + (128 << 10)).min(self.opts.max_write_group_bytes) } else { self.opts.max_write_group_bytes };
                let mut bytes = 0usize;
                while let Some(p) = cs.ready.front() {
                    if !group.is_empty() && bytes + p.rep.len() > max_group {
                        break;
                    }
                    bytes += p.rep.len();
                    group.push(cs.ready.pop_front().unwrap());
                }
            }
            if group.is_empty() {
                self.committing.store(false, Ordering::Release);
                // A batch pushed after our take_all but before the flag was released found the
                // flag set and relies on us: look once more.
                if !self.submissions.is_empty() && self.committing.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
                    continue;
                }
                return true;
            }
            let r = match catch_unwind(AssertUnwindSafe(|| self.write_group(&mut group))) {
                Ok(r) => r,
                Err(p) => {
                    let e = Error::corruption(format!("internal error in write path: {}", panic_message(p)));
                    self.set_bg_error(e.clone());
                    Err(e)
                }
            };
            if let Err(e) = r {
                let mut f = lock(&self.failed_from);
                if f.is_none() {
                    *f = Some((group[0].ticket, e));
                }
            }
            let last = group.last().map(|p| p.ticket).unwrap_or(0);
            // Free the batches before publishing, outside any lock the submitters use.
            drop(group);
            self.committed.store(last, Ordering::Release);
            {
                let _g = lock(&self.commit_mu);
                self.commit_cv.notify_all();
            }
            self.notify_commit_listener();
        }
    }

    pub fn write(&self, rep: Vec<u8>, sync: bool) -> Result<()> {
        let t = self.enqueue(rep, sync, false)?;
        self.commit(t)
    }

    /// (highest committed ticket, first failed ticket and its error).
    pub fn commit_status(&self) -> (u64, Option<(u64, Error)>) {
        let committed = self.committed.load(Ordering::Acquire);
        (committed, lock(&self.failed_from).clone())
    }

    pub fn set_commit_listener(&self, l: Option<CommitListener>) {
        *lock(&self.commit_listener) = l;
    }

    fn notify_commit_listener(&self) {
        let l = lock(&self.commit_listener).clone();
        if let Some(l) = l {
            l();
        }
    }

    /// Commits asynchronously queued batches, so no JS-facing thread has to wait for a write
    /// group (and no worker thread sits blocked per in-flight write).
    fn writer_loop(self: Arc<Self>) {
        // Half the background niceness: commits are on the write path, but when the JS thread
        // wakes up it should get a CPU before them.
        lower_thread_priority(self.opts.background_nice / 2);
        loop {
            self.drive();
            if self.shutdown.load(Ordering::Acquire) && self.submissions.is_empty() {
                return;
            }
            // unpark() before park() is not lost (the token makes park return at once); the
            // timeout is only a safety net.
            std::thread::park_timeout(Duration::from_millis(100));
        }
    }

    fn write_group(&self, group: &mut [Pending]) -> Result<()> {
        if group.is_empty() {
            return Ok(());
        }
        let mut wg = lock(&self.writer);
        let ctx = wg.as_mut().ok_or_else(Error::closed)?;
        self.make_room_for_write(ctx, false)?;
        let mem = ctx.mem.clone();
        let wal = &mut ctx.wal;
        let first = self.last_sequence.load(Ordering::Acquire) + 1;
        let mut seq = first;
        let mut need_sync = self.opts.sync == SyncMode::Always;
        let mut bytes = 0u64;
        for p in group.iter_mut() {
            batch::set_sequence(&mut p.rep, seq);
            seq += batch::count(&p.rep) as u64;
            need_sync |= p.sync;
            bytes += p.rep.len() as u64;
        }
        if seq - 1 > MAX_SEQUENCE {
            return Err(Error::invalid("sequence numbers exhausted"));
        }
        let payloads: Vec<&[u8]> = group.iter().map(|p| &p.rep[..]).collect();
        let before = wal.len();
        if let Err(e) = wal.add_records(&payloads).and_then(|_| if need_sync { wal.sync() } else { Ok(()) }) {
            // The WAL may now end in a partial record; nothing more may be appended after it.
            self.set_bg_error(e.clone());
            return Err(e);
        }
        if need_sync {
            self.stats.wal_syncs.fetch_add(1, Ordering::Relaxed);
        } else if self.opts.sync == SyncMode::Periodic {
            self.wal_dirty.store(true, Ordering::Release);
        }
        for p in group.iter() {
            if let Err(e) = mem.add_batch(&p.rep) {
                // Unreachable for validated batches; if it happens the WAL and the memtable
                // disagree, so stop accepting writes.
                self.set_bg_error(e.clone());
                return Err(e);
            }
        }
        self.last_sequence.store(seq - 1, Ordering::Release);
        let s = &self.stats;
        s.wal_bytes.fetch_add(wal.len() - before, Ordering::Relaxed);
        s.user_bytes.fetch_add(bytes, Ordering::Relaxed);
        s.user_batches.fetch_add(group.len() as u64, Ordering::Relaxed);
        s.user_entries.fetch_add(seq - first, Ordering::Relaxed);
        s.write_groups.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Makes sure the memtable has room, rotating it (and the WAL) when full. Stalls while the
    /// previous memtable is still being flushed or level 0 is at its stop trigger; slows each
    /// write group by 1 ms once level 0 reaches the slowdown trigger, so compaction catches up
    /// before a hard stall. `force` rotates a non-empty memtable regardless of size (flush).
    fn make_room_for_write(&self, ctx: &mut WriterCtx, mut force: bool) -> Result<()> {
        // Fast path without the state lock: the JS thread reads under that lock, and a
        // committer preempted while holding it would make the reader wait.
        if !force
            && !self.has_bg_error.load(Ordering::Acquire)
            && !self.shutdown.load(Ordering::Acquire)
            && self.l0_files.load(Ordering::Acquire) < self.opts.l0_slowdown_trigger
            && ctx.mem.approximate_bytes() < self.opts.write_buffer_size
        {
            return Ok(());
        }
        let mut allow_delay = !force;
        let mut stalled: Option<Instant> = None;
        let mut st = lock(&self.state);
        let result = loop {
            if let Some(e) = &st.bg_error {
                break Err(e.clone());
            }
            if self.shutdown.load(Ordering::Acquire) {
                break Err(Error::closed());
            }
            let l0 = st.current.files[0].len();
            if allow_delay && l0 >= self.opts.l0_slowdown_trigger {
                drop(st);
                std::thread::sleep(Duration::from_millis(1));
                self.stats.slowdowns.fetch_add(1, Ordering::Relaxed);
                allow_delay = false;
                st = lock(&self.state);
                continue;
            }
            if !force && st.mem.approximate_bytes() < self.opts.write_buffer_size {
                break Ok(());
            }
            if force && st.mem.is_empty() {
                break Ok(());
            }
            if st.imm.is_some() || l0 >= self.opts.l0_stop_trigger {
                if stalled.is_none() {
                    stalled = Some(Instant::now());
                    self.stats.stalls.fetch_add(1, Ordering::Relaxed);
                }
                st = self.bg_cv.wait_timeout(st, Duration::from_millis(100)).unwrap_or_else(|p| p.into_inner()).0;
                continue;
            }
            let number = st.next_file_number;
            st.next_file_number += 1;
            drop(st);
            let new_wal = match LogWriter::create(&self.dir.join(wal_file_name(number))) {
                Ok(w) => w,
                Err(e) => {
                    st = lock(&self.state);
                    break Err(e);
                }
            };
            if self.opts.sync != SyncMode::None {
                // Later WAL data must never be durable while earlier data is not.
                if let Err(e) = ctx.wal.sync() {
                    st = lock(&self.state);
                    break Err(e);
                }
            }
            ctx.wal = new_wal;
            ctx.mem = Arc::new(MemTable::new(number));
            st = lock(&self.state);
            let old = std::mem::replace(&mut st.mem, ctx.mem.clone());
            st.imm = Some(old);
            st.wal_file = Some(ctx.wal.file());
            self.bg_cv.notify_all();
            force = false;
        };
        drop(st);
        if let Some(t) = stalled {
            self.stats.stall_micros.fetch_add(t.elapsed().as_micros() as u64, Ordering::Relaxed);
        }
        result
    }

    // ---------------------------------------------------------------- reads

    fn read_view(&self, snapshot: Option<u64>) -> Result<ReadView> {
        self.check_open()?;
        let st = lock(&self.state);
        // Loaded under the lock: no rotation can happen meanwhile, so every write up to `seq`
        // is in one of the memtables of this view.
        let seq = snapshot.unwrap_or(self.last_sequence.load(Ordering::Acquire));
        Ok((st.mem.clone(), st.imm.clone(), st.current.clone(), seq))
    }

    fn visible(&self, key: &[u8], v: Vec<u8>, now: u64) -> Option<Vec<u8>> {
        match &self.opts.compaction_filter {
            Some(f) if f.is_dead(key, &v, now) => None,
            _ => Some(v),
        }
    }

    fn get_in(&self, view: &ReadView, key: &[u8], now: u64) -> Result<Option<Vec<u8>>> {
        let (mem, imm, version, seq) = view;
        let r = match mem.get(key, *seq).or_else(|| imm.as_ref().and_then(|m| m.get(key, *seq))) {
            Some(r) => Some(r),
            None => version.get(key, &key::lookup_key(key, *seq), bloom::key_hash(key))?,
        };
        Ok(match r {
            Some(Lookup::Value(v)) => self.visible(key, v, now),
            _ => None,
        })
    }

    pub fn get(&self, key: &[u8], snapshot: Option<u64>) -> Result<Option<Vec<u8>>> {
        let view = self.read_view(snapshot)?;
        self.get_in(&view, key, expiry::now_ms())
    }

    /// Looks up many keys against one consistent view. Output per key (FORMAT.md "multiGet
    /// result"): u32 LE length then the value, or u32 0xFFFFFFFF for a missing key.
    pub fn multi_get_packed(&self, keys: &[&[u8]], snapshot: Option<u64>, out: &mut Vec<u8>) -> Result<()> {
        let view = self.read_view(snapshot)?;
        let now = expiry::now_ms();
        for k in keys {
            match self.get_in(&view, k, now)? {
                Some(v) => {
                    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                    out.extend_from_slice(&v);
                }
                None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
            }
        }
        Ok(())
    }

    /// Pins the current sequence; reads with it see the database as of now until released.
    pub fn snapshot(&self) -> Result<u64> {
        self.check_open()?;
        let mut st = lock(&self.state);
        let seq = self.last_sequence.load(Ordering::Acquire);
        *st.snapshots.entry(seq).or_insert(0) += 1;
        Ok(seq)
    }

    pub fn release_snapshot(&self, seq: u64) {
        let mut st = lock(&self.state);
        if let Some(c) = st.snapshots.get_mut(&seq) {
            *c -= 1;
            if *c == 0 {
                st.snapshots.remove(&seq);
            }
        }
    }

    fn snapshot_is_live(&self, seq: u64) -> bool {
        lock(&self.state).snapshots.contains_key(&seq)
    }

    pub fn iter(self: &Arc<Self>, opts: IterOptions) -> Result<DbIterator> {
        if let Some(s) = opts.snapshot {
            if !self.snapshot_is_live(s) {
                return Err(Error::invalid("snapshot has been released"));
            }
        }
        let (mem, imm, version, _) = self.read_view(None)?;
        // The iterator registers its own snapshot so compaction keeps what it can see.
        let seq = match opts.snapshot {
            Some(s) => {
                *lock(&self.state).snapshots.entry(s).or_insert(0) += 1;
                s
            }
            None => self.snapshot()?,
        };
        let mut children: Vec<Box<dyn InternalIterator>> = vec![Box::new(MemIter::new(mem))];
        if let Some(imm) = imm {
            children.push(Box::new(MemIter::new(imm)));
        }
        version.add_iterators(&mut children, true);
        Ok(DbIterator {
            db: self.clone(),
            seq,
            _version: version,
            it: MergingIter::new(children),
            start: opts.start,
            end: opts.end,
            started: false,
            done: false,
            last_key: Vec::new(),
            have_last: false,
            filter: self.opts.compaction_filter.clone(),
        })
    }

    // ---------------------------------------------------------------- flush / compaction

    /// Rotates the memtable (if it holds anything) and waits until it is a level-0 table.
    pub fn flush(&self) -> Result<()> {
        self.check_open()?;
        {
            // Holding the WAL writer excludes the committer while the memtable rotates.
            let mut wg = lock(&self.writer);
            let ctx = wg.as_mut().ok_or_else(Error::closed)?;
            self.make_room_for_write(ctx, true)?;
        }
        let mut st = lock(&self.state);
        loop {
            if let Some(e) = &st.bg_error {
                return Err(e.clone());
            }
            if st.imm.is_none() {
                return Ok(());
            }
            if self.shutdown.load(Ordering::Acquire) {
                return Err(Error::closed());
            }
            st = self.bg_cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Compacts every table overlapping [start, end] (None = unbounded) down the tree, and
    /// rewrites the overlapping part of the deepest populated level in place, so shadowed
    /// versions, tombstones and expired values in the range leave the disk.
    pub fn compact_range(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> Result<()> {
        self.flush()?;
        let deepest = {
            let st = lock(&self.state);
            (0..NUM_LEVELS).rev().find(|&l| st.current.files[l].iter().any(|f| f.overlaps_user_range(start, end)))
        };
        let Some(deepest) = deepest else { return Ok(()) };
        // Push the range down level by level; then rewrite it within the deepest level (if
        // that is level 0, moving it to level 1 already makes it the bottom).
        let mut steps: Vec<(usize, bool)> = (0..deepest).map(|l| (l, false)).collect();
        steps.push(if deepest == 0 { (0, false) } else { (deepest, true) });
        for (level, in_place) in steps {
            let budget = lock(&self.state).current.files[level].len() + 2;
            // In-place rewrites walk the range with a cursor (their outputs overlap it again).
            let mut cursor: Option<Vec<u8>> = start.map(|s| s.to_vec());
            for _ in 0..budget {
                self.check_open()?;
                let _g = lock(&self.compaction_lock);
                let v = lock(&self.state).current.clone();
                let c = if in_place {
                    compaction::pick_range_in_place(&v, &self.opts, level, cursor.as_deref(), end)
                } else {
                    compaction::pick_range(&v, &self.opts, level, start, end)
                };
                let Some(c) = c else { break };
                self.run_compaction(&c, &v)?;
                if in_place {
                    let mut next = c.inputs[0].iter().map(|f| f.largest_user().to_vec()).max().unwrap_or_default();
                    next.push(0); // smallest key after the last one rewritten
                    cursor = Some(next);
                }
            }
        }
        Ok(())
    }

    /// Waits until no flush or compaction is pending or running.
    pub fn wait_idle(&self) -> Result<()> {
        let mut st = lock(&self.state);
        loop {
            if let Some(e) = &st.bg_error {
                return Err(e.clone());
            }
            if self.shutdown.load(Ordering::Acquire) {
                return Err(Error::closed());
            }
            if st.imm.is_none() && !st.compacting && !compaction::needs_compaction(&st.current, &self.opts) {
                return Ok(());
            }
            st = self.bg_cv.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn context<'a>(&'a self, smallest_snapshot: u64, alloc: &'a (dyn Fn() -> u64 + Sync)) -> Context<'a> {
        Context {
            dir: &self.dir,
            opts: &self.opts,
            cache: &self.cache,
            owner: &self.owner,
            smallest_snapshot,
            now_ms: expiry::now_ms(),
            shutdown: &self.shutdown,
            new_file_number: alloc,
        }
    }

    /// Logs `edit` to the manifest and installs the resulting version. `prepare` may fill in
    /// the edit from the state it is based on; `install` runs in the same critical section
    /// that publishes the version (e.g. dropping the flushed memtable), so readers never see
    /// data disappear or appear twice.
    fn log_and_apply(
        &self,
        mut edit: VersionEdit,
        added: Vec<(usize, Arc<FileMeta>)>,
        prepare: impl FnOnce(&State, &mut VersionEdit),
        install: impl FnOnce(&mut State),
    ) -> Result<()> {
        let mut mg = lock(&self.manifest);
        let Some(m) = mg.as_mut() else {
            for (_, f) in &added {
                f.mark_obsolete();
            }
            return Err(Error::closed());
        };
        let (base, log_number, pointers) = {
            let st = lock(&self.state);
            prepare(&st, &mut edit);
            edit.next_file_number = Some(st.next_file_number);
            edit.last_sequence = Some(self.last_sequence.load(Ordering::Acquire));
            (st.current.clone(), edit.log_number.unwrap_or(st.log_number), st.compact_pointers.clone())
        };
        let applied = base.apply(&edit.deleted, &added);
        let logged = applied.and_then(|v| {
            if m.size() >= self.opts.max_manifest_size {
                let mut pointers = pointers;
                for (l, k) in &edit.compact_pointers {
                    pointers[*l] = k.clone();
                }
                let number = self.new_file_number();
                let snap = snapshot_edit(&v, log_number, number + 1, edit.last_sequence.unwrap_or(0), &pointers);
                let old = m.number;
                *m = Manifest::create(&self.dir, number, &snap)?;
                let _ = std::fs::remove_file(self.dir.join(manifest_file_name(old)));
            } else {
                m.append(&edit)?;
            }
            Ok(v)
        });
        let v = match logged {
            Ok(v) => v,
            Err(e) => {
                for (_, f) in &added {
                    f.mark_obsolete();
                }
                self.set_bg_error(e.clone());
                return Err(e);
            }
        };
        let obsolete: Vec<Arc<FileMeta>> = edit
            .deleted
            .iter()
            .filter(|(_, n)| !added.iter().any(|(_, f)| f.number == *n))
            .filter_map(|(_, n)| base.find(*n).map(|(_, f)| f))
            .collect();
        {
            let mut st = lock(&self.state);
            self.l0_files.store(v.files[0].len(), Ordering::Release);
            st.current = Arc::new(v);
            if let Some(l) = edit.log_number {
                st.log_number = l;
            }
            for (l, k) in edit.compact_pointers {
                st.compact_pointers[l] = k;
            }
            install(&mut st);
        }
        drop(mg);
        self.bg_cv.notify_all();
        for f in obsolete {
            f.mark_obsolete();
        }
        Ok(())
    }

    fn flush_memtable(&self, imm: &Arc<MemTable>) -> Result<()> {
        let alloc = || self.new_file_number();
        let ctx = self.context(0, &alloc);
        let meta = compaction::write_level0_table(&ctx, &mut MemIter::new(imm.clone()))?;
        let mut edit = VersionEdit::default();
        let mut added = Vec::new();
        if let Some(f) = meta {
            self.stats.flush_bytes.fetch_add(f.size, Ordering::Relaxed);
            edit.added.push((0, NewFile { number: f.number, size: f.size, entries: f.entries, smallest: f.smallest.clone(), largest: f.largest.clone() }));
            added.push((0, f));
        }
        let mut new_log = 0;
        self.log_and_apply(
            edit,
            added,
            |st, e| {
                // Everything older than the live memtable's WAL is now in tables.
                new_log = st.mem.wal_number;
                e.log_number = Some(new_log);
            },
            |st| st.imm = None,
        )?;
        self.stats.flushes.fetch_add(1, Ordering::Relaxed);
        if imm.wal_number < new_log {
            let _ = std::fs::remove_file(self.dir.join(wal_file_name(imm.wal_number)));
        }
        Ok(())
    }

    fn run_compaction(&self, c: &Compaction, v: &Arc<Version>) -> Result<()> {
        let smallest = {
            let mut st = lock(&self.state);
            st.compacting = true;
            st.snapshots.keys().next().copied().unwrap_or(self.last_sequence.load(Ordering::Acquire))
        };
        let alloc = || self.new_file_number();
        let ctx = self.context(smallest, &alloc);
        let r = compaction::run(c, v, &ctx).and_then(|out| {
            let (read, written, dropped, expired) = (out.bytes_read, out.bytes_written, out.dropped_entries, out.expired_entries);
            self.log_and_apply(out.edit, out.added, |_, _| {}, |_| {})?;
            let s = &self.stats;
            if read == 0 && written == 0 {
                s.trivial_moves.fetch_add(1, Ordering::Relaxed);
            } else {
                s.compactions.fetch_add(1, Ordering::Relaxed);
            }
            s.compaction_bytes_read.fetch_add(read, Ordering::Relaxed);
            s.compaction_bytes_written.fetch_add(written, Ordering::Relaxed);
            s.compaction_dropped.fetch_add(dropped, Ordering::Relaxed);
            s.compaction_expired.fetch_add(expired, Ordering::Relaxed);
            Ok(())
        });
        lock(&self.state).compacting = false;
        self.bg_cv.notify_all();
        if let Err(e) = &r {
            // A compaction that cannot read its inputs would fail again on every attempt and
            // level 0 would grow without bound: stop writes with a sticky error instead.
            if e.kind != ErrorKind::Closed {
                self.set_bg_error(e.clone().context("compaction"));
            }
        }
        r
    }

    fn handle_bg_result(&self, what: &str, r: std::thread::Result<Result<()>>) -> bool {
        match r {
            Ok(Ok(())) => true,
            Ok(Err(e)) if e.kind == ErrorKind::Closed => false,
            Ok(Err(e)) => {
                self.set_bg_error(e.context(what));
                true
            }
            Err(p) => {
                self.set_bg_error(Error::corruption(format!("{what}: internal error: {}", panic_message(p))));
                true
            }
        }
    }

    fn flush_loop(self: Arc<Self>) {
        lower_thread_priority(self.opts.background_nice);
        loop {
            let imm = {
                let mut st = lock(&self.state);
                loop {
                    if self.shutdown.load(Ordering::Acquire) {
                        return;
                    }
                    if st.bg_error.is_none() {
                        if let Some(m) = &st.imm {
                            break m.clone();
                        }
                    }
                    if self.owner.has_pending_deletes() {
                        drop(st);
                        self.owner.delete_pending();
                        st = lock(&self.state);
                        continue;
                    }
                    // Timed wait: tables released by readers are queued without a wakeup.
                    st = self.bg_cv.wait_timeout(st, Duration::from_millis(500)).unwrap_or_else(|p| p.into_inner()).0;
                }
            };
            let r = catch_unwind(AssertUnwindSafe(|| self.flush_memtable(&imm)));
            if !self.handle_bg_result("flush", r) {
                return;
            }
        }
    }

    fn compaction_loop(self: Arc<Self>) {
        lower_thread_priority(self.opts.background_nice);
        loop {
            {
                let mut st = lock(&self.state);
                loop {
                    if self.shutdown.load(Ordering::Acquire) {
                        return;
                    }
                    if st.bg_error.is_none() && compaction::needs_compaction(&st.current, &self.opts) {
                        break;
                    }
                    st = self.bg_cv.wait(st).unwrap_or_else(|p| p.into_inner());
                }
            }
            let r = catch_unwind(AssertUnwindSafe(|| {
                let _g = lock(&self.compaction_lock);
                let (v, pointers) = {
                    let st = lock(&self.state);
                    (st.current.clone(), st.compact_pointers.clone())
                };
                match compaction::pick(&v, &self.opts, &pointers) {
                    Some(c) => self.run_compaction(&c, &v),
                    None => Ok(()),
                }
            }));
            if !self.handle_bg_result("compaction", r) {
                return;
            }
            self.owner.delete_pending();
        }
    }

    fn sync_loop(self: Arc<Self>) {
        let interval = Duration::from_millis(self.opts.sync_interval_ms);
        loop {
            let file = {
                let st = lock(&self.state);
                let (st, _) = self.bg_cv.wait_timeout_while(st, interval, |_| !self.shutdown.load(Ordering::Acquire)).unwrap_or_else(|p| p.into_inner());
                if self.shutdown.load(Ordering::Acquire) {
                    return;
                }
                st.wal_file.clone()
            };
            if let Some(f) = file {
                if self.wal_dirty.swap(false, Ordering::AcqRel) {
                    match f.sync_data() {
                        Ok(()) => {
                            self.stats.wal_syncs.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => self.set_bg_error(Error::io("periodic WAL fsync", e)),
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- close / stats

    /// Commits queued writes, syncs the WAL, stops background work and releases the LOCK.
    /// Idempotent. In-flight compactions are abandoned (their inputs stay valid).
    pub fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let last = self.next_ticket.load(Ordering::Acquire) - 1;
        let drained = self.commit(last);
        let synced = {
            let mut wg = lock(&self.writer);
            let r = match wg.as_ref() {
                Some(w) => w.wal.sync(),
                None => Ok(()),
            };
            *wg = None;
            r
        };
        self.shutdown.store(true, Ordering::Release);
        {
            let _st = lock(&self.state);
            self.bg_cv.notify_all();
        }
        if let Some(t) = self.writer_thread.get() {
            t.unpark();
        }
        let threads = std::mem::take(&mut *lock(&self.threads));
        for t in threads {
            let _ = t.join();
        }
        // A manual compaction on a worker thread sees `shutdown` and stops; wait for it.
        drop(lock(&self.compaction_lock));
        *lock(&self.manifest) = None;
        self.owner.delete_pending();
        self.owner.closed.store(true, Ordering::Release);
        {
            let mut st = lock(&self.state);
            st.mem = Arc::new(MemTable::new(0));
            st.imm = None;
            st.current = Arc::new(Version::default());
            st.wal_file = None;
        }
        *lock(&self.lock_file) = None;
        drained.and(synced)
    }

    pub fn stats_json(&self) -> String {
        let st = lock(&self.state);
        let s = &self.stats;
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let mut levels = String::new();
        let (mut files, mut bytes) = (0usize, 0u64);
        for l in 0..NUM_LEVELS {
            let b = st.current.level_bytes(l);
            let n = st.current.files[l].len();
            files += n;
            bytes += b;
            let entries: u64 = st.current.files[l].iter().map(|f| f.entries).sum();
            if l > 0 {
                levels.push(',');
            }
            let target = if l == 0 { 0 } else { self.opts.max_bytes_for_level(l) };
            levels.push_str(&format!("{{\"level\":{l},\"files\":{n},\"bytes\":{b},\"entries\":{entries},\"targetBytes\":{target}}}"));
        }
        let table_mem: usize = st.current.files.iter().flatten().map(|f| f.table.memory_usage()).sum();
        let user = ld(&s.user_bytes);
        let written = ld(&s.wal_bytes) + ld(&s.flush_bytes) + ld(&s.compaction_bytes_written);
        let wa = if user == 0 { 0.0 } else { written as f64 / user as f64 };
        let (h, m) = (self.cache.hits(), self.cache.misses());
        let hit_rate = if h + m == 0 { 0.0 } else { h as f64 / (h + m) as f64 };
        let err = match &st.bg_error {
            Some(e) => json_string(&e.to_string()),
            None => "null".into(),
        };
        let note = match &st.recovery_note {
            Some(n) => json_string(n),
            None => "null".into(),
        };
        let (score_level, score) = compaction::score(&st.current, &self.opts);
        format!(
            concat!(
                "{{\"levels\":[{}],\"files\":{},\"bytes\":{},\"memtableBytes\":{},\"memtableEntries\":{},\"immutableBytes\":{},",
                "\"lastSequence\":{},\"snapshots\":{},\"userBytes\":{},\"userBatches\":{},\"userEntries\":{},\"writeGroups\":{},",
                "\"walBytes\":{},\"walSyncs\":{},\"flushes\":{},\"flushBytes\":{},\"compactions\":{},\"trivialMoves\":{},",
                "\"compactionBytesRead\":{},\"compactionBytesWritten\":{},\"compactionDroppedEntries\":{},\"compactionExpiredEntries\":{},",
                "\"writeAmplification\":{:.4},\"stalls\":{},\"stallMicros\":{},\"slowdowns\":{},",
                "\"cacheHits\":{},\"cacheMisses\":{},\"cacheHitRate\":{:.4},\"cacheBytes\":{},\"cacheCapacity\":{},\"tableIndexFilterBytes\":{},",
                "\"compactionScore\":{:.4},\"compactionScoreLevel\":{},\"compacting\":{},\"backgroundError\":{},",
                "\"recoveredWalRecords\":{},\"recoveryNote\":{}}}"
            ),
            levels,
            files,
            bytes,
            st.mem.approximate_bytes(),
            st.mem.len(),
            st.imm.as_ref().map(|m| m.approximate_bytes()).unwrap_or(0),
            self.last_sequence.load(Ordering::Acquire),
            st.snapshots.values().sum::<usize>(),
            user,
            ld(&s.user_batches),
            ld(&s.user_entries),
            ld(&s.write_groups),
            ld(&s.wal_bytes),
            ld(&s.wal_syncs),
            ld(&s.flushes),
            ld(&s.flush_bytes),
            ld(&s.compactions),
            ld(&s.trivial_moves),
            ld(&s.compaction_bytes_read),
            ld(&s.compaction_bytes_written),
            ld(&s.compaction_dropped),
            ld(&s.compaction_expired),
            wa,
            ld(&s.stalls),
            ld(&s.stall_micros),
            ld(&s.slowdowns),
            h,
            m,
            hit_rate,
            self.cache.usage(),
            self.cache.capacity(),
            table_mem,
            score,
            score_level,
            st.compacting,
            err,
            ld(&s.recovered_records),
            note,
        )
    }
}

/// Lowers the calling thread's CPU priority (Linux nice values are per thread), so flushes and
/// compactions yield the CPU to the JS event loop thread when both want it.
fn lower_thread_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    {
        extern "C" {
            fn setpriority(which: i32, who: u32, prio: i32) -> i32;
            fn gettid() -> i32;
        }
        const PRIO_PROCESS: i32 = 0;
        if nice > 0 {
            // SAFETY: plain libc calls on the current thread; failure only leaves the priority.
            unsafe {
                let tid = gettid();
                setpriority(PRIO_PROCESS, tid as u32, nice.min(19));
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// User-level iterator: newest visible version of each key in [start, end), skipping
/// tombstones (and expired values with the expiry filter), returned in batches.
pub struct DbIterator {
    db: Arc<DbInner>,
    seq: u64,
    _version: Arc<Version>,
    it: MergingIter,
    start: Option<Vec<u8>>,
    end: Option<Vec<u8>>,
    started: bool,
    done: bool,
    last_key: Vec<u8>,
    have_last: bool,
    filter: Option<Arc<dyn CompactionFilter>>,
}

impl DbIterator {
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Appends up to `max_entries` entries (stopping early once `max_bytes` is reached) as
    /// `u32 LE key_len, u32 LE value_len, key, value` (FORMAT.md "Iterator batch"). Returns the
    /// number of entries appended; 0 means the iterator is exhausted.
    pub fn next_batch(&mut self, max_entries: usize, max_bytes: usize, out: &mut Vec<u8>) -> Result<usize> {
        if self.done {
            return Ok(0);
        }
        self.db.check_open()?;
        if !self.started {
            self.started = true;
            match &self.start {
                Some(s) => self.it.seek(&key::internal_key(s, MAX_SEQUENCE, TYPE_VALUE)),
                None => self.it.seek_to_first(),
            }
        }
        let now = expiry::now_ms();
        let mut n = 0usize;
        let base = out.len();
        while n < max_entries.max(1) && out.len() - base < max_bytes.max(1) && self.it.valid() {
            let ikey = self.it.key();
            let p = key::parse(ikey).ok_or_else(|| Error::corruption("iterator: bad internal key"))?;
            if let Some(end) = &self.end {
                if p.user_key >= end.as_slice() {
                    self.done = true;
                    break;
                }
            }
            if p.seq > self.seq || (self.have_last && p.user_key == self.last_key.as_slice()) {
                self.it.next();
                continue;
            }
            // Newest visible version of this user key.
            self.last_key.clear();
            self.last_key.extend_from_slice(p.user_key);
            self.have_last = true;
            if p.vt == TYPE_VALUE {
                let v = self.it.value();
                if !self.filter.as_ref().is_some_and(|f| f.is_dead(p.user_key, v, now)) {
                    out.extend_from_slice(&(p.user_key.len() as u32).to_le_bytes());
                    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
                    out.extend_from_slice(p.user_key);
                    out.extend_from_slice(v);
                    n += 1;
                }
            }
            self.it.next();
        }
        self.it.status()?;
        if !self.it.valid() {
            self.done = true;
        }
        Ok(n)
    }
}

impl Drop for DbIterator {
    fn drop(&mut self) {
        self.db.release_snapshot(self.seq);
    }
}
