// INFO: Redis 7.0's sections and field names, with AiKv's real values. Fields that describe
// Redis internals AiKv does not have (jemalloc, fork, io threads) are omitted or zero.

import { cpuUsage, memoryUsage } from "node:process";
import { totalmem, type as osType, release, arch } from "node:os";
import type { Server } from "./context.ts";
import { AIKV_VERSION, REDIS_VERSION } from "../version.ts";
import { CF } from "./client.ts";

/** Every section in Redis's print order. */
const ORDER = [
  "server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
  "commandstats", "errorstats", "latencystats", "cluster", "keyspace",
];
/** Sections printed by plain INFO / INFO default. */
const DEFAULT = new Set(ORDER.filter((n) => n !== "commandstats" && n !== "latencystats"));

/** Extra INFO sections (name -> lines) added by subsystems (replication, persistence engines). */
export const infoProviders = new Map<string, (srv: Server) => [string, string | number][]>();

export function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T", "P"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes}B` : `${v.toFixed(2)}${units[i]}`;
}

/** Set while maxmemory accounting runs (src/store/eviction.ts): used_memory is its estimate. */
export const memoryHooks: { used: (() => number) | null } = { used: null };

export function usedMemory(): number {
  if (memoryHooks.used !== null) return memoryHooks.used();
  const m = memoryUsage();
  return m.heapUsed + m.external;
}

let peakMemory = 0;

