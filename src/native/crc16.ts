// Redis Cluster key hashing in TypeScript: CRC16-XMODEM (table-driven) and keySlot with
// {hash tag} rules, identical to native/src/crc16.rs and to Redis's keyHashSlot. This is the
// version the request path uses: for one key it is several times cheaper than an N-API call
// (see bench/results/native-*.md); the native batch form wins only for large batches.

export const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}

/** CRC16-XMODEM of data[start..end). crc16("123456789") === 0x31c3. */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[(crc >>> 8) ^ data[i]!]!;
  return crc;
}

/** Hash slot of key[start..end): only the content of the first non-empty {...} is hashed. */
export function keySlot(key: Uint8Array, start = 0, end = key.length): number {
  for (let i = start; i < end; i++) {
    if (key[i] === 0x7b /* { */) {
      for (let j = i + 1; j < end; j++) {
        if (key[j] === 0x7d /* } */) {
          if (j > i + 1) return crc16(key, i + 1, j) & 0x3fff;
          break;
        }
      }
      break;
    }
  }
  return crc16(key, start, end) & 0x3fff;
}

/**
 * Slots of many keys packed in one buffer: key i is keys[offsets[i]..offsets[i+1]).
 * Same contract as the native keySlots.
 */
export function keySlotsPacked(keys: Uint8Array, offsets: Uint32Array, out = new Uint16Array(Math.max(0, offsets.length - 1))): Uint16Array {
  for (let i = 0; i + 1 < offsets.length; i++) out[i] = keySlot(keys, offsets[i]!, offsets[i + 1]!);
  return out;
}
