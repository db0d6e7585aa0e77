// Cross-shard operations: commands whose keys live on several shards, MULTI/EXEC and scripts
// touching several shards, blocking commands waiting on keys of several shards, and the
// global commands that need every shard (run by global.ts through the same session).
//
// The protocol (docs/SHARDS.md has the reasoning):
// 1. The shard that received the command queues an Op and takes the global lock, a word in
//    the shared control block (compare-and-swap; a shard that fails is woken when it frees).
//    At most one cross-shard operation runs at a time, so shards are always taken in one
//    order and no deadlock can form.
// 2. It sends LOCK to every shard that owns a key of the operation. A locked shard stops
//    running anything else (client commands are parked, other shards' frames deferred) and
//    answers the LOCK's items: the current values of the keys (DUMP payloads) or the result
//    of a piece of the command (MSET/MGET/DEL/EXISTS/TOUCH/UNLINK are split per shard).
// 3. With all answers in, the coordinator installs the borrowed keys in its own keyspace and
//    runs the command exactly as a single server would (EXEC, EVAL and friends included).
// 4. UNLOCK carries the new state of every borrowed key that changed (PUSH items); the owner
//    applies it (invalidating WATCHes, waking blocked clients) and resumes.
// No shard can observe an intermediate state: every shard involved is held from before the
// coordinator reads until after the owners applied the writes.

import { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import { ROUTED } from "../server/dispatch.ts";
import { CMD, type Command } from "../commands/table.ts";
import { aggHead, Buf, intReplyAt, isNullReply, respEnd } from "./codec.ts";
import { F } from "./transport.ts";
import { CMDF, Home, I, type KeyRef, type Node, type Op, type Route, type Touch } from "./router.ts";

export const OP = {
  /** borrow the keys, run here, write back */
  PULL: 1,
  /** run a piece on each shard (MSET MGET DEL UNLINK EXISTS TOUCH) */
  SPLIT: 2,
  /** a blocking command over several shards: PULL as if in a transaction, again until data or timeout */
  POLL: 3,
  /** EXEC of a transaction with global commands: every shard held, one command at a time */
  SEQ: 4,
  /** a global command (global.ts) */
  GLOBAL: 5,
} as const;

const SPLITTABLE = new Set(["mset", "mget", "del", "unlink", "exists", "touch"]);

/** Global commands run inside a sequential EXEC (set by global.ts). */
export type LockedRun = (node: Node, c: Client, cmd: Command, a: Argv, mode: Mode) => Promise<Uint8Array>;
export const lockedRuns = new Map<Command, LockedRun>();

/** How a fan-out reaches the other shards: ASK (no lock), LOCK (take them), OP (already held). */
export type Mode = "ask" | "lock" | "op";

const enc = (s: string): Uint8Array => Buffer.from(s, "latin1");
const errBytes = (msg: string): Uint8Array => enc(`-${msg}\r\n`);

// ---- key references ------------------------------------------------------------------------

/** The keys a command touches, with their db (COPY ... DB n and MOVE reach a second db). */
export function keyRefs(node: Node, cmd: Command, a: Argv, db: number, out: KeyRef[]): void {
  const idx = node.keyIndexes(cmd, a);
  if (idx === null) return;
  let dstDb = db;
  if (cmd.name === "copy") {
    for (let i = 3; i + 1 < a.argc; i++) {
      if (a.is(i, "db")) {
        const v = Number(a.str(i + 1));
        if (Number.isInteger(v) && v >= 0 && v < node.srv.ks.dbs.length) dstDb = v;
      }
    }
  }
  for (const i of idx) {
    if (i >= a.argc) continue;
    const key = a.str(i);
    const d = cmd.name === "copy" && i === 2 ? dstDb : db;
    add(out, d, key, node.ownerOfKey(key));
    if (cmd.name === "move" && i === 1) {
      const v = Number(a.str(2));
      if (Number.isInteger(v) && v >= 0 && v < node.srv.ks.dbs.length) add(out, v, key, node.ownerOfKey(key));
    }
  }
}

function add(out: KeyRef[], db: number, key: string, owner: number): void {
  for (const k of out) if (k.db === db && k.key === key) return;
  out.push({ db, key, owner });
}

// ---- routes --------------------------------------------------------------------------------

/** The route of a command whose keys span shards. */
function cross(node: Node, c: Client, cmd: Command, a: Argv): string | null {
  const name = cmd.name;
  let kind: number = OP.PULL;
  let deadline = 0;
  const keys: KeyRef[] = [];
  // MSET with a key but no value: the command's own arity error, here.
  if (name === "mset" && (a.argc & 1) === 0) return null;
  if (SPLITTABLE.has(name)) kind = OP.SPLIT;
  else {
    keyRefs(node, cmd, a, c.dbIndex, keys);
    if (cmd.flags & CMD.BLOCKING) {
      const t = blockTimeout(name, a);
      if (t !== null) {
        kind = OP.POLL;
        deadline = t === 0 ? 0 : Date.now() + t;
      }
    }
  }
  const slot = node.newSlot(c, -1, 0);
  const op: Op = { kind, c, slot, cmd, argv: a.clone(), keys, deadline, cancelled: null, run: null };
  if (kind === OP.POLL) polling.set(op, null);
  node.startOp(op, kind !== OP.POLL);
  return ROUTED;
}

/** Timeout in ms of a blocking command (0 forever); null when it will not block (or is invalid: the command reports it). */
function blockTimeout(name: string, a: Argv): number | null {
  let s: string;
  let ms = false;
  if (name === "blmpop" || name === "bzmpop") s = a.str(1);
  else if (name === "xread" || name === "xreadgroup") {
    let found: string | null = null;
    for (let i = 1; i < a.argc - 1; i++) {
      if (a.is(i, "streams")) break;
      if (a.is(i, "block")) found = a.str(i + 1);
    }
    if (found === null) return null;
    s = found;
    ms = true;
  } else s = a.str(a.argc - 1);
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) return null;
  return ms ? Math.floor(v) : Math.ceil(v * 1000);
}

