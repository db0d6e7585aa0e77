// Helpers shared by the native benchmarks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function scratchDir(name: string): { path: string; cleanup(): void } {
  const base = process.env.AIKV_BENCH_DIR ?? tmpdir();
  const path = mkdtempSync(join(base, `aikv-bench-${name}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** xorshift32: cheap reproducible random bytes. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.s = x >>> 0);
  }
  fill(out: Uint8Array): Uint8Array {
    for (let i = 0; i < out.length; i += 4) {
      const r = this.next();
      out[i] = r;
      if (i + 1 < out.length) out[i + 1] = r >>> 8;
      if (i + 2 < out.length) out[i + 2] = r >>> 16;
      if (i + 3 < out.length) out[i + 3] = r >>> 24;
    }
    return out;
  }
}

/** Runs `fn` repeatedly for about `ms` and returns nanoseconds per call of fn (after warmup). */
export function timeIt(fn: () => void, ms = 400): number {
  for (let i = 0; i < 1000; i++) fn();
  let n = 0;
  const start = Bun.nanoseconds();
  const stop = start + ms * 1e6;
  let now = start;
  while (now < stop) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = Bun.nanoseconds();
  }
  return (now - start) / n;
}

export function fmt(n: number, digits = 1): string {
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function machine(): string {
  const os = require("node:os") as typeof import("node:os");
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? "unknown CPU"} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${os.platform()} ${os.release()}, Bun ${Bun.version}`;
}

type CpuStats = { cpuNs: number; voluntary: number; involuntary: number };

/**
 * Event-loop lag probe: a 1 ms timer records how late each tick fires. With a `cpu` sampler
 * (threadCpuStats), each tick more than 5 ms late is explained: the JS thread was running
 * (its own CPU time covers most of the gap: JS work or GC), was preempted by the OS
 * (involuntary switch), or waited (voluntary switch: a lock, I/O, or an idle loop).
 */
export class LagProbe {
  private last = performance.now();
  private lastCpu: CpuStats | null;
  private timer: ReturnType<typeof setInterval>;
  readonly lags: number[] = [];
  readonly late = { running: 0, preempted: 0, waited: 0 };
  constructor(intervalMs = 1, private readonly cpu?: () => CpuStats) {
    this.lastCpu = cpu ? cpu() : null;
    this.timer = setInterval(() => {
      const now = performance.now();
      const lag = now - this.last - intervalMs;
      this.lags.push(lag);
      if (this.cpu) {
        const c = this.cpu();
        if (lag > 5 && this.lastCpu) {
          const ranMs = (c.cpuNs - this.lastCpu.cpuNs) / 1e6;
          if (ranMs >= 0.8 * (now - this.last)) this.late.running++;
          else if (c.involuntary > this.lastCpu.involuntary) this.late.preempted++;
          else this.late.waited++;
        }
        this.lastCpu = c;
      }
      this.last = now;
    }, intervalMs);
  }
  stop(): { max: number; p99: number; p999: number; samples: number; over5ms: number } {
    clearInterval(this.timer);
    const s = [...this.lags].sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
    return { max: s[s.length - 1] ?? 0, p99: q(0.99), p999: q(0.999), samples: s.length, over5ms: s.filter((x) => x > 5).length };
  }
}
