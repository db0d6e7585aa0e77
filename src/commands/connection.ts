// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET.

import { E, fail } from "../errors.ts";
import { parseI64 } from "../util/numbers.ts";
import { CF, type Client } from "../server/client.ts";
import { REDIS_VERSION } from "../version.ts";
import type { Handlers } from "./table.ts";
import { checkClientName } from "./client.ts";

/** Password check for the default user (requirepass); the only user until ACLs exist. */
function authenticate(c: Client, user: string, pass: string): boolean {
  const req = c.srv.requirePass;
  if (user !== "default") return false;
  if (req !== "" && pass !== req) return false;
  c.authenticated = true;
  c.user = "default";
  return true;
}

/** Cleanup a RESET performs, per subsystem (transactions, pub/sub, monitor, ...). */
export const resetHooks: ((c: Client) => void)[] = [];

export const handlers: Handlers = {
  ping(c, a) {
    if (a.argc > 2) fail("ERR wrong number of arguments for 'ping' command");
    if (c.proto === 2 && c.flags & CF.PUBSUB) {
      c.out.arr(2);
      c.out.bulk("pong");
      c.out.bulk(a.argc === 2 ? a.str(1) : "");
      return;
    }
    if (a.argc === 2) c.out.bulkBytes(a.bytes(1));
    else c.out.status("PONG");
  },

  echo(c, a) {
    c.out.bulkBytes(a.bytes(1));
  },

  auth(c, a) {
    if (a.argc > 3) fail(E.SYNTAX);
    if (a.argc === 2 && c.srv.requirePass === "") {
      fail("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
    }
    const user = a.argc === 3 ? a.str(1) : "default";
    const pass = a.str(a.argc - 1);
    if (!authenticate(c, user, pass)) fail(E.WRONGPASS);
    c.out.ok();
  },

  hello(c, a) {
    let ver = 0;
    let next = 1;
    if (a.argc >= 2) {
      ver = parseI64(a.str(next++));
      if (Number.isNaN(ver)) fail("ERR Protocol version is not an integer or out of range");
      if (ver < 2 || ver > 3) fail("NOPROTO unsupported protocol version");
    }
    let user: string | null = null;
    let pass: string | null = null;
    let name: string | null = null;
    for (let j = next; j < a.argc; j++) {
      const more = a.argc - 1 - j;
      if (a.is(j, "auth") && more >= 2) {
        user = a.str(j + 1);
        pass = a.str(j + 2);
        j += 2;
      } else if (a.is(j, "setname") && more >= 1) {
        name = a.str(j + 1);
        j++;
      } else fail(`ERR Syntax error in HELLO option '${a.str(j)}'`);
    }
    if (user !== null && pass !== null && !authenticate(c, user, pass)) fail(E.WRONGPASS);
    if (!c.authenticated) {
      fail(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
      );
    }
    if (name !== null) {
      checkClientName(name);
      c.name = name;
    }
    if (ver) c.out.proto = ver;
    const o = c.out;
    o.map(7);
    o.bulk("server");
    o.bulk("redis");
    o.bulk("version");
    o.bulk(REDIS_VERSION);
    o.bulk("proto");
    o.int(o.proto);
    o.bulk("id");
    o.int(c.id);
    o.bulk("mode");
    o.bulk(c.srv.cfg.bool("cluster-enabled") ? "cluster" : "standalone");
    o.bulk("role");
    o.bulk(c.srv.role);
    o.bulk("modules");
    o.emptyArr();
  },

  select(c, a) {
    const i = parseI64(a.str(1));
    if (Number.isNaN(i)) fail(E.NOT_INT);
    if (c.srv.cfg.bool("cluster-enabled") && i !== 0) fail("ERR SELECT is not allowed in cluster mode");
    if (i < 0 || i >= c.srv.ks.dbs.length) fail(E.DB_INDEX);
    c.select(i);
    c.out.ok();
  },

  quit(c) {
    c.out.ok();
    c.flags |= CF.CLOSE_AFTER_REPLY;
  },

  reset(c) {
    for (const h of resetHooks) h(c);
    c.srv.monitors.delete(c);
    c.flags &= ~(CF.MONITOR | CF.ASKING | CF.READONLY | CF.REPLY_OFF | CF.REPLY_SKIP_NEXT | CF.NO_EVICT);
    c.out.proto = 2;
    c.select(0);
    c.name = "";
    if (c.srv.requirePass !== "") c.authenticated = false;
    c.out.status("RESET");
  },
};
