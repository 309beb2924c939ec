// The fetch step's test world: URL lists, a fake fetcher and producer, submissions kept as PostgreSQL keeps them.
import type { UrlObserved } from '@mod/contracts';
import type { TenantStanding } from '@mod/db/submissions';
import type { ConsumedMessage, Producer } from '@mod/kafka';
import { createRegistry } from '@mod/telemetry';
import { UrlListIndex } from '@mod/urls';
import {
  createSafeFetcher,
  defaultAddressPolicy,
  type FetchOptions,
  type PageFetchOutcome,
  type Resolver,
  type SafeFetcher,
} from '@mod/urls/fetch';
import { createFetchStep, createObservedCounter, type FetchStepDeps } from './fetch-step.js';
import { createPageCounters } from './page-crawl.js';
import { SeenUrls } from './seen-urls.js';
import type { UrlBankMeta, UrlEntryData } from './url-list-sync.js';

export const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0]);

/** A report on the internal topic (the API's: the public form's tenant). */
export const REPORTED = { tenantId: 'public-reports', source: 'api', purpose: 'report' } as const;

/** A report on the internal topic whose ids derive from `eventId`. */
export const reportedEvent = (eventId: string) => ({ ...REPORTED, eventId }) as const;

/** Page mode's answer for an HTML page at `url` (`body` as bytes: a string is read as latin1, byte for byte). */
export const pageAnswer = (url: string, body: string, contentType = 'text/html'): PageFetchOutcome => ({
  ok: true,
  kind: 'page',
  url,
  redirects: [],
  address: '203.0.113.9',
  status: 200,
  contentType,
  bytes: Buffer.from(body, 'latin1'),
  truncated: false,
});

/** A fetched JPEG at `url`. */
export const imageAnswer = (url: string, bytes: Buffer = JPEG): PageFetchOutcome => ({
  ok: true,
  url,
  redirects: [],
  address: '203.0.113.9',
  status: 200,
  mediaType: 'image/jpeg',
  contentType: 'image/jpeg',
  bytes,
});

/** A fetch refused with a 404. */
export const notFoundAnswer = (url: string): PageFetchOutcome => ({
  ok: false,
  reason: 'http-status',
  detail: 'status 404',
  url,
  redirects: [],
  status: 404,
});

/** What the step asks of a fetch beyond its URL (`follow`, and `image` for an `<img>`'s address in page mode). */
type StepFetchOptions = FetchOptions & { readonly image?: boolean };

/**
 * The real SSRF-safe fetcher in front of a test's server on 127.0.0.1: `resolver` names the hosts, the address
 * policy allows that one address beside the production policy, and dialling anything but the server on `port` fails
 * the test (each dial is noted in `dialled`). `isPage` says which URLs are fetched as pages (the rest as media), as
 * the step would ask for them.
 */
export function loopbackFetch(o: {
  resolver: Resolver;
  port: number;
  timeoutMs: number;
  isPage: (url: URL) => boolean;
  dialled?: string[];
  /** Fetches at once per host name and per address (every name here is on the one server). Default 2. */
  maxConcurrentPerHost?: number;
}): (url: string, signal?: AbortSignal, options?: StepFetchOptions) => Promise<PageFetchOutcome> {
  const fetcher = createSafeFetcher({
    resolver: o.resolver,
    ...(o.maxConcurrentPerHost === undefined ? {} : { maxConcurrentPerHost: o.maxConcurrentPerHost }),
    addressPolicy: (address) => (address === '127.0.0.1' ? 'allow' : defaultAddressPolicy(address)),
    timeoutMs: o.timeoutMs,
    // Guard for the test itself: nothing but this server is ever dialled.
    beforeConnect: (target) => {
      o.dialled?.push(`${target.address}:${target.port}`);
      if (target.address !== '127.0.0.1' || target.port !== o.port)
        throw new Error('test guard: not the server');
    },
  });
  return (url, signal, options = {}) => {
    const asked = { ...options, ...(signal === undefined ? {} : { signal }) };
    // An image the step asks for in page mode (an <img>'s address) is asked for so here too.
    return options.image === true || o.isPage(new URL(url))
      ? fetcher.fetchPage(url, asked)
      : fetcher.fetch(url, asked);
  };
}

/**
 * `fetchOutcome` answers each URL (a promise: an answer that waits, e.g. for the fetch's signal), given the fetch's
 * signal and options (`follow`, `image`); `deps` sets what the step is given beyond the defaults.
 */
