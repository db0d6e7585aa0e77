// `shards N`: AiKv started with --shards 2 and 3 must look like one redis-server. Differential
// scripts (byte for byte, RESP2 and RESP3) over keys placed on every shard: single-key
// commands, cross-shard multi-key commands, MULTI/EXEC, WATCH, scripts, keyspace-wide
// commands, pub/sub, blocking pops, pipelines, a seeded random sequence; plus properties
// (SCAN, RANDOMKEY, MONITOR, client ids) and a concurrency test showing that cross-shard
// MSET/RENAME are atomic for concurrent readers.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Differ, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { sameScenario, type Step } from "../helpers/multi.ts";
import { ROOT, startAikv } from "../helpers/servers.ts";
import { allocShared } from "../../src/shard/ring.ts";
import { join } from "node:path";
import { keySlotStr } from "../../src/cluster/slot.ts";
import { prng } from "../helpers/random.ts";

/** The shard a key belongs to with n shards (contiguous, even slot ranges). */
function shardOf(key: string, n: number): number {
  return Math.min(n - 1, Math.floor((keySlotStr(key) * n) / 16384));
}

/** `count` distinct key names on shard `s` of n, made from `base`. */
function keysOn(s: number, n: number, base: string, count = 1): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const k = `${base}${i}`;
    if (shardOf(k, n) === s) out.push(k);
  }
  return out;
}


/** Commands whose replies list a hashtable's members in the server's own order. */
const UNORDERED = new Set(["KEYS", "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HGETALL", "HKEYS", "HVALS"]);
const unordered = (r: string, cmd: Cmd): string => (UNORDERED.has(String(cmd[0]).toUpperCase()) ? sortedArray(r) : r);

/** Sorts the elements of a flat array reply of bulks (KEYS, SMEMBERS...): order is the servers' own. */
function sortedArray(r: string): string {
  const m = /^([*~])(\d+)\r\n/.exec(r);
  if (!m) return r;
  const items = r.slice(m[0].length).split(/(?=\$\d+\r\n)/).filter(Boolean);
  return `${m[0]}${items.sort().join("")}`;
}

