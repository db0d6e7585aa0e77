// Path syntax. A path starting with "$" (alone, or followed by "." or "[") is JSONPath; any
// other path is RedisJSON's legacy syntax, which is rewritten to JSONPath ("." -> "$",
// ".a" -> "$.a", "a.b" -> "$.a.b", "[0]" -> "$.[0]") and evaluated by the same engine; only
// the reply shapes differ (commands look at Path.legacy).
//
// The compiler is a PEG parser for the grammar RedisJSON's path engine uses (a pest grammar),
// with pest's implicit-space rule and its way of reporting errors (the furthest position a
// named rule was tried at, and which rules were expected there), so a bad path gets the same
// "Error occurred on position N, ..." reply. It produces a list of steps; see query.ts for
// evaluation.

import { ReplyError } from "../errors.ts";

/** A key list or a single key (["a"], .a). */
export interface KeyStep {
  t: "keys";
  keys: string[];
}
/** Array indexes ([0], [-1], [0,2]); negative ones count from the end. */
export interface IndexStep {
  t: "idx";
  idx: number[];
}
/** Array slice [start:end:step]; null bounds are open. */
export interface SliceStep {
  t: "slice";
  start: number | null;
  end: number | null;
  step: number;
}
export interface AllStep {
  t: "all";
}
/** ".." : the rest of the path applies to the node and every descendant. */
export interface ScanStep {
  t: "scan";
}
export interface FilterStep {
  t: "filter";
  f: Filter;
}
export type Step = KeyStep | IndexStep | SliceStep | AllStep | ScanStep | FilterStep;

export type Term =
  | { t: "path"; root: boolean; steps: Step[] }
  | { t: "int"; v: number | bigint }
  | { t: "float"; v: number }
  | { t: "str"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "null" };

export type CmpOp = ">=" | ">" | "<=" | "<" | "==" | "!=" | "=~";

export type Filter =
  | { t: "test"; a: Term; op: CmpOp | null; b: Term | null }
  | { t: "not"; f: Filter }
  | { t: "and"; fs: Filter[] }
  | { t: "or"; fs: Filter[] };

export interface Query {
  steps: Step[];
  /** At most one match by construction: keys and single indexes only. */
  isStatic: boolean;
}

// ---- rules (declaration order of the grammar: pest sorts expected rules by it) ----

const enum R {
  literal,
  string_escape,
  string_value,
  string_value_escape_1,
  string_value_escape_2,
  string_list,
  pos_number,
  number,
  decimal,
  numbers_list,
  numbers_range,
  right_range,
  all_range,
  left_range,
  full_range,
  from_current,
  from_root,
  ge,
  gt,
  le,
  lt,
  eq,
  ne,
  re,
  boolean_true,
  boolean_false,
  null_,
  single_filter,
  and,
  or,
  negation,
  filter,
  all,
  full_scan,
  root,
  EOI,
}

const RULE_NAMES: Record<number, string> = {
  [R.literal]: "<string>",
  [R.string_escape]: "string_escape",
  [R.string_value]: "string_value",
  [R.string_value_escape_1]: "string_value_escape_1",
  [R.string_value_escape_2]: "string_value_escape_2",
  [R.string_list]: "'<string>[,<string>,...]'",
  [R.pos_number]: "pos_number",
  [R.number]: "'<number>'",
  [R.decimal]: "decimal",
  [R.numbers_list]: "'<number>[,<number>,...]'",
  [R.numbers_range]: "['start:end:steps']",
  [R.right_range]: "right_range",
  [R.all_range]: "all_range",
  [R.left_range]: "left_range",
  [R.full_range]: "full_range",
  [R.from_current]: "from_current",
  [R.from_root]: "from_root",
  [R.ge]: "ge",
  [R.gt]: "gt",
  [R.le]: "le",
  [R.lt]: "lt",
  [R.eq]: "eq",
  [R.ne]: "ne",
  [R.re]: "re",
  [R.boolean_true]: "boolean_true",
  [R.boolean_false]: "boolean_false",
  [R.null_]: "null",
  [R.single_filter]: "single_filter",
  [R.and]: "and",
  [R.or]: "or",
  [R.negation]: "negation",
  [R.filter]: "'[?(filter_expression)]'",
  [R.all]: "'*'",
  [R.full_scan]: "'..'",
  [R.root]: "root",
  [R.EOI]: "EOI",
};

