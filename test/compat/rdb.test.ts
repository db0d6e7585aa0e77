// DUMP / RESTORE against redis-server 7.0: payloads byte for byte where Redis's output is a
// function of the value, cross restores (Redis's payloads into AiKv and AiKv's into Redis) for
// every type and encoding, RESTORE's options and errors, and randomized values.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Differ } from "../helpers/diff.ts";
import { items, type RespConn } from "../helpers/resp.ts";

let d: Differ;
let A: RespConn; // AiKv
let R: RespConn; // redis-server

beforeAll(async () => {
  d = await Differ.start();
  [A, R] = await d.pair(2);
});
afterAll(async () => {
  A.close();
  R.close();
  await d.stop();
});

type Cmd = (string | Uint8Array)[];

/** Payload bytes of a bulk reply ("$N\r\n...\r\n"), or null for a nil reply. */
function bulk(reply: string): Buffer | null {
  if (reply.startsWith("$-1")) return null;
  if (!reply.startsWith("$")) throw new Error(`not a bulk reply: ${JSON.stringify(reply.slice(0, 200))}`);
  const nl = reply.indexOf("\r\n");
  const n = parseInt(reply.slice(1, nl), 10);
  return Buffer.from(reply.slice(nl + 2, nl + 2 + n), "latin1");
}

async function on(c: RespConn, cmds: Cmd[]): Promise<void> {
  for (const cmd of cmds) {
    const r = await c.call(...cmd);
    if (r.startsWith("-")) throw new Error(`${cmd.join(" ")} -> ${r}`);
  }
}

async function bothRun(cmds: Cmd[]): Promise<void> {
  await Promise.all([on(A, cmds), on(R, cmds)]);
}

/** A canonical description of a key's value (order-free for hashtable hashes and sets). */
async function describeKey(c: RespConn, key: string): Promise<string> {
  const type = (await c.call("TYPE", key)).trim();
  const enc = items(await c.call("OBJECT", "ENCODING", key))[0] ?? "";
  let body: string[];
  switch (type) {
    case "+string":
      body = items(await c.call("GET", key));
      break;
    case "+list":
      body = items(await c.call("LRANGE", key, "0", "-1"));
      break;
    case "+hash": {
      const kv = items(await c.call("HGETALL", key));
      if (enc === "hashtable") {
        const pairs: string[] = [];
        for (let k = 0; k < kv.length; k += 2) pairs.push(`${kv[k]}\u0000${kv[k + 1]}`);
        body = pairs.sort();
      } else body = kv;
      break;
    }
    case "+set":
      body = items(await c.call("SMEMBERS", key));
      if (enc === "hashtable") body.sort();
      break;
    case "+zset":
      body = items(await c.call("ZRANGE", key, "0", "-1", "WITHSCORES"));
      break;
    default:
      body = [];
  }
  const ttl = items(await c.call("PTTL", key))[0]!;
  return JSON.stringify({ type, enc, ttl: Number(ttl.replace(":", "")) > 0 ? "ttl" : ttl, body });
}

