// Keyspace notifications (notify-keyspace-events): Redis's class letters and channel names.

export const N = {
  KEYSPACE: 1 << 0, // K
  KEYEVENT: 1 << 1, // E
  GENERIC: 1 << 2, // g
  STRING: 1 << 3, // $
  LIST: 1 << 4, // l
  SET: 1 << 5, // s
  HASH: 1 << 6, // h
  ZSET: 1 << 7, // z
  EXPIRED: 1 << 8, // x
  EVICTED: 1 << 9, // e
  STREAM: 1 << 10, // t
  KEY_MISS: 1 << 11, // m
  LOADED: 1 << 12, // module only
  MODULE: 1 << 13, // d
  NEW: 1 << 14, // n
} as const;

/** 'A': every class except key-miss and new-key events. */
const ALL = N.GENERIC | N.STRING | N.LIST | N.SET | N.HASH | N.ZSET | N.EXPIRED | N.EVICTED | N.STREAM | N.MODULE;

const LETTERS: [string, number][] = [
  ["g", N.GENERIC], ["$", N.STRING], ["l", N.LIST], ["s", N.SET], ["h", N.HASH], ["z", N.ZSET],
  ["x", N.EXPIRED], ["e", N.EVICTED], ["K", N.KEYSPACE], ["E", N.KEYEVENT], ["t", N.STREAM],
  ["m", N.KEY_MISS], ["d", N.MODULE], ["n", N.NEW],
];

/** Parses a notify-keyspace-events value; -1 when it holds an unknown letter. */
export function parseNotifyFlags(s: string): number {
  let f = 0;
  for (const ch of s) {
    if (ch === "A") {
      f |= ALL;
      continue;
    }
    const l = LETTERS.find(([c]) => c === ch);
    if (!l) return -1;
    f |= l[1];
  }
  return f;
}

/** Formats flags back the way CONFIG GET shows them (Redis's keyspaceEventsFlagsToString). */
export function formatNotifyFlags(f: number): string {
  let s = "";
  if ((f & ALL) === ALL) s += "A";
  else {
    for (const [c, bit] of LETTERS.slice(0, 8)) if (f & bit) s += c;
    if (f & N.STREAM) s += "t";
    if (f & N.MODULE) s += "d";
    if (f & N.NEW) s += "n";
  }
  if (f & N.KEYSPACE) s += "K";
  if (f & N.KEYEVENT) s += "E";
  if (f & N.KEY_MISS) s += "m";
  return s;
}

export type Publish = (channel: string, message: string) => void;

export class Notifier {
  flags = 0;
  publish: Publish | null = null;

  /** notifyKeyspaceEvent: publishes on __keyspace@<db>__:<key> and __keyevent@<db>__:<event>. */
  notify(klass: number, event: string, key: string, dbid: number): void {
    const f = this.flags;
    if ((f & klass) === 0 || this.publish === null) return;
    if (f & N.KEYSPACE) this.publish(`__keyspace@${dbid}__:${key}`, event);
    if (f & N.KEYEVENT) this.publish(`__keyevent@${dbid}__:${event}`, key);
  }
}
