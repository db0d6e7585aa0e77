// JSON.* commands against a real AiKv server, in RESP2 and RESP3. There is no RedisJSON
// oracle here: the expected replies are written from RedisJSON 2.x's documented behaviour
// (command reference, path syntax, RESP3 migration guide) and its error texts.
import { afterAll, describe, expect, test } from "bun:test";
import { parseScript } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { startAikv, type Running } from "../helpers/servers.ts";

const srv: Running = await startAikv();
afterAll(async () => {
  await srv.stop();
});

// ---- a small RESP decoder, so expectations read like redis-cli output ----

type Err = { err: string };
type Dbl = { dbl: string };
const err = (e: string): Err => ({ err: e });
const dbl = (d: string): Dbl => ({ dbl: d });

function decode(raw: string): unknown {
  const b = Buffer.from(raw, "latin1");
  let i = 0;
  const line = () => {
    const e = b.indexOf("\r\n", i);
    const s = b.toString("utf8", i, e);
    i = e + 2;
    return s;
  };
  const value = (): unknown => {
    const t = String.fromCharCode(b[i++]!);
    const head = line();
    switch (t) {
      case "+":
        return head;
      case "-":
        return err(head);
      case ":":
        return Number(head);
      case "_":
        return null;
      case ",":
        return dbl(head);
      case "#":
        return head === "t";
      case "$": {
        const n = Number(head);
        if (n < 0) return null;
        const s = b.toString("utf8", i, i + n);
        i += n + 2;
        return s;
      }
      case "*":
      case "~":
      case ">": {
        const n = Number(head);
        if (n < 0) return null;
        const out: unknown[] = [];
        for (let k = 0; k < n; k++) out.push(value());
        return out;
      }
      case "%": {
        const n = Number(head);
        const out: Record<string, unknown> = {};
        for (let k = 0; k < n; k++) {
          const key = value() as string;
          out[key] = value();
        }
        return { map: out };
      }
    }
    throw new Error(`bad reply ${raw}`);
  };
  return value();
}

async function conn(proto: 2 | 3): Promise<RespConn> {
  const c = await RespConn.connect(srv.port);
  if (proto === 3) await c.call("HELLO", "3");
  return c;
}

/** One command from a redis-cli style line. */
function args(line: string): string[] {
  return parseScript(line)[0] as string[];
}

/** Sends a command; string arguments go out as UTF-8. */
async function call(c: RespConn, line: string | (string | Uint8Array)[]): Promise<unknown> {
  const a = typeof line === "string" ? args(line) : line;
  return decode(await c.call(...a.map((x) => (typeof x === "string" ? Buffer.from(x, "utf8") : x))));
}

/** Runs [command, expected] pairs, comparing decoded replies. */
async function run(c: RespConn, cases: [string | (string | Uint8Array)[], unknown][]): Promise<void> {
  for (const [cmd, want] of cases) {
    const got = await call(c, cmd);
    expect({ cmd, got }).toEqual({ cmd, got: want });
  }
}

/** Runs a body on a RESP2 and a RESP3 connection (each after FLUSHALL). */
async function both(body: (c: RespConn, proto: 2 | 3) => Promise<void>): Promise<void> {
  for (const proto of [2, 3] as const) {
    const c = await conn(proto);
    try {
      await c.call("FLUSHALL");
      await body(c, proto);
    } finally {
      c.close();
    }
  }
}

async function commandExists(name: string): Promise<boolean> {
  const c = await conn(2);
  const r = await c.call(name);
  c.close();
  return !r.startsWith("-ERR unknown command");
}
/** Scripting counts as available once a trivial script runs. */
async function scriptsWork(): Promise<boolean> {
  const c = await conn(2);
  const r = await c.call("EVAL", "return redis.call('PING')", "0");
  c.close();
  return r === "+PONG\r\n";
}
const hasEval = await scriptsWork();
const hasDump = await commandExists("DUMP");

const NO_KEY = err("ERR could not perform this operation on a key that doesn't exist");
const WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value");
const DOC = `'{"a":1,"b":[1,2,3],"c":{"d":"x","e":1.5},"f":true,"g":null,"s":"hi"}'`;

