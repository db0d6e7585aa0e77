// Typed API over the Rust addon (native/aikv.node): CRC16 key slots, bloom filters and the
// LSM storage engine. The boundary is coarse on purpose (one N-API call costs ~170 ns in Bun):
// write batches go in as one encoded buffer, multiGet and iterators return many entries in
// one buffer that is sliced here without copying.
//
// The addon is loaded with a literal require path so `bun build --compile` embeds it.

import { crc16, crc16Range, keySlot, keySlotRange, keySlotsPacked, SLOTS } from "./crc16.ts";
import { BloomTs, murmur3, murmur3Range } from "./bloom.ts";

export { crc16, crc16Range, keySlot, keySlotRange, keySlotsPacked, SLOTS, BloomTs, murmur3, murmur3Range };

/** Raw exports of native/aikv.node (see native/src/js/mod.rs). */
interface Addon {
  info(): string;
  crc16(data: Uint8Array): number;
  keySlot(key: Uint8Array): number;
  keySlots(keys: Uint8Array, offsets: Uint32Array): Uint16Array;
  bloomCreate(expectedItems: number, falsePositiveRate: number): NativeHandle;
  bloomDeserialize(bytes: Uint8Array): NativeHandle;
  bloomAdd(h: NativeHandle, key: Uint8Array): void;
  bloomMayContain(h: NativeHandle, key: Uint8Array): boolean;
  bloomAddMany(h: NativeHandle, keys: Uint8Array, offsets: Uint32Array): void;
  bloomMayContainMany(h: NativeHandle, keys: Uint8Array, offsets: Uint32Array): Uint8Array;
  bloomSerialize(h: NativeHandle): Buffer;
  bloomInfo(h: NativeHandle): { bits: number; hashes: number };
  lsmOpen(dir: string, options: LsmOptions): NativeHandle;
  lsmClose(h: NativeHandle): void;
  lsmWrite(h: NativeHandle, batch: Uint8Array, sync: boolean): void;
  lsmWriteAsync(h: NativeHandle, batch: Uint8Array, sync: boolean): Promise<void>;
  lsmGet(h: NativeHandle, key: Uint8Array, snapshot: NativeHandle | null): Buffer | null;
  lsmMultiGet(h: NativeHandle, keys: Uint8Array, offsets: Uint32Array, snapshot: NativeHandle | null): Buffer;
  lsmSnapshot(h: NativeHandle): NativeHandle;
  lsmSnapshotSequence(s: NativeHandle): number;
  lsmSnapshotRelease(s: NativeHandle): void;
  lsmIterator(h: NativeHandle, start: Uint8Array | null, end: Uint8Array | null, snapshot: NativeHandle | null): NativeHandle;
  lsmIteratorNext(it: NativeHandle, maxEntries: number, maxBytes: number): Buffer | null;
  lsmIteratorClose(it: NativeHandle): void;
  lsmFlush(h: NativeHandle): Promise<void>;
  lsmCompactRange(h: NativeHandle, start: Uint8Array | null, end: Uint8Array | null): Promise<void>;
  lsmWaitIdle(h: NativeHandle): Promise<void>;
  lsmStats(h: NativeHandle): string;
  threadCpuStats(): ThreadCpuStats;
}

/** Opaque native object (an N-API external). */
declare const nativeHandleBrand: unique symbol;
type NativeHandle = { readonly [nativeHandleBrand]: true };

function loadAddon(): Addon {
  try {
    // Literal path: keep it literal, `bun build --compile` only embeds requires it can see.
    return require("../../native/aikv.node") as Addon;
  } catch (e) {
    const cause = e instanceof Error ? e.message : String(e);
    throw new Error(`aikv: cannot load the native addon native/aikv.node (run "bun run build:native"): ${cause}`);
  }
}

const addon = loadAddon();

export interface NativeInfo {
  version: string;
  zstdVersion: number;
  tableFormatVersion: number;
  tableMagic: string;
  bloomFormat: number;
  bloomHashSeed: number;
  walRecordHeader: number;
  batchHeader: number;
  footerLength: number;
  blockTrailerLength: number;
}

