// Pub/Sub compared with redis-server byte for byte: (un)subscribe confirmations, RESP2
// subscribed-mode restrictions, RESP3 push messages (and normal commands while subscribed),
// delivery across several clients, patterns, shard channels, PUBSUB introspection, and the
// output buffer limit that cuts off a subscriber that does not read.
import { describe, expect, test } from "bun:test";
import { connect as netConnect, type Socket } from "node:net";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { sameScenario, type Step } from "../helpers/multi.ts";
import { prng } from "../helpers/random.ts";

const d = useDiffer();

describe("subscribing", () => {
  test("confirmations and counts for channels, patterns and shard channels", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "a"],
      [0, "SUBSCRIBE", "a"],
      [0, "PSUBSCRIBE", "p*"],
      [0, "SSUBSCRIBE", "s1"],
      [0, "SUBSCRIBE", "b"],
      [0, "UNSUBSCRIBE", "nope"],
      [0, "UNSUBSCRIBE", "a"],
      [0, "PUNSUBSCRIBE", "p*"],
      [0, "PUNSUBSCRIBE", "p*"],
      [0, "SUNSUBSCRIBE", "s1"],
      [0, "UNSUBSCRIBE"],
      [0, "UNSUBSCRIBE"],
      [0, "PUNSUBSCRIBE"],
      [0, "SUNSUBSCRIBE"],
      [0, "PING"],
      [0, "SET", "k", "v"],
    ];
    await sameScenario(d, steps);
  });

  test("several channels in one command: one confirmation each", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "a", "b", "c"],
      ["read", 0],
      ["read", 0],
      [0, "PSUBSCRIBE", "x*", "y*"],
      ["read", 0],
      [0, "UNSUBSCRIBE", "a", "b"],
      ["read", 0],
      [0, "UNSUBSCRIBE"],
      [0, "PUNSUBSCRIBE"],
      ["read", 0],
      [0, "SSUBSCRIBE", "s1", "s2"],
      ["read", 0],
      [0, "SUNSUBSCRIBE", "s2", "s1"],
      ["read", 0],
    ];
    await sameScenario(d, steps);
  });

  test("RESP2 subscribed mode allows only (P|S)(UN)SUBSCRIBE, PING, QUIT, RESET; RESP3 allows everything", async () => {
    const steps: Step[] = [
      [0, "SET", "k", "v"],
      [0, "SUBSCRIBE", "a"],
      [0, "GET", "k"],
      [0, "PING"],
      [0, "PING", "hello"],
      [0, "PUBLISH", "a", "x"],
      [0, "PSUBSCRIBE", "q*"],
      [0, "MULTI"],
      [0, "ECHO", "e"],
      [0, "SSUBSCRIBE", "s"],
      [0, "PUNSUBSCRIBE"],
      [0, "SUNSUBSCRIBE"],
      [0, "UNSUBSCRIBE"],
      [0, "GET", "k"],
    ];
    await sameScenario(d, steps);
  });

  test("RESET leaves subscribed mode", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "a"],
      [0, "PSUBSCRIBE", "b*"],
      [0, "RESET"],
      [0, "GET", "k"],
      [1, "PUBSUB", "NUMSUB", "a"],
      [1, "PUBSUB", "NUMPAT"],
    ];
    await sameScenario(d, steps);
  });
});

