// Shared helpers for the native binding tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

export function b(s: string): Uint8Array {
  return enc.encode(s);
}

/** Deterministic PRNG (xorshift32) so failures reproduce from the printed seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

export function tempDir(name: string): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), `aikv-native-${name}-`));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function hex(u: Uint8Array): string {
  return Buffer.from(u).toString("hex");
}

export function compareBytes(a: Uint8Array, c: Uint8Array): number {
  const n = Math.min(a.length, c.length);
  for (let i = 0; i < n; i++) if (a[i] !== c[i]) return a[i]! - c[i]!;
  return a.length - c.length;
}
