// A growable byte buffer for the serialization libraries (cjson, cmsgpack).

export class ByteBuf {
  b: Uint8Array;
  n = 0;

  constructor(cap = 256) {
    this.b = new Uint8Array(cap);
  }

  reserve(extra: number): void {
    const need = this.n + extra;
    if (need <= this.b.length) return;
    let cap = this.b.length * 2;
    while (cap < need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.b.subarray(0, this.n));
    this.b = nb;
  }

  byte(v: number): void {
    if (this.n === this.b.length) this.reserve(1);
    this.b[this.n++] = v;
  }

  bytes(u: Uint8Array): void {
    this.reserve(u.length);
    this.b.set(u, this.n);
    this.n += u.length;
  }

  ascii(s: string): void {
    this.reserve(s.length);
    for (let i = 0; i < s.length; i++) this.b[this.n++] = s.charCodeAt(i);
  }

  /** The content as a fresh array. */
  take(): Uint8Array {
    return this.b.slice(0, this.n);
  }
}
