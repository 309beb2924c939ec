import type { EscalationReasonCode } from '@mod/contracts';

/** Languages of the texts people read: Vietnamese first (the default), English. */
type Texts = Readonly<Record<'vi' | 'en', string>>;

/**
 * Why an order was escalated to its authority, by code (`EscalationReasonCode`), in both languages: its deadline
 * passed with the action still owed, or the target answered "actioned" and verification could not reach the content
 * past the deadline (and the grace, if answered in time). The history note, the order event's note and the audit
 * reason carry the English; the order event, the audit record and the history read through the API the code, which
 * the console shows in the reader's language.
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

const NOTES: readonly (readonly [RegExp, EscalationReason])[] = [
  [/^deadline \S+ missed$/, 'deadline-missed'],
  [/^verification inconclusive past \S+$/, 'verification-inconclusive'],
];

/**
 * The reason of an order's history event, as a code: its `escalated` events carry none of their own (order_events
 * has a note, no field for it), and their note is one `escalationNote` wrote, the same since escalations began
 * (deadline) and since verification escalates (2b5d94b), so the code is read back from it. Null for any other
 * event, or a note no escalation of the lifecycle writes.
 */
export function escalationReasonOf(event: { status: string; note: string | null }): EscalationReason | null {
  if (event.status !== 'escalated' || event.note === null) return null;
  return NOTES.find(([pattern]) => pattern.test(event.note!))?.[1] ?? null;
}
