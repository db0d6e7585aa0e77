// JSON.* commands, as RedisJSON 2.x defines them. Every command takes a path in JSONPath
// ("$...") or in the legacy syntax (".a.b", "a[0]"); both run on the same engine, and the
// reply shape follows the syntax: JSONPath replies carry one result per match (nil for a
// match of the wrong type), legacy replies carry a single value (the first or last match)
// and turn "nothing matched" into an error. See docs/JSON.md for the differences with
// RedisJSON.

import { E, fail, wrongArgs } from "../errors.ts";
import { JE, expectedType, pathMissing, pathMissingOr } from "../json/errors.ts";
import { decodeUtf8, parseJson } from "../json/parse.ts";
import { LEGACY_ROOT, Path, compile, type Query } from "../json/path.ts";
import { current, select, selectTracked, store, type Match, type TrackedMatch } from "../json/query.ts";
import { numText, writer as W, type Format } from "../json/serialize.ts";
import {
  JFloat,
  JObj,
  K,
  cloneVal,
  intVal,
  kind,
  memoryOf,
  strictEqual,
  toF64,
  typeName,
  utf8Len,
  type JVal,
} from "../json/value.ts";
import type { Argv } from "../resp/argv.ts";
import type { Reply } from "../resp/writer.ts";
import type { Client } from "../server/client.ts";
import { N } from "../store/notify.ts";
import { JsonDoc } from "../store/types/json.ts";
import { parseI64 } from "../util/numbers.ts";
import type { Handlers } from "./table.ts";

// ---- arguments ----

function pathArg(a: Argv, i: number): Path {
  return new Path(decodeUtf8(a.bytes(i)));
}

/** The path at argument i, the legacy root when there is none. */
function optPath(a: Argv, i: number): Path {
  return a.argc > i ? pathArg(a, i) : LEGACY_ROOT;
}

function jsonArg(a: Argv, i: number): JVal {
  return parseJson(a.bytes(i));
}

/** An integer argument (RedisModule_StringToLongLong rules). */
function intArg(a: Argv, i: number): number {
  const n = parseI64(a.str(i));
  if (Number.isNaN(n)) fail(JE.NOT_INT);
  return n;
}

/** FORMAT JSON|STRING (the input format, JSON either way) at argument i; returns the index of its value. */
function formatArg(a: Argv, i: number, cmd: string): number {
  if (i + 1 >= a.argc) fail(wrongArgs(cmd));
  const f = a.str(++i);
  if (f !== "JSON" && f !== "STRING") fail(JE.WRONG_FORMAT);
  return i;
}

// ---- keys ----

/** The document at key for a read command (counts hits/misses); WRONGTYPE for other types. */
function readDoc(c: Client, key: string): JsonDoc | undefined {
  const v = c.db.read(key);
  if (v === undefined) return undefined;
  if (!(v instanceof JsonDoc)) fail(E.WRONGTYPE);
  return v;
}

/** The document at key for a write command; WRONGTYPE for other types. */
function writeDoc(c: Client, key: string): JsonDoc | undefined {
  const v = c.db.lookup(key);
  if (v === undefined) return undefined;
  if (!(v instanceof JsonDoc)) fail(E.WRONGTYPE);
  return v;
}

function mustExist(d: JsonDoc | undefined): JsonDoc {
  if (d === undefined) fail(JE.NO_KEY);
  return d;
}

/** After a change: WATCH, keyspace event (module class, RedisJSON's event name), dirty. */
function changed(c: Client, key: string, event: string): void {
  c.srv.ks.written(c.db, key, N.MODULE, event);
}

// ---- replies ----

function bulkUtf8(out: Reply, s: string): void {
  if (utf8Len(s) === s.length) out.bulk(s);
  else out.bulkBytes(Buffer.from(s, "utf8"));
}

/** Compact JSON text of a value as a bulk string. */
function replyJson(out: Reply, v: JVal): void {
  W.reset();
  W.value(v);
  out.bulkBytes(W.bytes());
}

/** Compact JSON array of values as a bulk string. */
function replyJsonArray(out: Reply, vals: JVal[], fmt: Format | null = null): void {
  W.reset(fmt);
  W.beginArray();
  for (let i = 0; i < vals.length; i++) {
    W.arrayValue(i === 0);
    W.value(vals[i]!);
    W.endValue();
  }
  W.endArray();
  out.bulkBytes(W.bytes());
}

/** Integer-or-nil array (the JSONPath reply of the *LEN / *APPEND / ... commands). */
function replyInts(out: Reply, res: (number | null)[]): void {
  out.arr(res.length);
  for (const r of res) {
    if (r === null) out.nil();
    else out.int(r);
  }
}

