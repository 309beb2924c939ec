import type { Queryable } from '@mod/db';
import { Counter, type Registry } from '@mod/telemetry';
import { ApiError, tooLarge, unavailable } from '../errors.js';
import { createSharedRateLimits, type SharedRateLimiter } from '../shared-rate-limit.js';

/**
 * Each ISP tenant's quota of traffic-sample lines (`ISP_TRAFFIC_LINES_PER_HOUR`, `ISP_TRAFFIC_LINES_BURST`): lines,
 * not requests, since one upload carries up to 100,000 lines and every line is a message the fetcher reads in
 * order, behind which the other ISPs' samples wait.
 */
export interface IspTrafficQuota {
  /** Lines an ISP tenant may upload per hour, sustained. */
  linesPerHour: number;
  /** Lines an ISP tenant may upload at once after a quiet spell: at least one whole upload's lines. */
  burst: number;
}

/** One million lines an hour per ISP, two whole uploads at once. */
export const DEFAULT_ISP_TRAFFIC_QUOTA: IspTrafficQuota = { linesPerHour: 1_000_000, burst: 200_000 };

/** An ISP tenant's line quota, as the upload route uses it. */
export interface TrafficLineQuota {
  /**
   * Charges an upload's accepted lines to its tenant before anything is queued; throws the refusal (429 with
   * `retry-after`, 413 when the upload alone is larger than the burst, 503 when the database cannot tell). On `db`
   * (a transaction's client, to charge with what it writes) or the pool.
   */
  charge(tenantId: string, lines: number, db?: Queryable): Promise<void>;
  /**
   * Gives back charged lines that were not queued because the broker did not take them (our fault, not the
   * ISP's): the upload is refused and sent again, and must not cost the ISP twice. Never above the burst.
   * Rejects when the database does not answer (the lines stay charged; the caller logs it). On `db` or the pool.
   */
  refund(tenantId: string, lines: number, db?: Queryable): Promise<void>;
}

/** What the route refusals are counted by (`mod_api_isp_traffic_refused_total`). */
export type TrafficRefusal = 'quota' | 'larger_than_burst' | 'database';

/**
 * Keys of the tenants' buckets are keyed digests like every shared bucket's; a tenant's id is no secret, but the
 * digest must be the same on every instance, so its key is fixed rather than a configured secret.
 */
const TENANT_KEY_SECRET = Buffer.from('mod.isp-traffic.lines.v1');

/**
 * The quota, in the shared `rate_buckets` table (one bucket per ISP tenant for every API instance), and the count
 * of refused uploads by tenant (ISP tenants are few: the label's values are bounded) and reason.
 */
export function createTrafficQuota(o: {
  db: Queryable;
  registry: Registry;
  quota: IspTrafficQuota;
  now: () => Date;
}): TrafficLineQuota {
  const { linesPerHour, burst } = o.quota;
  const limiter: SharedRateLimiter = createSharedRateLimits({ db: o.db, secret: TENANT_KEY_SECRET }).limiter(
    'isp.traffic-lines',
    { ratePerSecond: linesPerHour / 3600, burst },
  );
  const refused = new Counter({
    name: 'mod_api_isp_traffic_refused_total',
    help: 'traffic-sample uploads refused whole by the per-ISP line quota, by tenant and reason (quota, larger_than_burst, database)',
    labelNames: ['tenant', 'reason'] as const,
    registers: [o.registry],
  });
  const refuse = (tenant: string, reason: TrafficRefusal, err: ApiError) => {
    refused.inc({ tenant, reason });
    return err;
  };
  const charge = async (tenantId: string, lines: number, db: Queryable = o.db): Promise<void> => {
    if (lines <= 0) return;
    if (lines > burst)
      throw refuse(
        tenantId,
        'larger_than_burst',
        tooLarge(
          `an upload of ${lines} lines exceeds the ${burst} lines this ISP may upload at once; split it`,
        ),
      );
    let decision;
    try {
      decision = await limiter.take(tenantId, o.now().getTime(), db, lines);
    } catch {
      throw refuse(tenantId, 'database', unavailable('the traffic quota cannot be checked; try again', 30));
    }
    if (decision.allowed) return;
    const retryAfterS = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw refuse(
      tenantId,
      'quota',
      new ApiError(
        429,
        'MOD_ERR_API_RATE_LIMITED',
        `this ISP's traffic-sample quota (${linesPerHour} lines an hour) has ${decision.remaining} lines left, ` +
          `fewer than the ${lines} of this upload; nothing was queued`,
        retryAfterS,
      ),
    );
  };
  const refund = async (tenantId: string, lines: number, db: Queryable = o.db): Promise<void> => {
    if (lines > 0) await limiter.giveBack(tenantId, o.now().getTime(), lines, db);
  };
  return { charge, refund };
}
