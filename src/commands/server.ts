// Server commands: INFO TIME LASTSAVE SHUTDOWN MONITOR ROLE DEBUG MEMORY.

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import { human, infoText, usedMemory } from "../server/info.ts";
import { shutdown } from "../server/shutdown.ts";
import type { Value } from "../store/value.ts";
import { StrBuf } from "../store/types/string.ts";
import { parseDouble, parseI64 } from "../util/numbers.ts";
import { datasetDigest, valueDigest } from "./digest.ts";
import { helpReply } from "./help.ts";
import { encodingOf } from "./keys.ts";
import type { Handlers } from "./table.ts";

/** Approximate bytes a key's value uses (MEMORY USAGE); includes per-key overhead. */
export function valueBytes(key: string, v: Value): number {
  const overhead = 48 + key.length;
  if (typeof v === "string") return overhead + 16 + v.length;
  return overhead + v.bytes();
}

function isLocal(c: Client): boolean {
  const host = c.addr.slice(0, c.addr.lastIndexOf(":"));
  return host === "127.0.0.1" || host === "::1" || host === "::ffff:127.0.0.1" || c.addr.startsWith("unix:");
}

/** enable-debug-command / enable-module-command style gate. */
function protectedCommandAllowed(c: Client, option: string): boolean {
  const v = c.srv.cfg.str(option);
  return v === "yes" || (v === "local" && isLocal(c));
}

const DEBUG_HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DIGEST",
  "    A hex signature of the whole dataset.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Hex signatures of the values at the given keys.",
  "ERROR <string>",
  "    Reply with <string> as an error (for client tests).",
  "LOG <message>",
  "    Write <message> to the server log.",
  "OBJECT <key>",
  "    Low level details of the value at <key>.",
  "POPULATE <count> [<prefix>] [<size>]",
  "    Create <count> string keys <prefix>:<n> (prefix 'key'), values 'value:<n>' (or <size> bytes).",
  "PROTOCOL <type>",
  "    Reply with a sample of a RESP type: string integer double bignum null array set map",
  "    attrib push verbatim true false.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Turn the background expiry of keys off (0) or on (1).",
  "SLEEP <seconds>",
  "    Block the server for <seconds> (decimals allowed).",
  "CHANGE-REPL-ID",
  "    Give the instance new replication ids.",
  "JMAP",
  "    Force a garbage collection and report heap sizes.",
  "HELP",
  "    This text.",
];

function debugObject(c: Client, a: Argv): void {
  const key = a.str(2);
  const v = c.db.lookup(key);
  if (v === undefined) fail(E.NO_SUCH_KEY);
  const enc = encodingOf(c, v);
  const idle = c.db.idleSeconds(key, v);
  const len = typeof v === "string" ? v.length : v instanceof StrBuf ? v.len : v.bytes();
  c.out.status(`Value at:0x0 refcount:1 encoding:${enc} serializedlength:${len} lru:${c.srv.ks.lruClock} lru_seconds_idle:${idle}`);
}

function debugProtocol(c: Client, a: Argv): void {
  const o = c.out;
  switch (a.lower(2)) {
    case "string":
      return o.bulk("Hello World");
    case "integer":
      return o.int(12345);
    case "double":
      return o.dbl(3.141);
    case "bignum":
      return o.bignum("1234567999999999999999999999999999999");
    case "null":
      return o.nil();
    case "array":
      o.arr(3);
      for (let i = 0; i < 3; i++) o.int(i);
      return;
    case "set":
      o.set(3);
      for (let i = 0; i < 3; i++) o.int(i);
      return;
    case "map":
      o.map(3);
      for (let i = 0; i < 3; i++) {
        o.int(i);
        o.bool(i === 1);
      }
      return;
    case "attrib":
      if (o.proto === 3) {
        o.attr(1);
        o.bulk("key-popularity");
        o.arr(2);
        o.bulk("key:123");
        o.int(90);
      }
      return o.bulk("Some real reply following the attribute");
    case "push":
      if (o.proto === 2) fail("ERR RESP2 is not supported by this command");
      o.push(2);
      o.bulk("server-cpu-usage");
      o.int(42);
      return o.bulk("Some real reply following the push reply");
    case "verbatim":
      return o.verbatim("This is a verbatim\nstring");
    case "true":
      return o.bool(true);
    case "false":
      return o.bool(false);
  }
  fail("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false");
}