/** Drops the client's WATCHes on other shards. */
export function unwatchRemote(node: Node, c: Client): void {
  const h = c.shard;
  if (h === null || h.proxy) return;
  const home = h as Home;
  if (!home.watching) return;
  for (let d = 0; d < node.n; d++) {
    if (home.watch[d] === 0) continue;
    node.sendNoReply(c, d, ["UNWATCH"]);
    home.watch[d] = 0;
  }
  home.watching = false;
}

function watchShards(node: Node, c: Client): number[] {
  const h = c.shard;
  if (h === null || h.proxy) return [];
  const home = h as Home;
  if (!home.watching) return [];
  const out: number[] = [];
  for (let d = 0; d < node.n; d++) if (home.watch[d] !== 0) out.push(d);
  return out;
}

function clearWatches(c: Client): void {
  const h = c.shard;
  if (h === null || h.proxy) return;
  const home = h as Home;
  home.watch.fill(0);
  home.watching = false;
}

const execArgv = Argv.of(["EXEC"]);

export function installCoord(node: Node): void {
  const srv = node.srv;
  node.runSession = () => runSession(node);
  const execCmd = srv.table.byName("exec")!;
  node.inMulti = (c, cmd, a) => {
    if (cmd === execCmd) return execRoute(node, c, cmd, a);
    if (cmd.name === "discard" || cmd.name === "reset") unwatchRemote(node, c);
    if (node.globals.has(cmd) && cmd.name === "scan") return null;
    return null;
  };
  const me = node.me;
  const set = (name: string, r: Route) => {
    const cmd = srv.table.byName(name);
    if (cmd) node.routes.set(cmd, r);
  };
  set("watch", (c, _cmd, a) => {
    const groups = new Map<number, string[]>();
    for (let i = 1; i < a.argc; i++) {
      const o = node.ownerOfArg(a, i);
      if (o === me) continue;
      let g = groups.get(o);
      if (g === undefined) groups.set(o, (g = ["WATCH"]));
      g.push(a.str(i));
    }
    if (groups.size !== 0) {
      // The owners register the keys before this WATCH answers (its OK waits behind them).
      const h = node.home(c);
      for (const [o, args] of groups) {
        node.forward(c, o, Argv.of(args), false).skip = true;
        h.watch[o] = 1;
      }
      h.watching = true;
    }
    return null;
  });
  const unwatch: Route = (c) => {
    unwatchRemote(node, c);
    return null;
  };
  set("unwatch", unwatch);
  set("reset", unwatch);
  for (const cmd of srv.table.each()) {
    if (cmd.handler === null || node.routes.has(cmd)) continue;
    if (cmd.flags & CMD.PUBSUB) continue;
    if (cmd.first <= 0 && (cmd.flags & CMD.MOVABLE_KEYS) === 0) continue;
    node.routes.set(cmd, node.keyedRoute(cmd, (c, k, a) => cross(node, c, k, a)));
  }
}

