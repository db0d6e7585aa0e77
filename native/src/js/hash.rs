//! JS exports for CRC16 key slots and bloom filters.

use super::util::{split_keys, Ctx, ExternalTag, JsError, JsResult};
use crate::bloom::Bloom;
use crate::crc16;
use crate::napi::*;
use std::sync::Mutex;

pub unsafe extern "C" fn crc16(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let v = crc16::crc16(c.bytes(0, "data")?);
        c.uint32(v as u32)
    })
}

pub unsafe extern "C" fn key_slot(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let v = crc16::key_slot(c.bytes(0, "key")?);
        c.uint32(v as u32)
    })
}

/// keySlots(keys: Uint8Array, offsets: Uint32Array) -> Uint16Array
pub unsafe extern "C" fn key_slots(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let buf = c.bytes(0, "keys")?;
        let offs = c.u32s(1, "offsets")?;
        let n = offs.len().saturating_sub(1);
        let mut slots = vec![0u16; n];
        crc16::key_slots_into(buf, offs, &mut slots).map_err(JsError::value_error)?;
        c.typed_array::<u16>(NAPI_UINT16_ARRAY, n, |out| out.copy_from_slice(&slots))
    })
}

pub struct BloomHandle {
    bloom: Mutex<Bloom>,
}

impl ExternalTag for BloomHandle {
    const TAG: u64 = 0x4149_4b56_424c_4d31; // "AIKVBLM1"
}

fn with_bloom<R>(c: &Ctx, f: impl FnOnce(&mut Bloom) -> R) -> JsResult<R> {
    let h = c.external::<BloomHandle>(0, "bloom")?;
    let mut b = h.bloom.lock().unwrap_or_else(|p| p.into_inner());
    Ok(f(&mut b))
}

/// bloomCreate(expectedItems, falsePositiveRate) -> handle
pub unsafe extern "C" fn bloom_create(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let n = c.uint(0, "expectedItems", 9.007_199_254_740_991e15)?;
        let fp = c.number(1, "falsePositiveRate")?;
        let b = Bloom::with_rate(n, fp).map_err(JsError::value_error)?;
        c.new_external(BloomHandle { bloom: Mutex::new(b) })
    })
}

/// bloomDeserialize(bytes) -> handle
pub unsafe extern "C" fn bloom_deserialize(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let b = Bloom::from_bytes(c.bytes(0, "bytes")?.to_vec()).map_err(JsError::value_error)?;
        c.new_external(BloomHandle { bloom: Mutex::new(b) })
    })
}

pub unsafe extern "C" fn bloom_add(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let k = c.bytes(1, "key")?;
        with_bloom(c, |b| b.add(k))?;
        c.undefined()
    })
}

pub unsafe extern "C" fn bloom_may_contain(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let k = c.bytes(1, "key")?;
        let r = with_bloom(c, |b| b.may_contain(k))?;
        c.boolean(r)
    })
}

/// bloomAddMany(handle, keys, offsets)
pub unsafe extern "C" fn bloom_add_many(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let keys = split_keys(c.bytes(1, "keys")?, c.u32s(2, "offsets")?)?;
        with_bloom(c, |b| keys.iter().for_each(|k| b.add(k)))?;
        c.undefined()
    })
}

/// bloomMayContainMany(handle, keys, offsets) -> Uint8Array of 0/1
pub unsafe extern "C" fn bloom_may_contain_many(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let keys = split_keys(c.bytes(1, "keys")?, c.u32s(2, "offsets")?)?;
        let r: Vec<u8> = with_bloom(c, |b| keys.iter().map(|k| b.may_contain(k) as u8).collect())?;
        c.typed_array::<u8>(NAPI_UINT8_ARRAY, r.len(), |out| out.copy_from_slice(&r))
    })
}

pub unsafe extern "C" fn bloom_serialize(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let bytes = with_bloom(c, |b| b.as_bytes().to_vec())?;
        c.buffer(&bytes)
    })
}

/// bloomInfo(handle) -> { bits, hashes }
pub unsafe extern "C" fn bloom_info(env: napi_env, info: napi_callback_info) -> napi_value {
    super::util::entry(env, info, |c| {
        let (bits, k) = with_bloom(c, |b| (b.bits(), b.hashes()))?;
        let bits = c.uint32(bits)?;
        let k = c.uint32(k as u32)?;
        c.object(&[("bits", bits), ("hashes", k)])
    })
}
