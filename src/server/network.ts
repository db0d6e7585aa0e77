// Sockets: Bun.listen per bind address, the read -> parse -> dispatch loop, one socket write
// per received chunk, and backpressure (input pauses while a client's unsent output is large).

import type { Socket, TCPSocketListener } from "bun";
import { Parse, type ParserLimits } from "../resp/parser.ts";
import { prefetchBatch } from "./prefetch.ts";
import { CF, Client } from "./client.ts";
import type { Server } from "./context.ts";
import { processCommand } from "./dispatch.ts";

/** Stop reading a client's requests while this much of its output is unsent. */
const PAUSE_OUTPUT = 16 * 1024 * 1024;
/** Write out a reply buffer early when a long pipeline makes it this big. */
const EARLY_FLUSH = 1024 * 1024;

type Sock = Socket<Client>;

/** A real copy (Buffer#slice only makes a view, and the reply buffer is reused). */
function copyOf(b: Uint8Array, s: number, e: number): Uint8Array {
  return Uint8Array.prototype.slice.call(b, s, e);
}

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export class Network {
  private listeners: TCPSocketListener<Client>[] = [];
  private readonly lim: ParserLimits = { maxBulk: 0, unauthenticated: false };
  bind: string[] = [];
  port = 0;
  /** SO_REUSEPORT on the listeners (shard workers share the port). */
  reusePort = false;
  /**
   * Durability (src/engine/wal.ts): takes a client's reply while the writes it may reflect are
   * not yet in the WAL (fsynced, with appendfsync always); it hands the bytes back to send().
   * Returns true when it kept the reply.
   */
  hold: ((c: Client) => boolean) | null = null;
  /** client-output-buffer-limit classes (from the config; CONFIG SET replaces them) */
  outputLimits: Record<"normal" | "replica" | "pubsub", OutputLimit>;

  constructor(readonly srv: Server) {
    this.outputLimits = srv.cfg.get("client-output-buffer-limit");
  }

  /** Opens listeners; throws with a clear message if an address cannot be bound. */
  listen(bind: string[], port: number): void {
    // no address (bind "") means Redis's default: every IPv4 and, if available, IPv6 address
    if (bind.length === 0) bind = ["*", "-::*"];
    const opened: TCPSocketListener<Client>[] = [];
    for (const raw of bind) {
      const optional = raw.startsWith("-");
      let host = optional ? raw.slice(1) : raw;
      if (host === "*") host = "0.0.0.0";
      else if (host === "::*") host = "::";
      try {
        opened.push(this.open(host, port));
      } catch (e) {
        if (optional) continue;
        for (const l of opened) l.stop(true);
        throw new Error(`Could not create server TCP listening socket ${host}:${port}: ${(e as Error).message}`);
      }
    }
    this.listeners = opened;
    this.bind = bind;
    this.port = opened[0]?.port ?? port;
  }

  private open(hostname: string, port: number): TCPSocketListener<Client> {
    const net = this;
    return Bun.listen<Client>({
      hostname,
      port,
      // SO_REUSEPORT (shard workers): accepted by Bun.listen, missing from bun-types' options
      ...(this.reusePort ? ({ reusePort: true } as object) : {}),
      socket: {
        open(sock) {
          net.accept(sock);
        },
        data(sock, chunk) {
          const c = sock.data;
          if (c === undefined) return;
          c.srv.stats.netInput += chunk.length;
          c.srv.stats.ioReads++;
          c.parser.feed(chunk);
          net.process(c);
        },
        drain(sock) {
          if (sock.data) net.drain(sock.data);
        },
        close(sock) {
          if (sock.data) net.srv.clientClosed(sock.data);
        },
        error(sock, err) {
          net.srv.log.verbose(`Client error: ${err.message}`);
          if (sock.data) net.srv.clientClosed(sock.data);
        },
      },
    });
  }

  private accept(sock: Sock): void {
    const srv = this.srv;
    if (srv.clients.size >= srv.cfg.num("maxclients")) {
      srv.stats.rejectedConnections++;
      sock.write("-ERR max number of clients reached\r\n");
      sock.end();
      return;
    }
    const c = srv.newClient();
    c.sock = sock;
    c.addr = `${sock.remoteAddress}:${sock.remotePort}`;
    c.laddr = `${sock.localAddress}:${sock.localPort}`;
    c.fd = (sock as unknown as { fd: number }).fd ?? -1;
    sock.data = c;
    sock.setNoDelay?.(true);
  }

  /** Runs every complete command buffered for a client, then writes the replies once. */
  process(c: Client): void {
    const srv = this.srv;
    const p = c.parser;
    const lim = this.lim;
    lim.maxBulk = srv.limits.maxBulk;
    const t = performance.now();
    srv.clock = t;
    srv.ks.setNow(srv.ks.clockOffset + t);
    // the batch's clock, not Date.now(): that costs more than a GET
    c.lastInteraction = srv.ks.now;
    prefetchBatch(c);
    for (;;) {
      if (c.flags & (CF.BLOCKED | CF.CLOSE_AFTER_REPLY | CF.CLOSE_ASAP)) break;
      if (c.pendingBytes > PAUSE_OUTPUT) {
        c.sock?.pause();
        c.inputPaused = true;
        break;
      }
      lim.unauthenticated = !c.authenticated;
      const r = p.next(lim);
      if (r === Parse.Incomplete) break;
      if (r === Parse.Error) {
        srv.log.verbose(`Protocol error (${p.error}) from client: ${c.addr}`);
        c.out.error(`ERR ${p.error}`);
        c.flags |= CF.CLOSE_AFTER_REPLY;
        break;
      }
      const mark = c.out.n;
      processCommand(c, p.argv);
      if (c.flags & (CF.REPLY_OFF | CF.REPLY_SKIP | CF.REPLY_SKIP_NEXT)) this.replyFlags(c, mark);
      if (c.out.n > EARLY_FLUSH) this.flush(c);
    }
    p.retain();
    if (p.pending > srv.limits.queryBuf) {
      srv.log.warning(`Closing client that reached max query buffer length: ${c.addr} (qbuf=${p.pending})`);
      srv.stats.clientQbufLimitDisconnections++;
      this.close(c);
      return;
    }
    this.flush(c);
    if (srv.dirty.size !== 0) srv.flushDirty();
  }

  /**
   * CLIENT REPLY OFF/SKIP, judged after each command like Redis's resetClient: the reply is
   * dropped while OFF or SKIP is set; SKIP lasts one command; SKIP_NEXT becomes SKIP.
   */
  private replyFlags(c: Client, mark: number): void {
    if (c.flags & (CF.REPLY_OFF | CF.REPLY_SKIP)) c.out.rewind(mark);
    c.flags &= ~CF.REPLY_SKIP;
    if (c.flags & CF.REPLY_SKIP_NEXT) {
      c.flags &= ~CF.REPLY_SKIP_NEXT;
      c.flags |= CF.REPLY_SKIP;
    }
  }

  /** Sends what a client's reply buffer holds; keeps what the socket does not take. */
  flush(c: Client): void {
    if (c.shard !== null) c.shard.hold(c);
    const out = c.out;
    const sock = c.sock;
    if (sock === null) {
      out.n = 0;
      return;
    }
    if (this.hold !== null && this.hold(c)) return;
    if (out.n !== 0) {
      const n = out.n;
      out.n = 0;
      if (!this.send(c, out.b, n)) return;
      out.shrink();
    }
    if (c.flags & CF.CLOSE_AFTER_REPLY && c.pendingBytes === 0) sock.end();
  }

  /** Writes reply bytes b[0..n) to a client (or queues what the socket does not take). */
  send(c: Client, b: Uint8Array, n: number): boolean {
    const sock = c.sock!;
    this.srv.stats.netOutput += n;
    if (c.pendingOut.length === 0) {
      this.srv.stats.ioWrites++;
      const w = sock.write(b, 0, n);
      if (w < n && w >= 0) {
        c.pendingOut.push(copyOf(b, w, n));
        c.pendingBytes += n - w;
      }
    } else {
      c.pendingOut.push(copyOf(b, 0, n));
      c.pendingBytes += n;
    }
    return !(c.pendingBytes !== 0 && this.overLimit(c));
  }

  /** Sends reply bytes kept back by `hold` (then closes the client if it asked for it). */
  release(c: Client, b: Uint8Array): void {
    const sock = c.sock;
    if (sock === null || c.flags & CF.CLOSE_ASAP) return;
    if (b.length !== 0 && !this.send(c, b, b.length)) return;
    if (c.flags & CF.CLOSE_AFTER_REPLY && c.pendingBytes === 0) sock.end();
  }

  /** client-output-buffer-limit: disconnects a client whose unsent output is too large. */
  private overLimit(c: Client): boolean {
    const cls = c.flags & CF.PUBSUB || c.subCount > 0 ? "pubsub" : c.flags & CF.REPLICA ? "replica" : "normal";
    const l = this.outputLimits[cls];
    const used = c.pendingBytes;
    let over = l.hard > 0 && used >= l.hard;
    if (!over && l.soft > 0 && used >= l.soft) {
      const now = Date.now();
      if (c.softLimitSince === 0) c.softLimitSince = now;
      else if (now - c.softLimitSince >= l.softSeconds * 1000) over = true;
    } else if (used < l.soft) c.softLimitSince = 0;
    if (!over) return false;
    this.srv.log.warning(`Client ${c.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`);
    this.srv.stats.clientOutbufLimitDisconnections++;
    c.flags |= CF.CLOSE_ASAP;
    this.close(c);
    return true;
  }

  private drain(c: Client): void {
    const sock = c.sock;
    if (sock === null) return;
    while (c.pendingOut.length !== 0) {
      const buf = c.pendingOut[0]!;
      const w = sock.write(buf);
      if (w < 0) return;
      if (w < buf.length) {
        c.pendingOut[0] = buf.subarray(w);
        c.pendingBytes -= w;
        return;
      }
      c.pendingOut.shift();
      c.pendingBytes -= buf.length;
    }
    c.softLimitSince = 0;
    if (c.flags & CF.CLOSE_AFTER_REPLY) {
      sock.end();
      return;
    }
    if (c.inputPaused) {
      c.inputPaused = false;
      sock.resume();
      this.process(c);
    }
  }

  /** Closes a client now (CLIENT KILL, limits, timeouts, SHUTDOWN). */
  close(c: Client): void {
    c.flags |= CF.CLOSE_ASAP;
    const sock = c.sock;
    this.srv.clientClosed(c);
    sock?.terminate();
  }

  /** Continues a client whose input was held (unblocked, unpaused). */
  resume(c: Client): void {
    if (c.sock === null || c.flags & CF.CLOSE_ASAP) return;
    queueMicrotask(() => {
      if (c.flags & (CF.BLOCKED | CF.CLOSE_ASAP)) return;
      this.process(c);
    });
  }

  /** CONFIG SET port/bind: reopen listeners, restoring the old ones if the new fail. */
  rebind(opts: { port?: number; bind?: string[] }): string | void {
    const oldBind = this.bind;
    const oldPort = this.port;
    for (const l of this.listeners) l.stop(false);
    try {
      this.listen(opts.bind ?? oldBind, opts.port ?? oldPort);
    } catch (e) {
      this.listen(oldBind, oldPort);
      return (e as Error).message;
    }
  }

  stop(): void {
    for (const l of this.listeners) l.stop(true);
    this.listeners = [];
  }
}
