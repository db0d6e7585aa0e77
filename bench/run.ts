#!/usr/bin/env bun
// `bun run bench`: AiKv and redis-server side by side under redis-benchmark, same machine,
// same run, alternating which server goes first. Prints per-test medians, AiKv/redis ratios,
// geometric means, p99 latency ratios, RSS with 1M keys, and writes bench/results/<date>.md.
//
// Options: --rounds 5 --warmup 1 --n1 200000 --n16 1000000 --clients 50 --tests set,get,...
//          --large (adds the -r 1000000 keyspace run) --no-rss --aikv-args "--shards 2"

import { parseArgs } from "node:util";
import { cpus, totalmem, release } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAikv, startRedis, cli, type Running } from "../test/helpers/servers.ts";
import { geomean, median, redisBenchmark, type BenchRow } from "./lib.ts";

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    n1: { type: "string", default: "200000" },
    n16: { type: "string", default: "1000000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,lrange_100,mset" },
    large: { type: "boolean", default: false },
    "no-rss": { type: "boolean", default: false },
    "aikv-args": { type: "string", default: "" },
    out: { type: "string", default: "" },
  },
});

const ROUNDS = Number(opt.rounds);
const WARMUP = Number(opt.warmup);
const TESTS = opt.tests!.split(",");

type Row = BenchRow;

type Results = Map<string, { aikv: Row[]; redis: Row[] }>;

/** `extra` goes to redis-benchmark; each run starts from an empty server unless `keepData`. */
async function runSuite(label: string, a: Running, r: Running, extra: string[], n: string, keepData = false): Promise<Results> {
  // Unrecorded warm-up runs (a fifth of the requests) for both servers: AiKv's code is compiled
  // by the JIT while it first runs each command, which a server that has been up for a while
  // has long done; redis-server runs the same, so both are measured in their steady state.
  for (let w = 0; w < WARMUP; w++) {
    for (const srv of [a, r]) {
      if (!keepData) cli(srv.port, "flushall");
      redisBenchmark(srv.port, ["-c", opt.clients!, "-n", String(Math.ceil(Number(n) / 5)), "-t", TESTS.join(","), ...extra]);
    }
  }
  const res: Results = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    const order: [string, Running][] = round % 2 === 0 ? [["aikv", a], ["redis", r]] : [["redis", r], ["aikv", a]];
    for (const [who, srv] of order) {
      if (!keepData) cli(srv.port, "flushall");
      const rows = redisBenchmark(srv.port, ["-c", opt.clients!, "-n", n, "-t", TESTS.join(","), ...extra]);
      for (const [test, row] of rows) {
        if (!res.has(test)) res.set(test, { aikv: [], redis: [] });
        res.get(test)![who as "aikv" | "redis"].push(row);
      }
      process.stderr.write(`  ${label} round ${round + 1}/${ROUNDS} ${who}: ${[...rows.values()].map((x) => Math.round(x.rps)).join(" ")}\n`);
    }
  }
  return res;
}

function table(title: string, res: Results): { md: string; gm: number; p99: number; maxA: number; maxR: number } {
  let md = `### ${title}\n\n| test | AiKv rps | redis rps | ratio | AiKv p99 ms | redis p99 ms | AiKv max ms | redis max ms |\n|---|---:|---:|---:|---:|---:|---:|---:|\n`;
  const ratios: number[] = [];
  const p99s: number[] = [];
  let maxA = 0;
  let maxR = 0;
  for (const [test, { aikv, redis }] of res) {
    if (!aikv.length || !redis.length) continue;
    const ra = median(aikv.map((x) => x.rps));
    const rr = median(redis.map((x) => x.rps));
    const pa = median(aikv.map((x) => x.p99));
    const pr = median(redis.map((x) => x.p99));
    const ma = Math.max(...aikv.map((x) => x.max));
    const mr = Math.max(...redis.map((x) => x.max));
    ratios.push(ra / rr);
    maxA = Math.max(maxA, ma);
    maxR = Math.max(maxR, mr);
    if (pr > 0) p99s.push(pa / pr);
    md += `| ${test} | ${Math.round(ra)} | ${Math.round(rr)} | ${(ra / rr).toFixed(2)} | ${pa.toFixed(3)} | ${pr.toFixed(3)} | ${ma.toFixed(1)} | ${mr.toFixed(1)} |\n`;
  }
  const gm = geomean(ratios);
  const p99 = p99s.length ? geomean(p99s) : NaN;
  md += `\nGeometric mean of throughput ratios (AiKv/redis): **${gm.toFixed(3)}**; geometric mean of p99 ratios: **${p99.toFixed(3)}**; highest max latency: AiKv ${maxA.toFixed(1)} ms, redis ${maxR.toFixed(1)} ms (**${(maxA / maxR).toFixed(2)}x**)\n`;
  return { md, gm, p99, maxA, maxR };
}

function rssOf(port: number, pid: number): number {
  const status = Bun.spawnSync(["cat", `/proc/${pid}/status`]).stdout.toString();
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : Number(/used_memory_rss:(\d+)/.exec(cli(port, "info", "memory"))?.[1] ?? 0);
}

