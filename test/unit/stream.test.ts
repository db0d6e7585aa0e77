// The stream type in process: ID parsing/formatting/arithmetic, the IdTree B+tree against a
// sorted model, the listpack size model against real listpacks (node boundaries depend on it),
// the rax node count against a reference trie, trimming/deletion invariants, clone(), and RDB
// payloads (round trips, and corrupt bodies with valid checksums: RdbFormatError only).
import { describe, expect, test } from "bun:test";
import {
  Consumer, Group, IdTree, MAX_ID, Nack, SID, parseIdBytes, StreamObj, TRIM_MAXLEN, TRIM_MINID, ZERO_ID, cmpId, decrId, incrId, lpIntSize, lpStrSize, parseId,
  parsed, raxNodeCount, u64str,
} from "../../src/store/types/stream.ts";
import { LpBuilder } from "../../src/rdb/listpack.ts";
import { dumpPayload, restorePayload, sealPayload } from "../../src/rdb/dump.ts";
import { RdbFormatError } from "../../src/rdb/reader.ts";
import { DEFAULT_OPTIONS, RdbWriter } from "../../src/rdb/writer.ts";
import { prng } from "../helpers/random.ts";

const big = (id: SID) => (id.msBig() << 64n) | id.seqBig();
const fromBig = (v: bigint) => SID.fromBig(v >> 64n, v & ((1n << 64n) - 1n));

describe("IDs", () => {
  test("parse: forms, missing seq, strictness, string2ull quirks", () => {
    const p = (s: string, maxSeq = false, strict = false, auto = false) => parseId(s, maxSeq, strict, auto)?.str ?? null;
    expect(p("1-2")).toBe("1-2");
    expect(p("5")).toBe("5-0");
    expect(p("5", true)).toBe("5-18446744073709551615");
    expect(p("-")).toBe("0-0");
    expect(p("+")).toBe("18446744073709551615-18446744073709551615");
    expect(p("-", false, true)).toBeNull();
    expect(p("+", false, true)).toBeNull();
    expect(p("18446744073709551615-18446744073709551615")).toBe("18446744073709551615-18446744073709551615");
    expect(p("18446744073709551616")).toBeNull();
    expect(p("-5")).toBeNull();
    expect(p("1--5")).toBeNull();
    expect(p("1--05")).toBe("1-18446744073709551611");
    expect(p("1- 5")).toBe("1-5");
    expect(p("+1-+2")).toBe("1-2");
    expect(p("007-08")).toBe("7-8");
    expect(p("1-2\0junk")).toBe("1-2");
    expect(p("1-2-3")).toBeNull();
    expect(p("")).toBeNull();
    expect(p("1-")).toBeNull();
    expect(p("x".repeat(200))).toBeNull();
    expect(p("1-*")).toBeNull();
    expect(p("1-*", false, true, true)).toBe("1-0");
    expect(parsed.seqGiven).toBe(false);
    expect(p("1-2", false, true, true)).toBe("1-2");
    expect(parsed.seqGiven).toBe(true);
  });

  test("parseIdBytes agrees with parseId", () => {
    const r = prng(4);
    const parts = ["0", "1", "007", "123456789012345", "1234567890123456", "18446744073709551615", "18446744073709551616", "", "-", "+", "*", " 5", "+5", "-05", "x", "9".repeat(20), "\0"];
    for (let k = 0; k < 3000; k++) {
      const a = parts[Math.floor(r() * parts.length)]!;
      const b = parts[Math.floor(r() * parts.length)]!;
      const str = r() < 0.2 ? a : `${a}-${b}`;
      const bytes = Buffer.from(str, "latin1");
      for (const [maxSeq, strict, auto] of [[false, false, false], [true, true, false], [false, true, true]] as const) {
        const x = parseId(str, maxSeq, strict, auto);
        const xs = parsed.seqGiven;
        const y = parseIdBytes(bytes, 0, bytes.length, maxSeq, strict, auto);
        expect(y?.str ?? null).toBe(x?.str ?? null);
        if (x !== null) expect(parsed.seqGiven).toBe(xs);
      }
    }
  });

  test("increment, decrement and compare agree with 128-bit arithmetic", () => {
    const r = prng(3);
    const top = (1n << 128n) - 1n;
    const samples: bigint[] = [0n, 1n, top, top - 1n, 1n << 64n, (1n << 64n) - 1n, (1n << 32n) - 1n, 1n << 32n, (1n << 96n) - 1n];
    for (let i = 0; i < 300; i++) {
      let v = 0n;
      for (let k = 0; k < 4; k++) v = (v << 32n) | BigInt([0, 1, 0xffffffff, Math.floor(r() * 2 ** 32)][Math.floor(r() * 4)]!);
      samples.push(v);
    }
    for (const v of samples) {
      const id = fromBig(v);
      expect(big(id)).toBe(v);
      expect(incrId(id) === null ? null : big(incrId(id)!)).toBe(v === top ? null : v + 1n);
      expect(decrId(id) === null ? null : big(decrId(id)!)).toBe(v === 0n ? null : v - 1n);
      expect(id.str).toBe(`${v >> 64n}-${v & ((1n << 64n) - 1n)}`);
      expect(SID.fromBytes(id.bytes()).str).toBe(id.str);
      for (const w of samples.slice(0, 20)) expect(Math.sign(cmpId(id, fromBig(w)))).toBe(v < w ? -1 : v > w ? 1 : 0);
    }
    expect(u64str(0x1fffff, 0xffffffff)).toBe(String(2 ** 53 - 1));
    expect(u64str(0x200000, 0)).toBe(String(2n ** 53n));
  });
});

