// Lua scripting compared with redis-server byte for byte (RESP2 and RESP3): conversions both
// ways, errors, pcall, the sandbox, cjson/cmsgpack/bit/struct, the script cache, read-only
// scripts and shebang flags, propagation of a script's effects, plus AiKv's own behaviour:
// rollback of failed scripts and the time limit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { HANDLERS } from "../../src/commands/index.ts";
import { useDiffer, type Cmd } from "../helpers/diff.ts";
import { RespConn } from "../helpers/resp.ts";
import { sameScenario, type Step } from "../helpers/multi.ts";
import { startAikv, type Running } from "../helpers/servers.ts";
import { prng } from "../helpers/random.ts";
import { recordingServer, samePropagation } from "../helpers/replication.ts";

const d = useDiffer();

/** True once AiKv serves all the commands (families land at different times). */
const serves = (...names: string[]) => names.every((n) => HANDLERS[n] !== undefined);

/** EVAL lines for d.same: each entry is [script, numkeys, ...args]. */
function evals(...xs: [string, ...string[]][]): Cmd[] {
  return xs.map(([script, ...rest]) => ["EVAL", script, ...(rest.length ? rest : ["0"])]);
}

describe("Lua -> RESP conversion", () => {
  test("scalars, arrays with holes, nested tables, err/ok tables", async () => {
    await d.same(
      evals(
        ["return 1"], ["return -1"], ["return 3.99"], ["return -3.99"], ["return 0.5"], ["return 1e20"], ["return -1e20"], ["return 2^53"],
        ["return 1/0"], ["return -1/0"], ["return 0/0"], ["return 'x'"], ["return ''"], ["return true"], ["return false"], ["return nil"],
        ["return {}"], ["return {1,2,nil,4}"], ["return {nil,2}"], ["return {1,'a',3.99,-3.5,true,false,{1,{2}}}"], ["return {{},{{}}}"],
        ["return {err='MY custom'}"], ["return {err='-fine'}"], ["return {err=''}"], ["return {err=123}"], ["return {ok='fine'}"],
        ["return {ok=123}"], ["return {ok='a\\r\\nb'}"], ["return {err='a\\r\\nb'}"], ["return {1, {err='inner'}, 3}"],
        ["return {1, {ok='inner'}, 3}"], ["return redis.status_reply('fine')"], ["return redis.error_reply('fine')"],
        ["return redis.error_reply('-fine')"], ["return redis.error_reply('MY fine')"], ["return redis.error_reply('-MY fine')"],
        ["return redis.error_reply('x\\r\\n')"], ["return {a=1, b=2}"], ["return {1, 2, x=3}"], ["return string.rep('x', 100)"],
        ["return '\\0\\1\\255'"], ["return function() end"], ["return coroutine.create(function() end)"], ["return cjson.null"],
        ["local t = {} t[1] = 'a' t[3] = 'c' return t"], ["return 1, 2, 3"], ["return {1.9, -1.9, 0.1}"],
      ),
    );
  });

  test("RESP3-only shapes: double, big_number, verbatim_string, map and set tables", async () => {
    await d.same(
      evals(
        ["return {double=3.14}"], ["return {double=1/0}"], ["return {double=-1/0}"], ["return {double=2}"], ["return {double='x'}"],
        ["return {big_number='123456789012345678901234567890'}"], ["return {big_number=5}"],
        ["return {verbatim_string={format='txt', string='hello'}}"], ["return {verbatim_string={format='mkd', string='# x'}}"],
        ["return {verbatim_string={string='x'}}"], ["return {map={a=1}}"], ["return {map={}}"], ["return {map={k={1,2}}}"],
        ["return {set={a=true}}"], ["return {set={}}"], ["return {map={a={set={x=true}}}}"],
      ),
    );
  });

  test("booleans follow redis.setresp (the script's protocol), nulls follow the caller's", async () => {
    await d.same(
      evals(
        ["redis.setresp(3) return true"], ["redis.setresp(3) return false"], ["redis.setresp(3) return {true, false, nil}"],
        ["redis.setresp(2) return {true, false}"], ["redis.setresp(3) redis.setresp(2) return false"],
      ),
    );
  });

  test("randomized value trees", async () => {
    const rnd = prng(4242);
    const leaf = () => {
      const r = rnd();
      if (r < 0.25) return String(Math.floor(rnd() * 2000) - 1000);
      if (r < 0.4) return (rnd() * 1000 - 500).toFixed(3);
      if (r < 0.6) return `'s${Math.floor(rnd() * 100)}'`;
      if (r < 0.7) return rnd() < 0.5 ? "true" : "false";
      if (r < 0.75) return "nil";
      if (r < 0.8) return `{ok='o${Math.floor(rnd() * 9)}'}`;
      if (r < 0.85) return `{double=${(rnd() * 10).toFixed(2)}}`;
      return `'${"x".repeat(Math.floor(rnd() * 30))}'`;
    };
    const tree = (depth: number): string => {
      if (depth > 3 || rnd() < 0.3) return leaf();
      const n = Math.floor(rnd() * 5);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(tree(depth + 1));
      return `{${items.join(", ")}}`;
    };
    const cmds: Cmd[] = [];
    for (let i = 0; i < 60; i++) cmds.push(["EVAL", `${rnd() < 0.3 ? "redis.setresp(3) " : ""}return ${tree(0)}`, "0"]);
    await d.same(cmds);
  });
});

