// The shard router (one per shard worker): decides per command where it runs, forwards it, and
// keeps every client's replies in pipeline order. See docs/SHARDS.md for the whole design.
//
// - A gate in dispatch's chain looks at the key positions of each command (keyspec.ts). Keys
//   all on this shard (or no keys): the command runs here as usual. Keys all on one other
//   shard: the command goes there as a REQ frame carrying the client's id, db and protocol;
//   the owner runs it on a proxy client and answers with the reply bytes. Keys on several
//   shards, and commands with a global meaning, become operations run by coord.ts / global.ts.
// - Replies in order: a forwarded command leaves a slot in the client's reply stream
//   (Home.q). Replies of later local commands are written as usual but held back behind the
//   slot (Home.hold, called by Network.flush) until the slot is filled.
// - The other side: REQ frames feed a proxy client's parser and run through the normal network
//   loop; the proxy's socket is a stand-in whose writes become REPLY frames. Blocking commands
//   block the proxy, so the owning shard blocks on behalf of the client.
// - Cross-shard atomicity: a shard taken by another shard's operation (LOCK ... UNLOCK) runs
//   nothing else: client commands are parked (like CLIENT PAUSE), frames from other shards
//   are deferred; only the lock holder's items run.

import { Argv } from "../resp/argv.ts";
import { CF, Client, type ShardHook } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { call, gates, processCommand, resolve, ROUTED } from "../server/dispatch.ts";
import { isBlockedOnKeys } from "../server/blocking.ts";
import { CMD, type Command } from "../commands/table.ts";
import { commandKeys } from "../commands/keyspec.ts";
import { keySlot, keySlotStr, SLOTS } from "../cluster/slot.ts";
import { dumpPayload, restorePayload } from "../rdb/dump.ts";
import type { RdbOptions } from "../rdb/writer.ts";
import { hubOf } from "../pubsub/hub.ts";
import type { Db, Watcher } from "../store/db.ts";
import { Buf, Rd } from "./codec.ts";
import { F, type Frame, Transport } from "./transport.ts";
import { S, type SharedMem } from "./ring.ts";

/** REQ aux flags. */
export const REQF = {
  /** the sender does not want the reply (WATCH/UNWATCH on behalf of a client) */
  NOREPLY: 1,
  /** CLIENT NO-TOUCH of the client */
  NO_TOUCH: 2,
} as const;

/** Item tags in ASK/LOCK/OP/UNLOCK payloads. */
export const I = {
  /** f64 client id (0: the frame's), u32 db, u8 proto, u8 flags, RESP command -> its reply */
  CMD: 1,
  /** u32 db, key -> u8 exists [f64 expire-at (-1: none), payload] */
  PULL: 2,
  /** u32 db, key, u8 exists [f64 expire-at, payload] -> nothing */
  PUSH: 3,
  /** the client's WATCHes on this shard: check and drop -> u8 dirty */
  WATCH: 4,
  /** drop the client's WATCHes here -> nothing */
  UNWATCH: 5,
  /** u8 what, args -> RESP value (queries answered by the router itself) */
  QUERY: 6,
  /** u8 kind (0 publish, 1 spublish), channel, message -> RESP integer (receivers) */
  PUB: 7,
} as const;

/** CMD item flags. */
export const CMDF = {
  /** run as inside a transaction (blocking commands do not block) */
  TX: 1,
  /** not shown to MONITOR (a piece of a fan-out the client sent once) */
  QUIET: 2,
} as const;

/** CTL frame aux codes. */
export const CTL = {
  MONITORS: 1,
} as const;

/** A key of a cross-shard operation. */
export interface KeyRef {
  db: number;
  key: string;
  owner: number;
}

/** A reply position in a client's stream whose bytes come later. */
export class Slot {
  shard = -1;
  req = 0;
  /** position in c.out while the bytes after it are still there; -1 once they moved out */
  pos = -1;
  done = false;
  reply: Uint8Array | null = null;
  /** replies of later commands, held behind this one */
  after: Uint8Array[] | null = null;
  /** CLIENT REPLY OFF/SKIP was in force for the command */
  skip = false;
  /** the client stopped reading commands until this reply (blocking command, cross-shard op) */
  unblock = false;
  /** rewrites the reply before it is delivered (SCAN cursors) */
  map: ((r: Uint8Array) => Uint8Array) | null = null;
  /** the slot of a pipelined cross-shard operation (Home.pendingOps) */
  op = false;
}

const copyOf = (b: Uint8Array, s: number, e: number): Uint8Array => Uint8Array.prototype.slice.call(b, s, e);

/** Router state of a client on its own shard. */
export class Home implements ShardHook {
  readonly proxy = false;
  q: Slot[] = [];
  /** shards holding a proxy of this client */
  readonly at: Uint8Array;
  /** shards holding WATCHes of this client */
  readonly watch: Uint8Array;
  watching = false;
  nextReq = 1;
  /** pipelined cross-shard operations not done yet: only more of them may run meanwhile */
  pendingOps = 0;
  /** the client's next command waits for pendingOps to reach 0 */
  waitsForOps = false;
  /** QUIT (or a kill of itself) arrived while replies were held: close after them */
  closeAfter = false;

