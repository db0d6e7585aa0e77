// Blocking list commands with several clients: each scenario runs against AiKv and
// redis-server and the logs of what every client received must be identical (RESP2/RESP3).
// Covers FIFO serving, several keys, timeouts, MULTI, CLIENT UNBLOCK, disconnects, wrong
// types, SWAPDB, BLMOVE chains, pipelining behind a blocked command, and argument errors.
import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { clientId, sameBlocking } from "../helpers/blocking.ts";
import { samePropagation } from "../helpers/replication.ts";

const d = useDiffer();

describe("blocking pops", () => {
  test("FIFO: clients are served in the order they blocked", async () => {
    const log = await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      const c = await x.open();
      a.send("BLPOP", "k", "0");
      await x.blocked(1);
      b.send("BLPOP", "k", "0");
      await x.blocked(2);
      c.send("BRPOP", "k", "0");
      await x.blocked(3);
      x.log("rpush", await x.ctl.call("RPUSH", "k", "1", "2"));
      await x.read("a", a);
      await x.read("b", b);
      await x.silent("c", c);
      x.log("llen", await x.ctl.call("LLEN", "k"));
      x.log("lpush", await x.ctl.call("LPUSH", "k", "x", "y", "z"));
      await x.read("c", c);
      x.log("rest", await x.ctl.call("LRANGE", "k", "0", "-1"));
    });
    expect(log.join("\n")).toContain('a: "*2\\r\\n$1\\r\\nk\\r\\n$1\\r\\n1\\r\\n"');
  });

  test("several keys: the first key that gets data serves; the same client on many keys", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open(3);
      a.send("BLPOP", "k1", "k2", "k3", "0");
      await x.blocked(1);
      b.send("BRPOP", "k3", "k1", "k3", "0");
      await x.blocked(2);
      x.log("rpush k3", await x.ctl.call("RPUSH", "k3", "a", "b", "c"));
      await x.read("a", a);
      await x.read("b", b);
      x.log("rest", await x.ctl.call("LRANGE", "k3", "0", "-1"));
      a.send("BLPOP", "k1", "k2", "0");
      await x.blocked(1);
      x.log("multi", await x.ctl.call("MULTI"));
      await x.ctl.call("RPUSH", "k2", "two");
      await x.ctl.call("RPUSH", "k1", "one");
      x.log("exec", await x.ctl.call("EXEC"));
      await x.read("a", a);
      x.log("left", await x.ctl.call("LRANGE", "k1", "0", "-1"));
    });
  });

  test("a key created and emptied inside one transaction serves nobody", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      a.send("BLPOP", "k", "0");
      await x.blocked(1);
      await x.ctl.call("MULTI");
      await x.ctl.call("RPUSH", "k", "v");
      await x.ctl.call("LPOP", "k");
      x.log("exec", await x.ctl.call("EXEC"));
      await x.silent("a", a);
      x.log("rpush", await x.ctl.call("RPUSH", "k", "w"));
      await x.read("a", a);
    });
  });

  test("timeouts: fractional seconds, RESP2 and RESP3 null replies", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open(3);
      for (const [c, l] of [[a, "a"], [b, "b"]] as [RespConn, string][]) {
        x.log(l + " blpop", await c.call("BLPOP", "k", "0.05"));
        x.log(l + " brpop", await c.call("BRPOP", "k", "k2", "0.01"));
        x.log(l + " blmove", await c.call("BLMOVE", "k", "d", "LEFT", "RIGHT", "0.02"));
        x.log(l + " brpoplpush", await c.call("BRPOPLPUSH", "k", "d", "0.02"));
        x.log(l + " blmpop", await c.call("BLMPOP", "0.03", "2", "k", "k2", "LEFT", "COUNT", "3"));
        x.log(l + " tiny", await c.call("BLPOP", "k", "0.0001"));
      }
      x.log("exists", await x.ctl.call("EXISTS", "k", "d"));
    });
  });

  test("timeout argument errors", async () => {
    await d.same(`
      BLPOP k -1
      BLPOP k abc
      BLPOP k nan
      BLPOP k inf
      BLPOP k -inf
      BLPOP k ""
      BLPOP k " 1"
      BLPOP k 1e20
      BLPOP k 9223372036854776
      BLPOP k 1.5x
      BRPOP k -0.001001
      BLMOVE a b LEFT RIGHT -1
      BLMOVE a b LEFT UP -1
      BLMOVE a b UP RIGHT x
      BRPOPLPUSH a b x
      BRPOPLPUSH a b -5
      BLMPOP x 1 k LEFT
      BLMPOP -1 1 k LEFT
      BLMPOP 0 0 k LEFT
      BLMPOP -1 0 k LEFT
      BLMPOP 0 1 k MIDDLE
      BLMPOP x 1 k MIDDLE
      BLMPOP 0 2 k LEFT
      BLMPOP 0 1 k LEFT COUNT 0
      BLMPOP 0 1 k LEFT COUNT 2 COUNT 2
      BLPOP k
      RPUSH k v
      BLPOP k 1e-400
      RPUSH k v
      BLPOP k 0x10
      RPUSH k v
      BLPOP k +.5e1
    `);
  });

  test("immediate serving when data exists, and argument order", async () => {
    await d.same(`
      RPUSH a 1 2 3
      RPUSH b 4 5
      BLPOP nokey a b 0
      BRPOP b a 0
      BLMOVE a b LEFT LEFT 0
      BRPOPLPUSH a b 0
      LRANGE b 0 -1
      BLMPOP 0 3 nokey a b RIGHT COUNT 10
      BLMPOP 0.01 1 b LEFT
      EXISTS a b
    `);
  });

  test("inside MULTI blocking commands answer at once", async () => {
    await d.same(`
      MULTI
      BLPOP k 0
      BRPOP k 10
      BLMOVE k d LEFT RIGHT 0
      BRPOPLPUSH k d 0
      BLMPOP 0 1 k LEFT
      RPUSH k v
      BLPOP k 0
      EXEC
      MULTI
      BLPOP k -1
      EXEC
    `);
  });
});

