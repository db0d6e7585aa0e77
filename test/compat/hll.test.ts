// HyperLogLog: replies and the stored bytes (GET) must equal redis-server's, for sparse and
// dense encodings, promotion, merges and corrupt inputs.
import { describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { murmur64a } from "../../src/store/types/hll.ts";
import { prng } from "../helpers/random.ts";
import { sameEvents } from "../helpers/keyspace.ts";

const d = useDiffer();

/** Random binary elements of 0..24 bytes (every MurmurHash tail length). */
function elements(r: () => number, n: number, prefix = ""): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = Math.floor(r() * 25);
    let s = prefix;
    for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(r() * 256));
    out.push(s);
  }
  return out;
}

/** MurmurHash64A written plainly with BigInt, as the reference for the 32-bit version. */
function murmurRef(b: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const m = 0xc6a4a7935bd1e995n;
  let h = (0xadc83b19n ^ ((BigInt(b.length) * m) & mask)) & mask;
  const n8 = b.length - (b.length & 7);
  for (let i = 0; i < n8; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(b[i + j]!);
    k = (k * m) & mask;
    k ^= k >> 47n;
    k = (k * m) & mask;
    h ^= k;
    h = (h * m) & mask;
  }
  const rest = b.length & 7;
  if (rest) {
    for (let j = rest - 1; j >= 0; j--) h ^= BigInt(b[n8 + j]!) << BigInt(8 * j);
    h = (h * m) & mask;
  }
  h ^= h >> 47n;
  h = (h * m) & mask;
  h ^= h >> 47n;
  return h;
}

describe("murmur64a", () => {
  test("matches a BigInt reference for every tail length", () => {
    const r = prng(1);
    for (let i = 0; i < 2000; i++) {
      const len = Math.floor(r() * 40);
      const b = new Uint8Array(len);
      for (let k = 0; k < len; k++) b[k] = Math.floor(r() * 256);
      expect(murmur64a(b)).toBe(murmurRef(b));
    }
  });
});

describe("commands", () => {
  test("basic replies, bytes and errors", async () => {
    await d.same(`
      PFADD h a
      GET h
      PFADD h b c d e f g
      GET h
      PFCOUNT h
      GET h
      PFCOUNT h
      PFADD empty
      GET empty
      PFCOUNT empty
      GET empty
      PFADD h a
      PFADD h ""
      GET h
      PFDEBUG DECODE h
      PFDEBUG ENCODING h
      PFADD x 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20
      PFCOUNT x h
      PFCOUNT x h nokey
      PFCOUNT nokey
      PFCOUNT nokey nokey2
      PFMERGE m x h
      GET m
      PFCOUNT m
      PFDEBUG TODENSE m
      PFDEBUG TODENSE m
      PFDEBUG ENCODING m
      PFCOUNT m
      GET m
      PFDEBUG DECODE m
      PFDEBUG FOO m
      PFDEBUG foo nokey
      PFDEBUG GETREG nokey
      PFDEBUG GETREG x
      PFDEBUG ENCODING x
      GET x
      PFMERGE newkey
      GET newkey
      PFMERGE newkey2 nokey
      GET newkey2
      SET s foo
      PFADD s a
      PFCOUNT s
      PFCOUNT s h
      PFCOUNT h s
      PFMERGE s h
      PFMERGE h s
      PFDEBUG GETREG s
      SET n 12345
      PFADD n a
      ZADD z 1 a
      PFADD z a
      PFCOUNT z
      PFCOUNT h z
      PFMERGE z h
      PFMERGE h z
      PFDEBUG ENCODING z
    `);
  });

  test("hand-made and corrupt values", async () => {
    await d.same(`
      SET fake "HYLL\\x02"
      PFADD fake a
      SET fake "HYLL\\x02\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
      PFADD fake a
      PFCOUNT fake
      SET fake2 "HYLL\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
      PFADD fake2 a
      PFCOUNT fake2
      SET short "HYLL\\x01\\x00\\x00"
      PFCOUNT short
      SET bad "HYLX\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff"
      PFCOUNT bad
      SET fake3 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xfe"
      PFADD fake3 a
      PFCOUNT fake3
      GET fake3
      PFADD fake3 a b c d e f g h i j k l m n o p
      GET fake3
      SET fake4 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff"
      PFCOUNT fake4
      GET fake4
      SET fake5 "HYLL\\x01\\x00\\x00\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff"
      PFCOUNT fake5
      SET fake6 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xff\\x00"
      PFCOUNT fake6
      PFADD fake6 a
      PFDEBUG GETREG fake6
      PFMERGE dst fake6
      SET fake7 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x40\\x00\\xff"
      PFCOUNT fake7
      PFADD fake7 x y z
      GET fake7
      SET fake8 "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x80\\x7f\\xfb\\x83"
      PFCOUNT fake8
      PFADD fake8 a b c d e f g h i j k l m n o p q r s t u v w x y z
      GET fake8
      PFDEBUG DECODE fake8
      SET big "HYLL\\x01\\x00\\x00\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x7f\\x7f\\xff"
      PFCOUNT big
      SET big "HYLL\\x01\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x20\\x00\\x7f\\xff"
      PFCOUNT big
    `);
  });

  test("string commands on HLL values", async () => {
    await d.same(`
      PFADD h a b c
      OBJECT ENCODING h
      STRLEN h
      APPEND h x
      PFCOUNT h
      PFADD h zz
      GETRANGE h 0 3
      SETRANGE h 16 "\\x00"
      PFCOUNT h
      PFADD h q w e r t y
      PFADD d a
      PFDEBUG TODENSE d
      STRLEN d
      APPEND d x
      PFCOUNT d
      PFADD big 1 2 3
      SETRANGE big 16 "\\x80\\x80\\x80"
      PFCOUNT big
      PFADD big x
      PFDEBUG DECODE big
    `);
  });

  test("cache invalidation and encoding of plain strings", async () => {
    await d.same(`
      PFADD h a b c
      GET h
      PFCOUNT h
      GET h
      SET copy "HYLL\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x7f\\xff"
      OBJECT ENCODING copy
      PFCOUNT copy
      OBJECT ENCODING copy
      PFADD h a
      GET h
    `);
  });
});

