// List commands compared byte for byte with redis-server (RESP2 and RESP3): every command,
// option and error, WRONGTYPE, encodings, keyspace hits/misses, and seeded random sequences.
// Blocking commands are in blocking.test.ts.
import { describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { prng } from "../helpers/random.ts";
import { sameHitsAndMisses, sameEvents } from "../helpers/keyspace.ts";

const d = useDiffer();

describe("keyspace events", () => {
  test("event names, del on emptying, moves, blocking variants served at once", async () => {
    const events = await sameEvents(d, "KEA", [
      ["RPUSH", "l", "a", "b", "c"], ["LPUSHX", "none", "x"], ["LINSERT", "l", "AFTER", "zz", "x"], ["LREM", "l", "0", "zz"], ["LTRIM", "l", "0", "-1"],
      ["LPOP", "l", "0"], ["LMOVE", "l", "l", "LEFT", "RIGHT"], ["LMOVE", "l", "m", "RIGHT", "LEFT"], ["BLMOVE", "l", "m", "LEFT", "LEFT", "0"],
      ["BRPOPLPUSH", "l", "m", "0"], ["BLPOP", "m", "0"], ["BRPOP", "m", "0"], ["RPUSH", "n", "1", "2"], ["BLMPOP", "0", "1", "n", "RIGHT", "COUNT", "9"],
      ["RPUSH", "t", "1", "2", "3"], ["LTRIM", "t", "5", "10"], ["RPUSH", "r", "x", "x"], ["LREM", "r", "0", "x"], ["RPUSH", "z", "1"], ["LSET", "z", "0", "2"],
    ]);
    expect(events.length).toBeGreaterThan(0);
  });
});

describe("push / pop / len", () => {
  test("LPUSH RPUSH LPUSHX RPUSHX", async () => {
    await d.same(`
      LPUSH l a b c
      RPUSH l d e
      LRANGE l 0 -1
      LPUSHX l x
      RPUSHX l y z
      LPUSHX nokey x
      RPUSHX nokey x
      EXISTS nokey
      LLEN l
      LLEN nokey
      OBJECT ENCODING l
      TYPE l
      LPUSH "" ""
      LRANGE "" 0 -1
      RPUSH bin "a\\x00b" "\\r\\n"
      LRANGE bin 0 -1
      LPUSH l
      RPUSH
      LPUSHX l
    `);
  });

  test("LPOP RPOP with and without count", async () => {
    await d.same(`
      RPUSH l a b c d e f g
      LPOP l
      RPOP l
      LPOP l 2
      RPOP l 2
      LPOP l 0
      RPOP l 0
      LPOP l 10
      EXISTS l
      LPOP l
      RPOP l
      LPOP l 0
      LPOP l 3
      RPOP nokey 1
      LPOP nokey -1
      LPOP nokey abc
      RPUSH l a
      LPOP l -1
      LPOP l 1 2
      RPOP l 1 2
      LPOP l 9223372036854775807
      RPUSH l a b
      RPOP l 9223372036854775808
    `);
  });

  test("WRONGTYPE everywhere", async () => {
    const cmds = [
      "LPUSH s x", "RPUSH s x", "LPUSHX s x", "RPUSHX s x", "LPOP s", "RPOP s", "LPOP s 2", "LLEN s",
      "LRANGE s 0 -1", "LINDEX s 0", "LSET s 0 x", "LINSERT s BEFORE a b", "LREM s 0 a", "LTRIM s 0 1",
      "LPOS s a", "LMOVE s l LEFT LEFT", "LMOVE l s LEFT LEFT", "RPOPLPUSH s l", "RPOPLPUSH l s",
      "LMPOP 1 s LEFT", "LMPOP 2 nokey s LEFT", "BLPOP s 0", "BRPOP nokey s 0", "BLMOVE s l LEFT LEFT 0",
      "BLMOVE l s LEFT LEFT 0", "BRPOPLPUSH s l 0", "BLMPOP 0 1 s LEFT", "LMOVE nokey s LEFT LEFT",
    ];
    await d.same(["SET s str", "RPUSH l a b", ...cmds, "LRANGE l 0 -1", "GET s"].join("\n"));
  });
});

describe("index access", () => {
  test("LRANGE ranges", async () => {
    const cmds: string[] = ["RPUSH l 0 1 2 3 4 5 6 7 8 9"];
    for (const [s, e] of [[0, -1], [0, 0], [-1, -1], [2, 5], [5, 2], [-3, -1], [-100, 100], [10, 20], [9, 9], [-11, 0], [3, -8], [0, -11], ["a", 1], [0, "b"], [1.5, 2]]) {
      cmds.push(`LRANGE l ${s} ${e}`);
    }
    cmds.push("LRANGE nokey 0 -1", "LRANGE nokey a b");
    await d.same(cmds.join("\n"));
  });

  test("LINDEX LSET", async () => {
    await d.same(`
      RPUSH l a b c d
      LINDEX l 0
      LINDEX l 3
      LINDEX l 4
      LINDEX l -1
      LINDEX l -4
      LINDEX l -5
      LINDEX l x
      LINDEX nokey 0
      LSET l 0 A
      LSET l -1 D
      LSET l 4 x
      LSET l -5 x
      LSET l x y
      LSET nokey 0 x
      LRANGE l 0 -1
      LINDEX l 9223372036854775807
      LINDEX l -9223372036854775808
      LINDEX l 9223372036854775808
      LINDEX nokey x
      LSET nokey x v
      SET str v
      LINDEX str x
      LSET str x v
      LRANGE str x 0
      LTRIM str x 0
      LREM str x v
      LPOS str v COUNT x
      LPOS l a COUNT x
      LPOS l a MAXLEN x
      LPOS l a RANK 1.5
    `);
  });

  test("LINSERT", async () => {
    await d.same(`
      RPUSH l a b c b
      LINSERT l BEFORE b x
      LINSERT l AFTER b y
      LINSERT l before a first
      LINSERT l after c last
      LINSERT l AFTER zz q
      LINSERT l MIDDLE a q
      LINSERT nokey BEFORE a b
      LINSERT nokey MIDDLE a b
      EXISTS nokey
      LRANGE l 0 -1
    `);
  });

  test("LREM", async () => {
    await d.same(`
      RPUSH l a b a c a b a
      LREM l 2 a
      LRANGE l 0 -1
      LREM l -1 a
      LRANGE l 0 -1
      LREM l 0 b
      LRANGE l 0 -1
      LREM l 0 zz
      LREM l x a
      LREM nokey 0 a
      LREM l 0 a
      LREM l 0 c
      EXISTS l
    `);
  });

  test("LTRIM", async () => {
    const cmds: string[] = [];
    for (const [s, e] of [[0, -1], [1, -2], [2, 1], [-2, -1], [0, 0], [-100, 100], [5, 10], [0, -100], ["x", 1]]) {
      cmds.push("DEL l", "RPUSH l 0 1 2 3 4 5", `LTRIM l ${s} ${e}`, "LRANGE l 0 -1", "EXISTS l");
    }
    cmds.push("LTRIM nokey 0 1", "EXISTS nokey");
    await d.same(cmds.join("\n"));
  });

  test("LPOS", async () => {
    await d.same(`
      RPUSH l a b c a b c a
      LPOS l a
      LPOS l c
      LPOS l zz
      LPOS l a RANK 2
      LPOS l a RANK -1
      LPOS l a RANK -3
      LPOS l a RANK 4
      LPOS l a RANK -9223372036854775808
      LPOS l a RANK 9223372036854775807
      LPOS l a COUNT 0
      LPOS l a COUNT 2
      LPOS l a COUNT 10
      LPOS l a RANK -1 COUNT 2
      LPOS l a RANK 2 COUNT 0
      LPOS l a MAXLEN 3
      LPOS l a MAXLEN 3 COUNT 0
      LPOS l a RANK -1 MAXLEN 3 COUNT 0
      LPOS l c MAXLEN 2
      LPOS l a RANK 0
      LPOS l a RANK x
      LPOS l a COUNT -1
      LPOS l a MAXLEN -1
      LPOS l a FOO 1
      LPOS l a RANK
      LPOS l a COUNT 1 RANK 0
      LPOS nokey a
      LPOS nokey a COUNT 0
      LPOS nokey a RANK 0
      LPOS l a rank 1 rank 2
      LPOS l zz COUNT 0
    `);
  });
});

describe("moves", () => {
  test("LMOVE RPOPLPUSH", async () => {
    await d.same(`
      RPUSH src a b c
      LMOVE src dst LEFT RIGHT
      LMOVE src dst RIGHT LEFT
      LMOVE src dst left left
      LRANGE dst 0 -1
      EXISTS src
      LMOVE src dst LEFT LEFT
      RPOPLPUSH dst dst
      LRANGE dst 0 -1
      LMOVE dst dst LEFT RIGHT
      LRANGE dst 0 -1
      RPUSH one x
      LMOVE one one LEFT RIGHT
      LRANGE one 0 -1
      LMOVE dst x UP LEFT
      LMOVE dst x LEFT DOWN
      RPOPLPUSH nokey dst
      RPOPLPUSH dst newlist
      LRANGE newlist 0 -1
    `);
  });

  test("LMPOP", async () => {
    await d.same(`
      RPUSH a 1 2 3
      RPUSH b 4 5 6 7
      LMPOP 2 nokey a LEFT
      LMPOP 2 a b RIGHT COUNT 5
      LMPOP 2 a b RIGHT COUNT 1
      LMPOP 1 b left count 2
      LMPOP 1 b LEFT
      LMPOP 1 b LEFT
      LMPOP 0 a LEFT
      LMPOP -1 a LEFT
      LMPOP abc a LEFT
      LMPOP 2 a LEFT
      LMPOP 3 a b LEFT
      LMPOP 1 a MIDDLE
      LMPOP 1 a LEFT COUNT 0
      LMPOP 1 a LEFT COUNT -1
      LMPOP 1 a LEFT COUNT x
      LMPOP 1 a LEFT COUNT 1 COUNT 1
      LMPOP 1 a LEFT COUNT
      LMPOP 1 a LEFT FOO
      LMPOP 99999999999 a LEFT
      LMPOP 9223372036854775808 a LEFT
      LMPOP 1 a LEFT COUNT 9223372036854775807
    `);
  });
});

describe("misc", () => {
  test("encodings stay quicklist (Redis 7.0)", async () => {
    await d.same(`
      RPUSH small a
      OBJECT ENCODING small
      CONFIG SET list-max-listpack-size 4
      RPUSH l 1 2 3 4 5 6 7 8 9 10
      OBJECT ENCODING l
      LRANGE l 0 -1
      CONFIG SET list-max-listpack-size -2
    `);
  });

  test("keyspace hits and misses of read commands", async () => {
    await sameHitsAndMisses(d, [["RPUSH", "l", "x"], ["LLEN", "l"], ["LLEN", "no"], ["LRANGE", "l", "0", "-1"], ["LINDEX", "no", "0"], ["LPOS", "l", "x"], ["LPOP", "no"], ["RPUSHX", "no", "x"]]);
  });

  test("big lists: chunk boundaries, inserts and removals in the middle", async () => {
    const cmds: Cmd[] = [];
    const els = Array.from({ length: 700 }, (_, i) => `e${i}`);
    cmds.push(["RPUSH", "l", ...els.slice(0, 350)]);
    cmds.push(["LPUSH", "l", ...els.slice(350)]);
    for (const i of [0, 1, 127, 128, 129, 255, 256, 349, 350, 351, 500, 699, -1, -128, -129, -700, 700]) cmds.push(["LINDEX", "l", String(i)]);
    for (let k = 0; k < 40; k++) cmds.push(["LINSERT", "l", k % 2 ? "BEFORE" : "AFTER", `e${(k * 37) % 700}`, `ins${k}`]);
    cmds.push(["LRANGE", "l", "0", "-1"]);
    cmds.push(["LREM", "l", "0", "ins3"], ["LREM", "l", "-2", "e5"], ["LSET", "l", "300", "S"]);
    cmds.push(["LRANGE", "l", "100", "400"]);
    cmds.push(["LTRIM", "l", "130", "-140"], ["LLEN", "l"], ["LRANGE", "l", "0", "-1"]);
    cmds.push(["LPOS", "l", "e200", "RANK", "-1"], ["LPOS", "l", "S", "COUNT", "0"]);
    await d.same(cmds, { protos: [2] });
  });
});

describe("random sequences", () => {
  for (const seed of [1, 2, 3, 4]) {
    test(`seed ${seed}`, async () => {
      const r = prng(seed);
      const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)]!;
      const keys = ["a", "b", "c"];
      const vals = ["x", "y", "z", "1", "", "long-value-" + "v".repeat(20)];
      const idx = () => String(Math.floor(r() * 14) - 7);
      const side = () => pick(["LEFT", "RIGHT"]);
      const cmds: Cmd[] = [];
      for (let i = 0; i < 400; i++) {
        const k = pick(keys);
        const n = Math.floor(r() * 4) + 1;
        const vs = Array.from({ length: n }, () => pick(vals));
        switch (Math.floor(r() * 20)) {
          case 0: cmds.push(["LPUSH", k, ...vs]); break;
          case 1: cmds.push(["RPUSH", k, ...vs]); break;
          case 2: cmds.push(["LPUSHX", k, ...vs]); break;
          case 3: cmds.push(["RPUSHX", k, ...vs]); break;
          case 4: cmds.push(r() < 0.5 ? ["LPOP", k] : ["RPOP", k, String(n - 1)]); break;
          case 5: cmds.push(["LRANGE", k, idx(), idx()]); break;
          case 6: cmds.push(["LINDEX", k, idx()]); break;
          case 7: cmds.push(["LSET", k, idx(), pick(vals)]); break;
          case 8: cmds.push(["LINSERT", k, pick(["BEFORE", "AFTER"]), pick(vals), pick(vals)]); break;
          case 9: cmds.push(["LREM", k, idx(), pick(vals)]); break;
          case 10: cmds.push(["LTRIM", k, idx(), idx()]); break;
          case 11: cmds.push(["LPOS", k, pick(vals), "RANK", pick(["1", "-1", "2", "-2"]), "COUNT", String(n - 1), "MAXLEN", String(n * 2)]); break;
          case 12: cmds.push(["LMOVE", k, pick(keys), side(), side()]); break;
          case 13: cmds.push(["RPOPLPUSH", k, pick(keys)]); break;
          case 14: cmds.push(["LMPOP", "2", k, pick(keys), side(), "COUNT", String(n)]); break;
          case 15: cmds.push(["BLMPOP", "0.01", "2", k, pick(keys), side(), "COUNT", String(n)]); break;
          case 16: cmds.push([pick(["BLPOP", "BRPOP"]), k, pick(keys), "0.01"]); break;
          case 17: cmds.push(["BLMOVE", k, pick(keys), side(), side(), "0.01"]); break;
          case 18: cmds.push(["LLEN", k]); break;
          default: cmds.push(["LRANGE", k, "0", "-1"]);
        }
      }
      for (const k of keys) cmds.push(["LRANGE", k, "0", "-1"]);
      await d.same(cmds, { protos: [seed % 2 === 0 ? 2 : 3] });
    });
  }
});
