// Pure-TypeScript bloom filter, byte-compatible with native/src/bloom.rs (FORMAT.md "Bloom
// filter"): one MurmurHash3 x86_32 (seed 0xbc9f1d34) and double hashing. Probing from TS costs
// a few Math.imul's, much less than an N-API call, so the request path uses this class and the
// native one is for bulk work; serialize() output is interchangeable between them.

export const BLOOM_FORMAT = 1;
export const BLOOM_HEADER_LEN = 8;
export const BLOOM_HASH_SEED = 0xbc9f1d34;
const MIN_BITS = 64;
const MAX_BITS = 0xffffffff - 7;

/** MurmurHash3 x86_32 of all of data. */
export function murmur3(data: Uint8Array, seed: number): number {
  return murmur3Range(data, seed, 0, data.length);
}

/** MurmurHash3 x86_32 of data[start..end). (No default parameters: see crc16.ts.) */
export function murmur3Range(data: Uint8Array, seed: number, start: number, end: number): number {
  let h = seed >>> 0;
  const len = end - start;
  const blocks = start + (len & ~3);
  let i = start;
  for (; i < blocks; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail !== 0) {
    let k = data[i]!;
    if (tail > 1) k ^= data[i + 1]! << 8;
    if (tail > 2) k ^= data[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class BloomTs {
  readonly bits: number;
  readonly hashes: number;
  /** Header + bit array: exactly the serialized form. */
  private readonly data: Uint8Array;

  private constructor(data: Uint8Array) {
    this.data = data;
    this.hashes = data[1]!;
    this.bits = (data[4]! | (data[5]! << 8) | (data[6]! << 16) | (data[7]! << 24)) >>> 0;
  }

  /** Sized for `expectedItems` at `falsePositiveRate`, with the same sizing as the native one. */
  static create(expectedItems: number, falsePositiveRate: number): BloomTs {
    if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new RangeError(`bloom false-positive rate must be in (0, 1), got ${falsePositiveRate}`);
    const n = Math.max(1, Math.floor(expectedItems));
    const ln2 = Math.LN2;
    const bits = Math.ceil((-n * Math.log(falsePositiveRate)) / (ln2 * ln2));
    if (!Number.isFinite(bits) || bits > MAX_BITS) throw new RangeError(`bloom filter for ${expectedItems} items exceeds ${MAX_BITS} bits`);
    const m = Math.max(bits, MIN_BITS);
    const k = Math.min(30, Math.max(1, Math.round((m / n) * ln2)));
    const data = new Uint8Array(BLOOM_HEADER_LEN + Math.ceil(m / 8));
    data[0] = BLOOM_FORMAT;
    data[1] = k;
    new DataView(data.buffer).setUint32(4, m, true);
    return new BloomTs(data);
  }

  /** Wraps serialized bytes (copied), validating the header like the native deserializer. */
  static deserialize(bytes: Uint8Array): BloomTs {
    if (bytes.length < BLOOM_HEADER_LEN) throw new RangeError(`bloom filter too short (${bytes.length} bytes)`);
    if (bytes[0] !== BLOOM_FORMAT) throw new RangeError(`unknown bloom filter format ${bytes[0]}`);
    const k = bytes[1]!;
    if (k === 0 || k > 30) throw new RangeError(`bloom filter has invalid probe count ${k}`);
    const m = (bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24)) >>> 0;
    if (m < MIN_BITS || bytes.length !== BLOOM_HEADER_LEN + Math.ceil(m / 8)) throw new RangeError(`bloom filter length ${bytes.length} does not match ${m} bits`);
    return new BloomTs(bytes.slice());
  }

  add(key: Uint8Array): void {
    this.addHash(murmur3Range(key, BLOOM_HASH_SEED, 0, key.length));
  }

  addRange(key: Uint8Array, start: number, end: number): void {
    this.addHash(murmur3Range(key, BLOOM_HASH_SEED, start, end));
  }

  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(murmur3Range(key, BLOOM_HASH_SEED, 0, key.length));
  }

  mayContainRange(key: Uint8Array, start: number, end: number): boolean {
    return this.mayContainHash(murmur3Range(key, BLOOM_HASH_SEED, start, end));
  }

  private addHash(hash: number): void {
    let h = hash;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    const m = this.bits;
    const d = this.data;
    for (let i = 0; i < this.hashes; i++) {
      const pos = h % m;
      d[BLOOM_HEADER_LEN + (pos >>> 3)]! |= 1 << (pos & 7);
      h = (h + delta) >>> 0;
    }
  }

  private mayContainHash(hash: number): boolean {
    let h = hash;
    const delta = ((h >>> 17) | (h << 15)) >>> 0;
    const m = this.bits;
    const d = this.data;
    for (let i = 0; i < this.hashes; i++) {
      const pos = h % m;
      if ((d[BLOOM_HEADER_LEN + (pos >>> 3)]! & (1 << (pos & 7))) === 0) return false;
      h = (h + delta) >>> 0;
    }
    return true;
  }

  serialize(): Uint8Array {
    return this.data.slice();
  }
}
