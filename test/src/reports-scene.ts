import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { mapHostToPlatform } from '@mod/db/orders';
import { seedTenants, tenantWithKey } from '@mod/testing';
import { openApi, pipeline, usePipelineWorld, world, type ApiScene } from './file-world.js';
import { bankKnownPhoto, makePhoto, stopInOrder } from './helpers.js';
import {
  createUrlList,
  PUBLIC_TEST_ADDRESS,
  startFetcher,
  startMediaServer,
  type MediaServer,
  type StartedFetcher,
} from './isp-helpers.js';
import { callWithKey, enrolPerson, type Answer, type EnrolledPerson } from './review-flow-browser.js';
import { waitFor } from './waiting.js';

/**
 * The scene of the citizens'-report tests: one world with the API (on loopback, real HTTP), the fetcher, scanner
 * and actioner running in this process; the actioner's scheduler routes reports every quarter second. Hosts the
 * fetcher resolves to a loopback alias the test policy treats as public: a web server with a known abusive photo
 * (banked, automatic), a benign HTML page and another page five people report. A URL list (automatic) names a
 * listed page. Tenants: an ISP subscribed to blocking, the platform hosting the media host, the 111 hotline with
 * an API key, an admin; a reviewer of the hotline, signed in.
 */

export const HOTLINE = 'hotline-111';
export const AUTHORITY = 'authority-1';
export const LISTED_URL = 'http://listed.example/abuse/page.html';

export interface ReportScene extends ApiScene {
  fetcher: StartedFetcher;
  server: MediaServer;
  hotlineKey: string;
  reviewer: EnrolledPerson;
  /** URLs on the test web server: the banked photo, a benign page, the page five people report. */
  urls: {
    known: string;
    benign: string;
    folded: string;
    escalated: string;
    browserBenign: string;
    browserKnown: string;
    /** A page showing the banked photo (on the media host) among others; a page of three benign photos. */
    pageKnown: string;
    pageBenign: string;
    /** A page (on the media host, which a platform hosts) inlining the banked photo as a data: URI. */
    pageInline: string;
  };
}

export let scene: ReportScene;

/** `env`: more settings for the pipeline (e.g. an audit signing key for a test that reads audit exports). */
export function useReportScene(env: Readonly<Record<string, string>> = {}): void {
  usePipelineWorld({
    ORDER_SCHEDULER_INTERVAL_MS: '250',
    // No classifier runs in this scene: clean content goes to a person without waiting for it.
    REPORT_CLASSIFICATION_WAIT_MS: '0',
    REPORT_CONTACT_KEY: randomBytes(32).toString('base64'),
    MOD_PEOPLE_SECRET_KEY: randomBytes(32).toString('base64'),
    REPORT_POW_BITS: '8',
    // Every report of these tests comes from one address (loopback); the limits have tests of their own.
    REPORT_RATE_BURST: '1000',
    REPORT_STATUS_PER_HOUR: '1000000',
    // The status changes these tests follow, told at once (by default only from a report's deadline on).
    REPORT_STATUS_EARLY_OUTCOME: 'true',
    ...env,
  });
  let fetcher: StartedFetcher | undefined;
  let server: MediaServer | undefined;
  beforeAll(async () => {
    const known = await makePhoto(2301);
    const html = (title: string) => ({
      type: 'text/html; charset=utf-8',
      body: Buffer.from(`<!doctype html><title>${title}</title><p>${title}</p>`),
    });
    const bodies: Record<string, { type: string; body: Buffer }> = {
      '/photos/known.jpg': { type: 'image/jpeg', body: known },
      '/photos/again.jpg': { type: 'image/jpeg', body: known },
      '/photos/embedded.jpg': { type: 'image/jpeg', body: known },
      '/benign.html': html('a garden'),
      '/browser-benign.html': html('a recipe'),
      '/folded.html': html('a forum thread'),
      '/escalated.html': html('a chat invitation'),
    };
    for (const n of [1, 2, 3])
      bodies[`/photos/benign-${n}.jpg`] = { type: 'image/jpeg', body: await makePhoto(2400 + n) };
    server = await startMediaServer(PUBLIC_TEST_ADDRESS, bodies);
    // Pages that embed images name the media host with the server's port (known once it listens).
    const page = (title: string, imgs: string) => ({
      type: 'text/html; charset=utf-8',
      body: Buffer.from(
        `<!doctype html><title>${title}</title><!-- <img src="/photos/known.jpg"> -->${imgs}`,
      ),
    });
    const media = `http://media.example:${server.port}/photos`;
    bodies['/page-known.html'] = page(
      'a gallery',
      `<img src="/photos/benign-1.jpg"><img srcset="/x.jpg 100w, ${media}/embedded.jpg 800w">`,
    );
    bodies['/page-inline.html'] = page(
      'a message board',
      `<p>hello</p><img alt="" src="data:image/jpeg;base64,${known.toString('base64')}">`,
    );
    // The second image is a CSS background, as galleries show thumbnails: taken as any image is.
    bodies['/page-benign.html'] = page(
      'a holiday album',
      `<img src="${media}/benign-1.jpg"><div style="background-image: url('${media}/benign-2.jpg')"></div>` +
        `<img src="${media}/benign-3.jpg">`,
    );
    const names = { 'media.example': PUBLIC_TEST_ADDRESS, 'pages.example': PUBLIC_TEST_ADDRESS };
    await seedTenants(world.db, [
      { id: 'isp-1', kind: 'isp' },
      { id: 'platform-1', kind: 'platform' },
      { id: AUTHORITY, kind: 'authority' },
    ]);
    await mapHostToPlatform(world.db, 'media.example', 'platform-1');
    const hotlineKey = await tenantWithKey(world.db, { id: HOTLINE, kind: 'hotline', role: 'hotline' });
    const api = await openApi();
    await bankKnownPhoto(world, pipeline, known);
    await createUrlList(world, 'listed-pages', [{ kind: 'url', pattern: 'listed.example/abuse/page.html' }]);
    // A reported page's images scanned: two (the pages' tests show the cap with a third).
    fetcher = await startFetcher(world, names, { PAGE_MAX_IMAGES: '2' });
    const reviewer = await enrolPerson(api.baseUrl, api.adminKey, {
      tenantId: HOTLINE,
      login: 'lan.reviewer',
      role: 'reviewer',
    });
    const at = (host: string, path: string) => `http://${host}:${server!.port}${path}`;
    scene = {
      ...api,
      fetcher,
      server,
      hotlineKey,
      reviewer,
      urls: {
        known: at('media.example', '/photos/known.jpg'),
        benign: at('pages.example', '/benign.html'),
        folded: at('pages.example', '/folded.html'),
        escalated: at('pages.example', '/escalated.html'),
        browserBenign: at('pages.example', '/browser-benign.html'),
        browserKnown: at('media.example', '/photos/again.jpg'),
        pageKnown: at('pages.example', '/page-known.html'),
        pageBenign: at('pages.example', '/page-benign.html'),
        pageInline: at('media.example', '/page-inline.html'),
      },
    };
  });
  afterAll(async () => {
    await stopInOrder([
      ['fetcher', () => fetcher?.service.stop()],
      ['server', () => server?.close()],
    ]);
  });
}

