// The shard transport: frames over the SharedArrayBuffer rings (ring.ts), batched per
// destination per event-loop turn, and a doorbell per shard woken with Atomics.notify and
// awaited with Atomics.waitAsync. No postMessage, no structured clone, no allocation per frame
// beyond the bytes themselves.
//
// Frame: u32 length (header included) | u8 type | u8 proto | u16 db | u32 req | u32 aux |
// f64 client id | payload. Frames for one destination are appended to a local staging buffer;
// one microtask per turn copies every staging buffer into its ring and rings the doorbells of
// shards that sleep. A receiver copies what its rings hold into per-source buffers and hands
// complete frames to the handler, which may defer a frame (it is then copied and re-offered
// by redrive()).

import { Buf } from "./codec.ts";
import { G, Ring, S, slotOf, type SharedMem } from "./ring.ts";

export const HDR = 24;

/** Frame types. */
export const F = {
  /** a client's command for the shard that owns its keys -> REPLY */
  REQ: 1,
  /** the reply to a REQ (req = the client's request number) */
  REPLY: 2,
  /** items to run now, without the lock (req 0: no answer wanted) -> RESULT */
  ASK: 3,
  /** take this shard for the sender's cross-shard operation, then run the items -> RESULT */
  LOCK: 4,
  /** items to run while locked by the sender -> RESULT (req 0: no answer) */
  OP: 5,
  /** run the items (write-backs), then release the shard */
  UNLOCK: 6,
  /** answer to ASK/LOCK/OP: one length-prefixed result per item that produces one */
  RESULT: 7,
  /** MONITOR lines for this shard's monitors */
  MON: 8,
  /** a client closed: drop its proxy */
  CLOSE: 9,
  /** a client's address and name, sent before its first REQ to a shard */
  META: 10,
  /** control: aux = what (monitor counts changed, shutdown, ...) */
  CTL: 11,
} as const;

/** A received frame; one object reused for every frame (copy what you keep). */
export class Frame {
  src = 0;
  type = 0;
  proto = 2;
  db = 0;
  req = 0;
  aux = 0;
  cid = 0;
  b: Uint8Array = new Uint8Array(0);
  /** payload [s, e) in b */
  s = 0;
  e = 0;

  payload(): Uint8Array {
    return this.b.subarray(this.s, this.e);
  }
}

/** Returns false to defer the frame (it is copied and offered again by redrive()). */
export type FrameHandler = (f: Frame) => boolean;

interface Inbox {
  buf: Buf;
  pos: number;
}

export class Transport {
  readonly n: number;
  private readonly ctl: Int32Array;
  private readonly out: (Ring | null)[] = [];
  private readonly inn: (Ring | null)[] = [];
  private readonly stage: Buf[] = [];
  /** bytes of stage[d] already copied into the ring */
  private readonly sent: number[] = [];
  private readonly fstart: number[] = [];
  private readonly inbox: Inbox[] = [];
  private flushQueued = false;
  private readonly frame = new Frame();
  private deferred: { src: number; bytes: Uint8Array }[] = [];
  private started = false;
  /** stats */
  framesIn = 0;
  framesOut = 0;
  wakeups = 0;
  notifies = 0;

  constructor(
    sh: SharedMem,
    readonly me: number,
    private handler: FrameHandler,
    /** called before sleeping: true when there is work (e.g. the global lock became free) */
    private idle: () => boolean,
  ) {
    this.n = sh.n;
    this.ctl = new Int32Array(sh.ctl);
    for (let d = 0; d < this.n; d++) {
      const o = sh.rings[me * this.n + d];
      const i = sh.rings[d * this.n + me];
      this.out.push(o ? new Ring(o) : null);
      this.inn.push(i ? new Ring(i) : null);
      this.stage.push(new Buf(d === me ? 16 : 64 * 1024));
      this.sent.push(0);
      this.fstart.push(0);
      this.inbox.push({ buf: new Buf(d === me ? 16 : 64 * 1024), pos: 0 });
    }
  }

  // ---- sending -----------------------------------------------------------------------------

