// The undo log behind script rollback (lua-rollback, an AiKv feature).
//
// Before a script runs a write command, the prior state of every key the command may touch is
// recorded the first time the script touches that key: a clone of the value (or its absence)
// and its TTL. Whole-db commands record what undoes them: FLUSHDB/FLUSHALL keep the emptied
// dictionaries (the flush installs new ones, so the old ones stay intact), SWAPDB records the
// swap. Rolling back replays the log in reverse, so a script that fails leaves every key
// exactly as it found it (value, type, TTL). The key positions come from the command table
// (keyspec.ts), so every write command is covered, whatever its argument layout.

import type { Argv } from "../resp/argv.ts";
import type { Command } from "../commands/table.ts";
import { commandKeys } from "../commands/keyspec.ts";
import type { Db } from "../store/db.ts";
import type { Keyspace } from "../store/keyspace.ts";
import type { Value } from "../store/value.ts";
import { parseI64 } from "../util/numbers.ts";

interface KeyEntry {
  kind: 0;
  db: Db;
  key: string;
  value: Value | undefined;
  expire: number | undefined;
}

interface DbEntry {
  kind: 1;
  db: Db;
  dict: Db["dict"];
  expires: Db["expires"];
  slots: Map<number, Set<string>> | null;
}

interface SwapEntry {
  kind: 2;
  a: number;
  b: number;
}

type Entry = KeyEntry | DbEntry | SwapEntry;

/** State of a db before a whole-db command, to tell afterwards whether it happened. */
interface DbMark {
  db: Db;
  dict: Db["dict"];
  expires: Db["expires"];
  slots: Map<number, Set<string>> | null;
}

function cloneValue(v: Value): Value {
  return typeof v === "string" ? v : v.clone();
}

export class UndoLog {
  private entries: Entry[] = [];
  /** keys already recorded since the last whole-db entry, per db */
  private seen = new Map<Db, Set<string>>();
  private marks: DbMark[] | null = null;

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Records a key's current state unless already recorded. Reads raw (no lazy expiry). */
  key(db: Db, key: string): void {
    let set = this.seen.get(db);
    if (set === undefined) this.seen.set(db, (set = new Set()));
    else if (set.has(key)) return;
    set.add(key);
    const v = db.dict.get(key);
    this.entries.push({
      kind: 0,
      db,
      key,
      value: v === undefined ? undefined : cloneValue(v),
      expire: v === undefined || db.expires.size === 0 ? undefined : db.expires.get(key),
    });
  }

  /** Called before a write command runs in the script (with `db` the script's current db). */
  before(ks: Keyspace, db: Db, cmd: Command, a: Argv): void {
    switch (cmd.name) {
      case "flushdb":
        this.markDbs([db]);
        return;
      case "flushall":
        this.markDbs(ks.dbs);
        return;
      case "swapdb":
        this.markDbs(ks.dbs);
        return;
      case "move": {
        this.key(db, a.str(1));
        const to = parseI64(a.str(2));
        if (to >= 0 && to < ks.dbs.length) this.key(ks.dbs[to]!, a.str(1));
        return;
      }
      case "copy": {
        for (let i = 3; i < a.argc - 1; i++) {
          if (a.is(i, "db")) {
            const to = parseI64(a.str(i + 1));
            if (to >= 0 && to < ks.dbs.length) this.key(ks.dbs[to]!, a.str(2));
          }
        }
        break;
      }
    }
    const keys = commandKeys(cmd, a);
    if (keys === null) return;
    for (let i = 0; i < keys.length; i++) this.key(db, a.str(keys[i]!));
  }

  /** Called after the command: records the whole-db changes that happened. */
  after(ks: Keyspace): void {
    const marks = this.marks;
    if (marks === null) return;
    this.marks = null;
    // SWAPDB: the dictionaries moved between dbs.
    const moved: number[] = [];
    for (const m of marks) {
      if (m.db.dict !== m.dict && ks.dbs.some((d) => d !== m.db && d.dict === m.dict)) moved.push(m.db.id);
    }
    if (moved.length === 2) {
      this.entries.push({ kind: 2, a: moved[0]!, b: moved[1]! });
      this.seen.clear();
      return;
    }
    for (const m of marks) {
      if (m.db.dict === m.dict) continue;
      this.entries.push({ kind: 1, db: m.db, dict: m.dict, expires: m.expires, slots: m.slots });
      this.seen.delete(m.db);
    }
  }

  private markDbs(dbs: Db[]): void {
    this.marks = dbs.map((db) => ({ db, dict: db.dict, expires: db.expires, slots: db.slots }));
  }

  /** Restores everything recorded, newest first. */
  rollback(ks: Keyspace): void {
    const e = this.entries;
    for (let i = e.length - 1; i >= 0; i--) {
      const x = e[i]!;
      if (x.kind === 0) {
        const db = x.db;
        if (x.value === undefined) {
          if (db.dict.has(x.key)) db.remove(x.key);
        } else {
          db.set(x.key, x.value);
          if (x.expire !== undefined) db.setExpire(x.key, x.expire);
        }
        ks.modified(db, x.key);
      } else if (x.kind === 1) {
        ks.modifiedAll(x.db);
        x.db.dict = x.dict;
        x.db.expires = x.expires;
        x.db.slots = x.slots;
        x.db.expireIter = null;
      } else {
        ks.swapDb(x.a, x.b);
      }
    }
    this.entries = [];
    this.seen.clear();
  }
}
