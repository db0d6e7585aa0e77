// Unit tests of the JSON engine: the parser (serde-compatible errors), the serializer (number
// and string formats), path syntax (JSONPath and legacy, with RedisJSON's error texts) and
// evaluation semantics. Cases written from RedisJSON's documented behaviour.
import { describe, expect, test } from "bun:test";
import { ReplyError } from "../../src/errors.ts";
import { parseJson, parseJsonText } from "../../src/json/parse.ts";
import { Path, compile } from "../../src/json/path.ts";
import { compileRegex, select } from "../../src/json/query.ts";
import { fmtFloat, stringify, JsonWriter } from "../../src/json/serialize.ts";
import { JFloat, JObj, memoryOf, typeName, type JVal } from "../../src/json/value.ts";

const parse = (s: string) => parseJson(Buffer.from(s, "utf8"));
const roundTrip = (s: string) => stringify(parse(s));
function parseError(s: string | Uint8Array): string {
  try {
    parseJson(typeof s === "string" ? Buffer.from(s, "utf8") : s);
  } catch (e) {
    if (e instanceof ReplyError) return e.reply;
    throw e;
  }
  throw new Error(`parsed: ${String(s)}`);
}
function pathError(p: string): string {
  try {
    compile(p);
  } catch (e) {
    if (e instanceof ReplyError) return e.reply;
    throw e;
  }
  throw new Error(`compiled: ${p}`);
}
/** Values a path selects, as compact JSON text. */
function sel(doc: string, path: string): string {
  const root = parse(doc);
  const p = new Path(path);
  return stringify(select(p.query(), root).map((m) => m.v));
}

