import { randomBytes } from 'node:crypto';
import { beforeAll, expect } from 'vitest';
import { listAudit } from '@mod/db/audit';
import { mapHostToPlatform } from '@mod/db/orders';
import { seedTenants } from '@mod/testing';
import { callWithKey } from './review-flow-browser.js';
import { kafkaPlatform, makePhoto, publishPartnerMedia, type Partner } from './helpers.js';
import { openApi, partner, usePlatformWorld, world, type ApiScene } from './file-world.js';

/**
 * The scene of the review-flow test: one world (its schema and topics) with the scanner, classifier, actioner and
 * API running in this process as in the classifier and evidence-vault tests (every classified image asks for
 * review; the vault and staff accounts keyed), the API listening on loopback for real HTTP; tenants (the platform
 * publishing on Kafka, a subscribed ISP, a hotline for reviewers and curators, an authority) and an admin key;
 * three photos published by the platform, hosted under a host the platform owns, so a confirmation issues a
 * blocking order to the ISP and a takedown to the platform. Below it, what the tests read of the world: audit
 * records and their evidence, classifier skips, banks made by the admin.
 */

export const HOTLINE = 'hotline-1';
export const AUTHORITY = 'authority-1';
export const ISP = 'isp-1';
export const PLATFORM = 'platform-1';
const HOST = 'cdn.platform-1.example';

/** A photo the platform published, which the classifier flags. */
export interface Flagged {
  bytes: Buffer;
  submissionId: string;
  url: string;
}

export interface ReviewScene extends ApiScene {
  partner: Partner;
  photos: { confirm: Flagged; dismiss: Flagged; escalate: Flagged };
}

export let scene: ReviewScene;

/** Starts the scene before the file's tests (`beforeAll`) and stops it after them (`afterAll`). */
export function useReviewScene(): void {
  usePlatformWorld({
    partner: (w) => kafkaPlatform(w, PLATFORM),
    pipeline: {
      env: {
        RISK_REVIEW_THRESHOLD: '0.000001',
        MOD_VAULT_MASTER_KEY: randomBytes(32).toString('base64'),
        MOD_PEOPLE_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      classifier: true,
    },
  });
  beforeAll(async () => {
    await seedTenants(world.db, [
      { id: ISP, kind: 'isp' },
      { id: HOTLINE, kind: 'hotline' },
      { id: AUTHORITY, kind: 'authority' },
    ]);
    await mapHostToPlatform(world.db, HOST, PLATFORM);
    const api = await openApi();
    const publish = async (seed: number, name: string): Promise<Flagged> => {
      const bytes = await makePhoto(seed);
      const url = `https://${HOST}/media/${name}.jpg`;
      const submissionId = await publishPartnerMedia(world, partner, bytes, { url });
      return { bytes, submissionId, url };
    };
    scene = {
      ...api,
      partner,
      photos: {
        confirm: await publish(2101, 'confirm'),
        dismiss: await publish(2102, 'dismiss'),
        escalate: await publish(2103, 'escalate'),
      },
    };
  });
}

/** The audit log's records of `action` (all of them: the world is this file's alone). */
export async function auditRecords(action: string) {
  return (await listAudit(scene.world.db, { limit: 100_000 })).filter((r) => r.action === action);
}

/**
 * The evidence of an audit record by name, as oversight reads it through the API (`GET
 * /v1/audit/records/:seq/evidence`, the admin key): the record itself carries only their digests.
 */
export async function auditEvidence(seq: number): Promise<Record<string, unknown>> {
  const answer = await callWithKey(scene.baseUrl, scene.adminKey, 'GET', `/v1/audit/records/${seq}/evidence`);
  expect(answer.status).toBe(200);
  const { evidence } = answer.json<{ evidence: { name: string; document: string }[] }>();
  return Object.fromEntries(evidence.map((e) => [e.name, JSON.parse(e.document) as unknown]));
}

/** A case as the queue lists it (the fields the test reads). */
export interface CaseSummary {
  id: string;
  kind: string;
  stage: string;
  status: string;
  submissionId: string | null;
  reason: string;
  riskScore: number | null;
  claimedBy: string | null;
  decision: string | null;
  decidedBy: string | null;
  orderIds: string[];
}

/** An order as `GET /v1/orders` answers it (the fields the test reads). */
export interface Order {
  id: string;
  kind: string;
  targetTenantId: string;
  subject: { type: string; value: string };
  issuer: { kind: string };
  issuerTenantId: string | null;
}

/** The actors of the audit records of `action` about `subjectId`. */
export const actorsOf = async (action: string, subjectId: string) =>
  (await auditRecords(action)).filter((r) => r.subject.id === subjectId).map((r) => r.actor);
/** An audit actor that is a person. */
export const asPerson = (id: string) => ({ kind: 'person', id });

/** Media the classifier did not classify, by reason (`matched`: a list decided it). */
export async function classifierSkips(reason: string): Promise<number> {
  const metric = await scene.pipeline.registries.classifier
    .getSingleMetric('mod_classifier_skipped_total')
    ?.get();
  return metric?.values.find((v) => v.labels['reason'] === reason)?.value ?? 0;
}

/** A hash bank made by the admin over the API (blockhash and PDQ, the signals a photo's verdict carries). */
export async function createBank(b: { name: string; negative: boolean }): Promise<string> {
  const made = await callWithKey(scene.baseUrl, scene.adminKey, 'POST', '/v1/banks', {
    name: b.name,
    source: 'hotline review',
    signalTypes: ['blockhash', 'pdq'],
    negative: b.negative,
    actionPolicy: 'review',
  });
  expect(made.status, JSON.stringify(made.json())).toBe(201);
  return made.json<{ id: string }>().id;
}