describe("RESP -> Lua conversion (redis.call results)", () => {
  test("RESP2 replies as Lua values", async () => {
    await d.same(`
      SET s v
      RPUSH l a b c
      ZADD z 1.5 m 2 n
      EVAL "return type(redis.call('get', 'nokey'))" 0
      EVAL "return redis.call('get', 'nokey') == false" 0
      EVAL "local r = redis.call('set', 'x', '1') return {type(r), r.ok}" 0
      EVAL "return redis.call('set', 'x', '1')" 0
      EVAL "return redis.call('incr', 'x')" 0
      EVAL "return type(redis.call('incr', 'x'))" 0
      EVAL "return redis.call('lrange', 'l', 0, -1)" 0
      EVAL "return #redis.call('lrange', 'l', 0, -1)" 0
      EVAL "return redis.call('zrange', 'z', 0, -1, 'withscores')" 0
      EVAL "return redis.call('zscore', 'z', 'm')" 0
      EVAL "return type(redis.call('zscore', 'z', 'm'))" 0
      EVAL "return redis.call('mget', 's', 'nokey', 's')" 0
      EVAL "return redis.call('blpop', 'nolist', 0)" 0
      EVAL "return type(redis.call('blpop', 'nolist', 0))" 0
      EVAL "local e = redis.pcall('incr', 's') return {type(e), e.err}" 0
      EVAL "return redis.pcall('incr', 's')" 0
      EVAL "return redis.call('ping')" 0
      EVAL "return redis.call('echo', 'a\\0b')" 0
    `);
  });

  test("RESP3 replies as Lua values after redis.setresp(3)", async () => {
    await d.same(`
      SET s v
      ZADD z 1.5 m 2 n
      RPUSH l a
      EVAL "redis.setresp(3) return type(redis.call('get', 'nokey'))" 0
      EVAL "redis.setresp(3) return redis.call('get', 'nokey') == nil" 0
      EVAL "redis.setresp(3) local r = redis.call('zscore', 'z', 'm') return {type(r), r.double}" 0
      EVAL "redis.setresp(3) return redis.call('zscore', 'z', 'm')" 0
      EVAL "redis.setresp(3) return redis.call('zrange', 'z', 0, -1, 'withscores')" 0
      EVAL "redis.setresp(3) local r = redis.call('zrange', 'z', 0, 0, 'withscores') return r[1][2].double" 0
      EVAL "redis.setresp(3) return redis.call('mget', 's', 'nokey')" 0
      EVAL "redis.setresp(3) local r = redis.call('mget', 'nokey', 's') return {r[1] == nil, r[2]}" 0
      EVAL "redis.setresp(3) return redis.call('lpop', 'nolist')" 0
      EVAL "redis.setresp(3) return redis.call('set', 'x', 1)" 0
      EVAL "redis.setresp(3) return redis.call('hello', 2)" 0
    `);
  });

  test.skipIf(!serves("hset", "sadd"))("RESP3 maps and sets from hashes and sets", async () => {
    await d.same(`
      HSET h f v
      SADD st m
      EVAL "redis.setresp(3) local r = redis.call('hgetall', 'h') return {type(r.map), r.map.f}" 0
      EVAL "redis.setresp(3) return redis.call('hgetall', 'h')" 0
      EVAL "redis.setresp(3) local r = redis.call('smembers', 'st') return {type(r.set), tostring(r.set.m)}" 0
      EVAL "redis.setresp(3) return redis.call('smembers', 'st')" 0
      EVAL "return redis.call('hgetall', 'h')" 0
    `);
  });

  test("arguments: numbers are sent as %.17g, other types are refused", async () => {
    await d.same(`
      EVAL "redis.call('set', 'k', 1.5) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', 0.1) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', 1e20) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', -0.0) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', 1/0) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', 10/2) return redis.call('get', 'k')" 0
      EVAL "redis.call('set', 'k', 2^53 + 1) return redis.call('get', 'k')" 0
      EVAL "return redis.call('get', {})" 0
      EVAL "return redis.call('get', true)" 0
      EVAL "return redis.call('get', nil)" 0
      EVAL "return redis.pcall('get', {})" 0
      EVAL "return redis.call()" 0
      EVAL "return redis.pcall()" 0
      EVAL "return redis.call({})" 0
    `);
  });
});

describe("errors", () => {
  test("compile errors, runtime errors and their positions", async () => {
    await d.same(
      evals(
        ["return 1 +"], ["x ="], ["return 'unfinished"], ["end"], ["local function f( return 1 end"], ["return 1 end"],
        ["error('boom')"], ["error('boom', 0)"], ["error('boom', 2)"], ["error(123)"], ["error()"], ["error(nil)"], ["error(true)"],
        ["error({err='MY custom'})"], ["error({err='-fine'})"], ["error({err=''})"], ["error({err='x'}, 0)"],
        ["local t = nil; return t.x"], ["local t = {} return t.x.y"], ["return nosuch.x"], ["return 1 + {}"], ["return 'a' .. {}"],
        ["return #5"], ["return {} < {}"], ["return 1 < 'x'"], ["local x = nil; x()"], ["local t = {} t.f()"], ["local t = {} t:m()"],
        ["\n\nerror('line three')"], ["local function f()\n error('deep')\nend\nf()"], ["local function f() local x = nil; return x + 1 end return f()"],
        ["return string.rep()"], ["return ('x'):bad()"], ["return math.floor('a')"], ["return tonumber()"], ["return setmetatable(1, {})"],
        ["return select(-5, 1)"], ["return table.insert(nil, 1)"], ["return string.format('%d', 'x')"], ["return unpack(5)"],
        ["for i = 1, 'x' do end"], ["return redis.call('incr', 'wrongtype_' .. KEYS[1])", "1", "k"],
      ),
    );
  });

  test("redis.call errors raise, redis.pcall returns them, pcall gives the message", async () => {
    await d.same(`
      SET s abc
      EVAL "return redis.call('incr', 's')" 0
      EVAL "return redis.call('nosuch')" 0
      EVAL "return redis.call('get')" 0
      EVAL "return redis.call('config')" 0
      EVAL "return redis.call('config', 'nosub')" 0
      EVAL "return redis.call('subscribe', 'x')" 0
      EVAL "return redis.call('eval', 'return 1', 0)" 0
      EVAL "return redis.call('multi')" 0
      EVAL "return redis.pcall('incr', 's')" 0
      EVAL "return redis.pcall('nosuch')" 0
      EVAL "local ok, e = pcall(redis.call, 'incr', 's') return {tostring(ok), e}" 0
      EVAL "local ok, e = pcall(redis.call, 'nosuch') return e" 0
      EVAL "local ok, e = pcall(error, {err='x'}) return e" 0
      EVAL "local ok, e = pcall(error, {foo='x'}) return type(e)" 0
      EVAL "local ok, e = pcall(error, 5) return e" 0
      EVAL "local ok, e = pcall(function() local x = nil; return x.y end) return e" 0
      EVAL "local ok, e = pcall(function() error('z', 0) end) return e" 0
      EVAL "local ok, a, b = pcall(function() return 1, 2 end) return {tostring(ok), a, b}" 0
      EVAL "return pcall()" 0
      EVAL "local ok, e = xpcall(function() error('x') end, function(m) return 'handled: ' .. m end) return e" 0
      EVAL "local ok, e = pcall(redis.call, 'incr', 's') error(e)" 0
      EVAL "local e = redis.pcall('incr', 's') error(e)" 0
      EVAL "local e = redis.pcall('incr', 's') return e" 0
      EVAL "return redis.call('lpush', 's', 'x')" 0
    `);
  });

  test("numkeys and EVALSHA argument errors", async () => {
    await d.same(`
      EVAL "return 1" x
      EVAL "return 1" 5
      EVAL "return 1" 2 a
      EVAL "return 1" -1
      EVAL "return 1" 1.5
      EVAL "return 1"
      EVALSHA abc 0
      EVALSHA abc x
      EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
      EVALSHA ffffffffffffffffffffffffffffffffffffffff x
      EVAL_RO "return 1" x
      EVALSHA_RO abc 0
    `);
  });
});

