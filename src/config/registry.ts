// The option registry: one definition per parameter (name, aliases, type, default, limits,
// mutability, runtime effect) drives the TOML file, --flags, CONFIG GET/SET/REWRITE and the
// typed values the server reads. Parsing, limits and error texts follow Redis 7.0's config.c
// (checked against redis-server 7.0 by test/compat/config.test.ts).

import { globMatch } from "../util/glob.ts";

/** CONFIG SET refuses it ("can't set immutable config"); startup only. */
export const IMMUTABLE = 1 << 0;
/** Holds a secret (requirepass, masterauth, masteruser). */
export const SENSITIVE = 1 << 1;
/** Not matched by CONFIG GET patterns, only by its exact name (Redis's HIDDEN_CONFIG). */
export const HIDDEN = 1 << 2;
/** CONFIG SET refuses it while loading, with the LOADING error. */
export const DENY_LOADING = 1 << 3;
/** CONFIG SET needs enable-protected-configs yes (or local + a loopback client). */
export const PROTECTED = 1 << 4;

export type ParamValue = unknown;

export interface ApplyContext {
  startup: boolean;
}

export interface ParamBase {
  name: string;
  aliases?: string[];
  flags?: number;
  /** AiKv-only option (not in Redis 7.0) */
  aikv?: boolean;
  /**
   * Runtime effect, run at startup (srv.init -> applyAll) and by CONFIG SET when the value
   * changed. Return an error text to refuse (CONFIG SET then restores the old values).
   */
  apply?: (value: any, ctx: ApplyContext) => string | void;
}

export interface BoolParam extends ParamBase {
  type: "bool";
  def: boolean;
  /** extra check of an accepted yes/no value: an error text or nothing */
  validate?: (v: boolean) => string | void;
}

/**
 * A number (Redis's numeric configs). Bounds are inclusive. `mem` accepts memory units (1kb,
 * 5gb...), `percent` also "N%" (stored as -N, as Redis does), `octal` reads and shows base 8.
 * `u64` marks an unsigned 64-bit value (maxmemory): every parsed value is in range.
 */
export interface IntParam extends ParamBase {
  type: "int";
  def: number | bigint;
  min: number | bigint;
  max: number | bigint;
  mem?: boolean;
  percent?: boolean;
  octal?: boolean;
  u64?: boolean;
  /** rewrites an accepted value before it is stored (hz is clamped to 1..500) */
  normalize?: (v: bigint) => bigint;
  /** the same, for CONFIG SET only (Redis's apply step adjusts it: repl-backlog-size) */
  normalizeSet?: (v: bigint) => bigint;
}

export interface EnumParam extends ParamBase {
  type: "enum";
  def: string;
  /** names and their codes, in Redis's order (names sharing a code are synonyms) */
  values: [string, number][];
  /** a set of flags given as several words (shutdown-on-sigterm "nosave force") */
  multi?: boolean;
  validate?: (code: number) => string | void;
}

export interface StrParam extends ParamBase {
  type: "str";
  def: string;
  validate?: (v: string) => string | void;
}

/** A parameter with its own syntax (save, bind, client-output-buffer-limit, ...). */
export interface CustomParam extends ParamBase {
  type: "custom";
  /** default, as its words would be written in a config file */
  def: string[];
  /** the value is a list of words (CONFIG SET splits it on spaces) */
  multi?: boolean;
  /** words -> value, or an error text; `cur` is the current value (partial updates) */
  parse: (args: string[], cur: any) => ParamValue | { error: string };
  format: (v: any) => string;
  /** value shown by CONFIG GET when it lives elsewhere (dir: the working directory) */
  get?: () => string;
  /** config file / flags: combine a repeated directive with what earlier lines set */
  merge?: (prev: any, next: any, first: boolean) => ParamValue;
}

export type ParamDef = BoolParam | IntParam | EnumParam | StrParam | CustomParam;

type Parsed = { value: ParamValue; text: string } | { error: string };

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** Redis's string2ll: an optional '-', no '+', no leading zeros or spaces, in int64 range. */
export function string2ll(s: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return null;
  const v = BigInt(s);
  return v < I64_MIN || v > I64_MAX ? null : v;
}

