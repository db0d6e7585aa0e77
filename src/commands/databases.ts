// Database-wide commands: DBSIZE FLUSHDB FLUSHALL SWAPDB.

import { E, fail } from "../errors.ts";
import { parseI64 } from "../util/numbers.ts";
import type { Client } from "../server/client.ts";
import type { Argv } from "../resp/argv.ts";
import type { Handlers } from "./table.ts";

/** FLUSHDB/FLUSHALL take an optional ASYNC|SYNC; both are done synchronously here. */
function flushMode(a: Argv): void {
  if (a.argc > 2) fail(E.SYNTAX);
  if (a.argc === 2 && !a.is(1, "async") && !a.is(1, "sync")) fail(E.SYNTAX);
}

/** Hooks run after a FLUSHALL (e.g. the durable engine, SAVE-on-flush). */
export const flushAllHooks: ((c: Client) => void)[] = [];

export const handlers: Handlers = {
  dbsize(c) {
    c.out.int(c.db.size);
  },

  flushdb(c, a) {
    flushMode(a);
    c.srv.ks.flushDb(c.db);
    c.srv.ks.dirty++;
    c.out.ok();
  },

  flushall(c, a) {
    flushMode(a);
    c.srv.ks.flushAll();
    c.srv.ks.dirty++;
    for (const h of flushAllHooks) h(c);
    c.out.ok();
  },

  swapdb(c, a) {
    const i = parseI64(a.str(1));
    const j = parseI64(a.str(2));
    if (Number.isNaN(i)) fail("ERR invalid first DB index");
    if (Number.isNaN(j)) fail("ERR invalid second DB index");
    if (c.srv.cfg.bool("cluster-enabled")) fail("ERR SWAPDB is not allowed in cluster mode");
    const n = c.srv.ks.dbs.length;
    if (i < 0 || j < 0 || i >= n || j >= n) fail(E.DB_INDEX);
    if (i !== j) c.srv.ks.swapDb(i, j);
    c.out.ok();
  },
};
