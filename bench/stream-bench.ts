#!/usr/bin/env bun
// Streams, AiKv next to redis-server: pipelined XADD (auto IDs, explicit IDs, with MAXLEN ~
// trimming), XLEN, XRANGE of 10 entries at random places, XREVRANGE COUNT 10, XREAD of 10,
// XREADGROUP COUNT 10 + XACK (a consumer working through the stream), XPENDING summary,
// XDEL, XINFO STREAM. Also times the in-process type (no network). Prints ops/s per server and
// the AiKv/redis ratio. Options: --n 1000000 --ops 200000 --pipeline 500

import { parseArgs } from "node:util";
import { startAikv, startRedis, type Running } from "../test/helpers/servers.ts";
import { MAX_ID, SID, StreamObj, ZERO_ID } from "../src/store/types/stream.ts";

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

/** Counts complete top-level RESP replies in a byte stream (nested aggregates included). */
class ReplyCounter {
  private stack: number[] = [];
  private bulkLeft = -1;
  /** header line split across chunks: type byte and number so far */
  private type = 0;
  private num = 0;
  private neg = false;
  private inLine = false;
  done = 0;
  errors = 0;

  feed(b: Uint8Array): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.bulkLeft >= 0) {
        const take = Math.min(this.bulkLeft, n - i);
        this.bulkLeft -= take;
        i += take;
        if (this.bulkLeft === 0) {
          this.bulkLeft = -1;
          this.value();
        }
        continue;
      }
      if (!this.inLine) {
        this.type = b[i++]!;
        this.num = 0;
        this.neg = false;
        this.inLine = true;
        if (this.type === 45) this.errors++;
        continue;
      }
      const c = b[i++]!;
      if (c === 10) {
        this.inLine = false;
        const t = this.type;
        const v = this.neg ? -this.num : this.num;
        if (t === 36 || t === 61) {
          if (v < 0) this.value();
          else this.bulkLeft = v + 2;
        } else if (t === 42 || t === 126 || t === 62 || t === 37) {
          const k = t === 37 ? v * 2 : v;
          if (k <= 0) this.value();
          else this.stack.push(k);
        } else this.value();
      } else if (c >= 48 && c <= 57) this.num = this.num * 10 + (c - 48);
      else if (c === 45) this.neg = true;
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
  const id = () => `${1 + Math.floor(r() * N)}-0`;
  const build: string[][] = [];
  for (let i = 1; i <= N; i++) build.push(["XADD", "big", `${i}-0`, "field", `value:${i}`, "n", String(i)]);
  const mk = (n: number, f: (i: number) => string[]) => Array.from({ length: n }, (_, i) => f(i));
  const acks: string[][] = [["XGROUP", "CREATE", "big", "g", "0"]];
  // A consumer working through the stream: read 10, ack them.
  for (let i = 0; i < OPS / 2; i++) {
    acks.push(["XREADGROUP", "GROUP", "g", "c", "COUNT", "10", "STREAMS", "big", ">"]);
    const ids: string[] = [];
    for (let k = 1; k <= 10; k++) ids.push(`${i * 10 + k}-0`);
    acks.push(["XACK", "big", "g", ...ids]);
  }
  return [
    [`XADD explicit x${N} (build)`, build],
    ["XADD *", mk(OPS, () => ["XADD", "auto", "*", "field", "value"])],
    ["XADD * MAXLEN ~ 1000", mk(OPS, () => ["XADD", "capped", "MAXLEN", "~", "1000", "*", "field", "value"])],
    ["XLEN", mk(OPS, () => ["XLEN", "big"])],
    ["XRANGE 10 at random", mk(OPS, () => ["XRANGE", "big", id(), "+", "COUNT", "10"])],
    ["XREVRANGE COUNT 10", mk(OPS, () => ["XREVRANGE", "big", id(), "-", "COUNT", "10"])],
    ["XREAD COUNT 10", mk(OPS, () => ["XREAD", "COUNT", "10", "STREAMS", "big", id()])],
    ["XREADGROUP 10 + XACK", acks],
    ["XPENDING summary", mk(OPS, () => ["XPENDING", "big", "g"])],
    ["XINFO STREAM", mk(Math.min(OPS, 20000), () => ["XINFO", "STREAM", "big"])],
    ["XDEL", mk(OPS, () => ["XDEL", "big", id()])],
  ];
}

function inProcess(): void {
  const s = new StreamObj();
  let t = performance.now();
  for (let i = 1; i <= N; i++) s.append(SID.of(i), ["field", "value", "n", String(i)], 4096, 100);
  const append = performance.now() - t;
  const r = rng(7);
  t = performance.now();
  let acc = 0;
  for (let i = 0; i < OPS; i++) {
    let k = 0;
    s.range(SID.of(1 + Math.floor(r() * N)), MAX_ID, false, () => ++k < 10);
    acc += k;
  }
  const range = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < OPS; i++) if (s.delete(SID.of(1 + Math.floor(r() * N)))) acc++;
  const del = performance.now() - t;
  t = performance.now();
  acc += s.raxNodes();
  const rax = performance.now() - t;
  void acc;
  void ZERO_ID;
  const us = (ms: number, n: number) => ((ms * 1000) / n).toFixed(3);
  console.log(`in-process stream, ${N} entries: append ${us(append, N)} us/op, range of 10 ${us(range, OPS)} us/op, delete ${us(del, OPS)} us/op, radix-tree-nodes (${s.nodes.size} nodes) ${rax.toFixed(1)} ms`);
  console.log(`  heap used: ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`);
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
    console.log(`\npipelined ${PIPE}, ${N}-entry stream, ${OPS} ops per test (ops/s):`);
    console.log(`${"test".padEnd(28)}${"aikv".padStart(12)}${"redis".padStart(12)}${"ratio".padStart(8)}`);
    for (const [name, row] of results) {
      const a = row.get("aikv")!;
      const b = row.get("redis")!;
      console.log(`${name.padEnd(28)}${a.toFixed(0).padStart(12)}${b.toFixed(0).padStart(12)}${(a / b).toFixed(2).padStart(8)}`);
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
}

await main();
