// maxmemory: the OOM gate compared byte for byte with redis-server (noeviction, transactions,
// policies that run out of keys), and the eviction policies as properties (the memory
// accounting of the two servers differs, so how many keys go is not compared).

import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { startAikv } from "../helpers/servers.ts";

const d = useDiffer();

async function infoField(c: RespConn, section: string, field: string): Promise<number> {
  const r = await c.call("INFO", section);
  const m = new RegExp(`${field}:(\\d+)`).exec(r);
  return m ? Number(m[1]) : NaN;
}

async function fill(c: RespConn, prefix: string, n: number, size: number, extra: string[] = []): Promise<string[]> {
  const v = "x".repeat(size);
  for (let i = 0; i < n; i++) c.send("SET", `${prefix}${i}`, v, ...extra);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await c.read());
  return out;
}

describe("OOM replies (differential)", () => {
  test("noeviction: denyoom commands refused with Redis's text, others run", async () => {
    await d.same(`
      SET a 1
      RPUSH l x
      CONFIG SET maxmemory-policy noeviction
      CONFIG SET maxmemory 1
      SET foo bar
      INCR a
      RPUSH l y
      APPEND a x
      GET a
      LRANGE l 0 -1
      EXISTS a
      EXPIRE a 100
      PERSIST a
      DEL l
      LPOP l
      DBSIZE
      PING
      CONFIG SET maxmemory 0
      SET foo bar
    `);
  });

  test("scripts: the first denyoom call is refused, later ones run; shebang flags decide at the start", async () => {
    await d.same(`
      CONFIG SET maxmemory-policy noeviction
      SET a 1
      FUNCTION LOAD "#!lua name=oomlib\\nredis.register_function('w', function() return redis.call('set','w','1') end)\\nredis.register_function{function_name='w2', callback=function() return redis.call('set','w','2') end, flags={'allow-oom'}}"
      CONFIG SET maxmemory 1
      EVAL "return redis.call('set','x','y')" 0
      EVAL "return redis.pcall('set','x','y')" 0
      EVAL "local r = redis.pcall('set','x','y') return {r['err'] or 'none', redis.call('get','a')}" 0
      EVAL "redis.call('del','a') return redis.call('set','x','y')" 0
      EVAL "return redis.call('get','x')" 0
      EVAL "#!lua\\nreturn 1" 0
      EVAL "#!lua flags=no-writes\\nreturn redis.call('get','x')" 0
      EVAL "#!lua flags=allow-oom\\nreturn redis.call('set','z','1')" 0
      FCALL w 0
      FCALL w2 0
      GET w
      CONFIG SET maxmemory 0
      EVAL "return redis.call('set','x','y')" 0
      FUNCTION FLUSH
    `);
  });

  test("transactions: queuing is refused while out of memory; EXEC of queued denyoom commands too", async () => {
    await d.same(`
      CONFIG SET maxmemory-policy noeviction
      CONFIG SET maxmemory 1
      MULTI
      GET a
      SET a b
      EXEC
      MULTI
      DISCARD
      CONFIG SET maxmemory 0
    `);
    const [a, r] = await d.pair();
    try {
      for (const c of [a, r]) {
        await c.call("FLUSHALL");
        await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      }
      // queued before the limit, executed after it
      const replies: string[][] = [];
      for (const c of [a, r]) {
        const got: string[] = [];
        got.push(await c.call("MULTI"));
        got.push(await c.call("SET", "k", "v"));
        got.push(await c.call("GET", "k"));
        got.push(await c.call("CONFIG", "SET", "maxmemory", "1"));
        got.push(await c.call("EXEC"));
        got.push(await c.call("CONFIG", "SET", "maxmemory", "0"));
        replies.push(got);
      }
      expect(replies[0]).toEqual(replies[1]!);
      // a transaction of reads only still runs
      const ro: string[][] = [];
      for (const c of [a, r]) {
        const got: string[] = [];
        got.push(await c.call("MULTI"));
        got.push(await c.call("GET", "k"));
        got.push(await c.call("CONFIG", "SET", "maxmemory", "1"));
        got.push(await c.call("EXEC"));
        got.push(await c.call("CONFIG", "SET", "maxmemory", "0"));
        ro.push(got);
      }
      expect(ro[0]).toEqual(ro[1]!);
    } finally {
      a.close();
      r.close();
    }
  });

  test("eviction policies that run out of keys answer OOM; volatile policies without volatile keys too", async () => {
    for (const policy of ["allkeys-lru", "allkeys-random", "allkeys-lfu", "volatile-lru", "volatile-ttl", "volatile-random", "volatile-lfu"]) {
      await d.same(`
        SET a 1
        SET b 2 EX 100
        CONFIG SET maxmemory-policy ${policy}
        CONFIG SET maxmemory 1
        SET foo bar
        SET foo bar
        EXISTS b
        GET foo
        CONFIG SET maxmemory 0
        CONFIG SET maxmemory-policy noeviction
      `);
    }
  });
});

