// The command registry: joins each declared spec (specs.ts) with its handler (one module per
// command family) and derives what Redis derives (flags bits, first/last/step, ACL
// categories). Lookup matches the name's bytes without allocating a string.

import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import { LatencyHistogram } from "../server/histogram.ts";
import { SPECS } from "./specs.ts";
import { aclCategories, FLAG_ORDER, legacyRange, type KeySpecDecl, type SpecDecl } from "./spec-rules.ts";

export type Handler = (c: Client, a: Argv) => void;
/** Handlers by command name; subcommands as "container|sub". */
export type Handlers = Record<string, Handler>;

/** Command flag bits (hot-path checks). */
export const CMD = {
  WRITE: 1 << 0,
  READONLY: 1 << 1,
  DENYOOM: 1 << 2,
  ADMIN: 1 << 3,
  PUBSUB: 1 << 4,
  NOSCRIPT: 1 << 5,
  BLOCKING: 1 << 6,
  LOADING: 1 << 7,
  STALE: 1 << 8,
  SKIP_MONITOR: 1 << 9,
  SKIP_SLOWLOG: 1 << 10,
  ASKING: 1 << 11,
  FAST: 1 << 12,
  NO_AUTH: 1 << 13,
  NO_MANDATORY_KEYS: 1 << 14,
  NO_MULTI: 1 << 15,
  MOVABLE_KEYS: 1 << 16,
  ALLOW_BUSY: 1 << 17,
  NO_ASYNC_LOADING: 1 << 18,
  MODULE: 1 << 19,
  /** not printed by COMMAND INFO in 7.0; held by CLIENT PAUSE WRITE */
  MAY_REPLICATE: 1 << 20,
} as const;

const FLAG_BITS: Record<string, number> = {
  write: CMD.WRITE,
  readonly: CMD.READONLY,
  denyoom: CMD.DENYOOM,
  admin: CMD.ADMIN,
  pubsub: CMD.PUBSUB,
  noscript: CMD.NOSCRIPT,
  blocking: CMD.BLOCKING,
  loading: CMD.LOADING,
  stale: CMD.STALE,
  skip_monitor: CMD.SKIP_MONITOR,
  skip_slowlog: CMD.SKIP_SLOWLOG,
  asking: CMD.ASKING,
  fast: CMD.FAST,
  no_auth: CMD.NO_AUTH,
  no_mandatory_keys: CMD.NO_MANDATORY_KEYS,
  no_multi: CMD.NO_MULTI,
  movablekeys: CMD.MOVABLE_KEYS,
  allow_busy: CMD.ALLOW_BUSY,
  no_async_loading: CMD.NO_ASYNC_LOADING,
  module: CMD.MODULE,
  may_replicate: CMD.MAY_REPLICATE,
};

export class Command {
  readonly arity: number;
  readonly flags: number;
  /** flags in COMMAND INFO order, movablekeys included */
  readonly flagNames: string[];
  readonly acl: string[];
  readonly first: number;
  readonly last: number;
  readonly step: number;
  readonly keySpecs: KeySpecDecl[];
  readonly group: string;
  subs: Map<string, Command> | null = null;
  /** bytes of the name (the subcommand part for subcommands), lowercase */
  readonly nameBytes: Uint8Array;
  // INFO commandstats
  calls = 0;
  usec = 0;
  rejected = 0;
  failed = 0;
  /** INFO latencystats, created on first call */
  latency: LatencyHistogram | null = null;

  constructor(
    /** "get", or "config|get" for a subcommand */
    readonly name: string,
    readonly spec: SpecDecl,
    readonly handler: Handler | null,
    readonly parent: Command | null,
  ) {
    this.arity = spec.arity;
    this.keySpecs = spec.keys ?? [];
    const lr = legacyRange(spec.keys);
    const own = spec.flags ? spec.flags.split(" ") : [];
    let bits = 0;
    for (const f of own) {
      const b = FLAG_BITS[f];
      if (b === undefined) throw new Error(`command ${name}: unknown flag ${f}`);
      bits |= b;
    }
    if (lr.movable) bits |= CMD.MOVABLE_KEYS;
    this.flags = bits;
    this.flagNames = FLAG_ORDER.filter((f) => own.includes(f) || (f === "movablekeys" && lr.movable));
    this.acl = aclCategories(own, spec.acl ? spec.acl.split(" ") : []);
    this.first = lr.first;
    this.last = lr.last;
    this.step = lr.step;
    this.group = spec.group ?? parent?.spec.group ?? "server";
    const short = parent ? name.slice(parent.name.length + 1) : name;
    this.nameBytes = Buffer.from(short, "latin1");
  }

