// `engine lsm`: the durable engine (docs/DURABILITY.md). The propagation stream goes to the WAL
// (wal.ts) with group commit per event-loop turn; dirty keys are checkpointed into the native
// LSM in slices (checkpoint.ts); WAL segments covered by a durable checkpoint are dropped.
// Startup opens the LSM and checks the WAL before the server listens (a damaged log refuses to
// start), then loads the checkpoint and replays the WAL tail in slices while clients get
// -LOADING (recovery.ts). With maxmemory and `tiering yes`, clean values leave RAM and come
// back on access (tiering.ts).

import { join, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { Lsm, type LsmOptions, type LsmStats } from "../native/index.ts";
import type { Argv } from "../resp/argv.ts";
import type { Server } from "../server/context.ts";
import { infoProviders } from "../server/info.ts";
import type { ArgvConsumer } from "../server/propagate.ts";
import { shutdownHooks } from "../server/shutdown.ts";
import type { PropagateFn } from "../store/keyspace.ts";
import type { KeyTable } from "../store/keytable.ts";
import { functionsOf } from "../scripting/functions.ts";
import { Checkpoint } from "./checkpoint.ts";
import {
  decodeMeta, decodeObject, FIRST_GEN, FUNCTIONS_KEY, genPrefix, KeyBuilder, LSM_DIR, META_KEY, plainString, valueHeader,
  valueOptions, ValueWriter, WAL_DIR, type CheckpointMeta, type PlainString,
} from "./codec.ts";
import { BIG_VALUE } from "../store/keytable.ts";
import { Replayer, TableLoader } from "./recovery.ts";
import { Tracker } from "./tracker.ts";
import { scanWal, truncateSegment, WalWriter, type FsyncPolicy, type WalScan } from "./wal.ts";
import { WriteBatch } from "../native/index.ts";
import { engineMemory, usedMemoryEstimate } from "../store/eviction.ts";

const LOAD_SLICE_MS = 5;

/** A damaged WAL or LSM: the server must not start (the message names the repair command). */
export class EngineCorruption extends Error {}

interface LoadProgress {
  phase: "keys" | "wal" | "done";
  startedAt: number;
  totalBytes: number;
  loadedBytes: number;
  keys: number;
  records: number;
}

export class LsmEngine {
  readonly dir: string;
  readonly walDir: string;
  readonly lsmDir: string;
  readonly lsm: Lsm;
  /** the last durable checkpoint */
  meta: CheckpointMeta;
  wal: WalWriter | null = null;
  private scan: WalScan;
  /** generations that may have keys in the LSM */
  private known = new Set<number>();
  private nextGen: number;
  private cp: Checkpoint | null = null;
  private cpFrozen: Tracker[] = [];
  private cpPromise: Promise<void> | null = null;
  private functionsDirty = false;
  /** time of the first change since the last checkpoint started (0: none) */
  private firstDirty = 0;
  private vw: ValueWriter;
  /** the checkpoint batch buffer, reused (lsm.writeAsync copies it when called) */
  private batch = new WriteBatch(1 << 16);
  private readonly kb = new KeyBuilder();
  private gcRunning = false;
  private gcQueue: number[] = [];
  load: LoadProgress = { phase: "done", startedAt: 0, totalBytes: 0, loadedBytes: 0, keys: 0, records: 0 };
  readonly stats = {
    checkpoints: 0,
    checkpointFailures: 0,
    lastCheckpointTime: 0,
    lastCheckpointMs: 0,
    lastCheckpointKeys: 0,
    lastCheckpointStatus: "ok",
    coldLoads: 0,
    coldLoadBytes: 0,
    cooled: 0,
    gcKeys: 0,
    tornTails: 0,
    replayErrors: 0,
  };
  /** wanted by tiering: start a checkpoint as soon as possible */
  pressure = false;

  private constructor(
    readonly srv: Server,
    dir: string,
    lsm: Lsm,
    meta: CheckpointMeta,
    scan: WalScan,
  ) {
    this.dir = dir;
    this.walDir = join(dir, WAL_DIR);
    this.lsmDir = join(dir, LSM_DIR);
    this.lsm = lsm;
    this.meta = meta;
    this.scan = scan;
    this.nextGen = Math.max(meta.nextGen, FIRST_GEN);
    for (const g of meta.dbs) if (g !== 0) this.known.add(g);
    for (const g of meta.dead) this.known.add(g);
    this.vw = new ValueWriter(valueOptions(srv.enc.listMaxListpackSize));
  }

  get policy(): FsyncPolicy {
    return this.srv.cfg.str("appendfsync") as FsyncPolicy;
  }

  get tiering(): boolean {
    return this.srv.cfg.bool("tiering") && this.srv.cfg.num("maxmemory") > 0;
  }

  /**
   * Opens the LSM and checks the WAL (before the server listens). Throws EngineCorruption when
   * something is damaged beyond a torn tail.
   */
  static open(srv: Server): LsmEngine {
    const dir = resolve(process.cwd());
    const walDir = join(dir, WAL_DIR);
    const lsmDir = join(dir, LSM_DIR);
    mkdirSync(walDir, { recursive: true });
    const maxmem = srv.cfg.num("maxmemory");
    const opts: LsmOptions = { sync: "none", compactionFilter: "none" };
    if (maxmem > 0 && srv.cfg.bool("tiering")) {
      // the LSM's own memory counts against maxmemory: keep it a small part of it
      opts.writeBufferSize = Math.max(1 << 20, Math.min(32 << 20, Math.floor(maxmem / 16)));
      opts.blockCacheSize = Math.max(1 << 20, Math.min(64 << 20, Math.floor(maxmem / 16)));
    }
    let lsm: Lsm;
    try {
      lsm = Lsm.open(lsmDir, opts);
    } catch (e) {
      const err = e as Error & { code?: string };
      if (err.code === "AIKV_CORRUPTION") {
        throw new EngineCorruption(`The LSM in ${lsmDir} is damaged (${err.message}). Refusing to start. Check it with "aikv-tool check ${dir}".`);
      }
      throw e;
    }
    let meta: CheckpointMeta;
    try {
      const raw = lsm.get(META_KEY);
      meta = raw === null ? { version: 1, seq: 0, dbs: [], dead: [], nextGen: FIRST_GEN, time: 0, keys: 0 } : decodeMeta(raw);
    } catch (e) {
      lsm.close();
      throw new EngineCorruption(`The checkpoint record in ${lsmDir} is unreadable (${(e as Error).message}). Refusing to start.`);
    }
    const scan = scanWal(walDir, meta.seq);
    if (scan.problem !== null) {
      const p = scan.problem;
      if (p.kind === "torn") {
        const sc = scan.segments[scan.segments.length - 1]!;
        srv.log.warning(
          `WAL: the last record of ${p.segment} is incomplete (${p.message}) at offset ${p.offset}: ` +
            `truncating ${sc.bytes.length - p.offset} bytes (a write that was never acknowledged as durable).`,
        );
        truncateSegment(sc.seg.path, p.offset);
        scan.problem = null;
      } else {
        lsm.close();
        throw new EngineCorruption(
          `The WAL in ${walDir} is damaged: ${p.segment} at offset ${p.offset}: ${p.message}. ` +
            `Refusing to start rather than serve partial data. Run "aikv-tool check --repair ${dir}" to cut the log at the damage ` +
            `(the records after it are lost), then start again.`,
        );
      }
    }
    const e = new LsmEngine(srv, dir, lsm, meta, scan);
    e.writeBufferSize = opts.writeBufferSize ?? 32 << 20;
    if (scan.problem === null && scan.segments.some((s) => s.problem?.kind === "torn")) e.stats.tornTails++;
    srv.loading = true;
    return e;
  }

  // ------------------------------------------------------------------ recovery

  /** Loads the checkpoint and replays the WAL tail in slices, then starts logging. */
  async recover(): Promise<void> {
    const srv = this.srv;
    const ks = srv.ks;
    const meta = this.meta;
    const start = Date.now();
    ks.activeExpire = false;
    ks.lazyExpire = false;
    const ctx = { lim: srv.enc };
    const lp = (this.load = { phase: "keys", startedAt: start, totalBytes: 0, loadedBytes: 0, keys: 0, records: 0 } as LoadProgress);
    try {
      const st = this.lsm.stats();
      lp.totalBytes = st.bytes + st.memtableBytes + this.scan.segments.reduce((n, s) => n + s.bytes.length, 0);
    } catch {
      // informative only
    }
    // key tables: trackers with the checkpoint's generations
    for (const db of ks.dbs) {
      const gen = meta.dbs[db.id] ?? 0;
      const tr = this.attach(db.dict, false);
      tr.gen = gen;
    }
    for (let i = ks.dbs.length; i < meta.dbs.length; i++) {
      const g = meta.dbs[i]!;
      if (g === 0) continue;
      const it = this.lsm.iterator({ prefix: genPrefix(g) });
      const b = it.nextBatch(1);
      it.close();
      if (b !== null) throw new EngineCorruption(`The checkpoint has keys in db ${i}, but only ${ks.dbs.length} databases are configured.`);
    }
    const maxmem = srv.cfg.num("maxmemory");
    const tiering = this.tiering;
    const coldNow = (): boolean => tiering && usedMemoryEstimate(srv) > maxmem * 0.8;
    const delay = srv.cfg.num("key-load-delay");
    for (const db of ks.dbs) {
      const tr = db.dict.track as Tracker;
      if (tr.gen === 0) continue;
      tr.mute = true;
      const loader = new TableLoader(srv, this.lsm, db, tr, ctx, coldNow);
      try {
        for (;;) {
          const t0 = performance.now();
          const before = loader.loaded;
          let more = true;
          while (more && performance.now() - t0 < LOAD_SLICE_MS && (delay === 0 || loader.loaded === before)) {
            more = loader.step();
            lp.keys = this.loadedBase + loader.loaded;
          }
          if (!more) break;
          // key-load-delay: microseconds per key (hidden, as in Redis; tests see -LOADING)
          if (delay > 0) await Bun.sleep(((loader.loaded - before) * delay) / 1000);
          else await new Promise<void>((r) => setImmediate(r));
        }
      } finally {
        loader.close();
        tr.mute = false;
      }
      lp.loadedBytes += loader.bytes;
      this.loadedBase += loader.loaded;
    }
    // function libraries
    const fx = this.lsm.get(FUNCTIONS_KEY);
    if (fx !== null) {
      const f = functionsOf(srv);
      for (const code of decodeFunctions(fx)) f.load(code, true);
    }
    // the WAL after the checkpoint
    lp.phase = "wal";
    const rp = new Replayer(srv);
    let t0 = performance.now();
    for (const sc of this.scan.segments) {
      for (const rec of sc.records) {
        if (rec.seq <= meta.seq) continue;
        rp.apply(rec);
        lp.records++;
        lp.loadedBytes += rec.payload.length + 16;
        if (performance.now() - t0 > LOAD_SLICE_MS) {
          await new Promise<void>((r) => setImmediate(r));
          t0 = performance.now();
        }
      }
    }
    this.stats.replayErrors = rp.errors;
    const lastSeq = Math.max(meta.seq, this.scan.lastSeq);
    const segs = this.scan.segments.map((s) => s.seg);
    this.scan = { segments: [], lastSeq, problem: null };
    ks.activeExpire = true;
    ks.lazyExpire = true;
    lp.phase = "done";
    // replayed changes are dirty: the next checkpoint covers them and drops the old segments
    if (lp.records > 0 || this.dirtyKeys > 0) this.firstDirty = Date.now();
    this.start(lastSeq, segs);
    srv.loading = false;
    const secs = ((Date.now() - start) / 1000).toFixed(3);
    srv.log.notice(
      `DB loaded from the LSM engine: ${lp.keys} keys from the checkpoint at record ${meta.seq}, ${lp.records} WAL records replayed ` +
        `(${rp.commands} commands${rp.errors ? `, ${rp.errors} errors` : ""}) in ${secs} seconds`,
    );
  }

  /** keys loaded from finished tables */
  private loadedBase = 0;

  // ------------------------------------------------------------------ running

  private start(lastSeq: number, segs: import("./wal.ts").Segment[]): void {
    const srv = this.srv;
    const wal = new WalWriter(this.walDir, this.policy, lastSeq, segs);
    this.wal = wal;
    wal.log = (m) => srv.log.warning(m);
    wal.fatal = (m) => {
      srv.log.warning(m);
      process.exit(1);
    };
    wal.release = (c, b) => srv.net?.release(c, b);
    // a checkpoint starts as soon as the log passed its size (not only at the next cron tick)
    wal.onWrite = () => {
      if (this.cp === null && wal.totalBytes >= this.checkpointLimit()) this.maybeCheckpoint();
    };
    if (srv.net !== null) srv.net.hold = wal.hold;
    const hook = ((db: number, args: (string | Uint8Array)[]) => {
      wal.append(db, args);
      this.noteCommand(args[0]!);
    }) as PropagateFn & ArgvConsumer;
    hook.argv = (db: number, a: Argv) => {
      wal.appendArgv(db, a);
      if (this.firstDirty === 0) this.firstDirty = Date.now();
      // whole-db commands and function changes (FLUSHDB FLUSHALL FUNCTION SWAPDB)
      const c0 = a.buf[a.offs[0]!]! | 0x20;
      if ((c0 === 0x66 /* f */ || c0 === 0x73) /* s */ && a.len(0) >= 6 && a.len(0) <= 8) {
        if (a.is(0, "function")) this.functionsDirty = true;
        else if (a.is(0, "flushdb") || a.is(0, "flushall") || a.is(0, "swapdb")) this.ensureTracked();
      }
    };
    srv.hooks.propagate.push(hook);
    srv.cfg.watch("appendfsync", (v: string) => wal.setPolicy(v as FsyncPolicy), false);
    srv.hooks.cron.push(() => this.cron());
    // tables replaced while loading (FLUSHALL in the WAL) get their trackers now
    this.ensureTracked();
  }

  private noteCommand(name: string | Uint8Array): void {
    if (this.firstDirty === 0) this.firstDirty = Date.now();
    const n = (typeof name === "string" ? name : Buffer.from(name).toString("latin1")).toLowerCase();
    if (n === "function") this.functionsDirty = true;
    else if (n === "flushdb" || n === "flushall" || n === "swapdb") this.ensureTracked();
  }

  /** Trackers for tables that have none (new after FLUSHDB/FLUSHALL): every key is dirty. */
  ensureTracked(): void {
    for (const db of this.srv.ks.dbs) if (db.dict.track === null) this.attach(db.dict, true);
  }

  private attach(t: KeyTable, markAll: boolean): Tracker {
    const tr = Tracker.attach(t, true, markAll);
    tr.loader = this.loadCold;
    // changes that are not propagated (DEBUG POPULATE, DEBUG RELOAD) still start the clock
    tr.onDirty = this.noteDirty;
    if (tr.dirtyCount > 0) this.noteDirty();
    return tr;
  }

  private readonly noteDirty = (): void => {
    if (this.firstDirty === 0 && !this.srv.loading) this.firstDirty = Date.now();
  };

  /** Brings a cold value back from the LSM (synchronous native get). */
  private readonly loadCold = (tr: Tracker, id: number): void => {
    const key = this.kb.entry(tr.gen, tr.t, id);
    const v = this.lsm.get(key);
    if (v === null) throw new Error(`tiering: the value of key '${tr.t.keyOf(id)}' is missing from the LSM (generation ${tr.gen})`);
    const { start } = valueHeader(v);
    const ps = this.ps;
    if (plainString(v, start, ps) && (ps.int !== null || ps.len <= BIG_VALUE)) {
      // strings go from the LSM's bytes into the arena without a JS string
      if (ps.int !== null) tr.fill(id, String(ps.int));
      else {
        tr.t.fillBytes(id, v, ps.start, ps.len);
        tr.changedQuiet(id);
      }
    } else tr.fill(id, decodeObject(v, start, { lim: this.srv.enc }));
    this.stats.coldLoads++;
    this.stats.coldLoadBytes += v.length;
  };
  private readonly ps: PlainString = { start: 0, len: 0, int: null };

  private cron(): void {
    if (this.srv.loading || this.wal === null) return;
    this.ensureTracked();
    try {
      const st = this.lsm.stats();
      this.lsmMem = st.memtableBytes + st.immutableBytes + st.cacheBytes + st.tableIndexFilterBytes;
    } catch {
      // closed
    }
    const tiering = this.tiering;
    if (tiering) {
      // Buffers that became garbage (received requests, values read from the LSM) are freed
      // only by a collection, which JSC runs late: under tiering the process must stay near
      // maxmemory, so collect once the buffers besides the key table arenas reach 1/8 of it.
      const m = process.memoryUsage();
      let arenas = 0;
      for (const db of this.srv.ks.dbs) if (db.dict.size !== 0) arenas += db.dict.arenaStats().held;
      if (m.external - arenas > Math.max(16 << 20, this.srv.cfg.num("maxmemory") / 8)) Bun.gc(true);
    }
    if (tiering) {
      // cooled values leave holes in the key table arenas: compact them back to the live size
      for (const db of this.srv.ks.dbs) {
        const t = db.dict;
        if (t.size === 0) continue;
        const a = t.arenaStats();
        if (a.held - a.live > Math.max(4 << 20, a.live / 8)) t.compact(16 << 20, 0.85);
      }
    }
    this.maybeCheckpoint();
  }

  /** WAL bytes after which a checkpoint starts (smaller under tiering: its batch is built in memory). */
  private checkpointLimit(): number {
    let limit = this.srv.cfg.num("checkpoint-wal-size");
    if (this.tiering) limit = Math.min(limit, Math.max(1 << 20, this.srv.cfg.num("maxmemory") / 16));
    return limit;
  }

  private maybeCheckpoint(): void {
    if (this.cp !== null || this.firstDirty === 0 || this.wal === null || this.srv.loading) return;
    const due =
      this.wal.totalBytes >= this.checkpointLimit() ||
      Date.now() - this.firstDirty >= this.srv.cfg.num("checkpoint-interval") * 1000 ||
      this.pressure;
    if (due) this.startCheckpoint();
  }

  /** Total memory of the key tables (maxmemory accounting while the lsm engine runs). */
  usedMemory(): number {
    let n = 0;
    for (const db of this.srv.ks.dbs) {
      const tr = db.dict.track as Tracker | null;
      n += tr === null ? db.dict.arenaLive + db.dict.overheadBytes() : tr.memory();
    }
    return n;
  }

  get checkpointRunning(): boolean {
    return this.cp !== null;
  }

  get dirtyKeys(): number {
    let n = 0;
    for (const db of this.srv.ks.dbs) n += (db.dict.track as Tracker | null)?.dirtyCount ?? db.dict.size;
    return n;
  }

  /** Asks for a checkpoint now (tiering needs clean keys). */
  requestCheckpoint(): void {
    if (this.cp === null && this.firstDirty !== 0 && !this.srv.loading && this.wal !== null) this.startCheckpoint();
  }

  // ------------------------------------------------------------------ checkpoints

  /** Freezes the dirty sets at a new WAL position; the slices follow. Returns the job. */
  startCheckpoint(): Checkpoint | null {
    if (this.cp !== null || this.wal === null || this.starting) return null;
    // Rotating the WAL can ask for a checkpoint (the log grew past its limit): that request
    // must not start a second one inside this one, whose freeze would take the first one's
    // keys out of the dirty sets while the first is abandoned unwritten.
    this.starting = true;
    try {
      return this.beginCheckpoint(this.wal);
    } finally {
      this.starting = false;
    }
  }

  private starting = false;

  private beginCheckpoint(wal: WalWriter): Checkpoint {
    this.ensureTracked();
    const seq = wal.rotate();
    const cp = new Checkpoint(seq, this.vw, this.batch);
    const dbs: number[] = [];
    const frozen: Tracker[] = [];
    for (const db of this.srv.ks.dbs) {
      const tr = db.dict.track as Tracker;
      if (tr.gen === 0) {
        tr.gen = this.nextGen++;
        this.known.add(tr.gen);
      }
      dbs.push(tr.gen);
      cp.add(tr);
      frozen.push(tr);
    }
    this.cp = cp;
    this.cpFrozen = frozen;
    const fnDirty = this.functionsDirty;
    this.functionsDirty = false;
    this.firstDirty = 0;
    this.pressure = false;
    const live = new Set(dbs);
    const meta: CheckpointMeta = {
      version: 1,
      seq,
      dbs,
      dead: [...this.known].filter((g) => !live.has(g)),
      nextGen: this.nextGen,
      time: Date.now(),
      keys: 0,
    };
    const functions = fnDirty ? encodeFunctions(this.srv) : undefined;
    const run = (): void => {
      if (this.cp !== cp) return;
      let done: boolean;
      try {
        done = cp.step();
      } catch (e) {
        this.checkpointFailed(cp, fnDirty, e as Error);
        return;
      }
      if (!done) {
        setImmediate(run);
        return;
      }
      this.cpPromise = cp.commit(this.lsm, meta, functions).then(
        () => this.checkpointDone(cp, meta),
        (e) => this.checkpointFailed(cp, fnDirty, e as Error),
      );
    };
    setImmediate(run);
    return cp;
  }

  private checkpointDone(cp: Checkpoint, meta: CheckpointMeta): void {
    cp.unhook();
    for (const tr of this.cpFrozen) tr.committed();
    this.cpFrozen = [];
    this.cp = null;
    this.cpPromise = null;
    this.meta = meta;
    this.stats.checkpoints++;
    this.stats.lastCheckpointTime = Date.now();
    this.stats.lastCheckpointMs = Date.now() - cp.startedAt;
    this.stats.lastCheckpointKeys = cp.keys + cp.deletes;
    this.stats.lastCheckpointStatus = "ok";
    this.wal?.dropCovered(meta.seq);
    // tiering: a memtable left over the write buffer size (one big batch) goes to disk now
    // instead of waiting for the next write, so its memory comes back
    if (this.tiering && this.writeBufferSize > 0) {
      try {
        const st = this.lsm.stats();
        this.lsmMem = st.memtableBytes + st.immutableBytes + st.cacheBytes + st.tableIndexFilterBytes;
        if (st.memtableBytes >= this.writeBufferSize) void this.lsm.flush().catch(() => {});
      } catch {
        // closed
      }
    }
    // a batch buffer grown by one big checkpoint is not kept
    if (this.batch.encoded().buffer.byteLength > 2 * this.checkpointLimit()) this.batch = new WriteBatch(1 << 16);
    for (const g of meta.dead) if (!this.gcQueue.includes(g)) this.gcQueue.push(g);
    this.runGc();
  }

  private checkpointFailed(cp: Checkpoint, fnDirty: boolean, e: Error): void {
    cp.unhook();
    for (const tr of this.cpFrozen) tr.unfreeze();
    this.cpFrozen = [];
    this.cp = null;
    this.cpPromise = null;
    if (fnDirty) this.functionsDirty = true;
    if (this.firstDirty === 0) this.firstDirty = Date.now();
    this.stats.checkpointFailures++;
    this.stats.lastCheckpointStatus = "err";
    this.srv.log.warning(`Checkpoint failed: ${e.message}`);
  }

  /** Deletes the keys of dead generations in the background, a batch at a time. */
  private runGc(): void {
    if (this.gcRunning || this.gcQueue.length === 0) return;
    const gen = this.gcQueue[0]!;
    this.gcRunning = true;
    const it = this.lsm.iterator({ prefix: genPrefix(gen) });
    const next = (): void => {
      if (this.lsm.closed) return;
      const b = it.nextBatch(4096, 4 << 20);
      if (b === null) {
        it.close();
        this.gcQueue.shift();
        this.known.delete(gen);
        this.gcRunning = false;
        this.runGc();
        return;
      }
      const batch = new WriteBatch(b.keys.length * 32);
      for (const k of b.keys) batch.delete(k);
      this.stats.gcKeys += b.keys.length;
      this.lsm.writeAsync(batch).then(
        () => setTimeout(next, 1),
        (e) => {
          it.close();
          this.gcRunning = false;
          this.srv.log.warning(`Deleting flushed keys failed: ${(e as Error).message}`);
        },
      );
    };
    next();
  }

  /** Runs a checkpoint to its end (shutdown, DEBUG). */
  async checkpointNow(): Promise<void> {
    if (this.cp !== null) {
      const cp = this.cp;
      while (this.cp === cp && this.cpPromise === null) {
        if (cp.step(Infinity)) break;
      }
      // the scheduled slice commits
      while (this.cp === cp) await new Promise((r) => setTimeout(r, 1));
    }
    if (this.firstDirty === 0 && !this.functionsDirty) return;
    const cp = this.startCheckpoint();
    if (cp === null) return;
    while (this.cp === cp) await new Promise((r) => setTimeout(r, 1));
  }

  /** SHUTDOWN: the WAL is synced; with save, a last checkpoint makes the next start fast. */
  async shutdown(save: boolean | null): Promise<void> {
    if (this.srv.loading || this.wal === null) {
      this.lsm.close();
      return;
    }
    this.wal.syncNow();
    if (save !== false) {
      try {
        await this.checkpointNow();
      } catch (e) {
        this.srv.log.warning(`Final checkpoint failed: ${(e as Error).message}`);
      }
    }
    this.wal.syncNow();
    this.wal.close();
    this.lsm.close();
  }

  // ------------------------------------------------------------------ INFO

  info(): [string, string | number][] {
    const wal = this.wal;
    let st: LsmStats | null = null;
    try {
      st = this.lsm.closed ? null : this.lsm.stats();
    } catch {
      st = null;
    }
    const cp = this.cp;
    return [
      ["aikv_engine", "lsm"],
      ["wal_fsync", this.policy],
      ["wal_segments", wal?.segments ?? 0],
      ["wal_bytes", wal?.totalBytes ?? 0],
      ["wal_last_seq", wal?.lastSeq ?? this.scan.lastSeq],
      ["wal_synced_seq", wal?.syncedSeq ?? 0],
      ["wal_records", wal?.stats.records ?? 0],
      ["wal_writes", wal?.stats.writes ?? 0],
      ["wal_fsyncs", wal?.stats.fsyncs ?? 0],
      ["wal_held_replies", wal?.heldReplies ?? 0],
      ["wal_last_write_status", wal?.writeError ? "err" : "ok"],
      ["checkpoint_in_progress", cp ? 1 : 0],
      ["checkpoint_pending_keys", cp ? cp.pendingKeys : 0],
      ["checkpoints", this.stats.checkpoints],
      ["checkpoint_failures", this.stats.checkpointFailures],
      ["last_checkpoint_seq", this.meta.seq],
      ["last_checkpoint_time", Math.floor(this.meta.time / 1000)],
      ["last_checkpoint_keys", this.stats.lastCheckpointKeys],
      ["last_checkpoint_ms", this.stats.lastCheckpointMs],
      ["last_checkpoint_status", this.stats.lastCheckpointStatus],
      ["dirty_keys", this.dirtyKeys],
      ["tiering", this.tiering ? 1 : 0],
      ["cold_keys", this.coldKeys()],
      ["cold_loads", this.stats.coldLoads],
      ["cold_load_bytes", this.stats.coldLoadBytes],
      ["cooled_keys", this.stats.cooled],
      ["lsm_bytes", st?.bytes ?? 0],
      ["lsm_files", st?.files ?? 0],
      ["lsm_memtable_bytes", st?.memtableBytes ?? 0],
      ["lsm_compactions", st?.compactions ?? 0],
      ["lsm_write_amplification", st ? st.writeAmplification.toFixed(2) : "0.00"],
      ["lsm_cache_hit_rate", st ? st.cacheHitRate.toFixed(3) : "0.000"],
      ["lsm_background_error", st?.backgroundError ?? ""],
      ["gc_deleted_keys", this.stats.gcKeys],
      ...this.memoryInfo(),
    ];
  }

  /** Redis's loading_* fields while recovering. */
  loadingInfo(): [string, string | number][] {
    const l = this.load;
    if (l.phase === "done") return [];
    const elapsed = (Date.now() - l.startedAt) / 1000;
    const perc = l.totalBytes ? Math.min(100, (l.loadedBytes / l.totalBytes) * 100) : 0;
    return [
      ["loading_start_time", Math.floor(l.startedAt / 1000)],
      ["loading_total_bytes", l.totalBytes],
      ["loading_rdb_used_mem", 0],
      ["loading_loaded_bytes", l.loadedBytes],
      ["loading_loaded_perc", perc.toFixed(2)],
      ["loading_eta_seconds", l.loadedBytes > 0 ? Math.max(0, Math.round(((l.totalBytes - l.loadedBytes) * elapsed) / l.loadedBytes)) : 1],
      ["loading_phase", l.phase],
      ["loading_keys", l.keys],
      ["loading_wal_records", l.records],
    ];
  }

  /** the LSM's write buffer size */
  writeBufferSize = 0;
  /** LSM memtables (refreshed by the cron: stats() is not free). */
  private lsmMem = 0;

  /** Memory of the engine's buffers: the checkpoint batch being built, the LSM's memtables, block cache, index and filter blocks. */
  bufferBytes(): number {
    return (this.cp !== null ? this.cp.byteLength : 0) + this.lsmMem;
  }

  /** Where the process memory is (tiering diagnostics): key table arenas, JS heap, native. */
  private memoryInfo(): [string, number][] {
    let held = 0;
    let live = 0;
    for (const db of this.srv.ks.dbs) {
      const a = db.dict.arenaStats();
      held += a.held;
      live += a.live;
    }
    const m = process.memoryUsage();
    return [
      ["mem_arena_held", held],
      ["mem_arena_live", live],
      ["mem_js_heap_used", m.heapUsed],
      ["mem_js_heap_total", m.heapTotal],
      ["mem_js_external", m.external],
    ];
  }

  coldKeys(): number {
    let n = 0;
    for (const db of this.srv.ks.dbs) n += db.dict.coldCount;
    return n;
  }
}

/** Function libraries as [u32 LE length][code]... (null when there are none). */
function encodeFunctions(srv: Server): Uint8Array | null {
  const libs = functionsOf(srv).list(null);
  if (libs.length === 0) return null;
  let n = 0;
  for (const l of libs) n += 4 + l.code.length;
  const out = new Uint8Array(n);
  const dv = new DataView(out.buffer);
  let p = 0;
  for (const l of libs) {
    dv.setUint32(p, l.code.length, true);
    out.set(l.code, p + 4);
    p += 4 + l.code.length;
  }
  return out;
}

function decodeFunctions(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  while (p + 4 <= b.length) {
    const n = dv.getUint32(p, true);
    out.push(b.subarray(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return out;
}

let current: LsmEngine | null = null;

/** The running durable engine (null with the memory engine). */
export function engineOf(_srv: Server): LsmEngine | null {
  return current;
}

/**
 * `engine lsm`: opens the engine before the server listens (throws EngineCorruption when the
 * data is damaged) and installs INFO, shutdown and memory hooks. Call recover() once listening.
 */
export function openEngine(srv: Server): LsmEngine {
  const e = LsmEngine.open(srv);
  current = e;
  const prev = infoProviders.get("persistence");
  infoProviders.set("persistence", (s) => {
    const base = prev ? prev(s) : [["loading", s.loading ? 1 : 0]];
    const at = base.findIndex(([k]) => k === "async_loading");
    const lines = [...base];
    if (s.loading && at >= 0 && !base.some(([k]) => k === "loading_start_time")) lines.splice(at + 1, 0, ...e.loadingInfo());
    lines.push(...e.info());
    return lines as [string, string | number][];
  });
  shutdownHooks.push((_s, opts) => e.shutdown(opts.save));
  engineMemory.bytes = () => e.bufferBytes();
  return e;
}
