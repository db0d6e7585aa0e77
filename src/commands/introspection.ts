// Introspection: COMMAND (COUNT INFO DOCS GETKEYS GETKEYSANDFLAGS LIST HELP), SLOWLOG, LATENCY.
// Everything COMMAND says comes from the one table (specs.ts + derived facts).

import { E, fail } from "../errors.ts";
import { Argv } from "../resp/argv.ts";
import type { Reply } from "../resp/writer.ts";
import type { Client } from "../server/client.ts";
import { globMatch } from "../util/glob.ts";
import { parseI64 } from "../util/numbers.ts";
import { helpReply, subcommandSyntaxError } from "./help.ts";
import { commandKeys } from "./keyspec.ts";
import type { KeySpecDecl } from "./spec-rules.ts";
import { CMD, type Command, type Handlers } from "./table.ts";

function statusSet(o: Reply, items: string[]): void {
  o.set(items.length);
  for (const s of items) o.status(s);
}

function keySpecReply(o: Reply, k: KeySpecDecl): void {
  o.map(3);
  o.bulk("flags");
  statusSet(o, k.f.split(" "));
  o.bulk("begin_search");
  o.map(2);
  o.bulk("type");
  if (k.i !== undefined) {
    o.bulk("index");
    o.bulk("spec");
    o.map(1);
    o.bulk("index");
    o.int(k.i);
  } else if (k.kw) {
    o.bulk("keyword");
    o.bulk("spec");
    o.map(2);
    o.bulk("keyword");
    o.bulk(k.kw[0]);
    o.bulk("startfrom");
    o.int(k.kw[1]);
  } else {
    o.bulk("unknown");
    o.bulk("spec");
    o.map(0);
  }
  o.bulk("find_keys");
  o.map(2);
  o.bulk("type");
  if (k.n) {
    o.bulk("keynum");
    o.bulk("spec");
    o.map(3);
    o.bulk("keynumidx");
    o.int(k.n[0]);
    o.bulk("firstkey");
    o.int(k.n[1]);
    o.bulk("keystep");
    o.int(k.n[2]);
  } else if (k.fk === "unknown" || (k.i === undefined && !k.kw)) {
    o.bulk("unknown");
    o.bulk("spec");
    o.map(0);
  } else {
    const [lastkey, keystep, limit] = k.r ?? [0, 1, 0];
    o.bulk("range");
    o.bulk("spec");
    o.map(3);
    o.bulk("lastkey");
    o.int(lastkey);
    o.bulk("keystep");
    o.int(keystep);
    o.bulk("limit");
    o.int(limit);
  }
}

function infoReply(o: Reply, cmd: Command): void {
  o.arr(10);
  o.bulk(cmd.name);
  o.int(cmd.arity);
  statusSet(o, cmd.flagNames);
  o.int(cmd.first);
  o.int(cmd.last);
  o.int(cmd.step);
  statusSet(o, cmd.acl.map((a) => "@" + a));
  const tips = cmd.spec.tips ?? [];
  o.set(tips.length);
  for (const t of tips) o.bulk(t);
  o.arr(cmd.keySpecs.length);
  for (const k of cmd.keySpecs) keySpecReply(o, k);
  const subs = cmd.subs ? [...cmd.subs.values()] : [];
  o.arr(subs.length);
  for (const s of subs) infoReply(o, s);
}

/** One COMMAND DOCS argument map, in the order Redis prints the fields. */
function argReply(o: Reply, arg: Record<string, unknown>): void {
  const entries = Object.entries(arg);
  o.map(entries.length);
  for (const [k, v] of entries) {
    o.bulk(k);
    if (k === "flags") statusSet(o, v as string[]);
    else if (k === "arguments") {
      const list = v as Record<string, unknown>[];
      o.arr(list.length);
      for (const a of list) argReply(o, a);
    } else if (typeof v === "number") o.int(v);
    else o.bulk(String(v));
  }
}

function docsReply(o: Reply, cmd: Command): void {
  const s = cmd.spec;
  const fields: [string, () => void][] = [];
  if (s.summary) fields.push(["summary", () => o.bulk(s.summary!)]);
  if (s.since) fields.push(["since", () => o.bulk(s.since!)]);
  fields.push(["group", () => o.bulk(cmd.group)]);
  if (s.docFlags) fields.push(["doc_flags", () => statusSet(o, s.docFlags!)]);
  if (s.deprecatedSince) fields.push(["deprecated_since", () => o.bulk(s.deprecatedSince!)]);
  if (s.replacedBy) fields.push(["replaced_by", () => o.bulk(s.replacedBy!)]);
  if (s.args) {
    fields.push([
      "arguments",
      () => {
        o.arr(s.args!.length);
        for (const a of s.args!) argReply(o, a as Record<string, unknown>);
      },
    ]);
  }
  if (cmd.subs) {
    fields.push([
      "subcommands",
      () => {
        o.map(cmd.subs!.size);
        for (const sub of cmd.subs!.values()) {
          o.bulk(sub.name);
          docsReply(o, sub);
        }
      },
    ]);
  }
  o.map(fields.length);
  for (const [k, f] of fields) {
    o.bulk(k);
    f();
  }
}