describe("delivery", () => {
  test("messages and pattern messages reach every subscriber, in order", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "news"],
      [1, "PSUBSCRIBE", "n*"],
      [1, "SUBSCRIBE", "news"],
      [2, "PUBLISH", "news", "hello"],
      ["read", 0],
      ["read", 1],
      ["read", 1],
      [2, "PUBLISH", "nope", "x"],
      [2, "PUBLISH", "nothing", "y"],
      ["read", 1],
      [2, "PUBLISH", "news", "a\r\nb\u0000c"],
      ["read", 0],
      ["read", 1],
      ["read", 1],
      [0, "UNSUBSCRIBE", "news"],
      [2, "PUBLISH", "news", "again"],
      ["read", 1],
      ["read", 1],
      [2, "PUBSUB", "NUMSUB", "news", "n*", "none"],
      [2, "PUBSUB", "NUMPAT"],
    ];
    await sameScenario(d, steps);
  });

  test("pattern syntax: ?, [...], escapes", async () => {
    const steps: Step[] = [
      [0, "PSUBSCRIBE", "h?llo", "c[ab]t", "x\\*y"],
      ["read", 0],
      ["read", 0],
      [1, "PUBLISH", "hello", "1"],
      ["read", 0],
      [1, "PUBLISH", "hllo", "2"],
      [1, "PUBLISH", "cbt", "3"],
      ["read", 0],
      [1, "PUBLISH", "x*y", "4"],
      ["read", 0],
      [1, "PUBLISH", "xzy", "5"],
    ];
    await sameScenario(d, steps);
  });

  test("a RESP3 subscriber runs commands and receives its own publications as pushes", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "me"],
      [0, "PUBLISH", "me", "self"],
      ["read", 0],
      [0, "SET", "k", "1"],
      [1, "PUBLISH", "me", "other"],
      ["read", 0],
      [0, "GET", "k"],
    ];
    await sameScenario(d, steps, { protos: [3] });
  });

  test("shard channels: SPUBLISH and PUBSUB SHARDCHANNELS/SHARDNUMSUB", async () => {
    const steps: Step[] = [
      [0, "SSUBSCRIBE", "sh"],
      [1, "SPUBLISH", "sh", "m1"],
      ["read", 0],
      [1, "PUBLISH", "sh", "not-shard"],
      [1, "PUBSUB", "SHARDCHANNELS"],
      [1, "PUBSUB", "SHARDCHANNELS", "s*"],
      [1, "PUBSUB", "SHARDCHANNELS", "x*"],
      [1, "PUBSUB", "SHARDNUMSUB", "sh", "zz"],
      [1, "PUBSUB", "SHARDNUMSUB"],
      [1, "PUBSUB", "CHANNELS"],
    ];
    await sameScenario(d, steps);
  });

  test("PUBSUB CHANNELS/NUMSUB/NUMPAT and errors", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "alpha"],
      [1, "PSUBSCRIBE", "a*"],
      [1, "PSUBSCRIBE", "b*"],
      [2, "PSUBSCRIBE", "a*"],
      [3, "PUBSUB", "CHANNELS"],
      [3, "PUBSUB", "CHANNELS", "al*"],
      [3, "PUBSUB", "CHANNELS", "zz*"],
      [3, "PUBSUB", "NUMSUB"],
      [3, "PUBSUB", "NUMSUB", "alpha", "a*"],
      [3, "PUBSUB", "NUMPAT"],
      [3, "PUBSUB", "NUMPAT", "x"],
      [3, "PUBSUB", "CHANNELS", "a", "b"],
      [3, "PUBSUB"],
      [3, "PUBSUB", "NOPE"],
      [3, "PUBLISH", "alpha"],
      [3, "SUBSCRIBE"],
      [3, "SSUBSCRIBE"],
    ];
    await sameScenario(d, steps);
  });

  test("randomized publish/subscribe traffic over three clients", async () => {
    const rnd = prng(77);
    const chans = ["c1", "c2", "c3"];
    const pats = ["c*", "c[12]", "?2"];
    for (const proto of [2, 3] as const) {
      const steps: Step[] = [];
      const subs: Set<string>[] = [new Set(), new Set()];
      const psubs: Set<string>[] = [new Set(), new Set()];
      for (let i = 0; i < 50; i++) {
        const r = rnd();
        const who = rnd() < 0.5 ? 0 : 1;
        if (r < 0.2) {
          const ch = chans[Math.floor(rnd() * 3)]!;
          steps.push([who, "SUBSCRIBE", ch]);
          subs[who]!.add(ch);
        } else if (r < 0.3) {
          const p = pats[Math.floor(rnd() * 3)]!;
          steps.push([who, "PSUBSCRIBE", p]);
          psubs[who]!.add(p);
        } else if (r < 0.4 && subs[who]!.size) {
          const ch = [...subs[who]!][0]!;
          steps.push([who, "UNSUBSCRIBE", ch]);
          subs[who]!.delete(ch);
        } else {
          const ch = chans[Math.floor(rnd() * 3)]!;
          steps.push([2, "PUBLISH", ch, `m${i}`]);
          // each subscriber gets one message per matching subscription
          for (const c of [0, 1]) {
            let n = subs[c]!.has(ch) ? 1 : 0;
            for (const p of psubs[c]!) {
              const re = new RegExp("^" + p.replace(/\?/g, ".").replace(/\*/g, ".*") + "$");
              if (re.test(ch)) n++;
            }
            for (let j = 0; j < n; j++) steps.push(["read", c]);
          }
        }
      }
      await sameScenario(d, steps, { protos: [proto], sortReads: true });
    }
  });
});

describe("slow subscribers", () => {
  test("a subscriber that does not read is disconnected at client-output-buffer-limit pubsub", async () => {
    for (const port of [d.aikv.port, d.redis.port]) {
      const admin = await RespConn.connect(port);
      expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 256kb 0 0")).toBe("+OK\r\n");
      // A raw subscriber that stops reading.
      const sock: Socket = await new Promise((res) => {
        const s = netConnect(port, "127.0.0.1", () => res(s));
      });
      sock.on("error", () => {});
      sock.write("*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n");
      await Bun.sleep(50);
      sock.pause();
      const payload = "x".repeat(64 * 1024);
      let receivers = 1;
      for (let i = 0; i < 400 && receivers > 0; i++) {
        const r = await admin.call("PUBLISH", "slow", payload);
        receivers = Number(r.slice(1));
      }
      expect(receivers).toBe(0);
      expect(await admin.call("PUBSUB", "NUMSUB", "slow")).toBe("*2\r\n$4\r\nslow\r\n:0\r\n");
      if (port === d.aikv.port) {
        const info = await admin.call("INFO", "stats");
        expect(info).toMatch(/client_output_buffer_limit_disconnections:[1-9]/);
      }
      sock.destroy();
      expect(await admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60")).toBe("+OK\r\n");
      admin.close();
    }
  });
});
