#!/usr/bin/env bun
// `aikv`: starts the server. Options: --config file.toml and redis-style --name value flags.

import { loadStartupConfig, parseFlags } from "./config/load.ts";
import { Server } from "./server/context.ts";
import { AIKV_VERSION, REDIS_VERSION } from "./version.ts";
import { Network } from "./server/network.ts";
import { installShutdown } from "./server/shutdown.ts";
import { startPersistence } from "./commands/rdb.ts";
import { installEviction } from "./store/eviction.ts";

const USAGE = `Usage: aikv [--config aikv.toml] [--<option> <value> ...]
  e.g. aikv --port 7000 --bind 127.0.0.1 --databases 32 --loglevel debug --requirepass secret
Every Redis 7.0 configuration parameter (and AiKv's: engine, shards, tiering, lua-rollback) is accepted.`;

export async function main(argv: string[]): Promise<Server> {
  let opts;
  try {
    opts = parseFlags(argv);
  } catch (e) {
    console.error(`aikv: ${(e as Error).message}\n${USAGE}`);
    process.exit(1);
  }
  if (opts.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (opts.version) {
    console.log(`AiKv v=${AIKV_VERSION} redis_version=${REDIS_VERSION} bun=${Bun.version}`);
    process.exit(0);
  }
  const srv = new Server();
  try {
    loadStartupConfig(srv.cfg, opts);
    srv.init();
  } catch (e) {
    console.error(`aikv: configuration error: ${(e as Error).message}`);
    process.exit(1);
  }
  // the durable engine (WAL, checkpoints, tiering) runs in one event loop for now
  if (srv.cfg.num("shards") > 1 && srv.cfg.str("engine") === "lsm") {
    console.error("aikv: configuration error: engine lsm runs with shards 1 (one WAL and LSM per server)");
    process.exit(1);
  }
  // `shards N`: this thread only supervises N worker threads, each a server (src/shard/).
  if (srv.cfg.num("shards") > 1) {
    const { supervise } = await import("./shard/supervisor.ts");
    await supervise(argv, srv);
    return srv;
  }
  // The native core (LSM, bloom filters, batched CRC16). The memory engine runs without it.
  try {
    const native = await import("./native/index.ts");
    srv.nativeVersion = native.nativeInfo.version;
  } catch (e) {
    if (srv.cfg.str("engine") !== "memory") {
      srv.log.warning(`The ${srv.cfg.str("engine")} engine needs the native addon: ${(e as Error).message}`);
      process.exit(1);
    }
    srv.log.warning(`Native addon not loaded (${(e as Error).message}); continuing with the memory engine.`);
  }
  // dump.rdb (memory engine) and the automatic saves; loading continues while clients connect
  startPersistence(srv);
  // engine lsm: open the LSM and check the WAL before listening (damage refuses to start);
  // the data loads once listening, clients get -LOADING meanwhile
  let engine: import("./engine/lsm-engine.ts").LsmEngine | null = null;
  if (srv.cfg.str("engine") === "lsm") {
    const { openEngine } = await import("./engine/lsm-engine.ts");
    try {
      engine = openEngine(srv);
    } catch (e) {
      srv.log.warning(`Can't open the lsm engine: ${(e as Error).message}`);
      process.exit(1);
    }
  }
  const evictor = installEviction(srv, engine !== null);
  if (engine !== null) evictor.tiering = (await import("./engine/tiering.ts")).tieringHook(engine);
  const net = new Network(srv);
  srv.net = net;
  try {
    net.listen(srv.cfg.get<string[]>("bind"), srv.cfg.num("port"));
  } catch (e) {
    srv.log.warning((e as Error).message);
    process.exit(1);
  }
  srv.startCron();
  installShutdown(srv);
  if (engine !== null) {
    const e = engine;
    e.recover().catch((err) => {
      srv.log.warning(`Can't load the data of the lsm engine: ${(err as Error).message}`);
      process.exit(1);
    });
  }
  srv.log.notice(`AiKv ${AIKV_VERSION} (redis ${REDIS_VERSION} compatible) pid=${process.pid} engine=${srv.cfg.str("engine")}`);
  srv.log.notice(`Ready to accept connections tcp on ${srv.cfg.get<string[]>("bind").join(" ")} port ${net.port}`);
  return srv;
}

if (import.meta.main) await main(process.argv.slice(2));