describe("unblocking", () => {
  test("CLIENT UNBLOCK with TIMEOUT and ERROR", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open(3);
      const c = await x.open();
      const ida = await clientId(a);
      const idb = await clientId(b);
      const idc = await clientId(c);
      a.send("BLPOP", "k", "0");
      b.send("BLMOVE", "k", "d", "LEFT", "LEFT", "0");
      c.send("BLMPOP", "0", "1", "k", "LEFT");
      await x.blocked(3);
      x.log("unblock a", await x.ctl.call("CLIENT", "UNBLOCK", ida));
      await x.read("a", a);
      x.log("unblock b error", await x.ctl.call("CLIENT", "UNBLOCK", idb, "ERROR"));
      await x.read("b", b);
      x.log("unblock c timeout", await x.ctl.call("CLIENT", "UNBLOCK", idc, "timeout"));
      await x.read("c", c);
      x.log("again", await x.ctl.call("CLIENT", "UNBLOCK", ida));
      x.log("bad reason", await x.ctl.call("CLIENT", "UNBLOCK", ida, "FOO"));
      x.log("bad id", await x.ctl.call("CLIENT", "UNBLOCK", "abc"));
      x.log("no such", await x.ctl.call("CLIENT", "UNBLOCK", "999999"));
      // Unblocked clients work normally afterwards.
      x.log("a ping", await a.call("PING"));
      x.log("rpush", await x.ctl.call("RPUSH", "k", "v"));
      x.log("llen", await x.ctl.call("LLEN", "k"));
    });
  });

  test("a client that disconnects while blocked is forgotten", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      a.send("BLPOP", "k", "0");
      await x.blocked(1);
      b.send("BLPOP", "k", "0");
      await x.blocked(2);
      a.close();
      await x.blocked(1);
      x.log("rpush", await x.ctl.call("RPUSH", "k", "v1", "v2"));
      await x.read("b", b);
      x.log("left", await x.ctl.call("LRANGE", "k", "0", "-1"));
    });
  });

  test("a key of another type keeps clients blocked", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      a.send("BLPOP", "k", "0");
      await x.blocked(1);
      x.log("set", await x.ctl.call("SET", "k", "str"));
      x.log("hset", await x.ctl.call("HSET", "h", "f", "v"));
      await x.silent("a", a);
      x.log("del", await x.ctl.call("DEL", "k"));
      x.log("sadd", await x.ctl.call("SADD", "k", "m"));
      await x.silent("a", a);
      x.log("del", await x.ctl.call("DEL", "k"));
      x.log("rpush", await x.ctl.call("RPUSH", "k", "v"));
      await x.read("a", a);
    });
  });

  test("BLMOVE to a destination of the wrong type gets WRONGTYPE when served", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      a.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0");
      await x.blocked(1);
      x.log("set dst", await x.ctl.call("SET", "dst", "x"));
      x.log("rpush", await x.ctl.call("RPUSH", "src", "v"));
      await x.read("a", a);
      x.log("src", await x.ctl.call("LRANGE", "src", "0", "-1"));
    });
  });

  test("BLMOVE chains: serving one client makes another's key ready", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      const c = await x.open(3);
      a.send("BLMOVE", "s", "m", "LEFT", "RIGHT", "0");
      await x.blocked(1);
      b.send("BRPOPLPUSH", "m", "t", "0");
      await x.blocked(2);
      c.send("BLMPOP", "0", "2", "x", "t", "RIGHT", "COUNT", "5");
      await x.blocked(3);
      x.log("lpush", await x.ctl.call("LPUSH", "s", "v"));
      await x.read("a", a);
      await x.read("b", b);
      await x.read("c", c);
      x.log("keys", await x.ctl.call("EXISTS", "s", "m", "t"));
      // A rotation of a one-element list onto itself serves every waiter of the key.
      a.send("BLMOVE", "r", "r", "LEFT", "RIGHT", "0");
      await x.blocked(1);
      b.send("BLMOVE", "r", "r", "LEFT", "RIGHT", "0");
      await x.blocked(2);
      x.log("rpush r", await x.ctl.call("RPUSH", "r", "only"));
      await x.read("a", a);
      await x.read("b", b);
      x.log("r", await x.ctl.call("LRANGE", "r", "0", "-1"));
    });
  });

  test("pipelined commands wait behind a blocked one", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      a.writeRaw("*3\r\n$5\r\nBLPOP\r\n$1\r\nk\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nLLEN\r\n$1\r\nk\r\n");
      await x.blocked(1);
      await x.silent("a", a);
      x.log("rpush", await x.ctl.call("RPUSH", "k", "1", "2"));
      await x.read("a blpop", a);
      await x.read("a ping", a);
      await x.read("a llen", a);
    });
  });

  test("SWAPDB serves clients whose key appears; FLUSHALL wakes nobody", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      await b.call("SELECT", "1");
      a.send("BLPOP", "k", "0");
      b.send("BLPOP", "q", "0");
      await x.blocked(2);
      await x.ctl.call("SELECT", "1");
      x.log("rpush db1", await x.ctl.call("RPUSH", "k", "from1"));
      await x.silent("a", a);
      x.log("flushall", await x.ctl.call("FLUSHALL"));
      await x.silent("b", b);
      x.log("rpush db1 again", await x.ctl.call("RPUSH", "k", "from1"));
      x.log("swapdb", await x.ctl.call("SWAPDB", "0", "1"));
      await x.read("a", a);
      await x.silent("b", b);
      x.log("rpush q in db1", await x.ctl.call("RPUSH", "q", "v"));
      await x.read("b", b);
    });
  });

  test("LPUSH into a list several clients wait on, and RESP3 replies", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open(3);
      const b = await x.open(3);
      const c = await x.open();
      a.send("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2");
      await x.blocked(1);
      b.send("BRPOP", "k", "0");
      await x.blocked(2);
      c.send("BLPOP", "k", "0");
      await x.blocked(3);
      x.log("lpush", await x.ctl.call("LPUSH", "k", "a", "b", "c", "d"));
      await x.read("a", a);
      await x.read("b", b);
      await x.read("c", c);
      x.log("exists", await x.ctl.call("EXISTS", "k"));
    });
  });

  test("many waiters, a list drained across them", async () => {
    await sameBlocking(d, async (x) => {
      const cs: RespConn[] = [];
      for (let i = 0; i < 12; i++) {
        const c = await x.open(i % 2 === 0 ? 2 : 3);
        c.send(i % 3 === 0 ? "BRPOP" : "BLPOP", "q" + (i % 2), "q2", "0");
        await x.blocked(i + 1);
        cs.push(c);
      }
      x.log("push q2", await x.ctl.call("RPUSH", "q2", ...Array.from({ length: 5 }, (_, i) => "v" + i)));
      x.log("push q0", await x.ctl.call("RPUSH", "q0", "a", "b", "c", "d", "e", "f", "g"));
      x.log("push q1", await x.ctl.call("RPUSH", "q1", "x", "y", "z", "w"));
      for (let i = 0; i < cs.length; i++) await x.read("c" + i, cs[i]!);
      x.log("left", await x.ctl.call("EXISTS", "q0", "q1", "q2"));
    });
  });
});

