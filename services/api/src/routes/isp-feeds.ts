import { Type, type Static } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  getFeedSettings,
  listFeedLineChanges,
  refreshFeedState,
  streamFeedLines,
  upToDateFeedState,
  type FeedLineColumn,
  type FeedRenderer,
  type FeedSettings,
  type FeedState,
} from '@mod/db/feeds';
import {
  FEED_RENDER_VERSION,
  FeedFormat,
  etagMatches,
  feedContentType,
  feedHead,
  feedLinesOf,
  fullFeedEtag,
  incrementalFromLines,
  nextSerial,
  rpzCnameTarget,
  rpzRecordsOf,
  rpzZoneName,
  Semaphore,
  type RpzOptions,
} from '@mod/urls';
import { principalOf } from '../auth.js';
import { ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

const FormatParam = Type.Union([
  Type.Literal(FeedFormat.Rpz),
  Type.Literal(FeedFormat.UrlList),
  Type.Literal(FeedFormat.DomainList),
]);

/** How @mod/urls renders entries, for the row store. */
export const FEED_RENDERER: FeedRenderer = {
  version: FEED_RENDER_VERSION,
  nextSerial,
  linesOf: (entry) => {
    const { urlLine, hostLine, rpzHost } = feedLinesOf(entry);
    return { urlLine, hostLine, rpzHost };
  },
};

/** The stored line each format lists. */
const COLUMN: Readonly<Record<FeedFormat, FeedLineColumn>> = {
  [FeedFormat.Rpz]: 'rpz_host',
  [FeedFormat.UrlList]: 'url_line',
  [FeedFormat.DomainList]: 'host_line',
};

/** Feed refreshes that may run at once in one process, whatever the ISPs: each holds a database connection. */
export const FEED_REFRESHES_AT_ONCE = 2;

/** An ISP's refreshes in this process: the one running, and the one its requests since then wait for. */
interface IspRefreshes {
  running: Promise<FeedState> | null;
  queued: Promise<FeedState> | null;
}

/** Per pool: the refresh slots, and each ISP's refreshes. */
const refreshing = new WeakMap<RouteDeps['db'], { slots: Semaphore; isps: Map<string, IspRefreshes> }>();

/**
 * Brings the ISP's stored feed up to date with what it must block now (one transaction holding the ISP's feed
 * row: the serial rises only when the entries changed). Returns the current serial and history. A refresh can
 * take seconds after a large list change, and waiting for the ISP's row lock holds a connection: so at most
 * {@link FEED_REFRESHES_AT_ONCE} refreshes run at once, and an ISP's requests that come while one of its
 * refreshes runs share the next (which reads what committed before they came), waiting without a connection.
 * ISPs polling together never hold every connection of the pool, which every other request needs. A feed
 * already up to date answers at once (`upToDateFeedState`).
 */
export async function refreshFeed(deps: Pick<RouteDeps, 'db'>, ispTenantId: string): Promise<FeedState> {
  // Most polls find nothing changed: they take no slot, nor the row lock a long refresh holds.
  const current = await upToDateFeedState(deps.db, ispTenantId, FEED_RENDERER);
  if (current !== null) return current;
  let pool = refreshing.get(deps.db);
  if (pool === undefined) {
    pool = { slots: new Semaphore(FEED_REFRESHES_AT_ONCE), isps: new Map() };
    refreshing.set(deps.db, pool);
  }
  const { slots, isps } = pool;
  let isp = isps.get(ispTenantId);
  if (isp === undefined) {
    isp = { running: null, queued: null };
    isps.set(ispTenantId, isp);
  }
  const refreshes = isp;
  const refreshOnce = async (): Promise<FeedState> => {
    const release = (await slots.acquire(new AbortController().signal))!;
    try {
      const { serial, historyFrom } = await refreshFeedState(deps.db, ispTenantId, FEED_RENDERER);
      return { serial, historyFrom };
    } finally {
      release();
    }
  };
  const start = (): Promise<FeedState> => {
    const run: Promise<FeedState> = refreshOnce().finally(() => {
      if (refreshes.running === run) refreshes.running = null;
    });
    refreshes.running = run;
    return run;
  };
  if (refreshes.queued !== null) return refreshes.queued;
  if (refreshes.running === null) return start();
  const queued = refreshes.running
    .catch(() => undefined)
    .then(() => {
      refreshes.queued = null;
      return start();
    });
  refreshes.queued = queued;
  return queued;
}

/** How the ISP's RPZ is written, from its feed settings: zone name, NXDOMAIN or a walled-garden CNAME. */
export function rpzOptionsOf(settings: FeedSettings): RpzOptions {
  return {
    zoneName: settings.zoneName,
    action:
      settings.walledGardenHost === null
        ? { type: 'nxdomain' }
        : { type: 'walled-garden', host: settings.walledGardenHost },
  };
}

/** `?since=SERIAL`: the changes since that serial instead of the full feed. */
export const FeedSinceQuery = Type.Object(
  { since: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })) },
  { additionalProperties: false },
);

