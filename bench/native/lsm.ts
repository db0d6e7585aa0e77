// LSM throughput through the binding: random 16-byte keys, 100-byte values, batches of 100.
//   bun bench/native/lsm.ts [keys=1000000]
// Targets (issue 6): >= 300k puts/s with sync off; >= 300k point gets/s from cache.
import { Lsm, WriteBatch } from "../../src/native/index.ts";
import { fmt, machine, Rng, scratchDir } from "./common.ts";

const N = Number(process.argv[2] ?? 1_000_000);
const BATCH = 100;
const d = scratchDir("lsm");
const rng = new Rng(42);
const keys: Uint8Array[] = [];
for (let i = 0; i < N; i++) keys.push(rng.fill(new Uint8Array(16)));
// Random (incompressible) values: each key gets its own 100-byte window of a random pool.
const pool = rng.fill(new Uint8Array(1 << 20));
const valueOf = (i: number) => pool.subarray((i * 104729) % (pool.length - 100), ((i * 104729) % (pool.length - 100)) + 100);
console.log(`machine: ${machine()}`);
console.log(`keys: ${N}, key 16 B, value 100 B, batch ${BATCH}, sync "none"`);

const db = Lsm.open(d.path, { sync: "none", blockCacheSize: 256 << 20 });
const results: Record<string, number> = {};

// 1. write(): encode + commit on the JS thread.
let t = performance.now();
const wb = new WriteBatch(BATCH * 140);
for (let i = 0; i < N; i += BATCH) {
  wb.clear();
  for (let j = i; j < i + BATCH && j < N; j++) wb.put(keys[j]!, valueOf(j));
  db.write(wb);
}
let s = (performance.now() - t) / 1000;
results["put (write, batches of 100)"] = N / s;

// 2. writeAsync(): commit on a worker thread, 8 batches in flight.
t = performance.now();
const inflight: Promise<void>[] = [];
for (let i = 0; i < N; i += BATCH) {
  const b = new WriteBatch(BATCH * 140);
  for (let j = i; j < i + BATCH && j < N; j++) b.put(keys[j]!, valueOf(j));
  inflight.push(db.writeAsync(b));
  if (inflight.length >= 8) await inflight.shift();
}
await Promise.all(inflight);
s = (performance.now() - t) / 1000;
results["put (writeAsync, batches of 100, 8 in flight)"] = N / s;

await db.flush();
await db.waitIdle();

// 3. Point gets. Warm the cache once, then measure.
const sample = Math.min(N, 200_000);
for (let i = 0; i < sample; i++) db.get(keys[i]!);
t = performance.now();
let found = 0;
for (let i = 0; i < sample; i++) if (db.get(keys[(i * 7919) % sample]!) !== null) found++;
s = (performance.now() - t) / 1000;
results["get (one call per key, cached)"] = sample / s;
if (found !== sample) throw new Error(`missing keys: ${sample - found}`);

t = performance.now();
found = 0;
for (let i = 0; i < sample; i += BATCH) {
  const batch: Uint8Array[] = [];
  for (let j = i; j < i + BATCH; j++) batch.push(keys[(j * 7919) % sample]!);
  for (const v of db.multiGet(batch)) if (v !== null) found++;
}
s = (performance.now() - t) / 1000;
results["get (multiGet batches of 100, cached)"] = sample / s;
if (found !== sample) throw new Error(`multiGet missing keys: ${sample - found}`);

const misses = Array.from({ length: sample }, () => rng.fill(new Uint8Array(16)));
t = performance.now();
for (let i = 0; i < sample; i += BATCH) db.multiGet(misses.slice(i, i + BATCH));
s = (performance.now() - t) / 1000;
results["get miss (multiGet batches of 100, bloom filtered)"] = sample / s;

// 4. Full scan.
t = performance.now();
let scanned = 0;
const it = db.iterator();
for (let b = it.nextBatch(4096); b !== null; b = it.nextBatch(4096)) scanned += b.keys.length;
s = (performance.now() - t) / 1000;
results["scan (iterator, 4096 per batch)"] = scanned / s;

const st = db.stats();
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(52)} ${fmt(v / 1000)} k ops/s`);
console.log(`levels: ${st.levels.filter((l) => l.files > 0).map((l) => `L${l.level}=${l.files} files/${(l.bytes / 2 ** 20).toFixed(1)} MiB`).join(", ")}`);
console.log(`write amplification ${st.writeAmplification.toFixed(2)}, cache hit rate ${(st.cacheHitRate * 100).toFixed(1)}%, stalls ${st.stalls} (${(st.stallMicros / 1000).toFixed(0)} ms)`);
db.close();
d.cleanup();