/**
 * The reply of a command that yields an integer per match (nil for a match of the wrong type):
 * all of them for a JSONPath, the last one for a legacy path, whose error when no match has
 * the right type names the path as `shown` and the type expected as `notA`.
 */
function replyPerMatch(out: Reply, p: Path, res: (number | null)[], notA: string, shown = p.fixed): void {
  if (!p.legacy) return replyInts(out, res);
  let last: number | null = null;
  for (const r of res) if (r !== null) last = r;
  if (last === null) fail(pathMissingOr(shown, notA));
  out.int(last);
}

/** JSON.RESP's encoding of a value. */
function respValue(out: Reply, v: JVal): void {
  switch (kind(v)) {
    case K.Null:
      return out.nil();
    case K.Bool:
      return out.status(v ? "true" : "false");
    case K.Long:
      return typeof v === "bigint" ? out.bigint(v) : out.int(v as number);
    case K.Double:
      return out.dbl(toF64(v as JFloat | bigint));
    case K.Str:
      return bulkUtf8(out, v as string);
    case K.Arr: {
      const a = v as JVal[];
      out.arr(a.length + 1);
      out.status("[");
      for (const x of a) respValue(out, x);
      return;
    }
    default: {
      const o = v as JObj;
      out.arr(o.size * 2 + 1);
      out.status("{");
      for (let i = 0; i < o.keys.length; i++) {
        bulkUtf8(out, o.keys[i]!);
        respValue(out, o.vals[i]!);
      }
    }
  }
}

const enum RF {
  STRING,
  STRINGS,
  EXPAND1,
  EXPAND,
}

function replyFormat(s: string): RF {
  switch (s) {
    case "STRING":
      return RF.STRING;
    case "STRINGS":
      return RF.STRINGS;
    case "EXPAND1":
      return RF.EXPAND1;
    case "EXPAND":
      return RF.EXPAND;
  }
  return fail(JE.WRONG_REPLY_FORMAT);
}

/** RESP3 native encoding of a value (FORMAT EXPAND / EXPAND1). */
function resp3Value(out: Reply, v: JVal, f: RF, fmt: Format | null): void {
  switch (kind(v)) {
    case K.Null:
      return out.nil();
    case K.Bool:
      return out.bool(v as boolean);
    case K.Long:
      return typeof v === "bigint" ? out.bigint(v) : out.int(v as number);
    case K.Double:
      return out.dbl(toF64(v as JFloat | bigint));
  }
  if (f !== RF.EXPAND) {
    W.reset(fmt);
    W.value(v);
    return out.bulkBytes(W.bytes());
  }
  if (typeof v === "string") return bulkUtf8(out, v);
  if (Array.isArray(v)) {
    out.arr(v.length);
    for (const x of v) resp3Value(out, x, f, fmt);
    return;
  }
  const o = v as JObj;
  out.map(o.size);
  for (let i = 0; i < o.keys.length; i++) {
    bulkUtf8(out, o.keys[i]!);
    resp3Value(out, o.vals[i]!, f, fmt);
  }
}

// ---- path helpers ----

/** Matches of a path, or RedisJSON's error for a path that does not compile. */
function matches(p: Path, root: JVal): Match[] {
  return select(p.query(), root);
}

/** First match of a legacy path, or the "does not exist" error (with the JSONPath form). */
function first(p: Path, root: JVal): JVal {
  const m = matches(p, root);
  if (m.length === 0) fail(pathMissing(p.fixed));
  return m[0]!.v;
}

function setAt(doc: JsonDoc, m: Match, v: JVal): void {
  if (m.p === null) doc.root = v;
  else store(m, v);
}

/** Removes matches nested inside other matches (only the outermost is updated). */
function outermost(ms: TrackedMatch[]): TrackedMatch[] {
  if (ms.length < 2) return ms;
  const hit = new Set<JVal>();
  for (const m of ms) if (typeof m.v === "object" && m.v !== null && !(m.v instanceof JFloat)) hit.add(m.v);
  if (hit.size === 0) return ms;
  return ms.filter((m) => {
    for (let t = m.up; t !== null; t = t.up) if (hit.has(t.v)) return false;
    return true;
  });
}

/** Object keys that read as array indexes sort as numbers in RedisJSON's update order. */
function asIndex(k: string): number {
  return /^\+?\d+$/.test(k) && k.length < 20 ? Number(k) : NaN;
}

