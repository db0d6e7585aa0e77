// Crash tests of the durable engine: a writer child process (crash-writer.ts) pipelines
// SET/INCR/HSET/LPUSH/ZADD and records every acknowledged reply; the server is killed with
// SIGKILL at random moments (checkpoints run often: checkpoint-wal-size is tiny) and started
// again on the same directory. The recovered keyspace must be exactly the state after some
// prefix of the sent operations that includes every acknowledged one: nothing acknowledged
// lost, nothing out of order, nothing half applied.

import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import type { Running } from "../helpers/servers.ts";
import { Model } from "./crash-writer.ts";
import { dumpKeyspace, rng, startLsm, tempDir } from "./lsm-util.ts";

const WINDOW = 64;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The server's keyspace in Model.dump() form. */
async function serverState(port: number): Promise<string[]> {
  const lines = await dumpKeyspace(port, 1);
  const out: string[] = [];
  for (const l of lines) {
    // `0 "key" type pexpiretime "value"`
    const m = /^0 ("(?:[^"\\]|\\.)*") (\w+) (-?\d+) (.*)$/.exec(l)!;
    const key = JSON.parse(m[1]!) as string;
    const type = m[2]!;
    const v = JSON.parse(m[4]!) as string;
    if (type === "zset") {
      const a = v.split(",");
      const pairs: string[] = [];
      for (let i = 0; i < a.length; i += 2) pairs.push(`${a[i]}=${a[i + 1]}`);
      out.push(`zset ${key} ${pairs.join(",")}`);
    } else out.push(`${type} ${key} ${v}`);
  }
  return out.sort();
}

/**
 * Finds the prefix length K the server holds: the list length pins K to 5 candidates (one LPUSH
 * every 5 ops); the model is advanced from `model` and compared at each.
 */
async function recoveredPrefix(port: number, model: Model, lo: number, hi: number): Promise<number> {
  const state = await serverState(port);
  const listLine = state.find((l) => l.startsWith("list list "));
  const len = listLine ? listLine.slice("list list ".length).split(",").length : 0;
  const first = Math.max(0, 5 * len - 1);
  while (model.n < first) model.apply(model.n);
  for (let k = first; k <= first + 4; k++) {
    if (model.n > k) continue;
    while (model.n < k) model.apply(model.n);
    if (JSON.stringify(model.dump()) === JSON.stringify(state)) {
      expect(k).toBeGreaterThanOrEqual(lo);
      expect(k).toBeLessThanOrEqual(hi);
      return k;
    }
  }
  const want = model.dump();
  const diff = state.filter((l) => !want.includes(l)).slice(0, 5);
  throw new Error(`the recovered state is no prefix of the writes (list length ${len}, acked ${lo}); unexpected lines: ${diff.join(" | ")}`);
}

async function writerRun(port: number, from: number): Promise<{ proc: ReturnType<typeof Bun.spawn>; acked: () => number; done: Promise<void> }> {
  const proc = Bun.spawn(["bun", join(import.meta.dir, "crash-writer.ts"), String(port), String(from), String(WINDOW)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  let acked = from;
  let text = "";
  const done = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      text += dec.decode(chunk);
      const i = text.lastIndexOf("acked ");
      if (i >= 0) {
        const e = text.indexOf("\n", i);
        if (e > i) acked = Number(text.slice(i + 6, e));
        text = text.slice(Math.max(0, e));
      }
    }
    await proc.exited;
  })();
  return { proc, acked: () => acked, done };
}

async function crashLoop(policy: string, trials: number, seed: number): Promise<void> {
  const dir = tempDir("aikv-crash-");
  dirs.push(dir);
  const rand = rng(seed);
  const model = new Model();
  const args = ["--appendfsync", policy, "--checkpoint-wal-size", "48kb", "--checkpoint-interval", "1"];
  let acked = 0;
  let sentMax = 0;
  let srv: Running = await startLsm(dir, args);
  let checkpoints = 0;
  try {
    for (let t = 0; t < trials; t++) {
      const k = await recoveredPrefix(srv.port, model, acked, sentMax);
      const w = await writerRun(srv.port, k);
      // let it write for a random moment, then kill the server mid-flight
      await Bun.sleep(60 + Math.floor(rand() * 400));
      const c = await RespConn.connect(srv.port);
      const inf = await c.call("INFO", "persistence");
      c.close();
      checkpoints = Math.max(checkpoints, Number(/checkpoints:(\d+)/.exec(inf)?.[1] ?? 0));
      srv.proc.kill("SIGKILL");
      await srv.proc.exited;
      await w.done;
      acked = w.acked();
      sentMax = acked + WINDOW;
      expect(acked).toBeGreaterThan(k);
      if (process.env.CRASH_VERBOSE) console.log(`trial ${t}: from ${k} acked ${acked} checkpoints ${checkpoints}`);
      srv = await startLsm(dir, args, srv.port);
    }
    const k = await recoveredPrefix(srv.port, model, acked, sentMax);
    expect(k).toBeGreaterThanOrEqual(acked);
    // the checkpoint path was exercised (and survived the kills)
    expect(checkpoints).toBeGreaterThan(0);
  } finally {
    await srv.stop();
  }
}

describe("kill -9 under write load", () => {
  test("appendfsync always: every acknowledged write survives, in order (20 trials)", async () => {
    await crashLoop("always", 20, 1234);
  }, 120000);

  test("appendfsync everysec: a killed process loses nothing acknowledged (the OS crash window is the fsync second)", async () => {
    await crashLoop("everysec", 8, 99);
  }, 60000);

  test("appendfsync no: the same for a killed process", async () => {
    await crashLoop("no", 4, 7);
  }, 60000);
});