describe("parser", () => {
  test("round-trips compact JSON and keeps integers apart from floats", () => {
    for (const s of ["null", "true", "false", "0", "-5", "1.0", "1.5", '"x"', "[]", "{}", '[1,2.0,"a",null,true]', '{"a":{"b":[{}]}}']) {
      expect(roundTrip(s)).toBe(s);
    }
    expect(roundTrip(' { "a" : [ 1 , 2 ] }\n')).toBe('{"a":[1,2]}');
    expect(parse("1")).toBe(1);
    expect(parse("1.0")).toBeInstanceOf(JFloat);
    expect(typeName(parse("1"))).toBe("integer");
    expect(typeName(parse("1.0"))).toBe("number");
    expect(typeName(parse("1e2"))).toBe("number");
  });

  test("64-bit integers stay exact; beyond u64 they become floats", () => {
    expect(roundTrip("9223372036854775807")).toBe("9223372036854775807");
    expect(roundTrip("-9223372036854775808")).toBe("-9223372036854775808");
    expect(roundTrip("18446744073709551615")).toBe("18446744073709551615");
    expect(typeName(parse("18446744073709551615"))).toBe("integer");
    expect(roundTrip("18446744073709551616")).toBe("1.8446744073709552e19");
    expect(roundTrip("-9223372036854775809")).toBe("-9.223372036854776e18");
    expect(roundTrip("-0")).toBe("-0.0");
    expect(roundTrip("12345678901234567")).toBe("12345678901234567");
  });

  test("float formatting follows the shortest round-trip layout RedisJSON prints", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [0.1, "0.1"],
      [-2.5, "-2.5"],
      [100, "100.0"],
      [1e15, "1000000000000000.0"],
      [1e16, "1e16"],
      [1.5e16, "1.5e16"],
      [123456.789, "123456.789"],
      [0.0001, "0.0001"],
      [0.00001, "0.00001"],
      [1e-6, "1e-6"],
      [1.25e-7, "1.25e-7"],
      [1e300, "1e300"],
      [64.99, "64.99"],
      [0.30000000000000004, "0.30000000000000004"],
      [1.7976931348623157e308, "1.7976931348623157e308"],
      [5e-324, "5e-324"],
    ];
    for (const [f, s] of cases) expect(fmtFloat(f)).toBe(s);
    expect(fmtFloat(-0)).toBe("-0.0");
    expect(roundTrip("[1E2,2.50,1e-7,0.000]")).toBe("[100.0,2.5,1e-7,0.0]");
  });

  test("strings: escapes in and out, unicode kept as UTF-8", () => {
    expect(roundTrip('"a\\"b\\\\c\\/d"')).toBe('"a\\"b\\\\c/d"');
    expect(roundTrip('"\\b\\f\\n\\r\\t"')).toBe('"\\b\\f\\n\\r\\t"');
    expect(roundTrip('"\\u0001\\u001f\\u007f"')).toBe('"\\u0001\\u001f\u007f"');
    expect(roundTrip('"\\u00e9\\ud83d\\ude00"')).toBe('"é😀"');
    expect(roundTrip('"é😀"')).toBe('"é😀"');
    expect(parse('"\\u0041"')).toBe("A");
  });

  test("objects keep insertion order; a repeated key keeps its first place", () => {
    expect(roundTrip('{"b":1,"a":2,"10":3,"2":4}')).toBe('{"b":1,"a":2,"10":3,"2":4}');
    expect(roundTrip('{"a":1,"b":2,"a":3}')).toBe('{"a":3,"b":2}');
  });

  test("syntax errors carry serde_json's messages and positions", () => {
    expect(parseError("")).toBe("EOF while parsing a value at line 1 column 0");
    expect(parseError("x")).toBe("expected value at line 1 column 1");
    expect(parseError("{")).toBe("EOF while parsing an object at line 1 column 1");
    expect(parseError('{"asd}')).toBe("EOF while parsing a string at line 1 column 6");
    expect(parseError("[1,]")).toBe("trailing comma at line 1 column 4");
    expect(parseError('{"a":1,}')).toBe("trailing comma at line 1 column 8");
    expect(parseError("[1 2]")).toBe("expected `,` or `]` at line 1 column 4");
    expect(parseError('{"a":1 "b":2}')).toBe("expected `,` or `}` at line 1 column 8");
    expect(parseError('{"a" 1}')).toBe("expected `:` at line 1 column 6");
    expect(parseError("{1:2}")).toBe("key must be a string at line 1 column 2");
    expect(parseError("tru")).toBe("EOF while parsing a value at line 1 column 3");
    expect(parseError("trx")).toBe("expected ident at line 1 column 3");
    expect(parseError("01")).toBe("invalid number at line 1 column 2");
    expect(parseError("-")).toBe("EOF while parsing a value at line 1 column 1");
    expect(parseError("-a")).toBe("invalid number at line 1 column 2");
    expect(parseError("1.")).toBe("EOF while parsing a value at line 1 column 2");
    expect(parseError("1.e5")).toBe("invalid number at line 1 column 3");
    expect(parseError("1e")).toBe("EOF while parsing a value at line 1 column 2");
    expect(parseError("1e400")).toBe("number out of range at line 1 column 5");
    expect(parseError('"a\tb"')).toBe("control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3");
    expect(parseError('"\\x"')).toBe("invalid escape at line 1 column 3");
    expect(parseError('"\\ud800"')).toBe("unexpected end of hex escape at line 1 column 8");
    expect(parseError('"\\udc00"')).toBe("lone leading surrogate in hex escape at line 1 column 7");
    expect(parseError("[1]]")).toBe("trailing characters at line 1 column 4");
    expect(parseError("1 2")).toBe("trailing characters at line 1 column 3");
    expect(parseError("[\n1,\n]")).toBe("trailing comma at line 3 column 1");
    expect(parseError("NaN")).toBe("expected value at line 1 column 1");
    expect(parseError(new Uint8Array([0x22, 0xff, 0x22]))).toBe("Couldn't parse as UTF-8 string");
  });

  test("nesting is limited like RedisJSON (127 levels), but not when loading", () => {
    const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(roundTrip(deep(127))).toBe(deep(127));
    expect(parseError(deep(128))).toBe("recursion limit exceeded at line 1 column 128");
    expect(stringify(parseJsonText(deep(300)))).toBe(deep(300));
  });
});

