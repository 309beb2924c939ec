import { addEntries, createBank } from '@mod/curation';
import { type Pool } from '@mod/db';
import { createApiKey, upsertTenant, type Role, type Tenant } from '@mod/db/access';
import { hashMedia } from '@mod/hashing/decode';
import { syntheticPhoto } from './images.js';

export const DEMO_KNOWN_SEEDS = [101, 202, 303] as const;
/** Pictures a hotline suspects but has not confirmed: matches go to a person (a review case), not to orders. */
export const DEMO_SUSPECTED_SEEDS = [404, 505] as const;

/** The demo's tenants: a video platform, two ISPs that take blocking lists, and an authority. */
const DEMO_TENANTS: readonly Tenant[] = [
  { id: 'demo-platform', kind: 'platform', name: 'Demo video platform', subscribedToBlocking: false },
  { id: 'demo-isp-1', kind: 'isp', name: 'Demo ISP 1', subscribedToBlocking: true },
  { id: 'demo-isp-2', kind: 'isp', name: 'Demo ISP 2', subscribedToBlocking: true },
  { id: 'demo-authority', kind: 'authority', name: 'Demo authority', subscribedToBlocking: false },
];

export interface DemoKeys {
  platform: string;
  isp1: string;
  isp2: string;
  authority: string;
}

/**
 * Tenants, one API key per demo user (new keys each run), a demo bank of stand-in hashes whose matches issue orders,
 * and a review bank whose matches open review cases for the demo reviewer. Idempotent.
 */
export async function seedDemo(
  db: Pool,
  changesTopic: string,
): Promise<{ keys: DemoKeys; bankEntries: number }> {
  for (const tenant of DEMO_TENANTS) await upsertTenant(db, tenant);
  const key = async (tenantId: string, role: Role) =>
    (await createApiKey(db, { tenantId, role, label: 'demo' })).key;
  const keys: DemoKeys = {
    platform: await key('demo-platform', 'platform'),
    isp1: await key('demo-isp-1', 'isp'),
    isp2: await key('demo-isp-2', 'isp'),
    authority: await key('demo-authority', 'authority'),
  };
  const { bank } = await createBank(
    db,
    {
      name: 'demo-known-abuse',
      source: 'demo (synthetic stand-ins, not real material)',
      licence: 'CC0',
      version: '1',
      signalTypes: ['blockhash', 'pdq', 'sha256'],
      categoryScheme: 'IWF A/B/C',
      actionPolicy: 'automatic',
    },
    changesTopic,
  );
  const entries = await perceptualEntries(DEMO_KNOWN_SEEDS, 'A');
  await addEntries(db, bank.id, entries, changesTopic);
  const { bank: review } = await createBank(
    db,
    {
      name: 'demo-suspected',
      source: 'demo (synthetic stand-ins, not real material)',
      licence: 'CC0',
      version: '1',
      signalTypes: ['blockhash', 'pdq'],
      categoryScheme: 'IWF A/B/C',
      actionPolicy: 'review',
    },
    changesTopic,
  );
  const suspected = await perceptualEntries(DEMO_SUSPECTED_SEEDS, 'B');
  await addEntries(db, review.id, suspected, changesTopic);
  return { keys, bankEntries: entries.length + suspected.length };
}

/** Both perceptual hashes of each seed's picture, as shared lists carry them. */
async function perceptualEntries(seeds: readonly number[], category: string) {
  const entries = [];
  for (const seed of seeds) {
    const h = await hashMedia(await syntheticPhoto(seed));
    const provenance = `demo seed ${seed}`;
    entries.push({ signal: 'blockhash' as const, value: h.blockhash, category, provenance });
    entries.push({ signal: 'pdq' as const, value: h.pdq, quality: h.pdqQuality, category, provenance });
  }
  return entries;
}
