// Every configuration parameter AiKv knows: all of Redis 7.0's names and aliases (CONFIG GET *
// on redis-server 7.0 lists 192, plus 5 hidden ones), with Redis's types, limits, defaults and
// mutability, and AiKv's own options (marked aikv). Parameters that only tune Redis internals
// (defrag, jemalloc, io-threads, tls-*, repl-*, cluster tuning...) are validated, stored and
// reported; an apply hook gives a value its effect where AiKv has an equivalent. Other
// subsystems follow a parameter with srv.cfg.watch(name, fn).
//
// Where AiKv's defaults deliberately differ from redis-server 7.0's:
//   bind                  "127.0.0.1"   (Redis: "* -::*"): AiKv listens on loopback unless told
//   enable-debug-command  "local"       (Redis: "no"): test harnesses on loopback use DEBUG
// Everything else matches a default redis-server 7.0 started without a config file: save
// "3600 1 300 100 60 10000", dir (the working directory, "."), logfile "", daemonize no,
// pidfile "" (Redis shows /var/run/redis.pid only when daemonized), appendonly no.
// Stored but without effect in AiKv: daemonize (no fork; run it under a supervisor),
// supervised, syslog-*, unixsocket*, io-threads, the AOF/RDB file options (the lsm engine is
// AiKv's persistence; appendfsync is its fsync policy), tls-* (TLS is not supported:
// enabling tls-port/tls-replication/tls-cluster fails as on a Redis without certificates).

import { appendFileSync, unlinkSync, writeFileSync } from "node:fs";
import { formatNotifyFlags, parseNotifyFlags } from "../store/notify.ts";
import type { Server } from "../server/context.ts";
import { shutdownHooks } from "../server/shutdown.ts";
import { DENY_LOADING, HIDDEN, IMMUTABLE, memtoull, PROTECTED, SENSITIVE, type ParamDef } from "./registry.ts";

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const UINT_MAX = 4294967295;
const LONG_MAX = (1n << 63n) - 1n;
const LLONG_MAX = LONG_MAX;
const SSIZE_MAX = LONG_MAX;
const U64_MAX = (1n << 64n) - 1n;
const MB = 1024 * 1024;

/** strerror() texts for the errno codes a path operation can raise. */
const STRERROR: Record<string, string> = {
  ENOENT: "No such file or directory",
  ENOTDIR: "Not a directory",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
  ENAMETOOLONG: "File name too long",
  ELOOP: "Too many levels of symbolic links",
  EISDIR: "Is a directory",
  EROFS: "Read-only file system",
  ENOSPC: "No space left on device",
};

export function strerror(e: unknown): string {
  const code = (e as { code?: string })?.code;
  return (code && STRERROR[code]) || (e as Error)?.message || String(e);
}

/** Values are byte strings (one char per byte); file system calls take UTF-8 text. */
const fsPath = (v: string) => Buffer.from(v, "latin1").toString("utf8");
const fromFs = (v: string) => Buffer.from(v, "utf8").toString("latin1");

/** C's strtoll as Redis uses it: leading spaces and a sign allowed, the whole word consumed. */
function strtoll(s: string): bigint | null {
  if (s === "") return 0n;
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) return null;
  const v = BigInt(s.trim());
  const min = -(1n << 63n);
  return v > LLONG_MAX ? LLONG_MAX : v < min ? min : v;
}

/** Redis's string2d: a whole strtod number, no leading space, not NaN. */
function string2d(s: string): number | null {
  if (s.length === 0 || /^\s/.test(s)) return null;
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?0x[0-9a-f]+$/i.test(s)) return (s.startsWith("-") ? -1 : 1) * Number(s.replace(/^[+-]/, ""));
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
  return Number(s);
}

/** printf("%f") with Redis's trimDoubleString (no trailing zeros or dot). */
function fmtPercentile(p: number): string {
  let s = p.toFixed(6);
  if (Object.is(p, -0)) s = "-" + s;
  if (s.includes(".")) s = s.replace(/0+$/, "").replace(/\.$/, "");
  return s;
}

export interface OutputLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}
export type OutputLimits = Record<"normal" | "replica" | "pubsub", OutputLimit & { h: bigint; s: bigint }>;
const OBUF_CLASSES: Record<string, keyof OutputLimits> = { normal: "normal", slave: "replica", replica: "replica", pubsub: "pubsub" };

