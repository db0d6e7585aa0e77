// JSONPath evaluation over the tree. Each match carries its location (parent container and
// key or index), so commands update values in place.
//
// Semantics follow RedisJSON's engine:
// - indexes are clamped: [n] past the end matches nothing, [-n] before the start is index 0
// - slices [a:b:c] clamp a and b the same way and step forward only (c >= 1)
// - ".." applies the rest of the path to the node itself, then to every descendant (pre-order)
// - a filter on an array or object tests each element / member value; on a scalar it tests
//   the scalar itself
// - in filters, "@..." / "$..." terms must select exactly one value, else the test is false
//   (and a term alone tests that it selects exactly one value); ordering comparisons need
//   two numbers, two strings or two booleans; == compares values (1 == 1.0); =~ is a partial
//   regex match of a string against a string

import type { CmpOp, Filter, Query, Step, Term } from "./path.ts";
import { JFloat, JObj, K, kind, numCmp, toF64, valueEqual, type JVal } from "./value.ts";

export type Parent = JVal[] | JObj | null;

export interface Match {
  v: JVal;
  /** container holding v; null for the document root */
  p: Parent;
  /** key (objects) or index (arrays) of v in p */
  k: string | number;
}

/** A chain of ancestor values, innermost first. */
export type Trail = { v: JVal; up: Trail } | null;

/** A match with its ancestors (for checks of matches nested inside other matches). */
export interface TrackedMatch extends Match {
  up: Trail;
}

class Ctx {
  out: Match[] = [];
  constructor(
    readonly root: JVal,
    readonly track: boolean,
  ) {}
}

function absIndex(i: number, n: number): number {
  return i >= 0 ? Math.min(i, n) : Math.max(i + n, 0);
}

function emit(ctx: Ctx, v: JVal, p: Parent, k: string | number, up: Trail): void {
  if (ctx.track) ctx.out.push({ v, p, k, up } as TrackedMatch);
  else ctx.out.push({ v, p, k });
}

function walk(ctx: Ctx, steps: Step[], i: number, v: JVal, p: Parent, k: string | number, up: Trail): void {
  if (i === steps.length) return emit(ctx, v, p, k, up);
  const st = steps[i]!;
  const down = (): Trail => (ctx.track ? { v, up } : null);
  switch (st.t) {
    case "keys": {
      if (!(v instanceof JObj)) return;
      const d = down();
      for (const key of st.keys) {
        const c = v.get(key);
        if (c !== undefined) walk(ctx, steps, i + 1, c, v, key, d);
      }
      return;
    }
    case "idx": {
      if (!Array.isArray(v)) return;
      const d = down();
      const n = v.length;
      for (const raw of st.idx) {
        const j = absIndex(raw, n);
        if (j < n) walk(ctx, steps, i + 1, v[j]!, v, j, d);
      }
      return;
    }
    case "slice": {
      if (!Array.isArray(v)) return;
      const d = down();
      const n = v.length;
      const start = st.start === null ? 0 : absIndex(st.start, n);
      const end = st.end === null ? n : absIndex(st.end, n);
      for (let j = start; j < end; j += st.step) walk(ctx, steps, i + 1, v[j]!, v, j, d);
      return;
    }
    case "all": {
      const d = down();
      if (Array.isArray(v)) {
        for (let j = 0; j < v.length; j++) walk(ctx, steps, i + 1, v[j]!, v, j, d);
      } else if (v instanceof JObj) {
        const keys = v.keys;
        const vals = v.vals;
        for (let j = 0; j < keys.length; j++) walk(ctx, steps, i + 1, vals[j]!, v, keys[j]!, d);
      }
      return;
    }
    case "scan":
      walk(ctx, steps, i + 1, v, p, k, up);
      scan(ctx, steps, i + 1, v, up);
      return;
    case "filter": {
      if (Array.isArray(v)) {
        const d = down();
        for (let j = 0; j < v.length; j++) if (test(ctx, st.f, v[j]!)) walk(ctx, steps, i + 1, v[j]!, v, j, d);
      } else if (v instanceof JObj) {
        const d = down();
        const keys = v.keys;
        const vals = v.vals;
        for (let j = 0; j < keys.length; j++) if (test(ctx, st.f, vals[j]!)) walk(ctx, steps, i + 1, vals[j]!, v, keys[j]!, d);
      } else if (test(ctx, st.f, v)) walk(ctx, steps, i + 1, v, p, k, up);
      return;
    }
  }
}