  has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
}

/** Case-insensitive FNV-1a of bytes [s, e). */
function hashName(b: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) {
    let c = b[i]!;
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** Is b[s, e) the command name `cmd` (lowercase bytes), in any case? */
export function sameName(cmd: Uint8Array, b: Uint8Array, s: number, e: number): boolean {
  if (cmd.length !== e - s) return false;
  for (let i = 0; i < cmd.length; i++) {
    let c = b[s + i]!;
    if (c >= 65 && c <= 90) c += 32;
    if (c !== cmd[i]) return false;
  }
  return true;
}

/** Byte-keyed lookup of commands (or of one container's subcommands). */
class NameIndex {
  private byHash = new Map<number, Command[]>();

  add(cmd: Command): void {
    const h = hashName(cmd.nameBytes, 0, cmd.nameBytes.length);
    const list = this.byHash.get(h);
    if (list) list.push(cmd);
    else this.byHash.set(h, [cmd]);
  }

  find(b: Uint8Array, s: number, e: number): Command | undefined {
    const list = this.byHash.get(hashName(b, s, e));
    if (list === undefined) return undefined;
    for (let i = 0; i < list.length; i++) if (sameName(list[i]!.nameBytes, b, s, e)) return list[i];
    return undefined;
  }
}

export class CommandTable {
  readonly all = new Map<string, Command>();
  private index = new NameIndex();
  private subIndex = new Map<Command, NameIndex>();

  constructor(handlers: Handlers) {
    const used = new Set<string>();
    for (const [name, spec] of Object.entries(SPECS)) {
      if (spec.subs) {
        const subs = Object.entries(spec.subs).filter(([sub]) => handlers[`${name}|${sub}`]);
        if (subs.length === 0) continue;
        // A container may also run on its own (plain COMMAND).
        if (handlers[name]) used.add(name);
        const parent = new Command(name, spec, handlers[name] ?? null, null);
        parent.subs = new Map();
        const idx = new NameIndex();
        for (const [sub, sspec] of subs) {
          const full = `${name}|${sub}`;
          used.add(full);
          const cmd = new Command(full, { ...sspec, group: spec.group }, handlers[full]!, parent);
          parent.subs.set(sub, cmd);
          idx.add(cmd);
        }
        this.subIndex.set(parent, idx);
        this.register(parent);
      } else if (handlers[name]) {
        used.add(name);
        this.register(new Command(name, spec, handlers[name]!, null));
      }
    }
    for (const name of Object.keys(handlers)) {
      if (!used.has(name)) throw new Error(`handler '${name}' has no command spec`);
    }
  }

  private register(cmd: Command): void {
    this.all.set(cmd.name, cmd);
    this.index.add(cmd);
  }

  /** Top-level command by the bytes of argv[0]. */
  lookup(a: Argv): Command | undefined {
    return this.lookupBytes(a.buf, a.offs[0]!, a.offs[1]!);
  }

  /** Top-level command by name bytes b[s, e). */
  lookupBytes(b: Uint8Array, s: number, e: number): Command | undefined {
    return this.index.find(b, s, e);
  }

  /** Subcommand of a container by argv[1]. */
  lookupSub(parent: Command, a: Argv): Command | undefined {
    return this.subIndex.get(parent)?.find(a.buf, a.offs[2]!, a.offs[3]!);
  }

  /** By name, "get" or "config|get" (case-insensitive). */
  byName(name: string): Command | undefined {
    const [top, sub] = name.toLowerCase().split("|");
    const cmd = this.all.get(top!);
    if (!cmd || sub === undefined) return cmd;
    return cmd.subs?.get(sub);
  }

  /** Every command and subcommand. */
  *each(): Iterable<Command> {
    for (const cmd of this.all.values()) {
      yield cmd;
      if (cmd.subs) yield* cmd.subs.values();
    }
  }
}
