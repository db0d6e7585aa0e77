// Startup configuration: a TOML file (--config path, parsed with Bun.TOML) and redis-style
// flags (--port 7000 --save 900 1 --bind 127.0.0.1 ::1 ...). Flags win over the file. Names
// take '-' or '_' alike; an unknown name or a bad value is an error naming the option.

import { readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { splitArgs } from "../resp/parser.ts";
import { repr } from "../util/repr.ts";
import { strerror } from "./params.ts";
import type { Config, ParamDef } from "./registry.ts";

/** Text from outside (file, argv: UTF-8) in the byte-per-char form values are kept in. */
const bytes = (s: string) => Buffer.from(s, "utf8").toString("latin1");

export interface StartupOptions {
  configFile: string | null;
  /** flags in order: name and its words */
  pairs: [string, string[]][];
  help: boolean;
  version: boolean;
}

/**
 * Splits argv into --name value... pairs; a value runs until the next --name. A word that
 * starts with "--" followed by a non-letter (like "--5") is a value. The first argument may
 * be the config file's path (redis-server style).
 */
export function parseFlags(argv: string[]): StartupOptions {
  const opts: StartupOptions = { configFile: null, pairs: [], help: false, version: false };
  const isName = (a: string) => /^--[A-Za-z]/.test(a);
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") {
      opts.help = true;
      i++;
      continue;
    }
    if (a === "-v" || a === "--version") {
      opts.version = true;
      i++;
      continue;
    }
    if (!isName(a)) {
      if (i === 0) {
        opts.configFile = a;
        i++;
        continue;
      }
      throw new Error(`unexpected argument '${a}' (options are --name value)`);
    }
    const name = a.slice(2);
    const vals: string[] = [];
    i++;
    while (i < argv.length && !isName(argv[i]!)) vals.push(argv[i++]!);
    if (name === "config") {
      if (vals.length !== 1) throw new Error("--config takes one path");
      opts.configFile = vals[0]!;
      continue;
    }
    opts.pairs.push([name, vals]);
  }
  return opts;
}

function tomlValue(v: unknown, key: string): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => tomlValue(x, key)).join(" ");
  if (v instanceof Date) return v.toISOString();
  throw new Error(`key '${key}': unsupported value`);
}

/**
 * Flattens a TOML document to (name, value) pairs. A table prefixes its keys
 * ([cluster] enabled = true -> cluster-enabled yes); booleans become yes/no; arrays join
 * their items with spaces (save = [3600, 1, 300, 100]).
 */
export function tomlPairs(text: string): [string, string][] {
  const doc = Bun.TOML.parse(text) as Record<string, unknown>;
  const out: [string, string][] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = prefix ? `${prefix}-${k}` : k;
      if (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)) walk(v as Record<string, unknown>, name);
      else out.push([name, tomlValue(v, name)]);
    }
  };
  walk(doc, "");
  return out;
}

/** A redis.conf file (".conf"): "name value ..." lines, redis-cli quoting, # comments. */
export function isRedisConf(path: string): boolean {
  return path.endsWith(".conf");
}

/** Parses redis.conf text into (name, words) directives; throws on unbalanced quotes. */
export function redisConfDirectives(text: string): [string, string[], number][] {
  const out: [string, string[], number][] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === "" || t.startsWith("#")) continue;
    const b = Buffer.from(t, "latin1");
    const args = splitArgs(b, 0, b.length);
    if (args === null) throw new Error(`line ${i + 1}: Unbalanced quotes in configuration line`);
    if (args.length === 0) continue;
    const words = args.map((x) => Buffer.from(x).toString("latin1"));
    out.push([words[0]!.toLowerCase(), words.slice(1), i + 1]);
  }
  return out;
}