describe("round trips", () => {
  test("random documents read back in canonical form", () => {
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const strs = ["", "a", 'q"uote', "back\\slash", "tab\t", "nl\n", "\u0001", "é", "日本", "😀", "/"];
    const floats: [string, string][] = [["1.0", "1.0"], ["2.50", "2.5"], ["1e3", "1000.0"], ["-0.125", "-0.125"], ["1E-9", "1e-9"], ["3.0e20", "3e20"]];
    // [input text, canonical text]
    const gen = (d: number): [string, string] => {
      switch (rnd(d > 3 ? 5 : 7)) {
        case 0:
          return ["null", "null"];
        case 1:
          return rnd(2) ? ["true", "true"] : ["false", "false"];
        case 2: {
          const n = String(rnd(2000000) - 1000000);
          return [n, n];
        }
        case 3:
          return floats[rnd(floats.length)]!;
        case 4: {
          const t = JSON.stringify(strs[rnd(strs.length)]);
          return [t, t];
        }
        case 5: {
          const items: [string, string][] = [];
          for (let i = rnd(5); i > 0; i--) items.push(gen(d + 1));
          return ["[ " + items.map((x) => x[0]).join(" , ") + " ]", "[" + items.map((x) => x[1]).join(",") + "]"];
        }
        default: {
          const items: [string, string][] = [];
          const seen = new Set<string>();
          for (let i = rnd(5); i > 0; i--) {
            const k = JSON.stringify(strs[rnd(strs.length)]! + rnd(3));
            if (seen.has(k)) continue;
            seen.add(k);
            const [a, b] = gen(d + 1);
            items.push([`${k} :${a}`, `${k}:${b}`]);
          }
          return ["{" + items.map((x) => x[0]).join(",\n") + "}", "{" + items.map((x) => x[1]).join(",") + "}"];
        }
      }
    };
    for (let i = 0; i < 500; i++) {
      const [text, canon] = gen(0);
      expect(roundTrip(text)).toBe(canon);
      expect(roundTrip(canon)).toBe(canon);
    }
  });
});

describe("serializer", () => {
  test("INDENT / NEWLINE / SPACE layout", () => {
    const w = new JsonWriter();
    const v = parse('{"a":[1,{}],"b":{"c":[]}}');
    w.reset({ indent: "\t", newline: "\n", space: " " });
    w.value(v);
    expect(w.toString()).toBe('{\n\t"a": [\n\t\t1,\n\t\t{}\n\t],\n\t"b": {\n\t\t"c": []\n\t}\n}');
    w.reset({ indent: "", newline: "", space: " " });
    w.value(v);
    expect(w.toString()).toBe('{"a": [1,{}],"b": {"c": []}}');
    w.reset({ indent: "  ", newline: "", space: "" });
    w.value(parse("[1,2]"));
    expect(w.toString()).toBe("[  1,  2]");
  });
});

describe("paths", () => {
  test("legacy paths are rewritten to JSONPath", () => {
    const cases: [string, string, boolean][] = [
      [".", "$", true],
      ["$", "$", false],
      [".a", "$.a", true],
      ["a", "$.a", true],
      ["a.b", "$.a.b", true],
      ["[0]", "$.[0]", true],
      ['["k"]', '$.["k"]', true],
      ["$.a", "$.a", false],
      ["$[0]", "$[0]", false],
      ["$foo", "$.$foo", true],
      ["", "$.", true],
    ];
    for (const [p, fixed, legacy] of cases) {
      const x = new Path(p);
      expect([x.fixed, x.legacy]).toEqual([fixed, legacy]);
    }
  });

  test("compile errors use RedisJSON's wording and positions", () => {
    expect(pathError("$.a[$]")).toBe(
      `Error occurred on position 4, "$.a[ ---->>>> $]", expected one of the following: '<string>[,<string>,...]', '<number>', ['start:end:steps'], '*'.`,
    );
    expect(pathError("$.")).toBe(`Error occurred on position 2, "$. <<<<----", expected one of the following: <string>, '*'.`);
    expect(pathError("$..")).toBe(`Error occurred on position 3, "$.. <<<<----", expected one of the following: <string>, '*'.`);
    expect(pathError("$.a b")).toBe(`Error occurred on position 4, "$.a  ---->>>> b", expected one of the following: '..', EOI.`);
    expect(pathError("$[?(@.a >)]")).toMatch(/^Error occurred on position \d+, /);
    expect(pathError("$[1:2:0]")).toMatch(/^Error occurred on position 6, /);
    expect(pathError("$[1:2:-1]")).toMatch(/^Error occurred on position 6, /);
  });

  test("static paths (at most one match) are recognized", () => {
    for (const p of ["$", "$.a", "$.a[0]", "$['a'].b[-1]", "$.a.b.c"]) expect(compile(p).isStatic).toBe(true);
    for (const p of ["$..a", "$.*", "$[*]", "$[0,1]", "$['a','b']", "$[0:1]", "$[?(@)]"]) expect(compile(p).isStatic).toBe(false);
  });
});

