import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable } from './console-browser.js';
import { openConsoleWorld, type ConsoleWorld } from './console-world.js';

/*
 * Another site filing reports through its visitors' browsers, in Debian's Chromium: a page on another site
 * (http://localhost:<port>, while the API is http://127.0.0.1:<port>) holds a hidden copy of the report form,
 * with a token its server fetched, and sends it as soon as it loads. Each visitor would be one more address with
 * a limit of its own. The browser says the post came from another site, and the API refuses it: nothing stored,
 * the visitor shown the form empty, saying why.
 */
const available = chromiumAvailable();

let opened: ConsoleWorld | undefined;
let hostile: Server | undefined;
let hostileOrigin = '';

describe.skipIf(!available)('the report form posted by another site', () => {
  beforeAll(async () => {
    opened = await openConsoleWorld([{ id: 'ops', kind: 'admin', role: 'admin' }], []);
    const target = opened.origin;
    hostile = createServer((_req, res) => {
      void (async () => {
        const form = await (await fetch(`${target}/report`)).text();
        const token = /name="token" value="([^"]+)"/.exec(form)?.[1] ?? '';
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><title>Win a prize</title>
<form id="f" method="post" action="${target}/report?lang=en">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="urls" value="https://competitor.example/">
<input type="hidden" name="category" value="csam">
<input type="hidden" name="description" value="made up by another site">
<input type="hidden" name="lang" value="en">
</form><script>document.getElementById('f').submit()</script>`);
      })();
    });
    await new Promise<void>((resolve) => hostile!.listen(0, '127.0.0.1', resolve));
    hostileOrigin = `http://localhost:${(hostile.address() as AddressInfo).port}`;
  }, 180_000);
  afterAll(async () => {
    await new Promise((resolve) => hostile?.close(resolve));
    await opened?.close();
  });

  it('is refused: nothing is filed, and the visitor sees the form empty with the reason', async () => {
    const page = opened!.page;
    await page.goto(`${hostileOrigin}/`);
    await page.waitForURL(`${opened!.origin}/report?lang=en`);
    await expect.poll(() => page.textContent('p.code')).toBe('MOD_ERR_API_REPORT_CROSS_SITE');
    expect(await page.textContent('[role=alert]')).toContain('sent from another website');
    // Nothing of the other site's post is offered to the visitor to send on.
    expect(await page.inputValue('#urls')).toBe('');
    expect(await page.inputValue('#description')).toBe('');
    const { rows } = await opened!.world.db.query<{ n: string }>('select count(*) as n from reports');
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
