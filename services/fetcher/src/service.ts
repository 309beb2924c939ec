import {
  defineWorkerService,
  labelledCounter,
  type WorkerService,
  type WorkerServiceOptions,
  type WorkerServiceParts,
} from '@mod/bootstrap';
import type { ConfigOf } from '@mod/config';
import { ModError } from '@mod/contracts';
import { withTransaction } from '@mod/db';
import {
  claimSubmission,
  createTenantDirectory,
  markSubmissionFailed,
  recordEmbeddedSubmissions,
} from '@mod/db/submissions';
import { largestMediaBytes, topicMaxMessageBytes } from '@mod/kafka';
import { Counter, Gauge } from '@mod/telemetry';
import { createSafeFetcher, type AddressPolicy, type Resolver } from '@mod/urls/fetch';
import type { fetcherSpec } from './config.js';
import { createFetchStep, createObservedCounter, submissionNotOwned } from './fetch-step.js';
import { createPageCounters } from './page-crawl.js';
import { SeenUrls } from './seen-urls.js';
import { createUrlListSync, type UrlListSync } from './url-list-sync.js';

/** Bound of the `mod-meta` header of a fetched item: ids, an ISP id, a URL of up to 8192 characters, a type. */
const FETCHED_META_MAX_BYTES = 34 * 1024;

export type FetcherConfig = ConfigOf<typeof fetcherSpec>;

/**
 * Seams for tests only. Production passes nothing: the fetcher then resolves with the system resolver and
 * refuses loopback, private, link-local, CGNAT, multicast and metadata addresses (`defaultAddressPolicy`).
 */
export interface FetcherTestSeams extends WorkerServiceOptions {
  addressPolicy?: AddressPolicy;
  resolver?: Resolver;
  /** The clock of the seen-before memory, in milliseconds (tests step it instead of waiting). Default `Date.now`. */
  clock?: () => number;
}

export interface FetcherService extends WorkerService {
  urlLists: UrlListSync;
}

export const createFetcherService = defineWorkerService(
  { role: 'fetcher', dbConnections: 2 },
  fetcherService,
);

