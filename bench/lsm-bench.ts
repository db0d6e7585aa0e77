#!/usr/bin/env bun
// The durable engine's targets (docs/DURABILITY.md), measured on this machine and written to
// bench/results/lsm-<date>.md:
//   - appendfsync everysec vs the memory engine under redis-benchmark, P1 and P16 (>= 0.8x)
//   - appendfsync always: SET with 50 clients (>= 20k/s; group commit)
//   - restart with 1M keys (< 3 s): from a checkpoint, and from a WAL tail
//   - tiering: a dataset 3x maxmemory written and read back, RSS
//
//   bun bench/lsm-bench.ts [--rounds 3] [--n1 200000] [--n16 1000000] [--tests set,get,...]
//                          [--skip throughput,always,restart,tiering]

import { parseArgs } from "node:util";
import { cpus, loadavg, release, totalmem } from "node:os";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cli, freePort, startAikv, type Running } from "../test/helpers/servers.ts";
import { RespConn } from "../test/helpers/resp.ts";
import { geomean, median, redisBenchmark, type BenchRow } from "./lib.ts";

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    n1: { type: "string", default: "200000" },
    n16: { type: "string", default: "1000000" },
    clients: { type: "string", default: "50" },
    tests: { type: "string", default: "set,get,incr,lpush,rpop,sadd,hset,zadd,mset" },
    skip: { type: "string", default: "" },
    out: { type: "string", default: "" },
  },
});
const ROUNDS = Number(opt.rounds);
const skip = new Set(opt.skip!.split(",").filter(Boolean));
const report: string[] = [];
const summary: string[] = [];
const dirs: string[] = [];

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

type Row = BenchRow;

async function lsm(dir: string, args: string[]): Promise<Running> {
  const s = await startAikv({ dir, args: ["--engine", "lsm", "--save", "", ...args] });
  await waitPong(s.port);
  return s;
}

async function waitPong(port: number): Promise<number> {
  const t = performance.now();
  for (;;) {
    try {
      const c = await RespConn.connect(port);
      const r = await c.call("PING");
      c.close();
      if (r === "+PONG\r\n") return performance.now() - t;
    } catch {
      // not listening yet
    }
    await Bun.sleep(10);
  }
}

function infoField(port: number, section: string, field: string): string {
  return new RegExp(`${field}:([^\\r\\n]*)`).exec(cli(port, "info", section))?.[1] ?? "";
}

// ------------------------------------------------------------------ throughput

async function throughput(): Promise<void> {
  const tests = opt.tests!.split(",");
  const mem = await startAikv({ args: ["--save", ""] });
  const ev = await lsm(tmp("lsm-bench-"), ["--appendfsync", "everysec"]);
  const servers: [string, Running][] = [["memory", mem], ["lsm everysec", ev]];
  const res = new Map<string, Map<string, Row[]>>();
  try {
    for (const [label, extra, n] of [["P1", [] as string[], opt.n1!], ["P16", ["-P", "16"], opt.n16!]] as const) {
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? servers : [...servers].reverse();
        for (const [who, s] of order) {
          cli(s.port, "flushall");
          const rows = redisBenchmark(s.port, ["-c", opt.clients!, "-n", n, "-t", tests.join(","), ...extra]);
          for (const [t, row] of rows) {
            const k = `${label} ${t}`;
            if (!res.has(k)) res.set(k, new Map());
            const m = res.get(k)!;
            if (!m.has(who)) m.set(who, []);
            m.get(who)!.push(row);
          }
          process.stderr.write(`  ${label} round ${round + 1} ${who}: ${[...rows.values()].map((x) => Math.round(x.rps)).join(" ")}\n`);
        }
      }
    }
  } finally {
    await mem.stop();
    await ev.stop();
  }
  for (const label of ["P1", "P16"]) {
    let md = `### ${label}: appendfsync everysec vs the memory engine\n\n| test | memory rps | lsm everysec rps | ratio | memory p99 ms | lsm p99 ms |\n|---|---:|---:|---:|---:|---:|\n`;
    const ratios: number[] = [];
    for (const [k, m] of res) {
      if (!k.startsWith(`${label} `)) continue;
      const a = m.get("memory")!;
      const b = m.get("lsm everysec")!;
      const ra = median(a.map((x) => x.rps));
      const rb = median(b.map((x) => x.rps));
      ratios.push(rb / ra);
      md += `| ${k.slice(label.length + 1)} | ${Math.round(ra)} | ${Math.round(rb)} | ${(rb / ra).toFixed(2)} | ${median(a.map((x) => x.p99)).toFixed(3)} | ${median(b.map((x) => x.p99)).toFixed(3)} |\n`;
    }
    const gm = geomean(ratios);
    md += `\nGeometric mean of the ratios: **${gm.toFixed(3)}** (target >= 0.8)\n`;
    report.push(md);
    summary.push(`everysec/memory ${label} geomean ${gm.toFixed(2)}`);
  }
}

