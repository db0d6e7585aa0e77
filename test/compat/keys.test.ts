// Generic key commands and expiry, compared byte for byte with redis-server.
import { describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";

const d = useDiffer();

describe("keys", () => {
  test("DEL UNLINK EXISTS TOUCH TYPE", async () => {
    await d.same(`
      SET a 1
      SET b 2
      EXISTS a b c a
      TOUCH a c
      TYPE a
      TYPE nokey
      DEL a c
      UNLINK b b
      EXISTS a b
      DEL
    `);
  });

  test("RENAME RENAMENX", async () => {
    await d.same(`
      RENAME nokey x
      RENAMENX nokey x
      SET a 1
      RENAME a a
      RENAMENX a a
      SET b 2
      RENAMENX a b
      RENAME a b
      GET b
      EXISTS a
      SET c 3 EX 100
      RENAME c d
      TTL d
      TTL c
    `);
  });

  test("COPY MOVE", async () => {
    await d.same(`
      SET a hello
      COPY a a
      COPY a b
      GET b
      COPY a b
      COPY a b REPLACE
      COPY a b DB 99
      COPY a b DB x
      COPY a b DB 1
      COPY a b foo
      COPY nokey z
      SELECT 1
      GET b
      SELECT 0
      MOVE a 0
      MOVE a 99
      MOVE a x
      MOVE a 2
      MOVE a 2
      MOVE nokey 2
      EXISTS a
      SELECT 2
      GET a
      SET e 1 PX 100000
      MOVE e 3
      SELECT 3
      PTTL e
    `, { normalize: (r, cmd) => (String(cmd[0]).toUpperCase() === "PTTL" && /^:\d{5}/.test(r) ? ":N" : r) });
  });

  test("EXPIRE family with NX XX GT LT, TTL PTTL PERSIST EXPIRETIME", async () => {
    await d.same(`
      SET a 1
      EXPIRE a 10 foo
      EXPIRE a 10 nx xx
      EXPIRE a 10 gt lt
      EXPIRE a 10 nx gt
      EXPIRE a x
      EXPIRE a 9223372036854775807
      EXPIRE a 9223372036854775
      PEXPIRE a 9223372036854775807
      EXPIRE a 100 XX
      EXPIRE a 100 GT
      EXPIRE a 100 NX
      TTL a
      EXPIRE a 50 NX
      EXPIRE a 200 LT
      EXPIRE a 50 LT
      TTL a
      EXPIRE a 80 GT
      TTL a
      PERSIST a
      PERSIST a
      TTL a
      PTTL a
      EXPIRETIME a
      PEXPIRETIME a
      TTL nokey
      PTTL nokey
      EXPIRETIME nokey
      PERSIST nokey
      EXPIREAT a 4102444800
      EXPIRETIME a
      PEXPIREAT a 4102444800123
      PEXPIRETIME a
      EXPIRETIME a
      EXPIRE a -1
      EXISTS a
      SET b 1
      PEXPIREAT b 1
      GET b
      EXPIRE nokey 10
    `);
  });

  test("keys expire lazily and actively", async () => {
    const [a, r] = await d.pair();
    for (const c of [a, r]) {
      await c.call("FLUSHALL");
      await c.call("SET", "x", "1", "PX", "50");
      for (let i = 0; i < 50; i++) await c.call("SET", `k${i}`, "v", "PX", "30");
    }
    await Bun.sleep(120);
    for (const c of [a, r]) expect(await c.call("GET", "x")).toBe("$-1\r\n");
    // Without any access, the active cycle removes the rest.
    await Bun.sleep(400);
    for (const c of [a, r]) expect(await c.call("DBSIZE")).toBe(":0\r\n");
    a.close();
    r.close();
  });

  test("KEYS with glob patterns", async () => {
    const keys = ["hello", "hallo", "hxllo", "hllo", "heeeello", "hillo", "h[llo", "h*llo", "a\\b", "foo:1", "foo:2", "bar"];
    const cmds: Cmd[] = keys.map((k) => ["SET", k, "v"]);
    for (const p of ["h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "h\\[llo", "h\\*llo", "*", "foo:*", "*o*", "[a-c]*", "a\\\\b", "h[", "h[a", "[^", "\\"]) {
      cmds.push(["KEYS", p]);
    }
    await d.same(cmds, { normalize: (r) => r.split("\r\n").sort().join("|") });
  });

  test("SCAN returns every key once the cursor is 0, with MATCH COUNT TYPE", async () => {
    const [a] = await d.pair();
    await a.call("FLUSHALL");
    for (let i = 0; i < 500; i++) await a.call("SET", `key:${i}`, "v");
    await a.call("ZADD", "zkey", "1", "m");
    const seen = new Set<string>();
    let cursor = "0";
    let rounds = 0;
    do {
      const r = await a.call("SCAN", cursor, "COUNT", "37");
      const parts = r.split("\r\n");
      cursor = parts[2]!;
      for (let i = 5; i < parts.length - 1; i += 2) seen.add(parts[i]!);
      rounds++;
    } while (cursor !== "0" && rounds < 1000);
    expect(seen.size).toBe(501);
    const z = await a.call("SCAN", "0", "TYPE", "zset", "COUNT", "1000");
    expect(z).toBe("*2\r\n$1\r\n0\r\n*1\r\n$4\r\nzkey\r\n");
    const m = await a.call("SCAN", "0", "MATCH", "key:1?", "COUNT", "1000");
    expect(m.split("\r\n").filter((l) => l.startsWith("key:")).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `key:1${i}`).sort());
    a.close();
  });

  test("SCAN errors", async () => {
    await d.same(`
      SCAN x
      SCAN 0 COUNT 0
      SCAN 0 COUNT x
      SCAN 0 foo
      SCAN 0 MATCH
      SCAN 0 TYPE foo
      SCAN -1
    `);
  });

  test("SCAN keeps its guarantee under concurrent writes", async () => {
    const [a] = await d.pair();
    const w = await RespConn.connect(d.aikv.port);
    await a.call("FLUSHALL");
    for (let i = 0; i < 1000; i++) await a.call("SET", `stay:${i}`, "v");
    const seen = new Set<string>();
    let cursor = "0";
    let n = 0;
    do {
      const r = await a.call("SCAN", cursor, "COUNT", "20");
      const parts = r.split("\r\n");
      cursor = parts[2]!;
      for (let i = 5; i < parts.length - 1; i += 2) seen.add(parts[i]!);
      for (let j = 0; j < 10; j++) {
        await w.call("SET", `churn:${n}`, "v");
        await w.call("DEL", `churn:${n - 5}`);
        n++;
      }
    } while (cursor !== "0");
    for (let i = 0; i < 1000; i++) expect(seen.has(`stay:${i}`)).toBe(true);
    a.close();
    w.close();
  });

  test("RANDOMKEY", async () => {
    await d.same("RANDOMKEY");
    const [a] = await d.pair();
    await a.call("SET", "only", "1");
    expect(await a.call("RANDOMKEY")).toBe("$4\r\nonly\r\n");
    a.close();
  });

  test("OBJECT subcommands", async () => {
    await d.same(`
      SET int 12345
      SET small hello
      SET big ${"x".repeat(50)}
      SET shared 100
      OBJECT ENCODING int
      OBJECT ENCODING small
      OBJECT ENCODING big
      OBJECT ENCODING nokey
      OBJECT REFCOUNT shared
      OBJECT REFCOUNT small
      OBJECT REFCOUNT nokey
      OBJECT FREQ small
      OBJECT FREQ nokey
      OBJECT IDLETIME nokey
      APPEND small x
      OBJECT ENCODING small
      OBJECT foo
      OBJECT ENCODING
    `);
  });

  test("OBJECT IDLETIME grows while a key is not touched, and OBJECT does not touch it", async () => {
    const [a, r] = await d.pair();
    for (const c of [a, r]) {
      await c.call("SET", "idle", "v");
      await c.call("HSET", "idleh", "f", "v");
    }
    await Bun.sleep(2100);
    for (const c of [a, r]) {
      for (const k of ["idle", "idleh"]) {
        expect(Number((await c.call("OBJECT", "IDLETIME", k)).slice(1))).toBeGreaterThanOrEqual(2);
        expect(Number((await c.call("OBJECT", "IDLETIME", k)).slice(1))).toBeGreaterThanOrEqual(2);
      }
      await c.call("GET", "idle");
      expect(await c.call("OBJECT", "IDLETIME", "idle")).toBe(":0\r\n");
    }
    a.close();
    r.close();
  });

  test("SWAPDB and FLUSHDB affect the right databases", async () => {
    await d.same(`
      SET a 0
      SELECT 1
      SET a 1
      SET b 1
      SWAPDB 0 1
      DBSIZE
      SELECT 0
      DBSIZE
      GET a
      FLUSHDB
      DBSIZE
      SELECT 1
      DBSIZE
    `);
  });
});
