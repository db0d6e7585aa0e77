// CLIENT subcommands: ID SETNAME GETNAME SETINFO LIST INFO KILL REPLY NO-EVICT PAUSE UNPAUSE
// UNBLOCK HELP.

import { E, fail } from "../errors.ts";
import { parseI64 } from "../util/numbers.ts";
import { CF, type Client } from "../server/client.ts";
import type { Server } from "../server/context.ts";
import { helpReply } from "./help.ts";
import type { Handlers } from "./table.ts";

/** Names are printable ASCII without spaces (Redis's validateClientName). */
export function checkClientName(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const ch = name.charCodeAt(i);
    if (ch < 33 || ch > 126) fail("ERR Client names cannot contain spaces, newlines or special characters.");
  }
}

type ClientType = "normal" | "master" | "replica" | "pubsub";

function clientType(c: Client): ClientType {
  if (c.flags & CF.MASTER) return "master";
  if (c.flags & CF.REPLICA && !(c.flags & CF.MONITOR)) return "replica";
  if (c.flags & CF.PUBSUB || c.subCount > 0) return "pubsub";
  return "normal";
}

function parseType(s: string): ClientType | null {
  const t = s.toLowerCase();
  if (t === "normal" || t === "master" || t === "replica" || t === "pubsub") return t;
  if (t === "slave") return "replica";
  return null;
}