const UNITS: Record<string, bigint> = { "": 1n, b: 1n, k: 1000n, kb: 1024n, m: 1000000n, mb: 1048576n, g: 1000000000n, gb: 1073741824n };

/**
 * Redis's memtoull: digits then an optional unit (b k kb m mb g gb, any case). An empty
 * number reads as 0, a huge one saturates, the product wraps at 2^64 (all like Redis).
 */
export function memtoull(s: string): bigint | null {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const mul = UNITS[s.slice(i).toLowerCase()];
  if (mul === undefined || i >= 128) return null;
  let v = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (v > U64_MAX) v = U64_MAX;
  return (v * mul) & U64_MAX;
}

/** Redis's number parsing for a numeric config: a value or an error text. */
function parseNumeric(d: IntParam, raw: string, runtime: boolean): bigint | string {
  let v: bigint | null = null;
  if (d.mem) {
    const m = memtoull(raw);
    // memtoull yields an unsigned value; signed configs see it as a long long
    if (m !== null) v = d.u64 || m <= I64_MAX ? m : m - (1n << 64n);
  }
  if (v === null && d.percent && raw.length > 1 && raw.endsWith("%")) {
    const p = string2ll(raw.slice(0, -1));
    if (p !== null && p >= 0n) v = -p;
  }
  if (v === null && d.octal && /^\s*[+-]?[0-7]*$/.test(raw)) {
    const t = raw.trim();
    v = t === "" || t === "+" || t === "-" ? 0n : BigInt(t.startsWith("-") ? "-0o" + t.slice(1) : "0o" + t.replace(/^\+/, ""));
  }
  if (v === null && !d.mem && !d.percent && !d.octal) v = string2ll(raw);
  if (v === null) {
    if (d.mem && d.percent) return "argument must be a memory or percent value";
    if (d.mem) return "argument must be a memory value";
    if (d.octal) return "argument couldn't be parsed as an octal number";
    return "argument couldn't be parsed into an integer";
  }
  const min = BigInt(d.min);
  const max = BigInt(d.max);
  if (d.percent && v < 0n) {
    if (v < min) return `percentage argument must be less or equal to ${-min}`;
  } else if (!d.u64 && (v < min || v > max)) {
    if (d.octal) return `argument must be between ${min.toString(8)} and ${max.toString(8)} inclusive`;
    return `argument must be between ${min} and ${max} inclusive`;
  }
  if (d.normalize) v = d.normalize(v);
  if (runtime && d.normalizeSet) v = d.normalizeSet(v);
  return v;
}

function formatNumeric(d: IntParam, v: bigint): string {
  if (d.percent && v < 0n) return `${-v}%`;
  if (d.octal) return v.toString(8);
  return v.toString();
}

/** CONFIG SET splits a multi-word value on single spaces, keeping empty words (sdssplitlen). */
export function splitSpaces(s: string): string[] {
  return s.length === 0 ? [] : s.split(" ");
}

/** A config-file or flag value's words: whitespace-separated; an empty value is one empty word. */
export function splitWords(s: string): string[] {
  const w = s.split(/[ \t\r\n]+/).filter(Boolean);
  return w.length === 0 ? [""] : w;
}

export class ConfigError extends Error {}

interface Entry {
  /** the name this entry is registered under (canonical or alias), lowercase */
  name: string;
  def: ParamDef;
}

/** Something watching a parameter (a subsystem that is not in params.ts). */
export type Watcher = (value: any, ctx: ApplyContext) => string | void;

export class Config {
  private defs = new Map<string, ParamDef>();
  private byName = new Map<string, Entry>();
  /** typed values by canonical name */
  private values = new Map<string, ParamValue>();
  /** CONFIG GET form of each value, by canonical name */
  private shown = new Map<string, string>();
  private defaults = new Map<string, string>();
  private watchers = new Map<string, Watcher[]>();
  /** canonical names set by the config file or flags (startup) */
  readonly fromStartup = new Set<string>();
  /** the TOML file given with --config (CONFIG REWRITE writes it) */
  configFile: string | null = null;

