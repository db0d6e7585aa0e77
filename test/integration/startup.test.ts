// Starting AiKv: redis-style flags, a TOML config file (--config or first argument), flags
// winning over the file, clear errors for unknown options and bad values, logging.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RespConn } from "../helpers/resp.ts";
import { freePort, ROOT, startAikv } from "../helpers/servers.ts";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "aikv-startup-"));
}

/** Runs AiKv expecting it to refuse to start: its exit code and output. */
async function failing(args: string[], cwd = tempDir()): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(["bun", join(ROOT, "src/main.ts"), ...args], { cwd, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 10000);
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  rmSync(cwd, { recursive: true, force: true });
  return { code, out: out + err };
}

/** Each config file text makes startup fail with output matching its pattern. */
async function expectConfigErrors(file: string, cases: [string, RegExp][]): Promise<void> {
  const port = String(await freePort());
  for (const [text, re] of cases) {
    const dir = tempDir();
    writeFileSync(join(dir, file), text);
    const r = await failing(["--config", file, "--port", port], dir);
    expect({ text, code: r.code === 0 ? 0 : 1 }).toEqual({ text, code: 1 });
    expect({ text, matched: re.test(r.out) ? "yes" : r.out }).toEqual({ text, matched: "yes" });
  }
}

/** CONFIG GET of several names as an object. */
async function configGet(c: RespConn, ...names: string[]): Promise<Record<string, string>> {
  const reply = await c.call("CONFIG", "GET", ...names);
  const parts = reply.split("\r\n");
  const out: Record<string, string> = {};
  // *N, then $len/value lines
  const vals: string[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) vals.push(parts[i + 1]!);
  for (let i = 0; i + 1 < vals.length; i += 2) out[vals[i]!] = vals[i + 1]!;
  return out;
}

