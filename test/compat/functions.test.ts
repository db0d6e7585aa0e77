// Redis 7 functions compared with redis-server: FUNCTION LOAD (metadata, registration errors,
// REPLACE), FCALL/FCALL_RO, LIST/STATS/DELETE/FLUSH, DUMP/RESTORE payloads exchanged in both
// directions, propagation, and rollback of a failing function (AiKv).
import { describe, expect, test } from "bun:test";
import { useDiffer, parseScript, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { recordingServer } from "../helpers/replication.ts";

const d = useDiffer();

const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;

/** FUNCTION FLUSH first (d.same's FLUSHALL does not drop functions). */
async function sameF(script: string | Cmd[], protos?: (2 | 3)[], normalize?: (r: string) => string): Promise<void> {
  const cmds = typeof script === "string" ? parseScript(script) : script;
  await d.same([["FUNCTION", "FLUSH"], ...cmds], { protos, normalize });
}

describe("FUNCTION LOAD and FCALL", () => {
  test("loading, calling, keys and args, state kept in upvalues", async () => {
    await sameF([
      ["FUNCTION", "LOAD", lib("lib1", "redis.register_function('f1', function(keys, args) return {keys, args} end)")],
      ["FCALL", "f1", "2", "a", "b", "c", "d"],
      ["FCALL", "F1", "0"],
      ["FCALL", "f1", "0", "x"],
      ["FUNCTION", "LOAD", lib("lib2", "local x = 1\nredis.register_function('f2', function(keys, args) x = x + 1 return x end)")],
      ["FCALL", "f2", "0"],
      ["FCALL", "f2", "0"],
      ["FUNCTION", "LOAD", lib("lib3", "redis.register_function('set', function(k, a) return redis.call('set', k[1], a[1]) end)\nredis.register_function('get', function(k) return redis.call('get', k[1]) end)")],
      ["FCALL", "set", "1", "key", "val"],
      ["FCALL", "get", "1", "key"],
      ["FCALL_RO", "get", "1", "key"],
      ["FCALL_RO", "set", "1", "key", "v2"],
      ["FUNCTION", "LOAD", lib("lib4", "redis.register_function{function_name='ro', callback=function(k) return redis.call('set', k[1], 'x') end, flags={'no-writes'}, description='read only'}")],
      ["FCALL", "ro", "1", "key"],
      ["FCALL_RO", "ro", "1", "key"],
      ["FCALL", "nosuch", "0"],
      ["FCALL", "f1", "x"],
      ["FCALL", "f1", "5"],
      ["FCALL", "f1", "-1"],
      ["FCALL"],
    ]);
  });

  test("the environments: load-time API, run-time globals, read-only protection", async () => {
    await sameF([
      ["FUNCTION", "LOAD", lib("l1", "y = 1")],
      ["FUNCTION", "LOAD", lib("l1", "redis.call('ping')")],
      ["FUNCTION", "LOAD", lib("l1", "return redis.setresp(3)")],
      ["FUNCTION", "LOAD", lib("l1", "local t = {} for k,v in pairs(_G) do table.insert(t, k) end")],
      ["FUNCTION", "LOAD", lib("l1", "redis.register_function('x', function() end) error('after')")],
      ["FUNCTION", "LOAD", lib("l1", "local x = nil x.y = 1")],
      ["FUNCTION", "LOAD", lib("l1", "return 1 +")],
      ["FUNCTION", "LOAD", lib("l2", "redis.register_function('f3', function(keys, args) return z end)")],
      ["FCALL", "f3", "0"],
      ["FUNCTION", "LOAD", lib("l3", "redis.register_function('f4', function(keys, args) z = 1 end)")],
      ["FCALL", "f4", "0"],
      ["FUNCTION", "LOAD", lib("l4", "redis.register_function('f5', function(keys, args) return KEYS end)")],
      ["FCALL", "f5", "0"],
      ["FUNCTION", "LOAD", lib("l5", "redis.register_function('ff', function() local t = {} for k,v in pairs(redis) do table.insert(t, k) end table.sort(t) return t end)")],
      ["FCALL", "ff", "0"],
      ["FUNCTION", "LOAD", lib("l6", "redis.log(redis.LOG_WARNING, 'loading') redis.register_function('f6', function() return {redis.REDIS_VERSION, redis.nosuch, redis.register_function} end)")],
      ["FCALL", "f6", "0"],
      ["FUNCTION", "LOAD", lib("l7", "redis.register_function('f7', function() error('boom') end)")],
      ["FCALL", "f7", "0"],
      ["FUNCTION", "LOAD", lib("l8", "redis.register_function('f8', function() return redis.call('nosuch') end)")],
      ["FCALL", "f8", "0"],
      ["FUNCTION", "LOAD", lib("l9", "redis.register_function('f9', function(k, a) return cjson.encode({k[1], a[1]}) end)")],
      ["FCALL", "f9", "1", "key", "arg"],
    ]);
  });

  test("metadata and registration errors", async () => {
    await sameF([
      ["FUNCTION", "LOAD", lib("lib1", "redis.register_function('f1', function() return 1 end)")],
      ["FUNCTION", "LOAD", lib("lib1", "redis.register_function('f1', function() end)")],
      ["FUNCTION", "LOAD", "#!lua\nredis.register_function('f8', function() end)"],
      ["FUNCTION", "LOAD", lib("lib8", "")],
      ["FUNCTION", "LOAD", "#!lua name=lib8 foo=bar\nredis.register_function('x', function() end)"],
      ["FUNCTION", "LOAD", lib("lib8", "redis.register_function('F1', function() end)")],
      ["FUNCTION", "LOAD", "#!lua name=lib-x\nx"],
      ["FUNCTION", "LOAD", "#!lua name=\nx"],
      ["FUNCTION", "LOAD", "#!lua name=a name=b\nx"],
      ["FUNCTION", "LOAD", "#!py name=a\nx"],
      ["FUNCTION", "LOAD", "#!py name=a-b\nx"],
      ["FUNCTION", "LOAD", "no shebang"],
      ["FUNCTION", "LOAD", "#!lua name=x"],
      ["FUNCTION", "LOAD", "#!lua name=l flags=no-writes\nredis.register_function('f7', function() end)"],
      ["FUNCTION", "LOAD", "#!LUA NAME=Upper\nredis.register_function('up', function() return 1 end)"],
      ["FUNCTION", "LOAD", lib("l1", "redis.register_function('f6', 1)")],
      ["FUNCTION", "LOAD", lib("l2", "redis.register_function('f-6', function() end)")],
      ["FUNCTION", "LOAD", lib("l3", "redis.register_function{function_name='f6', callback=function() end, flags={1}}")],
      ["FUNCTION", "LOAD", lib("l3", "redis.register_function{function_name='f6', callback=function() end, flags={'bad'}}")],
      ["FUNCTION", "LOAD", lib("l3", "redis.register_function{function_name='f6', callback=function() end, flags='no-writes'}")],
      ["FUNCTION", "LOAD", lib("l5", "redis.register_function{function_name='f6', callback=function() end, description={}}")],
      ["FUNCTION", "LOAD", lib("l6", "redis.register_function()")],
      ["FUNCTION", "LOAD", lib("l7", "redis.register_function('a', function() end, 'x')")],
      ["FUNCTION", "LOAD", lib("l7", "redis.register_function('a')")],
      ["FUNCTION", "LOAD", lib("l8", "redis.register_function{}")],
      ["FUNCTION", "LOAD", lib("l8", "redis.register_function{function_name='x'}")],
      ["FUNCTION", "LOAD", lib("l8", "redis.register_function{callback=function() end}")],
      ["FUNCTION", "LOAD", lib("l9", "redis.register_function{1}")],
      ["FUNCTION", "LOAD", lib("l9", "redis.register_function{function_name='f6', callback=function() end, bad=1}")],
      ["FUNCTION", "LOAD", lib("l9", "redis.register_function{function_name='f6', callback=1}")],
      ["FUNCTION", "LOAD", lib("l11", "redis.register_function{function_name={}, callback=function() end}")],
      ["FUNCTION", "LOAD", lib("l12", "redis.register_function(nil, function() end)")],
      ["FUNCTION", "LOAD", lib("l13", "redis.register_function('', function() end)")],
      ["FUNCTION", "LOAD", lib("l14", "redis.register_function('d', function() end) redis.register_function('d', function() end)")],
      ["FUNCTION", "LOAD", lib("l15", "redis.register_function{function_name='n1', callback=function() return 1 end, FLAGS={'No-Writes', 'ALLOW-OOM'}, Description=5}")],
      ["FUNCTION", "LIST", "LIBRARYNAME", "l15"],
      ["FUNCTION", "LOAD", lib("l16", "redis.register_function(7, function() return 7 end)")],
      ["FCALL", "7", "0"],
      ["FUNCTION", "LOAD"],
      ["FUNCTION", "LOAD", "bad", lib("l21", "redis.register_function('f21', function() end)")],
      ["FUNCTION", "LOAD", "replace"],
    ]);
  });

  test("REPLACE keeps the old library when the new code fails", async () => {
    await sameF([
      ["FUNCTION", "LOAD", lib("l20", "redis.register_function('f20', function() return 1 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("l20", "redis.register_function('f20', function() return 2 end)")],
      ["FCALL", "f20", "0"],
      ["FUNCTION", "LOAD", "REPLACE", "replace", lib("l20", "redis.register_function('f20', function() return 3 end)")],
      ["FCALL", "f20", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("l20", "return 1 +")],
      ["FCALL", "f20", "0"],
      ["FUNCTION", "LOAD", "REPLACE", lib("l20", "redis.register_function('other', function() return 4 end)")],
      ["FCALL", "f20", "0"],
      ["FCALL", "other", "0"],
      ["FUNCTION", "LOAD", lib("l22", "redis.register_function('OTHER', function() return 5 end)")],
      ["FUNCTION", "LOAD", "REPLACE", lib("l22", "redis.register_function('x22', function() return 5 end)")],
      ["FUNCTION", "STATS"],
    ]);
  });

  test("load-time runaway code is stopped", async () => {
    await sameF([["FUNCTION", "LOAD", lib("l17", "while true do end")], ["FUNCTION", "STATS"]], [2]);
  });
});

describe("FUNCTION LIST/STATS/DELETE/FLUSH/KILL/HELP", () => {
  test("single-library listings, patterns, errors (RESP2 and RESP3)", async () => {
    await sameF([
      // (one function per library: Redis lists a library's functions in its hash table's order)
      ["FUNCTION", "LOAD", lib("Ab", "redis.register_function{function_name='fy', callback=function() end, flags={'allow-stale', 'no-writes', 'no-cluster', 'allow-oom', 'allow-cross-slot-keys'}, description='why'}")],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "LIST", "WITHCODE"],
      ["FUNCTION", "LIST", "LIBRARYNAME", "a*"],
      ["FUNCTION", "LIST", "libraryname", "zz*", "withcode"],
      ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "AB"],
      ["FUNCTION", "LIST", "LIBRARYNAME"],
      ["FUNCTION", "LIST", "bad"],
      ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "DELETE", "AB"],
      ["FUNCTION", "DELETE", "Ab"],
      ["FUNCTION", "DELETE", "Ab"],
      ["FUNCTION", "DELETE"],
      ["FUNCTION", "LIST"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "FLUSH", "bad"],
      ["FUNCTION", "FLUSH", "SYNC"],
      ["FUNCTION", "FLUSH", "ASYNC"],
      ["FUNCTION", "FLUSH", "SYNC", "x"],
      ["FUNCTION", "KILL"],
      ["FUNCTION", "NOSUCH"],
      ["FUNCTION"],
    ]);
  });

  test("FUNCTION HELP is a list of status lines", async () => {
    const c = await RespConn.connect(d.aikv.port);
    const r = await c.call("FUNCTION", "HELP");
    expect(r).toMatch(/^\*\d+\r\n\+FUNCTION <subcommand>/);
    c.close();
  });

  test("several libraries: LIST as a set, STATS counts", async () => {
    const run = async (port: number) => {
      const c = await RespConn.connect(port);
      await c.call("FUNCTION", "FLUSH");
      for (let i = 0; i < 5; i++) await c.call("FUNCTION", "LOAD", lib(`lib${i}`, `redis.register_function('f${i}a', function() return ${i} end) redis.register_function('f${i}b', function() return -${i} end)`));
      const stats = await c.call("FUNCTION", "STATS");
      const list = await c.call("FUNCTION", "LIST");
      const names = [...list.matchAll(/library_name\r\n\$\d+\r\n([^\r]+)/g)].map((m) => m[1]).sort();
      c.close();
      return { stats, names };
    };
    expect(await run(d.aikv.port)).toEqual(await run(d.redis.port));
  });
});

