// `bun run compile` makes one executable that serves from any directory, with the native
// addon and the Lua engine embedded.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, freePort, cli } from "../helpers/servers.ts";

const dir = mkdtempSync(join(tmpdir(), "aikv-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("dist/aikv runs outside the repository", async () => {
  const build = Bun.spawnSync(["bun", "run", "compile"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(build.exitCode).toBe(0);
  const bin = join(ROOT, "dist/aikv");
  expect(existsSync(bin)).toBe(true);
  const port = await freePort();
  const proc = Bun.spawn([bin, "--port", String(port), "--save", "", "--loglevel", "warning"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  try {
    let pong = "";
    for (let i = 0; i < 100 && !pong.includes("PONG"); i++) {
      await Bun.sleep(50);
      pong = cli(port, "ping");
    }
    expect(pong).toContain("PONG");
    expect(cli(port, "eval", "return redis.call('incrby', KEYS[1], 5)", "1", "k").trim()).toBe("5");
    expect(cli(port, "info", "server")).toMatch(/aikv_native:\d+\.\d+\.\d+/);
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
  }
}, 120_000);
