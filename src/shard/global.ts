// Commands with a global meaning under `shards N`: a client must see one server, so these run
// on every shard and their answers are combined (sums, unions, merged INFO), or they are
// refused with a clear error (SAVE/BGSAVE/DEBUG RELOAD, replication). Those that read or
// change the keyspace as a whole (DBSIZE KEYS RANDOMKEY FLUSHALL FLUSHDB SWAPDB) hold every
// shard while they run, like any cross-shard operation, so they see one consistent state.
// Also here: SCAN (the cursor names the shard), scripts' cache and key checks, keyspace
// notifications and MONITOR across shards.

import { Argv } from "../resp/argv.ts";
import { Reply } from "../resp/writer.ts";
import { CF, type Client } from "../server/client.ts";
import { ROUTED } from "../server/dispatch.ts";
import { CMD, type Command, type Handler } from "../commands/table.ts";
import { clientHooks } from "../commands/client.ts";
import { parseCursor } from "../store/scan.ts";
import { hubOf } from "../pubsub/hub.ts";
import { keySlot } from "../cluster/slot.ts";
import { parseI64 } from "../util/numbers.ts";
import { fail } from "../errors.ts";
import { aggHead, Buf, intReplyAt, latin1, respEnd, stringAt } from "./codec.ts";
import { F } from "./transport.ts";
import { cmdItem, enc, errBytes, lockAll, lockedRuns, OP, unblockPolling, unlockAll, type Mode } from "./coord.ts";
import { CMDF, I, type Node } from "./router.ts";

/** I.QUERY codes. */
const Q = {
  POPULATE: 1,
  PATTERNS: 2,
  UNBLOCK: 3,
  RANDOM: 4,
} as const;

const NOT_SHARDED = (what: string): string =>
  `ERR ${what} is not available with shards > 1 (each shard holds part of the dataset); run with shards 1 for it`;

/** Sends items to every other shard in one mode; takes (and at the end releases) them in "lock" mode. */
export class Fan {
  private held: number[] = [];
  constructor(
    readonly node: Node,
    readonly c: Client,
    public mode: Mode,
  ) {}

  /** Command flags for pieces: inside a sequential EXEC they run as in a transaction. */
  get flags(): number {
    return this.mode === "op" ? CMDF.TX | CMDF.QUIET : CMDF.QUIET;
  }

  async all(items: (s: number) => Buf | null): Promise<Map<number, Uint8Array[]>> {
    const m = new Map<number, Buf | null>();
    for (let s = 0; s < this.node.n; s++) if (s !== this.node.me) m.set(s, items(s));
    const type = this.mode === "ask" ? F.ASK : this.mode === "lock" ? F.LOCK : F.OP;
    const res = await lockAll(this.node, m, this.c.id, type);
    if (this.mode === "lock") {
      this.held = [...m.keys()];
      this.mode = "op";
    }
    return res;
  }

  /** The same command on every other shard; their replies by shard. */
  async same(a: Argv, proto = this.c.proto): Promise<Uint8Array[]> {
    const res = await this.all(() => {
      const b = new Buf(256);
      cmdItem(b, this.c.dbIndex, proto, this.flags, a);
      return b;
    });
    return [...res.values()].map((r) => r[0]!);
  }

  async query(what: number, args: (b: Buf) => void): Promise<Uint8Array[]> {
    const res = await this.all(() => {
      const b = new Buf(64);
      b.u8(I.QUERY);
      b.u8(what);
      args(b);
      return b;
    });
    return [...res.values()].map((r) => r[0]!);
  }

  /** The command here, on the client (its reply bytes). */
  local(cmd: Command, a: Argv, proto = this.c.proto): Uint8Array {
    const out = this.c.out;
    const saved = out.proto;
    out.proto = proto;
    try {
      return this.node.runLocal(this.c, cmd, a, this.mode === "op" ? CMDF.TX : 0);
    } finally {
      out.proto = saved;
    }
  }

  finish(): void {
    if (this.held.length !== 0) unlockAll(this.node, this.held, null, this.c.id);
    this.held = [];
  }
}

interface Spec {
  /** holds every shard while it runs (a consistent view of the whole keyspace) */
  lock: boolean;
  run(f: Fan, c: Client, cmd: Command, a: Argv): Promise<Uint8Array> | Uint8Array;
}