describe("the redis API", () => {
  test("helpers and their argument errors", async () => {
    await d.same(
      evals(
        ["return redis.setresp()"], ["return redis.setresp(4)"], ["return redis.setresp('x')"], ["return redis.setresp(2, 3)"],
        ["return redis.set_repl()"], ["return redis.set_repl(99)"], ["return redis.set_repl(-1)"], ["return redis.set_repl(redis.REPL_ALL)"],
        ["return redis.log()"], ["return redis.log(99, 'x')"], ["return redis.log('x', 'x')"], ["return redis.log(redis.LOG_WARNING, 'x', 'y')"],
        ["return redis.log(redis.LOG_DEBUG, 'x', {}, 1)"], ["return redis.sha1hex()"], ["return redis.sha1hex('')"], ["return redis.sha1hex(1)"],
        ["return redis.sha1hex('abc', 'd')"], ["return redis.replicate_commands()"], ["return redis.breakpoint()"], ["return redis.debug('x')"],
        ["return redis.acl_check_cmd('get','x')"], ["return redis.acl_check_cmd('nosuch')"], ["return redis.acl_check_cmd()"],
        ["return redis.acl_check_cmd({})"], ["return redis.error_reply()"], ["return redis.error_reply(1)"], ["return redis.status_reply()"],
        ["return redis.status_reply(1)"], ["return redis.status_reply('a', 'b')"],
        ["return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"],
        ["return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"],
        ["return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}"], ["return redis.nosuch"],
        ["local t = {} for k,v in pairs(redis) do table.insert(t, k) end table.sort(t) return t"],
      ),
    );
  });

  test("KEYS and ARGV", async () => {
    await d.same(`
      EVAL "return {KEYS, ARGV}" 2 a b c d
      EVAL "return {#KEYS, #ARGV}" 0
      EVAL "return {KEYS[1], ARGV[1]}" 1 "k\\x00x" "v\\xffy"
      EVAL "KEYS[1] = 'x' return KEYS[1]" 1 a
      EVAL "return KEYS[1]" 0
    `);
  });

  test("SELECT inside a script changes only the script's database", async () => {
    await d.same(`
      SET k db0
      EVAL "redis.call('select', 1) redis.call('set', 'k', 'db1') return redis.call('get', 'k')" 0
      GET k
      SELECT 1
      GET k
      EVAL "return redis.call('get', 'k')" 0
      SELECT 0
      EVAL "redis.call('select', 99) return 1" 0
    `);
  });
});

