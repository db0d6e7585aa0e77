// CONFIG GET / SET / RESETSTAT / REWRITE / HELP, with Redis 7.0's semantics: several
// patterns or pairs per call, atomic SET, Redis's error texts (the registry holds the rules).

import { E, fail } from "../errors.ts";
import { rewriteConfigFile } from "../config/load.ts";
import { SENSITIVE } from "../config/registry.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

/** Counters other subsystems keep for INFO, cleared by CONFIG RESETSTAT. */
export const resetStatHooks: ((srv: Server) => void)[] = [];

const HELP = [
  "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET <pattern> [<pattern> ...]",
  "    Parameters whose names match a glob-style pattern, with their values.",
  "SET <parameter> <value> [<parameter> <value> ...]",
  "    Change parameters at run time, all of them or none.",
  "RESETSTAT",
  "    Zero the counters that INFO reports.",
  "REWRITE",
  "    Save the current configuration into the config file the server was started with.",
  "HELP",
  "    This text.",
];

/** A client on a loopback address (enable-protected-configs local). */
function isLocal(c: Client): boolean {
  const addr = c.addr;
  const host = addr.slice(0, addr.lastIndexOf(":"));
  return host.startsWith("127.") || host === "::1" || host === "[::1]" || host.startsWith("::ffff:127.") || host === "";
}

/** Zeroes every counter of an INFO stats object (numbers to 0, maps emptied), keeping some. */
function zero(o: object, keep: string[] = []): void {
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if (keep.includes(k)) continue;
    const v = rec[k];
    if (typeof v === "number") rec[k] = 0;
    else if (v instanceof Map) v.clear();
  }
}

/** CONFIG RESETSTAT: server and keyspace counters, commandstats, errorstats, latencystats. */
export function resetStats(srv: Server): void {
  zero(srv.stats, ["startTime"]);
  zero(srv.ks.stats);
  for (const cmd of srv.table.all.values()) {
    const all = cmd.subs ? [cmd, ...cmd.subs.values()] : [cmd];
    for (const x of all) {
      x.calls = 0;
      x.usec = 0;
      x.rejected = 0;
      x.failed = 0;
      if ("latency" in x) (x as { latency: unknown }).latency = null;
    }
  }
  for (const h of resetStatHooks) h(srv);
}

export const handlers: Handlers = {
  "config|get"(c, a) {
    const patterns: string[] = [];
    for (let i = 2; i < a.argc; i++) patterns.push(a.str(i));
    const found = c.srv.cfg.match(patterns);
    c.out.map(found.length);
    for (const [name, value] of found) {
      c.out.bulk(name);
      c.out.bulk(value);
    }
  },

  "config|set"(c, a) {
    if (a.argc & 1) fail(E.SYNTAX);
    const cfg = c.srv.cfg;
    const pairs: [string, string][] = [];
    for (let i = 2; i < a.argc; i += 2) {
      const name = a.str(i);
      pairs.push([name, a.str(i + 1)]);
      // secrets never reach the slow log, even when the call fails
      if ((cfg.def(name)?.flags ?? 0) & SENSITIVE) (c.redact ??= []).push(i + 1);
    }
    const err = cfg.configSet(pairs, { local: isLocal(c), loading: c.srv.loading });
    if (err !== null) fail(err);
    c.out.ok();
  },

  "config|resetstat"(c) {
    resetStats(c.srv);
    c.out.ok();
  },

  "config|rewrite"(c) {
    const srv = c.srv;
    const path = srv.cfg.configFile;
    if (path === null) fail("ERR The server is running without a config file");
    const err = rewriteConfigFile(srv.cfg, path);
    if (err !== null) {
      srv.log.warning(`CONFIG REWRITE failed: ${err}`);
      fail(`ERR Rewriting config file: ${err}`);
    }
    srv.log.warning("CONFIG REWRITE executed with success.");
    c.out.ok();
  },

  "config|help"(c) {
    helpReply(c, HELP);
  },
};