async function runSpec(spec: Spec, node: Node, c: Client, cmd: Command, a: Argv, mode: Mode): Promise<Uint8Array> {
  const f = new Fan(node, c, mode);
  try {
    return await spec.run(f, c, cmd, a);
  } finally {
    f.finish();
  }
}

const isErr = (r: Uint8Array): boolean => r[0] === 45;

function verbatim(proto: number, text: string): Uint8Array {
  const r = new Reply(64 + text.length);
  r.proto = proto;
  r.verbatim(text);
  return r.b.slice(0, r.n);
}

function bulkText(r: Uint8Array): string {
  return stringAt(r, 0, r.length) ?? "";
}

/** Elements of an array reply. */
function elements(r: Uint8Array): Uint8Array[] {
  const { n, body } = aggHead(r, 0, r.length);
  const out: Uint8Array[] = [];
  let p = body;
  for (let i = 0; i < n; i++) {
    const e = respEnd(r, p, r.length);
    out.push(r.subarray(p, e));
    p = e;
  }
  return out;
}

function arrayOf(elems: Uint8Array[]): Uint8Array {
  const b = new Buf(64);
  b.head(42, elems.length);
  for (const e of elems) b.raw(e);
  return b.b.slice(0, b.n);
}

function nilFor(proto: number): Uint8Array {
  return enc(proto === 3 ? "_\r\n" : "$-1\r\n");
}

// ---- INFO ----------------------------------------------------------------------------------

type Sections = Map<string, [string, string][]>;

function parseInfo(text: string): { order: string[]; sec: Sections } {
  const order: string[] = [];
  const sec: Sections = new Map();
  let cur: [string, string][] | null = null;
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) {
      const name = line.slice(2);
      order.push(name);
      sec.set(name, (cur = []));
    } else if (line && cur !== null) {
      const i = line.indexOf(":");
      if (i > 0) cur.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return { order, sec };
}

const NUM = /^-?\d+(\.\d+)?$/;
const ADDITIVE_CLIENTS = new Set(["connected_clients", "blocked_clients", "tracking_clients", "clients_in_timeout_table"]);

function fmtSum(v: number, like: string): string {
  const dot = like.indexOf(".");
  return dot < 0 ? String(Math.round(v)) : v.toFixed(like.length - dot - 1);
}

function sumField(name: string, values: string[]): string {
  void name;
  let s = 0;
  for (const v of values) s += Number(v);
  return fmtSum(s, values[0]!);
}

/** "a=1,b=2" -> map */
function kv(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(",")) {
    const i = part.indexOf("=");
    if (i > 0) m.set(part.slice(0, i), part.slice(i + 1));
  }
  return m;
}

/** One server's INFO from every shard's: counters summed, keyspace and command stats merged. */
export function mergeInfo(local: string, remote: string[]): string {
  const L = parseInfo(local);
  const R = remote.map((t) => parseInfo(t).sec);
  const field = (sec: string, name: string): string[] => {
    const out: string[] = [];
    for (const r of R) {
      const v = r.get(sec)?.find(([k]) => k === name)?.[1];
      if (v !== undefined) out.push(v);
    }
    return out;
  };
  let text = "";
  for (const name of L.order) {
    const lines = L.sec.get(name)!;
    let merged: [string, string][];
    if (name === "Clients" || name === "Stats") {
      merged = lines.map(([k, v]) => {
        if (!NUM.test(v) || (name === "Clients" && !ADDITIVE_CLIENTS.has(k))) return [k, v];
        return [k, sumField(k, [v, ...field(name, k).filter((x) => NUM.test(x))])];
      });
    } else if (name === "Keyspace") {
      const dbs = new Map<number, { keys: number; expires: number; ttl: number }>();
      for (const sec of [L.sec, ...R]) {
        for (const [k, v] of sec.get("Keyspace") ?? []) {
          const id = Number(k.slice(2));
          const m = kv(v);
          const d = dbs.get(id) ?? { keys: 0, expires: 0, ttl: 0 };
          const e = Number(m.get("expires") ?? 0);
          d.keys += Number(m.get("keys") ?? 0);
          d.ttl += Number(m.get("avg_ttl") ?? 0) * e;
          d.expires += e;
          dbs.set(id, d);
        }
      }
      merged = [...dbs.keys()]
        .sort((a, b) => a - b)
        .map((id) => {
          const d = dbs.get(id)!;
          return [`db${id}`, `keys=${d.keys},expires=${d.expires},avg_ttl=${d.expires ? Math.round(d.ttl / d.expires) : 0}`];
        });
    } else if (name === "Commandstats" || name === "Errorstats") {
      const acc = new Map<string, Map<string, number>>();
      for (const sec of [L.sec, ...R]) {
        for (const [k, v] of sec.get(name) ?? []) {
          let m = acc.get(k);
          if (m === undefined) acc.set(k, (m = new Map()));
          for (const [f, x] of kv(v)) m.set(f, (m.get(f) ?? 0) + Number(x));
        }
      }
      merged = [...acc].map(([k, m]) => {
        if (name === "Errorstats") return [k, `count=${m.get("count") ?? 0}`];
        const calls = m.get("calls") ?? 0;
        const usec = m.get("usec") ?? 0;
        return [k, `calls=${calls},usec=${usec},usec_per_call=${(calls ? usec / calls : 0).toFixed(2)},rejected_calls=${m.get("rejected_calls") ?? 0},failed_calls=${m.get("failed_calls") ?? 0}`];
      });
    } else merged = lines;
    if (text) text += "\r\n";
    text += `# ${name}\r\n`;
    for (const [k, v] of merged) text += `${k}:${v}\r\n`;
  }
  return text;
}

