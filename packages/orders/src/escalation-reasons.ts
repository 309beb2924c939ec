import type { EscalationReasonCode } from '@mod/contracts';

/** Languages of the texts people read: Vietnamese first (the default), English. */
type Texts = Readonly<Record<'vi' | 'en', string>>;

/**
 * Why an order was escalated to its authority, by code (`EscalationReasonCode`), in both languages: its deadline
 * passed with the action still owed, or the target answered "actioned" and verification could not reach the content
 * past the deadline (and the grace, if answered in time). The history note, the order event's note and the audit
 * reason carry the English; the order event, the audit record and the history (`order_events.escalation_reason`,
 * migration 0054) the code, which the console shows in the reader's language.
 */
export const EscalationReasons = {
  'deadline-missed': {
    vi: 'Quá thời hạn mà bên nhận chưa xử lý lệnh',
    en: 'deadline missed',
  },
  'verification-inconclusive': {
    vi: 'Không kiểm chứng được việc xử lý: bên nhận báo đã xử lý nhưng địa chỉ không truy cập được để kiểm tra',
    en: 'verification inconclusive',
  },
} as const satisfies Readonly<Record<EscalationReasonCode, Texts>>;
export type EscalationReason = keyof typeof EscalationReasons;

/** The text of an escalation reason in `language` (Vietnamese by default). */
export function escalationReasonText(reason: EscalationReason, language: 'vi' | 'en' = 'vi'): string {
  return EscalationReasons[reason][language];
}

/**
 * The history note of an escalation (`applyOrderCommand` writes it; English): the deadline missed, or the moment an
 * inconclusive verification became due for escalation.
 */
export function escalationNote(reason: EscalationReason, at: Date): string {
  return reason === 'deadline-missed'
    ? `deadline ${at.toISOString()} missed`
    : `${EscalationReasons['verification-inconclusive'].en} past ${at.toISOString()}`;
}
