#!/usr/bin/env bun
// Sorted sets with 1M members, AiKv next to redis-server: pipelined ZADD (building the set),
// ZRANK / ZREVRANK, ZSCORE, ZRANGE by rank and by score (10 elements at random places),
// ZINCRBY, ZREM. Also times the in-process index (no network). Prints ops/s per server and
// the AiKv/redis ratio. Options: --n 1000000 --ops 200000 --pipeline 500

import { parseArgs } from "node:util";
import { startAikv, startRedis, type Running } from "../test/helpers/servers.ts";
import { ZSet } from "../src/store/types/zset.ts";

const { values: opt } = parseArgs({
  options: {
    n: { type: "string", default: "1000000" },
    ops: { type: "string", default: "200000" },
    pipeline: { type: "string", default: "500" },
  },
});
const N = Number(opt.n);
const OPS = Number(opt.ops);
const PIPE = Number(opt.pipeline);

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`;
  return s;
}

/** Counts complete top-level RESP replies in a byte stream (arrays and bulks included). */
class ReplyCounter {
  private stack: number[] = [];
  private bulkLeft = -1;
  private line = "";
  done = 0;
  errors = 0;

  feed(b: Uint8Array): void {
    let i = 0;
    while (i < b.length) {
      if (this.bulkLeft >= 0) {
        const take = Math.min(this.bulkLeft, b.length - i);
        this.bulkLeft -= take;
        i += take;
        if (this.bulkLeft === 0) {
          this.bulkLeft = -1;
          this.value();
        }
        continue;
      }
      const nl = b.indexOf(10, i);
      if (nl < 0) {
        this.line += Buffer.from(b.subarray(i)).toString("latin1");
        return;
      }
      this.line += Buffer.from(b.subarray(i, nl + 1)).toString("latin1");
      i = nl + 1;
      const l = this.line;
      this.line = "";
      const t = l[0];
      const n = parseInt(l.slice(1), 10);
      if (t === "$" || t === "=") {
        if (n < 0) this.value();
        else this.bulkLeft = n + 2;
      } else if (t === "*" || t === "~" || t === ">" || t === "%") {
        const k = t === "%" ? n * 2 : n;
        if (k <= 0) this.value();
        else this.stack.push(k);
      } else {
        if (t === "-") this.errors++;
        this.value();
      }
    }
  }

  private value(): void {
    while (this.stack.length) {
      const top = this.stack.length - 1;
      if (--this.stack[top]! > 0) return;
      this.stack.pop();
    }
    this.done++;
  }
}

/** Sends `cmds` pipelined (PIPE at a time) and returns seconds taken. */
async function run(port: number, cmds: string[][]): Promise<number> {
  const counter = new ReplyCounter();
  let wake: (() => void) | null = null;
  const sock = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, d) {
        counter.feed(d);
        wake?.();
      },
    },
  });
  const t0 = performance.now();
  for (let i = 0; i < cmds.length; i += PIPE) {
    const batch = cmds.slice(i, i + PIPE);
    const payload = Buffer.from(batch.map(encode).join(""), "latin1");
    let off = 0;
    while (off < payload.length) {
      const w = sock.write(payload.subarray(off));
      off += w > 0 ? w : 0;
      if (off < payload.length) await Bun.sleep(0);
    }
    const want = i + batch.length;
    while (counter.done < want) await new Promise<void>((r) => (wake = r));
  }
  const secs = (performance.now() - t0) / 1000;
  sock.end();
  if (counter.errors) console.log(`  (${counter.errors} error replies)`);
  return secs;
}

function workloads(): [string, string[][]][] {
  const r = rng(42);
  const score = () => String(Math.floor(r() * 1e9));
  const member = () => `member:${Math.floor(r() * N)}`;
  const build: string[][] = [];
  for (let i = 0; i < N; i++) build.push(["ZADD", "big", score(), `member:${i}`]);
  const mk = (f: () => string[]) => Array.from({ length: OPS }, f);
  return [
    [`ZADD x${N} (build)`, build],
    ["ZSCORE", mk(() => ["ZSCORE", "big", member()])],
    ["ZRANK", mk(() => ["ZRANK", "big", member()])],
    ["ZREVRANK", mk(() => ["ZREVRANK", "big", member()])],
    ["ZRANGE rank 10", mk(() => { const s = Math.floor(r() * N); return ["ZRANGE", "big", String(s), String(s + 9)]; })],
    ["ZRANGE byscore lim10", mk(() => ["ZRANGE", "big", score(), "+inf", "BYSCORE", "LIMIT", "0", "10"])],
    ["ZCOUNT", mk(() => { const a = Math.floor(r() * 1e9); return ["ZCOUNT", "big", String(a), String(a + 1e7)]; })],
    ["ZINCRBY", mk(() => ["ZINCRBY", "big", "1", member()])],
    ["ZADD update", mk(() => ["ZADD", "big", score(), member()])],
    ["ZREM", mk(() => ["ZREM", "big", member()])],
  ];
}

function inProcess(): void {
  const r = rng(7);
  const z = new ZSet();
  const lim = {
    hashMaxListpackEntries: 512, hashMaxListpackValue: 64, setMaxIntsetEntries: 512, setMaxListpackEntries: 128,
    setMaxListpackValue: 64, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64, listMaxListpackSize: -2,
  };
  const members: string[] = [];
  // Flat strings, like the ones the server gets from the wire (template literals are ropes).
  for (let i = 0; i < N; i++) {
    const s = `member:${i}`;
    members.push(Buffer.from(s, "latin1").latin1Slice(0, s.length));
  }
  let t = performance.now();
  for (let i = 0; i < N; i++) z.add(Math.floor(r() * 1e9), members[i]!, 0, lim);
  const insert = performance.now() - t;
  t = performance.now();
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    const m = members[Math.floor(r() * N)]!;
    acc += z.t.rank(z.score(m)!, m);
  }
  const rank = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < OPS; i++) {
    const leaf = z.t.seek(Math.floor(r() * N));
    acc += leaf.m.length;
  }
  const seek = performance.now() - t;
  void acc;
  const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(3);
  console.log(`in-process index, ${N} members: insert ${us(insert, N)} us/op, rank ${us(rank, OPS)} us/op, select-by-rank ${us(seek, OPS)} us/op`);
  console.log(`  heap used after build: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
}

async function main(): Promise<void> {
  inProcess();
  const servers: [string, Running][] = [];
  servers.push(["aikv", await startAikv()]);
  servers.push(["redis", await startRedis()]);
  try {
    const results = new Map<string, Map<string, number>>();
    for (const [name, cmds] of workloads()) {
      const row = new Map<string, number>();
      for (const [sname, s] of servers) {
        const secs = await run(s.port, cmds);
        row.set(sname, cmds.length / secs);
      }
      results.set(name, row);
    }
    console.log(`\npipelined ${PIPE}, ${N}-member sorted set, ${OPS} ops per test (ops/s):`);
    console.log(`${"test".padEnd(24)}${"aikv".padStart(12)}${"redis".padStart(12)}${"ratio".padStart(8)}`);
    for (const [name, row] of results) {
      const a = row.get("aikv")!;
      const b = row.get("redis")!;
      console.log(`${name.padEnd(24)}${a.toFixed(0).padStart(12)}${b.toFixed(0).padStart(12)}${(a / b).toFixed(2).padStart(8)}`);
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
}

await main();
