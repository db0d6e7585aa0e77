// Stream commands (Redis 7.0): XADD XRANGE XREVRANGE XLEN XDEL XTRIM XREAD XREADGROUP
// XGROUP (CREATE SETID DESTROY CREATECONSUMER DELCONSUMER HELP) XACK XPENDING XCLAIM
// XAUTOCLAIM XINFO (STREAM GROUPS CONSUMERS HELP) XSETID.
//
// Argument checks run in Redis's order so the same bad command gets the same error. What is
// propagated follows 7.0: XADD with its generated ID and an executed "~" trim rewritten as
// "=" with the resulting bound; XREADGROUP, XCLAIM and XAUTOCLAIM as the XCLAIM / XGROUP
// SETID / XGROUP CREATECONSUMER commands that reproduce their effect on the group (several
// in MULTI/EXEC), never as themselves.

import { E, fail, wrongArgs } from "../errors.ts";
import type { Reply } from "../resp/writer.ts";
import { parseI64 } from "../util/numbers.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { propagateAs, propagateNothing, propagating } from "../server/propagate.ts";
import { blockOnKeys, canBlock, installBlocking, parseBlockTimeoutMs, signalReady } from "../server/blocking.ts";
import { N } from "../store/notify.ts";
import {
  Consumer, F_SAMEFIELDS, Group, INVALID_READ, MAX_ID, Nack, StreamObj, TRIM_MAXLEN, TRIM_MINID, ZERO_ID, cmpId, decrId, incrId,
  parseId, parseIdBytes, parsed, SID, type SNode, type TrimArgs,
} from "../store/types/stream.ts";
import { captureEffects, releaseEffects } from "./tx.ts";
import { helpReply, subcommandSyntaxError } from "./help.ts";
import type { Handlers } from "./table.ts";

const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";

function writeStream(c: Client, key: string): StreamObj | undefined {
  const v = c.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof StreamObj)) fail(E.WRONGTYPE);
  return v;
}

function readStream(c: Client, key: string): StreamObj | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  if (!(v instanceof StreamObj)) fail(E.WRONGTYPE);
  return v;
}

/** A strict ID ("-" and "+" rejected). */
function strictId(s: string): SID {
  return parseId(s, false, true) ?? fail(INVALID_ID);
}

/** strictId() of argument i, read from its bytes. */
function strictIdArg(a: Argv, i: number): SID {
  return parseIdBytes(a.buf, a.offs[i * 2]!, a.offs[i * 2 + 1]!, false, true) ?? fail(INVALID_ID);
}

function llArg(a: Argv, i: number, err: string = E.NOT_INT): number {
  const v = parseI64(a.str(i));
  if (Number.isNaN(v)) fail(err);
  return v;
}

/** C-string equality with a one-character token ("*", "~", "=", "$", ">"). */
function tok(s: string, ch: string): boolean {
  return s.length >= 1 && s[0] === ch && (s.length === 1 || s.charCodeAt(1) === 0);
}

/** streamParseIntervalIDOrReply: "(" makes the bound exclusive (then "-"/"+" are invalid). */
function intervalId(s: string, maxSeq: boolean): [SID, boolean] {
  if (s.length > 1 && s[0] === "(") return [parseId(s.slice(1), maxSeq, true) ?? fail(INVALID_ID), true];
  return [parseId(s, maxSeq, false) ?? fail(INVALID_ID), false];
}

function startBound(s: string): SID {
  const [id, ex] = intervalId(s, false);
  return ex ? (incrId(id) ?? fail("ERR invalid start ID for the interval")) : id;
}

function endBound(s: string): SID {
  const [id, ex] = intervalId(s, true);
  return ex ? (decrId(id) ?? fail("ERR invalid end ID for the interval")) : id;
}

// ---- replies ----

const POW10: number[] = [];
for (let p = 1; POW10.length < 16; p *= 10) POW10.push(p);

/** Decimal digits of v (0 <= v < 2^53). */
function digits(v: number): number {
  let d = 1;
  while (d < 16 && v >= POW10[d]!) d++;
  return d;
}

/** Writes v's digits ending just before `end`. */
function putDigits(b: Buffer, end: number, v: number): void {
  while (v >= 10) {
    const q = Math.floor(v / 10);
    b[--end] = 48 + (v - q * 10);
    v = q;
  }
  b[--end] = 48 + v;
}

/** Bulk "<ms>-<seq>" of the ID in words w[o..o+3], written without making a string. */
function idBulk(out: Reply, w: Uint32Array, o: number): void {
  idBulkOf(out, w[o]!, w[o + 1]!, w[o + 2]!, w[o + 3]!);
}

function idBulkOf(out: Reply, mh: number, ml: number, sh: number, sl: number): void {
  if (mh >= 0x200000 || sh >= 0x200000) {
    out.bulk(new SID(mh, ml, sh, sl).str);
    return;
  }
  const ms = mh * 4294967296 + ml;
  const seq = sh * 4294967296 + sl;
  const dm = digits(ms);
  const len = dm + 1 + digits(seq);
  out.reserve(len + 8);
  const b = out.b;
  let p = out.n;
  b[p++] = 36;
  if (len >= 10) b[p++] = 48 + Math.floor(len / 10);
  b[p++] = 48 + (len % 10);
  b[p++] = 13;
  b[p++] = 10;
  putDigits(b, p + dm, ms);
  b[p + dm] = 45;
  putDigits(b, p + len, seq);
  p += len;
  b[p++] = 13;
  b[p++] = 10;
  out.n = p;
}

/** An entry: [id, [field, value, ...]], bytes copied from the node. */
function entryReply(c: Client, n: SNode, i: number): void {
  const out = c.out;
  out.arr(2);
  idBulk(out, n.ids, i << 2);
  const b = n.buf;
  const pos = n.pos;
  const s = n.off[i]!;
  const e = n.off[i + 1]!;
  if (n.flags[i]! & F_SAMEFIELDS) {
    const mf = n.mfields;
    out.arr((e - s) * 2);
    for (let k = s; k < e; k++) {
      out.bulk(mf[k - s]!);
      out.bulkRange(b, pos[k]!, pos[k + 1]! - pos[k]!);
    }
  } else {
    out.arr(e - s);
    for (let k = s; k < e; k++) out.bulkRange(b, pos[k]!, pos[k + 1]! - pos[k]!);
  }
}

