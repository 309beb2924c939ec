import {
  addUrlListPatterns,
  createUrlList,
  findUrlList,
  importUrlList,
  isBankName,
  removeUrlListPatterns,
  updateUrlListSettings,
  UrlListFormats,
  type EntryError,
  type UrlListRemoval,
} from '@mod/curation';
import { appendAuditAlone } from '@mod/db/audit';
import { listUrlListEntries, UrlListEntryKinds } from '@mod/db/url-lists';
import { printPages, stringOptions, subcommandCommand, type Command, type CommandIo } from '../command.js';
import { importListFile, LIST_IMPORT_OPTIONS } from '../progress.js';
import { badListText, invalidValue, isOneOf, NAME_RULE, operator, withDatabase } from './curator.js';

const USAGE = [
  'usage: modctl url-list create --name NAME --source SOURCE [--policy automatic|review]',
  '                              [--negative true|false] [--licence L] [--list-version V]',
  '       modctl url-list add --list NAME --kind url|prefix|host|domain [--dedicated] [--no-block]',
  '                           [--category C] [--note N] PATTERN...',
  '       modctl url-list remove --list NAME --reason TEXT (--kind KIND PATTERN... | --id ID ...)',
  '       modctl url-list list --list NAME [--kind KIND] [--removed] [--limit N] [--after ID]',
  '       modctl url-list import --list NAME --format txt|jsonl [--mode replace|append] [--strict] [--force]',
  '                              [--kind KIND] [--dedicated] [--no-block] [--category C] [--progress] FILE',
  '       modctl url-list settings --list NAME [--enabled true|false] [--negative true|false]',
  '                                [--policy automatic|review]',
  'environment: DATABASE_URL, DATABASE_SCHEMA, TOPIC_PREFIX; MODCTL_ACTOR (who the audit log names; default',
  '             the OS user)',
  'Refused entries and lines are reported on stderr as JSON ({"index":N,...} or {"line":N,...}); import with',
  '--progress, or when stderr is a terminal, also reports its progress every 2 s and a summary',
  '({"progress":{"phase":...,"lines":N,...}}).',
  'exit codes: 0 done; 1 failed (nothing changed); 2 usage; 3 done, with bad entries or lines skipped (listed',
  '            on stderr)',
].join('\n');

const BOOLEAN_WORDS = { true: true, false: false } as const;

/** How an added, unchanged or removed entry is printed. */
const entryRef = (e: { id: string; kind: string; canonicalKey: string }) => ({
  id: e.id,
  kind: e.kind,
  canonicalKey: e.canonicalKey,
});

/** One refused entry (by position among the arguments, from 0) or line (by number, from 1), on stderr. */
const reportError = (io: CommandIo, where: 'index' | 'line', e: EntryError) =>
  io.stderr(JSON.stringify({ [where]: e.index, error: { code: e.code, message: e.message } }));

/**
 * `modctl url-list ...`: curators' URL-list operations (banks of exact-URL, prefix, host and domain entries).
 * Patterns are normalised with the project's URL normaliser; every refused entry or line is reported on stderr
 * as JSON with its position (or line number) and code. Changes reach running fetchers and the ISP feeds through
 * the URL-list changes topic, and are audited in the same transaction.
 */
