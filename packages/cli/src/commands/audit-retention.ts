import { env, loadConfig } from '@mod/config';
import {
  AUDIT_TEXT_RETENTION_DEFAULT_DAYS,
  countExpiredAuditTexts,
  eraseExpiredAuditTexts,
  retentionCutoff,
} from '@mod/db/audit';
import {
  commandFailed,
  parseCommandArgs,
  positiveInt,
  stringOptions,
  usageError,
  type CommandIo,
} from '../command.js';
import { operator, withPool } from './curator.js';

/** What `modctl audit erase-expired-texts` does (also in `modctl audit --help`). */
export const EXPIRED_HELP = [
  'erase-expired-texts erases the free texts (reasons) of audit records appended more than N days ago (--days, else',
  `AUDIT_TEXT_RETENTION_DAYS, else ${AUDIT_TEXT_RETENTION_DEFAULT_DAYS}) in the database of DATABASE_URL (DATABASE_SCHEMA), as the API's`,
  'retention pass does: --batch texts per transaction (default 200), at most --max-batches of them (default 20;',
  'more: true says some are still due), each with an audit.text_erased record naming who (MODCTL_ACTOR, else the OS',
  "user, as admin) and the record, so the log still verifies. Texts of records a legal hold keeps (a held report's or",
  "evidence item's, their cases', submissions' and orders') are kept and counted (held). One runner at a time: while",
  'an API replica runs the pass, nothing is done (skipped: true). --dry-run only counts (due, held), erasing nothing.',
];

const EXPIRED_USAGE = [
  'usage: modctl audit erase-expired-texts [--days N] [--batch N] [--max-batches N] [--dry-run]',
  ...EXPIRED_HELP,
  'exit codes: 0 done (or counted); 1 database error; 2 usage',
].join('\n');

/** `AUDIT_TEXT_RETENTION_DAYS` as modctl reads it when `--days` is not given (the API's setting, 0 meaning off). */
const retentionSpec = {
  AUDIT_TEXT_RETENTION_DAYS: env.integer({
    default: AUDIT_TEXT_RETENTION_DEFAULT_DAYS,
    min: 0,
    max: 36_500,
    doc: "the API's audit text retention, days (0: off)",
  }),
} as const;

/** `modctl audit erase-expired-texts`: `eraseExpiredAuditTexts` of `@mod/db`, as the operator (admin). */
export async function eraseExpiredTexts(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    {
      args: [...args],
      options: { ...stringOptions('days', 'batch', 'max-batches'), 'dry-run': { type: 'boolean' } },
      allowPositionals: false,
    },
    EXPIRED_USAGE,
    io,
  );
  if (parsed === null) return 2;
  const { values } = parsed;
  const batchSize = positiveInt(values.batch, 200);
  const maxBatches = positiveInt(values['max-batches'], 20);
  if (batchSize === null || batchSize > 10_000 || maxBatches === null)
    return usageError(io, EXPIRED_USAGE, '--batch (1 to 10000) and --max-batches must be positive integers');
  try {
    const days = values.days ?? String(loadConfig(retentionSpec, process.env).AUDIT_TEXT_RETENTION_DAYS);
    const retentionDays = positiveInt(days, 0);
    if (retentionDays === null || retentionDays === 0 || retentionDays > 36_500)
      return usageError(
        io,
        EXPIRED_USAGE,
        `--days must be 1 to 36500 (AUDIT_TEXT_RETENTION_DAYS 0: retention off)`,
      );
    const before = retentionCutoff(new Date(), retentionDays);
    const scope = { retentionDays, before: before.toISOString() };
    if (values['dry-run'] === true) {
      const counts = await withPool((pool) => countExpiredAuditTexts(pool, before));
      io.stdout(JSON.stringify({ ok: true, dryRun: true, ...scope, ...counts }));
      return 0;
    }
    const by = operator('admin');
    const done = await withPool(async (pool) => ({
      ...(await eraseExpiredAuditTexts(pool, {
        before,
        retentionDays,
        batchSize,
        maxBatches,
        actor: by.actor,
        role: by.role,
      })),
      held: (await countExpiredAuditTexts(pool, before)).held,
    }));
    io.stdout(JSON.stringify({ ok: true, dryRun: false, ...scope, ...done }));
    return 0;
  } catch (err) {
    return commandFailed(io, err);
  }
}