/** Addon version and on-disk format constants (pinned by test/native/format.test.ts). */
export const nativeInfo: NativeInfo = JSON.parse(addon.info());

export interface ThreadCpuStats {
  /** CPU time consumed by the calling thread, nanoseconds. */
  cpuNs: number;
  /** Context switches because the thread blocked (waited on a lock, I/O, sleep). */
  voluntary: number;
  /** Context switches because the OS preempted the thread. */
  involuntary: number;
}

/**
 * CPU time and context switches of the calling thread (Linux; zeros elsewhere). Diagnostics:
 * benchmarks use it to tell a native call that blocked from one the OS preempted.
 */
export function threadCpuStats(): ThreadCpuStats {
  return addon.threadCpuStats();
}

// ------------------------------------------------------------------ key slots

/** Keys packed back to back; key i is buf[offsets[i]..offsets[i+1]). */
export interface PackedKeys {
  buf: Uint8Array;
  offsets: Uint32Array;
}

export function packKeys(keys: readonly Uint8Array[]): PackedKeys {
  let total = 0;
  for (const k of keys) total += k.length;
  const buf = new Uint8Array(total);
  const offsets = new Uint32Array(keys.length + 1);
  let p = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    buf.set(k, p);
    p += k.length;
    offsets[i + 1] = p;
  }
  return { buf, offsets };
}

function packed(keys: readonly Uint8Array[] | PackedKeys): PackedKeys {
  return Array.isArray(keys) ? packKeys(keys) : (keys as PackedKeys);
}

/** Native CRC16-XMODEM (one N-API call). The TS `crc16` is faster for a single key. */
export function crc16Native(data: Uint8Array): number {
  return addon.crc16(data);
}

/** Native keySlot (one N-API call). The TS `keySlot` is faster for a single key. */
export function keySlotNative(key: Uint8Array): number {
  return addon.keySlot(key);
}

/** Native slots of many packed keys in one call. */
export function keySlotsNative(keys: Uint8Array, offsets: Uint32Array): Uint16Array {
  return addon.keySlots(keys, offsets);
}

/**
 * From this many packed keys on, one native call beats the TS loop (measured, see
 * bench/results/native-*.md). Keys given as an array always use the TS loop: packing them for
 * the native call copies every key, which costs about as much as hashing it.
 */
export const KEY_SLOTS_NATIVE_THRESHOLD = 32;

/** From this key length on, one native call beats the TS loop for a single key (measured). */
export const KEY_SLOT_NATIVE_MIN_LENGTH = 128;

/** keySlot using whichever implementation is faster for this key's length. */
export function keySlotAdaptive(key: Uint8Array): number {
  return key.length < KEY_SLOT_NATIVE_MIN_LENGTH ? keySlot(key) : addon.keySlot(key);
}

/** Slots of many keys, using whichever implementation is faster for the input. */
export function keySlots(keys: readonly Uint8Array[] | PackedKeys): Uint16Array {
  if (Array.isArray(keys)) {
    const list = keys as readonly Uint8Array[];
    const out = new Uint16Array(list.length);
    for (let i = 0; i < list.length; i++) out[i] = keySlot(list[i]!);
    return out;
  }
  const p = keys as PackedKeys;
  const n = Math.max(0, p.offsets.length - 1);
  return n < KEY_SLOTS_NATIVE_THRESHOLD ? keySlotsPacked(p.buf, p.offsets, new Uint16Array(n)) : addon.keySlots(p.buf, p.offsets);
}

// ------------------------------------------------------------------ bloom

/** Native bloom filter. Byte-compatible with `BloomTs` (serialize/deserialize across both). */
export class Bloom {
  private constructor(private readonly h: NativeHandle) {}

  static create(expectedItems: number, falsePositiveRate: number): Bloom {
    return new Bloom(addon.bloomCreate(expectedItems, falsePositiveRate));
  }

