// A real job queue that lives on Lua scripts (BullMQ, over ioredis) runs a producer/worker
// flow against AiKv: plain, delayed, prioritized, retried and failing jobs, return values,
// counts and cleanup. The same flow runs against redis-server to check the test itself.
// BullMQ needs hashes, sets, sorted sets, lists, streams (its event log) and blocking pops;
// the AiKv run waits until the server has them all.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Queue, Worker, type Job } from "bullmq";
import { RespConn } from "../helpers/resp.ts";
import { startAikv, startRedis, type Running } from "../helpers/servers.ts";

const NEEDED = ["eval", "evalsha", "hset", "hmget", "hgetall", "sadd", "zadd", "bzpopmin", "xadd", "xtrim", "xrange", "lpush", "rpoplpush", "lmove", "time", "script"];

let aikv: Running;
let redis: Running;
let aikvReady = false;

beforeAll(async () => {
  [aikv, redis] = await Promise.all([startAikv(), startRedis()]);
  const c = await RespConn.connect(aikv.port);
  const list = await c.call("COMMAND", "LIST");
  const served = new Set([...list.matchAll(/\$\d+\r\n([^\r]+)\r\n/g)].map((m) => m[1]!.toLowerCase()));
  aikvReady = NEEDED.every((n) => served.has(n));
  c.close();
});

afterAll(async () => {
  await Promise.all([aikv?.stop(), redis?.stop()]);
});

interface Outcome {
  completed: Record<string, unknown>;
  failed: Record<string, string>;
  counts: Record<string, number>;
  attempts: Record<string, number>;
}

async function waitFor(cond: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await Bun.sleep(50);
  }
  throw new Error("timed out");
}

/** Produces jobs, works them off, and reports what happened. */
async function flow(port: number): Promise<Outcome> {
  const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
  const name = `q${Math.floor(Math.random() * 1e9)}`;
  const queue = new Queue(name, { connection });
  const completed: Record<string, unknown> = {};
  const failed: Record<string, string> = {};
  const attempts: Record<string, number> = {};
  const worker = new Worker(
    name,
    async (job: Job) => {
      attempts[job.name] = (attempts[job.name] ?? 0) + 1;
      if (job.name === "flaky" && job.attemptsMade < 1) throw new Error("first try fails");
      if (job.name === "broken") throw new Error("always fails");
      await job.updateProgress(50);
      return { doubled: (job.data.n as number) * 2 };
    },
    { connection, concurrency: 3 },
  );
  worker.on("completed", (job, result) => void (completed[job.name] = result));
  worker.on("failed", (job, err) => {
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) failed[job.name] = err.message;
  });
  try {
    for (let i = 0; i < 8; i++) await queue.add(`plain${i}`, { n: i });
    await queue.add("delayed", { n: 100 }, { delay: 300 });
    await queue.add("urgent", { n: 7 }, { priority: 1 });
    await queue.add("flaky", { n: 5 }, { attempts: 3, backoff: { type: "fixed", delay: 50 } });
    await queue.add("broken", { n: 1 }, { attempts: 2 });
    await queue.addBulk([
      { name: "bulk0", data: { n: 10 } },
      { name: "bulk1", data: { n: 11 } },
    ]);
    await waitFor(async () => Object.keys(completed).length === 13 && Object.keys(failed).length === 1, 20000);
    const counts = await queue.getJobCounts("completed", "failed", "wait", "active", "delayed", "prioritized");
    const job = (await queue.getJobs(["completed"])).find((j) => j.name === "plain3");
    expect(job?.returnvalue).toEqual({ doubled: 6 });
    expect(job?.progress).toBe(50);
    const failedJob = (await queue.getJobs(["failed"]))[0];
    expect(failedJob?.failedReason).toBe("always fails");
    expect(failedJob?.attemptsMade).toBe(2);
    await queue.obliterate({ force: true });
    return { completed, failed, counts, attempts };
  } finally {
    await worker.close();
    await queue.close();
  }
}

function expectOutcome(o: Outcome): void {
  for (let i = 0; i < 8; i++) expect(o.completed[`plain${i}`]).toEqual({ doubled: i * 2 });
  expect(o.completed.delayed).toEqual({ doubled: 200 });
  expect(o.completed.urgent).toEqual({ doubled: 14 });
  expect(o.completed.flaky).toEqual({ doubled: 10 });
  expect(o.completed.bulk1).toEqual({ doubled: 22 });
  expect(o.failed).toEqual({ broken: "always fails" });
  expect(o.attempts.flaky).toBe(2);
  expect(o.attempts.broken).toBe(2);
  expect(o.counts).toEqual({ completed: 13, failed: 1, wait: 0, active: 0, delayed: 0, prioritized: 0 });
}

describe("BullMQ", () => {
  test("producer/worker flow against redis-server (checks the test itself)", async () => {
    expectOutcome(await flow(redis.port));
  }, 40000);

  test("producer/worker flow against AiKv", async () => {
    if (!aikvReady) {
      console.warn("bullmq: AiKv does not serve every command BullMQ uses yet; skipped");
      return;
    }
    expectOutcome(await flow(aikv.port));
  }, 40000);
});
