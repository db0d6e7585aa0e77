import { expect, test } from "bun:test";
import { runModel } from "./model.ts";
import { tempDir } from "./helpers.ts";

// Small memtables and levels so flushes, compactions and write stalls all happen often.
const options = {
  writeBufferSize: 64 << 10,
  blockSize: 512,
  blockRestartInterval: 4,
  targetFileSize: 64 << 10,
  maxBytesForLevelBase: 256 << 10,
  l0CompactionTrigger: 2,
  l0SlowdownTrigger: 4,
  l0StopTrigger: 6,
  blockCacheSize: 256 << 10,
  // Tests wait for flushes and compactions: do not let a busy machine starve them.
  backgroundNice: 0,
};

test("randomized model with random reopen", async () => {
  const seed = Number(process.env.AIKV_SEED ?? 0x5eed);
  const ops = Number(process.env.AIKV_MODEL_OPS ?? 12000);
  const d = tempDir("model");
  try {
    // Time-boxed so a loaded CI machine stays inside the test timeout: it then runs fewer
    // operations (at least the first few thousand) and still verifies everything at the end.
    const r = await runModel(d.path, seed, ops, options, 30_000);
    console.log(`model: ${r.ops} ops, ${r.checks} checks, ${r.reopens} reopens, ${r.flushes} flushes, ${r.compactions} compactions, ${r.finalKeys} keys at the end`);
    expect(r.ops).toBeGreaterThan(2000);
    expect(r.reopens).toBeGreaterThan(0);
    expect(r.compactions).toBeGreaterThan(0);
    expect(r.checks).toBeGreaterThan(r.ops / 3);
  } finally {
    d.cleanup();
  }
}, 60_000);
