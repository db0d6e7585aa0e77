//! JS exports for the LSM: handles for the database, snapshots and iterators, synchronous
//! calls for cheap operations and Promise-returning calls (N-API async work on a worker
//! thread) for anything that may wait: committing behind a write stall, flush, compaction.

use super::env_state;
use super::util::{check, panic_message, split_keys, string_value, uint_value, Ctx, ExternalTag, JsError, JsResult};
use crate::lsm::{self, Compression, Db, DbInner, DbIterator, IterOptions, Options, SyncMode};
use crate::napi::*;
use std::collections::VecDeque;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct DbHandle {
    db: Mutex<Option<Db>>,
    /// Created by the first writeAsync.
    writes: Mutex<Option<Arc<AsyncWrites>>>,
}

/// N-API pointer moved between threads only where N-API allows it (deferreds stay on the JS
/// thread; a threadsafe function may be called from any thread).
#[derive(Clone, Copy)]
struct SendPtr(*mut c_void);
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

/// writeAsync plumbing: the DB's writer thread commits queued batches and calls the commit
/// listener, which queues (at most one pending) call of a threadsafe function; that call runs
/// on the JS thread and settles every promise whose ticket is committed. No worker thread
/// blocks per in-flight write.
struct AsyncWrites {
    db: Arc<DbInner>,
    /// (ticket, deferred) in ticket order; only touched on the JS thread.
    pending: Mutex<VecDeque<(u64, SendPtr)>>,
    tsfn: AtomicPtr<c_void>,
    /// A threadsafe-function call is queued and has not run yet.
    notified: AtomicBool,
    /// The tsfn keeps the event loop alive (only while promises are pending).
    refed: AtomicBool,
}

impl AsyncWrites {
    fn tsfn(&self) -> napi_threadsafe_function {
        self.tsfn.load(Ordering::Acquire)
    }

    /// Any thread: ask the JS thread to settle committed promises.
    fn notify(&self) {
        if !self.notified.swap(true, Ordering::AcqRel) {
            // SAFETY: the tsfn stays valid until released, which happens only after the
            // listener that calls this has been removed (close / handle drop).
            unsafe { napi_call_threadsafe_function(self.tsfn(), ptr::null_mut(), NAPI_TSFN_NONBLOCKING) };
        }
    }

    /// JS thread: resolve (or reject) every pending promise whose ticket is committed; with
    /// `all`, also reject the ones that never will be (the database is closed).
    unsafe fn settle(&self, env: napi_env, all: bool) {
        let (committed, failed) = self.db.commit_status();
        let mut pending = lock(&self.pending);
        while let Some(&(ticket, deferred)) = pending.front() {
            if ticket > committed && !all {
                break;
            }
            pending.pop_front();
            let err = match &failed {
                Some((from, e)) if ticket >= *from => Some(JsError::from(e.clone())),
                _ if ticket > committed => Some(JsError::from(lsm::Error::closed())),
                _ => None,
            };
            match err {
                None => {
                    let mut u = ptr::null_mut();
                    napi_get_undefined(env, &mut u);
                    napi_resolve_deferred(env, deferred.0, u);
                }
                Some(e) => {
                    if let Ok(v) = make_error(env, &e) {
                        napi_reject_deferred(env, deferred.0, v);
                    }
                }
            }
        }
        if pending.is_empty() && self.refed.swap(false, Ordering::AcqRel) {
            napi_unref_threadsafe_function(env, self.tsfn());
        }
    }
}

unsafe extern "C" fn writes_call_js(env: napi_env, _js_cb: napi_value, context: *mut c_void, _data: *mut c_void) {
    if env.is_null() || context.is_null() {
        return; // the environment is being torn down
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let w = &*(context as *const AsyncWrites);
        w.notified.store(false, Ordering::Release);
        w.settle(env, false);
    }));
}

unsafe extern "C" fn writes_finalize(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // Drops the reference the threadsafe function held (see async_writes).
    let _ = catch_unwind(|| drop(Arc::from_raw(data as *const AsyncWrites)));
}

