// Request parser: multibulk (RESP) and inline commands, zero-copy.
// Arguments are (start, end) offsets into the received bytes; nothing is copied unless a
// command is split across chunks, and then only its unconsumed tail is kept.
// Error texts and limits follow Redis 7.0's networking.c.

import { Argv } from "./argv.ts";

/** Longest inline command / count line Redis accepts without a newline (PROTO_INLINE_MAX_SIZE). */
export const INLINE_MAX = 64 * 1024;
const CR = 13;
const LF = 10;

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulk: number;
  /** true while the client must still authenticate: tighter limits, like Redis */
  unauthenticated: boolean;
}

/** What a step of parsing produced. */
export const enum Parse {
  /** argv holds a complete command */
  Command,
  /** need more bytes */
  Incomplete,
  /** protocol error: `error` holds the message; the client must be closed after replying */
  Error,
}

const EMPTY = new Uint8Array(0);

export class RequestParser {
  /** bytes not yet consumed live in buf[pos, len) */
  buf: Uint8Array = EMPTY;
  pos = 0;
  len = 0;
  /** true when buf is our own copy (safe to keep across chunks) */
  private owned = false;
  /** parsed command, valid until the next call to next() */
  readonly argv = new Argv();
  error = "";

  // Resumable multibulk state, so a huge command arriving in many chunks is parsed once.
  // Offsets are relative to `pos` (the command start), so compaction keeps them valid.
  private mbLeft = -1;
  private scan = 0;
  private argc = 0;
  private rel = new Int32Array(32);
  /** bytes (relative to pos) that must be present before parsing can progress */
  private need = 0;

  /** Bytes buffered but not yet executed (for client-query-buffer-limit and CLIENT LIST qbuf). */
  get pending(): number {
    return this.len - this.pos;
  }

  /** Adds received bytes. The chunk is used in place when nothing is pending. */
  feed(chunk: Uint8Array): void {
    if (this.pos === this.len) {
      this.buf = chunk;
      this.pos = 0;
      this.len = chunk.length;
      this.owned = false;
      return;
    }
    const rest = this.len - this.pos;
    const total = rest + chunk.length;
    if (this.owned && this.buf.length >= total) {
      if (this.pos > 0) this.buf.copyWithin(0, this.pos, this.len);
      this.buf.set(chunk, rest);
    } else {
      // Grow geometrically from what has actually arrived, never from a declared length.
      const cap = Math.max(total, Math.min(this.buf.length * 2, total + 64 * 1024 * 1024), 16 * 1024);
      const nb = new Uint8Array(cap);
      nb.set(this.buf.subarray(this.pos, this.len), 0);
      nb.set(chunk, rest);
      this.buf = nb;
    }
    this.pos = 0;
    this.len = total;
    this.owned = true;
  }

  /**
   * Keeps unconsumed bytes after the caller is done with the current chunk: a chunk handed
   * to feed() is only valid during the data callback.
   */
  retain(): void {
    if (this.pos === this.len) {
      this.buf = EMPTY;
      this.pos = this.len = 0;
      this.owned = false;
      return;
    }
    if (this.owned) return;
    // A real copy: the chunk may be a Buffer, whose slice() is only a view of reused memory.
    const rest = Uint8Array.prototype.slice.call(this.buf, this.pos, this.len);
    this.buf = rest;
    this.pos = 0;
    this.len = rest.length;
    this.owned = true;
  }

  /** Start of the last command returned, for unread(). */
  private lastStart = 0;

  /** Puts the last command back, to run it later (a client held by CLIENT PAUSE). */
  unread(): void {
    this.pos = this.lastStart;
  }

  /** Parses the next command. Empty commands (blank inline lines, `*0`) are skipped. */
  next(lim: ParserLimits): Parse {
    for (;;) {
      if (this.pos >= this.len) return Parse.Incomplete;
      if (this.mbLeft < 0) this.lastStart = this.pos;
      if (this.len - this.pos < this.need) return Parse.Incomplete;
      const r = this.mbLeft >= 0 || this.buf[this.pos] === 42 /* '*' */ ? this.multibulk(lim) : this.inline();
      if (r === Parse.Command && this.argv.argc === 0) continue;
      return r;
    }
  }

  private fail(msg: string): Parse {
    this.error = msg;
    // Discard everything: the connection closes after the error reply.
    this.pos = this.len;
    this.mbLeft = -1;
    this.need = 0;
    return Parse.Error;
  }

  private findCR(from: number): number {
    const b = this.buf;
    const end = this.len;
    for (let i = from; i < end; i++) if (b[i] === CR) return i;
    return -1;
  }

