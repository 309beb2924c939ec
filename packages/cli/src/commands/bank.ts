import { open, rm, type FileHandle } from 'node:fs/promises';
import { createBank, findBank, importBankList, isBankName, type Curator } from '@mod/curation';
import type { PoolClient } from '@mod/db';
import { appendAudit, appendAuditAlone } from '@mod/db/audit';
import { exportBankEntries } from '@mod/db/banks';
import { stringOptions, subcommandCommand, type Command } from '../command.js';
import { CliError, CliErrorCode } from '../errors.js';
import { importListFile, LIST_IMPORT_OPTIONS } from '../progress.js';
import { badListText, invalidValue, isOneOf, NAME_RULE, operator, withDatabase } from './curator.js';

const USAGE = [
  'usage: modctl bank import --bank NAME --format csv|tsv|jsonl [--strict] [--mode replace|append] [--force]',
  '                          [--progress] FILE',
  '       modctl bank export --bank NAME --format csv|tsv|jsonl [--out FILE]',
  '       modctl bank create --name NAME --source SOURCE --signals pdq,md5,... [--policy automatic|review]',
  '                          [--negative] [--licence L] [--list-version V] [--category-scheme S]',
  'environment: DATABASE_URL, DATABASE_SCHEMA, TOPIC_PREFIX; MODCTL_ACTOR (who the audit log names; default',
  '             the OS user)',
  'import reports each bad line on stderr as JSON ({"line":N,"error":{...}}); with --progress, or when stderr is',
  'a terminal, also its progress every 2 s and a summary ({"progress":{"phase":...,"lines":N,...}}). A replace',
  'with more bad lines than good ones changes nothing unless --force (MOD_ERR_CURATION_MOSTLY_BAD_LINES).',
  'export --out makes a new file only the operator may read (0600); one that exists is refused',
  '(MOD_ERR_CLI_OUTPUT_EXISTS).',
  'exit codes: 0 done; 1 failed (nothing changed); 2 usage; 3 imported, with bad lines skipped (listed on stderr)',
].join('\n');

const FORMATS = ['csv', 'tsv', 'jsonl'] as const;
const SIGNALS = ['pdq', 'blockhash', 'md5', 'sha1', 'sha256'] as const;

/** The audit record of a change of bank `bankId`, in the change's transaction, naming the operator. */
async function auditBankChange(
  c: PoolClient,
  by: Curator,
  action: 'bank.imported' | 'bank.created',
  bankId: string,
  evidence: Record<string, unknown>,
): Promise<void> {
  await appendAudit(c, { ...by, action, subject: { type: 'bank', id: bankId }, evidence });
}

/**
 * A new file at `path` that only the operator may read (0600), opened for writing. Never one that exists: a file
 * (or symlink) another local user left there, writable by them or pointing at theirs, would hand them the licensed
 * list (or have it overwrite something else).
 */
async function newPrivateFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw new CliError(CliErrorCode.OutputExists, `${path} exists: an export writes only a new file`);
    throw err;
  }
}

/**
 * `modctl bank ...`: curators' bank operations. Import streams the file (any size, bounded memory), reports every
 * bad line on stderr as JSON with its line number and code, and prints the diff on stdout. Changes reach every
 * running scanner through the bank-changes topic.
 */
export const bankCommand: Command = subcommandCommand({
  name: 'bank',
  summary: 'import, export and create hash banks',
  usage: USAGE,
  positionals: true,
  options: {
    // import and export
    ...stringOptions('bank', 'format', 'out'),
    // create
    ...stringOptions('name', 'source', 'signals', 'licence', 'list-version', 'category-scheme'),
    ...LIST_IMPORT_OPTIONS,
    policy: { type: 'string', default: 'review' },
    negative: { type: 'boolean', default: false },
  },
  handlers: {
    import: async ({ values: v, positionals, io, usage, print }) => {
      const by = operator();
      const file = positionals[0];
      if (!v.bank || !isOneOf(FORMATS, v.format) || !file || !isOneOf(['replace', 'append'] as const, v.mode))
        return usage();
      const { bank, format, mode } = { bank: v.bank, format: v.format, mode: v.mode };
      const report = await withDatabase('bankChanges', async (pool, changesTopic) => {
        const found = await findBank(pool, bank);
        return importListFile(io, file, { ...v, mode }, by, (common) =>
          importBankList(pool, {
            bankId: found.id,
            format,
            ...common,
            changesTopic,
            onLineError: (e) =>
              io.stderr(JSON.stringify({ line: e.lineNumber, error: { code: e.code, message: e.message } })),
            inTransaction: (c, r) =>
              auditBankChange(c, by, 'bank.imported', found.id, {
                added: r.added,
                removed: r.removed,
                unchanged: r.unchanged,
                badLines: r.badLines,
              }),
          }),
        );
      });
      return print(report, report.badLines > 0 ? 3 : 0);
    },
    export: async ({ values: v, usage }) => {
      if (!v.bank || !isOneOf(FORMATS, v.format)) return usage();
      const { bank, format } = { bank: v.bank, format: v.format };
      const { out } = v;
      const by = operator();
      await withDatabase('bankChanges', async (pool) => {
        const found = await findBank(pool, bank);
        const file = out === undefined ? null : await newPrivateFile(out);
        try {
          // On record before a line is written, as the API's exports (the list leaves the system).
          await appendAuditAlone(pool, {
            ...by,
            action: 'bank.exported',
            subject: { type: 'bank', id: found.id },
            evidence: { format, to: file === null ? 'stdout' : 'file' },
          });
          if (file === null) return await exportBankEntries(pool, found.id, format, process.stdout);
          const stream = file.createWriteStream();
          await exportBankEntries(pool, found.id, format, stream);
          await new Promise<void>((resolve, reject) => {
            stream.on('error', reject);
            stream.end(resolve);
          });
        } catch (err) {
          // Nothing of the list is left behind by an export that failed.
          if (file !== null && out !== undefined) {
            await file.close().catch(() => undefined);
            await rm(out, { force: true });
          }
          throw err;
        }
      });
      return 0;
    },
    create: async ({ values: v, usage, invalid, print }) => {
      const by = operator();
      const signals = (v.signals ?? '').split(',').filter((s) => s !== '');
      if (
        !v.name ||
        !v.source ||
        signals.length === 0 ||
        !signals.every((s) => isOneOf(SIGNALS, s)) ||
        !isOneOf(['automatic', 'review'] as const, v.policy)
      )
        return usage();
      const { name, source, policy } = { name: v.name, source: v.source, policy: v.policy };
      if (!isBankName(name)) return invalid(invalidValue(NAME_RULE));
      const badText = badListText([
        ['--source', source, 200],
        ['--licence', v.licence, 200],
        ['--list-version', v['list-version'], 100],
        ['--category-scheme', v['category-scheme'], 100],
      ]);
      if (badText !== null) return invalid(badText);
      const { bank } = await withDatabase('bankChanges', (pool, changesTopic) =>
        createBank(
          pool,
          {
            name,
            source,
            signalTypes: signals.filter((s) => isOneOf(SIGNALS, s)),
            actionPolicy: policy,
            negative: v.negative,
            licence: v.licence ?? null,
            version: v['list-version'] ?? null,
            categoryScheme: v['category-scheme'] ?? null,
          },
          changesTopic,
          {
            inTransaction: (c, created) =>
              auditBankChange(c, by, 'bank.created', created.id, {
                name: created.name,
                actionPolicy: created.actionPolicy,
                negative: created.negative,
              }),
          },
        ),
      );
      return print(bank);
    },
  },
});
