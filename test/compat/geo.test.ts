// Geo commands compared byte for byte with redis-server (RESP2 and RESP3): written cases and
// seeded random points and searches (poles, the antimeridian, every unit and option).
import { describe, test } from "bun:test";
import { parseScript, useDiffer, type Cmd } from "../helpers/diff.ts";
import { prng } from "../helpers/random.ts";
import { sameEvents } from "../helpers/keyspace.ts";

const d = useDiffer();

describe("geo", () => {
  test("written cases", async () => {
    await d.same(`
      GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
      ZRANGE Sicily 0 -1 WITHSCORES
      GEODIST Sicily Palermo Catania
      GEODIST Sicily Palermo Catania km
      GEODIST Sicily Palermo Catania mi
      GEODIST Sicily Palermo Catania ft
      GEODIST Sicily Palermo Catania xx
      GEODIST Sicily Palermo nope
      GEODIST nokey a b
      GEODIST Sicily Palermo Catania km x
      GEORADIUS Sicily 15 37 100 km
      GEORADIUS Sicily 15 37 200 km WITHDIST
      GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST WITHHASH
      GEOPOS Sicily Palermo Catania NonExisting
      GEOPOS nokey a
      GEOHASH Sicily Palermo Catania nope
      GEOHASH nokey a
      GEOADD Sicily 200 100 x
      GEOADD Sicily 13.361389 86 x
      GEOADD Sicily inf 0 x
      GEOADD Sicily 1e300 0 x
      GEOADD Sicily -0.0000005 0 x
      GEOADD Sicily a 0 x
      GEOADD Sicily 1 2
      GEOADD Sicily xx nx 1 2 x
      GEOADD Sicily CH 13.361389 38.115556 "Palermo" 15 37 "Catania"
      GEOADD Sicily XX CH 1 1 Palermo 2 2 New
      GEOADD Sicily NX 3 3 Palermo 4 4 New
      GEOADD Sicily CH CH CH
      GEOPOS Sicily Palermo New
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
      GEOSEARCH Sicily FROMMEMBER New BYBOX 400 400 km ASC WITHCOORD WITHDIST
      GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
      GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHCOORD WITHDIST
      GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 2
      ZRANGE dst 0 -1 WITHSCORES
      GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC COUNT 2 STOREDIST
      ZRANGE dst 0 -1 WITHSCORES
      GEORADIUSBYMEMBER Sicily Palermo 300 km
      GEORADIUSBYMEMBER Sicily nope 300 km
      GEORADIUSBYMEMBER nokey nope x km
      GEORADIUS nokey 1 2 x km
      GEORADIUS nokey 1 2 -1 km
      GEORADIUS nokey 1 2 1 kmx
      GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km
      GEOSEARCH Sicily FROMMEMBER x BYRADIUS 1 km
      GEOSEARCH Sicily BYRADIUS 1 km
      geosearch Sicily FROMLONLAT 1 2
      GEOSEARCH Sicily FROMLONLAT 1 2 FROMMEMBER Palermo BYRADIUS 1 km
      GEOSEARCH Sicily FROMLONLAT 1 2 BYRADIUS 1 km BYBOX 1 1 km
      GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX -1 1 km
      GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX x 1 km
      GEOSEARCH Sicily FROMLONLAT 1 2 BYBOX 1 x km
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km ANY
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km COUNT 0
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km COUNT x
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km COUNT 1 ANY
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km COUNT 1 DESC
      GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1000 km STORE x
      GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1000 km WITHDIST
      GEORADIUS Sicily 15 37 200 km STORE x WITHDIST
      GEORADIUS_RO Sicily 15 37 200 km STORE x
      GEORADIUS Sicily 15 37 200 km STORE
      GEORADIUS Sicily 15 37 200 km STORE st
      ZRANGE st 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 200 km STOREDIST st
      ZRANGE st 0 -1 WITHSCORES
      GEORADIUS Sicily 15 37 1 m STORE st
      EXISTS st
      GEORADIUS Sicily 15 37 1 m
      ZADD weird -5 neg 1.5 frac 9007199254740993 big 4503599627370496 top
      GEOPOS weird neg frac big top
      GEOHASH weird neg frac big top
      GEOADD poles 0 85.05112878 north 0 -85.05112878 south 180 0 e -180 0 w
      GEOPOS poles north south e w
      GEOHASH poles north south e w
      ZRANGE poles 0 -1 WITHSCORES
    `);
  });
});

