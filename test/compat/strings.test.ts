// String commands compared byte for byte with redis-server (RESP2 and RESP3): every option,
// error path and encoding transition, keyspace events and hit/miss counters, and a seeded
// random sequence over the whole family.
import { beforeAll, describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { samePropagation } from "../helpers/replication.ts";
import { sameEvents, sameHitsAndMisses } from "../helpers/keyspace.ts";

const d = useDiffer();
/** A command template that creates a non-string key on both servers (null: none exists yet). */
let makeOther: ((key: string) => string) | null = null;

beforeAll(async () => {
  const c = await RespConn.connect(d.aikv.port);
  for (const [cmd, tpl] of [
    ["LPUSH", (k: string) => `LPUSH ${k} x`],
    ["SADD", (k: string) => `SADD ${k} x`],
    ["HSET", (k: string) => `HSET ${k} f v`],
    ["ZADD", (k: string) => `ZADD ${k} 1 x`],
  ] as [string, (k: string) => string][]) {
    const args = tpl("__probe").split(" ");
    if (!(await c.call(...args)).startsWith("-ERR unknown command")) {
      makeOther = tpl;
      await c.call("DEL", "__probe");
      void cmd;
      break;
    }
  }
  c.close();
});

/** Replaces {OTHER k} with the command that makes k a non-string key. */
function withOther(script: string): string {
  return script.replace(/\{OTHER (\S+)\}/g, (_m, k: string) => makeOther!(k));
}

describe("GET / SET", () => {
  test("plain values, binary and empty", async () => {
    await d.same([
      ["SET", "k", "hello"],
      ["GET", "k"],
      ["GET", "missing"],
      ["SET", "bin", "a\x00b\r\n\xff"],
      ["GET", "bin"],
      ["SET", "", ""],
      ["GET", ""],
      ["SET", "big", "x".repeat(100000)],
      ["GET", "big"],
      ["OBJECT", "ENCODING", "big"],
      ["SET", "n", "12345"],
      ["OBJECT", "ENCODING", "n"],
      ["SET", "s", "x".repeat(44)],
      ["OBJECT", "ENCODING", "s"],
      ["SET", "s", "x".repeat(45)],
      ["OBJECT", "ENCODING", "s"],
      ["SET", "i", "-9223372036854775808"],
      ["OBJECT", "ENCODING", "i"],
      ["SET", "i", "9223372036854775808"],
      ["OBJECT", "ENCODING", "i"],
      ["SET", "i", "01"],
      ["OBJECT", "ENCODING", "i"],
      ["SET", "i", "-0"],
      ["OBJECT", "ENCODING", "i"],
    ]);
  });

  test("NX XX GET KEEPTTL and expire options", async () => {
    await d.same(`
      SET k v NX
      SET k v2 NX
      GET k
      SET k v3 XX
      GET k
      SET missing v XX
      EXISTS missing
      SET k v4 GET
      SET k2 v GET
      SET k v5 NX GET
      SET k3 v NX GET
      GET k3
      SET k4 v XX GET
      EXISTS k4
      SET k v6 XX GET
      SET k v ex 100
      TTL k
      SET k v2 KEEPTTL
      TTL k
      GET k
      SET k v3
      TTL k
      SET k v PX 100000
      TTL k
      SET k v EXAT 4102444800
      EXPIRETIME k
      SET k v PXAT 4102444800123
      PEXPIRETIME k
      SET k v EX 10 EX 200
      TTL k
      SET k v PX 5000 PX 300000
      TTL k
      SET k v NX NX
      SET k v XX XX GET GET
      SET k v eX 100 kEePtTl
      SET k v KEEPTTL EX 100
      SET k v KEEPTTL KEEPTTL
      SET k v NX XX
      SET k v XX NX
      SET k v EX 10 PX 100
      SET k v PX 10 EX 100
      SET k v EX 10 EXAT 100
      SET k v EXAT 10 PXAT 100
      SET k v PXAT 10 EX 100
      SET k v EX
      SET k v PX
      SET k v EXAT
      SET k v PXAT
      SET k v PERSIST
      SET k v FOO
      SET k v EX 100 FOO
      SET k v EX 0
      SET k v EX -1
      SET k v PX 0
      SET k v PX -100
      SET k v EXAT 0
      SET k v PXAT -1
      SET k v EX abc
      SET k v EX 1.5
      SET k v EX " 10"
      SET k v EX 9223372036854775807
      SET k v EX 9223372036854776
      SET k v EX 9223372036854775
      SET k v PX 9223372036854775807
      SET k v EXAT 9223372036854775
      SET k v EXAT 9223372036854776
      SET k v EX 99999999999999999999
      SET k v NX EX 100
      SET k v2 NX GET EX 100
      GET k
      SET gone v EXAT 1
      GET gone
      SET gone v PXAT 1 GET
      EXISTS gone
    `);
  });

  test("SET GET against the wrong type, and errors before any change", async () => {
    if (makeOther === null) return;
    await d.same(
      withOther(`
        {OTHER l}
        SET l v GET
        TYPE l
        SET l v NX GET
        SET l v EX 0 GET
        SET l v XX
        TYPE l
        GET l
        SET l v
        GET l
      `),
    );
  });

  test("SETNX SETEX PSETEX", async () => {
    await d.same(`
      SETNX k v
      SETNX k v2
      GET k
      SETEX k 100 v3
      GET k
      TTL k
      SETEX k 0 v
      SETEX k -1 v
      SETEX k abc v
      SETEX k 9223372036854776 v
      SETEX k2 10
      PSETEX k 100000 v4
      TTL k
      PSETEX k 0 v
      PSETEX k -5 v
      PSETEX k 1.5 v
      PSETEX k 9223372036854775807 v
      GET k
      SETEX n 100 12345
      OBJECT ENCODING n
    `);
  });

  test("MGET MSET MSETNX", async () => {
    await d.same(`
      MSET a 1 b 2 c 3
      MGET a b c missing
      MSET a
      MSET a 1 b
      MSETNX a 1 d 4
      EXISTS d
      MSETNX d 4 e 5
      MGET d e
      MSETNX f 1 f 2
      GET f
      MSET x 1 x 2
      GET x
      MSET a 10 b 20
      MGET a b
      OBJECT ENCODING a
    `);
    if (makeOther === null) return;
    await d.same(
      withOther(`
        {OTHER l}
        SET s v
        MGET s l missing
        MSETNX l 1 n 2
        MSET l 1
        GET l
      `),
    );
  });
});

describe("GETSET GETDEL GETEX", () => {
  test("GETSET and GETDEL", async () => {
    await d.same(`
      GETSET k v
      GETSET k v2
      GET k
      SET k v EX 100
      GETSET k v3
      TTL k
      GETDEL k
      GETDEL k
      EXISTS k
      SET n 123
      GETSET n 456
      OBJECT ENCODING n
    `);
    if (makeOther === null) return;
    await d.same(
      withOther(`
        {OTHER l}
        GETSET l v
        GETDEL l
        TYPE l
      `),
    );
  });

  test("GETEX options and errors", async () => {
    await d.same(`
      GETEX missing
      GETEX missing EX 100
      GETEX missing EX 0
      GETEX missing EX abc
      GETEX missing FOO
      SET k v
      GETEX k
      TTL k
      GETEX k EX 100
      TTL k
      GETEX k PX 200000
      TTL k
      GETEX k EXAT 4102444800
      EXPIRETIME k
      GETEX k PXAT 4102444800999
      PEXPIRETIME k
      GETEX k PERSIST
      TTL k
      GETEX k PERSIST
      GETEX k EX 0
      GETEX k EX -10
      GETEX k PX 0
      GETEX k EXAT -1
      GETEX k EX abc
      GETEX k EX 9223372036854776
      GETEX k EX
      GETEX k PERSIST EX 10
      GETEX k EX 10 PERSIST
      GETEX k KEEPTTL
      GETEX k NX
      GETEX k GET
      GETEX k EX 10 PX 10
      GETEX k EX 10 EX 20
      TTL k
      GETEX k PERSIST PERSIST
      TTL k
      GETEX k EXAT 1
      EXISTS k
      SET k v
      GETEX k PXAT 1
      EXISTS k
    `);
    if (makeOther === null) return;
    await d.same(
      withOther(`
        {OTHER l}
        GETEX l
        GETEX l EX 0
        GETEX l FOO
      `),
    );
  });
});

describe("APPEND STRLEN GETRANGE SETRANGE", () => {
  test("APPEND and STRLEN with encodings", async () => {
    await d.same(`
      APPEND k hello
      OBJECT ENCODING k
      APPEND k " world"
      GET k
      STRLEN k
      OBJECT ENCODING k
      APPEND n 123
      OBJECT ENCODING n
      APPEND n ""
      OBJECT ENCODING n
      GET n
      INCR n
      OBJECT ENCODING n
      APPEND e ""
      EXISTS e
      STRLEN e
      STRLEN missing
      SET i 12345
      STRLEN i
      SET k v EX 100
      APPEND k x
      TTL k
    `);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nAPPEND l x\nSTRLEN l`));
  });

  test("GETRANGE and SUBSTR ranges", async () => {
    const cmds: Cmd[] = [["SET", "s", "This is a string"], ["SET", "n", "1234567890"], ["SET", "e", ""]];
    const idx = ["0", "1", "3", "-1", "-3", "-100", "100", "15", "16", "-16", "-17", "9223372036854775807", "-9223372036854775808"];
    for (const k of ["s", "n", "e", "missing"]) {
      for (const a of idx) for (const b of idx) cmds.push(["GETRANGE", k, a, b]);
    }
    cmds.push(["SUBSTR", "s", "0", "3"], ["SUBSTR", "s", "-3", "-1"], ["GETRANGE", "s", "a", "1"], ["GETRANGE", "s", "0", "b"]);
    cmds.push(["GETRANGE", "missing", "x", "1"], ["GETRANGE", "s", "1.5", "2"]);
    cmds.push(["APPEND", "s", "!"], ["GETRANGE", "s", "-5", "-1"]);
    await d.same(cmds);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nGETRANGE l 0 1\nGETRANGE l a b`));
  });

  test("SETRANGE padding, empty values, errors, limits", async () => {
    await d.same(`
      SETRANGE k 0 hello
      OBJECT ENCODING k
      SETRANGE k 6 world
      GET k
      SETRANGE k 2 XX
      GET k
      SETRANGE new 5 x
      GET new
      SETRANGE empty 10 ""
      EXISTS empty
      SETRANGE k 100 ""
      STRLEN k
      SETRANGE k -1 x
      SETRANGE k abc x
      SETRANGE k 9223372036854775807 x
      SETRANGE k 536870912 x
      SETRANGE k 536870911 ""
      SET n 12345
      SETRANGE n 1 9
      GET n
      OBJECT ENCODING n
      SET t v EX 100
      SETRANGE t 3 x
      TTL t
      SETRANGE t 9223372036854775808 x
    `);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nSETRANGE l 0 x\nSETRANGE l 0 ""\nSETRANGE l -1 x`));
  });

  test("proto-max-bulk-len limits APPEND and SETRANGE", async () => {
    const cfg = (v: string) => [["CONFIG", "SET", "proto-max-bulk-len", v]] as Cmd[];
    try {
      await d.same([
        ...cfg("1mb"),
        ["SETRANGE", "k", "1048575", "x"],
        ["SETRANGE", "k", "1048576", "x"],
        ["SETRANGE", "k", "1048575", "xy"],
        ["STRLEN", "k"],
        ["APPEND", "k", "y"],
        ["SETBIT", "b", String(1048576 * 8 - 1), "1"],
        ["SETBIT", "b", String(1048576 * 8), "1"],
        ["GETBIT", "b", String(1048576 * 8)],
        ["BITFIELD", "b", "GET", "u8", String(1048576 * 8)],
        ["BITFIELD", "b", "SET", "u8", "#1048576", "1"],
      ]);
    } finally {
      for (const p of [2, 3] as const) await d.run(cfg("512mb"), p, false);
    }
  });
});

describe("counters", () => {
  test("INCR DECR INCRBY DECRBY", async () => {
    await d.same(`
      INCR k
      INCR k
      DECR k
      DECR k
      DECR k
      INCRBY k 100
      DECRBY k 50
      INCRBY k -1000
      DECRBY k -1000
      INCRBY k abc
      INCRBY k 1.5
      INCRBY k 9223372036854775808
      DECRBY k -9223372036854775808
      DECRBY k -9223372036854775807
      SET m 9223372036854775807
      INCR m
      INCRBY m 0
      DECR m
      GET m
      INCRBY m 1
      SET m -9223372036854775808
      DECR m
      INCRBY m -1
      INCR m
      GET m
      SET big 9007199254740993
      INCR big
      INCRBY big 9007199254740993
      DECRBY big 18014398509481987
      SET big2 -9007199254740992
      INCRBY big2 -9007199254740992
      SET big3 9223372036854775800
      INCRBY big3 -9223372036854775800
      SET s abc
      INCR s
      SET s " 1"
      INCR s
      SET s "1 "
      INCR s
      SET s +1
      INCR s
      SET s 01
      INCR s
      SET s -0
      INCR s
      SET s ""
      INCR s
      SET s 12345678901234567890
      INCR s
      SET t 10 EX 100
      INCR t
      TTL t
      OBJECT ENCODING t
      APPEND t 5
      OBJECT ENCODING t
      INCRBY t 5
      OBJECT ENCODING t
      GET t
    `);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nINCR l\nDECRBY l 1\nINCRBY l x\nDECRBY l -9223372036854775808`));
  });

  test("INCRBYFLOAT", async () => {
    await d.same(`
      INCRBYFLOAT k 0.1
      INCRBYFLOAT k 0.2
      SET k 10.5
      INCRBYFLOAT k 0.1
      INCRBYFLOAT k -5.0e3
      INCRBYFLOAT k 5.0e3
      OBJECT ENCODING k
      SET k 3.0
      INCRBYFLOAT k 1
      OBJECT ENCODING k
      INCRBYFLOAT k 1e300
      OBJECT ENCODING k
      STRLEN k
      INCRBYFLOAT k -1e300
      INCRBYFLOAT k abc
      INCRBYFLOAT k ""
      INCRBYFLOAT k " 1"
      INCRBYFLOAT k "1 "
      INCRBYFLOAT k nan
      INCRBYFLOAT k inf
      INCRBYFLOAT k -inf
      INCRBYFLOAT k 1e5000
      INCRBYFLOAT k 1e-5000
      INCRBYFLOAT k 0x10
      INCRBYFLOAT k .5
      INCRBYFLOAT k 5.
      INCRBYFLOAT k +1.5e+2
      SET s abc
      INCRBYFLOAT s 1
      SET s inf
      INCRBYFLOAT s 1
      INCRBYFLOAT s -inf
      SET s 9223372036854775807
      INCRBYFLOAT s 1
      SET s 1.18973149535723176502e+4932
      INCRBYFLOAT s 1e4932
      INCRBYFLOAT s 1
      SET t 1 EX 100
      INCRBYFLOAT t 1.5
      TTL t
      SET u 5
      INCRBYFLOAT u 0
      OBJECT ENCODING u
      APPEND u 1
      OBJECT ENCODING u
      INCRBYFLOAT u 0.5
      OBJECT ENCODING u
    `);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nINCRBYFLOAT l 1\nINCRBYFLOAT l abc`));
  });
});

describe("LCS", () => {
  test("all options", async () => {
    await d.same(`
      MSET key1 ohmytext key2 mynewtext
      LCS key1 key2
      LCS key1 key2 LEN
      LCS key1 key2 IDX
      LCS key1 key2 IDX MINMATCHLEN 4
      LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
      LCS key1 key2 IDX WITHMATCHLEN
      LCS key1 key2 WITHMATCHLEN
      LCS key1 key2 MINMATCHLEN 2
      LCS key1 key2 MINMATCHLEN -5 IDX
      LCS key1 key2 LEN IDX
      LCS key1 key2 IDX LEN
      LCS key1 key2 MINMATCHLEN
      LCS key1 key2 MINMATCHLEN abc
      LCS key1 key2 FOO
      LCS key1 missing
      LCS missing key1 IDX
      LCS missing missing2 LEN
      LCS key1 key1 IDX WITHMATCHLEN
      MSET a abcdefgabcdefg b gfedcbagfedcba
      LCS a b IDX WITHMATCHLEN
      MSET a 1234567890 b 0987654321
      LCS a b
      LCS a b IDX WITHMATCHLEN
      MSET a "" b ""
      LCS a b IDX
      LCS a b
    `);
    if (makeOther === null) return;
    await d.same(withOther(`{OTHER l}\nSET s x\nLCS s l\nLCS l s\nLCS l missing FOO`));
  });

  test("random strings", async () => {
    const r = prng(99);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 40; i++) {
      const alpha = "abcd".slice(0, 2 + Math.floor(r() * 3));
      const mk = () => Array.from({ length: Math.floor(r() * 40) }, () => alpha[Math.floor(r() * alpha.length)]).join("");
      cmds.push(["MSET", "a", mk(), "b", mk()], ["LCS", "a", "b"], ["LCS", "a", "b", "IDX", "WITHMATCHLEN"], ["LCS", "b", "a", "IDX", "MINMATCHLEN", "2"]);
    }
    await d.same(cmds);
  });

  test("transient memory limit", async () => {
    await d.same([
      ["SETRANGE", "a", "12000", "x"],
      ["SETRANGE", "b", "12000", "y"],
      ["LCS", "a", "b", "LEN"],
    ]);
  });
});

/** Keyspace hit/miss counters after a sequence (both servers count lookups the same way). */
describe("keyspace stats and events", () => {
  test("hits and misses", async () => {
    const script: Cmd[] = [
      ["SET", "a", "1"], ["GET", "a"], ["GET", "b"], ["MGET", "a", "b", "c"], ["STRLEN", "a"], ["STRLEN", "z"],
      ["GETRANGE", "a", "0", "1"], ["GETRANGE", "z", "0", "1"], ["SET", "a", "2", "GET"], ["SET", "q", "2", "GET"],
      ["GETSET", "a", "3"], ["GETDEL", "q"], ["GETDEL", "zz"], ["GETEX", "a"], ["GETEX", "zz"], ["INCR", "a"],
      ["APPEND", "a", "x"], ["SETRANGE", "a", "0", "y"], ["INCRBYFLOAT", "f", "1"], ["LCS", "a", "f"], ["LCS", "a", "nope"],
      ["SETNX", "a", "1"], ["MSETNX", "a", "1"],
    ];
    await sameHitsAndMisses(d, script, [2, 3]);
  });

  test("keyspace notifications", async () => {
    const probe = await RespConn.connect(d.aikv.port);
    const hasPubsub = !(await probe.call("PSUBSCRIBE", "x")).startsWith("-ERR unknown command");
    probe.close();
    if (!hasPubsub) return;
    const script: Cmd[] = [
      ["SET", "a", "1"], ["SET", "a", "2", "EX", "100"], ["SET", "a", "3", "NX"], ["SET", "b", "1", "XX"], ["SETNX", "c", "1"],
      ["SETEX", "c", "100", "x"], ["PSETEX", "c", "100000", "y"], ["MSET", "d", "1", "e", "2"], ["MSETNX", "f", "1", "g", "2"],
      ["GETSET", "a", "x"], ["GETDEL", "a"], ["GETDEL", "a"], ["SET", "a", "1"], ["GETEX", "a", "EX", "100"], ["GETEX", "a", "PERSIST"],
      ["GETEX", "a", "PERSIST"], ["GETEX", "a", "EXAT", "1"], ["APPEND", "h", "x"], ["APPEND", "h", ""], ["INCR", "i"], ["DECRBY", "i", "5"],
      ["INCRBYFLOAT", "i", "1.5"], ["SETRANGE", "j", "3", "x"], ["SETRANGE", "j", "3", ""], ["INCR", "h"],
    ];
    await sameEvents(d, "KEA", script);
  });
});

test("random sequences over the string family", async () => {
  for (const seed of [1, 2, 3]) {
    const r = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
    const keys = ["a", "b", "c", "n", "f"];
    const vals = () =>
      pick(["", "0", "1", "-1", "42", "9223372036854775807", "-9223372036854775808", "3.5", "-0.25", "1e3", "abc", "hello world", "x".repeat(50), "\x00\xff", String(Math.floor(r() * 1000))]);
    const num = () => pick(["0", "1", "-1", "2", "-3", "100", "-100", "1000000", "abc", "9223372036854775807", "1.5"]);
    const flt = () => pick(["0.1", "-0.1", "1.5", "1e3", "-2.5e-3", "abc", "3", "0.000001", "inf"]);
    const cmds: Cmd[] = [];
    for (let i = 0; i < 400; i++) {
      const k = pick(keys);
      const k2 = pick(keys);
      const g = r();
      if (g < 0.1) cmds.push(["SET", k, vals(), ...pick([[], ["NX"], ["XX"], ["GET"], ["KEEPTTL"], ["EX", "100"], ["PX", "100000", "GET"], ["XX", "GET"]])]);
      else if (g < 0.2) cmds.push(["GET", k]);
      else if (g < 0.25) cmds.push(["MSET", k, vals(), k2, vals()]);
      else if (g < 0.28) cmds.push(["MSETNX", k, vals(), k2, vals()]);
      else if (g < 0.32) cmds.push(["MGET", k, k2, "zz"]);
      else if (g < 0.36) cmds.push(["APPEND", k, vals()]);
      else if (g < 0.4) cmds.push(["STRLEN", k]);
      else if (g < 0.48) cmds.push([pick(["INCR", "DECR"]), k]);
      else if (g < 0.54) cmds.push([pick(["INCRBY", "DECRBY"]), k, num()]);
      else if (g < 0.6) cmds.push(["INCRBYFLOAT", k, flt()]);
      else if (g < 0.66) cmds.push(["GETRANGE", k, pick(["0", "1", "-1", "-5", "10"]), pick(["0", "2", "-1", "-3", "100"])]);
      else if (g < 0.72) cmds.push(["SETRANGE", k, pick(["0", "1", "3", "10", "60"]), pick(["", "x", "yz", "12"])]);
      else if (g < 0.76) cmds.push(["GETSET", k, vals()]);
      else if (g < 0.8) cmds.push(["GETDEL", k]);
      else if (g < 0.84) cmds.push(["GETEX", k, ...pick([[], ["PERSIST"], ["EX", "100"], ["PX", "0"]])]);
      else if (g < 0.88) cmds.push(["SETNX", k, vals()]);
      else if (g < 0.9) cmds.push(["SETEX", k, pick(["100", "0", "x"]), vals()]);
      else if (g < 0.94) cmds.push(["LCS", k, k2, ...pick([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"]])]);
      else if (g < 0.97) cmds.push(["OBJECT", "ENCODING", k]);
      else cmds.push(["TTL", k]);
    }
    await d.same(cmds, { protos: [seed % 2 === 0 ? 2 : 3] });
  }
});

/**
 * What the string commands propagate (to the WAL and replicas), compared with what a real
 * redis-server replica receives from its master (seen through MONITOR on the replica).
 * AiKv's stream is captured in-process from the propagation hook.
 */
describe("propagation", () => {
  test("effects match a redis-server replica's stream", async () => {
    const script: Cmd[] = [
      ["SET", "k", "v", "EX", "100"], ["SET", "k", "v", "PX", "100000", "NX"], ["SET", "k", "v2", "XX", "GET", "KEEPTTL"],
      ["SET", "k", "v3", "GET"], ["SET", "k", "v4", "GET", "EXAT", "99999999999"], ["SET", "k", "v5", "get", "Get"],
      ["SETEX", "k", "100", "v"], ["PSETEX", "k", "100000", "v"], ["GETEX", "k", "EX", "100"], ["GETEX", "k", "PXAT", "99999999999000"],
      ["GETEX", "k", "EXAT", "99999999999"], ["GETEX", "k", "PX", "5000"], ["GETEX", "k", "PERSIST"], ["GETEX", "k", "PERSIST"], ["GETEX", "k"],
      ["GETEX", "k", "PXAT", "1"], ["SET", "n", "1.5"], ["INCRBYFLOAT", "n", "1"], ["INCRBYFLOAT", "n", "0.1"], ["GETSET", "n", "5"],
      ["GETDEL", "n"], ["GETDEL", "n"], ["SETNX", "z", "1"], ["SETNX", "z", "1"], ["MSET", "a", "1", "b", "2"], ["MSETNX", "a", "1"],
      ["MSETNX", "c", "1", "d", "2"], ["SET", "g", "v", "NX", "GET"], ["SET", "g", "v", "NX", "GET"], ["APPEND", "g", "x"], ["INCR", "i"],
      ["DECRBY", "i", "3"], ["SETRANGE", "g", "1", "yy"], ["SETRANGE", "g", "1", ""], ["SET", "w", "1", "XX"],
      ["SETBIT", "b", "1", "1"], ["SETBIT", "b", "1", "1"], ["BITFIELD", "b", "SET", "u8", "0", "255"], ["BITFIELD", "b", "GET", "u8", "0"],
      ["BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1"], ["BITOP", "NOT", "c", "b"], ["BITOP", "AND", "c", "nothing"],
      ["GET", "a"], ["LCS", "a", "b"],
    ];
    const norm = (args: string[]) => args.map((x) => (/^1\d{12}$/.test(x) ? "<now-ms>" : x)).join(" ");

    expect((await samePropagation(d, script, { line: norm, fake: true })).length).toBeGreaterThan(25);
  }, 30000);
});
