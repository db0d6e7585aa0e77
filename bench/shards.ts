#!/usr/bin/env bun
// `shards N` measured: AiKv with 1 shard and with N shards (and redis-server for reference)
// under redis-benchmark, same machine, same run, rotating which server goes first; plus the
// shard transport on its own (SharedArrayBuffer rings between two workers: round trip and
// batched frame throughput). Prints a table and writes bench/results/shards-<date>.md.
//
//   bun bench/shards.ts [--shards 2] [--rounds 3] [--n1 100000] [--n16 500000] [--clients 50]
//                       [--tests set,get,incr,lpush,rpop,sadd,hset,mset] [--no-transport] [--out f]
//
// Workloads: P1 and P16 over random keys (-r 100000: keys spread over every shard, as real
// traffic is) and P16 on redis-benchmark's single default key (every request lands on one
// shard: the others only forward). MSET with random keys spans shards (a cross-shard
// operation under the global lock).

import { parseArgs } from "node:util";
import { cpus, loadavg, release, totalmem } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cli, startAikv, startRedis, type Running } from "../test/helpers/servers.ts";
import { allocShared } from "../src/shard/ring.ts";
import { geomean, median, redisBenchmark, type BenchRow } from "./lib.ts";

const { values: opt } = parseArgs({
  options: {
    shards: { type: "string", default: "2" },
    rounds: { type: "string", default: "3" },
    n1: { type: "string", default: "100000" },
    n16: { type: "string", default: "500000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "set,get,incr,lpush,rpop,sadd,hset,mset" },
    "no-transport": { type: "boolean", default: false },
    "no-redis": { type: "boolean", default: false },
    out: { type: "string", default: "" },
  },
});

const ROUNDS = Number(opt.rounds);
const SHARDS = Number(opt.shards);

type Row = BenchRow;

type Results = Map<string, Map<string, Row[]>>; // test -> server -> rows

async function suite(title: string, servers: [string, Running][], args: string[]): Promise<string> {
  const res: Results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    // rotate the order: the first run of a set tends to be slower
    const order = servers.map((_, i) => servers[(i + round) % servers.length]!);
    for (const [who, srv] of order) {
      cli(srv.port, "flushall");
      const rows = redisBenchmark(srv.port, ["-c", opt.clients!, "-t", opt.tests!, ...args]);
      for (const [test, row] of rows) {
        if (!res.has(test)) res.set(test, new Map());
        const m = res.get(test)!;
        if (!m.has(who)) m.set(who, []);
        m.get(who)!.push(row);
      }
      process.stderr.write(`  ${title} round ${round + 1}/${ROUNDS} ${who}: ${[...rows.values()].map((x) => Math.round(x.rps)).join(" ")}\n`);
    }
  }
  const names = servers.map(([n]) => n);
  const base = names.find((n) => n === "aikv shards=1")!;
  let md = `### ${title}\n\n| test | ${names.map((n) => `${n} rps`).join(" | ")} | ${names.filter((n) => n !== base).map((n) => `${n} / shards=1`).join(" | ")} | ${names.map((n) => `${n} p99 ms`).join(" | ")} |\n`;
  md += `|---|${names.map(() => "---:").join("|")}|${names.filter((n) => n !== base).map(() => "---:").join("|")}|${names.map(() => "---:").join("|")}|\n`;
  const ratios = new Map<string, number[]>();
  for (const [test, m] of res) {
    const rps = names.map((n) => median((m.get(n) ?? []).map((x) => x.rps)));
    const p99 = names.map((n) => median((m.get(n) ?? []).map((x) => x.p99)));
    const b = rps[names.indexOf(base)]!;
    const rel = names.filter((n) => n !== base).map((n) => {
      const v = rps[names.indexOf(n)]! / b;
      if (!ratios.has(n)) ratios.set(n, []);
      ratios.get(n)!.push(v);
      return v.toFixed(2);
    });
    md += `| ${test} | ${rps.map((x) => Math.round(x)).join(" | ")} | ${rel.join(" | ")} | ${p99.map((x) => x.toFixed(3)).join(" | ")} |\n`;
  }
  md += `\nGeometric means vs aikv shards=1: ${[...ratios].map(([n, xs]) => `${n} **${geomean(xs).toFixed(3)}**`).join(", ")}\n`;
  return md;
}

// ---- the transport alone ---------------------------------------------------------------------

