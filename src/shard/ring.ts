// Shared memory between shards: single-producer single-consumer byte rings (one per direction
// per pair of shards) and the control block (doorbells, the global lock, counters), all in
// SharedArrayBuffers that every worker maps. Nothing here allocates per message.
//
// A ring is a byte stream: the producer copies as much as fits and publishes it with one
// Atomics.store of `head`; the consumer copies what is there and publishes `tail`. Frames may
// straddle the wrap point or even several writes; the consumer reassembles them.

/** Bytes before a ring's data: head, tail and the writer-waiting flag on separate cache lines. */
export const RING_HEADER = 192;
const HEAD = 0;
const TAIL = 16;
const WAITING = 32;

export class Ring {
  readonly h: Int32Array;
  readonly d: Uint8Array;
  readonly cap: number;
  private readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    this.h = new Int32Array(sab, 0, RING_HEADER / 4);
    this.d = new Uint8Array(sab, RING_HEADER);
    this.cap = this.d.length;
    this.mask = this.cap - 1;
    if ((this.cap & this.mask) !== 0) throw new Error("ring capacity must be a power of two");
  }

  static alloc(cap: number): SharedArrayBuffer {
    return new SharedArrayBuffer(RING_HEADER + cap);
  }

  /** Producer: copies up to e - s bytes; returns how many fit. */
  write(src: Uint8Array, s: number, e: number): number {
    const h = this.h;
    const head = h[HEAD]!;
    const used = (head - Atomics.load(h, TAIL)) | 0;
    const n = Math.min(this.cap - used, e - s);
    if (n <= 0) return 0;
    const at = head & this.mask;
    const first = Math.min(n, this.cap - at);
    this.d.set(src.subarray(s, s + first), at);
    if (first < n) this.d.set(src.subarray(s + first, s + n), 0);
    Atomics.store(h, HEAD, (head + n) | 0);
    return n;
  }

  /** Producer: bytes it could write now. */
  room(): number {
    return this.cap - ((this.h[HEAD]! - Atomics.load(this.h, TAIL)) | 0);
  }

  /** Consumer: bytes ready to read. */
  available(): number {
    return (Atomics.load(this.h, HEAD) - this.h[TAIL]!) | 0;
  }

  /** Consumer: copies up to `max` bytes into dst at `off`; returns how many. */
  read(dst: Uint8Array, off: number, max: number): number {
    const h = this.h;
    const tail = h[TAIL]!;
    const n = Math.min((Atomics.load(h, HEAD) - tail) | 0, max);
    if (n <= 0) return 0;
    const at = tail & this.mask;
    const first = Math.min(n, this.cap - at);
    dst.set(this.d.subarray(at, at + first), off);
    if (first < n) dst.set(this.d.subarray(0, n - first), off + first);
    Atomics.store(h, TAIL, (tail + n) | 0);
    return n;
  }

  /** Producer: marks that it holds bytes the ring could not take (the consumer rings back). */
  setWaiting(): void {
    Atomics.store(this.h, WAITING, 1);
  }

  /** Consumer: true (once) when the producer waits for room. */
  takeWaiting(): boolean {
    if (Atomics.load(this.h, WAITING) === 0) return false;
    Atomics.store(this.h, WAITING, 0);
    return true;
  }
}

// ---- the control block -------------------------------------------------------------------

/** Int32 slots of the global part. */
export const G = {
  /** the cross-shard lock: 0 free, else owner shard + 1 */
  MUTEX: 0,
  /** last client id handed out (ids are unique across shards) */
  CLIENT_ID: 1,
  /** set once any shard asked for shutdown */
  SHUTDOWN: 2,
} as const;

/** Int32 slots per shard (each shard's block is 16 ints, a cache line apart). */
export const S = {
  /** doorbell sequence: bumped and notified to wake the shard */
  SEQ: 0,
  /** 1 while the shard waits on its doorbell (writers only notify then) */
  ARMED: 1,
  /** 1 while the shard wants the cross-shard lock */
  WANT_MUTEX: 2,
  /** MONITOR clients on the shard */
  MONITORS: 3,
} as const;

export const CTL_INTS = (n: number): number => 16 * (n + 1);
export const slotOf = (shard: number, field: number): number => 16 * (shard + 1) + field;

/** Everything the supervisor creates and hands to each worker. */
export interface SharedMem {
  n: number;
  ctl: SharedArrayBuffer;
  /** rings[src * n + dst]; the diagonal is unused */
  rings: (SharedArrayBuffer | null)[];
}

export function allocShared(n: number, ringBytes: number): SharedMem {
  const rings: (SharedArrayBuffer | null)[] = [];
  for (let s = 0; s < n; s++) for (let d = 0; d < n; d++) rings.push(s === d ? null : Ring.alloc(ringBytes));
  return { n, ctl: new SharedArrayBuffer(CTL_INTS(n) * 4), rings };
}
