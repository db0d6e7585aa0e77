// The ordered index of a sorted set: a counted B+tree over (score, member) pairs.
//
// Redis uses a skiplist with spans; this is the "equivalent balanced structure" DESIGN.md
// allows. Same complexity (O(log n) insert/delete/rank/select, O(log n + k) ranges) with far
// fewer objects: elements live in leaf arrays (members and scores side by side, like a
// listpack page), leaves are doubly linked for range walks, and inner nodes keep each child's
// element count so rank and select are a single descent.
//
// Order: score ascending, ties by member bytes (members are latin1 strings, so JS `<` is
// memcmp order). Scores are never NaN. The caller (ZSet) guarantees insert() only sees new
// members and delete() only existing ones.

export class ZLeaf {
  m: string[] = [];
  s: number[] = [];
  next: ZLeaf | null = null;
  prev: ZLeaf | null = null;
}

class ZInner {
  kids: (ZLeaf | ZInner)[] = [];
  /** element count of each child's subtree */
  cnt: number[] = [];
  /** separators: ks/km[i] (i >= 1) <= every key of kids[i] and > every key of kids[i-1]; [0] unused */
  ks: number[] = [];
  km: string[] = [];
}

const LEAF_MAX = 64;
const LEAF_MIN = 16;
const INNER_MAX = 48;
const INNER_MIN = 12;

/** Predicates for countBelow(): each is true for a prefix of the order. */
export const Q = {
  /** (s, m) < (S, M) */
  KEY: 0,
  /** s < S */
  SCORE_LT: 1,
  /** s <= S */
  SCORE_LE: 2,
  /** m < M (meaningful when all scores are equal) */
  LEX_LT: 3,
  /** m <= M */
  LEX_LE: 4,
} as const;
export type Q = (typeof Q)[keyof typeof Q];

function test(q: Q, s: number, m: string, S: number, M: string): boolean {
  switch (q) {
    case Q.KEY:
      return s < S || (s === S && m < M);
    case Q.SCORE_LT:
      return s < S;
    case Q.SCORE_LE:
      return s <= S;
    case Q.LEX_LT:
      return m < M;
    default:
      return m <= M;
  }
}

// Monomorphic per element type on purpose: one generic helper used for both string and
// number arrays makes JSC's optimized code store through a path that turns double arrays into
// boxed ("contiguous") ones, which doubles the cost of every score read.

function insertNum(a: number[], i: number, v: number): void {
  let j = a.length;
  a.push(v);
  while (j > i) {
    a[j] = a[j - 1]!;
    j--;
  }
  a[i] = v;
}

function insertStr(a: string[], i: number, v: string): void {
  let j = a.length;
  a.push(v);
  while (j > i) {
    a[j] = a[j - 1]!;
    j--;
  }
  a[i] = v;
}

function insertNode(a: (ZLeaf | ZInner)[], i: number, v: ZLeaf | ZInner): void {
  let j = a.length;
  a.push(v);
  while (j > i) {
    a[j] = a[j - 1]!;
    j--;
  }
  a[i] = v;
}

function removeNum(a: number[], i: number): void {
  const n = a.length - 1;
  for (let j = i; j < n; j++) a[j] = a[j + 1]!;
  a.pop();
}

function removeStr(a: string[], i: number): void {
  const n = a.length - 1;
  for (let j = i; j < n; j++) a[j] = a[j + 1]!;
  a.pop();
}

function removeNode(a: (ZLeaf | ZInner)[], i: number): void {
  const n = a.length - 1;
  for (let j = i; j < n; j++) a[j] = a[j + 1]!;
  a.pop();
}

function sum(a: number[], from: number, to: number): number {
  let t = 0;
  for (let i = from; i < to; i++) t += a[i]!;
  return t;
}

const PATH_NODES: ZInner[] = [];
const PATH_IDX: number[] = [];

export class ZTree {
  root: ZLeaf | ZInner = new ZLeaf();
  /** inner levels above the leaves */
  depth = 0;
  size = 0;
  head: ZLeaf;
  tail: ZLeaf;
  /** index within the leaf returned by seek() */
  si = 0;
  // The descent path scratch is shared by all trees (operations never interleave).
  private pn = PATH_NODES;
  private pi = PATH_IDX;

  constructor() {
    this.head = this.tail = this.root as ZLeaf;
  }