describe("IdTree", () => {
  for (const seed of [1, 2, 3]) {
    test(`random inserts, deletes and seeks against a sorted model (seed ${seed})`, () => {
      const r = prng(seed);
      const t = new IdTree<number>();
      const model = new Map<bigint, number>();
      const N = seed === 3 ? 20000 : 3000;
      let next = 0n;
      for (let step = 0; step < N * 3; step++) {
        const x = r();
        // Mostly appends (how streams and PELs grow), some random keys.
        const key = x < 0.4 ? (next += BigInt(1 + Math.floor(r() * 3))) : BigInt(Math.floor(r() * N));
        const id = fromBig(key);
        if (x < 0.65) {
          const isNew = !model.has(key);
          expect(t.set(id, step)).toBe(isNew);
          model.set(key, step);
        } else if (x < 0.9) {
          const had = model.get(key);
          expect(t.delete(id)).toBe(had);
          model.delete(key);
        } else {
          expect(t.get(id)).toBe(model.get(key));
        }
        expect(t.size).toBe(model.size);
        if (step % 500 === 0 || step === N * 3 - 1) {
          const sorted = [...model.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const got: bigint[] = [];
          t.forEach((k) => got.push(big(k)));
          expect(got).toEqual(sorted);
          for (let q = 0; q < 20; q++) {
            const probe = BigInt(Math.floor(r() * Number(next + 10n)));
            const ceil = sorted.find((k) => k >= probe);
            const c = t.ceil(fromBig(probe));
            expect(c.leaf === null ? undefined : big(c.key)).toBe(ceil);
            const floor = [...sorted].reverse().find((k) => k <= probe);
            const f = t.floor(fromBig(probe));
            expect(f.leaf === null ? undefined : big(f.key)).toBe(floor);
            // walking from a cursor visits the rest in order
            if (c.leaf !== null) {
              const rest: bigint[] = [];
              for (let i = 0; i < 5 && c.leaf !== null; i++, c.next()) rest.push(big(c.key));
              expect(rest).toEqual(sorted.filter((k) => k >= probe).slice(0, 5));
            }
            if (f.leaf !== null) {
              const rest: bigint[] = [];
              for (let i = 0; i < 5 && f.leaf !== null; i++, f.prev()) rest.push(big(f.key));
              expect(rest).toEqual(sorted.filter((k) => k <= probe).reverse().slice(0, 5));
            }
          }
          const first = t.first();
          const last = t.last();
          expect(first.leaf === null ? undefined : big(first.key)).toBe(sorted[0]);
          expect(last.leaf === null ? undefined : big(last.key)).toBe(sorted[sorted.length - 1]);
        }
      }
    });
  }
});

describe("listpack size model", () => {
  test("element sizes match real listpack encodings", () => {
    const lp = new LpBuilder();
    const size = (f: () => void) => {
      lp.reset();
      const before = lp.bytes;
      f();
      return lp.bytes - before;
    };
    const ints = [0, 1, 127, 128, -1, -4096, 4095, 4096, -4097, 32767, -32768, 32768, 8388607, -8388608, 8388608, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 52)];
    for (const v of ints) expect(lpIntSize(v)).toBe(size(() => lp.addInt(v)));
    const strs = ["", "a", "x".repeat(63), "x".repeat(64), "x".repeat(4095), "x".repeat(4096), "x".repeat(20000), "0", "-0", "007", " 1", "+1", "12", "-12",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "1.5", "1e3", "\0\xff", "123456789012345678901"];
    for (const s of strs) expect(lpStrSize(s)).toBe(size(() => lp.add(s)));
  });

  test("node sizes after appends, deletions and trims equal the listpacks' sizes", () => {
    const r = prng(9);
    for (let round = 0; round < 30; round++) {
      const s = new StreamObj();
      let ms = 1;
      const n = 50 + Math.floor(r() * 200);
      for (let i = 0; i < n; i++) {
        ms += Math.floor(r() * 3) === 0 ? Math.floor(r() * 1e9) : Math.floor(r() * 2);
        const seq = Math.floor(r() * 2 ** 40);
        const id = SID.of(ms, seq);
        if (cmpId(id, s.lastId) <= 0) continue;
        const nf = 1 + Math.floor(r() * 3);
        const fv: string[] = [];
        for (let k = 0; k < nf; k++) fv.push(["a", "b", "c"][k]!, [String(Math.floor(r() * 1e12) - 5e11), "v".repeat(Math.floor(r() * 90)), "-0"][Math.floor(r() * 3)]!);
        s.append(id, fv, [0, 200, 4096][round % 3]!, [0, 5, 100][round % 3]!);
        if (r() < 0.2) {
          if (s.edge(r() < 0.5)) s.delete(s.hitNode!.idAt(s.hitIdx));
        }
      }
      if (r() < 0.5) s.trim({ strategy: TRIM_MAXLEN, maxlen: Math.floor(s.length / 2), minid: ZERO_ID, approx: r() < 0.5, limit: 0 });
      else s.trim({ strategy: TRIM_MINID, maxlen: 0, minid: SID.of(Math.floor(ms / 2)), approx: false, limit: 0 });
      // Write, read back: the reader takes each node's size from its listpack's real length.
      const back = restorePayload(dumpPayload(s, DEFAULT_OPTIONS), { lim: {} as never }) as StreamObj;
      const ours: number[] = [];
      const real: number[] = [];
      s.nodes.forEach((_k, node) => ours.push(node.bytes));
      back.nodes.forEach((_k, node) => real.push(node.bytes));
      expect(ours).toEqual(real);
      expect(back.lpBytes).toBe(s.lpBytes);
      expect(back.length).toBe(s.length);
    }
  });
});