  constructor(defs: ParamDef[]) {
    for (const d of defs) {
      if (this.defs.has(d.name)) throw new Error(`config parameter ${d.name} declared twice`);
      this.defs.set(d.name, d);
      this.byName.set(d.name, { name: d.name, def: d });
      for (const a of d.aliases ?? []) this.byName.set(a, { name: a, def: d });
      const p = this.parseArgs(d, d.type === "custom" ? d.def : [this.defaultText(d)], undefined);
      if ("error" in p) throw new Error(`default of ${d.name}: ${p.error}`);
      this.values.set(d.name, p.value);
      this.shown.set(d.name, p.text);
      this.defaults.set(d.name, p.text);
    }
  }

  private defaultText(d: ParamDef): string {
    if (d.type === "bool") return d.def ? "yes" : "no";
    if (d.type === "int") return formatNumeric(d, BigInt(d.def));
    return String(d.def);
  }

  /** The definition for a name or alias (case-insensitive). */
  def(name: string): ParamDef | undefined {
    return this.byName.get(name.toLowerCase())?.def;
  }

  private entry(name: string): Entry | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** Typed value of a parameter (by canonical name). */
  get<T = ParamValue>(name: string): T {
    const v = this.values.get(name);
    if (v === undefined && !this.values.has(name)) throw new Error(`no such config parameter ${name}`);
    return v as T;
  }

  /** A numeric parameter as a JS number (exact up to 2^53). */
  num(name: string): number {
    const v = this.get(name);
    return typeof v === "bigint" ? Number(v) : (v as number);
  }

  /** A numeric parameter exactly. */
  big(name: string): bigint {
    return this.get<bigint>(name);
  }

  bool(name: string): boolean {
    return this.get<boolean>(name);
  }

  str(name: string): string {
    return this.get<string>(name);
  }

  /** The value as CONFIG GET shows it. */
  format(d: ParamDef): string {
    if (d.type === "custom" && d.get) return d.get();
    return this.shown.get(d.name)!;
  }

  isDefault(d: ParamDef): boolean {
    return this.format(d) === this.defaults.get(d.name);
  }

  /** The default as CONFIG GET would show it. */
  defaultShown(d: ParamDef): string {
    return this.defaults.get(d.name)!;
  }

  /**
   * Calls fn whenever the parameter changes (CONFIG SET) and once now: the way a subsystem
   * outside params.ts follows a setting. An error text refuses a CONFIG SET.
   */
  watch(name: string, fn: Watcher, now = true): void {
    const d = this.defs.get(name);
    if (!d) throw new Error(`no such config parameter ${name}`);
    const list = this.watchers.get(name);
    if (list) list.push(fn);
    else this.watchers.set(name, [fn]);
    if (now) fn(this.values.get(name), { startup: true });
  }

  /** Parses the words of a value: the typed value and its CONFIG GET form, or an error text. */
  private parseArgs(d: ParamDef, args: string[], cur: ParamValue, runtime = false): Parsed {
    if (!isMulti(d) && args.length !== 1) return { error: "wrong number of arguments" };
    const raw = args[0] ?? "";
    switch (d.type) {
      case "bool": {
        const l = raw.toLowerCase();
        if (l !== "yes" && l !== "no") return { error: "argument must be 'yes' or 'no'" };
        const v = l === "yes";
        const err = d.validate?.(v);
        if (err) return { error: err };
        return { value: v, text: l };
      }
      case "int": {
        const v = parseNumeric(d, raw, runtime);
        if (typeof v === "string") return { error: v };
        return { value: v, text: formatNumeric(d, v) };
      }
      case "enum": {
        const words = d.multi ? args : [raw];
        let code = 0;
        let ok = words.length > 0;
        for (const w of words) {
          const lw = w.toLowerCase();
          const hit = d.values.find(([n]) => n === lw);
          if (!hit) {
            ok = false;
            break;
          }
          code |= hit[1];
        }
        if (!ok) return { error: `argument(s) must be one of the following: ${d.values.map(([n]) => n).join(", ")}` };
        const err = d.validate?.(code);
        if (err) return { error: err };
        const text = enumName(d, code);
        return { value: text, text };
      }
      case "str": {
        const err = d.validate?.(raw);
        if (err) return { error: err };
        return { value: raw, text: raw };
      }
      case "custom": {
        const v = d.parse(args, cur);
        if (v !== null && typeof v === "object" && "error" in (v as object) && !Array.isArray(v)) return v as { error: string };
        return { value: v, text: d.format(v) };
      }
    }
  }

