// Per-command latency histogram for INFO latencystats: log-linear buckets (16 per power of
// two) over microseconds, cheap to record, percentiles within ~4%.

const SUB = 16;
const BUCKETS = 40 * SUB;

export class LatencyHistogram {
  private counts = new Float64Array(BUCKETS);
  total = 0;

  record(us: number): void {
    const v = Math.max(1, Math.floor(us * 1000)); // nanosecond-ish resolution for sub-us calls
    const exp = 31 - Math.clz32(v);
    const idx = exp < 4 ? v : (exp - 3) * SUB + ((v >>> (exp - 4)) & (SUB - 1));
    this.counts[Math.min(BUCKETS - 1, idx)]!++;
    this.total++;
  }

  /** Upper bound (µs) of the bucket holding the p-th percentile. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const target = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= target) {
        if (i < SUB) return (i + 1) / 1000;
        const exp = Math.floor(i / SUB) + 3;
        const frac = i % SUB;
        return ((SUB + frac + 1) * 2 ** (exp - 4)) / 1000;
      }
    }
    return 0;
  }

  /** Calls that took less than `us` microseconds (approximately, at bucket resolution). */
  countBelow(us: number): number {
    const limit = us * 1000;
    let n = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const upper = i < SUB ? i + 1 : (SUB + (i % SUB) + 1) * 2 ** (Math.floor(i / SUB) - 1);
      if (upper > limit) break;
      n += this.counts[i]!;
    }
    return n;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }
}