describe("sandbox", () => {
  test("globals are read-only and missing ones fail", async () => {
    await d.same(
      evals(
        ["x = 1"], ["return x"], ["return foo()"], ["rawset(_G, 'x', 1) return x"], ["setmetatable(_G, nil) return 1"],
        ["return getmetatable(_G) == nil"], ["KEYS = {} return 1"], ["redis = nil"], ["string.x = 1"], ["redis.call = nil"],
        ["redis.x = 1"], ["math.floor = nil"], ["return type(getmetatable(''))"], ["getmetatable('').__index.x = 1"],
        ["getmetatable('').__index = nil"], ["return ('abc'):upper()"], ["_G.y = 2"], ["return rawget(_G, 'nope')"],
        ["return _G == _G._G"], ["return type(_G)"], ["return _VERSION"], ["local t = {} t.x = 1 return t.x"],
        ["return loadstring('x = 1')()"], ["return loadstring('return 1 +')"], ["local f, e = loadstring('return 1 +') return e"],
        ["return loadstring('return KEYS[1]')()", "1", "kk"], ["return loadstring('return ...')(7)"],
        ["return load(function() return nil end)"], ["return os"], ["return io"], ["return debug"], ["return require"], ["return print"],
        ["return dofile"], ["return loadfile"], ["return package"], ["return utf8"], ["return rawlen"], ["return getfenv"],
        ["return module"], ["return newproxy"], ["local t = {} setmetatable(t, {__index = function(_, k) return k .. '!' end}) return t.hi"],
        ["getmetatable(_G).__newindex = nil return 1"], ["getmetatable(_G).__index = function() return 5 end return nosuch"],
        ["return rawget(getmetatable(_G), '__index') ~= nil"], ["setmetatable(getmetatable(_G), {}) return 1"],
        ["local f, s = pairs(string) s.x = 1 return 1"], ["local f, s = pairs(_G) s.x = 1 return 1"], ["return rawget(string, 'format') ~= nil"],
        ["return next(string) ~= nil"], ["return rawget(_G, 'redis') ~= nil"], ["local n = 0 for k in next, math do n = n + 1 end return n"],
        ["return string.x"], ["string.format = nil"], ["return x"],
      ),
    );
  });

  test("library surface: the Lua 5.1 names Redis exposes", async () => {
    const list = (lib: string) => `local t = {} for k,v in pairs(${lib}) do table.insert(t, k .. ':' .. type(v)) end table.sort(t) return t`;
    await d.same(evals([list("_G")], [list("string")], [list("math")], [list("table")], [list("coroutine")], [list("cjson")], [list("cmsgpack")], [list("bit")], [list("struct")]));
  });

  test("Lua 5.1 number semantics", async () => {
    await d.same(
      evals(
        ["return tostring(10/2) .. ' ' .. tostring(65536*65536) .. ' ' .. tostring(2^53)"], ["return tostring(1e15) .. ' ' .. tostring(1e100)"],
        ["return tostring(1/3) .. ' ' .. tostring(-0.5) .. ' ' .. tostring(1/0)"], ["return tostring(0/0)"], ["return 7 % 3 .. ' ' .. -7 % 3"],
        ["local x = 0 for i = 1, 100000 do x = x + i end return tostring(x)"], ["return tostring(2147483647 + 1)"],
        ["return tostring(math.floor(3.7)) .. tostring(math.ceil(3.2))"], ["return tostring(tonumber('0x10')) .. tostring(tonumber('  12  '))"],
        ["return tostring(tonumber('1e2'))"], ["return {tonumber('x'), tonumber('10', 2), tonumber('zz', 36)}"],
        ["return string.format('%d %5.2f %s %q %x', 42, 3.14159, 'str', 'a\\nb', 255)"], ["return string.format('%g %e', 0.1, 12345.678)"],
        ["return table.concat({1, 2.5, 'x'}, ',')"], ["return {math.max(1, 5, 3), math.min(4, 2), math.abs(-3), math.sqrt(16)}"],
        ["return tostring(math.pi)"], ["return tostring(math.huge)"], ["return {math.fmod(7, 3), math.mod(-7, 3), math.pow(2, 10)}"],
        ["local m, e = math.frexp(8) return {m * 10, e, math.ldexp(0.5, 4)}"], ["return {math.modf(3.7)}"],
        ["return tostring(math.log10(1000)) .. tostring(math.atan2(1, 1))"], ["return #'abc' + #{1, 2}"],
        ["return table.getn({1, 2, 3})"], ["return table.maxn({1, 2, [10] = 3})"], ["return unpack({1, 2, 3})"],
        ["return select('#', unpack({1, nil, 3}))"], ["return string.gsub('hello world', 'o', '0')"],
        ["return {string.find('hello', 'l+')}"], ["return string.byte('A') + 0"], ["return string.char(72, 105)"],
        ["local t = {3, 1, 2} table.sort(t) return t"], ["local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t"],
        ["local s = 0 for w in string.gmatch('1 2 3', '%d') do s = s + w end return s"], ["return string.rep('ab', 3)"],
        ["return ('x'):rep(3)"], ["return tostring(nil) .. tostring(true)"], ["return tostring(-0.0)"],
      ),
    );
  });

  test("math.random gives numbers in range (its sequence is not specified)", async () => {
    const c = await RespConn.connect(d.aikv.port);
    const r = await c.call("EVAL", "local t = {} for i = 1, 200 do local a, b = math.random(), math.random(10) if a < 0 or a >= 1 or b < 1 or b > 10 or b ~= math.floor(b) then return 0 end end local x = math.random(5, 7) if x < 5 or x > 7 then return 0 end math.randomseed(42) local s1 = math.random(1000) math.randomseed(42) return s1 == math.random(1000) and 1 or 0", "0");
    expect(r).toBe(":1\r\n");
    c.close();
  });
});

