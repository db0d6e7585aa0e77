// Functions: FUNCTION LOAD/DELETE/LIST/FLUSH/DUMP/RESTORE/STATS/KILL/HELP, FCALL, FCALL_RO
// (Redis 7.0 semantics; the library registry is src/scripting/functions.ts).

import { fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { feedMonitors } from "../server/dispatch.ts";
import { parseI64 } from "../util/numbers.ts";
import { FunctionError, functionsOf, type Library } from "../scripting/functions.ts";
import { prepareError, runScript } from "../scripting/run.ts";
import { argSlice } from "./scripting.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

/** Runs registry code, turning its errors into error replies. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FunctionError) fail(e.message);
    throw e;
  }
}

function fcallGeneric(c: Client, a: Argv, ro: boolean): void {
  const srv = c.srv;
  if (srv.monitors.size !== 0) feedMonitors(srv, c, a);
  const reg = functionsOf(srv);
  const fn = reg.get(a.str(1));
  if (fn === undefined) fail("ERR Function not found");
  const numkeys = parseI64(a.str(2));
  if (Number.isNaN(numkeys)) fail("ERR Bad number of keys provided");
  if (numkeys > a.argc - 3) fail("ERR Number of keys can't be greater than number of args");
  if (numkeys < 0) fail("ERR Number of keys can't be negative");
  const perr = prepareError(srv, fn.flags, ro);
  if (perr !== null) fail(perr);
  runScript({
    engine: reg.engine,
    caller: c,
    funcname: fn.name,
    fnRef: fn.ref,
    keys: argSlice(a, 3, numkeys),
    args: argSlice(a, 3 + numkeys, a.argc - 3 - numkeys),
    style: "function",
    flags: fn.flags,
    ro,
  });
}

function libraryReply(c: Client, lib: Library, withCode: boolean, flagNames: (f: number) => string[]): void {
  const o = c.out;
  o.map(withCode ? 4 : 3);
  o.bulk("library_name");
  o.bulk(lib.name);
  o.bulk("engine");
  o.bulk("LUA");
  o.bulk("functions");
  o.arr(lib.functions.size);
  for (const f of lib.functions.values()) {
    o.map(3);
    o.bulk("name");
    o.bulk(f.name);
    o.bulk("description");
    if (f.desc === null) o.nil();
    else o.bulk(f.desc);
    o.bulk("flags");
    const names = flagNames(f.flags);
    o.set(names.length);
    for (const n of names) o.status(n);
  }
  if (withCode) {
    o.bulk("library_code");
    o.bulkBytes(lib.code);
  }
}

const HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Load a library (its first line is '#!lua name=<library>'); REPLACE swaps an existing one.",
  "DELETE <LIBRARY NAME>",
  "    Remove a library and its functions.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Libraries with their engine and functions (name, description, flags), optionally",
  "    only those whose name matches the pattern, optionally with their code.",
  "STATS",
  "    The running function (never one here: functions run to completion) and, per engine,",
  "    how many libraries and functions are loaded.",
  "KILL",
  "    Stop the running function (see SCRIPT KILL: there is never one to stop).",
  "FLUSH [ASYNC|SYNC]",
  "    Remove every library.",
  "DUMP",
  "    A payload holding every library, in the format FUNCTION RESTORE reads.",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Load the libraries of a payload: FLUSH drops existing ones first, APPEND (default)",
  "    fails on a name collision, REPLACE replaces libraries with the same name.",
  "HELP",
  "    Print this help.",
];

export const handlers: Handlers = {
  fcall(c, a) {
    fcallGeneric(c, a, false);
  },
  fcall_ro(c, a) {
    fcallGeneric(c, a, true);
  },

  "function|load"(c, a) {
    let replace = false;
    let i = 2;
    while (i < a.argc - 1) {
      if (!a.is(i, "replace")) fail(`ERR Unknown option given: ${a.str(i)}`);
      replace = true;
      i++;
    }
    const name = guarded(() => functionsOf(c.srv).load(a.bytes(i), replace));
    c.srv.ks.dirty++;
    c.out.bulk(name);
  },

  "function|delete"(c, a) {
    if (!functionsOf(c.srv).delete(a.str(2))) fail("ERR Library not found");
    c.srv.ks.dirty++;
    c.out.ok();
  },

  "function|flush"(c, a) {
    if (a.argc > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${a.str(1)}'. Try FUNCTION HELP.`);
    if (a.argc === 3 && !a.is(2, "sync") && !a.is(2, "async")) fail("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    functionsOf(c.srv).flush();
    c.srv.ks.dirty++;
    c.out.ok();
  },

  "function|list"(c, a) {
    let withCode = false;
    let pattern: string | null = null;
    for (let i = 2; i < a.argc; i++) {
      if (!withCode && a.is(i, "withcode")) {
        withCode = true;
        continue;
      }
      if (pattern === null && a.is(i, "libraryname")) {
        if (i >= a.argc - 1) fail("ERR library name argument was not given");
        pattern = a.str(++i);
        continue;
      }
      fail(`ERR Unknown argument ${a.str(i)}`);
    }
    const reg = functionsOf(c.srv);
    const libs = reg.list(pattern);
    c.out.arr(libs.length);
    for (const lib of libs) libraryReply(c, lib, withCode, (f) => reg.flagNames(f));
  },

  "function|dump"(c) {
    c.out.bulkBytes(functionsOf(c.srv).dump());
  },

  "function|restore"(c, a) {
    if (a.argc > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${a.str(1)}'. Try FUNCTION HELP.`);
    let policy: "flush" | "append" | "replace" = "append";
    if (a.argc === 4) {
      if (a.is(3, "append")) policy = "append";
      else if (a.is(3, "replace")) policy = "replace";
      else if (a.is(3, "flush")) policy = "flush";
      else fail("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
    guarded(() => functionsOf(c.srv).restore(Uint8Array.prototype.slice.call(a.bytes(2)), policy));
    c.srv.ks.dirty++;
    c.out.ok();
  },

  "function|stats"(c) {
    const reg = functionsOf(c.srv);
    const o = c.out;
    o.map(2);
    o.bulk("running_script");
    o.nil();
    o.bulk("engines");
    o.map(1);
    o.bulk("LUA");
    o.map(2);
    o.bulk("libraries_count");
    o.int(reg.ctx.libs.size);
    o.bulk("functions_count");
    o.int(reg.ctx.fns.size);
  },

  "function|kill"() {
    fail("NOTBUSY No scripts in execution right now.");
  },

  "function|help"(c) {
    helpReply(c, HELP);
  },
};
