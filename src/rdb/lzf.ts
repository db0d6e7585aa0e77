// LZF (liblzf's format, as Redis uses it for compressed RDB strings and quicklist nodes).
//
// Compressed stream: 000LLLLL + L+1 literal bytes; LLLooooo oooooooo: back reference of
// length L+2 at distance o+1; 111ooooo LLLLLLLL oooooooo: length L+9.
//
// The compressor reproduces Redis's lzf_compress output byte for byte (HLOG 16, VERY_FAST,
// the same hash, match rules and output-bound checks), so payloads match redis-server's. One
// difference by design: Redis leaves its hash table uninitialised, so a stale slot from an
// earlier call can, rarely, offer an extra (valid) match; ours starts each call empty, which is
// liblzf's deterministic mode. Slots hold base + position, with a base that moves past every
// call, so "empty" costs no clearing.

const HSIZE = 1 << 16;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

const htab = new Int32Array(HSIZE);
let base = 1;

/**
 * Compresses src[start, start+len) into out[outStart, outStart+outLen). Returns the compressed
 * size, or 0 when it does not fit in outLen (Redis then stores the string as is).
 */
export function lzfCompress(src: Uint8Array, start: number, len: number, out: Uint8Array, outStart: number, outLen: number): number {
  if (len === 0 || outLen === 0) return 0;
  if (base + len + 2 >= 0x7fffffff) {
    htab.fill(0);
    base = 1;
  }
  const b = base - start; // slot value for input index i is b + i
  base += len + 1;
  const inEnd = start + len;
  const outEnd = outStart + outLen;
  let ip = start;
  let op = outStart;
  let lit = 0;
  op++; // start run
  let hval = (src[ip]! << 8) | src[ip + 1]!;
  while (ip < inEnd - 2) {
    hval = (hval << 8) | src[ip + 2]!;
    const slot = ((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1);
    const stored = htab[slot]!;
    htab[slot] = b + ip;
    const ref = stored - b; // index into src; valid only if stored was set during this call
    let off: number;
    if (
      stored >= b + start &&
      (off = ip - ref - 1) < MAX_OFF &&
      ref > start &&
      src[ref] === src[ip] &&
      src[ref + 1] === src[ip + 1] &&
      src[ref + 2] === src[ip + 2]
    ) {
      let l = 2;
      let maxlen = inEnd - ip - l;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      // first a conservative test, then the exact one
      if (op + 3 + 1 >= outEnd && op - (lit === 0 ? 1 : 0) + 3 + 1 >= outEnd) return 0;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      // liblzf first compares 16 bytes unconditionally when more than 16 may match (which
      // can run up to 2 bytes past maxlen); the match length must come out the same.
      let more = true;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          l++;
          if (src[ref + l] !== src[ip + l]) {
            more = false;
            break;
          }
        }
      }
      if (more) {
        do l++;
        while (l < maxlen && src[ref + l] === src[ip + l]);
      }
      l -= 2; // octets - 1
      ip++;
      if (l < 7) {
        out[op++] = (off >>> 8) + (l << 5);
      } else {
        out[op++] = (off >>> 8) + (7 << 5);
        out[op++] = l - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += l + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = (src[ip]! << 8) | src[ip + 1]!;
      hval = (hval << 8) | src[ip + 2]!;
      htab[((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1)] = b + ip;
      ip++;
      hval = (hval << 8) | src[ip + 2]!;
      htab[((hval >>> 8) - Math.imul(hval, 5)) & (HSIZE - 1)] = b + ip;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = src[ip++]!;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inEnd) {
    lit++;
    out[op++] = src[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1;
  if (lit === 0) op--;
  return op - outStart;
}

/** Thrown for a compressed stream that does not decode to exactly the declared length. */
export class LzfError extends Error {}

/** Decompresses src[start, end) into a new buffer of exactly outLen bytes. */
export function lzfDecompress(src: Uint8Array, outLen: number, start = 0, end = src.length): Uint8Array {
  const out = new Uint8Array(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    let ctrl = src[ip++]!;
    if (ctrl < 32) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > end) throw new LzfError("invalid literal run");
      if (ctrl > 16) {
        out.set(src.subarray(ip, ip + ctrl), op);
        op += ctrl;
        ip += ctrl;
      } else for (let i = 0; i < ctrl; i++) out[op++] = src[ip++]!;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= end) throw new LzfError("truncated back reference");
        len += src[ip++]!;
      }
      if (ip >= end) throw new LzfError("truncated back reference");
      let ref = op - ((ctrl & 0x1f) << 8) - 1 - src[ip++]!;
      len += 2;
      if (op + len > outLen) throw new LzfError("back reference past the end");
      if (ref < 0) throw new LzfError("back reference before the start");
      if (ref + len <= op && len > 16) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else for (let i = 0; i < len; i++) out[op++] = out[ref++]!;
    }
  }
  if (op !== outLen) throw new LzfError("length mismatch");
  return out;
}
