//! Little-endian fixed-width integers and LEB128 varints: the byte-level encoding shared by the
//! WAL, write batches, manifest edits and table blocks (see FORMAT.md).

#[inline]
pub fn put_fixed32(dst: &mut Vec<u8>, v: u32) {
    dst.extend_from_slice(&v.to_le_bytes());
}

#[inline]
pub fn put_fixed64(dst: &mut Vec<u8>, v: u64) {
    dst.extend_from_slice(&v.to_le_bytes());
}

/// Reads a u32 at `pos`; the caller guarantees `pos + 4 <= src.len()`.
#[inline]
pub fn fixed32(src: &[u8], pos: usize) -> u32 {
    u32::from_le_bytes([src[pos], src[pos + 1], src[pos + 2], src[pos + 3]])
}

/// Reads a u64 at `pos`; the caller guarantees `pos + 8 <= src.len()`.
#[inline]
pub fn fixed64(src: &[u8], pos: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&src[pos..pos + 8]);
    u64::from_le_bytes(b)
}

#[inline]
pub fn put_varint32(dst: &mut Vec<u8>, v: u32) {
    put_varint64(dst, v as u64)
}

#[inline]
pub fn put_varint64(dst: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        dst.push((v as u8) | 0x80);
        v >>= 7;
    }
    dst.push(v as u8);
}

pub fn varint_len(mut v: u64) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

/// Decodes a varint at `*pos`, advancing it. `None` on truncation or overlong encodings, so
/// corrupted input surfaces as an error instead of a panic.
#[inline]
pub fn get_varint64(src: &[u8], pos: &mut usize) -> Option<u64> {
    // Fast path: lengths in blocks are almost always < 128.
    if let Some(&b) = src.get(*pos) {
        if b < 0x80 {
            *pos += 1;
            return Some(b as u64);
        }
    }
    get_varint64_slow(src, pos)
}

#[cold]
fn get_varint64_slow(src: &[u8], pos: &mut usize) -> Option<u64> {
    let mut result: u64 = 0;
    let mut shift = 0u32;
    while shift <= 63 {
        let b = *src.get(*pos)?;
        *pos += 1;
        result |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Some(result);
        }
        shift += 7;
    }
    None
}

#[inline]
pub fn get_varint32(src: &[u8], pos: &mut usize) -> Option<u32> {
    if let Some(&b) = src.get(*pos) {
        if b < 0x80 {
            *pos += 1;
            return Some(b as u32);
        }
    }
    let v = get_varint64_slow(src, pos)?;
    u32::try_from(v).ok()
}

pub fn put_length_prefixed(dst: &mut Vec<u8>, s: &[u8]) {
    put_varint32(dst, s.len() as u32);
    dst.extend_from_slice(s);
}

/// Reads a varint32 length followed by that many bytes.
pub fn get_length_prefixed<'a>(src: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = get_varint32(src, pos)? as usize;
    let end = pos.checked_add(len)?;
    let s = src.get(*pos..end)?;
    *pos = end;
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_roundtrip() {
        let vals = [0u64, 1, 127, 128, 300, 16383, 16384, u32::MAX as u64, u64::MAX];
        let mut buf = Vec::new();
        for &v in &vals {
            put_varint64(&mut buf, v);
        }
        let mut pos = 0;
        for &v in &vals {
            assert_eq!(get_varint64(&buf, &mut pos), Some(v));
        }
        assert_eq!(pos, buf.len());
        assert_eq!(varint_len(300), 2);
    }

    #[test]
    fn varint_truncated_and_overlong() {
        let mut pos = 0;
        assert_eq!(get_varint64(&[0x80, 0x80], &mut pos), None);
        let mut pos = 0;
        assert_eq!(get_varint64(&[0xff; 11], &mut pos), None);
        let mut pos = 0;
        // 2^32 does not fit a varint32.
        let mut b = Vec::new();
        put_varint64(&mut b, 1 << 32);
        assert_eq!(get_varint32(&b, &mut pos), None);
    }

    #[test]
    fn length_prefixed() {
        let mut b = Vec::new();
        put_length_prefixed(&mut b, b"hello");
        let mut pos = 0;
        assert_eq!(get_length_prefixed(&b, &mut pos), Some(&b"hello"[..]));
        let mut pos = 0;
        assert_eq!(get_length_prefixed(&b[..3], &mut pos), None);
    }
}
