// Scenarios with several clients, run on AiKv and on redis-server and compared reply by reply
// (used by the transaction, pub/sub and scripting tests). A step is [client, ...command],
// ["sleep", ms] or ["read", client] (wait for one unsolicited message, e.g. a pub/sub push).

import { expect } from "bun:test";
import { RespConn } from "./resp.ts";
import type { Differ } from "./diff.ts";

export type Step = [number, ...string[]] | ["sleep", number] | ["read", number];

async function runOn(port: number, steps: Step[], clients: number, proto: 2 | 3, setup: string[][]): Promise<string[]> {
  const conns: RespConn[] = [];
  for (let i = 0; i < clients; i++) {
    const c = await RespConn.connect(port);
    if (proto === 3) await c.call("HELLO", "3");
    conns.push(c);
  }
  const out: string[] = [];
  try {
    await conns[0]!.call("FLUSHALL");
    for (const s of setup) await conns[0]!.call(...s);
    for (const s of steps) {
      if (s[0] === "sleep") {
        await Bun.sleep(s[1] as number);
        continue;
      }
      if (s[0] === "read") {
        out.push(await conns[s[1] as number]!.read(3000));
        continue;
      }
      const [ci, ...cmd] = s as [number, ...string[]];
      out.push(await conns[ci]!.call(...cmd));
    }
  } finally {
    for (const c of conns) c.close();
  }
  return out;
}

/** Runs the scenario on both servers (RESP2 and RESP3 unless told) and compares every reply. */
export async function sameScenario(
  d: Differ,
  steps: Step[],
  o: {
    clients?: number;
    protos?: (2 | 3)[];
    setup?: string[][];
    normalize?: (s: string) => string;
    /** sort each run of consecutive reads (messages whose order Redis leaves to its hash tables) */
    sortReads?: boolean;
  } = {},
): Promise<void> {
  const clients = o.clients ?? 1 + Math.max(0, ...steps.map((s) => (typeof s[0] === "number" ? s[0] : s[0] === "read" ? (s[1] as number) : 0)));
  for (const proto of o.protos ?? [2, 3]) {
    const [a, r] = await Promise.all([
      runOn(d.aikv.port, steps, clients, proto, o.setup ?? []),
      runOn(d.redis.port, steps, clients, proto, o.setup ?? []),
    ]);
    const norm = o.normalize ?? ((s: string) => s);
    const shown = steps.filter((s) => s[0] !== "sleep").map((s) => JSON.stringify(s));
    if (o.sortReads) {
      // A run: a command of client i and the reads of client i right after it.
      const st = steps.filter((s) => s[0] !== "sleep");
      for (const xs of [a, r]) {
        for (let i = 0; i < xs.length; ) {
          const who = st[i]![1];
          let j = i + 1;
          while (j < xs.length && st[j]![0] === "read" && st[j]![1] === who) j++;
          if (j - i > 1) xs.splice(i, j - i, ...xs.slice(i, j).sort());
          i = j;
        }
      }
    }
    const lines = (xs: string[]) => xs.map((x, i) => `${shown[i]} => ${JSON.stringify(norm(x))}`);
    expect({ proto, replies: lines(a) }).toEqual({ proto, replies: lines(r) });
  }
}

export { prng } from "./random.ts";
