// `shards N` (N > 1): the main thread starts N shard workers (worker.ts), hands each the shared
// memory (rings and control block, ring.ts), lets them listen on the same port once all are
// ready, and relays signals and SHUTDOWN: every shard stops, then the process exits. A shard
// that dies takes the process down (its part of the keyspace is gone).

import type { Server } from "../server/context.ts";
import { AIKV_VERSION, REDIS_VERSION } from "../version.ts";
import { allocShared } from "./ring.ts";
import { SLOTS } from "../cluster/slot.ts";

/** Bytes of each ring (one per direction per pair of shards). */
const RING_BYTES = 1 << 20;

export async function supervise(argv: string[], srv: Server): Promise<void> {
  const n = srv.cfg.num("shards");
  const log = srv.log;
  if (srv.cfg.num("port") === 0) {
    log.warning("shards > 1 needs a fixed port (the shards share it)");
    process.exit(1);
  }
  const shared = allocShared(n, RING_BYTES);
  const workers: Worker[] = [];
  let stopping = false;
  let exited = 0;
  const waiting = new Map<string, { count: number; done: () => void }>();
  const expect = (type: string): Promise<void> =>
    new Promise((res) => {
      waiting.set(type, { count: n, done: res });
    });
  const stopAll = (save: boolean | null): void => {
    if (stopping) return;
    stopping = true;
    log.warning("Shutting down every shard...");
    for (const w of workers) w.postMessage({ type: "shutdown", save });
    // A shard that does not stop in time does not keep the process.
    setTimeout(() => process.exit(0), 5000).unref?.();
  };
  const ready = expect("ready");
  for (let i = 0; i < n; i++) {
    const w = new Worker(new URL("./worker.ts", import.meta.url).href);
    w.addEventListener("message", (e: MessageEvent) => {
      const m = e.data as { type: string; message?: string; save?: boolean | null; index?: number; slots?: [number, number] };
      if (m.type === "error") {
        log.warning(`shard ${i}: ${m.message}`);
        process.exit(1);
      }
      if (m.type === "shutdown") {
        stopAll(m.save ?? null);
        return;
      }
      if (m.type === "ready") log.verbose(`shard ${i} ready, slots ${m.slots?.[0]}-${m.slots?.[1]}`);
      const wt = waiting.get(m.type);
      if (wt && --wt.count === 0) {
        waiting.delete(m.type);
        wt.done();
      }
    });
    w.addEventListener("close", (e: Event) => {
      exited++;
      if (!stopping) {
        log.warning(`shard ${i} exited unexpectedly (${(e as unknown as { code?: number }).code ?? "?"}); stopping`);
        stopAll(false);
      }
      if (exited === n) process.exit(0);
    });
    w.postMessage({ type: "start", argv, shared, index: i });
    workers.push(w);
  }
  await ready;
  const listening = expect("listening");
  for (const w of workers) w.postMessage({ type: "listen" });
  await listening;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.on(sig, () => {
      log.warning(`Received ${sig} scheduling shutdown...`);
      stopAll(null);
    });
  }
  log.notice(`AiKv ${AIKV_VERSION} (redis ${REDIS_VERSION} compatible) pid=${process.pid} engine=${srv.cfg.str("engine")} shards=${n} (about ${Math.round(SLOTS / n)} hash slots each)`);
  log.notice(`Ready to accept connections tcp on ${srv.cfg.get<string[]>("bind").join(" ")} port ${srv.cfg.num("port")}`);
}
