// Redis Cluster key hashing in TypeScript: CRC16-XMODEM (table-driven) and keySlot with
// {hash tag} rules, identical to native/src/crc16.rs and to Redis's keyHashSlot. This is the
// version the request path uses: for one key it is several times cheaper than an N-API call
// (see bench/results/native-*.md); the native batch form wins only for larger batches.
//
// No default parameters on these functions: JSC compiles functions with default parameters
// into a much slower form (measured 5x slower for a 16-byte key), hence the *Range variants.

export const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}

/** CRC16-XMODEM of data[start..end). */
export function crc16Range(data: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[(crc >>> 8) ^ data[i]!]!;
  return crc;
}

/** CRC16-XMODEM of all of data. crc16("123456789") === 0x31c3. */
export function crc16(data: Uint8Array): number {
  return crc16Range(data, 0, data.length);
}

/** Hash slot of key[start..end): only the content of the first non-empty {...} is hashed. */
export function keySlotRange(key: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    if (key[i] === 0x7b /* { */) {
      for (let j = i + 1; j < end; j++) {
        if (key[j] === 0x7d /* } */) {
          if (j > i + 1) return crc16Range(key, i + 1, j) & 0x3fff;
          break;
        }
      }
      break;
    }
  }
  return crc16Range(key, start, end) & 0x3fff;
}

/** Hash slot (0..16383) of a key, as CLUSTER KEYSLOT computes it. */
export function keySlot(key: Uint8Array): number {
  return keySlotRange(key, 0, key.length);
}

/**
 * Slots of many keys packed in one buffer: key i is keys[offsets[i]..offsets[i+1]).
 * Same contract as the native keySlots.
 */
export function keySlotsPacked(keys: Uint8Array, offsets: Uint32Array, out: Uint16Array): Uint16Array {
  const n = offsets.length - 1;
  for (let i = 0; i < n; i++) out[i] = keySlotRange(keys, offsets[i]!, offsets[i + 1]!);
  return out;
}