/** Update order among siblings: strings ascending before numbers, numbers descending. */
function siblingOrder(a: string | number, b: string | number): number {
  const x = typeof a === "number" ? a : asIndex(a);
  const y = typeof b === "number" ? b : asIndex(b);
  const xn = !Number.isNaN(x);
  const yn = !Number.isNaN(y);
  if (xn && yn) return y - x;
  if (xn) return 1;
  if (yn) return -1;
  return (a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0;
}

/**
 * Deletes matched values (not the root): the outermost of nested matches only, and inside one
 * container in RedisJSON's order (higher indexes first, keys in ascending order, which
 * decides how removals reorder object keys). Returns how many values were removed.
 */
function deleteMatches(all: TrackedMatch[]): number {
  const groups = new Map<JVal[] | JObj, (string | number)[]>();
  for (const m of outermost(all)) {
    if (m.p === null) continue;
    const g = groups.get(m.p);
    if (g === undefined) groups.set(m.p, [m.k]);
    else if (!g.includes(m.k)) g.push(m.k);
  }
  let n = 0;
  for (const [parent, keys] of groups) {
    keys.sort(siblingOrder);
    for (const k of keys) {
      if (parent instanceof JObj) {
        if (parent.remove(k as string)) n++;
      } else if ((k as number) < parent.length) {
        parent.splice(k as number, 1);
        n++;
      }
    }
  }
  return n;
}

// ---- JSON.SET / MSET planning ----

type Update = { kind: "set"; m: Match } | { kind: "add"; parent: JVal; key: string };

/**
 * Where a write goes (RedisJSON's find_paths): the existing matches (unless NX), else for a
 * static path ending in a key, that key under each match of the parent path. Throws the
 * static-path / array-index errors.
 */
function planSet(p: Path, root: JVal, mode: "" | "nx" | "xx" | "merge"): Update[] {
  const q = p.query();
  if (mode !== "nx") {
    const ms: Match[] = mode === "merge" ? select(q, root) : outermost(selectTracked(q, root));
    if (ms.length) return ms.map((m) => ({ kind: "set", m }));
  }
  if (mode === "xx") return [];
  if (!q.isStatic) fail(JE.WRONG_STATIC);
  if (q.steps.length < 1) fail(JE.MUST_END_WITH_KEY);
  const last = q.steps[q.steps.length - 1]!;
  if (last.t === "keys") {
    const key = last.keys[0]!;
    if (q.steps.length === 1) return [{ kind: "add", parent: root, key }];
    const parentQ: Query = { steps: q.steps.slice(0, -1), isStatic: true };
    return select(parentQ, root).map((m) => ({ kind: "add", parent: m.v, key }));
  }
  if (select(q, root).length === 0) fail(JE.ARRAY_INDEX_OOR);
  return [];
}

/** Applies planned updates; returns whether anything changed. */
function applySet(doc: JsonDoc, ups: Update[], v: JVal): boolean {
  let done = false;
  for (const u of ups) {
    const val = done ? cloneVal(v) : v;
    if (u.kind === "set") {
      setAt(doc, u.m, val);
      done = true;
    } else if (u.parent instanceof JObj && !u.parent.has(u.key)) {
      u.parent.set(u.key, val);
      done = true;
    }
  }
  return done;
}

/** RFC 7396 merge patch of target with patch (target objects are edited in place). */
function mergePatch(target: JVal, patch: JVal): JVal {
  if (!(patch instanceof JObj)) return cloneVal(patch);
  const t = target instanceof JObj ? target : new JObj();
  for (let i = 0; i < patch.keys.length; i++) {
    const k = patch.keys[i]!;
    const pv = patch.vals[i]!;
    if (pv === null) t.remove(k);
    else t.set(k, mergePatch(t.get(k) ?? null, pv));
  }
  return t;
}

// ---- number ops ----

const I64_MIN = -9223372036854775808n;
const I64_MAX = 9223372036854775807n;

/** NUMINCRBY/NUMMULTBY operand: a JSON number. */
function numberArg(a: Argv, i: number): number | bigint | JFloat {
  const v = jsonArg(a, i);
  if (typeof v !== "number" && typeof v !== "bigint" && !(v instanceof JFloat)) fail(JE.BAD_NUMBER);
  return v;
}

function numOp(cur: number | bigint | JFloat, by: number | bigint | JFloat, mult: boolean): number | bigint | JFloat {
  const byInt = typeof by !== "object" && (typeof by === "number" || (by >= I64_MIN && by <= I64_MAX));
  if (kind(cur) === K.Long && byInt) {
    if (typeof cur === "number" && typeof by === "number") {
      // Exact in doubles while the result stays below 2^53.
      const r = mult ? cur * by : cur + by;
      if (Number.isSafeInteger(r)) return r;
    }
    const x = BigInt(cur as number | bigint);
    const y = BigInt(by as number | bigint);
    return intVal(BigInt.asIntN(64, mult ? x * y : x + y));
  }
  const r = mult ? toF64(cur) * toF64(by) : toF64(cur) + toF64(by);
  if (!Number.isFinite(r)) fail(JE.NOT_A_NUMBER);
  return new JFloat(r);
}

function numCommand(c: Client, a: Argv, mult: boolean): void {
  const key = a.str(1);
  const p = pathArg(a, 2);
  const doc = mustExist(writeDoc(c, key));
  const ms = matches(p, doc.root);
  let by: number | bigint | JFloat | null = null;
  const res: (number | bigint | JFloat | null)[] = [];
  const undo: [Match, JVal][] = [];
  try {
    for (const m of ms) {
      const cur = current(m, doc.root);
      if (cur === undefined || (typeof cur !== "number" && typeof cur !== "bigint" && !(cur instanceof JFloat))) {
        res.push(null);
        continue;
      }
      by ??= numberArg(a, 3);
      const nv = numOp(cur, by, mult);
      undo.push([m, cur]);
      setAt(doc, m, nv);
      res.push(nv);
    }
  } catch (e) {
    for (let i = undo.length - 1; i >= 0; i--) setAt(doc, undo[i]![0], undo[i]![1]);
    throw e;
  }
  if (undo.length) changed(c, key, mult ? "json.nummultby" : "json.numincrby");
  const out = c.out;
  if (c.proto === 3) {
    out.arr(res.length);
    for (const r of res) {
      if (r === null) out.nil();
      else if (r instanceof JFloat) out.dbl(r.v);
      else if (typeof r === "bigint") out.bigint(r);
      else out.int(r);
    }
  } else if (p.legacy) {
    let last: number | bigint | JFloat | null = null;
    for (const r of res) if (r !== null) last = r;
    if (last === null) fail(pathMissingOr(p.fixed, "does not contains a number"));
    out.bulk(numText(last));
  } else {
    let s = "[";
    for (let i = 0; i < res.length; i++) s += (i ? "," : "") + (res[i] === null ? "null" : numText(res[i]!));
    out.bulk(s + "]");
  }
}

// ---- array helpers ----

/** RedisJSON's normalize_arr_start_index. */
function startIndex(i: number, len: number): number {
  return i < 0 ? Math.max(0, len + i) : Math.min(i, len - 1);
}

function arrIndexOf(arr: JVal[], v: JVal, start: number, end: number): number {
  const len = arr.length;
  if (len === 0) return -1;
  const s = startIndex(start, len);
  const e = end === 0 ? len : end < 0 ? Math.max(0, len + end) : Math.min(end, len);
  for (let i = s; i < e; i++) if (strictEqual(arr[i]!, v)) return i;
  return -1;
}

/** ARRTRIM's range rules; returns the new length. */
function trim(arr: JVal[], start: number, stop: number): number {
  const len = arr.length;
  const norm = (i: number) => (i < 0 ? len - Math.min(len, -i) : Math.max(Math.min(len - 1, i), 0));
  const e = norm(stop);
  const s = start < 0 || start < len ? norm(start) : e + 1;
  if (s > e || len === 0) arr.length = 0;
  else {
    if (s > 0) arr.copyWithin(0, s, e + 1);
    arr.length = e - s + 1;
  }
  return arr.length;
}

function isArr(v: JVal | undefined): v is JVal[] {
  return Array.isArray(v);
}

/**
 * For each match, f of the array it holds now (an earlier update may have replaced it), or
 * null where it holds something else.
 */
function eachArray(ms: Match[], doc: JsonDoc, f: (arr: JVal[]) => number): (number | null)[] {
  const res: (number | null)[] = [];
  for (const m of ms) {
    const arr = current(m, doc.root);
    res.push(isArr(arr) ? f(arr) : null);
  }
  return res;
}

// ---- JSON.GET ----

function jsonGet(c: Client, a: Argv): void {
  const key = a.str(1);
  const paths: Path[] = [];
  let fmt: Format | null = null;
  let rf = RF.STRING;
  for (let i = 2; i < a.argc; i++) {
    if (a.len(i) > 8) {
      paths.push(pathArg(a, i));
      continue;
    }
    const opt = a.lower(i);
    if (opt === "indent" || opt === "newline" || opt === "space") {
      if (i + 1 >= a.argc) fail(wrongArgs("json.get"));
      fmt ??= { indent: "", newline: "", space: "" };
      fmt[opt] = a.str(++i);
    } else if (opt === "noescape") continue;
    else if (opt === "format") {
      if (c.proto !== 3 && paths.length === 0) fail(JE.FORMAT_RESP2);
      if (i + 1 >= a.argc) fail(wrongArgs("json.get"));
      const f = a.str(++i);
      if (f.toLowerCase() === "strings") fail(JE.WRONG_REPLY_FORMAT);
      rf = replyFormat(f);
    } else paths.push(pathArg(a, i));
  }
  if (paths.length === 0) paths.push(LEGACY_ROOT);
  const doc = readDoc(c, key);
  const out = c.out;
  if (doc === undefined) return out.nil();
  const root = doc.root;

  if (c.proto === 3 && rf !== RF.STRING) {
    out.arr(paths.length);
    for (const p of paths) {
      let vals: JVal[] = [];
      try {
        vals = select(p.query(), root).map((m) => m.v);
      } catch {
        // a path that does not compile answers an empty array here
      }
      out.arr(vals.length);
      for (const v of vals) resp3Value(out, v, rf, fmt);
    }
    return;
  }

  const legacy = paths.every((p) => p.legacy);
  if (paths.length === 1) {
    const p = paths[0]!;
    if (legacy) {
      const v = first(p, root);
      W.reset(fmt);
      W.value(v);
      return out.bulkBytes(W.bytes());
    }
    return replyJsonArray(out, matches(p, root).map((m) => m.v), fmt);
  }
  // Several paths: an object of path -> value (legacy) or path -> array of values.
  const entries: [string, JVal | JVal[]][] = [];
  const seen = new Map<string, number>();
  let missing: string | null = null;
  for (const p of paths) {
    let q: Query;
    try {
      q = p.query();
    } catch {
      continue; // RedisJSON leaves out paths that do not compile
    }
    const vals = select(q, root).map((m) => m.v);
    let entry: JVal | JVal[];
    if (legacy) {
      if (vals.length === 0) {
        missing ??= p.orig;
        continue;
      }
      entry = vals[0]!;
    } else entry = vals;
    const at = seen.get(p.orig);
    if (at === undefined) {
      seen.set(p.orig, entries.length);
      entries.push([p.orig, entry]);
    } else entries[at]![1] = entry;
  }
  if (missing !== null) fail(pathMissing(missing));
  W.reset(fmt);
  W.beginObject();
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i]!;
    W.objectKey(k, i === 0);
    if (legacy) W.value(v as JVal);
    else {
      const vals = v as JVal[];
      W.beginArray();
      for (let j = 0; j < vals.length; j++) {
        W.arrayValue(j === 0);
        W.value(vals[j]!);
        W.endValue();
      }
      W.endArray();
    }
    W.endValue();
  }
  W.endObject();
  out.bulkBytes(W.bytes());
}

