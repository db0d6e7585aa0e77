#!/usr/bin/env bun
// Streams, AiKv next to redis-server: pipelined XADD (auto IDs, explicit IDs, with MAXLEN ~
// trimming), XLEN, XRANGE of 10 entries at random places, XREVRANGE COUNT 10, XREAD of 10,
// XREADGROUP COUNT 10 + XACK (a consumer working through the stream), XPENDING summary,
// XDEL, XINFO STREAM. Also times the in-process type (no network). Prints ops/s per server and
// the AiKv/redis ratio. Options: --n 1000000 --ops 200000 --pipeline 500

import { MAX_ID, SID, StreamObj, ZERO_ID } from "../src/store/types/stream.ts";
import { prng, sideBySide, sizeArgs } from "./lib.ts";

const { N, OPS, PIPE } = sizeArgs({ n: "1000000", ops: "200000", pipeline: "500" });

function workloads(): [string, string[][]][] {
  const r = prng(42);
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
  const r = prng(7);
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

inProcess();
await sideBySide(`pipelined ${PIPE}, ${N}-entry stream, ${OPS} ops per test`, 28, PIPE, workloads);
