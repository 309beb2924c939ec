/**
 * Erasable free text of audit records, checked in the browser like @mod/audit's `checkRecordTexts`: a record
 * written since texts became erasable holds no free text, only a salted commitment per field (`commitments`),
 * and the bundle entry carries the text with its salt (`texts`), or when it was erased.
 * commitment = SHA-256("mod.audit.text.v1\0" ‖ field ‖ "\0" ‖ salt ‖ UTF-8 text).
 */
const encoder = new TextEncoder();

export const TEXT_COMMITMENT_LABEL = 'mod.audit.text.v1\u0000';

/** A field's text as a bundle carries it: kept (with its salt, hex) or erased. */
export type EntryText = { text: string; salt: string } | { erasedAt: string };

const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** The commitment (hex) to `text` of `field` under `saltHex`, or null when the salt is not 32 bytes of hex. */
export async function commitmentOf(field: string, saltHex: string, text: string): Promise<string | null> {
  if (!/^[0-9a-f]{64}$/.test(saltHex)) return null;
  const salt = Uint8Array.from(saltHex.match(/../g) ?? [], (h) => parseInt(h, 16));
  const head = encoder.encode(`${TEXT_COMMITMENT_LABEL}${field}\u0000`);
  const body = encoder.encode(text);
  const input = new Uint8Array(head.length + salt.length + body.length);
  input.set(head, 0);
  input.set(salt, head.length);
  input.set(body, head.length + salt.length);
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', input)));
}

/**
 * Whether the texts beside a record match it: each kept text hashes with its salt to the record's commitment, an
 * erased one is accepted, a text of a field the record commits to nothing for is refused (it could say anything).
 */
export async function textsMatch(record: Record<string, unknown> | null, texts: unknown): Promise<boolean> {
  if (texts === undefined) return true;
  if (typeof texts !== 'object' || texts === null || Array.isArray(texts)) return false;
  const commitments = record?.['commitments'];
  const committed =
    typeof commitments === 'object' && commitments !== null ? (commitments as Record<string, unknown>) : {};
  for (const [field, value] of Object.entries(texts as Record<string, unknown>)) {
    const commitment = committed[field];
    if (typeof commitment !== 'string' || typeof value !== 'object' || value === null) return false;
    const v = value as Record<string, unknown>;
    if (typeof v['erasedAt'] === 'string' && !('text' in v)) continue;
    if (typeof v['text'] !== 'string' || typeof v['salt'] !== 'string') return false;
    if ((await commitmentOf(field, v['salt'], v['text'])) !== commitment) return false;
  }
  return true;
}

/** What to show of a record's field: its own text (legacy), the kept text, when it was erased, or nothing. */
export function shownText(
  record: Record<string, unknown> | null,
  texts: unknown,
  field: string,
): { text: string } | { erasedAt: string } | null {
  const own = record?.[field];
  if (typeof own === 'string') return { text: own };
  const t = (texts as Record<string, EntryText | undefined> | undefined)?.[field];
  if (t === undefined || typeof t !== 'object') return null;
  if ('text' in t && typeof t.text === 'string') return { text: t.text };
  if ('erasedAt' in t && typeof t.erasedAt === 'string') return { erasedAt: t.erasedAt };
  return null;
}