function execRoute(node: Node, c: Client, cmd: Command, a: Argv): string | null {
  const remoteWatch = watchShards(node, c).length !== 0;
  if (c.flags & CF.DIRTY_EXEC) {
    if (remoteWatch) unwatchRemote(node, c);
    return null;
  }
  let global = false;
  let foreign = false;
  const keys: KeyRef[] = [];
  let db = c.dbIndex;
  for (const q of c.queued) {
    if (node.globals.has(q.cmd)) {
      global = true;
      break;
    }
    if (q.cmd.name === "select") {
      const v = Number(q.argv.str(1));
      if (Number.isInteger(v) && v >= 0 && v < node.srv.ks.dbs.length) db = v;
      continue;
    }
    keyRefs(node, q.cmd, q.argv, db, keys);
  }
  for (const k of keys) if (k.owner !== node.me) foreign = true;
  if (!global && !foreign && !remoteWatch) return null;
  const slot = node.newSlot(c, -1, 0);
  node.startOp({ kind: global ? OP.SEQ : OP.PULL, c, slot, cmd, argv: a.clone(), keys, deadline: 0, cancelled: null, run: null });
  return ROUTED;
}

// ---- the session -------------------------------------------------------------------------------

/** Operations of one kind that can share one LOCK ... UNLOCK (run as if one after the other). */
function batchable(node: Node, op: Op): boolean {
  if (op.kind === OP.SPLIT) return true;
  return op.kind === OP.PULL && !(op.cmd.name === "exec" && watchShards(node, op.c).length !== 0);
}

const MAX_BATCH = 64;

async function runSession(node: Node): Promise<void> {
  try {
    for (let k = 0; k < 1024 && node.ops.length !== 0; ) {
      const op = node.ops.shift()!;
      if (!node.alive(op.c)) {
        polling.delete(op);
        continue;
      }
      // Consecutive operations of the same kind run under one lock round trip.
      if (batchable(node, op) && node.ops.length !== 0) {
        const batch = [op];
        while (batch.length < MAX_BATCH && node.ops.length !== 0 && node.ops[0]!.kind === op.kind && batchable(node, node.ops[0]!)) {
          const next = node.ops.shift()!;
          if (node.alive(next.c)) batch.push(next);
        }
        if (batch.length > 1) {
          k += batch.length;
          node.stats.ops += batch.length;
          let replies: Uint8Array[];
          try {
            replies = op.kind === OP.SPLIT ? await splitBatch(node, batch) : await pullBatch(node, batch);
          } catch (e) {
            node.srv.log.warning(`shard ${node.me}: cross-shard batch failed: ${(e as Error)?.stack ?? e}`);
            replies = batch.map((b) => errBytes(`ERR internal error running '${b.cmd.name}' across shards: ${(e as Error)?.message ?? e}`));
          }
          batch.forEach((b, i) => node.complete(b.c, b.slot, replies[i]!, false));
          continue;
        }
      }
      k++;
      node.stats.ops++;
      let reply: Uint8Array | null;
      try {
        reply = await runOp(node, op);
      } catch (e) {
        node.srv.log.warning(`shard ${node.me}: cross-shard ${op.cmd.name} failed: ${(e as Error)?.stack ?? e}`);
        reply = errBytes(`ERR internal error running '${op.cmd.name}' across shards: ${(e as Error)?.message ?? e}`);
      }
      if (reply !== null) node.complete(op.c, op.slot, reply, false);
    }
  } finally {
    node.t.flush();
    node.session = false;
    node.t.releaseMutex();
    if (node.ops.length !== 0) setImmediate(() => node.kick());
  }
}

