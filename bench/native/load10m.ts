// Loads N random keys (16 B keys, 100 B random values, batches of 100) through writeAsync,
// then compacts the whole range, while a 1 ms timer measures how late the JS event loop runs.
//   bun bench/native/load10m.ts [keys=10000000]
// Target (issue 6): no event-loop stall above 5 ms during load and compaction.
import { Lsm, threadCpuStats, WriteBatch, type ThreadCpuStats } from "../../src/native/index.ts";
import { fmt, LagProbe, machine, Rng, scratchDir } from "./common.ts";

const N = Number(process.argv[2] ?? 10_000_000);
const BATCH = 100;
const INFLIGHT = 16;
const d = scratchDir("load");
console.log(`machine: ${machine()}; load average before start: ${require("node:os").loadavg().map((x: number) => x.toFixed(2)).join(" ")}`);
console.log(`dir: ${d.path}; keys: ${N}, key 16 B, value 100 B random, batch ${BATCH}, writeAsync with ${INFLIGHT} in flight, sync "none"`);

const pool = new Rng(7).fill(new Uint8Array(1 << 22));
// setTimeout, not setImmediate: Bun can run immediates back to back without reaching timers.
const yieldToLoop = () => new Promise<void>((r) => setTimeout(r, 0));

// Baseline: the same producer without a database, to show how much lag the machine itself adds
// (other processes, GC, timer granularity) at the time of the run.
{
  const probe0 = new LagProbe(1, threadCpuStats);
  const wb0 = new WriteBatch(BATCH * 128);
  const key0 = new Uint8Array(16);
  const r0 = new Rng(999);
  let last = performance.now();
  const n0 = Math.min(N, 2_000_000);
  for (let i = 0; i < n0; i += BATCH) {
    wb0.clear();
    for (let j = i; j < i + BATCH; j++) {
      r0.fill(key0);
      const off = (j * 104729) & ((1 << 22) - 128);
      wb0.put(key0, pool.subarray(off, off + 100));
    }
    wb0.encoded();
    if (performance.now() - last > 1) {
      await yieldToLoop();
      last = performance.now();
    }
  }
  const l0 = probe0.stop();
  console.log(`baseline (producer only, no database, ${n0} keys): event loop lag max ${fmt(l0.max, 2)} ms, p99 ${fmt(l0.p99, 2)} ms, ticks > 5 ms: ${l0.over5ms} of ${l0.samples} (JS thread running: ${probe0.late.running}, preempted: ${probe0.late.preempted}, waiting: ${probe0.late.waited})`);
}

const db = Lsm.open(d.path, { sync: "none", backgroundNice: Number(process.env.AIKV_BG_NICE ?? 10) });
const probe = new LagProbe(1, threadCpuStats);
const t0 = performance.now();
const keyRng = new Rng(12345);
const inflight: Promise<void>[] = [];
let lastReport = t0;
let lastYield = t0;
// writeAsync copies the batch before returning, so one WriteBatch is reused (no garbage).
const wb = new WriteBatch(BATCH * 128);
const key = new Uint8Array(16);
// Time spent inside the native call on the JS thread, per call; calls over 1 ms are classified
// by the thread's context switches during the call.
const callMs: number[] = [];
const slow = { preempted: 0, blocked: 0, onCpu: 0, maxCpuMs: 0, maxBlockedMs: 0, maxPreemptedMs: 0 };
function classify(a: ThreadCpuStats, b: ThreadCpuStats, wallMs: number): void {
  if (wallMs <= 1) return;
  if (b.voluntary > a.voluntary) {
    slow.blocked++;
    slow.maxBlockedMs = Math.max(slow.maxBlockedMs, wallMs);
  } else if (b.involuntary > a.involuntary) {
    slow.preempted++;
    slow.maxPreemptedMs = Math.max(slow.maxPreemptedMs, wallMs);
  } else slow.onCpu++;
  slow.maxCpuMs = Math.max(slow.maxCpuMs, (b.cpuNs - a.cpuNs) / 1e6);
}
for (let i = 0; i < N; i += BATCH) {
  wb.clear();
  for (let j = i; j < i + BATCH && j < N; j++) {
    keyRng.fill(key);
    const off = (j * 104729) & ((1 << 22) - 128);
    wb.put(key, pool.subarray(off, off + 100));
  }
  const s0 = threadCpuStats();
  const c0 = performance.now();
  inflight.push(db.writeAsync(wb));
  const now = performance.now();
  classify(s0, threadCpuStats(), now - c0);
  callMs.push(now - c0);
  if (inflight.length >= INFLIGHT) await inflight.shift();
  // A well-behaved producer hands the loop back regularly (resolved promises alone never do).
  if (now - lastYield > 1) {
    await yieldToLoop();
    lastYield = performance.now();
  }
  if (now - lastReport > 10_000) {
    const s = db.stats();
    console.log(`  ${fmt((i / N) * 100)}%  ${fmt(i / ((now - t0) / 1000) / 1000)} k puts/s  L0=${s.levels[0]!.files} files, stalls ${s.stalls}, compactions ${s.compactions}`);
    lastReport = now;
  }
}
await Promise.all(inflight);
const tLoad = performance.now();
const lagLoad = probe.stop();
callMs.sort((a, b) => a - b);
const callMax = callMs[callMs.length - 1]!;
const callP999 = callMs[Math.floor(callMs.length * 0.999)]!;
const loadStats = db.stats();