const UNITS = ["m", "km", "mi", "ft", "KM"];

function genWorld(r: () => number): { cmds: Cmd[]; members: string[] } {
  const centers: [number, number][] = [
    [0, 0], [13.4, 38.1], [179.5, 10], [-179.7, -20], [10, 84.9], [-120, -84.5], [180, 85.05112878], [-180, -85.05112878],
  ];
  for (let i = 0; i < 4; i++) centers.push([r() * 360 - 180, r() * 170 - 85]);
  const cmds: Cmd[] = [];
  const members: string[] = [];
  let batch: string[] = ["GEOADD", "g"];
  for (let i = 0; i < 400; i++) {
    const [cx, cy] = centers[Math.floor(r() * centers.length)]!;
    const spread = [0, 0.0001, 0.01, 1, 20][Math.floor(r() * 5)]!;
    let x = cx + (r() - 0.5) * 2 * spread;
    let y = cy + (r() - 0.5) * 2 * spread;
    x = Math.max(-180, Math.min(180, x));
    y = Math.max(-85.05112878, Math.min(85.05112878, y));
    const m = `p${i}`;
    members.push(m);
    batch.push(x.toFixed(6), y.toFixed(8), m);
    if (batch.length > 60) {
      cmds.push(batch);
      batch = ["GEOADD", "g"];
    }
  }
  if (batch.length > 2) cmds.push(batch);
  return { cmds, members };
}

function genQuery(r: () => number, members: string[]): Cmd {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  const size = () => String(pick([0, 1, 50, 500, 5000, 50000, 200000, 1000000, 5000000, 15000000]) * (0.5 + r()));
  const unitOf = () => pick(UNITS);
  const point = (): string[] => {
    if (r() < 0.3) return [pick(["0", "180", "-180", "179.99", "13.4"]), pick(["0", "85", "-85", "84.9", "38.1", "85.05112878"])];
    return [(r() * 360 - 180).toFixed(5), (r() * 170 - 85).toFixed(5)];
  };
  const opts = (store: boolean): string[] => {
    const o: string[] = [];
    if (!store) {
      if (r() < 0.4) o.push("WITHDIST");
      if (r() < 0.3) o.push("WITHCOORD");
      if (r() < 0.3) o.push("WITHHASH");
    }
    const s = r();
    if (s < 0.3) o.push("ASC");
    else if (s < 0.5) o.push("DESC");
    if (r() < 0.4) {
      o.push("COUNT", String(1 + Math.floor(r() * 20)));
      if (r() < 0.3) o.push("ANY");
    }
    return o;
  };
  const x = r();
  if (x < 0.3) {
    const cmd: string[] = ["GEOSEARCH", "g"];
    if (r() < 0.5) cmd.push("FROMMEMBER", pick(members));
    else cmd.push("FROMLONLAT", ...point());
    if (r() < 0.5) cmd.push("BYRADIUS", size(), unitOf());
    else cmd.push("BYBOX", size(), size(), unitOf());
    return [...cmd, ...opts(false)];
  }
  if (x < 0.4) {
    const cmd: string[] = ["GEOSEARCHSTORE", "dst", "g"];
    if (r() < 0.5) cmd.push("FROMMEMBER", pick(members));
    else cmd.push("FROMLONLAT", ...point());
    if (r() < 0.5) cmd.push("BYRADIUS", size(), unitOf());
    else cmd.push("BYBOX", size(), size(), unitOf());
    if (r() < 0.4) cmd.push("STOREDIST");
    return [...cmd, ...opts(true)];
  }
  if (x < 0.55) return [pick(["GEORADIUS", "GEORADIUS_RO"]), "g", ...point(), size(), unitOf(), ...opts(false)];
  if (x < 0.65) return [pick(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]), "g", pick(members), size(), unitOf(), ...opts(false)];
  if (x < 0.7) return ["GEORADIUS", "g", ...point(), size(), unitOf(), pick(["STORE", "STOREDIST"]), "dst", ...opts(true)];
  if (x < 0.85) return ["GEODIST", "g", pick(members), pick(members), ...(r() < 0.5 ? [unitOf()] : [])];
  if (x < 0.92) return ["GEOPOS", "g", pick(members), pick(members)];
  if (x < 0.97) return ["GEOHASH", "g", pick(members), pick(members)];
  return ["ZRANGE", "dst", "0", "-1", "WITHSCORES"];
}

