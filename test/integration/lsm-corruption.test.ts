// Damaged data of the durable engine: a torn WAL tail is truncated with a log line; damage
// anywhere else refuses to start with a message naming `aikv-tool check --repair`, which cuts
// the log at the damage so the server starts again (with the writes before it).

import { afterAll, describe, expect, test } from "bun:test";
import { appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import { freePort, ROOT } from "../helpers/servers.ts";
import { startLsm, tempDir } from "./lsm-util.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ARGS = ["--appendfsync", "always", "--checkpoint-interval", "100000"];

/** A directory whose WAL holds `n` records (one SET k<i> per record), server stopped with kill -9. */
async function prepared(n: number): Promise<string> {
  const dir = tempDir("aikv-corrupt-");
  dirs.push(dir);
  const s = await startLsm(dir, ARGS);
  const c = await RespConn.connect(s.port);
  for (let i = 0; i < n; i++) expect(await c.call("SET", `k${i}`, `value-${i}`)).toBe("+OK\r\n");
  c.close();
  s.proc.kill("SIGKILL");
  await s.proc.exited;
  return dir;
}

function lastSegment(dir: string): string {
  const names = readdirSync(join(dir, "wal")).filter((n) => n.endsWith(".log")).sort();
  return join(dir, "wal", names[names.length - 1]!);
}

/** Offsets of the records in a segment. */
function recordOffsets(path: string): number[] {
  const b = readFileSync(path);
  const out: number[] = [];
  for (let p = 0; p + 16 <= b.length; ) {
    out.push(p);
    p += 16 + b.readUInt32LE(p);
  }
  return out;
}

async function startFails(dir: string): Promise<{ code: number; out: string }> {
  const port = await freePort();
  const proc = Bun.spawn(["bun", join(ROOT, "src/main.ts"), "--port", String(port), "--engine", "lsm", "--save", "", ...ARGS], {
    cwd: dir,
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15000);
  const [o, e] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, out: o + e };
}

function tool(...args: string[]): { code: number; out: string } {
  const r = Bun.spawnSync(["bun", join(ROOT, "src/tool/main.ts"), ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

async function keys(port: number, n: number): Promise<(string | null)[]> {
  const c = await RespConn.connect(port);
  const out: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.call("GET", `k${i}`);
    out.push(r === "$-1\r\n" ? null : r.split("\r\n")[1]!);
  }
  c.close();
  return out;
}

describe("torn tail", () => {
  test("an incomplete last record is truncated with a log line; everything before it is served", async () => {
    const dir = await prepared(20);
    const seg = lastSegment(dir);
    // a record header announcing 500 bytes, with only a few of them written
    const h = Buffer.alloc(16 + 7);
    h.writeUInt32LE(500, 0);
    h.writeUInt32LE(12345, 4);
    h.writeUInt32LE(21, 8);
    appendFileSync(seg, h);
    const s = await startLsm(dir, ARGS);
    try {
      expect(s.logs()).toContain("truncating");
      const vals = await keys(s.port, 20);
      expect(vals).toEqual(Array.from({ length: 20 }, (_, i) => `value-${i}`));
      expect(tool("check", dir).code).toBe(1); // the server runs: the LSM is locked
    } finally {
      await s.stop();
    }
    expect(tool("check", dir)).toMatchObject({ code: 0 });
  });

  test("a complete last record with a bad checksum is a torn tail too", async () => {
    const dir = await prepared(10);
    const seg = lastSegment(dir);
    const b = readFileSync(seg);
    const offs = recordOffsets(seg);
    b[offs[offs.length - 1]! + 20] ^= 0xff;
    writeFileSync(seg, b);
    const s = await startLsm(dir, ARGS);
    try {
      expect(s.logs()).toContain("truncating");
      const vals = await keys(s.port, 10);
      // the last write was cut (it never was on disk whole)
      expect(vals.slice(0, 9)).toEqual(Array.from({ length: 9 }, (_, i) => `value-${i}`));
      expect(vals[9]).toBeNull();
    } finally {
      await s.stop();
    }
  });
});

describe("damage in the middle", () => {
  test("refuses to start, names aikv-tool check --repair; the repair cuts the log there", async () => {
    const dir = await prepared(30);
    const seg = lastSegment(dir);
    const offs = recordOffsets(seg);
    expect(offs.length).toBeGreaterThanOrEqual(30);
    // damage record 10 of 30 (bytes after it stay valid)
    const b = readFileSync(seg);
    b[offs[10]! + 24] ^= 0x55;
    writeFileSync(seg, b);
    const r = await startFails(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("aikv-tool check --repair");
    expect(r.out).toContain("damaged");
    // check reports it and changes nothing
    const c1 = tool("check", dir);
    expect(c1.code).toBe(1);
    expect(c1.out).toContain("PROBLEM");
    expect((await startFails(dir)).code).toBe(1);
    // repair, then the server starts with the writes before the damage
    const c2 = tool("check", "--repair", dir);
    expect(c2.code).toBe(0);
    expect(c2.out).toContain("REPAIRED");
    expect(tool("check", dir).code).toBe(0);
    const s = await startLsm(dir, ARGS);
    try {
      const vals = await keys(s.port, 30);
      const before = vals.slice(0, 10);
      expect(before).toEqual(Array.from({ length: 10 }, (_, i) => `value-${i}`));
      expect(vals.slice(10).every((v) => v === null)).toBe(true);
      // and it keeps working: new writes, restart
      const c = await RespConn.connect(s.port);
      expect(await c.call("SET", "after", "repair")).toBe("+OK\r\n");
      c.close();
      s.proc.kill("SIGKILL");
      await s.proc.exited;
      const s2 = await startLsm(dir, ARGS, s.port);
      const c3 = await RespConn.connect(s2.port);
      expect(await c3.call("GET", "after")).toBe("$6\r\nrepair\r\n");
      c3.close();
      await s2.stop();
    } finally {
      await s.stop();
    }
  });

  test("a missing segment (a gap in the record numbers) refuses to start", async () => {
    const dir = await prepared(5);
    // restart twice so there are several segments, then remove the middle one
    for (let i = 0; i < 2; i++) {
      const s = await startLsm(dir, ARGS);
      const c = await RespConn.connect(s.port);
      await c.call("SET", `more${i}`, "x");
      c.close();
      s.proc.kill("SIGKILL");
      await s.proc.exited;
    }
    const names = readdirSync(join(dir, "wal")).filter((n) => n.endsWith(".log")).sort();
    expect(names.length).toBeGreaterThanOrEqual(3);
    rmSync(join(dir, "wal", names[1]!));
    const r = await startFails(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain("aikv-tool check --repair");
    expect(tool("check", "--repair", dir).code).toBe(0);
    const s = await startLsm(dir, ARGS);
    try {
      expect(await keys(s.port, 5)).toEqual(Array.from({ length: 5 }, (_, i) => `value-${i}`));
    } finally {
      await s.stop();
    }
  });
});

describe("aikv-tool check", () => {
  test("a clean directory, with checkpointed keys and a WAL tail", async () => {
    const dir = tempDir("aikv-check-");
    dirs.push(dir);
    const s = await startLsm(dir, ["--checkpoint-interval", "1"]);
    const c = await RespConn.connect(s.port);
    for (let i = 0; i < 50; i++) await c.call("HSET", `h${i % 7}`, `f${i}`, String(i));
    await Bun.sleep(1500);
    await c.call("SET", "tail", "1");
    c.close();
    s.proc.kill("SIGKILL");
    await s.proc.exited;
    const r = tool("check", dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("OK: no problems found");
    expect(r.out).toMatch(/stored keys: 7 /);
    expect(tool("check", join(dir, "nothing-here")).code).toBe(1);
  });
});
