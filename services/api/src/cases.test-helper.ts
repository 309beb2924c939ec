import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { Pool } from '@mod/db';
import { upsertTenant, type Role } from '@mod/db/access';
import {
  claimReviewCase,
  closeReviewCase,
  getReviewCase,
  insertBankProposal,
  openEscalation,
} from '@mod/db/cases';
import { openCase } from '@mod/db/orders';
import { createPerson, insertSession } from '@mod/db/people';
import {
  insertSubmission,
  markSubmissionScanned,
  recordSubmissionClassification,
  recordVerdict,
} from '@mod/db/submissions';
import { csrfTokenFor, newSessionToken, tokenDigest } from '@mod/people';
import { defaultPolicy } from '@mod/policy';
import { seedTenants, type TestTenant } from '@mod/testing';
import type { EvidenceStore } from '@mod/vault';
import { SESSION_COOKIE } from './session-auth.js';

// For the case routes' tests: signed-in people, and review cases as the actioner opens them, with their media in
// the vault as the classifier keeps it.

/** A colour photograph (640 × 480 JPEG, public domain: packages/vault/fixtures/SOURCES.md). */
export const photo = readFileSync(
  new URL('../../../packages/vault/fixtures/clipper_ship.jpg', import.meta.url),
);
export const photoSha256 = createHash('sha256').update(photo).digest('hex');

/**
 * The tenants of the review tests: the platform whose media is reviewed (`plat-1`) and the hotline whose queue
 * reviews it (`hotline-1`), then `more`.
 */
export async function seedReviewTenants(db: Pool, more: readonly TestTenant[]): Promise<void> {
  await seedTenants(db, [
    { id: 'plat-1', kind: 'platform', name: 'Platform' },
    { id: 'hotline-1', kind: 'hotline', name: 'Hotline' },
    ...more,
  ]);
}

/** A person signed in (a full session): their id and the headers their browser sends (cookie, CSRF token). */
export interface SignedIn {
  personId: string;
  headers: Record<string, string>;
}

/** A person of `role` in `tenantId` with a full session, as if they had signed in with password and TOTP. */
export async function signedInPerson(
  db: Pool,
  tenantId: string,
  role: Role,
  login: string,
): Promise<SignedIn> {
  const made = await createPerson(db, {
    tenantId,
    login,
    displayName: login,
    role,
    // Never used: these people do not sign in with a password, their session is made here.
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    passwordExpiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  if (!made.ok) throw new Error(`person ${login}: ${made.reason}`);
  const token = newSessionToken();
  await insertSession(db, {
    tokenSha256: tokenDigest(token),
    personId: made.person.id,
    stage: 'full',
    clientAddress: '127.0.0.1',
    now: new Date(),
    expiresAt: new Date(Date.now() + 24 * 3_600_000),
  });
  return {
    personId: made.person.id,
    headers: { cookie: `${SESSION_COOKIE}=${token}`, 'x-csrf-token': csrfTokenFor(token) },
  };
}

/** A request as a signed-in person (JSON body when given). */
export function asPerson(
  app: FastifyInstance,
  who: SignedIn,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: who.headers,
    ...(payload === undefined ? {} : { payload }),
  });
}

/** What the classifier says about the photo (scores, risk, model versions). */
export const classification = (score: number) => ({
  scores: { drawing: 0.01, hentai: 0.02, neutral: 1 - score - 0.03, porn: score, sexy: 0 },
  apparentMinor: {
    probability: 0.8,
    flagged: true,
    facesEvaluated: true,
    ageThresholdYears: 18,
    probabilityThreshold: 0.5,
  },
  risk: { score, reviewRequired: true, explanation: 'test' },
  models: [{ id: 'nsfw', version: 'nsfwjs-2.4.2', sha256: 'f'.repeat(64) }],
  backend: 'test',
  cached: false,
});

