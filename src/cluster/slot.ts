// Hash slots: CRC16-XMODEM of the key (or of its {hash tag}) mod 16384, as in the Redis
// Cluster spec. Table-driven in TS: per key this beats a native call (see DESIGN.md).

export const SLOTS = 16384;

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i << 8;
  for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  TABLE[i] = c;
}

export function crc16(b: Uint8Array, s = 0, e = b.length): number {
  let crc = 0;
  for (let i = s; i < e; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ b[i]!) & 0xff]!;
  return crc;
}

function crc16Str(k: string, s: number, e: number): number {
  let crc = 0;
  for (let i = s; i < e; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ k.charCodeAt(i)) & 0xff]!;
  return crc;
}

/** Slot of a key given as bytes; only the part inside the first non-empty {...} counts. */
export function keySlot(b: Uint8Array, s = 0, e = b.length): number {
  let open = -1;
  for (let i = s; i < e; i++) {
    if (b[i] === 123) {
      open = i;
      break;
    }
  }
  if (open >= 0) {
    for (let j = open + 1; j < e; j++) {
      if (b[j] === 125) {
        if (j > open + 1) return crc16(b, open + 1, j) & 16383;
        break;
      }
    }
  }
  return crc16(b, s, e) & 16383;
}

/** Slot of a key stored as a latin1 string. */
export function keySlotStr(k: string): number {
  const open = k.indexOf("{");
  if (open >= 0) {
    const close = k.indexOf("}", open + 1);
    if (close > open + 1) return crc16Str(k, open + 1, close) & 16383;
  }
  return crc16Str(k, 0, k.length) & 16383;
}
