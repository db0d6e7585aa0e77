#!/usr/bin/env bun
// Microbenchmarks of the request path, in process (bun's own timing; nothing asserted):
// parser, reply writer, dispatch of whole pipelines through Network.process, key table.
//   bun bench/micro.ts [--n 200000]
import { parseArgs } from "node:util";
import { RequestParser, Parse } from "../src/resp/parser.ts";
import { Reply } from "../src/resp/writer.ts";
import { Server } from "../src/server/context.ts";
import { Network } from "../src/server/network.ts";
import { KeyTable } from "../src/store/keytable.ts";

const { values } = parseArgs({ options: { n: { type: "string", default: "200000" } } });
const N = Number(values.n);

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
}

function report(name: string, ops: number, ms: number): void {
  console.log(`${name.padEnd(44)} ${((ms * 1e6) / ops).toFixed(1).padStart(8)} ns/op   ${(ops / ms / 1000).toFixed(2).padStart(7)} Mops/s`);
}

function time(name: string, ops: number, f: () => void): void {
  f(); // warm up
  const t = performance.now();
  f();
  report(name, ops, performance.now() - t);
}

// ---- parser ----
const pipeline = Buffer.from(Array.from({ length: 1000 }, (_, i) => cmd("SET", `key:${i % 100}`, "x".repeat(32))).join(""));
time("parser: SET key value (1000/pipeline)", N, () => {
  const p = new RequestParser();
  const lim = { maxBulk: 512 << 20, unauthenticated: false };
  for (let done = 0; done < N; done += 1000) {
    p.feed(pipeline);
    while (p.next(lim) === Parse.Command);
    p.retain();
  }
});

// ---- writer ----
const value = "x".repeat(32);
time("writer: bulk(32 bytes) + int + ok", N, () => {
  const r = new Reply();
  for (let i = 0; i < N; i++) {
    r.bulk(value);
    r.int(i);
    r.ok();
    if (r.n > 1 << 20) r.n = 0;
  }
});

// ---- key table ----
time("key table: set 'key:i' (1M distinct) ", 1_000_000, () => {
  const t = new KeyTable();
  for (let i = 0; i < 1_000_000; i++) t.set("key:" + i, value);
});
const t = new KeyTable();
for (let i = 0; i < 1_000_000; i++) t.set("key:" + i, value);
const probe = Buffer.from("key:123456");
time("key table: findBytes hit", N, () => {
  for (let i = 0; i < N; i++) t.findBytes(probe, 0, probe.length);
});

// ---- whole request path, without sockets ----
const srv = new Server();
srv.cfg.setStartup("save", "");
srv.init();
const net = new Network(srv);
srv.net = net;
const c = srv.newClient();
const fakeSock = { write: (_b: Uint8Array, _o?: number, n?: number) => n ?? 0, end() {}, pause() {}, resume() {}, terminate() {} };
c.sock = fakeSock as never;
for (const [name, text] of [
  ["dispatch: PING", cmd("PING")],
  ["dispatch: SET key value", cmd("SET", "key:1", value)],
  ["dispatch: GET key", cmd("GET", "key:1")],
  ["dispatch: INCR key", cmd("INCR", "counter")],
  ["dispatch: LPUSH+RPOP", cmd("LPUSH", "list", "v") + cmd("RPOP", "list")],
  ["dispatch: HSET", cmd("HSET", "h", "f", "v")],
  ["dispatch: ZADD", cmd("ZADD", "z", "1", "m")],
] as const) {
  const per = text.split("\r\n").filter((l) => l.startsWith("*")).length;
  const chunk = Buffer.from(text.repeat(16));
  time(`${name} (P16 chunks)`, N, () => {
    for (let i = 0; i < N; i += 16 * per) {
      c.parser.feed(chunk);
      net.process(c);
    }
  });
}
process.exit(0);
