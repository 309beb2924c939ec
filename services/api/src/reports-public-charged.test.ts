import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  formShown,
  reportsFiled,
  formTokenOf,
  postForm,
  TEST_REPORT_SETTINGS,
} from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * The same form sent twice is charged once to the rate limits. Send pressed twice posts the same form (the same
 * one-time token) twice; the second is answered by the first's outcome. It was charged again: a citizen at the
 * edge of the per-address limit was told "too many reports" for the report just filed, and the next report of the
 * address was refused for a report it never sent. Over HTTP (inject) on a real database, with a frozen clock (no
 * refill): `burst` is all an address may file.
 */
const api = useCallersWorld();

/** An API instance on the test's database whose clock stands still, each address allowed `burst` reports. */
const instance = (burst: number, at = new Date()) =>
  api.world.build({ now: () => at, reports: { ...TEST_REPORT_SETTINGS, plain: { perHour: 1, burst } } });

async function formOf(a: FastifyInstance, urls: string) {
  return {
    token: await formTokenOf(a, 'en'),
    urls,
    category: 'grooming',
    description: 'Sent twice',
    lang: 'en',
  };
}

/** Posts the form from `from`: the status and the tracking code or the refusal's code the page shows. */
const post = async (a: FastifyInstance, fields: Record<string, string>, from: string) =>
  formShown(await postForm(a, fields, from));

const filed = async () => reportsFiled(api.db);
const LIMITED = [429, 'MOD_ERR_API_REPORT_RATE_LIMITED'];

describe('the public form sent twice, as the rate limit counts it', () => {
  it('charges one report for a form sent twice: the address may still send its next one', async () => {
    const app = await instance(2);
    const from = '198.51.100.41';
    const before = await filed();
    const first = await formOf(app, 'https://charged.example/first');
    const answer = await post(app, first, from);
    expect(answer[0]).toBe(201);
    expect(await post(app, first, from)).toEqual(answer);
    expect((await post(app, await formOf(app, 'https://charged.example/next'), from))[0]).toBe(201);
    expect(await post(app, await formOf(app, 'https://charged.example/third'), from)).toEqual(LIMITED);
    expect(await filed()).toBe(before + 2);
  });

  it('answers both presses with the report when they arrive together, with the last report the address may send', async () => {
    const app = await instance(1);
    const from = '198.51.100.42';
    const before = await filed();
    const form = await formOf(app, 'https://charged.example/together');
    const [a, b] = await Promise.all([post(app, form, from), post(app, form, from)]);
    expect(a?.[0]).toBe(201);
    expect(b).toEqual(a);
    expect(await post(app, await formOf(app, 'https://charged.example/after'), from)).toEqual(LIMITED);
    expect(await filed()).toBe(before + 1);
  });

  it('refuses a refused form sent again the same way, not as expired, and charges it once', async () => {
    const app = await instance(2);
    const from = '198.51.100.43';
    const bad = await formOf(app, 'not a link');
    const refused = [400, 'MOD_ERR_API_REPORT_BAD_URL'];
    expect(await post(app, bad, from)).toEqual(refused);
    expect(await post(app, bad, from)).toEqual(refused);
    // Put right, it needs a new form (a form is good for one try).
    expect(await post(app, { ...bad, urls: 'https://charged.example/right' }, from)).toEqual([
      400,
      'MOD_ERR_API_REPORT_FORM_EXPIRED',
    ]);
    expect((await post(app, await formOf(app, 'https://charged.example/right'), from))[0]).toBe(201);
    expect(await post(app, await formOf(app, 'https://charged.example/over'), from)).toEqual(LIMITED);
  });

  it('knows the form sent again through another API instance, and charges it nothing more', async () => {
    const one = await instance(1);
    const other = await instance(1);
    const from = '198.51.100.44';
    const form = await formOf(one, 'https://charged.example/instances');
    const answer = await post(one, form, from);
    expect(answer[0]).toBe(201);
    expect(await post(other, form, from)).toEqual(answer);
    // The address's allowance is one across the instances (spent by the first report), not one per instance.
    expect(await post(other, await formOf(other, 'https://charged.example/on-other'), from)).toEqual(LIMITED);
  });

  it('charges a form sent again and again past a few repeats, as new reports', async () => {
    const app = await instance(2);
    const from = '198.51.100.45';
    const form = await formOf(app, 'https://charged.example/replayed');
    const answer = await post(app, form, from);
    // Five repeats are answered free; the sixth is charged (the second report of two), the seventh refused.
    for (let i = 0; i < 6; i++) expect(await post(app, form, from)).toEqual(answer);
    expect(await post(app, form, from)).toEqual(LIMITED);
  });
});
