import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeExpiryValue, encodeExpiryValue, Lsm, prefixEnd, WriteBatch } from "../../src/native/index.ts";
import { b, dec, tempDir } from "./helpers.ts";

const dirs: { cleanup(): void }[] = [];
function dir(name: string): string {
  const d = tempDir(name);
  dirs.push(d);
  return d.path;
}
afterAll(() => dirs.forEach((d) => d.cleanup()));

const str = (v: Uint8Array | null) => (v === null ? null : dec.decode(v));

function collect(db: Lsm, opts: Parameters<Lsm["iterator"]>[0] = {}, batch = 7): [string, string][] {
  const it = db.iterator(opts);
  const out: [string, string][] = [];
  for (let bt = it.nextBatch(batch); bt !== null; bt = it.nextBatch(batch)) {
    expect(bt.keys.length).toBeLessThanOrEqual(batch);
    for (let i = 0; i < bt.keys.length; i++) out.push([dec.decode(bt.keys[i]), dec.decode(bt.values[i])]);
  }
  return out;
}

describe("Lsm basics", () => {
  test("put/get/delete, batches are atomic, binary keys, reopen", async () => {
    const d = dir("basic");
    let db = Lsm.open(d);
    db.put(b("a"), b("1"));
    db.write(new WriteBatch().put(b("b"), b("2")).put(b("c"), b("3")).delete(b("a")));
    db.put(new Uint8Array([0, 0xff, 0]), new Uint8Array(70000).fill(9));
    db.put(new Uint8Array(0), b("empty key"));
    expect(db.get(b("a"))).toBeNull();
    expect(str(db.get(b("b")))).toBe("2");
    expect(db.get(new Uint8Array([0, 0xff, 0]))!.length).toBe(70000);
    expect(str(db.get(new Uint8Array(0)))).toBe("empty key");
    // Views into larger buffers work as keys.
    const big = b("xxbyy");
    expect(str(db.get(big.subarray(2, 3)))).toBe("2");
    db.close();
    expect(db.closed).toBe(true);
    db.close(); // idempotent
    db = Lsm.open(d);
    expect(db.get(b("a"))).toBeNull();
    expect(str(db.get(b("c")))).toBe("3");
    expect(db.stats().recoveredWalRecords).toBeGreaterThan(0);
    db.close();
  });

  test("multiGet returns values and nulls in order", () => {
    const db = Lsm.open(dir("multiget"));
    const wb = new WriteBatch();
    for (let i = 0; i < 500; i++) if (i % 3) wb.put(b(`k${i}`), b(`v${i}`));
    db.write(wb);
    const keys = Array.from({ length: 500 }, (_, i) => b(`k${i}`));
    const vals = db.multiGet(keys);
    vals.forEach((v, i) => expect(str(v)).toBe(i % 3 ? `v${i}` : null));
    db.put(b("empty"), new Uint8Array(0));
    expect(db.multiGet([b("empty"), b("nope")]).map((v) => v?.length ?? null)).toEqual([0, null]);
    expect(db.multiGet([])).toEqual([]);
    db.close();
  });

  test("iterators: bounds, prefix, batches, snapshot isolation", async () => {
    const db = Lsm.open(dir("iter"));
    const wb = new WriteBatch();
    for (const k of ["a", "ab", "abc", "abd", "b", "ba", "c"]) wb.put(b(k), b(k.toUpperCase()));
    db.write(wb);
    expect(collect(db).map((e) => e[0])).toEqual(["a", "ab", "abc", "abd", "b", "ba", "c"]);
    expect(collect(db, { start: b("ab"), end: b("b") }).map((e) => e[0])).toEqual(["ab", "abc", "abd"]);
    expect(collect(db, { prefix: b("ab") })).toEqual([["ab", "AB"], ["abc", "ABC"], ["abd", "ABD"]]);
    expect(collect(db, { prefix: b("ab"), start: b("abd") }).map((e) => e[0])).toEqual(["abd"]);
    expect(collect(db, { prefix: b("zz") })).toEqual([]);
    // Snapshot: later writes and a flush+compaction do not change what it sees.
    const snap = db.snapshot();
    const it = db.iterator({ snapshot: snap });
    db.write(new WriteBatch().delete(b("a")).put(b("abc"), b("new")).put(b("aa"), b("AA")));
    await db.flush();
    await db.compactRange();
    expect(str(db.get(b("abc"), { snapshot: snap }))).toBe("ABC");
    expect(db.get(b("aa"), { snapshot: snap })).toBeNull();
    expect(str(db.get(b("abc")))).toBe("new");
    expect([...it].map(([k, v]) => `${dec.decode(k)}=${dec.decode(v)}`)).toEqual(["a=A", "ab=AB", "abc=ABC", "abd=ABD", "b=B", "ba=BA", "c=C"]);
    expect(collect(db).map((e) => e[0])).toEqual(["aa", "ab", "abc", "abd", "b", "ba", "c"]);
    expect(snap.sequence).toBeGreaterThan(0);
    expect(db.stats().snapshots).toBe(1);
    snap.release();
    snap.release();
    expect(db.stats().snapshots).toBe(0);
    expect(() => db.get(b("a"), { snapshot: snap })).toThrow(/released/);
    // maxBytes stops a batch early.
    const it2 = db.iterator();
    expect(it2.nextBatch(100, 1)!.keys.length).toBe(1);
    it2.close();
    expect(it2.nextBatch()).toBeNull();
    db.close();
  });

  test("prefixEnd", () => {
    expect(Array.from(prefixEnd(b("ab"))!)).toEqual([0x61, 0x63]);
    expect(Array.from(prefixEnd(new Uint8Array([1, 0xff, 0xff]))!)).toEqual([2]);
    expect(prefixEnd(new Uint8Array([0xff]))).toBeNull();
  });

  test("writeAsync commits in call order; flush, compaction and stats", async () => {
    const db = Lsm.open(dir("async"), { writeBufferSize: 256 << 10, targetFileSize: 128 << 10, maxBytesForLevelBase: 512 << 10 });
    const value = new Uint8Array(100).fill(1);
    const ps: Promise<void>[] = [];
    for (let r = 0; r < 200; r++) {
      const wb = new WriteBatch();
      for (let i = 0; i < 100; i++) wb.put(b(`key${(r * 100 + i) % 7000}`), value);
      wb.put(b("last"), b(String(r)));
      ps.push(db.writeAsync(wb));
    }
    await Promise.all(ps);
    expect(str(db.get(b("last")))).toBe("199");
    await db.flush();
    await db.waitIdle();
    const s = db.stats();
    expect(s.flushes).toBeGreaterThan(1);
    expect(s.levels.length).toBe(7);
    expect(s.levels.reduce((n, l) => n + l.files, 0)).toBe(s.files);
    expect(s.userEntries).toBe(200 * 101);
    expect(s.writeAmplification).toBeGreaterThan(1);
    expect(s.backgroundError).toBeNull();
    for (let i = 0; i < 1000; i++) db.get(b(`key${i}`));
    expect(db.stats().cacheHits + db.stats().cacheMisses).toBeGreaterThan(0);
    await db.compactRange(b("key1"), b("key5"));
    await db.compactRange(null, null);
    expect(collect(db, {}, 1000).length).toBe(7001);
    db.close();
  });

  test("writeAsync: settles in order, close commits what is queued, keeps the process alive", async () => {
    const d = dir("writeasync");
    const db = Lsm.open(d);
    const order: number[] = [];
    const ps = Array.from({ length: 50 }, (_, i) => db.writeAsync(new WriteBatch().put(b(`k${i}`), b(String(i)))).then(() => order.push(i)));
    ps.push(db.writeAsync(new WriteBatch()).then(() => order.push(-1))); // empty batch
    db.close(); // commits the queue, then settles every promise
    await Promise.all(ps);
    expect(order.filter((x) => x >= 0)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(() => db.writeAsync(new WriteBatch().put(b("x"), b("y")))).toThrow(/closed/);
    const db2 = Lsm.open(d);
    expect(str(db2.get(b("k49")))).toBe("49");
    db2.close();
    // A pending writeAsync keeps the event loop alive until it settles, and only until then.
    const script = `const { Lsm, WriteBatch } = require(${JSON.stringify(join(import.meta.dir, "../../src/native/index.ts"))});
      const db = Lsm.open(${JSON.stringify(join(d, "child"))});
      db.writeAsync(new WriteBatch().put(new Uint8Array([1]), new Uint8Array([2]))).then(() => console.log("settled", db.get(new Uint8Array([1]))[0]));`;
    const child = Bun.spawnSync(["bun", "-e", script], { timeout: 20_000 });
    expect(child.stdout.toString().trim()).toBe("settled 2");
    expect(child.exitCode).toBe(0);
  });

  test("expiry compaction filter hides and drops expired values", async () => {
    const d = dir("expiry");
    const db = Lsm.open(d, { compactionFilter: "expiry" });
    const now = Date.now();
    const wb = new WriteBatch();
    for (let i = 0; i < 1000; i++) {
      const v = i % 2 ? encodeExpiryValue(b(`live${i}`), now + 3_600_000) : encodeExpiryValue(new Uint8Array(300).fill(7), now - 1);
      wb.put(b(`k${i}`), v);
    }
    wb.put(b("forever"), encodeExpiryValue(b("x"), null));
    wb.put(b("raw"), b("no header at all"));
    db.write(wb);
    expect(db.get(b("k0"))).toBeNull();
    const v1 = decodeExpiryValue(db.get(b("k1"))!);
    expect(dec.decode(v1.payload)).toBe("live1");
    expect(v1.expireAtMs).toBe(now + 3_600_000);
    expect(decodeExpiryValue(db.get(b("forever"))!).expireAtMs).toBeNull();
    expect(str(db.get(b("raw")))).toBe("no header at all");
    expect(collect(db, { prefix: b("k") }, 1000).length).toBe(500);
    await db.compactRange();
    const s = db.stats();
    expect(s.compactionExpiredEntries).toBe(500);
    // 500 expired 300-byte values are gone from disk.
    expect(s.bytes).toBeLessThan(500 * 300);
    db.close();
  });

  test("errors surface as thrown Errors with codes", async () => {
    const d = dir("errors");
    const db = Lsm.open(d);
    let err: (Error & { code?: string }) | undefined;
    try {
      Lsm.open(d);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe("AIKV_LOCKED");
    expect(err?.message).toMatch(/already open/);
    expect(() => Lsm.open(dir("badopt"), { writeBufferSize: 1 })).toThrow(/writeBufferSize/);
    expect(() => Lsm.open(dir("badopt2"), { sync: "sometimes" as "always" })).toThrow(/sync must be/);
    expect(() => Lsm.open(dir("badopt3"), { blockSize: -1 })).toThrow(/blockSize/);
    expect(() => Lsm.open(join(dir("missing"), "nope"), { createIfMissing: false })).toThrow(/does not exist/);
    expect(() => db.get("k" as unknown as Uint8Array)).toThrow(/Uint8Array/);
    const other = Lsm.open(dir("other"));
    const s = other.snapshot();
    expect(() => db.get(b("k"), { snapshot: s })).toThrow(/different database/);
    s.release();
    other.close();
    db.close();
    try {
      db.get(b("k"));
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe("AIKV_CLOSED");
    await expect(Promise.resolve().then(() => db.flush())).rejects.toThrow(/closed/);
  });

  test("a corrupted table is reported, never crashes the process", async () => {
    const d = dir("corrupt");
    let db = Lsm.open(d, { blockSize: 512 });
    const wb = new WriteBatch();
    for (let i = 0; i < 3000; i++) wb.put(b(`key${i}`), b(`value${i}`));
    db.write(wb);
    await db.flush();
    db.close();
    const sst = readdirSync(d).find((f) => f.endsWith(".sst"))!;
    const data = readFileSync(join(d, sst));
    data[Math.floor(data.length / 3)] ^= 0x10; // inside a data block
    writeFileSync(join(d, sst), data);
    db = Lsm.open(d);
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      try {
        db.get(b(`key${i}`));
      } catch (e) {
        expect((e as { code?: string }).code).toBe("AIKV_CORRUPTION");
        expect((e as Error).message).toMatch(/checksum mismatch/);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
    expect(() => [...db.iterator()]).toThrow(/corruption/);
    await expect(db.compactRange()).rejects.toThrow(/corruption/);
    expect(db.stats().backgroundError).toMatch(/corruption/);
    // Writes now fail with the sticky background error instead of corrupting further.
    expect(() => db.put(b("x"), b("y"))).toThrow(/corruption/);
    db.close();
    // Footer damage fails the open cleanly.
    data[data.length - 20] ^= 0xff;
    writeFileSync(join(d, sst), data);
    expect(() => Lsm.open(d)).toThrow(/footer checksum|corruption/);
    expect(existsSync(join(d, "LOCK"))).toBe(true);
  });
});
