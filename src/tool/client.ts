// A small pipelining RESP client for aikv-tool: sends commands, parses whole replies (bulk
// strings as Buffers, arrays, integers, nulls, errors) in order.

import { connect, type Socket } from "node:net";

export type Reply = Buffer | string | number | null | Reply[] | ReplyError;

export class ReplyError {
  constructor(readonly message: string) {}
}

function encode(args: (string | Uint8Array)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? Buffer.from(a, "latin1") : Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `pos`; returns [value, next position] or null when incomplete. */
function parse(b: Buffer, pos: number): [Reply, number] | null {
  if (pos >= b.length) return null;
  const nl = b.indexOf("\r\n", pos);
  if (nl < 0) return null;
  const head = b.toString("latin1", pos + 1, nl);
  const at = nl + 2;
  switch (b[pos]) {
    case 43: // +
      return [head, at];
    case 45: // -
      return [new ReplyError(head), at];
    case 58: // :
      return [Number(head), at];
    case 36: {
      // $
      const n = Number(head);
      if (n < 0) return [null, at];
      if (at + n + 2 > b.length) return null;
      return [b.subarray(at, at + n), at + n + 2];
    }
    case 42: {
      // *
      const n = Number(head);
      if (n < 0) return [null, at];
      const out: Reply[] = [];
      let p = at;
      for (let i = 0; i < n; i++) {
        const r = parse(b, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
  }
  throw new Error(`unexpected reply byte ${b[pos]}`);
}

export class RespClient {
  private buf: Buffer = Buffer.alloc(0);
  private pending: ((r: Reply) => void)[] = [];
  private failed: Error | null = null;

  private constructor(private readonly sock: Socket) {
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.onData(d));
    sock.on("error", (e: Error) => this.fail(e));
    sock.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  static open(host: string, port: number): Promise<RespClient> {
    return new Promise((res, rej) => {
      const s = connect({ host, port });
      s.once("connect", () => res(new RespClient(s)));
      s.once("error", rej);
    });
  }

  private fail(e: Error): void {
    this.failed ??= e;
    const p = this.pending;
    this.pending = [];
    for (const f of p) f(new ReplyError(e.message));
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let pos = 0;
    for (;;) {
      const r = parse(this.buf, pos);
      if (r === null) break;
      pos = r[1];
      this.pending.shift()?.(r[0]);
    }
    this.buf = this.buf.subarray(pos);
  }

  /** Sends a command; resolves with its reply (errors come back as ReplyError values). */
  call(...args: (string | Uint8Array)[]): Promise<Reply> {
    if (this.failed) return Promise.resolve(new ReplyError(this.failed.message));
    return new Promise((res) => {
      this.pending.push(res);
      this.sock.write(encode(args));
    });
  }

  close(): void {
    this.sock.end();
  }
}
