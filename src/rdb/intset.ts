// Intsets (sorted integer arrays, Redis's small-set-of-integers encoding) and ziplists / zipmaps
// (the compact encodings of RDB versions before 10, read only).

import { parseI64 } from "../util/numbers.ts";
import { RdbFormatError } from "./listpack.ts";

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string }).latin1Slice;

let scratch = Buffer.allocUnsafe(1024);

/**
 * The intset Redis holds for these members (canonical int64 strings in ascending numeric
 * order): width 2, 4 or 8 bytes, the smallest that fits every member. A view, valid until the
 * next call.
 */
export function intsetBytes(members: readonly string[]): Buffer {
  const n = members.length;
  let width = 2;
  let big = false;
  for (let i = 0; i < n; i++) {
    const v = parseI64(members[i]!);
    if (v < -2147483648 || v > 2147483647) {
      width = 8;
      if (v < -9007199254740991 || v > 9007199254740991) big = true;
    } else if (width === 2 && (v < -32768 || v > 32767)) width = 4;
  }
  const size = 8 + n * width;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  const b = scratch;
  b.writeUInt32LE(width, 0);
  b.writeUInt32LE(n, 4);
  let p = 8;
  for (let i = 0; i < n; i++) {
    const s = members[i]!;
    if (width === 2) b.writeInt16LE(parseI64(s), p);
    else if (width === 4) b.writeInt32LE(parseI64(s), p);
    else if (big) b.writeBigInt64LE(BigInt(s), p);
    else {
      const v = parseI64(s);
      if (v >= -9007199254740991 && v <= 9007199254740991) b.writeBigInt64LE(BigInt(v), p);
      else b.writeBigInt64LE(BigInt(s), p);
    }
    p += width;
  }
  return b.subarray(0, size);
}