  /**
   * CONFIG SET name value [name value ...], atomically, with Redis 7.0's checks and texts:
   * unknown names, immutable/protected/loading refusals and duplicates first, then every
   * value is parsed in order, then the effects run; if one fails every value is restored and
   * the effects run again. Returns an error reply or null.
   */
  configSet(pairs: [string, string][], who: { local: boolean; loading: boolean }): string | null {
    const defs: (Entry | undefined)[] = [];
    let unknown: string | null = null;
    let errText: string | null = null;
    let errArg = "";
    let denyLoading = false;
    let invalid = false;
    for (let i = 0; i < pairs.length; i++) {
      const name = pairs[i]![0];
      const e = this.entry(name);
      defs.push(e);
      if (!e) {
        if (!invalid) {
          unknown = name;
          invalid = true;
        }
        continue;
      }
      if (invalid) continue;
      const f = e.def.flags ?? 0;
      if (f & IMMUTABLE || (f & PROTECTED && !this.protectedAllowed(who.local))) {
        errText = f & IMMUTABLE ? "can't set immutable config" : "can't set protected config";
        errArg = name;
        invalid = true;
        continue;
      }
      if (who.loading && f & DENY_LOADING) {
        denyLoading = true;
        invalid = true;
        continue;
      }
      // the same registered name twice (an alias and its canonical name are distinct)
      for (let j = 0; j < i; j++) {
        if (defs[j] === e) {
          errText = "duplicate parameter";
          errArg = name;
          invalid = true;
          break;
        }
      }
    }
    if (denyLoading) return "LOADING Redis is loading the dataset in memory";
    if (unknown !== null) return `ERR Unknown option or number of arguments for CONFIG SET - '${unknown}'`;
    if (invalid) return `ERR CONFIG SET failed (possibly related to argument '${errArg}') - ${errText}`;

    const entries = defs as Entry[];
    const old = entries.map((e) => [this.values.get(e.def.name), this.shown.get(e.def.name)] as const);
    const changed: Entry[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const e = entries[i]!;
      const d = e.def;
      const args = isMulti(d) ? splitSpaces(pairs[i]![1]) : [pairs[i]![1]];
      const p = this.parseArgs(d, args, this.values.get(d.name), true);
      if ("error" in p) {
        this.restore(entries, old, i + 1);
        return `ERR CONFIG SET failed (possibly related to argument '${e.name}') - ${p.error}`;
      }
      const before = this.shown.get(d.name);
      this.values.set(d.name, p.value);
      this.shown.set(d.name, p.text);
      if (p.text !== before || (d.type === "custom" && d.get)) {
        if (!changed.some((c) => c.def === d)) changed.push(e);
      }
    }
    const ctx = { startup: false };
    for (let i = 0; i < changed.length; i++) {
      const e = changed[i]!;
      const err = this.runEffects(e.def, ctx);
      if (typeof err === "string") {
        this.restore(entries, old, entries.length);
        for (let j = 0; j <= i; j++) this.runEffects(changed[j]!.def, ctx);
        return `ERR CONFIG SET failed (possibly related to argument '${e.name}') - ${err}`;
      }
    }
    return null;
  }

  private restore(entries: Entry[], old: (readonly [ParamValue, string | undefined])[], n: number): void {
    for (let j = n - 1; j >= 0; j--) {
      const name = entries[j]!.def.name;
      this.values.set(name, old[j]![0]);
      this.shown.set(name, old[j]![1]!);
    }
  }

  private runEffects(d: ParamDef, ctx: ApplyContext): string | void {
    const v = this.values.get(d.name);
    const err = d.apply?.(v, ctx);
    if (typeof err === "string") return err;
    for (const w of this.watchers.get(d.name) ?? []) {
      const e = w(v, ctx);
      if (typeof e === "string") return e;
    }
  }

