// The differential harness: runs the same commands against AiKv and the redis-server oracle
// and compares the replies byte for byte (RESP2 and RESP3). Every command family's tests
// reuse it.

import { afterAll, beforeAll, expect } from "bun:test";
import { splitArgs } from "../../src/resp/parser.ts";
import { RespConn } from "./resp.ts";
import { startAikv, startRedis, type Running, type StartOptions } from "./servers.ts";

export type Cmd = (string | Uint8Array)[];
/** Rewrites a reply before comparison (for replies that are legitimately nondeterministic). */
export type Normalize = (reply: string, cmd: Cmd) => string;

export interface SameOptions {
  /** protocols to run under; default both */
  protos?: (2 | 3)[];
  normalize?: Normalize;
  /** FLUSHALL both servers first (default true) */
  flush?: boolean;
}

/** Parses a multi-line script: one command per line, redis-cli quoting, # comments. */
export function parseScript(text: string): Cmd[] {
  const out: Cmd[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (!t || t.startsWith("#")) continue;
    const b = Buffer.from(t, "latin1");
    const args = splitArgs(b, 0, b.length);
    if (!args) throw new Error(`bad script line: ${t}`);
    out.push(args.map((x) => Buffer.from(x).toString("latin1")));
  }
  return out;
}

export function show(cmd: Cmd): string {
  return cmd.map((a) => (typeof a === "string" ? a : Buffer.from(a).toString("latin1"))).map((s) => JSON.stringify(s)).join(" ");
}

export class Differ {
  private constructor(
    readonly aikv: Running,
    readonly redis: Running,
  ) {}

  static async start(o: { aikv?: StartOptions; redis?: StartOptions } = {}): Promise<Differ> {
    const [a, r] = await Promise.all([startAikv(o.aikv), startRedis(o.redis)]);
    return new Differ(a, r);
  }

  async stop(): Promise<void> {
    await Promise.all([this.aikv.stop(), this.redis.stop()]);
  }

  /** A connected pair, switched to the protocol. */
  async pair(proto: 2 | 3 = 2): Promise<[RespConn, RespConn]> {
    const a = await RespConn.connect(this.aikv.port);
    const r = await RespConn.connect(this.redis.port);
    if (proto === 3) {
      await a.call("HELLO", "3");
      await r.call("HELLO", "3");
    }
    return [a, r];
  }

  /** Runs commands on both servers; returns the pairs of replies. */
  async run(cmds: Cmd[], proto: 2 | 3 = 2, flush = true): Promise<[Cmd, string, string][]> {
    const [a, r] = await this.pair(proto);
    try {
      if (flush) {
        await a.call("FLUSHALL");
        await r.call("FLUSHALL");
      }
      const out: [Cmd, string, string][] = [];
      for (const cmd of cmds) {
        const [ra, rr] = await Promise.all([a.call(...cmd), r.call(...cmd)]);
        out.push([cmd, ra, rr]);
      }
      return out;
    } finally {
      a.close();
      r.close();
    }
  }

  /** Asserts both servers reply identically to every command. */
  async same(cmds: Cmd[] | string, o: SameOptions = {}): Promise<void> {
    const list = typeof cmds === "string" ? parseScript(cmds) : cmds;
    for (const proto of o.protos ?? [2, 3]) {
      const results = await this.run(list, proto, o.flush ?? true);
      for (const [cmd, ra, rr] of results) {
        const na = o.normalize ? o.normalize(ra, cmd) : ra;
        const nr = o.normalize ? o.normalize(rr, cmd) : rr;
        if (na !== nr) {
          expect({ proto, cmd: show(cmd), reply: JSON.stringify(na) }).toEqual({ proto, cmd: show(cmd), reply: JSON.stringify(nr) });
        }
      }
    }
  }
}

/**
 * A Differ for the tests of one file (or describe block): started in beforeAll, stopped in
 * afterAll. The returned handle forwards to it, so it can be a module-level const.
 */
export function useDiffer(o: Parameters<typeof Differ.start>[0] = {}): Differ {
  let inst: Differ | undefined;
  beforeAll(async () => {
    inst = await Differ.start(o);
  });
  afterAll(async () => {
    await inst?.stop();
  });
  return new Proxy({} as Differ, {
    get(_target, prop) {
      if (!inst) throw new Error("useDiffer: the servers start in beforeAll; use the handle inside hooks and tests");
      const v = Reflect.get(inst, prop, inst);
      return typeof v === "function" ? v.bind(inst) : v;
    },
  });
}