// ---- the global commands ---------------------------------------------------------------------

const sumInts = (local: Uint8Array, rem: Uint8Array[]): Uint8Array => {
  if (isErr(local)) return local;
  let n = intReplyAt(local, 0, local.length);
  for (const r of rem) n += intReplyAt(r, 0, r.length);
  return enc(`:${n}\r\n`);
};

const firstError = (local: Uint8Array, rem: Uint8Array[]): Uint8Array => {
  if (isErr(local)) return local;
  for (const r of rem) if (isErr(r)) return r;
  return local;
};

/** The command here first; on success the same on every other shard (their answers ignored unless errors). */
const everywhere: Spec = {
  lock: false,
  async run(f, _c, cmd, a) {
    const local = f.local(cmd, a);
    if (isErr(local)) return local;
    await f.same(a);
    return local;
  },
};

export function installGlobal(node: Node): void {
  const srv = node.srv;
  const me = node.me;
  const reg = (name: string, spec: Spec): void => {
    const cmd = srv.table.byName(name);
    if (cmd === undefined || cmd.handler === null) return;
    node.globals.add(cmd);
    lockedRuns.set(cmd, (n, c, k, a, mode) => runSpec(spec, n, c, k, a, mode));
    node.routes.set(cmd, (c, k, a) => {
      const slot = node.newSlot(c, -1, 0);
      const argv = a.clone();
      if (spec.lock) {
        node.startOp({
          kind: OP.GLOBAL, c, slot, cmd: k, argv, keys: [], deadline: 0, cancelled: null,
          run: () => runSpec(spec, node, c, k, argv, "lock"),
        });
      } else {
        runSpec(spec, node, c, k, argv, "ask").then(
          (r) => node.complete(c, slot, r, false),
          (e) => node.complete(c, slot, errBytes(`ERR ${(e as Error)?.message ?? e}`), false),
        );
      }
      return ROUTED;
    });
  };
  const refuse = (name: string, what: string): void => {
    const cmd = srv.table.byName(name);
    if (cmd === undefined) return;
    node.globals.add(cmd);
    node.routes.set(cmd, () => NOT_SHARDED(what));
    lockedRuns.set(cmd, async () => errBytes(NOT_SHARDED(what)));
  };

  // The whole keyspace, consistently: every shard held.
  reg("dbsize", {
    lock: true,
    async run(f, _c, cmd, a) {
      const rem = await f.same(a);
      return sumInts(f.local(cmd, a), rem);
    },
  });
  reg("keys", {
    lock: true,
    async run(f, _c, cmd, a) {
      const rem = await f.same(a);
      const local = f.local(cmd, a);
      if (isErr(local)) return local;
      const all = elements(local);
      for (const r of rem) all.push(...elements(r));
      return arrayOf(all);
    },
  });
  reg("randomkey", {
    lock: true,
    async run(f, c) {
      const rem = await f.query(Q.RANDOM, (b) => b.u32(c.dbIndex));
      const cands: [number, string][] = [];
      const mine = randomOf(node, c.dbIndex);
      if (mine !== null) cands.push(mine);
      for (const r of rem) {
        const [size, key] = elements(r);
        const k = stringAt(key!, 0, key!.length);
        if (k !== null) cands.push([intReplyAt(size!, 0, size!.length), k]);
      }
      let total = 0;
      for (const [n] of cands) total += n;
      if (total === 0) return nilFor(c.proto);
      let x = Math.random() * total;
      for (const [n, k] of cands) {
        x -= n;
        if (x < 0) return bulk(k);
      }
      return bulk(cands[cands.length - 1]![1]);
    },
  });
  node.queries.set(Q.RANDOM, (rd, out) => {
    const r = randomOf(node, rd.u32());
    out.head(42, 2);
    out.head(58, r === null ? 0 : r[0]);
    if (r === null) out.raw(enc("$-1\r\n"));
    else out.bulkStr(r[1]);
  });
  for (const name of ["flushall", "flushdb", "swapdb"]) {
    reg(name, {
      lock: true,
      async run(f, _c, cmd, a) {
        const rem = await f.same(a);
        return firstError(f.local(cmd, a), rem);
      },
    });
  }

  // SCAN: the cursor is inner * shards + shard.
  const scan = srv.table.byName("scan")!;
  const scanArgs = (a: Argv, inner: number): Argv => {
    const args: Uint8Array[] = [];
    for (let i = 0; i < a.argc; i++) args.push(i === 1 ? enc(String(inner)) : a.bytes(i));
    return Argv.of(args);
  };
  const cursorMap = (shard: number) => (r: Uint8Array): Uint8Array => {
    if (r[0] !== 42) return r;
    const { body } = aggHead(r, 0, r.length);
    const end = respEnd(r, body, r.length);
    const inner = Number(stringAt(r, body, end));
    const next = inner === 0 ? (shard + 1 < node.n ? shard + 1 : 0) : inner * node.n + shard;
    const b = new Buf(r.length + 24);
    b.head(42, 2);
    b.bulkStr(String(next));
    b.raw(r, end, r.length);
    return b.b.slice(0, b.n);
  };
  node.globals.add(scan);
  node.routes.set(scan, (c, _k, a) => {
    const cur = parseCursor(a.str(1));
    if (Number.isNaN(cur)) return null;
    const shard = cur % node.n;
    const inner = Math.floor(cur / node.n);
    const argv = scanArgs(a, inner);
    if (shard === me) {
      node.deliver(c, cursorMap(me)(node.runLocal(c, scan, argv, 0)));
    } else node.forward(c, shard, argv, false).map = cursorMap(shard);
    return ROUTED;
  });
  lockedRuns.set(scan, async (n, c, k, a) => {
    const cur = parseCursor(a.str(1));
    if (Number.isNaN(cur)) return n.runLocal(c, k, a, CMDF.TX);
    const shard = cur % n.n;
    const argv = scanArgs(a, Math.floor(cur / n.n));
    if (shard === me) return cursorMap(me)(n.runLocal(c, k, argv, CMDF.TX));
    const b = new Buf(128);
    cmdItem(b, c.dbIndex, c.proto, CMDF.TX, argv);
    const r = await n.request(shard, F.OP, b, c.id);
    return cursorMap(shard)(r[0]!);
  });

  // Pub/sub: subscribers on every shard receive; counts are summed.
  for (const [name, kind] of [["publish", 0], ["spublish", 1]] as const) {
    reg(name, {
      lock: false,
      async run(f, _c, cmd, a) {
        const local = f.local(cmd, a);
        const rem = await f.all(() => {
          const b = new Buf(64);
          b.u8(I.PUB);
          b.u8(kind);
          b.str(a.str(1));
          b.bytes(a.bytes(2));
          return b;
        });
        return sumInts(local, [...rem.values()].map((r) => r[0]!));
      },
    });
  }
  for (const name of ["pubsub|numsub", "pubsub|shardnumsub"]) {
    reg(name, {
      lock: false,
      async run(f, _c, cmd, a) {
        const local = f.local(cmd, a);
        const rem = await f.same(a);
        const le = elements(local);
        const sums = new Array<number>(le.length >> 1).fill(0);
        for (const r of [local, ...rem]) {
          const e = elements(r);
          for (let i = 1; i < e.length; i += 2) sums[i >> 1]! += intReplyAt(e[i]!, 0, e[i]!.length);
        }
        const out: Uint8Array[] = [];
        for (let i = 0; i < le.length; i += 2) out.push(le[i]!, enc(`:${sums[i >> 1]}\r\n`));
        return arrayOf(out);
      },
    });
  }
  for (const name of ["pubsub|channels", "pubsub|shardchannels"]) {
    reg(name, {
      lock: false,
      async run(f, _c, cmd, a) {
        const local = f.local(cmd, a);
        if (isErr(local)) return local;
        const rem = await f.same(a);
        const seen = new Set<string>();
        const out: Uint8Array[] = [];
        for (const r of [local, ...rem]) {
          for (const e of elements(r)) {
            const s = latin1(e, 0, e.length);
            if (seen.has(s)) continue;
            seen.add(s);
            out.push(e);
          }
        }
        return arrayOf(out);
      },
    });
  }
  reg("pubsub|numpat", {
    lock: false,
    async run(f) {
      const rem = await f.query(Q.PATTERNS, () => {});
      const pats = new Set(hubOf(srv).patterns.keys());
      for (const r of rem) for (const e of elements(r)) pats.add(stringAt(e, 0, e.length) ?? "");
      return enc(`:${pats.size}\r\n`);
    },
  });
  node.queries.set(Q.PATTERNS, (_rd, out) => {
    const pats = [...hubOf(srv).patterns.keys()];
    out.head(42, pats.length);
    for (const p of pats) out.bulkStr(p);
  });

  // Introspection: one server's view.
  reg("info", {
    lock: false,
    async run(f, c, cmd, a) {
      const local = bulkText(f.local(cmd, a, 2));
      const rem = (await f.same(a, 2)).map(bulkText);
      return verbatim(c.proto, mergeInfo(local, rem));
    },
  });
  reg("client|list", {
    lock: false,
    async run(f, c, cmd, a) {
      const local = f.local(cmd, a, 2);
      if (isErr(local)) return local;
      const rem = await f.same(a, 2);
      return verbatim(c.proto, [local, ...rem].map(bulkText).join(""));
    },
  });
  reg("client|kill", {
    lock: false,
    async run(f, _c, cmd, a) {
      const local = f.local(cmd, a);
      if (a.argc === 3) {
        if (!isErr(local)) return local;
        if (!local.subarray(0, 20).toString().includes("No such client")) return local;
        const rem = await f.same(a);
        for (const r of rem) if (!isErr(r)) return r;
        return local;
      }
      if (isErr(local)) return local;
      return sumInts(local, await f.same(a));
    },
  });
  reg("client|unblock", {
    lock: false,
    async run(f, _c, cmd, a) {
      const local = f.local(cmd, a);
      if (isErr(local) || intReplyAt(local, 0, local.length) === 1) return local;
      const id = parseI64(a.str(2));
      const withError = a.argc === 4 && a.is(3, "error");
      if (unblockHere(node, id, withError)) return enc(":1\r\n");
      const rem = await f.query(Q.UNBLOCK, (b) => {
        b.f64(id);
        b.u8(withError ? 1 : 0);
      });
      return enc(rem.some((r) => intReplyAt(r, 0, r.length) === 1) ? ":1\r\n" : ":0\r\n");
    },
  });
  node.queries.set(Q.UNBLOCK, (rd, out) => {
    const id = rd.f64();
    const withError = rd.u8() === 1;
    const target = srv.clients.get(id);
    let ok = false;
    if (target !== undefined && target.flags & CF.BLOCKED && clientHooks.unblock) ok = clientHooks.unblock(target, withError);
    if (!ok) ok = unblockHere(node, id, withError);
    out.raw(enc(ok ? ":1\r\n" : ":0\r\n"));
  });
  reg("client|pause", everywhere);
  reg("client|unpause", everywhere);

  // Configuration and code: every shard the same.
  reg("config|set", {
    lock: false,
    async run(f, _c, cmd, a) {
      for (let i = 2; i + 1 < a.argc; i += 2) {
        if (a.is(i, "save") && a.len(i + 1) !== 0) return errBytes(NOT_SHARDED("Saving RDB snapshots"));
      }
      return everywhere.run(f, _c, cmd, a);
    },
  });
  for (const name of ["config|resetstat", "script|load", "function|load", "function|delete", "function|flush", "function|restore"]) reg(name, everywhere);
  reg("script|flush", {
    lock: false,
    async run(f, c, cmd, a) {
      evalSent.clear();
      return everywhere.run(f, c, cmd, a);
    },
  });

  // Persistence and replication are per process.
  refuse("save", "SAVE");
  refuse("bgsave", "BGSAVE");
  refuse("bgrewriteaof", "BGREWRITEAOF");
  for (const name of ["replicaof", "slaveof", "failover", "sync", "psync"]) refuse(name, "Replication");

  // DEBUG: a few subcommands span shards.
  const debug = srv.table.byName("debug");
  if (debug) {
    node.routes.set(debug, (c, k, a) => {
      const sub = a.argc > 1 ? a.lower(1) : "";
      switch (sub) {
        case "reload":
          return NOT_SHARDED("DEBUG RELOAD");
        case "populate":
        case "digest":
        case "set-active-expire": {
          const slot = node.newSlot(c, -1, 0);
          const argv = a.clone();
          runSpec(debugSpec, node, c, k, argv, "ask").then((r) => node.complete(c, slot, r, false));
          return ROUTED;
        }
        case "object":
        case "digest-value":
        case "listpack":
        case "quicklist-packed-threshold":
        case "sdslen": {
          if (a.argc < 3) return null;
          const o = node.ownerOfArg(a, 2);
          if (o === me) return null;
          node.forward(c, o, a, false);
          return ROUTED;
        }
        default:
          return null;
      }
    });
  }
  const debugSpec: Spec = {
    lock: false,
    async run(f, c, cmd, a) {
      const sub = a.lower(1);
      if (sub === "populate") {
        let err: string | null = null;
        let count = 0;
        let prefix = "key";
        let size = -1;
        try {
          if (a.argc < 3 || a.argc > 5) fail("ERR wrong number of arguments for 'debug|populate' command");
          count = parseI64(a.str(2));
          if (Number.isNaN(count) || count < 0) fail("ERR value is out of range, must be positive");
          if (a.argc >= 4) prefix = a.str(3);
          if (a.argc === 5) {
            size = parseI64(a.str(4));
            if (Number.isNaN(size) || size < 0) fail("ERR value is out of range, must be positive");
          }
        } catch (e) {
          err = (e as { reply?: string }).reply ?? String(e);
        }
        if (err !== null) return errBytes(err);
        populate(node, c.dbIndex, count, prefix, size);
        await f.query(Q.POPULATE, (b) => {
          b.u32(c.dbIndex);
          b.f64(count);
          b.str(prefix);
          b.f64(size);
        });
        return enc("+OK\r\n");
      }
      const local = f.local(cmd, a);
      if (isErr(local)) return local;
      const rem = await f.same(a);
      if (sub !== "digest") return local;
      const acc = Buffer.alloc(20);
      for (const r of [local, ...rem]) {
        const hex = stringAt(r, 0, r.length) ?? "";
        const d = Buffer.from(hex, "hex");
        for (let i = 0; i < 20 && i < d.length; i++) acc[i]! ^= d[i]!;
      }
      return enc(`+${acc.toString("hex")}\r\n`);
    },
  };
  if (debug) {
    node.globals.add(debug);
    lockedRuns.set(debug, (n, c, k, a, mode) => runSpec(debugSpec, n, c, k, a, mode));
  }
  node.queries.set(Q.POPULATE, (rd, out) => {
    const db = rd.u32();
    const count = rd.f64();
    const prefix = rd.str();
    const size = rd.f64();
    populate(node, db, count, prefix, size);
    out.raw(enc("+OK\r\n"));
  });

  // SHUTDOWN stops every shard (the supervisor does it); MONITOR sees every shard.
  const shutdown = srv.table.byName("shutdown");
  if (shutdown) {
    node.routes.set(shutdown, (_c, _k, a) => {
      let save: boolean | null = null;
      for (let i = 1; i < a.argc; i++) {
        if (a.is(i, "nosave")) save = false;
        else if (a.is(i, "save")) save = true;
        else if (a.is(i, "now") || a.is(i, "force")) continue;
        else if (a.is(i, "abort")) return a.argc !== 2 ? "ERR syntax error" : "ERR No shutdown in progress.";
        else return "ERR syntax error";
      }
      if (save === true) return NOT_SHARDED("SHUTDOWN SAVE");
      node.onShutdownRequest?.(save);
      return ROUTED;
    });
  }
  const monitor = srv.table.byName("monitor");
  if (monitor) {
    node.routes.set(monitor, () => {
      queueMicrotask(() => node.syncMonitors());
      return null;
    });
  }

  // Keyspace notifications reach subscribers on every shard.
  const publish = srv.hooks.publish;
  srv.hooks.publish = (channel, message) => {
    const n = publish?.(channel, message) ?? 0;
    broadcastPub(node, 0, channel, enc(message));
    return n;
  };
  node.updateRelay();
}