export const urlListCommand: Command = subcommandCommand({
  name: 'url-list',
  summary: 'create URL lists; add, remove, list and import their entries',
  usage: USAGE,
  positionals: true,
  options: {
    // the list and its settings
    ...stringOptions('list', 'name', 'source', 'policy', 'negative', 'licence', 'list-version', 'enabled'),
    // its entries
    ...stringOptions('kind', 'category', 'note', 'reason', 'limit', 'after', 'format'),
    dedicated: { type: 'boolean', default: false },
    'no-block': { type: 'boolean', default: false },
    id: { type: 'string', multiple: true },
    removed: { type: 'boolean', default: false },
    ...LIST_IMPORT_OPTIONS,
  },
  handlers: {
    create: async ({ values: v, usage, invalid, print }) => {
      const by = operator();
      const negative = v.negative === undefined ? false : BOOLEAN_WORDS[v.negative as 'true' | 'false'];
      const policy = v.policy ?? 'review';
      if (!v.name || !v.source || !isOneOf(['automatic', 'review'] as const, policy)) return usage();
      if (v.negative !== undefined && !isOneOf(['true', 'false'] as const, v.negative)) return usage();
      const { name, source } = { name: v.name, source: v.source };
      if (!isBankName(name)) return invalid(invalidValue(NAME_RULE));
      const badText = badListText([
        ['--source', source, 200],
        ['--licence', v.licence, 200],
        ['--list-version', v['list-version'], 100],
      ]);
      if (badText !== null) return invalid(badText);
      const result = await withDatabase('urlListChanges', (pool, topic) =>
        createUrlList(
          pool,
          {
            name,
            source,
            actionPolicy: policy,
            negative,
            licence: v.licence ?? null,
            version: v['list-version'] ?? null,
          },
          topic,
          by,
        ),
      );
      return print(result);
    },
    add: async ({ values: v, positionals, io, usage, print }) => {
      const by = operator();
      if (!v.list || !isOneOf(UrlListEntryKinds, v.kind) || positionals.length === 0) return usage();
      const { list, kind } = { list: v.list, kind: v.kind };
      const report = await withDatabase('urlListChanges', async (pool, topic) => {
        const bank = await findUrlList(pool, { name: list });
        return addUrlListPatterns(pool, {
          bankId: bank.id,
          entries: positionals.map((pattern) => ({
            kind,
            pattern,
            dedicatedToAbuse: v.dedicated,
            block: !v['no-block'],
            ...(v.category === undefined ? {} : { category: v.category }),
            ...(v.note === undefined ? {} : { note: v.note }),
          })),
          changesTopic: topic,
          provenance: `modctl add by ${by.actor.id}`,
          by,
        });
      });
      for (const e of report.errors) reportError(io, 'index', e);
      return print(
        {
          added: report.added.map(entryRef),
          unchanged: report.unchanged.map(entryRef),
          errors: report.errors.length,
        },
        report.errors.length > 0 ? 3 : 0,
      );
    },
    remove: async ({ values: v, positionals, io, usage, print }) => {
      const by = operator();
      const ids = v.id ?? [];
      if (!v.list || !v.reason) return usage();
      const byPattern = v.kind !== undefined;
      if (byPattern && (!isOneOf(UrlListEntryKinds, v.kind) || positionals.length === 0 || ids.length > 0))
        return usage();
      if (!byPattern && (ids.length === 0 || positionals.length > 0)) return usage();
      const kind = v.kind;
      const removals: UrlListRemoval[] = byPattern
        ? positionals.map((pattern) => ({ kind: kind as (typeof UrlListEntryKinds)[number], pattern }))
        : ids.map((id) => ({ id }));
      const { list, reason } = { list: v.list, reason: v.reason };
      const report = await withDatabase('urlListChanges', async (pool, topic) => {
        const bank = await findUrlList(pool, { name: list });
        return removeUrlListPatterns(pool, { bankId: bank.id, removals, reason, changesTopic: topic, by });
      });
      for (const e of report.errors) reportError(io, 'index', e);
      for (const index of report.notFound)
        io.stderr(
          JSON.stringify({
            index,
            error: { code: 'MOD_ERR_CLI_NOT_LISTED', message: 'no live entry of this list matches' },
          }),
        );
      return print(
        {
          removed: report.removed.map(entryRef),
          notFound: report.notFound.length,
          errors: report.errors.length,
        },
        report.errors.length + report.notFound.length > 0 ? 3 : 0,
      );
    },
    list: async ({ values: v, io, usage }) => {
      if (!v.list || (v.kind !== undefined && !isOneOf(UrlListEntryKinds, v.kind))) return usage();
      const limit = v.limit === undefined ? Infinity : Number(v.limit);
      if (!(limit >= 1) || (v.limit !== undefined && !/^\d+$/.test(v.limit))) return usage();
      if (v.after !== undefined && !/^\d{1,18}$/.test(v.after)) return usage();
      const { list } = { list: v.list };
      const kind = v.kind;
      const by = operator();
      await withDatabase('urlListChanges', async (pool) => {
        const bank = await findUrlList(pool, { name: list });
        // On record before an entry is printed, as the API's page reads and every export (the list leaves the
        // system: lists are licensed, and name where abuse material is).
        await appendAuditAlone(pool, {
          ...by,
          action: 'url_list.entries_read',
          subject: { type: 'bank', id: bank.id },
          evidence: {
            after: v.after ?? null,
            limit: v.limit ?? null,
            kind: kind ?? null,
            includeRemoved: v.removed,
          },
        });
        // In id order; one JSON entry per line.
        await printPages(io, limit, v.after ?? '0', (after, pageLimit) =>
          listUrlListEntries(pool, bank.id, {
            afterId: after ?? '0',
            limit: pageLimit,
            includeRemoved: v.removed,
            ...(kind === undefined ? {} : { kind }),
          }),
        );
      });
      return 0;
    },
    import: async ({ values: v, positionals, io, usage, print }) => {
      const by = operator();
      const file = positionals[0];
      if (
        !v.list ||
        !isOneOf(UrlListFormats, v.format) ||
        !file ||
        positionals.length > 1 ||
        !isOneOf(['replace', 'append'] as const, v.mode) ||
        (v.kind !== undefined && !isOneOf(UrlListEntryKinds, v.kind))
      )
        return usage();
      const { list, format, mode } = { list: v.list, format: v.format, mode: v.mode };
      const kind = v.kind;
      const report = await withDatabase('urlListChanges', async (pool, topic) => {
        const bank = await findUrlList(pool, { name: list });
        return importListFile(io, file, { ...v, mode }, by, (common) =>
          importUrlList(pool, {
            bankId: bank.id,
            format,
            ...common,
            defaults: {
              ...(kind === undefined ? {} : { kind }),
              dedicatedToAbuse: v.dedicated,
              block: !v['no-block'],
              ...(v.category === undefined ? {} : { category: v.category }),
            },
            changesTopic: topic,
            by,
            onLineError: (e) => reportError(io, 'line', e),
          }),
        );
      });
      return print(report, report.badLines > 0 ? 3 : 0);
    },
    settings: async ({ values: v, usage, print }) => {
      const by = operator();
      const flag = (value: string | undefined) =>
        value === undefined ? undefined : BOOLEAN_WORDS[value as 'true' | 'false'];
      if (
        !v.list ||
        (v.enabled !== undefined && !isOneOf(['true', 'false'] as const, v.enabled)) ||
        (v.negative !== undefined && !isOneOf(['true', 'false'] as const, v.negative)) ||
        (v.policy !== undefined && !isOneOf(['automatic', 'review'] as const, v.policy)) ||
        (v.enabled === undefined && v.negative === undefined && v.policy === undefined)
      )
        return usage();
      const { list } = { list: v.list };
      const policy = v.policy;
      const bank = await withDatabase('urlListChanges', async (pool, topic) => {
        const found = await findUrlList(pool, { name: list });
        const enabled = flag(v.enabled);
        const negative = flag(v.negative);
        return updateUrlListSettings(
          pool,
          found.id,
          {
            ...(enabled === undefined ? {} : { enabled }),
            ...(negative === undefined ? {} : { negative }),
            ...(policy === undefined ? {} : { actionPolicy: policy }),
          },
          topic,
          by,
        );
      });
      return print(bank);
    },
  },
});