// ---- JSON.SET / MSET / MERGE ----

function jsonSet(c: Client, a: Argv): void {
  const key = a.str(1);
  const p = pathArg(a, 2);
  let mode: "" | "nx" | "xx" = "";
  for (let i = 4; i < a.argc; i++) {
    if (a.is(i, "nx") && mode === "") mode = "nx";
    else if (a.is(i, "xx") && mode === "") mode = "xx";
    else if (a.is(i, "format")) i = formatArg(a, i, "json.set");
    else fail(E.SYNTAX);
  }
  const doc = writeDoc(c, key);
  const val = jsonArg(a, 3);
  const out = c.out;
  if (doc === undefined) {
    if (mode === "xx") return out.nil();
    if (!p.isRoot) fail(JE.NEW_AT_ROOT);
    c.db.add(key, new JsonDoc(val));
    changed(c, key, "json.set");
    return out.ok();
  }
  if (p.isRoot) {
    if (mode === "nx") return out.nil();
    doc.root = val;
    changed(c, key, "json.set");
    return out.ok();
  }
  const ups = planSet(p, doc.root, mode);
  if (!applySet(doc, ups, val)) return out.nil();
  changed(c, key, "json.set");
  out.ok();
}

function jsonMset(c: Client, a: Argv): void {
  if ((a.argc - 1) % 3 !== 0) fail(wrongArgs("json.mset"));
  // Validate every triplet before writing anything.
  const plan: [string, Path, JVal][] = [];
  for (let i = 1; i < a.argc; i += 3) {
    const key = a.str(i);
    const doc = writeDoc(c, key);
    const p = pathArg(a, i + 1);
    if (!p.isRoot) {
      if (doc === undefined) fail(JE.NEW_AT_ROOT);
      planSet(p, doc.root, "");
    }
    plan.push([key, p, jsonArg(a, i + 2)]);
  }
  for (const [key, p, val] of plan) {
    const doc = writeDoc(c, key);
    let done = false;
    if (p.isRoot) {
      if (doc === undefined) c.db.add(key, new JsonDoc(val));
      else doc.root = val;
      done = true;
    } else if (doc !== undefined) {
      try {
        done = applySet(doc, planSet(p, doc.root, ""), val);
      } catch {
        // an earlier triplet changed the document under this path: nothing to set
      }
    }
    if (done) changed(c, key, "json.mset");
  }
  c.out.ok();
}