const FAIL = Symbol("fail");
type F = typeof FAIL;

function isLiteralChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) || // a-z
    (c >= 65 && c <= 90) || // A-Z
    (c >= 48 && c <= 57) || // 0-9
    c === 45 || // -
    c === 95 || // _
    c === 96 || // `
    c === 126 || // ~
    c === 43 || // +
    c === 35 || // #
    c === 37 || // %
    c === 36 || // $
    c === 94 || // ^
    c === 47 || // /
    c === 58 || // :
    c >= 0x80 // non-ASCII letters (an AiKv extension: RedisJSON 2.x rejects them here)
  );
}

class PathParser {
  pos = 0;
  private atomic = 0;
  private attemptPos = 0;
  private att: R[] = [];

  constructor(readonly s: string) {}

  // ---- pest machinery ----

  private rule<T>(r: R, f: () => T | F): T | F {
    if (this.atomic) return f();
    const start = this.pos;
    const idx = this.att.length;
    const prev = this.attemptPos === start ? this.att.length : 0;
    const res = f();
    if (res === FAIL) {
      this.pos = start;
      this.track(r, start, idx, prev);
    }
    return res;
  }

  private track(r: R, pos: number, idx: number, prev: number): void {
    const curr = this.attemptPos === pos ? this.att.length : 0;
    if (curr > prev && curr - prev === 1) return;
    if (pos === this.attemptPos && this.att.length > idx) this.att.length = idx;
    if (pos > this.attemptPos) {
      this.att = [];
      this.attemptPos = pos;
    }
    if (pos === this.attemptPos) this.att.push(r);
  }

  private atomicRule<T>(r: R, f: () => T | F): T | F {
    return this.rule(r, () => {
      this.atomic++;
      try {
        return f();
      } finally {
        this.atomic--;
      }
    });
  }

  /** Implicit WHITESPACE (spaces) between elements of non-atomic rules. */
  private skip(): void {
    if (this.atomic) return;
    while (this.s.charCodeAt(this.pos) === 32) this.pos++;
  }

  private lit(t: string): boolean {
    if (this.s.startsWith(t, this.pos)) {
      this.pos += t.length;
      return true;
    }
    return false;
  }

  private peek(): number {
    return this.s.charCodeAt(this.pos);
  }

  /** Runs f; restores the position when it fails. */
  private attempt<T>(f: () => T | F): T | F {
    const p = this.pos;
    const r = f();
    if (r === FAIL) this.pos = p;
    return r;
  }

  // ---- grammar ----

  query(): Query | F {
    this.skip();
    if (!this.lit("$")) return FAIL;
    this.skip();
    const steps = this.optRoot();
    this.skip();
    const eoi = this.rule(R.EOI, () => (this.pos === this.s.length ? true : FAIL));
    if (eoi === FAIL) return FAIL;
    return { steps, isStatic: steps.every(isStaticStep) };
  }

  private optRoot(): Step[] {
    const r = this.root();
    return r === FAIL ? [] : r;
  }

  /** root = { (element | first_element) ~ (element)* } */
  private root(): Step[] | F {
    return this.rule(R.root, () => {
      const steps: Step[] = [];
      if (this.element(steps) === FAIL && this.firstElement(steps) === FAIL) return FAIL;
      this.skip();
      this.repeatAfter(() => this.element(steps));
      return steps;
    });
  }

  private firstElement(steps: Step[]): true | F {
    const k = this.literal();
    if (k !== FAIL) {
      steps.push({ t: "keys", keys: [k] });
      return true;
    }
    if (this.all() !== FAIL) {
      steps.push({ t: "all" });
      return true;
    }
    return FAIL;
  }

