// Bloom filters: TypeScript (BloomTs) vs native single calls vs native batches.
//   bun bench/native/bloom.ts
import { Bloom, BloomTs, packKeys } from "../../src/native/index.ts";
import { fmt, machine, Rng, timeIt } from "./common.ts";

const rng = new Rng(3);
console.log(`machine: ${machine()}`);
const n = 1_000_000;
const keys = Array.from({ length: 4096 }, () => rng.fill(new Uint8Array(16)));
const ts = BloomTs.create(n, 0.01);
const nat = Bloom.create(n, 0.01);
let i = 0;
let sink = 0;
const rows: [string, number][] = [];
rows.push(["TS add", timeIt(() => ts.add(keys[i++ & 4095]!))]);
rows.push(["TS mayContain", timeIt(() => (sink += ts.mayContain(keys[i++ & 4095]!) ? 1 : 0))]);
rows.push(["native add (one call per key)", timeIt(() => nat.add(keys[i++ & 4095]!))]);
rows.push(["native mayContain (one call per key)", timeIt(() => (sink += nat.mayContain(keys[i++ & 4095]!) ? 1 : 0))]);
const p = packKeys(keys.slice(0, 1000));
rows.push(["native addMany (1000 packed keys), per key", timeIt(() => nat.addMany(p), 300) / 1000]);
rows.push(["native mayContainMany (1000 packed keys), per key", timeIt(() => nat.mayContainMany(p), 300) / 1000]);
console.log(`filter: ${n} items at 1% (${ts.bits} bits, ${ts.hashes} probes); 16-byte keys`);
for (const [k, v] of rows) console.log(`${k.padEnd(52)} ${fmt(v).padStart(8)} ns`);
if (sink < 0) console.log(sink);