function suite(n: number, full: boolean): void {
  describe(`shards ${n}`, () => {
    let d: Differ;
    // Two keys per shard for every role, so that every pair of shards meets.
    const K = (base: string): string[] => Array.from({ length: n }, (_, s) => keysOn(s, n, base)[0]!);
    const k = K("key");
    const s = K("set");
    const l = K("list");
    const z = K("zset");
    const h = K("hash");

    beforeAll(async () => {
      d = await Differ.start({ aikv: { args: ["--shards", String(n)] } });
    });
    afterAll(async () => {
      await d?.stop();
    });

    test("single-key commands on every shard", async () => {
      const cmds: Cmd[] = [];
      for (let i = 0; i < n; i++) {
        cmds.push(
          ["SET", k[i]!, "v"], ["GET", k[i]!], ["APPEND", k[i]!, "w"], ["STRLEN", k[i]!], ["INCR", `${k[i]}n`], ["INCRBYFLOAT", `${k[i]}n`, "1.5"],
          ["GETRANGE", k[i]!, "0", "0"], ["SETRANGE", k[i]!, "3", "xyz"], ["GETDEL", k[i]!], ["EXISTS", k[i]!],
          ["RPUSH", l[i]!, "a", "b", "c"], ["LPOP", l[i]!], ["LRANGE", l[i]!, "0", "-1"], ["LLEN", l[i]!], ["OBJECT", "ENCODING", l[i]!],
          ["HSET", h[i]!, "f", "1", "g", "2"], ["HGETALL", h[i]!], ["HINCRBY", h[i]!, "f", "5"], ["HDEL", h[i]!, "g"],
          ["SADD", s[i]!, "1", "2", "3"], ["SISMEMBER", s[i]!, "2"], ["SCARD", s[i]!], ["SREM", s[i]!, "1"],
          ["ZADD", z[i]!, "1", "a", "2", "b"], ["ZRANGE", z[i]!, "0", "-1", "WITHSCORES"], ["ZINCRBY", z[i]!, "5", "a"], ["ZRANK", z[i]!, "a"],
          ["EXPIRE", l[i]!, "100"], ["TTL", l[i]!], ["PERSIST", l[i]!], ["TYPE", z[i]!], ["TYPE", "nokey"],
          ["SET", `${k[i]}x`, "1", "PX", "100000000"], ["TTL", `${k[i]}x`], ["GET", "missing"], ["LPOP", "missing"],
          ["HGET", l[i]!, "f"], ["XADD", `${k[i]}st`, "1-1", "a", "b"], ["XRANGE", `${k[i]}st`, "-", "+"],
          ["PFADD", `${k[i]}hll`, "a", "b"], ["PFCOUNT", `${k[i]}hll`], ["SETBIT", `${k[i]}b`, "7", "1"], ["BITCOUNT", `${k[i]}b`],
          ["OBJECT", "ENCODING", s[i]!], ["DUMP", k[i]!], ["DEL", h[i]!],
        );
      }
      await d.same(cmds);
    });

    test("multi-key commands across shards", async () => {
      const cmds: Cmd[] = [];
      const pairs: [number, number][] = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) pairs.push([i, j]);
      for (const [i, j] of pairs) {
        cmds.push(
          ["FLUSHALL"],
          ["MSET", k[i]!, "1", k[j]!, "2"], ["MGET", k[i]!, "nokey", k[j]!, k[i]!], ["EXISTS", k[i]!, k[j]!, k[i]!, "nokey"], ["TOUCH", k[j]!, k[i]!],
          ["MSETNX", k[i]!, "x", "fresh"], ["MSETNX", "fresh1", "1", "fresh2", "2"], ["MGET", "fresh1", "fresh2"],
          ["RENAME", k[i]!, k[j]!], ["MGET", k[i]!, k[j]!], ["RENAMENX", k[j]!, k[i]!], ["RENAME", "nokey", k[i]!], ["RENAME", k[i]!, k[i]!],
          ["COPY", k[i]!, k[j]!], ["COPY", k[i]!, k[j]!, "REPLACE"], ["MGET", k[i]!, k[j]!],
          ["DEL", k[i]!, k[j]!, "nokey"], ["UNLINK", k[i]!, k[j]!],
          ["SADD", s[i]!, "a", "b", "c"], ["SADD", s[j]!, "c", "d"], ["SMOVE", s[i]!, s[j]!, "a"], ["SMOVE", s[i]!, s[j]!, "zz"],
          ["SINTER", s[i]!, s[j]!], ["SUNIONSTORE", k[j]!, s[i]!, s[j]!], ["SMEMBERS", k[j]!], ["SDIFFSTORE", k[i]!, s[j]!, s[i]!], ["SCARD", k[i]!],
          ["SINTERCARD", "2", s[i]!, s[j]!], ["SMISMEMBER", s[j]!, "a", "d"],
          ["RPUSH", l[i]!, "1", "2", "3"], ["LMOVE", l[i]!, l[j]!, "LEFT", "RIGHT"], ["RPOPLPUSH", l[i]!, l[j]!], ["LRANGE", l[j]!, "0", "-1"],
          ["LMPOP", "2", "nokey", l[j]!, "LEFT"], ["BLMOVE", l[i]!, l[j]!, "RIGHT", "LEFT", "0.01"], ["BLPOP", "nokey", l[j]!, "0.01"],
          ["ZADD", z[i]!, "1", "a", "2", "b"], ["ZADD", z[j]!, "3", "a", "4", "c"], ["ZUNIONSTORE", k[i]!, "2", z[i]!, z[j]!], ["ZRANGE", k[i]!, "0", "-1", "WITHSCORES"],
          ["ZINTERSTORE", k[j]!, "2", z[i]!, z[j]!, "WEIGHTS", "2", "3"], ["ZRANGE", k[j]!, "0", "-1", "WITHSCORES"], ["ZRANGESTORE", k[i]!, z[j]!, "0", "0"],
          ["ZDIFF", "2", z[j]!, z[i]!], ["ZMPOP", "2", z[i]!, z[j]!, "MIN"], ["BZPOPMIN", "nokey", z[j]!, "0.01"],
          ["PFADD", `${k[i]}h`, "a"], ["PFADD", `${k[j]}h`, "b"], ["PFMERGE", `${k[i]}h`, `${k[j]}h`], ["PFCOUNT", `${k[i]}h`, `${k[j]}h`],
          ["SET", k[i]!, "foo"], ["SET", k[j]!, "bar"], ["BITOP", "XOR", "bits", k[i]!, k[j]!], ["GET", "bits"], ["LCS", k[i]!, k[j]!],
          ["SORT", l[j]!, "STORE", k[i]!], ["LRANGE", k[i]!, "0", "-1"], ["SMOVE", s[i]!, k[j]!, "b"],
          ["GEOADD", `${k[i]}g`, "13.36", "38.11", "palermo"], ["GEOSEARCHSTORE", `${k[j]}g`, `${k[i]}g`, "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"], ["ZCARD", `${k[j]}g`],
          ["MSET", k[i]!, "1", k[j]!], ["DBSIZE"],
        );
      }
      await d.same(cmds, { normalize: unordered });
    });

    test("MULTI/EXEC and WATCH across shards", async () => {
      const a = k[0]!;
      const b = k[n - 1]!;
      await d.same([
        ["MULTI"], ["SET", a, "1"], ["INCR", b], ["MGET", a, b], ["RENAME", a, "x"], ["GET", "x"], ["EXEC"],
        ["MULTI"], ["SET", a, "1"], ["LPUSH", a, "x"], ["GET", b], ["EXEC"],
        ["MULTI"], ["SET", a, "1"], ["NOSUCHCMD"], ["EXEC"],
        ["MULTI"], ["SET", b, "2"], ["DISCARD"], ["GET", b],
        ["MULTI"], ["SET", a, "9"], ["DBSIZE"], ["KEYS", a], ["SELECT", "1"], ["SET", b, "in1"], ["DBSIZE"], ["SELECT", "0"], ["EXEC"],
        ["SELECT", "1"], ["MGET", a, b], ["FLUSHDB"], ["SELECT", "0"],
        ["MULTI"], ["FLUSHDB"], ["SET", a, "after"], ["EXISTS", a, b], ["EXEC"],
        ["MULTI"], ["BLPOP", a, b, "0"], ["SET", a, "1"], ["EXEC"],
        ["WATCH", a, b], ["MULTI"], ["SET", a, "w"], ["EXEC"],
        ["WATCH", a, b], ["SET", b, "changed"], ["MULTI"], ["SET", a, "w2"], ["EXEC"], ["GET", a],
        ["WATCH", b], ["UNWATCH"], ["SET", b, "again"], ["MULTI"], ["GET", b], ["EXEC"],
        ["WATCH", a], ["MULTI"], ["WATCH", b], ["EXEC"],
      ], { normalize: (r, cmd) => (cmd[0] === "KEYS" ? sortedArray(r) : r) });
      // WATCH by one client, change by another (maybe on another shard)
      const steps: Step[] = [
        [0, "SET", a, "1"], [0, "SET", b, "1"],
        [0, "WATCH", a, b], [1, "SET", b, "2"], [0, "MULTI"], [0, "SET", a, "3"], [0, "EXEC"], [0, "MGET", a, b],
        [0, "WATCH", a, b], [1, "GET", b], [0, "MULTI"], [0, "SET", a, "4"], [0, "EXEC"], [0, "MGET", a, b],
        [0, "WATCH", b], [1, "FLUSHALL"], [0, "MULTI"], [0, "PING"], [0, "EXEC"],
        [0, "SET", b, "x"], [0, "WATCH", b], [1, "RENAME", b, a], [0, "MULTI"], [0, "PING"], [0, "EXEC"],
      ];
      await sameScenario(d, steps, { clients: 4 });
    });

    test("scripts and functions across shards", async () => {
      const a = k[0]!;
      const b = k[n - 1]!;
      const c = K("third")[n - 1]!;
      const body = "redis.call('set', KEYS[1], ARGV[1]); redis.call('incr', KEYS[2]); return redis.call('mget', KEYS[1], KEYS[2])";
      const sha = new Bun.CryptoHasher("sha1").update(body).digest("hex");
      await d.same([
        ["EVAL", body, "2", a, b, "x"], ["EVALSHA", sha, "2", b, c, "y"], ["MGET", a, b, c],
        ["EVAL", "return redis.call('get', KEYS[1])", "1", b],
        ["EVAL", "redis.call('set', KEYS[1], 'p'); return redis.pcall('lpush', KEYS[2], 'x')", "2", a, b],
        ["EVAL_RO", "return {redis.call('get', KEYS[1]), redis.call('get', KEYS[2])}", "2", a, b],
        ["SCRIPT", "LOAD", "return redis.call('exists', KEYS[1], KEYS[2])"],
        ["EVALSHA", "a7e2eb4d0ab1e7e8a8c30a1e6ae74f13a5a6d6a5", "0"],
        ["FUNCTION", "LOAD", "#!lua name=shardlib\nredis.register_function('mv', function(k, a) local v = redis.call('get', k[1]); redis.call('set', k[2], v); return redis.call('del', k[1]) end)"],
        ["FCALL", "mv", "2", a, b], ["MGET", a, b], ["FCALL", "mv", "2", b, a], ["MGET", a, b],
        ["FUNCTION", "DELETE", "shardlib"],
      ]);
      const r = await d.run([["EVALSHA", new Bun.CryptoHasher("sha1").update("return redis.call('exists', KEYS[1], KEYS[2])").digest("hex"), "2", a, b]]);
      expect(r[0]![1]).toBe(r[0]![2]);
    });

    test("keyspace-wide commands see one server", async () => {
      const all = [...k, ...s, ...l];
      const cmds: Cmd[] = [];
      for (const key of all) cmds.push(["SET", key, key]);
      cmds.push(
        ["DBSIZE"], ["KEYS", "*"], ["KEYS", "key*"], ["EXISTS", ...all],
        ["SELECT", "2"], ["SET", k[0]!, "db2"], ["SELECT", "0"], ["SWAPDB", "0", "2"], ["DBSIZE"], ["GET", k[0]!], ["SWAPDB", "0", "2"], ["DBSIZE"],
        ["SWAPDB", "0", "99"], ["FLUSHDB"], ["DBSIZE"], ["SELECT", "2"], ["DBSIZE"], ["FLUSHALL"], ["DBSIZE"], ["SELECT", "0"], ["RANDOMKEY"], ["KEYS", "*"],
        ["INFO", "nosuchsection"],
      );
      await d.same(cmds, { normalize: (r, cmd) => (cmd[0] === "KEYS" ? sortedArray(r) : r) });
      // SCAN: a full iteration returns every key once, whatever the cursor encoding.
      const c = await RespConn.connect(d.aikv.port);
      try {
        await c.call("FLUSHALL");
        for (let i = 0; i < 200; i++) await c.call("SET", `scan:${i}`, "v");
        const seen = new Set<string>();
        let cursor = "0";
        let rounds = 0;
        do {
          const r = await c.call("SCAN", cursor, "COUNT", "7", "MATCH", "scan:*");
          const parts = r.split("\r\n");
          cursor = parts[2]!;
          for (let i = 5; i < parts.length - 1; i += 2) seen.add(parts[i]!);
          rounds++;
        } while (cursor !== "0" && rounds < 1000);
        expect(seen.size).toBe(200);
        expect(await c.call("SCAN", "abc")).toBe("-ERR invalid cursor\r\n");
        const digest = await c.call("DEBUG", "DIGEST");
        expect(digest).toMatch(/^\+[0-9a-f]{40}\r\n$/);
        await c.call("SET", "scan:0", "changed");
        expect(await c.call("DEBUG", "DIGEST")).not.toBe(digest);
        const rk = await c.call("RANDOMKEY");
        expect(rk.startsWith("$") && rk.includes("scan:")).toBe(true);
        expect(await c.call("DBSIZE")).toBe(":200\r\n");
        const info = await c.call("INFO", "keyspace");
        expect(info).toContain("db0:keys=200,expires=0");
        await c.call("DEBUG", "POPULATE", "1000", "pop", "8");
        expect(await c.call("DBSIZE")).toBe(":1200\r\n");
        expect(await c.call("EXISTS", "pop:0", "pop:999", "pop:1000")).toBe(":2\r\n");
        expect(await c.call("SAVE")).toStartWith("-ERR SAVE is not available with shards > 1");
        expect(await c.call("BGSAVE")).toStartWith("-ERR BGSAVE is not available with shards > 1");
      } finally {
        c.close();
      }
    });

    test("pub/sub, keyspace notifications and PUBSUB reach every shard", async () => {
      // Several connections: the kernel spreads them over the shards' listeners.
      const steps: Step[] = [
        [0, "SUBSCRIBE", "news"], [1, "SUBSCRIBE", "news", "other"], [2, "PSUBSCRIBE", "n*"], [3, "SSUBSCRIBE", "shardch"],
        [4, "PUBLISH", "news", "hello"], ["read", 0], ["read", 1], ["read", 2],
        [5, "PUBLISH", "other", "x"], ["read", 1],
        [4, "SPUBLISH", "shardch", "s"], ["read", 3],
        [5, "PUBSUB", "NUMSUB", "news", "other", "none"], [5, "PUBSUB", "NUMPAT"], [5, "PUBSUB", "SHARDNUMSUB", "shardch"],
        [1, "UNSUBSCRIBE", "news"], ["read", 1], [4, "PUBLISH", "news", "again"], ["read", 0], ["read", 2], [5, "PUBSUB", "NUMSUB", "news"],
      ];
      await sameScenario(d, steps, { clients: 6 });
      await sameScenario(d, [[5, "PUBSUB", "CHANNELS", "*"]], {
        clients: 6,
        setup: [],
        normalize: sortedArray,
      });
      const notes: Step[] = [
        [0, "CONFIG", "SET", "notify-keyspace-events", "KEA"],
        [1, "PSUBSCRIBE", "__keyspace@0__:*"],
      ];
      for (let i = 0; i < n; i++) notes.push([2, "SET", k[i]!, "v"], ["read", 1], [3, "DEL", k[i]!], ["read", 1]);
      notes.push([2, "MSET", k[0]!, "1", k[n - 1]!, "2"], ["read", 1], ["read", 1], [2, "RENAME", k[0]!, k[n - 1]!], ["read", 1], ["read", 1]);
      notes.push([0, "CONFIG", "SET", "notify-keyspace-events", ""]);
      await sameScenario(d, notes, { clients: 4, sortReads: true });
    });

    test("blocking pops wait on the owning shard, and across shards", async () => {
      const a = l[0]!;
      const b = l[n - 1]!;
      const steps: Step[] = [
        [0, "BLPOP", a, "0.05"],
        [1, "RPUSH", a, "x"], [0, "BLPOP", a, "1"],
        [2, "DEL", a, b],
      ];
      await sameScenario(d, steps, { clients: 3 });
      // A client blocked on a key of another shard, woken by a push from a third client.
      for (const proto of [2, 3] as const) {
        for (const port of [d.aikv.port]) {
          const w = await RespConn.connect(port);
          const p = await RespConn.connect(port);
          if (proto === 3) await w.call("HELLO", "3");
          try {
            for (const [keys, push] of [[[a], a], [[b], b], [[a, b], b], [[b, a], a]] as [string[], string][]) {
              w.send("BLPOP", ...keys, "5");
              await Bun.sleep(100);
              expect(await p.call("RPUSH", push, "v")).toBe(":1\r\n");
              const want = proto === 3 ? `*2\r\n$${push.length}\r\n${push}\r\n$1\r\nv\r\n` : `*2\r\n$${push.length}\r\n${push}\r\n$1\r\nv\r\n`;
              expect(await w.read()).toBe(want);
            }
            // BLMOVE between shards, then CLIENT UNBLOCK from another connection
            w.send("BLMOVE", a, b, "LEFT", "RIGHT", "5");
            await Bun.sleep(100);
            await p.call("RPUSH", a, "m");
            expect(await w.read()).toBe("$1\r\nm\r\n");
            expect(await p.call("LRANGE", b, "0", "-1")).toBe("*1\r\n$1\r\nm\r\n");
            await p.call("DEL", a, b);
            const id = (await w.call("CLIENT", "ID")).slice(1, -2);
            w.send("BLPOP", a, b, "0");
            await Bun.sleep(100);
            expect(await p.call("CLIENT", "UNBLOCK", id)).toBe(":1\r\n");
            expect(await w.read()).toBe(proto === 3 ? "_\r\n" : "*-1\r\n");
            w.send("BLPOP", a, "0");
            await Bun.sleep(100);
            expect(await p.call("CLIENT", "UNBLOCK", id, "ERROR")).toBe(":1\r\n");
            expect(await w.read()).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
            w.send("BLPOP", a, b, "0.1");
            expect(await w.read()).toBe(proto === 3 ? "_\r\n" : "*-1\r\n");
          } finally {
            w.close();
            p.close();
          }
        }
      }
    });

    test("pipelines keep their order across shards", async () => {
      const rnd = prng(7 + n);
      const keys = [...k, ...s.map((x) => `${x}p`)];
      const cmds: Cmd[] = [];
      for (let i = 0; i < 300; i++) {
        const x = keys[Math.floor(rnd() * keys.length)]!;
        const y = keys[Math.floor(rnd() * keys.length)]!;
        const r = rnd();
        if (r < 0.3) cmds.push(["SET", x, String(i)]);
        else if (r < 0.5) cmds.push(["GET", x]);
        else if (r < 0.6) cmds.push(["MSET", x, String(i), y, String(-i)]);
        else if (r < 0.7) cmds.push(["MGET", x, y]);
        else if (r < 0.8) cmds.push(["INCR", `${x}c`]);
        else if (r < 0.85) cmds.push(["PING"]);
        else if (r < 0.9) cmds.push(["EXISTS", x, y]);
        else if (r < 0.95) cmds.push(["DEL", x]);
        else cmds.push(["DBSIZE"]);
      }
      const replies = async (port: number): Promise<string[]> => {
        const c = await RespConn.connect(port);
        try {
          await c.call("FLUSHALL");
          for (const cmd of cmds) c.send(...cmd);
          const out: string[] = [];
          for (let i = 0; i < cmds.length; i++) out.push(await c.read());
          return out;
        } finally {
          c.close();
        }
      };
      expect(await replies(d.aikv.port)).toEqual(await replies(d.redis.port));
    });

    test("seeded random sequence matches redis-server", async () => {
      const rnd = prng(1000 + n);
      const keys = [...k, ...K("other"), ...K("third")];
      const pick = () => keys[Math.floor(rnd() * keys.length)]!;
      const cmds: Cmd[] = [];
      const ops: (() => Cmd)[] = [
        () => ["SET", pick(), String(Math.floor(rnd() * 100))],
        () => ["GET", pick()],
        () => ["MSET", pick(), "1", pick(), "2", pick(), "3"],
        () => ["MGET", pick(), pick(), pick()],
        () => ["DEL", pick(), pick()],
        () => ["EXISTS", pick(), pick()],
        () => ["RENAME", pick(), pick()],
        () => ["RENAMENX", pick(), pick()],
        () => ["COPY", pick(), pick(), "REPLACE"],
        () => ["INCR", pick()],
        () => ["APPEND", pick(), "x"],
        () => ["RPUSH", pick(), "a", "b"],
        () => ["LMOVE", pick(), pick(), "LEFT", "RIGHT"],
        () => ["SADD", pick(), "m1", "m2"],
        () => ["SUNIONSTORE", pick(), pick(), pick()],
        () => ["SMOVE", pick(), pick(), "m1"],
        () => ["TYPE", pick()],
        () => ["DBSIZE"],
        () => ["EXPIRE", pick(), "1000"],
        () => ["TTL", pick()],
        () => ["MSETNX", pick(), "n", pick(), "m"],
      ];
      for (let i = 0; i < 250; i++) {
        if (rnd() < 0.08) {
          cmds.push(["MULTI"]);
          const m = 1 + Math.floor(rnd() * 4);
          for (let j = 0; j < m; j++) cmds.push(ops[Math.floor(rnd() * ops.length)]!());
          cmds.push(["EXEC"]);
        } else cmds.push(ops[Math.floor(rnd() * ops.length)]!());
      }
      await d.same(cmds);
    });

    test("cross-shard MSET and RENAME are atomic for concurrent readers", async () => {
      const a = k[0]!;
      const b = k[n - 1]!;
      const c3 = n > 2 ? k[1]! : `${k[0]}x`;
      const port = d.aikv.port;
      const setup = await RespConn.connect(port);
      await setup.call("FLUSHALL");
      await setup.call("MSET", a, "0", b, "0", c3, "0");
      await setup.call("SET", "mover", "token");
      setup.close();
      let stop = false;
      const writer = async (): Promise<number> => {
        const c = await RespConn.connect(port);
        let i = 0;
        while (!stop) {
          i++;
          // pipelined bursts of cross-shard writes
          for (let j = 0; j < 10; j++) c.send("MSET", a, String(i * 10 + j), b, String(i * 10 + j), c3, String(i * 10 + j));
          for (let j = 0; j < 10; j++) expect(await c.read()).toBe("+OK\r\n");
        }
        c.close();
        return i;
      };
      const mover = async (): Promise<void> => {
        const c = await RespConn.connect(port);
        const names = [`${a}m`, `${b}m`, "mover"];
        let at = 2;
        while (!stop) {
          const next = (at + 1) % names.length;
          expect(await c.call("RENAME", names[at]!, names[next]!)).toBe("+OK\r\n");
          at = next;
        }
        c.close();
      };
      let reads = 0;
      const reader = async (): Promise<void> => {
        const c = await RespConn.connect(port);
        while (!stop) {
          const r = await c.call("MGET", a, b, c3);
          const vals = r.split("\r\n").filter((x, i) => i > 0 && i % 2 === 0);
          expect(new Set(vals).size).toBe(1);
          const e = await c.call("EXISTS", `${a}m`, `${b}m`, "mover");
          expect(e).toBe(":1\r\n");
          c.send("MULTI");
          c.send("GET", a);
          c.send("GET", b);
          c.send("EXEC");
          await c.read();
          await c.read();
          await c.read();
          const x = (await c.read()).split("\r\n");
          expect(x[2]).toBe(x[4]!);
          reads++;
        }
        c.close();
      };
      const jobs = [writer(), writer(), mover(), reader(), reader(), reader()];
      await Bun.sleep(full ? 1500 : 800);
      stop = true;
      await Promise.all(jobs);
      expect(reads).toBeGreaterThan(10);
    });

    if (full) {
      test("MONITOR, CLIENT LIST/ID/KILL and INFO span the shards", async () => {
        const m = await RespConn.connect(d.aikv.port);
        const conns: RespConn[] = [];
        try {
          expect(await m.call("MONITOR")).toBe("+OK\r\n");
          const ids = new Set<string>();
          for (let i = 0; i < 6; i++) {
            const c = await RespConn.connect(d.aikv.port);
            conns.push(c);
            ids.add(await c.call("CLIENT", "ID"));
          }
          expect(ids.size).toBe(6);
          await Bun.sleep(50);
          for (let i = 0; i < 6; i++) await conns[i]!.call("SET", `mon${i}`, "v");
          const lines: string[] = [];
          const deadline = Date.now() + 3000;
          while (lines.filter((x) => x.includes('"SET"')).length < 6 && Date.now() < deadline) lines.push(await m.read(3000));
          for (let i = 0; i < 6; i++) expect(lines.some((x) => x.includes(`"SET" "mon${i}" "v"`))).toBe(true);
          const list = await conns[0]!.call("CLIENT", "LIST");
          for (const id of ids) expect(list).toContain(`id=${id.slice(1, -2)} `);
          const info = await conns[0]!.call("INFO", "clients");
          expect(info).toMatch(/connected_clients:(\d+)/);
          expect(Number(/connected_clients:(\d+)/.exec(info)![1])).toBeGreaterThanOrEqual(7);
          const victim = [...ids][5]!.slice(1, -2);
          expect(await conns[0]!.call("CLIENT", "KILL", "ID", victim)).toBe(":1\r\n");
          expect(await conns[0]!.call("CLIENT", "KILL", "ID", victim)).toBe(":0\r\n");
        } finally {
          m.close();
          for (const c of conns) c.close();
        }
      });
    }
  });
}