function debugPopulate(c: Client, a: Argv): void {
  if (a.argc < 3 || a.argc > 5) fail("ERR wrong number of arguments for 'debug|populate' command");
  const count = parseI64(a.str(2));
  if (Number.isNaN(count) || count < 0) fail("ERR value is out of range, must be positive");
  const prefix = a.argc >= 4 ? a.str(3) : "key";
  let size = -1;
  if (a.argc === 5) {
    size = parseI64(a.str(4));
    if (Number.isNaN(size) || size < 0) fail("ERR value is out of range, must be positive");
  }
  const db = c.db;
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (db.lookup(key) !== undefined) continue;
    let val = `value:${i}`;
    if (size >= 0) val = val.length >= size ? val.slice(0, size) : val + "\0".repeat(size - val.length);
    db.set(key, val);
  }
  c.out.ok();
}

function debug(c: Client, a: Argv): void {
  if (!protectedCommandAllowed(c, "enable-debug-command")) {
    fail(
      'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
    );
  }
  const sub = a.lower(1);
  const srv = c.srv;
  switch (sub) {
    case "help":
      return helpReply(c, DEBUG_HELP);
    case "sleep": {
      if (a.argc !== 3) break;
      const secs = parseDouble(a.str(2));
      if (Number.isNaN(secs)) fail(E.NOT_FLOAT);
      if (secs > 0) Bun.sleepSync(secs * 1000);
      return c.out.ok();
    }
    case "set-active-expire": {
      if (a.argc !== 3) break;
      srv.ks.activeExpire = a.str(2) !== "0";
      return c.out.ok();
    }
    case "log":
      if (a.argc !== 3) break;
      srv.log.warning(`DEBUG LOG: ${a.str(2)}`);
      return c.out.ok();
    case "error":
      if (a.argc !== 3) break;
      return c.out.error(a.str(2));
    case "object":
      if (a.argc !== 3) break;
      return debugObject(c, a);
    case "protocol":
      if (a.argc !== 3) break;
      return debugProtocol(c, a);
    case "populate":
      return debugPopulate(c, a);
    case "digest":
      if (a.argc !== 2) break;
      return c.out.status(datasetDigest(srv.ks.dbs));
    case "digest-value": {
      c.out.arr(a.argc - 2);
      for (let i = 2; i < a.argc; i++) c.out.status(valueDigest(c.db, a.str(i)));
      return;
    }
    case "change-repl-id":
      if (a.argc !== 2) break;
      srv.changeReplId();
      return c.out.ok();
    case "jmap": {
      Bun.gc(true);
      const m = process.memoryUsage();
      return c.out.status(`heap_used:${m.heapUsed} heap_total:${m.heapTotal} rss:${m.rss}`);
    }
    case "quicklist-packed-threshold":
    case "set-skip-checksum-validation":
    case "replybuffer":
    case "pause-cron":
    case "stringmatch-len":
      return c.out.ok();
  }
  if (debugHooks.has(sub)) return debugHooks.get(sub)!(c, a);
  fail(`ERR unknown subcommand '${a.str(1).slice(0, 128)}'. Try DEBUG HELP.`);
}

/** DEBUG subcommands provided by other subsystems (RELOAD by persistence, ...). */
export const debugHooks = new Map<string, (c: Client, a: Argv) => void>();

