// The command table stays true: for every command AiKv serves, COMMAND INFO matches
// redis-server's (arity, flags, key positions, ACL categories, tips, key specs), and
// COMMAND GETKEYS agrees on key extraction.
import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { cli } from "../helpers/servers.ts";

const d = useDiffer();

type Info = [string, number, string[], number, number, number, string[], string[], Record<string, unknown>[], Info[]];

function infos(port: number, names: string[]): Info[] {
  return JSON.parse(cli(port, "--json", "command", "info", ...names));
}

/** Key specs without Redis's free-text notes (AiKv does not carry prose). */
function stripNotes(i: Info): Info {
  const specs = i[8].map(({ notes: _n, ...rest }) => rest);
  return [i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7], specs, i[9].map(stripNotes).sort((a, b) => a[0].localeCompare(b[0]))];
}

describe("command table", () => {
  test("COMMAND LIST filters by ACL category and pattern", () => {
    const all: Info[] = JSON.parse(cli(d.aikv.port, "--json", "command"));
    const listed = (args: string[]) => (JSON.parse(cli(d.aikv.port, "--json", "command", "list", ...args)) as string[]).sort();
    const withCat = all.flatMap((i) => [i, ...i[9]]).filter((i) => i[6].includes("@connection")).map((i) => i[0]).sort();
    expect(listed(["filterby", "aclcat", "connection"])).toEqual(withCat);
    expect(withCat.length).toBeGreaterThan(3);
    const cl = all.flatMap((i) => [i, ...i[9]]).map((i) => i[0]).filter((n) => n.startsWith("cl")).sort();
    expect(listed(["filterby", "pattern", "cl*"])).toEqual(cl);
  });

  test("COMMAND INFO of every implemented command matches redis-server", () => {
    const ours: Info[] = JSON.parse(cli(d.aikv.port, "--json", "command", "info"));
    expect(ours.length).toBeGreaterThan(10);
    const theirs = new Map(infos(d.redis.port, ours.map((i) => i[0])).filter(Boolean).map((i) => [i[0], i]));
    for (const mine of ours) {
      const ref = theirs.get(mine[0]);
      if (!ref) continue; // AiKv-only commands (JSON.*, CLIENT SETINFO) have no 7.0 reference
      const want = stripNotes(ref);
      const got = stripNotes(mine);
      // Compare the subcommands both have (AiKv adds CLIENT SETINFO from 7.2; some 7.0 ones may be missing).
      const both = new Set(got[9].map((s) => s[0]).filter((n) => want[9].some((w) => w[0] === n)));
      want[9] = want[9].filter((s) => both.has(s[0]));
      got[9] = got[9].filter((s) => both.has(s[0]));
      expect(got).toEqual(want);
    }
  });

  test("COMMAND COUNT equals the number of commands COMMAND lists", () => {
    const n = Number(cli(d.aikv.port, "command", "count").trim());
    const all: Info[] = JSON.parse(cli(d.aikv.port, "--json", "command"));
    expect(n).toBe(all.length);
  });

  test("COMMAND GETKEYS agrees with redis-server", async () => {
    // Only commands AiKv serves (all of them, once every family has landed).
    const served = new Set((JSON.parse(cli(d.aikv.port, "--json", "command")) as Info[]).map((i) => i[0]));
    const script = `
      COMMAND GETKEYS zunionstore d 2 a b
      COMMAND GETKEYS zunionstore d 0
      COMMAND GETKEYS eval x 0
      COMMAND GETKEYS eval x 2 a b
      COMMAND GETKEYS eval x 3 a b
      COMMAND GETKEYS get
      COMMAND GETKEYS foo a
      COMMAND GETKEYS ping x
      COMMAND GETKEYS sort k store d
      COMMAND GETKEYS sort k limit 0 1 by x store d get y
      COMMAND GETKEYS migrate h p "" 0 5 keys a b
      COMMAND GETKEYS migrate h p k 0 5
      COMMAND GETKEYS xread count 2 streams a b 1 2
      COMMAND GETKEYS mset a 1 b 2
      COMMAND GETKEYS mset a 1 b
      COMMAND GETKEYS lmpop 2 a b left
      COMMAND GETKEYS georadius k 0 0 1 m store d
      COMMAND GETKEYSANDFLAGS lmove a b left right
      COMMAND GETKEYSANDFLAGS del a b
      COMMAND LIST FILTERBY MODULE x
      COMMAND INFO nosuchcommand
    `
      .split("\n")
      .filter((l) => !/GETKEYS/.test(l) || served.has(l.trim().split(/\s+/)[2]!.toLowerCase()) || l.includes(" foo "))
      .join("\n");
    await d.same(script, { normalize: (r, cmd) => (String(cmd[1]).toUpperCase() === "LIST" ? r.split("\r\n").slice(1).sort().join("|") : r) });
  });
});
