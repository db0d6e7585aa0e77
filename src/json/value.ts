// The in-memory JSON tree. Values are plain JS values where that is exact, so a document is
// a parsed tree that commands edit in place (no re-serialization on updates):
//   null, true/false, strings (decoded UTF-16 JS strings)
//   integers: a JS number when it is a safe integer, a bigint otherwise (the i64 and u64
//             ranges RedisJSON keeps as integers); integers never carry a fraction
//   floats:   JFloat (boxed), so 1 and 1.0 stay distinct (RedisJSON prints "1" and "1.0")
//   arrays:   JS arrays
//   objects:  JObj, an insertion-ordered map whose removal swaps the last entry into the
//             removed slot, which is how RedisJSON's object storage orders keys after deletes.

export class JFloat {
  constructor(readonly v: number) {}
}

export type JVal = null | boolean | number | bigint | string | JFloat | JVal[] | JObj;

/** Objects at or below this size are searched linearly; larger ones keep a key index. */
const SMALL = 8;

export class JObj {
  keys: string[] = [];
  vals: JVal[] = [];
  private ix: Map<string, number> | null = null;

  get size(): number {
    return this.keys.length;
  }

  indexOf(k: string): number {
    if (this.ix !== null) return this.ix.get(k) ?? -1;
    const keys = this.keys;
    if (keys.length > SMALL) {
      const ix = new Map<string, number>();
      for (let i = 0; i < keys.length; i++) ix.set(keys[i]!, i);
      this.ix = ix;
      return ix.get(k) ?? -1;
    }
    for (let i = 0; i < keys.length; i++) if (keys[i] === k) return i;
    return -1;
  }

  has(k: string): boolean {
    return this.indexOf(k) >= 0;
  }

  get(k: string): JVal | undefined {
    const i = this.indexOf(k);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Replaces the value in place, or appends a new entry. */
  set(k: string, v: JVal): void {
    const i = this.indexOf(k);
    if (i >= 0) {
      this.vals[i] = v;
      return;
    }
    this.keys.push(k);
    this.vals.push(v);
    if (this.ix !== null) this.ix.set(k, this.keys.length - 1);
  }

  /** Removes a key: the last entry moves into its slot (swap-remove). */
  remove(k: string): boolean {
    const i = this.indexOf(k);
    if (i < 0) return false;
    const last = this.keys.length - 1;
    if (i !== last) {
      const lk = this.keys[last]!;
      this.keys[i] = lk;
      this.vals[i] = this.vals[last]!;
      if (this.ix !== null) this.ix.set(lk, i);
    }
    this.keys.pop();
    this.vals.pop();
    if (this.ix !== null) this.ix.delete(k);
    return true;
  }

  clear(): void {
    this.keys = [];
    this.vals = [];
    this.ix = null;
  }
}

/** Value kinds as RedisJSON's path engine sees them (u64 beyond i64 counts as a double). */
export const enum K {
  Null,
  Bool,
  Long,
  Double,
  Str,
  Arr,
  Obj,
}

const I64_MAX = 9223372036854775807n;

export function kind(v: JVal): K {
  if (v === null) return K.Null;
  switch (typeof v) {
    case "boolean":
      return K.Bool;
    case "number":
      return K.Long;
    case "bigint":
      return v > I64_MAX ? K.Double : K.Long;
    case "string":
      return K.Str;
  }
  if (v instanceof JFloat) return K.Double;
  if (Array.isArray(v)) return K.Arr;
  return K.Obj;
}

export function isNumber(v: JVal): v is number | bigint | JFloat {
  return typeof v === "number" || typeof v === "bigint" || v instanceof JFloat;
}

/** JSON.TYPE names. */
export function typeName(v: JVal): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return "boolean";
    case "number":
    case "bigint":
      return "integer";
    case "string":
      return "string";
  }
  if (v instanceof JFloat) return "number";
  if (Array.isArray(v)) return "array";
  return "object";
}

/** A number as a double. */
export function toF64(v: number | bigint | JFloat): number {
  return typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : v.v;
}

