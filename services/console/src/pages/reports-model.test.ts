import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n/locale.js';
import { ownerLabel } from './reports-labels.js';
import {
  addDays,
  dayIn,
  dayStart,
  defaultRange,
  nextPageAfter,
  pageImageOutcome,
  rangeQuery,
  reportContextOf,
  reportDeadline,
  stepOwner,
} from './reports-model.js';

const noop = { language: () => undefined, timeZone: () => undefined };

describe("the reports page's rules", () => {
  it('places a report against its deadline: time left, overdue by, settled in time or late', () => {
    const dueAt = '2025-03-01T10:00:00.000Z';
    const due = Date.parse(dueAt);
    expect(reportDeadline({ dueAt, outcomeAt: null }, due - 5000)).toEqual({ kind: 'running', leftMs: 5000 });
    expect(reportDeadline({ dueAt, outcomeAt: null }, due + 7000)).toEqual({ kind: 'overdue', byMs: 7000 });
    expect(reportDeadline({ dueAt, outcomeAt: '2025-03-01T09:00:00.000Z' }, due + 1e9)).toEqual({
      kind: 'done',
      lateMs: null,
    });
    expect(reportDeadline({ dueAt, outcomeAt: '2025-03-01T11:00:00.000Z' }, due)).toEqual({
      kind: 'done',
      lateMs: 3_600_000,
    });
  });

  it("names a step's owner: a person's name, the system in words, the public channel, an API key, an id", () => {
    expect(stepOwner({ owner: 'p-1', ownerName: 'Lê Minh Chi' })).toEqual({
      kind: 'person',
      name: 'Lê Minh Chi',
    });
    expect(stepOwner({ owner: 'system:queue', ownerName: null })).toEqual({
      kind: 'system',
      which: 'system:queue',
    });
    expect(stepOwner({ owner: 'public:web', ownerName: null })).toEqual({ kind: 'public', channel: 'web' });
    expect(stepOwner({ owner: 'key:abc', ownerName: null })).toEqual({ kind: 'key', id: 'abc' });
    expect(stepOwner({ owner: '5f0c', ownerName: null })).toEqual({ kind: 'id', id: '5f0c' });
    const vi = createI18n('vi', 'Asia/Ho_Chi_Minh', noop);
    const en = createI18n('en', 'Asia/Ho_Chi_Minh', noop);
    const pipeline = { owner: 'system:pipeline', ownerName: null };
    expect(ownerLabel(vi, pipeline)).toBe('Hệ thống');
    expect(ownerLabel(en, pipeline)).toBe('Pipeline');
    expect(ownerLabel(vi, { owner: 'public:web', ownerName: null })).toBe('Người dân (Biểu mẫu trên mạng)');
    expect(ownerLabel(en, { owner: 'key:k1', ownerName: null })).toBe('API key k1');
  });

  it('pages by the last report of a full page, and stops after a short one', () => {
    const page = [
      { id: 'b', receivedAt: '2025-03-02T00:00:00.000Z' },
      { id: 'a', receivedAt: '2025-03-01T00:00:00.000Z' },
    ];
    expect(nextPageAfter(page, 2)).toEqual({ beforeReceivedAt: '2025-03-01T00:00:00.000Z', beforeId: 'a' });
    expect(nextPageAfter(page, 3)).toBeNull();
    expect(nextPageAfter([], 2)).toBeNull();
  });

  it("turns a range of days in a time zone into the API's [from, to)", () => {
    expect(dayStart('2025-01-02', 'Asia/Ho_Chi_Minh')).toBe('2025-01-01T17:00:00.000Z');
    expect(dayStart('2025-01-02', 'UTC')).toBe('2025-01-02T00:00:00.000Z');
    // Across a change of offset: Paris went to summer time on 30 March 2025.
    expect(dayStart('2025-03-31', 'Europe/Paris')).toBe('2025-03-30T22:00:00.000Z');
    expect(dayIn(new Date('2025-01-01T18:00:00Z'), 'Asia/Ho_Chi_Minh')).toBe('2025-01-02');
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(defaultRange(new Date('2025-03-30T20:00:00Z'), 'Asia/Ho_Chi_Minh')).toEqual({
      from: '2025-03-02',
      to: '2025-03-31',
    });
    expect(rangeQuery({ from: '2025-03-01', to: '2025-03-01' }, 'Asia/Ho_Chi_Minh')).toEqual({
      from: '2025-02-28T17:00:00.000Z',
      to: '2025-03-01T17:00:00.000Z',
    });
  });

  it("reads the report context of a case opened from reports, and nothing from any other case's evidence", () => {
    const evidence = {
      source: 'report',
      report: {
        subjectId: 's',
        url: 'http://a.example/x',
        reports: 2,
        channels: ['hotline', 'web'],
        categories: ['csam'],
        accounts: [{ channel: 'web', category: 'csam', seenWhere: 'a forum', description: null }, 'junk'],
      },
    };
    expect(reportContextOf(evidence)).toEqual({
      url: 'http://a.example/x',
      urlErasedAt: null,
      reports: 2,
      channels: ['hotline', 'web'],
      categories: ['csam'],
      accounts: [
        { channel: 'web', category: 'csam', seenWhere: 'a forum', description: null, textErasedAt: null },
      ],
      images: [],
      imagesShown: 0,
    });
    // A reported page's case lists the images it shows, as scanned.
    expect(
      reportContextOf({
        ...evidence,
        embeddedImages: [
          {
            submissionId: 'i1',
            url: 'http://a.example/1.jpg',
            status: 'scanned',
            decision: 'no-match',
            source: 'css',
          },
          { submissionId: 'i2', url: null, status: 'missing', decision: null },
          { submissionId: 'i3', url: null, status: 'missing', decision: null, source: 'video' },
          7,
        ],
      })?.images,
    ).toEqual([
      // Where the page shows it, when the fetcher said and this console knows the word.
      { url: 'http://a.example/1.jpg', status: 'scanned', decision: 'no-match', source: 'css' },
      { url: '—', status: 'missing', decision: null, source: null },
      { url: '—', status: 'missing', decision: null, source: null },
    ]);
    // How many it shows: those beyond the list were never scanned; never fewer than listed, nor a non-number.
    const shown = (embeddedImagesShown: unknown) =>
      reportContextOf({
        ...evidence,
        embeddedImages: [{ submissionId: 'i1', url: 'http://a.example/1.jpg', status: 'scanned' }],
        embeddedImagesShown,
      })?.imagesShown;
    expect([shown(19), shown(0), shown('19'), shown(undefined), shown(1.5)]).toEqual([19, 1, 1, 1, 1]);
    // A matched image whose orders did not follow is said to have matched, never "no known match".
    expect(
      [
        { status: 'scanned', decision: 'match' },
        { status: 'scanned', decision: 'no-match' },
        { status: 'scanned', decision: 'suppressed' },
        { status: 'failed', decision: null },
        { status: 'received', decision: null },
        { status: 'missing', decision: null },
      ].map(pageImageOutcome),
    ).toEqual(['matched', 'scanned', 'scanned', 'failed', 'not-scanned', 'not-scanned']);
    // Erased at the end of their retention, as the actioner's pass leaves the case: each says when it went.
    const at = '2027-01-02T03:04:05+00:00';
    const erased = reportContextOf({
      source: 'report',
      report: {
        ...evidence.report,
        url: null,
        urlErasedAt: at,
        accounts: [
          { channel: 'web', category: 'csam', seenWhere: null, description: null, textErasedAt: at },
        ],
      },
      embeddedImages: [{ submissionId: 'i1', url: null, status: 'scanned' }],
    });
    expect(erased).toMatchObject({
      url: '',
      urlErasedAt: at,
      accounts: [{ seenWhere: null, description: null, textErasedAt: at }],
      images: [{ url: null }],
    });
    expect(reportContextOf({ source: 'bank', report: evidence.report })).toBeNull();
    expect(reportContextOf(null)).toBeNull();
    expect(reportContextOf({ source: 'report' })).toBeNull();
  });
});