  constructor(n: number) {
    this.at = new Uint8Array(n);
    this.watch = new Uint8Array(n);
  }

  /** Moves the bytes behind open slots out of the reply buffer, then delivers finished slots. */
  hold(c: Client): void {
    const q = this.q;
    if (q.length === 0) return;
    if (c.flags & CF.CLOSE_AFTER_REPLY) {
      this.closeAfter = true;
      c.flags &= ~CF.CLOSE_AFTER_REPLY;
    }
    const out = c.out;
    let end = out.n;
    let i = q.length - 1;
    for (; i >= 0 && q[i]!.pos >= 0; i--) {
      const s = q[i]!;
      if (end > s.pos) (s.after ??= []).push(copyOf(out.b, s.pos, end));
      end = s.pos;
      s.pos = -1;
    }
    if (i >= 0 && end > 0) {
      (q[i]!.after ??= []).push(copyOf(out.b, 0, end));
      end = 0;
    }
    out.n = end;
    while (q.length !== 0 && q[0]!.done) {
      const s = q.shift()!;
      if (!s.skip && s.reply !== null) out.raw(s.reply);
      if (s.after !== null) for (const a of s.after) out.raw(a);
    }
    if (q.length === 0 && this.closeAfter) {
      this.closeAfter = false;
      c.flags |= CF.CLOSE_AFTER_REPLY;
    }
  }
}

/** The stand-in socket of a proxy: what the network layer writes becomes a REPLY frame. */
class ProxySock {
  constructor(private readonly p: Proxy) {}
  write(b: Uint8Array, off = 0, len = b.length - off): number {
    this.p.node.proxyWrote(this.p, b, off, off + len);
    return len;
  }
  end(): void {}
  terminate(): void {}
  pause(): void {}
  resume(): void {}
  setNoDelay(): void {}
}

interface QueuedReq {
  req: number;
  db: number;
  proto: number;
  flags: number;
  bytes: Uint8Array;
}

/** A client of another shard, as this shard sees it. */
export class Proxy implements ShardHook {
  readonly proxy = true;
  readonly c: Client;
  busy = false;
  cur = 0;
  noReply = false;
  queue: QueuedReq[] = [];

  constructor(
    readonly node: Node,
    readonly home: number,
    cid: number,
  ) {
    const srv = node.srv;
    const c = new Client(srv, cid);
    c.out.onError = (msg) => srv.countError(msg);
    c.sock = new ProxySock(this) as unknown as Client["sock"];
    c.addr = `shard${home}`;
    c.shard = this;
    this.c = c;
  }

  hold(): void {}
}

/** Records whether a borrowed key changed while a cross-shard operation ran here. */
export class Touch implements Watcher {
  touched = false;
  watchTouched(): void {
    this.touched = true;
  }
}

/** Decides where a command runs: null (here, as usual), ROUTED, or an error reply. */
export type Route = (c: Client, cmd: Command, a: Argv) => string | null;

/** A cross-shard operation waiting for (or holding) the global lock; run by coord.ts. */
export interface Op {
  kind: number;
  c: Client;
  slot: Slot;
  cmd: Command;
  argv: Argv;
  keys: KeyRef[];
  /** blocking commands polled across shards: absolute ms deadline (0 forever) */
  deadline: number;
  cancelled: ((c: Client) => void) | null;
  /** the special handler of a global command */
  run: ((op: Op) => Promise<Uint8Array>) | null;
}

export class Node {
  readonly t: Transport;
  readonly n: number;
  /** slot -> owning shard */
  readonly owner = new Uint8Array(SLOTS);
  /** shard whose cross-shard operation holds this shard, or -1 */
  lockedBy = -1;
  readonly parked = new Set<Client>();
  readonly proxies = new Map<number, Proxy>();
  private readonly pending = new Map<number, (r: Uint8Array[]) => void>();
  private nextReq = 1;
  readonly routes = new Map<Command, Route>();
  /** commands with a global meaning (inside MULTI they need the sequential EXEC) */
  readonly globals = new Set<Command>();
  /** cross-shard operations waiting for the global lock */
  readonly ops: Op[] = [];
  session = false;
  /** keys (latin1) borrowed from other shards while an operation runs here */
  readonly borrowed = new Set<string>();
  /** runs queued operations (installed by coord.ts) */
  runSession: (() => Promise<void>) | null = null;
  /** client whose commands MONITORs of other shards see, when there are any */
  readonly relay: Client;
  private readyKeys: ((srv: Server) => void) | null = null;
  readonly xfer: RdbOptions;
  /** queries answered by the router (I.QUERY), by code */
  readonly queries = new Map<number, (rd: Rd, out: Buf) => void>();
  /** requested by the supervisor at shutdown */
  onShutdownRequest: ((save: boolean | null) => void) | null = null;
  stats = { forwarded: 0, served: 0, ops: 0, sessions: 0 };