/** Builds key "k" with cmds on both servers, compares DUMP bytes and both cross restores. */
async function check(name: string, cmds: Cmd[], o: { identical?: boolean } = {}): Promise<void> {
  await bothRun([["FLUSHALL"], ...cmds]);
  const pa = bulk(await A.call("DUMP", "k"))!;
  const pr = bulk(await R.call("DUMP", "k"))!;
  expect(pa).not.toBeNull();
  expect(pr).not.toBeNull();
  if (o.identical ?? true) {
    if (!pa.equals(pr)) {
      expect({ name, aikv: pa.toString("hex") }).toEqual({ name, aikv: pr.toString("hex") });
    }
  }
  expect({ name, v: await describeKey(A, "k") }).toEqual({ name, v: await describeKey(R, "k") });
  // Both payloads restored on both servers: each server must see the same value (and pick the
  // same encoding for it) whichever server wrote the payload.
  for (const [key, p] of [["fromredis", pr], ["fromaikv", pa]] as const) {
    expect(await A.call("RESTORE", key, "0", p)).toBe("+OK\r\n");
    expect(await R.call("RESTORE", key, "0", p)).toBe("+OK\r\n");
    const ra = await describeKey(A, key);
    const rr = await describeKey(R, key);
    expect({ name, key, v: ra }).toEqual({ name, key, v: rr });
  }
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randText(r: () => number, n: number, alphabet = "abcdefghij"): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function binary(r: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

describe("strings", () => {
  const values = [
    "", "a", "hello", "0", "-0", "1", "-1", "127", "128", "-128", "-129", "255", "32767", "32768",
    "-32768", "-32769", "2147483647", "2147483648", "-2147483648", "-2147483649", "12345678901",
    "123456789012", "9223372036854775807", "-9223372036854775808", "9223372036854775808", "007",
    " 1", "+1", "1.5", "1e3", "0x10", "aaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa", "abcabcabcabcabcabcabcabc",
    "x".repeat(100), "hello world ".repeat(50), "0123456789".repeat(1000),
  ];
  test("short, integer-like and compressible values", async () => {
    for (const v of values) await check(`string ${JSON.stringify(v.slice(0, 30))}`, [["SET", "k", v]]);
  });

  test("binary and incompressible values, LZF edge sizes", async () => {
    const r = rng(7);
    for (const n of [19, 20, 21, 22, 24, 25, 26, 30, 33, 64, 200, 1000, 5000, 70000]) {
      await check(`binary ${n}`, [["SET", "k", binary(r, n)]]);
      // half repetitive, half random: compression succeeds or fails near the 4-byte rule
      const half = Buffer.concat([Buffer.alloc(Math.floor(n / 2), 97), binary(r, n - Math.floor(n / 2))]);
      await check(`mixed ${n}`, [["SET", "k", half]]);
      await check(`text ${n}`, [["SET", "k", randText(r, n, "ab")]]);
    }
  });

  test("edited strings (raw encoding), INCRBYFLOAT results, TTLs", async () => {
    await check("append", [["SET", "k", "abc"], ["APPEND", "k", "defghijklmnopqrstuvwxyz0123"]]);
    await check("setrange", [["SETRANGE", "k", "30", "x"]]);
    await check("setbit", [["SETBIT", "k", "1000", "1"]]);
    await check("incr", [["SET", "k", "41"], ["INCR", "k"]]);
    await check("incrbyfloat", [["SET", "k", "1.5"], ["INCRBYFLOAT", "k", "2.25"]]);
    await check("with ttl", [["SET", "k", "v", "PX", "100000"]]);
  });

  test("HyperLogLog strings (sparse and dense)", async () => {
    await check("hll sparse", [["PFADD", "k", "a", "b", "c"]]);
    const many: string[] = [];
    for (let i = 0; i < 3000; i++) many.push(`e${i}`);
    await check("hll dense", [["PFADD", "k", ...many]]);
  });
});

describe("lists", () => {
  test("small lists with every listpack integer width and string length class", async () => {
    const elems = [
      "a", "0", "127", "128", "-1", "4095", "4096", "-4096", "-4097", "32767", "32768", "-32769", "8388607",
      "8388608", "-8388609", "2147483647", "2147483648", "9223372036854775807", "-9223372036854775808",
      "9223372036854775808", "01", "-0", "x".repeat(63), "y".repeat(64), "z".repeat(4095), "w".repeat(4096),
    ];
    await check("list widths", [["RPUSH", "k", ...elems]]);
    await check("list lpush", [["LPUSH", "k", "a", "b", "c"]]);
    await check("list single", [["RPUSH", "k", "only"]]);
  });

  test("quicklist node splits (list-max-listpack-size)", async () => {
    const r = rng(11);
    for (const fill of ["-2", "-1", "-3", "-5", "5", "128"]) {
      await bothRun([["CONFIG", "SET", "list-max-listpack-size", fill]]);
      for (const [count, len] of [[1000, 3], [300, 60], [200, 100], [30, 600], [12, 3000], [3, 9000]] as const) {
        const elems: string[] = [];
        for (let i = 0; i < count; i++) elems.push(i % 7 === 0 ? String(i * 1000) : randText(r, len));
        await check(`list fill ${fill} ${count}x${len}`, [["RPUSH", "k", ...elems]]);
      }
    }
    await bothRun([["CONFIG", "SET", "list-max-listpack-size", "-2"]]);
  });

  test("compressed quicklists (list-compress-depth)", async () => {
    const r = rng(12);
    for (const depth of ["1", "2"]) {
      await bothRun([["CONFIG", "SET", "list-compress-depth", depth]]);
      const elems: string[] = [];
      for (let i = 0; i < 2000; i++) elems.push(randText(r, 20, "abc"));
      await check(`list depth ${depth}`, [["RPUSH", "k", ...elems]]);
    }
    await bothRun([["CONFIG", "SET", "list-compress-depth", "0"]]);
  });
});

describe("hashes", () => {
  test("listpack hashes keep Redis's field order", async () => {
    await check("hash small", [["HSET", "k", "f1", "v1", "f2", "2", "f3", "-300000"]]);
    await check("hash overwrite and delete", [
      ["HSET", "k", "a", "1", "b", "2", "c", "3", "d", "4"], ["HSET", "k", "b", "22"], ["HDEL", "k", "a"], ["HSET", "k", "a", "x"],
    ]);
    await check("hash long values", [["HSET", "k", "f", "v".repeat(64), "g".repeat(64), "1"]]);
    const r = rng(3);
    const args: string[] = [];
    for (let i = 0; i < 128; i++) args.push(`field:${i}`, randText(r, 1 + (i % 40)));
    await check("hash 128 fields", [["HSET", "k", ...args]]);
  });

  test("hashtable hashes round-trip both ways", async () => {
    const args: string[] = [];
    for (let i = 0; i < 600; i++) args.push(`f${i}`, `value ${i}`);
    await check("hash big", [["HSET", "k", ...args]], { identical: false });
    await check("hash long value", [["HSET", "k", "f", "v".repeat(65)]], { identical: false });
  });
});

describe("sets", () => {
  test("intsets of every width", async () => {
    await check("intset16", [["SADD", "k", "1", "2", "3", "-32768", "32767"]]);
    await check("intset32", [["SADD", "k", "1", "70000", "-2147483648"]]);
    await check("intset64", [["SADD", "k", "1", "9223372036854775807", "-9223372036854775808"]]);
    const many: string[] = [];
    for (let i = 0; i < 512; i++) many.push(String(i * 37 - 5000));
    await check("intset 512", [["SADD", "k", ...many]]);
  });

  test("hashtable sets round-trip both ways", async () => {
    await check("set strings", [["SADD", "k", "a", "b", "c", "1"]], { identical: false });
    const many: string[] = [];
    for (let i = 0; i < 513; i++) many.push(String(i));
    await check("set 513 ints", [["SADD", "k", ...many]], { identical: false });
  });
});

describe("sorted sets", () => {
  test("listpack sorted sets: score text as Redis writes it", async () => {
    const scores = ["0", "-0", "1", "-1", "1.5", "0.1", "-2.75", "1e20", "1e-5", "123456789", "4611686018427387904", "inf", "-inf", "3.14159265358979", "100000000000000000000"];
    const args: string[] = [];
    scores.forEach((s, i) => args.push(s, `m${i}`));
    await check("zset scores", [["ZADD", "k", ...args]]);
    await check("zset int members", [["ZADD", "k", "1", "100", "2", "-5", "3", "x"]]);
    await check("zset incr", [["ZADD", "k", "1", "a"], ["ZINCRBY", "k", "0.1", "a"], ["ZINCRBY", "k", "0.2", "a"]]);
  });

  test("skiplist sorted sets: binary doubles, highest first", async () => {
    const args: string[] = [];
    for (let i = 0; i < 200; i++) args.push(String((i * 7919) % 1000 / 7), `member:${i}`);
    await check("zset skiplist", [["ZADD", "k", ...args]]);
    await check("zset long member", [["ZADD", "k", "1", "m".repeat(65), "-0", "z", "inf", "w"]]);
  });
});

describe("expiry, idle time and frequency", () => {
  test("RESTORE with TTL, ABSTTL, IDLETIME and FREQ", async () => {
    await bothRun([["FLUSHALL"], ["SET", "src", "value"]]);
    const p = bulk(await R.call("DUMP", "src"))!;
    await d.same(
      [
        ["RESTORE", "k1", "100000", p],
        ["RESTORE", "k2", "0", p, "IDLETIME", "1000"],
        ["RESTORE", "k3", String(Date.now() + 100000), p, "ABSTTL"],
        ["RESTORE", "k4", "1", p, "ABSTTL"],
        ["EXISTS", "k4"],
        ["RESTORE", "k1", "0", p],
        ["RESTORE", "k1", "0", p, "REPLACE"],
        ["PTTL", "k1"],
        ["SET", "k5", "x"],
        ["RESTORE", "k5", "1", p, "ABSTTL", "REPLACE"],
        ["EXISTS", "k5"],
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["RESTORE", "k6", "0", p, "FREQ", "100"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
      ],
      { normalize: (r) => r.replace(/^:(9\d{4}|10000\d)\r\n$/, ":TTL\r\n") },
    );
  });

  test("errors and their order", async () => {
    await bothRun([["FLUSHALL"], ["SET", "src", "value"]]);
    const good = bulk(await R.call("DUMP", "src"))!;
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 1]! ^= 1;
    const newer = Buffer.from(good);
    newer[newer.length - 10] = 11;
    const cmds: Cmd[] = [
      ["SET", "busy", "1"],
      ["RESTORE", "busy", "0", good],
      ["RESTORE", "busy", "abc", "junk"],
      ["RESTORE", "x", "abc", good],
      ["RESTORE", "x", "-1", good],
      ["RESTORE", "x", "0", "junk"],
      ["RESTORE", "x", "0", "0123456789"],
      ["RESTORE", "x", "0", badCrc],
      ["RESTORE", "x", "0", newer],
      ["RESTORE", "x", "0", good, "IDLETIME"],
      ["RESTORE", "x", "0", good, "IDLETIME", "x"],
      ["RESTORE", "x", "0", good, "IDLETIME", "-1"],
      ["RESTORE", "x", "0", good, "FREQ", "256"],
      ["RESTORE", "x", "0", good, "FREQ", "-1"],
      ["RESTORE", "x", "0", good, "FREQ", "1", "IDLETIME", "1"],
      ["RESTORE", "x", "0", good, "IDLETIME", "1", "FREQ", "1"],
      ["RESTORE", "x", "0", good, "REPLACE", "FOO"],
      ["RESTORE", "x", "0", good, "REPLACE", "ABSTTL", "REPLACE"],
      ["RESTORE", "x", "9223372036854775808", good],
      ["DUMP", "nokey"],
      ["DUMP"],
      ["RESTORE", "x", "0"],
    ];
    await d.same(cmds);
  });

  test("malformed bodies with a valid trailer are 'Bad data format'", async () => {
    // A payload with a correct CRC but a broken body: AiKv validates deeply (Redis may accept
    // some of these when sanitize-dump-payload is off, so only AiKv's replies are checked).
    const { Crc64 } = await import("../../src/rdb/crc64.ts");
    const seal = (body: number[]) => {
      const b = Buffer.from([...body, 10, 0]);
      const c = new Crc64().update(b);
      const t = Buffer.alloc(8);
      c.writeLE(t, 0);
      return Buffer.concat([b, t]);
    };
    const bodies = [
      [0], // string without its length
      [0, 5, 97], // truncated string
      [0, 1, 97, 98], // trailing byte
      [99, 0], // unknown type
      [1, 0], // empty list
      [2, 2, 1, 97], // set truncated
      [11, 4, 1, 2, 3, 4], // intset with bad size
      [16, 7, 7, 0, 0, 0, 0, 0, 0xff], // empty listpack hash
      [0, 0xc3, 1, 5, 0], // bad LZF
      [18, 1, 2, 3, 0xff, 0xff, 0xff], // quicklist node garbage
    ];
    for (const body of bodies) expect(await A.call("RESTORE", "bad", "0", seal(body))).toBe("-ERR Bad data format\r\n");
    expect(await A.call("EXISTS", "bad")).toBe(":0\r\n");
  });
});

describe("other values", () => {
  test("JSON documents use RedisJSON's module type and round-trip", async () => {
    await A.call("FLUSHALL");
    await on(A, [["JSON.SET", "j", "$", Buffer.from('{"a":[1,2.5,"x",null,true],"b":{"c":"\u00e9"}}', "utf8")]]);
    const p = bulk(await A.call("DUMP", "j"))!;
    expect(p[0]).toBe(7); // RDB_TYPE_MODULE_2
    expect(p.subarray(1, 10).toString("hex")).toBe("8145e25238df912c03"); // 64-bit id of "ReJSON-RL" v3
    expect(await A.call("RESTORE", "j2", "0", p)).toBe("+OK\r\n");
    expect(await A.call("JSON.GET", "j2")).toBe(await A.call("JSON.GET", "j"));
    // redis-server without RedisJSON rejects it, as for any unknown module type
    expect(await R.call("RESTORE", "j", "0", p)).toBe("-ERR Bad data format\r\n");
  });

  test("DUMP of a missing key, RESTORE of every type via DUMP in AiKv itself", async () => {
    await A.call("FLUSHALL");
    expect(await A.call("DUMP", "missing")).toBe("$-1\r\n");
  });
});

describe("randomized values", () => {
  test("random values of every type: identical payloads or equal cross restores", async () => {
    const r = rng(2024);
    const elem = (): string => {
      const k = r();
      if (k < 0.3) return String(Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 62))));
      if (k < 0.6) return randText(r, 1 + Math.floor(r() * 30));
      if (k < 0.8) return randText(r, Math.floor(r() * 200), "ab");
      return binary(r, Math.floor(r() * 80)).toString("latin1");
    };
    for (let round = 0; round < 60; round++) {
      const kind = round % 5;
      const n = 1 + Math.floor(r() * (r() < 0.2 ? 700 : 40));
      const cmds: Cmd[] = [];
      let identical = true;
      if (kind === 0) cmds.push(["SET", "k", elem()]);
      else if (kind === 1) {
        const a: string[] = [];
        for (let i = 0; i < n; i++) a.push(elem());
        cmds.push(["RPUSH", "k", ...a]);
      } else if (kind === 2) {
        const a: string[] = [];
        for (let i = 0; i < n; i++) a.push(`f${i}`, elem());
        cmds.push(["HSET", "k", ...a]);
        if (n > 128 || a.some((x) => x.length > 64)) identical = false;
      } else if (kind === 3) {
        const ints = r() < 0.5;
        const a: string[] = [];
        for (let i = 0; i < n; i++) a.push(ints ? String(Math.floor((r() - 0.5) * 2 ** 40)) : elem());
        cmds.push(["SADD", "k", ...a]);
        identical = ints && n <= 512;
      } else {
        const a: string[] = [];
        for (let i = 0; i < n; i++) a.push(r() < 0.5 ? String(Math.floor(r() * 1000)) : String((r() - 0.5) * 1e6), elem());
        cmds.push(["ZADD", "k", ...a]);
      }
      await check(`random round ${round}`, cmds, { identical });
    }
  });
});