/** What every feed request starts from: the ISP, its feed brought up to date, and the `since` it can answer. */
export interface FeedRequest {
  isp: string;
  state: FeedState;
  /** The serial an incremental answer starts from; null when the full feed is owed (none asked, or unknown). */
  since: number | null;
}

/**
 * Starts an answer of any of the ISP's feeds: refreshes its feed (`refreshFeed`), sets `x-feed-serial`, and
 * says whether `since` can be answered incrementally (within the kept history), else the full feed is owed.
 */
export async function startFeedAnswer(
  deps: Pick<RouteDeps, 'db'>,
  req: FastifyRequest,
  reply: FastifyReply,
  since: Static<typeof FeedSinceQuery>['since'],
): Promise<FeedRequest> {
  const isp = principalOf(req).tenantId;
  const state = await refreshFeed(deps, isp);
  reply.header('x-feed-serial', String(state.serial));
  const answerable = since !== undefined && since >= state.historyFrom && since <= state.serial;
  return { isp, state, since: answerable ? since : null };
}

/** Sets the answer's ETag and `x-feed-kind`; true when the client's If-None-Match already holds it (answer 304). */
export function feedNotModified(
  req: FastifyRequest,
  reply: FastifyReply,
  etag: string,
  kind: 'full' | 'incremental',
): boolean {
  reply.header('etag', etag).header('x-feed-kind', kind);
  return etagMatches(req.headers['if-none-match'], etag);
}

/**
 * Blocklist feeds for ISPs, each ISP only its own: a DNS RPZ zone, a URL list for proxies and a domain list;
 * full (streamed from the database), or incremental with `?since=SERIAL`; ETag / If-None-Match answers 304.
 */
export async function ispFeedRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/feeds/:format',
    {
      config: { roles: ['isp'], tenant: 'own' },
      schema: {
        description:
          'Full feed, or with `since` the lines added (`+line`) and removed (`-line`) since that serial; an unknown ' +
          'or too old serial gets the full feed (header x-feed-kind: full). Headers: etag, x-feed-serial.',
        params: Type.Object({ format: FormatParam }, { additionalProperties: false }),
        querystring: FeedSinceQuery,
        response: {
          200: Type.String({ description: 'the feed as text (RPZ master file or one entry per line)' }),
          304: Type.Null({ description: 'not modified since the ETag in If-None-Match' }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const format = req.params.format;
      const { isp, state, since } = await startFeedAnswer(deps, req, reply, req.query.since);
      const rpz = rpzOptionsOf(await getFeedSettings(deps.db, isp));
      const zoneLength = rpzZoneName(rpz).length;
      const cnameTarget = rpzCnameTarget(rpz);
      if (since !== null) {
        const changes = await listFeedLineChanges(deps.db, {
          ispTenantId: isp,
          column: COLUMN[format],
          fromSerial: since,
          toSerial: state.serial,
          rpz: { zoneLength },
        });
        const lines = (hosts: string[]) =>
          format === FeedFormat.Rpz ? hosts.flatMap((h) => rpzRecordsOf(h, cnameTarget)) : hosts;
        const inc = incrementalFromLines(
          format,
          since,
          state.serial,
          lines(changes.added),
          lines(changes.removed),
          rpz,
        );
        if (feedNotModified(req, reply, inc.etag, 'incremental')) return reply.code(304).send(null);
        const comment = format === FeedFormat.Rpz ? ';' : '#';
        const body = [
          `${comment} ${format} changes from serial ${inc.fromSerial} to ${inc.toSerial}`,
          ...(inc.soa === null ? [] : [`${comment} ${inc.soa}`]),
          ...inc.removed.map((line) => `-${line}`),
          ...inc.added.map((line) => `+${line}`),
        ].join('\n');
        return reply.type('text/plain; charset=utf-8').send(`${body}\n`);
      }
      const etag = fullFeedEtag(format, state.serial, isp, rpz);
      if (feedNotModified(req, reply, etag, 'full')) return reply.code(304).send(null);
      const body = streamFeedLines(deps.db, {
        ispTenantId: isp,
        serial: state.serial,
        column: COLUMN[format],
        head: feedHead(format, state.serial, rpz),
        rpz: { zoneLength, cnameTarget },
      });
      body.once('error', (err) => req.log.error({ err }, 'feed stream failed'));
      // A stream is sent as it is (the string schema documents what it carries).
      return reply.type(feedContentType(format)).send(body as unknown as string);
    },
  );
}