describe("JSON.SET / JSON.GET", () => {
  test("root documents, legacy and JSONPath reply shapes", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.SET doc $ ${DOC}`, "OK"],
        ["JSON.GET doc", '{"a":1,"b":[1,2,3],"c":{"d":"x","e":1.5},"f":true,"g":null,"s":"hi"}'],
        ["JSON.GET doc .", '{"a":1,"b":[1,2,3],"c":{"d":"x","e":1.5},"f":true,"g":null,"s":"hi"}'],
        ["JSON.GET doc $", '[{"a":1,"b":[1,2,3],"c":{"d":"x","e":1.5},"f":true,"g":null,"s":"hi"}]'],
        ["JSON.GET doc .a", "1"],
        ["JSON.GET doc a", "1"],
        ["JSON.GET doc $.a", "[1]"],
        ["JSON.GET doc .c.d", '"x"'],
        ["JSON.GET doc c.e", "1.5"],
        [["JSON.GET", "doc", '["c"]["d"]'], '"x"'],
        ["JSON.GET doc .b[0]", "1"],
        ["JSON.GET doc .b[-1]", "3"],
        ["JSON.GET doc $.b[-1]", "[3]"],
        ["JSON.GET doc $..e", "[1.5]"],
        ["JSON.GET doc $.nope", "[]"],
        ["JSON.GET doc .nope", err("ERR Path '$.nope' does not exist")],
        ["JSON.GET doc nope", err("ERR Path '$.nope' does not exist")],
        ["JSON.GET doc $.b[*]", "[1,2,3]"],
        ["JSON.GET doc .b[*]", "1"],
        ["JSON.GET missing", null],
        ["JSON.GET missing $", null],
      ]);
    });
  });

  test("several paths: an object keyed by path", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ ${DOC}`);
      await run(c, [
        ["JSON.GET doc .a .s", '{".a":1,".s":"hi"}'],
        ["JSON.GET doc $.a $.s", '{"$.a":[1],"$.s":["hi"]}'],
        ["JSON.GET doc $.a .s", '{"$.a":[1],".s":["hi"]}'],
        ["JSON.GET doc $.a $.nope", '{"$.a":[1],"$.nope":[]}'],
        ["JSON.GET doc .a .nope", err("ERR Path '.nope' does not exist")],
        ["JSON.GET doc $.a $.a", '{"$.a":[1]}'],
        // paths that do not compile are left out when there are several
        ["JSON.GET doc $.a $.[", '{"$.a":[1]}'],
      ]);
    });
  });

  test("INDENT, NEWLINE, SPACE and ignored NOESCAPE", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":[1,{}],"b":{"c":"x"}}'`);
      await run(c, [
        [["JSON.GET", "doc", "INDENT", "\t", "NEWLINE", "\n", "SPACE", " "], '{\n\t"a": [\n\t\t1,\n\t\t{}\n\t],\n\t"b": {\n\t\t"c": "x"\n\t}\n}'],
        [["JSON.GET", "doc", "SPACE", " ", "$.b"], '[{"c": "x"}]'],
        [["JSON.GET", "doc", "indent", "..", "newline", "|", "$.b.c"], '[|.."x"|]'],
        [["JSON.GET", "doc", "NOESCAPE", "$.b.c"], '["x"]'],
        [["JSON.GET", "doc", "INDENT"], err("ERR wrong number of arguments for 'json.get' command")],
        [["JSON.GET", "doc", "NEWLINE", "\n", "SPACE", " ", ".b", "$.a"], '{\n".b": [\n{\n"c": "x"\n}\n],\n"$.a": [\n[\n1,\n{}\n]\n]\n}'],
      ]);
    });
  });

  test("FORMAT (RESP3 only) expands replies", async () => {
    const c2 = await conn(2);
    await c2.call("FLUSHALL");
    await run(c2, [
      [`JSON.SET doc $ '{"a":[1,2.5,"x",true,null],"o":{"k":1}}'`, "OK"],
      ["JSON.GET doc FORMAT EXPAND $", err("ERR FORMAT argument is not supported on RESP2")],
      ["JSON.GET doc $.a FORMAT STRING", '[[1,2.5,"x",true,null]]'],
    ]);
    c2.close();
    const c3 = await conn(3);
    await run(c3, [
      ["JSON.GET doc FORMAT EXPAND $.a $.o", [[[1, dbl("2.5"), "x", true, null]], [{ map: { k: 1 } }]]],
      ["JSON.GET doc FORMAT EXPAND1 $.a $.o", [['[1,2.5,"x",true,null]'], ['{"k":1}']]],
      ["JSON.GET doc FORMAT STRING $.o", '[{"k":1}]'],
      ["JSON.GET doc FORMAT STRINGS $.o", err("ERR wrong reply format")],
      ["JSON.GET doc FORMAT bogus $.o", err("ERR wrong reply format")],
      ["JSON.GET doc FORMAT EXPAND $..k $.[", [[1], []]],
    ]);
    c3.close();
  });

  test("setting inside a document: update, add a key, NX / XX, arrays", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ ${DOC}`);
      await run(c, [
        ["JSON.SET doc $.a 2", "OK"],
        ["JSON.SET doc .c.d '\"y\"'", "OK"],
        ["JSON.SET doc $.new '[true]'", "OK"],
        ["JSON.SET doc c.new2 3", "OK"],
        ["JSON.SET doc $.b[1] 20", "OK"],
        ["JSON.SET doc $.b[-1] 30", "OK"],
        ["JSON.SET doc $.b[5] 1", err("ERR array index out of range")],
        ["JSON.SET doc $.nope[0] 1", err("ERR array index out of range")],
        ["JSON.SET doc $.x.y 1", null],
        ["JSON.SET doc $.s.y 1", null],
        ["JSON.SET doc $..nope 1", err("Err wrong static path")],
        ["JSON.SET doc $.a 5 NX", null],
        ["JSON.SET doc $.zz 5 XX", null],
        ["JSON.SET doc $.a 5 XX", "OK"],
        ["JSON.SET doc $.zz 6 NX", "OK"],
        ["JSON.SET doc $.b[0] 9 NX", null],
        ["JSON.SET doc $ 1 NX", null],
        ["JSON.GET doc", '{"a":5,"b":[1,20,30],"c":{"d":"y","e":1.5,"new2":3},"f":true,"g":null,"s":"hi","new":[true],"zz":6}'],
        ["JSON.SET doc $.a 1 NX XX", err("ERR syntax error")],
        ["JSON.SET doc $.a 1 XX XX", err("ERR syntax error")],
        ["JSON.SET doc $.a 1 BOGUS", err("ERR syntax error")],
        ["JSON.SET doc $.a 1 FORMAT JSON", "OK"],
        ["JSON.SET doc $.a 1 FORMAT XML", err("ERR wrong format")],
      ]);
    });
  });

  test("several matches are all set; values are independent copies", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.SET doc $ '{"a":{"x":1},"b":{"x":2},"c":{"y":3}}'`, "OK"],
        ["JSON.SET doc $..x '[0]'", "OK"],
        ["JSON.ARRAPPEND doc $.a.x 1", [2]],
        ["JSON.GET doc", '{"a":{"x":[0,1]},"b":{"x":[0]},"c":{"y":3}}'],
        // a filter on an object tests its member values
        ["JSON.SET doc '$[?(@.y)].y' 4", "OK"],
        ["JSON.SET doc '$.*[?(@.y)].y' 5", err("Err wrong static path")],
        ["JSON.GET doc $.c", '[{"y":4}]'],
        [`JSON.SET doc $ '{"a":{"a":{"a":1}}}'`, "OK"],
        ["JSON.SET doc $..a 7", "OK"],
        ["JSON.GET doc", '{"a":7}'],
      ]);
    });
  });

  test("new keys must be created at the root", async () => {
    await both(async (c) => {
      await run(c, [
        ["JSON.SET k $.a 1", err("ERR new objects must be created at the root")],
        ["JSON.SET k .a 1", err("ERR new objects must be created at the root")],
        ["JSON.SET k $ 1 XX", null],
        ["EXISTS k", 0],
        ["JSON.SET k . 1 NX", "OK"],
        ["JSON.GET k", "1"],
        ["JSON.SET k $ '\"str\"'", "OK"],
        ["JSON.GET k", '"str"'],
      ]);
    });
  });

  test("numbers keep integer vs float and 64-bit precision", async () => {
    await both(async (c, proto) => {
      await run(c, [
        ["JSON.SET n $ '[1,1.0,-0,1e2,0.1,1E-7,9223372036854775807,-9223372036854775808,18446744073709551615,18446744073709551616,1.5e300,123.4560]'", "OK"],
        ["JSON.GET n", "[1,1.0,-0.0,100.0,0.1,1e-7,9223372036854775807,-9223372036854775808,18446744073709551615,1.8446744073709552e19,1.5e300,123.456]"],
      ]);
      const types = ["integer", "number", "number", "number", "number", "number", "integer", "integer", "integer", "number", "number", "number"];
      expect(await call(c, "JSON.TYPE n $[*]")).toEqual(proto === 3 ? [types] : types);
    });
  });

  test("strings: escapes, unicode, control characters", async () => {
    await both(async (c) => {
      await run(c, [
        [["JSON.SET", "s", "$", '{"e":"a\\"b\\\\c\\/d\\n\\u0001\\u00e9","u":"héllo😀"}'], "OK"],
        ["JSON.GET s", '{"e":"a\\"b\\\\c/d\\n\\u0001é","u":"héllo😀"}'],
        ["JSON.STRLEN s .u", 10],
        ["JSON.GET s $.u", '["héllo😀"]'],
        [["JSON.SET", "s", "$['é']", '"ok"'], "OK"],
        [["JSON.GET", "s", "$['é']"], '["ok"]'],
        [["JSON.OBJKEYS", "s"], ["e", "u", "é"]],
      ]);
    });
  });

  test("malformed JSON, bad paths and wrong types leave the document unchanged", async () => {
    await both(async (c, proto) => {
      await call(c, `JSON.SET doc $ ${DOC}`);
      const before = await call(c, "JSON.GET doc");
      await run(c, [
        ["JSON.SET doc $ '{\"asd}'", err("EOF while parsing a string at line 1 column 6")],
        ["JSON.SET doc $.a '{invalid:json}'", err("key must be a string at line 1 column 2")],
        ["JSON.SET doc $.a ''", err("EOF while parsing a value at line 1 column 0")],
        ["JSON.SET doc $.a '[1,2'", err("EOF while parsing a list at line 1 column 4")],
        ["JSON.SET doc $.a abc", err("expected value at line 1 column 1")],
        ["JSON.SET doc $.a '50asd'", err("trailing characters at line 1 column 3")],
        ["JSON.SET doc $.a '1 2'", err("trailing characters at line 1 column 3")],
        ["JSON.SET doc $.a[ 1", err(`Error occurred on position 4, "$.a[ <<<<----", expected one of the following: '<string>[,<string>,...]', '<number>', ['start:end:steps'], '*'.`)],
        ["JSON.SET doc '$.a[$]' 1", err(`Error occurred on position 4, "$.a[ ---->>>> $]", expected one of the following: '<string>[,<string>,...]', '<number>', ['start:end:steps'], '*'.`)],
        ["JSON.GET doc '$.a b'", err(`Error occurred on position 4, "$.a  ---->>>> b", expected one of the following: '..', EOI.`)],
        ["JSON.GET doc ''", err(`Error occurred on position 2, "$. <<<<----", expected one of the following: <string>, '*'.`)],
        ["JSON.NUMINCRBY doc $.a x", err("expected value at line 1 column 1")],
        ["JSON.NUMINCRBY doc $.a '\"1\"'", err("bad input number")],
        ["JSON.NUMINCRBY doc $.c.e 1.7e308", proto === 3 ? [dbl("1.6999999999999999e+308")] : "[1.7e308]"],
        ["JSON.NUMINCRBY doc $.c.e 1.7e308", err("ERR result is not a number")],
        ["JSON.SET doc $.c.e 1.5", "OK"],
        ["JSON.STRAPPEND doc $.s 1", err("WRONGTYPE wrong type of path value - expected string but found 1")],
        ["JSON.STRAPPEND doc $.s 'x'", err("expected value at line 1 column 1")],
        ["JSON.ARRINSERT doc $.b 9 1", err("ERR index out of bounds")],
        ["JSON.ARRINSERT doc $.b x 1", err("Couldn't parse as integer")],
        ["JSON.ARRAPPEND doc $.b 1 '[x'", err("expected value at line 1 column 2")],
        ["JSON.ARRTRIM doc $.b a 1", err("Couldn't parse as integer")],
        ["JSON.ARRINDEX doc $.b 1 x", err("Couldn't parse as integer")],
        ["JSON.MSET doc $.a 7 doc $.b '['", err("EOF while parsing a list at line 1 column 1")],
        ["JSON.MSET doc $.a 7 other $.b 1", err("ERR new objects must be created at the root")],
        ["JSON.MERGE doc $.a '{'", err("EOF while parsing an object at line 1 column 1")],
      ]);
      expect(await call(c, "JSON.GET doc")).toEqual(before);
      // wrong key type
      await c.call("SET", "str", "x");
      for (const cmd of [
        "JSON.GET str",
        "JSON.SET str $ 1",
        "JSON.DEL str",
        "JSON.TYPE str",
        "JSON.STRLEN str",
        "JSON.ARRLEN str",
        "JSON.OBJKEYS str",
        "JSON.NUMINCRBY str $ 1",
        "JSON.ARRAPPEND str $ 1",
        "JSON.RESP str",
        "JSON.MERGE str $ 1",
        "JSON.CLEAR str",
        "JSON.TOGGLE str $",
        "JSON.DEBUG MEMORY str",
        "JSON.MSET str $ 1",
      ]) {
        expect({ cmd, r: await call(c, cmd) }).toEqual({ cmd, r: WRONGTYPE });
      }
      expect(await call(c, "GET str")).toBe("x");
      // invalid UTF-8 in a JSON argument
      expect(await call(c, ["JSON.SET", "doc", "$.a", Buffer.from([0x22, 0xc3, 0x28, 0x22])])).toEqual(
        err("Couldn't parse as UTF-8 string"),
      );
    });
  });

  test("arity errors name the command in lower case", async () => {
    await both(async (c) => {
      await run(c, [
        ["JSON.GET", err("ERR wrong number of arguments for 'json.get' command")],
        ["JSON.SET k $", err("ERR wrong number of arguments for 'json.set' command")],
        ["JSON.MGET k", err("ERR wrong number of arguments for 'json.mget' command")],
        ["JSON.MSET k $ 1 k2", err("ERR wrong number of arguments for 'json.mset' command")],
        ["JSON.ARRAPPEND k $", err("ERR wrong number of arguments for 'json.arrappend' command")],
        ["JSON.ARRINSERT k $ 0", err("ERR wrong number of arguments for 'json.arrinsert' command")],
        ["JSON.ARRTRIM k $ 0", err("ERR wrong number of arguments for 'json.arrtrim' command")],
        ["JSON.NUMINCRBY k $", err("ERR wrong number of arguments for 'json.numincrby' command")],
        ["JSON.ARRINDEX k $ 1 0 1 2", err("ERR wrong number of arguments for 'json.arrindex' command")],
        ["JSON.DEBUG", err("ERR wrong number of arguments for 'json.debug' command")],
        ["JSON.DEBUG MEMORY", err("ERR wrong number of arguments for 'json.debug' command")],
      ]);
    });
  });
});