function runOp(node: Node, op: Op): Promise<Uint8Array | null> {
  switch (op.kind) {
    case OP.SPLIT:
      return splitOp(node, op);
    case OP.POLL:
      return pollOp(node, op);
    case OP.SEQ:
      return seqExec(node, op);
    case OP.GLOBAL:
      return op.run!(op);
    default:
      return pullOp(node, op, 0);
  }
}

/** LOCK on every shard in `items` (an entry per shard, maybe empty); their results by shard. */
export async function lockAll(node: Node, items: Map<number, Buf | null>, cid: number, type: number = F.LOCK): Promise<Map<number, Uint8Array[]>> {
  const shards = [...items.keys()];
  const res = await Promise.all(shards.map((s) => node.request(s, type, items.get(s) ?? null, cid)));
  const out = new Map<number, Uint8Array[]>();
  shards.forEach((s, i) => out.set(s, res[i]!));
  return out;
}

export function unlockAll(node: Node, shards: Iterable<number>, items: Map<number, Buf> | null, cid: number): void {
  for (const s of shards) node.send(s, F.UNLOCK, items?.get(s) ?? null, cid);
}

function bufFor(m: Map<number, Buf | null>, s: number): Buf {
  let b = m.get(s);
  if (b === undefined || b === null) m.set(s, (b = new Buf(256)));
  return b;
}

/** CMD item for a command given as args. */
export function cmdItem(b: Buf, db: number, proto: number, flags: number, args: readonly (string | Uint8Array)[] | Argv, cid = 0): void {
  b.u8(I.CMD);
  b.f64(cid);
  b.u32(db);
  b.u8(proto);
  b.u8(flags);
  if (args instanceof Argv) b.argv(args);
  else b.args(args);
}

interface Borrowed {
  ref: KeyRef;
  touch: Touch;
}

/**
 * Borrows keys from their owners (already held by this operation, or taken now with LOCK),
 * runs `body` with them installed, and returns the PUSH items of what changed.
 */