/** Parses "COMMAND GETKEYS <cmd> <args...>" into the target command and its argv. */
function getkeysTarget(c: Client, a: Argv): { cmd: Command; argv: Argv } {
  const argv = Argv.of(a.strings(2));
  let cmd = c.srv.table.lookup(argv);
  if (cmd === undefined) fail("ERR Invalid command specified");
  if (cmd.subs && argv.argc >= 2) {
    const sub = c.srv.table.lookupSub(cmd, argv);
    if (sub) cmd = sub;
  }
  if (cmd.keySpecs.length === 0 && !["sort", "sort_ro", "migrate"].includes(cmd.name)) fail("ERR The command has no key arguments");
  if ((cmd.arity > 0 && cmd.arity !== argv.argc) || argv.argc < -cmd.arity) fail("ERR Invalid number of arguments specified for command");
  return { cmd, argv };
}

function keysOrFail(c: Client, cmd: Command, argv: Argv): number[] {
  const keys = commandKeys(cmd, argv);
  if (keys === null || keys.length === 0) {
    if (cmd.has(CMD.NO_MANDATORY_KEYS)) return [];
    fail("ERR Invalid arguments specified for command");
  }
  return keys;
}

/** Flags of the key spec that yielded key index `i` (for GETKEYSANDFLAGS). */
function flagsForKey(cmd: Command, argv: Argv, i: number): string[] {
  for (const spec of cmd.keySpecs) {
    const got = commandKeys({ ...cmd, keySpecs: [spec], name: "" } as unknown as Command, argv);
    if (got?.includes(i)) return spec.f.split(" ").filter((f) => f !== "variable_flags");
  }
  return [];
}

const COMMAND_HELP = [
  "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "(no subcommand)",
  "    Details of every command.",
  "COUNT",
  "    How many commands there are.",
  "LIST [FILTERBY (MODULE <name>|ACLCAT <category>|PATTERN <glob>)]",
  "    Names of commands, optionally filtered.",
  "INFO [<command-name> ...]",
  "    Details of the given commands (all when none are given).",
  "DOCS [<command-name> ...]",
  "    Documentation of the given commands (all when none are given).",
  "GETKEYS <full-command>",
  "    The key arguments of a full command.",
  "GETKEYSANDFLAGS <full-command>",
  "    The key arguments of a full command, with their key-spec flags.",
  "HELP",
  "    This text.",
];

const SLOWLOG_HELP = [
  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GET [<count>]",
  "    The newest <count> entries (default 10, -1 for all): id, unix time, microseconds,",
  "    arguments, client address and client name.",
  "LEN",
  "    Number of entries.",
  "RESET",
  "    Delete every entry.",
  "HELP",
  "    This text.",
];

const LATENCY_HELP = [
  "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    A report on the latency events seen.",
  "GRAPH <event>",
  "    An ASCII graph of an event's latency samples.",
  "HISTORY <event>",
  "    Time and latency of an event's samples.",
  "LATEST",
  "    The latest sample of every event.",
  "RESET [<event> ...]",
  "    Forget the samples of the events (all when none given).",
  "HISTOGRAM [<command> ...]",
  "    Cumulative latency distribution of commands.",
  "HELP",
  "    This text.",
];

