#!/usr/bin/env bun
// Lists, hashes and sets with 1M elements, AiKv next to redis-server. Builds each collection
// with pipelined pushes/adds, then times operations whose cost must not grow with the size
// (push/pop at both ends, HGET/HSET/HDEL, SISMEMBER/SADD/SREM, SRANDMEMBER/SPOP/HRANDFIELD,
// LRANGE of 100 near the ends) and the O(n)-in-Redis-too ones (LINDEX/LSET in the middle).
// Also times the in-process types without the network. Prints ops/s and AiKv/redis ratios;
// nothing is asserted. Options: --n 1000000 --ops 100000 --pipeline 500 --only list,hash,set

import { startAikv, startRedis, type Running } from "../test/helpers/servers.ts";
import { ListObj } from "../src/store/types/list.ts";
import { HashObj } from "../src/store/types/hash.ts";
import { SetObj } from "../src/store/types/set.ts";
import { Conn, DEFAULT_LIMITS, prng, sizeArgs } from "./lib.ts";

const { N, OPS, PIPE, opt } = sizeArgs({ n: "1000000", ops: "100000", pipeline: "500" }, { only: "list,hash,set" });
const ONLY = new Set(opt.only!.split(","));

/** Runs the commands pipelined on c; fails on the first error reply. */
async function run(c: Conn, cmds: Iterable<string[]>): Promise<void> {
  await c.run(cmds, PIPE);
  if (c.replies.errorLines.length) throw new Error(`errors: ${c.replies.errorLines.join(" | ")}`);
}

interface Case {
  name: string;
  /** commands that prepare the data (untimed) */
  setup?: () => Iterable<string[]>;
  ops: () => Iterable<string[]>;
  count: number;
}

function* range(n: number, f: (i: number) => string[]): Iterable<string[]> {
  for (let i = 0; i < n; i++) yield f(i);
}

function cases(): Case[] {
  const out: Case[] = [];
  const r = prng(1);
  const CH = 1000;
  // Baselines: per-command cost without collections.
  out.push({ name: "baseline PING", ops: () => range(OPS, () => ["PING"]), count: OPS });
  out.push({ name: "baseline SET", ops: () => range(OPS, (i) => ["SET", `k${i % 1000}`, "v"]), count: OPS });
  out.push({ name: "baseline GET", ops: () => range(OPS, (i) => ["GET", `k${i % 1000}`]), count: OPS });
  if (ONLY.has("list")) {
    out.push({ name: `RPUSH build ${N} (batches of ${CH})`, ops: () => range(N / CH, (i) => ["RPUSH", "l", ...Array.from({ length: CH }, (_, j) => String(i * CH + j))]), count: N });
    out.push({ name: "LPUSH+RPOP on 1M list", ops: () => range(OPS, (i) => (i % 2 ? ["RPOP", "l"] : ["LPUSH", "l", "x"])), count: OPS });
    out.push({ name: "LRANGE 100 near head", ops: () => range(OPS / 10, () => ["LRANGE", "l", "0", "99"]), count: OPS / 10 });
    out.push({ name: "LRANGE 100 near tail", ops: () => range(OPS / 10, () => ["LRANGE", "l", "-100", "-1"]), count: OPS / 10 });
    out.push({ name: "LINDEX random (O(n) in Redis)", ops: () => range(2000, () => ["LINDEX", "l", String(Math.floor(r() * N))]), count: 2000 });
    out.push({ name: "LSET random (O(n) in Redis)", ops: () => range(2000, () => ["LSET", "l", String(Math.floor(r() * N)), "y"]), count: 2000 });
    out.push({ name: "LINSERT near head", ops: () => range(2000, () => ["LINSERT", "l", "BEFORE", "5", "z"]), count: 2000 });
    out.push({ name: "LMOVE l -> l2 -> l", ops: () => range(OPS, (i) => (i % 2 ? ["LMOVE", "l2", "l", "LEFT", "RIGHT"] : ["LMOVE", "l", "l2", "LEFT", "RIGHT"])), count: OPS });
    out.push({ name: "LTRIM dropping 100k from each end", ops: () => [["LTRIM", "l", "100000", "-100001"]], count: 1 });
    out.push({ name: "DEL 800k list", ops: () => [["DEL", "l"]], count: 1 });
  }
  if (ONLY.has("hash")) {
    out.push({ name: `HSET build ${N} (batches of ${CH})`, ops: () => range(N / CH, (i) => ["HSET", "h", ...Array.from({ length: CH }, (_, j) => [`f${i * CH + j}`, "v"]).flat()]), count: N });
    out.push({ name: "HGET random", ops: () => range(OPS, () => ["HGET", "h", `f${Math.floor(r() * N)}`]), count: OPS });
    out.push({ name: "HSET existing", ops: () => range(OPS, () => ["HSET", "h", `f${Math.floor(r() * N)}`, "w"]), count: OPS });
    out.push({ name: "HINCRBY", ops: () => range(OPS, () => ["HINCRBY", "h", `c${Math.floor(r() * 1000)}`, "1"]), count: OPS });
    out.push({ name: "HRANDFIELD", ops: () => range(OPS, () => ["HRANDFIELD", "h"]), count: OPS });
    out.push({ name: "HRANDFIELD 10 WITHVALUES", ops: () => range(OPS / 10, () => ["HRANDFIELD", "h", "10", "WITHVALUES"]), count: OPS / 10 });
    out.push({ name: "HDEL+HSET", ops: () => range(OPS, (i) => (i % 2 ? ["HSET", "h", `f${i - 1}`, "v"] : ["HDEL", "h", `f${i}`])), count: OPS });
    out.push({ name: "HSCAN COUNT 100", ops: () => range(1000, (i) => ["HSCAN", "h", String(i * 100), "COUNT", "100"]), count: 1000 });
    out.push({ name: "DEL 1M hash", ops: () => [["DEL", "h"]], count: 1 });
  }
  if (ONLY.has("set")) {
    out.push({ name: `SADD build ${N} strings (batches of ${CH})`, ops: () => range(N / CH, (i) => ["SADD", "s", ...Array.from({ length: CH }, (_, j) => `m${i * CH + j}`)]), count: N });
    out.push({ name: "SISMEMBER random", ops: () => range(OPS, () => ["SISMEMBER", "s", `m${Math.floor(r() * N)}`]), count: OPS });
    out.push({ name: "SRANDMEMBER", ops: () => range(OPS, () => ["SRANDMEMBER", "s"]), count: OPS });
    out.push({ name: "SRANDMEMBER -10", ops: () => range(OPS / 10, () => ["SRANDMEMBER", "s", "-10"]), count: OPS / 10 });
    out.push({ name: "SPOP+SADD", ops: () => range(OPS, (i) => (i % 2 ? ["SADD", "s", `n${i}`] : ["SPOP", "s"])), count: OPS });
    out.push({ name: "SREM+SADD", ops: () => range(OPS, (i) => (i % 2 ? ["SADD", "s", `m${i - 1}`] : ["SREM", "s", `m${i}`])), count: OPS });
    out.push({ name: "SPOP 1000 (count)", ops: () => range(100, () => ["SPOP", "s", "1000"]), count: 100 });
    out.push({ name: "SCARD+SINTERCARD small", setup: () => [["SADD", "t", "m1", "m2", "m3", "zz"]], ops: () => range(OPS / 10, () => ["SINTERCARD", "2", "s", "t"]), count: OPS / 10 });
    out.push({ name: "SUNIONSTORE 1M + small", ops: () => [["SUNIONSTORE", "u", "s", "t"]], count: 1 });
    out.push({ name: "DEL 1M sets", ops: () => [["DEL", "s", "u"]], count: 1 });
  }
  return out;
}