  /** Parses a decimal integer line [s, e) like Redis's string2ll; returns NaN if invalid. */
  private lineInt(s: number, e: number): number {
    const b = this.buf;
    if (s >= e || e - s > 20) return NaN;
    let i = s;
    let neg = false;
    if (b[i] === 45) {
      neg = true;
      i++;
      if (i === e) return NaN;
    }
    if (b[i] === 48 && e - i > 1) return NaN; // no leading zeros
    let v = 0;
    for (; i < e; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) return NaN;
      v = v * 10 + d;
    }
    return neg ? -v : v;
  }

  private multibulk(lim: ParserLimits): Parse {
    const b = this.buf;
    const base = this.pos;
    if (this.mbLeft < 0) {
      const cr = this.findCR(base);
      if (cr < 0) {
        if (this.len - base > INLINE_MAX) return this.fail("Protocol error: too big mbulk count string");
        return Parse.Incomplete;
      }
      // Redis only checks that two bytes follow the count; it does not verify the '\n'.
      if (cr + 2 > this.len) return Parse.Incomplete;
      const n = this.lineInt(base + 1, cr);
      if (Number.isNaN(n) || n > 0x7fffffff) return this.fail("Protocol error: invalid multibulk length");
      if (n > 10 && lim.unauthenticated) return this.fail("Protocol error: unauthenticated multibulk length");
      this.scan = cr + 2 - base;
      if (n <= 0) {
        this.pos = cr + 2;
        this.argv.set(b, this.rel, 0, 0);
        this.argv.argc = 0;
        return Parse.Command;
      }
      this.mbLeft = n;
      this.argc = 0;
      // Offsets array grows with arguments actually received, never with the declared count.
      if (this.rel.length < 2 * Math.min(n, 1024)) this.rel = new Int32Array(2 * Math.min(n, 1024));
    }
    while (this.mbLeft > 0) {
      let p = base + this.scan;
      if (p >= this.len) return this.incomplete(this.scan + 1);
      if (b[p] !== 36 /* '$' */) {
        return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(b[p]!)}'`);
      }
      const cr = this.findCR(p);
      if (cr < 0) {
        if (this.len - p > INLINE_MAX) return this.fail("Protocol error: too big bulk count string");
        return Parse.Incomplete;
      }
      if (cr + 2 > this.len) return Parse.Incomplete;
      const blen = this.lineInt(p + 1, cr);
      if (Number.isNaN(blen) || blen < 0 || blen > lim.maxBulk) return this.fail("Protocol error: invalid bulk length");
      if (blen > 16384 && lim.unauthenticated) return this.fail("Protocol error: unauthenticated bulk length");
      const ds = cr + 2;
      if (ds + blen + 2 > this.len) return this.incomplete(ds + blen + 2 - base);
      if (this.argc * 2 + 2 > this.rel.length) {
        const nr = new Int32Array(this.rel.length * 2);
        nr.set(this.rel);
        this.rel = nr;
      }
      this.rel[this.argc * 2] = ds - base;
      this.rel[this.argc * 2 + 1] = ds + blen - base;
      this.argc++;
      this.mbLeft--;
      this.scan = ds + blen + 2 - base;
      p = base + this.scan;
    }
    this.mbLeft = -1;
    this.need = 0;
    this.pos = base + this.scan;
    this.argv.set(b, this.rel, this.argc, base);
    return Parse.Command;
  }

  private incomplete(need: number): Parse {
    this.need = need;
    return Parse.Incomplete;
  }

  private inline(): Parse {
    const b = this.buf;
    const s = this.pos;
    let nl = -1;
    for (let i = s; i < this.len; i++) {
      if (b[i] === LF) {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      if (this.len - s > INLINE_MAX) return this.fail("Protocol error: too big inline request");
      return Parse.Incomplete;
    }
    let e = nl;
    if (e > s && b[e - 1] === CR) e--;
    const args = splitArgs(b, s, e);
    if (args === null) return this.fail("Protocol error: unbalanced quotes in request");
    this.pos = nl + 1;
    this.argv.setOwned(args);
    return Parse.Command;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line the way redis-cli users expect (sdssplitargs semantics):
 * whitespace separated, "double quotes" with \n \r \t \b \a \\ \" \xHH escapes,
 * 'single quotes' with \' only. A closing quote must be followed by a space or the end.
 * Returns null on unbalanced quotes.
 */
export function splitArgs(b: Uint8Array, s: number, e: number): Uint8Array[] | null {
  const out: Uint8Array[] = [];
  let p = s;
  for (;;) {
    while (p < e && isSpace(b[p]!)) p++;
    if (p >= e) return out;
    const cur: number[] = [];
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      if (inq) {
        if (p >= e) return null;
        const c = b[p]!;
        if (c === 92 /* \ */ && p + 3 < e && b[p + 1] === 120 /* x */ && hexVal(b[p + 2]!) >= 0 && hexVal(b[p + 3]!) >= 0) {
          cur.push(hexVal(b[p + 2]!) * 16 + hexVal(b[p + 3]!));
          p += 3;
        } else if (c === 92 && p + 1 < e) {
          p++;
          const n = b[p]!;
          cur.push(n === 110 ? 10 : n === 114 ? 13 : n === 116 ? 9 : n === 98 ? 8 : n === 97 ? 7 : n);
        } else if (c === 34 /* " */) {
          if (p + 1 < e && !isSpace(b[p + 1]!)) return null;
          done = true;
        } else cur.push(c);
      } else if (insq) {
        if (p >= e) return null;
        const c = b[p]!;
        if (c === 92 && p + 1 < e && b[p + 1] === 39) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < e && !isSpace(b[p + 1]!)) return null;
          done = true;
        } else cur.push(c);
      } else {
        if (p >= e) {
          done = true;
          break;
        }
        const c = b[p]!;
        if (isSpace(c)) done = true;
        else if (c === 34) inq = true;
        else if (c === 39) insq = true;
        else cur.push(c);
      }
      if (p < e) p++;
    }
    out.push(Uint8Array.from(cur));
  }
}
