// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH, the shard variants
// SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, and PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARDCHANNELS/SHARDNUMSUB.
// The hub (src/pubsub/hub.ts) keeps the subscriptions; it also receives keyspace events.

import { fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { propagateAs } from "../server/propagate.ts";
import { globMatch } from "../util/glob.ts";
import { hubOf, type Kind } from "../pubsub/hub.ts";
import { resetHooks } from "./connection.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

const copy = (u: Uint8Array): Uint8Array => Uint8Array.prototype.slice.call(u);

/** The count in (un)subscribe confirmations: channels + patterns, or shard channels. */
function countFor(c: Client, kind: Kind): number {
  if (kind === "shard") return c.shardChannels?.size ?? 0;
  return (c.channels?.size ?? 0) + (c.patterns?.size ?? 0);
}

const SUB_NAME: Record<Kind, string> = { channel: "subscribe", pattern: "psubscribe", shard: "ssubscribe" };
const UNSUB_NAME: Record<Kind, string> = { channel: "unsubscribe", pattern: "punsubscribe", shard: "sunsubscribe" };

function confirm(c: Client, what: string, name: string | null, kind: Kind): void {
  const o = c.out;
  o.push(3);
  o.bulk(what);
  if (name === null) o.nil();
  else o.bulk(name);
  o.int(countFor(c, kind));
}

function subscribeCmd(c: Client, a: Argv, kind: Kind): void {
  const hub = hubOf(c.srv);
  for (let i = 1; i < a.argc; i++) {
    const name = a.str(i);
    hub.subscribe(c, kind, name);
    confirm(c, SUB_NAME[kind], name, kind);
  }
}

function ownSet(c: Client, kind: Kind): Set<string> | null {
  return kind === "channel" ? c.channels : kind === "pattern" ? c.patterns : c.shardChannels;
}

function unsubscribeCmd(c: Client, a: Argv, kind: Kind): void {
  const hub = hubOf(c.srv);
  if (a.argc === 1) {
    const own = ownSet(c, kind);
    if (own === null || own.size === 0) {
      confirm(c, UNSUB_NAME[kind], null, kind);
      return;
    }
    for (const name of [...own]) {
      hub.unsubscribe(c, kind, name);
      confirm(c, UNSUB_NAME[kind], name, kind);
    }
    return;
  }
  for (let i = 1; i < a.argc; i++) {
    const name = a.str(i);
    hub.unsubscribe(c, kind, name);
    confirm(c, UNSUB_NAME[kind], name, kind);
  }
}

function listChannels(c: Client, idx: Map<string, Set<Client>>, a: Argv): void {
  if (a.argc > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${a.str(1)}'. Try PUBSUB HELP.`);
  const pat = a.argc > 2 ? a.str(2) : null;
  const out: string[] = [];
  for (const ch of idx.keys()) if (pat === null || globMatch(pat, ch)) out.push(ch);
  c.out.bulks(out, out.length);
}

function numSub(c: Client, idx: Map<string, Set<Client>>, a: Argv): void {
  c.out.arr((a.argc - 2) * 2);
  for (let i = 2; i < a.argc; i++) {
    const ch = a.str(i);
    c.out.bulk(ch);
    c.out.int(idx.get(ch)?.size ?? 0);
  }
}

const HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Channels that have at least one subscriber, optionally only those matching <pattern>.",
  "NUMPAT",
  "    How many distinct patterns clients are subscribed to.",
  "NUMSUB [<channel> ...]",
  "    For each channel, how many clients subscribe to it (pattern subscriptions not counted).",
  "SHARDCHANNELS [<pattern>]",
  "    Shard channels that have at least one subscriber, optionally only those matching <pattern>.",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    For each shard channel, how many clients subscribe to it.",
  "HELP",
  "    Print this help.",
];

export const handlers: Handlers = {
  subscribe(c, a) {
    subscribeCmd(c, a, "channel");
  },
  psubscribe(c, a) {
    subscribeCmd(c, a, "pattern");
  },
  ssubscribe(c, a) {
    subscribeCmd(c, a, "shard");
  },
  unsubscribe(c, a) {
    unsubscribeCmd(c, a, "channel");
  },
  punsubscribe(c, a) {
    unsubscribeCmd(c, a, "pattern");
  },
  sunsubscribe(c, a) {
    unsubscribeCmd(c, a, "shard");
  },

  publish(c, a) {
    const n = hubOf(c.srv).publish(a.str(1), a.bytes(2));
    // Replicas deliver the message to their own subscribers.
    propagateAs(c, ["PUBLISH", copy(a.bytes(1)), copy(a.bytes(2))]);
    c.out.int(n);
  },

  spublish(c, a) {
    const n = hubOf(c.srv).spublish(a.str(1), a.bytes(2));
    propagateAs(c, ["SPUBLISH", copy(a.bytes(1)), copy(a.bytes(2))]);
    c.out.int(n);
  },

  "pubsub|channels"(c, a) {
    listChannels(c, hubOf(c.srv).channels, a);
  },
  "pubsub|shardchannels"(c, a) {
    listChannels(c, hubOf(c.srv).shard, a);
  },
  "pubsub|numsub"(c, a) {
    numSub(c, hubOf(c.srv).channels, a);
  },
  "pubsub|shardnumsub"(c, a) {
    numSub(c, hubOf(c.srv).shard, a);
  },
  "pubsub|numpat"(c) {
    c.out.int(hubOf(c.srv).patterns.size);
  },
  "pubsub|help"(c) {
    helpReply(c, HELP);
  },
};

export function install(srv: Server): void {
  const hub = hubOf(srv);
  srv.hooks.publish = (channel, message) => hub.publish(channel, message);
  srv.hooks.clientClosed.push((c) => hub.dropClient(c));
  srv.hooks.pubsubCounts = () => ({ channels: hub.channels.size, patterns: hub.patterns.size, shard: hub.shard.size });
}

resetHooks.push((c) => hubOf(c.srv).dropClient(c));