describe("JSON.MGET / JSON.MSET / JSON.MERGE", () => {
  test("MGET over keys of any kind", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET a $ '{"x":1,"y":{"x":2}}'`);
      await call(c, `JSON.SET b $ '{"x":"b"}'`);
      await c.call("SET", "str", "v");
      await run(c, [
        ["JSON.MGET a b missing str $..x", ["[1,2]", '["b"]', null, null]],
        ["JSON.MGET a b missing .x", ["1", '"b"', null]],
        ["JSON.MGET a b .y.x", ["2", null]],
        ["JSON.MGET a b $.y", ['[{"x":2}]', "[]"]],
        ["JSON.MGET a b $.[", [null, null]],
      ]);
    });
  });

  test("MSET sets several keys and paths at once", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.MSET a $ '{"n":1}' b . '[1]' a $.m '"x"'`, err("ERR new objects must be created at the root")],
        ["EXISTS a b", 0],
        [`JSON.MSET a $ '{"n":1}' b . '[1]'`, "OK"],
        [`JSON.MSET a $.n 2 a $.m '"x"' b $[0] 5`, "OK"],
        ["JSON.MGET a b $", ['[{"n":2,"m":"x"}]', "[[5]]"]],
        ["JSON.MSET a $..q 1", err("Err wrong static path")],
        ["JSON.MSET a $.n", err("ERR wrong number of arguments for 'json.mset' command")],
      ]);
    });
  });

  test("MERGE follows RFC 7396 (examples from the command reference)", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.SET doc $ '{"a":2}'`, "OK"],
        ["JSON.MERGE doc $.b 8", "OK"],
        ["JSON.GET doc $", '[{"a":2,"b":8}]'],
        [`JSON.SET doc $ '{"a":2}'`, "OK"],
        ["JSON.MERGE doc $.a 3", "OK"],
        ["JSON.GET doc $", '[{"a":3}]'],
        [`JSON.SET doc $ '{"a":2}'`, "OK"],
        ["JSON.MERGE doc $.a null", "OK"],
        ["JSON.GET doc $", "[{}]"],
        [`JSON.SET doc $ '{"a":[2,4,6,8]}'`, "OK"],
        ["JSON.MERGE doc $.a '[10,12]'", "OK"],
        ["JSON.GET doc $", '[{"a":[10,12]}]'],
        [`JSON.SET doc $ '{"f1": {"a":1}, "f2":{"a":2}}'`, "OK"],
        [`JSON.MERGE doc $ '{"f1": null, "f2":{"a":3, "b":4}, "f3":[2,4,6]}'`, "OK"],
        ["JSON.GET doc", '{"f2":{"a":3,"b":4},"f3":[2,4,6]}'],
        [`JSON.MERGE doc $.f2 '{"c":{"d":null,"e":1},"a":null}'`, "OK"],
        ["JSON.GET doc", '{"f2":{"c":{"e":1},"b":4},"f3":[2,4,6]}'],
        [`JSON.MERGE doc $..b 5`, "OK"],
        ["JSON.GET doc $.f2.b", "[5]"],
        ["JSON.MERGE doc $.nope.x 1", null],
        ["JSON.MERGE doc $..nope 1", err("Err wrong static path")],
        ["JSON.MERGE new $.a 1", err("ERR new objects must be created at the root")],
        // nothing to merge with: stored as given
        [`JSON.MERGE new $ '{"a":{"b":null,"c":1}}'`, "OK"],
        ["JSON.GET new", '{"a":{"b":null,"c":1}}'],
        [`JSON.MERGE new $ '{"a":{"b":2,"c":null}}'`, "OK"],
        ["JSON.GET new", '{"a":{"b":2}}'],
        [`JSON.MERGE new $.x '{"y":null}'`, "OK"],
        ["JSON.GET new $.x", '[{"y":null}]'],
        [`JSON.MERGE new $.z null`, "OK"],
        ["JSON.GET new", '{"a":{"b":2},"x":{"y":null}}'],
        ["JSON.MERGE new $ 1 BOGUS", err("ERR syntax error")],
      ]);
    });
  });
});

describe("JSON.DEL / JSON.FORGET / JSON.CLEAR", () => {
  test("deleting paths, the root, and counting", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":1,"nested":{"a":2,"b":3},"arr":[1,2,3,4,5]}'`);
      await run(c, [
        ["JSON.DEL doc $..a", 2],
        ["JSON.GET doc", '{"arr":[1,2,3,4,5],"nested":{"b":3}}'],
        ["JSON.DEL doc $.arr[0,2]", 2],
        ["JSON.GET doc $.arr", "[[2,4,5]]"],
        ["JSON.DEL doc '$.arr[?(@>3)]'", 2],
        ["JSON.GET doc $.arr", "[[2]]"],
        ["JSON.FORGET doc .nested.b", 1],
        ["JSON.DEL doc .nope", 0],
        ["JSON.DEL doc $.nope", 0],
        ["JSON.GET doc", '{"arr":[2],"nested":{}}'],
        ["JSON.DEL doc", 1],
        ["EXISTS doc", 0],
        ["JSON.DEL doc", 0],
        [`JSON.SET doc $ '[1]'`, "OK"],
        ["JSON.DEL doc $", 1],
        ["EXISTS doc", 0],
        [`JSON.SET doc $ '{"x":{"y":{"z":1}}}'`, "OK"],
        ["JSON.DEL doc $..*", 1],
        ["JSON.GET doc", "{}"],
      ]);
    });
  });

  test("removing an object key moves the last key into its place, as RedisJSON does", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.SET doc $ '{"a":1,"b":2,"c":3,"d":4}'`, "OK"],
        ["JSON.DEL doc $.a", 1],
        ["JSON.GET doc", '{"d":4,"b":2,"c":3}'],
        ["JSON.DEL doc \"$['b','d']\"", 2],
        ["JSON.GET doc", '{"c":3}'],
      ]);
    });
  });

  test("CLEAR empties containers and zeroes numbers", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"obj":{"a":1,"b":2},"arr":[1,2,3],"str":"foo","bool":true,"int":42,"float":3.14,"zero":0,"e":[]}'`);
      await run(c, [
        ["JSON.CLEAR doc $.*", 4],
        ["JSON.GET doc $", '[{"obj":{},"arr":[],"str":"foo","bool":true,"int":0,"float":0,"zero":0,"e":[]}]'],
        ["JSON.CLEAR doc $.*", 0],
        ["JSON.SET doc $.arr '[1]'", "OK"],
        ["JSON.CLEAR doc .arr", 1],
        ["JSON.CLEAR doc", 1],
        ["JSON.GET doc", "{}"],
        ["JSON.CLEAR doc $.nope", 0],
        ["JSON.CLEAR missing", NO_KEY],
      ]);
    });
  });
});