/// The handle's AsyncWrites, created with its threadsafe function on first use.
fn async_writes(c: &Ctx, h: &DbHandle, db: &Arc<DbInner>) -> JsResult<Arc<AsyncWrites>> {
    let mut g = lock(&h.writes);
    if let Some(w) = g.as_ref() {
        return Ok(w.clone());
    }
    let w = Arc::new(AsyncWrites {
        db: db.clone(),
        pending: Mutex::new(VecDeque::new()),
        tsfn: AtomicPtr::new(ptr::null_mut()),
        notified: AtomicBool::new(false),
        refed: AtomicBool::new(false),
    });
    let ctx = Arc::into_raw(w.clone()) as *mut c_void;
    let name = string_value(c.env, "aikv.lsm.writeAsync")?;
    let mut tsfn = ptr::null_mut();
    // SAFETY: `ctx` is an owned Arc reference handed to the tsfn; writes_finalize takes it back.
    let st = unsafe { napi_create_threadsafe_function(c.env, ptr::null_mut(), ptr::null_mut(), name, 0, 1, ctx, Some(writes_finalize), ctx, Some(writes_call_js), &mut tsfn) };
    if st != NAPI_OK {
        drop(unsafe { Arc::from_raw(ctx as *const AsyncWrites) });
        return Err(JsError::napi("napi_create_threadsafe_function", st));
    }
    w.tsfn.store(tsfn, Ordering::Release);
    // Only pending promises keep the process alive.
    check(unsafe { napi_unref_threadsafe_function(c.env, tsfn) }, "napi_unref_threadsafe_function")?;
    let weak: Weak<AsyncWrites> = Arc::downgrade(&w);
    db.set_commit_listener(Some(Arc::new(move || {
        if let Some(w) = weak.upgrade() {
            w.notify();
        }
    })));
    *g = Some(w.clone());
    Ok(w)
}

impl Drop for DbHandle {
    /// Garbage-collected without close(): close the database, then let the threadsafe function
    /// settle whatever promises are still pending (it runs on the JS thread later).
    fn drop(&mut self) {
        let db = self.db.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(db) = db {
            db.set_commit_listener(None);
            drop(db);
        }
        if let Some(w) = self.writes.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            w.notified.store(false, Ordering::Release);
            w.notify();
            // SAFETY: releasing from a finalizer is allowed; queued calls still run first.
            unsafe { napi_release_threadsafe_function(w.tsfn(), NAPI_TSFN_RELEASE) };
        }
    }
}

impl ExternalTag for DbHandle {
    const TAG: u64 = 0x4149_4b56_4c53_4d31; // "AIKVLSM1"
}

pub struct SnapshotHandle {
    db: Arc<DbInner>,
    seq: u64,
    released: AtomicBool,
}

impl ExternalTag for SnapshotHandle {
    const TAG: u64 = 0x4149_4b56_534e_5031; // "AIKVSNP1"
}

impl SnapshotHandle {
    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.db.release_snapshot(self.seq);
        }
    }
}

impl Drop for SnapshotHandle {
    fn drop(&mut self) {
        self.release();
    }
}

pub struct IterHandle {
    it: Mutex<Option<DbIterator>>,
}

impl ExternalTag for IterHandle {
    const TAG: u64 = 0x4149_4b56_4954_5231; // "AIKVITR1"
}

fn db_of(c: &Ctx) -> JsResult<Arc<DbInner>> {
    let h = c.external::<DbHandle>(0, "db")?;
    let g = lock(&h.db);
    match g.as_ref() {
        Some(db) => Ok(db.inner().clone()),
        None => Err(lsm::Error::closed().into()),
    }
}

/// Snapshot argument `i` (or None); it must belong to `db` and be unreleased.
fn snapshot_arg(c: &Ctx, i: usize, db: &Arc<DbInner>) -> JsResult<Option<u64>> {
    match c.opt_external::<SnapshotHandle>(i, "snapshot")? {
        None => Ok(None),
        Some(s) => {
            if !Arc::ptr_eq(&s.db, db) {
                return Err(JsError::value_error("snapshot belongs to a different database"));
            }
            if s.released.load(Ordering::Acquire) {
                return Err(JsError::value_error("snapshot has been released"));
            }
            Ok(Some(s.seq))
        }
    }
}