describe("FUNCTION DUMP/RESTORE", () => {
  const libs = [
    lib("alpha", "redis.register_function('a1', function(k, a) return 'alpha ' .. (a[1] or '') end)"),
    lib("beta", "redis.register_function{function_name='b1', callback=function() return 'beta' end, flags={'no-writes'}, description='" + "d".repeat(80) + "'}"),
  ];

  async function loadAll(c: RespConn): Promise<void> {
    await c.call("FUNCTION", "FLUSH");
    for (const l of libs) expect((await c.call("FUNCTION", "LOAD", l)).startsWith("$")).toBe(true);
  }

  /** The bulk payload of a DUMP reply, as bytes. */
  function payloadOf(reply: string): Buffer {
    const nl = reply.indexOf("\r\n");
    return Buffer.from(reply.slice(nl + 2, reply.length - 2), "latin1");
  }

  test("payloads move both ways between AiKv and redis-server", async () => {
    const a = await RespConn.connect(d.aikv.port);
    const r = await RespConn.connect(d.redis.port);
    try {
      await loadAll(a);
      await loadAll(r);
      const fromRedis = payloadOf(await r.call("FUNCTION", "DUMP"));
      const fromAikv = payloadOf(await a.call("FUNCTION", "DUMP"));
      // redis-server compresses long code with LZF; AiKv writes it plain. Both read both.
      for (const [dst, payload] of [[a, fromRedis], [r, fromAikv], [a, fromAikv], [r, fromRedis]] as const) {
        expect(await dst.call("FUNCTION", "FLUSH")).toBe("+OK\r\n");
        expect(await dst.call("FUNCTION", "RESTORE", payload)).toBe("+OK\r\n");
        expect(await dst.call("FCALL", "a1", "0", "x")).toBe("$7\r\nalpha x\r\n");
        expect(await dst.call("FCALL_RO", "b1", "0")).toBe("$4\r\nbeta\r\n");
        const list = await dst.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "beta");
        expect(list).toContain(libs[1]!.replace(/\n/g, "\n"));
      }
    } finally {
      a.close();
      r.close();
    }
  });

  test("RESTORE policies and errors, same replies as redis-server", async () => {
    // Use a payload made by redis-server so both sides restore the same bytes.
    const r = await RespConn.connect(d.redis.port);
    await loadAll(r);
    const payload = payloadOf(await r.call("FUNCTION", "DUMP"));
    r.close();
    const corrupt = Buffer.from(payload);
    corrupt[5] = corrupt[5]! ^ 0xff;
    const badVersion = Buffer.from(payload);
    badVersion[badVersion.length - 10] = 99;
    const cmds: Cmd[] = [
      ["FUNCTION", "RESTORE", payload],
      ["FUNCTION", "RESTORE", payload],
      ["FUNCTION", "RESTORE", payload, "APPEND"],
      ["FUNCTION", "RESTORE", payload, "REPLACE"],
      ["FCALL", "a1", "0"],
      ["FUNCTION", "RESTORE", payload, "FLUSH"],
      ["FUNCTION", "STATS"],
      ["FUNCTION", "DELETE", "alpha"],
      ["FUNCTION", "LOAD", lib("gamma", "redis.register_function('a1', function() return 'gamma' end)")],
      ["FUNCTION", "RESTORE", payload, "REPLACE"],
      ["FCALL", "a1", "0"],
      ["FUNCTION", "RESTORE", payload, "bad"],
      ["FUNCTION", "RESTORE", payload, "flush", "extra"],
      ["FUNCTION", "RESTORE", "abc"],
      ["FUNCTION", "RESTORE", corrupt],
      ["FUNCTION", "RESTORE", badVersion],
      ["FUNCTION", "RESTORE", Buffer.from("\xf5\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00", "latin1")],
      ["FUNCTION", "STATS"],
    ];
    // Which of two colliding libraries is named depends on Redis's hash table order.
    await sameF(cmds, [2], (r) => r.replace(/Library (alpha|beta) already exists/, "Library <lib> already exists"));
  });

  test("an empty registry dumps to Redis's empty payload", async () => {
    await sameF([["FUNCTION", "DUMP"]]);
  });
});

