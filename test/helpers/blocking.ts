// Scenarios with blocked clients: a scenario opens connections, sends commands that block,
// waits until the server reports them blocked and logs what every client receives. It runs
// against AiKv and redis-server and the two logs must be identical.

import { expect } from "bun:test";
import { RespConn } from "./resp.ts";
import type { Differ } from "./diff.ts";

export interface Ctx {
  /** a new connection (closed at the end) */
  open(proto?: 2 | 3): Promise<RespConn>;
  /** the control connection */
  ctl: RespConn;
  log(label: string, v: string): void;
  /** waits until exactly n clients are blocked */
  blocked(n: number): Promise<void>;
  /** records a client's next reply */
  read(label: string, c: RespConn): Promise<void>;
  /** records whether a client stays silent for a while */
  silent(label: string, c: RespConn, ms?: number): Promise<void>;
}

/** Runs a scenario on one server (after FLUSHALL) and returns its log. */
export async function runScenario(port: number, fn: (x: Ctx) => Promise<void>): Promise<string[]> {
  const out: string[] = [];
  const conns: RespConn[] = [];
  const ctl = await RespConn.connect(port);
  conns.push(ctl);
  await ctl.call("FLUSHALL");
  const ctx: Ctx = {
    async open(proto = 2) {
      const c = await RespConn.connect(port);
      conns.push(c);
      if (proto === 3) await c.call("HELLO", "3");
      return c;
    },
    ctl,
    log(label, v) {
      out.push(`${label}: ${JSON.stringify(v)}`);
    },
    async blocked(n) {
      const deadline = Date.now() + 5000;
      for (;;) {
        const list = await ctl.call("CLIENT", "LIST");
        const got = (list.match(/flags=b/g) ?? []).length;
        if (got === n) return;
        if (Date.now() > deadline) throw new Error(`expected ${n} blocked clients, have ${got}`);
        await Bun.sleep(5);
      }
    },
    async read(label, c) {
      ctx.log(label, await c.read(3000));
    },
    async silent(label, c, ms = 60) {
      ctx.log(label, (await c.silent(ms)) ? "(silent)" : "(got data)");
    },
  };
  try {
    await fn(ctx);
  } finally {
    for (const c of conns) c.close();
  }
  return out;
}

/** Runs a scenario on both servers and compares the logs; returns AiKv's for extra checks. */
export async function sameBlocking(d: Differ, fn: (x: Ctx) => Promise<void>): Promise<string[]> {
  const a = await runScenario(d.aikv.port, fn);
  const r = await runScenario(d.redis.port, fn);
  expect(a).toEqual(r);
  return a;
}

/** The connection's CLIENT ID. */
export async function clientId(c: RespConn): Promise<string> {
  return (await c.call("CLIENT", "ID")).slice(1, -2);
}