function bulk(s: string): Uint8Array {
  const b = new Buf(s.length + 16);
  b.bulkStr(s);
  return b.b.slice(0, b.n);
}

function randomOf(node: Node, dbi: number): [number, string] | null {
  const db = node.srv.ks.dbs[dbi];
  if (db === undefined || db.size === 0) return null;
  const k = db.randomKey();
  return k === null ? null : [db.size, k];
}

/** DEBUG POPULATE's keys that this shard owns. */
function populate(node: Node, dbi: number, count: number, prefix: string, size: number): void {
  const db = node.srv.ks.dbs[dbi];
  if (db === undefined) return;
  const me = node.me;
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (node.ownerOfKey(key) !== me) continue;
    if (db.lookup(key) !== undefined) continue;
    let val = `value:${i}`;
    if (size >= 0) val = val.length >= size ? val.slice(0, size) : val + "\0".repeat(size - val.length);
    db.set(key, val);
  }
}

/** CLIENT UNBLOCK of a client whose blocking command waits here for its home shard (proxy) or across shards. */
function unblockHere(node: Node, id: number, withError: boolean): boolean {
  const p = node.proxies.get(id);
  if (p !== undefined && p.c.flags & CF.BLOCKED && clientHooks.unblock && clientHooks.unblock(p.c, withError)) return true;
  return unblockPolling(node, id, withError);
}