// ------------------------------------------------------------------ always

async function always(): Promise<void> {
  const s = await lsm(tmp("lsm-bench-"), ["--appendfsync", "always"]);
  const rows: string[] = [];
  try {
    for (const [label, extra] of [["50 clients, P1", []], ["50 clients, P16", ["-P", "16"]], ["1 client, P1", ["-c", "1"]]] as const) {
      const rps: number[] = [];
      const p99: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const r = redisBenchmark(s.port, ["-c", "50", "-n", label.includes("P16") ? "500000" : "100000", "-t", "set", ...extra]).get("SET")!;
        rps.push(r.rps);
        p99.push(r.p99);
      }
      rows.push(`| ${label} | ${Math.round(median(rps))} | ${median(p99).toFixed(3)} |`);
      if (label === "50 clients, P1") summary.push(`always SET 50 clients ${Math.round(median(rps))}/s`);
    }
    const fsyncs = infoField(s.port, "persistence", "wal_fsyncs");
    const records = infoField(s.port, "persistence", "wal_records");
    report.push(
      `### appendfsync always: SET (group commit)\n\n| load | SET/s | p99 ms |\n|---|---:|---:|\n${rows.join("\n")}\n\n` +
        `WAL over these runs: ${records} records (one per event-loop turn), ${fsyncs} fsyncs. Target: >= 20000 SET/s with 50 clients.\n`,
    );
  } finally {
    await s.stop();
  }
}

// ------------------------------------------------------------------ restart

async function restart(): Promise<void> {
  const lines: string[] = [];
  // 1) from a checkpoint: DEBUG POPULATE 1M, SHUTDOWN (final checkpoint), start again
  {
    const dir = tmp("lsm-restart-");
    const s = await lsm(dir, []);
    const t0 = performance.now();
    cli(s.port, "debug", "populate", "1000000", "key", "32");
    const tPop = performance.now() - t0;
    const t1 = performance.now();
    cli(s.port, "shutdown");
    await s.proc.exited;
    const tShut = performance.now() - t1;
    const port = await freePort();
    const t2 = performance.now();
    const s2 = await startAikv({ dir, port, args: ["--engine", "lsm", "--save", "", "--loglevel", "notice"] });
    await waitPong(port);
    const tStart = performance.now() - t2;
    const n = cli(port, "dbsize").trim();
    const log = /DB loaded from the LSM engine:.*/.exec(s2.logs())?.[0] ?? "";
    await s2.stop();
    lines.push(`| 1M keys (32-byte values) from a checkpoint | ${(tStart / 1000).toFixed(2)} s | ${n} keys; populate ${(tPop / 1000).toFixed(2)} s, SHUTDOWN with its final checkpoint ${(tShut / 1000).toFixed(2)} s |`);
    summary.push(`restart 1M keys from a checkpoint ${(tStart / 1000).toFixed(2)} s`);
    if (log) lines.push(`|  | | \`${log.replace(/\|/g, "/")}\` |`);
  }
  // 2) from the WAL: 1M SETs of new keys, no checkpoint, kill -9, start again
  {
    const dir = tmp("lsm-restart-");
    const s = await lsm(dir, ["--checkpoint-wal-size", "4gb", "--checkpoint-interval", "100000"]);
    redisBenchmark(s.port, ["-c", "20", "-P", "32", "-n", "1000000", "-r", "100000000", "-t", "set", "-d", "32"]);
    const keys = cli(s.port, "dbsize").trim();
    s.proc.kill("SIGKILL");
    await s.proc.exited;
    const port = await freePort();
    const t2 = performance.now();
    const s2 = await startAikv({ dir, port, args: ["--engine", "lsm", "--save", "", "--loglevel", "notice"] });
    await waitPong(port);
    const tStart = performance.now() - t2;
    const log = /DB loaded from the LSM engine:.*/.exec(s2.logs())?.[0] ?? "";
    const n = cli(port, "dbsize").trim();
    await s2.stop();
    lines.push(`| 1M SETs (${keys} keys) replayed from the WAL after kill -9 | ${(tStart / 1000).toFixed(2)} s | ${n} keys after |`);
    if (log) lines.push(`|  | | \`${log.replace(/\|/g, "/")}\` |`);
    summary.push(`restart replaying 1M WAL commands ${(tStart / 1000).toFixed(2)} s`);
  }
  report.push(
    `### Restart (time from spawning the process to the first +PONG, loading included)\n\n| data | restart | notes |\n|---|---:|---|\n${lines.join("\n")}\n\nTarget: < 3 s with 1M keys.\n`,
  );
}