describe("propagation", () => {
  test("RESTORE with a relative TTL propagates the absolute time with ABSTTL; an expired one with REPLACE as DEL", async () => {
    const { Server } = await import("../../src/server/context.ts");
    const { processCommand } = await import("../../src/server/dispatch.ts");
    const { Argv } = await import("../../src/resp/argv.ts");
    const srv = new Server();
    srv.init();
    const seen: string[][] = [];
    srv.hooks.propagate.push((_db, args) => seen.push(args.map((x) => (typeof x === "string" ? x : Buffer.from(x).toString("latin1")))));
    const c = srv.newClient();
    const call = (...args: Cmd) => {
      processCommand(c, Argv.of(args));
      const out = Buffer.from(c.out.b.subarray(0, c.out.n)).toString("latin1");
      c.out.n = 0;
      return out;
    };
    call("SET", "src", "value");
    const p = bulk(call("DUMP", "src"))!;
    seen.length = 0;
    const before = Date.now();
    expect(call("RESTORE", "k", "100000", p, "REPLACE")).toBe("+OK\r\n");
    expect(seen.length).toBe(1);
    const [name, key, when, payload, opt, abs] = seen[0]!;
    expect([name, key, payload, opt, abs]).toEqual(["RESTORE", "k", p.toString("latin1"), "REPLACE", "ABSTTL"]);
    expect(Number(when)).toBeGreaterThan(before + 90000);
    expect(Number(when)).toBeLessThan(before + 110000);
    seen.length = 0;
    expect(call("RESTORE", "k2", "0", p, "ABSTTL")).toBe("+OK\r\n");
    expect(seen).toEqual([["RESTORE", "k2", "0", p.toString("latin1"), "ABSTTL"]]);
    seen.length = 0;
    expect(call("RESTORE", "k2", "1", p, "ABSTTL", "REPLACE")).toBe("+OK\r\n");
    expect(seen).toEqual([["DEL", "k2"]]);
    seen.length = 0;
    expect(call("RESTORE", "k3", "1", p, "ABSTTL")).toBe("+OK\r\n");
    expect(seen).toEqual([]);
  });
});

describe("FUNCTION DUMP", () => {
  test("library payloads are byte-identical (LZF-compressed code)", async () => {
    const code = "#!lua name=rdblib\nredis.register_function('rdbf', function() return 'hello hello hello hello' end)";
    await bothRun([["FUNCTION", "FLUSH"], ["FUNCTION", "LOAD", code]]);
    const pa = bulk(await A.call("FUNCTION", "DUMP"))!;
    const pr = bulk(await R.call("FUNCTION", "DUMP"))!;
    expect(pa.toString("hex")).toBe(pr.toString("hex"));
    await bothRun([["FUNCTION", "FLUSH"]]);
  });
});