/** One CLIENT LIST line. */
export function clientInfoLine(c: Client): string {
  const now = Date.now();
  const p = c.parser;
  const qbuf = p.pending;
  const qfree = Math.max(0, p.buf.length - p.len);
  let multiMem = 0;
  for (const q of c.queued) multiMem += q.argv.buf.length + q.argv.argc * 8;
  const obl = c.out.n;
  const omem = c.pendingBytes;
  const rbs = c.out.b.length;
  const totMem = qbuf + qfree + multiMem + rbs + omem + 1024;
  const events = omem > 0 ? "rw" : "r";
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.fd} name=${c.name} ` +
    `age=${Math.floor((now - c.ctime) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${c.flagLetters()} db=${c.dbIndex} sub=${c.channels?.size ?? 0} psub=${c.patterns?.size ?? 0} ` +
    `ssub=${c.shardChannels?.size ?? 0} multi=${c.flags & CF.MULTI ? c.queued.length : -1} ` +
    `qbuf=${qbuf} qbuf-free=${qfree} argv-mem=0 multi-mem=${multiMem} rbs=${rbs} rbp=${rbs} ` +
    `obl=${obl} oll=${c.pendingOut.length} omem=${omem} tot-mem=${totMem} events=${events} ` +
    `cmd=${c.lastCmd} user=${c.user} redir=-1 resp=${c.proto} lib-name=${c.libName} lib-ver=${c.libVer}`
  );
}

function clientList(srv: Server, filter: (c: Client) => boolean): string {
  let s = "";
  for (const c of srv.clients.values()) if (!(c.flags & CF.FAKE) && filter(c)) s += clientInfoLine(c) + "\n";
  return s;
}

/** Hooks the blocking module fills: unblock a client by id (CLIENT UNBLOCK). */
export const clientHooks = {
  unblock: null as ((c: Client, withError: boolean) => boolean) | null,
};

/** CLIENT PAUSE state. */
export interface PauseState {
  until: number;
  all: boolean;
}

const HELP = [
  "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "GETNAME",
  "    The name of this connection, or nil.",
  "ID",
  "    This connection's id.",
  "INFO",
  "    Details of this connection, in CLIENT LIST's format.",
  "KILL <ip:port>",
  "    Close the connection from <ip:port>.",
  "KILL <filter> <value> [<filter> <value> ...]",
  "    Close every connection matching all filters:",
  "    * ID <client-id>",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "    * USER <username>",
  "    * SKIPME (YES|NO)   whether this connection is spared (default: yes)",
  "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> ...]",
  "    Details of connections, one per line.",
  "NO-EVICT (ON|OFF)",
  "    Exempt this connection from client eviction.",
  "PAUSE <timeout> [WRITE|ALL]",
  "    Hold commands of all clients (or only writes) for <timeout> milliseconds.",
  "UNPAUSE",
  "    End a CLIENT PAUSE now.",
  "REPLY (ON|OFF|SKIP)",
  "    Turn replies to this connection on or off, or skip the next one.",
  "SETINFO (LIB-NAME|LIB-VER) <value>",
  "    Record the client library's name or version.",
  "SETNAME <name>",
  "    Name this connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Wake a client blocked in a blocking command.",
  "HELP",
  "    This text.",
];

export const handlers: Handlers = {
  "client|id"(c) {
    c.out.int(c.id);
  },

  "client|setname"(c, a) {
    const name = a.str(2);
    checkClientName(name);
    c.name = name;
    c.out.ok();
  },

  "client|getname"(c) {
    if (c.name) c.out.bulk(c.name);
    else c.out.nil();
  },

  "client|setinfo"(c, a) {
    const v = a.str(3);
    // Same character rule as client names.
    for (let i = 0; i < v.length; i++) {
      const ch = v.charCodeAt(i);
      if (ch < 33 || ch > 126) fail(`ERR ${a.str(2)} cannot contain spaces, newlines or special characters.`);
    }
    if (a.is(2, "lib-name")) c.libName = v;
    else if (a.is(2, "lib-ver")) c.libVer = v;
    else fail(`ERR Unrecognized option '${a.str(2)}'`);
    c.out.ok();
  },

  "client|info"(c) {
    c.out.verbatim(clientInfoLine(c) + "\n");
  },

  "client|list"(c, a) {
    let filter: (x: Client) => boolean = () => true;
    if (a.argc === 4 && a.is(2, "type")) {
      const t = parseType(a.str(3));
      if (t === null) fail(`ERR Unknown client type '${a.str(3)}'`);
      filter = (x) => clientType(x) === t;
    } else if (a.argc > 3 && a.is(2, "id")) {
      const ids = new Set<number>();
      for (let i = 3; i < a.argc; i++) {
        const id = parseI64(a.str(i));
        if (Number.isNaN(id) || id <= 0) fail("ERR Invalid client ID");
        ids.add(id);
      }
      filter = (x) => ids.has(x.id);
    } else if (a.argc !== 2) fail(E.SYNTAX);
    c.out.verbatim(clientList(c.srv, filter));
  },

  "client|kill"(c, a) {
    const srv = c.srv;
    if (a.argc === 3) {
      const addr = a.str(2);
      for (const x of srv.clients.values()) {
        if (x.addr === addr && !(x.flags & CF.FAKE)) {
          kill(c, x);
          c.out.ok();
          return;
        }
      }
      fail("ERR No such client");
    }
    let id = 0;
    let type: ClientType | null = null;
    let addr: string | null = null;
    let laddr: string | null = null;
    let user: string | null = null;
    let skipme = true;
    if ((a.argc - 2) % 2 !== 0) fail(E.SYNTAX);
    for (let i = 2; i < a.argc; i += 2) {
      const v = a.str(i + 1);
      if (a.is(i, "id")) {
        id = parseI64(v);
        if (Number.isNaN(id) || id <= 0) fail("ERR client-id should be greater than 0");
      } else if (a.is(i, "type")) {
        type = parseType(v);
        if (type === null) fail(`ERR Unknown client type '${v}'`);
      } else if (a.is(i, "addr")) addr = v;
      else if (a.is(i, "laddr")) laddr = v;
      else if (a.is(i, "user")) {
        if (v !== "default") fail(`ERR No such user '${v}'`);
        user = v;
      } else if (a.is(i, "skipme")) {
        const l = v.toLowerCase();
        if (l === "yes") skipme = true;
        else if (l === "no") skipme = false;
        else fail(E.SYNTAX);
      } else fail(E.SYNTAX);
    }
    let killed = 0;
    for (const x of [...srv.clients.values()]) {
      if (x.flags & CF.FAKE) continue;
      if (id && x.id !== id) continue;
      if (type && clientType(x) !== type) continue;
      if (addr !== null && x.addr !== addr) continue;
      if (laddr !== null && x.laddr !== laddr) continue;
      if (user !== null && x.user !== user) continue;
      if (x === c && skipme) continue;
      kill(c, x);
      killed++;
    }
    c.out.int(killed);
  },

  "client|reply"(c, a) {
    if (a.is(2, "on")) {
      c.flags &= ~(CF.REPLY_SKIP | CF.REPLY_OFF | CF.REPLY_SKIP_NEXT);
      c.out.ok();
    } else if (a.is(2, "off")) {
      c.flags |= CF.REPLY_OFF;
    } else if (a.is(2, "skip")) {
      if (!(c.flags & CF.REPLY_OFF)) c.flags |= CF.REPLY_SKIP_NEXT;
    } else fail(E.SYNTAX);
  },

  "client|no-evict"(c, a) {
    if (a.is(2, "on")) c.flags |= CF.NO_EVICT;
    else if (a.is(2, "off")) c.flags &= ~CF.NO_EVICT;
    else fail(E.SYNTAX);
    c.out.ok();
  },

  "client|pause"(c, a) {
    const ms = parseI64(a.str(2));
    if (Number.isNaN(ms) || ms < 0) fail("ERR timeout is not an integer or out of range");
    let all = true;
    if (a.argc === 4) {
      if (a.is(3, "write")) all = false;
      else if (!a.is(3, "all")) fail("ERR CLIENT PAUSE mode must be WRITE or ALL");
    } else if (a.argc > 4) fail(E.SYNTAX);
    c.srv.pauseClients(Date.now() + ms, all);
    c.out.ok();
  },

  "client|unpause"(c) {
    c.srv.unpauseClients();
    c.out.ok();
  },

  "client|unblock"(c, a) {
    const id = parseI64(a.str(2));
    if (Number.isNaN(id)) fail(E.NOT_INT);
    let withError = false;
    if (a.argc === 4) {
      if (a.is(3, "error")) withError = true;
      else if (!a.is(3, "timeout")) fail("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    } else if (a.argc > 4) fail(E.SYNTAX);
    const target = c.srv.clients.get(id);
    const ok = target !== undefined && target.flags & CF.BLOCKED && clientHooks.unblock ? clientHooks.unblock(target, withError) : false;
    c.out.int(ok ? 1 : 0);
  },

  "client|help"(c) {
    helpReply(c, HELP);
  },
};

function kill(by: Client, x: Client): void {
  if (x === by) {
    // Killing yourself: the reply still goes out, then the connection closes.
    x.flags |= CF.CLOSE_AFTER_REPLY;
    return;
  }
  by.srv.net?.close(x);
}
