#!/usr/bin/env bun
// `aikv-tool`: command-line utilities around AiKv.
//   aikv-tool import <dump.rdb[.zst]> [--host h] [--port p] [--user u] [--password pw] [--no-replace]
//                               [--pipeline n] [--quiet]
//   aikv-tool export <file.rdb[.zst]> [--host h] [--port p] [--user u] [--password pw] [--quiet]
//   aikv-tool check [--repair] [--quick] <dir>

import { exportRdb, type ExportOptions } from "./export.ts";
import { importRdb, type ImportOptions } from "./import.ts";
import { check } from "./check.ts";

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

export async function main(argv: string[]): Promise<number> {
  const cmd = argv[0];
  if (cmd === undefined || cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === "check") {
    let dir = "";
    let repair = false;
    let quick = false;
    for (const a of argv.slice(1)) {
      if (a === "--repair") repair = true;
      else if (a === "--quick") quick = true;
      else if (a.startsWith("-")) fail(`unknown option ${a}`);
      else if (dir === "") dir = a;
      else fail(`unexpected argument ${a}`);
    }
    if (dir === "") fail("check needs the server's dir");
    const r = check({ dir, repair, quick, out: (l) => process.stdout.write(`${l}\n`) });
    return r.ok || r.repaired ? 0 : 1;
  }
  if (cmd === "export") return exportMain(argv.slice(1));
  if (cmd !== "import") fail(`unknown command '${cmd}'\n${USAGE}`);
  const o: ImportOptions = { file: "", host: "127.0.0.1", port: 6379, user: null, password: null, replace: true, window: 1000, quiet: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--host" || a === "-h") o.host = val();
    else if (a === "--port" || a === "-p") {
      o.port = Number(val());
      if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) fail("bad --port");
    } else if (a === "--user") o.user = val();
    else if (a === "--password" || a === "-a") o.password = val();
    else if (a === "--no-replace") o.replace = false;
    else if (a === "--pipeline") {
      o.window = Number(val());
      if (!Number.isInteger(o.window) || o.window < 1) fail("bad --pipeline");
    } else if (a === "--quiet" || a === "-q") o.quiet = true;
    else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else if (o.file === "") o.file = a;
    else fail(`unexpected argument ${a}`);
  }
  if (o.file === "") fail("import needs a file name");
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

async function exportMain(argv: string[]): Promise<number> {
  const o: ExportOptions = { file: "", host: "127.0.0.1", port: 6379, user: null, password: null, quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${a} needs a value`);
      return v;
    };
    if (a === "--host" || a === "-h") o.host = val();
    else if (a === "--port" || a === "-p") {
      o.port = Number(val());
      if (!Number.isInteger(o.port) || o.port <= 0 || o.port > 65535) fail("bad --port");
    } else if (a === "--user") o.user = val();
    else if (a === "--password" || a === "-a") o.password = val();
    else if (a === "--quiet" || a === "-q") o.quiet = true;
    else if (a.startsWith("-")) fail(`unknown option ${a}`);
    else if (o.file === "") o.file = a;
    else fail(`unexpected argument ${a}`);
  }
  if (o.file === "") fail("export needs a file name");
  try {
    const r = await exportRdb(o);
    process.stderr.write(`exported ${r.keys} keys (${r.bytes} bytes) in ${r.seconds.toFixed(2)} s\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`aikv-tool: export failed: ${(e as Error).message}\n`);
    return 1;
  }
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