  constructor(
    readonly srv: Server,
    sh: SharedMem,
    readonly me: number,
  ) {
    this.n = sh.n;
    for (let s = 0; s < SLOTS; s++) this.owner[s] = Math.min(this.n - 1, Math.floor((s * this.n) / SLOTS));
    this.t = new Transport(sh, me, this.onFrame, this.idle);
    this.xfer = { compress: false, listFill: srv.enc.listMaxListpackSize, listCompressDepth: 0 };
    const relay = new Client(srv, 0);
    relay.sock = { write: (b: Uint8Array, off = 0, len = b.length - off) => (this.relayMonitor(b, off, off + len), len), end() {}, terminate() {} } as unknown as Client["sock"];
    this.relay = relay;
  }

  /** Slot range [first, last] owned by a shard. */
  range(shard: number): [number, number] {
    let first = -1;
    let last = -1;
    for (let s = 0; s < SLOTS; s++) {
      if (this.owner[s] !== shard) continue;
      if (first < 0) first = s;
      last = s;
    }
    return [first, last];
  }

  ownerOfArg(a: Argv, i: number): number {
    return this.owner[keySlot(a.buf, a.offs[i * 2]!, a.offs[i * 2 + 1]!)]!;
  }

  ownerOfKey(key: string): number {
    return this.owner[keySlotStr(key)]!;
  }

  /** Hooks into the server: the gate, client ids, disconnects, blocked-client wake-ups. */
  install(): void {
    const srv = this.srv;
    gates.push(this.gate);
    srv.allocClientId = () => this.t.clientId();
    srv.hooks.clientClosed.push((c) => this.clientClosed(c));
    // Clients blocked on keys are served after an operation that holds this shard, not in
    // the middle of it (Redis serves them after the command / EXEC / script).
    this.readyKeys = srv.hooks.readyKeys;
    srv.hooks.readyKeys = (s) => {
      if (this.lockedBy === -1) this.readyKeys?.(s);
    };
    this.t.start();
  }

  // ---- the gate ------------------------------------------------------------------------------

  private readonly gate = (c: Client, cmd: Command, a: Argv): string | null => {
    const h = c.shard;
    if (h !== null && h.proxy) return null;
    if (this.lockedBy !== -1) {
      this.park(c);
      return ROUTED;
    }
    if (h !== null && (h as Home).pendingOps !== 0 && !((c.flags & CF.MULTI) === 0 && this.spansShards(cmd, a))) {
      // After a pipelined cross-shard operation only more of them may go ahead (they queue in
      // order); anything else waits until they are done.
      (h as Home).waitsForOps = true;
      c.parser.unread();
      c.flags |= CF.BLOCKED;
      return ROUTED;
    }
    if (c.flags & CF.MULTI) return this.inMulti(c, cmd, a);
    const r = this.routes.get(cmd);
    return r === undefined ? null : r(c, cmd, a);
  };

  /** Set by coord.ts: what MULTI-time commands do (EXEC, DISCARD). */
  inMulti: (c: Client, cmd: Command, a: Argv) => string | null = () => null;

  /** True for a plain command (not global) whose keys live on several shards. */
  spansShards(cmd: Command, a: Argv): boolean {
    if (this.globals.has(cmd) || (cmd.flags & (CMD.BLOCKING | CMD.PUBSUB)) !== 0 || !this.routes.has(cmd)) return false;
    const idx = this.keyIndexes(cmd, a);
    if (idx === null) return false;
    let owner = -1;
    for (const i of idx) {
      if (i >= a.argc) continue;
      const o = this.ownerOfArg(a, i);
      if (owner === -1) owner = o;
      else if (o !== owner) return true;
    }
    return false;
  }

  /** The route of a command with keys: here, one other shard, or a cross-shard operation. */
  keyedRoute(cmd: Command, cross: (c: Client, cmd: Command, a: Argv) => string | null): Route {
    const movable = (cmd.flags & CMD.MOVABLE_KEYS) !== 0 || cmd.first <= 0;
    const first = cmd.first;
    const last = cmd.last;
    const step = cmd.step;
    const blocking = (cmd.flags & CMD.BLOCKING) !== 0;
    const me = this.me;
    return (c, _cmd, a) => {
      let owner = -1;
      if (!movable) {
        const argc = a.argc;
        const end = last < 0 ? argc + last : Math.min(last, argc - 1);
        for (let i = first; i <= end; i += step) {
          const o = this.ownerOfArg(a, i);
          if (owner === -1) owner = o;
          else if (o !== owner) return cross(c, cmd, a);
        }
      } else {
        const keys = commandKeys(cmd, a);
        if (keys === null) return null;
        for (let k = 0; k < keys.length; k++) {
          const o = this.ownerOfArg(a, keys[k]!);
          if (owner === -1) owner = o;
          else if (o !== owner) return cross(c, cmd, a);
        }
      }
      if (owner === -1 || owner === me) return null;
      this.forward(c, owner, a, blocking);
      return ROUTED;
    };
  }

  // ---- forwarding (this shard is the client's) -------------------------------------------------

  home(c: Client): Home {
    const h = c.shard;
    if (h !== null) return h as Home;
    const n = new Home(this.n);
    c.shard = n;
    return n;
  }

