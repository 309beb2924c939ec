import { describe, expect, it } from 'vitest';
import { formTokenOf, postForm, TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * The language switched on the report form keeps what the citizen typed. The switch was a link (`?lang=en`): on a
 * refused form (an address mistyped, the rate limit) it opened an empty form, and everything typed was lost. Now
 * it posts the form back (the text never goes in a link: it is personal and links land in logs), and the form
 * comes back in the other language with what was typed and the refusal said in that language; nothing is filed
 * and nothing charged. Over HTTP (inject) on a real database, with a frozen clock.
 */
const api = useCallersWorld();

const instance = (burst: number, at = new Date()) =>
  api.world.build({ now: () => at, reports: { ...TEST_REPORT_SETTINGS, plain: { perHour: 1, burst } } });

const typed = {
  urls: 'không phải đường dẫn',
  seenWhere: 'Nhóm Zalo "Phụ huynh"',
  category: 'grooming',
  description: 'Một người lạ nhắn tin <cho> con tôi',
  name: 'Nguyễn Văn A',
  email: 'a@example.vn',
  consentContact: 'yes',
};

const post = postForm;

const codeOf = (html: string) => /<p class="code">([A-Z_]+)<\/p>/.exec(html)?.[1];
const hidden = (html: string, name: string) =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
/** What the form shows typed: each field's value, and the consents ticked. */
const shown = (html: string) => ({
  urls: /<textarea id="urls"[^>]*>([^<]*)</.exec(html)?.[1],
  seenWhere: /id="seen-where"[^>]*value="([^"]*)"/.exec(html)?.[1],
  category: /id="category-([a-z]+)" value="[a-z]+" checked/.exec(html)?.[1],
  description: /<textarea id="description"[^>]*>([^<]*)</.exec(html)?.[1],
  name: /id="name"[^>]*value="([^"]*)"/.exec(html)?.[1],
  email: /id="email"[^>]*value="([^"]*)"/.exec(html)?.[1],
  consentContact: /id="consent-contact"[^>]*value="yes" checked/.test(html),
});
const escaped = {
  ...typed,
  seenWhere: 'Nhóm Zalo &quot;Phụ huynh&quot;',
  description: 'Một người lạ nhắn tin &lt;cho&gt; con tôi',
  consentContact: true,
};
const reports = async () =>
  Number((await api.db.query<{ n: string }>('select count(*) as n from reports')).rows[0]?.n);

describe('the report form switched to the other language', () => {
  it('is a button posting the form back, to an address that carries the language only', async () => {
    const app = await instance(1);
    const page = (await app.inject({ method: 'GET', url: '/report' })).body;
    expect(page).toContain(
      '<button type="submit" form="report-form" formaction="/report?lang=en" formnovalidate name="switchLang" value="en" lang="en">English</button>',
    );
    expect(page).not.toContain('href="?lang=en"');
  });

  it('keeps what was typed on a refused form, says the refusal in the other language, files and charges nothing', async () => {
    const app = await instance(2);
    const from = '198.51.100.61';
    const before = await reports();
    const refused = await post(app, { ...typed, lang: 'vi', token: await formTokenOf(app, 'vi') }, from);
    expect([refused.statusCode, codeOf(refused.body)]).toEqual([400, 'MOD_ERR_API_REPORT_BAD_URL']);
    expect(hidden(refused.body, 'refused')).toBe('MOD_ERR_API_REPORT_BAD_URL');
    const back = {
      ...typed,
      lang: 'vi',
      token: hidden(refused.body, 'token'),
      refused: 'MOD_ERR_API_REPORT_BAD_URL',
    };
    const en = await post(app, { ...back, switchLang: 'en' }, from);
    expect(en.statusCode).toBe(200);
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('An address is not valid: use the full address');
    expect(shown(en.body)).toEqual(escaped);
    // And back to Vietnamese, with a form of its own (the token served with the page).
    const vi = await post(
      app,
      { ...back, token: hidden(en.body, 'token'), lang: 'en', switchLang: 'vi' },
      from,
    );
    expect(vi.body).toContain('<html lang="vi">');
    expect(vi.body).toContain('Có đường dẫn không hợp lệ');
    expect(shown(vi.body)).toEqual(escaped);
    expect(await reports()).toBe(before);
    // The refused post was charged, the switches not: the address still has its second report.
    const right = {
      ...typed,
      urls: 'https://language.example/right',
      lang: 'vi',
      token: hidden(vi.body, 'token'),
    };
    expect((await post(app, right, from)).statusCode).toBe(201);
    expect(codeOf((await post(app, { ...right, token: await formTokenOf(app, 'vi') }, from)).body)).toBe(
      'MOD_ERR_API_REPORT_RATE_LIMITED',
    );
  });

  it('keeps what was typed on a form refused by the rate limit', async () => {
    const app = await instance(1);
    const from = '198.51.100.62';
    const good = { ...typed, urls: 'https://language.example/limited', lang: 'en' };
    expect((await post(app, { ...good, token: await formTokenOf(app, 'en') }, from)).statusCode).toBe(201);
    const limited = await post(app, { ...good, token: await formTokenOf(app, 'en') }, from);
    expect(codeOf(limited.body)).toBe('MOD_ERR_API_REPORT_RATE_LIMITED');
    const vi = await post(
      app,
      {
        ...good,
        token: hidden(limited.body, 'token'),
        refused: hidden(limited.body, 'refused'),
        switchLang: 'vi',
      },
      from,
    );
    expect([vi.statusCode, codeOf(vi.body)]).toEqual([200, 'MOD_ERR_API_REPORT_RATE_LIMITED']);
    expect(vi.body).toContain('<html lang="vi">');
    expect(shown(vi.body)).toEqual({ ...escaped, urls: good.urls });
  });

  it('shows nothing of a post another site sent, nor of a robot', async () => {
    const app = await instance(1);
    const fields = { ...typed, lang: 'vi', switchLang: 'en' };
    for (const [extra, headers] of [
      [{}, { 'sec-fetch-site': 'cross-site' }],
      [{ website: 'https://spam.example/' }, {}],
    ] as const) {
      const res = await post(app, { ...fields, ...extra }, '198.51.100.63', headers);
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('Nguyễn');
      expect(res.body).not.toContain('nhắn tin');
    }
  });
});