const WORKER = `
import { Transport, F } from ${JSON.stringify(join(import.meta.dir, "../src/shard/transport.ts"))};
self.onmessage = (e) => {
  const { shared, me, rounds, batch, size } = e.data;
  const other = 1 - me;
  let got = 0;
  let t0 = 0;
  const payload = new Uint8Array(size);
  const t = new Transport(shared, me, (f) => {
    if (f.type === F.REQ) {
      const w = t.begin(other, F.REPLY, 0, f.req, 0, 0, 0);
      w.raw(payload);
      t.end(other);
      return true;
    }
    got++;
    if (got % batch === 0) {
      if (got === rounds * batch) {
        postMessage({ us: ((performance.now() - t0) * 1000) / rounds, frames: got, wakeups: t.wakeups, notifies: t.notifies });
        return true;
      }
      send();
    }
    return true;
  }, () => false);
  const send = () => {
    for (let i = 0; i < batch; i++) {
      const w = t.begin(other, F.REQ, 0, i, 0, 0, 0);
      w.raw(payload);
      t.end(other);
    }
  };
  t.start();
  if (me === 0) {
    postMessage({ ready: true });
    setTimeout(() => { t0 = performance.now(); send(); }, 50);
  }
};
`;

async function transport(batch: number, size: number, rounds: number): Promise<{ us: number; wakeups: number; notifies: number }> {
  const file = join(import.meta.dir, `.transport-worker-${process.pid}.ts`);
  await Bun.write(file, WORKER);
  const shared = allocShared(2, 1 << 20);
  const ws = [0, 1].map((me) => {
    const w = new Worker(file);
    w.postMessage({ shared, me, rounds, batch, size });
    return w;
  });
  try {
    return await new Promise((res) => {
      ws[0]!.onmessage = (e: MessageEvent) => {
        if (!(e.data as { ready?: boolean }).ready) res(e.data);
      };
    });
  } finally {
    for (const w of ws) w.terminate();
    await Bun.file(file).delete();
  }
}

async function main(): Promise<void> {
  const report: string[] = [];
  const machine = `${cpus()[0]?.model ?? "cpu"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`;
  report.push(`# AiKv shards=1 vs shards=${SHARDS} — ${new Date().toISOString()}\n`);
  report.push(`Machine: ${machine}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(" ")}. Bun ${Bun.version}. Loopback, persistence off, ${ROUNDS} rounds, order rotated, medians.\n`);
  if (!opt["no-transport"]) {
    report.push(`### Transport alone (two workers, SharedArrayBuffer rings, Atomics.waitAsync wake-ups)\n`);
    report.push(`| frames per batch | payload bytes | round trip of a batch µs | µs per frame | wake-ups | notifies |\n|---:|---:|---:|---:|---:|---:|`);
    for (const [batch, size, rounds] of [[1, 32, 20000], [16, 32, 5000], [256, 32, 500], [16, 4096, 2000]] as const) {
      const r = await transport(batch, size, rounds);
      report.push(`| ${batch} | ${size} | ${r.us.toFixed(2)} | ${(r.us / batch).toFixed(3)} | ${r.wakeups} | ${r.notifies} |`);
      process.stderr.write(`  transport batch ${batch} x ${size} B: ${r.us.toFixed(2)} µs per round trip\n`);
    }
    report.push("");
  }
  const servers: [string, Running][] = [];
  const started: Running[] = [];
  try {
    const one = await startAikv({ args: ["--save", ""] });
    started.push(one);
    servers.push(["aikv shards=1", one]);
    const many = await startAikv({ args: ["--save", "", "--shards", String(SHARDS)] });
    started.push(many);
    servers.push([`aikv shards=${SHARDS}`, many]);
    if (!opt["no-redis"]) {
      const r = await startRedis({});
      started.push(r);
      servers.push(["redis", r]);
    }
    report.push("Commands (`-c " + opt.clients + " -t " + opt.tests + "`):\n");
    report.push(`- P1 random keys: \`redis-benchmark -q --csv -n ${opt.n1} -r 100000\``);
    report.push(`- P16 random keys: \`redis-benchmark -q --csv -n ${opt.n16} -P 16 -r 100000\``);
    report.push(`- P16 one key: \`redis-benchmark -q --csv -n ${opt.n16} -P 16\` (all traffic on one shard)\n`);
    report.push(await suite("P1, random keys over 100k", servers, ["-n", opt.n1!, "-r", "100000"]));
    report.push(await suite("P16, random keys over 100k", servers, ["-n", opt.n16!, "-P", "16", "-r", "100000"]));
    report.push(await suite("P16, one key (redis-benchmark's default key)", servers, ["-n", opt.n16!, "-P", "16"]));
  } finally {
    for (const s of started) await s.stop();
  }
  const text = report.join("\n");
  console.log(text);
  const dir = join(import.meta.dir, "results");
  mkdirSync(dir, { recursive: true });
  const file = opt.out || join(dir, `shards-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(file, text);
  console.error(`written ${file}`);
}

await main();
