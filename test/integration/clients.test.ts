// Real client libraries against AiKv: ioredis (RESP2, pipelines, transactions, pub/sub, Lua,
// scan streams, binary values) and Bun's built-in RedisClient (RESP3).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import Redis from "ioredis";
import { startAikv, type Running } from "../helpers/servers.ts";

let srv: Running;
let redis: Redis;
beforeAll(async () => {
  srv = await startAikv();
  redis = new Redis({ port: srv.port, host: "127.0.0.1", lazyConnect: false });
});
afterAll(async () => {
  redis.disconnect();
  await srv.stop();
});

describe("ioredis", () => {
  test("strings, hashes, lists, sets, sorted sets", async () => {
    await redis.flushall();
    expect(await redis.set("a", "1")).toBe("OK");
    expect(await redis.incrby("a", 41)).toBe(42);
    expect(await redis.get("a")).toBe("42");
    await redis.hset("h", { f1: "v1", f2: "v2" });
    expect(await redis.hgetall("h")).toEqual({ f1: "v1", f2: "v2" });
    await redis.rpush("l", "x", "y", "z");
    expect(await redis.lrange("l", 0, -1)).toEqual(["x", "y", "z"]);
    await redis.sadd("s", "m1", "m2");
    expect((await redis.smembers("s")).sort()).toEqual(["m1", "m2"]);
    await redis.zadd("z", 2, "b", 1, "a");
    expect(await redis.zrange("z", 0, -1, "WITHSCORES")).toEqual(["a", "1", "b", "2"]);
    expect(await redis.type("z")).toBe("zset");
  });

  test("pipelines and MULTI/EXEC", async () => {
    const p = redis.pipeline();
    for (let i = 0; i < 1000; i++) p.set(`p:${i}`, String(i));
    p.get("p:999");
    const res = await p.exec();
    expect(res!.length).toBe(1001);
    expect(res![1000]).toEqual([null, "999"]);
    const tx = await redis.multi().incr("c").incr("c").get("c").exec();
    expect(tx).toEqual([[null, 1], [null, 2], [null, "2"]]);
  });

  test("Lua through EVAL and defineCommand", async () => {
    redis.defineCommand("addtwo", { numberOfKeys: 1, lua: "return redis.call('incrby', KEYS[1], 2)" });
    const r = await (redis as unknown as { addtwo(k: string): Promise<number> }).addtwo("lua:k");
    expect(r).toBe(2);
    expect(await redis.eval("return {1, 'two', 3.9}", 0)).toEqual([1, "two", 3]);
  });

  test("pub/sub", async () => {
    const sub = new Redis({ port: srv.port, host: "127.0.0.1" });
    const got = new Promise<[string, string]>((res) => sub.on("message", (ch, msg) => res([ch, msg])));
    await sub.subscribe("news");
    expect(await redis.publish("news", "hello")).toBe(1);
    expect(await got).toEqual(["news", "hello"]);
    sub.disconnect();
  });

  test("scanStream visits every key", async () => {
    await redis.flushall();
    const p = redis.pipeline();
    for (let i = 0; i < 500; i++) p.set(`scan:${i}`, "v");
    await p.exec();
    const seen = new Set<string>();
    await new Promise<void>((res, rej) => {
      const s = redis.scanStream({ match: "scan:*", count: 50 });
      s.on("data", (keys: string[]) => keys.forEach((k) => seen.add(k)));
      s.on("end", () => res());
      s.on("error", rej);
    });
    expect(seen.size).toBe(500);
  });

  test("binary values round-trip", async () => {
    const bin = Buffer.from([0, 255, 13, 10, 128, 7]);
    await redis.set(Buffer.from([1, 2, 0]), bin);
    expect(Buffer.compare((await redis.getBuffer(Buffer.from([1, 2, 0])))!, bin)).toBe(0);
  });
});

describe("Bun RedisClient (RESP3)", () => {
  test("basic commands", async () => {
    const c = new RedisClient(`redis://127.0.0.1:${srv.port}`);
    await c.connect();
    await c.set("bun:k", "v");
    expect(await c.get("bun:k")).toBe("v");
    expect(await c.incr("bun:n")).toBe(1);
    expect(await c.exists("bun:k")).toBe(true);
    await c.send("HSET", ["bun:h", "a", "1", "b", "2"]);
    expect(await c.send("HGETALL", ["bun:h"])).toEqual({ a: "1", b: "2" });
    expect(await c.send("ZADD", ["bun:z", "1.5", "m"])).toBe(1);
    expect(await c.send("ZSCORE", ["bun:z", "m"])).toBe(1.5);
    c.close();
  });
});