/** A report as `GET /v1/reports/:id` answers it (the fields the tests read), with its steps. */
export interface ReportAnswer {
  report: {
    id: string;
    channel: string;
    status: string;
    outcomeReason: string | null;
    outcomeAt: string | null;
    overdue: boolean;
    subjects: {
      id: string;
      url: string;
      status: string;
      caseId: string | null;
      orderIds: string[];
      owner: string | null;
      reports: number;
      outcomeReason: string | null;
    }[];
  };
  steps: { step: string; owner: string; ownerName: string | null; note: string | null }[];
}

export const hotline = (method: string, path: string, body?: unknown): Promise<Answer> =>
  callWithKey(scene.baseUrl, scene.hotlineKey, method, path, body);

/**
 * A request as oversight (the admin's key), which reads every report, all of it: the hotline's key reads only the
 * reports its tenant filed.
 */
export const oversight = (method: string, path: string, body?: unknown): Promise<Answer> =>
  callWithKey(scene.baseUrl, scene.adminKey, method, path, body);

/** Files a report as the hotline's call centre; answers its id and tracking code. */
export async function hotlineReport(urls: string[], extra: Record<string, unknown> = {}) {
  const filed = await hotline('POST', '/v1/reports', { urls, category: 'csam', ...extra });
  expect(filed.status, filed.bytes.toString()).toBe(201);
  return filed.json<{ id: string; trackingCode: string; subjects: { opened: number; folded: number } }>();
}

export async function readReport(id: string): Promise<ReportAnswer> {
  const answer = await oversight('GET', `/v1/reports/${id}`);
  expect(answer.status).toBe(200);
  return answer.json<ReportAnswer>();
}

/** Waits until the report satisfies `done`; answers it. */
export async function reportWhen(id: string, what: string, done: (r: ReportAnswer) => boolean, ms = 60_000) {
  let last: ReportAnswer | undefined;
  await waitFor(
    what,
    async () => {
      last = await readReport(id);
      return done(last);
    },
    ms,
  );
  return last!;
}

/** The public form as a browser without JavaScript uses it: GET for a token, POST the fields. */
export async function fileWebReport(
  fields: Record<string, string>,
): Promise<{ status: number; html: string }> {
  const form = await fetch(`${scene.baseUrl}/report`);
  const token = /name="token" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${scene.baseUrl}/report`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, ...fields }).toString(),
  });
  return { status: res.status, html: await res.text() };
}

/** The tracking code a success page shows. */
export const trackingCodeOf = (html: string): string =>
  /id="tracking-code">([0-9A-Z-]+)</.exec(html)?.[1] ?? '';

/** The coarse status the public status page shows for a code. */
export async function publicStatus(code: string): Promise<string | null> {
  const res = await fetch(`${scene.baseUrl}/report/status`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ code, lang: 'en' }).toString(),
  });
  const html = await res.text();
  const status = /data-status="([a-z-]+)"/.exec(html)?.[1] ?? null;
  if (status === null && res.status !== 404)
    throw new Error(`status page ${res.status}: ${html.slice(0, 600)}`);
  return status;
}
