// Randomized differential run over the core commands (keys, strings, expiry, databases):
// the same seeded sequence goes to AiKv and redis-server, replies must match byte for byte.
import { expect, test } from "bun:test";
import { useDiffer, show, type Cmd } from "../helpers/diff.ts";

const d = useDiffer();

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

function sequence(seed: number, n: number): Cmd[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const key = () => pick(["a", "b", "c", "{t}d", "e", "f:1", "g", "h"]);
  const val = () => pick(["", "0", "1", "-7", "12345678901", "3.5", "abc", "x".repeat(50), "\x00\xff", "9223372036854775807"]);
  const int = () => pick(["0", "1", "-1", "5", "100", "-100", "x", "9223372036854775807"]);
  const gens: (() => Cmd)[] = [
    () => ["SET", key(), val()],
    () => ["SET", key(), val(), pick(["NX", "XX", "GET", "KEEPTTL", "EX", "PX"]), ...(r() < 0.5 ? [pick(["1000", "5000"])] : [])],
    () => ["GET", key()],
    () => ["DEL", key(), key()],
    () => ["EXISTS", key(), key()],
    () => ["APPEND", key(), val()],
    () => ["INCR", key()],
    () => ["DECRBY", key(), int()],
    () => ["INCRBY", key(), int()],
    () => ["EXPIRE", key(), pick(["1000", "2000", "-1", "x"]), ...(r() < 0.3 ? [pick(["NX", "XX", "GT", "LT"])] : [])],
    () => ["PERSIST", key()],
    () => ["TTL", key()],
    () => ["RENAME", key(), key()],
    () => ["RENAMENX", key(), key()],
    () => ["COPY", key(), key(), ...(r() < 0.3 ? ["REPLACE"] : [])],
    () => ["MOVE", key(), pick(["1", "2"])],
    () => ["TYPE", key()],
    () => ["STRLEN", key()],
    () => ["GETRANGE", key(), int(), int()],
    () => ["SETRANGE", key(), pick(["0", "3", "10"]), val()],
    () => ["MSET", key(), val(), key(), val()],
    () => ["MSETNX", key(), val(), key(), val()],
    () => ["MGET", key(), key(), key()],
    () => ["GETDEL", key()],
    () => ["GETEX", key(), ...(r() < 0.5 ? [pick(["PERSIST", "EX"]), ...(r() < 0.5 ? ["1000"] : [])] : [])],
    () => ["GETSET", key(), val()],
    () => ["SETNX", key(), val()],
    () => ["SELECT", pick(["0", "0", "1", "2"])],
    () => ["DBSIZE"],
    () => ["KEYS", pick(["*", "a*", "?", "*:*", "{*"])],
    () => ["OBJECT", "ENCODING", key()],
    () => ["SWAPDB", pick(["0", "1"]), pick(["1", "2"])],
    () => ["FLUSHDB"],
    () => ["STRLEN", key()],
  ];
  const out: Cmd[] = [];
  for (let i = 0; i < n; i++) out.push(pick(gens)());
  return out;
}

/** TTLs of a few seconds can tick between the two servers; compare them coarsely. */
function normalize(reply: string, cmd: Cmd): string {
  const name = String(cmd[0]).toUpperCase();
  if (name === "KEYS") return reply.split("\r\n").slice(1).sort().join("|");
  if (name === "TTL" && /^:\d+\r\n$/.test(reply)) return Number(reply.slice(1)) > 0 ? ":positive" : reply;
  return reply;
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`random core sequence, seed ${seed}`, async () => {
    const cmds = sequence(seed, 400);
    for (const proto of [2, 3] as const) {
      const results = await d.run(cmds, proto);
      for (const [cmd, a, r] of results) {
        const na = normalize(a, cmd);
        const nr = normalize(r, cmd);
        if (na !== nr) expect({ seed, proto, cmd: show(cmd), aikv: na }).toEqual({ seed, proto, cmd: show(cmd), aikv: nr });
      }
    }
  });
}