function scan(ctx: Ctx, steps: Step[], i: number, v: JVal, up: Trail): void {
  const d: Trail = ctx.track ? { v, up } : null;
  if (Array.isArray(v)) {
    for (let j = 0; j < v.length; j++) {
      const c = v[j]!;
      walk(ctx, steps, i, c, v, j, d);
      if (typeof c === "object" && c !== null && !(c instanceof JFloat)) scan(ctx, steps, i, c, d);
    }
  } else if (v instanceof JObj) {
    const keys = v.keys;
    const vals = v.vals;
    for (let j = 0; j < keys.length; j++) {
      const c = vals[j]!;
      walk(ctx, steps, i, c, v, keys[j]!, d);
      if (typeof c === "object" && c !== null && !(c instanceof JFloat)) scan(ctx, steps, i, c, d);
    }
  }
}

// ---- filters ----

/** A term's value: a document value, a literal, or nothing (INVALID). */
const INVALID = Symbol("invalid");
type TV =
  | { k: "val"; v: JVal }
  | { k: "int"; v: number | bigint }
  | { k: "float"; v: number }
  | { k: "str"; v: string }
  | { k: "bool"; v: boolean }
  | typeof INVALID;

function term(ctx: Ctx, t: Term, cur: JVal): TV {
  switch (t.t) {
    case "path": {
      if (t.steps.length === 0) return { k: "val", v: t.root ? ctx.root : cur };
      const sub = new Ctx(ctx.root, false);
      walk(sub, t.steps, 0, t.root ? ctx.root : cur, null, "", null);
      return sub.out.length === 1 ? { k: "val", v: sub.out[0]!.v } : INVALID;
    }
    case "int":
      return { k: "int", v: t.v };
    case "float":
      return { k: "float", v: t.v };
    case "str":
      return { k: "str", v: t.v };
    case "bool":
      return { k: "bool", v: t.v };
    case "null":
      return { k: "val", v: null };
  }
}

/** A document value as a comparable scalar (null, arrays and objects compare with nothing). */
function scalar(x: TV): TV {
  if (x === INVALID || x.k !== "val") return x;
  const v = x.v;
  switch (kind(v)) {
    case K.Long:
      return { k: "int", v: v as number | bigint };
    case K.Double:
      return { k: "float", v: toF64(v as JFloat | bigint) };
    case K.Str:
      return { k: "str", v: v as string };
    case K.Bool:
      return { k: "bool", v: v as boolean };
    default:
      return INVALID;
  }
}

/** -1 / 0 / 1, or NaN when the two cannot be compared. */
function cmp(a: TV, b: TV): number {
  const x = scalar(a);
  const y = scalar(b);
  if (x === INVALID || y === INVALID) return NaN;
  if ((x.k === "int" || x.k === "float") && (y.k === "int" || y.k === "float")) {
    if (x.k === "int" && y.k === "int") return numCmp(x.v, y.v);
    const p = Number(x.v);
    const q = Number(y.v);
    return p > q ? 1 : p < q ? -1 : p === q ? 0 : NaN;
  }
  if (x.k === "str" && y.k === "str") return x.v < y.v ? -1 : x.v > y.v ? 1 : 0;
  if (x.k === "bool" && y.k === "bool") return x.v === y.v ? 0 : x.v ? 1 : -1;
  return NaN;
}

