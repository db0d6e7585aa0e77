// Pins the on-disk formats documented in native/FORMAT.md: if any of these bytes change, old
// databases stop opening, so a change here must come with a format version bump.
import { afterAll, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeExpiryValue, Lsm, nativeInfo, WriteBatch } from "../../src/native/index.ts";
import { b, hex, tempDir } from "./helpers.ts";

const d = tempDir("format");
afterAll(() => d.cleanup());

// CRC32C (Castagnoli) and LevelDB-style masking, as in native/src/crc32c.rs.
const CRC_TABLE = new Uint32Array(256).map((_, i) => {
  let c = i;
  for (let j = 0; j < 8; j++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  return c >>> 0;
});
function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of data) c = CRC_TABLE[(c ^ x) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
const mask = (c: number) => ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;

test("format constants", () => {
  expect(crc32c(b("123456789"))).toBe(0xe3069283);
  expect(nativeInfo).toMatchObject({
    tableFormatVersion: 1,
    tableMagic: "AiKvSST1",
    bloomFormat: 1,
    bloomHashSeed: 0xbc9f1d34,
    walRecordHeader: 8,
    batchHeader: 12,
    footerLength: 56,
    blockTrailerLength: 5,
  });
  expect(nativeInfo.zstdVersion).toBeGreaterThanOrEqual(10400);
});

test("write batch bytes", () => {
  const wb = new WriteBatch().put(b("k1"), b("v1")).delete(b("k2")).put(new Uint8Array(0), new Uint8Array(200));
  const e = wb.encoded();
  // seq (8, zero from JS) | count u32 LE | put: tag 1, varint len, key, varint len, value | delete: tag 0, len, key
  expect(hex(e.subarray(0, 27))).toBe("00000000000000000300000001026b310276310002" + "6b32" + "0100c801");
  expect(e.length).toBe(27 + 200);
});

test("expiry header bytes", () => {
  expect(hex(encodeExpiryValue(b("x"), null))).toBe("0078");
  expect(hex(encodeExpiryValue(b("x"), 0x0102030405))).toBe("01" + "0504030201000000" + "78");
});

test("WAL record framing, CURRENT, and table footer", async () => {
  const db = Lsm.open(d.path, { sync: "always", compression: "none" });
  db.write(new WriteBatch().put(b("k1"), b("v1")));
  const wal = readdirSync(d.path).filter((f) => /^\d{6}\.wal$/.test(f));
  expect(wal.length).toBe(1);
  const w = new Uint8Array(readFileSync(join(d.path, wal[0]!)));
  // [masked crc32c(len ++ payload)][len u32 LE][payload = batch with sequence 1]
  const payload = w.subarray(8);
  expect(hex(payload)).toBe("0100000000000000" + "01000000" + "01026b31027631");
  expect(new DataView(w.buffer).getUint32(4, true)).toBe(payload.length);
  expect(new DataView(w.buffer).getUint32(0, true)).toBe(mask(crc32c(w.subarray(4))));

  expect(readFileSync(join(d.path, "CURRENT"), "latin1")).toMatch(/^MANIFEST-\d{6}\n$/);

  await db.flush();
  db.close();
  const sst = readdirSync(d.path).filter((f) => /^\d{6}\.sst$/.test(f));
  expect(sst.length).toBe(1);
  const t = new Uint8Array(readFileSync(join(d.path, sst[0]!)));
  const footer = t.subarray(t.length - 56);
  const dv = new DataView(footer.buffer, footer.byteOffset, 56);
  expect(Buffer.from(footer.subarray(48)).toString("latin1")).toBe("AiKvSST1");
  expect(dv.getUint32(40, true)).toBe(1); // format version
  expect(dv.getUint32(44, true)).toBe(mask(crc32c(footer.subarray(0, 44))));
  expect(Number(dv.getBigUint64(32, true))).toBe(1); // entries
  // The single data block starts at 0: one entry, internal key = user key + trailer (seq 1 << 8 | type 1).
  const dataBlock = t.subarray(0, 3 + 10 + 2);
  expect(hex(dataBlock)).toBe("000a02" + "6b31" + "0101000000000000" + "7631");
  // Filter block (bloom format 1) follows the data block and its 5-byte trailer.
  const filterOffset = Number(dv.getBigUint64(0, true));
  expect(t[filterOffset]).toBe(1);
});
