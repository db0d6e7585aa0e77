// HyperLogLog in Redis's own byte format, so the string GET returns is exactly what
// redis-server would hold for the same inserts (and a Redis HLL loaded here keeps working).
//
// Layout (Redis's hllhdr): "HYLL", encoding byte (0 dense, 1 sparse), 3 unused bytes, 8 bytes
// of cached cardinality (little endian; the top bit of the last byte set = cache invalid),
// then the registers. 16384 registers (14-bit index) of 6 bits; the run length of the
// remaining 50 hash bits (+1) is the register value.
//   dense: 16384 * 6 bits packed LSB first = 12288 bytes.
//   sparse: opcodes ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
//           (1..16384 zeros), VAL 1vvvvvxx (value 1..32, run 1..4).
// Element hash: MurmurHash64A with seed 0xadc83b19. Estimate: Ertl's improved estimator
// (what Redis 7 uses). The value is a StrBuf edited in place (Redis's dbUnshareStringValue).

import { StrBuf } from "./string.ts";

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;

const XZERO_BIT = 0x40;
const VAL_BIT = 0x80;
const VAL_MAX_VALUE = 32;
const VAL_MAX_LEN = 4;
const ZERO_MAX_LEN = 64;
const XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.721347520444481703680;

export const HLL_ERR = {
  WRONGTYPE: "WRONGTYPE Key is not a valid HyperLogLog string value.",
  INVALID: "INVALIDOBJ Corrupted HLL object detected",
} as const;

// ---------------------------------------------------------------- MurmurHash64A

// 64-bit values as (hi, lo) uint32 pairs; results of mul64 land in MH / ML.
let MH = 0;
let ML = 0;

/** (ah:al) * (bh:bl) mod 2^64 into MH:ML. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const hiCarry = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
  ML = Math.imul(al, bl) >>> 0;
  MH = (hiCarry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const SEED = 0xadc83b19;

// The last hash computed by murmur(): HH:HL.
let HH = 0;
let HL = 0;

/** MurmurHash64A of bytes [from, from+len) with Redis's seed, into HH:HL. */
function murmur(b: Uint8Array, from: number, len: number): void {
  mul64(0, len, M_HI, M_LO);
  let hh = MH;
  let hl = (ML ^ SEED) >>> 0;
  const nblocks = len >>> 3;
  let p = from;
  for (let i = 0; i < nblocks; i++, p += 8) {
    const kl = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const kh = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24)) >>> 0;
    mul64(kh, kl, M_HI, M_LO); // k *= m
    mul64(MH, (ML ^ (MH >>> 15)) >>> 0, M_HI, M_LO); // k ^= k >> 47; k *= m
    mul64((hh ^ MH) >>> 0, (hl ^ ML) >>> 0, M_HI, M_LO); // h ^= k; h *= m
    hh = MH;
    hl = ML;
  }
  const rest = len & 7;
  if (rest) {
    for (let i = rest - 1; i >= 0; i--) {
      if (i >= 4) hh ^= b[p + i]! << ((i - 4) * 8);
      else hl ^= b[p + i]! << (i * 8);
    }
    mul64(hh >>> 0, hl >>> 0, M_HI, M_LO);
    hh = MH;
    hl = ML;
  }
  mul64(hh, (hl ^ (hh >>> 15)) >>> 0, M_HI, M_LO); // h ^= h >> 47; h *= m
  HH = MH;
  HL = (ML ^ (MH >>> 15)) >>> 0; // h ^= h >> 47
}

/** MurmurHash64A (seed 0xadc83b19) as a bigint, for tests. */
export function murmur64a(b: Uint8Array): bigint {
  murmur(b, 0, b.length);
  return (BigInt(HH) << 32n) | BigInt(HL);
}

/** Register index of the last patLen() call. */
let patIndex = 0;

/**
 * Redis's hllPatLen: the length of the 000..1 run in the hash bits after the 14 index bits
 * (1..51); the register index goes to patIndex.
 */
export function patLen(b: Uint8Array, from: number, len: number): number {
  murmur(b, from, len);
  patIndex = HL & HLL_P_MASK;
  const lo = ((HL >>> HLL_P) | (HH << (32 - HLL_P))) >>> 0;
  if (lo !== 0) return 32 - Math.clz32(lo & -lo);
  const hi = ((HH >>> HLL_P) | (1 << (HLL_Q - 32))) >>> 0;
  return 64 - Math.clz32(hi & -hi);
}

// ---------------------------------------------------------------- registers

function denseGet(b: Uint8Array, reg: number): number {
  const bit = reg * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  return ((b[byte]! >>> fb) | ((b[byte + 1] ?? 0) << (8 - fb))) & HLL_REGISTER_MAX;
}

function denseSetReg(b: Uint8Array, reg: number, v: number): void {
  const bit = reg * HLL_BITS;
  const byte = HLL_HDR_SIZE + (bit >>> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte]! & ~(HLL_REGISTER_MAX << fb)) | (v << fb);
  if (byte + 1 < b.length) b[byte + 1] = (b[byte + 1]! & ~(HLL_REGISTER_MAX >>> fb8)) | (v >>> fb8);
}

