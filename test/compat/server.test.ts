// Server and introspection commands: INFO, MONITOR, SLOWLOG, DEBUG, CLIENT, TIME, MEMORY.
import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";

const d = useDiffer();

describe("server", () => {
  test("INFO has Redis's sections in Redis's order", async () => {
    const [a, r] = await d.pair();
    for (const args of [[], ["all"], ["everything"], ["default"], ["keyspace", "server"], ["nosuchsection"]]) {
      const heads = (s: string) => s.split("\r\n").filter((l) => l.startsWith("#"));
      expect(heads(await a.call("INFO", ...args))).toEqual(heads(await r.call("INFO", ...args)));
    }
    const info = await a.call("INFO", "server");
    expect(info).toContain("redis_version:7.0.15");
    expect(info).toMatch(/tcp_port:\d+/);
    a.close();
    r.close();
  });

  test("INFO keyspace, stats and commandstats count real work", async () => {
    const [a] = await d.pair();
    await a.call("FLUSHALL");
    await a.call("SET", "k", "v", "EX", "100");
    await a.call("SET", "k2", "v");
    await a.call("GET", "k");
    await a.call("GET", "missing");
    await a.call("NOSUCHCMD");
    const info = await a.call("INFO", "all");
    expect(info).toMatch(/db0:keys=2,expires=1,avg_ttl=\d+/);
    expect(info).toMatch(/keyspace_hits:[1-9]/);
    expect(info).toMatch(/keyspace_misses:[1-9]/);
    expect(info).toMatch(/cmdstat_set:calls=\d+,usec=\d+,usec_per_call=[\d.]+,rejected_calls=0,failed_calls=0/);
    expect(info).toMatch(/errorstat_ERR:count=\d+/);
    expect(info).toMatch(/latency_percentiles_usec_get:p50=[\d.]+,p99=[\d.]+,p99\.9=[\d.]+/);
    a.close();
  });

  test("MONITOR lines match redis-server's format", async () => {
    const norm = (s: string) => s.replace(/^\+\d+\.\d{6} \[(\d+) [^\]]+\]/, "+T [$1 ADDR]");
    for (const [port] of [[d.aikv.port], [d.redis.port]]) void port;
    const run = async (port: number) => {
      const m = await RespConn.connect(port);
      expect(await m.call("MONITOR")).toBe("+OK\r\n");
      const c = await RespConn.connect(port);
      await c.call("SET", "a b", 'x"y\n\x01');
      await c.call("SELECT", "2");
      await c.call("GET", "zz");
      await c.call("CONFIG", "GET", "port");
      await c.call("PING");
      const lines = [await m.read(), await m.read(), await m.read(), await m.read()];
      m.close();
      c.close();
      return lines.map(norm);
    };
    expect(await run(d.aikv.port)).toEqual(await run(d.redis.port));
  });

  test("SLOWLOG records slow commands", async () => {
    const [a] = await d.pair();
    await a.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await a.call("SLOWLOG", "RESET");
    await a.call("CLIENT", "SETNAME", "slowpoke");
    await a.call("SET", "x", "y".repeat(200));
    const entries = await a.call("SLOWLOG", "GET", "10");
    expect(entries).toContain("$3\r\nSET\r\n$1\r\nx\r\n");
    expect(entries).toContain("... (72 more bytes)");
    expect(entries).toContain("slowpoke");
    expect(Number((await a.call("SLOWLOG", "LEN")).slice(1))).toBeGreaterThan(0);
    await a.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    expect(await a.call("SLOWLOG", "RESET")).toBe("+OK\r\n");
    a.close();
    await d.same(`
      SLOWLOG GET x
      SLOWLOG GET -2
      SLOWLOG GET 1 2
      SLOWLOG FOO
    `);
  });

  test("DEBUG PROTOCOL in RESP2 and RESP3", async () => {
    const types = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true", "false", "nosuch"];
    for (const proto of [2, 3] as const) {
      const [a, r] = await d.pair(proto);
      for (const t of types) {
        a.send("DEBUG", "PROTOCOL", t);
        r.send("DEBUG", "PROTOCOL", t);
        // push replies are followed by a real reply
        const n = t === "push" && proto === 3 ? 2 : 1;
        for (let i = 0; i < n; i++) expect(await a.read()).toBe(await r.read());
      }
      a.close();
      r.close();
    }
  });

  test("DEBUG subcommands used by tools", async () => {
    const [a] = await d.pair();
    expect(await a.call("DEBUG", "SLEEP", "0")).toBe("+OK\r\n");
    expect(await a.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")).toBe("+OK\r\n");
    await a.call("SET", "e", "1", "PX", "20");
    await Bun.sleep(250);
    expect(await a.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")).toBe("+OK\r\n");
    expect(await a.call("DEBUG", "LOG", "hello")).toBe("+OK\r\n");
    expect(await a.call("DEBUG", "POPULATE", "10", "pk", "5")).toBe("+OK\r\n");
    expect(await a.call("STRLEN", "pk:3")).toBe(":5\r\n");
    expect(await a.call("DEBUG", "OBJECT", "pk:3")).toMatch(/^\+Value at:\S+ refcount:1 encoding:embstr serializedlength:\d+ lru:\d+ lru_seconds_idle:\d+/);
    const dg1 = await a.call("DEBUG", "DIGEST");
    await a.call("SET", "pk:3", "other");
    expect(await a.call("DEBUG", "DIGEST")).not.toBe(dg1);
    expect(await a.call("DEBUG", "ERROR", "MYERR oops")).toBe("-MYERR oops\r\n");
    a.close();
  });

  test("CLIENT commands", async () => {
    await d.same(`
      CLIENT SETNAME "bad name"
      CLIENT SETNAME good
      CLIENT GETNAME
      CLIENT SETNAME ""
      CLIENT GETNAME
      CLIENT REPLY foo
      CLIENT NO-EVICT maybe
      CLIENT NO-EVICT on
      CLIENT KILL 1.2.3.4:5
      CLIENT KILL ID x
      CLIENT KILL ID 0
      CLIENT KILL TYPE foo
      CLIENT KILL ADDR 1.2.3.4:5
      CLIENT KILL foo bar
      CLIENT KILL ID 1 SKIPME maybe
      CLIENT LIST TYPE foo
      CLIENT LIST foo
      CLIENT LIST ID x
      CLIENT PAUSE x
      CLIENT PAUSE 10 foo
      CLIENT UNPAUSE
      CLIENT UNBLOCK x
      CLIENT UNBLOCK 99999
      CLIENT UNBLOCK 99999 foo
    `);
    const [a, r] = await d.pair();
    for (const c of [a, r]) {
      const line = await c.call("CLIENT", "INFO");
      expect(line).toMatch(/id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name= age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=\d+ rbp=\d+ obl=0 oll=0 omem=0 tot-mem=\d+ events=r cmd=client\|info user=default redir=-1 resp=2/);
    }
    a.close();
    r.close();
  });

  test("CLIENT REPLY OFF / SKIP / ON", async () => {
    for (const port of [d.aikv.port]) {
      const c = await RespConn.connect(port);
      c.send("CLIENT", "REPLY", "OFF");
      c.send("PING");
      c.send("CLIENT", "REPLY", "SKIP");
      c.send("PING");
      c.send("CLIENT", "REPLY", "ON");
      expect(await c.read()).toBe("+OK\r\n");
      c.send("CLIENT", "REPLY", "SKIP");
      c.send("ECHO", "skipped");
      c.send("ECHO", "seen");
      expect(await c.read()).toBe("$4\r\nseen\r\n");
      c.close();
    }
  });

  test("CLIENT KILL and CLIENT PAUSE", async () => {
    const victim = await RespConn.connect(d.aikv.port);
    const id = (await victim.call("CLIENT", "ID")).slice(1, -2);
    const [a] = await d.pair();
    expect(await a.call("CLIENT", "KILL", "ID", id)).toBe(":1\r\n");
    expect(await victim.readUntilClose(1000)).toBe("");
    expect(victim.closed).toBe(true);
    // A paused server holds writes until the pause ends.
    expect(await a.call("CLIENT", "PAUSE", "300", "WRITE")).toBe("+OK\r\n");
    const b = await RespConn.connect(d.aikv.port);
    const t0 = Date.now();
    expect(await b.call("GET", "nokey")).toBe("$-1\r\n");
    expect(Date.now() - t0).toBeLessThan(250);
    expect(await b.call("SET", "p", "1")).toBe("+OK\r\n");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    a.close();
    b.close();
  });

  test("TIME, LASTSAVE, MEMORY USAGE, ROLE", async () => {
    const [a, r] = await d.pair();
    const t = (await a.call("TIME")).split("\r\n");
    expect(Math.abs(Number(t[2]) - Date.now() / 1000)).toBeLessThan(5);
    expect(await a.call("LASTSAVE")).toMatch(/^:\d+\r\n$/);
    await a.call("SET", "mu", "x".repeat(100));
    expect(Number((await a.call("MEMORY", "USAGE", "mu")).slice(1))).toBeGreaterThan(100);
    for (const c of [a, r]) await c.call("FLUSHALL");
    expect(await a.call("MEMORY", "USAGE", "nokey")).toBe(await r.call("MEMORY", "USAGE", "nokey"));
    expect(await a.call("MEMORY", "USAGE", "k", "SAMPLES")).toBe(await r.call("MEMORY", "USAGE", "k", "SAMPLES"));
    expect(await a.call("ROLE")).toBe(await r.call("ROLE"));
    a.close();
    r.close();
  });
});

describe("DEBUG DIGEST", () => {
  test("digests equal redis-server's for every type", async () => {
    const script = `
      DEBUG DIGEST
      SET s hello
      SET n 12345
      SET e val EX 1000
      RPUSH l a b c 1 2
      SADD si 1 2 3 100
      SADD sh a b c d
      ZADD zl 1 a 2.5 b -inf c 1e300 d
      HSET h f1 v1 f2 v2
      XADD x 1-1 f v
      XADD x 2-5 a b c d
      DEBUG DIGEST-VALUE s n e l si sh zl h x nokey
      DEBUG DIGEST
      SELECT 1
      SET s hello
      DEBUG DIGEST
    `;
    await d.same(script, { protos: [2] });
    // A big sorted set and hash (skiplist / hashtable encodings).
    const cmds: string[][] = [];
    for (let i = 0; i < 300; i++) cmds.push(["ZADD", "bigz", String(i / 7), `m${i}`], ["HSET", "bigh", `f${i}`, "x".repeat(i % 90)], ["SADD", "bigs", `s${i}`]);
    cmds.push(["DEBUG", "DIGEST-VALUE", "bigz", "bigh", "bigs"], ["DEBUG", "DIGEST"]);
    await d.same(cmds, { protos: [2] });
  });
});
