import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { withTransaction, type Pool } from '@mod/db';
import { appendAudit } from '@mod/db/audit';
import {
  importUrlListEntries,
  type StagedUrlEntry,
  type UrlListEntryKind,
  type UrlListImportDiff,
} from '@mod/db/url-lists';
import { splitLines, type BankListInput } from '@mod/matcher';
import { canonicalPatternKey } from '@mod/urls';
import { checkListImport, CurationError, CurationErrorCode } from './errors.js';
import type { ImportProgress } from './import.js';
import { validateUrlListEntry, type EntryError } from './url-list-entry.js';
import { auditOf, findUrlList, type Curator } from './url-lists.js';

/** Longest line of an imported list (URLs are capped at 8,192 characters; JSON adds a little). */
export const MAX_URL_LIST_LINE_BYTES = 16 * 1024;

/** Import file formats: one pattern per line (IWF style), or one JSON entry per line. */
export const UrlListFormats = ['txt', 'jsonl'] as const;
export type UrlListFormat = (typeof UrlListFormats)[number];

export interface UrlListImportRequest {
  bankId: string;
  format: UrlListFormat;
  input: BankListInput;
  /** txt: the kind, flags and category of every line. Default `url`, not dedicated, blocked, no category. */
  defaults?: {
    kind?: UrlListEntryKind;
    dedicatedToAbuse?: boolean;
    block?: boolean;
    category?: string | null;
  };
  /** replace (default): the file is the whole list; append: only add (and update flags). */
  mode?: 'replace' | 'append';
  /** Reject the whole file when any line is bad (nothing is written). Default false. */
  strict?: boolean;
  /** Replace even when most lines are bad (refused otherwise: `MOD_ERR_CURATION_MOSTLY_BAD_LINES`). */
  force?: boolean;
  changesTopic: string;
  provenance: string;
  by: Curator;
  /** Called for every bad line as soon as it is found (a 10M-line report needs no memory). */
  onLineError?: (e: EntryError) => void;
  /** Called with the counts every {@link PROGRESS_EVERY_LINES} lines read, then once with phase `applying`. */
  onProgress?: (p: ImportProgress) => void;
  /** Changed entries above which fetchers reload instead of receiving one message per entry. Default 10000. */
  bulkThreshold?: number;
  /** Preview: everything is checked and counted as for the import, then rolled back; nothing changes, no audit. */
  dryRun?: boolean;
}

export interface UrlListImportReport extends Omit<UrlListImportDiff, 'addedIds' | 'removedIds'> {
  bankId: string;
  /** Non-blank, non-comment lines read. */
  lines: number;
  badLines: number;
  /** SHA-256 of the file as received (recorded in the audit log). */
  sha256: string;
}

/** Up to this many changed ids are listed in an import's audit record. */
const AUDITED_IDS_MAX = 1000;

/** How often (in lines read) an import reports its progress: rarely enough to cost nothing per line. */
const PROGRESS_EVERY_LINES = 1000;

