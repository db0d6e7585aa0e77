#!/usr/bin/env bun
// Sorted sets with 1M members, AiKv next to redis-server: pipelined ZADD (building the set),
// ZRANK / ZREVRANK, ZSCORE, ZRANGE by rank and by score (10 elements at random places),
// ZINCRBY, ZREM. Also times the in-process index (no network). Prints ops/s per server and
// the AiKv/redis ratio. Options: --n 1000000 --ops 200000 --pipeline 500

import { ZSet } from "../src/store/types/zset.ts";
import { DEFAULT_LIMITS, prng, sideBySide, sizeArgs } from "./lib.ts";

const { N, OPS, PIPE } = sizeArgs({ n: "1000000", ops: "200000", pipeline: "500" });

function workloads(): [string, string[][]][] {
  const r = prng(42);
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
  const r = prng(7);
  const z = new ZSet();
  const lim = DEFAULT_LIMITS;
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

inProcess();
await sideBySide(`pipelined ${PIPE}, ${N}-member sorted set, ${OPS} ops per test`, 24, PIPE, workloads);