  /** A slot at the current end of the client's replies. */
  newSlot(c: Client, shard: number, req: number): Slot {
    const h = this.home(c);
    const s = new Slot();
    s.shard = shard;
    s.req = req;
    s.pos = c.out.n;
    s.skip = (c.flags & (CF.REPLY_OFF | CF.REPLY_SKIP)) !== 0;
    h.q.push(s);
    return s;
  }

  private meta(c: Client, h: Home, dst: number): void {
    h.at[dst] = 1;
    const w = this.t.begin(dst, F.META, c.id, 0, 0, 0, 0);
    w.str(c.addr);
    w.str(c.name);
    this.t.end(dst);
  }

  /** Sends the command to `dst`; its reply takes the command's place in the client's stream. */
  forward(c: Client, dst: number, a: Argv, blocking: boolean): Slot {
    const h = this.home(c);
    if (h.at[dst] === 0) this.meta(c, h, dst);
    const req = h.nextReq++;
    const w = this.t.begin(dst, F.REQ, c.id, req, c.dbIndex, c.proto, c.flags & CF.NO_TOUCH ? REQF.NO_TOUCH : 0);
    w.argv(a);
    this.t.end(dst);
    this.stats.forwarded++;
    const s = this.newSlot(c, dst, req);
    if (blocking) {
      // The owner may block on the client's behalf: nothing else of this client may run first.
      s.unblock = true;
      c.flags |= CF.BLOCKED;
    }
    return s;
  }

  /** Runs a command for the client on another shard without wanting its reply. */
  sendNoReply(c: Client, dst: number, args: (string | Uint8Array)[]): void {
    const h = this.home(c);
    if (h.at[dst] === 0) this.meta(c, h, dst);
    const w = this.t.begin(dst, F.REQ, c.id, 0, c.dbIndex, c.proto, REQF.NOREPLY);
    w.args(args);
    this.t.end(dst);
  }

  /** Writes a reply now (no slot pending) or as a finished slot behind the pending ones. */
  deliver(c: Client, bytes: Uint8Array): void {
    const h = c.shard;
    if (h === null || h.proxy || (h as Home).q.length === 0) {
      c.out.raw(bytes);
      return;
    }
    const s = this.newSlot(c, -1, 0);
    s.done = true;
    s.reply = bytes;
  }

  /**
   * Fills a slot. The reply buffer is only rearranged by Home.hold, which the network layer
   * calls before each write: there the filled slots at the front are delivered.
   */
  complete(c: Client, s: Slot, bytes: Uint8Array | null, view: boolean): void {
    if (s.done) return;
    s.done = true;
    if (bytes !== null) s.reply = s.map !== null ? s.map(bytes) : view ? copyOf(bytes, 0, bytes.length) : bytes;
    if (!this.alive(c)) return;
    this.srv.markDirty(c);
    if (s.op) {
      const h = c.shard as Home;
      if (--h.pendingOps === 0 && h.waitsForOps) {
        h.waitsForOps = false;
        c.flags &= ~CF.BLOCKED;
        this.srv.net?.resume(c);
      }
    }
    if (s.unblock) {
      s.unblock = false;
      c.flags &= ~CF.BLOCKED;
      this.srv.net?.resume(c);
    }
  }

  alive(c: Client): boolean {
    return (c.flags & CF.CLOSE_ASAP) === 0 && this.srv.clients.get(c.id) === c;
  }

  private onReply(f: Frame): void {
    const c = this.srv.clients.get(f.cid);
    if (c === undefined) return;
    const h = c.shard as Home | null;
    if (h === null || h.proxy) return;
    const q = h.q;
    for (let i = 0; i < q.length; i++) {
      const s = q[i]!;
      if (s.shard === f.src && s.req === f.req && !s.done) {
        this.complete(c, s, f.b.subarray(f.s, f.e), true);
        return;
      }
    }
  }

  /** Parks a client's command until this shard is released (like CLIENT PAUSE). */
  park(c: Client): void {
    c.parser.unread();
    c.flags |= CF.BLOCKED;
    this.parked.add(c);
  }

  private unparkAll(): void {
    if (this.parked.size === 0) return;
    const list = [...this.parked];
    this.parked.clear();
    for (const c of list) {
      c.flags &= ~CF.BLOCKED;
      this.srv.net?.resume(c);
    }
  }

  private clientClosed(c: Client): void {
    this.parked.delete(c);
    const h = c.shard;
    if (h === null || h.proxy) return;
    const home = h as Home;
    for (let d = 0; d < this.n; d++) {
      if (home.at[d] === 0) continue;
      this.t.begin(d, F.CLOSE, c.id, 0, 0, 0, 0);
      this.t.end(d);
    }
    if (this.srv.monitors.size !== 0 || c.flags & CF.MONITOR) queueMicrotask(() => this.syncMonitors());
  }

  // ---- proxies (this shard owns the keys) ------------------------------------------------------

  private proxyFor(cid: number, home: number): Proxy {
    let p = this.proxies.get(cid);
    if (p === undefined) {
      p = new Proxy(this, home, cid);
      this.proxies.set(cid, p);
    }
    return p;
  }

