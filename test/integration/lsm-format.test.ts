// The durable engine's on-disk formats, pinned byte for byte (docs/DURABILITY.md): WAL records
// and segment names, LSM keys and values, the checkpoint record. Changing any of these needs a
// format version and a migration.

import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KeyTable } from "../../src/store/keytable.ts";
import { ListObj } from "../../src/store/types/list.ts";
import {
  decodeMeta, decodeObject, encodeMeta, FUNCTIONS_KEY, genPrefix, KeyBuilder, META_KEY, plainString, readGen, valueHeader,
  valueOptions, ValueWriter,
} from "../../src/engine/codec.ts";
import { scanWal, segmentName, WalWriter } from "../../src/engine/wal.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("WAL", () => {
  test("segment names, record framing, checksum", () => {
    expect(segmentName(1)).toBe("00000000000000000001.log");
    expect(segmentName(123456789)).toBe("00000000000123456789.log");
    const dir = mkdtempSync(join(tmpdir(), "aikv-fmt-"));
    try {
      const w = new WalWriter(dir, "no", 0, []);
      w.append(0, ["SET", "k", "v"]);
      w.seal();
      w.append(2, ["DEL", "k"]);
      w.seal();
      w.close();
      const bytes = readFileSync(join(dir, segmentName(1)));
      const p1 = "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
      // [len u32 LE][crc32 u32 LE][seq u64 LE][payload]
      expect(bytes.readUInt32LE(0)).toBe(p1.length);
      expect(bytes.readBigUInt64LE(8)).toBe(1n);
      expect(bytes.subarray(16, 16 + p1.length).toString("latin1")).toBe(p1);
      expect(bytes.readUInt32LE(4)).toBe(Bun.hash.crc32(bytes.subarray(8, 16 + p1.length)) >>> 0);
      expect(bytes.readUInt32LE(4)).toBe(0xc9682f52);
      // the checksum is CRC-32 (IEEE 802.3): the standard check value
      expect(Bun.hash.crc32("123456789") >>> 0).toBe(0xcbf43926);
      const second = 16 + p1.length;
      expect(bytes.readBigUInt64LE(second + 8)).toBe(2n);
      expect(bytes.subarray(second + 16).toString("latin1")).toBe("*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
      const scan = scanWal(dir, 0);
      expect(scan.problem).toBeNull();
      expect(scan.lastSeq).toBe(2);
      expect(scan.segments[0]!.records.map((r) => r.seq)).toEqual([1, 2]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("LSM keys and values", () => {
  test("keys: generation u32 big endian, then the key; metadata under generation 0", () => {
    const t = new KeyTable();
    const id = t.put("user:1", "x");
    const kb = new KeyBuilder();
    expect(hex(kb.entry(7, t, id))).toBe("00000007" + hex(Buffer.from("user:1")));
    expect(hex(kb.str(0x01020304, "\u00ffa"))).toBe("01020304ff61");
    expect(hex(genPrefix(258))).toBe("00000102");
    expect(readGen(genPrefix(0xfffffffe))).toBe(0xfffffffe);
    expect(Buffer.from(META_KEY).toString("latin1")).toBe("\0\0\0\0checkpoint");
    expect(Buffer.from(FUNCTIONS_KEY).toString("latin1")).toBe("\0\0\0\0functions");
  });

  test("values: expiry header, then the RDB object without LZF", () => {
    const t = new KeyTable();
    const vw = new ValueWriter(valueOptions(-2));
    const a = t.put("a", "hello world, hello world, hello world");
    // no expiry: 00, type 0 (string), length 37, bytes (not LZF-compressed)
    expect(hex(vw.entry(t, a))).toBe("000025" + hex(Buffer.from("hello world, hello world, hello world")));
    const b = t.put("b", "12");
    t.setExp(b, 1700000000123);
    // expiry: 01 + u64 LE ms; "12" is int-encoded as RDB does (c0 0c)
    expect(hex(vw.entry(t, b))).toBe("01" + "7b68e5cf8b010000" + "00c00c");
    const h = valueHeader(vw.entry(t, b));
    expect(h).toEqual({ expireAt: 1700000000123, start: 9 });
    const ps = { start: 0, len: 0, int: null as number | null };
    expect(plainString(vw.entry(t, b), 9, ps)).toBe(true);
    expect(ps.int).toBe(12);
    const l = new ListObj();
    l.pushRight("x");
    l.pushRight("y");
    const lv = vw.value(l, 0);
    expect(lv[0]).toBe(0);
    expect(lv[1]).toBe(18); // RDB_TYPE_LIST_QUICKLIST_2
    const back = decodeObject(lv, 1, { lim: { hashMaxListpackEntries: 128, hashMaxListpackValue: 64, setMaxIntsetEntries: 512, setMaxListpackEntries: 128, setMaxListpackValue: 64, zsetMaxListpackEntries: 128, zsetMaxListpackValue: 64, listMaxListpackSize: -2 } }) as ListObj;
    expect(back.length).toBe(2);
  });

  test("the checkpoint record", () => {
    const m = { version: 1 as const, seq: 42, dbs: [3, 4], dead: [1, 2], nextGen: 5, time: 1700000000000, keys: 9 };
    const b = encodeMeta(m);
    expect(Buffer.from(b).toString()).toBe('{"version":1,"seq":42,"dbs":[3,4],"dead":[1,2],"nextGen":5,"time":1700000000000,"keys":9}');
    expect(decodeMeta(b)).toEqual(m);
    expect(() => decodeMeta(Buffer.from('{"version":2}'))).toThrow();
  });
});