describe("libraries", () => {
  test("cjson encode/decode", async () => {
    await d.same(
      evals(
        ["return cjson.encode(string.char(0,1,8,9,10,11,12,13,31,32,34,39,47,92,127,128,255))"], ["return cjson.encode({1,2,3,nil,5})"],
        ["return cjson.encode({[1]=1,[20]=2})"], ["return cjson.encode({})"], ["return cjson.encode({a={}})"], ["return cjson.encode(1/3)"],
        ["return cjson.encode(1e300)"], ["return cjson.encode(-0.0)"], ["return cjson.encode(1/0)"], ["return cjson.encode(function() end)"],
        ["return cjson.encode({[true]=1})"], ["return cjson.encode({[1.5]=1})"], ["return cjson.encode()"], ["return cjson.encode(cjson.null)"],
        ["return cjson.encode({x=cjson.null})"], ["return cjson.encode({a={b={c={1,'x',true,false}}}})"], ["return cjson.encode('\\xe9')"],
        ["return cjson.encode({1, {2, {3}}})"], ["return cjson.encode(12345678901234)"], ["return cjson.encode(0.1)"],
        ["return cjson.decode('')"], ["return cjson.decode('x')"], ["return cjson.decode('[1,2')"], ["return cjson.decode('{\"a\" 1}')"],
        ["return cjson.decode('{1:1}')"], ["return cjson.decode('[1] x')"], ["return cjson.decode('\"abc')"], ["return cjson.decode('\"\\\\q\"')"],
        ["return cjson.decode('01')"], ["return cjson.decode('0x10')"], ["return cjson.decode('+5')"], ["return cjson.decode('-')"],
        ["return cjson.decode('truex')"], ["return cjson.decode('[1,2,]')"], ["return cjson.decode('{}}')"],
        ["return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')"], ["return cjson.decode('\"\\\\ud83d\"')"],
        ["return cjson.decode(' [true,false,null] ')[3] == cjson.null"], ["return cjson.decode('[1.5, -2e3, 1e999]')"],
        ["return cjson.decode('{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]}}').a.b[3].c"], ["return cjson.decode('\"\\\\\\\"\\\\/\\\\b\\\\f\\\\n\\\\r\\\\t\"')"],
        ["return cjson.decode()"], ["return cjson.decode('{}', 1)"], ["return cjson.decode('\"a\\0b\"')"],
        ["return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_number_precision(), cjson.encode_keep_buffer(), tostring(cjson.encode_invalid_numbers()), tostring(cjson.decode_invalid_numbers())}"],
        ["return {cjson.encode_sparse_array()}"], ["local t = {} local c = t for i=1,1100 do c[1] = {} c = c[1] end return cjson.encode(t)"],
        ["return cjson.decode(string.rep('[', 1100))"], ["return tostring(cjson.null)"], ["return type(cjson.null)"], ["return cjson._VERSION"],
        ["local j = cjson.new() j.encode_number_precision(3) return {j.encode(1/3), cjson.encode(1/3)}"],
        ["return cjson.encode(cjson.decode('[1,\"two\",[3,[4]],{\"k\":false}]'))"],
      ),
    );
  });

  test("cmsgpack pack/unpack byte for byte", async () => {
    const hex = (expr: string) => `local s = ${expr} return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))`;
    await d.same(
      evals(
        [hex("cmsgpack.pack(0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)")],
        [hex("cmsgpack.pack(1.5, 0.1, -2.25, 1e300, 1/0, -1/0, 2^53, 2^63, -2^63)")], [hex("cmsgpack.pack(true, false, nil)")],
        [hex("cmsgpack.pack('', 'abc', string.rep('x', 31), string.rep('x', 32), string.rep('x', 255), string.rep('x', 256), string.rep('y', 70000))")],
        [hex("cmsgpack.pack({}, {1, 2, 3}, {1, nil, 3}, {a = 1}, {[1] = 'x', [3] = 'y'}, {{{}}})")],
        [hex("cmsgpack.pack({1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16})")], [hex("cmsgpack.pack(function() end)")],
        [hex("local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)")],
        ["return cmsgpack.pack()"], ["return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {4}}, true))}"],
        ["return cmsgpack.unpack(cmsgpack.pack({a = 'b'})).a"], ["return {cmsgpack.unpack('')}"], ["return cmsgpack.unpack('\\xc1')"],
        ["return cmsgpack.unpack('\\xcd\\x01')"], ["return cmsgpack.unpack('\\x92\\x01')"], ["return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}"],
        ["return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}"], ["return {cmsgpack.unpack_one(cmsgpack.pack(1), 0)}"],
        ["return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}"], ["return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 2)}"],
        ["return cmsgpack.unpack_one('\\x01', 5)"], ["return cmsgpack.unpack_limit('\\x01', -1)"],
        ["return {cmsgpack.unpack('\\xc4\\x03abc\\xd9\\x01z\\xcc\\xff\\xd0\\x80\\xcf\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\xca\\x3f\\xc0\\x00\\x00')}"],
        ["return tostring(cmsgpack.unpack('\\xcb\\x3f\\xb9\\x99\\x99\\x99\\x99\\x99\\x9a'))"],
        ["return cmsgpack._VERSION .. ' ' .. cmsgpack._NAME"],
      ),
    );
  });

  test("bit operations", async () => {
    await d.same(
      evals(
        ["return {bit.tobit(0xffffffff), bit.tobit(2^32 + 5), bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(-2^31)}"],
        ["return {bit.bnot(0), bit.band(0xff, 0x0f, 0x3), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.band()}"],
        ["return {bit.lshift(1, 31), bit.lshift(1, 32), bit.rshift(-1, 28), bit.arshift(-16, 2), bit.rol(0x12345678, 8), bit.ror(0x12345678, 8)}"],
        ["return {bit.bswap(0x12345678), bit.tohex(255), bit.tohex(-1, -4), bit.tohex(0x1234, 2), bit.tohex(1, 20)}"], ["return bit.tobit('x')"],
        ["return bit.band(1)"],
      ),
    );
  });

  test("struct pack/unpack/size", async () => {
    const hex = (expr: string) => `local s = ${expr} return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end))`;
    await d.same(
      evals(
        [hex("struct.pack('>I2<I2bBhHiIlL', 258, 258, -1, 255, -2, 65535, -3, 4294967295, -4, 5)")], [hex("struct.pack('>i3 c3 s x d f', -5, 'abc', 'zz', 1.5, 2.25)")],
        [hex("struct.pack('!4 b i', 1, 2)")], [hex("struct.pack('c0', 'hello')")], [hex("struct.pack('>I8', 2^53)")],
        ["return {struct.unpack('>I2<I2bB', '\\1\\2\\2\\1\\255\\255')}"], ["return {struct.unpack('>i3', '\\255\\255\\251')}"],
        ["return {struct.unpack('s c2', 'ab\\0xyz')}"], ["return {struct.unpack('>d', struct.pack('>d', 1.5))}"], ["return {struct.unpack('b', '\\1\\2', 2)}"],
        ["return {struct.unpack('B c0', '\\3abcd')}"], ["return struct.size('>I2 i d !8 b d')"], ["return struct.size('s')"], ["return struct.size('c0')"],
        ["return struct.pack('q', 1)"], ["return struct.pack('i17', 1)"], ["return struct.pack('!3', 1)"], ["return struct.unpack('I4', 'ab')"],
        ["return struct.unpack('s', 'abc')"], ["return struct.pack('c5', 'ab')"], ["return struct.unpack('b', 'a', 5)"],
      ),
    );
  });
});

