// Bitmap commands compared byte for byte with redis-server (RESP2 and RESP3): SETBIT GETBIT
// BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO, their errors, encodings, keyspace events, and
// seeded random sequences.
import { beforeAll, describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { sameHitsAndMisses } from "../helpers/keyspace.ts";

const d = useDiffer();
let makeOther: ((key: string) => Cmd) | null = null;

beforeAll(async () => {
  const c = await RespConn.connect(d.aikv.port);
  for (const tpl of [
    (k: string) => ["LPUSH", k, "x"],
    (k: string) => ["SADD", k, "x"],
    (k: string) => ["HSET", k, "f", "v"],
    (k: string) => ["ZADD", k, "1", "x"],
  ]) {
    if (!(await c.call(...tpl("__probe"))).startsWith("-ERR unknown command")) {
      makeOther = tpl;
      await c.call("DEL", "__probe");
      break;
    }
  }
  c.close();
});

describe("SETBIT / GETBIT", () => {
  test("values, growth, encodings, errors", async () => {
    await d.same(`
      SETBIT k 7 1
      GET k
      SETBIT k 7 1
      SETBIT k 7 0
      SETBIT k 100 1
      STRLEN k
      GET k
      GETBIT k 100
      GETBIT k 101
      GETBIT k 100000
      GETBIT missing 5
      OBJECT ENCODING k
      SET s abc
      OBJECT ENCODING s
      GETBIT s 1
      OBJECT ENCODING s
      SETBIT s 1 1
      OBJECT ENCODING s
      SET n 12
      GETBIT n 2
      GETBIT n 15
      SETBIT n 6 0
      GET n
      SETBIT k -1 1
      SETBIT k abc 1
      SETBIT k 1 2
      SETBIT k 1 -1
      SETBIT k 1 abc
      SETBIT k 1 01
      SETBIT k 1 ""
      SETBIT k 4294967296 1
      SETBIT k 9223372036854775807 1
      SETBIT k 9223372036854775808 1
      GETBIT k -1
      GETBIT k 4294967296
      GETBIT k x
      SET t v EX 100
      SETBIT t 0 1
      TTL t
    `);
    if (makeOther === null) return;
    await d.same([makeOther("l"), ["SETBIT", "l", "0", "1"], ["SETBIT", "l", "-1", "1"], ["SETBIT", "l", "0", "5"], ["GETBIT", "l", "0"], ["GETBIT", "l", "x"]]);
  });
});

describe("BITCOUNT / BITPOS", () => {
  test("BITCOUNT ranges in bytes and bits", async () => {
    const cmds: Cmd[] = [["SET", "s", "foobar"], ["SET", "n", "1234567"], ["SET", "e", ""], ["SET", "ff", "\xff\xff\xff\x00\x01"]];
    const idx = ["0", "1", "2", "-1", "-2", "-7", "5", "6", "7", "13", "40", "47", "48", "-100", "100", "9223372036854775807", "-9223372036854775808"];
    for (const k of ["s", "n", "e", "ff"]) {
      cmds.push(["BITCOUNT", k]);
      for (const a of idx) {
        for (const b of idx) {
          cmds.push(["BITCOUNT", k, a, b]);
          cmds.push(["BITCOUNT", k, a, b, "BIT"]);
        }
      }
      cmds.push(["BITCOUNT", k, "0", "-1", "byte"], ["BITCOUNT", k, "0", "-1", "bits"], ["BITCOUNT", k, "0"], ["BITCOUNT", k, "a", "b"]);
      cmds.push(["BITCOUNT", k, "0", "1", "BIT", "x"], ["BITCOUNT", k, "1.5", "2"]);
    }
    cmds.push(["BITCOUNT", "missing"], ["BITCOUNT", "missing", "0"], ["BITCOUNT", "missing", "a", "b", "c"]);
    await d.same(cmds);
  });

  test("BITPOS in bytes and bits, with and without end", async () => {
    const cmds: Cmd[] = [
      ["SET", "a", "\xff\xf0\x00"],
      ["SET", "b", "\x00\x00\x00"],
      ["SET", "c", "\xff\xff\xff"],
      ["SET", "d", "\x00\x0f\xff\x80"],
      ["SET", "e", ""],
      ["SET", "n", "12"],
    ];
    const idx = ["0", "1", "2", "-1", "-2", "3", "7", "8", "12", "15", "23", "24", "31", "-100", "100"];
    for (const k of ["a", "b", "c", "d", "e", "n", "missing"]) {
      for (const bit of ["0", "1"]) {
        cmds.push(["BITPOS", k, bit]);
        for (const s of idx) {
          cmds.push(["BITPOS", k, bit, s]);
          for (const e of idx) {
            cmds.push(["BITPOS", k, bit, s, e]);
            cmds.push(["BITPOS", k, bit, s, e, "BIT"]);
            cmds.push(["BITPOS", k, bit, s, e, "BYTE"]);
          }
        }
      }
    }
    cmds.push(["BITPOS", "a", "2"], ["BITPOS", "a", "-1"], ["BITPOS", "a", "x"], ["BITPOS", "missing", "2"], ["BITPOS", "missing", "1", "x", "y", "z"]);
    cmds.push(["BITPOS", "a", "1", "x"], ["BITPOS", "a", "1", "0", "x"], ["BITPOS", "a", "1", "0", "1", "FOO"], ["BITPOS", "a", "1", "0", "1", "BIT", "x"]);
    await d.same(cmds);
  });

  test("large bitmaps use the word-at-a-time paths correctly", async () => {
    const r = prng(5);
    const bytes = Buffer.alloc(5000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = r() < 0.3 ? 0 : r() < 0.5 ? 0xff : Math.floor(r() * 256);
    bytes.fill(0, 1000, 2000);
    bytes.fill(0xff, 3000, 4000);
    const cmds: Cmd[] = [["SET", "big", bytes.toString("latin1")], ["BITCOUNT", "big"]];
    for (let i = 0; i < 60; i++) {
      const s = String(Math.floor(r() * 42000) - 1000);
      const e = String(Math.floor(r() * 42000) - 1000);
      cmds.push(["BITCOUNT", "big", s, e, "BIT"], ["BITCOUNT", "big", String(Math.floor(Number(s) / 8)), String(Math.floor(Number(e) / 8))]);
      cmds.push(["BITPOS", "big", "0", s, e, "BIT"], ["BITPOS", "big", "1", s, e, "BIT"], ["BITPOS", "big", "0", String(Math.floor(Number(s) / 8))]);
    }
    cmds.push(["SETBIT", "big", "39999", "1"], ["BITCOUNT", "big"], ["BITPOS", "big", "1", "1000", "1999"], ["BITPOS", "big", "0", "3000", "3999"]);
    await d.same(cmds);
  });

  test("wrong type", async () => {
    if (makeOther === null) return;
    await d.same([makeOther("l"), ["BITCOUNT", "l"], ["BITCOUNT", "l", "0"], ["BITPOS", "l", "1"], ["BITPOS", "l", "2"], ["BITPOS", "l", "1", "x"]]);
  });
});

describe("BITOP", () => {
  test("operations, lengths, destination handling", async () => {
    await d.same(`
      SET a "\\x0f\\xf0\\xaa"
      SET b "\\xff\\x00"
      SET c "\\x01"
      BITOP AND dest a b
      GET dest
      OBJECT ENCODING dest
      BITOP OR dest a b c
      GET dest
      BITOP XOR dest a b c
      GET dest
      BITOP NOT dest a
      GET dest
      BITOP and dest a missing
      GET dest
      BITOP or dest missing a
      GET dest
      BITOP xor dest a a
      GET dest
      BITOP NOT dest a b
      BITOP NOT dest
      BITOP NAND dest a
      BITOP AND dest missing missing2
      EXISTS dest
      SET dest x EX 100
      BITOP OR dest a
      TTL dest
      BITOP OR a a b
      GET a
      SET n 123
      BITOP NOT dest n
      GET dest
      SET t v
      BITOP AND t missing
      EXISTS t
    `);
    if (makeOther === null) return;
    await d.same([
      makeOther("l"),
      ["SET", "s", "x"],
      ["BITOP", "AND", "dest", "s", "l"],
      ["BITOP", "NOT", "dest", "l"],
      ["BITOP", "OR", "l", "s"],
      ["TYPE", "l"],
      ["GET", "l"],
      makeOther("l2"),
      ["BITOP", "OR", "l2", "missing"],
      ["EXISTS", "l2"],
    ]);
  });

  test("random operands", async () => {
    const r = prng(11);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 60; i++) {
      const mk = () => Buffer.from(Array.from({ length: Math.floor(r() * 300) }, () => Math.floor(r() * 256))).toString("latin1");
      cmds.push(["MSET", "x", mk(), "y", mk(), "z", mk()]);
      const op = ["AND", "OR", "XOR"][i % 3]!;
      cmds.push(["BITOP", op, "d", "x", "y", "z"], ["GET", "d"], ["BITOP", "NOT", "d", "x"], ["GET", "d"]);
    }
    await d.same(cmds);
  });
});

describe("BITFIELD", () => {
  test("GET SET INCRBY with every overflow mode", async () => {
    await d.same(`
      BITFIELD k SET u8 0 255 GET u8 0 GET i8 0 GET u4 4 GET i4 4
      BITFIELD k INCRBY u8 0 10 INCRBY i8 0 -1
      BITFIELD k OVERFLOW SAT INCRBY u8 0 1000 INCRBY i8 8 1000 INCRBY i8 8 -1000 INCRBY u8 16 -1000
      BITFIELD k OVERFLOW FAIL INCRBY u8 0 1000 INCRBY u8 0 -1 SET u8 0 256 SET i8 0 -129 SET i8 0 127
      BITFIELD k OVERFLOW WRAP INCRBY u8 0 1000 SET u8 0 256 SET i8 0 -129 INCRBY i8 0 300
      BITFIELD k overflow sat set i8 0 -9223372036854775808 get i8 0
      BITFIELD k overflow sat set u8 0 -1 overflow wrap set u8 8 -1 get u16 0
      BITFIELD k SET i64 0 -9223372036854775808 INCRBY i64 0 -1 GET i64 0
      BITFIELD k OVERFLOW SAT SET i64 0 9223372036854775807 INCRBY i64 0 1 INCRBY i64 0 -9223372036854775808 GET u63 0
      BITFIELD k OVERFLOW FAIL SET i64 0 9223372036854775807 INCRBY i64 0 1 GET i64 0
      BITFIELD k SET u63 0 9223372036854775807 INCRBY u63 0 1 GET u63 0 GET u1 0 GET i1 0
      BITFIELD k OVERFLOW SAT INCRBY u63 0 9223372036854775807 INCRBY u63 0 -9223372036854775808
      BITFIELD k SET i1 100 1 GET i1 100 GET u1 100 INCRBY i1 100 1 INCRBY u1 100 1
      BITFIELD k GET u8 #3 SET u8 #3 77 GET u8 24 GET i16 #100
      BITFIELD k SET i5 3 -7 GET i5 3 GET u5 3 INCRBY i5 3 40 INCRBY u3 2 9
      GET k
      STRLEN k
      OBJECT ENCODING k
      BITFIELD missing GET u8 0 GET i64 60
      EXISTS missing
      BITFIELD missing OVERFLOW FAIL SET u8 0 1000
      EXISTS missing
      GET missing
      BITFIELD k
      BITFIELD k OVERFLOW SAT
      BITFIELD n2 OVERFLOW WRAP
      EXISTS n2
    `);
  });

  test("argument errors", async () => {
    await d.same(`
      SET k abc
      BITFIELD k GET
      BITFIELD k GET u8
      BITFIELD k SET u8 0
      BITFIELD k INCRBY u8 0
      BITFIELD k FOO u8 0
      BITFIELD k OVERFLOW
      BITFIELD k OVERFLOW FOO GET u8 0
      BITFIELD k GET u64 0
      BITFIELD k GET i65 0
      BITFIELD k GET u0 0
      BITFIELD k GET i0 0
      BITFIELD k GET x8 0
      BITFIELD k GET U8 0
      BITFIELD k GET I8 0
      BITFIELD k GET u 0
      BITFIELD k GET u08 0
      BITFIELD k GET u8 -1
      BITFIELD k GET u8 abc
      BITFIELD k GET u8 #
      BITFIELD k GET u8 #-1
      BITFIELD k GET u8 ##1
      BITFIELD k SET u8 0 abc
      BITFIELD k SET u8 0 1.5
      BITFIELD k INCRBY u8 0 9223372036854775808
      BITFIELD k GET u8 4294967296
      BITFIELD k GET u8 #536870912
      BITFIELD k GET i64 #1152921504606846976
      BITFIELD k GET i64 #2305843009213693952
      BITFIELD k GET u8 0 SET u8 0 1 GET
      GET k
      BITFIELD_RO k GET u8 0 GET i4 4
      BITFIELD_RO k SET u8 0 1
      BITFIELD_RO k INCRBY u8 0 1
      BITFIELD_RO k GET u8 0 SET u8 0 x
      BITFIELD_RO k OVERFLOW SAT GET u8 0
      BITFIELD_RO missing GET u8 0
      BITFIELD_RO k
      BITFIELD_RO k FOO
      GET k
    `);
    if (makeOther === null) return;
    await d.same([
      makeOther("l"),
      ["BITFIELD", "l", "GET", "u8", "0"],
      ["BITFIELD", "l", "SET", "u8", "0", "1"],
      ["BITFIELD", "l", "GET", "u99", "0"],
      ["BITFIELD", "l"],
      ["BITFIELD_RO", "l", "GET", "u8", "0"],
      ["BITFIELD_RO", "l", "SET", "u8", "0", "1"],
    ]);
  });

  test("random fields", async () => {
    const r = prng(21);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 300; i++) {
      const signed = r() < 0.5;
      const bits = signed ? 1 + Math.floor(r() * 64) : 1 + Math.floor(r() * 63);
      const type = (signed ? "i" : "u") + bits;
      const off = r() < 0.2 ? "#" + Math.floor(r() * 8) : String(Math.floor(r() * 200));
      const bigs = ["0", "1", "-1", "127", "-128", "255", "65535", "-9223372036854775808", "9223372036854775807", "4611686018427387904", "-4611686018427387905"];
      const val = r() < 0.4 ? bigs[Math.floor(r() * bigs.length)]! : String(Math.floor((r() - 0.5) * 2 ** Math.min(bits + 2, 52)));
      const ow = ["WRAP", "SAT", "FAIL"][Math.floor(r() * 3)]!;
      const op = r();
      if (op < 0.3) cmds.push(["BITFIELD", "k", "GET", type, off]);
      else if (op < 0.6) cmds.push(["BITFIELD", "k", "OVERFLOW", ow, "SET", type, off, val, "GET", type, off]);
      else if (op < 0.9) cmds.push(["BITFIELD", "k", "OVERFLOW", ow, "INCRBY", type, off, val]);
      else cmds.push(["BITFIELD_RO", "k", "GET", type, off]);
    }
    cmds.push(["GET", "k"]);
    await d.same(cmds);
  });
});

