// A shard worker (`shards N` > 1): one event loop with its own Server and keyspace, owning a
// contiguous range of hash slots, accepting connections on the shared port (SO_REUSEPORT) and
// talking to the other shards through the SharedArrayBuffer rings (router.ts). Started by
// supervisor.ts; postMessage carries only startup and shutdown, never commands.

import { loadStartupConfig, parseFlags } from "../config/load.ts";
import { Server } from "../server/context.ts";
import { Network } from "../server/network.ts";
import { shutdown } from "../server/shutdown.ts";
import { persistenceOf } from "../persistence/snapshot.ts";
import { Node } from "./router.ts";
import { installCoord } from "./coord.ts";
import { installGlobal, installScripts } from "./global.ts";
import type { SharedMem } from "./ring.ts";

declare const self: Worker;

export interface StartMsg {
  type: "start";
  argv: string[];
  shared: SharedMem;
  index: number;
}

let srv: Server | null = null;
let node: Node | null = null;
let net: Network | null = null;

function post(m: Record<string, unknown>): void {
  self.postMessage(m);
}

async function start(m: StartMsg): Promise<void> {
  const s = new Server();
  srv = s;
  loadStartupConfig(s.cfg, parseFlags(m.argv));
  s.init();
  try {
    const native = await import("../native/index.ts");
    s.nativeVersion = native.nativeInfo.version;
  } catch {
    // the memory engine runs without the addon
  }
  const n = new Node(s, m.shared, m.index);
  node = n;
  installGlobal(n);
  installCoord(n);
  installScripts(n);
  n.install();
  n.onShutdownRequest = (save) => post({ type: "shutdown", save });
  // dump.rdb: every shard reads the file and keeps the keys of its own slots. Automatic saves
  // are off (SAVE/BGSAVE are refused): each shard holds only part of the dataset.
  if (s.cfg.str("engine") === "memory") {
    const p = persistenceOf(s);
    p.loadAtStartup(p.path);
    if (s.loading) await new Promise<void>((res) => {
      const t = setInterval(() => {
        if (!s.loading) {
          clearInterval(t);
          res();
        }
      }, 5);
    });
    purgeForeign(n);
  }
  const nw = new Network(s);
  nw.reusePort = true;
  s.net = nw;
  net = nw;
  if (process.env.AIKV_SHARD_STATS) {
    setInterval(() => {
      const t = n.t;
      s.log.notice(`shard ${n.me}: ${JSON.stringify(n.stats)} frames in/out ${t.framesIn}/${t.framesOut} wakeups ${t.wakeups} notifies ${t.notifies}`);
    }, Number(process.env.AIKV_SHARD_STATS) || 2000).unref?.();
  }
  post({ type: "ready", index: m.index, slots: n.range(m.index) });
}

/** Drops keys of other shards' slots (after loading a dump written by one server). */
function purgeForeign(n: Node): void {
  const s = n.srv;
  for (const db of s.ks.dbs) {
    const drop: string[] = [];
    for (const [key] of db.dict) if (n.ownerOfKey(key as string) !== n.me) drop.push(key as string);
    for (const k of drop) db.remove(k);
  }
}

function listen(): void {
  const s = srv!;
  try {
    net!.listen(s.cfg.get<string[]>("bind"), s.cfg.num("port"));
  } catch (e) {
    post({ type: "error", message: (e as Error).message });
    return;
  }
  s.startCron();
  post({ type: "listening", port: net!.port });
}

self.onmessage = (e: MessageEvent) => {
  const m = e.data as { type: string; save?: boolean | null };
  switch (m.type) {
    case "start":
      start(m as unknown as StartMsg).catch((err) => post({ type: "error", message: (err as Error)?.stack ?? String(err) }));
      break;
    case "listen":
      listen();
      break;
    case "shutdown":
      if (srv === null) process.exit(0);
      void shutdown(srv, { save: false });
      break;
    case "stats":
      post({ type: "stats", index: node?.me, stats: node?.stats, t: { in: node?.t.framesIn, out: node?.t.framesOut, wakeups: node?.t.wakeups, notifies: node?.t.notifies } });
      break;
  }
};
