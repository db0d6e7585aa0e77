// Startup configuration: a TOML file (--config path, parsed with Bun.TOML) and redis-style
// flags (--port 7000 --save 900 1 ...). Flags win over the file. Unknown names are an error.

import { readFileSync } from "node:fs";
import type { Config } from "./registry.ts";

export interface StartupOptions {
  configFile: string | null;
  pairs: [string, string][];
  help: boolean;
  version: boolean;
}

/** Splits argv into --name value... pairs; a value runs until the next --name. */
export function parseFlags(argv: string[]): StartupOptions {
  const opts: StartupOptions = { configFile: null, pairs: [], help: false, version: false };
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
    if (!a.startsWith("--")) {
      if (i === 0 && opts.configFile === null) {
        opts.configFile = a;
        i++;
        continue;
      }
      throw new Error(`unexpected argument '${a}' (options are --name value)`);
    }
    const name = a.slice(2);
    const vals: string[] = [];
    i++;
    while (i < argv.length && !argv[i]!.startsWith("--")) vals.push(argv[i++]!);
    if (name === "config") {
      if (vals.length !== 1) throw new Error("--config takes one path");
      opts.configFile = vals[0]!;
      continue;
    }
    opts.pairs.push([name, vals.join(" ")]);
  }
  return opts;
}

function tomlValue(v: unknown, key: string): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  if (typeof v === "string") return v;
  if (Array.isArray(v)) return v.map((x) => tomlValue(x, key)).join(" ");
  throw new Error(`config key '${key}': unsupported value`);
}

/** Flattens a TOML document to (name, value) pairs; tables join with '-' ([cluster] enabled -> cluster-enabled). */
export function tomlPairs(text: string): [string, string][] {
  const doc = Bun.TOML.parse(text) as Record<string, unknown>;
  const out: [string, string][] = [];
  const walk = (obj: Record<string, unknown>, prefix: string) => {
    for (const [k, v] of Object.entries(obj)) {
      const name = (prefix ? `${prefix}-${k}` : k).replace(/_/g, "-");
      if (v !== null && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, name);
      else out.push([name, tomlValue(v, name)]);
    }
  };
  walk(doc, "");
  return out;
}

/** Applies the file then the flags; throws a clear Error on the first bad option. */
export function loadStartupConfig(cfg: Config, opts: StartupOptions): void {
  const pairs: [string, string][] = [];
  if (opts.configFile) {
    let text: string;
    try {
      text = readFileSync(opts.configFile, "utf8");
    } catch (e) {
      throw new Error(`cannot read config file '${opts.configFile}': ${(e as Error).message}`);
    }
    try {
      pairs.push(...tomlPairs(text));
    } catch (e) {
      throw new Error(`config file '${opts.configFile}': ${(e as Error).message}`);
    }
    cfg.configFile = opts.configFile;
  }
  pairs.push(...opts.pairs);
  for (const [name, value] of pairs) cfg.setStartup(name, value);
}
