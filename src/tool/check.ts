// `aikv-tool check [--repair] [--quick] <dir>`: verifies the data of the lsm engine in a server's
// `dir` (the LSM in dir/lsm, the WAL in dir/wal) while the server is stopped.
//
// Checks: the LSM opens (its own log and tables); the checkpoint record is readable; every
// stored value has a valid header and decodes (skipped with --quick); the WAL segments follow
// the checkpoint without gaps and every record's checksum and sequence are right.
//
// --repair: cuts the WAL at the first damaged record (that segment is truncated there, later
// segments are deleted: the writes they held are lost, and the report says how many), and
// deletes stored keys whose value does not decode. A torn tail (the server truncates it by
// itself when starting) is cut too.

import { existsSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { Lsm, WriteBatch } from "../native/index.ts";
import { decodeMeta, decodeObject, FIRST_GEN, GEN_BYTES, LSM_DIR, META_KEY, readGen, valueHeader, WAL_DIR, type CheckpointMeta } from "../engine/codec.ts";
import { listSegments, scanWal, truncateSegment } from "../engine/wal.ts";
import { DEFAULT_ENCODING_LIMITS } from "../store/value.ts";

export interface CheckOptions {
  dir: string;
  repair: boolean;
  quick: boolean;
  out: (line: string) => void;
}

export interface CheckResult {
  ok: boolean;
  repaired: boolean;
  problems: string[];
}


export function check(o: CheckOptions): CheckResult {
  const res: CheckResult = { ok: true, repaired: false, problems: [] };
  const problem = (msg: string): void => {
    res.ok = false;
    res.problems.push(msg);
    o.out(`PROBLEM: ${msg}`);
  };
  const lsmDir = join(o.dir, LSM_DIR);
  const walDir = join(o.dir, WAL_DIR);
  if (!existsSync(lsmDir) && !existsSync(walDir)) {
    problem(`${o.dir} holds no lsm engine data (no ${LSM_DIR}/ or ${WAL_DIR}/ directory)`);
    return res;
  }
  // ---- the LSM
  let lsm: Lsm | null = null;
  let meta: CheckpointMeta = { version: 1, seq: 0, dbs: [], dead: [], nextGen: FIRST_GEN, time: 0, keys: 0 };
  try {
    lsm = Lsm.open(lsmDir, { createIfMissing: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err.code === "AIKV_LOCKED") problem(`the LSM is in use (is the server running?): ${err.message}`);
    else problem(`the LSM does not open: ${err.message}`);
    return res;
  }
  try {
    const raw = lsm.get(META_KEY);
    if (raw !== null) meta = decodeMeta(raw);
    o.out(
      raw === null
        ? "checkpoint: none yet"
        : `checkpoint: WAL record ${meta.seq}, ${new Date(meta.time).toISOString()}, databases -> generations [${meta.dbs.join(",")}]` +
            (meta.dead.length ? `, flushed generations being deleted [${meta.dead.join(",")}]` : ""),
    );
  } catch (e) {
    problem(`the checkpoint record is unreadable: ${(e as Error).message}`);
  }
  const live = new Set(meta.dbs.filter((g) => g !== 0));
  const dead = new Set(meta.dead);
  let keys = 0;
  let bad = 0;
  const badKeys = new WriteBatch();
  const perGen = new Map<number, number>();
  const it = lsm.iterator({ start: new Uint8Array([0, 0, 0, FIRST_GEN]) });
  for (let b = it.nextBatch(4096, 4 << 20); b !== null; b = it.nextBatch(4096, 4 << 20)) {
    for (let i = 0; i < b.keys.length; i++) {
      const k = b.keys[i]!;
      const v = b.values[i]!;
      if (k.length < GEN_BYTES) {
        problem(`a stored key is shorter than its generation prefix`);
        continue;
      }
      const gen = readGen(k);
      perGen.set(gen, (perGen.get(gen) ?? 0) + 1);
      if (!live.has(gen)) continue;
      keys++;
      try {
        const { start } = valueHeader(v);
        if (!o.quick) decodeObject(v, start, { lim: DEFAULT_ENCODING_LIMITS });
      } catch (e) {
        bad++;
        if (bad <= 10) problem(`key '${Buffer.from(k.subarray(GEN_BYTES)).toString("latin1")}' (generation ${gen}): bad value: ${(e as Error).message}`);
        badKeys.delete(k);
      }
    }
  }
  it.close();
  if (bad > 10) problem(`${bad} keys with bad values in all`);
  o.out(`stored keys: ${keys} in the live generations${o.quick ? "" : " (every value decoded)"}`);
  for (const [g, n] of perGen) {
    if (!live.has(g)) o.out(`  generation ${g}: ${n} keys ${dead.has(g) ? "(flushed, deleted in the background)" : "(not referenced by the checkpoint)"}`);
  }
  // ---- the WAL
  const segs = listSegments(walDir);
  const scan = scanWal(walDir, meta.seq);
  let records = 0;
  for (const s of scan.segments) records += s.records.filter((r) => r.seq > meta.seq).length;
  o.out(`WAL: ${segs.length} segments, ${records} records after the checkpoint, last record ${scan.lastSeq}`);
  const p = scan.problem;
  if (p !== null) {
    const idx = segs.findIndex((s) => s.name === p.segment);
    const later = idx >= 0 ? segs.slice(idx + 1) : [];
    const sc = scan.segments.find((s) => s.seg.name === p.segment);
    const cut = sc ? sc.bytes.length - p.offset : 0;
    const what = p.kind === "torn" ? "an incomplete last record (torn tail)" : "damage";
    problem(`WAL ${p.segment} offset ${p.offset}: ${what}: ${p.message}`);
    if (o.repair) {
      if (idx >= 0 && (p.offset > 0 || p.kind === "torn")) truncateSegment(segs[idx]!.path, p.offset);
      else if (idx >= 0) unlinkSync(segs[idx]!.path);
      let bytes = 0;
      for (const s of later) {
        bytes += statSync(s.path).size;
        unlinkSync(s.path);
      }
      res.repaired = true;
      o.out(
        `REPAIRED: the WAL now ends at record ${scan.lastSeq}; dropped ${cut} bytes of ${p.segment}` +
          (later.length ? ` and ${later.length} later segments (${bytes} bytes)` : "") +
          ". The writes they held are lost.",
      );
    }
  }
  if (bad > 0 && o.repair) {
    lsm.write(badKeys, { sync: true });
    res.repaired = true;
    o.out(`REPAIRED: deleted ${bad} keys whose stored value did not decode.`);
  }
  lsm.close();
  if (res.ok) o.out("OK: no problems found");
  else if (!o.repair) o.out(`Run "aikv-tool check --repair ${o.dir}" to repair (data after a damaged WAL record is lost).`);
  return res;
}