export interface SaveParam {
  seconds: number;
  changes: number;
}

export interface ReplicaOf {
  host: string;
  port: number;
}

const PROTECTED_ACTION: [string, number][] = [["no", 0], ["yes", 1], ["local", 2]];
const SHUTDOWN_ON_SIG: [string, number][] = [["default", 0], ["save", 1], ["nosave", 2], ["now", 4], ["force", 8]];
const TLS_ERR = "Unable to update TLS configuration. Check server logs.";
const noTls = (on: boolean, startup: boolean) => (on ? (startup ? "TLS is not supported by AiKv" : TLS_ERR) : undefined);

function names(...n: string[]): [string, number][] {
  return n.map((x, i) => [x, i]);
}

function validHostname(v: string): string | void {
  if (v.length >= 256) return "Hostnames must be less than 256 characters";
  if (!/^[A-Za-z0-9.-]*$/.test(v)) return "Hostnames may only contain alphanumeric characters, hyphens or dots";
}

/**
 * proc-title-template, checked the way Redis expands it: "{name}" must be a known variable,
 * "{{" is a literal '{', and the expansion (with an empty title) must not be blank.
 */
function validProcTitle(v: string): string | void {
  const bad = "template format is invalid or contains unknown variables";
  // whether each variable expands to something non-empty when the template is checked
  const vars: Record<string, boolean> = {
    title: false, "listen-addr": true, "server-mode": false, port: true, "tls-port": true, unixsocket: false, "config-file": false,
  };
  let out = "";
  let p = 0;
  while (p < v.length) {
    const sv = v.indexOf("{", p);
    if (sv < 0) {
      out += v.slice(p);
      break;
    }
    out += v.slice(p, sv);
    if (sv + 1 >= v.length) return bad;
    if (v[sv + 1] === "{") {
      out += "{";
      p = sv + 2;
      continue;
    }
    const ev = v.indexOf("}", sv + 1);
    if (ev < 0) return bad;
    const name = v.slice(sv + 1, ev);
    if (!(name in vars)) return bad;
    if (vars[name]) out += "x";
    p = ev + 1;
  }
  if (out.replace(/^ +| +$/g, "").length === 0) return bad;
}

function baseName(what: string, kind = "filename"): (v: string) => string | void {
  return (v) => {
    if (what !== "dbfilename" && v === "") return `${what} can't be empty`;
    if (v.includes("/") || v.includes("\\")) return `${what} can't be a path, just a ${kind}`;
  };
}

