// HELP replies: an array of status lines, the shape Redis uses for every "<CMD> HELP".

import type { Client } from "../server/client.ts";

export function helpReply(c: Client, lines: string[]): void {
  c.out.arr(lines.length);
  for (const l of lines) c.out.status(l);
}
