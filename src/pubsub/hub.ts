// The pub/sub hub: who listens to which channel, pattern and shard channel, and message
// delivery. Subscribers receive messages in their reply buffer (a RESP3 push or a RESP2 array)
// and are flushed at the end of the tick (Server.markDirty); a subscriber that does not read is
// cut off by client-output-buffer-limit pubsub in the network layer.

import type { Client } from "../server/client.ts";
import { CF } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { globMatch } from "../util/glob.ts";

export type Kind = "channel" | "pattern" | "shard";

export class PubSubHub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shard = new Map<string, Set<Client>>();

  constructor(readonly srv: Server) {}

  private index(kind: Kind): Map<string, Set<Client>> {
    return kind === "channel" ? this.channels : kind === "pattern" ? this.patterns : this.shard;
  }

  /** Adds a subscription; false if the client already had it. */
  subscribe(c: Client, kind: Kind, name: string): boolean {
    let own: Set<string>;
    if (kind === "channel") own = c.channels ??= new Set();
    else if (kind === "pattern") own = c.patterns ??= new Set();
    else own = c.shardChannels ??= new Set();
    if (own.has(name)) return false;
    own.add(name);
    const idx = this.index(kind);
    let set = idx.get(name);
    if (set === undefined) idx.set(name, (set = new Set()));
    set.add(c);
    c.flags |= CF.PUBSUB;
    return true;
  }

  /** Removes a subscription; false if the client did not have it. */
  unsubscribe(c: Client, kind: Kind, name: string): boolean {
    const own = kind === "channel" ? c.channels : kind === "pattern" ? c.patterns : c.shardChannels;
    if (own === null || !own.delete(name)) return false;
    const idx = this.index(kind);
    const set = idx.get(name);
    if (set !== undefined) {
      set.delete(c);
      if (set.size === 0) idx.delete(name);
    }
    if (c.subCount === 0) c.flags &= ~CF.PUBSUB;
    return true;
  }

  /** Drops every subscription of a client (disconnect, RESET). */
  dropClient(c: Client): void {
    if (c.channels) for (const ch of [...c.channels]) this.unsubscribe(c, "channel", ch);
    if (c.patterns) for (const p of [...c.patterns]) this.unsubscribe(c, "pattern", p);
    if (c.shardChannels) for (const ch of [...c.shardChannels]) this.unsubscribe(c, "shard", ch);
    c.flags &= ~CF.PUBSUB;
  }

  /** PUBLISH: delivers to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string | Uint8Array): number {
    let n = 0;
    const srv = this.srv;
    const subs = this.channels.get(channel);
    if (subs !== undefined) {
      for (const c of subs) {
        const o = c.out;
        o.push(3);
        o.bulk("message");
        o.bulk(channel);
        if (typeof message === "string") o.bulk(message);
        else o.bulkBytes(message);
        srv.markDirty(c);
        n++;
      }
    }
    if (this.patterns.size !== 0) {
      for (const [pat, clients] of this.patterns) {
        if (!globMatch(pat, channel)) continue;
        for (const c of clients) {
          const o = c.out;
          o.push(4);
          o.bulk("pmessage");
          o.bulk(pat);
          o.bulk(channel);
          if (typeof message === "string") o.bulk(message);
          else o.bulkBytes(message);
          srv.markDirty(c);
          n++;
        }
      }
    }
    return n;
  }

  /** SPUBLISH: delivers to shard channel subscribers. */
  spublish(channel: string, message: Uint8Array): number {
    const subs = this.shard.get(channel);
    if (subs === undefined) return 0;
    for (const c of subs) {
      const o = c.out;
      o.push(3);
      o.bulk("smessage");
      o.bulk(channel);
      o.bulkBytes(message);
      this.srv.markDirty(c);
    }
    return subs.size;
  }
}

const hubs = new WeakMap<Server, PubSubHub>();

export function hubOf(srv: Server): PubSubHub {
  let h = hubs.get(srv);
  if (h === undefined) hubs.set(srv, (h = new PubSubHub(srv)));
  return h;
}
