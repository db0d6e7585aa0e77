// CONFIG GET/SET/RESETSTAT/REWRITE/HELP compared with redis-server 7.0: every parameter's
// default, valid and invalid values of every type, error texts, atomic multi-pair SET.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { params } from "../../src/config/params.ts";
import type { ParamDef } from "../../src/config/registry.ts";
import type { Server } from "../../src/server/context.ts";
import { Differ, useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { startAikv, type Running } from "../helpers/servers.ts";
import { prng } from "../helpers/random.ts";

/** CONFIG GET's defaults that differ on purpose (documented in src/config/params.ts), or by setup. */
const EXPECTED_DIFFERENT = new Set([
  "port", // each server has its own
  "dir", // each server runs in its own temp dir
  "save", // the oracle runs with save "" (no RDB files in tests); AiKv keeps Redis's default
  "enable-debug-command", // oracle: yes (tests need DEBUG); AiKv's default is local
]);

const DEFS: ParamDef[] = params({} as Server);
const AIKV_ONLY = new Set(DEFS.filter((d) => d.aikv).map((d) => d.name));
const byName = new Map<string, ParamDef>();
for (const d of DEFS) {
  byName.set(d.name, d);
  for (const a of d.aliases ?? []) byName.set(a, d);
}

// ---- RESP helpers ----

/** Parses a flat array or map of bulk strings (a CONFIG GET reply) into pairs. */
function pairsOf(reply: string): [string, string][] {
  const head = /^([*%])(\d+)\r\n/.exec(reply);
  if (!head) throw new Error(`not an array/map: ${JSON.stringify(reply)}`);
  let n = Number(head[2]);
  if (head[1] === "%") n *= 2;
  let p = head[0].length;
  const items: string[] = [];
  for (let i = 0; i < n; i++) {
    const m = /^\$(\d+)\r\n/.exec(reply.slice(p));
    if (!m) throw new Error(`not a bulk at ${p}: ${JSON.stringify(reply)}`);
    p += m[0].length;
    const len = Number(m[1]);
    items.push(reply.slice(p, p + len));
    p += len + 2;
  }
  const out: [string, string][] = [];
  for (let i = 0; i < items.length; i += 2) out.push([items[i]!, items[i + 1]!]);
  return out;
}

/** CONFIG GET replies in a canonical order (Redis's order is its hash table's). */
function sortedGet(reply: string, cmd: Cmd): string {
  const isGet = String(cmd[0]).toLowerCase() === "config" && String(cmd[1]).toLowerCase() === "get";
  if (!isGet || !/^[*%]/.test(reply)) return reply;
  const pairs = pairsOf(reply).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kind = reply[0]!;
  let s = `${kind}${kind === "%" ? pairs.length : pairs.length * 2}\r\n`;
  for (const [k, v] of pairs) s += `$${k.length}\r\n${k}\r\n$${v.length}\r\n${v}\r\n`;
  return s;
}

// ---- candidate values per parameter type ----

/** Parameters whose values are not tried at random: they disturb the test itself. */
const NOT_TRIED = new Set([
  "port", "bind", "dir", "dbfilename", // listening sockets, working dir, protected
  "maxclients", // the oracle adjusts its fd limit (OS-dependent)
  "oom-score-adj", "oom-score-adj-values", // writes /proc (privileges)
  "appendonly", // starts an AOF rewrite on the oracle
  "requirepass", "masterauth", "masteruser",
  "timeout", // would close idle test connections
  "maxmemory-clients", // tiny values evict the test client
  "watchdog-period", // arms SIGALRM on the oracle
  "min-replicas-to-write", "min-slaves-to-write",
  "proc-title-template", // tried separately (validation only)
]);

function bound(v: number | bigint): string {
  return BigInt(v).toString();
}

function candidates(d: ParamDef): string[] {
  switch (d.type) {
    case "bool":
      return ["yes", "no", "YES", "No", "maybe", "", "1"];
    case "enum":
      return [...d.values.map(([n]) => n), d.values[0]![0].toUpperCase(), "bogus", "", `${d.values[0]![0]} ${d.values[0]![0]}`];
    case "str":
      return ["some-value", "", "a b"];
    case "int": {
      const lo = BigInt(d.min);
      const hi = BigInt(d.max);
      const c = ["abc", "1.5", "+1", "01", "-0", "", " 1", "9223372036854775808", "-9223372036854775809", bound(lo), bound(hi)];
      if (!d.u64) c.push(bound(lo - 1n), bound(hi + 1n));
      if (lo <= 0n && hi >= 0n) c.push("0");
      if (lo <= 1n && hi >= 1n) c.push("1");
      if (lo <= 100n && hi >= 100n) c.push("100");
      if (lo <= -1n && hi >= -1n) c.push("-1");
      if (d.mem) c.push("1kb", "1KB", "2mb", "3m", "1gb", "1G", "5b", "-1", "1.5mb", "x", "kb", "1xb", "18446744073709551615", "99999999999999999999", "99999999999999999999kb");
      if (d.percent) c.push("10%", "100%", "101%", "0%", "x%", "%", "-5%");
      return c.filter((v) => !(d.name === "maxmemory-clients" && /^[0-9]+(kb|b)?$/i.test(v)));
    }
    case "custom":
      switch (d.name) {
        case "save":
          return ["", "100 10", "100 10 200 20", "0 1", "1 -1", "1", "1 x", "100  10", " ", "+5 +6", "5 "];
        case "client-output-buffer-limit":
          return ["", "normal 1 2 3", "NORMAL 1mb 2kb 3 replica 5 6 7", "slave 1 2 3 pubsub 4 5 +6", "normal 1 2", "master 1 2 3",
            "normal 1x 2 3", "normal 1 2 -3", "bogus 1 2 3", "normal 1 2 3 ", "pubsub 18446744073709551615 0 4294967296"];
        case "latency-tracking-info-percentiles":
          return ["", "50", "0.5 99.99999 1e1 100.000", "50 x", "101", "-1", "0", "1 2 3 4 5", "50  60", "99.9999999", "inf"];
        case "notify-keyspace-events":
          return ["", "KEA", "Kg$", "AKE", "Em", "n", "xet", "q", "A", "KEA$lshzxetdmn", "  "];
        case "replicaof":
          return ["no one", "127.0.0.1 6379", "x"];
      }
      return [""];
  }
}

const d = useDiffer();

describe("CONFIG GET", () => {
  test("every Redis 7.0 parameter, with the same defaults", async () => {
    const [a, r] = await d.pair(2);
    const ours = new Map(pairsOf(await a.call("CONFIG", "GET", "*")));
    const theirs = new Map(pairsOf(await r.call("CONFIG", "GET", "*")));
    expect(theirs.size).toBe(192);
    const names = [...ours.keys()].filter((n) => !AIKV_ONLY.has(n)).sort();
    expect(names).toEqual([...theirs.keys()].sort());
    for (const [name, value] of theirs) {
      if (EXPECTED_DIFFERENT.has(name)) continue;
      expect({ name, value: ours.get(name) }).toEqual({ name, value });
    }
    // the documented differences
    expect(ours.get("enable-debug-command")).toBe("local");
    expect(ours.get("save")).toBe("3600 1 300 100 60 10000");
    expect(ours.get("dir")).toBe(realpathSync(d.aikv.dir));
    a.close();
    r.close();
  });

  test("patterns, exact names, case, aliases, hidden parameters", async () => {
    await d.same(
      `
      CONFIG GET maxmemory
      CONFIG GET MAXMEMORY
      CONFIG GET MaxMemory maxmemory
      CONFIG GET maxmemory maxmemory-policy maxmemory
      CONFIG GET maxmemory*
      CONFIG GET Maxmemory*
      CONFIG GET *max-*-entries*
      CONFIG GET hash-max-* hash-max-ziplist-entries
      CONFIG GET hash-max-ziplist-entries hash-max-listpack-entries
      CONFIG GET HASH-MAX-ZIPLIST-ENTRIES hash-max-*
      CONFIG GET *slave*
      CONFIG GET *replica*
      CONFIG GET lua-time-limit busy-reply-threshold
      CONFIG GET nosuchparam
      CONFIG GET nosuch* timeout
      CONFIG GET ?imeout
      CONFIG GET [tb]imeout
      CONFIG GET [^a-z]*
      CONFIG GET t[h-j]meout
      CONFIG GET timeout\\
      CONFIG GET ti\\meout
      CONFIG GET t\\*
      CONFIG GET key-load-delay
      CONFIG GET KEY-LOAD-DELAY
      CONFIG GET key-load*
      CONFIG GET rdb-key-save-delay watchdog-period use-exit-on-panic loading-process-events-interval-bytes
      CONFIG GET *delay*
      CONFIG GET *-*-*-*-*
      CONFIG GET tls-*
      CONFIG GET cluster-*
      CONFIG GET *cpulist*
      CONFIG GET notify-keyspace-events client-output-buffer-limit oom-score-adj-values latency-tracking-info-percentiles
      CONFIG GET unixsocketperm unixsocket
      CONFIG GET shutdown-on-*
      CONFIG GET
      `,
      { normalize: sortedGet },
    );
  });
});

describe("CONFIG SET", () => {
  test("argument and name errors, immutable, protected, duplicates", async () => {
    await d.same(`
      CONFIG SET
      CONFIG SET port
      CONFIG SET a b c
      CONFIG SET foo bar
      CONFIG SET foo 1 databases 3
      CONFIG SET databases 3
      CONFIG SET DATABASES 3
      CONFIG SET databases 3 foo 1
      CONFIG SET hz 11 databases 3 hz 12
      CONFIG SET daemonize yes
      CONFIG SET unixsocketperm 700
      CONFIG SET replicaof "127.0.0.1 1"
      CONFIG SET slaveof "no one"
      CONFIG SET enable-protected-configs yes
      CONFIG SET enable-debug-command no
      CONFIG SET cluster-enabled yes
      CONFIG SET logfile x
      CONFIG SET io-threads 2
      CONFIG SET dir /tmp
      CONFIG SET dbfilename x.rdb
      CONFIG SET dbfilename a/b
      CONFIG SET timeout 1 timeout 2
      CONFIG SET timeout 1 TIMEOUT 2
      CONFIG SET hz abc HZ def
      CONFIG GET hz
      CONFIG SET hash-max-ziplist-value 1 hash-max-listpack-value 2
      CONFIG GET hash-max-listpack-value
      CONFIG SET hash-max-listpack-value 1 hash-max-ziplist-value 3
      CONFIG GET hash-max-*-value
      CONFIG SET hash-max-listpack-value 64
      CONFIG SET HZ abc
      CONFIG SET HASH-MAX-ZIPLIST-VALUE -1
      CONFIG SET Lua-Time-Limit x
      CONFIG SET maxmemory 10mb hz x
      CONFIG GET maxmemory
      CONFIG SET maxmemory 10mb hz 20 maxmemory-policy allkeys-lru
      CONFIG GET maxmemory hz maxmemory-policy
      CONFIG SET maxmemory 0 hz 10 maxmemory-policy noeviction
      CONFIG GET maxmemory hz maxmemory-policy
    `, { normalize: sortedGet });
  });

  test("numbers: parsing, bounds, memory units, percent, clamping", async () => {
    await d.same(`
      CONFIG SET hz -1
      CONFIG SET hz 1000
      CONFIG GET hz
      CONFIG SET hz 0
      CONFIG GET hz
      CONFIG SET hz 10
      CONFIG SET maxmemory -1
      CONFIG SET maxmemory 1xb
      CONFIG SET maxmemory 1.5gb
      CONFIG SET maxmemory 18446744073709551615
      CONFIG GET maxmemory
      CONFIG SET maxmemory 18446744073709551616
      CONFIG GET maxmemory
      CONFIG SET maxmemory 99999999999999999999999kb
      CONFIG GET maxmemory
      CONFIG SET maxmemory 1GB
      CONFIG GET maxmemory
      CONFIG SET maxmemory ""
      CONFIG GET maxmemory
      CONFIG SET maxmemory 5k
      CONFIG GET maxmemory
      CONFIG SET maxmemory 0
      CONFIG SET maxmemory-clients 10%
      CONFIG GET maxmemory-clients
      CONFIG SET maxmemory-clients 101%
      CONFIG SET maxmemory-clients -5
      CONFIG SET maxmemory-clients x
      CONFIG SET maxmemory-clients 0
      CONFIG GET maxmemory-clients
      CONFIG SET maxclients 0
      CONFIG SET maxclients 4294967296
      CONFIG SET maxclients -1
      CONFIG SET proto-max-bulk-len 18446744073709551615
      CONFIG SET proto-max-bulk-len 1000
      CONFIG SET proto-max-bulk-len 1mb
      CONFIG GET proto-max-bulk-len
      CONFIG SET proto-max-bulk-len 512mb
      CONFIG SET hash-max-listpack-value 18446744073709551615
      CONFIG SET slowlog-max-len -1
      CONFIG SET list-max-listpack-size -2147483648
      CONFIG GET list-max-listpack-size
      CONFIG SET list-max-listpack-size -2147483649
      CONFIG SET list-max-listpack-size -2
      CONFIG SET slowlog-log-slower-than -2
      CONFIG SET active-defrag-cycle-min 100
      CONFIG SET cluster-node-timeout 9223372036854775807
      CONFIG GET cluster-node-timeout
      CONFIG SET cluster-node-timeout 15000
      CONFIG SET repl-backlog-size 0
      CONFIG SET tls-port 1234
      CONFIG SET tls-port 0
      CONFIG SET tls-replication yes
      CONFIG SET tls-cluster yes
      CONFIG SET activedefrag yes
      CONFIG SET activedefrag no
    `);
  });

  test("enums, flags, strings with validation", async () => {
    await d.same(`
      CONFIG SET loglevel nothing
      CONFIG SET loglevel DEBUG
      CONFIG GET loglevel
      CONFIG SET loglevel "notice "
      CONFIG SET loglevel warning
      CONFIG SET maxmemory-policy bogus
      CONFIG SET appendfsync ALWAYS
      CONFIG GET appendfsync
      CONFIG SET appendfsync everysec
      CONFIG SET appendonly maybe
      CONFIG SET shutdown-on-sigterm foo
      CONFIG SET shutdown-on-sigterm "nosave force"
      CONFIG GET shutdown-on-sigterm
      CONFIG SET shutdown-on-sigterm "force nosave now"
      CONFIG GET shutdown-on-sigterm
      CONFIG SET shutdown-on-sigterm "save nosave"
      CONFIG SET shutdown-on-sigterm "default force"
      CONFIG GET shutdown-on-sigterm
      CONFIG SET shutdown-on-sigterm ""
      CONFIG SET shutdown-on-sigterm "now  force"
      CONFIG SET shutdown-on-sigterm NOW
      CONFIG GET shutdown-on-sigterm
      CONFIG SET shutdown-on-sigterm default
      CONFIG SET shutdown-on-sigint "save now"
      CONFIG GET shutdown-on-sigint
      CONFIG SET shutdown-on-sigint default
      CONFIG SET acl-pubsub-default allchannels
      CONFIG GET acl-pubsub-default
      CONFIG SET acl-pubsub-default resetchannels
      CONFIG SET sanitize-dump-payload clients
      CONFIG SET sanitize-dump-payload no
      CONFIG SET propagation-error-behavior panic-on-replicas
      CONFIG SET propagation-error-behavior ignore
      CONFIG SET cluster-preferred-endpoint-type hostname
      CONFIG SET cluster-preferred-endpoint-type ip
      CONFIG SET proc-title-template ""
      CONFIG SET proc-title-template {title}
      CONFIG SET proc-title-template {foo}
      CONFIG SET proc-title-template "{title"
      CONFIG SET proc-title-template "x}"
      CONFIG SET proc-title-template "{{title}}"
      CONFIG GET proc-title-template
      CONFIG SET proc-title-template "{{"
      CONFIG SET proc-title-template "{"
      CONFIG SET proc-title-template "} {port}"
      CONFIG GET proc-title-template
      CONFIG SET proc-title-template x{title}
      CONFIG SET proc-title-template "{title} {listen-addr} {server-mode}"
      CONFIG SET cluster-announce-hostname a_b
      CONFIG SET cluster-announce-hostname node-1.example
      CONFIG GET cluster-announce-hostname
      CONFIG SET cluster-announce-hostname ""
      CONFIG SET tls-cert-file /x
      CONFIG GET tls-cert-file
      CONFIG SET tls-cert-file ""
      CONFIG SET ignore-warnings "ARM64-COW-BUG"
      CONFIG GET ignore-warnings
      CONFIG SET ignore-warnings ""
    `);
  });

  test("parameters with their own syntax", async () => {
    await d.same(`
      CONFIG SET save "3600  1"
      CONFIG SET save "0 1"
      CONFIG SET save "1 -1"
      CONFIG SET save "1 x"
      CONFIG SET save "5 5"
      CONFIG GET save
      CONFIG SET save "100 1 200 2"
      CONFIG GET save
      CONFIG SET save ""
      CONFIG GET save
      CONFIG SET save " "
      CONFIG SET client-output-buffer-limit "normal 1 2"
      CONFIG SET client-output-buffer-limit "master 1 2 3"
      CONFIG SET client-output-buffer-limit "normal 1x 2 3"
      CONFIG SET client-output-buffer-limit "normal 1 2 -3"
      CONFIG SET client-output-buffer-limit "NORMAL 1mb 2kb 3 replica 5 6 7"
      CONFIG GET client-output-buffer-limit
      CONFIG SET client-output-buffer-limit "slave 1 2 3 pubsub 4 5 +6"
      CONFIG GET client-output-buffer-limit
      CONFIG SET client-output-buffer-limit ""
      CONFIG GET client-output-buffer-limit
      CONFIG SET client-output-buffer-limit "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
      CONFIG GET client-output-buffer-limit
      CONFIG SET oom-score-adj-values "1 2"
      CONFIG SET oom-score-adj-values "1 2 x"
      CONFIG SET oom-score-adj-values "1 2 3000"
      CONFIG SET latency-tracking-info-percentiles "50 x"
      CONFIG SET latency-tracking-info-percentiles 101
      CONFIG SET latency-tracking-info-percentiles ""
      CONFIG GET latency-tracking-info-percentiles
      CONFIG SET latency-tracking-info-percentiles "0.5 99.99999 1e1 100.000"
      CONFIG GET latency-tracking-info-percentiles
      CONFIG SET latency-tracking-info-percentiles "50 99 99.9"
      CONFIG SET notify-keyspace-events KEA
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events q
      CONFIG SET notify-keyspace-events Kgx
      CONFIG GET notify-keyspace-events
      CONFIG SET notify-keyspace-events ""
      CONFIG SET bind "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"
      CONFIG GET bind
    `);
  });

  test("every parameter: the current value, then valid and invalid values of its type", async () => {
    for (const proto of [2, 3] as const) {
      const [a, r] = await d.pair(proto);
      const names = pairsOf(await r.call("CONFIG", "GET", "*")).map(([n]) => n).sort();
      const same = async (...cmd: string[]) => {
        const [ra, rr] = await Promise.all([a.call(...cmd), r.call(...cmd)]);
        expect({ proto, cmd: cmd.join(" "), reply: ra }).toEqual({ proto, cmd: cmd.join(" "), reply: rr });
        return [ra, rr];
      };
      for (const name of names) {
        const def = byName.get(name)!;
        if (EXPECTED_DIFFERENT.has(def.name)) continue;
        const [ga, gr] = await same("CONFIG", "GET", name);
        const origA = pairsOf(ga!)[0]![1];
        const origB = pairsOf(gr!)[0]![1];
        // setting the current value again is accepted (or refused) alike
        await same("CONFIG", "SET", name, origB);
        if (NOT_TRIED.has(def.name)) continue;
        for (const v of candidates(def)) {
          await same("CONFIG", "SET", name, v);
          await same("CONFIG", "GET", name);
        }
        const [ra, rr] = await Promise.all([a.call("CONFIG", "SET", name, origA), r.call("CONFIG", "SET", name, origB)]);
        if (!((def.flags ?? 0) & 1)) expect([name, ra, rr]).toEqual([name, "+OK\r\n", "+OK\r\n"]);
      }
      a.close();
      r.close();
    }
  });

  test("a randomized sequence of SETs leaves both servers configured alike", async () => {
    const rnd = prng(20240607);
    const pool = DEFS.filter((x) => !x.aikv && !NOT_TRIED.has(x.name) && !EXPECTED_DIFFERENT.has(x.name) && !((x.flags ?? 0) & 1));
    const [a, r] = await d.pair(3);
    const before = new Map(pairsOf(await r.call("CONFIG", "GET", "*")));
    for (let i = 0; i < 400; i++) {
      const n = 1 + Math.floor(rnd() * 3);
      const cmd: string[] = ["CONFIG", "SET"];
      for (let k = 0; k < n; k++) {
        const p = pool[Math.floor(rnd() * pool.length)]!;
        const names = [p.name, ...(p.aliases ?? [])];
        const cands = candidates(p);
        cmd.push(names[Math.floor(rnd() * names.length)]!, cands[Math.floor(rnd() * cands.length)]!);
      }
      const [ra, rr] = await Promise.all([a.call(...cmd), r.call(...cmd)]);
      expect({ i, cmd: cmd.join(" "), reply: ra }).toEqual({ i, cmd: cmd.join(" "), reply: rr });
    }
    const ga = new Map(pairsOf(await a.call("CONFIG", "GET", "*")));
    const gr = new Map(pairsOf(await r.call("CONFIG", "GET", "*")));
    for (const [name, value] of gr) if (!EXPECTED_DIFFERENT.has(name)) expect({ name, value: ga.get(name) }).toEqual({ name, value });
    // restore
    for (const [name, value] of before) {
      const def = byName.get(name)!;
      if (EXPECTED_DIFFERENT.has(def.name) || NOT_TRIED.has(def.name) || (def.flags ?? 0) & 1) continue;
      expect(await a.call("CONFIG", "SET", name, value)).toBe("+OK\r\n");
      expect(await r.call("CONFIG", "SET", name, value)).toBe("+OK\r\n");
    }
    a.close();
    r.close();
  });

  test("an effect that fails restores every value of the call", async () => {
    const [a, r] = await d.pair(2);
    // the other server's port is taken: listening fails, maxmemory goes back
    const ea = await a.call("CONFIG", "SET", "maxmemory", "10mb", "port", String(d.redis.port));
    const er = await r.call("CONFIG", "SET", "maxmemory", "10mb", "port", String(d.aikv.port));
    expect(ea).toBe(er);
    expect(ea).toBe("-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n");
    expect(await a.call("CONFIG", "GET", "maxmemory")).toBe(await r.call("CONFIG", "GET", "maxmemory"));
    expect(await a.call("CONFIG", "GET", "port")).toBe(`*2\r\n$4\r\nport\r\n$${String(d.aikv.port).length}\r\n${d.aikv.port}\r\n`);
    expect(await a.call("PING")).toBe("+PONG\r\n");
    a.close();
    r.close();
  });

  test("an address that cannot be bound is refused and the old one kept", async () => {
    await d.same(`
      CONFIG SET bind 192.0.2.1
      CONFIG GET bind
      CONFIG SET bind "127.0.0.1 192.0.2.1"
      CONFIG GET bind
      PING
    `);
  });

  test("port and bind move the listener", async () => {
    const c = await RespConn.connect(d.aikv.port);
    const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const free = s.port;
    s.stop(true);
    expect(await c.call("CONFIG", "SET", "port", String(free))).toBe("+OK\r\n");
    const c2 = await RespConn.connect(free);
    expect(await c2.call("PING")).toBe("+PONG\r\n");
    expect(await c2.call("CONFIG", "SET", "bind", "127.0.0.1 -::1")).toBe("+OK\r\n");
    expect(await c2.call("CONFIG", "GET", "bind")).toBe("*2\r\n$4\r\nbind\r\n$14\r\n127.0.0.1 -::1\r\n");
    // no address: Redis's default "* -::*" is listened on, CONFIG GET shows ""
    expect(await c2.call("CONFIG", "SET", "bind", "")).toBe("+OK\r\n");
    expect(await c2.call("CONFIG", "GET", "bind")).toBe("*2\r\n$4\r\nbind\r\n$0\r\n\r\n");
    const c4 = await RespConn.connect(free);
    expect(await c4.call("PING")).toBe("+PONG\r\n");
    c4.close();
    expect(await c2.call("CONFIG", "SET", "port", String(d.aikv.port), "bind", "127.0.0.1")).toBe("+OK\r\n");
    const c3 = await RespConn.connect(d.aikv.port);
    expect(await c3.call("PING")).toBe("+PONG\r\n");
    for (const x of [c, c2, c3]) x.close();
  });

  test("effects: encodings, slowlog, notifications, requirepass, output limits", async () => {
    // encodings: only for the data types AiKv serves already
    const probe = await RespConn.connect(d.aikv.port);
    const live = async (cmd: string) => !/^\*1\r\n([*$]-1|_)\r\n/.test(await probe.call("COMMAND", "INFO", cmd));
    const blocks: [string, string][] = [
      ["rpush", "CONFIG SET list-max-listpack-size 2\nRPUSH l a b c\nOBJECT ENCODING l\nCONFIG SET list-max-listpack-size -2"],
      ["sadd", "CONFIG SET set-max-intset-entries 2\nSADD s 1 2 3\nOBJECT ENCODING s\nCONFIG SET set-max-intset-entries 512"],
      ["hset", "CONFIG SET hash-max-listpack-entries 1\nHSET h a 1 b 2\nOBJECT ENCODING h\nCONFIG SET hash-max-listpack-entries 512"],
      ["zadd", "CONFIG SET zset-max-listpack-value 1\nZADD z 1 abc\nOBJECT ENCODING z\nCONFIG SET zset-max-listpack-value 64"],
    ];
    for (const [cmd, script] of blocks) if (await live(cmd)) await d.same(script);
    probe.close();
    await d.same(`
      SLOWLOG RESET
      CONFIG SET slowlog-log-slower-than 0
      CONFIG SET slowlog-max-len 1
      PING
      SLOWLOG LEN
      CONFIG SET slowlog-log-slower-than 10000 slowlog-max-len 128
      SLOWLOG RESET
      CONFIG SET proto-max-bulk-len 1mb
      SETRANGE k 1048576 x
      CONFIG SET proto-max-bulk-len 512mb
    `);
    // keyspace notifications reach a subscriber
    const sub = await RespConn.connect(d.aikv.port);
    const c = await RespConn.connect(d.aikv.port);
    expect(await c.call("CONFIG", "SET", "notify-keyspace-events", "KEA")).toBe("+OK\r\n");
    await sub.call("SUBSCRIBE", "__keyevent@0__:set");
    await c.call("SET", "nk", "1");
    expect(await sub.read()).toBe("*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$2\r\nnk\r\n");
    expect(await c.call("CONFIG", "SET", "notify-keyspace-events", "")).toBe("+OK\r\n");
    sub.close();
    // requirepass: new connections must authenticate; the setter stays authenticated
    expect(await c.call("CONFIG", "SET", "requirepass", "sekret")).toBe("+OK\r\n");
    const n = await RespConn.connect(d.aikv.port);
    expect(await n.call("GET", "x")).toBe("-NOAUTH Authentication required.\r\n");
    expect(await n.call("AUTH", "sekret")).toBe("+OK\r\n");
    expect(await c.call("CONFIG", "SET", "requirepass", "")).toBe("+OK\r\n");
    n.close();
    // a normal client over its output limit is disconnected
    expect(await c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")).toBe("+OK\r\n");
    await c.call("SET", "big", "x".repeat(600000));
    const victim = await RespConn.connect(d.aikv.port);
    victim.writeRaw("GET big\r\n".repeat(40));
    const got = await victim.readUntilClose(3000);
    expect(victim.closed).toBe(true);
    expect(got.length).toBeLessThan(40 * 600000);
    expect(await c.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")).toBe("+OK\r\n");
    await c.call("DEL", "big");
    c.close();
  });
});

describe("CONFIG RESETSTAT / HELP / REWRITE", () => {
  test("RESETSTAT clears counters and command stats", async () => {
    const c = await RespConn.connect(d.aikv.port);
    expect(await c.call("CONFIG", "RESETSTAT")).toBe("+OK\r\n");
    await c.call("SET", "a", "1");
    await c.call("GET", "a");
    await c.call("GET", "missing");
    await c.call("INCR", "a", "b");
    await c.call("NOSUCHCMD");
    const before = await c.call("INFO", "commandstats");
    expect(before).toContain("cmdstat_get:calls=2");
    expect(await c.call("CONFIG", "RESETSTAT")).toBe("+OK\r\n");
    const stats = await c.call("INFO", "stats");
    expect(stats).toContain("keyspace_hits:0\r\n");
    expect(stats).toContain("keyspace_misses:0\r\n");
    expect(stats).toContain("total_error_replies:0\r\n");
    const cs = await c.call("INFO", "commandstats");
    expect(cs).not.toContain("cmdstat_get");
    expect(await c.call("INFO", "errorstats")).not.toContain("errorstat_ERR");
    c.close();
    await d.same("CONFIG RESETSTAT\nCONFIG RESETSTAT extra");
  });

  test("HELP and REWRITE without a config file", async () => {
    const [a, r] = await d.pair(2);
    const help = await a.call("CONFIG", "HELP");
    expect(help.startsWith("*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")).toBe(true);
    expect(help.endsWith("+HELP\r\n+    This text.\r\n")).toBe(true);
    a.close();
    r.close();
    await d.same(`
      CONFIG REWRITE
      CONFIG REWRITE x
      CONFIG HELP x
      CONFIG
      CONFIG NOPE
    `);
  });

  test("REWRITE updates the TOML file, keeps comments and tables, and a restart reads it back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aikv-rewrite-"));
    const file = join(dir, "aikv.toml");
    writeFileSync(
      file,
      [
        "# my settings",
        "maxmemory = \"100mb\"   # a comment after",
        "hz = 15",
        "save = [",
        "  3600, 1,",
        "  300, 100,",
        "]",
        "",
        "slowlog_max_len = 64",
        "slowlog-max-len = 65",
        "",
        "[cluster]",
        "# cluster things",
        "node-timeout = 5000",
        "",
      ].join("\n"),
    );
    let s: Running | null = await startAikv({ args: ["--config", file], dir });
    try {
      const c = await RespConn.connect(s.port);
      expect(await c.call("CONFIG", "GET", "slowlog-max-len")).toBe("*2\r\n$15\r\nslowlog-max-len\r\n$2\r\n65\r\n");
      expect(await c.call("CONFIG", "SET", "maxmemory", "2gb", "hz", "10", "maxmemory-policy", "allkeys-lru", "cluster-node-timeout", "7000")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "SET", "save", "60 5", "requirepass", "p w\"d", "notify-keyspace-events", "Kx")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "REWRITE")).toBe("+OK\r\n");
      c.close();
      const text = readFileSync(file, "utf8");
      expect(text).toContain("# my settings\n");
      expect(text).toContain('maxmemory = "2gb"\n');
      expect(text).toContain("hz = 10\n");
      expect(text).toContain('save = "60 5"\n');
      expect(text).not.toContain("3600, 1");
      expect(text).toContain("slowlog_max_len = 65\n");
      expect(text.match(/slowlog.max.len/g)?.length).toBe(1);
      expect(text).toContain("# Generated by CONFIG REWRITE\n");
      expect(text).toContain('maxmemory-policy = "allkeys-lru"\n');
      expect(text).toContain('requirepass = "p w\\"d"\n');
      expect(text).toContain('notify-keyspace-events = "xK"\n');
      expect(text).toContain("[cluster]\n# cluster things\nnode-timeout = 7000\n");
      expect(text.indexOf("maxmemory-policy")).toBeLessThan(text.indexOf("[cluster]"));
      await s.stop();
      s = await startAikv({ args: ["--config", file], dir });
      const c2 = await RespConn.connect(s.port);
      expect(await c2.call("AUTH", 'p w"d')).toBe("+OK\r\n");
      const got = new Map(pairsOf(await c2.call("CONFIG", "GET", "maxmemory", "hz", "maxmemory-policy", "cluster-node-timeout", "save", "notify-keyspace-events", "slowlog-max-len")));
      expect(Object.fromEntries(got)).toEqual({
        maxmemory: "2147483648", hz: "10", "maxmemory-policy": "allkeys-lru", "cluster-node-timeout": "7000", save: "60 5",
        "notify-keyspace-events": "xK", "slowlog-max-len": "65",
      });
      // a second rewrite changes nothing
      expect(await c2.call("CONFIG", "REWRITE")).toBe("+OK\r\n");
      const noPort = (t: string) => t.replace(/^port = \d+$/m, "");
      expect(noPort(readFileSync(file, "utf8"))).toBe(noPort(text));
      c2.close();
    } finally {
      await s?.stop();
    }
  });
});

