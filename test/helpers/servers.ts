// Starts real server processes for integration tests: AiKv (bun src/main.ts) and the
// redis-server oracle, each on a free loopback port.

import type { Subprocess } from "bun";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../..");

export interface Running {
  port: number;
  proc: Subprocess;
  dir: string;
  stop(): Promise<void>;
  /** stdout+stderr collected so far */
  logs(): string;
}

let nextPort = 20000 + Math.floor(Math.random() * 20000);

/** A loopback port nobody listens on (also its +10000 cluster bus port). */
export async function freePort(): Promise<number> {
  for (;;) {
    const p = nextPort++;
    if (nextPort > 54000) nextPort = 20000;
    try {
      const l = Bun.listen({ hostname: "127.0.0.1", port: p, socket: { data() {} } });
      l.stop(true);
      const l2 = Bun.listen({ hostname: "127.0.0.1", port: p + 10000, socket: { data() {} } });
      l2.stop(true);
      return p;
    } catch {
      // in use, try the next
    }
  }
}

async function waitReady(port: number, proc: Subprocess, logs: () => string, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}:\n${logs()}`);
    try {
      const ok = await new Promise<boolean>((res) => {
        Bun.connect({
          hostname: "127.0.0.1",
          port,
          socket: {
            open(s) {
              s.write("PING\r\n");
            },
            data(s, d) {
              res(d.toString().startsWith("+PONG") || d.toString().startsWith("-NOAUTH") || d.toString().startsWith("-LOADING"));
              s.end();
            },
            connectError() {
              res(false);
            },
            error() {
              res(false);
            },
          },
        }).catch(() => res(false));
      });
      if (ok) return;
    } catch {
      // not yet
    }
    await Bun.sleep(30);
  }
  throw new Error(`server on port ${port} did not become ready:\n${logs()}`);
}

function collect(proc: Subprocess): () => string {
  let text = "";
  const pump = async (s: ReadableStream<Uint8Array> | null | undefined | number) => {
    if (!s || typeof s === "number") return;
    const dec = new TextDecoder();
    for await (const chunk of s) text += dec.decode(chunk);
  };
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  return () => text;
}

async function start(cmd: string[], port: number, dir: string, ownDir: boolean): Promise<Running> {
  const proc = Bun.spawn(cmd, { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env } });
  const logs = collect(proc);
  await waitReady(port, proc, logs);
  return {
    port,
    proc,
    dir,
    logs,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface StartOptions {
  /** extra --name value flags */
  args?: string[];
  /** working directory (default: a fresh temp dir) */
  dir?: string;
  port?: number;
}

/** Starts AiKv from the repo sources. */
export async function startAikv(o: StartOptions = {}): Promise<Running> {
  const port = o.port ?? (await freePort());
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "aikv-test-"));
  // AiKv's own defaults (save points included: FLUSHALL then writes dump.rdb in the temp dir).
  const cmd = ["bun", join(ROOT, "src/main.ts"), "--port", String(port), "--bind", "127.0.0.1", "--loglevel", "warning", ...(o.args ?? [])];
  return start(cmd, port, dir, !o.dir);
}

/** Starts the redis-server oracle (Debian's 7.0), persistence off, DEBUG allowed. */
export async function startRedis(o: StartOptions = {}): Promise<Running> {
  const port = o.port ?? (await freePort());
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "redis-oracle-"));
  const cmd = [
    "redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
    "--enable-debug-command", "yes", "--loglevel", "warning", "--dir", dir, ...(o.args ?? []),
  ];
  return start(cmd, port, dir, !o.dir);
}

/** Runs redis-cli against a port; returns stdout. */
export function cli(port: number, ...args: string[]): string {
  const r = Bun.spawnSync(["redis-cli", "-p", String(port), ...args]);
  return r.stdout.toString() + r.stderr.toString();
}
