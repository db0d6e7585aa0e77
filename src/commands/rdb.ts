// RDB commands: DUMP RESTORE SAVE BGSAVE (LASTSAVE lives in server.ts), plus the persistence
// hooks: the `save` schedule in the server cron, SHUTDOWN and FLUSHALL saves, DEBUG RELOAD,
// INFO persistence, MISCONF after a failed background save, and loading dump.rdb at startup
// (memory engine). The format is src/rdb/, snapshots src/persistence/snapshot.ts.

import { E, fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { gates } from "../server/dispatch.ts";
import { infoProviders } from "../server/info.ts";
import { propagateAs } from "../server/propagate.ts";
import { shutdownHooks } from "../server/shutdown.ts";
import { N } from "../store/notify.ts";
import { parseI64, parseI64Big } from "../util/numbers.ts";
import { dumpPayload, restorePayload, verifyPayload } from "../rdb/dump.ts";
import { RdbFormatError } from "../rdb/reader.ts";
import { persistenceOf, rdbOptions, setAccess } from "../persistence/snapshot.ts";
import { flushAllHooks } from "./databases.ts";
import { debugHooks } from "./server.ts";
import { CMD, type Handlers } from "./table.ts";

const BUSYKEY = "BUSYKEY Target key name already exists.";
const BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
const BAD_DATA = "ERR Bad data format";
const BG_IN_PROGRESS = "ERR Background save already in progress";
const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

const INT64_MIN = -(1n << 63n);

function restore(c: Client, a: Argv): void {
  const srv = c.srv;
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < a.argc; j++) {
    const additional = a.argc - j - 1;
    if (a.is(j, "replace")) replace = true;
    else if (a.is(j, "absttl")) absttl = true;
    else if (a.is(j, "idletime") && additional >= 1 && freq === -1) {
      const v = parseI64(a.str(j + 1));
      if (Number.isNaN(v)) fail(E.NOT_INT);
      if (v < 0) fail("ERR Invalid IDLETIME value, must be >= 0");
      idle = v;
      j++;
    } else if (a.is(j, "freq") && additional >= 1 && idle === -1) {
      const v = parseI64(a.str(j + 1));
      if (Number.isNaN(v)) fail(E.NOT_INT);
      if (v < 0 || v > 255) fail("ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = v;
      j++;
    } else fail(E.SYNTAX);
  }
  const key = a.str(1);
  const db = c.db;
  if (!replace && db.has(key)) fail(BUSYKEY);
  const ttl = parseI64Big(a.str(2));
  if (ttl === null) fail(E.NOT_INT);
  if (ttl < 0n) fail("ERR Invalid TTL value, must be >= 0");
  const payload = a.bytes(3);
  if (verifyPayload(payload) === null) fail(BAD_PAYLOAD);
  let v;
  try {
    v = restorePayload(payload, { lim: srv.enc });
  } catch (e) {
    if (e instanceof RdbFormatError) fail(BAD_DATA);
    throw e;
  }
  const ks = srv.ks;
  const deleted = replace && db.remove(key);
  let when = ttl;
  // Relative TTLs become absolute (int64 arithmetic, as in C).
  if (when !== 0n && !absttl) when = BigInt.asIntN(64, when + BigInt(ks.now));
  if (when !== 0n && when <= BigInt(ks.now) && srv.role === "master") {
    // Already expired: the key is not created (and an old one it replaced is gone).
    if (deleted) {
      propagateAs(c, ["DEL", key]);
      ks.written(db, key, N.GENERIC, "del");
    }
    c.out.ok();
    return;
  }
  db.add(key, v);
  if (when !== 0n) {
    db.setExpire(key, when < INT64_MIN ? Number(INT64_MIN) : Number(when));
    if (!absttl) {
      // Propagated with the absolute time: RESTORE key <when> payload [options...] ABSTTL
      const args: (string | Uint8Array)[] = [];
      for (let i = 0; i < a.argc; i++) args.push(i === 2 ? when.toString() : Uint8Array.prototype.slice.call(a.bytes(i)));
      args.push("ABSTTL");
      propagateAs(c, args);
    }
  }
  if (idle >= 0 || freq >= 0) setAccess(srv, db, key, freq, idle);
  ks.written(db, key, N.GENERIC, "restore");
  c.out.ok();
}

export const handlers: Handlers = {
  dump(c, a) {
    const v = c.db.read(a.str(1));
    if (v === undefined) return c.out.nil();
    c.out.bulkBytes(dumpPayload(v, rdbOptions(c.srv)));
  },

  restore,

  save(c) {
    const p = persistenceOf(c.srv);
    if (p.bg !== null) fail(BG_IN_PROGRESS);
    if (p.save()) c.out.ok();
    else c.out.error("ERR");
  },

  bgsave(c, a) {
    if (a.argc > 1 && !(a.argc === 2 && a.is(1, "schedule"))) fail(E.SYNTAX);
    const p = persistenceOf(c.srv);
    if (p.bg !== null) fail(BG_IN_PROGRESS);
    // Inside EXEC the save starts from the cron once the transaction is over.
    if (c.flags & CF.MULTI) {
      p.bgsaveScheduled = true;
      return c.out.status("Background saving scheduled");
    }
    if (p.bgsave()) c.out.status("Background saving started");
    else c.out.error("ERR");
  },
};

/** DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset, load the file back. */
function debugReload(c: Client, a: Argv): void {
  let merge = false;
  let flush = true;
  let save = true;
  for (let j = 2; j < a.argc; j++) {
    if (a.is(j, "merge")) merge = true;
    else if (a.is(j, "noflush")) flush = false;
    else if (a.is(j, "nosave")) save = false;
    else fail("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
  }
  const srv = c.srv;
  const p = persistenceOf(srv);
  if (save && !p.save()) return c.out.error("ERR");
  if (flush) {
    const dirty = srv.ks.dirty;
    srv.ks.flushAll();
    srv.ks.dirty = dirty;
  }
  try {
    p.loadSync(p.path, { merge, replaceFunctions: true });
  } catch (e) {
    srv.log.warning(`DEBUG RELOAD: ${(e as Error).message}`);
    fail("ERR Error trying to load the RDB dump");
  }
  srv.log.warning("DB reloaded by DEBUG RELOAD");
  c.out.ok();
}

/** True once some background save failed (the MISCONF gate only looks then). */
let anyFailure = false;

let globalsInstalled = false;

function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  infoProviders.set("persistence", (srv) => persistenceOf(srv).info());
  debugHooks.set("reload", debugReload);
  flushAllHooks.push((c) => {
    // FLUSHALL stops a background save and, with save points, writes the empty dataset now
    // without counting it as the save of the changes (they still go to replicas).
    const p = persistenceOf(c.srv);
    p.killBgsave();
    if (p.savePoints().length > 0) {
      const dirty = c.srv.ks.dirty;
      p.save();
      c.srv.ks.dirty = dirty;
    }
  });
  shutdownHooks.push((srv, opts) => {
    const p = persistenceOf(srv);
    p.killBgsave();
    // A half-loaded dataset is never saved over the file it comes from (Redis: NOSAVE while loading).
    if (opts.save === false || srv.loading) return;
    if (opts.save === true || p.savePoints().length > 0) {
      srv.log.warning("Saving the final RDB snapshot before exiting.");
      if (!p.save()) throw new Error("Error trying to save the DB, can't exit.");
      srv.log.warning("DB saved on disk");
    }
  });
  gates.push((c, cmd) => {
    if (!anyFailure) return null;
    const srv = c.srv;
    const p = persistenceOf(srv);
    if (p.lastBgsaveOk) return null;
    if (!srv.cfg.bool("stop-writes-on-bgsave-error") || p.savePoints().length === 0 || srv.role !== "master") return null;
    let write = (cmd.flags & CMD.WRITE) !== 0;
    if (!write && cmd.name === "exec") write = c.queued.some((q) => (q.cmd.flags & CMD.WRITE) !== 0);
    return write || cmd.name === "ping" ? MISCONF : null;
  });
}

export function install(srv: Server): void {
  installGlobals();
  const p = persistenceOf(srv);
  p.onFailure = () => {
    anyFailure = true;
  };
  srv.hooks.cron.push(() => p.cron());
}

/**
 * Called by the `aikv` entry point once the server is configured: turns on automatic saves
 * and, with the memory engine, loads dump.rdb (clients get -LOADING until it is in).
 */
export function startPersistence(srv: Server): void {
  const p = persistenceOf(srv);
  p.auto = true;
  if (srv.cfg.str("engine") === "memory") p.loadAtStartup(p.path);
}
