import { readFile } from 'node:fs/promises';
import {
  AuditErrorCode,
  BUNDLE_FORMAT,
  loadPublicKey,
  parseStrictJson,
  verifyBundle,
  type HandedOverKey,
  type PublicKeyInfo,
} from '@mod/audit';

/** The log's older keys a history bundle vouches for, and the log it is of; or why it vouches for none. */
export type HistoryKeys =
  | { ok: true; handed: HandedOverKey[]; logId: string }
  | { ok: false; code: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key history a `mod.audit.bundle.v3` export carries under its scope signature, as `modctl audit verify`
 * takes it: the bundle must verify against the `anchors` (the auditor's own keys); each rotated-out key it
 * lists (a closed range of sizes) with its public key from the bundle counts for heads inside that range. Any
 * other bundle, or one that does not verify, vouches for nothing (a typed failure).
 */
export async function historyKeysOf(path: string, anchors: readonly PublicKeyInfo[]): Promise<HistoryKeys> {
  let bundle: unknown;
  try {
    bundle = parseStrictJson(await readFile(path, 'utf8'));
  } catch (err) {
    return {
      ok: false,
      code: AuditErrorCode.BUNDLE_MALFORMED,
      message: `--history ${path}: ${(err as Error).message}`,
    };
  }
  if (!isObject(bundle) || bundle.format !== BUNDLE_FORMAT)
    return {
      ok: false,
      code: AuditErrorCode.BUNDLE_MALFORMED,
      message: `--history ${path}: not a ${BUNDLE_FORMAT} export bundle (only they carry a signed key history)`,
    };
  const result = verifyBundle(bundle, { trustedKeys: anchors });
  if (!result.ok)
    return { ok: false, code: result.error.code, message: `--history ${path}: ${result.error.message}` };
  // verifyBundle checked the shape: a list of {keyId, fromSize, toSize} and of {keyId, spki}.
  const history = bundle.keyHistory as { keyId: string; fromSize: number; toSize: number | null }[];
  const spkis = bundle.publicKeys as { keyId: string; spki: string }[];
  const handed: HandedOverKey[] = [];
  for (const k of history) {
    if (k.toSize === null || anchors.some((a) => a.keyId === k.keyId)) continue;
    const spki = spkis.find((p) => p.keyId === k.keyId)?.spki;
    let key: PublicKeyInfo | null = null;
    try {
      key = spki === undefined ? null : loadPublicKey(spki);
    } catch {
      key = null;
    }
    if (key?.keyId !== k.keyId) continue;
    handed.push({ key, fromSize: k.fromSize, toSize: k.toSize, handedTo: result.scopeKeyId ?? '' });
  }
  return { ok: true, handed, logId: result.logId ?? '' };
}