/** Delivers a message to subscribers on every other shard (no answer). */
export function broadcastPub(node: Node, kind: number, channel: string, message: Uint8Array): void {
  for (let s = 0; s < node.n; s++) {
    if (s === node.me) continue;
    const b = new Buf(64 + message.length);
    b.u8(I.PUB);
    b.u8(kind);
    b.str(channel);
    b.bytes(message);
    node.send(s, F.ASK, b, 0);
  }
}

// ---- scripts -----------------------------------------------------------------------------------

/** Script bodies already sent to every shard's cache (EVAL caches, EVALSHA may run elsewhere). */
const evalSent = new Set<string>();

const NON_LOCAL = "ERR Script attempted to access a non local key in a cluster node";

/**
 * After the keyed routes exist: EVAL shares its script with every shard; commands a script
 * calls must find their keys here (declared keys are here or borrowed for the script);
 * PUBLISH from a script reaches every shard.
 */
export function installScripts(node: Node): void {
  const srv = node.srv;
  const me = node.me;
  for (const name of ["eval", "eval_ro"]) {
    const cmd = srv.table.byName(name);
    const route = cmd && node.routes.get(cmd);
    if (!cmd || !route) continue;
    node.routes.set(cmd, (c, k, a) => {
      const body = a.str(1);
      if (!evalSent.has(body)) {
        evalSent.add(body);
        for (let s = 0; s < node.n; s++) {
          if (s === me) continue;
          const b = new Buf(body.length + 64);
          cmdItem(b, 0, 2, CMDF.QUIET, ["SCRIPT", "LOAD", a.bytes(1)]);
          node.send(s, F.ASK, b, 0);
        }
      }
      return route(c, k, a);
    });
  }
  for (const cmd of srv.table.each()) {
    if (cmd.handler === null) continue;
    const h: Handler = cmd.handler;
    const mutable = cmd as { handler: Handler | null };
    if (cmd.name === "publish" || cmd.name === "spublish") {
      const kind = cmd.name === "spublish" ? 1 : 0;
      mutable.handler = (c, a) => {
        h(c, a);
        if (c.flags & CF.FAKE) broadcastPub(node, kind, a.str(1), Uint8Array.prototype.slice.call(a.bytes(2)));
      };
      continue;
    }
    if ((cmd.flags & CMD.PUBSUB) !== 0 || (cmd.first <= 0 && (cmd.flags & CMD.MOVABLE_KEYS) === 0)) continue;
    mutable.handler = (c, a) => {
      if (c.flags & CF.FAKE) {
        const idx = node.keyIndexes(cmd, a);
        if (idx !== null) {
          for (const i of idx) {
            if (i >= a.argc) continue;
            if (node.owner[keySlot(a.buf, a.offs[i * 2]!, a.offs[i * 2 + 1]!)] !== me && !node.borrowed.has(a.str(i))) fail(NON_LOCAL);
          }
        }
      }
      h(c, a);
    };
  }
}