fn parse_options(c: &Ctx, obj: napi_value) -> JsResult<Options> {
    let mut o = Options::default();
    let t = c.type_of(obj)?;
    if t == NAPI_UNDEFINED || t == NAPI_NULL {
        return Ok(o);
    }
    if t != NAPI_OBJECT {
        return Err(JsError::type_error("options must be an object"));
    }
    let num = |name: &str, max: f64| -> JsResult<Option<u64>> {
        match c.property(obj, name)? {
            Some(v) => Ok(Some(uint_value(c.number_of(v, name)?, name, max)?)),
            None => Ok(None),
        }
    };
    let flag = |name: &str| -> JsResult<Option<bool>> {
        match c.property(obj, name)? {
            Some(v) => Ok(Some(c.bool_of(v, name)?)),
            None => Ok(None),
        }
    };
    let text = |name: &str| -> JsResult<Option<String>> {
        match c.property(obj, name)? {
            Some(v) => Ok(Some(c.string_of(v, name)?)),
            None => Ok(None),
        }
    };
    const BIG: f64 = (1u64 << 50) as f64;
    if let Some(v) = flag("createIfMissing")? {
        o.create_if_missing = v;
    }
    if let Some(v) = flag("errorIfExists")? {
        o.error_if_exists = v;
    }
    if let Some(v) = num("writeBufferSize", BIG)? {
        o.write_buffer_size = v as usize;
    }
    if let Some(v) = text("sync")? {
        o.sync = match v.as_str() {
            "always" => SyncMode::Always,
            "periodic" => SyncMode::Periodic,
            "none" => SyncMode::None,
            _ => return Err(JsError::value_error(format!("sync must be \"always\", \"periodic\" or \"none\", got {v:?}"))),
        };
    }
    if let Some(v) = num("syncIntervalMs", BIG)? {
        o.sync_interval_ms = v;
    }
    if let Some(v) = num("blockSize", BIG)? {
        o.block_size = v as usize;
    }
    if let Some(v) = num("blockRestartInterval", BIG)? {
        o.block_restart_interval = v as usize;
    }
    if let Some(v) = text("compression")? {
        o.compression = match v.as_str() {
            "zstd" => Compression::Zstd,
            "none" => Compression::None,
            _ => return Err(JsError::value_error(format!("compression must be \"zstd\" or \"none\", got {v:?}"))),
        };
    }
    if let Some(v) = c.property(obj, "zstdLevel")? {
        let d = c.number_of(v, "zstdLevel")?;
        if d.fract() != 0.0 || !(-7.0..=22.0).contains(&d) {
            return Err(JsError::value_error("zstdLevel must be an integer between -7 and 22"));
        }
        o.zstd_level = d as i32;
    }
    if let Some(v) = num("bloomBitsPerKey", 64.0)? {
        o.bloom_bits_per_key = v as u32;
    }
    if let Some(v) = num("blockCacheSize", BIG)? {
        o.block_cache_size = v as usize;
    }
    if let Some(v) = num("targetFileSize", BIG)? {
        o.target_file_size = v;
    }
    if let Some(v) = num("maxBytesForLevelBase", BIG)? {
        o.max_bytes_for_level_base = v;
    }
    if let Some(v) = num("levelMultiplier", BIG)? {
        o.level_multiplier = v;
    }
    if let Some(v) = num("l0CompactionTrigger", BIG)? {
        o.l0_compaction_trigger = v as usize;
    }
    if let Some(v) = num("l0SlowdownTrigger", BIG)? {
        o.l0_slowdown_trigger = v as usize;
    }
    if let Some(v) = num("l0StopTrigger", BIG)? {
        o.l0_stop_trigger = v as usize;
    }
    if let Some(v) = text("compactionFilter")? {
        o.compaction_filter = match v.as_str() {
            "none" => None,
            "expiry" => Some(Arc::new(lsm::expiry::ExpiryFilter)),
            _ => return Err(JsError::value_error(format!("compactionFilter must be \"none\" or \"expiry\", got {v:?}"))),
        };
    }
    if let Some(v) = num("backgroundNice", 19.0)? {
        o.background_nice = v as i32;
    }
    if let Some(v) = num("maxWriteGroupBytes", BIG)? {
        o.max_write_group_bytes = v.max(1) as usize;
    }
    Ok(o)
}

/// lsmOpen(dir: string, options?: object) -> handle
pub unsafe extern "C" fn open(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let dir = c.string(0, "dir")?;
        let opts = parse_options(c, c.arg(1))?;
        let db = Db::open(&dir, opts)?;
        env_state(c.env).register(db.inner());
        c.new_external(DbHandle { db: Mutex::new(Some(db)), writes: Mutex::new(None) })
    })
}

/// lsmClose(handle): commits queued writes, stops background threads, releases the LOCK.
pub unsafe extern "C" fn close(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let h = c.external::<DbHandle>(0, "db")?;
        let db = lock(&h.db).take();
        let r = match &db {
            Some(db) => {
                let r = db.close();
                db.set_commit_listener(None);
                r
            }
            None => Ok(()),
        };
        drop(db);
        // Every queued write was committed by close(): settle the promises now.
        if let Some(w) = lock(&h.writes).take() {
            unsafe {
                w.settle(c.env, true);
                napi_release_threadsafe_function(w.tsfn(), NAPI_TSFN_RELEASE);
            }
        }
        r?;
        c.undefined()
    })
}