/** hllDenseSet: raises a register; 1 if it changed. */
function denseSet(b: Uint8Array, reg: number, count: number): number {
  if (count > denseGet(b, reg)) {
    denseSetReg(b, reg, count);
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------- objects

/** A new empty HLL (sparse: one XZERO covering all registers), like createHLLObject. */
export function createHll(): StrBuf {
  const sb = StrBuf.zeros(HLL_HDR_SIZE + 2);
  const b = sb.buf;
  b[0] = 72; // H
  b[1] = 89; // Y
  b[2] = 76; // L
  b[3] = 76; // L
  b[4] = HLL_SPARSE;
  const l = XZERO_MAX_LEN - 1;
  b[HLL_HDR_SIZE] = (l >>> 8) | XZERO_BIT;
  b[HLL_HDR_SIZE + 1] = l & 0xff;
  return sb;
}

/** isHLLObjectOrReply's structural checks on a string's bytes. */
export function isValidHll(b: Uint8Array): boolean {
  if (b.length < HLL_HDR_SIZE) return false;
  if (b[0] !== 72 || b[1] !== 89 || b[2] !== 76 || b[3] !== 76) return false;
  if (b[4]! > HLL_MAX_ENCODING) return false;
  if (b[4] === HLL_DENSE && b.length !== HLL_DENSE_SIZE) return false;
  return true;
}

export function invalidateCache(sb: StrBuf): void {
  sb.buf[15] = sb.buf[15]! | 0x80;
}

export function cacheValid(b: Uint8Array): boolean {
  return (b[15]! & 0x80) === 0;
}

/** The cached cardinality (uint64 little endian, as a signed long long reply). */
export function cachedCard(b: Uint8Array): number | bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(b[8 + i]!);
  if (v > 0x7fffffffffffffffn) v -= 1n << 64n;
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

export function setCachedCard(sb: StrBuf, card: number): void {
  let v = card;
  for (let i = 0; i < 8; i++) {
    sb.buf[8 + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** hllSparseToDense. False when the sparse data is corrupt. */
export function sparseToDense(sb: StrBuf): boolean {
  const old = sb.buf;
  if (old[4] === HLL_DENSE) return true;
  const d = Buffer.alloc(HLL_DENSE_SIZE + 1);
  old.copy(d, 0, 0, HLL_HDR_SIZE);
  d[4] = HLL_DENSE;
  let idx = 0;
  let p = HLL_HDR_SIZE;
  const end = sb.len;
  while (p < end) {
    const op = old[p]!;
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      idx += (((op & 0x3f) << 8) | old[p + 1]!) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const val = ((op >>> 2) & 0x1f) + 1;
      if (run + idx > HLL_REGISTERS) break;
      while (run--) denseSetReg(d, idx++, val);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  sb.buf = d;
  sb.len = HLL_DENSE_SIZE;
  return true;
}

/**
 * hllSparseSet: sets register `index` to `count` if larger, keeping Redis's exact opcode
 * layout (split, then merge adjacent VALs), promoting to dense past maxBytes or for values
 * over 32. Returns 1 changed, 0 unchanged, -1 corrupt.
 */
export function sparseSet(sb: StrBuf, index: number, count: number, maxBytes: number): number {
  if (count > VAL_MAX_VALUE) return promote(sb, index, count);
  let b = sb.buf;
  let end = sb.len;
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p]!;
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if (op & VAL_BIT) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p]!;
  const isXzero = (op & 0xc0) === XZERO_BIT;
  const isZero = (op & 0xc0) === 0;
  const isVal = (op & VAL_BIT) !== 0;
  let next = isXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  let runlen: number;
  if (isZero) runlen = (op & 0x3f) + 1;
  else if (isXzero) runlen = (((op & 0x3f) << 8) | b[p + 1]!) + 1;
  else runlen = (op & 3) + 1;

  let updatedInPlace = false;
  if (isVal) {
    const old = ((op >>> 2) & 0x1f) + 1;
    if (old >= count) return 0;
    if (runlen === 1) {
      b[p] = ((count - 1) << 2) | VAL_BIT;
      updatedInPlace = true;
    }
  }
  if (!updatedInPlace && isZero && runlen === 1) {
    b[p] = ((count - 1) << 2) | VAL_BIT;
    updatedInPlace = true;
  }
  if (!updatedInPlace) {
    const seq: number[] = [];
    const last = first + span - 1;
    if (isZero || isXzero) {
      if (index !== first) pushZero(seq, index - first);
      seq.push(((count - 1) << 2) | VAL_BIT);
      if (index !== last) pushZero(seq, last - index);
    } else {
      const cur = ((op >>> 2) & 0x1f) + 1;
      if (index !== first) seq.push(((cur - 1) << 2) | (index - first - 1) | VAL_BIT);
      seq.push(((count - 1) << 2) | VAL_BIT);
      if (index !== last) seq.push(((cur - 1) << 2) | (last - index - 1) | VAL_BIT);
    }
    const oldlen = isXzero ? 2 : 1;
    const delta = seq.length - oldlen;
    if (delta > 0 && sb.len + delta > maxBytes) return promote(sb, index, count);
    if (delta > 0) {
      sb.grow(sb.len + delta);
      b = sb.buf;
    } else sb.len += delta;
    if (delta && next >= 0) b.copyWithin(next + delta, next, end);
    for (let i = 0; i < seq.length; i++) b[p + i] = seq[i]!;
    end += delta;
  }
  // Merge adjacent VAL opcodes with the same value, scanning up to 5 opcodes from prev.
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const o = b[p]!;
    if ((o & 0xc0) === XZERO_BIT) {
      p += 2;
      continue;
    }
    if ((o & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && b[p + 1]! & VAL_BIT) {
      const v1 = ((o >>> 2) & 0x1f) + 1;
      const o2 = b[p + 1]!;
      const v2 = ((o2 >>> 2) & 0x1f) + 1;
      if (v1 === v2) {
        const len = (o & 3) + 1 + (o2 & 3) + 1;
        if (len <= VAL_MAX_LEN) {
          b[p + 1] = ((v1 - 1) << 2) | (len - 1) | VAL_BIT;
          b.copyWithin(p, p + 1, end);
          sb.len--;
          end--;
          continue;
        }
      }
    }
    p++;
  }
  invalidateCache(sb);
  return 1;
}

function pushZero(seq: number[], len: number): void {
  if (len > ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >>> 8) | XZERO_BIT, l & 0xff);
  } else seq.push(len - 1);
}

function promote(sb: StrBuf, index: number, count: number): number {
  if (!sparseToDense(sb)) return -1;
  return denseSet(sb.buf, index, count);
}

/** hllAdd: adds one element (bytes [from, from+len) of b). 1 changed, 0 not, -1 corrupt. */
export function hllAdd(sb: StrBuf, b: Uint8Array, from: number, len: number, maxBytes: number): number {
  const count = patLen(b, from, len);
  const index = patIndex;
  const enc = sb.buf[4];
  if (enc === HLL_DENSE) return denseSet(sb.buf, index, count);
  if (enc === HLL_SPARSE) return sparseSet(sb, index, count, maxBytes);
  return -1;
}

/** hllMerge: max[i] = max(max[i], registers of the HLL). False when corrupt. */
export function hllMerge(max: Uint8Array, b: Uint8Array, len: number): boolean {
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, i);
      if (v > max[i]!) max[i] = v;
    }
    return true;
  }
  let i = 0;
  let p = HLL_HDR_SIZE;
  while (p < len) {
    const op = b[p]!;
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      i += (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const val = ((op >>> 2) & 0x1f) + 1;
      if (run + i > HLL_REGISTERS) break;
      while (run--) {
        if (val > max[i]!) max[i] = val;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const t = 1 - x;
    z -= t * t * y;
  } while (zPrime !== z);
  return z / 3;
}

function estimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]!) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j]!;
    z *= 0.5;
  }
  z += m * sigma(histo[0]! / m);
  return Math.round((ALPHA_INF * m * m) / z);
}

