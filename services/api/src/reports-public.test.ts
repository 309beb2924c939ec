import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredFormTokens, takeFormToken } from '@mod/db/reports';
import { createFormTokens, leadingZeroBits } from './reports/form-token.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/**
 * The public report form over HTTP (fastify inject) on a real database: what it accepts, what it refuses and with
 * which code, and that a refusal stores nothing: no report, no subject, no outbox message, no audit record.
 */
const api = useCallersWorld();
let strict: FastifyInstance;

beforeAll(async () => {
  // Proof of work required, and the tightest per-address limit.
  strict = await api.world.build({
    reports: {
      ...TEST_REPORT_SETTINGS,
      powRequired: true,
      plain: { perHour: 1, burst: 1 },
      proven: { perHour: 1, burst: 2 },
    },
  });
});

const FORM = 'application/x-www-form-urlencoded';

async function tokenOf(a: FastifyInstance, lang = 'vi'): Promise<string> {
  const res = await a.inject({ method: 'GET', url: `/report?lang=${lang}` });
  return /name="token" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
}

async function post(a: FastifyInstance, fields: Record<string, string>, from = '203.0.113.7') {
  return a.inject({
    method: 'POST',
    url: '/report',
    remoteAddress: from,
    headers: { 'content-type': FORM },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** Rows of everything a report writes. */
async function stored(): Promise<Record<string, number>> {
  const count = async (sql: string) => Number((await api.db.query<{ n: string }>(sql)).rows[0]?.n);
  return {
    reports: await count('select count(*) as n from reports'),
    subjects: await count('select count(*) as n from report_subjects'),
    outbox: await count(`select count(*) as n from outbox where topic like '%url-observed%'`),
    audit: await count(
      `select count(*) as n from audit_records where record::jsonb->>'action' = 'report.filed'`,
    ),
  };
}

const errorCodeOf = (html: string) => /<p class="code">([A-Z_]+)<\/p>/.exec(html)?.[1];

/** A counter proving `bits` of work on `token`, as the page's script finds it. */
function solve(token: string, bits: number): string {
  for (let n = 0; ; n++)
    if (leadingZeroBits(createHash('sha256').update(`${token}:${n}`).digest()) >= bits) return String(n);
}

describe('the public report form', () => {
  it('serves the form in Vietnamese by default and English on request, under a strict policy, with no file field', async () => {
    const vi = await api.app.inject({ method: 'GET', url: '/report' });
    expect(vi.statusCode).toBe(200);
    expect(vi.body).toContain('<html lang="vi">');
    expect(vi.body).toContain('Báo cáo nội dung xâm hại trẻ em');
    expect(vi.body).not.toContain('type="file"');
    expect(vi.headers['content-security-policy']).toContain("script-src 'self'");
    expect(vi.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(vi.headers['cache-control']).toBe('no-store');
    const en = await api.app.inject({ method: 'GET', url: '/report?lang=en' });
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('do not upload or attach images');
  });

  it('files a report: 201 and a tracking code; the status page shows "received" for it and nothing for a wrong code', async () => {
    const before = await stored();
    const res = await post(api.app, {
      token: await tokenOf(api.app),
      urls: 'https://example.com/a.jpg\nhttps://EXAMPLE.com/a.jpg#frag\n\nhttp://other.example/p?q=1',
      category: 'csam',
      description: 'Thấy trong nhóm chat',
      lang: 'vi',
    });
    expect(res.statusCode, res.body.slice(0, 400)).toBe(201);
    const code = /id="tracking-code">([0-9A-Z-]+)</.exec(res.body)?.[1] ?? '';
    expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    // Two distinct URLs (the first two normalise alike): two subjects, each routed with one outbox message.
    expect(await stored()).toEqual({
      reports: before.reports! + 1,
      subjects: before.subjects! + 2,
      outbox: before.outbox! + 2,
      audit: before.audit! + 1,
    });
    const lookup = (typed: string) =>
      api.app.inject({
        method: 'POST',
        url: '/report/status',
        headers: { 'content-type': FORM },
        payload: new URLSearchParams({ code: typed, lang: 'en' }).toString(),
      });
    // Typed loosely (lower case, O for zero, no dashes), the code still finds it.
    const loose = code.replace(/-/g, '').toLowerCase().replace(/0/g, 'o');
    const found = await lookup(loose);
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain('data-status="received"');
    expect(found.body).not.toContain('example.com');
    const wrong = await lookup('ZZZZ-ZZZZ-ZZZZ');
    expect(wrong.statusCode).toBe(404);
    expect(wrong.body).toContain('No report has this code');
  });

  it('refuses abuse with coded errors and stores nothing', async () => {
    const before = await stored();
    const valid = { urls: 'https://example.com/x', category: 'other', lang: 'en' };
    const cases: [Record<string, string>, number, string][] = [
      // The honeypot a robot fills.
      [
        { ...valid, token: await tokenOf(api.app), website: 'http://spam.example' },
        400,
        'MOD_ERR_API_REPORT_REJECTED',
      ],
      // No token, a forged one.
      [valid, 400, 'MOD_ERR_API_REPORT_FORM_EXPIRED'],
      [{ ...valid, token: 'abc.def.ghi' }, 400, 'MOD_ERR_API_REPORT_FORM_EXPIRED'],
      [
        { ...valid, token: await tokenOf(api.app), urls: 'javascript:alert(1)' },
        400,
        'MOD_ERR_API_REPORT_BAD_URL',
      ],
      [{ ...valid, token: await tokenOf(api.app), urls: '' }, 400, 'MOD_ERR_API_REPORT_NO_URL'],
      [
        {
          ...valid,
          token: await tokenOf(api.app),
          urls: Array.from({ length: 11 }, (_, i) => `https://e.example/${i}`).join('\n'),
        },
        400,
        'MOD_ERR_API_REPORT_TOO_MANY_URLS',
      ],
      [{ ...valid, token: await tokenOf(api.app), category: 'spam' }, 400, 'MOD_ERR_API_REPORT_CATEGORY'],
      [
        { ...valid, token: await tokenOf(api.app), description: 'x'.repeat(4001) },
        400,
        'MOD_ERR_API_REPORT_TOO_LONG',
      ],
      // Contact details without the consent to keep them.
      [{ ...valid, token: await tokenOf(api.app), phone: '0912345678' }, 400, 'MOD_ERR_API_REPORT_CONSENT'],
    ];
    for (const [i, [fields, status, code]] of cases.entries()) {
      // Each from an address of its own: the per-address limit is the next test's.
      const res = await post(api.app, fields, `198.51.100.${i + 1}`);
      expect([res.statusCode, errorCodeOf(res.body)], JSON.stringify(fields).slice(0, 120)).toEqual([
        status,
        code,
      ]);
    }
    // A field named like the prototype is a field like any other: it neither hides the honeypot nor breaks parsing.
    const proto = await api.app.inject({
      method: 'POST',
      url: '/report',
      remoteAddress: '198.51.100.60',
      headers: { 'content-type': FORM },
      payload: `__proto__=x&__proto__=y&constructor=z&token=${encodeURIComponent(await tokenOf(api.app))}&urls=https%3A%2F%2Fexample.com%2Fx&category=other&website=bot`,
    });
    expect([proto.statusCode, errorCodeOf(proto.body)]).toEqual([400, 'MOD_ERR_API_REPORT_REJECTED']);
    // A token is good once: the same form sent twice is refused the second time.
    const token = await tokenOf(api.app);
    expect((await post(api.app, { ...valid, token, urls: '' }, '198.51.100.50')).statusCode).toBe(400);
    expect(errorCodeOf((await post(api.app, { ...valid, token }, '198.51.100.50')).body)).toBe(
      'MOD_ERR_API_REPORT_FORM_EXPIRED',
    );
    // Files are refused, and the page says why.
    const multipart = await api.app.inject({
      method: 'POST',
      url: '/report?lang=en',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload:
        '--x\r\ncontent-disposition: form-data; name="media"; filename="a.jpg"\r\ncontent-type: image/jpeg\r\n\r\nJPEG\r\n--x--\r\n',
    });
    expect([multipart.statusCode, errorCodeOf(multipart.body)]).toEqual([415, 'MOD_ERR_API_REPORT_NO_FILES']);
    expect(multipart.body).toContain('The form takes no files');
    // Bodies over the limit never reach the form's checks.
    const huge = await post(
      api.app,
      { ...valid, token: await tokenOf(api.app), description: 'x'.repeat(400_000) },
      '198.51.100.51',
    );
    expect(huge.statusCode).toBe(413);
    expect(await stored()).toEqual(before);
  });

  it('takes a form token once across API instances: a token used on one files nothing more on another', async () => {
    // Another instance of the API on the same database (the world closes it).
    const another = await api.world.build();
    const before = await stored();
    const valid = { urls: 'https://example.com/instances', category: 'other' };
    const token = await tokenOf(api.app);
    const first = await post(api.app, { ...valid, token }, '198.51.100.70');
    expect(first.statusCode).toBe(201);
    // The same form again (Send pressed twice) answers the first report again; another report is refused.
    const again = await post(another, { ...valid, token }, '198.51.100.71');
    expect([again.statusCode, again.body]).toEqual([201, first.body]);
    const other = await post(
      another,
      { ...valid, urls: 'https://example.com/other', token },
      '198.51.100.71',
    );
    expect([other.statusCode, errorCodeOf(other.body)]).toEqual([400, 'MOD_ERR_API_REPORT_FORM_EXPIRED']);
    // Two instances given one fresh token at once: one report, which both show.
    const twice = await tokenOf(another);
    const both = await Promise.all([
      post(api.app, { ...valid, token: twice }, '198.51.100.72'),
      post(another, { ...valid, token: twice }, '198.51.100.73'),
    ]);
    expect(both.map((r) => r.statusCode)).toEqual([201, 201]);
    expect(both[1].body).toBe(both[0].body);
    expect((await stored()).reports).toBe(before.reports! + 2);
  });

  it('limits reports per address; a proof of work lifts the limit; a required proof refuses a report without it', async () => {
    const before = await stored();
    const valid = { urls: 'https://example.com/limit', category: 'other', lang: 'en' };
    // Without the proof (required here): refused, whatever the address.
    const unproven = await post(strict, { ...valid, token: await tokenOf(strict) }, '192.0.2.10');
    expect([unproven.statusCode, errorCodeOf(unproven.body)]).toEqual([400, 'MOD_ERR_API_REPORT_POW']);
    const wrongProof = await post(
      strict,
      { ...valid, token: await tokenOf(strict), pow: 'abc' },
      '192.0.2.10',
    );
    expect(errorCodeOf(wrongProof.body)).toBe('MOD_ERR_API_REPORT_POW');
    const bits = TEST_REPORT_SETTINGS.powBits;
    const proven = async (from: string) => {
      const token = await tokenOf(strict);
      return post(strict, { ...valid, token, pow: solve(token, bits) }, from);
    };
    expect((await proven('192.0.2.10')).statusCode).toBe(201);
    expect((await proven('192.0.2.10')).statusCode).toBe(201);
    const third = await proven('192.0.2.10');
    expect([third.statusCode, errorCodeOf(third.body)]).toEqual([429, 'MOD_ERR_API_REPORT_RATE_LIMITED']);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    // Another address has its own allowance.
    expect((await proven('192.0.2.11')).statusCode).toBe(201);
    expect((await stored()).reports).toBe(before.reports! + 3);
  });

  it('one client cannot spend the global limit: forged, robot and over-limit posts leave room for everyone else', async () => {
    // A frozen clock (no refill): the whole public may file 2 reports, each address 1.
    const at = new Date();
    const tight = await api.world.build({
      now: () => at,
      reports: { ...TEST_REPORT_SETTINGS, maxPerSecond: 1, plain: { perHour: 1, burst: 1 } },
    });
    const valid = { urls: 'https://example.com/global', category: 'other', lang: 'en' };
    const from = async (address: string, fields: Record<string, string>) => {
      const res = await post(tight, fields, address);
      return [res.statusCode, errorCodeOf(res.body)];
    };
    for (let i = 0; i < 5; i++)
      expect(await from('198.51.100.90', { ...valid, token: `forged.${i}.x` })).toEqual([
        400,
        'MOD_ERR_API_REPORT_FORM_EXPIRED',
      ]);
    for (let i = 0; i < 3; i++)
      expect(
        await from('198.51.100.90', {
          ...valid,
          token: await tokenOf(tight),
          website: 'http://spam.example',
        }),
      ).toEqual([400, 'MOD_ERR_API_REPORT_REJECTED']);
    expect(await from('198.51.100.90', { ...valid, token: await tokenOf(tight) })).toEqual([201, undefined]);
    for (let i = 0; i < 3; i++)
      expect(await from('198.51.100.90', { ...valid, token: await tokenOf(tight) })).toEqual([
        429,
        'MOD_ERR_API_REPORT_RATE_LIMITED',
      ]);
    // Another client still files; and the global limit still holds for the next one.
    expect(await from('198.51.100.91', { ...valid, token: await tokenOf(tight) })).toEqual([201, undefined]);
    expect(await from('198.51.100.92', { ...valid, token: await tokenOf(tight) })).toEqual([
      503,
      'MOD_ERR_API_REPORT_BUSY',
    ]);
  });

  it('counts a client once: a forged X-Forwarded-For (no trusted proxy) or another address of its IPv6 /64 is no other client', async () => {
    const at = new Date();
    const tight = await api.world.build({
      now: () => at,
      reports: {
        ...TEST_REPORT_SETTINGS,
        plain: { perHour: 1, burst: 1 },
        statusLookups: { perHour: 1, burst: 2 },
      },
    });
    const valid = { urls: 'https://example.com/one-client', category: 'other', lang: 'en' };
    const report = (address: string, forwardedFor?: string) =>
      tokenOf(tight).then((token) =>
        tight.inject({
          method: 'POST',
          url: '/report',
          remoteAddress: address,
          headers: {
            'content-type': FORM,
            ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
          },
          payload: new URLSearchParams({ ...valid, token }).toString(),
        }),
      );
    expect((await report('2001:db8:1:2::1')).statusCode).toBe(201);
    expect((await report('2001:db8:1:2:ffff::9')).statusCode).toBe(429);
    expect((await report('2001:db8:1:3::1')).statusCode).toBe(201);
    expect((await report('192.0.2.40')).statusCode).toBe(201);
    const spoofed = await report('192.0.2.40', '203.0.113.99');
    expect([spoofed.statusCode, errorCodeOf(spoofed.body)]).toEqual([429, 'MOD_ERR_API_REPORT_RATE_LIMITED']);
    // The status look-ups are counted alike.
    const lookup = (address: string, forwardedFor: string) =>
      tight.inject({
        method: 'POST',
        url: '/report/status',
        remoteAddress: address,
        headers: { 'content-type': FORM, 'x-forwarded-for': forwardedFor },
        payload: new URLSearchParams({ code: '0000-0000-0000', lang: 'en' }).toString(),
      });
    expect((await lookup('2001:db8:9:9::1', '203.0.113.1')).statusCode).toBe(404);
    expect((await lookup('2001:db8:9:9::2', '203.0.113.2')).statusCode).toBe(404);
    const third = await lookup('2001:db8:9:9::3', '203.0.113.3');
    expect(third.statusCode).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses a used token after the expired ones are forgotten by a clock a minute ahead', async () => {
    const tokens = createFormTokens({
      secret: randomBytes(32),
      used: { take: (nonce, expiresAt) => takeFormToken(api.db, nonce, expiresAt) },
      maxAgeMs: 60_000,
    });
    const issuedAt = Date.now();
    const token = tokens.issue(issuedAt);
    expect(await tokens.take(token, issuedAt + 1000)).toBe('ok');
    // The actioner forgets expired tokens by its own clock, here a minute ahead of the API's.
    await deleteExpiredFormTokens(api.db, new Date(issuedAt + 60_000 + 60_000));
    expect(await tokens.take(token, issuedAt + 60_000)).toBe('used');
    expect(await tokens.take(token, issuedAt + 60_001)).toBe('expired');
  });

  it('serves its own style sheet and script (no inline code) and a page that fits a phone', async () => {
    const css = await api.app.inject({ method: 'GET', url: '/report/report.css' });
    expect(css.headers['content-type']).toContain('text/css');
    const js = await api.app.inject({ method: 'GET', url: '/report/pow.js' });
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.body).toContain("crypto.subtle.digest('SHA-256'");
    const page = await api.app.inject({ method: 'GET', url: '/report' });
    expect(page.body).toContain('name="viewport" content="width=device-width, initial-scale=1"');
    expect(page.body).not.toMatch(/<script>|style="/);
  });
});