// ------------------------------------------------------------------ tiering

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(Bun.spawnSync(["cat", `/proc/${pid}/status`]).stdout.toString());
  return m ? Number(m[1]) * 1024 : 0;
}

async function tiering(maxmem: number, size: number): Promise<string> {
  const dir = tmp("lsm-tier-");
  const s = await lsm(dir, ["--maxmemory", String(maxmem), "--tiering", "yes"]);
  const n = Math.ceil((3 * maxmem) / size);
  const c = await RespConn.connect(s.port);
  const val = (i: number) => {
    const x = `value-${i}-`;
    return x.repeat(Math.ceil(size / x.length)).slice(0, size);
  };
  let peak = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 200) {
    const e = Math.min(n, i + 200);
    for (let j = i; j < e; j++) c.send("SET", `key:${j}`, val(j));
    for (let j = i; j < e; j++) await c.read();
    if ((i / 200) % 25 === 0) peak = Math.max(peak, rss(s.proc.pid));
  }
  const tw = performance.now() - t0;
  const afterWrite = rss(s.proc.pid);
  const t1 = performance.now();
  let bad = 0;
  for (let i = 0; i < n; i += 200) {
    const e = Math.min(n, i + 200);
    for (let j = i; j < e; j++) c.send("GET", `key:${j}`);
    for (let j = i; j < e; j++) {
      const v = val(j);
      if ((await c.read()) !== `$${v.length}\r\n${v}\r\n`) bad++;
    }
    if ((i / 200) % 25 === 0) peak = Math.max(peak, rss(s.proc.pid));
  }
  const tr = performance.now() - t1;
  await Bun.sleep(1000);
  const rest = rss(s.proc.pid);
  const cold = infoField(s.port, "persistence", "cold_keys");
  const loads = infoField(s.port, "persistence", "cold_loads");
  c.close();
  await s.stop();
  const mb = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
  summary.push(`tiering ${mb(maxmem)}: RSS at rest ${mb(rest)} (${(rest / maxmem).toFixed(2)}x), peak ${mb(peak)}`);
  return `| ${mb(maxmem)} | ${n} x ${size} B = ${mb(n * size)} | ${(tw / 1000).toFixed(1)} s / ${(tr / 1000).toFixed(1)} s | ${bad} | ${cold} / ${loads} | ${mb(afterWrite)} | ${mb(peak)} | ${mb(rest)} |`;
}

// ------------------------------------------------------------------ main

const machine = `${cpus()[0]?.model ?? "cpu"} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}`;
report.push(`# engine lsm — ${new Date().toISOString()}\n`);
report.push(
  `Machine: ${machine}; load average at start ${loadavg().map((x) => x.toFixed(2)).join(" ")} (the machine is shared: numbers move with its load). Bun ${Bun.version}. ` +
    `redis-benchmark on loopback, ${opt.clients} clients, ${ROUNDS} rounds alternating the servers, medians. Baseline RSS of an idle AiKv: about 50 MiB.\n`,
);
try {
  if (!skip.has("throughput")) await throughput();
  if (!skip.has("always")) await always();
  if (!skip.has("restart")) await restart();
  if (!skip.has("tiering")) {
    const rows = [await tiering(64 << 20, 4096), await tiering(256 << 20, 4096)];
    report.push(
      `### Tiering: a dataset 3x maxmemory written, then read back (4 KiB values)\n\n| maxmemory | dataset | write / read | bad reads | cold keys / loads | RSS after writing | RSS peak | RSS at rest |\n|---|---|---:|---:|---:|---:|---:|---:|\n${rows.join("\n")}\n`,
    );
  }
  report.push(`Summary: ${summary.join("; ")}\n`);
  const text = report.join("\n");
  console.log(text);
  const dir = join(import.meta.dir, "results");
  mkdirSync(dir, { recursive: true });
  const file = opt.out || join(dir, `lsm-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(file, text);
  console.error(`written ${file}`);
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
