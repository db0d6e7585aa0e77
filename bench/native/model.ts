// The randomized model test at scale (the bun test runs a small, time-boxed version).
//   bun bench/native/model.ts [ops=1000000] [seed=1]
import { runModel } from "../../test/native/model.ts";
import { machine, scratchDir } from "./common.ts";

const ops = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 1);
const options = {
  writeBufferSize: 256 << 10,
  blockSize: 1024,
  blockRestartInterval: 8,
  targetFileSize: 256 << 10,
  maxBytesForLevelBase: 1 << 20,
  l0CompactionTrigger: 2,
  l0SlowdownTrigger: 4,
  l0StopTrigger: 8,
  blockCacheSize: 1 << 20,
};
console.log(`machine: ${machine()}`);
const d = scratchDir("model");
const t = performance.now();
try {
  const r = await runModel(d.path, seed, ops, options, Infinity, (op) => console.log(`  ${op} ops, ${((performance.now() - t) / 1000).toFixed(0)} s`));
  console.log(`ok: seed ${seed}, ${r.ops} ops in ${((performance.now() - t) / 1000).toFixed(1)} s: ${r.checks} checks, ${r.reopens} reopens, ${r.flushes} flushes, ${r.compactions} compactions, ${r.finalKeys} keys at the end`);
} finally {
  d.cleanup();
}