describe("functions and the rest of the server", () => {
  test("FCALL propagates the function's effects, FUNCTION LOAD propagates itself", async () => {
    const aikv = await recordingServer();
    const code = lib("p", "redis.register_function('w', function(k, a) redis.call('set', k[1], a[1]) return redis.call('incr', k[2]) end)\nredis.register_function('r', function(k) return redis.call('get', k[1]) end)");
    for (const cmd of [["FUNCTION", "LOAD", code], ["FCALL", "w", "2", "x", "n", "v"], ["FCALL", "r", "1", "x"], ["FCALL", "w", "2", "y", "x", "v"]]) aikv.run(cmd);
    expect(aikv.lines()).toEqual([`FUNCTION LOAD ${code}`, "MULTI", "set x v", "incr n", "EXEC"]);
  });

  test("a failing function is rolled back (AiKv)", async () => {
    const c = await RespConn.connect(d.aikv.port);
    await c.call("FUNCTION", "FLUSH");
    await c.call("FLUSHALL");
    await c.call("SET", "a", "1");
    await c.call("RPUSH", "l", "x");
    await c.call("FUNCTION", "LOAD", lib("rb", "redis.register_function('bad', function(k) redis.call('set', k[1], 'changed') redis.call('rpush', k[2], 'y') redis.call('del', 'a') return redis.call('incr', k[2]) end)"));
    const r = await c.call("FCALL", "bad", "2", "a", "l");
    expect(r).toBe("-WRONGTYPE Operation against a key holding the wrong kind of value script: bad, on @user_function:2.\r\n");
    expect(await c.call("GET", "a")).toBe("$1\r\n1\r\n");
    expect(await c.call("LRANGE", "l", "0", "-1")).toBe("*1\r\n$1\r\nx\r\n");
    c.close();
  });

  test("randomized functions over several keys", async () => {
    const rnd = prng(31337);
    const ops = ["redis.call('incr', k[1])", "redis.pcall('rpush', k[2], a[1])", "redis.call('set', k[3], a[1])", "redis.pcall('append', k[1], 'x')", "redis.call('del', k[2])"];
    const body: string[] = [];
    for (let i = 0; i < 8; i++) body.push(`redis.register_function('r${i}', function(k, a) ${Array.from({ length: 3 }, () => ops[Math.floor(rnd() * ops.length)]).join(" ")} return {redis.pcall('get', k[1]), redis.call('exists', k[2]), redis.pcall('get', k[3])} end)`);
    const cmds: Cmd[] = [["FUNCTION", "LOAD", lib("rand", body.join("\n"))]];
    for (let i = 0; i < 40; i++) cmds.push(["FCALL", `r${Math.floor(rnd() * 8)}`, "3", "p", "q", "s", String(Math.floor(rnd() * 5))]);
    // Some of these fail half-way: compare with Redis's keep-what-was-written behaviour.
    const a = await RespConn.connect(d.aikv.port);
    await a.call("CONFIG", "SET", "lua-rollback", "no");
    try {
      await sameF(cmds);
    } finally {
      await a.call("CONFIG", "SET", "lua-rollback", "yes");
      a.close();
    }
  });
});
