// dump.rdb files with real servers: redis-server's files load into AiKv and AiKv's into
// redis-server (and pass redis-check-rdb), BGSAVE is a point-in-time snapshot while writes go
// on, the `save` schedule, SHUTDOWN and FLUSHALL saves, DEBUG RELOAD, MISCONF, corrupt files at
// startup, INFO persistence, and aikv-tool import.

import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { items, RespConn } from "../helpers/resp.ts";
import { ROOT, freePort, startAikv, startRedis, type Running } from "../helpers/servers.ts";
import { RdbFileReader, type LoadedKey } from "../../src/rdb/file.ts";
import { DEFAULT_ENCODING_LIMITS } from "../../src/store/value.ts";

const dirs: string[] = [];
function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aikv-rdb-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Cmd = (string | Uint8Array)[];

async function run(c: RespConn, cmds: Cmd[]): Promise<void> {
  for (const cmd of cmds) {
    const r = await c.call(...cmd);
    if (r.startsWith("-")) throw new Error(`${cmd.map(String).join(" ").slice(0, 100)} -> ${r}`);
  }
}

/** Every key of every db, described order-free where the encoding has no order. */
async function dataset(c: RespConn, dbs = 4): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (let db = 0; db < dbs; db++) {
    await c.call("SELECT", String(db));
    const keys = items(await c.call("KEYS", "*")).sort();
    for (const key of keys) {
      const type = (await c.call("TYPE", key)).trim();
      let enc = items(await c.call("OBJECT", "ENCODING", key))[0];
      // A loaded string is embstr or raw by its length alone (a live one may be raw after edits).
      if (enc === "embstr" || enc === "raw") enc = "str";
      let body: string[] = [];
      if (type === "+string") body = items(await c.call("GET", key));
      else if (type === "+list") body = items(await c.call("LRANGE", key, "0", "-1"));
      else if (type === "+hash") {
        const kv = items(await c.call("HGETALL", key));
        const pairs: string[] = [];
        for (let k = 0; k < kv.length; k += 2) pairs.push(`${kv[k]}=${kv[k + 1]}`);
        body = enc === "hashtable" ? pairs.sort() : pairs;
      } else if (type === "+set") {
        body = items(await c.call("SMEMBERS", key));
        if (enc === "hashtable") body.sort();
      } else if (type === "+zset") body = items(await c.call("ZRANGE", key, "0", "-1", "WITHSCORES"));
      const exp = items(await c.call("PEXPIRETIME", key))[0];
      out[`${db}:${key}`] = JSON.stringify({ type, enc, exp, body });
    }
  }
  await c.call("SELECT", "0");
  return out;
}

/** Commands that build one key of every type and encoding, in several dbs. */
function population(): Cmd[] {
  const cmds: Cmd[] = [];
  cmds.push(["SET", "str", "hello"], ["SET", "int", "12345"], ["SET", "bigint", "9223372036854775807"]);
  cmds.push(["SET", "long", "abcdefgh".repeat(40)], ["SET", "bin", Buffer.from([0, 1, 2, 255, 254, 10, 13])]);
  cmds.push(["SET", "ttl", "v", "PX", "100000000"], ["SET", "raw", "a"], ["APPEND", "raw", "b".repeat(50)]);
  const hll: string[] = [];
  for (let i = 0; i < 2000; i++) hll.push(`h${i}`);
  cmds.push(["PFADD", "hll", "a", "b"], ["PFADD", "hlldense", ...hll]);
  const big: string[] = [];
  for (let i = 0; i < 3000; i++) big.push(i % 3 ? `element-${i}` : String(i));
  cmds.push(["RPUSH", "list", "a", "1", "-700000", "x".repeat(100)], ["RPUSH", "biglist", ...big]);
  cmds.push(["HSET", "hash", "f1", "v1", "f2", "22"]);
  const hf: string[] = [];
  for (let i = 0; i < 700; i++) hf.push(`field${i}`, `v${i}`);
  cmds.push(["HSET", "bighash", ...hf], ["EXPIRE", "bighash", "100000"]);
  cmds.push(["SADD", "intset", "1", "2", "-70000"], ["SADD", "set", "a", "b", "1"]);
  const sm: string[] = [];
  for (let i = 0; i < 600; i++) sm.push(String(i));
  cmds.push(["SADD", "bigintset", ...sm]);
  cmds.push(["ZADD", "zset", "1", "a", "2.5", "b", "-inf", "c"]);
  const zm: string[] = [];
  for (let i = 0; i < 300; i++) zm.push(String(i / 3), `m${i}`);
  cmds.push(["ZADD", "bigzset", ...zm]);
  cmds.push(["SELECT", "2"], ["SET", "indb2", "yes"], ["RPUSH", "l2", "x"], ["SELECT", "3"], ["HSET", "h3", "a", "b"], ["SELECT", "0"]);
  cmds.push(["FUNCTION", "LOAD", "#!lua name=filelib\nredis.register_function('ff', function() return 'from the file' end)"]);
  return cmds;
}