describe("randomized", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) {
    test(`seed ${seed}`, async () => {
      const r = prng(seed);
      const { cmds, members } = genWorld(r);
      for (let i = 0; i < 250; i++) cmds.push(genQuery(r, members));
      await d.same(cmds);
    });
  }

  test("distances along meridians, parallels and across the antimeridian", async () => {
    const cmds: Cmd[] = [];
    const r = prng(77);
    for (let i = 0; i < 100; i++) {
      const lon = (r() * 360 - 180).toFixed(4);
      const lat1 = (r() * 170 - 85).toFixed(4);
      const lat2 = (r() * 170 - 85).toFixed(4);
      const lon2 = (r() * 360 - 180).toFixed(4);
      cmds.push(["GEOADD", "m", lon, lat1, "a", lon, lat2, "b", lon2, lat1, "c", "179.9999", lat2, "e", "-179.9999", lat2, "w"]);
      cmds.push(["GEODIST", "m", "a", "b"], ["GEODIST", "m", "a", "c", "km"], ["GEODIST", "m", "e", "w", "ft"], ["GEODIST", "m", "a", "a"]);
      cmds.push(["GEOSEARCH", "m", "FROMMEMBER", "e", "BYRADIUS", "30", "m", "WITHDIST", "ASC"]);
    }
    await d.same(cmds, { protos: [2] });
  });
});

describe("stores, encodings, events", () => {
  test("store results and wrong types", async () => {
    await d.same(`
      GEOADD g 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
      GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km
      OBJECT ENCODING d
      CONFIG SET zset-max-listpack-entries 1
      GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km
      OBJECT ENCODING d
      GEORADIUS g 15 37 200 km STORE d2
      OBJECT ENCODING d2
      CONFIG SET zset-max-listpack-entries 128
      SET s x
      GEOADD s 1 1 a
      GEOPOS s a
      GEODIST s a b
      GEOHASH s a
      GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km
      GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km
      GEOSEARCHSTORE s g FROMLONLAT 1 1 BYRADIUS 1 km
      EXISTS s
      SET t x EX 100
      GEOSEARCHSTORE t g FROMLONLAT 15 37 BYRADIUS 200 km
      TTL t
    `);
  });

  test("keyspace events", async () => {
    const script = `
      GEOADD g 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
      GEOADD g NX 1 1 Palermo
      GEOSEARCHSTORE d g FROMLONLAT 15 37 BYRADIUS 200 km
      GEORADIUS g 15 37 200 km STOREDIST d2
      GEORADIUSBYMEMBER g Palermo 1 m STORE d3
      GEOSEARCHSTORE d g FROMLONLAT 0 0 BYRADIUS 1 m
      GEOSEARCHSTORE d nokey FROMLONLAT 0 0 BYRADIUS 1 m
    `;
    await sameEvents(d, "KEA", parseScript(script));
  });
});