  /**
   * element = _{ "." ~ literal | full_scan ~ (literal | all | "[" ~ bracket ~ "]")
   *            | "." ~ all | ("."? ~ "[" ~ bracket ~ "]") }
   */
  private element(steps: Step[]): true | F {
    // "." ~ literal
    let r = this.attempt(() => {
      if (!this.lit(".")) return FAIL;
      this.skip();
      const k = this.literal();
      if (k === FAIL) return FAIL;
      steps.push({ t: "keys", keys: [k] });
      return true as const;
    });
    if (r !== FAIL) return r;
    // full_scan ~ (literal | all | "[" ~ bracket ~ "]")
    r = this.attempt(() => {
      if (this.rule(R.full_scan, () => (this.lit("..") ? true : FAIL)) === FAIL) return FAIL;
      this.skip();
      const k = this.literal();
      if (k !== FAIL) {
        steps.push({ t: "scan" }, { t: "keys", keys: [k] });
        return true as const;
      }
      if (this.all() !== FAIL) {
        steps.push({ t: "scan" }, { t: "all" });
        return true as const;
      }
      const b = this.attempt(() => {
        if (!this.lit("[")) return FAIL;
        this.skip();
        const st = this.bracket();
        if (st === FAIL) return FAIL;
        this.skip();
        if (!this.lit("]")) return FAIL;
        return st;
      });
      if (b === FAIL) return FAIL;
      steps.push({ t: "scan" }, b);
      return true as const;
    });
    if (r !== FAIL) return r;
    // "." ~ all
    r = this.attempt(() => {
      if (!this.lit(".")) return FAIL;
      this.skip();
      if (this.all() === FAIL) return FAIL;
      steps.push({ t: "all" });
      return true as const;
    });
    if (r !== FAIL) return r;
    // "."? ~ "[" ~ bracket ~ "]"
    return this.attempt(() => {
      this.lit(".");
      this.skip();
      if (!this.lit("[")) return FAIL;
      this.skip();
      const st = this.bracket();
      if (st === FAIL) return FAIL;
      this.skip();
      if (!this.lit("]")) return FAIL;
      steps.push(st);
      return true as const;
    });
  }

  private all(): true | F {
    return this.rule(R.all, () => (this.lit("*") ? true : FAIL));
  }

  /** literal = @{ (a-z | A-Z | 0-9 | "-" | "_" | "`" | "~" | "+" | "#" | "%" | "$" | "^" | "/" | ":")+ } */
  private literal(): string | F {
    return this.atomicRule(R.literal, () => {
      const s = this.pos;
      while (this.pos < this.s.length && isLiteralChar(this.s.charCodeAt(this.pos))) this.pos++;
      return this.pos > s ? this.s.slice(s, this.pos) : FAIL;
    });
  }

  /** bracket = _{ numbers_range | numbers_list | string_list | all | "?" ~ filter } */
  private bracket(): Step | F {
    const range = this.numbersRange();
    if (range !== FAIL) return range;
    const list = this.numbersList();
    if (list !== FAIL) return { t: "idx", idx: list };
    const keys = this.stringList();
    if (keys !== FAIL) return { t: "keys", keys };
    if (this.all() !== FAIL) return { t: "all" };
    return this.attempt(() => {
      if (!this.lit("?")) return FAIL;
      this.skip();
      const f = this.filter();
      if (f === FAIL) return FAIL;
      return { t: "filter", f } as FilterStep;
    });
  }

  private numberTok(): number | F {
    return this.atomicRule(R.number, () => {
      const s = this.pos;
      this.lit("-");
      const c = this.peek();
      if (c >= 49 && c <= 57) {
        this.pos++;
        while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
      } else if (c === 48) this.pos++;
      else return FAIL;
      return saturate(this.s.slice(s, this.pos));
    });
  }

  private posNumber(): number | F {
    return this.atomicRule(R.pos_number, () => {
      const s = this.pos;
      const c = this.peek();
      if (!(c >= 49 && c <= 57)) return FAIL;
      this.pos++;
      while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
      return saturate(this.s.slice(s, this.pos));
    });
  }