describe("types, strings, booleans", () => {
  test("JSON.TYPE (RESP3 wraps the reply in an array)", async () => {
    await both(async (c, proto) => {
      await call(c, `JSON.SET doc $ ${DOC}`);
      const w = (x: unknown) => (proto === 3 ? [x] : x);
      await run(c, [
        ["JSON.TYPE doc", w("object")],
        ["JSON.TYPE doc .a", w("integer")],
        ["JSON.TYPE doc .c.e", w("number")],
        ["JSON.TYPE doc .g", w("null")],
        ["JSON.TYPE doc .nope", w(null)],
        ["JSON.TYPE doc $.*", w(["integer", "array", "object", "boolean", "null", "string"])],
        ["JSON.TYPE doc $..nope", w([])],
        ["JSON.TYPE missing", w(null)],
        ["JSON.TYPE missing $", w(null)],
      ]);
    });
  });

  test("JSON.STRLEN / JSON.STRAPPEND", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":"foo","nested":{"a":"hello"},"nested2":{"a":31}}'`);
      await run(c, [
        ["JSON.STRLEN doc $..a", [3, 5, null]],
        ["JSON.STRAPPEND doc $..a '\"baz\"'", [6, 8, null]],
        ["JSON.GET doc $..a", '["foobaz","hellobaz",31]'],
        ["JSON.STRLEN doc .a", 6],
        ["JSON.STRAPPEND doc .a '\"!\"'", 7],
        ["JSON.STRLEN doc .nested2.a", err("WRONGTYPE wrong type of path value - expected string but found integer")],
        ["JSON.STRLEN doc .nope", err("ERR Path '$.nope' does not exist")],
        ["JSON.STRAPPEND doc .nested2.a '\"x\"'", err("ERR Path '$.nested2.a' does not exist or not a string")],
        ["JSON.STRAPPEND doc $.nested2.a '\"x\"'", [null]],
        ["JSON.STRLEN missing", null],
        ["JSON.STRLEN missing $", NO_KEY],
        ["JSON.STRAPPEND missing $ '\"x\"'", NO_KEY],
        [`JSON.SET s $ '"abc"'`, "OK"],
        ["JSON.STRAPPEND s '\"de\"'", 5],
        ["JSON.GET s", '"abcde"'],
        [["JSON.STRAPPEND", "s", ".", '"é"'], 7],
        ["JSON.STRLEN s", 7],
      ]);
    });
  });

  test("JSON.TOGGLE", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"bool":true,"n":{"bool":false},"x":1}'`);
      await run(c, [
        ["JSON.TOGGLE doc $.bool", [0]],
        ["JSON.GET doc $", '[{"bool":false,"n":{"bool":false},"x":1}]'],
        ["JSON.TOGGLE doc $..bool", [1, 1]],
        ["JSON.TOGGLE doc $.x", [null]],
        ["JSON.TOGGLE doc .bool", "false"],
        ["JSON.TOGGLE doc .bool", "true"],
        ["JSON.TOGGLE doc .x", err("ERR Path '$.x' does not exist or not a bool")],
        ["JSON.TOGGLE missing $", NO_KEY],
      ]);
    });
  });
});