function jsonMerge(c: Client, a: Argv): void {
  const key = a.str(1);
  const p = pathArg(a, 2);
  for (let i = 4; i < a.argc; i++) {
    if (a.is(i, "format")) i = formatArg(a, i, "json.merge");
    else fail(E.SYNTAX);
  }
  const doc = writeDoc(c, key);
  const patch = jsonArg(a, 3);
  const out = c.out;
  if (doc === undefined) {
    if (!p.isRoot) fail(JE.NEW_AT_ROOT);
    // Nothing to merge with: the value is stored as given (as RedisJSON does).
    c.db.add(key, new JsonDoc(patch));
    changed(c, key, "json.merge");
    return out.ok();
  }
  if (p.isRoot) {
    doc.root = mergePatch(doc.root, patch);
    changed(c, key, "json.merge");
    return out.ok();
  }
  if (patch === null) {
    // A null patch removes the members it targets (nothing to do for a missing one).
    const n = deleteMatches(selectTracked(p.query(), doc.root));
    if (n === 0) planSet(p, doc.root, "merge");
    else changed(c, key, "json.merge");
    return out.ok();
  }
  const ups = planSet(p, doc.root, "merge");
  let done = false;
  for (const u of ups) {
    if (u.kind === "set") {
      setAt(doc, u.m, mergePatch(current(u.m, doc.root) ?? null, patch));
      done = true;
    } else if (u.parent instanceof JObj && !u.parent.has(u.key)) {
      // A new member takes the value as given (RedisJSON adds it like JSON.SET).
      u.parent.set(u.key, done ? cloneVal(patch) : patch);
      done = true;
    }
  }
  if (!done) return out.nil();
  changed(c, key, "json.merge");
  out.ok();
}