  /** ((":" ~ pos_number) | ":")? -> the step (1 when absent) */
  private optStep(): number {
    const r = this.attempt(() => {
      if (!this.colon()) return FAIL;
      return this.posNumber();
    });
    if (r !== FAIL) return r;
    this.lit(":");
    return 1;
  }

  /** A number and the white space after it. */
  private numberSkip(): number | F {
    const n = this.numberTok();
    if (n !== FAIL) this.skip();
    return n;
  }

  /** ":" and the white space after it. */
  private colon(): boolean {
    if (!this.lit(":")) return false;
    this.skip();
    return true;
  }

  private numbersRange(): SliceStep | F {
    return this.rule(R.numbers_range, () => {
      // full_range = { number ~ ":" ~ number ~ ((":" ~ pos_number) | ":")? }
      let r: SliceStep | F = this.rule(R.full_range, () => {
        const a = this.numberSkip();
        if (a === FAIL || !this.colon()) return FAIL;
        const b = this.numberSkip();
        if (b === FAIL) return FAIL;
        return { t: "slice", start: a, end: b, step: this.optStep() } as SliceStep;
      });
      if (r !== FAIL) return r;
      // right_range = { ":" ~ number ~ ((":" ~ pos_number) | ":")? }
      r = this.rule(R.right_range, () => {
        if (!this.colon()) return FAIL;
        const b = this.numberSkip();
        if (b === FAIL) return FAIL;
        return { t: "slice", start: null, end: b, step: this.optStep() } as SliceStep;
      });
      if (r !== FAIL) return r;
      // all_range = { ":" ~ ((":" ~ pos_number) | ":")? }
      r = this.rule(R.all_range, () => {
        if (!this.colon()) return FAIL;
        return { t: "slice", start: null, end: null, step: this.optStep() } as SliceStep;
      });
      if (r !== FAIL) return r;
      // left_range = { number ~ ":" ~ ((":" ~ pos_number) | ":")? }
      return this.rule(R.left_range, () => {
        const a = this.numberSkip();
        if (a === FAIL || !this.colon()) return FAIL;
        return { t: "slice", start: a, end: null, step: this.optStep() } as SliceStep;
      });
    });
  }

  /** numbers_list = { number ~ ("," ~ number)* } */
  private numbersList(): number[] | F {
    return this.commaList(R.numbers_list, () => this.numberTok());
  }

  /** string_list = { string ~ ("," ~ string)* } */
  private stringList(): string[] | F {
    return this.commaList(R.string_list, () => this.string());
  }

  /** rule r = { item ~ ("," ~ item)* } */
  private commaList<T>(r: R, item: () => T | F): T[] | F {
    return this.rule(r, () => {
      const first = item();
      if (first === FAIL) return FAIL;
      const out = [first];
      this.skip();
      this.repeatAfter(() => {
        if (!this.lit(",")) return FAIL;
        this.skip();
        const n = item();
        if (n === FAIL) return FAIL;
        out.push(n);
        return true;
      });
      return out;
    });
  }

  /** `y*` after a skip already done: y (~ skip ~ y)* */
  private repeatAfter(y: () => true | F): void {
    if (this.attempt(y) === FAIL) return;
    for (;;) {
      const p = this.pos;
      this.skip();
      if (this.attempt(y) === FAIL) {
        this.pos = p;
        return;
      }
    }
  }

  /**
   * string = _{ "'" ~ string_value ~ "'" | "\"" ~ string_value ~ "\""
   *           | "\"" ~ string_value_escape_1 ~ "\"" | "'" ~ string_value_escape_2 ~ "'" }
   */
  private string(): string | F {
    const alt = (q: string, r: R, stop: string, esc: boolean): string | F =>
      this.attempt(() => {
        if (!this.lit(q)) return FAIL;
        this.skip();
        const v = this.atomicRule(r, () => {
          let out = "";
          for (;;) {
            const c = this.s[this.pos];
            if (c === undefined) break;
            if (c === "\\") {
              if (!esc) break;
              const n = this.s[this.pos + 1];
              if (n === q || n === "\\") {
                out += n;
                this.pos += 2;
                continue;
              }
              break;
            }
            if (stop.includes(c)) break;
            out += c;
            this.pos++;
          }
          return out;
        });
        if (v === FAIL) return FAIL;
        this.skip();
        if (!this.lit(q)) return FAIL;
        return v;
      });
    let r = alt("'", R.string_value, "\"'\\", false);
    if (r !== FAIL) return r;
    r = alt('"', R.string_value, "\"'\\", false);
    if (r !== FAIL) return r;
    r = alt('"', R.string_value_escape_1, '"', true);
    if (r !== FAIL) return r;
    return alt("'", R.string_value_escape_2, "'", true);
  }

