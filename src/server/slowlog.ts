// SLOWLOG: commands slower than slowlog-log-slower-than microseconds, newest first.

export interface SlowEntry {
  id: number;
  time: number; // unix seconds
  micros: number;
  args: string[];
  peer: string;
  name: string;
}

/** Redis keeps at most 32 arguments, each cut to 128 bytes. */
const MAX_ARGS = 32;
const MAX_ARG_LEN = 128;

export class SlowLog {
  threshold = 10000;
  private maxLen = 128;
  private entries: SlowEntry[] = [];
  private nextId = 0;

  setMaxLen(n: number): void {
    this.maxLen = n;
    if (this.entries.length > n) this.entries.length = n;
  }

  /** Records a command if it was slow enough. `args` are latin1 strings. */
  maybeAdd(micros: number, args: () => string[], peer: string, name: string): void {
    if (this.threshold < 0 || micros < this.threshold) return;
    const all = args();
    const kept: string[] = [];
    const n = Math.min(all.length, MAX_ARGS);
    for (let i = 0; i < n; i++) {
      if (i === MAX_ARGS - 1 && all.length > MAX_ARGS) {
        kept.push(`... (${all.length - MAX_ARGS + 1} more arguments)`);
        break;
      }
      const a = all[i]!;
      kept.push(a.length > MAX_ARG_LEN ? `${a.slice(0, MAX_ARG_LEN)}... (${a.length - MAX_ARG_LEN} more bytes)` : a);
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(Date.now() / 1000), micros, args: kept, peer, name });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  get(count: number): SlowEntry[] {
    return count < 0 ? this.entries.slice() : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }
}
