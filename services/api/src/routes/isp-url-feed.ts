import { Readable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import {
  listFeedLineChanges,
  listUrlLineOrders,
  listUrlLinesWithOrderChanges,
  streamFeedLines,
} from '@mod/db/feeds';
import { FeedFormat, fullFeedEtag, incrementalFromLines } from '@mod/urls';
import { ErrorResponses, type RouteDeps, type TypedApp } from './common.js';
import { FeedSinceQuery, feedNotModified, startFeedAnswer } from './isp-feeds.js';

const FORMAT = FeedFormat.UrlList;

const UrlEntry = Type.Object(
  {
    /** The normalised URL without its scheme (`host/path?query`), as the text URL list has it. */
    url: Type.String(),
    /**
     * The ISP's blocking requests this line applies: acknowledge each (`POST
     * /v1/isp/blocking-requests/:orderId/acknowledgements`) once the proxy blocks the URL. Empty for a line that
     * only the URL lists carry (no request to acknowledge).
     */
    orderIds: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

const FullJson = Type.Object(
  {
    format: Type.Literal(FORMAT),
    kind: Type.Literal('full'),
    serial: Type.Integer(),
    entries: Type.Array(UrlEntry),
  },
  { additionalProperties: false },
);

const IncrementalJson = Type.Object(
  {
    format: Type.Literal(FORMAT),
    kind: Type.Literal('incremental'),
    fromSerial: Type.Integer(),
    toSerial: Type.Integer(),
    added: Type.Array(UrlEntry),
    removed: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

/** The JSON form's ETag, kept apart from the text form's (same serials, another body). */
const jsonEtag = (etag: string): string => `${etag.slice(0, -1)}-json"`;

/**
 * The full feed's JSON, streamed as the text URL list is (`streamFeedLines`, page by page in byte order): each
 * line becomes an entry with the orders behind it (`orders`, read once: bounded by the ISP's open requests).
 */
async function* fullJson(
  lines: Readable,
  serial: number,
  orders: ReadonlyMap<string, readonly string[]>,
): AsyncGenerator<string> {
  yield `{"format":${JSON.stringify(FORMAT)},"kind":"full","serial":${serial},"entries":[`;
  let first = true;
  let rest = '';
  for await (const chunk of lines) {
    const text = rest + String(chunk);
    const parts = text.split('\n');
    rest = parts.pop() ?? '';
    let out = '';
    for (const url of parts) {
      if (url === '') continue;
      out += `${first ? '' : ','}\n${JSON.stringify({ url, orderIds: orders.get(url) ?? [] })}`;
      first = false;
    }
    if (out !== '') yield out;
  }
  if (rest !== '') throw new Error('the URL feed ended inside a line');
  yield '\n]}\n';
}

/**
 * The URL list for ISPs' HTTP filtering proxies as JSON (`GET /v1/isp/feeds/url-list.json`): the same lines,
 * serials, history and `since` as the text URL list (the one stored feed, `startFeedAnswer`), each line with the
 * blocking requests it applies, which the proxy acknowledges through the ISPs' acknowledgement route. These
 * URL-level blocks are never in the RPZ: DNS can only block a whole host name.
 */
export async function ispUrlFeedRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/feeds/url-list.json',
    {
      config: { roles: ['isp'], tenant: 'own' },
      schema: {
        description:
          'The URL list (URL-level blocks, for HTTP filtering proxies; never in the RPZ) as JSON, each URL with ' +
          'the blocking requests it applies. Full, or with `since` the URLs added and removed since that serial, ' +
          '`added` also holding a URL listed all along whose requests changed, with those it applies now (an ' +
          'unknown or too old serial gets the full feed). Headers: etag, x-feed-serial, x-feed-kind.',
        querystring: FeedSinceQuery,
        response: {
          200: Type.Union([FullJson, IncrementalJson]),
          304: Type.Null({ description: 'not modified since the ETag in If-None-Match' }),
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const { isp, state, since } = await startFeedAnswer(deps, req, reply, req.query.since);
      const serial = state.serial;
      if (since !== null) {
        const window = { ispTenantId: isp, fromSerial: since, toSerial: serial };
        const changes = await listFeedLineChanges(deps.db, { ...window, column: 'url_line' });
        // A line listed all along whose requests changed is told again with them: the proxy acknowledges those.
        const reordered = await listUrlLinesWithOrderChanges(deps.db, window);
        const added = [...new Set([...changes.added, ...reordered])];
        const inc = incrementalFromLines(FORMAT, since, serial, added, changes.removed);
        if (feedNotModified(req, reply, jsonEtag(inc.etag), 'incremental')) return reply.code(304).send(null);
        const orders = await listUrlLineOrders(deps.db, { ispTenantId: isp, serial, lines: inc.added });
        return reply.type('application/json; charset=utf-8').send({
          format: FORMAT,
          kind: 'incremental' as const,
          fromSerial: inc.fromSerial,
          toSerial: inc.toSerial,
          added: inc.added.map((url) => ({ url, orderIds: orders.get(url) ?? [] })),
          removed: [...inc.removed],
        });
      }
      const etag = jsonEtag(fullFeedEtag(FORMAT, serial, isp));
      if (feedNotModified(req, reply, etag, 'full')) return reply.code(304).send(null);
      const orders = await listUrlLineOrders(deps.db, { ispTenantId: isp, serial });
      const lines = streamFeedLines(deps.db, { ispTenantId: isp, serial, column: 'url_line', head: '' });
      const body = Readable.from(fullJson(lines, serial, orders), { objectMode: false });
      body.once('error', (err) => req.log.error({ err }, 'URL feed stream failed'));
      // A stream is sent as it is (the schema documents what it carries).
      return reply.type('application/json; charset=utf-8').send(body as never);
    },
  );
}
