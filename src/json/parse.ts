// JSON text -> tree, reading the argument's UTF-8 bytes directly. Syntax errors carry the
// same messages and "at line L column C" positions (byte columns) as RedisJSON's parser
// (serde_json), e.g. "expected value at line 1 column 1". Nesting is limited to 127 levels
// (serde_json's recursion limit of 128).

import { ReplyError } from "../errors.ts";
import { JFloat, JObj, intVal, type JVal } from "./value.ts";

/** Error RedisJSON replies when an argument is not valid UTF-8. */
export const NOT_UTF8 = "Couldn't parse as UTF-8 string";

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;
const utf8 = new TextDecoder("utf-8", { fatal: true });

const U64_MAX = 18446744073709551615n;
const I64_MIN = -9223372036854775808n;

class SyntaxErr {
  constructor(
    readonly code: string,
    readonly at: number,
  ) {}
}

/** True when the bytes are valid UTF-8. */
export function isUtf8(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      try {
        utf8.decode(b.subarray(i));
        return true;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** Decodes UTF-8 bytes to a JS string, or throws the RedisJSON UTF-8 error. */
export function decodeUtf8(b: Uint8Array): string {
  for (let i = 0; i < b.length; i++) {
    if (b[i]! >= 0x80) {
      try {
        return utf8.decode(b);
      } catch {
        throw new ReplyError(NOT_UTF8);
      }
    }
  }
  return latin1Slice.call(b, 0, b.length);
}

function position(b: Uint8Array, at: number): string {
  let line = 1;
  let col = 0;
  for (let i = 0; i < at; i++) {
    if (b[i] === 10) {
      line++;
      col = 0;
    } else col++;
  }
  return `at line ${line} column ${col}`;
}

class Parser {
  i = 0;
  depth = 128;

  constructor(
    readonly b: Uint8Array,
    readonly limit: boolean,
  ) {}

  /** serde's error(): position of the current index. */
  err(code: string): never {
    throw new SyntaxErr(code, this.i);
  }

  /** serde's peek_error(): position just past the next byte. */
  perr(code: string): never {
    throw new SyntaxErr(code, Math.min(this.b.length, this.i + 1));
  }

  ws(): number {
    const b = this.b;
    let i = this.i;
    while (i < b.length) {
      const c = b[i]!;
      if (c === 32 || c === 10 || c === 9 || c === 13) i++;
      else break;
    }
    this.i = i;
    return i < b.length ? b[i]! : -1;
  }

  value(): JVal {
    const c = this.ws();
    const b = this.b;
    switch (c) {
      case -1:
        return this.perr("EOF while parsing a value");
      case 110: // n
        this.i++;
        this.ident("ull");
        return null;
      case 116: // t
        this.i++;
        this.ident("rue");
        return true;
      case 102: // f
        this.i++;
        this.ident("alse");
        return false;
      case 45: // -
        this.i++;
        return this.number(false);
      case 34: // "
        this.i++;
        return this.string();
      case 91: {
        // [
        if (this.limit && --this.depth === 0) this.perr("recursion limit exceeded");
        this.i++;
        const arr: JVal[] = [];
        let first = true;
        for (;;) {
          if (this.item(93, first, "EOF while parsing a list", "expected `,` or `]`") === 93) break;
          first = false;
          arr.push(this.value());
        }
        this.i++;
        this.depth++;
        return arr;
      }
      case 123: {
        // {
        if (this.limit && --this.depth === 0) this.perr("recursion limit exceeded");
        this.i++;
        const obj = new JObj();
        let first = true;
        for (;;) {
          const p = this.item(125, first, "EOF while parsing an object", "expected `,` or `}`");
          if (p === 125) break;
          first = false;
          if (p !== 34) this.perr("key must be a string");
          this.i++;
          const key = this.string();
          const q = this.ws();
          if (q === 58) this.i++;
          else if (q === -1) this.perr("EOF while parsing an object");
          else this.perr("expected `:`");
          obj.set(key, this.value());
        }
        this.i++;
        this.depth++;
        return obj;
      }
      default:
        if (c >= 48 && c <= 57) return this.number(true);
        void b;
        return this.perr("expected value");
    }
  }

  /**
   * Before an element of an array or object (`close` is its closing bracket): skips the
   * separator and returns the element's first byte, or `close` when the container ends there.
   */
  item(close: number, first: boolean, eof: string, expected: string): number {
    let p = this.ws();
    if (p === close) return p;
    if (p === 44 && !first) {
      this.i++;
      p = this.ws();
    } else if (p === -1) this.perr(eof);
    else if (!first) this.perr(expected);
    if (p === close) this.perr("trailing comma");
    if (p === -1) this.perr("EOF while parsing a value");
    return p;
  }

  ident(rest: string): void {
    const b = this.b;
    for (let k = 0; k < rest.length; k++) {
      if (this.i >= b.length) this.err("EOF while parsing a value");
      const c = b[this.i++]!;
      if (c !== rest.charCodeAt(k)) this.err("expected ident");
    }
  }

  /** Called after an optional '-' was consumed. */
  number(positive: boolean): JVal {
    const b = this.b;
    const start = positive ? this.i : this.i - 1;
    if (this.i >= b.length) this.err("EOF while parsing a value");
    const first = b[this.i++]!;
    let acc = first - 48;
    if (first === 48) {
      const p = this.i < b.length ? b[this.i]! : 0;
      if (p >= 48 && p <= 57) this.perr("invalid number");
    } else if (first >= 49 && first <= 57) {
      while (this.i < b.length && b[this.i]! >= 48 && b[this.i]! <= 57) acc = acc * 10 + (b[this.i++]! - 48);
    } else this.err("invalid number");
    let isFloat = false;
    let p = this.i < b.length ? b[this.i]! : 0;
    // Common case: a short integer, already accumulated exactly.
    if (p !== 46 && p !== 101 && p !== 69 && this.i - start < 16) {
      if (positive) return acc;
      return acc === 0 ? new JFloat(-0) : -acc;
    }
    if (p === 46) {
      isFloat = true;
      this.i++;
      const ds = this.i;
      while (this.i < b.length && b[this.i]! >= 48 && b[this.i]! <= 57) this.i++;
      if (this.i === ds) {
        if (this.i < b.length) this.perr("invalid number");
        this.perr("EOF while parsing a value");
      }
      p = this.i < b.length ? b[this.i]! : 0;
    }
    if (p === 101 || p === 69) {
      isFloat = true;
      this.i++;
      const s = this.i < b.length ? b[this.i]! : 0;
      if (s === 43 || s === 45) this.i++;
      if (this.i >= b.length) this.err("EOF while parsing a value");
      const d = b[this.i++]!;
      if (d < 48 || d > 57) this.err("invalid number");
      while (this.i < b.length && b[this.i]! >= 48 && b[this.i]! <= 57) this.i++;
    }
    const text = latin1Slice.call(b, start, this.i);
    if (!isFloat) {
      const digits = positive ? text.length : text.length - 1;
      if (digits < 16) {
        const n = Number(text);
        if (!positive && n === 0) return new JFloat(-0);
        return n;
      }
      const big = BigInt(text);
      if (positive ? big <= U64_MAX : big >= I64_MIN) return intVal(big);
    }
    const f = Number(text);
    if (!Number.isFinite(f)) this.err("number out of range");
    return new JFloat(f);
  }

  string(): string {
    const b = this.b;
    let i = this.i;
    const start = i;
    // Fast path: plain ASCII without escapes.
    while (i < b.length) {
      const c = b[i]!;
      if (c === 34) {
        this.i = i + 1;
        return latin1Slice.call(b, start, i);
      }
      if (c === 92 || c < 32 || c >= 0x80) break;
      i++;
    }
    let out = latin1Slice.call(b, start, i);
    let seg = i;
    for (;;) {
      // Copy a run of ordinary bytes.
      while (i < b.length) {
        const c = b[i]!;
        if (c === 34 || c === 92 || c < 32) break;
        i++;
      }
      if (i > seg) out += this.decode(seg, i);
      if (i >= b.length) {
        this.i = i;
        this.err("EOF while parsing a string");
      }
      const c = b[i]!;
      if (c === 34) {
        this.i = i + 1;
        return out;
      }
      if (c < 32) {
        this.i = i + 1;
        this.err("control character (\\u0000-\\u001F) found while parsing a string");
      }
      // Escape.
      i++;
      if (i >= b.length) {
        this.i = i;
        this.err("EOF while parsing a string");
      }
      const e = b[i++]!;
      switch (e) {
        case 34:
          out += '"';
          break;
        case 92:
          out += "\\";
          break;
        case 47:
          out += "/";
          break;
        case 98:
          out += "\b";
          break;
        case 102:
          out += "\f";
          break;
        case 110:
          out += "\n";
          break;
        case 114:
          out += "\r";
          break;
        case 116:
          out += "\t";
          break;
        case 117: {
          this.i = i;
          const n1 = this.hex4();
          i = this.i;
          if (n1 >= 0xdc00 && n1 <= 0xdfff) this.err("lone leading surrogate in hex escape");
          if (n1 >= 0xd800 && n1 <= 0xdbff) {
            if (i >= b.length) {
              this.i = i;
              this.err("EOF while parsing a string");
            }
            if (b[i] !== 92) {
              this.i = i + 1;
              this.err("unexpected end of hex escape");
            }
            i++;
            if (i >= b.length) {
              this.i = i;
              this.err("EOF while parsing a string");
            }
            if (b[i] !== 117) {
              this.i = i + 1;
              this.err("unexpected end of hex escape");
            }
            this.i = i + 1;
            const n2 = this.hex4();
            i = this.i;
            if (n2 < 0xdc00 || n2 > 0xdfff) this.err("lone leading surrogate in hex escape");
            out += String.fromCharCode(n1, n2);
          } else out += String.fromCharCode(n1);
          break;
        }
        default:
          this.i = i;
          this.err("invalid escape");
      }
      seg = i;
    }
  }

  hex4(): number {
    const b = this.b;
    if (this.i + 4 > b.length) {
      this.i = b.length;
      this.err("EOF while parsing a string");
    }
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const c = b[this.i++]!;
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else this.err("invalid escape");
      n = n * 16 + d;
    }
    return n;
  }

  decode(s: number, e: number): string {
    const b = this.b;
    for (let k = s; k < e; k++) {
      if (b[k]! >= 0x80) {
        try {
          return utf8.decode(b.subarray(s, e));
        } catch {
          throw new ReplyError(NOT_UTF8);
        }
      }
    }
    return latin1Slice.call(b, s, e);
  }
}

/**
 * Parses one JSON value from UTF-8 bytes. Trailing non-space bytes are an error
 * ("trailing characters"). Throws a ReplyError with RedisJSON's message on bad input.
 */
export function parseJson(b: Uint8Array, limitDepth = true): JVal {
  const p = new Parser(b, limitDepth);
  try {
    const v = p.value();
    if (p.ws() !== -1) p.perr("trailing characters");
    return v;
  } catch (e) {
    if (e instanceof SyntaxErr) {
      if (!isUtf8(b)) throw new ReplyError(NOT_UTF8);
      throw new ReplyError(`${e.code} ${position(b, e.at)}`);
    }
    throw e;
  }
}

/** Parses JSON from a JS string (internal use: DUMP/RESTORE payloads, tests). */
export function parseJsonText(s: string): JVal {
  return parseJson(Buffer.from(s, "utf8"), false);
}
