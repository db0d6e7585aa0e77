//! Safe-ish helpers over the raw N-API: argument access, typed-array views, value creation,
//! tagged externals and the entry wrapper that turns Rust errors and panics into JS Errors
//! (a panic must never unwind into the JS engine).

use crate::lsm;
use crate::napi::*;
use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

pub struct JsError {
    pub code: &'static str,
    pub message: String,
}

pub type JsResult<T> = Result<T, JsError>;

impl JsError {
    pub fn type_error(message: impl Into<String>) -> JsError {
        JsError { code: "ERR_INVALID_ARG_TYPE", message: message.into() }
    }
    pub fn value_error(message: impl Into<String>) -> JsError {
        JsError { code: "ERR_INVALID_ARG_VALUE", message: message.into() }
    }
    /// A N-API call failed; usually an exception is already pending and will propagate.
    pub fn napi(what: &str, status: napi_status) -> JsError {
        JsError { code: "AIKV_NAPI", message: format!("N-API call {what} failed with status {status}") }
    }
}

impl From<lsm::Error> for JsError {
    fn from(e: lsm::Error) -> JsError {
        JsError { code: e.code(), message: e.to_string() }
    }
}

#[inline]
pub fn check(status: napi_status, what: &str) -> JsResult<()> {
    if status == NAPI_OK {
        Ok(())
    } else {
        Err(JsError::napi(what, status))
    }
}

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "\\0")).unwrap_or_default()
}

unsafe fn throw(env: napi_env, e: &JsError) {
    let mut pending = false;
    napi_is_exception_pending(env, &mut pending);
    if pending {
        return; // the engine's own exception (e.g. from a getter) is more precise
    }
    let code = cstring(e.code);
    let msg = cstring(&e.message);
    napi_throw_error(env, code.as_ptr(), msg.as_ptr());
}

pub fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Runs an exported function body: converts errors to thrown JS Errors and catches panics.
pub unsafe fn entry(env: napi_env, info: napi_callback_info, f: impl FnOnce(&Ctx) -> JsResult<napi_value>) -> napi_value {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let ctx = Ctx::new(env, info)?;
        f(&ctx)
    }));
    match r {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            throw(env, &e);
            ptr::null_mut()
        }
        Err(p) => {
            throw(env, &JsError { code: "AIKV_INTERNAL", message: format!("internal error in aikv native addon: {}", panic_message(p)) });
            ptr::null_mut()
        }
    }
}

const MAX_ARGS: usize = 8;

pub struct Ctx {
    pub env: napi_env,
    args: [napi_value; MAX_ARGS],
}

/// Types stored in JS externals carry a tag checked before every cast, so passing the wrong
/// handle (a Bloom where an Lsm is expected) is an error instead of memory corruption.
pub trait ExternalTag {
    const TAG: u64;
}

#[repr(C)]
struct Tagged<T> {
    tag: u64,
    value: T,
}

unsafe extern "C" fn finalize_tagged<T>(_env: napi_env, data: *mut c_void, _hint: *mut c_void) {
    // Runs on the JS thread during GC: only Rust code, no N-API calls. Drop impls (e.g. the
    // DB's close) must not panic across this boundary.
    let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(data as *mut Tagged<T>))));
}

impl Ctx {
    unsafe fn new(env: napi_env, info: napi_callback_info) -> JsResult<Ctx> {
        let mut argc = MAX_ARGS;
        let mut args = [ptr::null_mut(); MAX_ARGS];
        check(napi_get_cb_info(env, info, &mut argc, args.as_mut_ptr(), ptr::null_mut(), ptr::null_mut()), "napi_get_cb_info")?;
        let mut undef = ptr::null_mut();
        check(napi_get_undefined(env, &mut undef), "napi_get_undefined")?;
        for a in args.iter_mut().skip(argc) {
            *a = undef;
        }
        Ok(Ctx { env, args })
    }

    pub fn arg(&self, i: usize) -> napi_value {
        self.args[i]
    }

    pub fn type_of(&self, v: napi_value) -> JsResult<i32> {
        let mut t = 0;
        check(unsafe { napi_typeof(self.env, v, &mut t) }, "napi_typeof")?;
        Ok(t)
    }

    pub fn is_nullish(&self, i: usize) -> JsResult<bool> {
        let t = self.type_of(self.arg(i))?;
        Ok(t == NAPI_UNDEFINED || t == NAPI_NULL)
    }