export function world(
  fetchOutcome: (
    url: string,
    signal?: AbortSignal,
    options?: StepFetchOptions,
  ) => PageFetchOutcome | Promise<PageFetchOutcome> = () => ({
    ok: false,
    reason: 'not-media',
    detail: '',
    url: '',
    redirects: [],
  }),
  deps: Partial<
    Pick<
      FetchStepDeps,
      'maxPageImages' | 'maxPageFrames' | 'pageCrawlTimeoutMs' | 'maxMediaBytes' | 'pageImageRetry'
    >
  > = {},
) {
  const index = new UrlListIndex<UrlEntryData>();
  const banks = new Map<string, UrlBankMeta>();
  const sent: { topic: string; key: string; value: Buffer; headers: Record<string, Buffer> }[] = [];
  const fetched: string[] = [];
  let brokerDown = false;
  const producer = {
    send: ({
      topic,
      messages,
    }: {
      topic: string;
      messages: { key: string; value: Buffer; headers?: Record<string, Buffer> }[];
    }) => {
      if (brokerDown) return Promise.reject(new Error('broker down'));
      for (const m of messages) sent.push({ topic, key: m.key, value: m.value, headers: m.headers ?? {} });
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  // Submissions by id and owner, as `claimSubmission` keeps them in PostgreSQL.
  const owners = new Map<string, string>();
  const tenants: Record<string, TenantStanding> = {
    'isp-1': { kind: 'isp', disabled: false },
    'isp-2': { kind: 'isp', disabled: false },
    'isp-off': { kind: 'isp', disabled: true },
    'plat-1': { kind: 'platform', disabled: false },
    'public-reports': { kind: 'hotline', disabled: false },
  };
  const refusals: {
    id: string;
    tenantId: string;
    url: string | null | undefined;
    failureCode: string;
    embeddedSubmissionIds?: string[];
    embeddedImagesShown?: number;
    embeddedImageSources?: Record<string, string>;
  }[] = [];
  const fetcher: SafeFetcher = {
    fetch: async (url, options) => {
      fetched.push(url);
      const outcome = await fetchOutcome(url, options?.signal, options);
      // Media mode never answers with a page: that is page mode's (a page is not media).
      return outcome.ok && 'kind' in outcome
        ? { ok: false, reason: 'not-media', detail: 'a page', url, redirects: [] }
        : outcome;
    },
    fetchPage: (url, options) => {
      fetched.push(url);
      return Promise.resolve(fetchOutcome(url, options?.signal, options));
    },
  };
  let nowMs = 0;
  // Handled: 1 s; refused: 100 ms, doubling per refusal in a row, at most 300 ms.
  const seen = new SeenUrls({
    ttlMs: 1000,
    refusedTtlMs: 100,
    refusedMaxTtlMs: 300,
    maxEntries: 100,
    now: () => nowMs,
  });
  const registry = createRegistry('fetcher-test');
  const observed = createObservedCounter(registry);
  const pageCounters = createPageCounters(registry);
  const step = createFetchStep({
    urlLists: { index: () => index, bank: (id) => banks.get(id) },
    fetcher,
    seen,
    producer,
    verdictsTopic: 'verdicts',
    mediaTopic: 'media',
    urlObservedTopic: 'obs',
    topicPrefix: '',
    claimSubmission: (s) => {
      const owner = owners.get(s.id) ?? s.tenantId;
      const created = !owners.has(s.id);
      owners.set(s.id, owner);
      return Promise.resolve({ created, tenantId: owner, sha256: s.sha256 ?? null });
    },
    recordRefusal: ({ id, tenantId, url, failureCode, embeddedSubmissionIds, embeddedImagesShown, ...r }) => {
      refusals.push({
        id,
        tenantId,
        url,
        failureCode,
        ...(embeddedSubmissionIds === undefined ? {} : { embeddedSubmissionIds }),
        ...(embeddedImagesShown === undefined ? {} : { embeddedImagesShown }),
        ...(r.embeddedImageSources === undefined ? {} : { embeddedImageSources: r.embeddedImageSources }),
      });
      return Promise.resolve();
    },
    tenants: { get: (id) => Promise.resolve(tenants[id] ?? null) },
    fetchAllUrls: false,
    observed,
    maxPageImages: 3,
    ...deps,
    pageCounters,
    now: () => new Date('2026-11-28T00:00:00Z'),
  });
  let n = 0;
  const observe = (url: string, extra: Partial<UrlObserved> = {}, topic = 'obs') => {
    n += 1;
    const event: UrlObserved = {
      eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
      tenantId: 'isp-1',
      source: 'kafka',
      url,
      observedAt: '2026-11-28T00:00:00Z',
      ...extra,
    };
    const message: ConsumedMessage = {
      topic,
      partition: 0,
      offset: String(n),
      key: null,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      timestamp: 0,
    };
    return step(message);
  };
  /** `url` on ISP isp-1's own topic, claiming a report's purpose: there it means nothing (ISP traffic). */
  const observeIspClaimingReport = (url: string) =>
    observe(url, { tenantId: 'isp-1', purpose: 'report' }, 'mod.url-observed.v1.isp-1');
  const count = async (outcome: string) =>
    (await observed.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  const countImages = async (outcome: string) =>
    (await pageCounters.images.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  const countFrames = async (outcome: string) =>
    (await pageCounters.frames.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  /** `mod_fetcher_page_image_retries_total`, by reason. */
  const countRetries = async (): Promise<Record<string, number>> =>
    Object.fromEntries(
      (await pageCounters.retries.get()).values.map((v): [string, number] => [
        String(v.labels.reason),
        v.value,
      ]),
    );
  /** Lists `host` (entry `entryId`, category A) in an enabled blocking bank `b1`. */
  const listHost = (entryId: string, host: string) => {
    banks.set('b1', bank());
    index.add({
      id: entryId,
      kind: 'host',
      pattern: host,
      data: { bankId: 'b1', dedicatedToAbuse: false, category: 'A' },
    });
  };
  return {
    index,
    banks,
    listHost,
    sent,
    fetched,
    observe,
    observeIspClaimingReport,
    count,
    countImages,
    countFrames,
    countRetries,
    owners,
    refusals,
    advance: (ms: number) => (nowMs += ms),
    setBrokerDown: (down: boolean) => (brokerDown = down),
  };
}

export const bank = (over: Partial<UrlBankMeta> = {}): UrlBankMeta => ({
  name: 'iwf',
  enabled: true,
  negative: false,
  actionPolicy: 'automatic',
  ...over,
});
