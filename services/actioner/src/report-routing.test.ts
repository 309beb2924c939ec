import { describe, expect, it } from 'vitest';
import type { SubjectSubmission } from '@mod/db/reports';
import { DEFAULT_ROUTING_TIMINGS, routePage, routeSubject, subjectSubmissionIds } from './report-routing.js';

const t0 = new Date('2026-12-06T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const routed = { routedAt: t0, routeAttempts: 1 };
const submission = (over: Partial<SubjectSubmission> = {}): SubjectSubmission => ({
  id: 'sub',
  url: 'https://x.example/a.jpg',
  status: 'scanned',
  decision: 'no-match',
  failureCode: null,
  receivedAt: t0,
  scannedAt: t0,
  classifiedAt: t0,
  orderIds: [],
  reviewCaseId: null,
  embeddedSubmissionIds: [],
  embeddedImagesShown: null,
  embeddedImageSources: {},
  ...over,
});
const route = (s: SubjectSubmission | null, ms: number, subject = routed) =>
  routeSubject(subject, s, at(ms), DEFAULT_ROUTING_TIMINGS);

describe('routing a reported URL', () => {
  it('derives the ids the fetcher gives a URL-list hit and fetched media of the same event', () => {
    const [listed, fetched] = subjectSubmissionIds('6f1c1b8e-2d3a-4c55-9e0f-0a1b2c3d4e5f');
    expect(listed).not.toBe(fetched);
    expect(subjectSubmissionIds('6f1c1b8e-2d3a-4c55-9e0f-0a1b2c3d4e5f')).toEqual([listed, fetched]);
  });

  it('waits for the pipeline, sends a lost event again, and at last gives the bare URL to a person', () => {
    expect(route(null, 1_000)).toEqual({ kind: 'wait' });
    expect(route(null, 120_000)).toEqual({ kind: 'reroute' });
    expect(route(null, 120_000, { routedAt: t0, routeAttempts: 3 })).toMatchObject({
      kind: 'open-case',
      submissionId: null,
      failureCode: 'MOD_ERR_REPORT_NOT_ROUTED',
    });
  });

  it('settles a match the actioner turned into orders, without a person', () => {
    expect(route(submission({ decision: 'match', orderIds: ['o1', 'o2'] }), 10)).toEqual({
      kind: 'actioned',
      submissionId: 'sub',
      orderIds: ['o1', 'o2'],
      reason: 'matched a known list; orders issued by policy',
    });
  });

  it('joins the review case the pipeline opened (a review-policy bank, the classifier)', () => {
    expect(route(submission({ reviewCaseId: 'case-1' }), 10)).toEqual({
      kind: 'join-case',
      submissionId: 'sub',
      caseId: 'case-1',
    });
  });

  it('gives a person what could not be fetched, with the refusal', () => {
    expect(route(submission({ status: 'failed', failureCode: 'MOD_ERR_FETCH_NOT_MEDIA' }), 10)).toMatchObject(
      {
        kind: 'open-case',
        submissionId: 'sub',
        failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      },
    );
  });

  it('waits for the classifier on clean content, then a person assesses it', () => {
    const unclassified = submission({ classifiedAt: null });
    expect(route(unclassified, 1_000)).toEqual({ kind: 'wait' });
    expect(route(unclassified, 60_000)).toMatchObject({
      kind: 'open-case',
      submissionId: 'sub',
      failureCode: null,
    });
    const clean = route(submission(), 10);
    expect(clean.kind).toBe('open-case');
    expect(clean.kind === 'open-case' ? clean.note : '').toContain('no known match');
  });

  it('waits on a match for its orders and on content still scanning, but not for ever', () => {
    const matched = submission({ decision: 'match' });
    expect(route(matched, 1_000)).toEqual({ kind: 'wait' });
    expect(route(matched, 60_000)).toMatchObject({
      kind: 'open-case',
      note: 'matched, but no order followed',
    });
    const scanning = submission({ status: 'received', scannedAt: null, classifiedAt: null });
    expect(route(scanning, 1_000)).toEqual({ kind: 'wait' });
    expect(route(scanning, 120_000)).toMatchObject({ kind: 'open-case', note: 'not scanned in time' });
  });
});

describe('routing a reported page by the images it shows', () => {
  const page = submission({
    id: 'page',
    url: 'https://x.example/post',
    status: 'failed',
    decision: null,
    failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
    embeddedSubmissionIds: ['i1', 'i2'],
    embeddedImagesShown: 2,
    embeddedImageSources: { i1: 'css' },
  });
  const image = (id: string, over: Partial<SubjectSubmission> = {}) =>
    submission({ id, url: `https://x.example/${id}.jpg`, ...over });
  const routeAt = (embedded: SubjectSubmission[], ms: number) =>
    routePage(page, embedded, at(ms), DEFAULT_ROUTING_TIMINGS);

  it('is actioned as soon as any image has orders, linked to all of them', () => {
    expect(
      routeAt(
        [image('i1', { decision: 'match', classifiedAt: null, orderIds: ['o2', 'o1'] }), image('i2')],
        1,
      ),
    ).toMatchObject({ kind: 'actioned', submissionId: 'i1', orderIds: ['o1', 'o2'] });
    // Even while the other image is not yet recorded.
    expect(routeAt([image('i2', { orderIds: ['o3'] })], 1)).toMatchObject({
      kind: 'actioned',
      orderIds: ['o3'],
    });
  });

  it('waits for every image (an unrecorded one up to the reroute delay), then a person assesses the page', () => {
    expect(routeAt([image('i1')], 1)).toEqual({ kind: 'wait' });
    expect(routeAt([image('i1'), image('i2', { decision: 'match', orderIds: [] })], 1)).toEqual({
      kind: 'wait',
    });
    const step = routeAt([image('i1')], DEFAULT_ROUTING_TIMINGS.rerouteAfterMs);
    expect(step).toEqual({
      kind: 'open-case',
      submissionId: 'page',
      note: 'a page: 1 of the 2 images it shows scanned, no known match',
      failureCode: 'MOD_ERR_FETCH_NOT_MEDIA',
      embeddedImages: [
        // Where the page shows each, when the fetcher said (i2's page was recorded without it).
        {
          submissionId: 'i1',
          url: 'https://x.example/i1.jpg',
          status: 'scanned',
          decision: 'no-match',
          source: 'css',
        },
        { submissionId: 'i2', url: null, status: 'missing', decision: null },
      ],
      embeddedImagesShown: 2,
    });
  });

  it('says how many images the page shows were never scanned', () => {
    const crowded = { ...page, embeddedImagesShown: 19 };
    const step = routePage(crowded, [image('i1'), image('i2')], at(1), DEFAULT_ROUTING_TIMINGS);
    expect(step).toMatchObject({
      kind: 'open-case',
      note: 'a page: 2 of the 2 images it shows scanned, no known match; 17 more it shows not scanned (beyond the cap, refused by the fetcher, inline or not http(s))',
      embeddedImagesShown: 19,
    });
    // Recorded before the count was: what was submitted is all that is known.
    const older = { ...page, embeddedImagesShown: null };
    expect(routePage(older, [image('i1'), image('i2')], at(1), DEFAULT_ROUTING_TIMINGS)).toMatchObject({
      note: 'a page: 2 of the 2 images it shows scanned, no known match',
      embeddedImagesShown: 2,
    });
  });

  it('says an image matched a known list when no order followed, never that nothing matched', () => {
    const matched = image('i2', { decision: 'match', orderIds: [] });
    expect(routeAt([image('i1'), matched], DEFAULT_ROUTING_TIMINGS.actionWaitMs - 1)).toEqual({
      kind: 'wait',
    });
    expect(routeAt([image('i1'), matched], DEFAULT_ROUTING_TIMINGS.actionWaitMs)).toMatchObject({
      kind: 'open-case',
      submissionId: 'page',
      note: 'a page: an image it shows matched a known list, but no order followed (https://x.example/i2.jpg); 2 of the 2 images scanned',
      embeddedImages: [
        { submissionId: 'i1', status: 'scanned', decision: 'no-match' },
        { submissionId: 'i2', status: 'scanned', decision: 'match' },
      ],
    });
  });

  it('joins a review case the pipeline opened for an image', () => {
    expect(routeAt([image('i1'), image('i2', { reviewCaseId: 'case-1' })], 1)).toEqual({
      kind: 'join-case',
      submissionId: 'i2',
      caseId: 'case-1',
    });
  });
});