  /** Starts a frame to `dst`; append the payload to the returned buffer, then call end(dst). */
  begin(dst: number, type: number, cid: number, req: number, db: number, proto: number, aux: number): Buf {
    const w = this.stage[dst]!;
    w.ensure(HDR);
    const p = w.n;
    this.fstart[dst] = p;
    const dv = w.dv;
    dv.setUint32(p, 0, true);
    w.b[p + 4] = type;
    w.b[p + 5] = proto;
    dv.setUint16(p + 6, db, true);
    dv.setUint32(p + 8, req >>> 0, true);
    dv.setUint32(p + 12, aux >>> 0, true);
    dv.setFloat64(p + 16, cid, true);
    w.n = p + HDR;
    return w;
  }

  end(dst: number): void {
    const w = this.stage[dst]!;
    const p = this.fstart[dst]!;
    w.dv.setUint32(p, w.n - p, true);
    this.framesOut++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
  }

  /** Copies staged frames into the rings and wakes sleeping receivers. */
  readonly flush = (): void => {
    this.flushQueued = false;
    for (let d = 0; d < this.n; d++) {
      const w = this.stage[d]!;
      let s = this.sent[d]!;
      if (w.n === s) continue;
      const r = this.out[d]!;
      s += r.write(w.b, s, w.n);
      if (s < w.n) {
        // Full: ask the receiver to ring back once it made room, then try once more (it may
        // have made room before it could see the flag).
        r.setWaiting();
        s += r.write(w.b, s, w.n);
      }
      if (s === w.n) {
        w.n = 0;
        s = 0;
        w.shrink();
      } else if (s > w.n >> 1) {
        w.b.copyWithin(0, s, w.n);
        w.n -= s;
        s = 0;
      }
      this.sent[d] = s;
      this.bell(d, false);
    }
  };

  /** Wakes shard d: always, or only when it sleeps on its doorbell. */
  bell(d: number, always: boolean): void {
    const ctl = this.ctl;
    if (always || Atomics.load(ctl, slotOf(d, S.ARMED)) !== 0) {
      Atomics.add(ctl, slotOf(d, S.SEQ), 1);
      Atomics.notify(ctl, slotOf(d, S.SEQ));
      this.notifies++;
    }
  }

  /** True while staged bytes wait for room in some ring. */
  get backlog(): boolean {
    for (let d = 0; d < this.n; d++) if (this.stage[d]!.n !== this.sent[d]) return true;
    return false;
  }

