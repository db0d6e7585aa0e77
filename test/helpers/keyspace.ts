// Keyspace side effects compared between AiKv and redis-server: the notifications a pattern
// subscriber receives, and the keyspace_hits / keyspace_misses counters.

import { expect } from "bun:test";
import { RespConn } from "./resp.ts";
import type { Cmd, Differ } from "./diff.ts";

export interface EventOptions {
  /** protocol of the subscriber (default 2) */
  proto?: 2 | 3;
  /** PSUBSCRIBE pattern (default every keyspace and keyevent channel) */
  pattern?: string;
}

/**
 * Runs commands with notify-keyspace-events set to `flags` and returns every message a pattern
 * subscriber got, up to a sentinel publication. A step ["sleep", ms] pauses instead.
 */
export async function keyspaceEvents(port: number, flags: string, cmds: Cmd[], o: EventOptions = {}): Promise<string[]> {
  const sub = await RespConn.connect(port);
  const c = await RespConn.connect(port);
  try {
    if (o.proto === 3) await sub.call("HELLO", "3");
    await c.call("FLUSHALL");
    await c.call("CONFIG", "SET", "notify-keyspace-events", flags);
    await sub.call("PSUBSCRIBE", o.pattern ?? "__key*__:*");
    await sub.call("SUBSCRIBE", "end-of-test");
    for (const cmd of cmds) {
      if (cmd[0] === "sleep") {
        await Bun.sleep(Number(cmd[1]));
        continue;
      }
      await c.call(...cmd);
    }
    await c.call("PUBLISH", "end-of-test", "x");
    const got: string[] = [];
    for (;;) {
      const m = await sub.read(3000);
      if (m.includes("end-of-test")) break;
      got.push(m);
    }
    await c.call("CONFIG", "SET", "notify-keyspace-events", "");
    return got;
  } finally {
    sub.close();
    c.close();
  }
}

/**
 * Asserts both servers send the same notifications (in the same order unless `sorted`) and
 * returns redis-server's.
 */
export async function sameEvents(d: Differ, flags: string, cmds: Cmd[], o: EventOptions & { sorted?: boolean } = {}): Promise<string[]> {
  const [a, r] = await Promise.all([keyspaceEvents(d.aikv.port, flags, cmds, o), keyspaceEvents(d.redis.port, flags, cmds, o)]);
  const show = (xs: string[]) => (o.sorted ? [...xs].sort() : xs).map((x) => JSON.stringify(x));
  expect(show(a)).toEqual(show(r));
  return r;
}

/** The keyspace_hits and keyspace_misses lines of INFO stats. */
export async function hitsAndMisses(c: RespConn): Promise<string[]> {
  return (await c.call("INFO", "stats")).split("\r\n").filter((l) => /^keyspace_(hits|misses):/.test(l));
}

/** Runs the script on both servers after FLUSHALL and CONFIG RESETSTAT; the counters must agree. */
export async function sameHitsAndMisses(d: Differ, script: Cmd[], protos: (2 | 3)[] = [2]): Promise<void> {
  for (const proto of protos) {
    const [a, r] = await d.pair(proto);
    for (const c of [a, r]) {
      await c.call("FLUSHALL");
      await c.call("CONFIG", "RESETSTAT");
      for (const cmd of script) await c.call(...cmd);
    }
    expect(await hitsAndMisses(a)).toEqual(await hitsAndMisses(r));
    a.close();
    r.close();
  }
}

/**
 * AiKv's DUMP of `key` restores on both servers (as `<key>:restored`) to the digest the
 * reference server has for `key`: the payload is valid for both and carries the whole value.
 */
export async function dumpRestoresOnBoth(d: Differ, key: string): Promise<void> {
  const [a, r] = await d.pair();
  try {
    const reply = await a.call("DUMP", key);
    const payload = Buffer.from(reply.slice(reply.indexOf("\r\n") + 2, reply.length - 2), "latin1");
    const digest = await r.call("DEBUG", "DIGEST-VALUE", key);
    const copy = `${key}:restored`;
    for (const c of [a, r]) {
      await c.call("DEL", copy);
      expect(await c.call("RESTORE", copy, "0", payload)).toBe("+OK\r\n");
      expect(await c.call("DEBUG", "DIGEST-VALUE", copy)).toBe(digest);
    }
  } finally {
    a.close();
    r.close();
  }
}