    /// Typed-array view of argument `i` (element type checked). The slice borrows JS memory:
    /// callers consume it before creating JS values (which may run the GC).
    fn typed<'a, T>(&'a self, i: usize, want: i32, name: &str, what: &str) -> JsResult<&'a [T]> {
        let v = self.arg(i);
        let mut is = false;
        check(unsafe { napi_is_typedarray(self.env, v, &mut is) }, "napi_is_typedarray")?;
        if !is {
            return Err(JsError::type_error(format!("{name} must be a {what}")));
        }
        let (mut ty, mut len, mut data, mut ab, mut off) = (0i32, 0usize, ptr::null_mut(), ptr::null_mut(), 0usize);
        check(unsafe { napi_get_typedarray_info(self.env, v, &mut ty, &mut len, &mut data, &mut ab, &mut off) }, "napi_get_typedarray_info")?;
        if ty != want {
            return Err(JsError::type_error(format!("{name} must be a {what}")));
        }
        if len == 0 || data.is_null() {
            return Ok(&[]);
        }
        // SAFETY: N-API reports `len` elements of type T at `data` (already offset by byte_offset).
        Ok(unsafe { std::slice::from_raw_parts(data as *const T, len) })
    }

    pub fn bytes(&self, i: usize, name: &str) -> JsResult<&[u8]> {
        self.typed::<u8>(i, NAPI_UINT8_ARRAY, name, "Uint8Array or Buffer")
    }

    pub fn opt_bytes(&self, i: usize, name: &str) -> JsResult<Option<&[u8]>> {
        if self.is_nullish(i)? {
            Ok(None)
        } else {
            self.bytes(i, name).map(Some)
        }
    }

    pub fn u32s(&self, i: usize, name: &str) -> JsResult<&[u32]> {
        self.typed::<u32>(i, NAPI_UINT32_ARRAY, name, "Uint32Array")
    }

    pub fn number_of(&self, v: napi_value, name: &str) -> JsResult<f64> {
        if self.type_of(v)? != NAPI_NUMBER {
            return Err(JsError::type_error(format!("{name} must be a number")));
        }
        let mut d = 0.0;
        check(unsafe { napi_get_value_double(self.env, v, &mut d) }, "napi_get_value_double")?;
        Ok(d)
    }

    pub fn number(&self, i: usize, name: &str) -> JsResult<f64> {
        self.number_of(self.arg(i), name)
    }

    /// Non-negative integer argument no larger than `max`.
    pub fn uint(&self, i: usize, name: &str, max: f64) -> JsResult<u64> {
        uint_value(self.number(i, name)?, name, max)
    }

    pub fn bool_of(&self, v: napi_value, name: &str) -> JsResult<bool> {
        if self.type_of(v)? != NAPI_BOOLEAN {
            return Err(JsError::type_error(format!("{name} must be a boolean")));
        }
        let mut b = false;
        check(unsafe { napi_get_value_bool(self.env, v, &mut b) }, "napi_get_value_bool")?;
        Ok(b)
    }

    pub fn opt_bool(&self, i: usize, name: &str) -> JsResult<bool> {
        if self.is_nullish(i)? {
            Ok(false)
        } else {
            self.bool_of(self.arg(i), name)
        }
    }

    pub fn string_of(&self, v: napi_value, name: &str) -> JsResult<String> {
        if self.type_of(v)? != NAPI_STRING {
            return Err(JsError::type_error(format!("{name} must be a string")));
        }
        let mut len = 0usize;
        check(unsafe { napi_get_value_string_utf8(self.env, v, ptr::null_mut(), 0, &mut len) }, "napi_get_value_string_utf8")?;
        let mut buf = vec![0u8; len + 1];
        let mut written = 0usize;
        check(unsafe { napi_get_value_string_utf8(self.env, v, buf.as_mut_ptr() as *mut _, buf.len(), &mut written) }, "napi_get_value_string_utf8")?;
        buf.truncate(written);
        String::from_utf8(buf).map_err(|_| JsError::value_error(format!("{name} is not valid UTF-8")))
    }

    pub fn string(&self, i: usize, name: &str) -> JsResult<String> {
        self.string_of(self.arg(i), name)
    }

    /// Property of an options object; None when absent/undefined.
    pub fn property(&self, obj: napi_value, key: &str) -> JsResult<Option<napi_value>> {
        let k = cstring(key);
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_named_property(self.env, obj, k.as_ptr(), &mut v) }, "napi_get_named_property")?;
        let t = self.type_of(v)?;
        Ok(if t == NAPI_UNDEFINED { None } else { Some(v) })
    }

    pub fn external<T: ExternalTag>(&self, i: usize, name: &str) -> JsResult<&T> {
        let v = self.arg(i);
        if self.type_of(v)? != NAPI_EXTERNAL {
            return Err(JsError::type_error(format!("{name} must be a native handle")));
        }
        let mut data = ptr::null_mut();
        check(unsafe { napi_get_value_external(self.env, v, &mut data) }, "napi_get_value_external")?;
        if data.is_null() {
            return Err(JsError::type_error(format!("{name} is not an aikv handle")));
        }
        // SAFETY: externals created by this addon point at a Tagged<T>; the tag identifies T.
        let tagged = data as *const Tagged<T>;
        if unsafe { (*tagged).tag } != T::TAG {
            return Err(JsError::type_error(format!("{name} is the wrong kind of native handle")));
        }
        Ok(unsafe { &(*tagged).value })
    }

    pub fn opt_external<T: ExternalTag>(&self, i: usize, name: &str) -> JsResult<Option<&T>> {
        if self.is_nullish(i)? {
            Ok(None)
        } else {
            self.external(i, name).map(Some)
        }
    }

    // ---- value creation

    pub fn undefined(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_undefined(self.env, &mut v) }, "napi_get_undefined")?;
        Ok(v)
    }

    pub fn null(&self) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_null(self.env, &mut v) }, "napi_get_null")?;
        Ok(v)
    }

    pub fn boolean(&self, b: bool) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_get_boolean(self.env, b, &mut v) }, "napi_get_boolean")?;
        Ok(v)
    }

    pub fn uint32(&self, n: u32) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_uint32(self.env, n, &mut v) }, "napi_create_uint32")?;
        Ok(v)
    }

    pub fn double(&self, n: f64) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_double(self.env, n, &mut v) }, "napi_create_double")?;
        Ok(v)
    }

    pub fn string_value(&self, s: &str) -> JsResult<napi_value> {
        string_value(self.env, s)
    }

    pub fn buffer(&self, data: &[u8]) -> JsResult<napi_value> {
        let mut v = ptr::null_mut();
        let mut out = ptr::null_mut();
        check(unsafe { napi_create_buffer_copy(self.env, data.len(), data.as_ptr() as *const c_void, &mut out, &mut v) }, "napi_create_buffer_copy")?;
        Ok(v)
    }

    /// New typed array of `len` elements of `T`, filled by `fill`.
    pub fn typed_array<T: Copy>(&self, ty: i32, len: usize, fill: impl FnOnce(&mut [T])) -> JsResult<napi_value> {
        let mut data = ptr::null_mut();
        let mut ab = ptr::null_mut();
        check(unsafe { napi_create_arraybuffer(self.env, len * std::mem::size_of::<T>(), &mut data, &mut ab) }, "napi_create_arraybuffer")?;
        if len > 0 {
            // SAFETY: the fresh ArrayBuffer has room for `len` T's and is suitably aligned.
            fill(unsafe { std::slice::from_raw_parts_mut(data as *mut T, len) });
        }
        let mut v = ptr::null_mut();
        check(unsafe { napi_create_typedarray(self.env, ty, len, ab, 0, &mut v) }, "napi_create_typedarray")?;
        Ok(v)
    }

    pub fn new_external<T: ExternalTag + 'static>(&self, value: T) -> JsResult<napi_value> {
        let raw = Box::into_raw(Box::new(Tagged { tag: T::TAG, value }));
        let mut v = ptr::null_mut();
        let st = unsafe { napi_create_external(self.env, raw as *mut c_void, Some(finalize_tagged::<T>), ptr::null_mut(), &mut v) };
        if st != NAPI_OK {
            // SAFETY: the engine did not take ownership.
            drop(unsafe { Box::from_raw(raw) });
            return Err(JsError::napi("napi_create_external", st));
        }
        Ok(v)
    }

    pub fn object(&self, props: &[(&str, napi_value)]) -> JsResult<napi_value> {
        let mut o = ptr::null_mut();
        check(unsafe { napi_create_object(self.env, &mut o) }, "napi_create_object")?;
        for (k, v) in props {
            let k = cstring(k);
            check(unsafe { napi_set_named_property(self.env, o, k.as_ptr(), *v) }, "napi_set_named_property")?;
        }
        Ok(o)
    }
}

