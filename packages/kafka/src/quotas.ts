import { ClientQuotaEntityTypes, ClientQuotaKeys, ClientQuotaMatchTypes } from '@platformatic/kafka';
import type { PartnerQuotas } from '@mod/contracts';
import { withAdmin } from './admin.js';
import type { Kafka } from './client.js';

/**
 * What one SCRAM user may take of every broker (`PartnerQuotas`' fields), each a per-broker rate the broker
 * enforces by delaying the user's requests (request percentage: 100 is one broker thread).
 */
export type UserQuotas = PartnerQuotas;

const KEYS = {
  produceBytesPerSecond: ClientQuotaKeys.PRODUCER_BYTE_RATE,
  fetchBytesPerSecond: ClientQuotaKeys.CONSUMER_BYTE_RATE,
  requestPercentage: ClientQuotaKeys.REQUEST_PERCENTAGE,
} as const;
const FIELDS = Object.keys(KEYS) as (keyof UserQuotas)[];

async function alter(kafka: Kafka, user: string, quotas: UserQuotas | null): Promise<void> {
  const entries = await withAdmin(kafka, (admin) =>
    admin.alterClientQuotas({
      entries: [
        {
          entities: [{ entityType: ClientQuotaEntityTypes.USER, entityName: user }],
          ops: FIELDS.map((f) =>
            quotas === null
              ? { key: KEYS[f], remove: true }
              : { key: KEYS[f], value: quotas[f], remove: false },
          ),
        },
      ],
    }),
  );
  const refused = entries.find((e) => e.errorCode !== 0);
  if (refused !== undefined)
    throw new Error(
      `the broker refused the quotas of ${user}: ${refused.errorMessage ?? `error ${refused.errorCode}`}`,
    );
}

/** Sets a user's quotas (the same values again change nothing). Needs the admin principal. */
export function setUserQuotas(kafka: Kafka, user: string, quotas: UserQuotas): Promise<void> {
  return alter(kafka, user, quotas);
}

/** Removes a user's quotas (the broker's defaults apply again). Needs the admin principal. */
export function removeUserQuotas(kafka: Kafka, user: string): Promise<void> {
  return alter(kafka, user, null);
}

/** The quotas set for exactly this user (those of its own, none inherited from defaults). Needs the admin principal. */
export async function userQuotasOf(kafka: Kafka, user: string): Promise<Partial<UserQuotas>> {
  const entries = await withAdmin(kafka, (admin) =>
    admin.describeClientQuotas({
      components: [
        { entityType: ClientQuotaEntityTypes.USER, matchType: ClientQuotaMatchTypes.EXACT, match: user },
      ],
      strict: true,
    }),
  );
  const out: Partial<UserQuotas> = {};
  for (const entry of entries)
    for (const { key, value } of entry.values) {
      const field = FIELDS.find((f) => KEYS[f] === key);
      if (field !== undefined) out[field] = value;
    }
  return out;
}
