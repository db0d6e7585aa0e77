// Hash commands compared byte for byte with redis-server (RESP2 and RESP3). Small hashes
// (listpack in Redis) answer in insertion order, so they are compared exactly; replies of
// hashtable-encoded hashes are compared as unordered collections; HRANDFIELD (random by
// nature) is checked for its properties and exact shapes.
import { describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { sameHitsAndMisses, sameEvents, dumpRestoresOnBoth } from "../helpers/keyspace.ts";
import { parse, sortTop } from "../helpers/unordered.ts";

const d = useDiffer();

/** Normalizer for replies whose order depends on hashtable internals. */
function unorderedHash(reply: string, cmd: Cmd): string {
  const name = String(cmd[0]).toUpperCase();
  if (name === "HGETALL") return sortTop(reply, 2);
  if (name === "HKEYS" || name === "HVALS") return sortTop(reply);
  return reply;
}

describe("keyspace events", () => {
  test("event names and del on emptying", async () => {
    const events = await sameEvents(d, "KEA", [
      ["HSET", "h", "a", "1", "b", "2"], ["HSET", "h", "a", "1"], ["HSETNX", "h", "a", "2"], ["HSETNX", "h", "c", "3"], ["HINCRBY", "h", "a", "1"],
      ["HINCRBYFLOAT", "h", "a", "1.5"], ["HDEL", "h", "b", "zz"], ["HDEL", "h", "zz"], ["HDEL", "h", "a", "c"], ["HMSET", "g", "x", "1"],
      ["HINCRBY", "g", "x", "x"], ["HINCRBYFLOAT", "n", "f", "2"], ["HRANDFIELD", "g", "-5"], ["HGETALL", "g"],
    ]);
    expect(events.length).toBeGreaterThan(0);
  });
});

describe("basic commands", () => {
  test("HSET HMSET HSETNX HGET HMGET HDEL HEXISTS HLEN HSTRLEN", async () => {
    await d.same(`
      HSET h a 1 b 2 c 3
      HSET h a 10 d 4
      HMSET h e 5 f 6
      HSETNX h a x
      HSETNX h g 7
      HSETNX newh f v
      HGET h a
      HGET h zz
      HGET nokey a
      HMGET h a zz b
      HMGET nokey a b
      HEXISTS h a
      HEXISTS h zz
      HEXISTS nokey a
      HLEN h
      HLEN nokey
      HSTRLEN h a
      HSTRLEN h zz
      HSTRLEN nokey a
      HGETALL h
      HKEYS h
      HVALS h
      HDEL h a zz b
      HDEL h zz
      HDEL nokey a
      HGETALL h
      HDEL h c d e f g
      EXISTS h
      HSET h a
      HSET h a 1 b
      HMSET h a
      HMSET h a 1 b
      HSET h "" ""
      HGET h ""
      HSET bin "a\\x00b" "\\r\\n\\xff"
      HGETALL bin
      HGETALL nokey
      HKEYS nokey
      HVALS nokey
      TYPE h
      OBJECT ENCODING h
    `);
  });

  test("WRONGTYPE", async () => {
    const cmds = [
      "HSET s a b", "HMSET s a b", "HSETNX s a b", "HGET s a", "HMGET s a", "HDEL s a", "HEXISTS s a", "HLEN s",
      "HSTRLEN s a", "HKEYS s", "HVALS s", "HGETALL s", "HINCRBY s a 1", "HINCRBYFLOAT s a 1", "HRANDFIELD s",
      "HRANDFIELD s 2", "HRANDFIELD s -2 WITHVALUES", "HSCAN s 0", "HSCAN s 0 COUNT 0",
    ];
    await d.same(["SET s x", ...cmds, "GET s"].join("\n"));
  });

  test("HINCRBY", async () => {
    await d.same(`
      HINCRBY h a 1
      HINCRBY h a -10
      HINCRBY h a 0
      HINCRBY h a x
      HINCRBY h a 1.5
      HINCRBY h a ""
      HSET h s str f 1.5 sp " 1" z 007
      HINCRBY h s 1
      HINCRBY h f 1
      HINCRBY h sp 1
      HINCRBY h z 1
      HSET h big 9223372036854775806
      HINCRBY h big 1
      HINCRBY h big 1
      HINCRBY h big -9223372036854775807
      HSET h small -9223372036854775807
      HINCRBY h small -1
      HINCRBY h small -1
      HINCRBY h new 9223372036854775807
      HINCRBY h new2 -9223372036854775808
      HINCRBY h new3 9223372036854775808
      HINCRBY h a 4503599627370496
      HINCRBY h a 4503599627370496
      HINCRBY h a 4503599627370496
      HGETALL h
      HINCRBY nokey2 f 5
      HGETALL nokey2
    `);
  });

  test("HINCRBYFLOAT", async () => {
    await d.same(
      `
      HINCRBYFLOAT h a 1.5
      HINCRBYFLOAT h a 0.1
      HINCRBYFLOAT h a -0.2
      HINCRBYFLOAT h a 1e3
      HINCRBYFLOAT h a 5.0e-3
      HINCRBYFLOAT h a x
      HINCRBYFLOAT h a inf
      HINCRBYFLOAT h a -inf
      HINCRBYFLOAT h a nan
      HINCRBYFLOAT h a ""
      HINCRBYFLOAT h a " 1"
      HINCRBYFLOAT h a 0x10
      HSET h s str i 10 e 1e10 inf inf
      HINCRBYFLOAT h s 1
      HINCRBYFLOAT h i 0.5
      HINCRBYFLOAT h e 1
      HINCRBYFLOAT h inf 1
      HINCRBYFLOAT h g 1e308
      HINCRBYFLOAT h g 1e308
      HINCRBYFLOAT h g 1e4000
      HINCRBYFLOAT h g 1e4932
      HINCRBYFLOAT h n 0.1
      HINCRBYFLOAT h n 0.2
      HINCRBYFLOAT h m 3
      HINCRBYFLOAT h m -3
      HGETALL h
      OBJECT ENCODING h
      HINCRBYFLOAT nokey3 f -1.25
      HGETALL nokey3
    `,
      { normalize: unorderedHash },
    );
  });
});

describe("encodings", () => {
  test("listpack -> hashtable by entries and by value length, one way", async () => {
    await d.same(
      `
      CONFIG SET hash-max-listpack-entries 4
      CONFIG SET hash-max-listpack-value 8
      HSET h a 1 b 2 c 3 d 4
      OBJECT ENCODING h
      HSET h e 5
      OBJECT ENCODING h
      HDEL h a b c d e
      HSET h a 1
      OBJECT ENCODING h
      HSET v f 12345678
      OBJECT ENCODING v
      HSET v f 123456789
      OBJECT ENCODING v
      HSET k 123456789 x
      OBJECT ENCODING k
      HSETNX n f 123456789
      OBJECT ENCODING n
      HSETNX n2 123456789 x
      OBJECT ENCODING n2
      HSET big x 1
      HSET big y 123456789
      HGET big y
      HSET i f 9999999
      HINCRBY i f 1000000000
      OBJECT ENCODING i
      HINCRBYFLOAT fl f 1.5
      HINCRBYFLOAT fl f 0.00001
      OBJECT ENCODING fl
      HINCRBYFLOAT fl f 1000
      OBJECT ENCODING fl
      HSETNX sn f 1
      HSETNX sn f 123456789
      OBJECT ENCODING sn
      HMSET m a 1 b 2 c 3 d 4 e 5
      OBJECT ENCODING m
      HSET c a 1
      COPY c c2
      HSET c a 123456789
      OBJECT ENCODING c
      OBJECT ENCODING c2
      CONFIG SET hash-max-listpack-entries 0
      HSET z a 1
      OBJECT ENCODING z
      CONFIG SET hash-max-listpack-entries 512
      CONFIG SET hash-max-listpack-value 64
      HGETALL m
      HGETALL big
    `,
      { normalize: unorderedHash },
    );
  });

  test("big hashes compared as unordered collections", async () => {
    const fields: string[] = [];
    for (let i = 0; i < 600; i++) fields.push(`f${i}`, `v${i}`);
    await d.same(
      [
        ["HSET", "h", ...fields],
        ["OBJECT", "ENCODING", "h"],
        ["HLEN", "h"],
        ["HGETALL", "h"],
        ["HKEYS", "h"],
        ["HVALS", "h"],
        ["HDEL", "h", "f1", "f2", "f3"],
        ["HMGET", "h", "f0", "f1", "f599"],
        ["HGETALL", "h"],
      ],
      { normalize: unorderedHash },
    );
  });
});

describe("hashes past a thousand fields (kept in a key table)", () => {
  test("overwrites, growth, deletes and big values keep every field right", async () => {
    const fields: string[] = [];
    for (let i = 0; i < 3000; i++) fields.push(`f${i}`, `v${i}`);
    const grow: string[] = [];
    for (let i = 0; i < 3000; i += 3) grow.push(`f${i}`, `longer-value-${i}-${"x".repeat(i % 50)}`);
    const del: string[] = [];
    for (let i = 1; i < 3000; i += 2) del.push(`f${i}`);
    await d.same(
      [
        ["HSET", "h", ...fields],
        ["HSET", "h", ...grow],
        ["HDEL", "h", ...del],
        ["HLEN", "h"],
        ["HINCRBY", "h", "f0", "5"],
        ["HINCRBY", "h", "n", "7"],
        ["HSET", "h", "big", "y".repeat(70000)],
        ["HSTRLEN", "h", "big"],
        ["HSTRLEN", "h", "f3"],
        ["HSTRLEN", "h", "f4"],
        ["HMGET", "h", "f0", "f1", "f2", "f3", "f2999", "f2998", "n"],
        ["HEXISTS", "h", "f5"],
        ["HSETNX", "h", "f6", "no"],
        ["HGET", "h", "f6"],
        ["HDEL", "h", "big"],
        ["HGETALL", "h"],
        ["HKEYS", "h"],
        ["HVALS", "h"],
        ["COPY", "h", "h2"],
        ["HDEL", "h2", "f0"],
        ["HLEN", "h"],
        ["HLEN", "h2"],
        ["DEBUG", "DIGEST-VALUE", "h"],
        ["OBJECT", "ENCODING", "h"],
      ],
      { normalize: unorderedHash },
    );
    await dumpRestoresOnBoth(d, "h");
  });
});

describe("HRANDFIELD", () => {
  test("errors and deterministic shapes", async () => {
    await d.same(`
      HSET h z 1 a 2 m 3
      HRANDFIELD h 3
      HRANDFIELD h 10
      HRANDFIELD h 3 WITHVALUES
      HRANDFIELD h 100 withvalues
      HRANDFIELD h 0
      HRANDFIELD h 0 WITHVALUES
      HRANDFIELD nokey
      HRANDFIELD nokey 5
      HRANDFIELD nokey -5 WITHVALUES
      HRANDFIELD h abc
      HRANDFIELD h 1.5
      HRANDFIELD h 1 WITHVALUE
      HRANDFIELD h 1 WITHVALUES x
      HRANDFIELD h -9223372036854775808
      HRANDFIELD h 9223372036854775808
      HRANDFIELD h 4611686018427387904 WITHVALUES
      HRANDFIELD h -4611686018427387904 WITHVALUES
      HRANDFIELD h abc WITHVALUE
      HRANDFIELD nokey 4611686018427387904 WITHVALUES
    `);
  });

  test("properties: membership, uniqueness, counts, both protocols", async () => {
    for (const proto of [2, 3] as const) {
      const c = await RespConn.connect(d.aikv.port);
      if (proto === 3) await c.call("HELLO", "3");
      await c.call("FLUSHALL");
      const small = Array.from({ length: 10 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      const big = Array.from({ length: 1000 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      await c.call("HSET", "s", ...small);
      await c.call("HSET", "b", ...big);
      const bulks = (r: string) => [...r.matchAll(/\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]!);
      for (const key of ["s", "b"]) {
        const size = key === "s" ? 10 : 1000;
        for (const n of [1, 2, 5, 9, 10, 11, 300, 999]) {
          const r = await c.call("HRANDFIELD", key, String(n));
          const got = bulks(r);
          expect(r.startsWith(`*${Math.min(n, size)}\r\n`)).toBe(true);
          expect(new Set(got).size).toBe(got.length);
          for (const f of got) expect(Number(f.slice(1))).toBeLessThan(size);
          const w = await c.call("HRANDFIELD", key, String(n), "WITHVALUES");
          const wb = bulks(w);
          const m = Math.min(n, size);
          expect(w.startsWith(proto === 3 ? `*${m}\r\n*2\r\n` : `*${m * 2}\r\n`)).toBe(true);
          for (let i = 0; i < wb.length; i += 2) expect(wb[i + 1]).toBe("v" + wb[i]!.slice(1));
        }
        for (const n of [1, 5, 50, 2000]) {
          const r = await c.call("HRANDFIELD", key, String(-n));
          expect(r.startsWith(`*${n}\r\n`)).toBe(true);
          expect(bulks(r).length).toBe(n);
          const w = await c.call("HRANDFIELD", key, String(-n), "WITHVALUES");
          const wb = bulks(w);
          expect(wb.length).toBe(2 * n);
          for (let i = 0; i < wb.length; i += 2) expect(wb[i + 1]).toBe("v" + wb[i]!.slice(1));
        }
        // Real randomness: many single draws cover most fields of the small hash.
        const seen = new Set<string>();
        for (let i = 0; i < 200; i++) seen.add(bulks(await c.call("HRANDFIELD", "s"))[0]!);
        expect(seen.size).toBeGreaterThanOrEqual(9);
        const rep = bulks(await c.call("HRANDFIELD", "s", "-200"));
        expect(new Set(rep).size).toBeGreaterThanOrEqual(9);
      }
      c.close();
    }
  });
});

describe("HSCAN", () => {
  test("small hashes come back whole in one page", async () => {
    await d.same(`
      HSET h a 1 b 2 c 3 ab 4
      HSCAN h 0
      HSCAN h 0 COUNT 1
      HSCAN h 0 MATCH a*
      HSCAN h 0 MATCH zz*
      HSCAN h 0 MATCH * COUNT 100
      HSCAN h 0 COUNT 0
      HSCAN h 0 COUNT x
      HSCAN h 0 MATCH
      HSCAN h 0 FOO bar
      HSCAN h 0 TYPE string
      HSCAN h abc
      HSCAN h -1
      HSCAN h 18446744073709551616
      HSCAN nokey 0
      HSCAN nokey 0 COUNT 0
      HSCAN nokey x
    `);
  });

  test("big hashes: a full iteration returns every field once", async () => {
    for (const port of [d.aikv.port, d.redis.port]) {
      const c = await RespConn.connect(port);
      await c.call("FLUSHALL");
      const fields = Array.from({ length: 1500 }, (_, i) => [`f${i}`, `v${i}`]).flat();
      await c.call("HSET", "h", ...fields);
      const seen = new Map<string, string>();
      let cursor = "0";
      let pages = 0;
      do {
        const r = await c.call("HSCAN", "h", cursor, "COUNT", "100", "MATCH", "f1*");
        const [n] = parse(r);
        cursor = n.kids![0]!.head.split("\r\n")[1]!;
        const items = n.kids![1]!.kids!.map((k) => k.head.split("\r\n")[1]!);
        for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
        pages++;
      } while (cursor !== "0" && pages < 10000);
      const want = [...Array(1500).keys()].filter((i) => String(i).startsWith("1"));
      expect(seen.size).toBe(want.length);
      for (const i of want) expect(seen.get(`f${i}`)).toBe(`v${i}`);
      c.close();
    }
  });
});

describe("statistics", () => {
  test("keyspace hits and misses", async () => {
    await sameHitsAndMisses(d, [["HSET", "h", "f", "v"], ["HGET", "h", "f"], ["HGET", "no", "f"], ["HMGET", "h", "f"], ["HEXISTS", "no", "f"], ["HLEN", "h"], ["HSTRLEN", "h", "f"], ["HKEYS", "no"], ["HVALS", "h"], ["HGETALL", "h"], ["HRANDFIELD", "h"], ["HRANDFIELD", "no", "2"], ["HSCAN", "h", "0"], ["HSET", "h", "g", "1"], ["HDEL", "no", "f"], ["HINCRBY", "h", "n", "1"], ["HSETNX", "h", "f", "x"]]);
  });
});

describe("random sequences", () => {
  for (const seed of [11, 12, 13]) {
    test(`seed ${seed}`, async () => {
      const r = prng(seed);
      const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
      const keys = ["h1", "h2"];
      const fields = ["a", "b", "c", "d", "e", "n"];
      const vals = ["1", "-2", "x", "", "3.5", "9223372036854775807", "1e3"];
      const cmds: Cmd[] = [];
      for (let i = 0; i < 400; i++) {
        const k = pick(keys);
        const n = Math.floor(r() * 3) + 1;
        const fvs = Array.from({ length: n }, () => [pick(fields), pick(vals)]).flat();
        switch (Math.floor(r() * 16)) {
          case 0: cmds.push(["HSET", k, ...fvs]); break;
          case 1: cmds.push(["HMSET", k, ...fvs]); break;
          case 2: cmds.push(["HSETNX", k, pick(fields), pick(vals)]); break;
          case 3: cmds.push(["HDEL", k, ...fvs.filter((_, j) => j % 2 === 0)]); break;
          case 4: cmds.push(["HINCRBY", k, pick(fields), pick(["1", "-1", "100", "x", "9223372036854775807"])]); break;
          case 5: cmds.push(["HINCRBYFLOAT", k, pick(fields), pick(["0.1", "-1.5", "1e2", "x", "3"])]); break;
          case 6: cmds.push(["HGET", k, pick(fields)]); break;
          case 7: cmds.push(["HMGET", k, pick(fields), pick(fields)]); break;
          case 8: cmds.push(["HEXISTS", k, pick(fields)]); break;
          case 9: cmds.push(["HLEN", k]); break;
          case 10: cmds.push(["HSTRLEN", k, pick(fields)]); break;
          case 11: cmds.push(["HKEYS", k]); break;
          case 12: cmds.push(["HVALS", k]); break;
          case 13: cmds.push(["HSCAN", k, "0", "MATCH", pick(["*", "a*", "[a-c]"])]); break;
          case 14: cmds.push(["HRANDFIELD", k, "100", "WITHVALUES"]); break;
          default: cmds.push(["HGETALL", k]);
        }
      }
      await d.same(cmds, { protos: [seed % 2 === 0 ? 2 : 3] });
    });
  }
});