  /** filter = { inner_filter ~ (filter_relation ~ inner_filter)* } */
  private filter(): Filter | F {
    return this.rule(R.filter, () => {
      const first = this.innerFilter();
      if (first === FAIL) return FAIL;
      // Operands and operators, folded with && binding tighter than ||.
      const ors: Filter[] = [];
      let ands: Filter[] = [first];
      this.skip();
      this.repeatAfter(() => {
        const rel = this.relation();
        if (rel === FAIL) return FAIL;
        this.skip();
        const next = this.innerFilter();
        if (next === FAIL) return FAIL;
        if (rel === "or") {
          ors.push(ands.length === 1 ? ands[0]! : { t: "and", fs: ands });
          ands = [next];
        } else ands.push(next);
        return true;
      });
      const last = ands.length === 1 ? ands[0]! : ({ t: "and", fs: ands } as Filter);
      if (ors.length === 0) return last;
      ors.push(last);
      return { t: "or", fs: ors } as Filter;
    });
  }

  private relation(): "and" | "or" | F {
    if (this.rule(R.and, () => (this.lit("&&") ? true : FAIL)) !== FAIL) return "and";
    if (this.rule(R.or, () => (this.lit("||") ? true : FAIL)) !== FAIL) return "or";
    return FAIL;
  }

  /** inner_filter = _{ negation | single_filter | "(" ~ filter ~ ")" } */
  private innerFilter(): Filter | F {
    const neg = this.rule(R.negation, () => {
      if (!this.lit("!")) return FAIL;
      this.skip();
      const f = this.innerFilter();
      if (f === FAIL) return FAIL;
      return { t: "not", f } as Filter;
    });
    if (neg !== FAIL) return neg;
    const single = this.singleFilter();
    if (single !== FAIL) return single;
    return this.attempt(() => {
      if (!this.lit("(")) return FAIL;
      this.skip();
      const f = this.filter();
      if (f === FAIL) return FAIL;
      this.skip();
      if (!this.lit(")")) return FAIL;
      return f;
    });
  }

  /** single_filter = { term ~ op ~ term | term } */
  private singleFilter(): Filter | F {
    return this.rule(R.single_filter, () => {
      const cmp = this.attempt(() => {
        const a = this.term();
        if (a === FAIL) return FAIL;
        this.skip();
        const op = this.op();
        if (op === FAIL) return FAIL;
        this.skip();
        const b = this.term();
        if (b === FAIL) return FAIL;
        return { t: "test", a, op, b } as Filter;
      });
      if (cmp !== FAIL) return cmp;
      const a = this.term();
      if (a === FAIL) return FAIL;
      return { t: "test", a, op: null, b: null } as Filter;
    });
  }

  private op(): CmpOp | F {
    const ops: [R, CmpOp][] = [
      [R.ge, ">="],
      [R.gt, ">"],
      [R.le, "<="],
      [R.lt, "<"],
      [R.eq, "=="],
      [R.ne, "!="],
      [R.re, "=~"],
    ];
    for (const [r, t] of ops) {
      if (this.atomicRule(r, () => (this.lit(t) ? true : FAIL)) !== FAIL) return t;
    }
    return FAIL;
  }

