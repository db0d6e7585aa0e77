// Every configuration parameter AiKv knows: Redis 7.0's names, aliases, defaults and limits,
// plus AiKv's own options. Parameters that only tune Redis internals are validated, stored
// and reported; they take effect where AiKv has an equivalent.

import { formatNotifyFlags, parseNotifyFlags } from "../store/notify.ts";
import type { Server } from "../server/context.ts";
import { IMMUTABLE, SENSITIVE, type ParamDef } from "./registry.ts";

const INT_MAX = 2147483647;
const LONG_MAX = Number.MAX_SAFE_INTEGER;

export function params(srv: Server): ParamDef[] {
  return [
    // ---- network ----
    { name: "port", type: "int", def: 6379, min: 0, max: 65535, flags: 0, apply: (v, c) => (c.startup ? undefined : srv.rebind({ port: v })) },
    {
      name: "bind",
      type: "custom",
      def: "127.0.0.1",
      parse: (raw) => raw.split(/\s+/).filter(Boolean),
      format: (v: string[]) => v.join(" "),
      apply: (v, c) => (c.startup ? undefined : srv.rebind({ bind: v })),
    },
    { name: "unixsocket", type: "str", def: "", flags: IMMUTABLE },
    { name: "unixsocketperm", type: "int", def: 0, min: 0, max: 0o777, flags: IMMUTABLE },
    { name: "tcp-backlog", type: "int", def: 511, min: 0, max: INT_MAX, flags: IMMUTABLE },
    { name: "tcp-keepalive", type: "int", def: 300, min: 0, max: INT_MAX },
    { name: "timeout", type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "protected-mode", type: "bool", def: true },
    { name: "maxclients", type: "int", def: 10000, min: 1, max: INT_MAX },
    { name: "proto-max-bulk-len", type: "mem", def: 512 * 1024 * 1024, min: 1024 * 1024, max: LONG_MAX, apply: (v) => void (srv.limits.maxBulk = v) },
    { name: "client-query-buffer-limit", type: "mem", def: 1024 * 1024 * 1024, min: 1024 * 1024, max: LONG_MAX, apply: (v) => void (srv.limits.queryBuf = v) },

    // ---- general ----
    { name: "databases", type: "int", def: 16, min: 1, max: INT_MAX, flags: IMMUTABLE },
    { name: "loglevel", type: "enum", def: "notice", values: ["debug", "verbose", "notice", "warning", "nothing"], apply: (v) => srv.log.setLevel(v) },
    { name: "logfile", type: "str", def: "", flags: IMMUTABLE, apply: (v) => srv.log.setFile(v) },
    { name: "daemonize", type: "bool", def: false, flags: IMMUTABLE },
    { name: "pidfile", type: "str", def: "", flags: IMMUTABLE },
    { name: "dir", type: "str", def: ".", apply: (v) => srv.setDir(v) },
    { name: "dbfilename", type: "str", def: "dump.rdb" },
    {
      name: "save",
      type: "custom",
      def: "3600 1 300 100 60 10000",
      parse: (raw) => {
        const parts = raw.split(/\s+/).filter(Boolean);
        if (parts.length % 2 !== 0) return { error: "Invalid save parameters" };
        for (const p of parts) if (!/^\d+$/.test(p)) return { error: "Invalid save parameters" };
        return parts.map(Number);
      },
      format: (v: number[]) => v.join(" "),
    },
    { name: "hz", type: "int", def: 10, min: 0, max: INT_MAX, apply: (v) => srv.setHz(v) },
    { name: "dynamic-hz", type: "bool", def: true },
    {
      name: "notify-keyspace-events",
      type: "custom",
      def: "",
      parse: (raw) => {
        const f = parseNotifyFlags(raw);
        return f < 0 ? { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." } : f;
      },
      format: (v: number) => formatNotifyFlags(v),
      apply: (v) => void (srv.ks.events.flags = v),
    },
    { name: "requirepass", type: "str", def: "", flags: SENSITIVE, apply: (v) => srv.setRequirePass(v) },

    // ---- slow log / latency ----
    { name: "slowlog-log-slower-than", type: "int", def: 10000, min: -1, max: LONG_MAX, apply: (v) => void (srv.slowlog.threshold = v) },
    { name: "slowlog-max-len", type: "int", def: 128, min: 0, max: LONG_MAX, apply: (v) => srv.slowlog.setMaxLen(v) },
    { name: "latency-monitor-threshold", type: "int", def: 0, min: 0, max: LONG_MAX, apply: (v) => void (srv.latency.threshold = v) },
    { name: "latency-tracking", type: "bool", def: true },
    {
      name: "latency-tracking-info-percentiles",
      type: "custom",
      def: "50 99 99.9",
      parse: (raw) => {
        const parts = raw.split(/\s+/).filter(Boolean).map(Number);
        if (parts.some((p) => Number.isNaN(p) || p < 0 || p > 100)) return { error: "latency-tracking-info-percentiles must be between 0 and 100" };
        return parts;
      },
      format: (v: number[]) => v.map((p) => String(p)).join(" "),
    },

    // ---- memory ----
    { name: "maxmemory", type: "mem", def: 0, min: 0, max: LONG_MAX },
    {
      name: "maxmemory-policy",
      type: "enum",
      def: "noeviction",
      values: ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"],
    },
    { name: "maxmemory-samples", type: "int", def: 5, min: 1, max: 64 },

    // ---- encodings (what OBJECT ENCODING reports) ----
    { name: "hash-max-listpack-entries", aliases: ["hash-max-ziplist-entries"], type: "int", def: 512, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.hashMaxListpackEntries = v) },
    { name: "hash-max-listpack-value", aliases: ["hash-max-ziplist-value"], type: "int", def: 64, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.hashMaxListpackValue = v) },
    { name: "set-max-intset-entries", type: "int", def: 512, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.setMaxIntsetEntries = v) },
    { name: "zset-max-listpack-entries", aliases: ["zset-max-ziplist-entries"], type: "int", def: 128, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.zsetMaxListpackEntries = v) },
    { name: "zset-max-listpack-value", aliases: ["zset-max-ziplist-value"], type: "int", def: 64, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.zsetMaxListpackValue = v) },
    { name: "list-max-listpack-size", aliases: ["list-max-ziplist-size"], type: "int", def: -2, min: -5, max: INT_MAX, apply: (v) => void (srv.enc.listMaxListpackSize = v) },
    { name: "list-compress-depth", type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "hll-sparse-max-bytes", type: "mem", def: 3000, min: 0, max: LONG_MAX },

    // ---- scripting ----
    { name: "busy-reply-threshold", aliases: ["lua-time-limit"], type: "int", def: 5000, min: 0, max: LONG_MAX },

    // ---- debugging ----
    // AiKv defaults to "local" (Redis: "no") so test harnesses on loopback can use DEBUG.
    { name: "enable-debug-command", type: "enum", def: "local", values: ["no", "yes", "local"], flags: IMMUTABLE },
    { name: "enable-protected-configs", type: "enum", def: "no", values: ["no", "yes", "local"], flags: IMMUTABLE },
    { name: "enable-module-command", type: "enum", def: "no", values: ["no", "yes", "local"], flags: IMMUTABLE },

    // ---- cluster ----
    { name: "cluster-enabled", type: "bool", def: false, flags: IMMUTABLE },

    // ---- AiKv ----
    { name: "engine", aikv: true, type: "enum", def: "memory", values: ["memory", "lsm"], flags: IMMUTABLE },
    { name: "shards", aikv: true, type: "int", def: 1, min: 1, max: 256, flags: IMMUTABLE },
    { name: "lua-rollback", aikv: true, type: "bool", def: true },
    { name: "tiering", aikv: true, type: "bool", def: false },
  ];
}