async function withBorrowed(
  node: Node,
  c: Client,
  keys: KeyRef[],
  watch: number[],
  type: number,
  body: (dirty: boolean) => Uint8Array,
): Promise<{ reply: Uint8Array; pushes: Map<number, Buf>; shards: number[] }> {
  const me = node.me;
  const items = new Map<number, Buf | null>();
  const plan = new Map<number, (KeyRef | null)[]>();
  for (const k of keys) {
    if (k.owner === me) continue;
    const b = bufFor(items, k.owner);
    b.u8(I.PULL);
    b.u32(k.db);
    b.str(k.key);
    let p = plan.get(k.owner);
    if (p === undefined) plan.set(k.owner, (p = []));
    p.push(k);
  }
  for (const s of watch) {
    bufFor(items, s).u8(I.WATCH);
    let p = plan.get(s);
    if (p === undefined) plan.set(s, (p = []));
    p.push(null);
  }
  const res = await lockAll(node, items, c.id, type);
  const borrowed: Borrowed[] = [];
  let dirty = false;
  const pushes = new Map<number, Buf>();
  let reply: Uint8Array;
  try {
    for (const [s, p] of plan) {
      const r = res.get(s)!;
      p.forEach((k, i) => {
        if (k === null) {
          if (r[i]![0] === 1) dirty = true;
          return;
        }
        const db = node.srv.ks.dbs[k.db]!;
        borrowed.push({ ref: k, touch: node.borrow(db, k.key, r[i]!) });
      });
    }
    reply = body(dirty);
  } catch (e) {
    // Never leave the owners held: the write-backs of what was borrowed still go out.
    node.srv.log.warning(`shard ${me}: cross-shard operation failed: ${(e as Error)?.stack ?? e}`);
    reply = errBytes(`ERR internal error in a cross-shard operation: ${(e as Error)?.message ?? e}`);
  } finally {
    for (const b of borrowed) {
      let out = pushes.get(b.ref.owner);
      if (out === undefined) pushes.set(b.ref.owner, (out = new Buf(256)));
      node.giveBack(node.srv.ks.dbs[b.ref.db]!, b.ref.key, b.touch, out);
    }
  }
  return { reply, pushes, shards: [...items.keys()] };
}

/** Borrowing operations under one lock: every key of every operation borrowed once, the operations run here in order. */
async function pullBatch(node: Node, ops: Op[]): Promise<Uint8Array[]> {
  const keys: KeyRef[] = [];
  for (const op of ops) for (const k of op.keys) add(keys, k.db, k.key, k.owner);
  const replies: Uint8Array[] = [];
  const { pushes, shards } = await withBorrowed(node, ops[0]!.c, keys, [], F.LOCK, () => {
    for (const op of ops) replies.push(node.runLocal(op.c, op.cmd, op.argv, 0));
    return replies[0]!;
  });
  unlockAll(node, shards, pushes, ops[0]!.c.id);
  return replies;
}

async function pullOp(node: Node, op: Op, flags: number): Promise<Uint8Array> {
  const c = op.c;
  const watch = op.cmd.name === "exec" ? watchShards(node, c) : [];
  const { reply, pushes, shards } = await withBorrowed(node, c, op.keys, watch, F.LOCK, (dirty) => {
    if (dirty) c.flags |= CF.DIRTY_CAS;
    return node.runLocal(c, op.cmd, op.argv, flags);
  });
  if (watch.length !== 0) clearWatches(c);
  unlockAll(node, shards, pushes, c.id);
  return reply;
}

async function pollOp(node: Node, op: Op): Promise<Uint8Array | null> {
  const reply = await pullOp(node, op, CMDF.TX);
  const expired = op.deadline !== 0 && Date.now() >= op.deadline;
  if (!isNullReply(reply, 0) || expired || op.cancelled !== null) {
    polling.delete(op);
    if (isNullReply(reply, 0) && op.cancelled !== null) {
      op.cancelled(op.c);
      return null;
    }
    return reply;
  }
  // Nothing yet: try again a little later (the lock is released meanwhile).
  const tries = ((op as Op & { tries?: number }).tries = ((op as Op & { tries?: number }).tries ?? 0) + 1);
  const wait = Math.min(100, 2 * tries);
  const due = op.deadline === 0 ? wait : Math.max(0, Math.min(wait, op.deadline - Date.now()));
  const t = setTimeout(() => {
    polling.set(op, null);
    if (!node.alive(op.c)) {
      polling.delete(op);
      return;
    }
    node.ops.push(op);
    node.kick();
  }, due);
  polling.set(op, t);
  return null;
}

/** Blocking commands waiting across shards, with their retry timer while they sleep (CLIENT UNBLOCK finds them here). */
export const polling = new Map<Op, ReturnType<typeof setTimeout> | null>();