// ---- JSON.DEL ----

function jsonDel(c: Client, a: Argv): void {
  const key = a.str(1);
  const p = optPath(a, 2);
  const doc = writeDoc(c, key);
  const out = c.out;
  if (doc === undefined) return out.int(0);
  if (p.isRoot) {
    c.db.remove(key);
    changed(c, key, "json.del");
    return out.int(1);
  }
  const n = deleteMatches(selectTracked(p.query(), doc.root));
  if (n > 0) changed(c, key, "json.del");
  out.int(n);
}

// ---- handlers ----

export const handlers: Handlers = {
  "json.get": jsonGet,
  "json.set": jsonSet,
  "json.mset": jsonMset,
  "json.merge": jsonMerge,
  "json.del": jsonDel,
  "json.forget": jsonDel,

  "json.mget"(c, a) {
    const p = pathArg(a, a.argc - 1);
    const out = c.out;
    out.arr(a.argc - 2);
    for (let i = 1; i < a.argc - 1; i++) {
      const v = c.db.read(a.str(i));
      if (!(v instanceof JsonDoc)) {
        out.nil();
        continue;
      }
      let vals: JVal[];
      try {
        vals = matches(p, v.root).map((m) => m.v);
      } catch {
        out.nil();
        continue;
      }
      if (!p.legacy) replyJsonArray(out, vals);
      else if (vals.length === 0) out.nil();
      else replyJson(out, vals[0]!);
    }
  },

  "json.type"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    if (c.proto === 3) out.arr(1);
    if (doc === undefined) return out.nil();
    if (p.legacy) {
      let ms: Match[] = [];
      try {
        ms = matches(p, doc.root);
      } catch {
        // legacy JSON.TYPE answers nil for any path it cannot resolve
      }
      if (ms.length === 0) return out.nil();
      return out.bulk(typeName(ms[0]!.v));
    }
    const ms = matches(p, doc.root);
    out.arr(ms.length);
    for (const m of ms) out.bulk(typeName(m.v));
  },

  "json.strlen"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    if (p.legacy) {
      if (doc === undefined) return out.nil();
      const v = first(p, doc.root);
      if (typeof v !== "string") fail(expectedType("string", typeName(v)));
      return out.int(utf8Len(v));
    }
    const ms = matches(p, mustExist(doc).root);
    replyInts(out, ms.map((m) => (typeof m.v === "string" ? utf8Len(m.v) : null)));
  },

  "json.strappend"(c, a) {
    const key = a.str(1);
    const p = a.argc > 3 ? pathArg(a, 2) : LEGACY_ROOT;
    const ji = a.argc > 3 ? 3 : 2;
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    let add: string | null = null;
    const res: (number | null)[] = [];
    for (const m of ms) {
      const cur = current(m, doc.root);
      if (typeof cur !== "string") {
        res.push(null);
        continue;
      }
      if (add === null) {
        const v = jsonArg(a, ji);
        if (typeof v !== "string") fail(expectedType("string", decodeUtf8(a.bytes(ji))));
        add = v;
      }
      const nv = cur + add;
      setAt(doc, m, nv);
      res.push(utf8Len(nv));
    }
    if (add !== null) changed(c, key, "json.strappend");
    replyPerMatch(c.out, p, res, "not a string");
  },

  "json.numincrby"(c, a) {
    numCommand(c, a, false);
  },

  "json.nummultby"(c, a) {
    numCommand(c, a, true);
  },

  "json.toggle"(c, a) {
    const key = a.str(1);
    const p = optPath(a, 2);
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    const res: (number | null)[] = [];
    let any = false;
    let last = false;
    for (const m of ms) {
      const cur = current(m, doc.root);
      if (typeof cur !== "boolean") {
        res.push(null);
        continue;
      }
      setAt(doc, m, !cur);
      res.push(cur ? 0 : 1);
      any = true;
      last = !cur;
    }
    if (any) changed(c, key, "json.toggle");
    if (!p.legacy) return replyInts(c.out, res);
    if (!any) fail(pathMissingOr(p.fixed, "not a bool"));
    c.out.bulk(last ? "true" : "false");
  },

  "json.clear"(c, a) {
    const key = a.str(1);
    const p = optPath(a, 2);
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    let n = 0;
    for (const m of ms) {
      const v = m.v;
      if (Array.isArray(v)) {
        if (v.length === 0) continue;
        v.length = 0;
      } else if (v instanceof JObj) {
        if (v.size === 0) continue;
        v.clear();
      } else if (typeof v === "number" || typeof v === "bigint" || v instanceof JFloat) {
        if (toF64(v) === 0) continue;
        setAt(doc, m, 0);
      } else continue;
      n++;
    }
    if (n > 0) changed(c, key, "json.clear");
    c.out.int(n);
  },

  "json.arrappend"(c, a) {
    const key = a.str(1);
    const p = pathArg(a, 2);
    const vals: JVal[] = [];
    for (let i = 3; i < a.argc; i++) vals.push(jsonArg(a, i));
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    let used = false;
    const res = eachArray(ms, doc, (arr) => {
      for (const v of vals) arr.push(used ? cloneVal(v) : v);
      used = true;
      return arr.length;
    });
    if (used) changed(c, key, "json.arrappend");
    replyPerMatch(c.out, p, res, "not an array", p.orig);
  },

  "json.arrindex"(c, a) {
    const p = pathArg(a, 2);
    const start = a.argc > 4 ? intArg(a, 4) : 0;
    const stop = a.argc > 5 ? intArg(a, 5) : 0;
    if (a.argc > 6) fail(wrongArgs("json.arrindex"));
    const doc = readDoc(c, a.str(1));
    const needle = jsonArg(a, 3);
    if (doc === undefined) fail(pathMissing(p.orig));
    const out = c.out;
    if (p.legacy) {
      const v = first(p, doc.root);
      if (!isArr(v)) fail(expectedType("array", typeName(v)));
      return out.int(arrIndexOf(v, needle, start, stop));
    }
    const ms = matches(p, doc.root);
    replyInts(out, ms.map((m) => (isArr(m.v) ? arrIndexOf(m.v, needle, start, stop) : null)));
  },

  "json.arrinsert"(c, a) {
    const key = a.str(1);
    const p = pathArg(a, 2);
    const index = intArg(a, 3);
    if (a.argc < 5) fail(wrongArgs("json.arrinsert"));
    const vals: JVal[] = [];
    for (let i = 4; i < a.argc; i++) vals.push(jsonArg(a, i));
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    // Check every target first so a bad index leaves the document unchanged.
    for (const m of ms) {
      const arr = m.v;
      if (!isArr(arr)) continue;
      const at = index < 0 ? arr.length + index : index;
      if (at < 0 || at > arr.length) fail(JE.INDEX_OOB);
    }
    const res: (number | null)[] = [];
    let used = false;
    for (const m of ms) {
      const arr = m.v;
      if (!isArr(arr)) {
        res.push(null);
        continue;
      }
      const at = index < 0 ? arr.length + index : index;
      arr.splice(at, 0, ...(used ? vals.map(cloneVal) : vals));
      used = true;
      res.push(arr.length);
    }
    if (used) changed(c, key, "json.arrinsert");
    replyPerMatch(c.out, p, res, "not an array");
  },

  "json.arrlen"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    if (p.legacy) {
      if (doc === undefined) return out.nil();
      const ms = matches(p, doc.root);
      const v = ms.length ? ms[0]!.v : undefined;
      if (!isArr(v)) fail(pathMissingOr(p.orig, "not an array"));
      return out.int(v.length);
    }
    const ms = matches(p, mustExist(doc).root);
    replyInts(out, ms.map((m) => (isArr(m.v) ? m.v.length : null)));
  },

  "json.arrpop"(c, a) {
    const key = a.str(1);
    let rf = RF.STRINGS;
    let i = 2;
    if (a.argc > 3 && a.is(2, "format")) {
      rf = replyFormat(a.str(3));
      if (rf === RF.STRING) fail(JE.WRONG_REPLY_FORMAT);
      if (c.proto !== 3) fail(JE.FORMAT_RESP2);
      i = 4;
    }
    let p = LEGACY_ROOT;
    let index = Number.MAX_SAFE_INTEGER;
    if (i < a.argc) {
      p = pathArg(a, i);
      const n = i + 1 < a.argc ? parseI64(a.str(i + 1)) : NaN;
      index = Number.isNaN(n) ? -1 : n;
    }
    if (p.legacy && rf !== RF.STRINGS) fail(JE.LEGACY_FORMAT);
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    const popped: (JVal | undefined)[] = [];
    let any = false;
    for (const m of ms) {
      const arr = current(m, doc.root);
      if (!isArr(arr) || arr.length === 0) {
        popped.push(undefined);
        continue;
      }
      const at = startIndex(index, arr.length);
      popped.push(arr.splice(at, 1)[0]!);
      any = true;
    }
    const out = c.out;
    if (p.legacy) {
      if (!ms.some((m) => isArr(m.v))) fail(pathMissingOr(p.fixed, "not an array"));
      if (any) changed(c, key, "json.arrpop");
      let last: JVal | undefined;
      for (let j = 0; j < ms.length; j++) if (isArr(ms[j]!.v)) last = popped[j];
      return last === undefined ? out.nil() : replyJson(out, last);
    }
    if (any) changed(c, key, "json.arrpop");
    out.arr(popped.length);
    for (const v of popped) {
      if (v === undefined) out.nil();
      else if (rf === RF.STRINGS) replyJson(out, v);
      else resp3Value(out, v, rf, null);
    }
  },

  "json.arrtrim"(c, a) {
    const key = a.str(1);
    const p = pathArg(a, 2);
    const start = intArg(a, 3);
    const stop = intArg(a, 4);
    const doc = mustExist(writeDoc(c, key));
    const ms = matches(p, doc.root);
    let any = false;
    const res = eachArray(ms, doc, (arr) => {
      any = true;
      return trim(arr, start, stop);
    });
    if (any) changed(c, key, "json.arrtrim");
    replyPerMatch(c.out, p, res, "not an array");
  },

  "json.objkeys"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    const keys = (o: JObj) => {
      out.arr(o.size);
      for (const k of o.keys) bulkUtf8(out, k);
    };
    if (p.legacy) {
      if (doc === undefined) return out.nil();
      const ms = matches(p, doc.root);
      if (ms.length === 0) return out.nil();
      const v = ms[0]!.v;
      if (!(v instanceof JObj)) fail(pathMissingOr(p.fixed, "not an object"));
      return keys(v);
    }
    const ms = matches(p, mustExist(doc).root);
    out.arr(ms.length);
    for (const m of ms) {
      if (m.v instanceof JObj) keys(m.v);
      else out.nil();
    }
  },

  "json.objlen"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    if (p.legacy) {
      if (doc === undefined) return out.nil();
      const ms = matches(p, doc.root);
      if (ms.length === 0) return out.nil();
      const v = ms[0]!.v;
      if (!(v instanceof JObj)) fail(expectedType("object", typeName(v)));
      return out.int(v.size);
    }
    if (doc === undefined) fail(pathMissingOr(p.fixed, "not an object"));
    const ms = matches(p, doc.root);
    replyInts(out, ms.map((m) => (m.v instanceof JObj ? m.v.size : null)));
  },

  "json.resp"(c, a) {
    const p = optPath(a, 2);
    const doc = readDoc(c, a.str(1));
    const out = c.out;
    if (doc === undefined) return out.nil();
    if (p.legacy) return respValue(out, first(p, doc.root));
    const ms = matches(p, doc.root);
    out.arr(ms.length);
    for (const m of ms) respValue(out, m.v);
  },

  "json.debug"(c, a) {
    const sub = a.lower(1);
    const out = c.out;
    if (sub === "memory") {
      if (a.argc < 3) fail(wrongArgs("json.debug"));
      const p = optPath(a, 3);
      const doc = readDoc(c, a.str(2));
      if (p.legacy) return out.int(doc === undefined ? 0 : memoryOf(first(p, doc.root)));
      if (doc === undefined) return out.arr(0);
      const ms = matches(p, doc.root);
      out.arr(ms.length);
      for (const m of ms) out.int(memoryOf(m.v));
      return;
    }
    if (sub === "help") {
      const lines = [
        "MEMORY <key> [path] - bytes the value at path uses (the whole document by default)",
        "HELP                - this list",
      ];
      out.arr(lines.length);
      for (const l of lines) out.bulk(l);
      return;
    }
    fail(JE.DEBUG_UNKNOWN);
  },
};