  private protectedAllowed(local: boolean): boolean {
    const mode = this.values.get("enable-protected-configs");
    return mode === "yes" || (mode === "local" && local);
  }

  /** Finds a startup option: '-' and '_' are interchangeable in names given to AiKv. */
  lookupStartup(name: string): ParamDef | undefined {
    const l = name.toLowerCase();
    return this.def(l) ?? this.def(l.replace(/_/g, "-")) ?? this.def(l.replace(/-/g, "_"));
  }

  private startupSeen = new Set<string>();

  /**
   * Sets one option from the config file (a string) or a flag (its words). A multi-word
   * option takes every whitespace-separated word; any other takes exactly one value. Throws
   * ConfigError with a message that names the option.
   */
  setStartup(name: string, value: string | string[]): void {
    const d = this.lookupStartup(name);
    if (!d) throw new ConfigError(`unknown option '${name}'`);
    let args: string[];
    if (isMulti(d)) args = typeof value === "string" ? splitWords(value) : value.length === 0 ? [""] : value.flatMap(splitWords);
    else args = typeof value === "string" ? [value] : value;
    const p = this.parseArgs(d, args, this.values.get(d.name));
    if ("error" in p) {
      const shown = typeof value === "string" ? value : value.join(" ");
      throw new ConfigError(`option '${name}' (${JSON.stringify(shown)}): ${p.error}`);
    }
    let v = p.value;
    let text = p.text;
    if (d.type === "custom" && d.merge) {
      v = d.merge(this.values.get(d.name), v, !this.startupSeen.has(d.name));
      text = d.format(v);
    }
    this.startupSeen.add(d.name);
    this.values.set(d.name, v);
    this.shown.set(d.name, text);
    this.fromStartup.add(d.name);
  }

  /** Runs every apply hook once with the current values (srv.init). */
  applyAll(): void {
    for (const d of this.defs.values()) {
      const err = d.apply?.(this.values.get(d.name), { startup: true });
      if (typeof err === "string") throw new ConfigError(`option '${d.name}': ${err}`);
    }
  }

  /**
   * CONFIG GET: (name, value) for every parameter matching a pattern. A pattern without glob
   * characters is an exact, case-insensitive lookup reported under the name as given (hidden
   * parameters too); each name appears once.
   */
  match(patterns: string[]): [string, string][] {
    const found = new Map<string, [string, ParamDef]>();
    for (const pat of patterns) {
      if (!/[[*?]/.test(pat)) {
        const l = pat.toLowerCase();
        if (found.has(l)) continue;
        const e = this.byName.get(l);
        if (e) found.set(l, [pat, e.def]);
        continue;
      }
      for (const [name, e] of this.byName) {
        if ((e.def.flags ?? 0) & HIDDEN) continue;
        if (found.has(name)) continue;
        if (globMatch(pat, name, true)) found.set(name, [name, e.def]);
      }
    }
    const out: [string, string][] = [];
    for (const [name, d] of found.values()) out.push([name, this.format(d)]);
    return out;
  }

  /** Every parameter (canonical definitions). */
  all(): ParamDef[] {
    return [...this.defs.values()];
  }

  /** Every registered name (canonical names and aliases). */
  names(): string[] {
    return [...this.byName.keys()];
  }
}

/** Options whose value is a list of words (CONFIG SET splits it on spaces). */
export function isMulti(d: ParamDef): boolean {
  return (d.type === "custom" || d.type === "enum") && d.multi === true;
}

/** Redis's configEnumGetName: the first exact name, else the flag names, else "unknown". */
function enumName(d: EnumParam, code: number): string {
  const exact = d.values.find(([, c]) => c === code);
  if (exact) return exact[0];
  if (!d.multi) return "unknown";
  const names: string[] = [];
  let rest = code;
  for (const [n, c] of d.values) {
    if (c !== 0 && (rest & c) === c) {
      names.push(n);
      rest &= ~c;
    }
  }
  return names.length === 0 || rest !== 0 ? "unknown" : names.join(" ");
}
