/** Languages of the texts people read: Vietnamese first (the default), English. */
type Texts = Readonly<Record<'vi' | 'en', string>>;

/**
 * Why an order was escalated to its authority, in both languages (the audit record and the history note carry the
 * English, the audit record the code too): its deadline passed with the action still owed, or the target answered
 * "actioned" and verification could not reach the content past the deadline (and the grace, if answered in time).
 */
export const EscalationReasons = {
  deadline: {
    vi: 'Quá thời hạn mà bên nhận chưa xử lý lệnh',
    en: 'deadline missed',
  },
  'verification-inconclusive': {
    vi: 'Không kiểm chứng được việc xử lý: bên nhận báo đã xử lý nhưng địa chỉ không truy cập được để kiểm tra',
    en: 'verification inconclusive',
  },
} as const satisfies Readonly<Record<string, Texts>>;
export type EscalationReason = keyof typeof EscalationReasons;

/** The text of an escalation reason in `language` (Vietnamese by default). */
export function escalationReasonText(reason: EscalationReason, language: 'vi' | 'en' = 'vi'): string {
  return EscalationReasons[reason][language];
}
