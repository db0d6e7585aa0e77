// Helpers of the durable-engine tests: start AiKv with engine lsm in a directory and wait until
// it has loaded, decode replies, dump a whole keyspace canonically.

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import { startAikv, type Running } from "../helpers/servers.ts";

export function tempDir(prefix = "aikv-lsm-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts AiKv (engine lsm) in `dir` and waits until loading is over. */
export async function startLsm(dir: string, args: string[] = [], port?: number): Promise<Running> {
  // The machine may be shared: a port found free can be taken before the server binds it.
  for (let attempt = 0; ; attempt++) {
    try {
      const s = await startAikv({ dir, port, args: ["--engine", "lsm", "--save", "", ...args] });
      await waitLoaded(s.port);
      return s;
    } catch (e) {
      if (attempt >= 4 || !String((e as Error).message).includes("Could not create server TCP listening socket")) throw e;
      await Bun.sleep(200);
    }
  }
}

export async function waitLoaded(port: number, ms = 30000): Promise<void> {
  const deadline = Date.now() + ms;
  const c = await RespConn.connect(port);
  try {
    for (;;) {
      const r = await c.call("PING");
      if (r === "+PONG\r\n") return;
      if (Date.now() > deadline) throw new Error(`still loading after ${ms} ms: ${r}`);
      await Bun.sleep(20);
    }
  } finally {
    c.close();
  }
}

export type Reply = string | number | null | Reply[] | { error: string };

/** Decodes one RESP2 reply. */
export function parseReply(s: string): Reply {
  let p = 0;
  const line = (): string => {
    const e = s.indexOf("\r\n", p);
    const l = s.slice(p, e);
    p = e + 2;
    return l;
  };
  const value = (): Reply => {
    const l = line();
    const t = l[0];
    const rest = l.slice(1);
    switch (t) {
      case "+":
        return rest;
      case "-":
        return { error: rest };
      case ":":
        return Number(rest);
      case "$": {
        const n = Number(rest);
        if (n < 0) return null;
        const v = s.slice(p, p + n);
        p += n + 2;
        return v;
      }
      case "*": {
        const n = Number(rest);
        if (n < 0) return null;
        const out: Reply[] = [];
        for (let i = 0; i < n; i++) out.push(value());
        return out;
      }
      default:
        throw new Error(`bad reply: ${JSON.stringify(s)}`);
    }
  };
  return value();
}

export async function q(c: RespConn, ...args: (string | Uint8Array)[]): Promise<Reply> {
  return parseReply(await c.call(...args));
}

/** Sends many commands at once and decodes the replies in order. */
export async function pipeline(c: RespConn, cmds: (string | Uint8Array)[][]): Promise<Reply[]> {
  for (const cmd of cmds) c.send(...cmd);
  const out: Reply[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(parseReply(await c.read()));
  return out;
}

/** Every key of every database: "db key type pexpiretime value" lines, sorted (values canonical). */
export async function dumpKeyspace(port: number, databases = 16): Promise<string[]> {
  const c = await RespConn.connect(port);
  const lines: string[] = [];
  try {
    for (let db = 0; db < databases; db++) {
      await q(c, "SELECT", String(db));
      const keys: string[] = [];
      let cursor = "0";
      do {
        const r = (await q(c, "SCAN", cursor, "COUNT", "1000")) as [string, string[]];
        cursor = r[0];
        keys.push(...r[1]);
      } while (cursor !== "0");
      const meta = await pipeline(c, keys.flatMap((k) => [["TYPE", k], ["PEXPIRETIME", k]]));
      const reads: (string | Uint8Array)[][] = [];
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const t = meta[i * 2] as string;
        if (t === "string") reads.push(["GET", k]);
        else if (t === "hash") reads.push(["HGETALL", k]);
        else if (t === "list") reads.push(["LRANGE", k, "0", "-1"]);
        else if (t === "set") reads.push(["SMEMBERS", k]);
        else if (t === "zset") reads.push(["ZRANGE", k, "0", "-1", "WITHSCORES"]);
        else reads.push(["DUMP", k]);
      }
      const vals = await pipeline(c, reads);
      for (let i = 0; i < keys.length; i++) {
        const t = meta[i * 2] as string;
        let v = vals[i]!;
        // streams: entries, groups and pending entries (consumer seen-times and a group's
        // entries-read are not part of the propagated history, in Redis either)
        if (t === "stream") v = await streamText(c, keys[i]!);
        if (t === "hash") {
          const a = v as string[];
          const pairs: string[] = [];
          for (let j = 0; j < a.length; j += 2) pairs.push(`${a[j]}=${a[j + 1]}`);
          v = pairs.sort().join(",");
        } else if (t === "set") v = (v as string[]).sort().join(",");
        else if (Array.isArray(v)) v = (v as string[]).join(",");
        lines.push(`${db} ${JSON.stringify(keys[i])} ${t} ${meta[i * 2 + 1]} ${JSON.stringify(v)}`);
      }
    }
  } finally {
    c.close();
  }
  return lines.sort();
}

async function streamText(c: RespConn, key: string): Promise<string> {
  const entries = JSON.stringify(await q(c, "XRANGE", key, "-", "+"));
  const st = (await q(c, "XINFO", "STREAM", key)) as Reply[];
  const fields: Record<string, Reply> = {};
  for (let i = 0; i < st.length; i += 2) fields[st[i] as string] = st[i + 1]!;
  const head = JSON.stringify([fields["length"], fields["last-generated-id"], fields["max-deleted-entry-id"], fields["entries-added"]]);
  const groups = (await q(c, "XINFO", "GROUPS", key)) as Reply[][];
  const gs: string[] = [];
  for (const g of groups) {
    const f: Record<string, Reply> = {};
    for (let i = 0; i < g.length; i += 2) f[g[i] as string] = g[i + 1]!;
    const pending = (await q(c, "XPENDING", key, f.name as string, "-", "+", "100000")) as Reply[][];
    gs.push(JSON.stringify([f.name, f.pending, f["last-delivered-id"], pending.map((p) => [p[0], p[1], p[3]])]));
  }
  return `${head} ${entries} ${gs.sort().join(" ")}`;
}

/** INFO section as a map. */
export async function info(port: number, section: string): Promise<Record<string, string>> {
  const c = await RespConn.connect(port);
  try {
    const text = (await q(c, "INFO", section)) as string;
    const out: Record<string, string> = {};
    for (const l of text.split("\r\n")) {
      const i = l.indexOf(":");
      if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
    }
    return out;
  } finally {
    c.close();
  }
}

/** A small seeded PRNG (the one in test/helpers/random.ts). */
export { prng as rng } from "../helpers/random.ts";
