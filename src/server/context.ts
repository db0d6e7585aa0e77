// The server: configuration, keyspace, command table, clients and counters, plus the
// periodic work (Redis's serverCron). Networking lives in network.ts, the request gate
// chain in dispatch.ts.

import { randomBytes } from "node:crypto";
import { Config } from "../config/registry.ts";
import { params } from "../config/params.ts";
import { CommandTable } from "../commands/table.ts";
import { HANDLERS, installFamilies } from "../commands/index.ts";
import { Keyspace, type PropagateFn } from "../store/keyspace.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../store/value.ts";
import { Logger } from "./log.ts";
import { SlowLog } from "./slowlog.ts";
import { LatencyMonitor } from "./latency.ts";
import { CF, Client } from "./client.ts";
import type { Network } from "./network.ts";

// Versions live in ../version.ts (a leaf module, free of import cycles); re-exported here.
export { REDIS_VERSION, AIKV_VERSION } from "../version.ts";

export interface ServerStats {
  startTime: number;
  connections: number;
  rejectedConnections: number;
  commands: number;
  netInput: number;
  netOutput: number;
  errorReplies: number;
  errors: Map<string, number>;
  unexpectedErrorReplies: number;
  ioReads: number;
  ioWrites: number;
  clientQbufLimitDisconnections: number;
  clientOutbufLimitDisconnections: number;
}

function newStats(): ServerStats {
  return {
    startTime: Date.now(),
    connections: 0,
    rejectedConnections: 0,
    commands: 0,
    netInput: 0,
    netOutput: 0,
    errorReplies: 0,
    errors: new Map(),
    unexpectedErrorReplies: 0,
    ioReads: 0,
    ioWrites: 0,
    clientQbufLimitDisconnections: 0,
    clientOutbufLimitDisconnections: 0,
  };
}

export class Server {
  readonly log = new Logger();
  readonly slowlog = new SlowLog();
  readonly latency = new LatencyMonitor();
  readonly limits = { maxBulk: 512 * 1024 * 1024, queryBuf: 1024 * 1024 * 1024 };
  readonly enc: EncodingLimits = { ...DEFAULT_ENCODING_LIMITS };
  readonly cfg: Config;
  ks!: Keyspace;
  readonly table: CommandTable;
  readonly clients = new Map<number, Client>();
  readonly monitors = new Set<Client>();
  stats = newStats();
  readonly runId = randomBytes(20).toString("hex");
  replId = randomBytes(20).toString("hex");
  /** ROLE reply when replication is configured (set by the replication subsystem). */
  roleReply: ((c: Client) => void) | null = null;
  /** latency-tracking: per-command histograms for INFO latencystats */
  latencyTracking = true;
  // instantaneous_ops_per_sec: samples of the command counter, like Redis's 16 x 100 ms
  private opsSamples: number[] = [];
  private opsLast = { t: Date.now(), n: 0 };
  private nextClientId = 1;
  requirePass = "";
  loading = false;
  /** Clients with output written outside their own request (pub/sub, unblocking). */
  readonly dirty = new Set<Client>();
  private flushScheduled = false;
  net: Network | null = null;
  private cronTimer: ReturnType<typeof setInterval> | null = null;
  private hz = 10;
  /** Hooks filled in by subsystems that are optional at runtime. */
  readonly hooks = {
    /** serve clients blocked on keys that became ready */
    readyKeys: null as ((srv: Server) => void) | null,
    /** PUBLISH for keyspace notifications; returns receivers */
    publish: null as ((channel: string, message: string) => number) | null,
    /** cleanup when a client disconnects, per subsystem */
    clientClosed: [] as ((c: Client) => void)[],
    /** work done at each cron tick */
    cron: [] as ((srv: Server) => void)[],
    /** consumers of the propagation stream (WAL, replicas) */
    propagate: [] as PropagateFn[],
    pubsubCounts: null as (() => { channels: number; patterns: number; shard: number }) | null,
  };
  shuttingDown = false;
  /** performance.now() at the last command boundary (see call() in dispatch.ts) */
  clock = performance.now();
  /** Version of the loaded native addon, or "" when it is not loaded. */
  nativeVersion = "";
  role: "master" | "replica" = "master";
  /** CLIENT PAUSE: until when, and whether reads are held too */
  pause: { until: number; all: boolean } | null = null;
  private pauseTimer: ReturnType<typeof setTimeout> | null = null;
  /** clients whose current command waits for the pause to end */
  private postponed = new Set<Client>();
  lastSave = Math.floor(Date.now() / 1000);

  constructor() {
    this.cfg = new Config(params(this));
    this.table = new CommandTable(HANDLERS);
  }

  /** Creates the keyspace once `databases` is known (after the config is loaded). */
  init(): void {
    this.ks = new Keyspace(this.cfg.num("databases"));
    // Cluster mode keeps a per-slot key index (COUNTKEYSINSLOT, GETKEYSINSLOT, resharding).
    if (this.cfg.bool("cluster-enabled")) for (const db of this.ks.dbs) db.slots = new Map();
    this.cfg.applyAll();
    this.ks.events.publish = (ch, msg) => void this.hooks.publish?.(ch, msg);
    this.ks.propagate = (db, args) => this.propagate(db, args);
    this.setHz(this.cfg.num("hz"));
    installFamilies(this);
  }

  propagate(dbid: number, args: (string | Uint8Array)[]): void {
    for (const f of this.hooks.propagate) f(dbid, args);
  }