describe("eviction policies", () => {
  const limit = 4 * 1024 * 1024;

  async function server(policy: string): Promise<{ c: RespConn; stop: () => Promise<void> }> {
    const s = await startAikv({ args: ["--maxmemory-policy", policy, "--maxmemory", String(limit)] });
    const c = await RespConn.connect(s.port);
    return {
      c,
      stop: async () => {
        c.close();
        await s.stop();
      },
    };
  }

  for (const policy of ["allkeys-lru", "allkeys-lfu", "allkeys-random"]) {
    test(`${policy}: writes go on, memory stays at maxmemory, keys are evicted`, async () => {
      const { c, stop } = await server(policy);
      try {
        const replies = await fill(c, "k", 40000, 200);
        expect(replies.every((r) => r === "+OK\r\n")).toBe(true);
        const used = await infoField(c, "memory", "used_memory");
        expect(used).toBeLessThanOrEqual(limit + 4096);
        expect(used).toBeGreaterThan(limit * 0.8);
        const evicted = await infoField(c, "stats", "evicted_keys");
        const size = Number((await c.call("DBSIZE")).slice(1));
        expect(evicted).toBeGreaterThan(10000);
        expect(size + evicted).toBe(40000);
        // the last writes are there
        expect(await c.call("EXISTS", "k39999")).toBe(":1\r\n");
      } finally {
        await stop();
      }
    }, 30000);
  }

  test("volatile-lru: keys without a TTL are never evicted; OOM once only they are left", async () => {
    const { c, stop } = await server("volatile-lru");
    try {
      const fixed = await fill(c, "p", 5000, 200);
      expect(fixed.every((r) => r === "+OK\r\n")).toBe(true);
      const vol = await fill(c, "v", 30000, 200, ["EX", "1000"]);
      expect(vol.every((r) => r === "+OK\r\n")).toBe(true);
      for (let i = 0; i < 5000; i += 97) expect(await c.call("EXISTS", `p${i}`)).toBe(":1\r\n");
      let n = 0;
      for (let i = 0; i < 5000; i++) c.send("EXISTS", `p${i}`);
      for (let i = 0; i < 5000; i++) if ((await c.read()) === ":1\r\n") n++;
      expect(n).toBe(5000);
      expect(await infoField(c, "stats", "evicted_keys")).toBeGreaterThan(10000);
      // without volatile keys to evict, writes fail
      const more = await fill(c, "q", 20000, 200);
      expect(more.some((r) => r.startsWith("-OOM command not allowed when used memory > 'maxmemory'."))).toBe(true);
      expect(await c.call("GET", "p0")).toBe(`$200\r\n${"x".repeat(200)}\r\n`);
    } finally {
      await stop();
    }
  }, 30000);

  test("volatile-ttl: the keys closest to expiring go first", async () => {
    const { c, stop } = await server("volatile-ttl");
    try {
      // TTLs rising with the key number
      const v = "x".repeat(200);
      for (let i = 0; i < 30000; i++) c.send("SET", `t${i}`, v, "EX", String(10000 + i));
      for (let i = 0; i < 30000; i++) expect(await c.read()).toBe("+OK\r\n");
      const present: number[] = [];
      for (let i = 0; i < 30000; i++) c.send("EXISTS", `t${i}`);
      for (let i = 0; i < 30000; i++) if ((await c.read()) === ":1\r\n") present.push(i);
      const evicted = 30000 - present.length;
      expect(evicted).toBeGreaterThan(5000);
      // survivors have the longer TTLs: the median survivor is well above the median key
      const median = present[Math.floor(present.length / 2)]!;
      expect(median).toBeGreaterThan(15000);
    } finally {
      await stop();
    }
  }, 30000);

  test("allkeys-lru: recently read keys survive", async () => {
    const s = await startAikv({ args: ["--maxmemory-policy", "allkeys-lru", "--maxmemory-samples", "10", "--maxmemory", "1gb"] });
    const c = await RespConn.connect(s.port);
    try {
      await fill(c, "k", 10000, 100);
      // the LRU clock has a one second resolution
      await Bun.sleep(2100);
      for (let i = 0; i < 10000; i += 2) c.send("GET", `k${i}`);
      for (let i = 0; i < 10000; i += 2) await c.read();
      const used = await infoField(c, "memory", "used_memory");
      // room for about half of the keys
      await c.call("CONFIG", "SET", "maxmemory", String(Math.floor(used - (used - 1048576) * 0.4)));
      await c.call("SET", "trigger", "1");
      let even = 0;
      let odd = 0;
      for (let i = 0; i < 10000; i++) c.send("EXISTS", `k${i}`);
      for (let i = 0; i < 10000; i++) if ((await c.read()) === ":1\r\n") i % 2 === 0 ? even++ : odd++;
      expect(even + odd).toBeLessThan(9000);
      // sampling approximates LRU: most evicted keys are the untouched ones
      expect(even).toBeGreaterThan(odd * 2);
    } finally {
      c.close();
      await s.stop();
    }
  }, 30000);

  test("CONFIG SET maxmemory evicts at once, with 'evicted' events and evicted_keys", async () => {
    // (used_memory is the maxmemory estimate once a limit is set: start with a high one)
    const s = await startAikv({ args: ["--maxmemory-policy", "allkeys-random", "--notify-keyspace-events", "Ee", "--maxmemory", "1gb"] });
    const c = await RespConn.connect(s.port);
    const sub = await RespConn.connect(s.port);
    try {
      expect(await sub.call("SUBSCRIBE", "__keyevent@0__:evicted")).toContain("subscribe");
      await fill(c, "k", 5000, 500);
      const used = await infoField(c, "memory", "used_memory");
      expect(await c.call("CONFIG", "SET", "maxmemory", String(Math.floor(used / 2)))).toBe("+OK\r\n");
      await Bun.sleep(200);
      const size = Number((await c.call("DBSIZE")).slice(1));
      expect(size).toBeLessThan(3500);
      const evicted = await infoField(c, "stats", "evicted_keys");
      expect(evicted).toBe(5000 - size);
      const msg = await sub.read();
      expect(msg).toMatch(/^\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:evicted\r\n\$\d+\r\nk\d+\r\n$/);
      // noeviction afterwards: the limit is held, writes are refused
      await c.call("CONFIG", "SET", "maxmemory-policy", "noeviction");
      const more = await fill(c, "z", 5000, 500);
      expect(more.at(-1)).toBe("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
    } finally {
      sub.close();
      c.close();
      await s.stop();
    }
  }, 30000);
});
