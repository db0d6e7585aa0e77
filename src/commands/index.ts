// All handler modules, merged into the one table (specs.ts holds the facts).

import type { Handlers } from "./table.ts";
import { handlers as connection } from "./connection.ts";
import { handlers as client } from "./client.ts";

export const HANDLERS: Handlers = {
  ...connection,
  ...client,
};
