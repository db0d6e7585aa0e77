//! Minimal binding to the system libzstd (hand-written, no crates). Only one-shot block
//! compression is needed: table blocks are compressed independently so any block can be read
//! on its own. Contexts are reused per thread (thread-local, so no shared mutable state).

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void, CStr};

#[allow(non_camel_case_types)]
type ZSTD_CCtx = c_void;
#[allow(non_camel_case_types)]
type ZSTD_DCtx = c_void;

extern "C" {
    fn ZSTD_compressBound(src_size: usize) -> usize;
    fn ZSTD_isError(code: usize) -> c_uint;
    fn ZSTD_getErrorName(code: usize) -> *const c_char;
    fn ZSTD_createCCtx() -> *mut ZSTD_CCtx;
    fn ZSTD_freeCCtx(cctx: *mut ZSTD_CCtx) -> usize;
    fn ZSTD_compressCCtx(cctx: *mut ZSTD_CCtx, dst: *mut c_void, dst_cap: usize, src: *const c_void, src_size: usize, level: c_int) -> usize;
    fn ZSTD_createDCtx() -> *mut ZSTD_DCtx;
    fn ZSTD_freeDCtx(dctx: *mut ZSTD_DCtx) -> usize;
    fn ZSTD_decompressDCtx(dctx: *mut ZSTD_DCtx, dst: *mut c_void, dst_cap: usize, src: *const c_void, src_size: usize) -> usize;
    fn ZSTD_versionNumber() -> c_uint;
    #[allow(dead_code)]
    fn ZSTD_getFrameContentSize(src: *const c_void, src_size: usize) -> c_ulonglong;
}

struct Contexts {
    c: *mut ZSTD_CCtx,
    d: *mut ZSTD_DCtx,
}

impl Drop for Contexts {
    fn drop(&mut self) {
        // SAFETY: both pointers come from ZSTD_create*Ctx (or are null, which zstd accepts).
        unsafe {
            ZSTD_freeCCtx(self.c);
            ZSTD_freeDCtx(self.d);
        }
    }
}

thread_local! {
    static CTX: RefCell<Contexts> = const { RefCell::new(Contexts { c: std::ptr::null_mut(), d: std::ptr::null_mut() }) };
}

fn error_name(code: usize) -> String {
    // SAFETY: ZSTD_getErrorName returns a static NUL-terminated string for any code.
    unsafe { CStr::from_ptr(ZSTD_getErrorName(code)).to_string_lossy().into_owned() }
}

pub fn version() -> u32 {
    // SAFETY: no arguments, pure function.
    unsafe { ZSTD_versionNumber() as u32 }
}

/// Appends the zstd frame of `src` to `dst`.
pub fn compress_into(src: &[u8], level: i32, dst: &mut Vec<u8>) -> Result<(), String> {
    CTX.with(|ctx| {
        let mut ctx = ctx.borrow_mut();
        // SAFETY: plain FFI; buffers are sized from ZSTD_compressBound and we only set_len to
        // the number of bytes zstd reports as written.
        unsafe {
            if ctx.c.is_null() {
                ctx.c = ZSTD_createCCtx();
                if ctx.c.is_null() {
                    return Err("zstd: cannot allocate compression context".to_string());
                }
            }
            let bound = ZSTD_compressBound(src.len());
            dst.reserve(bound);
            let start = dst.len();
            let out = dst.as_mut_ptr().add(start) as *mut c_void;
            let n = ZSTD_compressCCtx(ctx.c, out, bound, src.as_ptr() as *const c_void, src.len(), level);
            if ZSTD_isError(n) != 0 {
                return Err(format!("zstd compress: {}", error_name(n)));
            }
            dst.set_len(start + n);
            Ok(())
        }
    })
}

/// Decompresses a frame whose content is exactly `raw_len` bytes.
pub fn decompress(src: &[u8], raw_len: usize) -> Result<Vec<u8>, String> {
    CTX.with(|ctx| {
        let mut ctx = ctx.borrow_mut();
        // SAFETY: `out` has capacity raw_len and zstd writes at most dst_cap bytes; we only
        // expose the bytes it reports as written.
        unsafe {
            if ctx.d.is_null() {
                ctx.d = ZSTD_createDCtx();
                if ctx.d.is_null() {
                    return Err("zstd: cannot allocate decompression context".to_string());
                }
            }
            let mut out: Vec<u8> = Vec::with_capacity(raw_len);
            let n = ZSTD_decompressDCtx(ctx.d, out.as_mut_ptr() as *mut c_void, raw_len, src.as_ptr() as *const c_void, src.len());
            if ZSTD_isError(n) != 0 {
                return Err(format!("zstd decompress: {}", error_name(n)));
            }
            if n != raw_len {
                return Err(format!("zstd decompress: expected {raw_len} bytes, got {n}"));
            }
            out.set_len(n);
            Ok(out)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        assert!(version() >= 10400);
        let src: Vec<u8> = (0..10_000u32).map(|i| (i % 17) as u8).collect();
        let mut c = vec![1, 2, 3];
        compress_into(&src, 3, &mut c).unwrap();
        assert_eq!(&c[..3], &[1, 2, 3]);
        assert!(c.len() < src.len() / 4);
        assert_eq!(decompress(&c[3..], src.len()).unwrap(), src);
        assert!(decompress(&c[3..], src.len() - 1).is_err());
        assert!(decompress(&c[3..c.len() - 2], src.len()).is_err());
        assert!(decompress(b"garbage", 10).is_err());
    }
}
