import { Type, type Static } from '@fastify/type-provider-typebox';
import { getBlockListing, getFeedSettings } from '@mod/db/feeds';
import { ClosedOrderStatuses, type Order, type OrderStatus } from '@mod/orders';
import { rpzHostFits } from '@mod/urls';
import { Nullable, type RouteDeps } from './common.js';
import { FEED_RENDERER, rpzOptionsOf } from './isp-feeds.js';

/**
 * How a blocking request reaches the ISP's network: `dns` (its host name in the RPZ zone, so the whole host and
 * every name under it, and in the domain list), `host-filter` (a host only the domain list can carry, for the
 * ISP's proxies: an IP address, a name the zone cannot hold), `url-filter` (one URL, in the URL list for the
 * ISP's HTTP filtering proxies; never in the RPZ, which would block the whole host), or `none` (no feed can
 * carry it: the ISP can act only on the request itself, so it is never shown as applied by a feed).
 */
export const BlockMechanisms = ['dns', 'host-filter', 'url-filter', 'none'] as const;
export type BlockMechanism = (typeof BlockMechanisms)[number];

/** Why a block is not in the RPZ, or in no feed at all. */
export const BlockLimits = ['url-level', 'ip-host', 'not-in-zone', 'content-hash', 'not-listable'] as const;

/**
 * Where the block stands: `cannot-apply` (no feed carries it), `not-listed` (in force, but the ISP's feed does
 * not list it yet: the ISP has not fetched a feed since), `listed` (in the ISP's feed, no acknowledgement yet),
 * `applied` / `failed` (the ISP's latest acknowledgement), `ended` (no longer in force: off the feeds).
 */
export const BlockStates = ['cannot-apply', 'not-listed', 'listed', 'applied', 'failed', 'ended'] as const;

const lit = <T extends readonly string[]>(values: T) => Type.Union(values.map((v) => Type.Literal(v)));

export const BlockApplicationBody = Type.Object(
  {
    mechanism: lit(BlockMechanisms),
    /** The feeds that list it: `rpz`, `domain-list`, `url-list` (none for `none`). */
    feeds: Type.Array(lit(['rpz', 'domain-list', 'url-list'] as const)),
    /** Why it is not in the RPZ (`url-level`, `ip-host`, `not-in-zone`), or in no feed; null for `dns`. */
    limit: Nullable(lit(BlockLimits)),
    state: lit(BlockStates),
    /** The ISP the request is addressed to. */
    ispTenantId: Type.String(),
    /** The ISP's feed serial since which the block is listed; null when the feed does not list it. */
    listedSince: Nullable(Type.Integer()),
    /** The ISP's current feed serial; null before its first feed request. */
    feedSerial: Nullable(Type.Integer()),
    acknowledgement: Type.Object(
      {
        status: lit(['applied', 'failed', 'none'] as const),
        at: Nullable(Type.String()),
        note: Nullable(Type.String()),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type BlockApplication = Static<typeof BlockApplicationBody>;

type Placement = Pick<BlockApplication, 'mechanism' | 'feeds' | 'limit'>;

/**
 * Which feeds carry a blocking request's subject, as the feeds render it (`FEED_RENDERER`: a URL subject is
 * URL-level, a host subject host-level) and as the ISP's zone can hold it.
 */
export function placementOf(
  subject: { type: string; value: string },
  fitsZone: (host: string) => boolean,
): Placement {
  if (subject.type === 'content-hash') return { mechanism: 'none', feeds: [], limit: 'content-hash' };
  const lines = FEED_RENDERER.linesOf({
    id: 'subject',
    target: subject.value,
    dedicatedToAbuse: subject.type === 'host',
  });
  if (lines.urlLine !== null) return { mechanism: 'url-filter', feeds: ['url-list'], limit: 'url-level' };
  if (lines.rpzHost !== null && fitsZone(lines.rpzHost))
    return { mechanism: 'dns', feeds: ['rpz', 'domain-list'], limit: null };
  if (lines.hostLine !== null)
    return {
      mechanism: 'host-filter',
      feeds: ['domain-list'],
      limit: /^[\d.]+$|:/.test(lines.hostLine) ? 'ip-host' : 'not-in-zone',
    };
  return { mechanism: 'none', feeds: [], limit: 'not-listable' };
}

/** The block's state from its placement, whether it is in force, its listing and the ISP's acknowledgement. */
export function blockStateOf(
  a: Pick<BlockApplication, 'mechanism' | 'listedSince' | 'acknowledgement'> & { status: OrderStatus },
): BlockApplication['state'] {
  if (ClosedOrderStatuses.includes(a.status)) return 'ended';
  if (a.acknowledgement.status === 'failed' && a.status === 'reopened') return 'failed';
  if (a.mechanism === 'none') return 'cannot-apply';
  if (a.acknowledgement.status === 'applied' && (a.status === 'actioned' || a.status === 'verified'))
    return 'applied';
  return a.listedSince === null ? 'not-listed' : 'listed';
}

/** How a blocking order is applied at its ISP (null for a takedown, or an order not found). */
export async function blockApplicationOf(
  deps: Pick<RouteDeps, 'db'>,
  order: Pick<Order, 'id' | 'kind' | 'subject' | 'status'>,
): Promise<BlockApplication | null> {
  if (order.kind !== 'blocking') return null;
  const listing = await getBlockListing(deps.db, order.id);
  if (listing === null) return null;
  const rpz = rpzOptionsOf(await getFeedSettings(deps.db, listing.ispTenantId));
  const placement = placementOf(order.subject, (host) => rpzHostFits(host, rpz));
  const listedSince = placement.mechanism === 'none' ? null : listing.listedSince;
  return {
    ...placement,
    state: blockStateOf({
      mechanism: placement.mechanism,
      listedSince,
      acknowledgement: listing.acknowledgement,
      status: order.status,
    }),
    ispTenantId: listing.ispTenantId,
    listedSince,
    feedSerial: listing.feedSerial,
    acknowledgement: listing.acknowledgement,
  };
}
