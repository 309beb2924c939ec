import { beforeAll, describe, expect, it } from 'vitest';
import { formShown, reportsFiled, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';
import type { ReportSettings } from './reports/settings.js';

/*
 * The public form's limits across API instances. Each limit was a token bucket in each instance's memory: behind
 * the load balancer a citizen's address got every limit once per instance, and two presses of one form reaching
 * two instances at once were charged twice. Now the buckets are rows of the shared database. Two app instances on
 * the same real PostgreSQL schema, each listening on loopback and called with fetch through a "load balancer" (the
 * client's address in X-Forwarded-For, 127.0.0.1 trusted as the proxy); one clock for both, moved by hand.
 */
const api = useCallersWorld();
let clock = new Date('2026-03-02T08:00:00Z');
const SETTINGS: ReportSettings = {
  ...TEST_REPORT_SETTINGS,
  plain: { perHour: 1, burst: 3 },
  proven: { perHour: 1, burst: 3 },
  statusLookups: { perHour: 1, burst: 2 },
  maxPerSecond: 5,
};
interface Answer {
  statusCode: number;
  retryAfter: string | null;
  body: string;
}
interface Instance {
  get(path: string): Promise<string>;
  post(path: string, from: string, fields: Record<string, string>): Promise<Answer>;
}
let one: Instance;
let two: Instance;

async function instance(reports: ReportSettings): Promise<Instance> {
  const app = await api.world.build({ now: () => clock, trustedProxies: ['127.0.0.1'], reports });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    get: async (path) => (await fetch(`${base}${path}`)).text(),
    post: async (path, from, fields) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
        body: new URLSearchParams(fields).toString(),
      });
      return { statusCode: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    },
  };
}

beforeAll(async () => {
  one = await instance(SETTINGS);
  two = await instance(SETTINGS);
});

let n = 0;
/** A new form served by `at`, filled in with a link of its own. */
async function formOf(at: Instance) {
  const page = await at.get('/report?lang=en');
  const token = /name="token" value="([^"]+)"/.exec(page)?.[1] ?? '';
  n += 1;
  return {
    token,
    urls: `https://instances.example/${n}`,
    category: 'grooming',
    description: 'x',
    lang: 'en',
  };
}
const send = async (at: Instance, from: string, fields: Record<string, string>) =>
  formShown(await at.post('/report?lang=en', from, fields));
const report = async (at: Instance, from: string) => send(at, from, await formOf(at));

const filed = async () => reportsFiled(api.db);
const LIMITED = [429, 'MOD_ERR_API_REPORT_RATE_LIMITED'];
const BUSY = [503, 'MOD_ERR_API_REPORT_BUSY'];

describe("the public form's limits across two API instances", () => {
  it('limits an address at the configured burst in total, whichever instance each report reaches', async () => {
    const from = '198.51.100.61';
    const before = await filed();
    expect((await report(one, from))[0]).toBe(201);
    expect((await report(two, from))[0]).toBe(201);
    expect((await report(one, from))[0]).toBe(201);
    // Three reports are the address's burst: refused on both instances, not three more on the second.
    expect(await report(two, from)).toEqual(LIMITED);
    expect(await report(one, from)).toEqual(LIMITED);
    expect(await filed()).toBe(before + 3);
    // Another address is not charged for it.
    expect((await report(two, '198.51.100.62'))[0]).toBe(201);
  });

  it('charges once the same form posted to both instances at the same instant', async () => {
    const from = '198.51.100.63';
    const before = await filed();
    const form = await formOf(one);
    const [a, b] = await Promise.all([send(one, from, form), send(two, from, form)]);
    expect(a[0]).toBe(201);
    expect(b).toEqual(a);
    expect(await filed()).toBe(before + 1);
    // Charged once: two more reports are within the burst of three, the next one is not.
    expect((await report(two, from))[0]).toBe(201);
    expect((await report(one, from))[0]).toBe(201);
    expect(await report(two, from)).toEqual(LIMITED);
    expect(await filed()).toBe(before + 3);
  });

  it('refills the bucket over time, for both instances', async () => {
    const from = '198.51.100.64';
    for (const at of [one, two, one]) expect((await report(at, from))[0]).toBe(201);
    const refused = await two.post('/report?lang=en', from, await formOf(two));
    expect(formShown(refused)).toEqual(LIMITED);
    // One report an hour: the next token in an hour (the refusal says so), one more report, then refused again.
    expect(Number(refused.retryAfter)).toBe(3600);
    clock = new Date(clock.getTime() + 30 * 60_000);
    expect(await report(one, from)).toEqual(LIMITED);
    clock = new Date(clock.getTime() + 30 * 60_000);
    expect((await report(two, from))[0]).toBe(201);
    expect(await report(one, from)).toEqual(LIMITED);
  });

  it('holds the global limit across instances, spending it only on addresses within their own', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    // maxPerSecond 5: a burst of ten reports from the whole public, then 503 until the bucket refills.
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await report(i % 2 === 0 ? one : two, `203.0.113.${100 + i}`));
    expect(answers.filter((a) => a[0] === 201)).toHaveLength(10);
    expect(answers.slice(10)).toEqual([BUSY, BUSY]);
    clock = new Date(clock.getTime() + 1000);
    expect((await report(two, '203.0.113.130'))[0]).toBe(201);
  });

  it('limits status look-ups per address across instances', async () => {
    const from = '198.51.100.65';
    const lookUp = async (at: Instance) =>
      (await at.post('/report/status', from, { code: 'AAAA-BBBB-CCCC', lang: 'en' })).statusCode;
    expect([await lookUp(one), await lookUp(two), await lookUp(one)]).toEqual([404, 404, 429]);
    expect(await lookUp(two)).toBe(429);
  });

  it('keeps addresses only as keyed digests, and forgets the buckets full again', async () => {
    const { rows } = await api.db.query<{ limiter: string; key: Buffer }>(
      `select limiter, key from rate_buckets`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.key).toHaveLength(32);
      expect(row.key.toString('latin1')).not.toMatch(/198\.51|203\.0/);
    }
    // A day later every bucket is full again: the next take forgets them all but its own.
    clock = new Date(clock.getTime() + 86_400_000);
    expect((await report(one, '198.51.100.66'))[0]).toBe(201);
    const left = await api.db.query<{ limiter: string }>(`select limiter from rate_buckets order by limiter`);
    expect(left.rows.map((r) => r.limiter)).toEqual(['report.everyone', 'report.plain']);
    const forms = await api.db.query<{ n: string }>(`select count(*) as n from report_form_charges`);
    expect(Number(forms.rows[0]?.n)).toBe(1);
  });

  it('refuses the form (503, nothing filed) when the database cannot check the limits', async () => {
    const before = await filed();
    await api.db.query(`alter table rate_buckets rename to rate_buckets_away`);
    try {
      expect(await report(one, '198.51.100.67')).toEqual(BUSY);
      const look = await two.post('/report/status', '198.51.100.67', { code: 'AAAA-BBBB-CCCC', lang: 'en' });
      expect(look.statusCode).toBe(503);
      expect(look.body).toContain('MOD_ERR_API_UNAVAILABLE');
    } finally {
      await api.db.query(`alter table rate_buckets_away rename to rate_buckets`);
    }
    expect(await filed()).toBe(before);
    expect((await report(two, '198.51.100.67'))[0]).toBe(201);
  });
});
