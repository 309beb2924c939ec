import type { Answer } from '../api/types.js';
import type { I18n } from '../i18n/locale.js';
import type { MessageKey } from '../i18n/vi.js';

/** A case as a queue lists it: its stored English reason and the same as a code (null: an old case, an escalation). */
type CaseReasons = Pick<Answer<'/v1/cases', 'get'>['cases'][number], 'reason' | 'reasonCoded'>;
type Coded = NonNullable<CaseReasons['reasonCoded']>;

const ROLES: Readonly<Record<string, MessageKey>> = {
  reviewer: 'role.reviewer',
  authority: 'role.authority',
  admin: 'role.admin',
  curator: 'role.curator',
  hotline: 'role.hotline',
};

/** A confirmation case's reason, with the takedown policy withheld when it withheld one. */
function issued(i18n: I18n, r: Extract<Coded, { orders: number }>): string {
  const { t } = i18n;
  const reason =
    r.code === 'confirm-confirmed'
      ? t('caseReason.confirmConfirmed', {
          by: ROLES[r.confirmedBy] === undefined ? r.confirmedBy : t(ROLES[r.confirmedBy]!),
          category: r.category,
          orders: r.orders,
        })
      : r.categories.length === 0
        ? t('caseReason.confirmAutomatic', { banks: r.banks.join(', '), orders: r.orders })
        : t('caseReason.confirmAutomaticCategories', {
            banks: r.banks.join(', '),
            categories: r.categories.join(', '),
            orders: r.orders,
          });
  return r.takedownWithheldTo === null
    ? reason
    : t('caseReason.withheld', { reason, platform: r.takedownWithheldTo });
}

/**
 * Why a case opened, in the reader's language, from its reason code; a case without one (opened before cases
 * carried a code, or an escalation, whose reason is a person's words) shows its stored reason as it is.
 */
export function caseReasonText(i18n: I18n, c: CaseReasons): string {
  const r = c.reasonCoded;
  const { t } = i18n;
  if (r === null) return c.reason;
  switch (r.code) {
    case 'review-bank-hit':
      return t('caseReason.reviewBankHit', { banks: r.banks.join(', ') });
    case 'review-frames-unhashed':
      return t(
        r.why === 'no-decoder' ? 'caseReason.reviewFramesUnhashedApng' : 'caseReason.reviewFramesUnhashed',
        { examined: r.examined, count: r.count },
      );
    case 'review-frames-unscored':
      return t('caseReason.reviewFramesUnscored', { examined: r.examined, count: r.count, why: r.why });
    case 'review-classifier':
      return r.riskScore === null
        ? t('caseReason.reviewClassifierUnknown')
        : t('caseReason.reviewClassifier', {
            score: i18n.number(r.riskScore, { maximumFractionDigits: 2 }),
          });
    default:
      return issued(i18n, r);
  }
}