async function waitLoaded(c: RespConn): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = await c.call("INFO", "persistence");
    if (infoField(info, "loading") === "0") return;
    await Bun.sleep(20);
  }
  throw new Error("still loading");
}

async function withConn<T>(s: Running, f: (c: RespConn) => Promise<T>): Promise<T> {
  const c = await RespConn.connect(s.port);
  try {
    return await f(c);
  } finally {
    c.close();
  }
}

function infoField(info: string, name: string): string {
  const m = new RegExp(`^${name}:(.*)\\r?$`, "m").exec(info);
  return m ? m[1]!.trim() : "";
}

describe("files between redis-server and AiKv", () => {
  test("AiKv loads the dump.rdb redis-server wrote (every type, dbs, TTLs, functions), and aikv-tool imports it", async () => {
    const rdir = newDir();
    const redis = await startRedis({ dir: rdir });
    let want: Record<string, string>;
    try {
      want = await withConn(redis, async (c) => {
        await run(c, population());
        // keys already expired when saved are written but not loaded
        await run(c, [["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "gone", "x", "PX", "1"]]);
        await Bun.sleep(20);
        await run(c, [["SAVE"]]);
        await run(c, [["DEL", "gone"]]);
        return dataset(c);
      });
    } finally {
      await redis.stop();
    }
    const adir = newDir();
    copyFileSync(join(rdir, "dump.rdb"), join(adir, "dump.rdb"));
    const aikv = await startAikv({ dir: adir });
    try {
      await withConn(aikv, async (c) => {
        await waitLoaded(c);
        expect(await dataset(c)).toEqual(want);
        expect(await c.call("FCALL", "ff", "0")).toBe("$13\r\nfrom the file\r\n");
        const info = await c.call("INFO", "persistence");
        expect(infoField(info, "rdb_last_load_keys_loaded")).toBe(String(Object.keys(want).length));
        expect(infoField(info, "rdb_last_load_keys_expired")).toBe("1");
      });
    } finally {
      await aikv.stop();
    }
    // the same file through aikv-tool into a running (empty) AiKv
    const target = await startAikv();
    try {
      const p = Bun.spawnSync(["bun", join(ROOT, "src/tool/main.ts"), "import", join(adir, "dump.rdb"), "--port", String(target.port), "--quiet"]);
      expect(p.stderr.toString()).toContain(`imported ${Object.keys(want).length} keys and 1 function libraries`);
      expect(p.exitCode).toBe(0);
      await withConn(target, async (c) => {
        expect(await dataset(c)).toEqual(want);
        expect(await c.call("FCALL", "ff", "0")).toBe("$13\r\nfrom the file\r\n");
      });
    } finally {
      await target.stop();
    }
  });

  test("redis-server loads AiKv's dump.rdb, which redis-check-rdb accepts", async () => {
    const adir = newDir();
    const aikv = await startAikv({ dir: adir });
    let want: Record<string, string>;
    try {
      want = await withConn(aikv, async (c) => {
        await run(c, population());
        expect(await c.call("SAVE")).toBe("+OK\r\n");
        return dataset(c);
      });
    } finally {
      await aikv.stop();
    }
    const check = Bun.spawnSync(["redis-check-rdb", join(adir, "dump.rdb")]);
    expect(check.stdout.toString()).toContain("RDB looks OK");
    const rdir = newDir();
    copyFileSync(join(adir, "dump.rdb"), join(rdir, "dump.rdb"));
    const redis = await startRedis({ dir: rdir });
    try {
      await withConn(redis, async (c) => {
        expect(await dataset(c)).toEqual(want);
        expect(await c.call("FCALL", "ff", "0")).toBe("$13\r\nfrom the file\r\n");
      });
    } finally {
      await redis.stop();
    }
  });

  test("INFO persistence has Redis 7.0's fields in its order", async () => {
    const redis = await startRedis();
    const aikv = await startAikv();
    try {
      const names = (s: string) => s.split("\r\n").filter((l) => l.includes(":")).map((l) => l.split(":")[0]);
      const r = await withConn(redis, (c) => c.call("INFO", "persistence"));
      const a = await withConn(aikv, (c) => c.call("INFO", "persistence"));
      expect(names(a)).toEqual(names(r));
    } finally {
      await Promise.all([redis.stop(), aikv.stop()]);
    }
  });
});

describe("saving", () => {
  test("BGSAVE writes the dataset as it was when it started, whatever happens meanwhile", async () => {
    const dir = newDir();
    const aikv = await startAikv({ dir, args: ["--save", ""] });
    try {
      await withConn(aikv, async (c) => {
        const setup: Cmd[] = [];
        for (let i = 0; i < 120; i++) {
          setup.push(["SET", `s${i}`, `value${i}`]);
          if (i % 3 === 0) setup.push(["PEXPIRE", `s${i}`, String(100000000 + i)]);
        }
        setup.push(["SET", "counter", "10"], ["RPUSH", "list", "a", "b", "c"], ["HSET", "hash", "f", "1"]);
        setup.push(["SADD", "set", "1", "2"], ["ZADD", "zset", "1", "a"], ["SET", "gone", "x"], ["SET", "renamed", "r"]);
        setup.push(["APPEND", "buf", "start"], ["PFADD", "hll", "x"]);
        setup.push(["SELECT", "1"], ["SET", "db1key", "one"], ["SELECT", "2"], ["SET", "db2key", "two"], ["SELECT", "0"]);
        await run(c, setup);
        const before = await dataset(c, 3);
        await run(c, [["CONFIG", "SET", "rdb-key-save-delay", "4000"]]);
        expect(await c.call("BGSAVE")).toBe("+Background saving started\r\n");
        expect(await c.call("BGSAVE")).toBe("-ERR Background save already in progress\r\n");
        expect(await c.call("SAVE")).toBe("-ERR Background save already in progress\r\n");
        expect(infoField(await c.call("INFO", "persistence"), "rdb_bgsave_in_progress")).toBe("1");
        // writes of every kind while the save runs
        const writes: Cmd[] = [];
        for (let i = 119; i >= 0; i -= 2) writes.push(["SET", `s${i}`, `changed${i}`]);
        writes.push(["INCR", "counter"], ["INCRBY", "counter", "5"], ["LPUSH", "list", "z"], ["RPOP", "list"]);
        writes.push(["HSET", "hash", "f", "2", "g", "3"], ["SREM", "set", "1"], ["ZADD", "zset", "5", "a", "6", "b"]);
        writes.push(["DEL", "gone"], ["RENAME", "renamed", "newname"], ["SET", "brandnew", "x"], ["APPEND", "buf", "-more"]);
        writes.push(["PERSIST", "s0"], ["EXPIRE", "s1", "50"], ["PFADD", "hll", "y", "z"], ["SETRANGE", "s2", "0", "X"]);
        writes.push(["SELECT", "1"], ["FLUSHDB"], ["SET", "after", "flush"], ["SELECT", "0"], ["SWAPDB", "0", "2"], ["SWAPDB", "0", "2"]);
        writes.push(["MOVE", "s4", "2"]);
        await run(c, writes);
        for (let i = 0; i < 400; i++) {
          if (infoField(await c.call("INFO", "persistence"), "rdb_bgsave_in_progress") === "0") break;
          await Bun.sleep(25);
        }
        const info = await c.call("INFO", "persistence");
        expect(infoField(info, "rdb_bgsave_in_progress")).toBe("0");
        expect(infoField(info, "rdb_last_bgsave_status")).toBe("ok");
        await run(c, [["CONFIG", "SET", "rdb-key-save-delay", "0"]]);
        // the file holds `before`
        const dir2 = newDir();
        copyFileSync(join(dir, "dump.rdb"), join(dir2, "dump.rdb"));
        const check = await startAikv({ dir: dir2, args: ["--save", ""] });
        try {
          await withConn(check, async (c2) => {
            await waitLoaded(c2);
            expect(await dataset(c2, 3)).toEqual(before);
          });
        } finally {
          await check.stop();
        }
      });
    } finally {
      await aikv.stop();
    }
  });

  test("the save schedule starts BGSAVE; LASTSAVE and INFO follow", async () => {
    const dir = newDir();
    const aikv = await startAikv({ dir, args: ["--save", "1 2"] });
    try {
      await withConn(aikv, async (c) => {
        const last = Number(items(await c.call("LASTSAVE"))[0]!.slice(1));
        await run(c, [["SET", "a", "1"], ["SET", "b", "2"]]);
        let saved = false;
        for (let i = 0; i < 200 && !saved; i++) {
          await Bun.sleep(30);
          saved = Number((await c.call("LASTSAVE")).slice(1)) > last && existsSync(join(dir, "dump.rdb"));
        }
        expect(saved).toBe(true);
        const info = await c.call("INFO", "persistence");
        expect(infoField(info, "rdb_changes_since_last_save")).toBe("0");
        expect(Number(infoField(info, "rdb_saves"))).toBeGreaterThanOrEqual(1);
        expect(infoField(info, "rdb_last_bgsave_time_sec")).not.toBe("-1");
      });
    } finally {
      await aikv.stop();
    }
  });

  test("SHUTDOWN saves with save points (not with NOSAVE); FLUSHALL writes the empty dataset", async () => {
    const dir = newDir();
    let aikv = await startAikv({ dir });
    await withConn(aikv, async (c) => {
      await run(c, [["SET", "kept", "1"], ["RPUSH", "l", "a"]]);
      c.send("SHUTDOWN");
      await c.readUntilClose(5000);
    });
    await aikv.proc.exited;
    expect(existsSync(join(dir, "dump.rdb"))).toBe(true);
    aikv = await startAikv({ dir });
    await withConn(aikv, async (c) => {
      await waitLoaded(c);
      expect(await c.call("DBSIZE")).toBe(":2\r\n");
      await run(c, [["SET", "notkept", "1"]]);
      c.send("SHUTDOWN", "NOSAVE");
      await c.readUntilClose(5000);
    });
    await aikv.proc.exited;
    aikv = await startAikv({ dir });
    try {
      await withConn(aikv, async (c) => {
        await waitLoaded(c);
        expect(await c.call("EXISTS", "notkept")).toBe(":0\r\n");
        expect(await c.call("FLUSHALL")).toBe("+OK\r\n");
      });
      // FLUSHALL saved an empty file
      const keys: LoadedKey[] = [];
      new RdbFileReader(readFileSync(join(dir, "dump.rdb")), { lim: limits() }).step({ key: (k) => keys.push(k) });
      expect(keys.length).toBe(0);
    } finally {
      await aikv.stop();
    }
  });

  test("DEBUG RELOAD keeps the data; a damaged file fails cleanly", async () => {
    const dir = newDir();
    const aikv = await startAikv({ dir, args: ["--save", ""] });
    try {
      await withConn(aikv, async (c) => {
        await run(c, population());
        await run(c, [["JSON.SET", "doc", "$", '{"a":[1,2,{"b":"c"}],"n":1.5}']]);
        const json = await c.call("JSON.GET", "doc");
        const before = await dataset(c);
        expect(await c.call("DEBUG", "RELOAD")).toBe("+OK\r\n");
        expect(await dataset(c)).toEqual(before);
        expect(await c.call("JSON.GET", "doc")).toBe(json);
        expect(await c.call("DEBUG", "RELOAD", "FOO")).toBe("-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n");
        const rr = await c.call("DEBUG", "RELOAD", "NOFLUSH", "MERGE", "NOSAVE");
        expect(rr).toBe("+OK\r\n");
        expect(await dataset(c)).toEqual(before);
        const f = readFileSync(join(dir, "dump.rdb"));
        f[f.length - 20]! ^= 0x55;
        writeFileSync(join(dir, "dump.rdb"), f);
        expect(await c.call("DEBUG", "RELOAD", "NOSAVE")).toBe("-ERR Error trying to load the RDB dump\r\n");
        expect(await c.call("PING")).toBe("+PONG\r\n");
      });
    } finally {
      await aikv.stop();
    }
  });

  test("a failed BGSAVE gives MISCONF to writes (and PING) while save points exist, as redis-server", async () => {
    const replies: string[][] = [];
    for (const kind of ["aikv", "redis"] as const) {
      const dir = newDir();
      const s = kind === "aikv" ? await startAikv({ dir, args: ["--save", "3600 1"] }) : await startRedis({ dir, args: ["--save", "3600 1"] });
      // a directory where the file should go makes the final rename fail
      mkdirSync(join(dir, "dump.rdb"));
      try {
        replies.push(
          await withConn(s, async (c) => {
            const out: string[] = [];
            out.push(await c.call("SET", "k", "v"));
            out.push(await c.call("BGSAVE"));
            for (let i = 0; i < 200; i++) {
              if (infoField(await c.call("INFO", "persistence"), "rdb_bgsave_in_progress") === "0") break;
              await Bun.sleep(20);
            }
            out.push(infoField(await c.call("INFO", "persistence"), "rdb_last_bgsave_status"));
            out.push(await c.call("SET", "k", "v2"));
            out.push(await c.call("PING"));
            out.push(await c.call("GET", "k"));
            out.push(await c.call("CONFIG", "SET", "stop-writes-on-bgsave-error", "no"));
            out.push(await c.call("SET", "k", "v3"));
            return out;
          }),
        );
      } finally {
        await s.stop();
      }
    }
    expect(replies[0]).toEqual(replies[1]!);
    expect(replies[0]![3]).toStartWith("-MISCONF");
  });
});

describe("loading", () => {
  test("a damaged or truncated dump.rdb stops the server at startup with a clear error", async () => {
    const src = newDir();
    const aikv = await startAikv({ dir: src, args: ["--save", ""] });
    await withConn(aikv, (c) => run(c, [...population(), ["SAVE"]]));
    await aikv.stop();
    const good = readFileSync(join(src, "dump.rdb"));
    const variants: [string, Buffer][] = [
      ["truncated", good.subarray(0, Math.floor(good.length / 2))],
      ["bit flip", Buffer.from(good.map((b, i) => (i === 200 ? b ^ 1 : b)))],
      ["not an rdb", Buffer.from("hello world, not a dump at all")],
      ["newer version", Buffer.concat([Buffer.from("REDIS0099"), good.subarray(9)])],
    ];
    for (const [name, bytes] of variants) {
      const dir = newDir();
      writeFileSync(join(dir, "dump.rdb"), bytes);
      const port = await freePort();
      const p = Bun.spawn(["bun", join(ROOT, "src/main.ts"), "--port", String(port), "--bind", "127.0.0.1"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      const code = await p.exited;
      const log = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
      expect({ name, code }).toEqual({ name, code: 1 });
      expect(log).toContain("Fatal error loading the DB");
    }
  });

  test("clients get -LOADING while dump.rdb loads", async () => {
    const dir = newDir();
    const src = await startAikv({ dir, args: ["--save", ""] });
    await withConn(src, async (c) => {
      const cmds: Cmd[] = [];
      for (let i = 0; i < 60; i++) cmds.push(["SET", `k${i}`, `v${i}`]);
      await run(c, [...cmds, ["SAVE"]]);
    });
    await src.stop();
    const aikv = await startAikv({ dir, args: ["--save", "", "--key-load-delay", "20000"] });
    try {
      await withConn(aikv, async (c) => {
        expect(await c.call("GET", "k1")).toBe("-LOADING Redis is loading the dataset in memory\r\n");
        const info = await c.call("INFO", "persistence");
        expect(infoField(info, "loading")).toBe("1");
        expect(Number(infoField(info, "loading_total_bytes"))).toBeGreaterThan(0);
        await waitLoaded(c);
        expect(await c.call("GET", "k1")).toBe("$2\r\nv1\r\n");
        expect(await c.call("DBSIZE")).toBe(":60\r\n");
        expect(infoField(await c.call("INFO", "persistence"), "rdb_last_load_keys_loaded")).toBe("60");
      });
    } finally {
      await aikv.stop();
    }
  });

  test("IDLETIME and FREQ go into the file under LRU and LFU policies", async () => {
    const dir = newDir();
    const aikv = await startAikv({ dir, args: ["--save", ""] });
    try {
      await withConn(aikv, async (c) => {
        await run(c, [["SET", "src", "v"], ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]]);
        const p = Buffer.from(items(await c.call("DUMP", "src"))[0]!, "latin1");
        await run(c, [["DEL", "src"], ["RESTORE", "idle", "0", p, "IDLETIME", "1000"], ["SAVE"]]);
        let keys: LoadedKey[] = [];
        new RdbFileReader(readFileSync(join(dir, "dump.rdb")), { lim: limits() }).step({ key: (k) => keys.push({ ...k }) });
        expect(keys[0]!.idle).toBeGreaterThanOrEqual(1000);
        expect(keys[0]!.idle).toBeLessThan(1010);
        await run(c, [["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"], ["RESTORE", "freq", "0", p, "FREQ", "77"], ["DEL", "idle"], ["SAVE"]]);
        keys = [];
        new RdbFileReader(readFileSync(join(dir, "dump.rdb")), { lim: limits() }).step({ key: (k) => keys.push({ ...k }) });
        expect(keys[0]!.freq).toBe(77);
      });
    } finally {
      await aikv.stop();
    }
  });
});

function limits() {
  return { ...DEFAULT_ENCODING_LIMITS, hashMaxListpackEntries: 128 };
}
