// All handler modules, merged into the one table (specs.ts holds the facts). A module may
// also export install(srv) to hook into the server (client cleanup, cron, notifications).

import type { Server } from "../server/context.ts";
import type { Handlers } from "./table.ts";
import * as connection from "./connection.ts";
import * as client from "./client.ts";
import * as databases from "./databases.ts";
import * as keys from "./keys.ts";
import * as strings from "./strings.ts";
import * as bitmaps from "./bitmaps.ts";
import * as server from "./server.ts";
import * as config from "./config.ts";
import * as introspection from "./introspection.ts";
import * as lists from "./lists.ts";
import * as hashes from "./hashes.ts";
import * as sets from "./sets.ts";
import * as zsets from "./zsets.ts";
import * as geo from "./geo.ts";
import * as hll from "./hll.ts";
import * as sort from "./sort.ts";
import * as tx from "./tx.ts";
import * as pubsub from "./pubsub.ts";
import * as scripting from "./scripting.ts";
import * as functions from "./functions.ts";
import * as json from "./json.ts";
import * as rdb from "./rdb.ts";
import * as streams from "./streams.ts";

interface FamilyModule {
  handlers: Handlers;
  install?: (srv: Server) => void;
}

const FAMILIES: FamilyModule[] = [
  connection, client, databases, keys, strings, bitmaps, server, config, introspection,
  lists, hashes, sets, zsets, geo, hll, sort, tx, pubsub, scripting, functions, json, streams, rdb,
];

export const HANDLERS: Handlers = {};
for (const f of FAMILIES) {
  for (const [name, h] of Object.entries(f.handlers)) {
    if (HANDLERS[name]) throw new Error(`command '${name}' has two handlers`);
    HANDLERS[name] = h;
  }
}

/** Lets every family hook into a server instance. */
export function installFamilies(srv: Server): void {
  for (const f of FAMILIES) f.install?.(srv);
}
