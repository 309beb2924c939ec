import { DefaultServiceGroups } from '@mod/contracts';
import { signedTreeHeadOf, verifyTreeHead, type PublicKeyInfo, type SignedTreeHead } from '@mod/audit';
import type { RefusedHeadSink } from '@mod/db/audit';
import { readLastRecords, type Kafka } from '@mod/kafka';
import type { Logger } from '@mod/telemetry';

/** How many of the tree-heads topic's last messages are looked through at start-up. */
export const PUBLISHED_HEADS_READ = 100;

/** What `lastPublishedTreeHead` checks a published head against. */
export interface PublishedHeadOptions {
  /** Keys whose heads are the log's (`AuditKeys.trusted`). */
  trusted: readonly PublicKeyInfo[];
  /** This database's log id (`auditLogId`): a head naming another log is not this log's. */
  logId: string;
  logger: Logger;
  /**
   * Told of each message that is a head of a trusted key's id but no head of this log (`bad_signature`,
   * `wrong_log`), as head selection tells of stored rows (the API counts them in
   * `mod_api_audit_head_rows_refused_total`).
   */
  report?: RefusedHeadSink;
}

/** What a message of the topic is to this log. */
type Verdict = 'head' | 'not_head' | 'untrusted' | 'bad_signature' | 'wrong_log';

function judge(head: SignedTreeHead | null, options: PublishedHeadOptions): Verdict {
  if (head === null) return 'not_head';
  const check = verifyTreeHead(head, options.trusted);
  if (!check.ok) return check.code === 'unknown_key' ? 'untrusted' : 'bad_signature';
  // A legacy head (signed before heads named their log) is taken, as head selection takes a legacy row.
  return head.logId !== undefined && head.logId !== options.logId ? 'wrong_log' : 'head';
}

function headOf(value: Buffer | null | undefined): SignedTreeHead | null {
  try {
    return signedTreeHeadOf(JSON.parse(value?.toString('utf8') ?? 'null'));
  } catch {
    return null;
  }
}

/**
 * The largest head of this log among the last {@link PUBLISHED_HEADS_READ} messages of the tree-heads topic that a
 * trusted key signed: a head this log signed, kept outside the database (authorities read the same topic). The
 * signer starts from it (`previous` of `createTreeHeadSigner`), so a log the database's owner cut back or rewrote,
 * with the newer heads' rows deleted, is not signed again after a restart as if it extended them. A message that is
 * not a head, one no trusted key signed (only a forger writes those), one whose signature does not verify, and a
 * head naming another log than `logId` (another deployment's or a test log's, signed with the same key: the topic
 * shared, or copied from a restored deployment) are left aside and said in the log; the last two are reported to
 * `report`. A topic that cannot be read to its end throws (`MOD_ERR_KAFKA_READ_INCOMPLETE`): the API does not start
 * with less than it should know.
 */
export async function lastPublishedTreeHead(
  kafka: Kafka,
  topic: string,
  options: PublishedHeadOptions,
): Promise<SignedTreeHead | null> {
  let last: SignedTreeHead | null = null;
  const aside = { notHeads: 0, untrusted: 0, badSignature: 0, otherLog: 0 };
  for (const record of await readLastRecords(kafka, topic, PUBLISHED_HEADS_READ, {
    groupPrefix: `${DefaultServiceGroups.api}.tree-heads.`,
  })) {
    const head = headOf(record.value);
    const verdict = judge(head, options);
    if (head === null || verdict === 'not_head') aside.notHeads++;
    else if (verdict === 'untrusted') aside.untrusted++;
    else if (verdict === 'head') {
      if (last === null || head.treeSize > last.treeSize) last = head;
    } else {
      if (verdict === 'wrong_log') aside.otherLog++;
      else aside.badSignature++;
      const { treeSize, keyId } = head;
      options.report?.({ treeSize, keyId, logId: head.logId ?? null, reason: verdict });
    }
  }
  if (Object.values(aside).some((n) => n > 0))
    options.logger.warn(
      { topic, logId: options.logId, ...aside },
      'tree-heads topic messages left aside: not heads, signed by no key this API trusts (a key retired and not listed in AUDIT_TRUSTED_PUBLIC_KEYS_PEM, or a forgery), with a bad signature, or heads of another log',
    );
  return last;
}
