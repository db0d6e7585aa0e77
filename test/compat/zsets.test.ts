// Sorted set commands, compared byte for byte with redis-server (RESP2 and RESP3), plus
// seeded random sequences and property checks for the random commands.
import { describe, expect, test } from "bun:test";
import { parseScript, useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { samePropagation } from "../helpers/replication.ts";
import { sameEvents, dumpRestoresOnBoth } from "../helpers/keyspace.ts";

const d = useDiffer();

describe("zadd / zincrby / zrem / point reads", () => {
  test("options, errors, scores", async () => {
    await d.same(`
      ZADD z 1 a
      ZADD z NX 2 a 3 b
      ZADD z XX 5 a 6 c
      ZADD z XX CH 5 a 7 b
      ZADD z CH 1 a 1 b 9 d
      ZADD z GT CH 0 a 10 b
      ZADD z LT CH 0 a 100 b
      ZADD z GT XX CH 200 b 300 new
      ZADD z INCR 5 a
      ZADD z INCR NX 5 a
      ZADD z INCR XX 5 nope
      ZADD z INCR GT -1 a
      ZADD z INCR LT -1 a
      ZADD z incr gt 1 a
      ZADD z nx xx 1 a
      ZADD z lt gt 1 a
      ZADD z nx gt 1 a
      ZADD z nx lt incr 1 a
      ZADD z nx xx 1 a 2
      ZADD z incr 1 a 2 b
      ZADD z 1 a 2
      ZADD z ch
      ZADD z x a
      ZADD z 1 a x b
      ZADD z nan a
      ZADD z " 1" a
      ZADD z "1 " a
      ZADD z "" a
      ZADD z 0x10 hex
      ZADD z 1e400 big
      ZADD z 1e-400 small
      ZADD z -1e-320 tiny
      ZADD z -inf ninf +inf pinf
      ZADD z 1.1 f1 0.1 f2 1e17 f3 123456789012345678 f4 -2.5e-5 f5 3.0000000000000004 f6
      ZRANGE z 0 -1 WITHSCORES
      ZADD nokey XX 1 a
      ZADD nokey XX INCR 1 a
      EXISTS nokey
      ZADD z INCR inf a
      ZADD z INCR -inf a
      ZSCORE z a
      ZINCRBY z 1.5 f1
      ZINCRBY z x a
      ZINCRBY z nan a
      ZINCRBY z 1 newm
      ZINCRBY z 0 newm
      ZINCRBY z -inf pinf
      ZINCRBY z inf ninf
      ZINCRBY nz 2.5 m
      ZSCORE z pinf
      ZSCORE z nope
      ZSCORE nokey a
      ZMSCORE z a nope f1
      ZMSCORE nokey a b
      ZCARD z
      ZCARD nokey
      ZREM z a nope f1
      ZREM nokey a
      ZREM z hex ninf pinf f2 f3 f4 f5 f6 newm new b c d small tiny
      ZRANGE z 0 -1 WITHSCORES
      ZREM z f1
      EXISTS z
    `);
  });

  test("negative zero in both encodings", async () => {
    await d.same(`
      ZADD lp -0 a
      ZSCORE lp a
      ZINCRBY lp -0 b
      ZSCORE lp b
      ZADD lp INCR -0 c
      ZSCAN lp 0
      CONFIG SET zset-max-listpack-entries 0
      ZADD sk -0 a 1 b 2 c
      ZSCORE sk a
      ZINCRBY sk -0 a
      ZSCAN sk 0 MATCH a
      ZUNION 1 sk WITHSCORES
      CONFIG SET zset-max-listpack-entries 2
      ZRANGESTORE d1 sk 0 -1
      ZSCORE d1 a
      ZRANGESTORE d2 sk -inf inf BYSCORE
      ZSCORE d2 a
      ZRANGESTORE d3 sk 0 1
      ZSCORE d3 a
      ZRANGESTORE d4 sk 2 0 REV
      ZSCORE d4 a
      ZUNIONSTORE d5 1 sk
      ZSCORE d5 a
      ZREM sk c
      ZUNIONSTORE d6 1 sk
      ZSCORE d6 a
      ZUNIONSTORE d7 1 sk WEIGHTS -1
      ZSCORE d7 b
      CONFIG SET zset-max-listpack-entries 128
    `);
  });

  test("WRONGTYPE everywhere", async () => {
    await d.same(`
      SET str x
      ZADD str 1 a
      ZINCRBY str 1 a
      ZREM str a
      ZSCORE str a
      ZMSCORE str a
      ZCARD str
      ZCOUNT str 0 1
      ZLEXCOUNT str - +
      ZRANK str a
      ZREVRANK str a
      ZRANGE str 0 1
      ZRANGESTORE d str 0 1
      ZRANGESTORE str nokey 0 1
      GET str
      SET str x
      ZREMRANGEBYRANK str 0 1
      ZREMRANGEBYSCORE str 0 1
      ZREMRANGEBYLEX str - +
      ZRANDMEMBER str
      ZRANDMEMBER str 1
      ZSCAN str 0
      ZPOPMAX str
      ZPOPMIN str 0
      ZMPOP 1 str MIN
      ZUNION 1 str
      ZINTER 1 str
      ZDIFF 1 str
      ZINTERCARD 1 str
      ZUNIONSTORE d 1 str
      ZADD z 1 a
      ZUNIONSTORE str 1 z
      TYPE str
    `);
  });
});

describe("counts and ranks", () => {
  test("zcount zlexcount zrank zrevrank", async () => {
    await d.same(`
      ZADD r 1 a 2 b 2 c 3 d 4 e 5 f -inf g +inf h
      ZCOUNT r 2 3
      ZCOUNT r (2 3
      ZCOUNT r (2 (2
      ZCOUNT r 2 2
      ZCOUNT r 5 1
      ZCOUNT r -inf +inf
      ZCOUNT r (-inf (+inf
      ZCOUNT r x 1
      ZCOUNT r 1 (
      ZCOUNT r "" ""
      ZCOUNT r " 2" 0x3
      ZCOUNT r 1e400 inf
      ZCOUNT r nan 1
      ZCOUNT r "(nan" 1
      ZCOUNT r "1 " 2
      ZCOUNT nokey 0 1
      ZCOUNT nokey x 1
      ZRANK r c
      ZREVRANK r c
      ZRANK r g
      ZREVRANK r h
      ZRANK r zz
      ZREVRANK r zz
      ZRANK nokey a
      ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 "" 0 ab
      ZLEXCOUNT l - +
      ZLEXCOUNT l [b [d
      ZLEXCOUNT l (b (d
      ZLEXCOUNT l [d [b
      ZLEXCOUNT l + -
      ZLEXCOUNT l - -
      ZLEXCOUNT l + +
      ZLEXCOUNT l (a (a
      ZLEXCOUNT l [a [a
      ZLEXCOUNT l [a (ab
      ZLEXCOUNT l a b
      ZLEXCOUNT l [ [
      ZLEXCOUNT l ( +
      ZLEXCOUNT l -- +
      ZLEXCOUNT l - ++
      ZLEXCOUNT nokey - +
      ZLEXCOUNT nokey x +
    `);
  });
});

describe("zrange family", () => {
  test("ZRANGE options and errors", async () => {
    await d.same(`
      ZADD z 1 a 2 b 3 c 4 d 5 e
      ZRANGE z 0 -1
      ZRANGE z 0 -1 WITHSCORES
      ZRANGE z 0 -1 withscores withscores
      ZRANGE z 0 -1 LIMIT 0 1
      ZRANGE z - + BYLEX WITHSCORES
      ZRANGE z 0 -1 REV REV
      ZRANGE z 0 -1 BYSCORE BYLEX
      ZRANGE z 0 -1 LIMIT 0
      ZRANGE z 0 -1 LIMIT x 1
      ZRANGE z 0 -1 BYSCORE LIMIT x 1
      ZRANGE z 0 -1 BYSCORE LIMIT 1 x
      ZRANGE z a b
      ZRANGE z a b BYSCORE
      ZRANGE z a b BYLEX
      ZRANGE z -inf +inf BYSCORE LIMIT -1 2
      ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
      ZRANGE z -inf +inf BYSCORE LIMIT 1 -5
      ZRANGE z -inf +inf BYSCORE LIMIT 1 0
      ZRANGE z -inf +inf BYSCORE LIMIT 7 1
      ZRANGE z -inf +inf BYSCORE LIMIT 4 10
      ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2 WITHSCORES
      ZRANGE z (2 (5 BYSCORE WITHSCORES
      ZRANGE z (5 (2 BYSCORE REV
      ZRANGE z 5 2 BYSCORE
      ZRANGE nokey 0 -1
      ZRANGE nokey a b
      ZRANGE nokey 0 -1 BYSCORE
      ZRANGE z 0 -1 limit 0 1 byscore
      ZRANGE z 9223372036854775807 -9223372036854775808
      ZRANGE z 9223372036854775808 1
      ZRANGE z -100 100
      ZRANGE z -2 -1 REV WITHSCORES
      ZRANGE z 3 1
      ZRANGE z 5 10
      ZRANGE z -1 0
      ZRANGE z [b [d BYLEX REV
      ZRANGE z [d [b BYLEX REV
      ZRANGE z + - BYLEX REV LIMIT 0 2
      ZRANGE z - + BYLEX LIMIT 1 -1
    `);
  });

  test("legacy range commands", async () => {
    await d.same(`
      ZADD z 1 a 2 b 3 c 4 d 5 e
      ZRANGEBYSCORE z 0 10 REV
      ZRANGEBYSCORE z 0 10 BYSCORE
      ZRANGEBYSCORE z 0 10 WITHSCORES LIMIT 1 1
      ZRANGEBYSCORE z (1 5 LIMIT 1 2
      ZRANGEBYSCORE z x 5
      ZREVRANGEBYSCORE z 10 0 WITHSCORES LIMIT 1 1
      ZREVRANGEBYSCORE z (5 -inf
      ZREVRANGEBYSCORE z 0 10
      ZRANGEBYLEX z - + WITHSCORES
      ZRANGEBYLEX z - + LIMIT 1 2
      ZRANGEBYLEX z [a (c
      ZRANGEBYLEX z a c
      ZRANGEBYLEX z -a c
      ZRANGEBYLEX z - + BYLEX
      ZREVRANGEBYLEX z (c [a
      ZREVRANGEBYLEX z + - LIMIT 0 3
      ZREVRANGEBYLEX z [a [c
      ZREVRANGE z 0 1 WITHSCORES
      ZREVRANGE z 0 1 LIMIT 1 1
      ZREVRANGE z 0 1 REV
      ZREVRANGE z -3 -1
      ZREVRANGE nokey 0 1
    `);
  });

  test("ZRANGESTORE", async () => {
    await d.same(`
      ZADD z 1 a 2 b 3 c 4 d 5 e
      ZRANGESTORE dst z 0 -1 WITHSCORES
      ZRANGESTORE dst z 0 1 REV
      ZRANGE dst 0 -1 WITHSCORES
      ZRANGESTORE dst z (1 4 BYSCORE LIMIT 1 2
      ZRANGE dst 0 -1 WITHSCORES
      ZRANGESTORE dst z [b + BYLEX REV LIMIT 0 2
      ZRANGE dst 0 -1 WITHSCORES
      ZRANGESTORE dst z 10 20
      EXISTS dst
      ZRANGESTORE dst nokey 0 1
      ZRANGESTORE z z 1 2
      ZRANGE z 0 -1 WITHSCORES
      ZRANGESTORE dst z x 1
      ZRANGESTORE dst z 0 1 LIMIT 0 1
      OBJECT ENCODING z
    `);
  });
});

describe("zremrangeby*", () => {
  test("rank, score, lex", async () => {
    await d.same(`
      ZADD r 1 a 2 b 2 c 3 d 4 e 5 f
      ZREMRANGEBYRANK r 1 2
      ZRANGE r 0 -1 WITHSCORES
      ZREMRANGEBYRANK r 5 10
      ZREMRANGEBYRANK r 2 1
      ZREMRANGEBYRANK r -1 -1
      ZREMRANGEBYRANK r x 1
      ZREMRANGEBYRANK nokey x 1
      ZREMRANGEBYRANK nokey 0 1
      ZREMRANGEBYSCORE r (1 4
      ZREMRANGEBYSCORE r x 4
      ZREMRANGEBYSCORE nokey x 4
      ZREMRANGEBYSCORE r 5 1
      ZRANGE r 0 -1 WITHSCORES
      ZREMRANGEBYSCORE r -inf +inf
      EXISTS r
      ZADD l 0 a 0 b 0 c 0 d 0 e 0 f
      ZREMRANGEBYLEX l [b (d
      ZRANGE l 0 -1
      ZREMRANGEBYLEX l x y
      ZREMRANGEBYLEX l + -
      ZREMRANGEBYLEX l - +
      EXISTS l
    `);
  });
});

describe("pops and random members", () => {
  test("ZPOPMIN ZPOPMAX ZMPOP", async () => {
    await d.same(`
      ZADD z 1 a 2 b 3 c
      SET s x
      ZPOPMIN z abc
      ZPOPMIN z -1
      ZPOPMIN z 0
      ZPOPMIN nokey 0
      ZPOPMIN s 0
      ZPOPMIN s
      ZPOPMIN nokey
      ZPOPMIN nokey 2
      ZPOPMIN z 1 2
      ZPOPMIN z
      ZPOPMAX z 5
      EXISTS z
      ZADD z 1 a 2 b 3 c
      ZPOPMIN z 1
      ZPOPMAX z
      ZPOPMAX z 9223372036854775807
      ZADD z 1 a 2 b 3 c 4 d 5 e
      ZMPOP 0 z MIN
      ZMPOP x z MIN
      ZMPOP -1 z MIN
      ZMPOP 2 z MIN
      ZMPOP 1 z
      ZMPOP 1 z FOO
      ZMPOP 1 z MIN COUNT 0
      ZMPOP 1 z MIN COUNT x
      ZMPOP 1 z MIN COUNT -1
      ZMPOP 1 z MIN COUNT 1 COUNT 1
      ZMPOP 1 z MIN COUNT
      ZMPOP 1 z MIN FOO 1
      ZMPOP 1 nokey MIN
      ZMPOP 2 nokey s MIN
      ZMPOP 2 s nokey MIN
      ZMPOP 2 nokey z max
      ZMPOP 2 nokey z min count 2
      ZMPOP 2 nokey z max count 10
      ZMPOP 1 z min
      EXISTS z
    `);
  });

  test("ZRANDMEMBER errors and whole-set replies", async () => {
    await d.same(`
      ZRANDMEMBER nokey
      ZRANDMEMBER nokey 5
      ZRANDMEMBER nokey -5
      ZRANDMEMBER nokey 0 WITHSCORES
      ZADD z 1 a 2 b 3 c
      ZRANDMEMBER z x
      ZRANDMEMBER z -9223372036854775808
      ZRANDMEMBER z 5 withscores x
      ZRANDMEMBER z 5 foo
      ZRANDMEMBER z 9223372036854775807 withscores
      ZRANDMEMBER z -4611686018427387904 withscores
      ZRANDMEMBER z 4611686018427387904 withscores
      ZRANDMEMBER z 5 withscores
      ZRANDMEMBER z 3
      ZRANDMEMBER z 0
      ZRANDMEMBER z 0 withscores
      CONFIG SET zset-max-listpack-entries 0
      ZADD y 1 a 2 b 3 c 4 d 5 e
      ZRANDMEMBER y 5
      ZRANDMEMBER y 9 withscores
      CONFIG SET zset-max-listpack-entries 128
    `);
  });

  test("ZRANDMEMBER of the whole set (count >= size) is deterministic", async () => {
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(String(i % 17), `m${i}`);
    await d.same([
      ["ZADD", "z", ...args],
      ["ZRANDMEMBER", "z", "300"],
      ["ZRANDMEMBER", "z", "1000", "WITHSCORES"],
      ["OBJECT", "ENCODING", "z"],
    ]);
  });

  test("ZRANDMEMBER properties", async () => {
    const c = await RespConn.connect(d.aikv.port);
    await c.call("FLUSHALL");
    const members = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await c.call("ZADD", "z", ...members.flatMap((m, i) => [String(i), m]));
    const parse = (r: string) => r.split("\r\n").filter((l, i) => i > 0 && l && !l.startsWith("$") && !l.startsWith("*") && !l.startsWith(","));
    for (const proto of [2, 3]) {
      await c.call("HELLO", String(proto));
      const one = parse(await c.call("ZRANDMEMBER", "z"));
      expect(one.length).toBe(1);
      expect(members).toContain(one[0]);
      for (const count of [1, 10, 60, 100, 199]) {
        const r = parse(await c.call("ZRANDMEMBER", "z", String(count)));
        expect(r.length).toBe(count);
        expect(new Set(r).size).toBe(count);
        for (const m of r) expect(members).toContain(m);
      }
      const neg = parse(await c.call("ZRANDMEMBER", "z", "-500"));
      expect(neg.length).toBe(500);
      expect(new Set(neg).size).toBeLessThan(200);
      const ws = await c.call("ZRANDMEMBER", "z", "7", "WITHSCORES");
      if (proto === 2) expect(ws.startsWith("*14\r\n")).toBe(true);
      else expect(ws.startsWith("*7\r\n*2\r\n")).toBe(true);
      const nws = await c.call("ZRANDMEMBER", "z", "-3", "WITHSCORES");
      expect(nws.startsWith(proto === 2 ? "*6\r\n" : "*3\r\n*2\r\n")).toBe(true);
    }
    c.close();
  });
});

describe("set operations", () => {
  test("ZUNION ZINTER ZDIFF and their errors", async () => {
    await d.same(`
      ZADD a 0.1 x
      ZADD b 0.2 x 1 y
      ZADD c 0.3 x 1 y 2 z
      ZUNION 3 a b c WITHSCORES
      ZUNION 3 c b a WITHSCORES
      ZUNION 3 c a b WITHSCORES
      ZINTER 3 c b a WITHSCORES
      ZINTER 3 a b c
      ZADD d 0.3 x
      ZADD e 0.2 x
      ZADD f 0.1 x
      ZUNION 3 d e f WITHSCORES
      ZUNION 3 f e d WITHSCORES
      ZINTER 3 d e f WITHSCORES
      ZINTER 3 f e d WITHSCORES
      ZINTER 2 c c WITHSCORES
      ZINTER 3 c nokey c
      ZDIFF 2 c a WITHSCORES
      ZDIFF 2 a c WITHSCORES
      ZDIFF 3 c a b WITHSCORES
      ZDIFF 2 c c
      ZDIFF 2 nokey c
      ZDIFF 2 c nokey WITHSCORES
      ZUNION 0 a
      ZUNIONSTORE dst 0 a
      ZINTERCARD 0 a
      ZINTERCARD x a
      ZINTERCARD -1 a
      ZINTER 2 a
      ZINTERCARD 1 a LIMIT -1
      ZINTERCARD 1 a LIMIT x
      ZINTERCARD 1 a LIMIT 0
      ZINTERCARD 2 b c LIMIT 1
      ZINTERCARD 2 b c LIMIT 5
      ZINTERCARD 2 b c
      ZINTERCARD 2 b c LIMIT
      ZINTERCARD 1 a WITHSCORES
      ZDIFF 1 a WEIGHTS 1
      ZDIFF 1 a AGGREGATE SUM
      ZUNION 1 a WEIGHTS x
      ZUNION 1 a WEIGHTS nan
      ZUNION 1 a WEIGHTS
      ZUNION 2 a b WEIGHTS 1
      ZUNION 1 a AGGREGATE foo
      ZUNION 1 a AGGREGATE
      ZUNIONSTORE dst 1 a WITHSCORES
      ZUNION 1 a WITHSCORES WITHSCORES
      ZUNION 2 a b WEIGHTS 2 3 AGGREGATE max WITHSCORES
      ZUNION 2 a b WEIGHTS 2 3 AGGREGATE min WITHSCORES
      ZUNION 2 a b WEIGHTS 2 3 WEIGHTS 1 1 WITHSCORES
      ZUNION 2 a b WEIGHTS inf -inf WITHSCORES
      ZUNION 2 a b WEIGHTS 0 inf AGGREGATE MIN WITHSCORES
      ZINTER 2 a b WEIGHTS inf -inf WITHSCORES
      ZADD g inf x
      ZUNION 2 g a WEIGHTS 0 1 WITHSCORES
      ZINTER 2 g a WEIGHTS 0 1 WITHSCORES
      ZINTER 2 g a WEIGHTS 0 1 AGGREGATE MAX WITHSCORES
      ZINTER 2 g a WEIGHTS 0 1 AGGREGATE MIN WITHSCORES
      ZINTER 2 a g WEIGHTS 1 0 AGGREGATE MIN WITHSCORES
      SET str v
      ZUNION 2 a str
      ZUNION 1 -1
      ZUNION -1 a
      ZUNION 9223372036854775808 a
    `);
  });

  test("plain sets as inputs (members score 1)", async () => {
    await d.same(`
      SADD s1 a b c 1 2
      SADD s2 b c d
      SADD ints 3 1 2
      ZADD z 5 a 0.5 b 7 x
      ZUNION 2 s1 z WITHSCORES
      ZUNION 3 s1 s2 z WEIGHTS 2 3 0.5 WITHSCORES
      ZINTER 2 s1 z WITHSCORES
      ZINTER 2 z s1 AGGREGATE MAX WITHSCORES
      ZINTER 2 s1 s1 WITHSCORES
      ZINTER 3 s1 s2 z WITHSCORES
      ZDIFF 2 s1 z WITHSCORES
      ZDIFF 2 z s2 WITHSCORES
      ZDIFF 1 ints WITHSCORES
      ZINTERCARD 2 s1 s2
      ZINTERCARD 2 s1 s2 LIMIT 1
      ZUNIONSTORE dst 2 s1 ints
      ZRANGE dst 0 -1 WITHSCORES
      OBJECT ENCODING dst
      ZINTERSTORE dst 2 s1 s2
      ZRANGE dst 0 -1 WITHSCORES
      ZDIFFSTORE dst 2 s1 s2
      ZRANGE dst 0 -1 WITHSCORES
      LPUSH l a
      ZUNION 2 s1 l
      HSET h a 1
      ZINTER 2 h s1
    `);
  });

  test("STORE forms, encodings, events", async () => {
    await d.same(`
      ZADD a 1 x 2 y
      ZADD b 3 y 4 z
      ZUNIONSTORE u 2 a b
      ZRANGE u 0 -1 WITHSCORES
      OBJECT ENCODING u
      ZINTERSTORE i 2 a b WEIGHTS 2 1
      ZRANGE i 0 -1 WITHSCORES
      ZDIFFSTORE df 2 a b
      ZRANGE df 0 -1 WITHSCORES
      ZINTERSTORE i 2 a nokey
      EXISTS i
      ZDIFFSTORE a 2 a a
      EXISTS a
      ZUNIONSTORE b 2 b b AGGREGATE SUM
      ZRANGE b 0 -1 WITHSCORES
      CONFIG SET zset-max-listpack-entries 2
      ZADD w 1 a 2 b 3 c
      ZUNIONSTORE w2 1 w
      OBJECT ENCODING w2
      ZREM w c
      ZUNIONSTORE w3 1 w
      OBJECT ENCODING w3
      OBJECT ENCODING w
      CONFIG SET zset-max-listpack-value 3
      ZADD v 1 abcd
      OBJECT ENCODING v
      ZADD v2 1 ab
      OBJECT ENCODING v2
      ZADD v2 1 abcd
      OBJECT ENCODING v2
      ZINTERSTORE v3 1 v
      OBJECT ENCODING v3
      CONFIG SET zset-max-listpack-entries 128
      CONFIG SET zset-max-listpack-value 64
      SET k x
      EXPIRE k 100
      ZUNIONSTORE k 1 b
      TTL k
    `);
  });
});

describe("zscan", () => {
  test("small sets answer in one page", async () => {
    await d.same(`
      ZADD sc 1 a 2 b 3 c 1.5 ab
      ZSCAN sc 0
      ZSCAN sc 0 MATCH a*
      ZSCAN sc 0 MATCH * COUNT 1
      ZSCAN sc 0 COUNT 0
      ZSCAN sc 0 COUNT x
      ZSCAN sc x
      ZSCAN sc 0 FOO
      ZSCAN sc 0 MATCH
      ZSCAN sc 0 match a* match b*
      ZSCAN nokey 0 COUNT 0
      ZSCAN nokey x
      ZSCAN sc 18446744073709551615
      ZSCAN sc 18446744073709551616
      ZSCAN sc -1
      ZSCAN sc ""
      ZSCAN sc +1
      ZSCAN sc -
      ZSCAN sc " 1"
    `);
  });

  test("large sets: full iteration returns every member once", async () => {
    const c = await RespConn.connect(d.aikv.port);
    await c.call("FLUSHALL");
    const n = 1000;
    const args: string[] = [];
    for (let i = 0; i < n; i++) args.push(String(i / 4), `m${i}`);
    await c.call("ZADD", "big", ...args);
    expect(await c.call("OBJECT", "ENCODING", "big")).toBe("$8\r\nskiplist\r\n");
    const seen = new Map<string, string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const r = (await c.call("ZSCAN", "big", cursor, "COUNT", "37")).split("\r\n");
      cursor = r[2]!;
      const items = r.slice(4).filter((_, i) => i % 2 === 1);
      for (let i = 0; i + 1 < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
      rounds++;
    } while (cursor !== "0" && rounds < 1000);
    expect(seen.size).toBe(n);
    expect(seen.get("m6")).toBe("1.5");
    expect(seen.get("m8")).toBe("2");
    c.close();
  });
});

describe("encodings", () => {
  test("listpack to skiplist conversion is one-way", async () => {
    await d.same(`
      CONFIG SET zset-max-listpack-entries 3
      ZADD z 1 a 2 b 3 c
      OBJECT ENCODING z
      ZADD z NX 1 a 1 a
      OBJECT ENCODING z
      ZADD z 4 d
      OBJECT ENCODING z
      ZREM z a b c
      OBJECT ENCODING z
      ZADD n NX 1 a 1 a 1 a 1 a
      OBJECT ENCODING n
      CONFIG SET zset-max-listpack-entries 0
      ZADD e 1 a
      OBJECT ENCODING e
      CONFIG SET zset-max-listpack-entries 128
      CONFIG SET zset-max-listpack-value 4
      ZADD v 1 abcd
      OBJECT ENCODING v
      ZADD v 1 abcde
      OBJECT ENCODING v
      ZINCRBY w 1 abcdef
      OBJECT ENCODING w
      CONFIG SET zset-max-listpack-value 64
      TYPE z
    `);
  });
});

describe("keyspace events", () => {
  test("events match redis", async () => {
    const script = `
      ZADD z 1 a 2 b 3 c
      ZADD z 1 a
      ZADD z XX 5 nope
      ZADD z INCR 1 a
      ZINCRBY z 1 b
      ZREM z nope
      ZREM z a
      ZREMRANGEBYRANK z 0 0
      ZREMRANGEBYSCORE z -inf +inf
      ZADD l 0 a 0 b
      ZREMRANGEBYLEX l - +
      ZADD z 1 a 2 b 3 c
      ZPOPMIN z
      ZPOPMAX z 5
      ZADD z 1 a 2 b 3 c
      ZMPOP 1 z MAX COUNT 3
      ZADD z 1 a 2 b 3 c
      ZUNIONSTORE u 1 z
      ZINTERSTORE i 1 z
      ZDIFFSTORE df 1 z
      ZDIFFSTORE df 2 z z
      ZRANGESTORE rs z 0 1
      ZRANGESTORE rs z 5 6
      ZRANGESTORE rs z 5 6
      ZREM z a b c
    `;
    await sameEvents(d, "KEA", parseScript(script));
  });
});

// ---------------------------------------------------------------- randomized sequences

const MEMBERS = ["a", "b", "c", "d", "e", "f", "g", "h", "", "ab", "\x00x", "\xff", "A"];
const SCORES = ["0", "1", "-1", "1.5", "2", "0.1", "-3", "inf", "-inf", "+inf", "1e17", "3.3", "-0", "100", "2.5e-5"];
const BOUNDS = ["-inf", "+inf", "0", "1", "2", "(1", "(2", "1.5", "(0", "-1", "(-inf", "(inf", "100", "3.3"];
const LEXB = ["-", "+", "[a", "(a", "[b", "(c", "[d", "(e", "[", "(", "[ab", "(\xff"];

function genCommand(r: () => number): Cmd {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const zk = () => pick(["z1", "z2", "z3"]);
  const int = () => String(Math.floor(r() * 11) - 5);
  const x = r();
  if (x < 0.2) {
    const cmd: string[] = ["ZADD", zk()];
    for (const f of ["NX", "XX", "GT", "LT", "CH", "INCR"]) if (r() < 0.12) cmd.push(f);
    const pairs = 1 + Math.floor(r() * 3);
    for (let i = 0; i < pairs; i++) cmd.push(pick(SCORES), pick(MEMBERS));
    return cmd;
  }
  if (x < 0.25) return ["ZADD", "L", "0", pick(MEMBERS), "0", pick(MEMBERS)];
  if (x < 0.3) return ["ZINCRBY", zk(), pick(SCORES), pick(MEMBERS)];
  if (x < 0.35) return ["ZREM", zk(), pick(MEMBERS), pick(MEMBERS)];
  if (x < 0.45) {
    const kind = pick(["rank", "score", "lex"]);
    const rev = r() < 0.4;
    if (kind === "lex") {
      const cmd = ["ZRANGE", "L", pick(LEXB), pick(LEXB), "BYLEX"];
      if (rev) cmd.push("REV");
      if (r() < 0.4) cmd.push("LIMIT", int(), int());
      return cmd;
    }
    if (kind === "score") {
      const cmd = ["ZRANGE", zk(), pick(BOUNDS), pick(BOUNDS), "BYSCORE"];
      if (rev) cmd.push("REV");
      if (r() < 0.4) cmd.push("LIMIT", int(), int());
      if (r() < 0.5) cmd.push("WITHSCORES");
      return cmd;
    }
    const cmd = ["ZRANGE", zk(), int(), int()];
    if (rev) cmd.push("REV");
    if (r() < 0.5) cmd.push("WITHSCORES");
    return cmd;
  }
  if (x < 0.5) {
    const c = pick(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]);
    const cmd = [c, zk(), pick(BOUNDS), pick(BOUNDS)];
    if (r() < 0.5) cmd.push("WITHSCORES");
    if (r() < 0.3) cmd.push("LIMIT", int(), int());
    return cmd;
  }
  if (x < 0.53) return [pick(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), "L", pick(LEXB), pick(LEXB)];
  if (x < 0.58) return [pick(["ZCOUNT"]), zk(), pick(BOUNDS), pick(BOUNDS)];
  if (x < 0.6) return ["ZLEXCOUNT", "L", pick(LEXB), pick(LEXB)];
  if (x < 0.65) return [pick(["ZRANK", "ZREVRANK", "ZSCORE"]), zk(), pick(MEMBERS)];
  if (x < 0.67) return ["ZMSCORE", zk(), pick(MEMBERS), pick(MEMBERS)];
  if (x < 0.69) return ["ZCARD", zk()];
  if (x < 0.72) {
    const c = pick(["ZREMRANGEBYRANK", "ZREMRANGEBYSCORE", "ZREMRANGEBYLEX"]);
    if (c === "ZREMRANGEBYRANK") return [c, zk(), int(), int()];
    if (c === "ZREMRANGEBYSCORE") return [c, zk(), pick(BOUNDS), pick(BOUNDS)];
    return [c, "L", pick(LEXB), pick(LEXB)];
  }
  if (x < 0.76) {
    const cmd = [pick(["ZPOPMIN", "ZPOPMAX"]), zk()];
    if (r() < 0.5) cmd.push(String(Math.floor(r() * 4)));
    return cmd;
  }
  if (x < 0.78) {
    const cmd = ["ZMPOP", "2", zk(), zk(), pick(["MIN", "MAX"])];
    if (r() < 0.5) cmd.push("COUNT", String(1 + Math.floor(r() * 3)));
    return cmd;
  }
  if (x < 0.9) {
    const op = pick(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE", "ZINTERCARD"]);
    const n = 1 + Math.floor(r() * 3);
    const cmd: string[] = [op];
    if (op.endsWith("STORE")) cmd.push(pick(["z1", "z2", "z3", "dst"]));
    cmd.push(String(n));
    for (let i = 0; i < n; i++) cmd.push(zk());
    const isDiff = op.startsWith("ZDIFF");
    if (!isDiff && op !== "ZINTERCARD") {
      if (r() < 0.4) {
        cmd.push("WEIGHTS");
        for (let i = 0; i < n; i++) cmd.push(pick(["1", "2", "0", "-1", "0.5", "inf"]));
      }
      if (r() < 0.4) cmd.push("AGGREGATE", pick(["SUM", "MIN", "MAX"]));
    }
    if (op === "ZINTERCARD" && r() < 0.5) cmd.push("LIMIT", String(Math.floor(r() * 3)));
    if (!op.endsWith("STORE") && op !== "ZINTERCARD" && r() < 0.6) cmd.push("WITHSCORES");
    return cmd;
  }
  if (x < 0.94) {
    const cmd = ["ZRANGESTORE", pick(["dst", "z1", "z2"]), zk()];
    if (r() < 0.5) cmd.push(int(), int());
    else cmd.push(pick(BOUNDS), pick(BOUNDS), "BYSCORE");
    if (r() < 0.3) cmd.push("REV");
    return cmd;
  }
  if (x < 0.96) return ["ZRANDMEMBER", zk(), pick(["0", "100"]), ...(r() < 0.5 ? ["WITHSCORES"] : [])];
  if (x < 0.98) return ["OBJECT", "ENCODING", zk()];
  return ["ZRANGE", "dst", "0", "-1", "WITHSCORES"];
}

describe("randomized sequences", () => {
  for (const [seed, entries] of [[11, 128], [12, 4], [13, 2], [14, 128], [15, 6], [16, 0], [17, 3], [18, 128]] as const) {
    test(`seed ${seed} (zset-max-listpack-entries ${entries})`, async () => {
      const r = prng(seed);
      const cmds: Cmd[] = [["CONFIG", "SET", "zset-max-listpack-entries", String(entries)]];
      for (let i = 0; i < 400; i++) cmds.push(genCommand(r));
      cmds.push(["CONFIG", "SET", "zset-max-listpack-entries", "128"]);
      for (const k of ["z1", "z2", "z3", "L", "dst"]) cmds.push(["ZRANGE", k, "0", "-1", "WITHSCORES"]);
      await d.same(cmds);
    });
  }
});

describe("lex ranges with mixed scores (listpack-encoded sets scan like Redis's listpack)", () => {
  for (const seed of [31, 32, 33]) {
    test(`seed ${seed}`, async () => {
      const r = prng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
      const cmds: Cmd[] = [];
      for (let i = 0; i < 300; i++) {
        const x = r();
        const lim = r() < 0.4 ? ["LIMIT", String(Math.floor(r() * 6) - 1), String(Math.floor(r() * 6) - 2)] : [];
        if (x < 0.3) cmds.push(["ZADD", "m", pick(["0", "1", "2", "-1", "5"]), pick(MEMBERS)]);
        else if (x < 0.45) cmds.push(["ZRANGEBYLEX", "m", pick(LEXB), pick(LEXB), ...lim]);
        else if (x < 0.6) cmds.push(["ZREVRANGEBYLEX", "m", pick(LEXB), pick(LEXB), ...lim]);
        else if (x < 0.7) cmds.push(["ZLEXCOUNT", "m", pick(LEXB), pick(LEXB)]);
        else if (x < 0.75) cmds.push(["ZREMRANGEBYLEX", "m", pick(LEXB), pick(LEXB)]);
        else if (x < 0.85) cmds.push(["ZRANGE", "m", pick(LEXB), pick(LEXB), "BYLEX", ...(r() < 0.5 ? ["REV"] : []), ...lim]);
        else if (x < 0.92) cmds.push(["ZRANGESTORE", "dst", "m", pick(LEXB), pick(LEXB), "BYLEX", ...(r() < 0.5 ? ["REV"] : []), ...lim]);
        else cmds.push(["ZRANGE", "m", "0", "-1", "WITHSCORES"]);
      }
      cmds.push(["ZRANGE", "dst", "0", "-1", "WITHSCORES"]);
      await d.same(cmds);
    });
  }
});

describe("big sets", () => {
  test("random ops on a multi-level index", async () => {
    const r = prng(99);
    const cmds: Cmd[] = [];
    const add: string[] = ["ZADD", "big"];
    for (let i = 0; i < 5000; i++) add.push(String(Math.floor(r() * 2000) / 8), `m${i}`);
    cmds.push(add);
    const bounds = () => String(Math.floor(r() * 2200) / 8 - 10);
    for (let i = 0; i < 300; i++) {
      const x = r();
      const m = `m${Math.floor(r() * 6000)}`;
      if (x < 0.2) cmds.push(["ZADD", "big", String(Math.floor(r() * 2000) / 8), m]);
      else if (x < 0.3) cmds.push(["ZREM", "big", m, `m${Math.floor(r() * 6000)}`]);
      else if (x < 0.4) cmds.push(["ZRANK", "big", m]);
      else if (x < 0.45) cmds.push(["ZREVRANK", "big", m]);
      else if (x < 0.55) cmds.push(["ZRANGE", "big", String(Math.floor(r() * 6000) - 500), String(Math.floor(r() * 6000) - 500), ...(r() < 0.5 ? ["REV"] : []), "WITHSCORES"]);
      else if (x < 0.65) cmds.push(["ZRANGEBYSCORE", "big", bounds(), "(" + bounds(), "LIMIT", String(Math.floor(r() * 50)), String(Math.floor(r() * 30))]);
      else if (x < 0.7) cmds.push(["ZCOUNT", "big", bounds(), bounds()]);
      else if (x < 0.75) cmds.push(["ZREMRANGEBYRANK", "big", String(Math.floor(r() * 5000)), String(Math.floor(r() * 5000))]);
      else if (x < 0.8) cmds.push(["ZREMRANGEBYSCORE", "big", bounds(), bounds()]);
      else if (x < 0.85) cmds.push(["ZINCRBY", "big", String(Math.floor(r() * 100) - 50), m]);
      else if (x < 0.9) cmds.push([r() < 0.5 ? "ZPOPMIN" : "ZPOPMAX", "big", String(Math.floor(r() * 40))]);
      else if (x < 0.95) cmds.push(["ZRANGESTORE", "dst", "big", bounds(), bounds(), "BYSCORE"]);
      else cmds.push(["ZCARD", "big"]);
      if (r() < 0.2) cmds.push(["ZREVRANGEBYSCORE", "big", bounds(), "(" + bounds(), "WITHSCORES", "LIMIT", String(Math.floor(r() * 70)), String(Math.floor(r() * 90) - 5)]);
      if (r() < 0.2) cmds.push(["ZRANGE", "big", "(" + bounds(), bounds(), "BYSCORE", "WITHSCORES"]);
    }
    cmds.push(["ZRANGE", "big", "0", "-1", "WITHSCORES"]);
    await d.same(cmds, { protos: [2] });
  });

  test("member -> score past a thousand members (a key table): scores, -0, inf, copies, DUMP", async () => {
    const add: string[] = ["ZADD", "z"];
    for (let i = 0; i < 3000; i++) add.push(i % 7 === 0 ? "-0" : i % 11 === 0 ? "inf" : String(i / 4), `m${i}`);
    const rem: string[] = ["ZREM", "z"];
    for (let i = 1; i < 3000; i += 3) rem.push(`m${i}`);
    await d.same(
      [
        add,
        ["ZCARD", "z"],
        ["ZSCORE", "z", "m7"],
        ["ZSCORE", "z", "m11"],
        ["ZSCORE", "z", "m2999"],
        rem,
        ["ZMSCORE", "z", "m0", "m1", "m2", "m3", "m2998", "nope"],
        ["ZINCRBY", "z", "2.5", "m0"],
        ["ZINCRBY", "z", "1", "new"],
        ["ZADD", "z", "GT", "CH", "1000", "m3", "0", "m5"],
        ["ZADD", "z", "XX", "INCR", "-1", "m6"],
        ["ZRANK", "z", "m6"],
        ["ZREVRANK", "z", "m11"],
        ["COPY", "z", "z2"],
        ["ZREM", "z2", "m0"],
        ["ZCARD", "z"],
        ["ZCARD", "z2"],
        ["ZSCORE", "z2", "m0"],
        ["ZUNIONSTORE", "u", "2", "z", "z2", "AGGREGATE", "MAX"],
        ["ZSCORE", "u", "m3"],
        ["DEBUG", "DIGEST-VALUE", "z", "z2", "u"],
        ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
      ],
      { protos: [2, 3] },
    );
    await dumpRestoresOnBoth(d, "z");
  });

  test("lex ranges over a multi-level index", async () => {
    const r = prng(98);
    const word = () => {
      let w = "";
      const n = 1 + Math.floor(r() * 4);
      for (let k = 0; k < n; k++) w += String.fromCharCode(97 + Math.floor(r() * 6));
      return w;
    };
    const cmds: Cmd[] = [];
    const add: string[] = ["ZADD", "lex"];
    for (let i = 0; i < 3000; i++) add.push("0", word() + i);
    cmds.push(add);
    const b = () => (r() < 0.1 ? "-" : r() < 0.1 ? "+" : (r() < 0.5 ? "[" : "(") + word());
    for (let i = 0; i < 200; i++) {
      const x = r();
      const lim = r() < 0.5 ? ["LIMIT", String(Math.floor(r() * 60) - 3), String(Math.floor(r() * 60) - 3)] : [];
      if (x < 0.35) cmds.push(["ZRANGEBYLEX", "lex", b(), b(), ...lim]);
      else if (x < 0.7) cmds.push(["ZREVRANGEBYLEX", "lex", b(), b(), ...lim]);
      else if (x < 0.8) cmds.push(["ZLEXCOUNT", "lex", b(), b()]);
      else if (x < 0.85) cmds.push(["ZREMRANGEBYLEX", "lex", b(), b()]);
      else if (x < 0.95) cmds.push(["ZRANGESTORE", "dst", "lex", b(), b(), "BYLEX", ...(r() < 0.5 ? ["REV"] : []), ...lim]);
      else cmds.push(["ZADD", "lex", "0", word()]);
    }
    cmds.push(["ZRANGE", "lex", "0", "-1"], ["ZRANGE", "dst", "0", "-1"]);
    await d.same(cmds, { protos: [2] });
  });
});

describe("blocking pops", () => {
  test("immediate replies and errors", async () => {
    await d.same(`
      ZADD z 1 a 2 b 3 c
      ZADD y 5 x
      BZPOPMIN z 0
      BZPOPMAX z 0
      BZPOPMIN nokey z 0
      BZPOPMAX nokey y 0.5
      EXISTS y
      BZPOPMIN z x
      BZPOPMIN z -1
      BZPOPMIN z 1e400
      BZPOPMIN nokey 0.01
      SET s x
      BZPOPMIN s 0
      BZPOPMIN nokey s 0
      ZADD z 1 a 2 b 3 c
      BZMPOP 0 1 z MIN
      BZMPOP 0 1 z MAX COUNT 1
      BZMPOP 0 2 nokey z MIN COUNT 10
      ZADD z 1 a 2 b 3 c
      BZMPOP 0 0 z MIN
      BZMPOP x 1 z MIN
      BZMPOP -1 1 z MIN
      BZMPOP 0 1 z FOO
      BZMPOP 0 1 z MIN COUNT 0
      BZMPOP 0 2 nokey s MIN
      BZMPOP 0.01 1 nokey MIN
      BZMPOP x 1 z FOO
    `);
  });

  /** Runs a scenario with several clients on one server; returns what each client saw. */
  async function blockingScenario(port: number, proto: 2 | 3): Promise<string[]> {
    const log: string[] = [];
    const conn = async () => {
      const c = await RespConn.connect(port);
      if (proto === 3) await c.call("HELLO", "3");
      return c;
    };
    const [a, b, w] = [await conn(), await conn(), await conn()];
    await w.call("FLUSHALL");
    const settle = () => Bun.sleep(60);
    // Two clients blocked on the same key are served in the order they blocked.
    a.send("BZPOPMIN", "k1", "k2", "0");
    await settle();
    b.send("BZPOPMAX", "k2", "0");
    await settle();
    log.push(await w.call("ZADD", "k2", "1", "x", "2", "y", "3", "z"));
    log.push("a:" + (await a.read()));
    log.push("b:" + (await b.read()));
    log.push(await w.call("ZRANGE", "k2", "0", "-1", "WITHSCORES"));
    // A key of another type does not wake a BZPOPMIN; a later zset does.
    a.send("BZPOPMIN", "k3", "0");
    await settle();
    log.push(await w.call("SET", "k3", "str"));
    log.push(String(await a.silent(100)));
    log.push(await w.call("DEL", "k3"));
    log.push(await w.call("ZADD", "k3", "7", "m"));
    log.push("a:" + (await a.read()));
    log.push(await w.call("EXISTS", "k3"));
    // BZMPOP with COUNT takes several at once.
    b.send("BZMPOP", "0", "2", "k4", "k5", "MAX", "COUNT", "2");
    await settle();
    log.push(await w.call("ZADD", "k5", "1", "a", "2", "b", "3", "c"));
    log.push("b:" + (await b.read()));
    // Timeouts give a null array.
    a.send("BZPOPMAX", "nokey", "0.05");
    log.push("a:" + (await a.read()));
    b.send("BZMPOP", "0.05", "1", "nokey", "MIN");
    log.push("b:" + (await b.read()));
    // Inside MULTI a blocking pop does not block.
    log.push(await a.call("MULTI"));
    log.push(await a.call("BZPOPMIN", "nokey", "0"));
    log.push(await a.call("BZMPOP", "0", "1", "nokey", "MIN"));
    log.push(await a.call("EXEC"));
    // A MULTI that adds wakes the waiter after EXEC.
    b.send("BZPOPMIN", "k6", "0");
    await settle();
    log.push(await w.call("MULTI"));
    log.push(await w.call("ZADD", "k6", "1", "a"));
    log.push(await w.call("ZADD", "k6", "2", "b"));
    log.push(await w.call("EXEC"));
    log.push("b:" + (await b.read()));
    log.push(await w.call("ZRANGE", "k6", "0", "-1"));
    // ZUNIONSTORE into a waited key serves the waiter.
    a.send("BZPOPMAX", "k7", "0");
    await settle();
    log.push(await w.call("ZUNIONSTORE", "k7", "1", "k6"));
    log.push("a:" + (await a.read()));
    for (const c of [a, b, w]) c.close();
    return log;
  }

  test("blocked clients: FIFO, types, counts, timeouts, MULTI", async () => {
    for (const proto of [2, 3] as const) {
      const [x, y] = await Promise.all([blockingScenario(d.aikv.port, proto), blockingScenario(d.redis.port, proto)]);
      expect(x).toEqual(y);
    }
  });
});

/**
 * What the sorted set, geo, HyperLogLog and SORT commands propagate (WAL, replicas), blocked
 * clients served later included, compared with what a redis-server replica receives from its
 * master (seen through MONITOR on the replica). AiKv's stream is captured in-process.
 */
describe("propagation", () => {
  test("effects match a redis-server replica's stream", async () => {

    // "@" runs the command on a second client that blocks; the next command serves it.
    const script: string[][] = [
      ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ["ZADD", "z", "XX", "9", "nope"], ["ZADD", "z", "1", "a"],
      ["ZADD", "z", "INCR", "1.5", "a"], ["ZINCRBY", "z", "0", "a"], ["ZINCRBY", "z", "1", "b"], ["ZREM", "z", "nope"], ["ZREM", "z", "c"],
      ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "1"], ["ZPOPMIN", "nokey"], ["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "5"],
      ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["BZPOPMIN", "nokey", "z", "0"], ["BZMPOP", "0", "1", "z", "MAX", "COUNT", "1"],
      ["@", "BZPOPMAX", "w1", "0"], ["ZADD", "w1", "1", "x", "2", "y"],
      ["@", "BZMPOP", "0", "2", "w0", "w2", "MIN", "COUNT", "3"], ["ZADD", "w2", "1", "x", "2", "y"],
      ["ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d"], ["ZREMRANGEBYRANK", "r", "0", "0"], ["ZREMRANGEBYSCORE", "r", "9", "10"],
      ["ZREMRANGEBYSCORE", "r", "2", "2"], ["ZADD", "l", "0", "a", "0", "b"], ["ZREMRANGEBYLEX", "l", "-", "[a"],
      ["ZUNIONSTORE", "u", "2", "r", "l"], ["ZINTERSTORE", "i", "1", "r"], ["ZDIFFSTORE", "df", "2", "r", "r"], ["ZRANGESTORE", "rs", "r", "0", "0"],
      ["ZRANDMEMBER", "r", "5"], ["ZRANGESTORE", "rs", "r", "9", "10"],
      ["GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"], ["GEOADD", "g", "NX", "CH", "1", "1", "Palermo"],
      ["GEOADD", "g", "XX", "CH", "1", "1", "Palermo", "2", "2", "new"], ["GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "1", "1", "BYRADIUS", "500", "km", "STOREDIST"],
      ["GEORADIUS", "g", "1", "1", "500", "km", "STORE", "gr"], ["GEORADIUS", "g", "1", "1", "1", "m", "STORE", "gr"],
      ["PFADD", "h", "a", "b"], ["PFADD", "h", "a"], ["PFCOUNT", "h"], ["PFCOUNT", "h"], ["PFADD", "h2", "c"], ["PFMERGE", "hm", "h", "h2"], ["ZMPOP", "1", "u", "MIN", "COUNT", "1"], ["BZMPOP", "0", "1", "u", "MIN", "COUNT", "9"],
      ["RPUSH", "list", "3", "1", "2"], ["SORT", "list", "STORE", "sorted"], ["SORT", "list"], ["SORT", "nokey", "STORE", "sorted"],
    ];

    expect((await samePropagation(d, script)).length).toBeGreaterThan(30);
  }, 30000);
});

describe("keyspace hit/miss accounting", () => {
  test("each command counts hits and misses like redis-server (zsets, geo, HLL, SORT)", async () => {
    const script = `
      ZADD z 1 a 2 b
      ZADD z 3 c
      ZSCORE z a
      ZSCORE nokey a
      ZRANGE z 0 -1
      ZRANGESTORE d z 0 -1
      ZRANGESTORE d nokey 0 -1
      ZUNIONSTORE u 2 z nokey
      ZUNION 2 z nokey
      ZINTERCARD 2 z nokey
      ZPOPMIN z
      ZPOPMIN nokey
      ZMPOP 2 nokey z MIN
      ZREM z a
      ZREM nokey a
      ZCARD z
      ZCOUNT z 0 1
      ZRANK z b
      ZMSCORE z a b
      ZRANDMEMBER z
      ZRANDMEMBER z 2
      ZSCAN z 0
      ZREMRANGEBYRANK z 0 0
      ZINCRBY z 1 x
      ZADD z 1 q 2 r
      BZPOPMIN z 0
      BZMPOP 0 1 z MIN
      GEOADD g 1 1 a
      GEOPOS g a
      GEODIST g a a
      GEOHASH g a
      GEOSEARCH g FROMMEMBER a BYRADIUS 1 km
      GEOSEARCHSTORE d g FROMMEMBER a BYRADIUS 1 km
      GEORADIUS g 1 1 1 km STORE d
      GEORADIUSBYMEMBER g a 1 km
      PFADD h a
      PFADD h b
      PFCOUNT h
      PFCOUNT h nokey
      PFMERGE h2 h nokey
      PFDEBUG ENCODING h
      RPUSH l 1 2
      SORT l
      SORT l BY w_*
      SORT l GET w_*
      SORT l STORE s
      SORT nokey
    `;
    const stats = async (c: RespConn) => {
      const s = await c.call("INFO", "stats");
      return [Number(s.match(/keyspace_hits:(\d+)/)![1]), Number(s.match(/keyspace_misses:(\d+)/)![1])];
    };
    const a = await RespConn.connect(d.aikv.port);
    const r = await RespConn.connect(d.redis.port);
    const diffs: string[] = [];
    for (const c of [a, r]) {
      await c.call("FLUSHALL");
      await c.call("CONFIG", "RESETSTAT");
    }
    for (const cmd of parseScript(script)) {
      const line: string[] = [];
      for (const c of [a, r]) {
        const [h0, m0] = await stats(c);
        await c.call(...cmd);
        const [h1, m1] = await stats(c);
        line.push(`${h1! - h0!}/${m1! - m0!}`);
      }
      if (line[0] !== line[1]) diffs.push(`${cmd.join(" ")}: aikv ${line[0]} redis ${line[1]}`);
    }
    a.close();
    r.close();
    expect(diffs).toEqual([]);
  });
});