describe("numbers", () => {
  test("JSON.NUMINCRBY / JSON.NUMMULTBY reply shapes", async () => {
    await both(async (c, proto) => {
      await call(c, `JSON.SET doc . '{"a":"b","b":[{"a":2}, {"a":5}, {"a":"c"}]}'`);
      const r3 = proto === 3;
      await run(c, [
        ["JSON.NUMINCRBY doc $.a 2", r3 ? [null] : "[null]"],
        ["JSON.NUMINCRBY doc $..a 2", r3 ? [null, 4, 7, null] : "[null,4,7,null]"],
        ["JSON.NUMINCRBY doc $..a 1.5", r3 ? [null, dbl("5.5"), dbl("8.5"), null] : "[null,5.5,8.5,null]"],
        ["JSON.NUMMULTBY doc $..a 2", r3 ? [null, dbl("11"), dbl("17"), null] : "[null,11.0,17.0,null]"],
        ["JSON.GET doc $..a", '["b",11.0,17.0,"c"]'],
        ["JSON.NUMINCRBY doc .b[0].a 1", r3 ? [dbl("12")] : "12.0"],
        ["JSON.NUMINCRBY doc .a 1", r3 ? [null] : err("ERR Path '$.a' does not exist or does not contains a number")],
        ["JSON.NUMINCRBY doc $.nope 1", r3 ? [] : "[]"],
        ["JSON.NUMINCRBY missing $ 1", NO_KEY],
        [`JSON.SET n $ '{"i":10,"f":1.0,"big":9223372036854775807}'`, "OK"],
        ["JSON.NUMINCRBY n .i 5", r3 ? [15] : "15"],
        ["JSON.NUMMULTBY n .i -2", r3 ? [-30] : "-30"],
        ["JSON.NUMINCRBY n .i 1.0", r3 ? [dbl("-29")] : "-29.0"],
        ["JSON.TYPE n .i", r3 ? ["number"] : "number"],
        ["JSON.NUMINCRBY n .f 1", r3 ? [dbl("2")] : "2.0"],
        ["JSON.NUMINCRBY n .big 1", r3 ? [-9223372036854775808] : "-9223372036854775808"],
        ["JSON.GET n $.big", "[-9223372036854775808]"],
        ["JSON.NUMMULTBY n .f 1e-7", r3 ? [dbl("1.9999999999999999e-07")] : "2e-7"],
        ["JSON.NUMINCRBY n $.i 1e400", err("number out of range at line 1 column 5")],
      ]);
    });
  });

  test("a failing number update changes nothing", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '[1, 1.5e308, 2]'`);
      await run(c, [
        ["JSON.NUMMULTBY doc $[*] 10", err("ERR result is not a number")],
        ["JSON.GET doc", "[1,1.5e308,2]"],
      ]);
    });
  });
});

describe("arrays", () => {
  test("JSON.ARRAPPEND / JSON.ARRINSERT / JSON.ARRLEN", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":[1],"b":{"a":[]},"c":{"a":"x"}}'`);
      await run(c, [
        ["JSON.ARRAPPEND doc $..a 2 '\"three\"'", [3, 2, null]],
        ["JSON.GET doc $..a", '[[1,2,"three"],[2,"three"],"x"]'],
        ["JSON.ARRAPPEND doc .a '{\"k\":null}'", 4],
        ["JSON.ARRAPPEND doc .c.a 1", err("ERR Path '.c.a' does not exist or not an array")],
        ["JSON.ARRAPPEND doc $.nope 1", []],
        ["JSON.ARRINSERT doc $.a 0 0", [5]],
        ["JSON.ARRINSERT doc $.a -1 '\"pre-last\"'", [6]],
        ["JSON.ARRINSERT doc .a 6 end", err("expected value at line 1 column 1")],
        ["JSON.ARRINSERT doc .a 6 '\"end\"'", 7],
        ["JSON.ARRINSERT doc $.a 8 1", err("ERR index out of bounds")],
        ["JSON.ARRINSERT doc $.a -8 1", err("ERR index out of bounds")],
        ["JSON.ARRINSERT doc .c.a 0 1", err("ERR Path '$.c.a' does not exist or not an array")],
        ["JSON.GET doc .a", '[0,1,2,"three","pre-last",{"k":null},"end"]'],
        ["JSON.ARRLEN doc $..a", [7, 2, null]],
        ["JSON.ARRLEN doc .a", 7],
        ["JSON.ARRLEN doc .c.a", err("ERR Path '.c.a' does not exist or not an array")],
        ["JSON.ARRLEN doc .nope", err("ERR Path '.nope' does not exist or not an array")],
        ["JSON.ARRLEN doc", err("ERR Path '.' does not exist or not an array")],
        ["JSON.ARRLEN missing", null],
        ["JSON.ARRLEN missing $", NO_KEY],
        ["JSON.ARRAPPEND missing $ 1", NO_KEY],
      ]);
    });
  });

  test("JSON.ARRINDEX: strict types, start and stop", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":[1,2,3,2,1.0,"2",[2],{"x":2}],"s":"x"}'`);
      await run(c, [
        ["JSON.ARRINDEX doc $.a 2", [1]],
        ["JSON.ARRINDEX doc .a 2", 1],
        ["JSON.ARRINDEX doc .a 2 2", 3],
        ["JSON.ARRINDEX doc .a 2 -5", 3],
        ["JSON.ARRINDEX doc .a 2 2 3", -1],
        ["JSON.ARRINDEX doc .a 2 0 -7", -1],
        ["JSON.ARRINDEX doc .a 2 0 -6", 1],
        ["JSON.ARRINDEX doc .a 2 5 1", -1],
        ["JSON.ARRINDEX doc .a 1.0", 4],
        ["JSON.ARRINDEX doc .a '\"2\"'", 5],
        ["JSON.ARRINDEX doc .a '[2]'", 6],
        ["JSON.ARRINDEX doc .a '{\"x\":2}'", 7],
        ["JSON.ARRINDEX doc .a 9", -1],
        ["JSON.ARRINDEX doc $.* 2", [1, null]],
        ["JSON.ARRINDEX doc .s 1", err("WRONGTYPE wrong type of path value - expected array but found string")],
        ["JSON.ARRINDEX doc .nope 1", err("ERR Path '$.nope' does not exist")],
        ["JSON.ARRINDEX missing $.a 1", err("ERR Path '$.a' does not exist")],
        ["JSON.ARRINDEX doc .a x", err("expected value at line 1 column 1")],
      ]);
    });
  });

  test("JSON.ARRPOP", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":[1,2,3,4],"b":{"a":[]},"c":{"a":"x"},"d":[[1,{"k":"v"}]]}'`);
      await run(c, [
        ["JSON.ARRPOP doc $..a", ["4", null, null]],
        ["JSON.ARRPOP doc $.a 0", ["1"]],
        ["JSON.ARRPOP doc .a -1", "3"],
        ["JSON.ARRPOP doc .a 99", "2"],
        ["JSON.ARRPOP doc .a", null],
        ["JSON.ARRPOP doc .c.a", err("ERR Path '$.c.a' does not exist or not an array")],
        ["JSON.ARRPOP doc $.d[0] notanumber", ['{"k":"v"}']],
        ["JSON.ARRPOP doc .d", "[1]"],
        ["JSON.GET doc", '{"a":[],"b":{"a":[]},"c":{"a":"x"},"d":[]}'],
        ["JSON.ARRPOP missing", NO_KEY],
        [`JSON.SET r $ '[1,"two"]'`, "OK"],
        ["JSON.ARRPOP r", '"two"'],
        ["JSON.ARRPOP r", "1"],
        ["JSON.ARRPOP r", null],
      ]);
    });
  });

  test("JSON.ARRPOP FORMAT (RESP3 only)", async () => {
    const c2 = await conn(2);
    await c2.call("FLUSHALL");
    await run(c2, [
      [`JSON.SET doc $ '[[1,{"k":1.5}]]'`, "OK"],
      ["JSON.ARRPOP doc FORMAT EXPAND $[0]", err("ERR FORMAT argument is not supported on RESP2")],
    ]);
    c2.close();
    const c3 = await conn(3);
    await run(c3, [
      ["JSON.ARRPOP doc FORMAT STRING $[0]", err("ERR wrong reply format")],
      ["JSON.ARRPOP doc FORMAT EXPAND .", err("Legacy paths are supported only with FORMAT STRINGS")],
      ["JSON.ARRPOP doc FORMAT EXPAND $[0]", [{ map: { k: dbl("1.5") } }]],
      ["JSON.ARRPOP doc FORMAT EXPAND1 $[0]", [1]],
    ]);
    c3.close();
  });

  test("JSON.ARRTRIM", async () => {
    await both(async (c) => {
      await run(c, [
        [`JSON.SET a $ '[0,1,2,3,4,5,6,7,8,9]'`, "OK"],
        ["JSON.ARRTRIM a $ 1 3", [3]],
        ["JSON.GET a", "[1,2,3]"],
        ["JSON.ARRTRIM a . 1 -1", 2],
        ["JSON.GET a", "[2,3]"],
        ["JSON.ARRTRIM a . -5 100", 2],
        ["JSON.ARRTRIM a . 5 9", 0],
        ["JSON.GET a", "[]"],
        [`JSON.SET a $ '{"x":[1,2,3],"y":{"x":[4,5]},"z":{"x":1}}'`, "OK"],
        ["JSON.ARRTRIM a $..x 0 0", [1, 1, null]],
        ["JSON.ARRTRIM a $..x 1 0", [0, 0, null]],
        ["JSON.ARRTRIM a .z.x 0 1", err("ERR Path '$.z.x' does not exist or not an array")],
        ["JSON.ARRTRIM missing $ 0 1", NO_KEY],
      ]);
    });
  });
});

