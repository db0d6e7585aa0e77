// Shared pieces of the benchmarks that drive AiKv and redis-server side by side: command-line
// sizes, a pipelining client that counts replies without parsing them, and the ops/s table.

import { parseArgs } from "node:util";
import { startAikv, startRedis, type Running } from "../test/helpers/servers.ts";

export { prng } from "../test/helpers/random.ts";
export { DEFAULT_LIMITS } from "../test/helpers/limits.ts";

/** --n (collection size), --ops (operations per test) and --pipeline, plus the extra string options given. */
export function sizeArgs<E extends string = never>(defaults: { n: string; ops: string; pipeline: string }, extra: Record<E, string> = {} as Record<E, string>) {
  const options: Record<string, { type: "string"; default: string }> = {};
  for (const [k, v] of Object.entries({ ...defaults, ...extra })) options[k] = { type: "string", default: v as string };
  const { values } = parseArgs({ options });
  return { N: Number(values.n), OPS: Number(values.ops), PIPE: Number(values.pipeline), opt: values as Record<"n" | "ops" | "pipeline" | E, string> };
}

/** A command in RESP (arguments are latin1 strings). */
export function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return s;
}

/** Counts complete top-level RESP replies in a byte stream (nested aggregates included). */
export class ReplyCounter {
  private stack: number[] = [];
  private bulkLeft = -1;
  /** header line split across chunks: type byte and number so far */
  private type = 0;
  private num = 0;
  private neg = false;
  private inLine = false;
  /** the text of the error line being read, while fewer than 5 are kept */
  private errLine: string | null = null;
  done = 0;
  errors = 0;
  /** the first few error replies */
  errorLines: string[] = [];

  feed(b: Uint8Array): void {
    let i = 0;
    const n = b.length;
    while (i < n) {
      if (this.bulkLeft >= 0) {
        const take = Math.min(this.bulkLeft, n - i);
        this.bulkLeft -= take;
        i += take;
        if (this.bulkLeft === 0) {
          this.bulkLeft = -1;
          this.value();
        }
        continue;
      }
      if (!this.inLine) {
        this.type = b[i++]!;
        this.num = 0;
        this.neg = false;
        this.inLine = true;
        if (this.type === 45) {
          this.errors++;
          if (this.errorLines.length < 5) this.errLine = "-";
        }
        continue;
      }
      const c = b[i++]!;
      if (c === 10) {
        this.inLine = false;
        if (this.errLine !== null) {
          this.errorLines.push(this.errLine.replace(/\r$/, ""));
          this.errLine = null;
        }
        const t = this.type;
        const v = this.neg ? -this.num : this.num;
        if (t === 36 || t === 61) {
          if (v < 0) this.value();
          else this.bulkLeft = v + 2;
        } else if (t === 42 || t === 126 || t === 62 || t === 37) {
          const k = t === 37 ? v * 2 : v;
          if (k <= 0) this.value();
          else this.stack.push(k);
        } else this.value();
      } else {
        if (this.errLine !== null) this.errLine += String.fromCharCode(c);
        if (c >= 48 && c <= 57) this.num = this.num * 10 + (c - 48);
        else if (c === 45) this.neg = true;
      }
    }
  }

  private value(): void {
    while (this.stack.length) {
      const top = this.stack.length - 1;
      if (--this.stack[top]! > 0) return;
      this.stack.pop();
    }
    this.done++;
  }
}

/** A connection that sends commands pipelined and waits for their replies. */
export class Conn {
  readonly replies = new ReplyCounter();
  private wake: (() => void) | null = null;
  private drained: (() => void) | null = null;
  private constructor(private sock: import("bun").Socket<undefined>) {}