describe("script cache and flags", () => {
  test("SCRIPT LOAD/EXISTS/FLUSH and EVALSHA", async () => {
    await d.same(`
      SCRIPT FLUSH
      SCRIPT LOAD "return 'loaded'"
      EVALSHA 9f4c5de9aa8d52e2c2ab1ea8b57ecf2c1ed6f5fe 0
      SCRIPT EXISTS 9f4c5de9aa8d52e2c2ab1ea8b57ecf2c1ed6f5fe 0000000000000000000000000000000000000000
      SCRIPT LOAD "return 1 +"
      EVAL "return 'cached by eval'" 0
      SCRIPT EXISTS f0c48d0ae8a3d5da4b3fd94d07e1af15c4b3a6da
      EVALSHA F0C48D0AE8A3D5DA4B3FD94D07E1AF15C4B3A6DA 0
      SCRIPT EXISTS F0C48D0AE8A3D5DA4B3FD94D07E1AF15C4B3A6DA
      SCRIPT FLUSH ASYNC
      SCRIPT EXISTS f0c48d0ae8a3d5da4b3fd94d07e1af15c4b3a6da
      EVALSHA f0c48d0ae8a3d5da4b3fd94d07e1af15c4b3a6da 0
      SCRIPT FLUSH SYNC
      SCRIPT FLUSH BAD
      SCRIPT FLUSH SYNC ASYNC
      SCRIPT KILL
      SCRIPT EXISTS
      SCRIPT LOAD
      SCRIPT DEBUG NO
      SCRIPT DEBUG MAYBE
      SCRIPT NOSUCH
    `);
  });

  test("shebang flags, EVAL_RO and read-only scripts", async () => {
    await d.same(`
      SET k v
      EVAL "#!lua\\nreturn redis.call('get', 'k')" 0
      EVAL "#!lua flags=no-writes\\nreturn redis.call('get', 'k')" 0
      EVAL "#!lua flags=no-writes\\nreturn redis.call('set', 'k', 'x')" 0
      EVAL "#!lua flags=no-writes,allow-oom\\nreturn 1" 0
      EVAL "#!lua flags=\\nreturn 2" 0
      EVAL "#!lua flags=bad\\nreturn 1" 0
      EVAL "#!lua foo=bar\\nreturn 1" 0
      EVAL "#!python\\nreturn 1" 0
      EVAL "#!lua" 0
      EVAL "#!lua name=x\\nreturn 1" 0
      EVAL "#!lua\\nerror('line two')" 0
      EVAL_RO "return redis.call('get', 'k')" 0
      EVAL_RO "return redis.call('set', 'k', 'x')" 0
      EVAL_RO "return redis.pcall('set', 'k', 'x')" 0
      EVAL_RO "return redis.call('publish', 'ch', 'x')" 0
      EVAL_RO "#!lua\\nreturn 1" 0
      EVAL_RO "#!lua flags=no-writes\\nreturn redis.call('get', 'k')" 0
      SCRIPT LOAD "#!lua flags=no-writes\\nreturn 'ro'"
      EVALSHA_RO 3c7d3a7d4b3e1f6b1a9d4b6a9d4f0d7d9e2b1f4c 0
      EVAL "#!lua flags=allow-cross-slot-keys,no-cluster,allow-stale\\nreturn 1" 0
      GET k
    `);
  });
});

describe("scripts and the rest of the server", () => {
  test("MONITOR shows the script's commands as coming from lua", async () => {
    const lines = async (port: number) => {
      const mon = await RespConn.connect(port);
      await mon.call("MONITOR");
      const c = await RespConn.connect(port);
      await c.call("EVAL", "redis.call('set', KEYS[1], '1') return redis.call('get', KEYS[1])", "1", "mk");
      const got: string[] = [];
      for (let i = 0; i < 3; i++) got.push((await mon.read()).replace(/^\+\d+\.\d+ \[0 [^\]]+\]/, (m) => (m.includes("lua") ? "[lua]" : "[client]")));
      mon.close();
      c.close();
      return got;
    };
    expect(await lines(d.aikv.port)).toEqual(await lines(d.redis.port));
  });

  test("scripts inside MULTI/EXEC, WATCH touched by script writes", async () => {
    const steps: Step[] = [
      [0, "MULTI"],
      [0, "EVAL", "return redis.call('incr', KEYS[1])", "1", "c"],
      [0, "EVAL", "return redis.call('nosuch')", "0"],
      [0, "EVAL", "return 1 +", "0"],
      [0, "EXEC"],
      [0, "WATCH", "w"],
      [1, "EVAL", "return redis.call('set', KEYS[1], 'x')", "1", "w"],
      [0, "MULTI"],
      [0, "GET", "w"],
      [0, "EXEC"],
      [0, "WATCH", "w"],
      [1, "EVAL", "return redis.call('get', KEYS[1])", "1", "w"],
      [0, "MULTI"],
      [0, "GET", "w"],
      [0, "EXEC"],
    ];
    await sameScenario(d, steps);
  });

  test("scripts cannot block: BLPOP returns at once", async () => {
    await d.same(`
      EVAL "return redis.call('blpop', 'nolist', 0)" 0
      EVAL "return redis.call('brpoplpush', 'nolist', 'x', 0)" 0
      EVAL "return redis.call('bzpopmin', 'noz', 0)" 0
    `);
  });

  test("a script's keyspace notifications and publishes reach subscribers", async () => {
    const steps: Step[] = [
      [0, "SUBSCRIBE", "ch"],
      [1, "EVAL", "redis.call('publish', 'ch', 'one') return redis.call('publish', 'ch', 'two')", "0"],
      ["read", 0],
      ["read", 0],
    ];
    await sameScenario(d, steps);
  });

  test("randomized scripts over strings, lists and sorted sets", async () => {
    const rnd = prng(99);
    const k = () => ["a", "b", "c"][Math.floor(rnd() * 3)]!;
    const ops = [
      () => `redis.call('set', '${k()}', '${Math.floor(rnd() * 10)}')`,
      () => `redis.pcall('incr', '${k()}')`,
      () => `redis.pcall('rpush', '${k()}', 'x')`,
      () => `redis.pcall('zadd', '${k()}', ${Math.floor(rnd() * 5)}, 'm')`,
      () => `redis.call('del', '${k()}')`,
      () => `redis.pcall('append', '${k()}', 'z')`,
      () => `redis.pcall('lpop', '${k()}')`,
    ];
    const cmds: Cmd[] = [];
    for (let i = 0; i < 40; i++) {
      const body: string[] = [];
      const n = 1 + Math.floor(rnd() * 5);
      for (let j = 0; j < n; j++) body.push(ops[Math.floor(rnd() * ops.length)]!());
      cmds.push(["EVAL", `${body.join(" ")} return {redis.call('type', 'a').ok, redis.call('type', 'b').ok, redis.call('type', 'c').ok, redis.pcall('get', 'a')}`, "0"]);
    }
    cmds.push(["MGET", "a", "b", "c"]);
    await d.same(cmds);
  });
});

