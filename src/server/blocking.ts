// Clients blocked on keys (BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP, BZPOPMIN BZPOPMAX BZMPOP, and
// later XREAD/XREADGROUP), with Redis 7.0's semantics:
//
// - A command that finds nothing to serve calls blockOnKeys(c, keys, deadline, serve). The
//   client stops running commands (CF.BLOCKED; network.ts holds its pipelined input).
// - Per key, blocked clients wait in the order they blocked (FIFO). When a key gets a value
//   (Db.add/Db.set push [db, key] to Keyspace.readyKeys because Db.blocked counts the key;
//   signalReady() does it explicitly, e.g. for XADD), handleReadyKeys() runs after the command
//   and offers the key to its waiters in order. Each waiter's serve(c, key) decides: it
//   replies and returns true (the client is unblocked), or returns false to keep waiting (the
//   key holds another type: a BLPOP waiter ignores a zset, as in 7.0). Once the key is gone
//   only waiters that blocked with noKey are offered it (XREADGROUP, which 7.0 unblocks with
//   an error when its stream is deleted; Db signals deleted and overwritten keys that have
//   waiters). serve() may fail() (e.g. BLMOVE's destination of the wrong type): the client
//   gets the error and is unblocked, like Redis's checkType() there.
// - serve() runs with c.db the db the client blocked in and may call propagateAs() (the
//   framework resets the client's selfPropagated flag afterwards) and ks.written().
// - Timeouts: deadline is absolute ms (0 = forever). On expiry, onTimeout(c) replies (default:
//   null array, "*-1" / "_", which is what every 7.0 blocking list/zset/stream command sends).
// - CLIENT UNBLOCK <id> [TIMEOUT|ERROR], disconnects, and SWAPDB (Keyspace.swapDb marks keys
//   of swapped dbs ready) are handled here. FLUSHALL/FLUSHDB wake nobody in 7.0.
// - Inside MULTI/EXEC or a script (canBlock(c) false) a blocking command must act as if it
//   timed out at once; the command does that itself (the reply shape is command specific).

import { E, fail, ReplyError } from "../errors.ts";
import type { Db } from "../store/db.ts";
import { clientHooks } from "../commands/client.ts";
import { CF, type Client } from "./client.ts";
import type { Server } from "./context.ts";

/**
 * Tries to serve a blocked client from `key` (in c.db), which just got a value. Returns true
 * after writing the full reply, false to keep the client blocked. May throw a ReplyError.
 */
export type ServeFn = (c: Client, key: string) => boolean;

/** Writes the reply sent when the block ends without data (timeout, CLIENT UNBLOCK TIMEOUT). */
export type TimeoutFn = (c: Client) => void;

const MAX_TIMER = 0x7fffffff;

/** The block of one client; kept in c.blocked. */
export class Blocked {
  timer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    readonly db: Db,
    readonly keys: string[],
    readonly deadline: number,
    readonly serve: ServeFn,
    readonly onTimeout: TimeoutFn,
    /** serve() is also offered keys that were deleted (XREADGROUP: -UNBLOCKED in 7.0) */
    readonly noKey: boolean = false,
  ) {}
}

/** Per db: key -> clients blocked on it, in blocking order (a Set iterates in insertion order). */
const waiting = new WeakMap<Db, Map<string, Set<Client>>>();
/** Clients currently blocked on keys, per server (INFO blocked_clients). */
const blockedCount = new WeakMap<Server, number>();
/** Blocked clients that want to hear of deleted keys (noKey), across all servers. */
let noKeyBlocked = 0;

function nullArrayReply(c: Client): void {
  c.out.nilArray();
}

export function isBlockedOnKeys(c: Client): boolean {
  return c.blocked instanceof Blocked;
}

/** Number of clients blocked on keys (INFO blocked_clients). */
export function blockedClients(srv: Server): number {
  return blockedCount.get(srv) ?? 0;
}

/** The keys a blocked client waits on (CLIENT LIST / debugging); empty when not blocked. */
export function blockedKeys(c: Client): readonly string[] {
  return c.blocked instanceof Blocked ? c.blocked.keys : [];
}

/**
 * Whether the client may block: not while EXEC runs its queue (CF.MULTI stays set until
 * EXEC finishes) nor from a script or replayed stream (CF.FAKE clients).
 */
export function canBlock(c: Client): boolean {
  return (c.flags & (CF.MULTI | CF.FAKE)) === 0;
}

// ---- timeout parsing ---------------------------------------------------------------------

