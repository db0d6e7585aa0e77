// The writer of the crash tests (crash.test.ts, bench/lsm-crash.ts): a child process that
// pipelines a deterministic sequence of writes (op i is a function of i alone) over one
// connection and reports how many were acknowledged, after every batch of replies, on stdout
// ("acked <n>" lines). It stops when the server goes away.
//
//   bun test/integration/crash-writer.ts <port> <first op> [window]

/** Op i of the sequence (SET / INCR / HSET / LPUSH / ZADD in turn). */
export function op(i: number): string[] {
  switch (i % 5) {
    case 0:
      return ["SET", `s:${(i * 7) % 500}`, `v${i}`];
    case 1:
      return ["INCR", "counter"];
    case 2:
      return ["HSET", `h:${i % 40}`, `f${(i * 3) % 25}`, String(i)];
    case 3:
      return ["LPUSH", "list", String(i)];
    default:
      return ["ZADD", "zset", String(i), `m${i % 300}`];
  }
}

export function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** The keyspace after ops [0, n): key -> canonical text (see canonical() in crash.test.ts). */
export class Model {
  strings = new Map<string, string>();
  counter = 0;
  hashes = new Map<string, Map<string, string>>();
  list: string[] = [];
  zset = new Map<string, number>();
  n = 0;

  apply(i: number): void {
    const a = op(i);
    switch (i % 5) {
      case 0:
        this.strings.set(a[1]!, a[2]!);
        break;
      case 1:
        this.counter++;
        break;
      case 2: {
        let h = this.hashes.get(a[1]!);
        if (!h) this.hashes.set(a[1]!, (h = new Map()));
        h.set(a[2]!, a[3]!);
        break;
      }
      case 3:
        this.list.unshift(a[2]!);
        break;
      default:
        this.zset.set(a[3]!, Number(a[2]));
    }
    this.n = i + 1;
  }

  /** The whole state as sorted lines. */
  dump(): string[] {
    const out: string[] = [];
    for (const [k, v] of this.strings) out.push(`string ${k} ${v}`);
    if (this.counter) out.push(`string counter ${this.counter}`);
    for (const [k, h] of this.hashes) out.push(`hash ${k} ${[...h].map(([f, v]) => `${f}=${v}`).sort().join(",")}`);
    if (this.list.length) out.push(`list list ${this.list.join(",")}`);
    if (this.zset.size) out.push(`zset zset ${[...this.zset].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1)).map(([m, s]) => `${m}=${s}`).join(",")}`);
    return out.sort();
  }
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  let next = Number(process.argv[3] ?? 0);
  const window = Number(process.argv[4] ?? 64);
  let acked = next;
  let inflight = 0;
  let buf = "";
  let closed = false;
  const report = () => process.stdout.write(`acked ${acked}\n`);
  let sock: Awaited<ReturnType<typeof Bun.connect>> | null = null;
  const pump = (): void => {
    if (closed || sock === null) return;
    let out = "";
    while (inflight < window) {
      out += encode(op(next++));
      inflight++;
    }
    if (out) sock.write(out);
  };
  await new Promise<void>((resolve) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          sock = s;
          pump();
        },
        data(_s, d) {
          buf += d.toString("latin1");
          let n = 0;
          let p = 0;
          for (;;) {
            const e = buf.indexOf("\r\n", p);
            if (e < 0) break;
            if (buf[p] === "-") {
              process.stderr.write(`error reply: ${buf.slice(p, e)}\n`);
              process.exit(3);
            }
            p = e + 2;
            n++;
          }
          buf = buf.slice(p);
          acked += n;
          inflight -= n;
          report();
          pump();
        },
        close() {
          closed = true;
          report();
          resolve();
        },
        error() {
          closed = true;
          resolve();
        },
        connectError() {
          closed = true;
          resolve();
        },
      },
    }).catch(() => resolve());
  });
  process.exit(0);
}

if (import.meta.main) await main();
