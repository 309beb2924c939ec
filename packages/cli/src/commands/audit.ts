import { readFile } from 'node:fs/promises';
import {
  AuditErrorCode,
  LOG_ID_PATTERN,
  fromHex,
  keyForHead,
  loadPublicKey,
  parseStrictJson,
  signedTreeHeadOf,
  verifyBundle,
  verifyConsistency,
  verifyTreeHead,
} from '@mod/audit';
import type { PublicKeyInfo, SignedTreeHead } from '@mod/audit';
import { verifyStoredLog } from '@mod/db/audit';
import {
  commandFailed,
  parseCommandArgs,
  unknownSubcommand,
  usageError,
  type Command,
  type CommandIo,
} from '../command.js';
import { eraseText } from './audit-erase.js';
import { EXPIRED_HELP, eraseExpiredTexts } from './audit-retention.js';
import { consistencyHistory } from './audit-history.js';
import { withPool } from './curator.js';

const USAGE = [
  'usage: modctl audit verify BUNDLE [--key PUBLIC_KEY_PEM]... [--log-id LOG_ID] [--allow-unsigned-scope]',
  '       modctl audit verify-log (--key PUBLIC_KEY_PEM... | --trust-database-keys) [--head HEAD_JSON]...',
  '       modctl audit verify-consistency KEPT_HEAD_JSON PROOF_JSON --key PUBLIC_KEY_PEM... [--log-id LOG_ID]',
  '         [--history BUNDLE]',
  '       modctl audit erase-text --seq SEQ --field reason [--reason WHY]   (see modctl audit erase-text --help)',
  '       modctl audit erase-expired-texts [--days N] [--batch N] [--max-batches N] [--dry-run]',
  'verify checks an audit export bundle offline (no database, no network) and prints one JSON line. --key',
  "(repeatable) names the public keys to trust; without it the bundle's own keys are used (compare the printed",
  'scopeKeyId out of band). A head a rotated-out key signed verifies through the key history the bundle carries',
  'under its scope signature, so the current key is enough. --log-id names the log the bundle must be of (another',
  "log's: MOD_ERR_AUDIT_WRONG_LOG; a legacy bundle naming none: MOD_ERR_AUDIT_LEGACY_HEAD); without it, the printed",
  'logId (null: legacy) is compared out of band. --allow-unsigned-scope accepts a legacy bundle, reported complete: false.',
  'verify-log checks the whole stored log in the database of DATABASE_URL (DATABASE_SCHEMA): every record, signed',
  'tree head and evidence document, and prints one JSON line (missingEvidence: every record whose evidence document',
  'is gone, code MOD_ERR_AUDIT_EVIDENCE_MISSING). Its tree heads are checked against the --key files',
  '(kept apart from the database: whoever holds the database could add a key of theirs); --trust-database-keys uses',
  'the keys the database lists instead, and says so (trustedKeys: "database"). With --key, the heads of an older key',
  'of the log count through its key history: a key the database lists whose heads all lie at or below a head of a',
  '--key (which commits them; their roots are recomputed from the records), inside the sizes it signed, listed as',
  'handedOverKeys; so after a rotation the current key is enough. A head of any other key, or of an older key past',
  'the last head of a --key, fails with MOD_ERR_AUDIT_UNKNOWN_KEY. --head (repeatable) names signed tree',
  "heads kept outside the database (the API's tree-heads answer, a tree-heads topic message, or a bundle): the",
  "log must extend each, so the newest records cut back together with the database's heads are still named.",
  'verify-consistency checks offline that the later signed head in PROOF_JSON (GET /v1/audit/consistency-proof',
  "?fromSize=<the kept head's size>) extends the head you kept: both signed by a --key, and the RFC 9162 proof",
  'leads from the kept root to the later one; a log cut back or rewritten since (a second history) fails, and so',
  'does a head naming another log than the other head or --log-id (MOD_ERR_AUDIT_WRONG_LOG). A head signed by a',
  "rotated-out key verifies through the log's key history the proof carries (history: signed with the later head by",
  'the current key), or that of --history BUNDLE (any mod.audit.bundle.v3 export of the log; or the kept file itself',
  'when it is one), inside the sizes it lists for that key. The history must verify against the --key files (signed',
  'by another key: MOD_ERR_AUDIT_UNKNOWN_KEY; altered: MOD_ERR_AUDIT_BAD_SCOPE_SIGNATURE); a head of another key, or',
  'of a size outside the ones listed, fails with MOD_ERR_AUDIT_UNKNOWN_KEY.',
  ...EXPIRED_HELP,
  'exit codes: 0 verified; 1 verification failed or unreadable input; 2 usage',
].join('\n');

