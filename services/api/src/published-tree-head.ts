import { DefaultServiceGroups } from '@mod/contracts';
import { signedTreeHeadOf, verifyTreeHead, type PublicKeyInfo, type SignedTreeHead } from '@mod/audit';
import { readLastRecords, type Kafka } from '@mod/kafka';
import type { Logger } from '@mod/telemetry';

/** How many of the tree-heads topic's last messages are looked through at start-up. */
export const PUBLISHED_HEADS_READ = 100;

/**
 * The largest head among the last {@link PUBLISHED_HEADS_READ} messages of the tree-heads topic that a trusted
 * key signed: a head this log signed, kept outside the database (authorities read the same topic). The signer
 * starts from it (`previous` of `createTreeHeadSigner`), so a log the database's owner cut back or rewrote, with
 * the newer heads' rows deleted, is not signed again after a restart as if it extended them. A message that is
 * not a head, or one no trusted key signed (only a forger writes those), is left aside and said in the log. A
 * topic that cannot be read to its end throws (`MOD_ERR_KAFKA_READ_INCOMPLETE`): the API does not start with
 * less than it should know.
 */
export async function lastPublishedTreeHead(
  kafka: Kafka,
  topic: string,
  trusted: readonly PublicKeyInfo[],
  logger: Logger,
): Promise<SignedTreeHead | null> {
  let last: SignedTreeHead | null = null;
  let notHeads = 0;
  let untrusted = 0;
  for (const record of await readLastRecords(kafka, topic, PUBLISHED_HEADS_READ, {
    groupPrefix: `${DefaultServiceGroups.api}.tree-heads.`,
  })) {
    let head: SignedTreeHead | null = null;
    try {
      head = signedTreeHeadOf(JSON.parse(record.value?.toString('utf8') ?? 'null'));
    } catch {
      head = null;
    }
    if (head === null) notHeads++;
    else if (!verifyTreeHead(head, trusted).ok) untrusted++;
    else if (last === null || head.treeSize > last.treeSize) last = head;
  }
  if (notHeads + untrusted > 0)
    logger.warn(
      { topic, notHeads, untrusted },
      'tree-heads topic messages left aside: not heads, or signed by no key this API trusts (a key retired and not listed in AUDIT_TRUSTED_PUBLIC_KEYS_PEM, or a forgery)',
    );
  return last;
}
