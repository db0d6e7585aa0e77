// A raw RESP connection for tests: sends commands (or arbitrary bytes) and returns each
// reply's exact bytes, so AiKv and redis-server can be compared byte for byte.

import type { Socket } from "bun";

/** Length of the first complete RESP value in b[from..], or -1 if incomplete. */
export function replyLength(b: Uint8Array, from = 0): number {
  const line = (i: number) => {
    for (let j = i; j + 1 < b.length; j++) if (b[j] === 13 && b[j + 1] === 10) return j;
    return -1;
  };
  const value = (i: number): number => {
    if (i >= b.length) return -1;
    const t = String.fromCharCode(b[i]!);
    const e = line(i);
    if (e < 0) return -1;
    const head = new TextDecoder().decode(b.subarray(i + 1, e));
    const after = e + 2;
    switch (t) {
      case "+": case "-": case ":": case "_": case ",": case "#": case "(":
        return after;
      case "$": case "=": case "!": {
        const n = parseInt(head, 10);
        if (n < 0) return after;
        return after + n + 2 <= b.length ? after + n + 2 : -1;
      }
      case "*": case "~": case ">": case "%": case "|": {
        let n = parseInt(head, 10);
        if (n < 0) return after;
        if (t === "%" || t === "|") n *= 2;
        let p = after;
        for (let k = 0; k < n; k++) {
          p = value(p);
          if (p < 0) return -1;
        }
        // An attribute is followed by the value it describes.
        return t === "|" ? value(p) : p;
      }
      default:
        // Not RESP (e.g. a server that closed after writing text): take the line.
        return after;
    }
  };
  const end = value(from);
  return end < 0 ? -1 : end - from;
}

/** A command in RESP (string arguments as latin1). */
export function encode(args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

export class RespConn {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(private sock: Socket<undefined>) {}

  static async connect(port: number, host = "127.0.0.1"): Promise<RespConn> {
    let conn!: RespConn;
    const sock = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data(_s, d) {
          conn.buf = Buffer.concat([conn.buf, d]);
          conn.wake();
        },
        drain() {
          conn.pump();
        },
        close() {
          conn.closed = true;
          conn.wake();
        },
        error() {
          conn.closed = true;
          conn.wake();
        },
      },
    });
    conn = new RespConn(sock);
    return conn;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitData(ms: number): Promise<boolean> {
    if (this.closed) return false;
    return new Promise((res) => {
      const t = setTimeout(() => res(false), ms);
      this.waiters.push(() => {
        clearTimeout(t);
        res(true);
      });
    });
  }

  /** Bytes the socket has not taken yet (Bun's write can be partial). */
  private outq: Uint8Array[] = [];

  private pump(): void {
    while (this.outq.length) {
      const b = this.outq[0]!;
      const w = this.sock.write(b);
      if (w < 0) return;
      if (w < b.length) {
        this.outq[0] = b.subarray(w);
        return;
      }
      this.outq.shift();
    }
  }

  writeRaw(b: string | Uint8Array): void {
    this.outq.push(typeof b === "string" ? Buffer.from(b, "latin1") : b);
    if (this.outq.length === 1) this.pump();
  }

  send(...args: (string | Uint8Array)[]): void {
    this.writeRaw(encode(args));
  }

  /** Next complete reply's bytes (latin1 string); throws on timeout or close. */
  async read(ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const n = replyLength(this.buf);
      if (n >= 0) {
        const r = this.buf.subarray(0, n).toString("latin1");
        this.buf = this.buf.subarray(n);
        return r;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) throw new Error(`no reply (closed=${this.closed}, buffered=${JSON.stringify(this.buf.toString("latin1"))})`);
      await this.waitData(left);
    }
  }

  /** Sends a command and returns its raw reply. */
  async call(...args: (string | Uint8Array)[]): Promise<string> {
    this.send(...args);
    return this.read();
  }

  /** Everything received until the peer closes (or ms pass). */
  async readUntilClose(ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await this.waitData(deadline - Date.now());
    const r = this.buf.toString("latin1");
    this.buf = Buffer.alloc(0);
    return r;
  }

  /** True if nothing arrives within ms. */
  async silent(ms = 100): Promise<boolean> {
    if (this.buf.length) return false;
    await this.waitData(ms);
    return this.buf.length === 0;
  }

  close(): void {
    this.sock.end();
  }
}

/** Flattens a multi-bulk reply into its bulk strings (nested arrays flattened). */
export function items(reply: string): string[] {
  const out: string[] = [];
  let i = 0;
  const line = () => {
    const e = reply.indexOf("\r\n", i);
    const s = reply.slice(i, e);
    i = e + 2;
    return s;
  };
  const value = (): void => {
    const h = line();
    const t = h[0];
    if (t === "*" || t === "~" || t === "%") {
      let n = parseInt(h.slice(1), 10);
      if (t === "%") n *= 2;
      for (let k = 0; k < n; k++) value();
    } else if (t === "$") {
      const n = parseInt(h.slice(1), 10);
      if (n < 0) return;
      out.push(reply.slice(i, i + n));
      i += n + 2;
    } else out.push(h);
  };
  value();
  return out;
}