describe("wake-ups from other commands", () => {
  test("RENAME, COPY, MOVE, SORT STORE and LMOVE into a waited-on key", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      const c = await x.open();
      const e = await x.open();
      a.send("BLPOP", "renamed", "0");
      b.send("BRPOP", "copied", "0");
      c.send("BLPOP", "moved", "0");
      e.send("BLMPOP", "0", "1", "sorted", "LEFT", "COUNT", "2");
      await x.blocked(4);
      await x.ctl.call("RPUSH", "src", "3", "1", "2");
      x.log("rename", await x.ctl.call("RENAME", "src", "renamed"));
      await x.read("a", a);
      x.log("copy", await x.ctl.call("COPY", "renamed", "copied"));
      await x.read("b", b);
      await x.ctl.call("SELECT", "1");
      await x.ctl.call("RPUSH", "moved", "m");
      x.log("move", await x.ctl.call("MOVE", "moved", "0"));
      await x.ctl.call("SELECT", "0");
      await x.read("c", c);
      x.log("sort store", await x.ctl.call("SORT", "renamed", "STORE", "sorted"));
      await x.read("e", e);
      a.send("BLPOP", "dst", "0");
      await x.blocked(1);
      x.log("lmove", await x.ctl.call("LMOVE", "copied", "dst", "LEFT", "LEFT"));
      await x.read("a", a);
      x.log("left", await x.ctl.call("LRANGE", "copied", "0", "-1"));
    });
  });

  test("CLIENT KILL of a blocked client", async () => {
    await sameBlocking(d, async (x) => {
      const a = await x.open();
      const b = await x.open();
      const ida = await clientId(a);
      a.send("BLPOP", "k", "0");
      b.send("BLPOP", "k", "0");
      await x.blocked(2);
      x.log("kill", await x.ctl.call("CLIENT", "KILL", "ID", ida));
      await x.blocked(1);
      x.log("rpush", await x.ctl.call("RPUSH", "k", "v"));
      await x.read("b", b);
    });
  });

  test("keyspace events of clients served later", async () => {
    await sameBlocking(d, async (x) => {
      const sub = await x.open();
      await x.ctl.call("CONFIG", "SET", "notify-keyspace-events", "KEA");
      x.log("psubscribe", await sub.call("PSUBSCRIBE", "__keyevent*"));
      const a = await x.open();
      const b = await x.open();
      a.send("BLMOVE", "s", "d", "RIGHT", "LEFT", "0");
      await x.blocked(1);
      b.send("BLMPOP", "0", "1", "d", "RIGHT", "COUNT", "5");
      await x.blocked(2);
      x.log("rpush", await x.ctl.call("RPUSH", "s", "v"));
      await x.read("a", a);
      await x.read("b", b);
      x.log("publish", await x.ctl.call("PUBLISH", "__keyevent_end", "x"));
      for (;;) {
        const m = await sub.read(3000);
        if (m.includes("__keyevent_end")) break;
        x.log("event", m);
      }
      await x.ctl.call("CONFIG", "SET", "notify-keyspace-events", "");
    });
  });
});