/** CLIENT UNBLOCK of a client waiting in a cross-shard blocking command. */
export function unblockPolling(node: Node, id: number, withError: boolean): boolean {
  for (const [op, t] of polling) {
    if (op.c.id !== id || op.cancelled !== null) continue;
    const end = (c: Client): void => {
      node.complete(c, op.slot, withError ? errBytes("UNBLOCKED client unblocked via CLIENT UNBLOCK") : nullFor(op.cmd.name, c.out.proto), false);
    };
    if (t !== null) {
      clearTimeout(t);
      polling.delete(op);
      end(op.c);
    } else op.cancelled = end; // an attempt is queued or running: it ends the wait
    return true;
  }
  return false;
}

function nullFor(name: string, proto: number): Uint8Array {
  if (proto === 3) return enc("_\r\n");
  return enc(name === "blmove" || name === "brpoplpush" ? "$-1\r\n" : "*-1\r\n");
}

/** How a splittable command divides: its pieces per shard, and where each key's answer comes from. */
interface SplitPlan {
  groups: Map<number, number[]>;
  order: [number, number][];
  step: number;
}

function splitPlan(node: Node, op: Op): SplitPlan {
  const a = op.argv;
  const step = op.cmd.name === "mset" ? 2 : 1;
  const groups = new Map<number, number[]>();
  const order: [number, number][] = [];
  for (let i = 1; i < a.argc; i += step) {
    const o = node.ownerOfArg(a, i);
    let g = groups.get(o);
    if (g === undefined) groups.set(o, (g = []));
    order.push([o, g.length]);
    g.push(i);
  }
  return { groups, order, step };
}

/** A piece of a split command: the name and the chosen arguments, as views of the original (no copy). */
function pieceArgv(op: Op, plan: SplitPlan, idx: number[]): Argv {
  const a = op.argv;
  const p = new Argv();
  const argc = 1 + idx.length * plan.step;
  const offs = new Int32Array(argc * 2);
  offs[0] = a.offs[0]!;
  offs[1] = a.offs[1]!;
  let n = 2;
  for (const i of idx) {
    for (let j = 0; j < plan.step; j++) {
      offs[n++] = a.offs[(i + j) * 2]!;
      offs[n++] = a.offs[(i + j) * 2 + 1]!;
    }
  }
  p.buf = a.buf;
  p.offs = offs;
  p.argc = argc;
  return p;
}

async function splitOp(node: Node, op: Op): Promise<Uint8Array> {
  return (await splitBatch(node, [op]))[0]!;
}

/**
 * Split operations under one lock: every remote piece runs on its shard in operation order at
 * LOCK time, then the local pieces in the same order, then UNLOCK. Each shard applies the
 * operations one after the other with nothing in between, as one server would.
 */
async function splitBatch(node: Node, ops: Op[]): Promise<Uint8Array[]> {
  const me = node.me;
  const plans = ops.map((op) => splitPlan(node, op));
  const items = new Map<number, Buf | null>();
  /** per shard: the operation of each result */
  const who = new Map<number, number[]>();
  ops.forEach((op, k) => {
    for (const [o, idx] of plans[k]!.groups) {
      if (o === me) continue;
      cmdItem(bufFor(items, o), op.c.dbIndex, op.c.proto, 0, pieceArgv(op, plans[k]!, idx), op.c.id);
      node.proxyAt(op.c.id, o);
      let w = who.get(o);
      if (w === undefined) who.set(o, (w = []));
      w.push(k);
    }
  });
  const res = await lockAll(node, items, ops[0]!.c.id);
  const replies = ops.map(() => new Map<number, Uint8Array>());
  try {
    for (const [s, r] of res) who.get(s)!.forEach((k, i) => replies[k]!.set(s, r[i] ?? errBytes("ERR missing result")));
    ops.forEach((op, k) => {
      const local = plans[k]!.groups.get(me);
      if (local !== undefined) replies[k]!.set(me, node.runLocal(op.c, op.cmd, pieceArgv(op, plans[k]!, local), 0));
    });
  } finally {
    unlockAll(node, res.keys(), null, ops[0]!.c.id);
  }
  return ops.map((op, k) => splitReply(op.cmd.name, plans[k]!.order, replies[k]!));
}

