/**
 * Load test of the public report form (issue 23), bounded and on loopback: the API (built as the service builds
 * it, on a schema of its own of the real PostgreSQL, its relay idle) answers HTTP on 127.0.0.1; clients fetch the
 * form for its token and post a report, each as one of many citizens (X-Forwarded-For from a trusted proxy: the
 * per-address limit applies to each, as behind the operator's reverse proxy). Two phases:
 *
 *   1. capacity: the global cap lifted; reports per second sustained (form + post), against the same run's
 *      baseline of serving the form alone (rendering, no database), as a ratio;
 *   2. overload: the default global cap (REPORT_MAX_PER_SECOND 50): the endpoint keeps answering, beyond the cap
 *      with 503 MOD_ERR_API_REPORT_BUSY, and stores nothing it refused.
 * After each phase: every accepted report stored exactly once (rows = 201 answers, one per tracking code).
 *
 *   pnpm build && pnpm bench:reports        (REPORTS_BENCH_SECONDS=10, REPORTS_BENCH_CONCURRENCY=16)
 *
 * Needs what `deploy/local/test.sh` exports (KAFKA_SASL_* of the admin principal, KAFKA_TLS_CA_PATH).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, request as httpRequest } from 'node:http';
import { buildApp } from '@mod/api';
import { createKafka, createProducer } from '@mod/kafka';
import { createRegistry, createLogger } from '@mod/telemetry';
import { createTestSchema, credentialsFromEnvironment } from '@mod/testing';
import { describeMachine } from './machine.js';
import { fmt, pct } from './report-format.js';

const SECONDS = Number(process.env['REPORTS_BENCH_SECONDS'] ?? 10);
const CONCURRENCY = Number(process.env['REPORTS_BENCH_CONCURRENCY'] ?? 16);

/** One HTTP request on the keep-alive agent: its status and body as text. */
function call(
  agent: Agent,
  url: string,
  o: { method?: string; headers: Record<string, string>; body?: string },
): Promise<{ statusCode: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

interface Phase {
  name: string;
  requests: number;
  byStatus: Record<number, number>;
  perS: number;
  p50Ms: number;
  p99Ms: number;
  codes: string[];
}

async function main(): Promise<void> {
  console.log(`# citizens' report form load test\nmachine: ${describeMachine()}`);
  const logger = createLogger('bench', 'warn');
  const db = await createTestSchema();
  const kafka = createKafka({
    brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
    clientId: 'bench-reports',
    logger,
    credentials: credentialsFromEnvironment(),
  });
  const producer = await createProducer(kafka);
  const build = async (maxPerSecond: number) => {
    const app = await buildApp({
      db: db.pool,
      producer,
      topicPrefix: `bench-${randomUUID().slice(0, 8)}.`,
      logger,
      registry: createRegistry('api'),
      maxUploadBytes: 64 * 1024,
      trustedProxies: ['127.0.0.1'],
      reports: { maxPerSecond, formSecret: randomBytes(32), powBits: 0 },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { app, base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
  };
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let citizen = 0;
  // 10 reports per address and hour are allowed in bursts of 5: each client posts as a new address every time.
  const nextAddress = () => {
    citizen++;
    return `10.${(citizen >> 16) & 255}.${(citizen >> 8) & 255}.${citizen & 255}`;
  };

  async function run(name: string, base: string, post: boolean): Promise<Phase> {
    const latencies: number[] = [];
    const byStatus: Record<number, number> = {};
    const codes: string[] = [];
    const until = performance.now() + SECONDS * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < until) {
          const t = performance.now();
          const address = nextAddress();
          const form = await call(agent, `${base}/report`, { headers: { 'x-forwarded-for': address } });
          const html = form.text;
          let status = form.statusCode;
          if (post) {
            const token = /name="token" value="([^"]+)"/.exec(html)?.[1] ?? '';
            const body = new URLSearchParams({
              token,
              lang: 'vi',
              category: 'other',
              urls: `https://load.example/${randomUUID()}`,
              description: 'load test',
            }).toString();
            const res = await call(agent, `${base}/report`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': address },
              body,
            });
            const page = res.text;
            status = res.statusCode;
            const code = /id="tracking-code">([0-9A-Z-]+)</.exec(page)?.[1];
            if (code !== undefined) codes.push(code);
          }
          byStatus[status] = (byStatus[status] ?? 0) + 1;
          latencies.push(performance.now() - t);
        }
      }),
    );
    const wallS = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return {
      name,
      requests: latencies.length,
      byStatus,
      perS: latencies.length / wallS,
      p50Ms: pct(latencies, 50),
      p99Ms: pct(latencies, 99),
      codes,
    };
  }

  /** Rows of reports whose tracking digest is one of `codes`, and all rows. */
  async function storedOnce(codes: readonly string[]): Promise<{ matching: number; distinct: number }> {
    const digests = codes.map((c) => createHash('sha256').update(`mod-report:${c}`).digest('hex'));
    const { rows } = await db.pool.query<{ n: string; d: string }>(
      `select count(*) as n, count(distinct tracking_sha256) as d from reports where tracking_sha256 = any($1)`,
      [digests],
    );
    return { matching: Number(rows[0]?.n), distinct: Number(rows[0]?.d) };
  }

  const print = (p: Phase) =>
    console.log(
      `${p.name.padEnd(34)} ${fmt(p.requests, 0).padStart(7)} requests  ${fmt(p.perS).padStart(7)} /s  p50 ${fmt(
        p.p50Ms,
      )} ms  p99 ${fmt(p.p99Ms)} ms  statuses ${JSON.stringify(p.byStatus)}`,
    );
  console.log(`${SECONDS} s per phase, ${CONCURRENCY} clients, one new citizen address per report\n`);

  const open = await build(1_000_000);
  const baseline = await run('form only (GET /report)', open.base, false);
  print(baseline);
  const capacity = await run('report (GET form + POST), no cap', open.base, true);
  print(capacity);
  const once = await storedOnce(capacity.codes);
  console.log(
    `  accepted ${capacity.codes.length}, stored ${once.matching} (distinct ${once.distinct}); ` +
      `report/form time ratio ${fmt(baseline.perS / capacity.perS, 2)}`,
  );
  await open.app.close();

  const capped = await build(50);
  const before = Number((await db.pool.query<{ n: string }>('select count(*) as n from reports')).rows[0]?.n);
  const overload = await run('report, default cap 50/s', capped.base, true);
  print(overload);
  const after = Number((await db.pool.query<{ n: string }>('select count(*) as n from reports')).rows[0]?.n);
  const stored = await storedOnce(overload.codes);
  console.log(
    `  accepted ${overload.codes.length} (${fmt(overload.codes.length / SECONDS)} /s), stored ${stored.matching}, ` +
      `new rows ${after - before}; every other answer ${Object.keys(overload.byStatus).join('/')} (503 = busy)`,
  );
  const ok =
    once.matching === capacity.codes.length &&
    once.distinct === capacity.codes.length &&
    stored.matching === overload.codes.length &&
    after - before === overload.codes.length &&
    Object.keys(overload.byStatus).every((s) => s === '201' || s === '503');
  console.log(ok ? '\nevery accepted report stored once; nothing refused was stored' : '\nMISMATCH');
  await capped.app.close();
  agent.destroy();
  await producer.disconnect();
  await db.drop();
  if (!ok) process.exitCode = 1;
}

await main();