const probe2 = new LagProbe(1, threadCpuStats);
// Keep the JS thread doing small synchronous reads during compaction: each must stay short.
let readMax = 0;
let reads = 0;
const slowBefore = { ...slow };
const reader = setInterval(() => {
  const k = new Rng(reads++ * 7 + 1).fill(new Uint8Array(16));
  const s0 = threadCpuStats();
  const r0 = performance.now();
  db.get(k);
  const w = performance.now() - r0;
  classify(s0, threadCpuStats(), w);
  readMax = Math.max(readMax, w);
}, 2);
await db.compactRange();
await db.waitIdle();
const tCompact = performance.now();
clearInterval(reader);
const lagCompact = probe2.stop();
const s = db.stats();

// Spot-check: regenerate the key sequence and read every 1000th key back.
const check = new Rng(12345);
const sample: Uint8Array[] = [];
for (let j = 0; j < N; j++) {
  check.fill(key);
  if (j % 1000 === 0) sample.push(key.slice());
}
let found = 0;
for (let i = 0; i < sample.length; i += 100) for (const v of db.multiGet(sample.slice(i, i + 100))) if (v !== null && v.length === 100) found++;

console.log(`load:    ${fmt((tLoad - t0) / 1000)} s, ${fmt(N / ((tLoad - t0) / 1000) / 1000)} k puts/s; event loop lag max ${fmt(lagLoad.max, 2)} ms, p99 ${fmt(lagLoad.p99, 2)} ms, p99.9 ${fmt(lagLoad.p999, 2)} ms, ticks > 5 ms: ${lagLoad.over5ms} of ${lagLoad.samples} (JS thread running: ${probe.late.running}, preempted: ${probe.late.preempted}, waiting: ${probe.late.waited})`);
console.log(`         writeAsync call on the JS thread: max ${fmt(callMax, 3)} ms, p99.9 ${fmt(callP999, 3)} ms over ${callMs.length} calls`);
console.log(`         calls over 1 ms: ${slow.preempted} preempted by the OS (longest ${fmt(slow.maxPreemptedMs, 2)} ms), ${slow.blocked} blocked in a voluntary switch (longest ${fmt(slow.maxBlockedMs, 2)} ms), ${slow.onCpu} on CPU; most CPU used by one such call ${fmt(slow.maxCpuMs, 3)} ms`);
console.log(`         after load: L0..: ${loadStats.levels.map((l) => l.files).join("/")} files, stalls ${loadStats.stalls} (${fmt(loadStats.stallMicros / 1e6)} s), slowdowns ${loadStats.slowdowns}`);
console.log(`compact: ${fmt((tCompact - tLoad) / 1000)} s; event loop lag max ${fmt(lagCompact.max, 2)} ms, p99 ${fmt(lagCompact.p99, 2)} ms, ticks > 5 ms: ${lagCompact.over5ms} of ${lagCompact.samples} (JS thread running: ${probe2.late.running}, preempted: ${probe2.late.preempted}, waiting: ${probe2.late.waited}); ${reads} gets meanwhile, slowest ${fmt(readMax, 3)} ms`);
console.log(`         gets over 1 ms: ${slow.preempted - slowBefore.preempted} preempted, ${slow.blocked - slowBefore.blocked} blocked, ${slow.onCpu - slowBefore.onCpu} on CPU`);
console.log(`final:   ${s.levels.filter((l) => l.files > 0).map((l) => `L${l.level}=${l.files} files/${fmt(l.bytes / 2 ** 20)} MiB`).join(", ")}; ${s.files} files, ${fmt(s.bytes / 2 ** 30, 2)} GiB`);
console.log(`         write amplification ${s.writeAmplification.toFixed(2)} (user ${fmt(s.userBytes / 2 ** 30, 2)} GiB, flush ${fmt(s.flushBytes / 2 ** 30, 2)} GiB, compaction ${fmt(s.compactionBytesWritten / 2 ** 30, 2)} GiB), compactions ${s.compactions}, trivial moves ${s.trivialMoves}`);
console.log(`check:   ${found}/${sample.length} sampled keys read back`);
db.close();
d.cleanup();
if (found !== sample.length) process.exit(1);