describe("evaluation", () => {
  const doc = `{"a":1,"b":[10,20,30,40],"c":{"a":2,"d":{"a":3}},"s":"x","k e y":5,"q\\"t":6}`;

  test("keys, brackets, wildcards", () => {
    expect(sel(doc, "$.a")).toBe("[1]");
    expect(sel(doc, "$['a']")).toBe("[1]");
    expect(sel(doc, '$["a"]')).toBe("[1]");
    expect(sel(doc, "$['k e y']")).toBe("[5]");
    expect(sel(doc, `$['q"t']`)).toBe("[6]");
    expect(sel(doc, `$["q\\"t"]`)).toBe("[6]");
    expect(sel(doc, "$.nope")).toBe("[]");
    expect(sel(doc, "$.b.*")).toBe("[10,20,30,40]");
    expect(sel(doc, "$.c[*]")).toBe('[2,{"a":3}]');
    expect(sel(doc, "$['a','s']")).toBe('[1,"x"]');
    expect(sel(doc, "$.a.b")).toBe("[]");
    expect(sel(doc, "a")).toBe("[1]");
    expect(sel(doc, ".c.d.a")).toBe("[3]");
    expect(sel(doc, "c['d']")).toBe('[{"a":3}]');
  });

  test("indexes: negative from the end, past the end nothing, before the start clamps to 0", () => {
    expect(sel(doc, "$.b[0]")).toBe("[10]");
    expect(sel(doc, "$.b[-1]")).toBe("[40]");
    expect(sel(doc, "$.b[3]")).toBe("[40]");
    expect(sel(doc, "$.b[4]")).toBe("[]");
    expect(sel(doc, "$.b[-10]")).toBe("[10]");
    expect(sel(doc, "$.b[0,2,0]")).toBe("[10,30,10]");
    expect(sel(doc, "$.c[0]")).toBe("[]");
  });

  test("slices", () => {
    expect(sel(doc, "$.b[0:2]")).toBe("[10,20]");
    expect(sel(doc, "$.b[1:]")).toBe("[20,30,40]");
    expect(sel(doc, "$.b[:-1]")).toBe("[10,20,30]");
    expect(sel(doc, "$.b[:]")).toBe("[10,20,30,40]");
    expect(sel(doc, "$.b[::2]")).toBe("[10,30]");
    expect(sel(doc, "$.b[1::2]")).toBe("[20,40]");
    expect(sel(doc, "$.b[-2:]")).toBe("[30,40]");
    expect(sel(doc, "$.b[3:1]")).toBe("[]");
    expect(sel(doc, "$.b[-100:100]")).toBe("[10,20,30,40]");
  });

  test("recursive descent visits the node, then descendants in order", () => {
    expect(sel(doc, "$..a")).toBe("[1,2,3]");
    expect(sel('{"x":[{"a":1},{"b":{"a":2}}],"a":0}', "$..a")).toBe("[0,1,2]");
    expect(sel('{"a":[1,[2]],"b":{"c":3}}', "$..*")).toBe('[[1,[2]],{"c":3},1,[2],2,3]');
    expect(sel('[[1,2],[3]]', "$..[0]")).toBe("[[1,2],1,3]");
  });

  test("filters: comparisons, logic, regex, literals, nested and root paths", () => {
    const items = `{"items":[{"n":"a","p":5,"t":true,"tags":["x"]},{"n":"b","p":15.5,"t":false},{"n":"c","p":"9","z":null},{"n":"USB-C","p":30}],"max":10}`;
    expect(sel(items, "$.items[?(@.p > 10)].n")).toBe('["b","USB-C"]');
    expect(sel(items, "$.items[?(@.p >= 5 && @.p < 20)].n")).toBe('["a","b"]');
    expect(sel(items, "$.items[?(@.p < 6 || @.p == 30)].n")).toBe('["a","USB-C"]');
    expect(sel(items, "$.items[?(@.p == 5.0)].n")).toBe('["a"]');
    expect(sel(items, '$.items[?(@.p == "9")].n')).toBe('["c"]');
    expect(sel(items, "$.items[?(@.p != 5)].n")).toBe('["b","c","USB-C"]');
    expect(sel(items, "$.items[?(@.t == true)].n")).toBe('["a"]');
    expect(sel(items, "$.items[?(@.t)].n")).toBe('["a","b"]');
    expect(sel(items, "$.items[?(!@.t)].n")).toBe('["c","USB-C"]');
    expect(sel(items, "$.items[?(@.z == null)].n")).toBe('["c"]');
    expect(sel(items, "$.items[?(@.p > $.max)].n")).toBe('["b","USB-C"]');
    expect(sel(items, '$.items[?(@.n =~ "(?i)usb")].p')).toBe("[30]");
    expect(sel(items, '$.items[?(@.n =~ "^[ab]$")].n')).toBe('["a","b"]');
    expect(sel(items, '$.items[?(@.p =~ "9")].n')).toBe('["c"]');
    expect(sel(items, "$.items[?(@.p > 1 && (@.n == 'a' || @.n == 'c'))].n")).toBe('["a"]');
    expect(sel(items, "$.items[?(@.tags[0] == 'x')].n")).toBe('["a"]');
    expect(sel(items, "$.items[?@.p>20].n")).toBe('["USB-C"]');
    expect(sel(items, "$.items[?(@.p > 'a')].n")).toBe("[]");
    // a filter on an object tests its member values; on a scalar, the scalar
    expect(sel('{"o":{"a":1,"b":5}}', "$.o[?(@ > 2)]")).toBe("[5]");
    expect(sel('{"o":7}', "$.o[?(@ > 2)]")).toBe("[7]");
  });

  test("regex patterns written for Rust's engine", () => {
    expect(compileRegex("(?i)abc")!.test("xABCx")).toBe(true);
    expect(compileRegex("^a.c$")!.test("abc")).toBe(true);
    expect(compileRegex("(")).toBeNull();
  });
});

