import { addEntries, createBank } from '@mod/curation';
import { type Pool } from '@mod/db';
import { createApiKey, upsertTenant, type Role } from '@mod/db/access';
import { hashMedia } from '@mod/hashing/decode';
import { syntheticPhoto } from './images.js';

export const DEMO_KNOWN_SEEDS = [101, 202, 303] as const;

export interface DemoKeys {
  platform: string;
  isp1: string;
  isp2: string;
  authority: string;
}

/** Tenants, one API key per demo user (new keys each run), and a demo bank of stand-in hashes. Idempotent. */
export async function seedDemo(
  db: Pool,
  changesTopic: string,
): Promise<{ keys: DemoKeys; bankEntries: number }> {
  await upsertTenant(db, {
    id: 'demo-platform',
    kind: 'platform',
    name: 'Demo video platform',
    subscribedToBlocking: false,
  });
  await upsertTenant(db, { id: 'demo-isp-1', kind: 'isp', name: 'Demo ISP 1', subscribedToBlocking: true });
  await upsertTenant(db, { id: 'demo-isp-2', kind: 'isp', name: 'Demo ISP 2', subscribedToBlocking: true });
  await upsertTenant(db, {
    id: 'demo-authority',
    kind: 'authority',
    name: 'Demo authority',
    subscribedToBlocking: false,
  });
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
  const entries = [];
  for (const seed of DEMO_KNOWN_SEEDS) {
    const h = await hashMedia(await syntheticPhoto(seed));
    entries.push({
      signal: 'blockhash' as const,
      value: h.blockhash,
      category: 'A',
      provenance: `demo seed ${seed}`,
    });
    entries.push({
      signal: 'pdq' as const,
      value: h.pdq,
      quality: h.pdqQuality,
      category: 'A',
      provenance: `demo seed ${seed}`,
    });
  }
  await addEntries(db, bank.id, entries, changesTopic);
  return { keys, bankEntries: entries.length };
}