/** Exit codes: 0 verified, 1 verification failed (or unreadable input), 2 usage error. */
export const AuditExit = { OK: 0, FAILED: 1, USAGE: 2 } as const;

function printFailure(io: CommandIo, code: string, message: string): number {
  io.stdout(JSON.stringify({ ok: false, error: { code, message, firstBadRecord: null } }));
  return AuditExit.FAILED;
}

/** The options of both sub-commands, as `parseArgs` takes them (each checks which of them it was given). */
const OPTIONS = {
  key: { type: 'string', multiple: true },
  'log-id': { type: 'string' },
  'allow-unsigned-scope': { type: 'boolean' },
  'trust-database-keys': { type: 'boolean' },
  head: { type: 'string', multiple: true },
  history: { type: 'string' },
} as const;

async function verify(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs({ args: [...args], options: OPTIONS, allowPositionals: true }, USAGE, io);
  if (parsed === null) return AuditExit.USAGE;
  const { values, positionals } = parsed;
  if (values['trust-database-keys'] === true || values.head !== undefined)
    return usageError(io, USAGE, "--trust-database-keys and --head are verify-log's");
  if (values.history !== undefined) return usageError(io, USAGE, "--history is verify-consistency's");
  const logId = values['log-id'];
  if (logId !== undefined && !LOG_ID_PATTERN.test(logId))
    return usageError(io, USAGE, '--log-id is 32 lowercase hex characters');
  if (positionals.length > 1) return usageError(io, USAGE, `unexpected argument ${positionals[1]}`);
  const bundlePath = positionals[0];
  if (bundlePath === undefined) return usageError(io, USAGE, 'no bundle');
  const keyPaths = values.key ?? [];
  const allowUnsignedScope = values['allow-unsigned-scope'] === true;

  const trustedKeys = await loadKeys(io, keyPaths);
  if (typeof trustedKeys === 'number') return trustedKeys;
  let bundle: unknown;
  try {
    // Strict: a key held twice would show a reader one content while the verifier checks the other.
    bundle = parseStrictJson(await readFile(bundlePath, 'utf8'));
  } catch (err) {
    return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `${bundlePath}: ${(err as Error).message}`);
  }
  // Without --key the bundle's own keys are used; the printed keyId must then be compared out of band.
  // A legacy bundle's scope is unsigned: accepted only when asked, and then never reported complete.
  const result = verifyBundle(bundle, {
    ...(trustedKeys.length > 0 ? { trustedKeys } : {}),
    ...(logId === undefined ? {} : { logId }),
    allowUnsignedScope,
  });
  if (result.ok) {
    const { records, treeSize, rootHash, keyId, complete } = result;
    const { logId: bundleLogId, legacyHead, scopeKeyId } = result;
    io.stdout(
      JSON.stringify({
        ok: true,
        records,
        treeSize,
        rootHash,
        keyId,
        scopeKeyId,
        logId: bundleLogId,
        legacyHead,
        complete,
      }),
    );
    return AuditExit.OK;
  }
  const { code, message, firstBadRecord } = result.error;
  io.stdout(JSON.stringify({ ok: false, error: { code, message, firstBadRecord } }));
  return AuditExit.FAILED;
}

/** The public keys in the PEM files named, or the failure printed (exit code 1). */
async function loadKeys(io: CommandIo, paths: readonly string[]): Promise<PublicKeyInfo[] | number> {
  const keys: PublicKeyInfo[] = [];
  for (const path of paths) {
    try {
      keys.push(loadPublicKey(await readFile(path, 'utf8')));
    } catch (err) {
      return printFailure(io, AuditErrorCode.KEY_INVALID, `--key ${path}: ${(err as Error).message}`);
    }
  }
  return keys;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The signed head a kept file holds: a head itself (the topic's message), or under `treeHead` (API, bundle). */
function keptHeadOf(text: string): SignedTreeHead | null {
  const parsed = parseStrictJson(text);
  return signedTreeHeadOf(isObject(parsed) && isObject(parsed.treeHead) ? parsed.treeHead : parsed);
}

/** The heads in the files named, or the failure printed (exit code 1). */
async function loadHeads(io: CommandIo, paths: readonly string[]): Promise<SignedTreeHead[] | number> {
  const heads: SignedTreeHead[] = [];
  for (const path of paths) {
    let head: SignedTreeHead | null;
    try {
      head = keptHeadOf(await readFile(path, 'utf8'));
    } catch (err) {
      return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `--head ${path}: ${(err as Error).message}`);
    }
    if (head === null)
      return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `--head ${path}: not a signed tree head`);
    heads.push(head);
  }
  return heads;
}