  static deserialize(bytes: Uint8Array): Bloom {
    return new Bloom(addon.bloomDeserialize(bytes));
  }

  add(key: Uint8Array): void {
    addon.bloomAdd(this.h, key);
  }

  mayContain(key: Uint8Array): boolean {
    return addon.bloomMayContain(this.h, key);
  }

  addMany(keys: readonly Uint8Array[] | PackedKeys): void {
    const p = packed(keys);
    addon.bloomAddMany(this.h, p.buf, p.offsets);
  }

  /** One byte per key: 1 = maybe present, 0 = definitely absent. */
  mayContainMany(keys: readonly Uint8Array[] | PackedKeys): Uint8Array {
    const p = packed(keys);
    return addon.bloomMayContainMany(this.h, p.buf, p.offsets);
  }

  serialize(): Buffer {
    return addon.bloomSerialize(this.h);
  }

  get bits(): number {
    return addon.bloomInfo(this.h).bits;
  }

  get hashes(): number {
    return addon.bloomInfo(this.h).hashes;
  }
}

// ------------------------------------------------------------------ write batches

const TAG_DELETE = 0;
const TAG_PUT = 1;
const BATCH_HEADER = 12;

/**
 * An atomic group of puts and deletes, encoded as it is built in the exact byte format the
 * WAL stores (FORMAT.md "Write batch"), so committing it costs one copy into native memory.
 */
export class WriteBatch {
  private buf: Uint8Array;
  private len = BATCH_HEADER;
  private n = 0;

  constructor(initialCapacity = 4096) {
    this.buf = new Uint8Array(Math.max(initialCapacity, 64));
  }

  get count(): number {
    return this.n;
  }

  get byteLength(): number {
    return this.len;
  }