pub fn uint_value(d: f64, name: &str, max: f64) -> JsResult<u64> {
    if !d.is_finite() || d < 0.0 || d.fract() != 0.0 || d > max {
        return Err(JsError::value_error(format!("{name} must be an integer between 0 and {max}, got {d}")));
    }
    Ok(d as u64)
}

pub fn string_value(env: napi_env, s: &str) -> JsResult<napi_value> {
    let mut v = ptr::null_mut();
    check(unsafe { napi_create_string_utf8(env, s.as_ptr() as *const _, s.len(), &mut v) }, "napi_create_string_utf8")?;
    Ok(v)
}

/// Keys packed back to back with an offsets array (n + 1 entries), the batch input format of
/// keySlots / bloom*Many / lsmMultiGet.
pub fn split_keys<'a>(buf: &'a [u8], offsets: &[u32]) -> JsResult<Vec<&'a [u8]>> {
    if offsets.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(offsets.len() - 1);
    for i in 0..offsets.len() - 1 {
        let (s, e) = (offsets[i] as usize, offsets[i + 1] as usize);
        if s > e || e > buf.len() {
            return Err(JsError::value_error(format!("key offsets out of range at index {i} ({s}..{e}, buffer length {})", buf.len())));
        }
        out.push(&buf[s..e]);
    }
    Ok(out)
}