/** Where a group read propagates its effects (key and group as the client named them). */
interface PropInfo {
  key: string;
  group: string;
}

function propagateClaim(c: Client, p: PropInfo, g: Group, id: string, nack: Nack): void {
  propagateAs(c, [
    "XCLAIM", p.key, p.group, nack.consumer!.name, "0", id, "TIME", String(nack.time), "RETRYCOUNT", String(nack.count),
    "FORCE", "JUSTID", "LASTID", g.lastId.str,
  ]);
}

function propagateGroupId(c: Client, p: PropInfo, g: Group): void {
  propagateAs(c, ["XGROUP", "SETID", p.key, p.group, g.lastId.str, "ENTRIESREAD", String(g.entriesRead)]);
}

/**
 * streamReplyWithRange: entries of [start, end] as an array (at most count, 0 = all). With a
 * group, delivers them: advances the group's last ID and read counter and, unless noack,
 * records them as pending for the consumer.
 */
function rangeReply(
  c: Client, s: StreamObj, start: SID, end: SID, count: number, rev: boolean,
  g: Group | null, consumer: Consumer | null, noack: boolean, p: PropInfo | null,
): number {
  const out = c.out;
  const at = out.deferLen();
  let n = 0;
  let propLast = false;
  const prop = p !== null && propagating(c);
  const now = c.srv.ks.now;
  s.range(start, end, rev, (sn, i) => {
    if (g !== null) {
      const id = sn.idAt(i);
      if (cmpId(id, g.lastId) > 0) {
        s.advanceGroup(g, id);
        if (noack) propLast = true;
      }
      entryReply(c, sn, i);
      if (noack) {
        n++;
        return n !== count;
      }
      let nack = g.pel.get(id);
      if (nack === undefined) {
        nack = new Nack(now, 1, consumer);
        g.pel.set(id, nack);
        consumer!.pel.set(id, nack);
      } else {
        nack.consumer!.pel.delete(id);
        nack.consumer = consumer;
        nack.time = now;
        nack.count = 1;
        consumer!.pel.set(id, nack);
      }
      if (prop) propagateClaim(c, p!, g, id.str, nack);
    } else entryReply(c, sn, i);
    n++;
    return n !== count;
  });
  if (prop && propLast) propagateGroupId(c, p!, g!);
  out.setDeferred(at, "*", n);
  return n;
}

/** streamReplyWithRangeFromConsumerPEL: a consumer's pending entries from start on. */
function historyReply(c: Client, s: StreamObj, start: SID, count: number, consumer: Consumer): void {
  const out = c.out;
  const at = out.deferLen();
  let n = 0;
  const now = c.srv.ks.now;
  const cur = consumer.pel.ceil(start);
  while (cur.leaf !== null && (count === 0 || n < count)) {
    const id = cur.key;
    if (!s.find(id)) {
      out.arr(2);
      out.bulk(id.str);
      out.nilArray();
    } else {
      entryReply(c, s.hitNode!, s.hitIdx);
      const nack = cur.val;
      nack.time = now;
      nack.count++;
    }
    n++;
    cur.next();
  }
  out.setDeferred(at, "*", n);
}

/** streamLookupConsumer (refreshing seen-time) or streamCreateConsumer. */
function consumerFor(c: Client, key: string, g: Group, name: string): [Consumer, boolean] {
  const now = c.srv.ks.now;
  let cons = g.consumers.get(name);
  if (cons !== undefined) {
    cons.seenTime = now;
    return [cons, false];
  }
  cons = new Consumer(name, now);
  g.addConsumer(cons);
  c.srv.ks.dirty++;
  c.srv.ks.notify(N.STREAM, "xgroup-createconsumer", key, c.db.id);
  return [cons, true];
}

// ---- XADD / XTRIM argument parsing ----

interface AddTrimArgs extends TrimArgs {
  /** index of the trim threshold argument */
  argIdx: number;
  /** index of the ID argument (XADD) */
  idIdx: number;
  id: SID | null;
  seqGiven: boolean;
  noMkStream: boolean;
}

