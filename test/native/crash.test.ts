import { expect, test } from "bun:test";
import { join } from "node:path";
import { Lsm } from "../../src/native/index.ts";
import { tempDir } from "./helpers.ts";

const writer = join(import.meta.dir, "fixtures", "kill-writer.ts");

/** Runs the writer until it has acknowledged `minAcks` batches (plus a random extra delay),
 * kills it with SIGKILL and returns the acknowledged batch numbers. */
async function runAndKill(dir: string, mode: string, first: number, minAcks: number): Promise<number[]> {
  const child = Bun.spawn(["bun", writer, dir, mode, String(first)], { stdout: "pipe", stderr: "pipe" });
  const acks: number[] = [];
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  let killAt = Infinity;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const l of lines) if (l !== "ready") acks.push(Number(l));
    if (acks.length >= minAcks && killAt === Infinity) killAt = Date.now() + Math.random() * 50;
    if (Date.now() >= killAt) break;
  }
  child.kill("SIGKILL");
  await child.exited;
  // Lines that arrived before the kill (a partial last line is not an acknowledgement).
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const l of lines) if (l !== "ready") acks.push(Number(l));
  }
  if (acks.length < minAcks) throw new Error(`writer acknowledged only ${acks.length} batches: ${await new Response(child.stderr).text()}`);
  expect(child.signalCode).toBe("SIGKILL");
  return acks;
}

test("kill -9 while writing with sync: every acknowledged batch survives, batches are atomic", async () => {
  const d = tempDir("crash");
  try {
    const acked = new Set<number>();
    let next = 0;
    for (const [round, mode] of ["sync", "async", "sync", "async"].entries()) {
      const acks = await runAndKill(d.path, mode, next, 500 + round * 300);
      for (const a of acks) acked.add(a);
      next = Math.max(...acks) + 1000; // skip numbers the killed writer may have started
      const db = Lsm.open(d.path);
      for (const n of acked) {
        for (let j = 0; j < 4; j++) {
          const v = db.get(new TextEncoder().encode(`batch${n}-key${j}`));
          if (v === null) throw new Error(`round ${round}: acknowledged batch ${n} key ${j} lost`);
          expect(v.length).toBe(400);
          expect(v[0]).toBe((n + j) & 0xff);
        }
      }
      // Unacknowledged batches that made it are complete (atomic), never partial.
      const seen = new Map<number, number>();
      for (const [k] of db.iterator({ prefix: new TextEncoder().encode("batch") })) {
        const n = Number(/^batch(\d+)-/.exec(k.toString())![1]);
        seen.set(n, (seen.get(n) ?? 0) + 1);
      }
      for (const [n, c] of seen) if (c !== 4) throw new Error(`round ${round}: batch ${n} partially present (${c}/4 keys)`);
      expect(db.stats().backgroundError).toBeNull();
      db.close();
    }
    expect(acked.size).toBeGreaterThan(2500);
  } finally {
    d.cleanup();
  }
}, 60_000);