  /** Number of elements for which predicate q(s, m; S, M) holds (they form a prefix). */
  countBelow(q: Q, S: number, M: string): number {
    let node = this.root;
    let acc = 0;
    for (let d = this.depth; d > 0; d--) {
      const n = node as ZInner;
      let lo = 1;
      let hi = n.kids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (test(q, n.ks[mid]!, n.km[mid]!, S, M)) lo = mid + 1;
        else hi = mid;
      }
      const i = lo - 1;
      acc += sum(n.cnt, 0, i);
      node = n.kids[i]!;
    }
    const leaf = node as ZLeaf;
    let lo = 0;
    let hi = leaf.m.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (test(q, leaf.s[mid]!, leaf.m[mid]!, S, M)) lo = mid + 1;
      else hi = mid;
    }
    // Where the boundary is (it may be one past the leaf's end), for walks from there.
    this.fl = leaf;
    this.si = lo;
    return acc + lo;
  }

  /** Leaf of the last countBelow() boundary; its index is in si. */
  fl: ZLeaf | null = null;

  /** 0-based rank of an element known to be present. */
  rank(s: number, m: string): number {
    return this.countBelow(Q.KEY, s, m);
  }

  /** Leaf holding the element of 0-based rank r (0 <= r < size); its index goes to this.si. */
  seek(r: number): ZLeaf {
    let node = this.root;
    for (let d = this.depth; d > 0; d--) {
      const n = node as ZInner;
      const cnt = n.cnt;
      let i = 0;
      while (r >= cnt[i]!) r -= cnt[i++]!;
      node = n.kids[i]!;
    }
    this.si = r;
    return node as ZLeaf;
  }

  /** Child index in an inner node for an exact key: the last separator <= key. */
  private static child(n: ZInner, s: number, m: string): number {
    let lo = 1;
    let hi = n.kids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const ss = n.ks[mid]!;
      if (s < ss || (s === ss && m < n.km[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    return lo - 1;
  }

  /** First index in a leaf whose key is >= (s, m). */
  private static lower(leaf: ZLeaf, s: number, m: string): number {
    const ls = leaf.s;
    const lm = leaf.m;
    let lo = 0;
    let hi = lm.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const ss = ls[mid]!;
      if (ss < s || (ss === s && lm[mid]! < m)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(s: number, m: string): void {
    let node = this.root;
    const depth = this.depth;
    for (let d = 0; d < depth; d++) {
      const n = node as ZInner;
      const i = ZTree.child(n, s, m);
      n.cnt[i]!++;
      this.pn[d] = n;
      this.pi[d] = i;
      node = n.kids[i]!;
    }
    const leaf = node as ZLeaf;
    const at = ZTree.lower(leaf, s, m);
    insertStr(leaf.m, at, m);
    insertNum(leaf.s, at, s);
    this.size++;
    if (leaf.m.length > LEAF_MAX) this.splitLeaf(leaf);
  }

  private splitLeaf(leaf: ZLeaf): void {
    const n = leaf.m.length;
    const h = n >> 1;
    const r = new ZLeaf();
    r.m = leaf.m.slice(h);
    r.s = leaf.s.slice(h);
    leaf.m.length = h;
    leaf.s.length = h;
    r.next = leaf.next;
    if (r.next) r.next.prev = r;
    else this.tail = r;
    leaf.next = r;
    r.prev = leaf;
    this.addSibling(this.depth - 1, leaf, h, r, n - h, r.s[0]!, r.m[0]!);
  }

  /**
   * After node (at path level d+1, child of pn[d]) split off `right`, hook `right` into the
   * parent (or grow a new root when d < 0).
   */
  private addSibling(d: number, left: ZLeaf | ZInner, lc: number, right: ZLeaf | ZInner, rc: number, sepS: number, sepM: string): void {
    if (d < 0) {
      const root = new ZInner();
      root.kids = [left, right];
      root.cnt = [lc, rc];
      root.ks = [0, sepS];
      root.km = ["", sepM];
      this.root = root;
      this.depth++;
      return;
    }
    const p = this.pn[d]!;
    const i = this.pi[d]!;
    p.cnt[i] = lc;
    insertNode(p.kids, i + 1, right);
    insertNum(p.cnt, i + 1, rc);
    insertNum(p.ks, i + 1, sepS);
    insertStr(p.km, i + 1, sepM);
    if (p.kids.length > INNER_MAX) {
      const n = p.kids.length;
      const h = n >> 1;
      const r = new ZInner();
      r.kids = p.kids.slice(h);
      r.cnt = p.cnt.slice(h);
      r.ks = p.ks.slice(h);
      r.km = p.km.slice(h);
      const upS = r.ks[0]!;
      const upM = r.km[0]!;
      r.ks[0] = 0;
      r.km[0] = "";
      p.kids.length = h;
      p.cnt.length = h;
      p.ks.length = h;
      p.km.length = h;
      this.addSibling(d - 1, p, sum(p.cnt, 0, h), r, sum(r.cnt, 0, n - h), upS, upM);
    }
  }

  /** Removes an element known to be present. */
  delete(s: number, m: string): void {
    let node = this.root;
    const depth = this.depth;
    for (let d = 0; d < depth; d++) {
      const n = node as ZInner;
      const i = ZTree.child(n, s, m);
      n.cnt[i]!--;
      this.pn[d] = n;
      this.pi[d] = i;
      node = n.kids[i]!;
    }
    const leaf = node as ZLeaf;
    const at = ZTree.lower(leaf, s, m);
    if (leaf.m[at] !== m) throw new Error("ztree: deleting a missing element");
    removeStr(leaf.m, at);
    removeNum(leaf.s, at);
    this.size--;
    if (leaf.m.length < LEAF_MIN) this.fixLeaf(leaf);
  }

  /**
   * Removes `count` elements starting at rank `start`, calling gone(member) for each, in
   * order. O(log n + count): whole runs are cut out of each leaf at once.
   */
  deleteRange(start: number, count: number, gone: (m: string, s: number) => void): void {
    while (count > 0) {
      let node = this.root;
      let r = start;
      const depth = this.depth;
      for (let d = 0; d < depth; d++) {
        const n = node as ZInner;
        const cnt = n.cnt;
        let i = 0;
        while (r >= cnt[i]!) r -= cnt[i++]!;
        this.pn[d] = n;
        this.pi[d] = i;
        node = n.kids[i]!;
      }
      const leaf = node as ZLeaf;
      const take = Math.min(count, leaf.m.length - r);
      for (let k = 0; k < take; k++) gone(leaf.m[r + k]!, leaf.s[r + k]!);
      leaf.m.splice(r, take);
      leaf.s.splice(r, take);
      for (let d = 0; d < depth; d++) this.pn[d]!.cnt[this.pi[d]!]! -= take;
      this.size -= take;
      count -= take;
      if (leaf.m.length < LEAF_MIN) this.fixLeaf(leaf);
    }
  }

  /** Rebalances an underfull leaf reached through the recorded path. */
  private fixLeaf(leaf: ZLeaf): void {
    const d = this.depth - 1;
    if (d < 0) return;
    const p = this.pn[d]!;
    const idx = this.pi[d]!;
    if (leaf.m.length === 0 && p.kids.length > 1) {
      // Empty: unlink and drop it.
      if (leaf.prev) leaf.prev.next = leaf.next;
      else this.head = leaf.next!;
      if (leaf.next) leaf.next.prev = leaf.prev;
      else this.tail = leaf.prev!;
      this.dropKid(p, idx);
      this.fixInner(d);
      return;
    }
    let j: number; // index of the right one of the pair
    if (idx > 0) j = idx;
    else if (p.kids.length > 1) j = 1;
    else return;
    const L = p.kids[j - 1] as ZLeaf;
    const R = p.kids[j] as ZLeaf;
    const total = L.m.length + R.m.length;
    if (total <= LEAF_MAX) {
      for (let k = 0; k < R.m.length; k++) {
        L.m.push(R.m[k]!);
        L.s.push(R.s[k]!);
      }
      L.next = R.next;
      if (R.next) R.next.prev = L;
      else this.tail = L;
      p.cnt[j - 1] = total;
      removeNode(p.kids, j);
      removeNum(p.cnt, j);
      removeNum(p.ks, j);
      removeStr(p.km, j);
      this.fixInner(d);
      return;
    }
    const h = total >> 1;
    if (L.m.length < h) {
      const k = h - L.m.length;
      for (let x = 0; x < k; x++) {
        L.m.push(R.m[x]!);
        L.s.push(R.s[x]!);
      }
      R.m.splice(0, k);
      R.s.splice(0, k);
    } else {
      const k = L.m.length - h;
      R.m.unshift(...L.m.splice(h, k));
      R.s.unshift(...L.s.splice(h, k));
    }
    p.cnt[j - 1] = h;
    p.cnt[j] = total - h;
    p.ks[j] = R.s[0]!;
    p.km[j] = R.m[0]!;
  }

  private dropKid(p: ZInner, i: number): void {
    removeNode(p.kids, i);
    removeNum(p.cnt, i);
    if (i === 0) {
      // The new first child keeps working without a separator.
      removeNum(p.ks, 1);
      removeStr(p.km, 1);
      p.ks[0] = 0;
      p.km[0] = "";
    } else {
      removeNum(p.ks, i);
      removeStr(p.km, i);
    }
  }

  /** Rebalances the inner node pn[d] after one of its children went away. */
  private fixInner(d: number): void {
    const node = this.pn[d]!;
    if (d === 0) {
      while (this.depth > 0 && (this.root as ZInner).kids.length === 1) {
        this.root = (this.root as ZInner).kids[0]!;
        this.depth--;
      }
      return;
    }
    if (node.kids.length >= INNER_MIN) return;
    const p = this.pn[d - 1]!;
    const idx = this.pi[d - 1]!;
    let j: number;
    if (idx > 0) j = idx;
    else if (p.kids.length > 1) j = 1;
    else return;
    const L = p.kids[j - 1] as ZInner;
    const R = p.kids[j] as ZInner;
    const total = L.kids.length + R.kids.length;
    // Pull the parent's separator down as R's first separator, then merge or redistribute.
    const kids = L.kids.concat(R.kids);
    const cnt = L.cnt.concat(R.cnt);
    const ks = L.ks.concat(R.ks);
    const km = L.km.concat(R.km);
    ks[L.kids.length] = p.ks[j]!;
    km[L.kids.length] = p.km[j]!;
    if (total <= INNER_MAX) {
      L.kids = kids;
      L.cnt = cnt;
      L.ks = ks;
      L.km = km;
      p.cnt[j - 1] = p.cnt[j - 1]! + p.cnt[j]!;
      removeNode(p.kids, j);
      removeNum(p.cnt, j);
      removeNum(p.ks, j);
      removeStr(p.km, j);
      this.fixInner(d - 1);
      return;
    }
    const h = total >> 1;
    L.kids = kids.slice(0, h);
    L.cnt = cnt.slice(0, h);
    L.ks = ks.slice(0, h);
    L.km = km.slice(0, h);
    R.kids = kids.slice(h);
    R.cnt = cnt.slice(h);
    R.ks = ks.slice(h);
    R.km = km.slice(h);
    p.ks[j] = R.ks[0]!;
    p.km[j] = R.km[0]!;
    R.ks[0] = 0;
    R.km[0] = "";
    p.cnt[j - 1] = sum(L.cnt, 0, L.cnt.length);
    p.cnt[j] = sum(R.cnt, 0, R.cnt.length);
  }

  /**
   * Changes an element's score. Stays in place when the order allows (like Redis's
   * zslUpdateScore), else delete + insert.
   */
  update(s: number, m: string, ns: number): void {
    let node = this.root;
    for (let d = this.depth; d > 0; d--) {
      const n = node as ZInner;
      node = n.kids[ZTree.child(n, s, m)]!;
    }
    const leaf = node as ZLeaf;
    const at = ZTree.lower(leaf, s, m);
    const last = leaf.m.length - 1;
    if (at > 0 && at < last) {
      const ps = leaf.s[at - 1]!;
      const nxs = leaf.s[at + 1]!;
      if ((ps < ns || (ps === ns && leaf.m[at - 1]! < m)) && (ns < nxs || (ns === nxs && m < leaf.m[at + 1]!))) {
        leaf.s[at] = ns;
        return;
      }
    }
    this.delete(s, m);
    this.insert(ns, m);
  }

  /** Visits every element in order. */
  forEach(f: (m: string, s: number) => void): void {
    for (let l: ZLeaf | null = this.head; l; l = l.next) {
      const lm = l.m;
      const ls = l.s;
      for (let i = 0; i < lm.length; i++) f(lm[i]!, ls[i]!);
    }
  }

  /** Builds from elements already in order (bulk load, O(n)). */
  static fromSorted(ms: string[], ss: number[]): ZTree {
    const t = new ZTree();
    const n = ms.length;
    if (n <= LEAF_MAX) {
      const l = t.root as ZLeaf;
      l.m = ms.slice();
      l.s = ss.slice();
      t.size = n;
      return t;
    }
    // Leaves filled to 3/4 so later inserts do not split at once.
    const per = (LEAF_MAX * 3) >> 2;
    let level: (ZLeaf | ZInner)[] = [];
    let counts: number[] = [];
    let firstS: number[] = [];
    let firstM: string[] = [];
    let prev: ZLeaf | null = null;
    const nLeaves = Math.ceil(n / per);
    for (let k = 0; k < nLeaves; k++) {
      const a = Math.floor((k * n) / nLeaves);
      const b = Math.floor(((k + 1) * n) / nLeaves);
      const l = new ZLeaf();
      l.m = ms.slice(a, b);
      l.s = ss.slice(a, b);
      l.prev = prev;
      if (prev) prev.next = l;
      else t.head = l;
      prev = l;
      level.push(l);
      counts.push(b - a);
      firstS.push(ss[a]!);
      firstM.push(ms[a]!);
    }
    t.tail = prev!;
    const perInner = (INNER_MAX * 3) >> 2;
    while (level.length > 1) {
      const next: ZInner[] = [];
      const nc: number[] = [];
      const nfs: number[] = [];
      const nfm: string[] = [];
      const groups = Math.ceil(level.length / perInner);
      for (let g = 0; g < groups; g++) {
        const a = Math.floor((g * level.length) / groups);
        const b = Math.floor(((g + 1) * level.length) / groups);
        const node = new ZInner();
        node.kids = level.slice(a, b);
        node.cnt = counts.slice(a, b);
        node.ks = firstS.slice(a, b);
        node.km = firstM.slice(a, b);
        nfs.push(node.ks[0]!);
        nfm.push(node.km[0]!);
        node.ks[0] = 0;
        node.km[0] = "";
        next.push(node);
        nc.push(sum(node.cnt, 0, node.cnt.length));
      }
      level = next;
      counts = nc;
      firstS = nfs;
      firstM = nfm;
      t.depth++;
    }
    t.root = level[0]!;
    t.size = n;
    return t;
  }

  /** Structural self-check for tests: order, counts, separators, links. Returns an error or "". */
  check(): string {
    let err = "";
    const walk = (node: ZLeaf | ZInner, d: number, lo: [number, string] | null, hi: [number, string] | null): number => {
      if (d === 0) {
        const l = node as ZLeaf;
        for (let i = 0; i < l.m.length; i++) {
          const k: [number, string] = [l.s[i]!, l.m[i]!];
          if (i > 0 && !(l.s[i - 1]! < k[0] || (l.s[i - 1] === k[0] && l.m[i - 1]! < k[1]))) err ||= "leaf order";
          if (lo && (k[0] < lo[0] || (k[0] === lo[0] && k[1] < lo[1]))) err ||= "below separator";
          if (hi && !(k[0] < hi[0] || (k[0] === hi[0] && k[1] < hi[1]))) err ||= "above separator";
        }
        return l.m.length;
      }
      const n = node as ZInner;
      let total = 0;
      for (let i = 0; i < n.kids.length; i++) {
        const klo: [number, string] | null = i === 0 ? lo : [n.ks[i]!, n.km[i]!];
        const khi: [number, string] | null = i + 1 < n.kids.length ? [n.ks[i + 1]!, n.km[i + 1]!] : hi;
        const c = walk(n.kids[i]!, d - 1, klo, khi);
        if (c !== n.cnt[i]) err ||= `count mismatch at depth ${d}`;
        total += c;
      }
      return total;
    };
    const total = walk(this.root, this.depth, null, null);
    if (total !== this.size) err ||= "size mismatch";
    let linked = 0;
    let prev: ZLeaf | null = null;
    for (let l: ZLeaf | null = this.head; l; l = l.next) {
      if (l.prev !== prev) err ||= "prev link";
      linked += l.m.length;
      prev = l;
    }
    if (prev !== this.tail) err ||= "tail";
    if (linked !== this.size) err ||= "linked size";
    return err;
  }
}