function splitReply(name: string, order: [number, number][], replies: Map<number, Uint8Array>): Uint8Array {
  for (const r of replies.values()) if (r[0] === 45) return r;
  switch (name) {
    case "mset":
      return enc("+OK\r\n");
    case "mget": {
      const elems = new Map<number, Uint8Array[]>();
      for (const [s, r] of replies) {
        const { n, body } = aggHead(r, 0, r.length);
        const list: Uint8Array[] = [];
        let p = body;
        for (let i = 0; i < n; i++) {
          const e = respEnd(r, p, r.length);
          list.push(r.subarray(p, e));
          p = e;
        }
        elems.set(s, list);
      }
      const out = new Buf(256);
      out.head(42, order.length);
      for (const [s, i] of order) out.raw(elems.get(s)![i]!);
      return out.b.slice(0, out.n);
    }
    default: {
      let n = 0;
      for (const r of replies.values()) n += intReplyAt(r, 0, r.length);
      return enc(`:${n}\r\n`);
    }
  }
}

/** EXEC with global commands: every shard held, the queue run one command at a time. */
async function seqExec(node: Node, op: Op): Promise<Uint8Array> {
  const c = op.c;
  const me = node.me;
  node.take(me);
  const others: number[] = [];
  for (let s = 0; s < node.n; s++) if (s !== me) others.push(s);
  let locked = false;
  try {
    const watch = watchShards(node, c);
    const items = new Map<number, Buf | null>();
    for (const s of others) items.set(s, null);
    for (const s of watch) bufFor(items, s).u8(I.WATCH);
    const res = await lockAll(node, items, c.id);
    locked = true;
    let dirty = false;
    for (const s of watch) if (res.get(s)![0]![0] === 1) dirty = true;
    clearWatches(c);
    const queue = c.queued;
    c.queued = [];
    if (dirty) c.flags |= CF.DIRTY_CAS;
    // The transaction's own checks (WATCH here, errors while queueing) by an empty EXEC.
    const pre = node.runLocal(c, op.cmd, execArgv, 0);
    if (!(pre[0] === 42 && pre[1] === 48)) return pre;
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const q of queue) {
      const r = await seqOne(node, c, q.cmd, q.argv);
      parts.push(r);
      total += r.length;
    }
    const out = new Buf(total + 24);
    out.head(42, parts.length);
    for (const p of parts) out.raw(p);
    return out.b.slice(0, out.n);
  } finally {
    if (locked) unlockAll(node, others, null, c.id);
    node.release();
  }
}

/** One command of a sequential EXEC (every shard is held by this operation). */
async function seqOne(node: Node, c: Client, cmd: Command, a: Argv): Promise<Uint8Array> {
  const run = lockedRuns.get(cmd);
  if (run !== undefined) return run(node, c, cmd, a, "op");
  const keys: KeyRef[] = [];
  keyRefs(node, cmd, a, c.dbIndex, keys);
  const owners = new Set<number>();
  for (const k of keys) owners.add(k.owner);
  owners.delete(node.me);
  if (owners.size === 0) return node.runLocal(c, cmd, a, CMDF.TX);
  if (owners.size === 1 && !keys.some((k) => k.owner === node.me)) {
    const s = [...owners][0]!;
    const b = new Buf(256);
    cmdItem(b, c.dbIndex, c.proto, CMDF.TX, a);
    const r = await node.request(s, F.OP, b, c.id);
    return r[0]!;
  }
  const { reply, pushes } = await withBorrowed(node, c, keys, [], F.OP, () => node.runLocal(c, cmd, a, CMDF.TX));
  for (const [s, b] of pushes) if (b.n !== 0) node.send(s, F.OP, b, c.id);
  return reply;
}

export { errBytes, enc };
