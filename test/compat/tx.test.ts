// MULTI/EXEC/DISCARD/WATCH/UNWATCH compared with redis-server byte for byte (RESP2 and RESP3),
// including several clients, WATCH with expiry / FLUSH* / SWAPDB, and a randomized sequence.
import { describe, expect, test } from "bun:test";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { sameScenario, type Step } from "../helpers/multi.ts";
import { prng } from "../helpers/random.ts";
import { samePropagation } from "../helpers/replication.ts";

const d = useDiffer();

describe("MULTI/EXEC basics", () => {
  test("queueing, replies, nesting and misuse errors", async () => {
    await d.same(`
      EXEC
      DISCARD
      MULTI
      MULTI
      SET a 1
      INCR a
      GET a
      PING
      ECHO hi
      EXEC
      EXEC
      MULTI
      EXEC
      MULTI
      SET b 2
      DISCARD
      GET b
      MULTI extra
      EXEC extra
      MULTI
      EXEC extra
      EXEC
      DISCARD extra
      UNWATCH extra
      WATCH
    `);
  });

  test("EXECABORT after a queueing error (unknown command, arity, unknown subcommand)", async () => {
    await d.same(`
      MULTI
      SET a 1
      NOSUCH x
      SET b 2
      EXEC
      GET a
      MULTI
      GET
      EXEC
      MULTI
      CONFIG NOSUB
      EXEC
      MULTI
      SET c 1
      GET c c
      DISCARD
      GET c
    `);
  });

  test("runtime errors inside EXEC do not stop the rest", async () => {
    await d.same(`
      MULTI
      SET a abc
      INCR a
      LPUSH a x
      SET b 5
      INCRBY b 10
      GET b
      EXEC
      GET a
    `);
  });

  test("commands flagged no-multi, and WATCH/MULTI inside MULTI", async () => {
    await d.same(`
      MULTI
      WATCH x
      MULTI
      PING
      EXEC
      MULTI
      SUBSCRIBE ch
      EXEC
    `);
  });

  test("nested replies, nulls and empty transactions in both protocols", async () => {
    await d.same(`
      RPUSH l a b c
      MULTI
      LRANGE l 0 -1
      GET nokey
      LPOP nokey
      ZADD z 1 a 2 b
      ZRANGE z 0 -1 WITHSCORES
      ZSCORE z a
      EXEC
      MULTI
      EXEC
    `);
  });

  test("EXEC keeps command time frozen for its queue", async () => {
    await d.same(`
      MULTI
      SET k v PX 1
      DEBUG SLEEP 0.01
      GET k
      EXEC
      GET k
    `);
  });
});

