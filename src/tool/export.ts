// `aikv-tool export <file.rdb[.zst]>`: a point-in-time-per-key snapshot of a running server
// (AiKv or redis-server) as an RDB file that either server loads — every key's DUMP payload
// with its TTL, per database — compressed with zstd when the name ends in .zst.

import { writeFileSync } from "node:fs";
import { RDB_OPCODE_EXPIRETIME_MS } from "../rdb/constants.ts";
import { standardAux, writeHeader, writeSelectDb, writeTrailer } from "../rdb/file.ts";
import { RdbWriter } from "../rdb/writer.ts";
import { REDIS_VERSION } from "../version.ts";
import { ReplyError, RespClient, type Reply } from "./client.ts";
import { zstdCompress } from "./zstd.ts";

export interface ExportOptions {
  file: string;
  host: string;
  port: number;
  user: string | null;
  password: string | null;
  quiet: boolean;
}

export interface ExportResult {
  keys: number;
  bytes: number;
  seconds: number;
}

function check(r: Reply, what: string): Reply {
  if (r instanceof ReplyError) throw new Error(`${what}: ${r.message}`);
  return r;
}

/** DUMP payload = type byte + body + 2-byte RDB version + 8-byte CRC64. */
const TRAILER = 10;

export async function exportRdb(o: ExportOptions, log: (s: string) => void = (s) => process.stderr.write(s)): Promise<ExportResult> {
  const c = await RespClient.open(o.host, o.port);
  const start = performance.now();
  try {
    if (o.password !== null) check(await c.call(...(o.user !== null ? ["AUTH", o.user, o.password] : ["AUTH", o.password])), "AUTH");
    const cfg = check(await c.call("CONFIG", "GET", "databases"), "CONFIG GET databases") as Reply[];
    const databases = Number(String(cfg[1]));
    const w = new RdbWriter(undefined, 1 << 20);
    writeHeader(w, standardAux(REDIS_VERSION, 0));
    let keys = 0;
    for (let db = 0; db < databases; db++) {
      check(await c.call("SELECT", String(db)), "SELECT");
      const size = check(await c.call("DBSIZE"), "DBSIZE") as number;
      if (size === 0) continue;
      writeSelectDb(w, db, size, 0);
      let cursor = "0";
      do {
        const page = check(await c.call("SCAN", cursor, "COUNT", "1000"), "SCAN") as Reply[];
        cursor = String(page[0]);
        const batch = page[1] as Buffer[];
        // Pipelined: DUMP and PEXPIRETIME of the whole page at once.
        const replies = await Promise.all(batch.flatMap((k) => [c.call("DUMP", k), c.call("PEXPIRETIME", k)]));
        for (let i = 0; i < batch.length; i++) {
          const payload = replies[2 * i];
          const expire = replies[2 * i + 1];
          if (!(payload instanceof Buffer)) continue; // deleted meanwhile
          if (typeof expire === "number" && expire >= 0) {
            w.byte(RDB_OPCODE_EXPIRETIME_MS);
            w.i64le(expire);
          }
          w.byte(payload[0]!);
          w.stringBytes(batch[i]!);
          w.raw(payload, 1, payload.length - TRAILER);
          keys++;
        }
        if (!o.quiet) log(`\rexported ${keys} keys (db ${db})`);
      } while (cursor !== "0");
    }
    writeTrailer(w, true);
    const rdb = w.view();
    const out = o.file.endsWith(".zst") ? zstdCompress(rdb) : rdb;
    writeFileSync(o.file, out);
    if (!o.quiet) log("\n");
    return { keys, bytes: out.length, seconds: (performance.now() - start) / 1000 };
  } finally {
    c.close();
  }
}
