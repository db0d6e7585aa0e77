// SORT / SORT_RO compared byte for byte with redis-server (RESP2 and RESP3), plus seeded
// random sorts over lists, sorted sets and (once the type exists) sets and hashes.
import { describe, test } from "bun:test";
import { parseScript, useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { prng } from "../helpers/random.ts";
import { sameEvents } from "../helpers/keyspace.ts";

const d = useDiffer();

/** Whether AiKv serves a command yet (hashes and sets come from another family). */
async function aikvHas(cmd: string): Promise<boolean> {
  const c = await RespConn.connect(d.aikv.port);
  const r = await c.call("COMMAND", "INFO", cmd);
  c.close();
  return !r.startsWith("*1\r\n*-1") && !r.startsWith("*1\r\n$-1");
}

describe("sort", () => {
  test("lists, sorted sets, options and errors", async () => {
    await d.same(`
      RPUSH l 3 1 2 10 -5 1.5 1e3 0x10
      SORT l
      SORT l DESC
      SORT l ALPHA
      SORT l ALPHA DESC
      SORT l LIMIT 1 3
      SORT l LIMIT -1 3
      SORT l LIMIT 1 -1
      SORT l LIMIT 10 3
      SORT l LIMIT 1 0
      SORT l LIMIT x 1
      SORT l LIMIT 1
      SORT l FOO
      SORT l BY nosort
      SORT l BY nosort DESC
      SORT l BY nosort LIMIT 2 3
      SORT l BY nosort DESC LIMIT 2 3
      SORT l BY nosort LIMIT 20 3
      RPUSH words banana apple cherry "" "a b" Apple
      SORT words
      SORT words ALPHA
      SORT words ALPHA DESC LIMIT 0 2
      SORT words BY nosort
      MSET w_1 30 w_2 10 w_3 20 o_1 one o_2 two
      RPUSH ids 1 2 3 4
      SORT ids BY w_*
      SORT ids BY w_* DESC
      SORT ids BY w_* GET o_*
      SORT ids BY w_* GET # GET o_* GET nopattern
      SORT ids BY w_* ALPHA
      SORT ids BY w_* ALPHA LIMIT 1 2
      SORT ids BY w_* LIMIT 1 2
      SORT ids BY nosort GET o_* GET #
      SORT ids BY w_* STORE dst
      LRANGE dst 0 -1
      TYPE dst
      SORT ids BY w_* GET o_* STORE dst
      LRANGE dst 0 -1
      SORT nokey STORE dst
      EXISTS dst
      SORT nokey
      SORT_RO ids STORE x
      SORT_RO ids BY w_* GET o_*
      ZADD z 3 a 1 b 2 c
      SORT z
      SORT z ALPHA
      SORT z BY nosort
      SORT z BY nosort DESC
      SORT z BY nosort LIMIT 1 1
      SORT z BY nosort DESC LIMIT 1 5
      SET str x
      SORT str
      RPUSH bad 1 x 3
      SORT bad
      SORT bad ALPHA
      RPUSH e2 "" " 1" inf -inf 0x1p3 "3\\x00junk"
      SORT e2
      SORT l BY w_*->x
      SORT l LIMIT 0 3 LIMIT 1 1
      SORT l ASC DESC ASC
      
    `);
  });

  test("SORT leaves a sorted set in the skiplist encoding", async () => {
    await d.same(`
      ZADD z 1 a 2 b
      OBJECT ENCODING z
      SORT z ALPHA
      OBJECT ENCODING z
      ZADD y 1 a
      SORT_RO y BY nosort
      OBJECT ENCODING y
      ZSCAN y 0
    `);
  });

  test("conversion errors and odd numbers", async () => {
    // Redis never clears errno before SORT's strtod, so an ERANGE sticks until a command that
    // resets it (ZADD's float parsing does): each case starts after such a reset.
    await d.same(`
      RPUSH e "" " 1" inf -inf 0x1p3 "3\\x00junk" "+.5" "-0"
      ZADD reset 1 x
      SORT e
      SORT e DESC
      RPUSH big 1e400 1
      SORT big
      ZADD reset 1 x
      RPUSH small 1e-400 1
      SORT small
      ZADD reset 1 x
      RPUSH nan nan 1
      SORT nan
      ZADD reset 1 x
      RPUSH sp " " 1
      SORT sp
      ZADD reset 1 x
      RPUSH tr "1 " 1
      SORT tr
      SORT tr ALPHA
      SORT tr BY nosort
    `);
  });

  test("hash fields in BY and GET", async () => {
    if (!(await aikvHas("hset"))) return;
    await d.same(`
      RPUSH ids 1 2 3 4
      HSET h_1 f 5 g x
      HSET h_2 f 3
      HSET h_3 f 9
      SET h_4 notahash
      SORT ids BY h_*->f
      SORT ids BY h_*->f DESC GET h_*->g GET h_*->f GET #
      SORT ids BY h_*-> GET h_*->
      SORT ids BY h_*->f ALPHA
      SORT ids BY h_*->f GET h_*->f STORE dst
      LRANGE dst 0 -1
      SORT ids BY h_*->nofield
      SORT ids GET *->f
      HSET h f 1
      SORT ids BY h->f
      SORT ids GET h->f
    `);
  });

  test("sets", async () => {
    if (!(await aikvHas("sadd"))) return;
    await d.same(`
      SADD s 5 3 9 1 -2 10
      SORT s
      SORT s DESC LIMIT 1 2
      SORT s BY nosort STORE dst
      LRANGE dst 0 -1
      SADD w banana apple cherry
      SORT w ALPHA
      SORT w
      SORT w BY nosort ALPHA STORE dst
      LRANGE dst 0 -1
      MSET w_apple 3 w_banana 1 w_cherry 2
      SORT w BY w_*
      SORT w BY w_* GET # GET w_*
    `);
  });
});

describe("randomized", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`seed ${seed}`, async () => {
      const r = prng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
      const cmds: Cmd[] = [];
      const nums = () => pick(["1", "2", "10", "-3", "2.5", "0", "007", "1e2", "-0.5", "3", "3.0", "+4", "inf", "-inf"]);
      const words = () => pick(["apple", "Banana", "cherry", "a", "", "zz", "b b", "10", "9", "A"]);
      for (let i = 0; i < 40; i++) cmds.push(["RPUSH", "nl", nums()], ["RPUSH", "wl", words()]);
      for (let i = 0; i < 30; i++) cmds.push(["ZADD", "z", String(Math.floor(r() * 10)), nums()]);
      for (const n of ["1", "2", "10", "-3", "2.5", "0", "3", "a", "apple", "cherry"]) {
        if (r() < 0.7) cmds.push(["SET", `w_${n}`, r() < 0.8 ? String(Math.floor(r() * 5)) : pick(["x", "1.5", ""])]);
        if (r() < 0.7) cmds.push(["SET", `o_${n}`, `obj-${n}`]);
      }
      for (let i = 0; i < 120; i++) {
        const cmd: string[] = [pick(["SORT", "SORT", "SORT_RO"]), pick(["nl", "wl", "z", "nokey"])];
        const alpha = cmd[1] === "wl" || r() < 0.3;
        // A sorted set is walked in hash order before sorting, so ALPHA ties under a BY
        // pattern (missing keys) have no defined order there: leave that combination out.
        if (r() < 0.4 && !(cmd[1] === "z" && alpha)) cmd.push("BY", pick(["w_*", "nosort", "o_*", "w_*_x"]));
        if (r() < 0.4) cmd.push("LIMIT", String(Math.floor(r() * 50) - 5), String(Math.floor(r() * 20) - 3));
        if (r() < 0.4) cmd.push(pick(["ASC", "DESC"]));
        if (alpha) cmd.push("ALPHA");
        for (let g = Math.floor(r() * 3); g > 0; g--) cmd.push("GET", pick(["#", "o_*", "w_*", "nostar"]));
        if (cmd[0] === "SORT" && r() < 0.3) cmd.push("STORE", "dst");
        cmds.push(cmd);
        if (cmd.includes("STORE")) cmds.push(["LRANGE", "dst", "0", "-1"]);
        cmds.push(["ZADD", "reset", "1", "x"]);
      }
      await d.same(cmds);
    });
  }
});

describe("events", () => {
  test("sortstore and del", async () => {
    const script = `
      RPUSH l 3 1 2
      SORT l STORE s
      SORT l LIMIT 5 5 STORE s
      SORT nokey STORE s
      SORT l BY nosort STORE s2
    `;
    await sameEvents(d, "KEA", parseScript(script));
  });
});