/**
 * A review case as the actioner opens it for a classifier signal: the submission scanned (no list matched), its
 * classification, the case with the policy's evidence, and (unless `keep: false`) the photo kept in the vault.
 */
export async function seedReviewCase(
  db: Pool,
  vault: EvidenceStore | null,
  o: { tenantId: string; score: number; url?: string; createdAt?: Date; keep?: boolean },
): Promise<{ caseId: string; submissionId: string }> {
  const submissionId = randomUUID();
  const at = o.createdAt ?? new Date();
  await insertSubmission(db, {
    id: submissionId,
    tenantId: o.tenantId,
    source: 'api',
    url: o.url ?? null,
    sha256: photoSha256,
    bytes: photo.length,
  });
  const hashes = {
    sha256: photoSha256,
    sha1: createHash('sha1').update(photo).digest('hex'),
    md5: createHash('md5').update(photo).digest('hex'),
    pdq: 'c'.repeat(64),
  };
  await recordVerdict(db, {
    eventId: randomUUID(),
    submissionId,
    tenantId: o.tenantId,
    sourceEventId: randomUUID(),
    decision: 'no-match',
    hashes,
    width: 640,
    height: 480,
    hits: [],
    scannedAt: at.toISOString(),
    scannerVersion: 'scanner-test-1',
  });
  await markSubmissionScanned(db, {
    id: submissionId,
    tenantId: o.tenantId,
    sha256: photoSha256,
    decision: 'no-match',
    scannedAt: at.toISOString(),
  });
  await recordSubmissionClassification(db, {
    id: submissionId,
    tenantId: o.tenantId,
    sha256: photoSha256,
    classification: classification(o.score),
    classifiedAt: at.toISOString(),
  });
  const { id: caseId } = await openCase(db, {
    kind: 'review',
    submissionId,
    orderIds: [],
    reason: `classifier risk ${o.score.toFixed(2)} asks for review`,
    evidence: {
      hits: [],
      policyVersion: defaultPolicy.version,
      sha256: photoSha256,
      classification: { riskScore: o.score, reviewRequired: true, apparentMinor: true },
    },
    policyVersion: defaultPolicy.version,
    createdAt: at,
  });
  if (vault !== null && o.keep !== false)
    await vault.keep({
      tenantId: o.tenantId,
      submissionId,
      bytes: photo,
      sha256: photoSha256,
      reason: 'classifier',
      by: { actor: { kind: 'service', id: 'classifier' }, role: null, tenantId: null },
      at,
    });
  return { caseId, submissionId };
}

/** The number of colour components and the size of a baseline or progressive JPEG (from its SOF marker). */
export function jpegFrame(bytes: Buffer): { components: number; width: number; height: number } {
  let i = 2;
  while (i + 9 < bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!;
    const length = bytes.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc2)
      return {
        height: bytes.readUInt16BE(i + 5),
        width: bytes.readUInt16BE(i + 7),
        components: bytes[i + 9]!,
      };
    i += 2 + length;
  }
  throw new Error('not a JPEG with a frame header');
}

type RawDecoder = (input: Buffer) => {
  toColourspace(space: 'srgb'): {
    raw(): { toBuffer(o: { resolveWithObject: true }): Promise<{ data: Buffer }> };
  };
};
/** sharp, as the vault's previews use it (this package does not depend on it; the tests only decode with it). */
const sharp = createRequire(new URL('../../../packages/vault/package.json', import.meta.url))(
  'sharp',
) as RawDecoder;

/**
 * The largest difference between the red, green and blue values of any pixel of an image, decoded to sRGB:
 * 0 (or a JPEG's rounding, 1 or 2) for a greyscale picture, far more for a colour photograph.
 */
export async function colourSpread(image: Buffer): Promise<number> {
  const { data } = await sharp(image).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  let spread = 0;
  for (let i = 0; i + 2 < data.length; i += 3) {
    const r = data[i]!;
    const g = data[i + 1]!;
    const b = data[i + 2]!;
    spread = Math.max(spread, Math.abs(r - g), Math.abs(g - b), Math.abs(r - b));
  }
  return spread;
}