/**
 * What list, hash and set commands propagate (to the WAL and replicas), including blocked
 * clients served later, compared with what a redis-server replica receives from its master
 * (seen through MONITOR on the replica). AiKv's stream is captured in-process.
 */
describe("propagation", () => {
  test("effects match a redis-server replica's stream", async () => {

    // "@" runs the command on a second client that blocks; the next command serves it.
    const script: string[][] = [
      ["RPUSH", "a", "1", "2", "3", "4"], ["BLPOP", "nokey", "a", "0"], ["BRPOP", "a", "0"], ["LMPOP", "1", "a", "LEFT", "COUNT", "5"],
      ["RPUSH", "a", "1", "2", "3"], ["BLMPOP", "0", "1", "a", "RIGHT", "COUNT", "2"], ["BLMOVE", "a", "b", "left", "Right", "0"],
      ["RPUSH", "b", "x"], ["BRPOPLPUSH", "b", "a", "0"], ["LMOVE", "a", "b", "RIGHT", "LEFT"], ["RPOPLPUSH", "b", "a"],
      ["@", "BLPOP", "q", "0"], ["RPUSH", "q", "x", "y"],
      ["@", "BLMOVE", "s", "d", "LEFT", "RIGHT", "0"], ["LPUSH", "s", "v"],
      ["@", "BRPOPLPUSH", "s2", "d", "0"], ["RPUSH", "s2", "v"],
      ["@", "BLMPOP", "0", "2", "x", "q2", "LEFT", "COUNT", "3"], ["RPUSH", "q2", "1", "2"],
      ["LPOP", "nokey"], ["LTRIM", "d", "0", "-1"], ["LTRIM", "d", "1", "-1"], ["LREM", "d", "0", "zz"], ["LINSERT", "d", "BEFORE", "zz", "q"],
      ["LSET", "d", "0", "w"], ["LPUSHX", "nokey", "x"], ["RPOP", "d", "0"],
      ["HSET", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "0.5"], ["HINCRBYFLOAT", "h", "g", "1e2"], ["HINCRBY", "h", "f2", "3"], ["HSETNX", "h", "f", "x"],
      ["HDEL", "h", "zz"], ["HDEL", "h", "f"], ["HMSET", "h", "a", "1"],
      ["SADD", "s1", "a"], ["SADD", "s1", "a"], ["SPOP", "s1"], ["SPOP", "s1"], ["SADD", "s3", "1", "2", "3"], ["SPOP", "s3", "5"], ["SPOP", "s3", "0"],
      ["SADD", "u", "1", "2"], ["SADD", "t", "2", "3"], ["SMOVE", "u", "t", "1"], ["SMOVE", "u", "t", "9"], ["SREM", "t", "9"], ["SREM", "t", "3"],
      ["SINTERSTORE", "e", "u", "nope"], ["SINTERSTORE", "i", "u", "t"], ["SUNIONSTORE", "un", "u", "t"], ["SDIFFSTORE", "df", "t", "u"],
      ["SDIFFSTORE", "df", "t", "t"], ["SADD", "one", "z"], ["SPOP", "one", "1"],
      // SPOP of random members: compared as "SREM p <how many>"
      ["SADD", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"], ["SPOP", "p", "3"], ["SPOP", "p", "6"], ["SPOP", "p"],
    ];
    const norm = (args: string[]) => (args[0]!.toUpperCase() === "SREM" && args[1] === "p" ? `SREM p #${args.length - 2}` : args.join(" "));

    expect((await samePropagation(d, script, { line: norm })).length).toBeGreaterThan(40);
  }, 30000);
});