suite(2, true);
suite(3, false);

describe("shards: transport", () => {
  // Two workers exchange frames of random sizes (up to several times the ring) in both
  // directions at once, through deliberately small rings: wrap-around, partial writes,
  // frames larger than the ring, backpressure on both sides, and order and content checks.
  const WORKER = `
import { Transport, F } from ${JSON.stringify(join(ROOT, "src/shard/transport.ts"))};
self.onmessage = (e) => {
  const { shared, me, frames, seed } = e.data;
  const other = 1 - me;
  let a = seed >>> 0;
  const rnd = () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  let sent = 0, got = 0, bad = 0, deferred = 0;
  const t = new Transport(shared, me, (f) => {
    // defer every 7th frame once, to exercise redrive() (order is then by redrive)
    if (f.req % 7 === 3 && f.aux === 0) { deferred++; f.b[f.s - 12] = 1; return false; }
    const len = f.e - f.s;
    let ok = len === f.proto * 1000 + (f.req % 1000);
    for (let i = f.s; i < f.e && ok; i++) if (f.b[i] !== ((f.req + i - f.s) & 255)) ok = false;
    if (!ok) bad++;
    got++;
    if (got === frames) postMessage({ done: true, got, bad, deferred });
    return true;
  }, () => false);
  t.start();
  setInterval(() => t.redrive(), 5);
  const pump = () => {
    for (let k = 0; k < 20 && sent < frames; k++, sent++) {
      const big = rnd() < 0.05;
      const hi = big ? 20 + Math.floor(rnd() * 30) : Math.floor(rnd() * 3);
      const len = hi * 1000 + (sent % 1000);
      const w = t.begin(other, F.REQ, 0, sent, 0, hi, 0);
      w.ensure(len);
      for (let i = 0; i < len; i++) w.b[w.n + i] = (sent + i) & 255;
      w.n += len;
      t.end(other);
    }
    if (sent < frames) setTimeout(pump, 0);
  };
  setTimeout(pump, 20);
};
`;

  test("frames of any size cross small rings intact, both ways at once", async () => {
    const file = join(ROOT, `test/integration/.shard-transport-${process.pid}.ts`);
    await Bun.write(file, WORKER);
    const shared = allocShared(2, 4096);
    const frames = 2000;
    const ws = [0, 1].map((me) => {
      const w = new Worker(file);
      w.postMessage({ shared, me, frames, seed: 42 + me });
      return w;
    });
    try {
      const results = await Promise.all(
        ws.map(
          (w) =>
            new Promise<{ got: number; bad: number; deferred: number }>((res, rej) => {
              const timer = setTimeout(() => rej(new Error("transport test timed out")), 30000);
              w.onmessage = (e: MessageEvent) => {
                clearTimeout(timer);
                res(e.data);
              };
            }),
        ),
      );
      for (const r of results) {
        expect(r.got).toBe(frames);
        expect(r.bad).toBe(0);
        expect(r.deferred).toBeGreaterThan(0);
      }
    } finally {
      for (const w of ws) w.terminate();
      await Bun.file(file).delete();
    }
  });
});

describe("shards: process", () => {
  test("SHUTDOWN and SIGTERM stop every shard and the process", async () => {
    for (const how of ["shutdown", "sigterm"] as const) {
      const a = await startAikv({ args: ["--shards", "2"] });
      try {
        const c = await RespConn.connect(a.port);
        expect(await c.call("SET", "k", "v")).toBe("+OK\r\n");
        expect(await c.call("SHUTDOWN", "SAVE")).toStartWith("-ERR SHUTDOWN SAVE is not available with shards > 1");
        expect(await c.call("SHUTDOWN", "ABORT")).toBe("-ERR No shutdown in progress.\r\n");
        if (how === "shutdown") c.send("SHUTDOWN", "NOSAVE");
        else a.proc.kill("SIGTERM");
        expect(await a.proc.exited).toBe(0);
        c.close();
      } finally {
        await a.stop();
      }
    }
  });
});