const DEC_RE = /^[+-]?(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const HEX_RE = /^([+-]?)0[xX](?:([0-9a-fA-F]+)\.?([0-9a-fA-F]*)|\.([0-9a-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^[+-]?(?:inf|infinity)$/i;

/** Decimal exponent of the first significant digit of a decimal literal (NaN if all zeros). */
function decExponent(m: RegExpExecArray): number {
  const ip = m[1] ?? "";
  const fp = m[2] ?? m[3] ?? "";
  const exp = m[4] ? parseInt(m[4], 10) : 0;
  const intNz = ip.search(/[1-9]/);
  if (intNz >= 0) return ip.length - intNz - 1 + exp;
  const fracNz = fp.search(/[1-9]/);
  if (fracNz >= 0) return -(fracNz + 1) + exp;
  return NaN;
}

/**
 * Parses a string the way Redis's string2ld (strtold on x86-64, 80-bit long double) accepts
 * it. Values beyond a double but inside the long double range come back as +-Infinity,
 * tiny ones as +-Number.MIN_VALUE; NaN means "not a float".
 */
function parseLongDoubleish(s: string): number {
  if (s.length === 0 || s.length >= 5120) return NaN;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return NaN;
  const neg = c0 === 45;
  const m = DEC_RE.exec(s);
  if (m) {
    const v = Number(s);
    const e = decExponent(m);
    if (Number.isNaN(e)) return neg ? -0 : 0;
    // Long double: ~1.19e4932 max, ~3.65e-4951 smallest subnormal (ERANGE beyond).
    if (e > 4932 || e < -4951) return NaN;
    if (v === 0) return neg ? -Number.MIN_VALUE : Number.MIN_VALUE;
    return v;
  }
  if (INF_RE.test(s)) return neg ? -Infinity : Infinity;
  const h = HEX_RE.exec(s);
  if (h) {
    const ip = h[2] ?? "";
    const fp = h[3] ?? h[4] ?? "";
    let v = 0;
    for (const ch of ip) v = v * 16 + parseInt(ch, 16);
    let scale = 1 / 16;
    for (const ch of fp) {
      v += parseInt(ch, 16) * scale;
      scale /= 16;
    }
    if (h[5]) v *= Math.pow(2, parseInt(h[5], 10));
    return h[1] === "-" ? -v : v;
  }
  return NaN;
}

/**
 * Parses a blocking command's timeout in seconds (fractions allowed; 0 = forever) into an
 * absolute deadline in ms, with Redis 7.0's errors: "timeout is not a float or out of range"
 * and "timeout is negative" (also for values whose milliseconds overflow 64 bits, as there).
 */
export function parseBlockTimeout(c: Client, s: string): number {
  const v = parseLongDoubleish(s);
  if (Number.isNaN(v)) fail(E.TIMEOUT_NOT_FLOAT);
  const ms = Math.ceil(v * 1000);
  // (long long) of a value outside int64 gives LLONG_MIN on x86: "negative".
  if (!(ms < 9223372036854775807) || ms < 0) fail(E.TIMEOUT_NEG);
  return ms === 0 ? 0 : c.srv.ks.now + ms;
}

/** Like parseBlockTimeout for timeouts given in milliseconds (integers), e.g. XREAD BLOCK. */
export function parseBlockTimeoutMs(c: Client, ms: number): number {
  if (Number.isNaN(ms)) fail("ERR timeout is not an integer or out of range");
  if (ms < 0) fail(E.TIMEOUT_NEG);
  return ms === 0 ? 0 : c.srv.ks.now + ms;
}

// ---- blocking and unblocking -------------------------------------------------------------

/**
 * Blocks `c` on `keys` (in c.db) until serve() succeeds for one of them, the deadline
 * (absolute ms, 0 = never) passes, CLIENT UNBLOCK, or a disconnect.
 */
export function blockOnKeys(
  c: Client,
  keys: string[],
  deadline: number,
  serve: ServeFn,
  onTimeout: TimeoutFn = nullArrayReply,
  noKey = false,
): void {
  const db = c.db;
  const uniq: string[] = [];
  let perKey = waiting.get(db);
  if (!perKey) waiting.set(db, (perKey = new Map()));
  if (db.blocked === null) db.blocked = new Map();
  for (const key of keys) {
    let set = perKey.get(key);
    if (!set) perKey.set(key, (set = new Set()));
    if (set.has(c)) continue;
    set.add(c);
    uniq.push(key);
    db.blocked.set(key, (db.blocked.get(key) ?? 0) + 1);
  }
  const b = new Blocked(db, uniq, deadline, serve, onTimeout, noKey);
  if (noKey) noKeyBlocked++;
  c.blocked = b;
  c.flags |= CF.BLOCKED;
  const srv = c.srv;
  blockedCount.set(srv, (blockedCount.get(srv) ?? 0) + 1);
  if (deadline > 0) armTimer(c, b);
}

function armTimer(c: Client, b: Blocked): void {
  const left = Math.max(0, b.deadline - Date.now());
  b.timer = setTimeout(() => {
    b.timer = null;
    if (c.blocked !== b) return;
    if (Date.now() < b.deadline) return armTimer(c, b);
    endBlock(c, (x) => b.onTimeout(x));
  }, Math.min(left, MAX_TIMER));
  // A pending timeout alone must not keep the process alive (the client's socket does).
  (b.timer as { unref?: () => void }).unref?.();
}

/** Removes the client from every structure of its block. Its reply must be written already. */
function detach(c: Client): Blocked | null {
  const b = c.blocked;
  if (!(b instanceof Blocked)) return null;
  c.blocked = null;
  c.flags &= ~CF.BLOCKED;
  if (b.timer !== null) clearTimeout(b.timer);
  b.timer = null;
  const db = b.db;
  const perKey = waiting.get(db);
  for (const key of b.keys) {
    const set = perKey?.get(key);
    if (set) {
      set.delete(c);
      if (set.size === 0) perKey!.delete(key);
    }
    const n = db.blocked?.get(key) ?? 0;
    if (n <= 1) db.blocked?.delete(key);
    else db.blocked!.set(key, n - 1);
  }
  if (db.blocked !== null && db.blocked.size === 0) db.blocked = null;
  const srv = c.srv;
  blockedCount.set(srv, Math.max(0, (blockedCount.get(srv) ?? 1) - 1));
  if (b.noKey) noKeyBlocked--;
  return b;
}

/** Ends a block with a reply written by `reply`, then lets the client's pipeline run on. */
function endBlock(c: Client, reply: (c: Client) => void): void {
  if (detach(c) === null) return;
  const mark = c.out.n;
  try {
    reply(c);
  } catch (e) {
    c.out.rewind(mark);
    c.out.error(e instanceof ReplyError ? e.reply : `ERR ${(e as Error)?.message ?? e}`);
  }
  c.selfPropagated = false;
  afterUnblock(c);
}

function afterUnblock(c: Client): void {
  const srv = c.srv;
  srv.markDirty(c);
  srv.net?.resume(c);
}

/**
 * Unblocks a client as CLIENT UNBLOCK does: with the command's timeout reply, or with the
 * "-UNBLOCKED" error. Returns false when the client is not blocked on keys.
 */
export function unblockClient(c: Client, withError: boolean): boolean {
  const b = c.blocked;
  if (!(b instanceof Blocked)) return false;
  endBlock(c, withError ? (x) => x.out.error("UNBLOCKED client unblocked via CLIENT UNBLOCK") : b.onTimeout);
  return true;
}

/** Marks a key ready for its blocked clients (writes that do not go through Db.add). */
export function signalReady(db: Db, key: string): void {
  if (db.blocked !== null && db.blocked.has(key)) db.ks.readyKeys.push([db, key]);
}

/**
 * Serves clients blocked on keys that got values: ready keys in the order they were
 * signalled; per key, waiters in the order they blocked, until the key is gone. Serving may
 * make more keys ready (BLMOVE pushes), which are handled in the same call.
 */
export function handleReadyKeys(srv: Server): void {
  const ks = srv.ks;
  while (ks.readyKeys.length !== 0) {
    const list = ks.readyKeys;
    ks.readyKeys = [];
    for (let i = 0; i < list.length; i++) {
      const [db, key] = list[i]!;
      const set = waiting.get(db)?.get(key);
      if (set === undefined) continue;
      ks.tick();
      for (const c of set) {
        const b = c.blocked as Blocked;
        // A key that is gone serves only the waiters that want to hear about it; without any
        // such waiter the rest of the queue is skipped (a queue of BLPOP clients drained by
        // single pushes stays O(1) per push).
        if (!b.noKey && db.lookup(key) === undefined) {
          if (noKeyBlocked === 0) break;
          continue;
        }
        let served = false;
        const mark = c.out.n;
        try {
          served = b.serve(c, key);
        } catch (e) {
          c.out.rewind(mark);
          c.out.error(e instanceof ReplyError ? e.reply : `ERR ${(e as Error)?.message ?? e}`);
          served = true;
        }
        c.selfPropagated = false;
        if (!served) {
          c.out.rewind(mark);
          continue;
        }
        detach(c);
        afterUnblock(c);
      }
    }
  }
}

const installed = new WeakSet<Server>();

/** Hooks the framework into a server; idempotent (every family with blocking commands calls it). */
export function installBlocking(srv: Server): void {
  if (installed.has(srv)) return;
  installed.add(srv);
  srv.hooks.readyKeys = handleReadyKeys;
  srv.hooks.clientClosed.push((c) => {
    detach(c);
  });
  clientHooks.unblock = unblockClient;
}
