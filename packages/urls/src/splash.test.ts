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
});
