// The long double emulation behind INCRBYFLOAT/HINCRBYFLOAT, checked against many results
// computed by redis-server itself (x87 80-bit long double, "%.17Lf").
import { afterAll, beforeAll, expect, test } from "bun:test";
import { RespConn } from "../helpers/resp.ts";
import { startRedis, type Running } from "../helpers/servers.ts";
import { formatLongDouble, incrByFloatString, parseLongDouble } from "../../src/util/longdouble.ts";
import { ReplyError } from "../../src/errors.ts";
import { prng } from "../helpers/random.ts";

let redis: Running;
let conn: RespConn;
beforeAll(async () => {
  redis = await startRedis();
  conn = await RespConn.connect(redis.port);
});
afterAll(async () => {
  conn.close();
  await redis.stop();
});

/** What our emulation answers, as the RESP reply INCRBYFLOAT would give. */
function ours(cur: string, incr: string): string {
  try {
    const r = incrByFloatString(cur, incr);
    if (r === null) return "-ERR increment would produce NaN or Infinity\r\n";
    return `$${r.length}\r\n${r}\r\n`;
  } catch (e) {
    if (e instanceof ReplyError) return `-${e.reply}\r\n`;
    throw e;
  }
}

/** Sends all pairs pipelined to redis-server (SET k cur; INCRBYFLOAT k incr) and compares. */
async function compare(pairs: [string, string][]): Promise<void> {
  for (let i = 0; i < pairs.length; i += 500) {
    const chunk = pairs.slice(i, i + 500);
    for (const [cur, incr] of chunk) {
      conn.send("SET", "k", cur);
      conn.send("INCRBYFLOAT", "k", incr);
    }
    const mismatches: unknown[] = [];
    for (const [cur, incr] of chunk) {
      await conn.read();
      const theirs = await conn.read();
      const mine = ours(cur, incr);
      if (mine !== theirs) mismatches.push({ cur, incr, mine, theirs });
    }
    expect(mismatches).toEqual([]);
  }
}

function digits(r: () => number, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String(Math.floor(r() * 10));
  return s;
}

function randomDecimal(r: () => number): string {
  const sign = r() < 0.3 ? "-" : r() < 0.1 ? "+" : "";
  const kind = r();
  if (kind < 0.3) return sign + digits(r, 1 + Math.floor(r() * 6)) + "." + digits(r, 1 + Math.floor(r() * 6));
  if (kind < 0.45) return sign + digits(r, 1 + Math.floor(r() * 20)) + "." + digits(r, Math.floor(r() * 25));
  if (kind < 0.6) return sign + String(Math.floor(r() * 1e6));
  if (kind < 0.7) return sign + "0." + digits(r, Math.floor(r() * 30) + 1);
  if (kind < 0.85) {
    const e = Math.floor(r() * 80) - 40;
    return sign + digits(r, 1) + "." + digits(r, Math.floor(r() * 19)) + (r() < 0.5 ? "e" : "E") + e;
  }
  if (kind < 0.92) return sign + (r() * 1000).toString();
  const e = Math.floor(r() * 9800) - 4950;
  return sign + "1." + digits(r, 3) + "e" + e;
}

test("random decimal operands", async () => {
  const r = prng(12345);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 4000; i++) pairs.push([randomDecimal(r), randomDecimal(r)]);
  await compare(pairs);
});

test("operands of very different magnitudes and near-cancellation", async () => {
  const r = prng(777);
  const pairs: [string, string][] = [];
  for (let i = 0; i < 1500; i++) {
    const a = randomDecimal(r);
    const k = r();
    let b: string;
    if (k < 0.4) b = a.startsWith("-") ? a.slice(1) : "-" + a.replace(/^\+/, "");
    else if (k < 0.7) b = (a.startsWith("-") ? "" : "-") + a.replace(/^[+-]/, "") + digits(r, 3);
    else b = "1e-" + Math.floor(r() * 40);
    pairs.push([a, b]);
  }
  await compare(pairs);
});

test("edge cases: integers, limits, denormals, infinities, hex, malformed", async () => {
  const vals = [
    "0", "-0", "1", "-1", "0.1", "0.2", "0.3", "10.5", "5.0e3", "3.0", "1.", ".5", "-.5", "+.5e-3",
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", "9007199254740993",
    "123456789012345678901234567890", "0.000003814697265625", "0.000000000000000005",
    "1e4932", "1.18973149535723176502e+4932", "1.2e4932", "-1.18973149535723176502e+4932",
    "1e-4932", "3.6e-4951", "1e-4951", "1e-4940", "1e-5000", "1e5000", "0e99999", "0.0e-99999",
    "inf", "-inf", "+inf", "Infinity", "INF", "infinit", "nan", "-nan", "NaN(1)",
    "0x1p3", "0x1.8p1", "0X.8", "0x10", "-0x1p-16445", "0x1p-16446", "0x1p16384", "0x", "0x.", "0x1p",
    "", " 1", "1 ", "1e", "1e+", "e5", ".", "-", "+", "1.2.3", "abc", "1,5", "١",
    "1\u00002", "\u0000", "99999999999999999999e-20", "1" + "0".repeat(300),
    "0." + "0".repeat(30) + "1", "1" + "0".repeat(5200),
  ];
  const pairs: [string, string][] = [];
  for (const a of vals) for (const b of ["0", "0.1", "-1", "1e-30", "1e4932", "-inf", "inf", "x"]) pairs.push([a, b]);
  for (const a of vals) pairs.push(["1.5", a]);
  await compare(pairs);
});

test("repeated accumulation matches", async () => {
  const r = prng(4242);
  // Chains: each result feeds the next increment, like a counter.
  const seqs: string[][] = [];
  for (let s = 0; s < 30; s++) {
    const steps: string[] = [];
    for (let i = 0; i < 40; i++) steps.push(randomDecimal(r));
    seqs.push(steps);
  }
  for (const steps of seqs) {
    await conn.call("DEL", "acc");
    let mine = "0";
    for (const inc of steps) {
      const theirs = await conn.call("INCRBYFLOAT", "acc", inc);
      const next = ours(mine, inc);
      expect({ inc, reply: next }).toEqual({ inc, reply: theirs });
      if (theirs.startsWith("$")) mine = theirs.split("\r\n")[1]!;
    }
  }
});

test("parse and format round trip", () => {
  expect(formatLongDouble(parseLongDouble("0.1")!)).toBe("0.1");
  expect(formatLongDouble(parseLongDouble("-inf")!)).toBe("-inf");
  expect(parseLongDouble("nan")).toBeNull();
  expect(parseLongDouble(" 1")).toBeNull();
  expect(incrByFloatString("1", "2")).toBe("3");
  expect(incrByFloatString("inf", "-inf")).toBeNull();
  expect(() => incrByFloatString("abc", "1")).toThrow();
});
