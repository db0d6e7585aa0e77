// A parsed command: views into the received bytes. Valid only while the command runs;
// anything kept (keys, stored values) is copied out with str()/copy().

const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Uint8Array, s: number, e: number): string })
  .latin1Slice;

export class Argv {
  buf: Uint8Array = new Uint8Array(0);
  /** absolute [start, end) pairs into buf */
  offs: Int32Array = new Int32Array(32);
  argc = 0;

  set(buf: Uint8Array, rel: Int32Array, argc: number, base: number): void {
    this.buf = buf;
    if (this.offs.length < argc * 2) this.offs = new Int32Array(Math.max(argc * 2, this.offs.length * 2));
    const o = this.offs;
    for (let i = 0; i < argc * 2; i++) o[i] = rel[i]! + base;
    this.argc = argc;
  }

  setOwned(args: Uint8Array[]): void {
    let total = 0;
    for (const a of args) total += a.length;
    const buf = new Uint8Array(total);
    if (this.offs.length < args.length * 2) this.offs = new Int32Array(args.length * 2);
    let p = 0;
    for (let i = 0; i < args.length; i++) {
      buf.set(args[i]!, p);
      this.offs[i * 2] = p;
      p += args[i]!.length;
      this.offs[i * 2 + 1] = p;
    }
    this.buf = buf;
    this.argc = args.length;
  }

  /** Builds an argv from strings (latin1), for commands issued internally (scripts, MULTI replay). */
  static of(args: (string | Uint8Array)[]): Argv {
    const a = new Argv();
    a.setOwned(args.map((x) => (typeof x === "string" ? Buffer.from(x, "latin1") : x)));
    return a;
  }

  /** Deep copy, independent of the receive buffer (for MULTI queues, blocked clients). */
  clone(): Argv {
    const n = new Argv();
    const s = this.offs[0] ?? 0;
    const e = this.argc ? this.offs[this.argc * 2 - 1]! : 0;
    // Uint8Array's slice copies; Buffer's (the socket's chunks) would only make a view.
    n.buf = Uint8Array.prototype.slice.call(this.buf, s, e);
    n.offs = new Int32Array(this.argc * 2);
    for (let i = 0; i < this.argc * 2; i++) n.offs[i] = this.offs[i]! - s;
    n.argc = this.argc;
    return n;
  }

  len(i: number): number {
    return this.offs[i * 2 + 1]! - this.offs[i * 2]!;
  }

  /** Zero-copy view of argument i. Do not keep it. */
  bytes(i: number): Uint8Array {
    return this.buf.subarray(this.offs[i * 2]!, this.offs[i * 2 + 1]!);
  }

  /** Argument i as a binary-safe (latin1) string: the form keys and values are stored in. */
  str(i: number): string {
    return latin1Slice.call(this.buf, this.offs[i * 2]!, this.offs[i * 2 + 1]!);
  }

  /** Lowercased argument (for option keywords). */
  lower(i: number): string {
    return this.str(i).toLowerCase();
  }

  /** Case-insensitive compare with an ASCII lowercase keyword, without allocating. */
  is(i: number, kw: string): boolean {
    const s = this.offs[i * 2]!;
    const e = this.offs[i * 2 + 1]!;
    if (e - s !== kw.length) return false;
    const b = this.buf;
    for (let j = 0; j < kw.length; j++) {
      let c = b[s + j]!;
      if (c >= 65 && c <= 90) c += 32;
      if (c !== kw.charCodeAt(j)) return false;
    }
    return true;
  }

  /** All arguments as strings (for logging, MONITOR, errors). */
  strings(from = 0): string[] {
    const out: string[] = [];
    for (let i = from; i < this.argc; i++) out.push(this.str(i));
    return out;
  }
}
