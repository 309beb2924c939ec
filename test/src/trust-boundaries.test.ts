import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Codecs,
  DefaultServicePrincipals,
  deterministicUuid,
  MEDIA_META_HEADER,
  partnerGroupPrefix,
  partnerTopic,
  type PartnerMediaMeta,
  type Verdict,
} from '@mod/contracts';
import { updateTenant } from '@mod/db/access';
import { Producer as PlatformaticProducer } from '@platformatic/kafka';
import { createKafka } from '@mod/kafka';
import { credentialsFromEnvironment, readTopic } from '@mod/testing';
import { grantPartner, KAFKA_BROKERS, logger, makePhoto, publishPartnerMedia, waitFor } from './helpers.js';
import { createUrlList } from './isp-helpers.js';
import { clientOf, errorText, trySend, useTrustScene } from './trust-boundaries-scene.js';

/**
 * The attack test of the trust-boundaries issue, through the real broker (SASL/SCRAM over TLS, ACLs) and the
 * real API: every finding, as an outsider and as a partner with credentials would try it.
 */

const scene = useTrustScene();

describe('Kafka is a trust boundary (real broker: SASL/SCRAM over TLS, ACLs)', () => {
  it('refuses a client without credentials, with a wrong password, and without TLS', async () => {
    // The client library itself, without any SASL mechanism: TLS only.
    const anonymous = new PlatformaticProducer({
      clientId: 'anonymous',
      bootstrapBrokers: KAFKA_BROKERS.split(','),
      tls: { ca: [credentialsFromEnvironment().caPem ?? ''] },
      retries: 0,
    });
    try {
      await anonymous.send({ messages: [{ topic: scene.world.topics.verdicts, value: Buffer.from('x') }] });
      expect.unreachable('an unauthenticated client published');
    } catch (err) {
      expect(errorText(err)).toMatch(/closed|network|connection|authenticat|SASL|timed out/i);
    } finally {
      await anonymous.close().catch(() => undefined);
    }
    expect(
      await trySend(clientOf(DefaultServicePrincipals.scanner, 'guess'), scene.world.topics.verdicts, 'x'),
    ).toMatch(/authenticat/i);
    const plaintext = createKafka({
      brokers: KAFKA_BROKERS.split(','),
      clientId: 'plaintext',
      logger,
      retries: 1,
      credentials: { ...credentialsFromEnvironment(DefaultServicePrincipals.scanner), tls: false },
    });
    expect(await trySend(plaintext, scene.world.topics.verdicts, 'x')).not.toBeNull();
  });

  it('gives each principal only its own topics: the wrong principal is refused by the broker', async () => {
    const denied = /not authorized|authorization failed/i;
    // A platform cannot write verdicts, the internal media topic, another platform's topic, or bank changes.
    for (const topic of [
      scene.world.topics.verdicts,
      scene.world.topics.mediaSubmitted,
      partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-b'),
      scene.world.topics.bankChanges,
    ])
      expect(await trySend(scene.platformA.kafka, topic, 'x'), topic).toMatch(denied);
    // Nor read another's outbound topics, nor the verdicts.
    for (const topic of [
      partnerTopic(scene.world.prefix, 'takedownRequests', 'platform-b'),
      scene.world.topics.verdicts,
    ]) {
      const spying = readTopic(
        scene.platformA.kafka,
        topic,
        (r) => r.length > 0,
        10_000,
        partnerGroupPrefix(scene.world.prefix, 'platform-a'),
      );
      await expect(spying.catch((err: unknown) => Promise.reject(new Error(errorText(err))))).rejects.toThrow(
        /not authorized|authorization/i,
      );
    }
    // Only the scanner and the fetcher write verdicts; only the actioner writes requests; only curation (the
    // API) writes bank changes.
    const scanner = clientOf(DefaultServicePrincipals.scanner);
    expect(
      await trySend(scanner, partnerTopic(scene.world.prefix, 'blockingRequests', 'isp-1'), 'x'),
    ).toMatch(denied);
    expect(await trySend(scanner, scene.world.topics.bankChanges, 'x')).toMatch(denied);
    expect(await trySend(clientOf(DefaultServicePrincipals.api), scene.world.topics.verdicts, 'x')).toMatch(
      denied,
    );
    expect(
      await trySend(clientOf(DefaultServicePrincipals.actioner), scene.world.topics.verdicts, 'x'),
    ).toMatch(denied);
  });

  it('dead-letters a forged verdict naming a host and a bank that do not exist: no order, nothing in the feeds', async () => {
    // Written with the admin principal: what a stolen scanner credential could do.
    const host = `evil-${randomUUID().slice(0, 8)}.example`;
    const url = `http://${host}/`;
    const digest = createHash('sha256').update(url).digest('hex');
    const forged: Verdict = {
      eventId: randomUUID(),
      submissionId: randomUUID(),
      tenantId: 'isp-1',
      sourceEventId: randomUUID(),
      decision: 'match',
      hashes: { sha256: digest, sha1: 'a'.repeat(40), md5: 'b'.repeat(32) },
      width: 0,
      height: 0,
      hits: [
        {
          bankId: randomUUID(),
          bankName: 'iwf',
          entryId: 'url:1',
          signal: 'sha256',
          distance: 0,
          category: 'A',
          actionPolicy: 'automatic',
          negative: false,
        },
      ],
      url,
      subject: { type: 'host', value: host },
      scannedAt: new Date().toISOString(),
      scannerVersion: 'forged',
    };
    await scene.admin.send({
      topic: scene.world.topics.verdicts,
      messages: [{ key: forged.submissionId, value: Codecs.verdict.encode(forged) }],
    });
    // The same forged verdict for a submission the fetcher did record: the bank still does not exist.
    const recorded = { ...forged, eventId: randomUUID(), submissionId: randomUUID() };
    await scene.world.db.query(
      `insert into submissions (id, tenant_id, source, url, sha256, status) values ($1, 'isp-1', 'fetcher', $2, $3, 'received')`,
      [recorded.submissionId, url, digest],
    );
    await scene.admin.send({
      topic: scene.world.topics.verdicts,
      messages: [{ key: recorded.submissionId, value: Codecs.verdict.encode(recorded) }],
    });
    // And naming a real URL-list entry that lists another URL: the pattern does not match.
    const list = await createUrlList(scene.world, `list-${randomUUID().slice(0, 6)}`, [
      { kind: 'url', pattern: 'http://listed.example/only.html', dedicatedToAbuse: false, block: true },
    ]);
    const realEntry = {
      ...recorded,
      eventId: randomUUID(),
      hits: [{ ...forged.hits[0]!, bankId: list.bankId, entryId: `url:${list.entryIds[0]}` }],
    };
    await scene.admin.send({
      topic: scene.world.topics.verdicts,
      messages: [{ key: realEntry.submissionId, value: Codecs.verdict.encode(realEntry) }],
    });

    expect((await scene.deadLettersFor(forged.submissionId)).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_VERDICT_UNKNOWN_SUBMISSION',
    ]);
    const refused = await scene.deadLettersFor(recorded.submissionId, 2);
    expect(refused.map((l) => l.reason.code).sort()).toEqual([
      'MOD_ERR_VERDICT_UNKNOWN_BANK',
      'MOD_ERR_VERDICT_UNKNOWN_ENTRY',
    ]);
    expect(refused.every((l) => l.consumer === `${scene.world.prefix}actioner`)).toBe(true);
    expect(
      await scene.countRows(`select count(*)::int as n from orders where subject_value like $1`, [
        `%${host}%`,
      ]),
    ).toBe(0);
    expect(
      await scene.countRows(`select count(*)::int as n from verdicts where submission_id = any($1)`, [
        [forged.submissionId, recorded.submissionId],
      ]),
    ).toBe(0);
    for (const format of ['domain-list', 'rpz', 'url-list']) {
      const res = await scene.inject('isp-1', { url: `/v1/isp/feeds/${format}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(host);
    }
  });

  it("dead-letters a platform's event naming another tenant's submission, which stays as it was", async () => {
    const res = await scene.upload('platform-a', await makePhoto(42));
    expect(res.statusCode).toBe(202);
    const { submissionId } = res.json<{ submissionId: string }>();
    const scanned = await waitFor('platform-a’s submission scanned', async () => {
      const r = await scene.inject('platform-a', { url: `/v1/submissions/${submissionId}` });
      const body = r.json<{ status: string; decision: string | null }>();
      return body.status === 'scanned' ? body : undefined;
    });
    // platform-b, on its own topic, claims platform-a's submission: with other media, and with empty media.
    for (const value of [scene.known, Buffer.alloc(0)])
      await publishPartnerMedia(scene.world, scene.platformB, value, { submissionId });
    const letters = await scene.deadLettersFor(submissionId, 2);
    expect(letters.map((l) => l.reason.code)).toEqual([
      'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
      'MOD_ERR_SCAN_SUBMISSION_NOT_OWNED',
    ]);
    const after = await scene.inject('platform-a', { url: `/v1/submissions/${submissionId}` });
    expect(after.json()).toMatchObject({
      tenantId: 'platform-a',
      status: scanned.status,
      decision: scanned.decision,
    });
    expect(
      await scene.countRows(`select count(*)::int as n from verdicts where submission_id = $1`, [
        submissionId,
      ]),
    ).toBe(1);
    expect(
      await scene.countRows(
        `select count(*)::int as n from orders o join order_submissions l on l.order_id = o.id where l.submission_id = $1`,
        [submissionId],
      ),
    ).toBe(0);
  });

  it("cannot take the submission id the system derives for another platform's event before that event comes", async () => {
    // platform-a's next event id is guessable (a counter, a time-based id); the id of its submission is derived
    // from public parts: the tenant and that event id. platform-b names it first, with media of its own.
    const eventId = randomUUID();
    const derived = deterministicUuid(`partner-submission:platform-a:${eventId}`);
    await publishPartnerMedia(scene.world, scene.platformB, await makePhoto(43), { submissionId: derived });
    expect((await scene.deadLettersFor(derived)).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_SCAN_SUBMISSION_RESERVED',
    ]);
    await publishPartnerMedia(scene.world, scene.platformA, await makePhoto(44), {
      eventId,
      submissionId: undefined,
    });
    const row = await waitFor('platform-a’s submission scanned', async () => {
      const { rows } = await scene.world.db.query<{ tenant_id: string; status: string }>(
        `select tenant_id, status from submissions where id = $1`,
        [derived],
      );
      return rows[0]?.status === 'received' ? undefined : rows[0];
    });
    expect(row).toEqual({ tenant_id: 'platform-a', status: 'scanned' });
  });

  it('dead-letters media of a tenant that does not exist or is disabled', async () => {
    // An operator's mistake: topics and ACLs for a tenant id that is not (or no longer) a tenant.
    const ghost = await grantPartner(scene.world, 'e2e-partner-a', 'ghost-platform', 'platform');
    const ghostly = await publishPartnerMedia(scene.world, ghost, scene.known);
    await ghost.close();
    expect((await scene.deadLettersFor(ghostly)).map((l) => l.reason.code)).toEqual([
      'MOD_ERR_TENANT_UNKNOWN',
    ]);

    await updateTenant(scene.world.db, 'platform-b', { disabled: true }, new Date());
    try {
      // The scanner's tenant cache holds a standing for at most 5 s.
      await new Promise((r) => setTimeout(r, 5_500));
      const off = await publishPartnerMedia(scene.world, scene.platformB, scene.known);
      expect((await scene.deadLettersFor(off)).map((l) => l.reason.code)).toEqual([
        'MOD_ERR_TENANT_DISABLED',
      ]);
      for (const id of [ghostly, off])
        expect(await scene.countRows(`select count(*)::int as n from submissions where id = $1`, [id])).toBe(
          0,
        );
    } finally {
      await updateTenant(scene.world.db, 'platform-b', { disabled: false }, new Date());
      // Past the scanner's tenant cache, so the tests after this one see platform-b enabled.
      await new Promise((r) => setTimeout(r, 5_500));
    }
  });

  it("takes a platform's tenant from its topic: its media are its own, scanned and actioned", async () => {
    const meta: PartnerMediaMeta = {
      eventId: randomUUID(),
      submittedAt: new Date().toISOString(),
      externalRef: 'k-1',
    };
    await scene.platformA.producer.send({
      topic: partnerTopic(scene.world.prefix, 'mediaSubmitted', 'platform-a'),
      messages: [{ key: 'k-1', value: scene.known, headers: { [MEDIA_META_HEADER]: JSON.stringify(meta) } }],
    });
    const row = await waitFor('the submission, scanned', async () => {
      const { rows } = await scene.world.db.query<{
        id: string;
        tenant_id: string;
        status: string;
        decision: string;
      }>(`select id, tenant_id, status, decision from submissions where external_ref = 'k-1'`);
      return rows[0]?.status === 'scanned' ? rows[0] : undefined;
    });
    expect(row).toMatchObject({ tenant_id: 'platform-a', decision: 'match' });
  });
});