/** streamParseAddOrTrimArgsOrReply. */
function parseAddTrim(c: Client, a: Argv, xadd: boolean): AddTrimArgs {
  const r: AddTrimArgs = {
    strategy: 0, maxlen: -1, minid: ZERO_ID, approx: false, limit: 0, argIdx: 0, idIdx: a.argc, id: null, seqGiven: true,
    noMkStream: false,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < a.argc; i++) {
    const more = a.argc - 1 - i;
    const opt = a.str(i);
    if (xadd && tok(opt, "*")) break;
    if (a.is(i, "maxlen") && more) {
      if (r.strategy !== 0) fail("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      r.approx = false;
      const next = a.str(i + 1);
      if (more >= 2 && tok(next, "~")) {
        r.approx = true;
        i++;
      } else if (more >= 2 && tok(next, "=")) i++;
      r.maxlen = llArg(a, i + 1);
      if (r.maxlen < 0) fail("ERR The MAXLEN argument must be >= 0.");
      i++;
      r.strategy = TRIM_MAXLEN;
      r.argIdx = i;
    } else if (a.is(i, "minid") && more) {
      if (r.strategy !== 0) fail("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      r.approx = false;
      const next = a.str(i + 1);
      if (more >= 2 && tok(next, "~")) {
        r.approx = true;
        i++;
      } else if (more >= 2 && tok(next, "=")) i++;
      r.minid = strictId(a.str(i + 1));
      i++;
      r.strategy = TRIM_MINID;
      r.argIdx = i;
    } else if (a.is(i, "limit") && more) {
      r.limit = llArg(a, i + 1);
      if (r.limit < 0) fail("ERR The LIMIT argument must be >= 0.");
      limitGiven = true;
      i++;
    } else if (xadd && a.is(i, "nomkstream")) {
      r.noMkStream = true;
    } else if (xadd) {
      r.id = parseIdBytes(a.buf, a.offs[i * 2]!, a.offs[i * 2 + 1]!, false, true, true) ?? fail(INVALID_ID);
      r.seqGiven = parsed.seqGiven;
      break;
    } else fail(E.SYNTAX);
  }
  r.idIdx = i;
  if (r.limit !== 0 && r.strategy === 0) fail("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  if (!xadd && r.strategy === 0) fail("ERR syntax error, XTRIM must be called with a trimming strategy");
  if (c.flags & CF.MASTER) {
    // Commands from a master were rewritten to exact bounds: never limit them.
    r.limit = 0;
  } else if (limitGiven) {
    if (!r.approx) fail("ERR syntax error, LIMIT cannot be used without the special ~ option");
  } else if (r.approx) {
    r.limit = 100 * c.srv.cfg.num("stream-node-max-entries");
    if (r.limit <= 0) r.limit = 10000;
    if (r.limit > 1000000) r.limit = 1000000;
  } else r.limit = 0;
  return r;
}

/** The command rewritten for propagation after an approximate trim (and a generated ID). */
function rewritten(a: Argv, s: StreamObj, t: AddTrimArgs, id: SID | null): string[] {
  const args = a.strings();
  if (t.approx) {
    args[t.argIdx - 1] = "=";
    args[t.argIdx] = t.strategy === TRIM_MAXLEN ? String(s.length) : s.firstIdWithTombstones().str;
  }
  if (id !== null) args[t.idIdx] = id.str;
  return args;
}

// ---- XREAD / XREADGROUP ----

function xread(c: Client, a: Argv, isGroup: boolean): void {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let nstreams = 0;
  let noack = false;
  let gname: string | null = null;
  let cname = "";
  for (let i = 1; i < a.argc; i++) {
    const more = a.argc - i - 1;
    if (a.is(i, "block") && more) {
      if (c.flags & CF.FAKE && !(c.flags & CF.MASTER)) fail(`ERR ${a.str(0)} command is not allowed with BLOCK option from scripts`);
      i++;
      timeout = parseI64(a.str(i));
      if (Number.isNaN(timeout)) fail("ERR timeout is not an integer or out of range");
      if (timeout < 0) fail(E.TIMEOUT_NEG);
    } else if (a.is(i, "count") && more) {
      i++;
      count = llArg(a, i);
      if (count < 0) count = 0;
    } else if (a.is(i, "streams") && more) {
      streamsArg = i + 1;
      nstreams = a.argc - streamsArg;
      if (nstreams % 2 !== 0) fail("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      nstreams /= 2;
      break;
    } else if (a.is(i, "group") && more >= 2) {
      if (!isGroup) fail("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      gname = a.str(i + 1);
      cname = a.str(i + 2);
      i += 2;
    } else if (a.is(i, "noack")) {
      if (!isGroup) fail("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      noack = true;
    } else fail(E.SYNTAX);
  }
  if (streamsArg === 0) fail(E.SYNTAX);
  if (isGroup && gname === null) fail("ERR Missing GROUP option for XREADGROUP");

  const ids: SID[] = new Array(nstreams);
  const groups: (Group | null)[] = new Array(nstreams);
  for (let k = 0; k < nstreams; k++) {
    const key = a.str(streamsArg + k);
    const idArg = a.str(streamsArg + nstreams + k);
    const o = readStream(c, key);
    groups[k] = null;
    if (gname !== null) {
      const g = o?.group(gname);
      if (g === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${gname}' in XREADGROUP with GROUP option`);
      groups[k] = g;
    }
    if (tok(idArg, "$")) {
      if (isGroup) {
        fail(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      ids[k] = o !== undefined ? o.lastId : ZERO_ID;
      continue;
    }
    if (tok(idArg, ">")) {
      if (!isGroup) fail("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
      ids[k] = MAX_ID;
      continue;
    }
    ids[k] = strictId(idArg);
  }

  // Everything from here on is propagated as the effects on the groups only.
  propagateNothing(c);
  const fx = isGroup ? captureEffects(c.srv) : null;
  try {
    const out = c.out;
    let served = 0;
    let at = 0;
    for (let k = 0; k < nstreams; k++) {
      const key = a.str(streamsArg + k);
      const s = readStream(c, key);
      if (s === undefined) continue;
      let gt = ids[k]!;
      const g = groups[k]!;
      let sync = false;
      let history = false;
      if (g !== null) {
        if (!gt.isMax()) {
          sync = history = true;
        } else if (s.length !== 0 && cmpId(s.lastValidId(), g.lastId) > 0) {
          sync = true;
          gt = g.lastId;
        }
      } else if (s.length !== 0 && cmpId(s.lastValidId(), gt) > 0) sync = true;
      if (!sync) continue;
      if (++served === 1) at = out.deferLen();
      const start = incrId(gt) ?? ZERO_ID;
      if (out.proto === 2) out.arr(2);
      out.bulk(key);
      let consumer: Consumer | null = null;
      if (g !== null) {
        const [cons, created] = consumerFor(c, key, g, cname);
        consumer = cons;
        if (created && noack) propagateAs(c, ["XGROUP", "CREATECONSUMER", key, gname!, cname]);
      }
      if (history) historyReply(c, s, start, count, consumer!);
      else rangeReply(c, s, start, MAX_ID, count, false, g, consumer, noack, g !== null ? { key, group: gname! } : null);
      if (g !== null) c.srv.ks.dirty++;
    }
    if (served !== 0) {
      out.setDeferred(at, out.proto === 2 ? "*" : "%", served);
      return;
    }
    if (timeout === -1) {
      out.nilArray();
      return;
    }
    if (!canBlock(c)) {
      out.nilArray();
      return;
    }
    const deadline = parseBlockTimeoutMs(c, timeout);
    const keys: string[] = [];
    const gts = new Map<string, SID>();
    for (let k = 0; k < nstreams; k++) {
      const key = a.str(streamsArg + k);
      keys.push(key);
      if (!gts.has(key)) gts.set(key, ids[k]!);
    }
    const group = gname;
    blockOnKeys(c, keys, deadline, (bc, key) => serveBlocked(bc, key, gts.get(key)!, group, cname, count, noack), undefined, group !== null);
  } finally {
    c.selfPropagated = true;
    releaseEffects(c.srv, fx, true);
  }
}

/** Serves a client blocked in XREAD / XREADGROUP when its key is ready (7.0 semantics). */
function serveBlocked(c: Client, key: string, gt: SID, gname: string | null, cname: string, count: number, noack: boolean): boolean {
  const v = c.db.lookup(key);
  if (!(v instanceof StreamObj)) {
    if (gname === null) return false;
    c.out.error("UNBLOCKED the stream key no longer exists");
    return true;
  }
  let g: Group | null = null;
  if (gname !== null) {
    g = v.group(gname) ?? null;
    if (g === null) {
      c.out.error("NOGROUP the consumer group this client was blocked on no longer exists");
      return true;
    }
    gt = g.lastId;
  }
  if (cmpId(v.lastId, gt) <= 0) return false;
  const fx = g !== null ? captureEffects(c.srv) : null;
  try {
    const start = incrId(gt) ?? ZERO_ID;
    let consumer: Consumer | null = null;
    if (g !== null) {
      const [cons, created] = consumerFor(c, key, g, cname);
      consumer = cons;
      if (created && noack) propagateAs(c, ["XGROUP", "CREATECONSUMER", key, gname!, cname]);
    }
    const out = c.out;
    if (out.proto === 2) {
      out.arr(1);
      out.arr(2);
    } else out.map(1);
    out.bulk(key);
    rangeReply(c, v, start, MAX_ID, count, false, g, consumer, noack, g !== null ? { key, group: gname! } : null);
  } finally {
    releaseEffects(c.srv, fx, true);
  }
  return true;
}

// ---- XGROUP ----

/** The part every XGROUP subcommand but HELP shares: key, type, existence and group checks. */
function xgroupPre(c: Client, a: Argv, needGroup: boolean, create: boolean): { s: StreamObj | undefined; g: Group | undefined; mkstream: boolean; entriesRead: number } {
  let mkstream = false;
  let entriesRead = INVALID_READ;
  if (create && a.argc > 5) {
    for (let i = 5; i < a.argc; ) {
      if (a.is(i, "mkstream")) {
        mkstream = true;
        i++;
      } else if (a.is(i, "entriesread") && i + 1 < a.argc) {
        entriesRead = llArg(a, i + 1);
        if (entriesRead < 0 && entriesRead !== INVALID_READ) fail("ERR value for ENTRIESREAD must be positive or -1");
        i += 2;
      } else subcommandSyntaxError(a);
    }
  }
  const key = a.str(2);
  const s = writeStream(c, key);
  if (s === undefined && !mkstream) {
    fail(
      "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
    );
  }
  let g: Group | undefined;
  if (needGroup) {
    g = s!.group(a.str(3));
    if (g === undefined) fail(`NOGROUP No such consumer group '${a.str(3)}' for key name '${key}'`);
  }
  return { s, g, mkstream, entriesRead };
}

/** A change to groups or consumers: dirty and the event, but no WATCH signal (as in 7.0). */
function groupEvent(c: Client, key: string, event: string): void {
  c.srv.ks.dirty++;
  c.srv.ks.notify(N.STREAM, event, key, c.db.id);
}

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Make a consumer group for the stream at <key>, starting after <id> ($: the last entry). Options:",
  "    * MKSTREAM",
  "      Make an empty stream first if <key> does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Start the group's read counter at this value (used by replication).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Add a consumer to the group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Drop a consumer (its pending entries are dropped too).",
  "DESTROY <key> <groupname>",
  "    Drop the whole group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Move the group's last delivered ID (and set its read counter).",
  "HELP",
  "    Print this text.",
];

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    List the consumers of a group.",
  "GROUPS <key>",
  "    List the consumer groups of a stream.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Describe a stream (FULL: with its entries and groups in detail).",
  "HELP",
  "    Print this text.",
];

// ---- XINFO STREAM ----

function xinfoStream(c: Client, a: Argv, s: StreamObj): void {
  let full = true;
  let count = 10;
  const argc = a.argc - 2;
  if (argc === 1) full = false;
  else if (argc === 2 || argc === 4) {
    if (!a.is(3, "full")) subcommandSyntaxError(a);
    if (argc === 4) {
      if (!a.is(4, "count")) subcommandSyntaxError(a);
      count = llArg(a, 5);
      if (count < 0) count = 10;
    }
  } else subcommandSyntaxError(a);
  const out = c.out;
  out.map(full ? 9 : 10);
  out.bulk("length");
  out.int(s.length);
  out.bulk("radix-tree-keys");
  out.int(s.nodes.size);
  out.bulk("radix-tree-nodes");
  out.int(s.raxNodes());
  out.bulk("last-generated-id");
  out.bulk(s.lastId.str);
  out.bulk("max-deleted-entry-id");
  out.bulk(s.maxDeletedId.str);
  out.bulk("entries-added");
  out.int(s.entriesAdded);
  out.bulk("recorded-first-entry-id");
  out.bulk(s.firstId.str);
  if (!full) {
    out.bulk("groups");
    out.int(s.groups === null ? 0 : s.groups.size);
    out.bulk("first-entry");
    if (!s.edge(true)) out.nil();
    else entryReply(c, s.hitNode!, s.hitIdx);
    out.bulk("last-entry");
    if (!s.edge(false)) out.nil();
    else entryReply(c, s.hitNode!, s.hitIdx);
    return;
  }
  out.bulk("entries");
  rangeReply(c, s, ZERO_ID, MAX_ID, count, false, null, null, false, null);
  out.bulk("groups");
  const groups = s.sortedGroups();
  out.arr(groups.length);
  for (const g of groups) {
    out.map(7);
    out.bulk("name");
    out.bulk(g.name);
    groupProgress(c, s, g);
    out.bulk("pel-count");
    out.int(g.pel.size);
    out.bulk("pending");
    let n = 0;
    let at = out.deferLen();
    for (const cur = g.pel.first(); cur.leaf !== null && (count === 0 || n < count); cur.next()) {
      const nack = cur.val;
      out.arr(4);
      out.bulk(cur.key.str);
      out.bulk(nack.consumer!.name);
      out.int(nack.time);
      out.int(nack.count);
      n++;
    }
    out.setDeferred(at, "*", n);
    out.bulk("consumers");
    const cons = g.sortedConsumers();
    out.arr(cons.length);
    for (const cn of cons) {
      out.map(4);
      out.bulk("name");
      out.bulk(cn.name);
      out.bulk("seen-time");
      out.int(cn.seenTime);
      out.bulk("pel-count");
      out.int(cn.pel.size);
      out.bulk("pending");
      n = 0;
      at = out.deferLen();
      for (const cur = cn.pel.first(); cur.leaf !== null && (count === 0 || n < count); cur.next()) {
        const nack = cur.val;
        out.arr(3);
        out.bulk(cur.key.str);
        out.int(nack.time);
        out.int(nack.count);
        n++;
      }
      out.setDeferred(at, "*", n);
    }
  }
}

/** A group's last-delivered-id, entries-read and lag fields (XINFO). */
function groupProgress(c: Client, s: StreamObj, g: Group): void {
  const out = c.out;
  out.bulk("last-delivered-id");
  out.bulk(g.lastId.str);
  out.bulk("entries-read");
  if (g.entriesRead !== INVALID_READ) out.int(g.entriesRead);
  else out.nil();
  out.bulk("lag");
  const lag = s.lag(g);
  if (lag === null) out.nil();
  else out.int(lag);
}

function claimSource(c: Client, key: string, gname: string): [StreamObj, Group] {
  const s = readStream(c, key);
  const g = s?.group(gname);
  if (s === undefined || g === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${gname}'`);
  return [s, g];
}

/**
 * XCLAIM / XAUTOCLAIM of one pending entry: gives it to `consumer` with the delivery time and
 * count (retryCount, or one more unless justid; -1: no RETRYCOUNT), and replies with its ID
 * or the entry.
 */
function claimEntry(c: Client, s: StreamObj, id: SID, nack: Nack, consumer: Consumer, time: number, retryCount: number, justid: boolean): void {
  if (nack.consumer !== consumer && nack.consumer !== null) nack.consumer.pel.delete(id);
  nack.time = time;
  if (retryCount >= 0) nack.count = retryCount;
  else if (!justid) nack.count++;
  if (nack.consumer !== consumer) {
    consumer.pel.set(id, nack);
    nack.consumer = consumer;
  }
  if (justid) c.out.bulk(id.str);
  else {
    s.find(id);
    entryReply(c, s.hitNode!, s.hitIdx);
  }
}

/** A pending entry whose stream entry is gone leaves the PEL (propagated as a claim of it). */
function dropDeletedPending(c: Client, p: PropInfo, g: Group, id: SID, idStr: string, nack: Nack, prop: boolean): void {
  if (prop) propagateClaim(c, p, g, idStr, nack);
  c.srv.ks.dirty++;
  g.pel.delete(id);
  nack.consumer!.pel.delete(id);
}

function xrange(c: Client, a: Argv, rev: boolean): void {
  const start = startBound(a.str(rev ? 3 : 2));
  const end = endBound(a.str(rev ? 2 : 3));
  let count = -1;
  for (let j = 4; j < a.argc; j++) {
    if (a.is(j, "count") && a.argc - j - 1 >= 1) {
      count = llArg(a, ++j);
      if (count < 0) count = 0;
    } else fail(E.SYNTAX);
  }
  const s = readStream(c, a.str(1));
  if (s === undefined) return c.out.emptyArr();
  if (count === 0) return c.out.nilArray();
  rangeReply(c, s, start, end, count === -1 ? 0 : count, rev, null, null, false, null);
}

export const handlers: Handlers = {
  xadd(c, a) {
    const t = parseAddTrim(c, a, true);
    const fieldPos = t.idIdx + 1;
    if (a.argc - fieldPos < 2 || (a.argc - fieldPos) % 2 === 1) fail(wrongArgs("xadd"));
    const useId = t.id;
    if (useId !== null && t.seqGiven && useId.isZero()) fail("ERR The ID specified in XADD must be greater than 0-0");
    const key = a.str(1);
    const db = c.db;
    let s = writeStream(c, key);
    if (s === undefined && t.noMkStream) return c.out.nil();
    const last = s === undefined ? ZERO_ID : s.lastId;
    if (last.isMax()) fail("ERR The stream has exhausted the last possible ID, unable to add more items");
    let id: SID;
    if (useId !== null) {
      if (t.seqGiven) id = useId;
      else if (last.mh === useId.mh && last.ml === useId.ml) {
        // 7.0 reports an exhausted sequence with this (misleading) text.
        if (last.sh === 0xffffffff && last.sl === 0xffffffff) fail("ERR Elements are too large to be stored");
        id = incrId(last)!;
      } else id = useId;
    } else {
      const now = c.srv.ks.now;
      id = now > last.ms ? SID.of(now) : incrId(last)!;
    }
    if (cmpId(id, last) <= 0) fail("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    let total = 0;
    for (let j = fieldPos; j < a.argc; j++) total += a.len(j);
    if (total > 1 << 30) fail("ERR Elements are too large to be stored");
    if (s === undefined) {
      s = new StreamObj();
      db.add(key, s);
    }
    const cfg = c.srv.cfg;
    s.appendArgs(id, a.buf, a.offs, fieldPos, a.argc, cfg.num("stream-node-max-bytes"), cfg.num("stream-node-max-entries"));
    idBulkOf(c.out, id.mh, id.ml, id.sh, id.sl);
    const ks = c.srv.ks;
    ks.written(db, key, N.STREAM, "xadd");
    if (t.strategy !== 0) {
      if (s.trim(t) !== 0) ks.notify(N.STREAM, "xtrim", key, db.id);
    }
    if ((t.approx || useId === null || !t.seqGiven) && propagating(c)) propagateAs(c, rewritten(a, s, t, useId === null || !t.seqGiven ? id : null));
    signalReady(db, key);
  },

  xtrim(c, a) {
    const key = a.str(1);
    const s = writeStream(c, key);
    if (s === undefined) return c.out.int(0);
    const t = parseAddTrim(c, a, false);
    const n = s.trim(t);
    if (n !== 0) {
      c.srv.ks.written(c.db, key, N.STREAM, "xtrim", n);
      if (t.approx && propagating(c)) propagateAs(c, rewritten(a, s, t, null));
    }
    c.out.int(n);
  },

  xrange(c, a) {
    xrange(c, a, false);
  },

  xrevrange(c, a) {
    xrange(c, a, true);
  },

  xlen(c, a) {
    const s = readStream(c, a.str(1));
    c.out.int(s === undefined ? 0 : s.length);
  },

  xdel(c, a) {
    const key = a.str(1);
    const s = writeStream(c, key);
    if (s === undefined) return c.out.int(0);
    const ids: SID[] = [];
    for (let j = 2; j < a.argc; j++) ids.push(strictIdArg(a, j));
    let deleted = 0;
    let first = false;
    for (const id of ids) {
      if (!s.delete(id)) continue;
      if (cmpId(id, s.firstId) === 0) first = true;
      if (cmpId(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
      deleted++;
    }
    if (deleted !== 0) {
      if (s.length === 0) s.firstId = ZERO_ID;
      else if (first) s.refreshFirstId();
      c.srv.ks.written(c.db, key, N.STREAM, "xdel", deleted);
    }
    c.out.int(deleted);
  },

  xread(c, a) {
    xread(c, a, false);
  },

  xreadgroup(c, a) {
    xread(c, a, true);
  },

  "xgroup|help"(c) {
    helpReply(c, XGROUP_HELP);
  },

  "xgroup|create"(c, a) {
    const { s: found, mkstream, entriesRead } = xgroupPre(c, a, false, true);
    if (a.argc > 8) subcommandSyntaxError(a);
    const key = a.str(2);
    let id: SID;
    if (tok(a.str(4), "$")) id = found !== undefined ? found.lastId : ZERO_ID;
    else id = strictId(a.str(4));
    let s = found;
    if (s === undefined) {
      if (!mkstream) fail(E.SYNTAX);
      s = new StreamObj();
      c.db.add(key, s);
      c.srv.ks.modified(c.db, key);
    }
    const gname = a.str(3);
    if (s.groups === null) s.groups = new Map();
    if (s.groups.has(gname)) fail("BUSYGROUP Consumer Group name already exists");
    s.groups.set(gname, new Group(gname, id, entriesRead));
    c.out.ok();
    groupEvent(c, key, "xgroup-create");
  },

  "xgroup|setid"(c, a) {
    const { s, g } = xgroupPre(c, a, true, false);
    if (a.argc !== 5 && a.argc !== 7) subcommandSyntaxError(a);
    let id: SID;
    if (tok(a.str(4), "$")) id = s!.lastId;
    else id = parseId(a.str(4), false, false) ?? fail(INVALID_ID);
    let entriesRead = INVALID_READ;
    if (a.argc === 7) {
      if (!a.is(5, "entriesread")) subcommandSyntaxError(a);
      entriesRead = llArg(a, 6);
      if (entriesRead < 0 && entriesRead !== INVALID_READ) fail("ERR value for ENTRIESREAD must be positive or -1");
    }
    g!.lastId = id;
    g!.entriesRead = entriesRead;
    c.out.ok();
    groupEvent(c, a.str(2), "xgroup-setid");
  },

  "xgroup|destroy"(c, a) {
    const { s } = xgroupPre(c, a, false, false);
    const key = a.str(2);
    if (s!.groups !== null && s!.groups.delete(a.str(3))) {
      c.out.int(1);
      groupEvent(c, key, "xgroup-destroy");
      // Clients blocked in XREADGROUP on it get -NOGROUP.
      signalReady(c.db, key);
    } else c.out.int(0);
  },

  "xgroup|createconsumer"(c, a) {
    const { g } = xgroupPre(c, a, true, false);
    const name = a.str(4);
    if (g!.consumers.has(name)) return c.out.int(0);
    g!.addConsumer(new Consumer(name, c.srv.ks.now));
    c.out.int(1);
    groupEvent(c, a.str(2), "xgroup-createconsumer");
  },

  "xgroup|delconsumer"(c, a) {
    const { g } = xgroupPre(c, a, true, false);
    const cons = g!.consumers.get(a.str(4));
    if (cons === undefined) return c.out.int(0);
    const pending = cons.pel.size;
    cons.pel.forEach((id) => {
      g!.pel.delete(id);
    });
    g!.removeConsumer(cons.name);
    c.out.int(pending);
    groupEvent(c, a.str(2), "xgroup-delconsumer");
  },

  xack(c, a) {
    const s = readStream(c, a.str(1));
    const g = s?.group(a.str(2));
    if (g === undefined) return c.out.int(0);
    const ids: SID[] = [];
    for (let j = 3; j < a.argc; j++) ids.push(strictIdArg(a, j));
    let n = 0;
    for (const id of ids) {
      const nack = g.pel.delete(id);
      if (nack === undefined) continue;
      nack.consumer!.pel.delete(id);
      n++;
    }
    c.srv.ks.dirty += n;
    c.out.int(n);
  },

  xpending(c, a) {
    const summary = a.argc === 3;
    if (a.argc !== 3 && (a.argc < 6 || a.argc > 9)) fail(E.SYNTAX);
    let start = ZERO_ID;
    let end = MAX_ID;
    let count = 0;
    let minIdle = 0;
    let cname: string | null = null;
    if (a.argc >= 6) {
      let si = 3;
      if (a.is(3, "idle")) {
        minIdle = llArg(a, 4);
        if (a.argc < 8) fail(E.SYNTAX);
        si += 2;
      }
      count = llArg(a, si + 2);
      if (count < 0) count = 0;
      start = startBound(a.str(si));
      end = endBound(a.str(si + 1));
      if (si + 3 < a.argc) cname = a.str(si + 3);
    }
    const key = a.str(1);
    const gname = a.str(2);
    const s = readStream(c, key);
    const g = s?.group(gname);
    if (g === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${gname}'`);
    const out = c.out;
    if (summary) {
      out.arr(4);
      out.int(g.pel.size);
      if (g.pel.size === 0) {
        out.nil();
        out.nil();
        out.nilArray();
        return;
      }
      out.bulk(g.pel.firstKey()!.str);
      out.bulk(g.pel.lastKey()!.str);
      const cons = g.sortedConsumers();
      let k = 0;
      for (const x of cons) if (x.pel.size !== 0) k++;
      out.arr(k);
      for (const x of cons) {
        if (x.pel.size === 0) continue;
        out.arr(2);
        out.bulk(x.name);
        out.bulkNum(x.pel.size);
      }
      return;
    }
    let pel = g.pel;
    if (cname !== null) {
      const cons = g.consumers.get(cname);
      if (cons === undefined) return out.emptyArr();
      pel = cons.pel;
    }
    const now = c.srv.ks.now;
    const at = out.deferLen();
    let n = 0;
    for (const cur = pel.ceil(start); count > 0 && cur.leaf !== null && cmpId(cur.key, end) <= 0; cur.next()) {
      const nack = cur.val;
      if (minIdle && now - nack.time < minIdle) continue;
      n++;
      count--;
      out.arr(4);
      out.bulk(cur.key.str);
      out.bulk(nack.consumer!.name);
      out.int(Math.max(0, now - nack.time));
      out.int(nack.count);
    }
    out.setDeferred(at, "*", n);
  },

  xclaim(c, a) {
    const key = a.str(1);
    const gname = a.str(2);
    const [s, g] = claimSource(c, key, gname);
    let minIdle = llArg(a, 4, "ERR Invalid min-idle-time argument for XCLAIM");
    if (minIdle < 0) minIdle = 0;
    let j = 5;
    for (; j < a.argc; j++) if (parseId(a.str(j), false, true) === null) break;
    const lastIdArg = j - 1;
    const now = c.srv.ks.now;
    let lastId = ZERO_ID;
    let deliveryTime = -1;
    let retryCount = -1;
    let force = false;
    let justid = false;
    for (; j < a.argc; j++) {
      const more = a.argc - 1 - j;
      if (a.is(j, "force")) force = true;
      else if (a.is(j, "justid")) justid = true;
      else if (a.is(j, "idle") && more) {
        deliveryTime = now - llArg(a, ++j, "ERR Invalid IDLE option argument for XCLAIM");
      } else if (a.is(j, "time") && more) {
        deliveryTime = llArg(a, ++j, "ERR Invalid TIME option argument for XCLAIM");
      } else if (a.is(j, "retrycount") && more) {
        retryCount = llArg(a, ++j, "ERR Invalid RETRYCOUNT option argument for XCLAIM");
      } else if (a.is(j, "lastid") && more) {
        lastId = strictId(a.str(++j));
      } else fail(`ERR Unrecognized XCLAIM option '${a.str(j)}'`);
    }
    propagateNothing(c);
    const fx = captureEffects(c.srv);
    const ks = c.srv.ks;
    const p: PropInfo = { key, group: gname };
    let propLast = false;
    if (cmpId(lastId, g.lastId) > 0) {
      g.lastId = lastId;
      propLast = true;
    }
    if (deliveryTime !== -1) {
      if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
    } else deliveryTime = now;
    const out = c.out;
    const at = out.deferLen();
    let n = 0;
    let consumer: Consumer | null = null;
    const cname = a.str(3);
    const prop = propagating(c);
    for (let k = 5; k <= lastIdArg; k++) {
      const idArg = a.str(k);
      const id = parseId(idArg, false, true)!;
      let nack = g.pel.get(id);
      if (!s.find(id)) {
        if (nack !== undefined) {
          dropDeletedPending(c, p, g, id, idArg, nack, prop);
          propLast = false;
        }
        continue;
      }
      if (force && nack === undefined) {
        nack = new Nack(now, 1, null);
        g.pel.set(id, nack);
      }
      if (nack === undefined) continue;
      if (nack.consumer !== null && minIdle && now - nack.time < minIdle) continue;
      if (consumer === null) consumer = consumerFor(c, key, g, cname)[0];
      claimEntry(c, s, id, nack, consumer, deliveryTime, retryCount, justid);
      n++;
      if (prop) propagateClaim(c, p, g, idArg, nack);
      propLast = false;
      ks.dirty++;
    }
    if (propLast) {
      if (prop) propagateGroupId(c, p, g);
      ks.dirty++;
    }
    out.setDeferred(at, "*", n);
    c.selfPropagated = true;
    releaseEffects(c.srv, fx, true);
  },

  xautoclaim(c, a) {
    const key = a.str(1);
    const gname = a.str(2);
    const v = c.db.read(key);
    let minIdle = llArg(a, 4, "ERR Invalid min-idle-time argument for XAUTOCLAIM");
    if (minIdle < 0) minIdle = 0;
    const start = startBound(a.str(5));
    let count = 100;
    let justid = false;
    for (let j = 6; j < a.argc; j++) {
      const more = a.argc - 1 - j;
      if (a.is(j, "count") && more) {
        const v = parseI64(a.str(j + 1));
        // 1 .. LONG_MAX / sizeof(streamID), compared exactly.
        if (Number.isNaN(v) || v < 1 || (v > 2 ** 58 && BigInt(a.str(j + 1)) > 576460752303423487n)) fail("ERR COUNT must be > 0");
        count = v;
        j++;
      } else if (a.is(j, "justid")) justid = true;
      else fail(E.SYNTAX);
    }
    if (v !== undefined && !(v instanceof StreamObj)) fail(E.WRONGTYPE);
    const o = v;
    const g = o?.group(gname);
    if (o === undefined || g === undefined) fail(`NOGROUP No such key '${key}' or consumer group '${gname}'`);
    // Redis allocates count stream IDs up front; beyond the address space that fails.
    if (count > 2 ** 43) fail("ERR Insufficient memory, failed allocating transient memory, COUNT too high.");
    propagateNothing(c);
    const fx = captureEffects(c.srv);
    const ks = c.srv.ks;
    const now = ks.now;
    const p: PropInfo = { key, group: gname };
    const prop = propagating(c);
    let attempts = count * 10;
    // The consumer is made (or looked up) when the first entry is claimed.
    let consumer: Consumer | null = null;
    const out = c.out;
    out.arr(3);
    const idAt = out.deferLen();
    const arrAt = out.deferLen();
    let n = 0;
    const deleted: SID[] = [];
    let cur = g.pel.ceil(start);
    while (attempts-- > 0 && count > 0 && cur.leaf !== null) {
      const id = cur.key;
      const nack = cur.val;
      if (!o.find(id)) {
        dropDeletedPending(c, p, g, id, id.str, nack, prop);
        deleted.push(id);
        count--;
        cur = g.pel.ceil(id);
        continue;
      }
      cur.next();
      if (minIdle && now - nack.time < minIdle) continue;
      if (consumer === null) consumer = consumerFor(c, key, g, a.str(3))[0];
      claimEntry(c, o, id, nack, consumer, now, -1, justid);
      n++;
      count--;
      if (prop) propagateClaim(c, p, g, id.str, nack);
      ks.dirty++;
    }
    const endId = cur.leaf === null ? ZERO_ID : cur.key;
    out.setDeferred(arrAt, "*", n);
    // The cursor goes where the first deferred slot was.
    fillDeferredBulk(c, idAt, endId.str);
    out.arr(deleted.length);
    for (const id of deleted) out.bulk(id.str);
    c.selfPropagated = true;
    releaseEffects(c.srv, fx, true);
  },

  "xinfo|help"(c) {
    helpReply(c, XINFO_HELP);
  },

  "xinfo|stream"(c, a) {
    const s = readStream(c, a.str(2)) ?? fail(E.NO_SUCH_KEY);
    xinfoStream(c, a, s);
  },

  "xinfo|groups"(c, a) {
    const s = readStream(c, a.str(2)) ?? fail(E.NO_SUCH_KEY);
    const out = c.out;
    const groups = s.sortedGroups();
    out.arr(groups.length);
    for (const g of groups) {
      out.map(6);
      out.bulk("name");
      out.bulk(g.name);
      out.bulk("consumers");
      out.int(g.consumers.size);
      out.bulk("pending");
      out.int(g.pel.size);
      groupProgress(c, s, g);
    }
  },

  "xinfo|consumers"(c, a) {
    const key = a.str(2);
    const s = readStream(c, key) ?? fail(E.NO_SUCH_KEY);
    const g = s.group(a.str(3)) ?? fail(`NOGROUP No such consumer group '${a.str(3)}' for key name '${key}'`);
    const out = c.out;
    const now = c.srv.ks.now;
    const cons = g.sortedConsumers();
    out.arr(cons.length);
    for (const x of cons) {
      out.map(3);
      out.bulk("name");
      out.bulk(x.name);
      out.bulk("pending");
      out.int(x.pel.size);
      out.bulk("idle");
      out.int(Math.max(0, now - x.seenTime));
    }
  },

  xsetid(c, a) {
    const id = strictId(a.str(2));
    let entriesAdded = -1;
    let maxXdel = ZERO_ID;
    for (let i = 3; i < a.argc; ) {
      const more = a.argc - 1 - i;
      if (a.is(i, "entriesadded") && more) {
        entriesAdded = llArg(a, i + 1);
        if (entriesAdded < 0) fail("ERR entries_added must be positive");
        i += 2;
      } else if (a.is(i, "maxdeletedid") && more) {
        maxXdel = strictId(a.str(i + 1));
        if (cmpId(id, maxXdel) < 0) fail("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
        i += 2;
      } else fail(E.SYNTAX);
    }
    const key = a.str(1);
    const s = writeStream(c, key) ?? fail(E.NO_SUCH_KEY);
    if (s.length > 0) {
      if (cmpId(id, s.lastValidId()) < 0) fail("ERR The ID specified in XSETID is smaller than the target stream top item");
      if (entriesAdded !== -1 && s.length > entriesAdded) fail("ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
    s.lastId = id;
    if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
    if (!maxXdel.isZero()) s.maxDeletedId = maxXdel;
    c.out.ok();
    // 7.0 does not signal the key as modified (WATCH) here.
    groupEvent(c, key, "xsetid");
  },
};

/** Writes a bulk string into a slot reserved with deferLen() (an XAUTOCLAIM cursor). */
function fillDeferredBulk(c: Client, at: number, s: string): void {
  const out = c.out;
  const hdr = `$${s.length}\r\n${s}\r\n`;
  // deferLen reserved 16 bytes: make room for the whole bulk, then write it there.
  const need = hdr.length - 16;
  out.reserve(Math.max(0, need));
  const b = out.b;
  b.copyWithin(at + hdr.length, at + 16, out.n);
  b.latin1Write(hdr, at);
  out.n += need;
}

export function install(srv: Server): void {
  installBlocking(srv);
}