  private onReq(f: Frame): void {
    const p = this.proxyFor(f.cid, f.src);
    if (p.busy || p.queue.length !== 0) {
      p.queue.push({ req: f.req, db: f.db, proto: f.proto, flags: f.aux, bytes: copyOf(f.b, f.s, f.e) });
      return;
    }
    this.runReq(p, f.req, f.db, f.proto, f.aux, f.b.subarray(f.s, f.e));
  }

  /**
   * Runs a forwarded command on its proxy: the gate chain and call() as for a socket client
   * (without the socket loop: the command is already parsed). A reply written now goes home
   * at once; a command that blocks answers later through the proxy's socket stand-in.
   */
  private runReq(p: Proxy, req: number, db: number, proto: number, flags: number, bytes: Uint8Array): void {
    const c = p.c;
    const srv = this.srv;
    p.busy = true;
    p.cur = req;
    p.noReply = (flags & REQF.NOREPLY) !== 0;
    if (c.dbIndex !== db) c.select(db);
    c.out.proto = proto;
    if (flags & REQF.NO_TOUCH) c.flags |= CF.NO_TOUCH;
    else c.flags &= ~CF.NO_TOUCH;
    this.stats.served++;
    // The command clock, once per batch of frames (as the network loop does per read).
    if (this.clockSeq !== this.t.drainSeq) {
      this.clockSeq = this.t.drainSeq;
      const now = performance.now();
      srv.clock = now;
      srv.ks.setNow(srv.ks.clockOffset + now);
    }
    const a = argvInto(this.scratch, bytes);
    const out = c.out;
    const mark = out.n;
    processCommand(c, a);
    if (c.flags & CF.BLOCKED) {
      // Held by CLIENT PAUSE (not blocked on keys): it runs again from the parser when resumed.
      if (!isBlockedOnKeys(c)) c.parser.feed(copyOf(bytes, 0, bytes.length));
      return;
    }
    const end = out.n;
    out.n = mark;
    this.proxyWrote(p, out.b, mark, end);
    if (srv.dirty.size !== 0) srv.flushDirty();
  }

  private clockSeq = -1;
  private readonly scratch = new Argv();

  /** The proxy's reply went out: send it home, then run the proxy's next queued request. */
  proxyWrote(p: Proxy, b: Uint8Array, s: number, e: number): void {
    if (!p.busy) return;
    if (!p.noReply) {
      const w = this.t.begin(p.home, F.REPLY, p.c.id, p.cur, 0, 0, 0);
      w.raw(b, s, e);
      this.t.end(p.home);
    }
    p.busy = false;
    if (p.queue.length !== 0 && !this.pumping) queueMicrotask(() => this.pump(p));
  }

  private pumping = false;

  private pump(p: Proxy): void {
    this.clockSeq = -1;
    this.pumping = true;
    try {
      this.pumpQueue(p);
    } finally {
      this.pumping = false;
    }
  }

  private pumpQueue(p: Proxy): void {
    while (!p.busy && p.queue.length !== 0 && this.proxies.get(p.c.id) === p) {
      if (this.lockedBy !== -1) {
        // Runs after the release (the queue keeps its order).
        return;
      }
      const q = p.queue.shift()!;
      this.runReq(p, q.req, q.db, q.proto, q.flags, q.bytes);
    }
  }

  private dropProxy(cid: number): void {
    const p = this.proxies.get(cid);
    if (p === undefined) return;
    this.proxies.delete(cid);
    const srv = this.srv;
    const c = p.c;
    c.flags |= CF.CLOSE_ASAP;
    srv.monitors.delete(c);
    srv.dirty.delete(c);
    for (const f of srv.hooks.clientClosed) f(c);
  }

  // ---- frames ----------------------------------------------------------------------------------

  private readonly onFrame = (f: Frame): boolean => {
    try {
      return this.frame(f);
    } catch (e) {
      this.srv.log.warning(`shard ${this.me}: frame ${f.type} from shard ${f.src} failed: ${(e as Error)?.stack ?? e}`);
      return true;
    }
  };

  private frame(f: Frame): boolean {
    switch (f.type) {
      case F.REPLY:
        this.onReply(f);
        return true;
      case F.RESULT:
        this.onResult(f);
        return true;
      case F.MON:
        this.onMonitorLine(f);
        return true;
      case F.CTL:
        this.onCtl(f);
        return true;
      case F.META: {
        const p = this.proxyFor(f.cid, f.src);
        const rd = new Rd(f.b, f.s, f.e);
        p.c.addr = rd.str();
        p.c.name = rd.str();
        return true;
      }
    }
    if (this.lockedBy !== -1) {
      if (f.src !== this.lockedBy) return false;
      if (f.type === F.OP) {
        this.runItems(f, f.req !== 0);
        return true;
      }
      if (f.type === F.UNLOCK) {
        this.runItems(f, false);
        this.release();
        return true;
      }
      return false;
    }
    switch (f.type) {
      case F.REQ:
        this.onReq(f);
        return true;
      case F.ASK:
        this.runItems(f, f.req !== 0);
        return true;
      case F.LOCK:
        this.take(f.src);
        this.runItems(f, true);
        return true;
      case F.CLOSE:
        this.dropProxy(f.cid);
        return true;
      default:
        this.srv.log.warning(`shard ${this.me}: unexpected frame ${f.type} from shard ${f.src}`);
        return true;
    }
  }