export function params(srv: Server): ParamDef[] {
  let pidfileWritten = "";
  return [
    // ---- network ----
    {
      name: "port", type: "int", def: 6379, min: 0, max: 65535,
      apply: (v, c) => {
        if (c.startup || !srv.net) return;
        if (srv.rebind({ port: Number(v) })) return "Unable to listen on this port. Check server logs.";
      },
    },
    {
      name: "bind",
      type: "custom",
      multi: true,
      def: ["127.0.0.1"],
      parse: (args) => {
        if (args.length > 16) return { error: "Too many bind addresses specified." };
        return args.length === 1 && args[0] === "" ? [] : args;
      },
      format: (v: string[]) => v.join(" "),
      apply: (v: string[], c) => {
        if (c.startup || !srv.net) return;
        if (srv.rebind({ bind: v })) return "Failed to bind to specified addresses.";
      },
    },
    { name: "unixsocket", type: "str", def: "", flags: IMMUTABLE },
    { name: "unixsocketperm", type: "int", def: 0, min: 0, max: 0o777, octal: true, flags: IMMUTABLE },
    { name: "tcp-backlog", type: "int", def: 511, min: 0, max: INT_MAX, flags: IMMUTABLE },
    { name: "tcp-keepalive", type: "int", def: 300, min: 0, max: INT_MAX },
    { name: "socket-mark-id", type: "int", def: 0, min: 0, max: UINT_MAX, flags: IMMUTABLE },
    { name: "bind-source-addr", type: "str", def: "" },
    { name: "timeout", type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "protected-mode", type: "bool", def: true },
    { name: "maxclients", type: "int", def: 10000, min: 1, max: UINT_MAX },
    { name: "proto-max-bulk-len", type: "int", mem: true, def: 512 * MB, min: MB, max: LONG_MAX, apply: (v) => void (srv.limits.maxBulk = Number(v)) },
    { name: "client-query-buffer-limit", type: "int", mem: true, def: 1024 * MB, min: MB, max: LONG_MAX, apply: (v) => void (srv.limits.queryBuf = Number(v)) },
    {
      name: "client-output-buffer-limit",
      type: "custom",
      multi: true,
      def: ["normal", "0", "0", "0", "slave", "268435456", "67108864", "60", "pubsub", "33554432", "8388608", "60"],
      parse: (args, cur: OutputLimits | undefined) => {
        if (args.length % 4 !== 0) return { error: "Wrong number of arguments in buffer limit configuration." };
        const next = { ...(cur ?? ({} as OutputLimits)) };
        for (let j = 0; j < args.length; j += 4) {
          const cls = OBUF_CLASSES[args[j]!.toLowerCase()];
          if (!cls) return { error: "Invalid client class specified in buffer limit configuration." };
          const h = memtoull(args[j + 1]!);
          const s = memtoull(args[j + 2]!);
          const secs = strtoll(args[j + 3]!);
          const sec32 = secs === null ? -1 : Number(BigInt.asIntN(32, secs));
          if (h === null || s === null || sec32 < 0) return { error: "Error in hard, soft or soft_seconds setting in buffer limit configuration." };
          next[cls] = { hard: Number(h), soft: Number(s), softSeconds: sec32, h, s };
        }
        return next;
      },
      format: (v: OutputLimits) =>
        `normal ${v.normal.h} ${v.normal.s} ${v.normal.softSeconds} slave ${v.replica.h} ${v.replica.s} ${v.replica.softSeconds} ` +
        `pubsub ${v.pubsub.h} ${v.pubsub.s} ${v.pubsub.softSeconds}`,
      // network.ts reads the value when it starts; later changes are handed over here
      apply: (v: OutputLimits) => {
        if (srv.net) srv.net.outputLimits = v;
      },
    },
    { name: "maxmemory-clients", type: "int", mem: true, percent: true, def: 0, min: -100, max: SSIZE_MAX },

    // ---- general ----
    { name: "databases", type: "int", def: 16, min: 1, max: INT_MAX, flags: IMMUTABLE },
    // dir first: a relative logfile or pidfile is found from the new working directory
    {
      name: "dir",
      type: "custom",
      def: ["."],
      flags: PROTECTED | DENY_LOADING,
      parse: (args) => args[0]!,
      format: (v: string) => v,
      get: () => {
        try {
          return fromFs(process.cwd());
        } catch {
          return ""; // the directory was removed (Redis shows "" when getcwd fails)
        }
      },
      apply: (v: string) => {
        try {
          if (v === "") throw Object.assign(new Error("empty path"), { code: "ENOENT" });
          process.chdir(fsPath(v));
        } catch (e) {
          return strerror(e);
        }
      },
    },
    { name: "loglevel", type: "enum", def: "notice", values: names("debug", "verbose", "notice", "warning"), apply: (v) => srv.log.setLevel(v) },
    {
      name: "logfile",
      type: "str",
      def: "",
      flags: IMMUTABLE,
      apply: (v: string) => {
        if (v !== "") {
          try {
            appendFileSync(fsPath(v), "");
          } catch (e) {
            return `Can't open the log file: ${strerror(e)}`;
          }
        }
        srv.log.setFile(fsPath(v));
      },
    },
    { name: "syslog-enabled", type: "bool", def: false, flags: IMMUTABLE },
    { name: "syslog-ident", type: "str", def: "redis", flags: IMMUTABLE },
    { name: "syslog-facility", type: "enum", def: "local0", flags: IMMUTABLE, values: [["user", 8], ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`local${i}`, 128 + i * 8] as [string, number])] },
    {
      name: "daemonize", type: "bool", def: false, flags: IMMUTABLE,
      apply: (v: boolean, c) => void (v && c.startup && srv.log.warning("daemonize yes is not supported: AiKv keeps running in the foreground (use a supervisor)")),
    },
    { name: "supervised", type: "enum", def: "no", flags: IMMUTABLE, values: [["upstart", 1], ["systemd", 2], ["auto", 3], ["no", 0]] },
    {
      name: "pidfile",
      type: "str",
      def: "",
      flags: IMMUTABLE,
      apply: (v: string, c) => {
        if (!c.startup || v === "" || pidfileWritten) return;
        try {
          writeFileSync(fsPath(v), `${process.pid}\n`);
          pidfileWritten = fsPath(v);
          shutdownHooks.push(() => {
            try {
              unlinkSync(pidfileWritten);
            } catch {
              // already gone
            }
          });
        } catch (e) {
          srv.log.warning(`Failed to write PID file: ${strerror(e)}`);
        }
      },
    },
    { name: "always-show-logo", type: "bool", def: false, flags: IMMUTABLE },
    { name: "set-proc-title", type: "bool", def: true, flags: IMMUTABLE },
    { name: "proc-title-template", type: "str", def: "{title} {listen-addr} {server-mode}", validate: validProcTitle },
    { name: "crash-log-enabled", type: "bool", def: true },
    { name: "crash-memcheck-enabled", type: "bool", def: true },
    { name: "use-exit-on-panic", type: "bool", def: false, flags: HIDDEN },
    { name: "disable-thp", type: "bool", def: true, flags: IMMUTABLE },
    { name: "ignore-warnings", type: "str", def: "" },
    { name: "enable-protected-configs", type: "enum", def: "no", values: PROTECTED_ACTION, flags: IMMUTABLE },
    { name: "enable-debug-command", type: "enum", def: "local", values: PROTECTED_ACTION, flags: IMMUTABLE },
    { name: "enable-module-command", type: "enum", def: "no", values: PROTECTED_ACTION, flags: IMMUTABLE },
    {
      name: "notify-keyspace-events",
      type: "custom",
      def: [""],
      parse: (args) => {
        const f = parseNotifyFlags(args[0]!);
        return f < 0 ? { error: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." } : f;
      },
      format: (v: number) => formatNotifyFlags(v),
      apply: (v: number) => void (srv.ks.events.flags = v),
    },
    { name: "hz", type: "int", def: 10, min: 0, max: INT_MAX, normalize: (v) => (v < 1n ? 1n : v > 500n ? 500n : v), apply: (v) => srv.setHz(Number(v)) },
    { name: "dynamic-hz", type: "bool", def: true },
    { name: "active-expire-effort", type: "int", def: 1, min: 1, max: 10 },
    { name: "activerehashing", type: "bool", def: true },
    { name: "jemalloc-bg-thread", type: "bool", def: true },
    { name: "io-threads", type: "int", def: 1, min: 1, max: 128, flags: IMMUTABLE },
    { name: "io-threads-do-reads", type: "bool", def: false, flags: IMMUTABLE },
    { name: "server_cpulist", type: "str", def: "", flags: IMMUTABLE },
    { name: "bio_cpulist", type: "str", def: "", flags: IMMUTABLE },
    { name: "aof_rewrite_cpulist", type: "str", def: "", flags: IMMUTABLE },
    { name: "bgsave_cpulist", type: "str", def: "", flags: IMMUTABLE },
    { name: "oom-score-adj", type: "enum", def: "no", values: [["no", 0], ["yes", 1], ["relative", 1], ["absolute", 2]] },
    {
      name: "oom-score-adj-values",
      type: "custom",
      multi: true,
      def: ["0", "200", "800"],
      parse: (args) => {
        if (args.length !== 3) return { error: "wrong number of arguments" };
        const out: number[] = [];
        for (const a of args) {
          const v = strtoll(a);
          if (v === null || v < -2000n || v > 2000n) return { error: "Invalid oom-score-adj-values, elements must be between -2000 and 2000." };
          out.push(Number(v));
        }
        return out;
      },
      format: (v: number[]) => v.join(" "),
    },
    {
      name: "shutdown-on-sigint", type: "enum", multi: true, def: "default", values: SHUTDOWN_ON_SIG,
      validate: (f) => (f & 1 && f & 2 ? "shutdown options SAVE and NOSAVE can't be used simultaneously" : undefined),
    },
    {
      name: "shutdown-on-sigterm", type: "enum", multi: true, def: "default", values: SHUTDOWN_ON_SIG,
      validate: (f) => (f & 1 && f & 2 ? "shutdown options SAVE and NOSAVE can't be used simultaneously" : undefined),
    },
    { name: "shutdown-timeout", type: "int", def: 10, min: 0, max: INT_MAX },
    { name: "watchdog-period", type: "int", def: 0, min: 0, max: INT_MAX, flags: HIDDEN },

    // ---- security ----
    { name: "requirepass", type: "str", def: "", flags: SENSITIVE, apply: (v) => srv.setRequirePass(v) },
    { name: "aclfile", type: "str", def: "", flags: IMMUTABLE },
    { name: "acllog-max-len", type: "int", def: 128, min: 0, max: LONG_MAX },
    { name: "acl-pubsub-default", type: "enum", def: "resetchannels", values: [["allchannels", 1], ["resetchannels", 0]] },
    { name: "sanitize-dump-payload", type: "enum", def: "no", values: names("no", "yes", "clients") },

    // ---- snapshotting / append only file (stored; the lsm engine is AiKv's persistence) ----
    {
      name: "save",
      type: "custom",
      multi: true,
      def: ["3600", "1", "300", "100", "60", "10000"],
      parse: (args) => {
        if (args.length === 1 && args[0] === "") args = [];
        if (args.length % 2 !== 0) return { error: "Invalid save parameters" };
        const out: SaveParam[] = [];
        for (let j = 0; j < args.length; j += 2) {
          const s = strtoll(args[j]!);
          const ch = strtoll(args[j + 1]!);
          if (s === null || ch === null || s < 1n || ch < 0n) return { error: "Invalid save parameters" };
          out.push({ seconds: Number(s), changes: Number(BigInt.asIntN(32, ch)) });
        }
        return out;
      },
      format: (v: SaveParam[]) => v.map((p) => `${p.seconds} ${p.changes}`).join(" "),
      // save lines of a config file add up; the first one replaces the defaults
      merge: (prev: SaveParam[], next: SaveParam[], first: boolean) => (first ? next : [...prev, ...next]),
    },
    { name: "dbfilename", type: "str", def: "dump.rdb", flags: PROTECTED, validate: baseName("dbfilename") },
    { name: "rdbcompression", type: "bool", def: true },
    { name: "rdbchecksum", type: "bool", def: true, flags: IMMUTABLE },
    { name: "rdb-del-sync-files", type: "bool", def: false },
    { name: "rdb-save-incremental-fsync", type: "bool", def: true },
    { name: "rdb-key-save-delay", type: "int", def: 0, min: INT_MIN, max: INT_MAX, flags: HIDDEN },
    { name: "key-load-delay", type: "int", def: 0, min: INT_MIN, max: INT_MAX, flags: HIDDEN },
    { name: "loading-process-events-interval-bytes", type: "int", def: 2 * MB, min: 1024, max: INT_MAX, flags: HIDDEN },
    { name: "stop-writes-on-bgsave-error", type: "bool", def: true },
    { name: "appendonly", type: "bool", def: false, flags: DENY_LOADING },
    { name: "appendfilename", type: "str", def: "appendonly.aof", flags: IMMUTABLE, validate: baseName("appendfilename") },
    { name: "appenddirname", type: "str", def: "appendonlydir", flags: IMMUTABLE, validate: baseName("appenddirname", "dirname") },
    // also the WAL fsync policy of AiKv's lsm engine
    { name: "appendfsync", type: "enum", def: "everysec", values: [["everysec", 1], ["always", 2], ["no", 0]] },
    { name: "no-appendfsync-on-rewrite", type: "bool", def: false },
    { name: "auto-aof-rewrite-percentage", type: "int", def: 100, min: 0, max: INT_MAX },
    { name: "auto-aof-rewrite-min-size", type: "int", mem: true, def: 64 * MB, min: 0, max: LLONG_MAX },
    { name: "aof-load-truncated", type: "bool", def: true },
    { name: "aof-use-rdb-preamble", type: "bool", def: true },
    { name: "aof-rewrite-incremental-fsync", type: "bool", def: true },
    { name: "aof-timestamp-enabled", type: "bool", def: false },
    { name: "aof-disable-auto-gc", type: "bool", def: false },

    // ---- replication (stored; the replication subsystem reads them) ----
    {
      name: "replicaof",
      aliases: ["slaveof"],
      type: "custom",
      multi: true,
      flags: IMMUTABLE,
      def: ["no", "one"],
      parse: (args) => {
        if (args.length !== 2) return { error: "wrong number of arguments" };
        if (args[0]!.toLowerCase() === "no" && args[1]!.toLowerCase() === "one") return null;
        const p = strtoll(args[1]!);
        if (p === null || p < 0n || p > 65535n) return { error: "Invalid master port" };
        return { host: args[0]!, port: Number(p) } satisfies ReplicaOf;
      },
      format: (v: ReplicaOf | null) => (v ? `${v.host} ${v.port}` : ""),
    },
    { name: "masterauth", type: "str", def: "", flags: SENSITIVE },
    { name: "masteruser", type: "str", def: "", flags: SENSITIVE },
    { name: "replica-serve-stale-data", aliases: ["slave-serve-stale-data"], type: "bool", def: true },
    { name: "replica-read-only", aliases: ["slave-read-only"], type: "bool", def: true },
    { name: "replica-lazy-flush", aliases: ["slave-lazy-flush"], type: "bool", def: false },
    { name: "replica-ignore-maxmemory", aliases: ["slave-ignore-maxmemory"], type: "bool", def: true },
    { name: "replica-announced", type: "bool", def: true },
    { name: "replica-ignore-disk-write-errors", type: "bool", def: false },
    { name: "replica-priority", aliases: ["slave-priority"], type: "int", def: 100, min: 0, max: INT_MAX },
    { name: "replica-announce-ip", aliases: ["slave-announce-ip"], type: "str", def: "" },
    { name: "replica-announce-port", aliases: ["slave-announce-port"], type: "int", def: 0, min: 0, max: 65535 },
    { name: "repl-diskless-sync", type: "bool", def: true },
    { name: "repl-diskless-sync-delay", type: "int", def: 5, min: 0, max: INT_MAX },
    { name: "repl-diskless-sync-max-replicas", type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "repl-diskless-load", type: "enum", def: "disabled", flags: DENY_LOADING, values: names("disabled", "on-empty-db", "swapdb") },
    { name: "repl-ping-replica-period", aliases: ["repl-ping-slave-period"], type: "int", def: 10, min: 1, max: INT_MAX },
    { name: "repl-timeout", type: "int", def: 60, min: 1, max: INT_MAX },
    { name: "repl-disable-tcp-nodelay", type: "bool", def: false },
    // CONFIG SET raises it to the 16kb minimum (a config file value is kept as given)
    { name: "repl-backlog-size", type: "int", mem: true, def: MB, min: 1, max: LLONG_MAX, normalizeSet: (v) => (v < 16384n ? 16384n : v) },
    { name: "repl-backlog-ttl", type: "int", def: 3600, min: 0, max: LONG_MAX },
    { name: "min-replicas-to-write", aliases: ["min-slaves-to-write"], type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "min-replicas-max-lag", aliases: ["min-slaves-max-lag"], type: "int", def: 10, min: 0, max: INT_MAX },
    { name: "propagation-error-behavior", type: "enum", def: "ignore", values: names("ignore", "panic", "panic-on-replicas") },

    // ---- memory ----
    { name: "maxmemory", type: "int", mem: true, u64: true, def: 0, min: 0, max: U64_MAX },
    {
      name: "maxmemory-policy",
      type: "enum",
      def: "noeviction",
      values: names("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
      // LRU/LFU policies need the access clock of every key (OBJECT IDLETIME / FREQ, eviction)
      apply: (v: string) => srv.ks.setAccessTracking(v.includes("lru") || v.includes("lfu"), v.includes("lfu")),
    },
    { name: "maxmemory-samples", type: "int", def: 5, min: 1, max: INT_MAX },
    { name: "maxmemory-eviction-tenacity", type: "int", def: 10, min: 0, max: 100 },
    { name: "lfu-log-factor", type: "int", def: 10, min: 0, max: INT_MAX, apply: (v) => void (srv.ks.lfuLogFactor = Number(v)) },
    { name: "lfu-decay-time", type: "int", def: 1, min: 0, max: INT_MAX, apply: (v) => void (srv.ks.lfuDecayTime = Number(v)) },
    { name: "lazyfree-lazy-eviction", type: "bool", def: false },
    { name: "lazyfree-lazy-expire", type: "bool", def: false },
    { name: "lazyfree-lazy-server-del", type: "bool", def: false },
    { name: "lazyfree-lazy-user-del", type: "bool", def: false },
    { name: "lazyfree-lazy-user-flush", type: "bool", def: false },
    {
      name: "activedefrag",
      type: "bool",
      def: false,
      validate: (v) =>
        v
          ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
          : undefined,
    },
    { name: "active-defrag-ignore-bytes", type: "int", mem: true, def: 100 * MB, min: 1, max: LLONG_MAX },
    { name: "active-defrag-threshold-lower", type: "int", def: 10, min: 0, max: 1000 },
    { name: "active-defrag-threshold-upper", type: "int", def: 100, min: 0, max: 1000 },
    { name: "active-defrag-cycle-min", type: "int", def: 1, min: 1, max: 99 },
    { name: "active-defrag-cycle-max", type: "int", def: 25, min: 1, max: 99 },
    { name: "active-defrag-max-scan-fields", type: "int", def: 1000, min: 1, max: LONG_MAX },

    // ---- encodings (what OBJECT ENCODING reports) ----
    { name: "hash-max-listpack-entries", aliases: ["hash-max-ziplist-entries"], type: "int", def: 512, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.hashMaxListpackEntries = Number(v)) },
    { name: "hash-max-listpack-value", aliases: ["hash-max-ziplist-value"], type: "int", mem: true, def: 64, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.hashMaxListpackValue = Number(v)) },
    { name: "set-max-intset-entries", type: "int", def: 512, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.setMaxIntsetEntries = Number(v)) },
    { name: "zset-max-listpack-entries", aliases: ["zset-max-ziplist-entries"], type: "int", def: 128, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.zsetMaxListpackEntries = Number(v)) },
    { name: "zset-max-listpack-value", aliases: ["zset-max-ziplist-value"], type: "int", mem: true, def: 64, min: 0, max: LONG_MAX, apply: (v) => void (srv.enc.zsetMaxListpackValue = Number(v)) },
    { name: "list-max-listpack-size", aliases: ["list-max-ziplist-size"], type: "int", def: -2, min: INT_MIN, max: INT_MAX, apply: (v) => void (srv.enc.listMaxListpackSize = Number(v)) },
    { name: "list-compress-depth", type: "int", def: 0, min: 0, max: INT_MAX },
    { name: "hll-sparse-max-bytes", type: "int", mem: true, def: 3000, min: 0, max: LONG_MAX },
    { name: "stream-node-max-bytes", type: "int", mem: true, def: 4096, min: 0, max: LONG_MAX },
    { name: "stream-node-max-entries", type: "int", def: 100, min: 0, max: LLONG_MAX },

    // ---- scripting, slow log, latency ----
    { name: "busy-reply-threshold", aliases: ["lua-time-limit"], type: "int", def: 5000, min: 0, max: LONG_MAX },
    { name: "slowlog-log-slower-than", type: "int", def: 10000, min: -1, max: LLONG_MAX, apply: (v) => void (srv.slowlog.threshold = Number(v)) },
    { name: "slowlog-max-len", type: "int", def: 128, min: 0, max: LONG_MAX, apply: (v) => srv.slowlog.setMaxLen(Number(v)) },
    { name: "latency-monitor-threshold", type: "int", def: 0, min: 0, max: LLONG_MAX, apply: (v) => void (srv.latency.threshold = Number(v)) },
    { name: "latency-tracking", type: "bool", def: true, apply: (v: boolean) => void (srv.latencyTracking = v) },
    {
      name: "latency-tracking-info-percentiles",
      type: "custom",
      multi: true,
      def: ["50", "99", "99.9"],
      parse: (args) => {
        if (args.length === 1 && args[0] === "") return [];
        const out: number[] = [];
        for (const a of args) {
          const p = string2d(a);
          if (p === null) return { error: "Invalid latency-tracking-info-percentiles parameters" };
          if (p > 100 || p < 0) return { error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]" };
          out.push(p);
        }
        return out;
      },
      format: (v: number[]) => v.map(fmtPercentile).join(" "),
    },
    { name: "tracking-table-max-keys", type: "int", def: 1000000, min: 0, max: LONG_MAX },

    // ---- cluster ----
    { name: "cluster-enabled", type: "bool", def: false, flags: IMMUTABLE },
    { name: "cluster-config-file", type: "str", def: "nodes.conf", flags: IMMUTABLE },
    { name: "cluster-port", type: "int", def: 0, min: 0, max: 65535, flags: IMMUTABLE },
    { name: "cluster-node-timeout", type: "int", def: 15000, min: 0, max: LLONG_MAX },
    { name: "cluster-replica-validity-factor", aliases: ["cluster-slave-validity-factor"], type: "int", def: 10, min: 0, max: INT_MAX },
    { name: "cluster-migration-barrier", type: "int", def: 1, min: 0, max: INT_MAX },
    { name: "cluster-allow-replica-migration", type: "bool", def: true },
    { name: "cluster-require-full-coverage", type: "bool", def: true },
    { name: "cluster-replica-no-failover", aliases: ["cluster-slave-no-failover"], type: "bool", def: false },
    { name: "cluster-allow-reads-when-down", type: "bool", def: false },
    { name: "cluster-allow-pubsubshard-when-down", type: "bool", def: true },
    { name: "cluster-announce-ip", type: "str", def: "" },
    { name: "cluster-announce-hostname", type: "str", def: "", validate: validHostname },
    { name: "cluster-announce-port", type: "int", def: 0, min: 0, max: 65535 },
    { name: "cluster-announce-bus-port", type: "int", def: 0, min: 0, max: 65535 },
    { name: "cluster-announce-tls-port", type: "int", def: 0, min: 0, max: 65535 },
    { name: "cluster-preferred-endpoint-type", type: "enum", def: "ip", values: names("ip", "hostname", "unknown-endpoint") },
    { name: "cluster-link-sendbuf-limit", type: "int", mem: true, u64: true, def: 0, min: 0, max: U64_MAX },

    // ---- TLS (not supported by AiKv: stored, and enabling it fails) ----
    { name: "tls-port", type: "int", def: 0, min: 0, max: 65535, apply: (v, c) => noTls(v !== 0n, c.startup) },
    { name: "tls-replication", type: "bool", def: false, apply: (v, c) => noTls(v, c.startup) },
    { name: "tls-cluster", type: "bool", def: false, apply: (v, c) => noTls(v, c.startup) },
    { name: "tls-auth-clients", type: "enum", def: "yes", values: names("no", "yes", "optional") },
    { name: "tls-prefer-server-ciphers", type: "bool", def: false },
    { name: "tls-session-caching", type: "bool", def: true },
    { name: "tls-session-cache-size", type: "int", def: 20480, min: 0, max: INT_MAX },
    { name: "tls-session-cache-timeout", type: "int", def: 300, min: 0, max: INT_MAX },
    { name: "tls-cert-file", type: "str", def: "" },
    { name: "tls-key-file", type: "str", def: "" },
    { name: "tls-key-file-pass", type: "str", def: "" },
    { name: "tls-client-cert-file", type: "str", def: "" },
    { name: "tls-client-key-file", type: "str", def: "" },
    { name: "tls-client-key-file-pass", type: "str", def: "" },
    { name: "tls-dh-params-file", type: "str", def: "" },
    { name: "tls-ca-cert-file", type: "str", def: "" },
    { name: "tls-ca-cert-dir", type: "str", def: "" },
    { name: "tls-protocols", type: "str", def: "" },
    { name: "tls-ciphers", type: "str", def: "" },
    { name: "tls-ciphersuites", type: "str", def: "" },

    // ---- AiKv's own options ----
    { name: "engine", aikv: true, type: "enum", def: "memory", values: names("memory", "lsm"), flags: IMMUTABLE },
    { name: "shards", aikv: true, type: "int", def: 1, min: 1, max: 256, flags: IMMUTABLE },
    { name: "lua-rollback", aikv: true, type: "bool", def: true },
    { name: "tiering", aikv: true, type: "bool", def: false },
    // lsm engine: a checkpoint starts once this much WAL was written since the last one, or
    // checkpoint-interval seconds after the first change since the last one
    { name: "checkpoint-wal-size", aikv: true, type: "int", mem: true, def: 64 * MB, min: 1, max: LLONG_MAX },
    { name: "checkpoint-interval", aikv: true, type: "int", def: 60, min: 1, max: INT_MAX },
  ];
}
