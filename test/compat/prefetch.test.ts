// Pipelined batches over a keyspace and collections big enough for the server to prefetch
// their keys, fields and members (src/server/prefetch.ts) before running a batch: the replies
// must be redis-server's, byte for byte, whatever the batch holds (several databases, inline
// commands, wrong arity, unknown commands, a command cut across two writes).

import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { encode as encodeCommand, RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";

const d = useDiffer();

/** A command in RESP as a latin1 string (batches are built and cut as strings here). */
function encode(args: string[]): string {
  return Buffer.from(encodeCommand(args)).toString("latin1");
}

/** Sends raw bytes in one or two writes; reads `n` replies. */
async function batch(conn: RespConn, parts: string[], n: number): Promise<string[]> {
  for (let i = 0; i < parts.length; i++) {
    conn.writeRaw(parts[i]!);
    if (i + 1 < parts.length) await Bun.sleep(5);
  }
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await conn.read());
  return out;
}

/** Fills a connection's server with the big keyspace, hash and set (pipelined). */
async function fill(conn: RespConn): Promise<void> {
  expect(await conn.call("FLUSHALL")).toBe("+OK\r\n");
  expect(await conn.call("DEBUG", "POPULATE", "70000", "key", "8")).toBe("+OK\r\n");
  for (let from = 0; from < 70000; from += 5000) {
    let s = "";
    for (let i = from; i < from + 5000; i++) s += encode(["HSET", "bighash", "f:" + i, "v" + i]) + encode(["SADD", "bigset", "m:" + i]);
    await batch(conn, [s], 10000);
  }
}

describe("prefetching batches", () => {
  test("mixed pipelined batches over 70k keys, a 70k-field hash and a 70k-member set", async () => {
    const a = await RespConn.connect(d.aikv.port);
    const r = await RespConn.connect(d.redis.port);
    try {
      await Promise.all([fill(a), fill(r)]);
      const rand = prng(2024);
      const pick = (n: number) => Math.floor(rand() * n);
      const key = () => (rand() < 0.8 ? "key:" + pick(80000) : "other:" + pick(50));
      const gen = (): string[] => {
        switch (pick(16)) {
          case 0: return ["GET", key()];
          case 1: return ["SET", key(), "x" + pick(1000)];
          case 2: return ["INCR", "n:" + pick(20)];
          case 3: return ["MSET", key(), "a", key(), "b", key(), "c"];
          case 4: return ["DEL", key(), key()];
          case 5: return ["EXISTS", key(), key(), key()];
          case 6: return ["HSET", "bighash", "f:" + pick(90000), "w" + pick(9), "f:" + pick(90000), "z"];
          case 7: return ["HGET", "bighash", "f:" + pick(90000)];
          case 8: return ["HMGET", "bighash", "f:" + pick(90000), "f:" + pick(90000)];
          case 9: return ["HDEL", "bighash", "f:" + pick(90000)];
          case 10: return ["SADD", "bigset", "m:" + pick(90000), "m:" + pick(90000)];
          case 11: return ["SISMEMBER", "bigset", "m:" + pick(90000)];
          case 12: return ["SREM", "bigset", "m:" + pick(90000)];
          case 13: return ["SMISMEMBER", "bigset", "m:" + pick(90000), "nope"];
          case 14: return ["SELECT", String(pick(2))];
          default: return [["GET"], ["HSET", "bighash", "odd"], ["NOSUCHCMD", key()], ["HINCRBY", "bighash", "f:" + pick(90000), "1"]][pick(4)]!;
        }
      };
      let commands = 0;
      for (let round = 0; round < 60; round++) {
        let s = "";
        let n = 0;
        for (let i = 0; i < 24; i++, n++) s += encode(gen());
        // an inline command in the middle of a batch
        s += "GET key:1\r\n";
        n++;
        for (let i = 0; i < 8; i++, n++) s += encode(gen());
        // cut the batch inside a command (even inside a length) now and then
        const cut = round % 3 === 0 ? 1 + pick(s.length - 1) : s.length;
        const parts = cut < s.length ? [s.slice(0, cut), s.slice(cut)] : [s];
        const [ra, rr] = await Promise.all([batch(a, parts, n), batch(r, parts, n)]);
        for (let i = 0; i < n; i++) if (ra[i] !== rr[i]) expect({ round, i, reply: ra[i] }).toEqual({ round, i, reply: rr[i] });
        commands += n;
      }
      expect(commands).toBe(60 * 33);
      for (const db of ["0", "1"]) {
        await Promise.all([a.call("SELECT", db), r.call("SELECT", db)]);
        expect(await a.call("DEBUG", "DIGEST")).toBe(await r.call("DEBUG", "DIGEST"));
        expect(await a.call("DBSIZE")).toBe(await r.call("DBSIZE"));
      }
    } finally {
      a.close();
      r.close();
    }
  }, 60000);

  test("hostile batches over a big keyspace: protocol errors as usual, the server keeps serving", async () => {
    const port = d.aikv.port;
    let conn = await RespConn.connect(port);
    expect(await conn.call("FLUSHALL")).toBe("+OK\r\n");
    expect(await conn.call("DEBUG", "POPULATE", "70000", "key", "8")).toBe("+OK\r\n");
    conn.close();
    const rand = prng(99);
    const pick = (n: number) => Math.floor(rand() * n);
    // pieces a batch is made of: valid commands, lengths that lie, counts and lengths the
    // scanner must not trust, non-digits, huge numbers, truncated headers
    const pieces = [
      () => encode(["GET", "key:" + pick(70000)]),
      () => encode(["MSET", "key:" + pick(70000), "v", "key:" + pick(70000), "w"]),
      () => `*2\r\n$3\r\nGET\r\n$${pick(40)}\r\nkey:1\r\n`,
      () => `*${pick(5)}\r\n$3\r\nGET\r\n`,
      () => `*99999999999\r\n`,
      () => `*2\r\n$99999999999\r\n`,
      () => `*-1\r\n*0\r\n`,
      () => `*2\r\n$-5\r\nGET\r\n`,
      () => `*1x\r\n$3\r\nGET\r\n`,
      () => `*3\r\n$3\r\nSET\r\n$1`,
      () => "GET key:1\r\n",
      () => String.fromCharCode(...Array.from({ length: 1 + pick(30) }, () => pick(256))),
    ];
    for (let round = 0; round < 150; round++) {
      conn = await RespConn.connect(port);
      let s = "";
      for (let i = 0; i < 4 + pick(12); i++) s += pieces[pick(pieces.length)]!();
      conn.writeRaw(s);
      // whatever it answers (errors, or nothing while it waits for more), it must not die
      await conn.readUntilClose(20);
      conn.close();
    }
    conn = await RespConn.connect(port);
    expect(await conn.call("PING")).toBe("+PONG\r\n");
    expect(await conn.call("GET", "key:5")).toMatch(/^\$\d+\r\n/);
    const size = Number((await conn.call("DBSIZE")).slice(1));
    expect(size).toBeGreaterThanOrEqual(70000);
    conn.close();
  }, 60000);
});
