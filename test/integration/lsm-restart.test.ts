// Restart equivalence of the durable engine: a seeded random workload over every type (with
// TTLs, transactions, scripts, functions, whole-db commands, MOVE/COPY/RENAME, stream groups),
// checkpoints happening meanwhile; then the server is killed (or shut down) and started again,
// and a full dump of the keyspace (every db, type, absolute expiry, value) must be identical.

import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { RespConn } from "../helpers/resp.ts";
import type { Running } from "../helpers/servers.ts";
import { startAikv } from "../helpers/servers.ts";
import { dumpKeyspace, info, q, rng, startLsm, tempDir, waitLoaded } from "./lsm-util.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LIB = "#!lua name=wlib\nredis.register_function('wincr', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)";

/** One random command of the workload. */
function randomCommand(r: () => number, step: number): string[] {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = (m: number) => String(Math.floor(r() * m));
  const k = (prefix: string) => `${prefix}${n(12)}`;
  const ttl = () => String(3600000 + Math.floor(r() * 1000000));
  const val = () => (r() < 0.3 ? n(1000) : "v".repeat(1 + Math.floor(r() * 40)) + n(100));
  switch (Math.floor(r() * 44)) {
    case 0: return ["SET", k("s"), val()];
    case 1: return ["SET", k("s"), val(), "PX", ttl()];
    case 2: return ["APPEND", k("s"), val()];
    case 3: return ["INCRBY", k("n"), n(100)];
    case 4: return ["INCRBYFLOAT", k("f"), `${n(100)}.${n(100)}`];
    case 5: return ["SETRANGE", k("s"), n(20), val()];
    case 6: return ["SETBIT", k("b"), n(200), n(2)];
    case 7: return ["GETEX", k("s"), "PX", ttl()];
    case 8: return ["HSET", k("h"), `f${n(20)}`, val(), `g${n(5)}`, val()];
    case 9: return ["HDEL", k("h"), `f${n(20)}`];
    case 10: return ["HINCRBY", k("h"), `c${n(3)}`, n(50)];
    case 11: return ["HINCRBYFLOAT", k("h"), `d${n(3)}`, `${n(10)}.5`];
    case 12: return ["RPUSH", k("l"), val(), val()];
    case 13: return ["LPUSH", k("l"), val()];
    case 14: return ["LPOP", k("l")];
    case 15: return ["LMOVE", k("l"), k("l"), pick(["LEFT", "RIGHT"]), pick(["LEFT", "RIGHT"])];
    case 16: return ["LTRIM", k("l"), "0", n(10)];
    case 17: return ["SADD", k("t"), n(30), `m${n(30)}`];
    case 18: return ["SREM", k("t"), n(30)];
    case 19: return ["SPOP", k("t")];
    case 20: return ["SMOVE", k("t"), k("t"), n(30)];
    case 21: return ["ZADD", k("z"), n(100), `m${n(40)}`, `${n(10)}.25`, `x${n(40)}`];
    case 22: return ["ZINCRBY", k("z"), n(10), `m${n(40)}`];
    case 23: return ["ZPOPMIN", k("z")];
    case 24: return ["ZUNIONSTORE", k("z"), "2", k("z"), k("z")];
    case 25: return ["XADD", k("x"), "*", "a", val(), "b", n(10)];
    case 26: return ["XGROUP", "CREATE", k("x"), `g${n(2)}`, "0", "MKSTREAM"];
    case 27: return ["XREADGROUP", "GROUP", `g${n(2)}`, `c${n(3)}`, "COUNT", n(4), "STREAMS", k("x"), ">"];
    case 28: return ["XTRIM", k("x"), "MAXLEN", n(30)];
    case 29: return ["PFADD", k("p"), val(), val(), val()];
    case 30: return ["GEOADD", k("g"), `${n(100)}.5`, `${n(80)}.25`, `p${n(20)}`];
    case 31: return ["EXPIRE", pick([k("s"), k("h"), k("l"), k("z")]), String(4000 + Math.floor(r() * 100000))];
    case 32: return ["PERSIST", pick([k("s"), k("h"), k("l")])];
    case 33: return ["DEL", pick([k("s"), k("h"), k("l"), k("t"), k("z"), k("x")])];
    case 34: return ["RENAME", k("s"), k("s")];
    case 35: return ["COPY", pick([k("h"), k("l"), k("z")]), k("c"), "DB", n(3), "REPLACE"];
    case 36: return ["MOVE", pick([k("s"), k("h"), k("l")]), n(3)];
    case 37: return ["SELECT", n(3)];
    case 38: return step % 40 === 0 ? ["SWAPDB", n(3), n(3)] : ["SET", k("s"), val()];
    case 39: return step % 300 === 0 ? ["FLUSHDB"] : ["INCR", k("n")];
    case 40: return ["EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])", "2", k("s"), k("n"), val()];
    case 41: return ["FCALL", "wincr", "1", k("n"), n(10)];
    case 42: return ["JSON.SET", k("j"), "$", `{"a":${n(100)},"b":[1,2,"${val()}"],"c":{"d":true}}`];
    default: return ["JSON.NUMINCRBY", k("j"), "$.a", n(10)];
  }
}