  /** This shard now belongs to `owner`'s operation. */
  take(owner: number): void {
    this.lockedBy = owner;
    this.srv.ks.frozen++;
  }

  /** The operation holding this shard is over. */
  release(): void {
    this.lockedBy = -1;
    const srv = this.srv;
    srv.ks.frozen--;
    srv.ks.tick();
    if (srv.ks.readyKeys.length !== 0) this.readyKeys?.(srv);
    this.unparkAll();
    this.t.redrive();
    for (const p of this.proxies.values()) if (!p.busy && p.queue.length !== 0) queueMicrotask(() => this.pump(p));
    this.kick();
  }

  // ---- requests to other shards (operations, fan-outs) ------------------------------------------

  /** Sends items (ASK/LOCK/OP) and resolves with one result per answering item. */
  request(dst: number, type: number, items: Buf | null, cid: number): Promise<Uint8Array[]> {
    this.proxyAt(cid, dst);
    const req = this.nextReq++;
    if (this.nextReq > 0x7fffffff) this.nextReq = 1;
    const w = this.t.begin(dst, type, cid, req, 0, 0, 0);
    if (items !== null) w.raw(items.b, 0, items.n);
    this.t.end(dst);
    return new Promise((res) => this.pending.set(req, res));
  }

  /** Sends items without wanting an answer (UNLOCK, ASK/OP with req 0). */
  send(dst: number, type: number, items: Buf | null, cid: number): void {
    this.proxyAt(cid, dst);
    const w = this.t.begin(dst, type, cid, 0, 0, 0, 0);
    if (items !== null) w.raw(items.b, 0, items.n);
    this.t.end(dst);
  }

  /** Items for a client may make it a proxy on dst: its disconnect must reach dst then. */
  proxyAt(cid: number, dst: number): void {
    if (cid === 0) return;
    const c = this.srv.clients.get(cid);
    if (c !== undefined) {
      const h = this.home(c);
      if (h.at[dst] === 0) this.meta(c, h, dst);
    }
  }

  private onResult(f: Frame): void {
    const res = this.pending.get(f.req);
    if (res === undefined) return;
    this.pending.delete(f.req);
    const out: Uint8Array[] = [];
    const rd = new Rd(f.b, f.s, f.e);
    while (!rd.done) {
      const v = rd.bytes();
      out.push(copyOf(v, 0, v.length));
    }
    res(out);
  }

  /** Runs the items of an ASK/LOCK/OP/UNLOCK frame; answers with a RESULT when asked. */
  private runItems(f: Frame, answer: boolean): void {
    const rd = new Rd(f.b, f.s, f.e);
    const res = answer ? new Buf(256) : null;
    const cid = f.cid;
    const src = f.src;
    while (!rd.done) {
      const tag = rd.u8();
      try {
        this.item(tag, rd, res, cid, src);
      } catch (e) {
        this.srv.log.warning(`shard ${this.me}: item ${tag} from shard ${src} failed: ${(e as Error)?.stack ?? e}`);
        // The rest of the frame cannot be trusted: answer what is missing with errors.
        res?.bytes(Buffer.from(`-ERR shard ${this.me}: ${(e as Error)?.message ?? e}\r\n`));
        break;
      }
    }
    if (res !== null) {
      const w = this.t.begin(src, F.RESULT, cid, f.req, 0, 0, 0);
      w.raw(res.b, 0, res.n);
      this.t.end(src);
    }
  }

  private item(tag: number, rd: Rd, res: Buf | null, cid: number, src: number): void {
    switch (tag) {
      case I.CMD: {
        const who = rd.f64();
        const db = rd.u32();
        const proto = rd.u8();
        const flags = rd.u8();
        const cmd = rd.resp();
        const r = this.execItem(this.proxyFor(who === 0 ? cid : who, src).c, db, proto, flags, cmd);
        res?.bytes(r);
        break;
      }
      case I.PULL: {
        const db = rd.u32();
        const key = rd.str();
        const r = this.pull(db, key);
        res?.bytes(r);
        break;
      }
      case I.PUSH: {
        const db = rd.u32();
        const key = rd.str();
        const exists = rd.u8();
        if (exists) {
          const exp = rd.f64();
          this.push(db, key, rd.bytes(), exp);
        } else this.push(db, key, null, -1);
        break;
      }
      case I.WATCH: {
        const dirty = this.watchCheck(cid, src);
        res?.bytes(new Uint8Array([dirty ? 1 : 0]));
        break;
      }
      case I.UNWATCH: {
        const p = this.proxies.get(cid);
        if (p !== undefined) this.execItem(p.c, p.c.dbIndex, 2, CMDF.QUIET, UNWATCH);
        break;
      }
      case I.QUERY: {
        const what = rd.u8();
        const q = this.queries.get(what);
        const out = new Buf(256);
        if (q === undefined) out.raw(Buffer.from(`-ERR unknown shard query ${what}\r\n`));
        else q(rd, out);
        res?.bytes(out.b, 0, out.n);
        break;
      }
      case I.PUB: {
        const kind = rd.u8();
        const ch = rd.str();
        const msg = rd.bytes();
        const hub = hubOf(this.srv);
        const n = kind === 1 ? hub.spublish(ch, msg) : hub.publish(ch, msg);
        res?.bytes(Buffer.from(`:${n}\r\n`));
        break;
      }
      default:
        throw new Error(`shard ${this.me}: bad item ${tag} from shard ${src}`);
    }
  }

