// The option registry: one definition per parameter (name, aliases, type, default, limits,
// mutability, runtime effect) drives the TOML file, --flags, CONFIG GET/SET/REWRITE and
// the typed values the server reads. Texts of errors follow Redis 7.0's config.c.

import { globMatch } from "../util/glob.ts";

export const IMMUTABLE = 1 << 0;
export const SENSITIVE = 1 << 1;
/** Not shown by CONFIG GET * patterns unless asked by exact name (Redis's HIDDEN_CONFIG). */
export const HIDDEN = 1 << 2;
/** Deprecated alias-free option kept only so CONFIG SET of it succeeds. */
export const DENY_LOADING = 1 << 3;

export type ParamValue = string | number | boolean | string[] | number[];

export interface ParamBase {
  name: string;
  aliases?: string[];
  flags?: number;
  /** AiKv-only option (not in Redis 7.0) */
  aikv?: boolean;
  /** Runtime effect when set (startup or CONFIG SET). Return an error text to refuse. */
  apply?: (value: any, ctx: ApplyContext) => string | void;
}

export interface BoolParam extends ParamBase {
  type: "bool";
  def: boolean;
}
export interface IntParam extends ParamBase {
  type: "int";
  def: number;
  min: number;
  max: number;
}
export interface MemParam extends ParamBase {
  type: "mem";
  def: number;
  min: number;
  max: number;
}
export interface EnumParam extends ParamBase {
  type: "enum";
  def: string;
  values: string[];
  /** several values joined with '|' (like shutdown-on-sigterm) */
  multi?: boolean;
}
export interface StrParam extends ParamBase {
  type: "str";
  def: string;
}
/** Anything with its own syntax (save, client-output-buffer-limit, bind, ...). */
export interface CustomParam extends ParamBase {
  type: "custom";
  def: string;
  /** canonical value or an error text prefixed with "!" */
  parse: (raw: string) => ParamValue | { error: string };
  format: (v: any) => string;
}

export type ParamDef = BoolParam | IntParam | MemParam | EnumParam | StrParam | CustomParam;

export interface ApplyContext {
  startup: boolean;
}

/** Redis's memtoll: 1k = 1000, 1kb = 1024, ..., case-insensitive. NaN when invalid. */
export function parseMemory(raw: string): number {
  const m = /^(-?\d+)(b|k|kb|m|mb|g|gb)?$/i.exec(raw);
  if (!m) return NaN;
  const unit = (m[2] ?? "b").toLowerCase();
  const mul: Record<string, number> = { b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1 << 20, g: 1e9, gb: 1 << 30 };
  return parseInt(m[1]!, 10) * mul[unit]!;
}

function parseIntStrict(raw: string): number {
  if (!/^-?\d+$/.test(raw)) return NaN;
  return parseInt(raw, 10);
}

export class ConfigError extends Error {}

export class Config {
  private defs = new Map<string, ParamDef>();
  private byAlias = new Map<string, ParamDef>();
  private values = new Map<string, ParamValue>();
  /** Names set from the config file or flags (for CONFIG REWRITE). */
  configFile: string | null = null;

  constructor(defs: ParamDef[]) {
    for (const d of defs) {
      this.defs.set(d.name, d);
      this.byAlias.set(d.name, d);
      for (const a of d.aliases ?? []) this.byAlias.set(a, d);
      this.values.set(d.name, this.parseOrThrow(d, d.type === "custom" ? d.def : this.formatDefault(d)));
    }
  }

  private formatDefault(d: ParamDef): string {
    if (d.type === "bool") return d.def ? "yes" : "no";
    return String(d.def);
  }

  def(name: string): ParamDef | undefined {
    return this.byAlias.get(name.toLowerCase());
  }

  /** Typed value of a parameter (by canonical name). */
  get<T extends ParamValue = ParamValue>(name: string): T {
    const v = this.values.get(name);
    if (v === undefined) throw new Error(`no such config parameter ${name}`);
    return v as T;
  }

  num(name: string): number {
    return this.get<number>(name);
  }

  bool(name: string): boolean {
    return this.get<boolean>(name);
  }

  str(name: string): string {
    return this.get<string>(name);
  }

  /** The value as CONFIG GET shows it. */
  format(d: ParamDef): string {
    const v = this.values.get(d.name)!;
    switch (d.type) {
      case "bool":
        return v ? "yes" : "no";
      case "custom":
        return d.format(v);
      default:
        return String(v);
    }
  }

