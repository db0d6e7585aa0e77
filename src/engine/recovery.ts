// Recovery: the LSM's keys (the last checkpoint) into the key tables, then the WAL records after
// the checkpoint replayed as commands. Both run in slices so the server answers -LOADING (and
// INFO persistence shows progress) meanwhile.

import { keySlotStr } from "../cluster/slot.ts";
import type { Lsm, LsmIterator } from "../native/index.ts";
import { resolve } from "../server/dispatch.ts";
import { CF, Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { RequestParser, Parse } from "../resp/parser.ts";
import { CMD } from "../commands/table.ts";
import type { LoadContext } from "../rdb/value.ts";
import { ReplyError } from "../errors.ts";
import type { Db } from "../store/db.ts";
import { BIG_VALUE } from "../store/keytable.ts";
import { decodeObject, genPrefix, GEN_BYTES, plainString, valueHeader, type PlainString } from "./codec.ts";
import type { Tracker } from "./tracker.ts";
import type { WalRecord } from "./wal.ts";

/** Loads the keys of one generation into a db's table, a batch of entries per call. */
export class TableLoader {
  private it: LsmIterator;
  loaded = 0;
  cold = 0;
  bytes = 0;
  done = false;

  constructor(
    private readonly srv: Server,
    lsm: Lsm,
    private readonly db: Db,
    private readonly tr: Tracker,
    private readonly ctx: LoadContext,
    /** true when values should stay on disk (tiering, memory full) */
    private readonly coldNow: () => boolean,
  ) {
    this.it = lsm.iterator({ prefix: genPrefix(tr.gen) });
  }

  /** Loads one batch; returns false when the generation is exhausted. */
  step(): boolean {
    if (this.done) return false;
    const b = this.it.nextBatch(1024, 1 << 20);
    if (b === null) {
      this.done = true;
      this.it.close();
      return false;
    }
    const keys = b.keys;
    const values = b.values;
    for (let i = 0; i < keys.length; i++) {
      this.entry(keys[i]!, values[i]!);
      this.bytes += keys[i]!.length + values[i]!.length;
    }
    return true;
  }

  close(): void {
    if (!this.done) this.it.close();
    this.done = true;
  }

  private entry(k: Uint8Array, v: Uint8Array): void {
    const t = this.tr.t;
    const { expireAt, start } = valueHeader(v);
    const ks = this.srv.ks;
    let id: number;
    if (this.coldNow()) {
      id = t.upsertBytes(k, GEN_BYTES, k.length, 0);
      t.setCold(id);
      this.cold++;
    } else if (this.stringFast(k, v, start)) {
      id = this.lastId;
    } else {
      const val = decodeObject(v, start, this.ctx);
      id = t.upsertBytes(k, GEN_BYTES, k.length, 0);
      t.setValue(id, val);
    }
    if (expireAt !== 0) t.loadExp(id, expireAt);
    t.setLru(id, ks.lfu ? ks.lfuInit() : ks.lruClock);
    if (this.db.slots !== null) {
      const key = t.keyOf(id);
      const slot = keySlotStr(key);
      let set = this.db.slots.get(slot);
      if (!set) this.db.slots.set(slot, (set = new Set()));
      set.add(key);
    }
    this.loaded++;
  }

  private lastId = -1;
  private readonly ps: PlainString = { start: 0, len: 0, int: null };

  /** A string value stored plainly or int-encoded, straight into the arena. */
  private stringFast(k: Uint8Array, v: Uint8Array, p: number): boolean {
    const t = this.tr.t;
    const ps = this.ps;
    if (!plainString(v, p, ps)) return false;
    if (ps.int !== null) {
      const s = String(ps.int);
      const id = t.upsertBytes(k, GEN_BYTES, k.length, s.length);
      t.setStringValue(id, s, s.length);
      this.lastId = id;
      return true;
    }
    if (ps.len > BIG_VALUE) return false;
    const id = t.upsertBytes(k, GEN_BYTES, k.length, ps.len);
    t.setStringValue(id, v, ps.len, ps.start);
    this.lastId = id;
    return true;
  }
}

/** Replays WAL records (RESP commands) as a fake client with expiry suspended. */
export class Replayer {
  readonly c: Client;
  private readonly parser = new RequestParser();
  private readonly lim = { maxBulk: Number.MAX_SAFE_INTEGER, unauthenticated: false };
  applied = 0;
  commands = 0;
  errors = 0;

  constructor(private readonly srv: Server) {
    this.c = new Client(srv, 0);
    this.c.flags |= CF.FAKE;
    this.c.addr = "wal";
  }

  /** Applies one record. */
  apply(rec: WalRecord): void {
    const srv = this.srv;
    const c = this.c;
    const p = this.parser;
    p.feed(rec.payload);
    for (;;) {
      const r = p.next(this.lim);
      if (r === Parse.Incomplete) break;
      if (r === Parse.Error) throw new Error(`WAL record ${rec.seq}: bad command encoding (${p.error})`);
      const a = p.argv;
      if (a.is(0, "multi") || a.is(0, "exec")) continue;
      const mark = c.out.n;
      const cmd = resolve(srv, c, a);
      if (cmd === null) {
        this.error(rec.seq, c.out.b.subarray(mark, c.out.n));
        c.out.rewind(0);
        continue;
      }
      srv.ks.writing = (cmd.flags & CMD.WRITE) !== 0;
      try {
        cmd.handler!(c, a);
      } catch (e) {
        if (!(e instanceof ReplyError)) throw e;
        c.out.rewind(mark);
        c.out.error(e.reply);
      }
      if (c.out.n > mark && c.out.b[mark] === 45 /* '-' */) this.error(rec.seq, c.out.b.subarray(mark, c.out.n));
      c.out.rewind(0);
      c.selfPropagated = false;
      this.commands++;
    }
    p.retain();
    srv.ks.readyKeys.length = 0;
    this.applied++;
  }

  private error(seq: number, reply: Uint8Array): void {
    this.errors++;
    if (this.errors <= 10) {
      this.srv.log.warning(`WAL replay: record ${seq} gave an error: ${Buffer.from(reply).toString("latin1").trim()}`);
    }
  }
}