describe("values", () => {
  test("objects remove by moving the last key into the hole", () => {
    const o = new JObj();
    for (const k of ["a", "b", "c", "d"]) o.set(k, 1);
    o.remove("a");
    expect(o.keys).toEqual(["d", "b", "c"]);
    for (let i = 0; i < 20; i++) o.set(`k${i}`, i);
    o.remove("b");
    expect(o.keys[1]).toBe("k19");
    expect(o.get("k19")).toBe(19);
    expect(o.has("b")).toBe(false);
  });

  test("memory accounting follows RedisJSON's documented figures", () => {
    const m = (s: string) => memoryOf(parse(s) as JVal);
    expect(m("null")).toBe(8);
    expect(m("123456789")).toBe(8);
    expect(m("1.5")).toBe(8);
    expect(m('"abc"')).toBe(11);
    expect(m('"é"')).toBe(10);
    expect(m("[]")).toBe(8);
    expect(m("[1,2]")).toBe(24);
    expect(m('{"ab":1}')).toBe(18);
    // the JSON.DEBUG MEMORY example of the command reference
    expect(
      m(
        '{"name":"Wireless earbuds","description":"Wireless Bluetooth in-ear headphones","connection":{"wireless":true,"type":"Bluetooth"},"price":64.99,"stock":17,"colors":["black","white"], "max_level":[80, 100, 120]}',
      ),
    ).toBe(253);
  });
});