/** Reads and applies the file, then the flags; throws an Error naming the first bad option. */
export function loadStartupConfig(cfg: Config, opts: StartupOptions): void {
  if (opts.configFile) {
    const file = opts.configFile;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`cannot read config file '${file}': ${(e as Error).message}`);
    }
    if (isRedisConf(file)) {
      let dirs: [string, string[], number][];
      try {
        dirs = redisConfDirectives(bytes(text));
      } catch (e) {
        throw new Error(`config file '${file}': ${(e as Error).message}`);
      }
      for (const [name, words, line] of dirs) {
        try {
          cfg.setStartup(name, words);
        } catch (e) {
          throw new Error(`config file '${file}', line ${line}: ${(e as Error).message}`);
        }
      }
    } else {
      let pairs: [string, string][];
      try {
        pairs = tomlPairs(text);
      } catch (e) {
        throw new Error(`config file '${file}': ${(e as Error).message}`);
      }
      for (const [name, value] of pairs) {
        try {
          cfg.setStartup(name, bytes(value));
        } catch (e) {
          throw new Error(`config file '${file}': ${(e as Error).message}`);
        }
      }
    }
    // absolute: CONFIG SET dir may change the working directory later
    cfg.configFile = resolve(file);
  }
  for (const [name, words] of opts.pairs) cfg.setStartup(name, words.map(bytes));
}

// ---- CONFIG REWRITE ----

const SIGNATURE = "# Generated by CONFIG REWRITE";
/** Written even at their defaults, as Redis does. */
const ALWAYS = new Set(["save", "dir", "latency-tracking-info-percentiles"]);

/** Redis's rewriteConfigFormatMemory: 1gb, 64mb, 3kb or plain bytes. */
function fmtMemory(v: bigint | string): string {
  const n = BigInt(v);
  const GB = 1n << 30n;
  const MB = 1n << 20n;
  const KB = 1n << 10n;
  if (n !== 0n && n % GB === 0n) return `${n / GB}gb`;
  if (n !== 0n && n % MB === 0n) return `${n / MB}mb`;
  if (n !== 0n && n % KB === 0n) return `${n / KB}kb`;
  return n.toString();
}

const tomlString = (s: string) => JSON.stringify(Buffer.from(s, "latin1").toString("utf8"));

/** A parameter's current value as a TOML value. */
function tomlFor(cfg: Config, d: ParamDef): string {
  const shown = cfg.format(d);
  switch (d.type) {
    case "bool":
      return shown === "yes" ? "true" : "false";
    case "int": {
      if (d.mem && !shown.endsWith("%")) return tomlString(fmtMemory(shown));
      if (d.octal || d.percent) return tomlString(shown);
      const n = BigInt(shown);
      return n >= -(2n ** 53n) + 1n && n <= 2n ** 53n - 1n ? shown : tomlString(shown);
    }
    case "custom":
      if (d.name === "client-output-buffer-limit") {
        const w = shown.split(" ");
        for (let i = 0; i < w.length; i += 4) {
          if (w[i] === "slave") w[i] = "replica";
          w[i + 1] = fmtMemory(w[i + 1]!);
          w[i + 2] = fmtMemory(w[i + 2]!);
        }
        return tomlString(w.join(" "));
      }
      return tomlString(shown);
    default:
      return tomlString(shown);
  }
}

/** Where a key/value line of the TOML file sits and which parameter it sets. */
interface Occurrence {
  start: number;
  end: number;
  /** the key as written (inside a table: without the table's name) */
  key: string;
}

/** The key of a `key = value` line (bare, quoted and dotted keys), or null. */
function lineKey(line: string): { parts: string[]; keyText: string; rest: string } | null {
  const parts: string[] = [];
  let i = 0;
  const skip = () => {
    while (i < line.length && (line[i] === " " || line[i] === "\t")) i++;
  };
  skip();
  const begin = i;
  for (;;) {
    skip();
    if (line[i] === '"' || line[i] === "'") {
      const q = line[i]!;
      let j = i + 1;
      let k = "";
      while (j < line.length && line[j] !== q) {
        if (q === '"' && line[j] === "\\") j++;
        k += line[j++] ?? "";
      }
      if (j >= line.length) return null;
      parts.push(k);
      i = j + 1;
    } else {
      const m = /^[A-Za-z0-9_-]+/.exec(line.slice(i));
      if (!m) return null;
      parts.push(m[0]);
      i += m[0].length;
    }
    skip();
    if (line[i] === ".") {
      i++;
      continue;
    }
    break;
  }
  if (line[i] !== "=") return null;
  return { parts, keyText: line.slice(begin, i).trim(), rest: line.slice(i + 1) };
}

