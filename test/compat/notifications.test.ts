// Keyspace notifications compared with redis-server: notify-keyspace-events classes, the
// __keyspace@<db>__ / __keyevent@<db>__ channels, the event names of every command family,
// expired events from lazy and active expiry, key-miss and new-key events.
import { describe, test } from "bun:test";
import { HANDLERS } from "../../src/commands/index.ts";
import { useDiffer } from "../helpers/diff.ts";
import { sameEvents } from "../helpers/keyspace.ts";

const d = useDiffer();

/** True once AiKv serves all the commands (families land at different times). */
const serves = (...names: string[]) => names.every((n) => HANDLERS[n] !== undefined);

describe("configuration", () => {
  test("CONFIG SET/GET notify-keyspace-events canonical forms and errors", async () => {
    await d.same(`
      CONFIG SET notify-keyspace-events KEA
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events Kg$
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events Exe
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events Kmn
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events KEA$lshzxetdmn
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events Q
      CONFIG SET notify-keyspace-events ""
      CONFIG GET notify-keyspace-events
    `, { protos: [2] });
  });

  test("channels: K only, E only, neither (no events at all), class filters", async () => {
    const cmds = [["SET", "k", "v"], ["DEL", "k"], ["RPUSH", "l", "a"], ["EXPIRE", "l", "100"]];
    await sameEvents(d, "K$", cmds);
    await sameEvents(d, "E$", cmds);
    await sameEvents(d, "$", cmds);
    await sameEvents(d, "Kg", cmds);
    await sameEvents(d, "Kl", cmds);
    await sameEvents(d, "KEA", cmds, { proto: 3 });
  });

  test("events in other databases name their db", async () => {
    await sameEvents(d, "KEA", [["SELECT", "3"], ["SET", "k", "v"], ["SELECT", "0"], ["SET", "k", "v"]]);
  });
});

describe("events of each family", () => {
  test("strings", async () => {
    await sameEvents(d, "KEA", [
      ["SET", "s", "1"], ["SETNX", "s", "2"], ["SETNX", "t", "2"], ["INCR", "s"], ["INCRBY", "s", "5"], ["DECR", "s"], ["INCRBYFLOAT", "s", "1.5"],
      ["APPEND", "s", "x"], ["SETRANGE", "s", "0", "ab"], ["GETSET", "s", "z"], ["GETDEL", "s"], ["MSET", "a", "1", "b", "2"], ["MSETNX", "c", "1"],
      ["SET", "e", "1", "EX", "100"], ["GETEX", "e", "PERSIST"], ["GETEX", "e", "EX", "50"], ["SETEX", "f", "10", "v"], ["PSETEX", "g", "10000", "v"],
      ["SET", "a", "x", "KEEPTTL"], ["SETBIT", "bits", "3", "1"], ["BITOP", "NOT", "dest", "bits"], ["BITFIELD", "bf", "SET", "u8", "0", "1"],
    ]);
  });

  test("generic key commands", async () => {
    await sameEvents(d, "KEA", [
      ["SET", "a", "1"], ["SET", "b", "2"], ["DEL", "a", "nope"], ["UNLINK", "b"], ["SET", "c", "1"], ["RENAME", "c", "d"], ["RENAMENX", "d", "e"],
      ["EXPIRE", "e", "100"], ["PEXPIRE", "e", "100000"], ["EXPIREAT", "e", "9999999999"], ["PERSIST", "e"], ["COPY", "e", "f"], ["MOVE", "f", "2"],
      ["EXPIRE", "e", "0"], ["SET", "g", "1"], ["PEXPIREAT", "g", "1"], ["SET", "h", "1"], ["RESTORE", "i", "0", "\x00\x011\n\x00\xfd\x8e\x1d\xbf\x9fG\x10\x9e"],
    ]);
  });

  test("lists", async () => {
    await sameEvents(d, "KEA", [
      ["RPUSH", "l", "a", "b", "c"], ["LPUSH", "l", "z"], ["LPUSHX", "l", "y"], ["RPUSHX", "none", "x"], ["LINSERT", "l", "BEFORE", "a", "q"],
      ["LSET", "l", "0", "w"], ["LREM", "l", "1", "q"], ["LTRIM", "l", "0", "2"], ["LPOP", "l"], ["RPOP", "l"], ["RPOPLPUSH", "l", "m"],
      ["LMOVE", "m", "n", "LEFT", "RIGHT"], ["RPUSH", "o", "1", "2"], ["LMPOP", "1", "o", "LEFT", "COUNT", "5"], ["BLPOP", "none", "0.01"],
    ]);
  });

  test("sorted sets", async () => {
    await sameEvents(d, "KEA", [
      ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZADD", "z", "1", "a"], ["ZINCRBY", "z", "5", "a"], ["ZREM", "z", "b"], ["ZREM", "z", "nope"],
      ["ZPOPMIN", "z"], ["ZPOPMAX", "z"], ["ZADD", "y", "1", "a", "2", "b"], ["ZREMRANGEBYRANK", "y", "0", "0"], ["ZADD", "y", "5", "q"],
      ["ZREMRANGEBYSCORE", "y", "0", "1"], ["ZUNIONSTORE", "u", "1", "y"], ["ZINTERSTORE", "i", "1", "nope"], ["ZRANGESTORE", "r", "y", "0", "-1"],
      ["ZDIFFSTORE", "df", "1", "y"], ["ZMPOP", "1", "y", "MIN"],
    ]);
  });

  test.skipIf(!serves("hset"))("hashes", async () => {
    await sameEvents(d, "KEA", [
      ["HSET", "h", "a", "1", "b", "2"], ["HSETNX", "h", "a", "2"], ["HSETNX", "h", "c", "3"], ["HINCRBY", "h", "a", "1"],
      ["HINCRBYFLOAT", "h", "a", "1.5"], ["HDEL", "h", "b"], ["HDEL", "h", "a", "c"], ["HMSET", "g", "x", "1"],
    ]);
  });

  test.skipIf(!serves("sadd"))("sets", async () => {
    await sameEvents(d, "KEA", [
      ["SADD", "s", "a", "b", "c"], ["SADD", "s", "a"], ["SREM", "s", "a"], ["SMOVE", "s", "t", "b"], ["SPOP", "s"], ["SADD", "u", "1", "2"],
      ["SINTERSTORE", "i", "u", "t"], ["SUNIONSTORE", "un", "u", "t"], ["SDIFFSTORE", "df", "u", "t"], ["SINTERSTORE", "e", "u", "nope"],
    ]);
  });
});