describe("flags", () => {
  test("redis-style --name value flags", async () => {
    const s = await startAikv({
      args: [
        "--bind", "127.0.0.1", "--databases", "32", "--loglevel", "debug", "--requirepass", "x", "--save", "",
        "--maxmemory", "100mb", "--client-output-buffer-limit", "normal", "1mb", "2mb", "3", "--list-max-ziplist-size", "5",
        "--notify-keyspace-events", "KEA", "--maxmemory-policy", "ALLKEYS-LRU", "--shutdown-on-sigterm", "nosave", "force",
        "--appendfsync", "always", "--hz", "1000", "--unixsocketperm", "755", "--engine", "memory",
      ],
    });
    try {
      const c = await RespConn.connect(s.port);
      expect(await c.call("PING")).toBe("-NOAUTH Authentication required.\r\n");
      expect(await c.call("AUTH", "x")).toBe("+OK\r\n");
      expect(
        await configGet(c, "bind", "databases", "loglevel", "requirepass", "save", "maxmemory", "client-output-buffer-limit", "list-max-listpack-size",
          "notify-keyspace-events", "maxmemory-policy", "shutdown-on-sigterm", "appendfsync", "hz", "unixsocketperm", "engine", "port"),
      ).toEqual({
        bind: "127.0.0.1", databases: "32", loglevel: "debug", requirepass: "x", save: "", maxmemory: "104857600",
        "client-output-buffer-limit": "normal 1048576 2097152 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        "list-max-listpack-size": "5", "notify-keyspace-events": "AKE", "maxmemory-policy": "allkeys-lru",
        "shutdown-on-sigterm": "nosave force", appendfsync: "always", hz: "500", unixsocketperm: "755", engine: "memory",
        port: String(s.port),
      });
      expect(await c.call("SELECT", "31")).toBe("+OK\r\n");
      expect(await c.call("SELECT", "32")).toBe("-ERR DB index is out of range\r\n");
      c.close();
    } finally {
      await s.stop();
    }
  });

  test("repeated save flags add up, as config file lines do; names take - or _", async () => {
    const s = await startAikv({ args: ["--save", "900", "1", "--save", "300", "10", "--slowlog_max_len", "7", "--server_cpulist", "0-1"] });
    try {
      const c = await RespConn.connect(s.port);
      expect(await configGet(c, "save", "slowlog-max-len", "server_cpulist")).toEqual({ save: "900 1 300 10", "slowlog-max-len": "7", server_cpulist: "0-1" });
      c.close();
    } finally {
      await s.stop();
    }
  });

  test("unknown options and bad values stop the start with a message naming the option", async () => {
    const port = String(await freePort());
    const cases: [string[], RegExp][] = [
      [["--no-such-option", "1"], /unknown option 'no-such-option'/],
      [["--port", "abc"], /'port'.*argument couldn't be parsed into an integer/],
      [["--port", "70000"], /'port'.*argument must be between 0 and 65535 inclusive/],
      [["--port", port, "1"], /'port'.*wrong number of arguments/],
      [["--maxmemory-policy", "sometimes"], /'maxmemory-policy'.*argument\(s\) must be one of the following: volatile-lru/],
      [["--appendonly", "maybe"], /'appendonly'.*argument must be 'yes' or 'no'/],
      [["--maxmemory", "lots"], /'maxmemory'.*argument must be a memory value/],
      [["--save", "1"], /'save'.*Invalid save parameters/],
      [["--client-output-buffer-limit", "master", "1", "2", "3"], /'client-output-buffer-limit'.*Invalid client class/],
      [["--requirepass"], /'requirepass'.*wrong number of arguments/],
      [["--logfile", "/nonexistent-dir/x.log"], /'logfile'.*Can't open the log file: No such file or directory/],
      [["--dir", "/nonexistent-dir"], /'dir'.*No such file or directory/],
      [["--config", "/nonexistent-dir/aikv.toml"], /cannot read config file '\/nonexistent-dir\/aikv.toml'/],
      [["stray"], /'port'.*wrong number of arguments/],
      [["--hz", "10", "--x"], /unknown option 'x'/],
    ];
    for (const [args, re] of cases) {
      const r = await failing(["--port", port, ...args]);
      expect({ args, code: r.code === 0 ? 0 : 1 }).toEqual({ args, code: 1 });
      expect({ args, matched: re.test(r.out) ? "yes" : r.out }).toEqual({ args, matched: "yes" });
    }
  });

  test("--help and --version", async () => {
    for (const f of ["--help", "--version"]) {
      const proc = Bun.spawn(["bun", join(ROOT, "src/main.ts"), f], { stdout: "pipe", stderr: "pipe" });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      expect(out).toMatch(f === "--help" ? /Usage: aikv/ : /redis_version=7\./);
    }
  });
});

describe("TOML config file", () => {
  const TOML = `# AiKv test config
databases = 20
maxmemory_policy = "allkeys-lru"
maxmemory = "64mb"
save = [[900, 1], [300, 10]]
appendonly = false
protected-mode = false
hz = 20
server_cpulist = "0-3"
latency-tracking-info-percentiles = [50, 99.9]
notify_keyspace_events = "Ex"
client-output-buffer-limit = "pubsub 64mb 16mb 30"
requirepass = "a b"
slowlog-log-slower-than = -1

[cluster]
node-timeout = 5000
announce-hostname = "node-1"
`;

  test("keys with - or _, tables, booleans, arrays; flags win over the file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "aikv.toml"), TOML);
    const s = await startAikv({ args: ["--config", "aikv.toml", "--hz", "30"], dir });
    try {
      const c = await RespConn.connect(s.port);
      expect(await c.call("AUTH", "a b")).toBe("+OK\r\n");
      expect(
        await configGet(c, "databases", "maxmemory-policy", "maxmemory", "save", "appendonly", "protected-mode", "hz", "server_cpulist",
          "latency-tracking-info-percentiles", "notify-keyspace-events", "client-output-buffer-limit", "cluster-node-timeout",
          "cluster-announce-hostname", "slowlog-log-slower-than"),
      ).toEqual({
        databases: "20", "maxmemory-policy": "allkeys-lru", maxmemory: "67108864", save: "900 1 300 10", appendonly: "no",
        "protected-mode": "no", hz: "30", server_cpulist: "0-3", "latency-tracking-info-percentiles": "50 99.9",
        "notify-keyspace-events": "xE", "client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 30",
        "cluster-node-timeout": "5000", "cluster-announce-hostname": "node-1", "slowlog-log-slower-than": "-1",
      });
      c.close();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the file may be the first argument (redis-server style)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "my.toml"), "databases = 3\n");
    const port = await freePort();
    const proc = Bun.spawn(["bun", join(ROOT, "src/main.ts"), "my.toml", "--port", String(port), "--loglevel", "warning"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    try {
      let c: RespConn | null = null;
      for (let i = 0; i < 300 && !c; i++) {
        try {
          c = await RespConn.connect(port);
          if ((await c.call("PING")) !== "+PONG\r\n") c = null;
        } catch {
          await Bun.sleep(30);
        }
      }
      expect(c).not.toBeNull();
      expect(await configGet(c!, "databases")).toEqual({ databases: "3" });
      c!.close();
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("errors in the file name the file and the option", async () => {
    const cases: [string, RegExp][] = [
      ["no_such_thing = 1\n", /aikv\.toml.*unknown option 'no_such_thing'/],
      ["port = \"http\"\n", /aikv\.toml.*'port'.*couldn't be parsed into an integer/],
      ["[cluster]\nenabled = \"perhaps\"\n", /aikv\.toml.*'cluster-enabled'.*argument must be 'yes' or 'no'/],
      ["maxmemory = \n", /aikv\.toml.*TOML Parse error/],
      ["hz = 1\nhz = 2\n", /aikv\.toml/],
    ];
    await expectConfigErrors("aikv.toml", cases);
  });

  test("a redis.conf (.conf) file: errors name the line", async () => {
    const cases: [string, RegExp][] = [
      ["port 1\nno-such 1\n", /redis\.conf', line 2: unknown option 'no-such'/],
      ["# c\nhz \"10\n", /redis\.conf.*line 2: Unbalanced quotes/],
      ["maxmemory-policy all\n", /line 1: option 'maxmemory-policy'.*must be one of the following/],
      ["requirepass a b\n", /line 1: option 'requirepass'.*wrong number of arguments/],
    ];
    await expectConfigErrors("redis.conf", cases);
  });

  test("the shipped template config/aikv.toml starts the server", async () => {
    const dir = tempDir();
    const s = await startAikv({ args: ["--config", join(ROOT, "config/aikv.toml")], dir });
    try {
      const c = await RespConn.connect(s.port);
      expect(await c.call("PING")).toBe("+PONG\r\n");
      expect(await configGet(c, "engine", "databases")).toEqual({ engine: "memory", databases: "16" });
      c.close();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("logging and files", () => {
  test("logfile receives the log at loglevel; pidfile holds the pid; dir moves the working directory", async () => {
    const dir = tempDir();
    const sub = join(dir, "data");
    mkdirSync(sub);
    const s = await startAikv({ args: ["--dir", "data", "--logfile", "aikv.log", "--loglevel", "notice", "--pidfile", "aikv.pid"], dir });
    try {
      const log = join(sub, "aikv.log");
      for (let i = 0; i < 100 && !(existsSync(log) && readFileSync(log, "utf8").includes("Ready to accept")); i++) await Bun.sleep(20);
      const text = readFileSync(log, "utf8");
      expect(text).toMatch(/^\d+:M \d+ \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3} \* /m);
      expect(text).toContain("Ready to accept connections");
      expect(s.logs()).not.toContain("Ready to accept connections");
      expect(readFileSync(join(sub, "aikv.pid"), "utf8").trim()).toBe(String(s.proc.pid));
      const c = await RespConn.connect(s.port);
      expect(await configGet(c, "dir", "logfile", "pidfile")).toEqual({ dir: realpathSync(sub), logfile: "aikv.log", pidfile: "aikv.pid" });
      // DEBUG LOG writes at warning level; loglevel warning hides notices
      expect(await c.call("CONFIG", "SET", "loglevel", "warning")).toBe("+OK\r\n");
      c.close();
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("without logfile the log goes to stdout, filtered by loglevel", async () => {
    const quiet = await startAikv({ args: ["--loglevel", "warning"] });
    const loud = await startAikv({ args: ["--loglevel", "debug"] });
    try {
      for (let i = 0; i < 100 && !loud.logs().includes("Ready to accept"); i++) await Bun.sleep(20);
      expect(loud.logs()).toContain("Ready to accept connections");
      expect(quiet.logs()).not.toContain("Ready to accept connections");
    } finally {
      await quiet.stop();
      await loud.stop();
    }
  });
});