  /** Runs one command on a client (a proxy, or a local client for the local part of an operation); returns its reply. */
  execItem(c: Client, db: number, proto: number, flags: number, cmdBytes: Uint8Array): Uint8Array {
    const a = argvOf(cmdBytes);
    if (c.dbIndex !== db) c.select(db);
    const saveProto = c.out.proto;
    c.out.proto = proto;
    const r = this.runLocal(c, null, a, flags);
    c.out.proto = saveProto;
    return r;
  }

  /**
   * Runs a command here on client c and returns the reply bytes (taken back out of c.out).
   * cmd null: resolve it from argv (unknown commands and arity errors become the reply).
   */
  runLocal(c: Client, cmd: Command | null, a: Argv, flags: number): Uint8Array {
    const srv = this.srv;
    const out = c.out;
    const mark = out.n;
    const resolved = cmd ?? resolve(srv, c, a);
    if (resolved !== null) {
      const multi = c.flags & CF.MULTI;
      if (flags & CMDF.TX) c.flags |= CF.MULTI;
      let saved: Client[] | null = null;
      if (flags & CMDF.QUIET && srv.monitors.size !== 0) {
        saved = [...srv.monitors];
        srv.monitors.clear();
      }
      try {
        call(c, resolved, a);
      } finally {
        if (flags & CMDF.TX && !multi) c.flags &= ~CF.MULTI;
        if (saved !== null) for (const m of saved) srv.monitors.add(m);
      }
      if (srv.ks.readyKeys.length !== 0) srv.hooks.readyKeys?.(srv);
    }
    const r = copyOf(out.b, mark, out.n);
    out.n = mark;
    return r;
  }

  private pull(dbi: number, key: string): Uint8Array {
    const db = this.srv.ks.dbs[dbi];
    const v = db?.lookup(key);
    const w = new Buf(64);
    if (db === undefined || v === undefined) {
      w.u8(0);
    } else {
      w.u8(1);
      w.f64(db.getExpire(key) ?? -1);
      w.raw(dumpPayload(v, this.xfer));
    }
    return w.b.subarray(0, w.n);
  }

  /** Applies a key's new state written back by an operation (a PUSH item). */
  push(dbi: number, key: string, payload: Uint8Array | null, exp: number): void {
    const srv = this.srv;
    const db = srv.ks.dbs[dbi];
    if (db === undefined) return;
    db.remove(key);
    if (payload !== null) {
      db.add(key, restorePayload(payload, { lim: srv.enc }));
      if (exp >= 0) db.setExpire(key, exp);
    }
    srv.ks.modified(db, key);
    srv.ks.dirty++;
  }

  /** I.WATCH: did a key the client watches here change? Drops its watches (EXEC does too). */
  private watchCheck(cid: number, src: number): boolean {
    const p = this.proxyFor(cid, src);
    const c = p.c;
    this.execItem(c, c.dbIndex, 2, CMDF.QUIET, MULTI);
    const r2 = this.execItem(c, c.dbIndex, 2, CMDF.QUIET, EXEC);
    // An empty transaction answers *0; a watched key that changed makes it *-1.
    return r2[1] === 45;
  }

  // ---- borrowed keys (an operation run here with keys of other shards) --------------------------

  /** Installs a key pulled from its owner; returns its change tracker. */
  borrow(db: Db, key: string, pulled: Uint8Array): Touch {
    const ks = this.srv.ks;
    const events = ks.events.flags;
    ks.events.flags = 0;
    try {
      db.remove(key);
      if (pulled[0] === 1) {
        const rd = new Rd(pulled, 1, pulled.length);
        const exp = rd.f64();
        db.add(key, restorePayload(pulled.subarray(9), { lim: this.srv.enc }));
        if (exp >= 0) db.setExpire(key, exp);
      }
    } finally {
      ks.events.flags = events;
    }
    const t = new Touch();
    if (db.watched === null) db.watched = new Map();
    let set = db.watched.get(key);
    if (set === undefined) db.watched.set(key, (set = new Set()));
    set.add(t);
    this.borrowed.add(key);
    return t;
  }