function loadKeys(port: number, n: number): void {
  // 1M keys "key:<i>" with 32-byte values, written the same way to both servers.
  const out = cli(port, "debug", "populate", String(n), "key", "32");
  if (!out.includes("OK")) throw new Error(`DEBUG POPULATE failed on ${port}: ${out}`);
}

async function main(): Promise<void> {
  const aikvArgs = ["--save", "", ...(opt["aikv-args"] ? opt["aikv-args"].split(" ") : [])];
  const a = await startAikv({ args: aikvArgs });
  const r = await startRedis({});
  const report: string[] = [];
  const machine = `${cpus()[0]?.model ?? "cpu"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`;
  const redisVersion = /redis_version:(\S+)/.exec(cli(r.port, "info", "server"))?.[1];
  report.push(`# AiKv vs redis-server — ${new Date().toISOString()}\n`);
  report.push(`Machine: ${machine}. Bun ${Bun.version}, redis-server ${redisVersion}. Both servers on loopback, persistence off, same run, alternating order, ${WARMUP} unrecorded warm-up run(s) per suite (a fifth of the requests) for each server, then ${ROUNDS} rounds, medians.\n`);
  const common = `-c ${opt.clients} -t ${TESTS.join(",")}`;
  report.push("Commands:\n");
  report.push(`- P1: \`redis-benchmark -p <port> -q --csv ${common} -n ${opt.n1}\``);
  report.push(`- P16: \`redis-benchmark -p <port> -q --csv ${common} -n ${opt.n16} -P 16\``);
  if (opt.large) report.push(`- Large keyspace: \`redis-benchmark -p <port> -q --csv ${common} -n ${opt.n16} -P 16 -r 1000000\` after \`DEBUG POPULATE 1000000 key 32\``);
  report.push(`- AiKv started as \`bun src/main.ts ${aikvArgs.map((x) => (x === "" ? '""' : x)).join(" ")}\`\n`);
  try {
    const p1 = table("Pipeline 1", await runSuite("P1", a, r, [], opt.n1!));
    const p16 = table("Pipeline 16", await runSuite("P16", a, r, ["-P", "16"], opt.n16!));
    report.push(p1.md, p16.md);
    const summary = [`P1 geomean ${p1.gm.toFixed(3)} (p99 ratio ${p1.p99.toFixed(3)})`, `P16 geomean ${p16.gm.toFixed(3)} (p99 ratio ${p16.p99.toFixed(3)})`];
    if (opt.large) {
      cli(a.port, "flushall");
      cli(r.port, "flushall");
      loadKeys(a.port, 1_000_000);
      loadKeys(r.port, 1_000_000);
      const res = await runSuite("large", a, r, ["-P", "16", "-r", "1000000"], opt.n16!, true);
      const large = table("Pipeline 16, random keys over 1M (-r 1000000), 1M keys loaded", res);
      report.push(large.md);
      summary.push(`large-keyspace P16 geomean ${large.gm.toFixed(3)}, max latency ${large.maxA.toFixed(1)} vs ${large.maxR.toFixed(1)} ms (${(large.maxA / large.maxR).toFixed(2)}x)`);
    }
    if (!opt["no-rss"]) {
      // Fresh servers: a heap that grew during the throughput runs says nothing about what
      // 1M keys cost.
      const fa = await startAikv({ args: aikvArgs });
      const fr = await startRedis({});
      const baseA = rssOf(fa.port, fa.proc.pid);
      const baseR = rssOf(fr.port, fr.proc.pid);
      loadKeys(fa.port, 1_000_000);
      loadKeys(fr.port, 1_000_000);
      cli(fa.port, "memory", "purge");
      await Bun.sleep(500);
      const ra = rssOf(fa.port, fa.proc.pid);
      const rr = rssOf(fr.port, fr.proc.pid);
      await fa.stop();
      await fr.stop();
      report.push(
        `### Memory, 1M keys with 32-byte values\n\n| | AiKv | redis |\n|---|---:|---:|\n| RSS before | ${(baseA / 2 ** 20).toFixed(1)} MiB | ${(baseR / 2 ** 20).toFixed(1)} MiB |\n| RSS with 1M keys | ${(ra / 2 ** 20).toFixed(1)} MiB | ${(rr / 2 ** 20).toFixed(1)} MiB |\n\nRSS ratio: **${(ra / rr).toFixed(2)}**\n`,
      );
      summary.push(`RSS ratio ${(ra / rr).toFixed(2)}`);
    }
    report.push(`Summary: ${summary.join("; ")}\n`);
    const text = report.join("\n");
    console.log(text);
    const dir = join(import.meta.dir, "results");
    mkdirSync(dir, { recursive: true });
    const file = opt.out || join(dir, `${new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-")}.md`);
    writeFileSync(file, text);
    console.error(`written ${file}`);
  } finally {
    await a.stop();
    await r.stop();
  }
}

await main();