describe("WATCH", () => {
  test("a write by another client aborts EXEC; UNWATCH and own writes", async () => {
    const steps: Step[] = [
      [0, "SET", "k", "1"],
      [0, "WATCH", "k"],
      [1, "SET", "k", "2"],
      [0, "MULTI"],
      [0, "GET", "k"],
      [0, "EXEC"],
      [0, "WATCH", "k"],
      [0, "SET", "k", "3"],
      [0, "MULTI"],
      [0, "GET", "k"],
      [0, "EXEC"],
      [0, "WATCH", "k"],
      [1, "SET", "k", "4"],
      [0, "UNWATCH"],
      [0, "MULTI"],
      [0, "GET", "k"],
      [0, "EXEC"],
      [0, "WATCH", "k", "j", "k"],
      [1, "SET", "other", "x"],
      [1, "GET", "k"],
      [0, "MULTI"],
      [0, "INCR", "k"],
      [0, "EXEC"],
      [0, "WATCH", "k"],
      [0, "MULTI"],
      [1, "DEL", "k"],
      [0, "INCR", "k"],
      [0, "EXEC"],
      [0, "WATCH", "k"],
      [0, "MULTI"],
      [0, "DISCARD"],
      [1, "SET", "k", "9"],
      [0, "MULTI"],
      [0, "GET", "k"],
      [0, "EXEC"],
    ];
    await sameScenario(d, steps);
  });

  test("every kind of write invalidates: list, zset, expire, rename, a no-op write does not", async () => {
    const steps: Step[] = [
      [0, "RPUSH", "l", "a"],
      [0, "WATCH", "l"],
      [1, "RPUSH", "l", "b"],
      [0, "MULTI"],
      [0, "LLEN", "l"],
      [0, "EXEC"],
      [0, "ZADD", "z", "1", "m"],
      [0, "WATCH", "z"],
      [1, "ZINCRBY", "z", "1", "m"],
      [0, "MULTI"],
      [0, "ZSCORE", "z", "m"],
      [0, "EXEC"],
      [0, "SET", "e", "1"],
      [0, "WATCH", "e"],
      [1, "EXPIRE", "e", "100"],
      [0, "MULTI"],
      [0, "GET", "e"],
      [0, "EXEC"],
      [0, "WATCH", "e", "r"],
      [1, "RENAME", "e", "r"],
      [0, "MULTI"],
      [0, "GET", "r"],
      [0, "EXEC"],
      [0, "WATCH", "missing"],
      [1, "DEL", "missing"],
      [1, "LPOP", "missing"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      [0, "SET", "s", "v"],
      [0, "WATCH", "s"],
      [1, "PERSIST", "s"],
      [1, "SETNX", "s", "x"],
      [0, "MULTI"],
      [0, "GET", "s"],
      [0, "EXEC"],
    ];
    await sameScenario(d, steps);
  });

  test("WATCH and expiry (Redis 7.0 rules for keys already expired when watched)", async () => {
    const setup = [["DEBUG", "SET-ACTIVE-EXPIRE", "0"]];
    const steps: Step[] = [
      // already expired when watched: not a change
      [0, "SET", "k", "v", "PX", "20"],
      ["sleep", 100],
      [0, "WATCH", "k"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      // expires after WATCH: aborts
      [0, "SET", "k", "v", "PX", "300"],
      [0, "WATCH", "k"],
      ["sleep", 450],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      // watched expired, deleted lazily by another client: still not a change
      [0, "SET", "k", "v", "PX", "20"],
      ["sleep", 100],
      [0, "WATCH", "k"],
      [1, "GET", "k"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      // watched expired, then set: a change
      [0, "SET", "k", "v", "PX", "20"],
      ["sleep", 100],
      [0, "WATCH", "k"],
      [1, "SET", "k", "x"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      // watched expired, FLUSHALL: not a change
      [0, "SET", "k", "v", "PX", "20"],
      ["sleep", 100],
      [0, "WATCH", "k"],
      [1, "FLUSHALL"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      [0, "DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ];
    await sameScenario(d, steps, { setup, protos: [2] });
  });

  test("FLUSHDB, FLUSHALL and SWAPDB", async () => {
    const steps: Step[] = [
      [0, "WATCH", "nokey"],
      [1, "FLUSHDB"],
      [0, "MULTI"],
      [0, "EXEC"],
      [1, "SET", "k2", "1"],
      [0, "WATCH", "k2"],
      [1, "FLUSHALL"],
      [0, "MULTI"],
      [0, "EXEC"],
      [1, "SELECT", "1"],
      [1, "SET", "k3", "1"],
      [0, "WATCH", "k3"],
      [1, "SWAPDB", "0", "1"],
      [0, "MULTI"],
      [0, "EXEC"],
      [0, "WATCH", "k9"],
      [1, "SWAPDB", "0", "1"],
      [0, "MULTI"],
      [0, "EXEC"],
      [1, "SET", "other", "1"],
      [0, "SELECT", "1"],
      [0, "WATCH", "w"],
      [1, "SELECT", "0"],
      [1, "FLUSHDB"],
      [0, "MULTI"],
      [0, "EXEC"],
      [1, "SELECT", "1"],
      [1, "SET", "w", "1"],
      [0, "MULTI"],
      [0, "EXEC"],
    ];
    await sameScenario(d, steps);
  });

  test("WATCH in another db and a key with the same name", async () => {
    const steps: Step[] = [
      [0, "SELECT", "2"],
      [0, "WATCH", "k"],
      [1, "SET", "k", "db0"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
      [0, "WATCH", "k"],
      [1, "SELECT", "2"],
      [1, "SET", "k", "db2"],
      [0, "MULTI"],
      [0, "PING"],
      [0, "EXEC"],
    ];
    await sameScenario(d, steps);
  });
});

describe("transactions and the connection", () => {
  test("RESET discards and unwatches; CLIENT LIST shows the queue", async () => {
    for (const port of [d.aikv.port, d.redis.port]) {
      const a = await RespConn.connect(port);
      const b = await RespConn.connect(port);
      expect(await a.call("SET", "rk", "1")).toBe("+OK\r\n");
      expect(await a.call("WATCH", "rk")).toBe("+OK\r\n");
      expect(await a.call("MULTI")).toBe("+OK\r\n");
      expect(await a.call("SET", "rk", "2")).toBe("+QUEUED\r\n");
      const list = await b.call("CLIENT", "LIST");
      expect(list).toMatch(/flags=x .* multi=1 /);
      expect(await a.call("RESET")).toBe("+RESET\r\n");
      expect(await a.call("EXEC")).toBe("-ERR EXEC without MULTI\r\n");
      expect(await b.call("SET", "rk", "3")).toBe("+OK\r\n");
      expect(await a.call("MULTI")).toBe("+OK\r\n");
      expect(await a.call("GET", "rk")).toBe("+QUEUED\r\n");
      expect(await a.call("EXEC")).toBe("*1\r\n$1\r\n3\r\n");
      a.close();
      b.close();
    }
  });

  test("a client that disconnects leaves no watch behind", async () => {
    const a = await RespConn.connect(d.aikv.port);
    await a.call("WATCH", "gone");
    await a.call("MULTI");
    a.close();
    await Bun.sleep(50);
    const b = await RespConn.connect(d.aikv.port);
    expect(await b.call("SET", "gone", "1")).toBe("+OK\r\n");
    b.close();
  });
});

describe("randomized", () => {
  test("seeded sequences of transactions over two clients match redis-server", async () => {
    const rnd = prng(20240607);
    const keys = ["a", "b", "c"];
    const k = () => keys[Math.floor(rnd() * keys.length)]!;
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const cmds: (() => string[])[] = [
      () => ["SET", k(), String(Math.floor(rnd() * 10))],
      () => ["INCR", k()],
      () => ["GET", k()],
      () => ["DEL", k()],
      () => ["RPUSH", k(), "x"],
      () => ["APPEND", k(), "z"],
      () => ["EXPIRE", k(), "100"],
      () => ["MULTI"],
      () => ["EXEC"],
      () => ["DISCARD"],
      () => ["WATCH", k()],
      () => ["UNWATCH"],
      () => ["NOSUCHCMD"],
      () => ["TYPE", k()],
    ];
    for (let round = 0; round < 4; round++) {
      const steps: Step[] = [];
      for (let i = 0; i < 60; i++) steps.push([rnd() < 0.7 ? 0 : 1, ...pick(cmds)()]);
      steps.push([0, "DISCARD"], [1, "DISCARD"], [0, "MGET", ...keys]);
      await sameScenario(d, steps, { protos: [round % 2 === 0 ? 2 : 3] });
    }
  });
});

describe("propagation", () => {
  test("EXEC propagates its writes wrapped in MULTI/EXEC, like a redis-server replica sees them", async () => {
    const script: Cmd[] = [
      ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["GET", "a"], ["EXEC"],
      ["MULTI"], ["GET", "a"], ["EXEC"],
      ["MULTI"], ["SET", "b", "1"], ["EXEC"],
      ["MULTI"], ["INCR", "x"], ["LPUSH", "x", "y"], ["SET", "c", "1", "EX", "100"], ["EXEC"],
      ["MULTI"], ["SET", "d", "1"], ["NOSUCH"], ["EXEC"],
    ];
    await samePropagation(d, script, { line: (args) => args.join(" ").replace(/ 1\d{12}$/, " <ms>") });
  }, 30000);
});