describe("redis.conf files", () => {
  test("a .conf file in Redis's format is read and rewritten in that format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aikv-conf-"));
    const file = join(dir, "redis.conf");
    writeFileSync(file, ["# redis style", "maxmemory 100mb", 'save 900 1', "save 300 10", "slave-read-only no", "requirepass \"a b\"", ""].join("\n"));
    let s: Running | null = await startAikv({ args: ["--config", file], dir });
    try {
      const c = await RespConn.connect(s.port);
      expect(await c.call("AUTH", "a b")).toBe("+OK\r\n");
      const got = Object.fromEntries(pairsOf(await c.call("CONFIG", "GET", "maxmemory", "save", "replica-read-only")));
      expect(got).toEqual({ maxmemory: "104857600", save: "900 1 300 10", "replica-read-only": "no" });
      expect(await c.call("CONFIG", "SET", "save", "60 1 30 2 10 3", "maxmemory", "1gb", "client-output-buffer-limit", "pubsub 1mb 1kb 5", "requirepass", "")).toBe("+OK\r\n");
      expect(await c.call("CONFIG", "REWRITE")).toBe("+OK\r\n");
      c.close();
      const text = readFileSync(file, "utf8");
      expect(text).toContain("# redis style\nmaxmemory 1gb\nsave 60 1\nsave 30 2\nsave 10 3\nreplica-read-only no\n\n# Generated by CONFIG REWRITE\n");
      expect(text).not.toContain("save 300 10");
      expect(text).toContain("client-output-buffer-limit pubsub 1mb 1kb 5\n");
      expect(text).not.toContain("requirepass");
      await s.stop();
      s = await startAikv({ args: ["--config", file], dir });
      const c2 = await RespConn.connect(s.port);
      const again = Object.fromEntries(pairsOf(await c2.call("CONFIG", "GET", "maxmemory", "save", "client-output-buffer-limit", "requirepass")));
      expect(again).toEqual({
        maxmemory: "1073741824", save: "60 1 30 2 10 3", requirepass: "",
        "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 1024 5",
      });
      c2.close();
    } finally {
      await s?.stop();
    }
  });
});

