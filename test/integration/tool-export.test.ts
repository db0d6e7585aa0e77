// aikv-tool export / import: a snapshot of redis-server moves into AiKv (and back), plain or
// zstd-compressed, with every type and TTL.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import { ROOT, startAikv, startRedis, type Running } from "../helpers/servers.ts";

let aikv: Running;
let redis: Running;
const dir = mkdtempSync(join(tmpdir(), "aikv-export-"));
beforeAll(async () => {
  [aikv, redis] = await Promise.all([startAikv(), startRedis()]);
});
afterAll(async () => {
  await Promise.all([aikv.stop(), redis.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

function tool(...args: string[]): { code: number; err: string } {
  const r = Bun.spawnSync(["bun", join(ROOT, "src/tool/main.ts"), ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, err: r.stderr.toString() };
}

const FILL = [
  ["SET", "s", "hello"],
  ["SET", "t", "with ttl", "EX", "1000"],
  ["RPUSH", "l", "a", "b", "c"],
  ["SADD", "set", "x", "y"],
  ["ZADD", "z", "1", "a", "2.5", "b"],
  ["HSET", "h", "f", "v"],
  ["XADD", "x", "1-1", "f", "v"],
  ["SELECT", "3"],
  ["SET", "db3", "three"],
];

for (const ext of [".rdb", ".rdb.zst"]) {
  test(`redis-server -> export${ext} -> AiKv import: same digest`, async () => {
    const r = await RespConn.connect(redis.port);
    await r.call("FLUSHALL");
    for (const c of FILL) await r.call(...c);
    await r.call("SELECT", "0");
    const digest = await r.call("DEBUG", "DIGEST");
    const file = join(dir, `snap${ext}`);
    const ex = tool("export", file, "--port", String(redis.port), "--quiet");
    expect(ex.code).toBe(0);
    if (ext.endsWith(".zst")) expect([...readFileSync(file).subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    const a = await RespConn.connect(aikv.port);
    await a.call("FLUSHALL");
    const im = tool("import", file, "--port", String(aikv.port), "--quiet");
    expect(im.code).toBe(0);
    expect(await a.call("DEBUG", "DIGEST")).toBe(digest);
    expect(Number((await a.call("TTL", "t")).slice(1))).toBeGreaterThan(900);
    a.close();
    r.close();
  });
}