async function sameBytes(cmds: Cmd[], keys: string[]): Promise<void> {
  const checks: Cmd[] = [];
  for (const k of keys) checks.push(["GET", k], ["PFCOUNT", k], ["GET", k]);
  await d.same([...cmds, ...checks], { protos: [2] });
}

describe("byte equality with redis-server", () => {
  for (const [n, maxBytes] of [[50, 3000], [400, 3000], [2000, 3000], [20000, 3000], [300, 100], [3000, 20000], [100, 0]] as const) {
    test(`${n} elements, hll-sparse-max-bytes ${maxBytes}`, async () => {
      const r = prng(n + maxBytes);
      const cmds: Cmd[] = [["CONFIG", "SET", "hll-sparse-max-bytes", String(maxBytes)]];
      const els = elements(r, n);
      // In batches, with PFCOUNT in between (the cache is rewritten in the value).
      for (let i = 0; i < els.length; i += 97) {
        cmds.push(["PFADD", "h", ...els.slice(i, i + 97)]);
        if ((i / 97) % 5 === 0) cmds.push(["PFCOUNT", "h"]);
      }
      cmds.push(["PFDEBUG", "ENCODING", "h"]);
      cmds.push(["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
      await sameBytes(cmds, ["h"]);
    });
  }

  test("one element at a time around the sparse limit", async () => {
    const r = prng(7);
    const cmds: Cmd[] = [["CONFIG", "SET", "hll-sparse-max-bytes", "300"]];
    for (const e of elements(r, 400)) cmds.push(["PFADD", "h", e], ["STRLEN", "h"]);
    cmds.push(["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
    await sameBytes(cmds, ["h"]);
  });

  test("merges: sparse, dense, existing destinations, multi-key count", async () => {
    const r = prng(8);
    const cmds: Cmd[] = [
      ["PFADD", "s1", ...elements(r, 30)],
      ["PFADD", "s2", ...elements(r, 200)],
      ["PFADD", "d1", ...elements(r, 5000)],
      ["PFADD", "s3", ...elements(r, 60)],
      ["PFCOUNT", "s1", "s2"],
      ["PFCOUNT", "s1", "s2", "d1", "nokey"],
      ["PFMERGE", "m1", "s1", "s2"],
      ["PFMERGE", "m2", "s1", "d1"],
      ["PFMERGE", "s3", "s1"],
      ["PFMERGE", "s1", "d1"],
      ["PFMERGE", "d1", "s2", "s3"],
      ["PFMERGE", "m3", "m3"],
      ["CONFIG", "SET", "hll-sparse-max-bytes", "50"],
      ["PFMERGE", "m4", "s2"],
      ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
      ["PFDEBUG", "DECODE", "m1"],
      ["PFDEBUG", "GETREG", "s2"],
    ];
    await sameBytes(cmds, ["s1", "s2", "s3", "d1", "m1", "m2", "m3", "m4"]);
  });

  test("random operation mix", async () => {
    const r = prng(9);
    const keys = ["a", "b", "c"];
    const pick = () => keys[Math.floor(r() * keys.length)]!;
    const cmds: Cmd[] = [];
    for (let i = 0; i < 300; i++) {
      const x = r();
      if (x < 0.6) cmds.push(["PFADD", pick(), ...elements(r, 1 + Math.floor(r() * (r() < 0.1 ? 800 : 8)))]);
      else if (x < 0.75) cmds.push(["PFCOUNT", pick()]);
      else if (x < 0.85) cmds.push(["PFCOUNT", pick(), pick()]);
      else if (x < 0.95) cmds.push(["PFMERGE", pick(), pick(), pick()]);
      else cmds.push(["GET", pick()]);
    }
    await sameBytes(cmds, keys);
  });

  test("PFSELFTEST", async () => {
    const c = await RespConn.connect(d.aikv.port);
    expect(await c.call("PFSELFTEST")).toBe("+OK\r\n");
    expect(await c.call("PFSELFTEST", "x")).toBe(await (async () => {
      const rc = await RespConn.connect(d.redis.port);
      const v = await rc.call("PFSELFTEST", "x");
      rc.close();
      return v;
    })());
    c.close();
  });

  test("keyspace events", async () => {
    await sameEvents(d, "KEA", [["PFADD", "h", "a"], ["PFADD", "h", "a"], ["PFADD", "h2"], ["PFCOUNT", "h"], ["PFMERGE", "m", "h"], ["PFDEBUG", "TODENSE", "m"]]);
  });
});