export const handlers: Handlers = {
  command(c) {
    const all = [...c.srv.table.all.values()];
    c.out.arr(all.length);
    for (const cmd of all) infoReply(c.out, cmd);
  },

  "command|count"(c) {
    c.out.int(c.srv.table.all.size);
  },

  "command|info"(c, a) {
    const t = c.srv.table;
    if (a.argc === 2) {
      const all = [...t.all.values()];
      c.out.arr(all.length);
      for (const cmd of all) infoReply(c.out, cmd);
      return;
    }
    c.out.arr(a.argc - 2);
    for (let i = 2; i < a.argc; i++) {
      const cmd = t.byName(a.str(i));
      if (cmd) infoReply(c.out, cmd);
      else c.out.nil();
    }
  },

  "command|docs"(c, a) {
    const t = c.srv.table;
    const list: Command[] = [];
    if (a.argc === 2) list.push(...t.all.values());
    else for (let i = 2; i < a.argc; i++) {
      const cmd = t.byName(a.str(i));
      if (cmd) list.push(cmd);
    }
    c.out.map(list.length);
    for (const cmd of list) {
      c.out.bulk(cmd.name);
      docsReply(c.out, cmd);
    }
  },

  "command|getkeys"(c, a) {
    const { cmd, argv } = getkeysTarget(c, a);
    const keys = keysOrFail(c, cmd, argv);
    c.out.arr(keys.length);
    for (const i of keys) c.out.bulk(argv.str(i));
  },

  "command|getkeysandflags"(c, a) {
    const { cmd, argv } = getkeysTarget(c, a);
    const keys = keysOrFail(c, cmd, argv);
    c.out.arr(keys.length);
    for (const i of keys) {
      c.out.arr(2);
      c.out.bulk(argv.str(i));
      statusSet(c.out, flagsForKey(cmd, argv, i));
    }
  },

  "command|list"(c, a) {
    let filter: (cmd: Command) => boolean = () => true;
    if (a.argc === 5 && a.is(2, "filterby")) {
      const v = a.str(4);
      if (a.is(3, "module")) filter = () => false;
      else if (a.is(3, "aclcat")) filter = (cmd) => cmd.acl.includes(v.toLowerCase());
      else if (a.is(3, "pattern")) filter = (cmd) => globMatch(v, cmd.name, true);
      else fail(E.SYNTAX);
    } else if (a.argc !== 2) fail(E.SYNTAX);
    const names: string[] = [];
    for (const cmd of c.srv.table.each()) if (filter(cmd)) names.push(cmd.name);
    c.out.bulks(names, names.length);
  },

  "command|help"(c) {
    helpReply(c, COMMAND_HELP);
  },

  "slowlog|get"(c, a) {
    let count = 10;
    if (a.argc === 3) {
      count = parseI64(a.str(2));
      if (Number.isNaN(count) || count < -1) fail("ERR count should be greater than or equal to -1");
    } else if (a.argc > 3) subcommandSyntaxError(a);
    const entries = c.srv.slowlog.get(count);
    const o = c.out;
    o.arr(entries.length);
    for (const e of entries) {
      o.arr(6);
      o.int(e.id);
      o.int(e.time);
      o.int(e.micros);
      o.bulks(e.args, e.args.length);
      o.bulk(e.peer);
      o.bulk(e.name);
    }
  },

  "slowlog|len"(c) {
    c.out.int(c.srv.slowlog.length);
  },

  "slowlog|reset"(c) {
    c.srv.slowlog.reset();
    c.out.ok();
  },

  "slowlog|help"(c) {
    helpReply(c, SLOWLOG_HELP);
  },

  "latency|latest"(c) {
    const ev = c.srv.latency.events;
    c.out.arr(ev.size);
    for (const [name, e] of ev) {
      const last = e.samples[e.samples.length - 1]!;
      c.out.arr(4);
      c.out.bulk(name);
      c.out.int(last.time);
      c.out.int(Math.round(last.ms));
      c.out.int(Math.round(e.max));
    }
  },

  "latency|history"(c, a) {
    const e = c.srv.latency.events.get(a.str(2));
    const samples = e?.samples ?? [];
    c.out.arr(samples.length);
    for (const s of samples) {
      c.out.arr(2);
      c.out.int(s.time);
      c.out.int(Math.round(s.ms));
    }
  },

  "latency|reset"(c, a) {
    c.out.int(c.srv.latency.reset(a.strings(2)));
  },

  "latency|doctor"(c) {
    const ev = c.srv.latency.events;
    if (ev.size === 0) {
      c.out.verbatim("No latency spikes were observed (latency monitor threshold: " + c.srv.latency.threshold + " ms).\n");
      return;
    }
    let s = "Latency events seen:\n";
    for (const [name, e] of ev) {
      const avg = e.samples.reduce((x, y) => x + y.ms, 0) / e.samples.length;
      s += `- ${name}: ${e.samples.length} samples, average ${avg.toFixed(0)} ms, worst ${e.max.toFixed(0)} ms.\n`;
    }
    c.out.verbatim(s);
  },

  "latency|graph"(c, a) {
    const name = a.str(2);
    const e = c.srv.latency.events.get(name);
    if (!e) fail(`ERR No samples available for event '${name}'`);
    const max = Math.max(1, e.max);
    let s = `${name} - high ${Math.round(e.max)} ms\n`;
    for (const smp of e.samples) s += `${"#".repeat(Math.max(1, Math.round((smp.ms / max) * 40)))} ${Math.round(smp.ms)}\n`;
    c.out.verbatim(s);
  },

  "latency|histogram"(c, a) {
    const t = c.srv.table;
    const list: Command[] = [];
    if (a.argc === 2) for (const cmd of t.each()) if (cmd.latency && cmd.calls) list.push(cmd);
    for (let i = 2; i < a.argc; i++) {
      const cmd = t.byName(a.str(i));
      if (cmd && cmd.latency && cmd.calls) list.push(cmd);
    }
    c.out.map(list.length);
    for (const cmd of list) {
      c.out.bulk(cmd.name);
      c.out.map(2);
      c.out.bulk("calls");
      c.out.int(cmd.calls);
      c.out.bulk("histogram_usec");
      const buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
      const pts: [number, number][] = [];
      for (const b of buckets) {
        const n = cmd.latency!.countBelow(b);
        if (pts.length === 0 || n > pts[pts.length - 1]![1]) pts.push([b, n]);
        if (n >= cmd.latency!.total) break;
      }
      c.out.map(pts.length);
      for (const [b, n] of pts) {
        c.out.int(b);
        c.out.int(n);
      }
    }
  },

  "latency|help"(c) {
    helpReply(c, LATENCY_HELP);
  },
};
