// The EVAL script cache: one Lua engine per server, scripts by SHA1 of their body, and the
// shebang line (`#!lua flags=no-writes,...`) of Redis 7 scripts.

import type { Server } from "../server/context.ts";
import { splitArgs } from "../resp/parser.ts";
import { LuaEngine, sha1hex } from "./engine.ts";
import { lauxlib, lua } from "./lua.ts";
import { FLAG_NAMES, SF } from "./run.ts";

export interface Script {
  sha: string;
  body: Uint8Array;
  flags: number;
  /** registry ref of the compiled function */
  ref: number;
}

export interface Shebang {
  flags: number;
  /** bytes of the shebang line (the code starts at this offset, at its newline) */
  len: number;
}

const latin1 = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("latin1");

/** Parses a `#!<engine> ...` first line (Redis's evalExtractShebangFlags). */
export function parseShebang(body: Uint8Array, forFunction = false): Shebang | string {
  if (body.length < 2 || body[0] !== 35 || body[1] !== 33) return { flags: SF.EVAL_COMPAT, len: 0 };
  const nl = body.indexOf(10);
  if (nl < 0) return "ERR Invalid script shebang";
  const parts = splitArgs(body, 0, nl);
  if (parts === null || parts.length === 0) return "ERR Invalid engine in script shebang";
  const engine = latin1(parts[0]!);
  if (engine !== "#!lua") return `ERR Unexpected engine in script shebang: ${engine}`;
  let flags = 0;
  for (let j = 1; j < parts.length; j++) {
    const p = latin1(parts[j]!);
    if (p.startsWith("flags=")) {
      const list = p.slice(6);
      if (list === "") continue;
      for (const f of list.split(",")) {
        const def = FLAG_NAMES.find(([n]) => n === f);
        if (!def) return `ERR Unexpected flag in script shebang: ${f}`;
        flags |= def[1];
      }
    } else if (!forFunction) return `ERR Unknown lua shebang option: ${p}`;
  }
  return { flags, len: nl };
}

export class ScriptCache {
  engine: LuaEngine;
  readonly scripts = new Map<string, Script>();

  constructor(readonly srv: Server) {
    this.engine = new LuaEngine(srv, "eval");
  }

  get(sha: string): Script | undefined {
    return this.scripts.get(sha.toLowerCase());
  }

  /** Compiles and caches a script body (Redis's luaCreateFunction); a string is an error reply. */
  create(body: Uint8Array): Script | string {
    const sha = sha1hex(body);
    const have = this.scripts.get(sha);
    if (have) return have;
    const sb = parseShebang(body);
    if (typeof sb === "string") return sb;
    const code = body.subarray(sb.len);
    const err = this.engine.compile(code, "@user_script");
    if (err !== null) return `ERR Error compiling script (new function): ${err}`;
    const ref = lauxlib.luaL_ref(this.engine.L, lua.LUA_REGISTRYINDEX);
    const s: Script = { sha, body: Uint8Array.prototype.slice.call(body), flags: sb.flags, ref };
    this.scripts.set(sha, s);
    return s;
  }

  /** SCRIPT FLUSH: forget every script and start a fresh interpreter. */
  flush(): void {
    this.scripts.clear();
    this.engine = new LuaEngine(this.srv, "eval");
  }

  get memory(): number {
    let n = 0;
    for (const s of this.scripts.values()) n += s.body.length + 40 + 64;
    return n;
  }
}

const caches = new WeakMap<Server, ScriptCache>();

export function scriptCache(srv: Server): ScriptCache {
  let c = caches.get(srv);
  if (c === undefined) caches.set(srv, (c = new ScriptCache(srv)));
  return c;
}
