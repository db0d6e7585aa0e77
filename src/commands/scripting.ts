// Scripting commands: EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT LOAD/EXISTS/FLUSH/KILL/DEBUG/HELP.
// The Lua side lives in src/scripting/ (docs/SCRIPTING.md describes it, rollback included).

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { feedMonitors } from "../server/dispatch.ts";
import { parseI64 } from "../util/numbers.ts";
import { prepareError, runScript } from "../scripting/run.ts";
import { scriptCache, type Script } from "../scripting/scripts.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

/** numkeys of EVAL/FCALL-style commands, checked like Redis; returns the key count. */
export function parseNumKeys(a: Argv, badMsg = E.NOT_INT): number {
  const n = parseI64(a.str(2));
  if (Number.isNaN(n)) fail(badMsg);
  if (n > a.argc - 3) fail("ERR Number of keys can't be greater than number of args");
  if (n < 0) fail("ERR Number of keys can't be negative");
  return n;
}

/** Copies of argv[from .. from+n). */
export function argSlice(a: Argv, from: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Uint8Array.prototype.slice.call(a.bytes(from + i));
  return out;
}

function evalGeneric(c: Client, a: Argv, bySha: boolean, ro: boolean): void {
  const srv = c.srv;
  // EVAL is skip_monitor: it is shown here, before the commands it runs.
  if (srv.monitors.size !== 0) feedMonitors(srv, c, a);
  if (bySha && a.len(1) !== 40) fail(E.NOSCRIPT);
  const numkeys = parseNumKeys(a);
  const cache = scriptCache(srv);
  let script: Script | undefined;
  if (bySha) {
    script = cache.get(a.str(1));
    if (script === undefined) fail(E.NOSCRIPT);
  } else {
    const s = cache.create(a.bytes(1));
    if (typeof s === "string") fail(s);
    script = s;
  }
  const perr = prepareError(srv, script.flags, ro);
  if (perr !== null) fail(perr);
  runScript({
    engine: cache.engine,
    caller: c,
    funcname: script.sha,
    fnRef: script.ref,
    keys: argSlice(a, 3, numkeys),
    args: argSlice(a, 3 + numkeys, a.argc - 3 - numkeys),
    style: "eval",
    flags: script.flags,
    ro,
  });
}

const HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Lua debugger sessions are not available in AiKv; only NO is accepted.",
  "EXISTS <sha1> [<sha1> ...]",
  "    For each SHA1, 1 if a script with that digest is cached, else 0.",
  "FLUSH [ASYNC|SYNC]",
  "    Forget every cached script (and reset the Lua interpreter).",
  "KILL",
  "    Stop the running script. AiKv runs scripts to completion or to the",
  "    busy-reply-threshold limit, so there is never one to stop.",
  "LOAD <script>",
  "    Cache a script without running it; replies with its SHA1 digest.",
  "HELP",
  "    Print this help.",
];

export const handlers: Handlers = {
  eval(c, a) {
    evalGeneric(c, a, false, false);
  },
  evalsha(c, a) {
    evalGeneric(c, a, true, false);
  },
  eval_ro(c, a) {
    evalGeneric(c, a, false, true);
  },
  evalsha_ro(c, a) {
    evalGeneric(c, a, true, true);
  },

  "script|load"(c, a) {
    const s = scriptCache(c.srv).create(a.bytes(2));
    if (typeof s === "string") fail(s);
    c.out.bulk(s.sha);
  },
  "script|exists"(c, a) {
    const cache = scriptCache(c.srv);
    c.out.arr(a.argc - 2);
    for (let i = 2; i < a.argc; i++) c.out.int(cache.get(a.str(i)) ? 1 : 0);
  },
  "script|flush"(c, a) {
    if (!(a.argc === 2 || (a.argc === 3 && (a.is(2, "sync") || a.is(2, "async"))))) {
      fail("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    }
    scriptCache(c.srv).flush();
    c.out.ok();
  },
  "script|kill"() {
    fail("NOTBUSY No scripts in execution right now.");
  },
  "script|debug"(c, a) {
    if (a.is(2, "no")) {
      c.out.ok();
      return;
    }
    if (a.is(2, "yes") || a.is(2, "sync")) fail("ERR SCRIPT DEBUG is not supported: AiKv has no Lua debugger");
    fail("ERR Use SCRIPT DEBUG YES/SYNC/NO");
  },
  "script|help"(c) {
    helpReply(c, HELP);
  },
};