/** An integer value from a bigint, as a plain number when that is exact. */
export function intVal(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/** Deep copy (COPY, MSET of one value into several places). */
export function cloneVal(v: JVal): JVal {
  if (v === null || typeof v !== "object" || v instanceof JFloat) return v;
  if (Array.isArray(v)) {
    const a = new Array<JVal>(v.length);
    for (let i = 0; i < v.length; i++) a[i] = cloneVal(v[i]!);
    return a;
  }
  const o = new JObj();
  o.keys = v.keys.slice();
  const vals = v.vals;
  o.vals = new Array<JVal>(vals.length);
  for (let i = 0; i < vals.length; i++) o.vals[i] = cloneVal(vals[i]!);
  return o;
}

/**
 * Strict equality used by JSON.ARRINDEX: same kind and same value (1 and 1.0 differ),
 * objects compared by content regardless of key order.
 */
export function strictEqual(a: JVal, b: JVal): boolean {
  const ka = kind(a);
  if (ka !== kind(b)) return false;
  switch (ka) {
    case K.Null:
      return true;
    case K.Bool:
    case K.Str:
      return a === b;
    case K.Long:
      return typeof a === typeof b ? a === b : BigInt(a as number | bigint) === BigInt(b as number | bigint);
    case K.Double:
      return toF64(a as JFloat | bigint) === toF64(b as JFloat | bigint);
    case K.Arr: {
      const x = a as JVal[];
      const y = b as JVal[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!strictEqual(x[i]!, y[i]!)) return false;
      return true;
    }
    default: {
      const x = a as JObj;
      const y = b as JObj;
      if (x.size !== y.size) return false;
      for (let i = 0; i < x.keys.length; i++) {
        const w = y.get(x.keys[i]!);
        if (w === undefined || !strictEqual(x.vals[i]!, w)) return false;
      }
      return true;
    }
  }
}

/** Equality of two document values in filters: numbers compare by value across int/float. */
export function valueEqual(a: JVal, b: JVal): boolean {
  if (isNumber(a) && isNumber(b)) return numCmp(a, b) === 0;
  const ka = kind(a);
  if (ka !== kind(b)) return false;
  switch (ka) {
    case K.Arr: {
      const x = a as JVal[];
      const y = b as JVal[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!valueEqual(x[i]!, y[i]!)) return false;
      return true;
    }
    case K.Obj: {
      const x = a as JObj;
      const y = b as JObj;
      if (x.size !== y.size) return false;
      for (let i = 0; i < x.keys.length; i++) {
        const w = y.get(x.keys[i]!);
        if (w === undefined || !valueEqual(x.vals[i]!, w)) return false;
      }
      return true;
    }
    default:
      return a === b;
  }
}

/** Compares two numbers by value (integers exactly, mixed via doubles). */
export function numCmp(a: number | bigint | JFloat, b: number | bigint | JFloat): number {
  if (!(a instanceof JFloat) && !(b instanceof JFloat)) {
    if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
    const x = BigInt(a);
    const y = BigInt(b as number | bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toF64(a);
  const y = toF64(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** UTF-8 length of a JS string (JSON.STRLEN counts bytes, as RedisJSON does). */
export function utf8Len(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return Buffer.byteLength(s, "utf8");
  }
  return n;
}

/**
 * Bytes a value occupies in RedisJSON's accounting as its command reference documents it
 * (JSON.DEBUG MEMORY, MEMORY USAGE): 8 bytes per value, plus the bytes of strings and of
 * object keys.
 */
export function memoryOf(v: JVal): number {
  if (typeof v === "string") return 8 + utf8Len(v);
  if (Array.isArray(v)) {
    let n = 8;
    for (let i = 0; i < v.length; i++) n += memoryOf(v[i]!);
    return n;
  }
  if (v instanceof JObj) {
    let n = 8;
    for (let i = 0; i < v.keys.length; i++) n += utf8Len(v.keys[i]!) + memoryOf(v.vals[i]!);
    return n;
  }
  return 8;
}