/// lsmWrite(handle, batch: Uint8Array, sync: boolean): commits on the calling thread.
pub unsafe extern "C" fn write(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let rep = c.bytes(1, "batch")?.to_vec();
        let sync = c.opt_bool(2, "sync")?;
        db.write(rep, sync)?;
        c.undefined()
    })
}

/// lsmGet(handle, key, snapshot|null) -> Buffer | null
pub unsafe extern "C" fn get(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let snap = snapshot_arg(c, 2, &db)?;
        let v = db.get(c.bytes(1, "key")?, snap)?;
        match v {
            Some(v) => c.buffer(&v),
            None => c.null(),
        }
    })
}

/// lsmMultiGet(handle, keys, offsets, snapshot|null) -> Buffer (u32 length or 0xFFFFFFFF, value)*
pub unsafe extern "C" fn multi_get(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let snap = snapshot_arg(c, 3, &db)?;
        let keys = split_keys(c.bytes(1, "keys")?, c.u32s(2, "offsets")?)?;
        let mut out = Vec::with_capacity(keys.len() * 64);
        db.multi_get_packed(&keys, snap, &mut out)?;
        c.buffer(&out)
    })
}

/// lsmSnapshot(handle) -> snapshot handle
pub unsafe extern "C" fn snapshot(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let seq = db.snapshot()?;
        c.new_external(SnapshotHandle { db, seq, released: AtomicBool::new(false) })
    })
}

/// lsmSnapshotSequence(snapshot) -> number
pub unsafe extern "C" fn snapshot_sequence(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let s = c.external::<SnapshotHandle>(0, "snapshot")?;
        c.double(s.seq as f64)
    })
}

/// lsmSnapshotRelease(snapshot); idempotent.
pub unsafe extern "C" fn snapshot_release(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        c.external::<SnapshotHandle>(0, "snapshot")?.release();
        c.undefined()
    })
}

/// lsmIterator(handle, start|null, end|null, snapshot|null) -> iterator handle
pub unsafe extern "C" fn iterator(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let start = c.opt_bytes(1, "start")?.map(|s| s.to_vec());
        let end = c.opt_bytes(2, "end")?.map(|s| s.to_vec());
        let snapshot = snapshot_arg(c, 3, &db)?;
        let it = db.iter(IterOptions { start, end, snapshot })?;
        c.new_external(IterHandle { it: Mutex::new(Some(it)) })
    })
}

/// lsmIteratorNext(iter, maxEntries, maxBytes) -> Buffer of (u32 klen, u32 vlen, key, value)*,
/// or null once exhausted (the iterator then releases its snapshot and tables).
pub unsafe extern "C" fn iterator_next(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let h = c.external::<IterHandle>(0, "iterator")?;
        let max_entries = c.uint(1, "maxEntries", u32::MAX as f64)? as usize;
        let max_bytes = c.uint(2, "maxBytes", (1u64 << 40) as f64)? as usize;
        let mut g = lock(&h.it);
        let Some(it) = g.as_mut() else { return c.null() };
        let mut out = Vec::new();
        let n = it.next_batch(max_entries, max_bytes, &mut out)?;
        if n == 0 && it.is_done() {
            *g = None;
            drop(g);
            return c.null();
        }
        drop(g);
        c.buffer(&out)
    })
}

/// lsmIteratorClose(iter); idempotent.
pub unsafe extern "C" fn iterator_close(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let h = c.external::<IterHandle>(0, "iterator")?;
        let it = lock(&h.it).take();
        drop(it);
        c.undefined()
    })
}

/// lsmStats(handle) -> JSON string
pub unsafe extern "C" fn stats(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        c.string_value(&db.stats_json())
    })
}

// ------------------------------------------------------------------ async work

enum Task {
    Flush(Arc<DbInner>),
    CompactRange(Arc<DbInner>, Option<Vec<u8>>, Option<Vec<u8>>),
    WaitIdle(Arc<DbInner>),
}

struct AsyncJob {
    task: Task,
    result: Option<Result<(), JsError>>,
    deferred: napi_deferred,
    work: napi_async_work,
}

unsafe extern "C" fn job_execute(_env: napi_env, data: *mut c_void) {
    // Worker thread: no N-API calls allowed here.
    let job = &mut *(data as *mut AsyncJob);
    let r = catch_unwind(AssertUnwindSafe(|| match &job.task {
        Task::Flush(db) => db.flush(),
        Task::CompactRange(db, s, e) => db.compact_range(s.as_deref(), e.as_deref()),
        Task::WaitIdle(db) => db.wait_idle(),
    }));
    job.result = Some(match r {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.into()),
        Err(p) => Err(JsError { code: "AIKV_INTERNAL", message: format!("internal error in aikv native addon: {}", panic_message(p)) }),
    });
}