const MEMORY_HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    A short report on memory use.",
  "MALLOC-STATS",
  "    Heap statistics of the runtime.",
  "PURGE",
  "    Run a full garbage collection.",
  "STATS",
  "    Memory counters.",
  "USAGE <key> [SAMPLES <count>]",
  "    Approximate bytes used by <key> and its value.",
  "HELP",
  "    This text.",
];

export const handlers: Handlers = {
  info(c, a) {
    c.out.verbatim(infoText(c.srv, a.strings(1)));
  },

  time(c) {
    const now = performance.timeOrigin + performance.now();
    const sec = Math.floor(now / 1000);
    c.out.arr(2);
    c.out.bulk(String(sec));
    c.out.bulk(String(Math.floor((now - sec * 1000) * 1000)));
  },

  lastsave(c) {
    c.out.int(c.srv.lastSave);
  },

  shutdown(c, a) {
    let save: boolean | null = null;
    let abort = false;
    for (let i = 1; i < a.argc; i++) {
      if (a.is(i, "nosave")) save = false;
      else if (a.is(i, "save")) save = true;
      else if (a.is(i, "now") || a.is(i, "force")) continue;
      else if (a.is(i, "abort")) abort = true;
      else fail(E.SYNTAX);
    }
    if (abort) {
      if (a.argc !== 2) fail(E.SYNTAX);
      fail("ERR No shutdown in progress.");
    }
    if (c.flags & CF.MULTI) fail("ERR SHUTDOWN is not allowed inside a transaction");
    void shutdown(c.srv, { save });
  },

  monitor(c) {
    if (c.flags & CF.MULTI) fail("ERR MONITOR is not allowed inside a transaction");
    if (c.flags & CF.MONITOR) return;
    c.flags |= CF.MONITOR;
    c.srv.monitors.add(c);
    c.out.ok();
  },

  role(c) {
    const r = c.srv.roleReply;
    if (r) return r(c);
    c.out.arr(3);
    c.out.bulk("master");
    c.out.int(0);
    c.out.emptyArr();
  },

  debug,

  "memory|usage"(c, a) {
    if (a.argc === 5) {
      if (!a.is(3, "samples")) fail(E.SYNTAX);
      const n = parseI64(a.str(4));
      if (Number.isNaN(n)) fail(E.NOT_INT);
      if (n < 0) fail(E.SYNTAX);
    } else if (a.argc !== 3) fail(E.SYNTAX);
    const key = a.str(2);
    const v = c.db.lookup(key);
    if (v === undefined) return c.out.nil();
    c.out.int(valueBytes(key, v));
  },

  "memory|stats"(c) {
    const m = process.memoryUsage();
    const used = usedMemory();
    let keys = 0;
    for (const db of c.srv.ks.dbs) keys += db.size;
    const fields: [string, number | string][] = [
      ["peak.allocated", used],
      ["total.allocated", used],
      ["startup.allocated", 0],
      ["replication.backlog", 0],
      ["clients.slaves", 0],
      ["clients.normal", 0],
      ["keys.count", keys],
      ["keys.bytes-per-key", keys ? Math.floor(used / keys) : 0],
      ["dataset.bytes", used],
      ["rss", m.rss],
      ["heap.total", m.heapTotal],
      ["external", m.external],
    ];
    c.out.map(fields.length);
    for (const [k, v] of fields) {
      c.out.bulk(k);
      if (typeof v === "number") c.out.int(v);
      else c.out.bulk(v);
    }
  },

  "memory|doctor"(c) {
    const m = process.memoryUsage();
    c.out.verbatim(`Memory use: heap ${human(m.heapUsed)} of ${human(m.heapTotal)}, RSS ${human(m.rss)}. Nothing unusual to report.`);
  },

  "memory|malloc-stats"(c) {
    const m = process.memoryUsage();
    c.out.verbatim(JSON.stringify(m));
  },

  "memory|purge"(c) {
    Bun.gc(true);
    c.out.ok();
  },

  "memory|help"(c) {
    helpReply(c, MEMORY_HELP);
  },
};