  static async open(port: number): Promise<Conn> {
    let c!: Conn;
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data(_s, d) {
          c.replies.feed(d);
          c.wake?.();
        },
        drain() {
          c.drained?.();
        },
      },
    });
    c = new Conn(sock);
    return c;
  }

  /** Sends every command, `pipe` at a time, and waits for all replies. */
  async run(cmds: Iterable<string[]>, pipe: number): Promise<void> {
    let batch = "";
    let inBatch = 0;
    for (const cmd of cmds) {
      batch += encode(cmd);
      if (++inBatch === pipe) {
        await this.flush(batch, inBatch);
        batch = "";
        inBatch = 0;
      }
    }
    if (inBatch) await this.flush(batch, inBatch);
  }

  private async flush(payload: string, n: number): Promise<void> {
    const want = this.replies.done + n;
    // A socket write may take only part of a big payload: send the rest on "drain".
    let buf = Buffer.from(payload, "latin1");
    for (;;) {
      const w = this.sock.write(buf);
      if (w >= buf.length) break;
      buf = buf.subarray(Math.max(0, w));
      await new Promise<void>((res) => (this.drained = res));
      this.drained = null;
    }
    while (this.replies.done < want) await new Promise<void>((res) => (this.wake = res));
    this.wake = null;
  }

  close(): void {
    this.sock.end();
  }
}

/** Sends `cmds` pipelined on a new connection and returns the seconds taken. */
export async function timePipelined(port: number, cmds: string[][], pipe: number): Promise<number> {
  const c = await Conn.open(port);
  const t0 = performance.now();
  await c.run(cmds, pipe);
  const secs = (performance.now() - t0) / 1000;
  c.close();
  if (c.replies.errors) console.log(`  (${c.replies.errors} error replies)`);
  return secs;
}

/**
 * Runs every workload on AiKv and on redis-server (pipelined) and prints ops/s per server
 * and the AiKv/redis ratio under `title`; `width` is the name column's.
 */
export async function sideBySide(title: string, width: number, pipe: number, workloads: () => [string, string[][]][]): Promise<void> {
  const servers: [string, Running][] = [];
  servers.push(["aikv", await startAikv()]);
  servers.push(["redis", await startRedis()]);
  try {
    const results = new Map<string, Map<string, number>>();
    for (const [name, cmds] of workloads()) {
      const row = new Map<string, number>();
      for (const [sname, s] of servers) {
        const secs = await timePipelined(s.port, cmds, pipe);
        row.set(sname, cmds.length / secs);
      }
      results.set(name, row);
    }
    console.log(`\n${title} (ops/s):`);
    console.log(`${"test".padEnd(width)}${"aikv".padStart(12)}${"redis".padStart(12)}${"ratio".padStart(8)}`);
    for (const [name, row] of results) {
      const a = row.get("aikv")!;
      const b = row.get("redis")!;
      console.log(`${name.padEnd(width)}${a.toFixed(0).padStart(12)}${b.toFixed(0).padStart(12)}${(a / b).toFixed(2).padStart(8)}`);
    }
  } finally {
    for (const [, s] of servers) await s.stop();
  }
}

/** One test's line of `redis-benchmark --csv`: requests/s and latencies (ms). */
export interface BenchRow {
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Runs `redis-benchmark -p port -q --csv ...args` and returns its rows by test name. A failed
 * run (redis-benchmark 7 exits on an error reply) throws with its output.
 */
export function redisBenchmark(port: number, args: string[]): Map<string, BenchRow> {
  const cmd = ["redis-benchmark", "-p", String(port), "-q", "--csv", ...args];
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  const out = r.stdout.toString();
  if (r.exitCode !== 0) throw new Error(`redis-benchmark failed (${r.exitCode}): ${cmd.join(" ")}\n${r.stderr}\n${out}`);
  const rows = new Map<string, BenchRow>();
  for (const line of out.split("\n")) {
    const cells = line.split(",").map((c) => c.replace(/"/g, ""));
    if (cells.length < 8 || cells[0] === "test") continue;
    rows.set(cells[0]!, { rps: Number(cells[1]), p50: Number(cells[4]), p99: Number(cells[6]), max: Number(cells[7]) });
  }
  return rows;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export function geomean(xs: number[]): number {
  return Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
}