/**
 * The authorization matrix's case of one side (`seedAccessFixtures`): a review case of the side's tenant with
 * the photo kept as its media; for an authority, that case escalated to the side's authority tenant; for a
 * curator, the case already confirmed (category C) by another person, so that it may be proposed for a bank.
 */
export async function seedMatrixCase(
  db: Pool,
  vault: EvidenceStore,
  o: { role: Role; tenantId: string },
): Promise<string> {
  const { caseId } = await seedReviewCase(db, vault, { tenantId: o.tenantId, score: 0.9 });
  const all = { scope: { all: true as const }, reviewDeadlineHours: 24 };
  if (o.role === 'authority') {
    const from = await getReviewCase(db, caseId, all);
    if (from === null) throw new Error('matrix case vanished');
    const e = await openEscalation(db, {
      from,
      reason: 'matrix',
      authorityTenantId: o.tenantId,
      dueAt: null,
      createdAt: new Date(),
    });
    return e.id;
  }
  if (o.role === 'curator') await decidedByAnother(db, caseId);
  return caseId;
}

/**
 * A person who is none of the matrix's callers, a reviewer of a hotline of their own, made once per schema (the
 * person columns of cases and proposals reference people: migration 0020).
 */
async function matrixPerson(db: Pool, login: 'matrix-decider' | 'matrix-proposer'): Promise<string> {
  await upsertTenant(db, {
    id: 'matrix-people',
    kind: 'hotline',
    name: 'Matrix',
    subscribedToBlocking: false,
  });
  const made = await createPerson(db, {
    tenantId: 'matrix-people',
    login,
    displayName: login,
    role: 'reviewer',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA',
    passwordExpiresAt: new Date(Date.now() + 3_600_000),
    createdBy: null,
  });
  if (made.ok) return made.person.id;
  const { rows } = await db.query<{ id: string }>('select id from people where login = $1', [login]);
  if (rows[0] === undefined) throw new Error(`person ${login}: ${made.reason}`);
  return rows[0].id;
}

/** Confirms a case (category C) in the name of a person who is none of the matrix's callers. */
async function decidedByAnother(db: Pool, caseId: string): Promise<void> {
  const now = new Date();
  const decider = await matrixPerson(db, 'matrix-decider');
  await claimReviewCase(db, caseId, {
    claimedBy: decider,
    claimedAt: now,
    claimExpiresAt: new Date(now.getTime() + 60_000),
  });
  const closed = await closeReviewCase(db, caseId, {
    decision: 'confirm',
    category: 'C',
    reason: 'matrix',
    decidedBy: decider,
    decidedAt: now,
    closedBy: `reviewer:matrix-people:${decider}`,
    orderIds: [],
  });
  if (!closed) throw new Error('matrix case not closed');
}

/**
 * Two pending proposals of decided cases for `bankId`, by a person who is none of the matrix's callers: one a
 * curator approves, one a curator rejects.
 */
export async function seedMatrixProposals(
  db: Pool,
  vault: EvidenceStore,
  o: { tenantId: string; bankId: string },
): Promise<{ proposalId: string; rejectProposalId: string }> {
  const propose = async () => {
    const { caseId } = await seedReviewCase(db, vault, { tenantId: o.tenantId, score: 0.9, keep: false });
    await decidedByAnother(db, caseId);
    const made = await insertBankProposal(db, {
      caseId,
      bankId: o.bankId,
      tenantId: o.tenantId,
      entries: [{ signal: 'sha256', value: photoSha256, category: 'C' }],
      note: null,
      proposedBy: await matrixPerson(db, 'matrix-proposer'),
      proposedAt: new Date(),
    });
    return made.id;
  };
  return { proposalId: await propose(), rejectProposalId: await propose() };
}