unsafe fn make_error(env: napi_env, e: &JsError) -> JsResult<napi_value> {
    let code = string_value(env, e.code)?;
    let msg = string_value(env, &e.message)?;
    let mut err = ptr::null_mut();
    check(napi_create_error(env, code, msg, &mut err), "napi_create_error")?;
    Ok(err)
}

unsafe extern "C" fn job_complete(env: napi_env, status: napi_status, data: *mut c_void) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let job = Box::from_raw(data as *mut AsyncJob);
        napi_delete_async_work(env, job.work);
        let result = if status != NAPI_OK {
            Err(JsError { code: "AIKV_CANCELLED", message: format!("background operation did not run (status {status})") })
        } else {
            job.result.unwrap_or_else(|| Err(JsError { code: "AIKV_INTERNAL", message: "background operation produced no result".into() }))
        };
        match result {
            Ok(()) => {
                let mut u = ptr::null_mut();
                napi_get_undefined(env, &mut u);
                napi_resolve_deferred(env, job.deferred, u);
            }
            Err(e) => {
                if let Ok(err) = make_error(env, &e) {
                    napi_reject_deferred(env, job.deferred, err);
                }
            }
        }
    }));
}

fn queue_job(c: &Ctx, task: Task) -> JsResult<napi_value> {
    unsafe {
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check(napi_create_promise(c.env, &mut deferred, &mut promise), "napi_create_promise")?;
        let name = string_value(c.env, "aikv.lsm")?;
        let job = Box::into_raw(Box::new(AsyncJob { task, result: None, deferred, work: ptr::null_mut() }));
        let mut work = ptr::null_mut();
        let st = napi_create_async_work(c.env, ptr::null_mut(), name, Some(job_execute), Some(job_complete), job as *mut c_void, &mut work);
        if st != NAPI_OK {
            drop(Box::from_raw(job));
            return Err(JsError::napi("napi_create_async_work", st));
        }
        (*job).work = work;
        let st = napi_queue_async_work(c.env, work);
        if st != NAPI_OK {
            napi_delete_async_work(c.env, work);
            drop(Box::from_raw(job));
            return Err(JsError::napi("napi_queue_async_work", st));
        }
        Ok(promise)
    }
}

/// lsmWriteAsync(handle, batch, sync) -> Promise<void>. The batch is queued synchronously (so
/// call order is commit order); the DB's writer thread commits it, including any write stall,
/// and the promise settles on the JS thread once it is durable per the sync mode and visible.
pub unsafe extern "C" fn write_async(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let h = c.external::<DbHandle>(0, "db")?;
        let db = db_of(c)?;
        let rep = c.bytes(1, "batch")?.to_vec();
        let sync = c.opt_bool(2, "sync")?;
        let w = async_writes(c, h, &db)?;
        let ticket = db.enqueue(rep, sync, true)?;
        let mut deferred = ptr::null_mut();
        let mut promise = ptr::null_mut();
        check(napi_create_promise(c.env, &mut deferred, &mut promise), "napi_create_promise")?;
        if ticket == 0 {
            // Empty batch: nothing to commit.
            napi_resolve_deferred(c.env, deferred, c.undefined()?);
            return Ok(promise);
        }
        lock(&w.pending).push_back((ticket, SendPtr(deferred)));
        if !w.refed.swap(true, Ordering::AcqRel) {
            check(napi_ref_threadsafe_function(c.env, w.tsfn()), "napi_ref_threadsafe_function")?;
        }
        Ok(promise)
    })
}

/// lsmFlush(handle) -> Promise<void>
pub unsafe extern "C" fn flush(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        queue_job(c, Task::Flush(db))
    })
}

/// lsmCompactRange(handle, start|null, end|null) -> Promise<void>. `end` is inclusive here,
/// as in LevelDB's CompactRange.
pub unsafe extern "C" fn compact_range(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        let s = c.opt_bytes(1, "start")?.map(|s| s.to_vec());
        let e = c.opt_bytes(2, "end")?.map(|s| s.to_vec());
        queue_job(c, Task::CompactRange(db, s, e))
    })
}

/// lsmWaitIdle(handle) -> Promise<void>: resolves when no flush/compaction is pending.
pub unsafe extern "C" fn wait_idle(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let db = db_of(c)?;
        queue_job(c, Task::WaitIdle(db))
    })
}
