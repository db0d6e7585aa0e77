// The pieces of Redis's RDB format that FUNCTION DUMP/RESTORE need: CRC-64 (Jones polynomial,
// as Redis's crc64.c), RDB length and string encodings (LZF-compressed strings are read; ours
// are written plain, which every RDB reader accepts), and the DUMP payload trailer
// (2-byte RDB version + little-endian CRC-64 of everything before it).

/** RDB version Redis 7.0 writes. */
export const RDB_VERSION = 10;
export const RDB_OPCODE_FUNCTION = 246;
export const RDB_OPCODE_FUNCTION2 = 245;

const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
(() => {
  // Reflected polynomial of 0xad93d23594c935a9.
  const POLY = 0x95ac9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    TABLE_LO[i] = Number(c & 0xffffffffn);
    TABLE_HI[i] = Number(c >> 32n);
  }
})();

/** CRC-64/Jones of bytes, as a bigint. */
export function crc64(b: Uint8Array, crc = 0n): bigint {
  let lo = Number(crc & 0xffffffffn) >>> 0;
  let hi = Number(crc >> 32n) >>> 0;
  for (let i = 0; i < b.length; i++) {
    const idx = (lo ^ b[i]!) & 0xff;
    // crc = table[idx] ^ (crc >> 8)
    const nlo = ((lo >>> 8) | (hi << 24)) >>> 0;
    const nhi = hi >>> 8;
    lo = (TABLE_LO[idx]! ^ nlo) >>> 0;
    hi = (TABLE_HI[idx]! ^ nhi) >>> 0;
  }
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Appends an RDB length. */
export function rdbLen(out: number[], n: number): void {
  if (n < 64) out.push(n);
  else if (n < 16384) out.push(0x40 | (n >> 8), n & 0xff);
  else if (n <= 0xffffffff) out.push(0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  else {
    out.push(0x81);
    const v = BigInt(n);
    for (let s = 56n; s >= 0n; s -= 8n) out.push(Number((v >> s) & 0xffn));
  }
}

/** Appends an RDB string, uncompressed. */
export function rdbString(out: number[], s: Uint8Array): void {
  rdbLen(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s[i]!);
}

/** Adds the DUMP trailer (RDB version, CRC-64). */
export function sealPayload(body: number[]): Uint8Array {
  body.push(RDB_VERSION & 0xff, (RDB_VERSION >> 8) & 0xff);
  const b = Uint8Array.from(body);
  const crc = crc64(b);
  const out = new Uint8Array(b.length + 8);
  out.set(b, 0);
  for (let i = 0; i < 8; i++) out[b.length + i] = Number((crc >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** Checks the trailer; returns the payload's RDB version or null (Redis's verifyDumpPayload). */
export function verifyPayload(p: Uint8Array): number | null {
  if (p.length < 10) return null;
  const footer = p.length - 10;
  const ver = p[footer]! | (p[footer + 1]! << 8);
  if (ver > RDB_VERSION) return null;
  const crc = crc64(p.subarray(0, p.length - 8));
  let stored = 0n;
  for (let i = 0; i < 8; i++) stored |= BigInt(p[p.length - 8 + i]!) << BigInt(8 * i);
  return crc === stored ? ver : null;
}

/** A cursor over RDB bytes. */
export class RdbReader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}

  byte(): number {
    if (this.pos >= this.b.length) throw new Error("eof");
    return this.b[this.pos++]!;
  }

  /** [length, isEncoded] */
  len(): [number, boolean] {
    const t = this.byte();
    const kind = t >> 6;
    if (kind === 0) return [t & 0x3f, false];
    if (kind === 1) return [((t & 0x3f) << 8) | this.byte(), false];
    if (kind === 3) return [t & 0x3f, true];
    if (t === 0x80) {
      let v = 0;
      for (let i = 0; i < 4; i++) v = v * 256 + this.byte();
      return [v, false];
    }
    if (t === 0x81) {
      let v = 0;
      for (let i = 0; i < 8; i++) v = v * 256 + this.byte();
      return [v, false];
    }
    throw new Error("bad length");
  }

  take(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Error("eof");
    const s = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** An RDB string (plain, integer-encoded or LZF-compressed). */
  string(): Uint8Array {
    const [n, enc] = this.len();
    if (!enc) return this.take(n);
    if (n === 0 || n === 1 || n === 2) {
      const size = n === 0 ? 1 : n === 1 ? 2 : 4;
      let v = 0;
      for (let i = 0; i < size; i++) v |= this.byte() << (8 * i);
      if (size === 1) v = (v << 24) >> 24;
      else if (size === 2) v = (v << 16) >> 16;
      return Uint8Array.from(Buffer.from(String(v | 0), "latin1"));
    }
    if (n === 3) {
      const clen = this.len()[0];
      const ulen = this.len()[0];
      return lzfDecompress(this.take(clen), ulen);
    }
    throw new Error("unknown string encoding");
  }
}

/** liblzf decompression (the format Redis uses for compressed RDB strings). */
export function lzfDecompress(src: Uint8Array, outLen: number): Uint8Array {
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  while (ip < src.length) {
    let ctrl = src[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > src.length) throw new Error("lzf: bad literal run");
      for (let i = 0; i < ctrl; i++) out[op++] = src[ip++]!;
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (len === 7) len += src[ip++]!;
      ref -= src[ip++]!;
      len += 2;
      if (op + len > outLen || ref < 0) throw new Error("lzf: bad back reference");
      for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) throw new Error("lzf: length mismatch");
  return out;
}