  // ---- receiving ---------------------------------------------------------------------------

  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm();
  }

  private hasInput(): boolean {
    for (let s = 0; s < this.n; s++) {
      const r = this.inn[s];
      if (r !== null && r.available() > 0) return true;
    }
    return false;
  }

  /** Staged bytes wait and their ring has room again (the reader made room before we slept). */
  private canFlush(): boolean {
    for (let d = 0; d < this.n; d++) {
      if (this.stage[d]!.n !== this.sent[d] && this.out[d]!.room() > 0) return true;
    }
    return false;
  }

  private arm(): void {
    const ctl = this.ctl;
    const seq = slotOf(this.me, S.SEQ);
    Atomics.store(ctl, slotOf(this.me, S.ARMED), 1);
    const v = Atomics.load(ctl, seq);
    if (this.hasInput() || this.canFlush() || this.idle()) {
      Atomics.store(ctl, slotOf(this.me, S.ARMED), 0);
      setImmediate(this.wake);
      return;
    }
    const r = Atomics.waitAsync(ctl, seq, v);
    if (r.async) r.value.then(this.wake);
    else setImmediate(this.wake);
  }

  private readonly wake = (): void => {
    Atomics.store(this.ctl, slotOf(this.me, S.ARMED), 0);
    this.wakeups++;
    try {
      if (this.backlog) this.flush();
      this.drain();
      // Answers go out now, before this shard sleeps again (the queued microtask finds nothing).
      if (this.flushQueued) this.flush();
    } finally {
      this.arm();
    }
  };

  /** Counts drain() calls (receivers refresh per-batch state, like the command clock). */
  drainSeq = 0;

  /** Reads every ring and dispatches complete frames. */
  drain(): void {
    this.drainSeq++;
    for (let src = 0; src < this.n; src++) {
      const r = this.inn[src];
      if (r === null) continue;
      const ib = this.inbox[src]!;
      for (;;) {
        const avail = r.available();
        if (avail > 0) {
          const buf = ib.buf;
          if (ib.pos > 0) {
            if (ib.pos < buf.n) buf.b.copyWithin(0, ib.pos, buf.n);
            buf.n -= ib.pos;
            ib.pos = 0;
          }
          buf.ensure(avail);
          buf.n += r.read(buf.b, buf.n, avail);
        }
        if (r.takeWaiting()) this.bell(src, true);
        this.parse(src, ib);
        if (avail === 0 || r.available() === 0) break;
      }
      if (ib.pos === ib.buf.n) {
        ib.pos = 0;
        ib.buf.n = 0;
        ib.buf.shrink();
      }
    }
  }

  private parse(src: number, ib: Inbox): void {
    const buf = ib.buf;
    const f = this.frame;
    while (buf.n - ib.pos >= HDR) {
      const p = ib.pos;
      const b = buf.b;
      const dv = buf.dv;
      const len = dv.getUint32(p, true);
      if (buf.n - p < len) break;
      ib.pos = p + len;
      f.src = src;
      f.type = b[p + 4]!;
      f.proto = b[p + 5]!;
      f.db = dv.getUint16(p + 6, true);
      f.req = dv.getUint32(p + 8, true);
      f.aux = dv.getUint32(p + 12, true);
      f.cid = dv.getFloat64(p + 16, true);
      f.b = b;
      f.s = p + HDR;
      f.e = p + len;
      this.framesIn++;
      if (!this.handler(f)) this.deferred.push({ src, bytes: Uint8Array.prototype.slice.call(b, p, p + len) });
      // a handler may have made the buffer grow (never: it only reads), keep b current
    }
  }

  /** Offers deferred frames again, in arrival order (those still refused stay deferred). */
  redrive(): void {
    if (this.deferred.length === 0) return;
    const list = this.deferred;
    this.deferred = [];
    const f = this.frame;
    for (const d of list) {
      const b = d.bytes;
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      f.src = d.src;
      f.type = b[4]!;
      f.proto = b[5]!;
      f.db = dv.getUint16(6, true);
      f.req = dv.getUint32(8, true);
      f.aux = dv.getUint32(12, true);
      f.cid = dv.getFloat64(16, true);
      f.b = b;
      f.s = HDR;
      f.e = b.length;
      if (!this.handler(f)) this.deferred.push(d);
    }
  }

  get deferredCount(): number {
    return this.deferred.length;
  }

  // ---- the global lock and shared counters ----------------------------------------------------

  /** Tries to take the cross-shard lock; on failure the shard is woken when it is released. */
  tryMutex(): boolean {
    const ctl = this.ctl;
    Atomics.store(ctl, slotOf(this.me, S.WANT_MUTEX), 1);
    if (Atomics.compareExchange(ctl, G.MUTEX, 0, this.me + 1) === 0) {
      Atomics.store(ctl, slotOf(this.me, S.WANT_MUTEX), 0);
      return true;
    }
    return false;
  }

  /** True when the lock is free (a cheap check before tryMutex). */
  mutexFree(): boolean {
    return Atomics.load(this.ctl, G.MUTEX) === 0;
  }

  releaseMutex(): void {
    const ctl = this.ctl;
    Atomics.store(ctl, G.MUTEX, 0);
    for (let s = 0; s < this.n; s++) {
      if (s !== this.me && Atomics.load(ctl, slotOf(s, S.WANT_MUTEX)) !== 0) this.bell(s, false);
    }
  }

  /** A fresh client id, unique across shards. */
  clientId(): number {
    return Atomics.add(this.ctl, G.CLIENT_ID, 1) + 1;
  }

  getShared(shard: number, field: number): number {
    return Atomics.load(this.ctl, slotOf(shard, field));
  }

  setShared(field: number, v: number): void {
    Atomics.store(this.ctl, slotOf(this.me, field), v);
  }
}
