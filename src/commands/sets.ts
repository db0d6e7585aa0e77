// (family module: handlers are added by the work that implements it)

import type { Handlers } from "./table.ts";

export const handlers: Handlers = {};