const histo = new Int32Array(64);

/** hllCount for a dense or sparse HLL; -1 when the sparse data is corrupt. */
export function hllCount(b: Uint8Array, len: number): number {
  histo.fill(0);
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) histo[denseGet(b, i)]!++;
  } else {
    let idx = 0;
    let p = HLL_HDR_SIZE;
    while (p < len) {
      const op = b[p]!;
      if ((op & 0xc0) === 0) {
        const run = (op & 0x3f) + 1;
        idx += run;
        histo[0]! += run;
        p++;
      } else if ((op & 0xc0) === XZERO_BIT) {
        const run = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
        idx += run;
        histo[0]! += run;
        p += 2;
      } else {
        const run = (op & 3) + 1;
        idx += run;
        histo[((op >>> 2) & 0x1f) + 1]! += run;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
  }
  return estimate(histo);
}

/** hllCount over raw registers (one byte each), for multi-key PFCOUNT. */
export function rawCount(regs: Uint8Array): number {
  histo.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[regs[i]! & 63]!++;
  return estimate(histo);
}

/** All registers of a dense HLL (PFDEBUG GETREG). */
export function denseRegisters(b: Uint8Array): number[] {
  const out: number[] = new Array(HLL_REGISTERS);
  for (let i = 0; i < HLL_REGISTERS; i++) out[i] = denseGet(b, i);
  return out;
}

/** PFDEBUG DECODE text of a sparse HLL. */
export function decodeSparse(b: Uint8Array, len: number): string {
  const parts: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < len) {
    const op = b[p]!;
    if ((op & 0xc0) === 0) {
      parts.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0xc0) === XZERO_BIT) {
      parts.push(`Z:${(((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      parts.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return parts.join(" ");
}

/** Dense-register helpers for the self test. */
export const denseRegs = { get: denseGet, set: denseSetReg };