describe("objects, RESP, DEBUG", () => {
  test("JSON.OBJKEYS / JSON.OBJLEN", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET doc $ '{"a":[3],"nested":{"a":{"b":2,"c":1}},"o":{}}'`);
      await run(c, [
        ["JSON.OBJKEYS doc", ["a", "nested", "o"]],
        ["JSON.OBJKEYS doc $..a", [null, ["b", "c"]]],
        ["JSON.OBJKEYS doc .nested.a", ["b", "c"]],
        ["JSON.OBJKEYS doc .o", []],
        ["JSON.OBJKEYS doc .nope", null],
        ["JSON.OBJKEYS doc .a", err("ERR Path '$.a' does not exist or not an object")],
        ["JSON.OBJKEYS missing", null],
        ["JSON.OBJKEYS missing $", NO_KEY],
        ["JSON.OBJLEN doc $..a", [null, 2]],
        ["JSON.OBJLEN doc", 3],
        ["JSON.OBJLEN doc .o", 0],
        ["JSON.OBJLEN doc .nope", null],
        ["JSON.OBJLEN doc .a", err("WRONGTYPE wrong type of path value - expected object but found array")],
        ["JSON.OBJLEN missing", null],
        ["JSON.OBJLEN missing $.x", err("ERR Path '$.x' does not exist or not an object")],
      ]);
    });
  });

  test("JSON.RESP encodes values as RESP (example from the command reference)", async () => {
    await call(await conn(2), "FLUSHALL");
    const item = `'{"name":"Wireless earbuds","connection":{"wireless":true,"type":"Bluetooth"},"price":64.99,"stock":17,"colors":["black","white"],"n":null}'`;
    const c2 = await conn(2);
    await call(c2, `JSON.SET item $ ${item}`);
    expect(await c2.call(...args("JSON.RESP item"))).toBe(
      "*13\r\n+{\r\n$4\r\nname\r\n$16\r\nWireless earbuds\r\n$10\r\nconnection\r\n*5\r\n+{\r\n$8\r\nwireless\r\n+true\r\n$4\r\ntype\r\n$9\r\nBluetooth\r\n" +
        "$5\r\nprice\r\n$18\r\n64.989999999999995\r\n$5\r\nstock\r\n:17\r\n$6\r\ncolors\r\n*3\r\n+[\r\n$5\r\nblack\r\n$5\r\nwhite\r\n$1\r\nn\r\n$-1\r\n",
    );
    expect(await c2.call(...args("JSON.RESP item $.colors"))).toBe("*1\r\n*3\r\n+[\r\n$5\r\nblack\r\n$5\r\nwhite\r\n");
    expect(await c2.call(...args("JSON.RESP item .price"))).toBe("$18\r\n64.989999999999995\r\n");
    expect(await c2.call(...args("JSON.RESP item .nope"))).toBe("-ERR Path '$.nope' does not exist\r\n");
    expect(await c2.call(...args("JSON.RESP missing"))).toBe("$-1\r\n");
    const c3 = await conn(3);
    expect(await c3.call(...args("JSON.RESP item $..n"))).toBe("*1\r\n_\r\n");
    expect(await c3.call(...args("JSON.RESP item .price"))).toBe(",64.989999999999995\r\n");
    expect(await c3.call(...args("JSON.RESP item .connection"))).toBe("*5\r\n+{\r\n$8\r\nwireless\r\n+true\r\n$4\r\ntype\r\n$9\r\nBluetooth\r\n");
    c2.close();
    c3.close();
  });

  test("JSON.DEBUG MEMORY / HELP", async () => {
    await both(async (c) => {
      // the command reference's example
      await call(
        c,
        `JSON.SET item:2 $ '{"name":"Wireless earbuds","description":"Wireless Bluetooth in-ear headphones","connection":{"wireless":true,"type":"Bluetooth"},"price":64.99,"stock":17,"colors":["black","white"], "max_level":[80, 100, 120]}'`,
      );
      expect(await call(c, "JSON.DEBUG MEMORY item:2")).toBe(253);
      await call(c, `JSON.SET doc $ '{"a":[1,2],"s":"abc"}'`);
      const whole = (await call(c, "JSON.DEBUG MEMORY doc")) as number;
      expect(whole).toBeGreaterThan(0);
      await run(c, [
        ["JSON.DEBUG MEMORY doc $", [whole]],
        ["JSON.DEBUG MEMORY doc .s", 11],
        ["JSON.DEBUG MEMORY doc $..*", [24, 11, 8, 8]],
        ["JSON.DEBUG MEMORY missing", 0],
        ["JSON.DEBUG MEMORY missing $", []],
        ["JSON.DEBUG MEMORY doc .nope", err("ERR Path '$.nope' does not exist")],
        ["JSON.DEBUG BOGUS", err("ERR unknown subcommand - try `JSON.DEBUG HELP`")],
      ]);
      const help = (await call(c, "JSON.DEBUG HELP")) as string[];
      expect(help.length).toBe(2);
      expect(help[0]).toStartWith("MEMORY <key> [path]");
    });
  });
});

describe("path forms", () => {
  const store =
    `'{"inventory":{"headphones":[{"id":12345,"name":"Noise-cancelling Bluetooth headphones","wireless":true,"connection":"Bluetooth","price":99.98,"stock":25,"free-shipping":false,"colors":["black","silver"]},` +
    `{"id":12346,"name":"Wireless earbuds","wireless":true,"connection":"Bluetooth","price":64.99,"stock":17,"free-shipping":false,"colors":["black","white"]},` +
    `{"id":12347,"name":"Mic headset","wireless":false,"connection":"USB","price":35.01,"stock":28,"free-shipping":false}],` +
    `"keyboards":[{"id":22345,"name":"Wireless keyboard","wireless":true,"connection":"Bluetooth","price":44.99,"stock":23,"free-shipping":false,"colors":["black","silver"]},` +
    `{"id":22346,"name":"USB-C keyboard","wireless":false,"connection":"USB-C","price":29.99,"stock":30,"free-shipping":false}]}}'`;

  test("the path reference's examples", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET store $ ${store}`);
      await run(c, [
        ["JSON.GET store $.inventory.headphones[*].name", '["Noise-cancelling Bluetooth headphones","Wireless earbuds","Mic headset"]'],
        [`JSON.GET store '$.inventory["headphones"][*].name'`, '["Noise-cancelling Bluetooth headphones","Wireless earbuds","Mic headset"]'],
        ["JSON.GET store $..headphones[*].name", '["Noise-cancelling Bluetooth headphones","Wireless earbuds","Mic headset"]'],
        ["JSON.GET store $..name", '["Noise-cancelling Bluetooth headphones","Wireless earbuds","Mic headset","Wireless keyboard","USB-C keyboard"]'],
        ["JSON.GET store $..headphones[0:2].name", '["Noise-cancelling Bluetooth headphones","Wireless earbuds"]'],
        ["JSON.GET store $..headphones[?(@.price<70&&@.wireless==true)].id", "[12346]"],
        [`JSON.GET store '$.inventory.*[?(@.connection=="Bluetooth")].name'`, '["Noise-cancelling Bluetooth headphones","Wireless earbuds","Wireless keyboard"]'],
        [`JSON.GET store '$.inventory.keyboards[?(@.connection =~ "(?i)usb")].id'`, "[22346]"],
        [`JSON.SET store '$.inventory.keyboards[0].regex_pat' '"(?i)bluetooth"'`, "OK"],
        [`JSON.SET store '$.inventory.keyboards[1].regex_pat' '"usb"'`, "OK"],
        [`JSON.GET store '$.inventory.keyboards[?(@.connection =~ @.regex_pat)].id'`, "[22345]"],
        ["JSON.GET store $..headphones[0].price", "[99.98]"],
        ["JSON.SET store $..headphones[0].price 78.99", "OK"],
        ["JSON.GET store $..headphones[0].price", "[78.99]"],
        ["JSON.SET store $.inventory.*[?(@.price>49)].free-shipping true", "OK"],
        ["JSON.GET store $.inventory.*[?(@.free-shipping==true)].name", '["Noise-cancelling Bluetooth headphones","Wireless earbuds"]'],
        [`JSON.ARRAPPEND store $..headphones[0].colors '"pink"'`, [3]],
        ["JSON.GET store $..headphones[0].colors", '[["black","silver","pink"]]'],
        ["JSON.GET store .inventory.headphones[1].id", "12346"],
        [["JSON.GET", "store", 'inventory["keyboards"][-1].id'], "22346"],
        [["JSON.GET", "store", `['inventory']["keyboards"][0].id`], "22345"],
      ]);
    });
  });

  test("brackets, unions, slices, wildcards, recursive descent and filter operators", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET d $ '{"arr":[0,1,2,3,4,5],"o":{"a":1,"b":"x","c":[true]},"k e":"sp","q\\"t":1,"n":[{"v":1,"t":"a"},{"v":2,"t":"b"},{"v":3,"t":"c","x":null}]}'`);
      await run(c, [
        ["JSON.GET d $.arr[0]", "[0]"],
        ["JSON.GET d $.arr[-2]", "[4]"],
        ["JSON.GET d $.arr[6]", "[]"],
        ["JSON.GET d $.arr[-10]", "[0]"],
        ["JSON.GET d $.arr[0,3,-1]", "[0,3,5]"],
        ["JSON.GET d $.arr[2:4]", "[2,3]"],
        ["JSON.GET d $.arr[:2]", "[0,1]"],
        ["JSON.GET d $.arr[4:]", "[4,5]"],
        ["JSON.GET d $.arr[::2]", "[0,2,4]"],
        ["JSON.GET d $.arr[1:5:3]", "[1,4]"],
        ["JSON.GET d $.arr[-3:-1]", "[3,4]"],
        ["JSON.GET d $.o.*", '[1,"x",[true]]'],
        ["JSON.GET d $.o[*]", '[1,"x",[true]]'],
        [`JSON.GET d "$.o['a','b']"`, '[1,"x"]'],
        [`JSON.GET d '$.o["c"][0]'`, "[true]"],
        [`JSON.GET d "$['k e']"`, '["sp"]'],
        [["JSON.GET", "d", `$['q"t']`], "[1]"],
        ["JSON.GET d $..v", "[1,2,3]"],
        ["JSON.GET d $..[0]", '[0,true,{"v":1,"t":"a"}]'],
        ["JSON.GET d '$.n[?(@.v>1)].t'", '["b","c"]'],
        ["JSON.GET d '$.n[?(@.v>=2)].t'", '["b","c"]'],
        ["JSON.GET d '$.n[?(@.v<2)].t'", '["a"]'],
        ["JSON.GET d '$.n[?(@.v<=2)].t'", '["a","b"]'],
        ["JSON.GET d '$.n[?(@.v==2)].t'", '["b"]'],
        ["JSON.GET d '$.n[?(@.v!=2)].t'", '["a","c"]'],
        [`JSON.GET d '$.n[?(@.t=~"^[ab]")].v'`, "[1,2]"],
        [`JSON.GET d '$.n[?(@.v==1 || @.t=="c")].v'`, "[1,3]"],
        [`JSON.GET d '$.n[?(@.v>1 && @.t!="c")].v'`, "[2]"],
        [`JSON.GET d '$.n[?(!(@.v>1))].v'`, "[1]"],
        [`JSON.GET d '$.n[?((@.v==1 || @.v==2) && @.t=="b")].v'`, "[2]"],
        ["JSON.GET d '$.n[?(@.x)].v'", "[3]"],
        ["JSON.GET d '$.n[?(@.x==null)].v'", "[3]"],
        ["JSON.GET d '$.n[?(@.v==$.o.a)].t'", '["a"]'],
        ["JSON.GET d '$.n[?(@.v > 1.5)].v'", "[2,3]"],
        ["JSON.GET d '$.o.c[?(@==true)]'", "[true]"],
        ["JSON.GET d '$.o.c[?(@==false)]'", "[]"],
        ["JSON.GET d '$.arr[?(@ > 3)]'", "[4,5]"],
        ["JSON.GET d '$.o[?(@ == \"x\")]'", '["x"]'],
      ]);
    });
  });
});