describe("rax node count", () => {
  test("matches a reference compressed trie", () => {
    const ref = (keys: string[]): number => {
      const rec = (ks: string[], depth: number): number => {
        if (ks.length === 1 && ks[0]!.length === depth) return 1;
        const groups = new Map<string, string[]>();
        for (const k of ks) {
          const ch = k[depth]!;
          if (!groups.has(ch)) groups.set(ch, []);
          groups.get(ch)!.push(k);
        }
        if (groups.size >= 2) {
          let n = 1;
          for (const g of groups.values()) n += rec(g, depth + 1);
          return n;
        }
        let d = depth;
        while (d < ks[0]!.length && ks.every((k) => k[d] === ks[0]![d])) d++;
        return 1 + rec(ks, d);
      };
      return keys.length === 0 ? 1 : rec([...keys].sort(), 0);
    };
    const r = prng(5);
    for (let round = 0; round < 200; round++) {
      const set = new Set<bigint>();
      const n = Math.floor(r() * 40);
      for (let i = 0; i < n; i++) set.add(BigInt(Math.floor(r() * [256, 65536, 2 ** 40][round % 3]!)) << BigInt([0, 60, 70][Math.floor(r() * 3)]!));
      const ids = [...set].sort((a, b) => (a < b ? -1 : 1)).map(fromBig);
      const strs = ids.map((id) => String.fromCharCode(...id.bytes()));
      expect(raxNodeCount(ids.map((id) => id.bytes()))).toBe(ref(strs));
    }
  });
});