  private reserve(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  private varint(v: number): void {
    const b = this.buf;
    let p = this.len;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.len = p;
  }

  private bytes(src: Uint8Array): void {
    const b = this.buf;
    const n = src.length;
    const p = this.len;
    // A short loop beats TypedArray.set's fixed cost for typical key sizes.
    if (n <= 32) for (let i = 0; i < n; i++) b[p + i] = src[i]!;
    else b.set(src, p);
    this.len = p + n;
  }

  put(key: Uint8Array, value: Uint8Array): this {
    if (key.length > 0xffffffff || value.length > 0xffffffff) throw new RangeError("key or value longer than 4 GiB");
    this.reserve(11 + key.length + value.length);
    this.buf[this.len++] = TAG_PUT;
    this.varint(key.length);
    this.bytes(key);
    this.varint(value.length);
    this.bytes(value);
    this.n++;
    return this;
  }

  delete(key: Uint8Array): this {
    if (key.length > 0xffffffff) throw new RangeError("key longer than 4 GiB");
    this.reserve(6 + key.length);
    this.buf[this.len++] = TAG_DELETE;
    this.varint(key.length);
    this.bytes(key);
    this.n++;
    return this;
  }

  clear(): this {
    this.len = BATCH_HEADER;
    this.n = 0;
    return this;
  }

  /** The encoded batch (a view; valid until the batch is modified). */
  encoded(): Uint8Array {
    const b = this.buf;
    const n = this.n;
    b.fill(0, 0, 8);
    b[8] = n & 0xff;
    b[9] = (n >>> 8) & 0xff;
    b[10] = (n >>> 16) & 0xff;
    b[11] = (n >>> 24) & 0xff;
    return b.subarray(0, this.len);
  }
}

// ------------------------------------------------------------------ LSM

export interface LsmOptions {
  /** Create the directory and database if missing (default true). */
  createIfMissing?: boolean;
  /** Fail if a database already exists (default false). */
  errorIfExists?: boolean;
  /** Memtable size before it is flushed to a level-0 table (default 32 MiB). */
  writeBufferSize?: number;
  /** WAL durability: fsync every write group, every `syncIntervalMs`, or never (default "none"). */
  sync?: "always" | "periodic" | "none";
  syncIntervalMs?: number;
  /** Uncompressed data block size (default 8 KiB). */
  blockSize?: number;
  blockRestartInterval?: number;
  compression?: "zstd" | "none";
  zstdLevel?: number;
  bloomBitsPerKey?: number;
  /** Block cache capacity in bytes (default 64 MiB). */
  blockCacheSize?: number;
  targetFileSize?: number;
  maxBytesForLevelBase?: number;
  levelMultiplier?: number;
  l0CompactionTrigger?: number;
  l0SlowdownTrigger?: number;
  l0StopTrigger?: number;
  /** "expiry": values carry the expiry header (encodeExpiryValue); expired ones vanish. */
  compactionFilter?: "none" | "expiry";
  maxWriteGroupBytes?: number;
  /** Nice value (0-19) of the flush/compaction threads on Linux (default 10): background work
   * yields the CPU to the event loop. */
  backgroundNice?: number;
}

export interface LsmLevelStats {
  level: number;
  files: number;
  bytes: number;
  entries: number;
  targetBytes: number;
}

export interface LsmStats {
  levels: LsmLevelStats[];
  files: number;
  bytes: number;
  memtableBytes: number;
  memtableEntries: number;
  immutableBytes: number;
  lastSequence: number;
  snapshots: number;
  userBytes: number;
  userBatches: number;
  userEntries: number;
  writeGroups: number;
  walBytes: number;
  walSyncs: number;
  flushes: number;
  flushBytes: number;
  compactions: number;
  trivialMoves: number;
  compactionBytesRead: number;
  compactionBytesWritten: number;
  compactionDroppedEntries: number;
  compactionExpiredEntries: number;
  /** (WAL + flush + compaction bytes written) / user bytes written. */
  writeAmplification: number;
  stalls: number;
  stallMicros: number;
  slowdowns: number;
  cacheHits: number;
  cacheMisses: number;
  cacheHitRate: number;
  cacheBytes: number;
  cacheCapacity: number;
  tableIndexFilterBytes: number;
  compactionScore: number;
  compactionScoreLevel: number;
  compacting: boolean;
  backgroundError: string | null;
  recoveredWalRecords: number;
  /** Set when recovery ignored a torn WAL/manifest tail (what and how much). */
  recoveryNote: string | null;
}

export interface ReadOptions {
  snapshot?: Snapshot;
}

export interface WriteOptions {
  /** fsync the WAL before returning, whatever the sync mode. */
  sync?: boolean;
}

export interface IteratorOptions {
  /** Inclusive lower bound. */
  start?: Uint8Array;
  /** Exclusive upper bound. */
  end?: Uint8Array;
  /** Only keys starting with this prefix (combined with start/end). */
  prefix?: Uint8Array;
  snapshot?: Snapshot;
}

export interface EntryBatch {
  keys: Buffer[];
  values: Buffer[];
}

/** Smallest key greater than every key that starts with `prefix`; null if there is none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | null {
  let n = prefix.length;
  while (n > 0 && prefix[n - 1] === 0xff) n--;
  if (n === 0) return null;
  const end = prefix.slice(0, n);
  end[n - 1]!++;
  return end;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A consistent read view; hold it while reading, then release() it. */
export class Snapshot {
  /** @internal */ readonly handle: NativeHandle;
  /** @internal */ readonly owner: Lsm;
  readonly sequence: number;

  /** @internal */
  constructor(owner: Lsm, handle: NativeHandle) {
    this.owner = owner;
    this.handle = handle;
    this.sequence = addon.lsmSnapshotSequence(handle);
  }

