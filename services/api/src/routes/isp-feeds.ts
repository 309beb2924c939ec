import { Type } from '@fastify/type-provider-typebox';
import {
  getFeedSettings,
  listFeedChanges,
  listWantedBlocklist,
  lockFeedState,
  saveFeedChange,
  withTransaction,
  type FeedSnapshotRow,
} from '@mod/db';
import {
  FeedFormat,
  etagMatches,
  planBlocklistChange,
  renderFeed,
  renderIncremental,
  type RpzOptions,
} from '@mod/urls';
import { principalOf } from '../auth.js';
import { ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

const FormatParam = Type.Union([
  Type.Literal(FeedFormat.Rpz),
  Type.Literal(FeedFormat.UrlList),
  Type.Literal(FeedFormat.DomainList),
]);

/**
 * Brings the ISP's stored feed up to date with what it must block now, in one transaction that holds the
 * ISP's feed row: the serial rises only when the entries changed, and the change is kept for incremental
 * answers. Returns the current snapshot.
 */
export async function refreshFeed(
  deps: Pick<RouteDeps, 'db'>,
  ispTenantId: string,
): Promise<FeedSnapshotRow> {
  return withTransaction(deps.db, async (c) => {
    const current = await lockFeedState(c, ispTenantId);
    const wanted = await listWantedBlocklist(c, ispTenantId);
    const plan = planBlocklistChange(current, wanted);
    if (plan === null) return current;
    const snapshot = { serial: plan.snapshot.serial, entries: [...plan.snapshot.entries] };
    await saveFeedChange(c, ispTenantId, snapshot, {
      fromSerial: plan.change.fromSerial,
      toSerial: plan.change.toSerial,
      added: [...plan.change.added],
      removed: [...plan.change.removed],
    });
    return snapshot;
  });
}

/**
 * Blocklist feeds for ISPs, each ISP only its own: a DNS RPZ zone, a URL list for proxies and a domain list;
 * full, or incremental with `?since=SERIAL`; ETag / If-None-Match answers 304.
 */
export function ispFeedRoutes(app: TypedApp, deps: RouteDeps): void {
  app.get(
    '/v1/isp/feeds/:format',
    {
      config: { roles: ['isp'], tenant: 'own' },
      schema: {
        description:
          'Full feed, or with `since` the lines added (`+line`) and removed (`-line`) since that serial; an unknown ' +
          'or too old serial gets the full feed (header x-feed-kind: full). Headers: etag, x-feed-serial.',
        params: Type.Object({ format: FormatParam }, { additionalProperties: false }),
        querystring: Type.Object(
          { since: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.String({ description: 'the feed as text (RPZ master file or one entry per line)' }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const isp = principalOf(req).tenantId;
      const format = req.params.format;
      const snapshot = await refreshFeed(deps, isp);
      const settings = await getFeedSettings(deps.db, isp);
      const rpz: RpzOptions = {
        zoneName: settings.zoneName,
        action:
          settings.walledGardenHost === null
            ? { type: 'nxdomain' }
            : { type: 'walled-garden', host: settings.walledGardenHost },
      };
      reply.header('x-feed-serial', String(snapshot.serial));
      const since = req.query.since;
      if (since !== undefined) {
        const changes = await listFeedChanges(deps.db, isp, since);
        const inc = renderIncremental(format, snapshot, changes, since, rpz);
        if (inc.kind === 'incremental') {
          reply.header('etag', inc.etag).header('x-feed-kind', 'incremental');
          if (etagMatches(req.headers['if-none-match'], inc.etag)) return reply.code(304).send();
          const comment = format === FeedFormat.Rpz ? ';' : '#';
          const body = [
            `${comment} ${format} changes from serial ${inc.fromSerial} to ${inc.toSerial}`,
            ...(inc.soa === null ? [] : [`${comment} ${inc.soa}`]),
            ...inc.removed.map((line) => `-${line}`),
            ...inc.added.map((line) => `+${line}`),
          ].join('\n');
          return reply.type('text/plain; charset=utf-8').send(`${body}\n`);
        }
      }
      const feed = renderFeed(format, snapshot, rpz);
      reply.header('etag', feed.etag).header('x-feed-kind', 'full');
      if (etagMatches(req.headers['if-none-match'], feed.etag)) return reply.code(304).send();
      return reply.type(feed.contentType).send(feed.body);
    },
  );
}
