import { expect, test } from "bun:test";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { Lsm } from "../../src/native/index.ts";
import { tempDir } from "./helpers.ts";

const script = join(import.meta.dir, "fixtures", "worker.ts");

function run(dir: string, id: number, leaveOpen = false): { worker: Worker; result: Promise<{ id: number; ok: boolean; count: number }> } {
  const worker = new Worker(script, { workerData: { dir, id, leaveOpen } });
  const result = new Promise<{ id: number; ok: boolean; count: number }>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return { worker, result };
}

test("the addon works in several workers at once, each with its own databases", async () => {
  const dirs = [0, 1, 2, 3].map((i) => tempDir(`worker${i}`));
  try {
    // The main thread uses the addon concurrently too.
    const main = Lsm.open(dirs[3]!.path);
    const runs = [0, 1, 2].map((i) => run(dirs[i]!.path, i + 1));
    for (let i = 0; i < 2000; i++) main.put(new TextEncoder().encode(`m${i}`), new Uint8Array(10));
    const results = await Promise.all(runs.map((r) => r.result));
    for (const r of results) {
      expect(r.ok).toBe(true);
      expect(r.count).toBe(5000);
    }
    await Promise.all(runs.map((r) => r.worker.terminate()));
    expect(main.stats().userEntries).toBe(2000);
    main.close();
  } finally {
    dirs.forEach((d) => d.cleanup());
  }
}, 60_000);

test("a database left open by a terminated worker is closed with its environment", async () => {
  const d = tempDir("worker-leak");
  try {
    const r = run(d.path, 7, true);
    expect((await r.result).ok).toBe(true);
    await r.worker.terminate();
    // The environment's cleanup closed the DB and released its LOCK.
    let db: Lsm | null = null;
    for (let i = 0; i < 50 && db === null; i++) {
      try {
        db = Lsm.open(d.path);
      } catch (e) {
        if ((e as { code?: string }).code !== "AIKV_LOCKED") throw e;
        await Bun.sleep(20);
      }
    }
    expect(db).not.toBeNull();
    expect(db!.stats().bytes).toBeGreaterThan(0);
    db!.close();
  } finally {
    d.cleanup();
  }
}, 30_000);