describe("protected configs", () => {
  test("dir and dbfilename with enable-protected-configs yes", async () => {
    const p = await Differ.start({ aikv: { args: ["--enable-protected-configs", "yes"] }, redis: { args: ["--enable-protected-configs", "yes"] } });
    try {
      const sub = mkdtempSync(join(tmpdir(), "aikv-dir-"));
      await p.same(`
        CONFIG SET dir /nonexistent/path
        CONFIG SET dir /etc/hostname
        CONFIG SET dir ""
        CONFIG SET dbfilename a/b
        CONFIG SET dbfilename a\\\\b
        CONFIG SET dbfilename x.rdb
        CONFIG GET dbfilename
        CONFIG SET dbfilename dump.rdb
        CONFIG SET dir ${sub}
        CONFIG GET dir
      `);
    } finally {
      await p.stop();
    }
  });
});

describe("secrets", () => {
  test("SLOWLOG shows CONFIG SET values of sensitive parameters as (redacted)", async () => {
    const strip = (r: string) => r.replace(/:\d+\r\n/g, ":N\r\n").replace(/127\.0\.0\.1:\d+/g, "ADDR");
    await d.same(
      `
      SLOWLOG RESET
      CONFIG SET slowlog-log-slower-than 0
      CONFIG SET masterauth "" masteruser "" hz 10
      CONFIG SET requirepass
      CONFIG SET masterauth x nosuch y
      CONFIG SET slowlog-log-slower-than 10000
      SLOWLOG GET
      SLOWLOG RESET
      `,
      { normalize: (r) => strip(r) },
    );
  });
});
