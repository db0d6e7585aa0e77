// `aikv-tool import dump.rdb`: loads an RDB file (from redis-server or AiKv) into a running AiKv
// (or any Redis) over the network. Each key is decoded and validated here, re-encoded as a
// version-10 DUMP payload and sent as RESTORE key <abs ms> <payload> REPLACE ABSTTL [IDLETIME|FREQ];
// function libraries go as FUNCTION RESTORE ... REPLACE; SELECT follows the file's databases.
// Commands are pipelined with a bounded window, and a progress line shows bytes, keys and rate.

import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { isZstd, zstdDecompress } from "./zstd.ts";
import { RDB_OPCODE_FUNCTION2 } from "../rdb/constants.ts";
import { dumpPayload, payloadWriter, sealPayload } from "../rdb/dump.ts";
import { RdbFileReader, type LoadedKey } from "../rdb/file.ts";
import { RdbFormatError } from "../rdb/reader.ts";
import { DEFAULT_OPTIONS } from "../rdb/writer.ts";
import { DEFAULT_ENCODING_LIMITS, type EncodingLimits } from "../store/value.ts";

export interface ImportOptions {
  file: string;
  host: string;
  port: number;
  user: string | null;
  password: string | null;
  /** RESTORE ... REPLACE (default) or fail on keys that exist */
  replace: boolean;
  /** commands in flight at most */
  window: number;
  quiet: boolean;
}

export interface ImportResult {
  keys: number;
  expired: number;
  functions: number;
  errors: number;
  firstErrors: string[];
  seconds: number;
}

/** Encoding thresholds used to decode (the target server picks its own when restoring). */
const LIMITS: EncodingLimits = { ...DEFAULT_ENCODING_LIMITS, hashMaxListpackEntries: 128 };

function resp(args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** A pipelined connection whose replies are single lines (+OK / -ERR ...). */
class Pipe {
  private sock: Socket;
  private inbuf = "";
  sent = 0;
  received = 0;
  errors = 0;
  readonly firstErrors: string[] = [];
  private waiters: (() => void)[] = [];
  private closedErr: Error | null = null;
  private out: Buffer[] = [];
  private outBytes = 0;

  private constructor(sock: Socket) {
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("close", () => {
      this.closedErr ??= new Error("connection closed by the server");
      this.wake();
    });
    sock.on("error", (e: Error) => {
      this.closedErr = e;
      this.wake();
    });
    sock.on("drain", () => this.wake());
  }

  static open(host: string, port: number): Promise<Pipe> {
    return new Promise((res, rej) => {
      const s = connect({ host, port });
      s.once("connect", () => res(new Pipe(s)));
      s.once("error", rej);
    });
  }

  private onData(d: Buffer): void {
    this.inbuf += d.toString("latin1");
    let nl: number;
    while ((nl = this.inbuf.indexOf("\r\n")) >= 0) {
      const line = this.inbuf.slice(0, nl);
      this.inbuf = this.inbuf.slice(nl + 2);
      this.received++;
      if (line.startsWith("-")) {
        this.errors++;
        if (this.firstErrors.length < 10) this.firstErrors.push(line.slice(1));
      }
    }
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private wait(): Promise<void> {
    return new Promise((res) => this.waiters.push(res));
  }

  /** Queues a command; sends in batches. */
  send(args: (string | Uint8Array)[]): void {
    const b = resp(args);
    this.out.push(b);
    this.outBytes += b.length;
    this.sent++;
  }

  /** Writes what is queued and waits until at most `window` commands are unanswered. */
  async flush(window: number): Promise<void> {
    if (this.out.length !== 0) {
      const chunk = Buffer.concat(this.out, this.outBytes);
      this.out = [];
      this.outBytes = 0;
      if (!this.sock.write(chunk)) {
        while (this.sock.writableNeedDrain && this.closedErr === null) await this.wait();
      }
    }
    while (this.sent - this.received > window) {
      if (this.closedErr !== null) throw this.closedErr;
      await this.wait();
    }
    if (this.closedErr !== null && this.sent !== this.received) throw this.closedErr;
  }

  close(): void {
    this.sock.end();
  }
}

function human(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/** Imports the file; resolves with counts (errors reported by the server included). */
export async function importRdb(o: ImportOptions, log: (s: string) => void = (s) => process.stderr.write(s)): Promise<ImportResult> {
  let buf: Buffer = readFileSync(o.file);
  // A zstd-compressed snapshot (aikv-tool export file.rdb.zst) is decompressed first.
  if (isZstd(buf)) buf = zstdDecompress(buf);
  const size = buf.length;
  const reader = new RdbFileReader(buf, { lim: LIMITS });
  if (!reader.checksumOk()) throw new RdbFormatError("wrong RDB checksum: the file is damaged");
  const pipe = await Pipe.open(o.host, o.port);
  const start = performance.now();
  const res: ImportResult = { keys: 0, expired: 0, functions: 0, errors: 0, firstErrors: [], seconds: 0 };
  const tty = process.stderr.isTTY === true;
  let lastShown = 0;
  const show = (final: boolean): void => {
    if (o.quiet) return;
    const now = performance.now();
    if (!final && now - lastShown < (tty ? 200 : 2000)) return;
    lastShown = now;
    const secs = (now - start) / 1000;
    const done = final ? size : reader.offset;
    const line =
      `${o.file}: ${((done / Math.max(1, size)) * 100).toFixed(1)}% (${human(done)} / ${human(size)}), ` +
      `${res.keys} keys, ${Math.round(res.keys / Math.max(secs, 0.001))} keys/s, ` +
      `${res.expired} expired skipped, ${pipe.errors} errors`;
    log(tty ? `\r\x1b[2K${line}${final ? "\n" : ""}` : `${line}\n`);
  };
  try {
    if (o.password !== null) pipe.send(o.user !== null ? ["AUTH", o.user, o.password] : ["AUTH", o.password]);
    let db = -1;
    const opts = DEFAULT_OPTIONS;
    const events = {
      func: (code: Uint8Array) => {
        const w = payloadWriter(opts);
        w.byte(RDB_OPCODE_FUNCTION2);
        w.stringBytes(code);
        pipe.send(["FUNCTION", "RESTORE", sealPayload(w), "REPLACE"]);
        res.functions++;
      },
      key: (k: LoadedKey) => {
        if (k.expire !== undefined && k.expire <= Date.now()) {
          res.expired++;
          return;
        }
        if (k.db !== db) {
          db = k.db;
          pipe.send(["SELECT", String(db)]);
        }
        const args: (string | Uint8Array)[] = ["RESTORE", k.key, k.expire !== undefined ? String(k.expire) : "0", dumpPayload(k.value, opts)];
        if (o.replace) args.push("REPLACE");
        if (k.expire !== undefined) args.push("ABSTTL");
        if (k.idle >= 0) args.push("IDLETIME", String(k.idle));
        else if (k.freq >= 0) args.push("FREQ", String(k.freq));
        pipe.send(args);
        res.keys++;
      },
    };
    for (;;) {
      const eof = reader.step(events, 256);
      await pipe.flush(o.window);
      show(false);
      if (eof) break;
    }
    await pipe.flush(0);
  } finally {
    pipe.close();
  }
  res.errors = pipe.errors;
  res.firstErrors = pipe.firstErrors;
  res.seconds = (performance.now() - start) / 1000;
  show(true);
  return res;
}
