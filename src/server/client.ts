// Per-connection state. Subsystems (transactions, pub/sub, blocking, scripting) keep their
// per-client fields here; their logic lives in their own modules.

import type { Socket } from "bun";
import { Argv } from "../resp/argv.ts";
import { RequestParser } from "../resp/parser.ts";
import { Reply } from "../resp/writer.ts";
import type { Db, Watcher } from "../store/db.ts";
import type { Command } from "../commands/table.ts";
import type { Server } from "./context.ts";

/** Client flags shown by CLIENT LIST (flags=...). */
export const CF = {
  MULTI: 1 << 0,
  DIRTY_CAS: 1 << 1,
  DIRTY_EXEC: 1 << 2,
  PUBSUB: 1 << 3,
  MONITOR: 1 << 4,
  BLOCKED: 1 << 5,
  CLOSE_AFTER_REPLY: 1 << 6,
  CLOSE_ASAP: 1 << 7,
  REPLY_OFF: 1 << 8,
  REPLY_SKIP_NEXT: 1 << 9,
  REPLY_SKIP: 1 << 10,
  NO_EVICT: 1 << 11,
  READONLY: 1 << 12,
  ASKING: 1 << 13,
  UNBLOCKED: 1 << 14,
  /** an internal client (Lua, AOF/WAL replay): no socket */
  FAKE: 1 << 15,
  NO_TOUCH: 1 << 16,
  MASTER: 1 << 17,
  REPLICA: 1 << 18,
} as const;

/**
 * Per-client state of the shard router (src/shard, `shards N` > 1): on a client's own shard,
 * replies held behind commands another shard runs; on the other shards, the client's proxy.
 */
export interface ShardHook {
  readonly proxy: boolean;
  /** Called before the client's reply buffer is written out: keeps back what must wait. */
  hold(c: Client): void;
}

/** A queued MULTI command. */
export interface Queued {
  cmd: Command;
  argv: Argv;
}

export class Client implements Watcher {
  readonly id: number;
  sock: Socket<Client> | null = null;
  addr = "";
  laddr = "";
  fd = -1;
  name = "";
  libName = "";
  libVer = "";
  user = "default";
  authenticated = true;
  flags = 0;
  dbIndex = 0;
  db: Db;
  readonly ctime = Date.now();
  lastInteraction = Date.now();
  lastCmd = "NULL";
  readonly parser = new RequestParser();
  readonly out = new Reply();
  /** Output that the socket did not take yet (backpressure), oldest first. */
  pendingOut: Uint8Array[] = [];
  pendingBytes = 0;
  /** Time the pending output first passed a soft limit (client-output-buffer-limit). */
  softLimitSince = 0;
  /** Input held back while too much output is unsent (backpressure). */
  inputPaused = false;
  /** batches left before prefetching is tried again, after a batch where it had nothing to do */
  prefetchSkip = 0;

  // MULTI/EXEC
  queued: Queued[] = [];
  /** [db, key] pairs this client WATCHes */
  watchedKeys: [Db, string][] = [];

  // Pub/Sub
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;

  /** Set by a handler that already propagated its effects as other commands (SPOP -> SREM). */
  selfPropagated = false;
  /** Argument positions of the current command that hold secrets: SLOWLOG shows "(redacted)". */
  redact: number[] | null = null;
  /** Blocking-operation state, owned by the blocking module. */
  blocked: unknown = null;
  /** Shard router state (null with one shard, and for clients that never needed it). */
  shard: ShardHook | null = null;

  constructor(
    readonly srv: Server,
    id: number,
  ) {
    this.id = id;
    this.db = srv.ks.dbs[0]!;
  }

  get proto(): number {
    return this.out.proto;
  }

  select(i: number): void {
    this.dbIndex = i;
    this.db = this.srv.ks.dbs[i]!;
  }

  /** Subscriptions count (for the subscribe replies and RESP2 pub/sub mode). */
  get subCount(): number {
    return (this.channels?.size ?? 0) + (this.patterns?.size ?? 0) + (this.shardChannels?.size ?? 0);
  }

  watchTouched(): void {
    if (this.flags & CF.MULTI || this.watchedKeys.length) this.flags |= CF.DIRTY_CAS;
  }

  /** CLIENT LIST's flags=... letters, in Redis's order. */
  flagLetters(): string {
    let s = "";
    const f = this.flags;
    if (f & CF.MONITOR) s += "O";
    else if (f & CF.REPLICA) s += "S";
    if (f & CF.MASTER) s += "M";
    if (f & CF.PUBSUB) s += "P";
    if (f & CF.MULTI) s += "x";
    if (f & CF.BLOCKED) s += "b";
    if (f & CF.DIRTY_CAS) s += "d";
    if (f & CF.CLOSE_AFTER_REPLY) s += "c";
    if (f & CF.UNBLOCKED) s += "u";
    if (f & CF.CLOSE_ASAP) s += "A";
    if (f & CF.READONLY) s += "r";
    if (f & CF.NO_EVICT) s += "e";
    return s || "N";
  }

  /** Bytes of output waiting (CLIENT LIST omem, output limits). */
  get outputBytes(): number {
    return this.pendingBytes + this.out.n;
  }
}