describe("stream invariants", () => {
  test("random appends, deletes and trims keep length, counters and iteration consistent; clone is deep", () => {
    const r = prng(21);
    const s = new StreamObj();
    const model: bigint[] = [];
    let ms = 100;
    for (let step = 0; step < 4000; step++) {
      const x = r();
      if (x < 0.6) {
        ms += Math.floor(r() * 3);
        const id = SID.of(ms, Math.floor(r() * 4));
        if (cmpId(id, s.lastId) <= 0) continue;
        s.append(id, ["f", String(step)], 4096, 1 + Math.floor(r() * 8));
        model.push(big(id));
      } else if (x < 0.85 && model.length) {
        const i = Math.floor(r() * model.length);
        expect(s.delete(fromBig(model[i]!))).toBe(true);
        expect(s.delete(fromBig(model[i]!))).toBe(false);
        model.splice(i, 1);
      } else if (x < 0.9) {
        const maxlen = Math.floor(r() * model.length);
        const approx = r() < 0.5;
        const n = s.trim({ strategy: TRIM_MAXLEN, maxlen, minid: ZERO_ID, approx, limit: 0 });
        model.splice(0, n);
        if (!approx) expect(s.length).toBe(Math.min(maxlen, s.length + n));
      }
      expect(s.length).toBe(model.length);
      if (step % 200 === 0) {
        const fwd: bigint[] = [];
        s.range(ZERO_ID, MAX_ID, false, (n, i) => (fwd.push(big(n.idAt(i))), true));
        expect(fwd).toEqual(model);
        const rev: bigint[] = [];
        s.range(ZERO_ID, MAX_ID, true, (n, i) => (rev.push(big(n.idAt(i))), true));
        expect(rev).toEqual([...model].reverse());
        let live = 0;
        let bytes = 0;
        s.nodes.forEach((_k, n) => {
          live += n.live;
          bytes += n.bytes;
          expect(n.live + n.dead).toBe(n.n);
        });
        expect(live).toBe(s.length);
        expect(bytes).toBe(s.lpBytes);
        const c = s.clone();
        c.append(incrId(s.lastId)!, ["x", "y"], 4096, 100);
        if (model.length) c.delete(fromBig(model[0]!));
        expect(s.length).toBe(model.length);
        if (model.length) expect(s.has(fromBig(model[0]!))).toBe(true);
      }
    }
  });
});

describe("RDB payloads", () => {
  test("corrupt stream bodies with valid checksums fail with RdbFormatError only", () => {
    const s = new StreamObj();
    for (let i = 1; i <= 12; i++) s.append(SID.of(i, i % 3), i % 4 ? ["f", String(i * 7)] : ["g", "v".repeat(i), "h", "-3"], 4096, 5);
    s.delete(SID.of(3, 0));
    s.groups = new Map();
    const base = restorePayload(dumpPayload(s, DEFAULT_OPTIONS), { lim: {} as never }) as StreamObj;
    expect(base.length).toBe(s.length);
    // A group with a PEL and consumers, built through the real types.
    const withGroups = dumpPayloadOf(() => {
      const x = s.clone();
      const g = new Group("grp", SID.of(7, 1), 6);
      const c1 = new Consumer("alice", 1700000000000);
      const c2 = new Consumer("bob", 1700000000001);
      for (const [i, c] of [[1, c1], [2, c2], [4, c1]] as const) {
        const id = SID.of(i, i % 3);
        const nack = new Nack(1700000000000 + i, i, c);
        g.pel.set(id, nack);
        c.pel.set(id, nack);
      }
      g.addConsumer(c1);
      g.addConsumer(c2);
      x.groups = new Map([["grp", g], ["other", new Group("other", ZERO_ID, -1)]]);
      return x;
    });
    const back = restorePayload(withGroups, { lim: {} as never }) as StreamObj;
    expect(back.group("grp")!.pel.size).toBe(3);
    expect(back.group("grp")!.consumers.get("alice")!.pel.size).toBe(2);
    expect(back.group("other")!.entriesRead).toBe(-1);
    const r = prng(77);
    let rejected = 0;
    for (const good of [dumpPayload(s, DEFAULT_OPTIONS), withGroups]) {
      const body = good.subarray(0, good.length - 10);
      for (let round = 0; round < 3000; round++) {
        const bad = Buffer.from(body);
        const flips = 1 + Math.floor(r() * 3);
        for (let k = 0; k < flips; k++) bad[Math.floor(r() * bad.length)] = Math.floor(r() * 256);
        const w = new RdbWriter(DEFAULT_OPTIONS, bad.length + 16);
        w.raw(bad);
        const p = sealPayload(w);
        try {
          const v = restorePayload(p, { lim: {} as never }) as StreamObj;
          // Accepted: it must be a usable stream.
          v.range(ZERO_ID, MAX_ID, false, () => true);
          v.clone();
          dumpPayload(v, DEFAULT_OPTIONS);
        } catch (e) {
          if (!(e instanceof RdbFormatError)) throw e;
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});

function dumpPayloadOf(make: () => StreamObj): Uint8Array {
  return dumpPayload(make(), DEFAULT_OPTIONS);
}