describe("integration with the rest of the server", () => {
  test("TYPE, OBJECT ENCODING, EXISTS, DEL, EXPIRE, RENAME, COPY, MOVE, SCAN TYPE", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET j $ '{"a":[1]}'`);
      await c.call("SET", "s", "x");
      await run(c, [
        ["TYPE j", "ReJSON-RL"],
        ["OBJECT ENCODING j", "raw"],
        ["EXISTS j", 1],
        ["EXPIRE j 100", 1],
        ["JSON.SET j $.b 1", "OK"],
        ["TTL j", 100],
        ["JSON.SET j $ '{\"a\":[1]}'", "OK"],
        ["TTL j", 100],
        ["RENAME j j2", "OK"],
        ["JSON.GET j2", '{"a":[1]}'],
        ["COPY j2 j3", 1],
        ["JSON.ARRAPPEND j3 $.a 2", [2]],
        ["JSON.GET j2", '{"a":[1]}'],
        ["JSON.GET j3", '{"a":[1,2]}'],
      ]);
      const scan = (await call(c, "SCAN 0 TYPE ReJSON-RL COUNT 100")) as [string, string[]];
      expect([scan[0], scan[1].sort()]).toEqual(["0", ["j2", "j3"]]);
      await run(c, [
        ["MOVE j3 1", 1],
        ["SELECT 1", "OK"],
        ["JSON.GET j3 $.a", "[[1,2]]"],
        ["SELECT 0", "OK"],
        ["DEL j2", 1],
        ["JSON.GET j2", null],
      ]);
    });
  });

  test("MULTI / EXEC queue JSON commands", async () => {
    await both(async (c) => {
      await run(c, [
        ["MULTI", "OK"],
        ["JSON.SET t $ '{\"n\":1}'", "QUEUED"],
        ["JSON.NUMINCRBY t $.n 2", "QUEUED"],
        ["JSON.GET t", "QUEUED"],
      ]);
      const res = (await call(c, "EXEC")) as unknown[];
      expect(res[0]).toBe("OK");
      expect(res[2]).toBe('{"n":3}');
    });
  });

  test("keyspace notifications use the module class and RedisJSON's event names", async () => {
    const sub = await conn(2);
    const c = await conn(2);
    await c.call("FLUSHALL");
    await c.call("CONFIG", "SET", "notify-keyspace-events", "KEd");
    expect(decode(await sub.call("PSUBSCRIBE", "__keyevent@0__:json.*"))).toEqual(["psubscribe", "__keyevent@0__:json.*", 1]);
    const cmds = [
      "JSON.SET k $ '{\"a\":[1],\"n\":1,\"s\":\"x\",\"b\":true}'",
      "JSON.ARRAPPEND k $.a 2",
      "JSON.ARRINSERT k $.a 0 0",
      "JSON.ARRPOP k $.a",
      "JSON.ARRTRIM k $.a 0 0",
      "JSON.NUMINCRBY k $.n 1",
      "JSON.NUMMULTBY k $.n 2",
      "JSON.STRAPPEND k $.s '\"y\"'",
      "JSON.TOGGLE k $.b",
      "JSON.CLEAR k $.a",
      "JSON.MERGE k $ '{\"m\":1}'",
      "JSON.MSET k $.m 2",
      "JSON.DEL k $.m",
      "JSON.DEL k",
    ];
    for (const cmd of cmds) await c.call(...args(cmd));
    const events: string[] = [];
    for (let i = 0; i < cmds.length; i++) {
      const m = decode(await sub.read()) as string[];
      expect(m[3]).toBe("k");
      events.push(m[2]!.slice("__keyevent@0__:".length));
    }
    expect(events).toEqual([
      "json.set",
      "json.arrappend",
      "json.arrinsert",
      "json.arrpop",
      "json.arrtrim",
      "json.numincrby",
      "json.nummultby",
      "json.strappend",
      "json.toggle",
      "json.clear",
      "json.merge",
      "json.mset",
      "json.del",
      "json.del",
    ]);
    // no-ops publish nothing
    await c.call(...args("JSON.SET k $ 1 XX"));
    expect(await sub.silent(150)).toBe(true);
    await c.call("CONFIG", "SET", "notify-keyspace-events", "");
    sub.close();
    c.close();
  });

  test("COMMAND INFO describes the JSON commands as module commands", async () => {
    const c = await conn(2);
    const info = decode(await c.call("COMMAND", "INFO", "json.get", "json.set", "json.mget", "json.mset")) as unknown[][];
    expect(info[0]!.slice(0, 6)).toEqual(["json.get", -2, ["readonly", "module"], 1, 1, 1]);
    expect(info[1]!.slice(0, 6)).toEqual(["json.set", -4, ["write", "denyoom", "module"], 1, 1, 1]);
    expect(info[2]!.slice(0, 6)).toEqual(["json.mget", -3, ["readonly", "module"], 1, -2, 1]);
    expect(info[3]!.slice(0, 6)).toEqual(["json.mset", -4, ["write", "denyoom", "module"], 1, -1, 3]);
    c.close();
  });

  test.skipIf(!hasEval)("Lua scripts call JSON commands", async () => {
    await both(async (c) => {
      await run(c, [
        ["EVAL \"return redis.call('JSON.SET', KEYS[1], '$', ARGV[1])\" 1 lj '{\"a\":[1,2]}'", "OK"],
        ["EVAL \"return redis.call('JSON.GET', KEYS[1], '$.a')\" 1 lj", "[[1,2]]"],
        ["EVAL \"return redis.call('JSON.ARRLEN', KEYS[1], '$.a')\" 1 lj", [2]],
        ["EVAL \"return redis.pcall('JSON.GET', KEYS[1], '.nope')\" 1 lj", err("ERR Path '$.nope' does not exist")],
      ]);
    });
  });

  test.skipIf(!hasDump)("DUMP / RESTORE round-trips a document", async () => {
    await both(async (c) => {
      await call(c, `JSON.SET j $ '{"a":[1,1.0,"x",{"k":null}],"big":18446744073709551615}'`);
      const raw = Buffer.from(await c.call("DUMP", "j"), "latin1");
      expect(raw[0]).toBe(36); // a bulk payload
      const payload = raw.subarray(raw.indexOf("\r\n") + 2, raw.length - 2);
      await run(c, [
        [["RESTORE", "j2", "0", payload], "OK"],
        ["TYPE j2", "ReJSON-RL"],
        ["JSON.GET j2", '{"a":[1,1.0,"x",{"k":null}],"big":18446744073709551615}'],
      ]);
    });
  });
});

describe("randomized", () => {
  // A seeded sequence of edits applied both to AiKv and to a tiny model of a document
  // (integers, strings, arrays, objects with RedisJSON's key order rules); after every step
  // the whole document must read back identically.
  test("edits through both path syntaxes agree with a model", async () => {
    let seed = 20240611;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    type M = number | string | boolean | null | M[] | { k: string[]; v: M[] };
    const ser = (m: M): string => {
      if (m === null || typeof m !== "object") return JSON.stringify(m);
      if (Array.isArray(m)) return "[" + m.map(ser).join(",") + "]";
      return "{" + m.k.map((k, i) => JSON.stringify(k) + ":" + ser(m.v[i]!)).join(",") + "}";
    };
    const keys = ["a", "b", "c", "d", "e"];
    const randVal = (depth: number): M => {
      switch (rnd(depth > 1 ? 4 : 6)) {
        case 0:
          return rnd(1000) - 500;
        case 1:
          return ["", "x", "héllo", 'q"t'][rnd(4)]!;
        case 2:
          return rnd(2) === 0;
        case 3:
          return null;
        case 4: {
          const a: M[] = [];
          for (let i = rnd(4); i > 0; i--) a.push(randVal(depth + 1));
          return a;
        }
        default: {
          const o = { k: [] as string[], v: [] as M[] };
          for (const k of keys) if (rnd(2)) (o.k.push(k), o.v.push(randVal(depth + 1)));
          return o;
        }
      }
    };
    const isObj = (m: M): m is { k: string[]; v: M[] } => m !== null && typeof m === "object" && !Array.isArray(m);
    await both(async (c) => {
      seed = 20240611;
      let doc: { k: string[]; v: M[] } = { k: ["a", "b"], v: [[1, 2], { k: ["c"], v: ["s"] }] };
      await call(c, ["JSON.SET", "r", "$", ser(doc)]);
      for (let step = 0; step < 300; step++) {
        const key = keys[rnd(keys.length)]!;
        const legacy = rnd(2) === 0;
        const path = legacy ? `.${key}` : `$.${key}`;
        const i = doc.k.indexOf(key);
        const cur = i >= 0 ? doc.v[i]! : undefined;
        switch (rnd(6)) {
          case 0: {
            const v = randVal(1);
            await call(c, ["JSON.SET", "r", path, ser(v)]);
            if (i >= 0) doc.v[i] = v;
            else (doc.k.push(key), doc.v.push(v));
            break;
          }
          case 1: {
            const n = (await call(c, ["JSON.DEL", "r", path])) as number;
            expect(n).toBe(i >= 0 ? 1 : 0);
            if (i >= 0) {
              const last = doc.k.length - 1;
              doc.k[i] = doc.k[last]!;
              doc.v[i] = doc.v[last]!;
              doc.k.pop();
              doc.v.pop();
            }
            break;
          }
          case 2: {
            const v = randVal(2);
            const r = await call(c, ["JSON.ARRAPPEND", "r", path, ser(v)]);
            if (Array.isArray(cur)) {
              cur.push(v);
              expect(r).toEqual(legacy ? cur.length : [cur.length]);
            }
            break;
          }
          case 3: {
            const r = await call(c, ["JSON.ARRPOP", "r", path, "0"]);
            if (Array.isArray(cur)) {
              const popped = cur.shift();
              const want = popped === undefined ? null : ser(popped);
              expect(r).toEqual(legacy ? want : [want]);
            }
            break;
          }
          case 4: {
            const by = rnd(20) - 10;
            await call(c, ["JSON.NUMINCRBY", "r", path, String(by)]);
            if (typeof cur === "number") doc.v[i] = cur + by;
            break;
          }
          default: {
            const v = randVal(1);
            await call(c, ["JSON.MERGE", "r", "$", ser({ k: [key], v: [v] })]);
            const apply = (t: M, p: M): M => {
              if (!isObj(p)) return p;
              const o = isObj(t) ? t : { k: [] as string[], v: [] as M[] };
              p.k.forEach((pk, j) => {
                const pv = p.v[j]!;
                const at = o.k.indexOf(pk);
                if (pv === null) {
                  if (at >= 0) {
                    const last = o.k.length - 1;
                    o.k[at] = o.k[last]!;
                    o.v[at] = o.v[last]!;
                    o.k.pop();
                    o.v.pop();
                  }
                } else if (at >= 0) o.v[at] = apply(o.v[at]!, pv);
                else (o.k.push(pk), o.v.push(apply(null, pv)));
              });
              return o;
            };
            doc = apply(doc, { k: [key], v: [v] }) as typeof doc;
          }
        }
        expect({ step, got: await call(c, "JSON.GET r") }).toEqual({ step, got: ser(doc) });
      }
    });
  });
});
