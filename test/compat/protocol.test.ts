// The wire protocol: pipelining, split packets, inline commands, protocol errors with
// Redis's exact texts (then close), limits, and a fuzz run of hostile input that must never
// take the server down.
import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";

const d = useDiffer();

/** Sends raw bytes to a fresh connection and returns everything until the server closes (or 500 ms). */
async function rawExchange(port: number, data: string | Uint8Array, ms = 500): Promise<string> {
  const c = await RespConn.connect(port);
  c.writeRaw(data);
  const out = await c.readUntilClose(ms);
  c.close();
  return out;
}

async function bothRaw(data: string | Uint8Array, ms = 500): Promise<[string, string]> {
  return Promise.all([rawExchange(d.aikv.port, data, ms), rawExchange(d.redis.port, data, ms)]);
}

describe("protocol", () => {
  const cases: [string, string][] = [
    ["invalid multibulk length", "*abc\r\n"],
    ["multibulk length too big", "*3000000000\r\n"],
    ["expected $", "*1\r\n+PING\r\n"],
    ["invalid bulk length", "*1\r\n$abc\r\n"],
    ["negative bulk length", "*1\r\n$-5\r\n"],
    ["bulk length over proto-max-bulk-len", "*1\r\n$9999999999\r\n"],
    ["unbalanced quotes", 'ECHO "abc\r\n'],
    ["closing quote followed by a char", 'ECHO "abc"x\r\n'],
    ["commands before an error still run", "PING\r\nECHO hi\r\n*1\r\n$x\r\n"],
    ["empty multibulk is ignored", "*0\r\nPING\r\n"],
    ["negative multibulk is ignored", "*-1\r\nPING\r\n"],
    ["empty inline lines are ignored", "\r\n\r\n  \r\nPING\r\n"],
    ["leading zero bulk length", "*1\r\n$04\r\nPING\r\n"],
  ];
  for (const [name, data] of cases) {
    test(name, async () => {
      const [a, r] = await bothRaw(data);
      expect(a).toBe(r);
    });
  }

  test("too big inline request closes the connection with Redis's error", async () => {
    const [a, r] = await bothRaw("A".repeat(70 * 1024), 1000);
    expect(a).toBe(r);
    expect(a).toContain("too big inline request");
  });

  test("too big mbulk count string", async () => {
    const [a, r] = await bothRaw("*" + "1".repeat(70 * 1024), 1000);
    expect(a).toBe(r);
  });

  test("a hostile bulk length does not allocate it: the server keeps serving", async () => {
    const c = await RespConn.connect(d.aikv.port);
    c.writeRaw("*2\r\n$4\r\nECHO\r\n$536870000\r\nabc");
    const other = await RespConn.connect(d.aikv.port);
    expect(await other.call("PING")).toBe("+PONG\r\n");
    const info = await other.call("INFO", "memory");
    const rss = Number(/used_memory_rss:(\d+)/.exec(info)![1]);
    expect(rss).toBeLessThan(400 * 1024 * 1024);
    c.close();
    other.close();
  });

  test("10000 pipelined commands in one packet", async () => {
    const n = 10000;
    const payload = "*1\r\n$4\r\nPING\r\n".repeat(n);
    for (const port of [d.aikv.port]) {
      const c = await RespConn.connect(port);
      c.writeRaw(payload);
      for (let i = 0; i < n; i++) expect(await c.read()).toBe("+PONG\r\n");
      c.close();
    }
  });

  test("a command split into single bytes", async () => {
    const c = await RespConn.connect(d.aikv.port);
    const cmd = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
    for (const ch of cmd) {
      c.writeRaw(ch);
      await Bun.sleep(1);
    }
    expect(await c.read()).toBe("$5\r\nhello\r\n");
    c.close();
  });

  test("a 20 MB argument in many chunks", async () => {
    const c = await RespConn.connect(d.aikv.port);
    const big = Buffer.alloc(20 * 1024 * 1024, 120);
    c.send("ECHO", big);
    const r = await c.read(20000);
    expect(r.length).toBe(big.length + `$${big.length}\r\n`.length + 2);
    c.close();
  });

  test("binary-safe arguments", async () => {
    const bin = Buffer.from([0, 1, 2, 13, 10, 255, 128, 36, 42]);
    const [a, r] = await d.pair();
    expect(await a.call("ECHO", bin)).toBe(await r.call("ECHO", bin));
    a.close();
    r.close();
  });

  test("fuzz: random bytes never stop the server", async () => {
    let seed = 12345;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const pieces = ["*", "$", "\r\n", "\r", "\n", "-1", "0", "3", "999999999999", "PING", "ECHO", '"', "'", "\\x4", " ", "*2", "$4"];
    for (let round = 0; round < 200; round++) {
      let s = "";
      const len = rnd() % 40;
      for (let i = 0; i < len; i++) s += rnd() % 3 === 0 ? String.fromCharCode(rnd() % 256) : pieces[rnd() % pieces.length];
      const c = await RespConn.connect(d.aikv.port);
      c.writeRaw(Buffer.from(s, "latin1"));
      await Bun.sleep(2);
      c.close();
    }
    const c = await RespConn.connect(d.aikv.port);
    expect(await c.call("PING")).toBe("+PONG\r\n");
    c.close();
  });
});
