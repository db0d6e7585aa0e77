// Cursor iteration (SCAN, HSCAN, SSCAN, ZSCAN) over insertion-ordered Maps and Sets.
// A cursor is the number of elements already walked. The live iterator that stopped there is
// kept (a few per collection, weakly), so a continuing scan resumes in O(1) and keeps Redis's
// guarantee: every element present for the whole scan is returned; ones added or removed
// meanwhile may or may not be. A cursor whose iterator is gone (too many concurrent scans of
// one collection) resumes by skipping that many elements.

/** A collection walked by its keys (Map, Set, or a KeyTable holding a big hash). */
interface Iterable<K = unknown> {
  keys(): Iterator<K>;
}

/** A live iterator with one element looked ahead (so the last page can return cursor 0). */
interface Resume {
  it: Iterator<unknown>;
  ahead: IteratorResult<unknown>;
}

/** Live iterators per collection, by the position they stopped at. */
const live = new WeakMap<object, Map<number, Resume>>();
const PER_COLLECTION = 16;

/**
 * Walks up to `count` elements from `cursor`; returns the next cursor (0 when done).
 * `visit` gets each key (for a Map, its key; the value is looked up by the caller).
 */
export function scanStep<K>(coll: Iterable<K>, cursor: number, count: number, visit: (k: K) => void): number {
  let byPos = live.get(coll);
  let r = byPos?.get(cursor);
  if (r !== undefined) byPos!.delete(cursor);
  else {
    const it = coll.keys();
    for (let i = 0; i < cursor; i++) if (it.next().done) return 0;
    r = { it, ahead: it.next() };
  }
  let pos = cursor;
  for (let i = 0; i < count; i++) {
    if (r.ahead.done) return 0;
    visit(r.ahead.value as K);
    pos++;
    r.ahead = r.it.next();
  }
  if (r.ahead.done) return 0;
  if (!byPos) live.set(coll, (byPos = new Map()));
  if (byPos.size >= PER_COLLECTION) byPos.delete(byPos.keys().next().value!);
  byPos.set(pos, r);
  return pos;
}

/**
 * Parses a SCAN cursor like Redis's strtoul-based parseScanCursorOrReply: optional sign, decimal
 * digits (none at all reads as 0), wrapping negation, no leading space, at most 2^64-1.
 * NaN when invalid ("ERR invalid cursor").
 */
export function parseCursor(s: string): number {
  const m = /^([+-]?)(\d*)$/.exec(s);
  if (m === null || (m[1] !== "" && m[2] === "")) return NaN;
  if (m[2]!.length <= 15) {
    const v = m[2] === "" ? 0 : Number(m[2]);
    return m[1] === "-" && v !== 0 ? Number(2n ** 64n - BigInt(v)) : v;
  }
  const b = BigInt(m[2]!);
  if (b > 18446744073709551615n) return NaN;
  return Number(m[1] === "-" && b !== 0n ? 2n ** 64n - b : b);
}
