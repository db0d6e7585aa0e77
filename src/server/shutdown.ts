// Graceful shutdown: SIGTERM/SIGINT and the SHUTDOWN command stop accepting, let
// subsystems finish (persistence hooks), close clients and exit.

import type { Server } from "./context.ts";

export type ShutdownHook = (srv: Server, opts: { save: boolean | null }) => Promise<void> | void;
export const shutdownHooks: ShutdownHook[] = [];

export async function shutdown(srv: Server, opts: { save: boolean | null; exitCode?: number }): Promise<void> {
  if (srv.shuttingDown) return;
  srv.shuttingDown = true;
  srv.log.warning("User requested shutdown...");
  srv.stopCron();
  srv.net?.stop();
  for (const h of shutdownHooks) {
    try {
      await h(srv, opts);
    } catch (e) {
      srv.log.warning(`Error during shutdown: ${(e as Error).message}`);
    }
  }
  for (const c of [...srv.clients.values()]) srv.net?.close(c);
  srv.log.warning("AiKv is now ready to exit, bye bye...");
  process.exit(opts.exitCode ?? 0);
}

export function installShutdown(srv: Server): void {
  process.on("SIGTERM", () => {
    srv.log.warning("Received SIGTERM scheduling shutdown...");
    void shutdown(srv, { save: null });
  });
  process.on("SIGINT", () => {
    srv.log.warning("Received SIGINT scheduling shutdown...");
    void shutdown(srv, { save: null });
  });
}