/** Reads an intset's members (decimal text, ascending), checking size and strict order. */
export function intsetRead(b: Uint8Array, start: number, end: number): string[] {
  if (end - start < 8) throw new RdbFormatError("intset too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = dv.getUint32(start, true);
  const n = dv.getUint32(start + 4, true);
  if (width !== 2 && width !== 4 && width !== 8) throw new RdbFormatError("intset bad encoding");
  if (8 + n * width !== end - start) throw new RdbFormatError("intset size mismatch");
  const out: string[] = new Array(n);
  let p = start + 8;
  if (width === 8) {
    let prev: bigint | null = null;
    for (let i = 0; i < n; i++, p += 8) {
      const v = dv.getBigInt64(p, true);
      if (prev !== null && v <= prev) throw new RdbFormatError("intset not sorted");
      prev = v;
      out[i] = v.toString();
    }
  } else {
    let prev = -Infinity;
    for (let i = 0; i < n; i++, p += width) {
      const v = width === 2 ? dv.getInt16(p, true) : dv.getInt32(p, true);
      if (v <= prev) throw new RdbFormatError("intset not sorted");
      prev = v;
      out[i] = String(v);
    }
  }
  return out;
}

/**
 * Reads a ziplist's entries (integers as decimal text), validating the header, each entry's
 * previous-length field and the terminator.
 */
export function ziplistRead(b: Uint8Array, start: number, end: number, out: string[]): void {
  const size = end - start;
  if (size < 11) throw new RdbFormatError("ziplist too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(start, true) !== size) throw new RdbFormatError("ziplist size mismatch");
  const tail = dv.getUint32(start + 4, true);
  const declared = dv.getUint16(start + 8, true);
  if (b[end - 1] !== 0xff) throw new RdbFormatError("ziplist terminator missing");
  const last = end - 1;
  let p = start + 10;
  let prevLen = 0;
  let count = 0;
  let lastEntry = start + 10;
  while (p < last) {
    const e0 = p;
    let pl: number;
    if (b[p]! < 254) {
      pl = b[p]!;
      p += 1;
    } else if (b[p] === 254) {
      if (p + 5 > last) throw new RdbFormatError("ziplist entry overflows");
      pl = dv.getUint32(p + 1, true);
      p += 5;
    } else throw new RdbFormatError("ziplist bad prevlen");
    if (pl !== prevLen) throw new RdbFormatError("ziplist prevlen mismatch");
    if (p >= last) throw new RdbFormatError("ziplist entry overflows");
    const enc = b[p]!;
    const kind = enc >> 6;
    if (kind === 0) {
      const n = enc & 0x3f;
      if (p + 1 + n > last) throw new RdbFormatError("ziplist entry overflows");
      out.push(latin1Slice.call(b, p + 1, p + 1 + n));
      p += 1 + n;
    } else if (kind === 1) {
      if (p + 2 > last) throw new RdbFormatError("ziplist entry overflows");
      const n = ((enc & 0x3f) << 8) | b[p + 1]!;
      if (p + 2 + n > last) throw new RdbFormatError("ziplist entry overflows");
      out.push(latin1Slice.call(b, p + 2, p + 2 + n));
      p += 2 + n;
    } else if (enc === 0x80) {
      if (p + 5 > last) throw new RdbFormatError("ziplist entry overflows");
      const n = dv.getUint32(p + 1, false);
      if (p + 5 + n > last) throw new RdbFormatError("ziplist entry overflows");
      out.push(latin1Slice.call(b, p + 5, p + 5 + n));
      p += 5 + n;
    } else {
      let w: number;
      let v: number | bigint;
      if (enc === 0xc0) {
        w = 2;
        if (p + 1 + w > last) throw new RdbFormatError("ziplist entry overflows");
        v = dv.getInt16(p + 1, true);
      } else if (enc === 0xd0) {
        w = 4;
        if (p + 1 + w > last) throw new RdbFormatError("ziplist entry overflows");
        v = dv.getInt32(p + 1, true);
      } else if (enc === 0xe0) {
        w = 8;
        if (p + 1 + w > last) throw new RdbFormatError("ziplist entry overflows");
        v = dv.getBigInt64(p + 1, true);
      } else if (enc === 0xf0) {
        w = 3;
        if (p + 1 + w > last) throw new RdbFormatError("ziplist entry overflows");
        let x = b[p + 1]! | (b[p + 2]! << 8) | (b[p + 3]! << 16);
        if (x >= 0x800000) x -= 0x1000000;
        v = x;
      } else if (enc === 0xfe) {
        w = 1;
        if (p + 1 + w > last) throw new RdbFormatError("ziplist entry overflows");
        v = (b[p + 1]! << 24) >> 24;
      } else if (enc >= 0xf1 && enc <= 0xfd) {
        w = 0;
        v = (enc & 0x0f) - 1;
      } else throw new RdbFormatError("ziplist bad encoding");
      out.push(v.toString());
      p += 1 + w;
    }
    prevLen = p - e0;
    lastEntry = e0;
    count++;
  }
  if (p !== last) throw new RdbFormatError("ziplist entries overflow");
  if (count > 0 && tail !== lastEntry - start) throw new RdbFormatError("ziplist tail offset mismatch");
  if (declared !== 65535 && declared !== count) throw new RdbFormatError("ziplist count mismatch");
}

/** Reads a zipmap (Redis 2.x small hashes): field, value, field, value... */
export function zipmapRead(b: Uint8Array, start: number, end: number, out: string[]): void {
  let p = start + 1; // zmlen: a count hint (254 = unknown)
  if (end - start < 2) throw new RdbFormatError("zipmap too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const readLen = (): number => {
    if (p >= end) throw new RdbFormatError("zipmap overflows");
    const x = b[p]!;
    if (x < 254) {
      p++;
      return x;
    }
    if (x === 254) {
      if (p + 5 > end) throw new RdbFormatError("zipmap overflows");
      const n = dv.getUint32(p + 1, true);
      p += 5;
      return n;
    }
    p++;
    return -1; // 255: end
  };
  for (;;) {
    const flen = readLen();
    if (flen < 0) break;
    if (p + flen > end) throw new RdbFormatError("zipmap overflows");
    out.push(latin1Slice.call(b, p, p + flen));
    p += flen;
    const vlen = readLen();
    if (vlen < 0) throw new RdbFormatError("zipmap field without value");
    if (p >= end) throw new RdbFormatError("zipmap overflows");
    const free = b[p++]!;
    if (p + vlen + free > end) throw new RdbFormatError("zipmap overflows");
    out.push(latin1Slice.call(b, p, p + vlen));
    p += vlen + free;
  }
  if (p !== end) throw new RdbFormatError("zipmap trailing bytes");
}
