// What commands propagate (to the AOF and replicas): AiKv's stream captured in-process from the
// propagation hook, redis-server's as a real replica receives it from its master (seen through
// MONITOR on the replica). In a script, a command starting with "@" runs on a second client:
// it blocks, and the next command outside a MULTI serves it.

import { expect } from "bun:test";
import { RespConn } from "./resp.ts";
import { startRedis, type Running } from "./servers.ts";
import type { Cmd } from "./diff.ts";

const text = (x: string | Uint8Array) => (typeof x === "string" ? x : Buffer.from(x).toString("latin1"));

/**
 * An in-process AiKv server (clients without sockets) recording what it propagates. The
 * server modules load on first use.
 */
export async function recordingServer() {
  const { Server } = await import("../../src/server/context.ts");
  const { processCommand } = await import("../../src/server/dispatch.ts");
  const { Argv } = await import("../../src/resp/argv.ts");
  const srv = new Server();
  srv.init();
  const propagated: string[][] = [];
  srv.hooks.propagate.push((_db, args) => propagated.push(args.map(text)));
  const client = srv.newClient();
  return {
    srv,
    client,
    propagated,
    /** the propagated commands, arguments joined by spaces */
    lines: () => propagated.map((a) => a.join(" ")),
    run(cmd: Cmd, c = client) {
      processCommand(c, Argv.of(cmd));
    },
  };
}

/** The commands AiKv propagates while the script runs (`fake`: the client is flagged as fake). */
export async function aikvPropagation(script: Cmd[], o: { fake?: boolean } = {}): Promise<string[][]> {
  const rec = await recordingServer();
  if (o.fake) {
    const { CF } = await import("../../src/server/client.ts");
    rec.client.flags |= CF.FAKE;
  }
  let blocker: typeof rec.client | undefined;
  for (const cmd of script) {
    if (cmd[0] === "@") rec.run(cmd.slice(1), (blocker ??= rec.srv.newClient()));
    else rec.run(cmd);
  }
  return rec.propagated;
}

/**
 * The commands a replica of `master` receives while the script runs on the master (after
 * FLUSHALL; SELECT, PING and FLUSHALL left out). Arguments are as MONITOR shows them, with
 * \xHH escapes decoded.
 */
export async function redisPropagation(master: Running, script: Cmd[]): Promise<string[][]> {
  const mc = await RespConn.connect(master.port);
  await mc.call("CONFIG", "SET", "repl-diskless-sync-delay", "0");
  mc.close();
  const replica = await startRedis({ args: ["--replicaof", "127.0.0.1", String(master.port)] });
  try {
    const rep = await RespConn.connect(replica.port);
    for (let i = 0; i < 200 && !(await rep.call("INFO", "replication")).includes("master_link_status:up"); i++) await Bun.sleep(50);
    await rep.call("MONITOR");
    const m = await RespConn.connect(master.port);
    const mb = script.some((cmd) => cmd[0] === "@") ? await RespConn.connect(master.port) : undefined;
    await m.call("FLUSHALL");
    let blocked = false;
    let inMulti = false;
    for (const cmd of script) {
      if (cmd[0] === "@") {
        mb!.send(...cmd.slice(1));
        while (!(await m.call("CLIENT", "LIST")).includes("flags=b")) await Bun.sleep(5);
        blocked = true;
        continue;
      }
      await m.call(...cmd);
      if (cmd[0] === "MULTI") inMulti = true;
      if (cmd[0] === "EXEC") inMulti = false;
      if (blocked && !inMulti) {
        await mb!.read();
        blocked = false;
      }
    }
    await m.call("SET", "__end", "1");
    const theirs: string[][] = [];
    for (;;) {
      const line = (await rep.read()).slice(1).trim();
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((x) => x[1]!.replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
      if (/^set$/i.test(args[0] ?? "") && args[1] === "__end") break;
      if (/^(select|ping|flushall)$/i.test(args[0] ?? "")) continue;
      theirs.push(args);
    }
    m.close();
    mb?.close();
    rep.close();
    return theirs;
  } finally {
    await replica.stop();
  }
}

/** Upper-cases each line's command name (Redis propagates names as the client spelled them). */
export const upperCommands = (xs: string[]) => xs.map((s) => s.replace(/^\S+/, (w) => w.toUpperCase()));

/**
 * Asserts AiKv propagates what a redis-server replica receives for the script, each command
 * mapped by `line` (default: arguments joined by spaces) and compared with its name upper-cased.
 * Returns AiKv's lines.
 */
export async function samePropagation(
  d: { redis: Running },
  script: Cmd[],
  o: { line?: (args: string[]) => string; fake?: boolean } = {},
): Promise<string[]> {
  const line = o.line ?? ((args: string[]) => args.join(" "));
  const ours = (await aikvPropagation(script, { fake: o.fake })).map(line);
  const theirs = (await redisPropagation(d.redis, script)).map(line);
  expect(upperCommands(ours)).toEqual(upperCommands(theirs));
  return ours;
}
