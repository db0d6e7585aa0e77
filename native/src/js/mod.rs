//! Module registration and per-environment state.
//!
//! Every Bun Worker / Node worker thread is its own N-API environment. Nothing here is
//! process-global: each environment gets its own `EnvState` (N-API instance data), whose
//! finalizer closes the databases that environment left open when it is torn down.

mod hash;
mod lsm;
mod util;

use crate::lsm::DbInner;
use crate::napi::*;
use std::ffi::{c_void, CString};
use std::ptr;
use std::sync::{Arc, Mutex, Weak};

pub struct EnvState {
    dbs: Mutex<Vec<Weak<DbInner>>>,
}

impl EnvState {
    pub fn register(&self, db: &Arc<DbInner>) {
        let mut v = self.dbs.lock().unwrap_or_else(|p| p.into_inner());
        v.retain(|w| w.strong_count() > 0);
        v.push(Arc::downgrade(db));
    }
}

unsafe extern "C" fn finalize_env_state(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    let _ = std::panic::catch_unwind(|| {
        let state = Box::from_raw(data as *mut EnvState);
        let dbs = std::mem::take(&mut *state.dbs.lock().unwrap_or_else(|p| p.into_inner()));
        for db in dbs.iter().filter_map(|w| w.upgrade()) {
            let _ = db.close();
        }
    });
}

/// The environment's state, created on first use.
pub fn env_state(env: napi_env) -> &'static EnvState {
    unsafe {
        let mut data: *mut c_void = ptr::null_mut();
        if napi_get_instance_data(env, &mut data) == NAPI_OK && !data.is_null() {
            return &*(data as *const EnvState);
        }
        let raw = Box::into_raw(Box::new(EnvState { dbs: Mutex::new(Vec::new()) }));
        napi_set_instance_data(env, raw as *mut c_void, Some(finalize_env_state), ptr::null_mut());
        &*raw
    }
}

type Export = (&'static str, unsafe extern "C" fn(napi_env, napi_callback_info) -> napi_value);

const EXPORTS: &[Export] = &[
    ("crc16", hash::crc16),
    ("keySlot", hash::key_slot),
    ("keySlots", hash::key_slots),
    ("bloomCreate", hash::bloom_create),
    ("bloomDeserialize", hash::bloom_deserialize),
    ("bloomAdd", hash::bloom_add),
    ("bloomMayContain", hash::bloom_may_contain),
    ("bloomAddMany", hash::bloom_add_many),
    ("bloomMayContainMany", hash::bloom_may_contain_many),
    ("bloomSerialize", hash::bloom_serialize),
    ("bloomInfo", hash::bloom_info),
    ("lsmOpen", lsm::open),
    ("lsmClose", lsm::close),
    ("lsmWrite", lsm::write),
    ("lsmWriteAsync", lsm::write_async),
    ("lsmGet", lsm::get),
    ("lsmMultiGet", lsm::multi_get),
    ("lsmSnapshot", lsm::snapshot),
    ("lsmSnapshotSequence", lsm::snapshot_sequence),
    ("lsmSnapshotRelease", lsm::snapshot_release),
    ("lsmIterator", lsm::iterator),
    ("lsmIteratorNext", lsm::iterator_next),
    ("lsmIteratorClose", lsm::iterator_close),
    ("lsmFlush", lsm::flush),
    ("lsmCompactRange", lsm::compact_range),
    ("lsmWaitIdle", lsm::wait_idle),
    ("lsmStats", lsm::stats),
    ("info", info),
    ("threadCpuStats", thread_cpu_stats),
];

/// threadCpuStats() -> [cpu_ns, voluntary_switches, involuntary_switches] of the calling
/// thread (Linux; zeros elsewhere). Diagnostics for the event-loop benchmarks: a slow call
/// with an involuntary switch was preempted by the OS; one with a voluntary switch blocked.
unsafe extern "C" fn thread_cpu_stats(env: napi_env, cb: napi_callback_info) -> napi_value {
    util::entry(env, cb, |c| {
        let (cpu, vol, invol) = thread_usage();
        let a = c.double(cpu as f64)?;
        let b = c.double(vol as f64)?;
        let d = c.double(invol as f64)?;
        c.object(&[("cpuNs", a), ("voluntary", b), ("involuntary", d)])
    })
}

#[cfg(target_os = "linux")]
fn thread_usage() -> (u64, u64, u64) {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    #[repr(C)]
    struct Rusage {
        utime: [i64; 2],
        stime: [i64; 2],
        maxrss: i64,
        ixrss: i64,
        idrss: i64,
        isrss: i64,
        minflt: i64,
        majflt: i64,
        nswap: i64,
        inblock: i64,
        oublock: i64,
        msgsnd: i64,
        msgrcv: i64,
        nsignals: i64,
        nvcsw: i64,
        nivcsw: i64,
    }
    extern "C" {
        fn clock_gettime(clk: i32, ts: *mut Timespec) -> i32;
        fn getrusage(who: i32, usage: *mut Rusage) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    const RUSAGE_THREAD: i32 = 1;
    // SAFETY: plain libc calls writing into local, correctly laid out structs (x86_64/aarch64).
    unsafe {
        let mut ts = Timespec { sec: 0, nsec: 0 };
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts);
        let mut ru: Rusage = std::mem::zeroed();
        getrusage(RUSAGE_THREAD, &mut ru);
        ((ts.sec as u64) * 1_000_000_000 + ts.nsec as u64, ru.nvcsw as u64, ru.nivcsw as u64)
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_usage() -> (u64, u64, u64) {
    (0, 0, 0)
}

/// info() -> JSON string: crate version and the on-disk format numbers (pinned by tests).
unsafe extern "C" fn info(env: napi_env, cb: napi_callback_info) -> napi_value {
    util::entry(env, cb, |c| {
        let s = format!(
            "{{\"version\":\"{}\",\"zstdVersion\":{},\"tableFormatVersion\":{},\"tableMagic\":\"{}\",\"bloomFormat\":{},\"bloomHashSeed\":{},\"walRecordHeader\":{},\"batchHeader\":{},\"footerLength\":{},\"blockTrailerLength\":{}}}",
            env!("CARGO_PKG_VERSION"),
            crate::zstd::version(),
            crate::lsm::sstable::FORMAT_VERSION,
            std::str::from_utf8(crate::lsm::sstable::MAGIC).unwrap_or(""),
            crate::bloom::FORMAT_V1,
            crate::bloom::HASH_SEED,
            crate::lsm::wal::RECORD_HEADER_LEN,
            crate::lsm::batch::HEADER_LEN,
            crate::lsm::sstable::FOOTER_LEN,
            crate::lsm::sstable::BLOCK_TRAILER_LEN,
        );
        c.string_value(&s)
    })
}

#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    for (name, f) in EXPORTS {
        let cname = CString::new(*name).expect("export names have no NUL");
        let mut func = ptr::null_mut();
        if napi_create_function(env, cname.as_ptr(), name.len(), Some(*f), ptr::null_mut(), &mut func) != NAPI_OK {
            return ptr::null_mut();
        }
        if napi_set_named_property(env, exports, cname.as_ptr(), func) != NAPI_OK {
            return ptr::null_mut();
        }
    }
    env_state(env);
    exports
}

/// Lets Node pick the N-API version this module was written against.
#[no_mangle]
pub extern "C" fn node_api_module_get_api_version_v1() -> i32 {
    8
}
