// Tiering (lsm engine, maxmemory set, `tiering yes`): when memory is over maxmemory, clean keys
// (their value is the one in the LSM) with old access clocks become cold: the key stays in the
// key table (DBSIZE, SCAN, KEYS, TTLs and misses need no disk read), the value leaves RAM, and
// any access loads it back (KeyTable.valueOf -> Tracker.load -> a synchronous LSM get).
//
// Candidates are sampled like Redis's approximated LRU/LFU (maxmemory-samples random entries
// per database, the oldest access clock wins). A key that is dirty or in a checkpoint not yet
// durable is never cooled; when nothing can be cooled, a checkpoint is started so keys become
// clean.

import type { TieringHook } from "../store/eviction.ts";
import { sampleIds } from "../store/eviction.ts";
import type { LsmEngine } from "./lsm-engine.ts";
import type { Tracker } from "./tracker.ts";

export function tieringHook(engine: LsmEngine): TieringHook {
  const srv = engine.srv;
  return {
    active: () => engine.tiering,

    cool(bytes: number): number {
      const ks = srv.ks;
      const samples = Math.max(5, srv.cfg.num("maxmemory-samples"));
      const lfu = ks.lfu;
      let freed = 0;
      let misses = 0;
      while (freed < bytes && misses < 3) {
        let best: Tracker | null = null;
        let bestId = -1;
        let bestIdle = -1;
        for (const db of ks.dbs) {
          const t = db.dict;
          const tr = t.track as Tracker | null;
          if (tr === null || tr.gen === 0 || t.size - t.coldCount === 0) continue;
          const ids = sampleIds(t, samples, false, (id) => !t.isCold(id) && tr.isClean(id));
          for (const id of ids) {
            let idle: number;
            if (lfu) idle = 255 - ks.lfuDecay(t.lruOf(id));
            else {
              const clock = t.lruOf(id);
              const now = ks.lruClock;
              idle = now >= clock ? now - clock : now + 0x1000000 - clock;
            }
            // bigger values first among equally idle keys: more memory per disk read later
            idle = idle * 1e6 + Math.min(999999, t.recordBytes(id) + tr.sz[id]!);
            if (idle > bestIdle) {
              bestIdle = idle;
              best = tr;
              bestId = id;
            }
          }
        }
        if (best === null) {
          misses++;
          continue;
        }
        const before = best.memory();
        best.t.setCold(bestId);
        best.changedQuiet(bestId);
        freed += before - best.memory();
        engine.stats.cooled++;
      }
      return freed;
    },

    relief(): boolean {
      engine.requestCheckpoint();
      // Dirty keys whose WAL records are still being written this turn cannot be checkpointed
      // yet, but the next turn's checkpoint will make them clean (and coolable): memory will
      // come back either way, so writes are not refused for it.
      return engine.checkpointRunning || engine.dirtyKeys > 0;
    },
  };
}