describe("propagation", () => {
  test("a script propagates its writes (MULTI/EXEC when more than one), never itself", async () => {
    const script: Cmd[] = [
      ["EVAL", "redis.call('set', 'a', '1') redis.call('incr', 'a') return redis.call('get', 'a')", "0"],
      ["EVAL", "return redis.call('get', 'a')", "0"],
      ["EVAL", "return redis.call('set', 'b', '2')", "0"],
      ["EVAL", "redis.call('set', 'c', 1) redis.call('expire', 'c', 100) redis.call('rpush', 'l', 'x', 'y') redis.call('lpop', 'l') return 1", "0"],
      ["EVAL", "redis.call('select', 2) redis.call('set', 'd', 1) return 1", "0"],
      ["EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', 'e', 1) redis.set_repl(redis.REPL_ALL) redis.call('set', 'f', 1) return 1", "0"],
      ["MULTI"], ["EVAL", "redis.call('set', 'g', 1) redis.call('set', 'h', 1) return 1", "0"], ["SET", "i", "1"], ["EXEC"],
      ["SCRIPT", "LOAD", "return redis.call('incr', 'a')"],
      ["EVALSHA", "3c8fcbcc5bdd5bd1ac81b06a1d5d0e8ee4c0d1e9", "0"],
    ];
    await samePropagation(d, script, { line: (args) => args.join(" ").replace(/ 1\d{12}$/, " <ms>") });
  }, 30000);
});

