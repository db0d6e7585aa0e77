// The write-ahead log: the propagation stream (every write's effect as commands, AOF-like RESP
// with a SELECT when the db changes) in segment files dir/wal/<first seq>.log, framed as records
// [len u32][crc32 u32][seq u64][payload] (codec.ts).
//
// Group commit: the commands of one event-loop turn become one record, written with one write()
// at the end of the turn (a setImmediate). Replies wait (Network.hold): a client's reply
// produced while a record is open or not yet durable is kept in a FIFO with the seq it waits
// for, and sent once that seq is written (appendfsync everysec / no) or fsynced (always). So no
// reply leaves before the write it may reflect is in the file (and on disk, with always), and
// an acknowledged write survives kill -9 under every policy. fsync runs off the JS thread
// (fs.fsync callbacks) while the next group accumulates (pipelined group commit); everysec
// fsyncs once a second, no never.
//
// Segments rotate when a checkpoint starts; old segments are fsynced and closed in order (a
// later segment is never durable before an earlier one), and deleted once a checkpoint covers
// them.

import { close, closeSync, fstatSync, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlink, writeSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { WAL_HEADER } from "./codec.ts";

export type FsyncPolicy = "always" | "everysec" | "no";

/** Segment file name for a first sequence number. */
export function segmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(20, "0")}.log`;
}

export interface Segment {
  first: number;
  path: string;
  name: string;
}

/** The segment files of a WAL directory, oldest first. Other files are ignored. */
export function listSegments(walDir: string): Segment[] {
  let names: string[];
  try {
    names = readdirSync(walDir);
  } catch {
    return [];
  }
  const out: Segment[] = [];
  for (const name of names) {
    const m = /^(\d{20})\.log$/.exec(name);
    if (m === null) continue;
    out.push({ first: Number(m[1]), path: join(walDir, name), name });
  }
  out.sort((a, b) => a.first - b.first);
  return out;
}

const U32 = 0x100000000;

function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

function u64(b: Uint8Array, o: number): number {
  return u32(b, o + 4) * U32 + u32(b, o);
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}

function putU64(b: Uint8Array, o: number, v: number): void {
  putU32(b, o, v % U32);
  putU32(b, o + 4, Math.floor(v / U32));
}

// ------------------------------------------------------------------------------------ reading

export interface WalProblem {
  /** "torn": an incomplete or damaged record at the end of the last segment (truncated when
   * opening); "corrupt": damage elsewhere (the server refuses to start). */
  kind: "torn" | "corrupt";
  segment: string;
  offset: number;
  message: string;
}

/** One record as read back: payload is a view into the segment's bytes. */
export interface WalRecord {
  seq: number;
  payload: Uint8Array;
}

/** What a scan of one segment found. */
export interface SegmentScan {
  seg: Segment;
  bytes: Uint8Array;
  records: WalRecord[];
  /** end of the valid prefix */
  validEnd: number;
  problem: WalProblem | null;
}

/** Is there a plausible valid record at or after `from` (a damaged length hid it)? */
function validRecordAfter(b: Uint8Array, from: number, expect: number): boolean {
  for (let p = from; p + WAL_HEADER <= b.length; p++) {
    const seq = u64(b, p + 8);
    if (seq < expect || seq > expect + 1e9) continue;
    const len = u32(b, p);
    if (p + WAL_HEADER + len > b.length) continue;
    if (Bun.hash.crc32(b.subarray(p + 8, p + WAL_HEADER + len)) === u32(b, p + 4)) return true;
  }
  return false;
}

/**
 * Reads a segment's records. `expect` is the seq its first record must have; `last` says whether
 * it is the newest segment (only there can a problem be a torn tail).
 */
export function scanSegment(seg: Segment, expect: number, last: boolean): SegmentScan {
  const bytes = readFileSync(seg.path);
  const records: WalRecord[] = [];
  let p = 0;
  let problem: WalProblem | null = null;
  const n = bytes.length;
  const bad = (message: string, maybeTorn: boolean): void => {
    const torn = last && maybeTorn && !validRecordAfter(bytes, p + 1, expect);
    problem = { kind: torn ? "torn" : "corrupt", segment: seg.name, offset: p, message };
  };
  if (seg.first !== expect) {
    problem = {
      kind: "corrupt",
      segment: seg.name,
      offset: 0,
      message: `segment starts at record ${seg.first} but record ${expect} was expected (records are missing)`,
    };
    return { seg, bytes, records, validEnd: 0, problem };
  }
  while (p < n) {
    if (p + WAL_HEADER > n) {
      bad(`incomplete record header (${n - p} bytes)`, true);
      break;
    }
    const len = u32(bytes, p);
    const end = p + WAL_HEADER + len;
    if (end > n) {
      bad(`record of ${len} bytes runs past the end of the file`, true);
      break;
    }
    const crc = u32(bytes, p + 4);
    if (Bun.hash.crc32(bytes.subarray(p + 8, end)) !== crc) {
      bad("record checksum mismatch", true);
      break;
    }
    const seq = u64(bytes, p + 8);
    if (seq !== expect) {
      bad(`record has sequence ${seq}, expected ${expect}`, false);
      break;
    }
    records.push({ seq, payload: bytes.subarray(p + WAL_HEADER, end) });
    expect++;
    p = end;
  }
  return { seg, bytes, records, validEnd: p, problem };
}

export interface WalScan {
  segments: SegmentScan[];
  /** seq of the last valid record (0 when none) */
  lastSeq: number;
  /** the first problem met; reading stops there */
  problem: WalProblem | null;
}

/**
 * Reads every segment in order, checking that records follow each other. Records with
 * seq <= `after` may be absent (covered by a checkpoint, segments dropped).
 */
export function scanWal(walDir: string, after: number): WalScan {
  const segs = listSegments(walDir);
  const out: WalScan = { segments: [], lastSeq: after, problem: null };
  let expect = -1;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (expect < 0) {
      // The first segment still on disk: it must not start past the checkpoint.
      if (seg.first > after + 1) {
        out.problem = {
          kind: "corrupt",
          segment: seg.name,
          offset: 0,
          message: `the checkpoint covers records up to ${after} but the log resumes at ${seg.first} (records are missing)`,
        };
        return out;
      }
      expect = seg.first;
    }
    const sc = scanSegment(seg, expect, last);
    out.segments.push(sc);
    if (sc.records.length) {
      expect = sc.records[sc.records.length - 1]!.seq + 1;
      out.lastSeq = Math.max(out.lastSeq, expect - 1);
    }
    if (sc.problem !== null) {
      out.problem = sc.problem;
      return out;
    }
  }
  return out;
}

/** Cuts a segment file at `offset` (a torn tail). */
export function truncateSegment(path: string, offset: number): void {
  const fd = openSync(path, "r+");
  try {
    ftruncateSync(fd, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// ------------------------------------------------------------------------------------ writing

/** A reply kept back until the record it may reflect is durable. */
interface Held {
  c: Client;
  bytes: Uint8Array;
  seq: number;
}

/** A closed segment still to be fsynced and closed. */
interface OldSegment {
  fd: number;
  seq: number;
}

export interface WalStats {
  segments: number;
  bytes: number;
  records: number;
  writes: number;
  fsyncs: number;
  heldReplies: number;
}

const INITIAL = 64 * 1024;
/** Buffer#copy, also for plain Uint8Arrays (the fastest small copy in Bun: ~20 ns for 40 bytes). */
const copyBytes = Buffer.prototype.copy as (this: Uint8Array, target: Uint8Array, at: number, start: number, end: number) => number;

export class WalWriter {
  readonly dir: string;
  policy: FsyncPolicy;
  /** seq of the last record written to the file */
  lastSeq: number;
  /** records up to this seq are fsynced */
  syncedSeq: number;
  private fd = -1;
  private segFirst = 0;
  /** bytes in the current segment */
  segBytes = 0;
  /** bytes in segments not yet deleted */
  totalBytes = 0;
  private segsOnDisk: Segment[] = [];
  private buf = Buffer.allocUnsafe(INITIAL);
  private pos = 0;
  /** a record is open (commands appended since the last write) */
  private open = false;
  private recStart = 0;
  /** db of the last command in this segment (-1: a SELECT comes first) */
  private curDb = -1;
  private scheduled = false;
  private syncing = false;
  private dirDirty = false;
  private dirFd = -1;
  private old: OldSegment[] = [];
  private held: Held[] = [];
  private heldHead = 0;
  private heldBy = new Map<Client, number>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** set when a write failed (appendfsync everysec/no keep trying; always exits) */
  writeError: string | null = null;
  readonly stats = { records: 0, writes: 0, fsyncs: 0 };
  /** consumers notified after a record is written (checkpoint triggers) */
  onWrite: (() => void) | null = null;
  /** release of kept-back replies (Network.release) */
  release: (c: Client, b: Uint8Array) => void = () => {};
  /** fatal errors (appendfsync always cannot continue without the log) */
  fatal: (msg: string) => void = (msg) => {
    throw new Error(msg);
  };
  log: (msg: string) => void = () => {};

  constructor(dir: string, policy: FsyncPolicy, lastSeq: number, existing: Segment[]) {
    this.dir = dir;
    this.policy = policy;
    this.lastSeq = lastSeq;
    this.syncedSeq = lastSeq;
    mkdirSync(dir, { recursive: true });
    this.dirFd = openSync(dir, "r");
    for (const s of existing) {
      // an empty newest segment named after the next record is reused by newSegment()
      if (s.first === lastSeq + 1) continue;
      this.segsOnDisk.push(s);
      try {
        this.totalBytes += fstatSize(s.path);
      } catch {
        // gone
      }
    }
    this.newSegment();
    this.setPolicy(policy);
  }

  setPolicy(p: FsyncPolicy): void {
    this.policy = p;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (p === "everysec") {
      this.timer = setInterval(() => this.sync(), 1000);
      (this.timer as { unref?: () => void }).unref?.();
    }
    // Under always, replies wait for fsync: anything written but unsynced is synced now.
    if (p === "always") this.sync();
    else this.releaseUpTo(this.lastSeq);
  }

  /** Starts a new segment for the records after lastSeq (the old one is fsynced and closed in the background). */
  private newSegment(): void {
    if (this.fd >= 0) this.old.push({ fd: this.fd, seq: this.lastSeq });
    const first = this.lastSeq + 1;
    const name = segmentName(first);
    const path = join(this.dir, name);
    this.fd = openSync(path, "a");
    this.segFirst = first;
    this.segBytes = 0;
    this.curDb = -1;
    this.segsOnDisk.push({ first, path, name });
    this.dirDirty = true;
  }

  /**
   * Writes the open record and starts a new segment; returns the last seq in the old segments
   * (what a checkpoint starting now covers).
   */
  rotate(): number {
    this.seal();
    if (this.segBytes > 0) this.newSegment();
    if (this.policy !== "no") this.sync();
    else this.closeOld();
    return this.lastSeq;
  }

  /** Deletes segments whose records are all <= seq (covered by a durable checkpoint). */
  dropCovered(seq: number): void {
    const keep: Segment[] = [];
    const segs = this.segsOnDisk;
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const next = segs[i + 1];
      // segment i holds [s.first, next.first - 1]
      if (next !== undefined && next.first - 1 <= seq && s.first !== this.segFirst) {
        let size = 0;
        try {
          size = fstatSize(s.path);
        } catch {
          // already gone
        }
        this.totalBytes -= size;
        unlink(s.path, () => {});
      } else keep.push(s);
    }
    this.segsOnDisk = keep;
  }

  get segments(): number {
    return this.segsOnDisk.length;
  }

  // ---- appending

  private begin(): void {
    if (!this.open) {
      this.open = true;
      this.recStart = this.pos;
      this.ensure(WAL_HEADER);
      this.pos += WAL_HEADER;
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.onTurnEnd);
      }
    }
  }

  private readonly onTurnEnd = (): void => {
    this.scheduled = false;
    this.seal();
  };

  private ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  private num(v: number): void {
    const b = this.buf;
    if (v < 10) {
      b[this.pos++] = 48 + v;
      return;
    }
    if (v < 100) {
      const q = (v / 10) | 0;
      b[this.pos++] = 48 + q;
      b[this.pos++] = 48 + v - q * 10;
      return;
    }
    let len = 1;
    for (let n = v; n >= 10; n = Math.floor(n / 10)) len++;
    let p = this.pos + len;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      b[--p] = 48 + v - q * 10;
      v = q;
    }
    b[--p] = 48 + v;
    this.pos += len;
  }

  private line(prefix: number, v: number): void {
    this.buf[this.pos++] = prefix;
    this.num(v);
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
  }

  private select(db: number): void {
    this.ensure(40);
    // *2 $6 SELECT $n db
    this.line(42, 2);
    this.line(36, 6);
    this.pos += this.buf.latin1Write("SELECT\r\n", this.pos);
    const s = String(db);
    this.line(36, s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
    this.buf[this.pos++] = 13;
    this.buf[this.pos++] = 10;
    this.curDb = db;
  }

  /** A command from its arguments (strings are latin1). */
  append(db: number, args: (string | Uint8Array)[]): void {
    this.begin();
    if (db !== this.curDb && !isMultiOrExec(args)) this.select(db);
    let total = 0;
    for (let i = 0; i < args.length; i++) total += args[i]!.length;
    this.ensure(16 + args.length * 16 + total);
    this.line(42, args.length);
    const b = this.buf;
    for (let i = 0; i < args.length; i++) {
      const x = args[i]!;
      const n = x.length;
      this.line(36, n);
      if (typeof x === "string") {
        if (n < 32) for (let k = 0; k < n; k++) b[this.pos + k] = x.charCodeAt(k);
        else b.latin1Write(x, this.pos, n);
      } else if (n <= 32) for (let k = 0; k < n; k++) b[this.pos + k] = x[k]!;
      else b.set(x, this.pos);
      this.pos += n;
      b[this.pos++] = 13;
      b[this.pos++] = 10;
    }
  }

  /**
   * A command straight from the request bytes. A multibulk request already is its RESP
   * encoding: its bytes are copied whole (found from the first argument's offset back over the
   * "*<argc>\r\n$<len>\r\n" header); inline requests are encoded.
   */
  appendArgv(db: number, a: Argv): void {
    this.begin();
    if (db !== this.curDb) this.select(db);
    const argc = a.argc;
    const offs = a.offs;
    const src = a.buf;
    const first = offs[0]!;
    const start = first - 6 - digits(argc) - digits(offs[1]! - first);
    const end = offs[argc * 2 - 1]! + 2;
    if (start >= 0 && src[start] === 42 && src[first - 1] === 10 && src[end - 1] === 10 && src[end - 2] === 13) {
      const n = end - start;
      this.ensure(n);
      copyBytes.call(src, this.buf, this.pos, start, end);
      this.pos += n;
      return;
    }
    this.ensure(16 + argc * 16 + (offs[argc * 2 - 1]! - offs[0]!));
    this.line(42, argc);
    const b = this.buf;
    for (let i = 0; i < argc; i++) {
      const s = offs[i * 2]!;
      const n = offs[i * 2 + 1]! - s;
      this.line(36, n);
      if (n <= 32) for (let k = 0; k < n; k++) b[this.pos + k] = src[s + k]!;
      else b.set(src.subarray(s, s + n), this.pos);
      this.pos += n;
      b[this.pos++] = 13;
      b[this.pos++] = 10;
    }
  }

  /** seq the commands appended so far will be written under. */
  get pendingSeq(): number {
    return this.open ? this.lastSeq + 1 : this.lastSeq;
  }

  /** Highest seq whose replies may leave (written, or fsynced with always). */
  get releasedSeq(): number {
    return this.policy === "always" ? this.syncedSeq : this.lastSeq;
  }

  /** Writes the open record (one write()); then releases or syncs. */
  seal(): void {
    if (this.open) {
      const b = this.buf;
      const start = this.recStart;
      const len = this.pos - start - WAL_HEADER;
      const seq = this.lastSeq + 1;
      putU32(b, start, len);
      putU64(b, start + 8, seq);
      putU32(b, start + 4, Bun.hash.crc32(b.subarray(start + 8, this.pos)));
      this.open = false;
      this.lastSeq = seq;
      this.stats.records++;
    }
    if (this.pos === 0) return;
    let off = 0;
    try {
      while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    } catch (e) {
      // keep what was not written for the next attempt
      this.buf.copy(this.buf, 0, off, this.pos);
      this.pos -= off;
      this.segBytes += off;
      this.totalBytes += off;
      const msg = (e as Error).message;
      if (this.writeError === null) this.log(`Error writing to the WAL: ${msg}`);
      this.writeError = msg;
      if (this.policy === "always") this.fatal(`Can't recover from a WAL write error when appendfsync is 'always': ${msg}`);
      // retry at the next turn
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(this.onTurnEnd, 100);
      }
      return;
    }
    if (this.writeError !== null) {
      this.log("WAL writes work again");
      this.writeError = null;
    }
    this.stats.writes++;
    this.segBytes += this.pos;
    this.totalBytes += this.pos;
    this.pos = 0;
    // keep the buffer (a turn's records) unless one huge record grew it
    if (this.buf.length > 64 * INITIAL) this.buf = Buffer.allocUnsafe(INITIAL);
    if (this.policy === "always") this.sync();
    else this.releaseUpTo(this.lastSeq);
    this.onWrite?.();
  }

  // ---- durability

  /** Starts the fsync loop unless running: old segments first, the directory, then the current one. */
  sync(): void {
    if (this.syncing || this.policy === "no") {
      if (this.policy === "no") this.closeOld();
      return;
    }
    const old = this.old.shift();
    if (old !== undefined) {
      this.syncing = true;
      fsync(old.fd, (err) => {
        this.syncing = false;
        if (err) this.syncFailed(err);
        close(old.fd, () => {});
        this.stats.fsyncs++;
        this.synced(old.seq);
        this.sync();
      });
      return;
    }
    if (this.dirDirty) {
      this.dirDirty = false;
      this.syncing = true;
      fsync(this.dirFd, (err) => {
        this.syncing = false;
        if (err) this.syncFailed(err);
        this.sync();
      });
      return;
    }
    if (this.syncedSeq >= this.lastSeq) return;
    const target = this.lastSeq;
    const fd = this.fd;
    this.syncing = true;
    fsync(fd, (err) => {
      this.syncing = false;
      if (err) this.syncFailed(err);
      this.stats.fsyncs++;
      this.synced(target);
      this.sync();
    });
  }

  private syncFailed(err: Error): void {
    this.log(`fsync of the WAL failed: ${err.message}`);
    if (this.policy === "always") this.fatal(`Can't recover from a WAL fsync error when appendfsync is 'always': ${err.message}`);
  }

  private closeOld(): void {
    for (const o of this.old.splice(0)) close(o.fd, () => {});
  }

  private synced(seq: number): void {
    if (seq > this.syncedSeq) this.syncedSeq = seq;
    if (this.policy === "always") this.releaseUpTo(this.syncedSeq);
  }

  /** Waits until everything written so far is fsynced (shutdown). */
  syncNow(): void {
    this.seal();
    for (const o of this.old.splice(0)) {
      try {
        fsyncSync(o.fd);
        closeSync(o.fd);
      } catch {
        // best effort
      }
    }
    if (this.policy !== "no") {
      fsyncSync(this.fd);
      fsyncSync(this.dirFd);
      this.syncedSeq = this.lastSeq;
    }
    this.releaseUpTo(this.lastSeq);
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    try {
      closeSync(this.fd);
      closeSync(this.dirFd);
    } catch {
      // already closed
    }
  }

  // ---- replies

  /** Network.hold: keeps a client's reply while the records before it are not released. */
  readonly hold = (c: Client): boolean => {
    const waiting = this.heldBy.get(c);
    const seq = this.pendingSeq;
    if (waiting === undefined && seq <= this.releasedSeq) return false;
    const out = c.out;
    if (out.n === 0) return waiting !== undefined;
    const bytes = Uint8Array.prototype.slice.call(out.b, 0, out.n);
    out.n = 0;
    out.shrink();
    this.held.push({ c, bytes, seq: Math.max(seq, this.lastHeldSeq()) });
    this.heldBy.set(c, (waiting ?? 0) + 1);
    return true;
  };

  private lastHeldSeq(): number {
    return this.held.length > this.heldHead ? this.held[this.held.length - 1]!.seq : 0;
  }

  private releaseUpTo(seq: number): void {
    const h = this.held;
    while (this.heldHead < h.length && h[this.heldHead]!.seq <= seq) {
      const e = h[this.heldHead]!;
      h[this.heldHead] = undefined as unknown as Held;
      this.heldHead++;
      const left = this.heldBy.get(e.c)! - 1;
      if (left === 0) this.heldBy.delete(e.c);
      else this.heldBy.set(e.c, left);
      this.release(e.c, e.bytes);
    }
    if (this.heldHead === h.length) {
      h.length = 0;
      this.heldHead = 0;
    } else if (this.heldHead > 1024 && this.heldHead * 2 > h.length) {
      this.held = h.slice(this.heldHead);
      this.heldHead = 0;
    }
  }

  get heldReplies(): number {
    return this.held.length - this.heldHead;
  }
}

function digits(n: number): number {
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : String(n).length;
}

function isMultiOrExec(args: (string | Uint8Array)[]): boolean {
  if (args.length !== 1) return false;
  const a = args[0]!;
  if (a.length !== 4 && a.length !== 5) return false;
  const s = typeof a === "string" ? a : Buffer.from(a).toString("latin1");
  const l = s.toLowerCase();
  return l === "multi" || l === "exec";
}

function fstatSize(path: string): number {
  const fd = openSync(path, "r");
  try {
    return fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
}