/** Lines of a txt list that are not entries: blank, or a comment. */
const SKIP = /^\s*(#.*)?$/;

/**
 * Imports a URL list file into a bank: streams it line by line (bounded memory), validates and normalises
 * each line (bad lines reported with their number and code), bulk-loads with COPY in one transaction, returns
 * the diff and audits the import (counts and the file's SHA-256). A strict import with bad lines, or a replace
 * import without one valid line (or, unless forced, with more bad lines than good ones), writes nothing.
 */
export async function importUrlList(pool: Pool, req: UrlListImportRequest): Promise<UrlListImportReport> {
  await findUrlList(pool, { id: req.bankId });
  const hash = createHash('sha256');
  const input = hashing(req.input, hash);
  let lines = 0;
  let badLines = 0;
  const fail = (lineNumber: number, code: string, message: string) => {
    badLines++;
    req.onLineError?.({ index: lineNumber, code, message });
  };
  const defaults = req.defaults ?? {};
  let nextProgress = PROGRESS_EVERY_LINES;
  async function* good(): AsyncGenerator<StagedUrlEntry> {
    for await (const raw of splitLines(input, MAX_URL_LIST_LINE_BYTES)) {
      if (lines >= nextProgress) {
        nextProgress = lines + PROGRESS_EVERY_LINES;
        req.onProgress?.({ phase: 'reading', lines, badLines });
      }
      if ('tooLongBytes' in raw) {
        lines++;
        fail(
          raw.lineNumber,
          CurationErrorCode.UrlLineTooLong,
          `line longer than ${MAX_URL_LIST_LINE_BYTES} bytes`,
        );
        continue;
      }
      if ('badEncoding' in raw) {
        lines++;
        fail(raw.lineNumber, CurationErrorCode.UrlLineEncoding, 'line is not valid UTF-8');
        continue;
      }
      if (SKIP.test(raw.text)) continue;
      lines++;
      let candidate: unknown;
      if (req.format === 'txt') {
        candidate = {
          kind: defaults.kind ?? 'url',
          pattern: raw.text.trim(),
          dedicatedToAbuse: defaults.dedicatedToAbuse ?? false,
          block: defaults.block ?? true,
          category: defaults.category ?? null,
        };
      } else {
        try {
          candidate = JSON.parse(raw.text);
        } catch {
          fail(raw.lineNumber, CurationErrorCode.UrlLineJson, 'line is not JSON');
          continue;
        }
      }
      const v = validateUrlListEntry(candidate);
      if (!v.ok) {
        fail(raw.lineNumber, v.code, v.message);
        continue;
      }
      yield { lineNumber: raw.lineNumber, ...v.entry, provenance: req.provenance };
    }
  }
  const diff = await importUrlListEntries(pool, good(), {
    bankId: req.bankId,
    mode: req.mode ?? 'replace',
    changesTopic: req.changesTopic,
    ...(req.bulkThreshold === undefined ? {} : { bulkThreshold: req.bulkThreshold }),
    dryRun: req.dryRun === true,
    keyNow: (kind, pattern) => canonicalPatternKey(kind as UrlListEntryKind, pattern),
    beforeApply: () => {
      checkListImport('list', req, { lines, badLines });
      req.onProgress?.({ phase: 'applying', lines, badLines });
    },
  });
  const sha256 = hash.digest('hex');
  const { addedIds: _added, removedIds: _removed, ...counts } = diff;
  const report: UrlListImportReport = { bankId: req.bankId, lines, badLines, sha256, ...counts };
  if (req.dryRun === true) return report;
  await withTransaction(pool, (c) =>
    appendAudit(
      c,
      auditOf(req.by, {
        action: 'url_list.imported',
        subject: { type: 'bank', id: req.bankId },
        reason: req.provenance,
        evidence: {
          fileSha256: sha256,
          mode: req.mode ?? 'replace',
          lines,
          badLines,
          added: diff.added,
          updated: diff.updated,
          removed: diff.removed,
          unchanged: diff.unchanged,
          duplicates: diff.duplicates,
          resync: diff.resync,
          // The ids of a small import; a large one is identified by the file digest (rows carry provenance).
          ...(diff.addedIds.length + diff.removedIds.length > AUDITED_IDS_MAX
            ? {}
            : { addedIds: diff.addedIds, removedIds: diff.removedIds }),
        },
      }),
    ),
  );
  return report;
}

/**
 * Passes the input through, feeding every byte to `hash`. Chunks of a stream become bytes; strings of a plain
 * iterable stay strings (the line splitter reads those as whole lines), hashed with the newline they stand for.
 */
async function* hashing(
  input: BankListInput,
  hash: ReturnType<typeof createHash>,
): AsyncGenerator<string | Uint8Array> {
  const isStream = input instanceof Readable;
  for await (const chunk of input as AsyncIterable<unknown>) {
    if (typeof chunk === 'string' && !isStream) {
      hash.update(chunk.endsWith('\n') ? chunk : `${chunk}\n`, 'utf8');
      yield chunk;
      continue;
    }
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk instanceof Uint8Array ? chunk : null;
    if (bytes === null)
      throw new CurationError(CurationErrorCode.UrlLineEncoding, 'list chunks must be strings or bytes');
    hash.update(bytes);
    yield bytes;
  }
}
