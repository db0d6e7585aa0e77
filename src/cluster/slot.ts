// Hash slots: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384, as in the Redis
// Cluster spec. The table-driven TS CRC16 lives in src/native/crc16.ts (per key it beats a
// native call); this module adapts it to the key forms the server holds.

import { keySlotRange } from "../native/crc16.ts";

export { crc16, SLOTS } from "../native/crc16.ts";

/** Slot of a key given as bytes [s, e) of `b`. */
export function keySlot(b: Uint8Array, s: number, e: number): number {
  return keySlotRange(b, s, e);
}

let scratch = Buffer.allocUnsafe(256);

/** Slot of a key stored as a latin1 string. */
export function keySlotStr(k: string): number {
  if (k.length > scratch.length) scratch = Buffer.allocUnsafe(k.length * 2);
  const n = scratch.latin1Write(k, 0);
  return keySlotRange(scratch, 0, n);
}

