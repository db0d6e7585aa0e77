#!/usr/bin/env bun
// `aikv-tool`: command-line utilities around AiKv.
//   aikv-tool import <dump.rdb[.zst]> [--host h] [--port p] [--user u] [--password pw] [--no-replace]
//                               [--pipeline n] [--quiet]
//   aikv-tool export <file.rdb[.zst]> [--host h] [--port p] [--user u] [--password pw] [--quiet]
//   aikv-tool check [--repair] [--quick] <dir>

import { exportRdb, type ExportOptions } from "./export.ts";
import { importRdb, type ImportOptions } from "./import.ts";
import { check } from "./check.ts";
import { parseArgs } from "node:util";

const USAGE = `Usage: aikv-tool <command> [options]

Commands:
  import <file.rdb>   Load an RDB file (written by redis-server or AiKv, optionally zstd-compressed)
                      into a running server.
      --host <h>        server address (default 127.0.0.1)
      --port <p>        server port (default 6379)
      --user <u>        ACL user for AUTH
      --password <pw>   password for AUTH (also -a)
      --no-replace      keep keys that already exist (they are reported as errors)
      --pipeline <n>    commands in flight at most (default 1000)
      --quiet           no progress display
  export <file.rdb>   Write every key of a running server (AiKv or redis-server) to an RDB file
                      that both load; zstd-compressed when the name ends in .zst.
      --host, --port, --user, --password, --quiet as for import
  check <dir>         Verify the data of the lsm engine in a server's dir (the server must be stopped).
      --repair          cut the WAL at the first damaged record (the writes after it are lost) and
                        delete stored keys whose value does not decode
      --quick           do not decode every stored value
  help                This text.`;

function fail(msg: string): never {
  process.stderr.write(`aikv-tool: ${msg}\n`);
  process.exit(2);
}

/** The options of a subcommand and its one positional argument (`what`: the error without it). */
function parse<O extends Record<string, { type: "string" | "boolean"; short?: string }>>(argv: string[], options: O, what: string) {
  let r;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    fail((e as Error).message);
  }
  if (r.positionals.length === 0) fail(what);
  if (r.positionals.length > 1) fail(`unexpected argument ${r.positionals[1]}`);
  return { values: r.values, arg: r.positionals[0]! };
}

/** Options naming the server import and export talk to. */
const CONNECTION = {
  host: { type: "string", short: "h" },
  port: { type: "string", short: "p" },
  user: { type: "string" },
  password: { type: "string", short: "a" },
  quiet: { type: "boolean", short: "q" },
} as const;

function connection(v: { host?: string; port?: string; user?: string; password?: string; quiet?: boolean }) {
  const port = v.port === undefined ? 6379 : Number(v.port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) fail("bad --port");
  return { host: v.host ?? "127.0.0.1", port, user: v.user ?? null, password: v.password ?? null, quiet: v.quiet ?? false };
}

export async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  const rest = argv.slice(1);
  if (cmd === "check") {
    const { values, arg } = parse(rest, { repair: { type: "boolean" }, quick: { type: "boolean" } }, "check needs the server's dir");
    const r = check({ dir: arg, repair: values.repair ?? false, quick: values.quick ?? false, out: (l) => process.stdout.write(`${l}\n`) });
    return r.ok || r.repaired ? 0 : 1;
  }
  if (cmd === "export") {
    const { values, arg } = parse(rest, CONNECTION, "export needs a file name");
    const o: ExportOptions = { file: arg, ...connection(values) };
    try {
      const r = await exportRdb(o);
      process.stderr.write(`exported ${r.keys} keys (${r.bytes} bytes) in ${r.seconds.toFixed(2)} s\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`aikv-tool: export failed: ${(e as Error).message}\n`);
      return 1;
    }
  }
  if (cmd !== "import") fail(`unknown command '${cmd}'\n${USAGE}`);
  const { values, arg } = parse(rest, { ...CONNECTION, "no-replace": { type: "boolean" }, pipeline: { type: "string" } }, "import needs a file name");
  const window = values.pipeline === undefined ? 1000 : Number(values.pipeline);
  if (!Number.isInteger(window) || window < 1) fail("bad --pipeline");
  const o: ImportOptions = { file: arg, ...connection(values), replace: !values["no-replace"], window };
  try {
    const r = await importRdb(o);
    process.stderr.write(
      `imported ${r.keys} keys and ${r.functions} function libraries in ${r.seconds.toFixed(2)} s` +
        `${r.expired ? ` (${r.expired} already expired, skipped)` : ""}${r.errors ? `; ${r.errors} commands failed` : ""}\n`,
    );
    for (const e of r.firstErrors) process.stderr.write(`  error: ${e}\n`);
    return r.errors ? 1 : 0;
  } catch (e) {
    process.stderr.write(`aikv-tool: import failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