async function verifyLog(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs({ args: [...args], options: OPTIONS, allowPositionals: true }, USAGE, io);
  if (parsed === null) return AuditExit.USAGE;
  const { values, positionals } = parsed;
  if (values.history !== undefined) return usageError(io, USAGE, "--history is verify-consistency's");
  if (positionals.length > 0 || values['allow-unsigned-scope'] === true || values['log-id'] !== undefined)
    return usageError(
      io,
      USAGE,
      `unexpected argument ${positionals[0] ?? (values['log-id'] === undefined ? '--allow-unsigned-scope' : "--log-id (verify-log checks the database's log id)")}`,
    );
  const keyPaths = values.key ?? [];
  const trustDatabase = values['trust-database-keys'] === true;
  if (keyPaths.length > 0 === trustDatabase)
    return usageError(io, USAGE, 'verify-log needs --key files, or --trust-database-keys (one of the two)');
  const keys = await loadKeys(io, keyPaths);
  if (typeof keys === 'number') return keys;
  const keptHeads = await loadHeads(io, values.head ?? []);
  if (typeof keptHeads === 'number') return keptHeads;
  try {
    const result = await withPool((pool) =>
      verifyStoredLog(pool, { ...(trustDatabase ? {} : { trustedKeys: keys, keyHistory: true }), keptHeads }),
    );
    const trustedKeys = trustDatabase ? 'database' : 'given';
    if (result.ok) {
      const { records, rootHash, treeHead, logId, legacyHeads, handedOverKeys } = result;
      const treeSize = treeHead?.treeSize ?? null;
      const kept = keptHeads.length;
      io.stdout(
        JSON.stringify({
          ok: true,
          records,
          rootHash,
          treeSize,
          logId,
          legacyHeads,
          trustedKeys,
          handedOverKeys,
          keptHeads: kept,
        }),
      );
      return AuditExit.OK;
    }
    // Every record whose evidence document is gone is listed, whichever problem failed the log; so is every
    // head that is no head of this log.
    const { error, missingEvidence, missingEvidenceCount, refusedHeads } = result;
    io.stdout(
      JSON.stringify({ ok: false, error, missingEvidence, missingEvidenceCount, refusedHeads, trustedKeys }),
    );
    return AuditExit.FAILED;
  } catch (err) {
    return commandFailed(io, err);
  }
}

/** Reads a JSON file, or prints why it cannot be read (exit code 1). */
async function readJson(io: CommandIo, what: string, path: string): Promise<unknown> {
  try {
    return parseStrictJson(await readFile(path, 'utf8'));
  } catch (err) {
    return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `${what} ${path}: ${(err as Error).message}`);
  }
}