function eq(a: TV, b: TV): boolean {
  if (a !== INVALID && b !== INVALID && a.k === "val" && b.k === "val") return valueEqual(a.v, b.v);
  return cmp(a, b) === 0;
}

const regexCache = new Map<string, RegExp | null>();

/** Compiles a pattern written for Rust's regex crate as closely as JS allows (leading (?flags)). */
export function compileRegex(pat: string): RegExp | null {
  let re = regexCache.get(pat);
  if (re !== undefined) return re;
  let body = pat;
  let flags = "";
  const m = /^\(\?([imsxU]+)\)/.exec(body);
  if (m) {
    body = body.slice(m[0].length);
    for (const f of m[1]!) if ("ims".includes(f) && !flags.includes(f)) flags += f;
  }
  re = null;
  for (const extra of ["u", ""]) {
    try {
      re = new RegExp(body, flags + extra);
      break;
    } catch {
      // try without unicode mode, then give up (an invalid pattern matches nothing)
    }
  }
  if (regexCache.size >= 256) regexCache.clear();
  regexCache.set(pat, re);
  return re;
}

function reMatch(a: TV, b: TV): boolean {
  if (a === INVALID || b === INVALID || a.k !== "val" || typeof a.v !== "string") return false;
  let pat: string;
  if (b.k === "str") pat = b.v;
  else if (b.k === "val" && typeof b.v === "string") pat = b.v;
  else return false;
  const re = compileRegex(pat);
  return re !== null && re.test(a.v);
}

function compare(op: CmpOp, a: TV, b: TV): boolean {
  switch (op) {
    case "==":
      return eq(a, b);
    case "!=":
      return !eq(a, b);
    case "=~":
      return reMatch(a, b);
    default: {
      const c = cmp(a, b);
      if (Number.isNaN(c)) return false;
      return op === ">" ? c > 0 : op === ">=" ? c >= 0 : op === "<" ? c < 0 : c <= 0;
    }
  }
}

function test(ctx: Ctx, f: Filter, cur: JVal): boolean {
  switch (f.t) {
    case "test": {
      const a = term(ctx, f.a, cur);
      if (f.op === null) return a !== INVALID;
      return compare(f.op, a, term(ctx, f.b!, cur));
    }
    case "not":
      return !test(ctx, f.f, cur);
    case "and":
      for (const g of f.fs) if (!test(ctx, g, cur)) return false;
      return true;
    case "or":
      for (const g of f.fs) if (test(ctx, g, cur)) return true;
      return false;
  }
}

// ---- entry points ----

/** All matches of a compiled query, in RedisJSON's result order. */
export function select(q: Query, root: JVal): Match[] {
  const ctx = new Ctx(root, false);
  walk(ctx, q.steps, 0, root, null, "", null);
  return ctx.out;
}

/** Matches with their ancestor chains (JSON.DEL needs to skip matches inside other matches). */
export function selectTracked(q: Query, root: JVal): TrackedMatch[] {
  const ctx = new Ctx(root, true);
  walk(ctx, q.steps, 0, root, null, "", null);
  return ctx.out as TrackedMatch[];
}

/** Values only. */
export function values(q: Query, root: JVal): JVal[] {
  const m = select(q, root);
  const out = new Array<JVal>(m.length);
  for (let i = 0; i < m.length; i++) out[i] = m[i]!.v;
  return out;
}

/** The current value at a match's location (it may have been replaced since it was found). */
export function current(m: Match, root: JVal): JVal | undefined {
  if (m.p === null) return root;
  if (m.p instanceof JObj) return m.p.get(m.k as string);
  return m.p[m.k as number];
}

/** Stores a value at a match's location (not for the root: the caller owns it). */
export function store(m: Match, v: JVal): void {
  if (m.p instanceof JObj) m.p.set(m.k as string, v);
  else if (m.p !== null) m.p[m.k as number] = v;
}