  /** term = _{ select_term | decimal | string | boolean | null } */
  private term(): Term | F {
    const cur = this.rule(R.from_current, () => {
      if (!this.lit("@")) return FAIL;
      this.skip();
      return { t: "path", root: false, steps: this.optRoot() } as Term;
    });
    if (cur !== FAIL) return cur;
    const root = this.rule(R.from_root, () => {
      if (!this.lit("$")) return FAIL;
      this.skip();
      return { t: "path", root: true, steps: this.optRoot() } as Term;
    });
    if (root !== FAIL) return root;
    const dec = this.atomicRule(R.decimal, () => {
      const s = this.pos;
      if (this.numberTok() === FAIL) return FAIL;
      const p = this.pos;
      if (this.lit(".") && this.peek() >= 48 && this.peek() <= 57) {
        while (this.peek() >= 48 && this.peek() <= 57) this.pos++;
      } else this.pos = p;
      return this.s.slice(s, this.pos);
    });
    if (dec !== FAIL) return decimalTerm(dec);
    const str = this.string();
    if (str !== FAIL) return { t: "str", v: str };
    if (this.atomicRule(R.boolean_true, () => (this.lit("true") ? true : FAIL)) !== FAIL) return { t: "bool", v: true };
    if (this.atomicRule(R.boolean_false, () => (this.lit("false") ? true : FAIL)) !== FAIL) return { t: "bool", v: false };
    if (this.atomicRule(R.null_, () => (this.lit("null") ? true : FAIL)) !== FAIL) return { t: "null" };
    return FAIL;
  }

  /** The reply for a failed parse, in RedisJSON's words. */
  error(): string {
    const names = [...new Set(this.att)].sort((a, b) => a - b).map((r) => RULE_NAMES[r]);
    const msg = names.length ? `expected one of the following: ${names.join(", ")}` : "parsing error";
    const pos = Math.min(this.attemptPos, this.s.length);
    const bytePos = Buffer.byteLength(this.s.slice(0, pos), "utf8");
    const where =
      pos === this.s.length ? `"${this.s} <<<<----"` : `"${this.s.slice(0, pos)} ---->>>> ${this.s.slice(pos)}"`;
    return `Error occurred on position ${bytePos}, ${where}, ${msg}.`;
  }
}

/** RedisJSON parses indexes as i64 (saturating); beyond 2^53 precision does not matter here. */
function saturate(s: string): number {
  const n = Number(s);
  return n > 9.2e18 ? 9223372036854775807 : n < -9.2e18 ? -9223372036854775808 : n;
}

function decimalTerm(s: string): Term {
  if (!s.includes(".")) {
    const b = BigInt(s);
    if (b >= -9223372036854775808n && b <= 9223372036854775807n) {
      return { t: "int", v: b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b };
    }
  }
  return { t: "float", v: Number(s) };
}

function isStaticStep(s: Step): boolean {
  if (s.t === "keys") return s.keys.length === 1;
  if (s.t === "idx") return s.idx.length === 1;
  return false;
}

// ---- compiled-path cache ----

const cache = new Map<string, Query | string>();
const CACHE_MAX = 1024;

/** Compiles a JSONPath query ("$..."), throwing RedisJSON's error reply when it is invalid. */
export function compile(path: string): Query {
  let q = cache.get(path);
  if (q === undefined) {
    const p = new PathParser(path);
    const r = p.query();
    q = r === FAIL ? p.error() : r;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(path, q);
  }
  if (typeof q === "string") throw new ReplyError(q);
  return q;
}

/** A path argument: the text as given, its JSONPath form and which syntax it used. */
export class Path {
  /** JSONPath form ("$..."); legacy paths are rewritten. */
  readonly fixed: string;
  readonly legacy: boolean;

  constructor(readonly orig: string) {
    const c1 = orig.charCodeAt(1);
    if (orig.charCodeAt(0) === 36 && (orig.length === 1 || c1 === 46 || c1 === 91)) {
      this.fixed = orig;
      this.legacy = false;
    } else {
      this.legacy = true;
      this.fixed = orig === "." ? "$" : orig.charCodeAt(0) === 46 ? "$" + orig : "$." + orig;
    }
  }

  /** The whole document ("$" or "."). */
  get isRoot(): boolean {
    return this.fixed === "$";
  }

  query(): Query {
    return compile(this.fixed);
  }
}

/** The default path of commands whose path is optional: the legacy root ".". */
export const LEGACY_ROOT = new Path(".");
