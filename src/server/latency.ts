// LATENCY monitor: per-event samples of operations slower than latency-monitor-threshold ms.

export interface LatencySample {
  time: number; // unix seconds
  ms: number;
}

interface EventStats {
  samples: LatencySample[];
  max: number;
}

const HISTORY = 160;

export class LatencyMonitor {
  threshold = 0;
  readonly events = new Map<string, EventStats>();

  /** latencyAddSampleIfNeeded */
  add(event: string, ms: number): void {
    if (this.threshold === 0 || ms < this.threshold) return;
    let e = this.events.get(event);
    if (!e) this.events.set(event, (e = { samples: [], max: 0 }));
    const now = Math.floor(Date.now() / 1000);
    const last = e.samples[e.samples.length - 1];
    // One sample per second per event, keeping the worst.
    if (last && last.time === now) last.ms = Math.max(last.ms, ms);
    else e.samples.push({ time: now, ms });
    if (e.samples.length > HISTORY) e.samples.shift();
    e.max = Math.max(e.max, ms);
  }

  reset(names: string[]): number {
    if (names.length === 0) {
      const n = this.events.size;
      this.events.clear();
      return n;
    }
    let n = 0;
    for (const name of names) if (this.events.delete(name)) n++;
    return n;
  }
}
