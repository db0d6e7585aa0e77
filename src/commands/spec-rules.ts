// Types of the declarative command table and the rules that derive facts Redis derives itself
// (implicit ACL categories, legacy first/last/step, movablekeys), so specs.ts never repeats them.

/** Key spec, compact form of Redis 7 key specs. */
export interface KeySpecDecl {
  /** flags, space separated: RO RW OW RM access update insert delete not_key incomplete variable_flags */
  f: string;
  /** begin_search index */
  i?: number;
  /** begin_search keyword: [keyword, startfrom] */
  kw?: [string, number];
  bs?: "unknown";
  /** find_keys range: [lastkey, keystep, limit]; default [0, 1, 0] */
  r?: [number, number, number];
  /** find_keys keynum: [keynumidx, firstkey, keystep] */
  n?: [number, number, number];
  fk?: "unknown";
}

export interface SpecDecl {
  group?: string;
  arity: number;
  /** Redis command flags (without the derived movablekeys), space separated */
  flags: string;
  /** ACL categories that are not implied by the flags, space separated, without '@' */
  acl?: string;
  tips?: string[];
  keys?: KeySpecDecl[];
  since?: string;
  summary?: string;
  docFlags?: string[];
  deprecatedSince?: string;
  replacedBy?: string;
  /** argument syntax as COMMAND DOCS reports it */
  args?: unknown[];
  subs?: Record<string, SpecDecl>;
}

export type SpecTable = Record<string, SpecDecl>;

/** Order in which Redis 7.0 prints command flags in COMMAND INFO. */
export const FLAG_ORDER = [
  "write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript", "blocking", "loading",
  "stale", "skip_monitor", "skip_slowlog", "asking", "fast", "no_auth", "no_mandatory_keys",
  "no_async_loading", "no_multi", "movablekeys", "allow_busy",
] as const;

/** Order in which Redis 7.0 prints ACL categories. */
export const ACL_ORDER = [
  "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
  "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
  "transaction", "scripting",
] as const;

/** Categories Redis adds from the flags (setImplicitACLCategories). `all` is the full list (with '@'). */
export function implicitAcl(flags: string[], explicitOrAll: string[]): string[] {
  const cats = new Set(explicitOrAll.map((c) => (c.startsWith("@") ? c.slice(1) : c)));
  const out: string[] = [];
  const has = (f: string) => flags.includes(f);
  if (has("write")) out.push("write");
  if (has("readonly") && !cats.has("scripting")) out.push("read");
  if (has("admin")) out.push("admin", "dangerous");
  if (has("pubsub")) out.push("pubsub");
  if (has("fast")) out.push("fast");
  if (has("blocking")) out.push("blocking");
  if (!has("fast") && !cats.has("fast")) out.push("slow");
  return out;
}

export function aclCategories(flags: string[], explicit: string[]): string[] {
  const set = new Set([...explicit, ...implicitAcl(flags, explicit)]);
  return ACL_ORDER.filter((c) => set.has(c));
}

export interface LegacyRange {
  first: number;
  last: number;
  step: number;
  movable: boolean;
}

/** first/last/step as COMMAND INFO shows them, and whether the keys can move (movablekeys). */
export function legacyRange(keys: KeySpecDecl[] | undefined): LegacyRange {
  if (!keys || keys.length === 0) return { first: 0, last: 0, step: 0, movable: false };
  const isRange = (k: KeySpecDecl) => k.i !== undefined && !k.n && k.fk !== "unknown";
  const rng = (k: KeySpecDecl) => k.r ?? [0, 1, 0];
  const incomplete = (k: KeySpecDecl) => k.f.split(" ").includes("incomplete");
  if (keys.length === 1 && isRange(keys[0]!)) {
    const k = keys[0]!;
    const [lastkey, step] = rng(k);
    return { first: k.i!, last: lastkey < 0 ? lastkey : k.i! + lastkey, step, movable: incomplete(k) };
  }
  let first = Infinity;
  let last = 0;
  let prevLast = 0;
  let movable = false;
  for (const k of keys) {
    if (!isRange(k)) {
      movable = true;
      continue;
    }
    const [lastkey, step] = rng(k);
    if (step !== 1 || (prevLast && prevLast !== k.i! - 1)) {
      movable = true;
      continue;
    }
    if (incomplete(k)) movable = true;
    first = Math.min(first, k.i!);
    const abs = lastkey >= 0 ? lastkey + k.i! : lastkey;
    // Redis compares as unsigned, so a negative (relative-to-end) last key wins.
    if (abs >>> 0 > last >>> 0) last = abs;
    prevLast = last;
  }
  if (first === Infinity) return { first: 0, last: 0, step: 0, movable: true };
  return { first, last, step: 1, movable };
}
