// HELP replies: an array of status lines, the shape Redis uses for every "<CMD> HELP".

import { fail } from "../errors.ts";
import type { Argv } from "../resp/argv.ts";
import type { Client } from "../server/client.ts";

export function helpReply(c: Client, lines: string[]): void {
  c.out.arr(lines.length);
  for (const l of lines) c.out.status(l);
}

/** Redis's addReplySubcommandSyntaxError: a known subcommand used with the wrong arguments. */
export function subcommandSyntaxError(a: Argv): never {
  return fail(`ERR unknown subcommand or wrong number of arguments for '${a.str(1).slice(0, 128)}'. Try ${a.str(0).toUpperCase()} HELP.`);
}