/** Runs `count` random commands (some grouped in MULTI/EXEC) in pipelines. */
async function workload(c: RespConn, seed: number, count: number): Promise<void> {
  const r = rng(seed);
  let i = 0;
  while (i < count) {
    const batch: string[][] = [];
    const multi = r() < 0.1;
    if (multi) batch.push(["MULTI"]);
    const len = multi ? 2 + Math.floor(r() * 5) : 1 + Math.floor(r() * 30);
    for (let j = 0; j < len; j++) batch.push(randomCommand(r, i++));
    if (multi) batch.push(["EXEC"]);
    for (const cmd of batch) c.send(...cmd);
    for (let j = 0; j < batch.length; j++) await c.read();
  }
  await q(c, "SELECT", "0");
}

async function functionsOf(port: number): Promise<string> {
  const c = await RespConn.connect(port);
  const r = await c.call("FUNCTION", "LIST", "WITHCODE");
  c.close();
  return r;
}

async function run(policy: string, seed: number, stop: (s: Running) => Promise<void>): Promise<void> {
  const dir = tempDir("aikv-restart-");
  dirs.push(dir);
  const args = ["--appendfsync", policy, "--checkpoint-wal-size", "32kb", "--databases", "4"];
  let s = await startLsm(dir, args);
  try {
    const c = await RespConn.connect(s.port);
    expect(await c.call("FUNCTION", "LOAD", LIB)).toBe("$4\r\nwlib\r\n");
    await workload(c, seed, 2500);
    // a checkpoint in the middle of the history, then more writes on top of it
    await Bun.sleep(300);
    await workload(c, seed + 1, 1500);
    c.close();
    const inf = await info(s.port, "persistence");
    expect(Number(inf.checkpoints)).toBeGreaterThan(0);
    const before = await dumpKeyspace(s.port, 4);
    const fns = await functionsOf(s.port);
    expect(before.length).toBeGreaterThan(50);
    await stop(s);
    s = await startLsm(dir, args, s.port);
    const after = await dumpKeyspace(s.port, 4);
    expect(after).toEqual(before);
    expect(await functionsOf(s.port)).toBe(fns);
    // and once more, from what the first restart checkpointed
    await stop(s);
    s = await startLsm(dir, args, s.port);
    expect(await dumpKeyspace(s.port, 4)).toEqual(before);
  } finally {
    await s.stop();
  }
}

const kill9 = async (s: Running): Promise<void> => {
  s.proc.kill("SIGKILL");
  await s.proc.exited;
};

const shutdown = async (s: Running): Promise<void> => {
  const c = await RespConn.connect(s.port);
  c.send("SHUTDOWN");
  await c.readUntilClose(5000);
  await s.proc.exited;
};

describe("restart equivalence", () => {
  test("kill -9 (appendfsync always): the same keyspace after recovery", async () => {
    await run("always", 11, kill9);
  }, 60000);

  test("kill -9 (appendfsync everysec)", async () => {
    await run("everysec", 12, kill9);
  }, 60000);

  test("SHUTDOWN: a final checkpoint, nothing left to replay", async () => {
    await run("everysec", 13, async (s) => {
      await shutdown(s);
    });
    // after a clean shutdown the WAL is empty: loading replays no record
  }, 60000);
});

describe("loading", () => {
  test("clients get -LOADING while the checkpoint loads; INFO persistence shows the progress", async () => {
    const dir = tempDir("aikv-loading-");
    dirs.push(dir);
    const s = await startLsm(dir);
    const c = await RespConn.connect(s.port);
    expect(await c.call("DEBUG", "POPULATE", "20000", "key", "10")).toBe("+OK\r\n");
    c.send("SHUTDOWN");
    await c.readUntilClose(10000);
    await s.proc.exited;
    // key-load-delay (microseconds per key, hidden, as in Redis) slows loading down: ~2 s
    const s2 = await startAikv({ dir, port: s.port, args: ["--engine", "lsm", "--save", "", "--key-load-delay", "100"] });
    try {
      const c2 = await RespConn.connect(s2.port);
      expect(await c2.call("GET", "key:1")).toBe("-LOADING Redis is loading the dataset in memory\r\n");
      const inf = await info(s2.port, "persistence");
      expect(inf.loading).toBe("1");
      expect(Number(inf.loading_total_bytes)).toBeGreaterThan(0);
      expect(inf.loading_loaded_perc).toMatch(/^\d+\.\d\d$/);
      expect(inf.loading_phase).toBe("keys");
      await waitLoaded(s2.port);
      expect(await c2.call("DBSIZE")).toBe(":20000\r\n");
      expect(await c2.call("GET", "key:19999")).toBe("$10\r\nvalue:1999\r\n");
      expect((await info(s2.port, "persistence")).loading).toBe("0");
      c2.close();
    } finally {
      await s2.stop();
    }
  }, 60000);
});