  /** Parses a raw value; returns the typed value or an error text (Redis's wording). */
  parse(d: ParamDef, raw: string): ParamValue | { error: string } {
    switch (d.type) {
      case "bool": {
        const l = raw.toLowerCase();
        if (l === "yes") return true;
        if (l === "no") return false;
        return { error: "argument must be 'yes' or 'no'" };
      }
      case "int": {
        const n = parseIntStrict(raw);
        if (Number.isNaN(n)) return { error: "argument couldn't be parsed into an integer" };
        if (n < d.min || n > d.max) return { error: `argument must be between ${d.min} and ${d.max} inclusive` };
        return n;
      }
      case "mem": {
        const n = parseMemory(raw);
        if (Number.isNaN(n)) return { error: "argument must be a memory value" };
        if (n < d.min || n > d.max) return { error: `argument must be between ${d.min} and ${d.max} inclusive` };
        return n;
      }
      case "enum": {
        const parts = d.multi ? raw.toLowerCase().split(/[|\s]+/).filter(Boolean) : [raw.toLowerCase()];
        if (parts.length === 0 || parts.some((p) => !d.values.includes(p))) {
          return { error: `argument(s) must be one of the following: ${d.values.join(", ")}` };
        }
        return parts.join("|");
      }
      case "str":
        return raw;
      case "custom":
        return d.parse(raw);
    }
  }

  private parseOrThrow(d: ParamDef, raw: string): ParamValue {
    const v = this.parse(d, raw);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) throw new ConfigError(`${d.name}: ${v.error}`);
    return v as ParamValue;
  }

  /**
   * Sets several parameters atomically (CONFIG SET a 1 b 2): all are validated first; if an
   * apply hook fails, the ones already applied are restored. Returns an error text or null.
   */
  setMany(pairs: [string, string][], ctx: ApplyContext): string | null {
    const staged: [ParamDef, ParamValue, string][] = [];
    const seen = new Set<string>();
    for (const [name, raw] of pairs) {
      const d = this.def(name);
      if (!d) return `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`;
      if (seen.has(d.name)) return `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`;
      seen.add(d.name);
      if (!ctx.startup && d.flags && d.flags & IMMUTABLE) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set immutable config`;
      }
      const v = this.parse(d, raw);
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${v.error}`;
      }
      staged.push([d, v as ParamValue, name]);
    }
    const old = staged.map(([d]) => this.values.get(d.name)!);
    for (const [d, v] of staged) this.values.set(d.name, v);
    // At startup the values are only stored; applyAll() runs the effects once the server exists.
    if (ctx.startup) return null;
    for (let i = 0; i < staged.length; i++) {
      const [d, v, name] = staged[i]!;
      const err = d.apply?.(v, ctx);
      if (typeof err === "string") {
        for (let j = 0; j < staged.length; j++) this.values.set(staged[j]![0].name, old[j]!);
        for (let j = 0; j < i; j++) staged[j]![0].apply?.(old[j], ctx);
        return `ERR CONFIG SET failed (possibly related to argument '${name}') - ${err}`;
      }
    }
    return null;
  }

  /** Sets one parameter at startup (file or flag); throws ConfigError with a clear message. */
  setStartup(name: string, raw: string): void {
    const d = this.def(name);
    if (!d) throw new ConfigError(`unknown option '${name}'`);
    const err = this.setMany([[name, raw]], { startup: true });
    if (err) throw new ConfigError(err.replace(/^ERR CONFIG SET failed \(possibly related to argument '[^']*'\) - /, `${name}: `));
  }

  /** Runs every apply hook once with the current values (at startup). */
  applyAll(): void {
    for (const d of this.defs.values()) {
      const err = d.apply?.(this.values.get(d.name), { startup: true });
      if (typeof err === "string") throw new ConfigError(`${d.name}: ${err}`);
    }
  }

  /** CONFIG GET: every (name, value) matching any pattern, each parameter name once. */
  match(patterns: string[]): [string, string][] {
    const out: [string, string][] = [];
    const seen = new Set<string>();
    for (const pat of patterns) {
      const exact = this.byAlias.get(pat.toLowerCase());
      if (exact && !/[*?[\\]/.test(pat)) {
        const name = pat.toLowerCase();
        if (!seen.has(name)) {
          seen.add(name);
          out.push([name, this.format(exact)]);
        }
        continue;
      }
      for (const [name, d] of this.byAlias) {
        if (seen.has(name)) continue;
        if (d.flags && d.flags & HIDDEN) continue;
        if (globMatch(pat, name, true)) {
          seen.add(name);
          out.push([name, this.format(d)]);
        }
      }
    }
    return out;
  }

  all(): ParamDef[] {
    return [...this.defs.values()];
  }

  isDefault(d: ParamDef): boolean {
    const probe = new Config([d]);
    return probe.format(d) === this.format(d);
  }
}