  release(): void {
    addon.lsmSnapshotRelease(this.handle);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Forward iterator returning many entries per native call. */
export class LsmIterator {
  private done = false;

  /** @internal */
  constructor(private readonly h: NativeHandle) {}

  /**
   * Up to `maxEntries` entries (stopping early past `maxBytes`), or null when exhausted.
   * Keys and values are views into one buffer per call.
   */
  nextBatch(maxEntries = 1024, maxBytes = 1 << 20): EntryBatch | null {
    if (this.done) return null;
    const buf = addon.lsmIteratorNext(this.h, maxEntries, maxBytes);
    if (buf === null) {
      this.done = true;
      return null;
    }
    const keys: Buffer[] = [];
    const values: Buffer[] = [];
    let p = 0;
    const len = buf.length;
    while (p < len) {
      const kl = (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16)) + buf[p + 3]! * 0x1000000;
      const vl = (buf[p + 4]! | (buf[p + 5]! << 8) | (buf[p + 6]! << 16)) + buf[p + 7]! * 0x1000000;
      p += 8;
      keys.push(buf.subarray(p, p + kl));
      p += kl;
      values.push(buf.subarray(p, p + vl));
      p += vl;
    }
    return { keys, values };
  }

  /** Releases the iterator's snapshot and tables now instead of at garbage collection. */
  close(): void {
    this.done = true;
    addon.lsmIteratorClose(this.h);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  *[Symbol.iterator](): Generator<[Buffer, Buffer]> {
    try {
      for (let b = this.nextBatch(); b !== null; b = this.nextBatch()) {
        for (let i = 0; i < b.keys.length; i++) yield [b.keys[i]!, b.values[i]!];
      }
    } finally {
      this.close();
    }
  }
}

/**
 * The LSM storage engine. Synchronous calls (write, get, multiGet, iterator batches) do bounded
 * work on the calling thread; flush, compaction and waiting out a write stall happen on
 * background threads (writeAsync/flush/compactRange/waitIdle return Promises).
 */
export class Lsm {
  private h: NativeHandle | null;
  readonly dir: string;

  private constructor(dir: string, h: NativeHandle) {
    this.dir = dir;
    this.h = h;
  }

  /** Opens (recovering from the WAL) or creates the database in `dir`. */
  static open(dir: string, options: LsmOptions = {}): Lsm {
    return new Lsm(dir, addon.lsmOpen(dir, options));
  }

  private handle(): NativeHandle {
    if (this.h === null) {
      const e = new Error("closed: database is closed") as Error & { code: string };
      e.code = "AIKV_CLOSED";
      throw e;
    }
    return this.h;
  }

  get closed(): boolean {
    return this.h === null;
  }

  /** Commits queued writes, syncs the WAL, stops background work, releases the LOCK. */
  close(): void {
    if (this.h === null) return;
    const h = this.h;
    this.h = null;
    addon.lsmClose(h);
  }

  /**
   * Commits a batch atomically on this thread. With sync "always" (or options.sync) it returns
   * after the fsync. May block during a write stall; use writeAsync on a latency-sensitive
   * thread.
   */
  write(batch: WriteBatch, options?: WriteOptions): void {
    addon.lsmWrite(this.handle(), batch.encoded(), options?.sync === true);
  }

  /**
   * Queues the batch now (call order is commit order) and commits it on a worker thread;
   * resolves once it is in the WAL (and fsynced if requested) and visible to reads.
   */
  writeAsync(batch: WriteBatch, options?: WriteOptions): Promise<void> {
    return addon.lsmWriteAsync(this.handle(), batch.encoded(), options?.sync === true);
  }

  put(key: Uint8Array, value: Uint8Array, options?: WriteOptions): void {
    this.write(new WriteBatch(32 + key.length + value.length).put(key, value), options);
  }

  delete(key: Uint8Array, options?: WriteOptions): void {
    this.write(new WriteBatch(32 + key.length).delete(key), options);
  }

  get(key: Uint8Array, options?: ReadOptions): Buffer | null {
    return addon.lsmGet(this.handle(), key, this.snap(options?.snapshot));
  }

  /** Values for many keys from one consistent view, in one native call. */
  multiGet(keys: readonly Uint8Array[] | PackedKeys, options?: ReadOptions): (Buffer | null)[] {
    const p = packed(keys);
    const buf = addon.lsmMultiGet(this.handle(), p.buf, p.offsets, this.snap(options?.snapshot));
    const n = p.offsets.length - 1;
    const out: (Buffer | null)[] = new Array(n);
    let pos = 0;
    for (let i = 0; i < n; i++) {
      // u32 LE; `+` for the top byte keeps the value unsigned (`|` would make it an int32).
      const len = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16)) + buf[pos + 3]! * 0x1000000;
      pos += 4;
      if (len === 0xffffffff) {
        out[i] = null;
      } else {
        out[i] = buf.subarray(pos, pos + len);
        pos += len;
      }
    }
    return out;
  }

