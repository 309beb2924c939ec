import { describe, expect, it } from 'vitest';
import { REPORT_LIMITS } from './reports/intake.js';
import { TEST_REPORT_SETTINGS } from './reports-testing.test-helper.js';
import { useCallersWorld } from './callers-world.test-helper.js';

/*
 * Whatever goes wrong with a post of the public form, the citizen gets the form back as a page in their language,
 * with words for what happened: never the API's JSON (a page of code on a phone, with everything typed gone).
 * Over HTTP (inject) on a real database: a report as long as the form allows, a body past any form's, and the
 * database failing under the filing (its reports table renamed away for the moment).
 */
const api = useCallersWorld();
const FORM = 'application/x-www-form-urlencoded';

async function tokenOf(lang: string): Promise<string> {
  const res = await api.app.inject({ method: 'GET', url: `/report?lang=${lang}` });
  return /name="token" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
}

/** Posts the form as a browser does: to the form's own action. */
async function post(action: string, fields: Record<string, string>, from: string) {
  return api.app.inject({
    method: 'POST',
    url: action,
    remoteAddress: from,
    headers: { 'content-type': FORM },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** The form's action, as the page served in `lang` says. */
async function actionOf(lang: string): Promise<string> {
  const res = await api.app.inject({ method: 'GET', url: `/report?lang=${lang}` });
  return (/<form id="report-form" method="post" action="([^"]+)"/.exec(res.body)?.[1] ?? '').replace(
    /&amp;/g,
    '&',
  );
}

const errorCodeOf = (html: string) => /<p class="code">([A-Z_]+)<\/p>/.exec(html)?.[1];

/** A search address of `length` characters whose query is Vietnamese, percent-encoded as browsers copy it. */
const searchUrl = (i: number, length: number) => {
  const head = `https://tim.example/${i}?q=`;
  return (head + '%E1%BA%A5'.repeat(length)).slice(0, length).replace(/%[0-9A-F]?$/, '');
};

describe('the public form on a post it cannot take', () => {
  it('takes a report as long as the form allows: ten long addresses and a full description', async () => {
    const urls = Array.from({ length: REPORT_LIMITS.maxUrls }, (_, i) =>
      searchUrl(i, REPORT_LIMITS.maxUrlLength),
    );
    const description = 'Trẻ em bị dụ dỗ nhắn tin riêng. '.repeat(200).slice(0, REPORT_LIMITS.maxDescription);
    const res = await post(
      await actionOf('vi'),
      { token: await tokenOf('vi'), urls: urls.join('\r\n'), category: 'grooming', description, lang: 'vi' },
      '198.51.100.70',
    );
    expect(res.statusCode, res.body.slice(0, 300)).toBe(201);
    expect(res.body).toContain('id="tracking-code"');
  });

  it('answers a body past any form the page as a page, in the language of the form sent', async () => {
    for (const [lang, words] of [
      ['en', 'too long'],
      ['vi', 'quá dài'],
    ] as const) {
      const res = await post(
        await actionOf(lang),
        { token: await tokenOf(lang), urls: 'https://e.example/x', description: 'x'.repeat(400_000) },
        '198.51.100.71',
      );
      expect(res.statusCode).toBe(413);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain(`<html lang="${lang}">`);
      expect(errorCodeOf(res.body)).toBe('MOD_ERR_API_TOO_LARGE');
      expect(res.body.toLowerCase()).toContain(words);
      // A fresh form to send again.
      expect(res.body).toMatch(/name="token" value="[^"]+"/);
    }
  });

  it('keeps what the citizen typed, and says to try later or call 111, when the database fails', async () => {
    await api.db.query('alter table reports rename to reports_away');
    try {
      const res = await post(
        await actionOf('en'),
        {
          token: await tokenOf('en'),
          urls: 'https://e.example/kept',
          category: 'csam',
          description: 'Seen in a chat group',
          lang: 'en',
        },
        '198.51.100.72',
      );
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(errorCodeOf(res.body)).toBe('MOD_ERR_API_INTERNAL');
      expect(res.body).toContain('call 111');
      expect(res.body).toContain('https://e.example/kept');
      expect(res.body).toContain('Seen in a chat group');
      // Nothing of the database's own error reaches the page.
      expect(res.body).not.toContain('relation');
    } finally {
      await api.db.query('alter table reports_away rename to reports');
    }
  });
});

describe('the public pages reached by a shared link', () => {
  it('open whatever else the link carries (a network adds fbclid, a campaign utm_*), in the language it asks', async () => {
    const cases: [string, string][] = [
      ['/report?fbclid=IwAR0abcDEF', 'vi'],
      ['/report?lang=en&utm_source=zalo&utm_campaign=111', 'en'],
      ['/report?lang=fr', 'vi'],
      ['/report?lang=en&lang=vi', 'vi'],
      ['/report/status?fbclid=IwAR0abcDEF&lang=en', 'en'],
    ];
    // With a trailing slash (typed, printed on a poster): the page, after one redirect, the query kept.
    for (const [typed, page] of [
      ['/report/', '/report'],
      ['/report/?lang=en&fbclid=x', '/report?lang=en&fbclid=x'],
      ['/report/status/', '/report/status'],
    ]) {
      const moved = await api.app.inject({ method: 'GET', url: typed });
      expect([moved.statusCode, moved.headers.location], typed).toEqual([301, page]);
    }
    for (const [url, lang] of cases) {
      const res = await api.app.inject({ method: 'GET', url });
      expect([res.statusCode, res.headers['content-type']], url).toEqual([200, 'text/html; charset=utf-8']);
      expect(res.body, url).toContain(`<html lang="${lang}">`);
    }
  });
});

describe('the public pages asked with HEAD', () => {
  it('answer as GET does, without the body (a link previewer checks a link so); nothing else answers HEAD', async () => {
    for (const [url, status] of [
      ['/report', 200],
      ['/report?lang=en&fbclid=x', 200],
      ['/report/status', 200],
      ['/report/', 301],
      ['/report/status/?lang=en', 301],
    ] as const) {
      const [head, get] = await Promise.all(
        (['HEAD', 'GET'] as const).map((method) => api.app.inject({ method, url })),
      );
      expect([head!.statusCode, head!.body], url).toEqual([status, '']);
      for (const name of ['content-type', 'content-length', 'location', 'content-security-policy'])
        expect(head!.headers[name], `${url} ${name}`).toEqual(get!.headers[name]);
    }
    for (const url of ['/report/report.css', '/v1/reports', '/health/live'])
      expect((await api.app.inject({ method: 'HEAD', url })).statusCode, url).toBe(404);
  });
});

describe('the public form posted from another site', () => {
  it("is refused and stores nothing: another site cannot file reports through its visitors' browsers", async () => {
    const count = async () =>
      Number((await api.db.query<{ n: string }>('select count(*) as n from reports')).rows[0]?.n);
    const before = await count();
    const fields = async (lang: string) => ({
      token: await tokenOf(lang),
      urls: 'https://competitor.example/',
      category: 'csam',
      lang,
    });
    const postFrom = async (site: string | null, lang: string) =>
      api.app.inject({
        method: 'POST',
        url: `/report?lang=${lang}`,
        remoteAddress: '198.51.100.80',
        headers: { 'content-type': FORM, ...(site === null ? {} : { 'sec-fetch-site': site }) },
        payload: new URLSearchParams(await fields(lang)).toString(),
      });
    // A browser says where the post came from: another site, or another host of this one.
    for (const [site, lang, words] of [
      ['cross-site', 'vi', 'trang web khác'],
      ['same-site', 'en', 'another website'],
    ] as const) {
      const res = await postFrom(site, lang);
      expect([res.statusCode, errorCodeOf(res.body)], site).toEqual([403, 'MOD_ERR_API_REPORT_CROSS_SITE']);
      expect(res.body).toContain(words);
    }
    expect(await count()).toBe(before);
    // The form of this site, and a client that says nothing (an old browser, a script), within the limit.
    expect((await postFrom('same-origin', 'vi')).statusCode).toBe(201);
    expect((await postFrom(null, 'vi')).statusCode).toBe(201);
    expect(await count()).toBe(before + 2);
  });
});

describe('the status page past its look-up limit', () => {
  it('says to try again later, never that the code is unknown (many citizens share one address: mobile CGNAT)', async () => {
    const tight = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, statusLookups: { perHour: 1, burst: 1 } },
    });
    const token = /name="token" value="([^"]+)"/.exec(
      (await tight.inject({ method: 'GET', url: '/report' })).body,
    )?.[1];
    const filed = await tight.inject({
      method: 'POST',
      url: '/report?lang=vi',
      remoteAddress: '198.51.100.90',
      headers: { 'content-type': FORM },
      payload: new URLSearchParams({
        token: token ?? '',
        urls: 'https://e.example/status',
        category: 'other',
      }).toString(),
    });
    const code = /id="tracking-code">([0-9A-Z-]+)</.exec(filed.body)?.[1] ?? '';
    const lookup = (lang: string) =>
      tight.inject({
        method: 'POST',
        url: '/report/status',
        remoteAddress: '198.51.100.91',
        headers: { 'content-type': FORM },
        payload: new URLSearchParams({ code, lang }).toString(),
      });
    expect((await lookup('vi')).body).toContain('data-status="received"');
    for (const [lang, words, unknown] of [
      ['vi', 'Hãy thử lại sau ít phút', 'Không tìm thấy báo cáo'],
      ['en', 'Try again in a few minutes', 'No report has this code'],
    ] as const) {
      const limited = await lookup(lang);
      expect(limited.statusCode).toBe(429);
      expect(limited.body).toContain(words);
      expect(limited.body).not.toContain(unknown);
    }
  });
});