  /** Takes a borrowed key back out: its PUSH item when it changed, then removes it silently. */
  giveBack(db: Db, key: string, t: Touch, out: Buf | null): void {
    const set = db.watched?.get(key);
    if (set !== undefined) {
      set.delete(t);
      if (set.size === 0) {
        db.watched!.delete(key);
        if (db.watched!.size === 0) db.watched = null;
      }
    }
    this.borrowed.delete(key);
    const tab = db.dict;
    const id = tab.find(key);
    if (t.touched && out !== null) {
      out.u8(I.PUSH);
      out.u32(db.id);
      out.str(key);
      if (id < 0) out.u8(0);
      else {
        out.u8(1);
        const e = tab.expOf(id);
        out.f64(e === 0 ? -1 : e);
        out.bytes(dumpPayload(tab.valueOf(id), this.xfer));
      }
    }
    if (id >= 0) db.removeId(id, key);
  }

  // ---- the global lock -------------------------------------------------------------------------

  /** Queues a cross-shard operation; the client waits for it. */
  startOp(op: Op, pipelined = false): void {
    const c = op.c;
    if (pipelined) {
      // Later commands of the client wait in the gate (more cross-shard operations queue).
      op.slot.op = true;
      this.home(c).pendingOps++;
    } else {
      op.slot.unblock = true;
      c.flags |= CF.BLOCKED;
    }
    this.ops.push(op);
    this.kick();
  }

  /** Starts running queued operations if the global lock can be had. */
  kick(): void {
    if (this.session || this.ops.length === 0 || this.lockedBy !== -1 || this.runSession === null) return;
    if (!this.t.tryMutex()) return;
    this.session = true;
    this.stats.sessions++;
    void this.runSession();
  }

  private readonly idle = (): boolean => {
    if (!this.session && this.ops.length !== 0 && this.lockedBy === -1 && this.t.mutexFree()) this.kick();
    return false;
  };

  // ---- MONITOR across shards -------------------------------------------------------------------

  /** Publishes this shard's MONITOR count and tells the others. */
  syncMonitors(): void {
    const srv = this.srv;
    let n = srv.monitors.size;
    if (srv.monitors.has(this.relay)) n--;
    if (n === this.t.getShared(this.me, S.MONITORS)) return;
    this.t.setShared(S.MONITORS, n);
    for (let d = 0; d < this.n; d++) {
      if (d === this.me) continue;
      this.t.begin(d, F.CTL, 0, 0, 0, 0, CTL.MONITORS);
      this.t.end(d);
    }
  }

  private onCtl(f: Frame): void {
    if (f.aux === CTL.MONITORS) this.updateRelay();
  }

  updateRelay(): void {
    let others = 0;
    for (let d = 0; d < this.n; d++) if (d !== this.me) others += this.t.getShared(d, S.MONITORS);
    if (others > 0) this.srv.monitors.add(this.relay);
    else this.srv.monitors.delete(this.relay);
  }

  private relayMonitor(b: Uint8Array, s: number, e: number): void {
    for (let d = 0; d < this.n; d++) {
      if (d === this.me || this.t.getShared(d, S.MONITORS) === 0) continue;
      const w = this.t.begin(d, F.MON, 0, 0, 0, 0, 0);
      w.raw(b, s, e);
      this.t.end(d);
    }
  }

  private onMonitorLine(f: Frame): void {
    const srv = this.srv;
    for (const m of srv.monitors) {
      if (m === this.relay) continue;
      m.out.raw(f.b.subarray(f.s, f.e));
      srv.markDirty(m);
    }
  }

  /** Keys (positions into argv) of a command; null when its arguments are invalid. */
  keyIndexes(cmd: Command, a: Argv): number[] | null {
    if ((cmd.flags & CMD.MOVABLE_KEYS) === 0 && cmd.first > 0) {
      const out: number[] = [];
      const end = cmd.last < 0 ? a.argc + cmd.last : Math.min(cmd.last, a.argc - 1);
      for (let i = cmd.first; i <= end; i += cmd.step) out.push(i);
      return out;
    }
    return commandKeys(cmd, a);
  }
}

const MULTI = Buffer.from("*1\r\n$5\r\nMULTI\r\n");
const EXEC = Buffer.from("*1\r\n$4\r\nEXEC\r\n");
const UNWATCH = Buffer.from("*1\r\n$7\r\nUNWATCH\r\n");

/** An Argv over a RESP multibulk (as the sender encoded it). */
export function argvOf(b: Uint8Array): Argv {
  return argvInto(new Argv(), b);
}

/** Points `a` at the RESP multibulk in b (no copy). */
export function argvInto(a: Argv, b: Uint8Array): Argv {
  let p = 1;
  let n = 0;
  while (b[p] !== 13) n = n * 10 + (b[p++]! - 48);
  p += 2;
  const offs = a.offs.length >= n * 2 ? a.offs : new Int32Array(Math.max(2, n * 2));
  for (let i = 0; i < n; i++) {
    p++; // '$'
    let len = 0;
    while (b[p] !== 13) len = len * 10 + (b[p++]! - 48);
    p += 2;
    offs[i * 2] = p;
    offs[i * 2 + 1] = p + len;
    p += len + 2;
  }
  a.buf = b;
  a.offs = offs;
  a.argc = n;
  return a;
}

