// Key positions of a command, found one way for every user (ACL, CROSSSLOT, cluster routing,
// WATCH-style checks in scripts, COMMAND GETKEYS): the Redis 7 key-spec algorithm over the
// declared specs, plus the few commands whose keys the specs cannot describe (SORT, MIGRATE).

import type { Argv } from "../resp/argv.ts";
import type { KeySpecDecl } from "./spec-rules.ts";
import type { Command } from "./table.ts";

/** Returned for specs that point outside the arguments (a syntax error in the command). */
export const INVALID = null;

function parseNonNegInt(s: string): number {
  if (!/^(0|[1-9]\d*)$/.test(s)) return -1;
  return Number(s);
}

/** Key argument indices from key specs, or null when a spec is invalid for these args. */
export function keysFromSpecs(specs: KeySpecDecl[], arity: number, argv: Argv, out: number[]): number[] | null {
  const argc = argv.argc;
  for (const spec of specs) {
    let first = 0;
    if (spec.i !== undefined) first = spec.i;
    else if (spec.kw) {
      const [kw, startfrom] = spec.kw;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 0;
      const lkw = kw.toLowerCase();
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (argv.is(i, lkw)) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else continue;

    let last: number;
    let step: number;
    if (spec.n) {
      const [keynumidx, firstkey, keystep] = spec.n;
      step = keystep;
      if (keynumidx >= argc - first) return null;
      const numkeys = parseNonNegInt(argv.str(first + keynumidx));
      if (numkeys < 0) return null;
      first += firstkey;
      last = first + numkeys - 1;
      if (numkeys === 0) continue;
    } else if (spec.fk === "unknown") continue;
    else {
      const [lastkey, keystep, limit] = spec.r ?? [0, 1, 0];
      step = keystep;
      if (lastkey >= 0) last = first + lastkey;
      else if (!limit) last = argc + lastkey;
      else last = first + (Math.floor((argc - first) / limit) + lastkey);
    }
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) {
      if (i >= argc || i < first) {
        if (arity < 0) continue;
        break;
      }
      out.push(i);
    }
  }
  return out;
}

/** SORT/SORT_RO: the sorted key, plus the STORE destination (SORT only). */
function sortKeys(argv: Argv, withStore: boolean): number[] {
  const keys = [1];
  if (!withStore) return keys;
  // Options that take arguments, so their values are not mistaken for STORE.
  const skip: Record<string, number> = { limit: 2, get: 1, by: 1 };
  let store = -1;
  for (let i = 2; i < argv.argc; i++) {
    const opt = argv.lower(i);
    if (opt === "store" && i + 1 < argv.argc) {
      store = i + 1;
      i++;
      continue;
    }
    i += skip[opt] ?? 0;
  }
  if (store > 0) keys.push(store);
  return keys;
}

/** MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw] [AUTH2 u pw] [KEYS k...]. */
function migrateKeys(argv: Argv): number[] {
  let first = 3;
  let num = 1;
  for (let i = 6; i < argv.argc; i++) {
    if (argv.is(i, "auth")) i++;
    else if (argv.is(i, "auth2")) i += 2;
    else if (argv.is(i, "keys")) {
      if (argv.len(3) > 0) return [];
      first = i + 1;
      num = argv.argc - first;
      break;
    }
  }
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(first + i);
  return out;
}

/** All key indices of a command invocation; null when the arguments are invalid. */
export function commandKeys(cmd: Command, argv: Argv): number[] | null {
  switch (cmd.name) {
    case "sort":
      return sortKeys(argv, true);
    case "sort_ro":
      return sortKeys(argv, false);
    case "migrate":
      return migrateKeys(argv);
  }
  if (cmd.keySpecs.length === 0) return [];
  return keysFromSpecs(cmd.keySpecs, cmd.arity, argv, []);
}
