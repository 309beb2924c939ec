import { eraseAuditText } from '@mod/db/audit';
import { commandFailed, parseCommandArgs, stringOptions, usageError, type CommandIo } from '../command.js';
import { operator, withPool } from './curator.js';

const ERASE_USAGE = [
  'usage: modctl audit erase-text --seq SEQ --field reason [--reason WHY]',
  'erase-text erases the free text FIELD of audit record SEQ in the database of DATABASE_URL (DATABASE_SCHEMA): its',
  'text and salt are removed, the record (which holds only their commitment) and the log still verify, and an',
  'audit.text_erased record names who (MODCTL_ACTOR, else the OS user, as admin), the record, the field and WHY.',
  'A text erased before is reported (alreadyErased: true), nothing done again. A legacy record (its text inside',
  'the log) or no such record: MOD_ERR_AUDIT_LOG_NOT_ERASABLE, exit 1. A text a legal hold keeps (its record is',
  'about a held report or evidence item, or their cases, submissions, orders): MOD_ERR_AUDIT_LOG_TEXT_HELD, exit 1,',
  'nothing erased; release the hold first.',
].join('\n');

/** `modctl audit erase-text`: `eraseAuditText` of `@mod/db`, as the operator running modctl (admin). */
export async function eraseText(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(
    { args: [...args], options: stringOptions('seq', 'field', 'reason'), allowPositionals: false },
    ERASE_USAGE,
    io,
  );
  if (parsed === null) return 2;
  const { seq, field, reason } = parsed.values;
  if (seq === undefined || !/^\d{1,15}$/.test(seq) || field === undefined)
    return usageError(io, ERASE_USAGE, 'erase-text needs --seq (a record seq) and --field');
  try {
    const by = operator('admin');
    const done = await withPool((pool) =>
      eraseAuditText(pool, {
        seq: Number(seq),
        field,
        actor: by.actor,
        role: by.role,
        reason: reason ?? null,
      }),
    );
    io.stdout(
      JSON.stringify({
        ok: true,
        seq: done.seq,
        field: done.field,
        erasedAt: done.erasedAt,
        erasureSeq: done.record?.seq ?? null,
        alreadyErased: done.record === null,
      }),
    );
    return 0;
  } catch (err) {
    return commandFailed(io, err);
  }
}