async function timeCase(c: Conn, k: Case): Promise<number> {
  if (k.setup) await run(c, k.setup());
  const t0 = performance.now();
  await run(c, k.ops());
  return performance.now() - t0;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

function inProcess(): void {
  const lim = DEFAULT_LIMITS;
  const rows: [string, number, number][] = [];
  const time = (name: string, n: number, f: () => void) => {
    const t0 = performance.now();
    f();
    rows.push([name, n, performance.now() - t0]);
  };
  const l = new ListObj();
  time("list pushRight 1M", N, () => {
    for (let i = 0; i < N; i++) l.pushRight(String(i));
  });
  time("list pushLeft+popRight 1M", N, () => {
    for (let i = 0; i < N; i++) {
      l.pushLeft("x");
      l.popRight();
    }
  });
  const r = prng(2);
  time("list get(random) 10k", 10000, () => {
    for (let i = 0; i < 10000; i++) l.get(Math.floor(r() * N));
  });
  time("list insertAt(random) 10k", 10000, () => {
    for (let i = 0; i < 10000; i++) l.insertAt(Math.floor(r() * N), "y");
  });
  time("list removeValue(all 'y')", 1, () => void l.removeValue("y", 0, false));
  const h = new HashObj();
  time("hash set 1M", N, () => {
    for (let i = 0; i < N; i++) h.set(`f${i}`, "v", lim);
  });
  time("hash randomField 1M (index built on first use)", N, () => {
    for (let i = 0; i < N; i++) h.randomField();
  });
  time("hash delete+set 1M", N, () => {
    for (let i = 0; i < N; i++) {
      h.delete(`f${i}`);
      h.set(`f${i}`, "w", lim);
    }
  });
  const s = new SetObj();
  time("set add 1M", N, () => {
    for (let i = 0; i < N; i++) s.add(`m${i}`, lim);
  });
  time("set has 1M", N, () => {
    for (let i = 0; i < N; i++) s.has(`m${i}`);
  });
  time("set popRandom+add 1M", N, () => {
    for (let i = 0; i < N; i++) s.add(s.popRandom(), lim);
  });
  console.log("\nin-process types:");
  for (const [name, n, ms] of rows) console.log(`  ${name.padEnd(48)} ${ms.toFixed(1).padStart(9)} ms  ${fmt((n / ms) * 1000).padStart(8)} ops/s`);
}

async function main(): Promise<void> {
  const servers: [string, Running][] = [
    ["aikv", await startAikv()],
    ["redis", await startRedis()],
  ];
  const ks = cases();
  const results = new Map<string, Map<string, number>>();
  try {
    for (const [label, srv] of servers) {
      const c = await Conn.open(srv.port);
      await run(c, [["FLUSHALL"]]);
      const m = new Map<string, number>();
      for (const k of ks) {
        const ms = await timeCase(c, k);
        m.set(k.name, ms);
        console.error(`  ${label}: ${k.name} ${ms.toFixed(0)} ms`);
      }
      results.set(label, m);
      c.close();
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
  console.log(`collections, n=${N}, ops=${OPS}, pipeline=${PIPE}`);
  console.log(`${"case".padEnd(44)} ${"aikv ops/s".padStart(11)} ${"redis ops/s".padStart(11)} ${"ratio".padStart(6)}`);
  for (const k of ks) {
    const a = results.get("aikv")!.get(k.name)!;
    const r = results.get("redis")!.get(k.name)!;
    const ra = (k.count / a) * 1000;
    const rr = (k.count / r) * 1000;
    console.log(`${k.name.padEnd(44)} ${fmt(ra).padStart(11)} ${fmt(rr).padStart(11)} ${(ra / rr).toFixed(2).padStart(6)}`);
  }
  inProcess();
}

await main();
