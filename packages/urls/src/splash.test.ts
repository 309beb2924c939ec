import { describe, expect, it } from 'vitest';
import { escapeHtml, renderSplashPage } from './splash.js';

describe('renderSplashPage', () => {
  const page = renderSplashPage({
    referenceId: 'ORD-2026-000123',
    authorityName: 'Bộ Công an',
    appealUrl: 'https://appeals.example.vn/form?lang=vi&x=1',
    appealEmail: 'appeals@isp.example.vn',
    operatorName: 'Example ISP',
  });

  it('explains the block and the appeal in Vietnamese and English, with the reference id', () => {
    expect(page).toContain('<html lang="vi">');
    expect(page).toContain('<section lang="vi">');
    expect(page).toContain('<section lang="en">');
    expect(page).toContain('Trang này đã bị chặn');
    expect(page).toContain('This page has been blocked');
    expect(page).toContain('theo yêu cầu của Bộ Công an');
    expect(page).toContain('Khiếu nại');
    expect(page).toContain('Appeal');
    expect(page.match(/ORD-2026-000123/g)).toHaveLength(2);
    expect(page).toContain('href="https://appeals.example.vn/form?lang=vi&amp;x=1"');
    expect(page).toContain('href="mailto:appeals@isp.example.vn"');
    expect(page.indexOf('lang="vi">')).toBeLessThan(page.indexOf('<section lang="en">'));
  });

  it('loads nothing from anywhere: no scripts, images, stylesheets, frames or fonts, and a CSP forbidding them', () => {
    expect(page).not.toMatch(/<(script|img|link|iframe|object|embed|video|audio|source)\b/i);
    expect(page).not.toMatch(/url\(|@import|src=/i);
    expect(page).toContain("default-src 'none'");
  });

  it('escapes every option and drops unsafe links', () => {
    const hostile = renderSplashPage({
      referenceId: '<script>alert(1)</script>',
      authorityName: '"><img src=x>',
      appealUrl: 'javascript:alert(1)',
      appealEmail: 'x"@y><b>',
      primaryLanguage: 'en',
    });
    expect(hostile).not.toContain('<script>');
    expect(hostile).not.toContain('<img');
    expect(hostile).not.toContain('javascript:');
    expect(hostile).not.toContain('mailto:');
    expect(hostile).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(hostile).toContain('<html lang="en">');
    expect(hostile.indexOf('<section lang="en">')).toBeLessThan(hostile.indexOf('<section lang="vi">'));
    expect(hostile).toContain('Contact your internet service provider');
  });

  it('is pure', () => {
    expect(renderSplashPage({ referenceId: 'R1' })).toBe(renderSplashPage({ referenceId: 'R1' }));
    expect(escapeHtml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
  });
  it('takes per-language texts, falling back to the shared options, and escapes them all', () => {
    const custom = renderSplashPage({
      referenceId: 'R2',
      appealEmail: 'shared@example.vn',
      texts: {
        vi: {
          operatorName: 'Nhà mạng <VN>',
          whyBlocked: 'Trang bị chặn theo quyết định số 1 & 2.',
          howToAppeal: 'Gửi khiếu nại "tại đây":',
          appealContact: 'Đường dây nóng 111',
          appealUrl: 'https://appeals.example.vn/vi',
        },
        en: {
          operatorName: 'VN Operator',
          authorityName: 'the <b>Ministry</b>',
          appealEmail: 'en@example.vn',
        },
      },
    });
    const [vi, en] = custom.split('<section lang="en">');
    expect(vi).toContain('<p>Trang bị chặn theo quyết định số 1 &amp; 2.</p>');
    expect(vi).toContain('Gửi khiếu nại &quot;tại đây&quot;: <a href="https://appeals.example.vn/vi">');
    expect(vi).toContain('mailto:shared@example.vn');
    expect(vi).toContain('Đường dây nóng 111');
    expect(vi).not.toContain('xâm hại tình dục trẻ em, theo yêu cầu');
    expect(en).toContain('at the request of the &lt;b&gt;Ministry&lt;/b&gt;');
    expect(en).toContain('mailto:en@example.vn');
    expect(en).not.toContain('appeals.example.vn');
    expect(en).toContain('If you believe this page was blocked in error');
    expect(custom).toContain('<footer>Nhà mạng &lt;VN&gt; / VN Operator</footer>');
    expect(custom).not.toMatch(/<(b|VN)>/);
  });
});