/** The last line of a value that starts on line `at` (arrays and multi-line strings span lines). */
function valueEnd(lines: string[], at: number, rest: string): number {
  let depth = 0;
  let i = at;
  let text = rest;
  let inStr: string | null = null;
  for (;;) {
    for (let j = 0; j < text.length; j++) {
      const ch = text[j]!;
      if (inStr) {
        if (inStr.length === 1 && ch === "\\" && inStr === '"') j++;
        else if (text.startsWith(inStr, j)) {
          j += inStr.length - 1;
          inStr = null;
        }
        continue;
      }
      if (ch === "#") break;
      if (text.startsWith('"""', j) || text.startsWith("'''", j)) {
        inStr = text.slice(j, j + 3);
        j += 2;
      } else if (ch === '"' || ch === "'") inStr = ch;
      else if (ch === "[" || ch === "{") depth++;
      else if (ch === "]" || ch === "}") depth--;
    }
    if (inStr?.length === 1) inStr = null; // a single-line string cannot continue
    if ((depth <= 0 && inStr === null) || i + 1 >= lines.length) return i;
    text = lines[++i]!;
  }
}

/** Where each option sits in the old file, and where new lines go. */
interface FileScan {
  found: Map<string, Occurrence[]>;
  /** new options are inserted before this line (TOML: the first [table]) */
  insertAt: number;
  hasSignature: boolean;
  /** lines to replace as they are (redis.conf lines naming no option become comments) */
  fixed: Map<number, string>;
}

function scanToml(cfg: Config, lines: string[]): FileScan {
  const found = new Map<string, Occurrence[]>();
  let prefix = "";
  let firstTable = -1;
  let hasSignature = false;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === SIGNATURE) hasSignature = true;
    if (t === "" || t.startsWith("#")) continue;
    if (t.startsWith("[")) {
      if (firstTable < 0) firstTable = i;
      const m = /^\[\s*([^\[\]]+?)\s*\]/.exec(t);
      prefix = t.startsWith("[[") || !m ? "\0" : m[1]!.split(".").map((p) => p.trim().replace(/^["']|["']$/g, "")).join("-");
      continue;
    }
    const k = lineKey(lines[i]!);
    if (!k) continue;
    const end = valueEnd(lines, i, k.rest);
    if (prefix !== "\0") {
      const d = cfg.lookupStartup((prefix ? prefix + "-" : "") + k.parts.join("-"));
      if (d) {
        const list = found.get(d.name) ?? [];
        list.push({ start: i, end, key: k.keyText });
        found.set(d.name, list);
      }
    }
    i = end;
  }
  return { found, insertAt: firstTable < 0 ? lines.length : firstTable, hasSignature, fixed: new Map() };
}

function scanRedisConf(cfg: Config, lines: string[]): FileScan {
  const found = new Map<string, Occurrence[]>();
  const fixed = new Map<number, string>();
  let hasSignature = false;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.trim();
    if (t === SIGNATURE) hasSignature = true;
    if (t === "" || t.startsWith("#")) continue;
    const b = Buffer.from(t, "utf8");
    const args = splitArgs(b, 0, b.length);
    const d = args?.length ? cfg.lookupStartup(Buffer.from(args[0]!).toString("utf8")) : undefined;
    if (!d) {
      // as Redis does: a line the rewrite cannot place stays, as a comment
      fixed.set(i, `# ??? ${t}`);
      continue;
    }
    const list = found.get(d.name) ?? [];
    list.push({ start: i, end: i, key: d.name });
    found.set(d.name, list);
  }
  return { found, insertAt: lines.length, hasSignature, fixed };
}