  snapshot(): Snapshot {
    return new Snapshot(this, addon.lsmSnapshot(this.handle()));
  }

  private snap(s: Snapshot | undefined): NativeHandle | null {
    if (s === undefined) return null;
    if (s.owner !== this) throw new Error("snapshot belongs to a different database");
    return s.handle;
  }

  /** Iterator over [start, end) ∩ prefix, newest visible version of each key, in key order. */
  iterator(options: IteratorOptions = {}): LsmIterator {
    let start = options.start ?? null;
    let end = options.end ?? null;
    if (options.prefix !== undefined) {
      const p = options.prefix;
      if (start === null || compareBytes(start, p) < 0) start = p;
      const pe = prefixEnd(p);
      if (pe !== null && (end === null || compareBytes(pe, end) < 0)) end = pe;
    }
    return new LsmIterator(addon.lsmIterator(this.handle(), start, end, this.snap(options.snapshot)));
  }

  /** Turns the memtable into a level-0 table. */
  flush(): Promise<void> {
    return addon.lsmFlush(this.handle());
  }

  /**
   * Compacts all data with keys in [start, end] (inclusive; null = unbounded) to the bottom of
   * the tree, dropping overwritten versions, tombstones and expired values there.
   */
  compactRange(start: Uint8Array | null = null, end: Uint8Array | null = null): Promise<void> {
    return addon.lsmCompactRange(this.handle(), start, end);
  }

  /** Resolves when no flush or compaction is pending or running. */
  waitIdle(): Promise<void> {
    return addon.lsmWaitIdle(this.handle());
  }

  stats(): LsmStats {
    return JSON.parse(addon.lsmStats(this.handle())) as LsmStats;
  }
}

// ------------------------------------------------------------------ expiry header

/** FORMAT.md "Expiry value header": 0x00 = no expiry; 0x01 + u64 LE Unix ms = expires then. */
export const EXPIRY_NONE = 0;
export const EXPIRY_AT = 1;

/** Value as stored with compactionFilter "expiry": header + payload. */
export function encodeExpiryValue(payload: Uint8Array, expireAtMs: number | null): Uint8Array {
  if (expireAtMs === null) {
    const out = new Uint8Array(1 + payload.length);
    out[0] = EXPIRY_NONE;
    out.set(payload, 1);
    return out;
  }
  if (!Number.isSafeInteger(expireAtMs) || expireAtMs < 0) throw new RangeError(`expireAtMs must be a non-negative integer, got ${expireAtMs}`);
  const out = new Uint8Array(9 + payload.length);
  out[0] = EXPIRY_AT;
  new DataView(out.buffer).setBigUint64(1, BigInt(expireAtMs), true);
  out.set(payload, 9);
  return out;
}

/** Splits a stored value into expiry and payload (values without a valid header: no expiry). */
export function decodeExpiryValue(stored: Uint8Array): { expireAtMs: number | null; payload: Uint8Array } {
  if (stored.length >= 9 && stored[0] === EXPIRY_AT) {
    const dv = new DataView(stored.buffer, stored.byteOffset, stored.byteLength);
    return { expireAtMs: Number(dv.getBigUint64(1, true)), payload: stored.subarray(9) };
  }
  if (stored.length >= 1 && stored[0] === EXPIRY_NONE) return { expireAtMs: null, payload: stored.subarray(1) };
  return { expireAtMs: null, payload: stored };
}