async function verifyConsistencyCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    {
      args: [...args],
      options: { key: OPTIONS.key, 'log-id': OPTIONS['log-id'], history: OPTIONS.history },
      allowPositionals: true,
    },
    USAGE,
    io,
  );
  if (parsed === null) return AuditExit.USAGE;
  const { values, positionals } = parsed;
  const [keptPath, proofPath, extra] = positionals;
  if (keptPath === undefined || proofPath === undefined || extra !== undefined)
    return usageError(io, USAGE, 'verify-consistency takes the kept head and the proof');
  // The heads carry no keys: trust comes only from keys the auditor holds.
  if (values.key === undefined) return usageError(io, USAGE, 'verify-consistency needs --key files');
  const keys = await loadKeys(io, values.key);
  if (typeof keys === 'number') return keys;
  const keptText = await readJson(io, 'kept head', keptPath);
  if (typeof keptText === 'number') return keptText;
  const kept = keptHeadOf(JSON.stringify(keptText));
  const proofDoc = await readJson(io, 'proof', proofPath);
  if (typeof proofDoc === 'number') return proofDoc;
  const later = isObject(proofDoc) ? keptHeadOf(JSON.stringify(proofDoc.treeHead2 ?? null)) : null;
  const hashes = isObject(proofDoc) && Array.isArray(proofDoc.proof) ? proofDoc.proof : null;
  if (kept === null)
    return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `${keptPath}: not a signed tree head`);
  if (later === null || hashes === null || !isObject(proofDoc))
    return printFailure(
      io,
      AuditErrorCode.BUNDLE_MALFORMED,
      `${proofPath}: not a consistency proof with the later signed head (treeHead2) and its proof`,
    );
  // The log's older keys, as a v3 bundle signed by a --key lists them: --history, the kept file, or the proof's.
  const found = await consistencyHistory(
    { historyPath: values.history, keptPath, kept: keptText, proof: proofDoc },
    keys,
  );
  const history = found?.keys ?? null;
  if (history?.ok === false) return printFailure(io, history.code, history.message);
  const handed = history?.handed ?? [];
  for (const head of [kept, later]) {
    const key = keyForHead(head, keys, handed);
    const check = key === null ? null : verifyTreeHead(head, [key]);
    if (check === null)
      return printFailure(
        io,
        AuditErrorCode.UNKNOWN_KEY,
        `the head of size ${head.treeSize} is signed by key ${head.keyId}, which is not a --key${found === null ? ' (the proof carries no key history: give --history BUNDLE for the key history of a rotation)' : ` nor an older key ${found.source} lists at that size`}`,
      );
    if (!check.ok)
      return printFailure(
        io,
        AuditErrorCode.BAD_SIGNATURE,
        `the head of size ${head.treeSize} has a bad signature`,
      );
  }
  // Two heads of one log name the same log (a legacy head names none); --log-id names the one it must be.
  const historyLog = history?.ok === true ? history.logId : undefined;
  const logIds = new Set(
    [kept.logId, later.logId, values['log-id'], historyLog].filter((id) => id !== undefined),
  );
  if (logIds.size > 1)
    return printFailure(
      io,
      AuditErrorCode.WRONG_LOG,
      `the heads are of different logs (${[...logIds].join(', ')}): the later head is not this log's`,
    );
  if (values['log-id'] !== undefined && kept.logId === undefined && later.logId === undefined)
    return printFailure(
      io,
      AuditErrorCode.LEGACY_HEAD,
      `both heads are of the legacy format, which names no log: they cannot be shown to be of log ${values['log-id']}`,
    );
  if (proofDoc.size1 !== kept.treeSize || proofDoc.size2 !== later.treeSize)
    return printFailure(
      io,
      AuditErrorCode.BUNDLE_MALFORMED,
      `the proof is from size ${String(proofDoc.size1)} to ${String(proofDoc.size2)}, not from the kept head's ${kept.treeSize} to ${later.treeSize}`,
    );
  const proof = hashes.map((h) => (typeof h === 'string' ? fromHex(h) : null));
  const extends_ =
    proof.every((h) => h !== null) &&
    verifyConsistency(
      kept.treeSize,
      later.treeSize,
      Buffer.from(kept.rootHash, 'hex'),
      Buffer.from(later.rootHash, 'hex'),
      proof,
    );
  if (!extends_)
    return printFailure(
      io,
      AuditErrorCode.BAD_PROOF,
      `the head of size ${later.treeSize} does not extend the kept head of size ${kept.treeSize}: the log was cut back or rewritten since`,
    );
  const { treeSize: toSize, rootHash, keyId } = later;
  const logId = later.logId ?? kept.logId ?? null;
  const legacyHeads = [kept, later].filter((h) => h.logId === undefined).length;
  io.stdout(
    JSON.stringify({ ok: true, fromSize: kept.treeSize, toSize, rootHash, keyId, logId, legacyHeads }),
  );
  return AuditExit.OK;
}

/**
 * `modctl audit verify BUNDLE [--key PEMFILE]... [--allow-unsigned-scope]`: checks an export bundle offline
 * (no database, no network) and prints one JSON line. `--key` (repeatable, for key rotation) names the public
 * keys to trust. A bundle's scope (which records it claims to hold) is signed; a legacy bundle without that
 * signature fails, unless `--allow-unsigned-scope`, which reports its records proven but `complete: false`.
 * `modctl audit verify-log`: the stored log as a whole (`verifyStoredLog` of `@mod/db`), against given keys and
 * the signed heads the auditor kept (`--head`). `modctl audit verify-consistency`: a later signed head extends a
 * kept one (RFC 9162 consistency proof, offline).
 */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify an audit export bundle or a consistency proof offline, or the stored log in the database',
  usage: USAGE,
  run: async (argv, io) => {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest, io);
    if (sub === 'verify-log') return verifyLog(rest, io);
    if (sub === 'verify-consistency') return verifyConsistencyCommand(rest, io);
    if (sub === 'erase-text') return eraseText(rest, io);
    if (sub === 'erase-expired-texts') return eraseExpiredTexts(rest, io);
    return unknownSubcommand(io, USAGE, sub);
  },
};