describe("rollback (AiKv)", () => {
  /** Every key's type, full value and TTL, for before/after comparisons. */
  async function snapshot(c: RespConn, keys: string[]): Promise<string[]> {
    const out: string[] = [];
    const sorted = (r: string) => r.split("\r\n").slice(1).sort().join("|");
    for (const k of keys) {
      const type = await c.call("TYPE", k);
      let value = "";
      if (type === "+string\r\n") value = await c.call("GET", k);
      else if (type === "+list\r\n") value = await c.call("LRANGE", k, "0", "-1");
      else if (type === "+zset\r\n") value = await c.call("ZRANGE", k, "0", "-1", "WITHSCORES");
      else if (type === "+hash\r\n") value = sorted(await c.call("HGETALL", k));
      else if (type === "+set\r\n") value = sorted(await c.call("SMEMBERS", k));
      out.push(k, type, value, await c.call("OBJECT", "ENCODING", k), (await c.call("PTTL", k)).replace(/:\d{4,}/, ":<ttl>"));
    }
    return out;
  }

  test("a script that writes several keys of different types then errors leaves everything as it was", async () => {
    const c = await RespConn.connect(d.aikv.port);
    await c.call("FLUSHALL");
    await c.call("SET", "s", "orig");
    await c.call("EXPIRE", "s", "1000");
    await c.call("RPUSH", "l", "a", "b");
    await c.call("ZADD", "z", "1", "m");
    await c.call("SET", "n", "10");
    await c.call("SET", "gone", "x");
    const keys = ["s", "l", "z", "n", "gone", "new", "new2", "renamed"];
    const before = await snapshot(c, keys);
    const scripts = [
      "redis.call('set', 's', 'changed') redis.call('rpush', 'l', 'c') redis.call('lpop', 'l') redis.call('zadd', 'z', 5, 'q') redis.call('incrby', 'n', 5) redis.call('del', 'gone') redis.call('set', 'new', 'v', 'EX', 50) error('fail at the end')",
      "redis.call('persist', 's') redis.call('rename', 'l', 'renamed') redis.call('zrem', 'z', 'm') return redis.call('incr', 's')",
      "redis.call('append', 's', 'x') redis.call('expire', 'n', 5) redis.call('lset', 'l', 0, 'zz') redis.call('zincrby', 'z', 2, 'm') local t = nil return t.x",
      "redis.call('copy', 's', 'new2') redis.call('setrange', 's', 0, 'ZZ') redis.call('ltrim', 'l', 1, 0) redis.call('zpopmin', 'z') redis.call('nosuch')",
      "redis.call('getdel', 's') redis.call('lmove', 'l', 'new', 'LEFT', 'RIGHT') redis.call('zunionstore', 'new2', 2, 'z', 'z') redis.call('set', 'n', 'x') return redis.call('incr', 'n')",
    ];
    for (const s of scripts) {
      const r = await c.call("EVAL", s, "0");
      expect(r.startsWith("-")).toBe(true);
      expect(await snapshot(c, keys)).toEqual(before);
    }
    if (serves("hset", "sadd")) {
      await c.call("HSET", "h", "f", "1");
      await c.call("SADD", "st", "a");
      const b2 = await snapshot(c, ["h", "st"]);
      expect(
        (await c.call("EVAL", "redis.call('hset', 'h', 'f', 2, 'g', 3) redis.call('hdel', 'h', 'f') redis.call('sadd', 'st', 'b') redis.call('srem', 'st', 'a') error('x')", "0")).startsWith("-"),
      ).toBe(true);
      expect(await snapshot(c, ["h", "st"])).toEqual(b2);
    }
    // A caught error is not a failure: the writes stay.
    expect(await c.call("EVAL", "redis.call('set', 's', 'kept') pcall(error, 'x') redis.pcall('nosuch') return 1", "0")).toBe(":1\r\n");
    expect(await c.call("GET", "s")).toBe("$4\r\nkept\r\n");
    // Returning an error reply is not a failure either.
    expect(await c.call("EVAL", "redis.call('set', 's', 'kept2') return redis.error_reply('MY no')", "0")).toBe("-MY no\r\n");
    expect(await c.call("GET", "s")).toBe("$5\r\nkept2\r\n");
    c.close();
  });

  test("whole-db commands are undone: FLUSHDB, FLUSHALL, SWAPDB, MOVE, SELECT", async () => {
    const c = await RespConn.connect(d.aikv.port);
    await c.call("FLUSHALL");
    await c.call("SET", "a", "1");
    await c.call("SET", "ttl", "1", "EX", "500");
    await c.call("SELECT", "1");
    await c.call("SET", "b", "2");
    await c.call("SELECT", "0");
    const state = async () => {
      const out: string[] = [];
      for (const db of ["0", "1", "2"]) {
        await c.call("SELECT", db);
        const keys = (await c.call("KEYS", "*")).split("\r\n").filter((x) => x && !/^[*$]/.test(x)).sort().join(",");
        out.push(db, await c.call("DBSIZE"), keys, await c.call("GET", "a"), await c.call("GET", "b"), (await c.call("TTL", "ttl")).replace(/:\d+/, ":t"));
      }
      await c.call("SELECT", "0");
      return out;
    };
    const before = await state();
    for (const s of [
      "redis.call('set', 'x', 1) redis.call('flushdb') redis.call('set', 'y', 2) error('x')",
      "redis.call('set', 'x', 1) redis.call('flushall') redis.call('select', 1) redis.call('set', 'y', 2) error('x')",
      "redis.call('swapdb', 0, 1) redis.call('set', 'x', 1) redis.call('swapdb', 1, 2) redis.call('del', 'b') error('x')",
      "redis.call('move', 'a', 2) redis.call('select', 2) redis.call('set', 'a', 'moved') redis.call('copy', 'a', 'b', 'db', 1, 'replace') error('x')",
      "redis.call('flushdb') redis.call('swapdb', 0, 1) redis.call('flushall') error('x')",
    ]) {
      expect((await c.call("EVAL", s, "0")).startsWith("-")).toBe(true);
      expect(await state()).toEqual(before);
    }
    c.close();
  });

  test("nothing of a rolled-back script is propagated; lua-rollback no keeps Redis's behaviour", async () => {
    const aikv = await recordingServer();
    aikv.run(["EVAL", "redis.call('set', 'a', 1) redis.call('set', 'b', 2) error('no')", "0"]);
    expect(aikv.lines()).toEqual([]);
    expect(aikv.srv.ks.dbs[0]!.size).toBe(0);
    aikv.run(["CONFIG", "SET", "lua-rollback", "no"]);
    aikv.run(["EVAL", "redis.call('set', 'a', 1) redis.call('set', 'b', 2) error('no')", "0"]);
    expect(aikv.lines()).toEqual(["MULTI", "set a 1", "set b 2", "EXEC"]);
    expect(aikv.srv.ks.dbs[0]!.size).toBe(2);
  });

  test("with lua-rollback no, a failing script leaves the same state as on redis-server", async () => {
    const a = await RespConn.connect(d.aikv.port);
    expect(await a.call("CONFIG", "SET", "lua-rollback", "no")).toBe("+OK\r\n");
    try {
      await d.same(`
        SET s orig
        RPUSH l a
        EVAL "redis.call('set', 's', 'changed') redis.call('rpush', 'l', 'b') error('boom')" 0
        GET s
        LRANGE l 0 -1
        EVAL "redis.call('del', 's') return redis.call('incr', 'l')" 0
        EXISTS s
      `, { protos: [2] });
    } finally {
      await a.call("CONFIG", "SET", "lua-rollback", "yes");
      a.close();
    }
  });

  test("CONFIG GET lua-rollback", async () => {
    const a = await RespConn.connect(d.aikv.port);
    expect(await a.call("CONFIG", "GET", "lua-rollback")).toBe("*2\r\n$12\r\nlua-rollback\r\n$3\r\nyes\r\n");
    a.close();
  });
});

describe("time limit (AiKv)", () => {
  let srv: Running;
  beforeAll(async () => {
    srv = await startAikv({ args: ["--busy-reply-threshold", "200"] });
  });
  afterAll(async () => {
    await srv.stop();
  });

  test("a runaway script is stopped at busy-reply-threshold and rolled back; pcall cannot swallow it", async () => {
    const c = await RespConn.connect(srv.port);
    await c.call("SET", "k", "before");
    const r = await c.call("EVAL", "redis.call('set', 'k', 'during') while true do end", "0");
    expect(r).toMatch(/^-ERR Script killed by the server: it ran longer than busy-reply-threshold \(200 ms\) script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
    expect(await c.call("GET", "k")).toBe("$6\r\nbefore\r\n");
    const r2 = await c.call("EVAL", "redis.call('set', 'k', 'x') while true do pcall(function() while true do end end) end", "0");
    expect(r2).toContain("Script killed");
    const r3 = await c.call("EVAL", "local co = coroutine.wrap(function() while true do end end) pcall(co) redis.call('set', 'k', 'y') return 'survived'", "0");
    expect(r3).toContain("Script killed");
    expect(await c.call("GET", "k")).toBe("$6\r\nbefore\r\n");
    expect(await c.call("PING")).toBe("+PONG\r\n");
    expect(await c.call("SCRIPT", "KILL")).toBe("-NOTBUSY No scripts in execution right now.\r\n");
    expect(await c.call("EVAL", "local x = 0 for i = 1, 1000 do x = x + i end return x", "0")).toBe(":500500\r\n");
    c.close();
  });
});
