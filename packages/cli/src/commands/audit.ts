import { readFile } from 'node:fs/promises';
import { AuditErrorCode, loadPublicKey, verifyBundle } from '@mod/audit';
import type { PublicKeyInfo } from '@mod/audit';
import { unknownSubcommand, usageError, type Command, type CommandIo } from '../command.js';

const USAGE = [
  'usage: modctl audit verify BUNDLE [--key PUBLIC_KEY_PEM]... [--allow-unsigned-scope]',
  'checks an audit export bundle offline (no database, no network) and prints one JSON line. --key (repeatable,',
  "for key rotation) names the public keys to trust; without it the bundle's own keys are used (compare the",
  'printed keyId out of band). --allow-unsigned-scope accepts a legacy bundle, reported complete: false.',
  'exit codes: 0 verified; 1 verification failed or unreadable input; 2 usage',
].join('\n');

/** Exit codes: 0 verified, 1 verification failed (or unreadable input), 2 usage error. */
export const AuditExit = { OK: 0, FAILED: 1, USAGE: 2 } as const;

function printFailure(io: CommandIo, code: string, message: string): number {
  io.stdout(JSON.stringify({ ok: false, error: { code, message, firstBadRecord: null } }));
  return AuditExit.FAILED;
}

async function verify(args: readonly string[], io: CommandIo): Promise<number> {
  let bundlePath: string | undefined;
  let allowUnsignedScope = false;
  const keyPaths: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--allow-unsigned-scope') allowUnsignedScope = true;
    else if (arg === '--key') {
      const path = args[++i];
      if (path === undefined) return usageError(io, USAGE, '--key needs a file');
      keyPaths.push(path);
    } else if (arg !== undefined && !arg.startsWith('--') && bundlePath === undefined) {
      bundlePath = arg;
    } else return usageError(io, USAGE, `unexpected argument ${arg}`);
  }
  if (bundlePath === undefined) return usageError(io, USAGE, 'no bundle');

  const trustedKeys: PublicKeyInfo[] = [];
  for (const path of keyPaths) {
    try {
      trustedKeys.push(loadPublicKey(await readFile(path, 'utf8')));
    } catch (err) {
      return printFailure(io, AuditErrorCode.KEY_INVALID, `--key ${path}: ${(err as Error).message}`);
    }
  }
  let bundle: unknown;
  try {
    bundle = JSON.parse(await readFile(bundlePath, 'utf8'));
  } catch (err) {
    return printFailure(io, AuditErrorCode.BUNDLE_MALFORMED, `${bundlePath}: ${(err as Error).message}`);
  }
  // Without --key the bundle's own keys are used; the printed keyId must then be compared out of band.
  // A legacy bundle's scope is unsigned: accepted only when asked, and then never reported complete.
  const result = verifyBundle(bundle, {
    ...(trustedKeys.length > 0 ? { trustedKeys } : {}),
    allowUnsignedScope,
  });
  if (result.ok) {
    const { records, treeSize, rootHash, keyId, complete } = result;
    io.stdout(JSON.stringify({ ok: true, records, treeSize, rootHash, keyId, complete }));
    return AuditExit.OK;
  }
  const { code, message, firstBadRecord } = result.error;
  io.stdout(JSON.stringify({ ok: false, error: { code, message, firstBadRecord } }));
  return AuditExit.FAILED;
}

/**
 * `modctl audit verify BUNDLE [--key PEMFILE]... [--allow-unsigned-scope]`: checks an export bundle offline
 * (no database, no network) and prints one JSON line. `--key` (repeatable, for key rotation) names the public
 * keys to trust. A bundle's scope (which records it claims to hold) is signed; a legacy bundle without that
 * signature fails, unless `--allow-unsigned-scope`, which reports its records proven but `complete: false`.
 */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'verify an audit export bundle offline (no database, no network)',
  usage: USAGE,
  run: async (argv, io) => {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest, io);
    return unknownSubcommand(io, USAGE, sub);
  },
};
