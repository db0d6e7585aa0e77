#!/usr/bin/env bun
// Long crash run of the durable engine (the CI test does 20 trials): a writer process pipelines
// SET/INCR/HSET/LPUSH/ZADD (test/integration/crash-writer.ts), the server is killed with
// SIGKILL at random moments and restarted on the same directory; after every restart the
// keyspace must be exactly the state after a prefix of the sent operations that includes every
// acknowledged one.
//
//   bun bench/lsm-crash.ts [--trials 200] [--policy always|everysec|no] [--seed 1]
//                          [--checkpoint-wal-size 48kb] [--max-ms 500]

import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAikv, type Running } from "../test/helpers/servers.ts";
import { Model } from "../test/integration/crash-writer.ts";
import { dumpKeyspace, rng, waitLoaded } from "../test/integration/lsm-util.ts";

const { values: opt } = parseArgs({
  options: {
    trials: { type: "string", default: "200" },
    policy: { type: "string", default: "always" },
    seed: { type: "string", default: "1" },
    "checkpoint-wal-size": { type: "string", default: "48kb" },
    "max-ms": { type: "string", default: "500" },
  },
});

const WINDOW = 64;
const dir = mkdtempSync(join(tmpdir(), "aikv-crash-bench-"));
const args = ["--engine", "lsm", "--save", "", "--appendfsync", opt.policy!, "--checkpoint-wal-size", opt["checkpoint-wal-size"]!, "--checkpoint-interval", "1"];
const rand = rng(Number(opt.seed));
const model = new Model();

async function state(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const l of await dumpKeyspace(port, 1)) {
    const m = /^0 ("(?:[^"\\]|\\.)*") (\w+) (-?\d+) (.*)$/.exec(l)!;
    const key = JSON.parse(m[1]!) as string;
    const v = JSON.parse(m[4]!) as string;
    if (m[2] === "zset") {
      const a = v.split(",");
      const pairs: string[] = [];
      for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}=${a[i + 1]}`);
      out.push(`zset ${key} ${pairs.join(",")}`);
    } else out.push(`${m[2]} ${key} ${v}`);
  }
  return out.sort();
}

async function prefix(port: number, lo: number, hi: number): Promise<number> {
  const st = await state(port);
  const list = st.find((l) => l.startsWith("list list "));
  const len = list ? list.slice(10).split(",").length : 0;
  const first = Math.max(0, 5 * len - 1);
  while (model.n < first) model.apply(model.n);
  for (let k = first; k <= first + 4; k++) {
    if (model.n > k) continue;
    while (model.n < k) model.apply(model.n);
    if (JSON.stringify(model.dump()) === JSON.stringify(st)) {
      if (k < lo || k > hi) throw new Error(`recovered prefix ${k} outside [${lo}, ${hi}] (acknowledged writes lost or unsent ones present)`);
      return k;
    }
  }
  throw new Error(`the recovered state is no prefix of the writes (list length ${len}, acknowledged ${lo})`);
}

let srv: Running = await startAikv({ dir, args });
await waitLoaded(srv.port);
let acked = 0;
let sent = 0;
let total = 0;
const t0 = performance.now();
try {
  for (let t = 0; t < Number(opt.trials); t++) {
    const k = await prefix(srv.port, acked, sent);
    const proc = Bun.spawn(["bun", join(import.meta.dir, "../test/integration/crash-writer.ts"), String(srv.port), String(k), String(WINDOW)], { stdout: "pipe", stderr: "inherit" });
    const out = new Response(proc.stdout).text();
    await Bun.sleep(20 + Math.floor(rand() * Number(opt["max-ms"])));
    srv.proc.kill("SIGKILL");
    await srv.proc.exited;
    await proc.exited;
    const text = await out;
    const i = text.lastIndexOf("acked ");
    acked = i >= 0 ? Number(text.slice(i + 6, text.indexOf("\n", i))) : k;
    sent = acked + WINDOW;
    total += acked - k;
    srv = await startAikv({ dir, args, port: srv.port });
    await waitLoaded(srv.port);
    if ((t + 1) % 10 === 0) console.log(`${t + 1} trials, ${total} acknowledged writes, all recovered in order`);
  }
  const k = await prefix(srv.port, acked, sent);
  console.log(`OK: ${opt.trials} kills under appendfsync ${opt.policy}, ${total} acknowledged writes, final prefix ${k}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
} finally {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
}
