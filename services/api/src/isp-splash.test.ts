import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@mod/config';
import { apiSpec } from './config.js';
import { splashSettingsFromConfig } from './routes/isp-splash.js';
import { useCallersWorld } from './callers-world.test-helper.js';

let configured: FastifyInstance;

const ENV = {
  KAFKA_SASL_USERNAME: 'mod-api',
  KAFKA_SASL_PASSWORD: 'unused',
  SPLASH_PRIMARY_LANGUAGE: 'en',
  SPLASH_OPERATOR_NAME_VI: 'Nhà mạng Ví Dụ',
  SPLASH_OPERATOR_NAME_EN: 'Example <Telecom> & Co',
  SPLASH_AUTHORITY_NAME_EN: 'the "Ministry"',
  SPLASH_WHY_BLOCKED_VI: 'Trang này nằm trong danh sách chặn <b>quốc gia</b>.',
  SPLASH_HOW_TO_APPEAL_EN: "Think it's a mistake? Tell us:",
  SPLASH_APPEAL_CONTACT_VI: 'Đường dây nóng 111',
  SPLASH_APPEAL_URL: 'https://appeals.example.vn/form?a=1&b=2',
  SPLASH_APPEAL_EMAIL: 'khieunai@example.vn',
};

/** `api.app` has the splash page's defaults; `configured`, the settings of `ENV`. */
const api = useCallersWorld();
beforeAll(async () => {
  configured = await api.world.build({ splash: splashSettingsFromConfig(loadConfig(apiSpec, ENV)) });
});

const page = async (app: FastifyInstance, query = '?ref=order-42') => {
  const res = await app.inject({ method: 'GET', url: `/blocked${query}` });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
  return res;
};

describe('walled-garden page texts from configuration', () => {
  it('says by default who ordered the block and where to appeal, Vietnamese first', async () => {
    const res = await page(api.app);
    expect(res.body.indexOf('<section lang="vi">')).toBeLessThan(res.body.indexOf('<section lang="en">'));
    expect(res.body).toContain('theo yêu cầu của Cục An toàn thông tin');
    expect(res.body).toContain('at the request of the Authority of Information Security');
    expect(res.body).toContain('mailto:appeals@mod.invalid');
    expect(res.body).not.toContain('<footer>');
    expect(res.headers['content-security-policy']).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
  });

  it('shows the configured texts, HTML-escaped, in the configured order (the query may swap it)', async () => {
    const res = await page(configured);
    const body = res.body;
    expect(body.indexOf('<section lang="en">')).toBeLessThan(body.indexOf('<section lang="vi">'));
    const [en, vi] = body.split('<section lang="vi">') as [string, string];
    expect(vi).toContain('<p>Trang này nằm trong danh sách chặn &lt;b&gt;quốc gia&lt;/b&gt;.</p>');
    expect(vi).toContain('Đường dây nóng 111');
    expect(vi).not.toContain('theo yêu cầu');
    expect(en).toContain('at the request of the &quot;Ministry&quot;');
    expect(en).toContain(
      'Think it&#39;s a mistake? Tell us: <a href="https://appeals.example.vn/form?a=1&amp;b=2">',
    );
    expect(en).not.toContain('Đường dây nóng');
    expect(body.match(/mailto:khieunai@example\.vn/g)).toHaveLength(2);
    expect(body).toContain('<footer>Example &lt;Telecom&gt; &amp; Co / Nhà mạng Ví Dụ</footer>');
    expect(body).not.toMatch(/<b>|<Telecom>/);
    expect(body.match(/order-42/g)).toHaveLength(2);
    const vietnameseFirst = await page(configured, '?ref=order-42&lang=vi');
    expect(vietnameseFirst.body.indexOf('<section lang="vi">')).toBeLessThan(
      vietnameseFirst.body.indexOf('<section lang="en">'),
    );
  });

  it('refuses bad settings at start-up, every problem at once', () => {
    let error: unknown;
    try {
      loadConfig(apiSpec, {
        KAFKA_SASL_USERNAME: 'mod-api',
        KAFKA_SASL_PASSWORD: 'unused',
        SPLASH_APPEAL_URL: 'javascript:alert(1)',
        SPLASH_APPEAL_EMAIL: 'not an address',
        SPLASH_WHY_BLOCKED_EN: 'line one\nline two',
        SPLASH_OPERATOR_NAME_VI: 'x'.repeat(201),
        SPLASH_PRIMARY_LANGUAGE: 'fr',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'SPLASH_PRIMARY_LANGUAGE must be one of vi, en',
      'SPLASH_OPERATOR_NAME_VI must be at most 200 characters, got 201',
      'SPLASH_WHY_BLOCKED_EN must not contain control characters',
      'SPLASH_APPEAL_URL protocol must be https: or http:',
      expect.stringMatching(/^SPLASH_APPEAL_EMAIL must match/),
    ]);
  });

  it('refuses a reference that is not an id', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/blocked?ref=%3Cscript%3E' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'MOD_ERR_API_VALIDATION' } });
  });
});