function sectionLines(srv: Server, name: string): [string, string | number][] | null {
  const now = Date.now();
  const st = srv.stats;
  switch (name) {
    case "server": {
      const uptime = Math.floor((now - st.startTime) / 1000);
      return [
        ["redis_version", REDIS_VERSION],
        ["aikv_version", AIKV_VERSION],
        ["redis_git_sha1", "00000000"],
        ["redis_git_dirty", 0],
        ["redis_build_id", "0"],
        ["redis_mode", srv.cfg.bool("cluster-enabled") ? "cluster" : "standalone"],
        ["os", `${osType()} ${release()} ${arch()}`],
        ["arch_bits", 64],
        ["monotonic_clock", "POSIX clock_gettime"],
        ["multiplexing_api", "epoll"],
        ["atomicvar_api", "c11-builtin"],
        ["gcc_version", "0.0.0"],
        ["bun_version", Bun.version],
        ["aikv_native", srv.nativeVersion || "not loaded"],
        ["process_id", process.pid],
        ["process_supervised", "no"],
        ["run_id", srv.runId],
        ["tcp_port", srv.net?.port ?? srv.cfg.num("port")],
        ["server_time_usec", Math.floor((performance.timeOrigin + performance.now()) * 1000)],
        ["uptime_in_seconds", uptime],
        ["uptime_in_days", Math.floor(uptime / 86400)],
        ["hz", srv.cfg.num("hz")],
        ["configured_hz", srv.cfg.num("hz")],
        ["lru_clock", srv.ks.lruClock],
        ["executable", process.execPath],
        ["config_file", srv.cfg.configFile ?? ""],
        ["io_threads_active", 0],
      ];
    }
    case "clients": {
      let blocked = 0;
      let pubsub = 0;
      let maxIn = 0;
      let maxOut = 0;
      for (const c of srv.clients.values()) {
        if (c.flags & CF.BLOCKED) blocked++;
        if (c.subCount > 0) pubsub++;
        maxIn = Math.max(maxIn, c.parser.pending);
        maxOut = Math.max(maxOut, c.outputBytes);
      }
      return [
        ["connected_clients", srv.clients.size],
        ["cluster_connections", 0],
        ["maxclients", srv.cfg.num("maxclients")],
        ["client_recent_max_input_buffer", maxIn],
        ["client_recent_max_output_buffer", maxOut],
        ["blocked_clients", blocked],
        ["tracking_clients", 0],
        ["clients_in_timeout_table", blocked],
      ];
    }
    case "memory": {
      const m = memoryUsage();
      const used = memoryHooks.used !== null ? memoryHooks.used() : m.heapUsed + m.external;
      peakMemory = Math.max(peakMemory, used);
      const maxmemory = srv.cfg.num("maxmemory");
      const total = totalmem();
      return [
        ["used_memory", used],
        ["used_memory_human", human(used)],
        ["used_memory_rss", m.rss],
        ["used_memory_rss_human", human(m.rss)],
        ["used_memory_peak", peakMemory],
        ["used_memory_peak_human", human(peakMemory)],
        ["used_memory_peak_perc", `${((used / peakMemory) * 100).toFixed(2)}%`],
        ["used_memory_heap_total", m.heapTotal],
        ["used_memory_external", m.external],
        ["total_system_memory", total],
        ["total_system_memory_human", human(total)],
        ["maxmemory", maxmemory],
        ["maxmemory_human", human(maxmemory)],
        ["maxmemory_policy", srv.cfg.str("maxmemory-policy")],
        ["mem_fragmentation_ratio", (m.rss / Math.max(1, used)).toFixed(2)],
        ["mem_allocator", "bun"],
        ["lazyfree_pending_objects", 0],
        ["lazyfreed_objects", 0],
      ];
    }
    case "persistence":
      // The RDB subsystem (src/persistence/snapshot.ts) supplies the whole section when loaded.
      if (infoProviders.has("persistence")) return infoProviders.get("persistence")!(srv);
      return [
        ["loading", srv.loading ? 1 : 0],
        ["async_loading", 0],
        ["rdb_changes_since_last_save", srv.ks.dirty],
        ["rdb_bgsave_in_progress", 0],
        ["rdb_last_save_time", srv.lastSave],
        ["rdb_last_bgsave_status", "ok"],
        ["aof_enabled", 0],
        ["aof_rewrite_in_progress", 0],
        ["aof_last_write_status", "ok"],
      ];
    case "stats": {
      const ks = srv.ks.stats;
      return [
        ["total_connections_received", st.connections],
        ["total_commands_processed", st.commands],
        ["instantaneous_ops_per_sec", srv.opsPerSec()],
        ["total_net_input_bytes", st.netInput],
        ["total_net_output_bytes", st.netOutput],
        ["total_net_repl_input_bytes", 0],
        ["total_net_repl_output_bytes", 0],
        ["rejected_connections", st.rejectedConnections],
        ["sync_full", 0],
        ["sync_partial_ok", 0],
        ["sync_partial_err", 0],
        ["expired_keys", ks.expired],
        ["expired_stale_perc", ks.expiredStalePerc.toFixed(2)],
        ["expired_time_cap_reached_count", ks.expiredTimeCapReached],
        ["expire_cycle_cpu_milliseconds", Math.round(ks.expireCycleCpuMs)],
        ["evicted_keys", ks.evicted],
        ["evicted_clients", 0],
        ["keyspace_hits", ks.hits],
        ["keyspace_misses", ks.misses],
        ["pubsub_channels", srv.pubsubCounts().channels],
        ["pubsub_patterns", srv.pubsubCounts().patterns],
        ["pubsubshard_channels", srv.pubsubCounts().shard],
        ["latest_fork_usec", 0],
        ["total_forks", 0],
        ["unexpected_error_replies", st.unexpectedErrorReplies],
        ["total_error_replies", st.errorReplies],
        ["total_reads_processed", st.ioReads],
        ["total_writes_processed", st.ioWrites],
        ["client_query_buffer_limit_disconnections", st.clientQbufLimitDisconnections],
        ["client_output_buffer_limit_disconnections", st.clientOutbufLimitDisconnections],
      ];
    }
    case "replication":
      return (
        infoProviders.get("replication")?.(srv) ?? [
          ["role", "master"],
          ["connected_slaves", 0],
          ["master_failover_state", "no-failover"],
          ["master_replid", srv.runId],
          ["master_replid2", "0000000000000000000000000000000000000000"],
          ["master_repl_offset", 0],
          ["second_repl_offset", -1],
          ["repl_backlog_active", 0],
          ["repl_backlog_size", 1048576],
          ["repl_backlog_first_byte_offset", 0],
          ["repl_backlog_histlen", 0],
        ]
      );
    case "cpu": {
      const u = cpuUsage();
      return [
        ["used_cpu_sys", (u.system / 1e6).toFixed(6)],
        ["used_cpu_user", (u.user / 1e6).toFixed(6)],
        ["used_cpu_sys_children", "0.000000"],
        ["used_cpu_user_children", "0.000000"],
        ["used_cpu_sys_main_thread", (u.system / 1e6).toFixed(6)],
        ["used_cpu_user_main_thread", (u.user / 1e6).toFixed(6)],
      ];
    }
    case "modules":
      return [];
    case "errorstats":
      return [...st.errors].map(([code, n]) => [`errorstat_${code}`, `count=${n}`]);
    case "commandstats": {
      const out: [string, string][] = [];
      for (const cmd of srv.table.each()) {
        if (cmd.calls === 0 && cmd.rejected === 0 && cmd.failed === 0) continue;
        const per = cmd.calls ? cmd.usec / cmd.calls : 0;
        out.push([
          `cmdstat_${cmd.name}`,
          `calls=${cmd.calls},usec=${cmd.usec},usec_per_call=${per.toFixed(2)},rejected_calls=${cmd.rejected},failed_calls=${cmd.failed}`,
        ]);
      }
      return out;
    }
    case "latencystats": {
      const out: [string, string][] = [];
      const pcts = srv.cfg.get<number[]>("latency-tracking-info-percentiles");
      for (const cmd of srv.table.each()) {
        if (!cmd.latency || cmd.calls === 0) continue;
        out.push([`latency_percentiles_usec_${cmd.name}`, pcts.map((p) => `p${p}=${cmd.latency!.percentile(p).toFixed(3)}`).join(",")]);
      }
      return out;
    }
    case "cluster":
      return [["cluster_enabled", srv.cfg.bool("cluster-enabled") ? 1 : 0]];
    case "keyspace": {
      const out: [string, string][] = [];
      for (const db of srv.ks.dbs) {
        if (db.size === 0) continue;
        out.push([`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${Math.round(db.avgTtl)}`]);
      }
      return out;
    }
  }
  return infoProviders.has(name) ? infoProviders.get(name)!(srv) : null;
}

const TITLES: Record<string, string> = {
  cpu: "CPU",
  errorstats: "Errorstats",
  commandstats: "Commandstats",
  latencystats: "Latencystats",
};

function title(name: string): string {
  return TITLES[name] ?? name[0]!.toUpperCase() + name.slice(1);
}

/** The INFO text for the requested sections (Redis 7's rules for default/all/everything). */
export function infoText(srv: Server, args: string[]): string {
  const req = args.length === 0 ? ["default"] : args.map((a) => a.toLowerCase());
  const set = new Set<string>();
  for (const r of req) {
    if (r === "all" || r === "everything") for (const n of ORDER) set.add(n);
    else if (r === "default") for (const n of DEFAULT) set.add(n);
    else set.add(r);
  }
  const names = ORDER.filter((n) => set.has(n));
  for (const n of set) if (!names.includes(n) && infoProviders.has(n)) names.push(n);
  const parts: string[] = [];
  for (const n of names) {
    const lines = sectionLines(srv, n);
    if (lines === null) continue;
    parts.push(`# ${title(n)}\r\n` + lines.map(([k, v]) => `${k}:${v}\r\n`).join(""));
  }
  return parts.join("\r\n");
}