  /** Hands out client ids (the shard router replaces it: ids are unique across shards). */
  allocClientId: () => number = () => this.nextClientId++;

  newClient(): Client {
    const c = new Client(this, this.allocClientId());
    c.out.onError = (msg) => this.countError(msg);
    this.clients.set(c.id, c);
    this.stats.connections++;
    if (this.requirePass) c.authenticated = false;
    return c;
  }

  countError(msg: string): void {
    this.stats.errorReplies++;
    const sp = msg.indexOf(" ");
    const code = sp < 0 ? msg : msg.slice(0, sp);
    // Redis keeps at most 128 distinct error codes; beyond that they count as unexpected.
    if (!this.stats.errors.has(code) && this.stats.errors.size >= 128) return;
    this.stats.errors.set(code, (this.stats.errors.get(code) ?? 0) + 1);
  }

  clientClosed(c: Client): void {
    if (!this.clients.delete(c.id)) return;
    this.monitors.delete(c);
    this.postponed.delete(c);
    this.dirty.delete(c);
    for (const f of this.hooks.clientClosed) f(c);
  }

  /** Queues a client whose output was written from elsewhere; flushed at the end of the tick. */
  markDirty(c: Client): void {
    if (c.flags & CF.FAKE) return;
    this.dirty.add(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flushDirty());
    }
  }

  flushDirty(): void {
    this.flushScheduled = false;
    if (this.dirty.size === 0) return;
    for (const c of this.dirty) this.net?.flush(c);
    this.dirty.clear();
  }

  pauseClients(until: number, all: boolean): void {
    // A new pause extends or tightens, never shortens or loosens, one in progress.
    if (this.pause) this.pause = { until: Math.max(until, this.pause.until), all: all || this.pause.all };
    else this.pause = { until, all };
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = setTimeout(() => this.unpauseClients(), Math.max(0, this.pause.until - Date.now()));
  }

  unpauseClients(): void {
    this.pause = null;
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    const held = [...this.postponed];
    this.postponed.clear();
    for (const c of held) {
      c.flags &= ~CF.BLOCKED;
      this.net?.resume(c);
    }
  }

  /** Holds a client's current command until CLIENT PAUSE ends. */
  postpone(c: Client): void {
    c.parser.unread();
    c.flags |= CF.BLOCKED;
    this.postponed.add(c);
  }

  changeReplId(): void {
    this.replId = randomBytes(20).toString("hex");
  }

  opsPerSec(): number {
    if (this.opsSamples.length === 0) return 0;
    return Math.round(this.opsSamples.reduce((x, y) => x + y, 0) / this.opsSamples.length);
  }

  private sampleOps(): void {
    const now = Date.now();
    const dt = now - this.opsLast.t;
    if (dt < 100) return;
    this.opsSamples.push(((this.stats.commands - this.opsLast.n) * 1000) / dt);
    if (this.opsSamples.length > 16) this.opsSamples.shift();
    this.opsLast = { t: now, n: this.stats.commands };
  }

  /** Pub/sub counts for INFO (filled in by the pub/sub subsystem). */
  pubsubCounts(): { channels: number; patterns: number; shard: number } {
    return this.hooks.pubsubCounts?.() ?? { channels: 0, patterns: 0, shard: 0 };
  }

  setRequirePass(p: string): void {
    this.requirePass = p;
  }

  setDir(dir: string): string | void {
    try {
      process.chdir(dir);
    } catch (e) {
      return `No such file or directory`;
    }
  }

  setHz(hz: number): void {
    // Redis clamps hz to 1..500.
    this.hz = Math.min(500, Math.max(1, hz));
    if (this.cronTimer !== null) {
      clearInterval(this.cronTimer);
      this.cronTimer = setInterval(() => this.cron(), 1000 / this.hz);
    }
  }

  rebind(opts: { port?: number; bind?: string[] }): string | void {
    return this.net?.rebind(opts);
  }

  startCron(): void {
    this.cronTimer = setInterval(() => this.cron(), 1000 / this.hz);
  }

  stopCron(): void {
    if (this.cronTimer !== null) clearInterval(this.cronTimer);
    this.cronTimer = null;
  }

  /** Periodic work: active expiry (25% of a tick at most), idle client timeouts, hooks. */
  private cron(): void {
    this.sampleOps();
    this.ks.clockOffset = Date.now() - performance.now();
    const budget = (1000 / this.hz) * 0.25;
    this.ks.activeExpireCycle(budget);
    // Expired keys may end blocks (XREADGROUP on a deleted stream).
    if (this.ks.readyKeys.length !== 0) this.hooks.readyKeys?.(this);
    // Reclaim arena space of overwritten/deleted values, a bounded slice per tick.
    for (const db of this.ks.dbs) if (db.dict.size) db.dict.compact(1 << 20);
    const timeout = this.cfg.num("timeout");
    if (timeout > 0) {
      const now = Date.now();
      for (const c of this.clients.values()) {
        if (c.flags & (CF.PUBSUB | CF.BLOCKED | CF.MONITOR | CF.FAKE)) continue;
        if (c.subCount > 0) continue;
        if (now - c.lastInteraction > timeout * 1000) {
          this.log.verbose("Closing idle client");
          this.net?.close(c);
        }
      }
    }
    for (const f of this.hooks.cron) f(this);
    if (this.ks.readyKeys.length) this.hooks.readyKeys?.(this);
    this.flushDirty();
  }
}