describe("expiry, misses and new keys", () => {
  test("expired events from active expiry", async () => {
    // The active cycle samples keys in no particular order: compare the events as a set.
    await sameEvents(d, "KEA", [["SET", "k", "v", "PX", "20"], ["RPUSH", "l", "a"], ["PEXPIRE", "l", "20"], ["sleep", "400"]], { sorted: true });
  });

  test("expired events from lazy expiry, with key-miss events", async () => {
    const cmds = [
      ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "k", "v", "PX", "20"], ["sleep", "60"], ["GET", "k"], ["GET", "k"], ["EXISTS", "nope"],
      ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ];
    await sameEvents(d, "KEA", cmds);
    await sameEvents(d, "Exm", cmds);
  });

  test("new-key events (n) are only sent when asked for", async () => {
    const cmds = [["SET", "a", "1"], ["SET", "a", "2"], ["RPUSH", "l", "x"], ["RPUSH", "l", "y"], ["ZADD", "z", "1", "m"], ["DEL", "a"], ["SET", "a", "3"]];
    await sameEvents(d, "KEA", cmds);
    await sameEvents(d, "KEn", cmds);
    await sameEvents(d, "KEAn", cmds);
  });

  test("FLUSHDB sends no per-key events", async () => {
    await sameEvents(d, "KEA", [["SET", "a", "1"], ["FLUSHDB"], ["SET", "b", "1"], ["FLUSHALL"]]);
  });
});

describe("notifications from transactions and scripts", () => {
  test("inside EXEC and EVAL", async () => {
    await sameEvents(d, "KEA", [
      ["MULTI"], ["SET", "a", "1"], ["INCR", "a"], ["EXEC"],
      ["EVAL", "redis.call('set', KEYS[1], 'x') redis.call('rpush', KEYS[2], 'y') return 1", "2", "b", "c"],
    ]);
  });
});