function fetcherService(parts: WorkerServiceParts<FetcherConfig, FetcherTestSeams>): FetcherService {
  const { worker, config, logger, registry, options: seams } = parts;
  const { topics, kafka, db } = worker;
  const fetchOutcomes = labelledCounter(registry, {
    name: 'mod_fetcher_fetches_total',
    help: 'Fetches by outcome: ok or the typed refusal (blocked-address, dns-failure, too-large, not-media, ...)',
    label: 'outcome',
  });
  const observed = createObservedCounter(registry);
  const pageCounters = createPageCounters(registry);
  // Loaded before the fetcher consumes, its readiness the fetcher's.
  const urlLists = worker.keep(
    'urlLists',
    createUrlListSync({
      db,
      kafka,
      topic: topics.urlListChanges,
      logger,
      groupPrefix: config.FETCHER_GROUP_ID,
      metrics: {
        entries: new Gauge({
          name: 'mod_fetcher_url_list_entries',
          help: 'URL-list entries in the index',
          registers: [registry],
        }),
        applied: labelledCounter(registry, {
          name: 'mod_fetcher_url_list_changes_applied_total',
          help: 'URL-list changes applied from the topic',
          label: 'type',
        }),
        invalid: new Counter({
          name: 'mod_fetcher_url_list_invalid_total',
          help: 'Stored URL-list patterns the index refused',
          registers: [registry],
        }),
      },
    }),
  );
  /** The safe fetcher, once the largest media the media topic carries is known (at start). */
  const createFetcher = (maxBytes: number) =>
    createSafeFetcher({
      timeoutMs: config.FETCH_TIMEOUT_MS,
      connectTimeoutMs: config.FETCH_CONNECT_TIMEOUT_MS,
      maxBytes,
      maxRedirects: config.FETCH_MAX_REDIRECTS,
      maxConcurrentPerHost: config.FETCH_MAX_PER_HOST,
      maxPageBytes: config.FETCH_MAX_PAGE_BYTES,
      countOutcome: (label) => fetchOutcomes.inc({ outcome: label }),
      ...(seams.addressPolicy === undefined ? {} : { addressPolicy: seams.addressPolicy }),
      ...(seams.resolver === undefined ? {} : { resolver: seams.resolver }),
    });
  const seen = new SeenUrls({
    ttlMs: config.SEEN_TTL_MS,
    refusedTtlMs: config.SEEN_REFUSED_TTL_MS,
    refusedMaxTtlMs: config.SEEN_REFUSED_MAX_TTL_MS,
    maxEntries: config.SEEN_MAX_ENTRIES,
    ...(seams.clock === undefined ? {} : { now: seams.clock }),
  });

  return {
    urlLists,
    checks: worker.checks(),
    async start() {
      const producer = await worker.open(['urlObserved', 'urlListChanges', 'verdicts', 'mediaSubmitted']);
      // A fetched body always fits one media message: the topic's size bounds it (the URL is in the header).
      const fits = largestMediaBytes(
        await topicMaxMessageBytes(kafka, topics.mediaSubmitted),
        FETCHED_META_MAX_BYTES,
      );
      if (fits < config.FETCH_MAX_BYTES)
        logger.warn(
          { maxBytes: fits, configured: config.FETCH_MAX_BYTES },
          'FETCH_MAX_BYTES lowered to what fits',
        );
      const maxMediaBytes = Math.min(fits, config.FETCH_MAX_BYTES);
      const runner = await worker.consume({
        groupId: config.FETCHER_GROUP_ID,
        // Ours and every ISP's own observed-URL topic, as ISPs are granted access.
        inbound: { kind: 'urlObserved', refreshMs: config.PARTNER_TOPICS_REFRESH_MS },
        stepName: 'fetch',
        step: createFetchStep({
          urlLists,
          fetcher: createFetcher(maxMediaBytes),
          seen,
          producer,
          verdictsTopic: topics.verdicts,
          mediaTopic: topics.mediaSubmitted,
          urlObservedTopic: topics.urlObserved,
          topicPrefix: config.TOPIC_PREFIX,
          claimSubmission: (s) => claimSubmission(db, s),
          recordRefusal: ({
            failureCode,
            embeddedSubmissionIds,
            embeddedImagesShown,
            embeddedImageSources,
            ...s
          }) =>
            withTransaction(db, async (c) => {
              const claimed = await claimSubmission(c, s);
              if (claimed === null) throw new Error('submission claim raced; trying again');
              if (claimed.tenantId !== s.tenantId) {
                const { code, message } = submissionNotOwned(s.id);
                throw new ModError(code, message); // not retriable: the runner dead-letters the event
              }
              await markSubmissionFailed(c, s, failureCode);
              await recordEmbeddedSubmissions(
                c,
                s,
                embeddedSubmissionIds ?? [],
                embeddedImagesShown,
                embeddedImageSources,
              );
            }),
          maxPageImages: config.PAGE_MAX_IMAGES,
          maxPageFrames: config.PAGE_MAX_FRAMES,
          maxMediaBytes,
          pageCrawlTimeoutMs: config.PAGE_CRAWL_TIMEOUT_MS,
          pageImageRetry: {
            retries: config.PAGE_IMAGE_RETRIES,
            baseMs: config.PAGE_IMAGE_RETRY_BASE_MS,
            maxMs: config.PAGE_IMAGE_RETRY_MAX_MS,
          },
          pageCounters,
          tenants: createTenantDirectory(db),
          fetchAllUrls: config.FETCH_ALL_URLS,
          observed,
        }),
        maxInFlight: config.FETCHER_MAX_IN_FLIGHT,
      });
      logger.info({ topics: runner.topics() }, 'fetcher started');
    },
    // Stops consuming and following the URL lists (in-flight URLs finish, offsets commit), then closes.
    stop: () => worker.close(),
  };
}
