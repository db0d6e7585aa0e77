// Connection commands and protocol basics, compared byte for byte with redis-server.
import { describe, expect, test } from "bun:test";
import { useDiffer } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";

const d = useDiffer();

describe("connection", () => {
  test("ping/echo/select and their errors", async () => {
    await d.same(`
      PING
      PING hello
      PING a b
      ECHO "x y"
      ECHO
      SELECT 1
      SELECT 16
      SELECT -1
      SELECT x
      DBSIZE
      FLUSHDB
      FLUSHDB foo
      FLUSHALL SYNC
      SWAPDB 0 1
      SWAPDB a 1
      SWAPDB 0 b
      SWAPDB 0 99
    `);
  });

  test("unknown commands and subcommands", async () => {
    await d.same(`
      FOO
      FOO bar baz
      CLIENT
      CLIENT FOO
      client nope x
    `);
  });

  test("HELLO errors and switching protocols", async () => {
    await d.same(`
      HELLO 4
      HELLO x
      HELLO 3 FOO
      HELLO 2 SETNAME "a b"
      AUTH a
      AUTH a b
      AUTH a b c
    `);
    const [a, r] = await d.pair(2);
    const strip = (s: string) => s.replace(/id\r\n:\d+/, "id\r\n:N");
    expect(strip(await a.call("HELLO", "3"))).toBe(strip(await r.call("HELLO", "3")));
    expect(await a.call("PING")).toBe(await r.call("PING"));
    expect(strip(await a.call("HELLO", "2", "SETNAME", "me"))).toBe(strip(await r.call("HELLO", "2", "SETNAME", "me")));
    expect(await a.call("CLIENT", "GETNAME")).toBe(await r.call("CLIENT", "GETNAME"));
    a.close();
    r.close();
  });

  test("inline commands and quoting", async () => {
    for (const port of [d.aikv.port, d.redis.port]) void port;
    const run = async (port: number) => {
      const c = await RespConn.connect(port);
      c.writeRaw('PING\r\nECHO "a\\x41\\n" \r\nECHO \'it\\\'s\'\r\n\r\nECHO "unbalanced\r\n');
      const out = [await c.read(), await c.read(), await c.read(), await c.readUntilClose()];
      c.close();
      return out;
    };
    expect(await run(d.aikv.port)).toEqual(await run(d.redis.port));
  });
});