describe("events", () => {
  test("keyspace hits and misses", async () => {
    const script: Cmd[] = [
      ["SETBIT", "a", "1", "1"], ["GETBIT", "a", "1"], ["GETBIT", "z", "1"], ["BITCOUNT", "a"], ["BITCOUNT", "z"], ["BITPOS", "a", "1"],
      ["BITPOS", "z", "1"], ["BITOP", "OR", "d", "a", "z", "y"], ["BITFIELD", "a", "GET", "u8", "0"], ["BITFIELD", "z", "GET", "u8", "0"],
      ["BITFIELD", "a", "SET", "u8", "0", "1"], ["BITFIELD", "w", "INCRBY", "u8", "0", "1"], ["BITFIELD_RO", "a", "GET", "u8", "0"],
      ["BITFIELD_RO", "q", "GET", "u8", "0"], ["BITFIELD", "a"],
    ];
    await sameHitsAndMisses(d, script, [2, 3]);
  });

  test("keyspace notifications and dirty counts", async () => {
    const probe = await RespConn.connect(d.aikv.port);
    const hasPubsub = !(await probe.call("PSUBSCRIBE", "x")).startsWith("-ERR unknown command");
    probe.close();
    if (!hasPubsub) return;
    const script: Cmd[] = [
      ["SETBIT", "a", "1", "1"], ["SETBIT", "a", "1", "1"], ["SETBIT", "a", "1", "0"], ["SETBIT", "a", "100", "0"],
      ["SET", "s", "abc"], ["SETBIT", "s", "0", "0"],
      ["BITFIELD", "a", "SET", "u8", "0", "0"], ["BITFIELD", "a", "SET", "u8", "0", "7", "SET", "u8", "0", "7", "INCRBY", "u8", "0", "0"],
      ["BITFIELD", "a", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"], ["BITFIELD", "new", "OVERFLOW", "FAIL", "SET", "u8", "0", "1000"],
      ["BITFIELD", "a", "SET", "u8", "1000", "0"], ["BITFIELD", "a", "GET", "u8", "0"],
      ["BITOP", "OR", "d", "a", "s"], ["BITOP", "AND", "d", "missing"], ["BITOP", "AND", "d", "missing"],
    ];
    const collect = async (port: number): Promise<string[]> => {
      const sub = await RespConn.connect(port);
      const c = await RespConn.connect(port);
      await c.call("FLUSHALL");
      await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      await sub.call("PSUBSCRIBE", "__key*__:*");
      const dirty: string[] = [];
      const changes = async () => (await c.call("INFO", "persistence")).split("\r\n").find((l) => l.startsWith("rdb_changes_since_last_save"))!;
      for (const cmd of script) {
        const before = Number((await changes()).split(":")[1]);
        await c.call(...cmd);
        dirty.push(`${cmd.join(" ")}: ${Number((await changes()).split(":")[1]) - before}`);
      }
      await c.call("CONFIG", "SET", "notify-keyspace-events", "");
      await c.call("PUBLISH", "__keyevent@0__:end", "x");
      const out: string[] = [];
      for (;;) {
        const m = await sub.read();
        out.push(m);
        if (m.includes("__keyevent@0__:end")) break;
      }
      sub.close();
      c.close();
      return [...dirty, ...out];
    };
    expect(await collect(d.aikv.port)).toEqual(await collect(d.redis.port));
  });
});

test("random sequences over the bitmap family", async () => {
  for (const seed of [7, 8]) {
    const r = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const keys = ["a", "b", "c"];
    const n = (max: number) => String(Math.floor(r() * max) - (r() < 0.2 ? Math.floor(max / 2) : 0));
    const cmds: Cmd[] = [];
    for (let i = 0; i < 400; i++) {
      const k = pick(keys);
      const g = r();
      if (g < 0.2) cmds.push(["SETBIT", k, String(Math.floor(r() * 120)), pick(["0", "1"])]);
      else if (g < 0.3) cmds.push(["GETBIT", k, String(Math.floor(r() * 130))]);
      else if (g < 0.42) cmds.push(["BITCOUNT", k, ...pick([[], [n(20), n(20)], [n(130), n(130), "BIT"], [n(20), n(20), "BYTE"]])]);
      else if (g < 0.56) cmds.push(["BITPOS", k, pick(["0", "1"]), ...pick([[], [n(20)], [n(20), n(20)], [n(130), n(130), "BIT"], [n(130)]])]);
      else if (g < 0.66) cmds.push(["BITOP", pick(["AND", "OR", "XOR"]), pick(keys), k, pick(keys)]);
      else if (g < 0.7) cmds.push(["BITOP", "NOT", pick(keys), k]);
      else if (g < 0.85) cmds.push(["BITFIELD", k, "OVERFLOW", pick(["WRAP", "SAT", "FAIL"]), pick(["SET", "INCRBY"]), pick(["u8", "i8", "u3", "i13", "i64", "u63"]), n(100), n(1000)]);
      else if (g < 0.9) cmds.push(["SET", k, pick(["", "abc", "123", "\xff\x00\xf0"])]);
      else if (g < 0.95) cmds.push(["GET", k]);
      else cmds.push(["APPEND", k, pick(["x", "\x00", "99"])]);
    }
    await d.same(cmds, { protos: [seed % 2 === 0 ? 2 : 3] });
  }
});
