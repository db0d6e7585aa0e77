// DEBUG DIGEST / DIGEST-VALUE with Redis's exact algorithm, so a dataset digests to the same
// hex string on AiKv and on redis-server (test suites compare digests across a reload or a
// replica). SHA-1 based: "mix" chains (order matters: strings, list elements, stream
// entries), "xor" combines (order does not: set members, hash fields, zset members, keys).

import type { Db } from "../store/db.ts";
import type { HashObj } from "../store/types/hash.ts";
import type { ListObj } from "../store/types/list.ts";
import type { SetObj } from "../store/types/set.ts";
import { SID, type StreamObj } from "../store/types/stream.ts";
import { StrBuf } from "../store/types/string.ts";
import type { ZSet } from "../store/types/zset.ts";
import type { ZLeaf } from "../store/types/ztree.ts";
import type { Value } from "../store/value.ts";
import { fmtG } from "../util/numbers.ts";

/** Redis's object type numbers (OBJ_STRING ... OBJ_STREAM). */
const TYPE_CODE: Record<string, number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, "ReJSON-RL": 5, stream: 6 };

function sha1(data: Uint8Array): Uint8Array {
  return new Bun.CryptoHasher("sha1").update(data).digest() as unknown as Uint8Array;
}

const bytesOf = (s: string | Uint8Array): Uint8Array => (typeof s === "string" ? Buffer.from(s, "latin1") : s);

/** digest ^= SHA1(data) */
function xorDigest(digest: Uint8Array, data: string | Uint8Array): void {
  const h = sha1(bytesOf(data));
  for (let i = 0; i < 20; i++) digest[i]! ^= h[i]!;
}

/** digest = SHA1(digest ^ SHA1(data)) */
function mixDigest(digest: Uint8Array, data: string | Uint8Array): void {
  xorDigest(digest, data);
  digest.set(sha1(digest));
}

function score(d: number): string {
  return fmtG(d, 17);
}

/** Redis's xorObjectDigest: the value (and whether it expires) mixed into `digest`. */
function objectDigest(digest: Uint8Array, v: Value, expires: boolean): void {
  const type = typeof v === "string" ? "string" : v.type;
  const code = new Uint8Array(4);
  new DataView(code.buffer).setUint32(0, TYPE_CODE[type] ?? 5);
  mixDigest(digest, code);
  if (typeof v === "string") mixDigest(digest, v);
  else if (v instanceof StrBuf) mixDigest(digest, v.view());
  else if (type === "list") {
    const l = v as unknown as ListObj;
    l.each(0, l.length, (e) => void mixDigest(digest, e));
  } else if (type === "set") {
    for (const m of (v as unknown as SetObj).arr) xorDigest(digest, String(m));
  } else if (type === "zset") {
    const ele = new Uint8Array(20);
    for (let l: ZLeaf | null = (v as unknown as ZSet).t.head; l !== null; l = l.next) {
      for (let i = 0; i < l.m.length; i++) {
        ele.fill(0);
        mixDigest(ele, l.m[i]!);
        mixDigest(ele, score(l.s[i]!));
        xorDigest(digest, ele);
      }
    }
  } else if (type === "hash") {
    const ele = new Uint8Array(20);
    for (const [f, x] of (v as unknown as HashObj).m) {
      ele.fill(0);
      mixDigest(ele, f);
      mixDigest(ele, x);
      xorDigest(digest, ele);
    }
  } else if (type === "stream") {
    const s = v as unknown as StreamObj;
    const max = 2n ** 64n - 1n;
    s.range(SID.fromBig(0n, 0n), SID.fromBig(max, max), false, (n, i) => {
      const id = n.idAt(i);
      mixDigest(digest, `${id.msBig()}.${id.seqBig()}`);
      for (const item of n.fieldValues(i)) mixDigest(digest, item);
      return true;
    });
  }
  // Module values (the JSON type) add nothing, as for a module without a digest callback.
  if (expires) xorDigest(digest, "!!expire!!");
}

const hex = (d: Uint8Array) => Buffer.from(d).toString("hex");

/** DEBUG DIGEST: the whole dataset. Forty zeros when empty. */
export function datasetDigest(dbs: Db[]): string {
  const final = new Uint8Array(20);
  const digest = new Uint8Array(20);
  for (const db of dbs) {
    const t = db.dict;
    if (t.size === 0) continue;
    const aux = new Uint8Array(4);
    new DataView(aux.buffer).setUint32(0, db.id);
    mixDigest(final, aux);
    for (let id = 0; id < t.top; id++) {
      if (!t.live(id)) continue;
      digest.fill(0);
      mixDigest(digest, t.keyOf(id));
      objectDigest(digest, t.valueOf(id), t.expOf(id) !== 0);
      xorDigest(final, digest);
    }
  }
  return hex(final);
}

/** DEBUG DIGEST-VALUE: one key's value, logically expired keys included (no lookup). */
export function valueDigest(db: Db, key: string): string {
  const digest = new Uint8Array(20);
  const id = db.dict.find(key);
  if (id >= 0) objectDigest(digest, db.dict.valueOf(id), db.dict.expOf(id) !== 0);
  return hex(digest);
}
