import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { formShown, formTokenOf, postForm, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * Send pressed twice on the public form without JavaScript: the browser sends the same form (the same one-time
 * token) twice and shows the answer to the second. Once the first was filed, the second must show the first's
 * page (201, its tracking code), not "the form expired" (the citizen would send it again). Whether the second
 * arrives after the first was filed or while it is being filed, one report is filed. Over HTTP (inject) on a real
 * database, with and without the contact key the first answer is kept sealed under.
 */
const api = useCallersWorld();
let keyless: FastifyInstance;

beforeAll(async () => {
  keyless = await api.world.build({ reports: { ...TEST_REPORT_SETTINGS, contactKey: null } });
});

async function formOf(a: FastifyInstance, lang: string, urls: string) {
  return { token: await formTokenOf(a, lang), urls, category: 'grooming', description: 'Gửi hai lần', lang };
}

/** Posts the form from `from` (each test from an address of its own: the per-address limit is not theirs). */
const post = postForm;
const shown = formShown;

const reportsFiled = async () =>
  Number(
    (
      await api.db.query<{ n: string }>(
        `select count(*) as n from audit_records where record::jsonb->>'action' = 'report.filed'`,
      )
    ).rows[0]?.n,
  );

describe('the public form sent twice', () => {
  it('shows the first report filed again, in its language, and files nothing more', async () => {
    for (const [lang, from] of [
      ['vi', '203.0.113.31'],
      ['en', '203.0.113.32'],
    ] as const) {
      const fields = await formOf(api.app, lang, `https://twice.example/${lang}`);
      const before = await reportsFiled();
      const first = await post(api.app, fields, from);
      const [status, code] = shown(first);
      expect(status, first.body.slice(0, 300)).toBe(201);
      expect(code).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      const second = await post(api.app, fields, from);
      expect(shown(second)).toEqual([201, code]);
      expect(second.body).toBe(first.body);
      expect(await reportsFiled()).toBe(before + 1);
    }
  });

  it('files one report when the second arrives while the first is being filed, and shows it to both', async () => {
    const fields = await formOf(api.app, 'vi', 'https://twice.example/at-once');
    const before = await reportsFiled();
    const both = await Promise.all([
      post(api.app, fields, '203.0.113.33'),
      post(api.app, fields, '203.0.113.33'),
    ]);
    const [first, second] = both.map(shown);
    expect(first?.[0]).toBe(201);
    expect(second).toEqual(first);
    expect(await reportsFiled()).toBe(before + 1);
  });

  it('refuses the token for another report, and for any report once it was spent on a refused one', async () => {
    const fields = await formOf(api.app, 'en', 'https://twice.example/first');
    expect(shown(await post(api.app, fields, '203.0.113.34'))[0]).toBe(201);
    const before = await reportsFiled();
    const other = await post(api.app, { ...fields, urls: 'https://twice.example/another' }, '203.0.113.34');
    expect(shown(other)).toEqual([400, 'MOD_ERR_API_REPORT_FORM_EXPIRED']);
    // A refused report spends its token (the form is good for one try): the report put right needs a new form.
    const spent = await formOf(api.app, 'en', 'not a link');
    expect(shown(await post(api.app, spent, '203.0.113.34'))).toEqual([400, 'MOD_ERR_API_REPORT_BAD_URL']);
    const retried = await post(api.app, { ...spent, urls: 'https://twice.example/right' }, '203.0.113.34');
    expect(shown(retried)).toEqual([400, 'MOD_ERR_API_REPORT_FORM_EXPIRED']);
    expect(await reportsFiled()).toBe(before);
  });

  it('without a contact key, keeps nothing to show again: the second is refused, and one report is filed', async () => {
    const fields = await formOf(keyless, 'vi', 'https://twice.example/keyless');
    const before = await reportsFiled();
    expect(shown(await post(keyless, fields, '203.0.113.35'))[0]).toBe(201);
    expect(shown(await post(keyless, fields, '203.0.113.35'))).toEqual([
      400,
      'MOD_ERR_API_REPORT_FORM_EXPIRED',
    ]);
    const again = await formOf(keyless, 'vi', 'https://twice.example/keyless-at-once');
    const both = await Promise.all([
      post(keyless, again, '203.0.113.35'),
      post(keyless, again, '203.0.113.35'),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 400]);
    expect(await reportsFiled()).toBe(before + 2);
  });
});