/** A parameter's current value as redis.conf lines. */
function redisConfFor(cfg: Config, d: ParamDef): string[] {
  const shown = cfg.format(d);
  const q = (v: string) => repr(Buffer.from(v, "latin1").toString("utf8"));
  switch (d.type) {
    case "bool":
    case "enum":
      return [`${d.name} ${shown}`];
    case "int":
      return [`${d.name} ${d.mem && !shown.endsWith("%") ? fmtMemory(shown) : shown}`];
    case "str":
      // an emptied string option leaves the file (Redis stores most of them as NULL)
      return shown === "" && d.def === "" ? [] : [`${d.name} ${q(shown)}`];
    case "custom": {
      const w = shown === "" ? [] : shown.split(" ");
      switch (d.name) {
        case "save": {
          if (w.length === 0) return ['save ""'];
          const out: string[] = [];
          for (let i = 0; i < w.length; i += 2) out.push(`save ${w[i]} ${w[i + 1]}`);
          return out;
        }
        case "client-output-buffer-limit": {
          const out: string[] = [];
          for (let i = 0; i < w.length; i += 4) {
            out.push(`${d.name} ${w[i] === "slave" ? "replica" : w[i]} ${fmtMemory(w[i + 1]!)} ${fmtMemory(w[i + 2]!)} ${w[i + 3]}`);
          }
          return out;
        }
        case "dir":
        case "notify-keyspace-events":
          return [`${d.name} ${q(shown)}`];
        default:
          return [`${d.name} ${w.length ? shown : '""'}`];
      }
    }
  }
}

/**
 * CONFIG REWRITE of the file the server started with (TOML, or redis.conf for ".conf"): lines
 * of options are rewritten in place with the current values (the first one of each option;
 * repeats are dropped), options that differ from their defaults and are not in the file yet
 * are added (TOML: before the first [table]) after a "# Generated by CONFIG REWRITE" line;
 * comments and anything else stay as they are. The file is replaced atomically. Returns an
 * error text or null.
 */
export function rewriteConfigFile(cfg: Config, path: string): string | null {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as { code?: string }).code !== "ENOENT") return strerror(e);
  }
  const conf = isRedisConf(path);
  const lines = text.length ? text.replace(/\r?\n$/, "").split(/\r?\n/) : [];
  const scan = conf ? scanRedisConf(cfg, lines) : scanToml(cfg, lines);
  const render = (d: ParamDef, key: string): string[] =>
    conf ? redisConfFor(cfg, d) : [`${key} = ${tomlFor(cfg, d)}`];

  const replace = new Map<number, { end: number; lines: string[] }>();
  const added: string[] = [];
  for (const d of cfg.all()) {
    const occ = scan.found.get(d.name);
    let write = !cfg.isDefault(d) || ALWAYS.has(d.name);
    if (d.name === "replicaof" && cfg.format(d) === "") write = false;
    if (occ) {
      // the first line of an option gets its current value; repeats go (a master drops replicaof)
      const [first, ...rest] = occ;
      const keep = d.name !== "replicaof" || write;
      replace.set(first!.start, { end: first!.end, lines: keep ? render(d, first!.key) : [] });
      for (const o of rest) replace.set(o.start, { end: o.end, lines: [] });
    } else if (write) {
      added.push(...render(d, d.name));
    }
  }

  const out: string[] = [];
  const at = scan.insertAt;
  const emitAdded = () => {
    if (added.length === 0) return;
    if (out.length && out[out.length - 1]!.trim() !== "") out.push("");
    if (!scan.hasSignature) out.push(SIGNATURE);
    out.push(...added);
    if (at < lines.length) out.push("");
  };
  for (let i = 0; i < lines.length; i++) {
    if (i === at) emitAdded();
    const r = replace.get(i);
    if (r) {
      out.push(...r.lines);
      i = r.end;
      continue;
    }
    out.push(scan.fixed.get(i) ?? lines[i]!);
  }
  if (at >= lines.length) emitAdded();

  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  try {
    writeFileSync(tmp, out.join("\n") + "\n", { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    return strerror(e);
  }
  return null;
}
