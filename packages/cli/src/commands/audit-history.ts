import { readFile } from 'node:fs/promises';
import {
  AuditErrorCode,
  BUNDLE_FORMAT,
  historyHandovers,
  parseStrictJson,
  type HistoryHandovers,
  type PublicKeyInfo,
} from '@mod/audit';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The key history in the file `path` (a `mod.audit.bundle.v3` export), as `historyHandovers` of `@mod/audit` takes
 * it against the `anchors` (the auditor's own keys); a file that cannot be read vouches for nothing.
 */
export async function historyKeysOf(
  path: string,
  anchors: readonly PublicKeyInfo[],
): Promise<HistoryHandovers> {
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
  return named(`--history ${path}`, historyHandovers(bundle, anchors));
}

const named = (source: string, h: HistoryHandovers): HistoryHandovers =>
  h.ok ? h : { ...h, message: `${source}: ${h.message}` };

/** Where verify-consistency found the log's key history, and what it vouches for (null: no history at all). */
export interface ConsistencyHistory {
  /** How the failure messages name it: `--history FILE`, the kept file, or the proof's own. */
  source: string;
  keys: HistoryHandovers;
}

/**
 * The key history verify-consistency checks the two heads with, in this order: `--history FILE`; the kept file
 * when it is a `mod.audit.bundle.v3` export; the proof's own (`history`, which `GET /v1/audit/consistency-proof`
 * answers: a record-less v3 bundle bound to the later head, its scope signature covering the log's key history).
 * Each is taken only when it verifies against the `anchors` (the --key files): one signed by another key, or
 * altered since it was signed, is a typed failure, never a key.
 */
export async function consistencyHistory(
  a: { historyPath: string | undefined; keptPath: string; kept: unknown; proof: Record<string, unknown> },
  anchors: readonly PublicKeyInfo[],
): Promise<ConsistencyHistory | null> {
  if (a.historyPath !== undefined)
    return { source: `--history ${a.historyPath}`, keys: await historyKeysOf(a.historyPath, anchors) };
  if (isObject(a.kept) && a.kept.format === BUNDLE_FORMAT)
    return { source: a.keptPath, keys: named(a.keptPath, historyHandovers(a.kept, anchors)) };
  if (a.proof.history === undefined) return null;
  const source = "the proof's key history";
  return { source, keys: named(source, historyHandovers(a.proof.history, anchors)) };
}
