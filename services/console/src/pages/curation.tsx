import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { uploadList } from '../api/upload.js';
import { useI18n } from '../i18n/locale.js';
import { Choice, ErrorNote, Field, Loading, Page, useAction, useLoad } from '../ui/kit.js';

type ImportResult = { added: number; removed: number; unchanged: number; badLines: number; lines: number };

/** Imports a file into a hash bank or a URL list, with a progress bar while the file uploads. */
function ImportForm(props: {
  targets: readonly { id: string; name: string; kind: 'bank' | 'url-list' }[];
  onDone: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState<'append' | 'replace'>('append');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const chosen = props.targets.find((x) => x.id === target) ?? props.targets[0];
  const { busy, error, run } = useAction(async () => {
    if (chosen === undefined || file === null) return;
    setResult(null);
    setProgress({ sent: 0, total: file.size });
    const onProgress = (sent: number, total: number) => setProgress({ sent, total });
    const jsonl = /\.jsonl?$/i.test(file.name);
    const r =
      chosen.kind === 'bank'
        ? await uploadList(
            '/v1/banks/{id}/import',
            chosen.id,
            { format: jsonl ? 'jsonl' : /\.tsv$/i.test(file.name) ? 'tsv' : 'csv', mode },
            file,
            jsonl
              ? 'application/x-ndjson'
              : /\.tsv$/i.test(file.name)
                ? 'text/tab-separated-values'
                : 'text/csv',
            onProgress,
          )
        : await uploadList(
            '/v1/url-lists/{bankId}/import',
            chosen.id,
            { format: jsonl ? 'jsonl' : 'txt', mode },
            file,
            jsonl ? 'application/x-ndjson' : 'text/plain',
            onProgress,
          );
    setResult(r);
    props.onDone();
  });
  const percent =
    progress === null || progress.total === 0 ? 0 : Math.round((progress.sent / progress.total) * 100);
  return (
    <form
      class="form"
      aria-labelledby="import-title"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <h2 id="import-title">{t('curation.import')}</h2>
      <Choice
        id="import-target"
        label={t('curation.importInto')}
        value={chosen?.id ?? ''}
        onChange={setTarget}
        options={props.targets.map((x) => ({
          value: x.id,
          label: `${x.name} (${t(x.kind === 'bank' ? 'curation.bank' : 'curation.urlList')})`,
        }))}
      />
      <Choice
        id="import-mode"
        label={t('curation.mode')}
        value={mode}
        onChange={(v) => setMode(v === 'replace' ? 'replace' : 'append')}
        options={[
          { value: 'append', label: t('curation.append') },
          { value: 'replace', label: t('curation.replace') },
        ]}
      />
      <div class="field">
        <label for="import-file">{t('curation.file')}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,.tsv,.txt,.jsonl,.json"
          required
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
      </div>
      {progress === null ? null : (
        <div class="field">
          <label for="import-progress">{t('curation.progress')}</label>
          <progress id="import-progress" max={100} value={percent} data-testid="import-progress">
            {percent}%
          </progress>
          <span class="muted">
            {' '}
            {t('curation.sent', {
              percent,
              sent: i18n.number(progress.sent),
              total: i18n.number(progress.total),
            })}
          </span>
        </div>
      )}
      <ErrorNote error={error} />
      {result === null ? null : (
        <p role="status" data-testid="import-result">
          {t('curation.result', {
            added: result.added,
            removed: result.removed,
            unchanged: result.unchanged,
            bad: result.badLines,
          })}
        </p>
      )}
      <button type="submit" disabled={busy || chosen === undefined}>
        {t('curation.importSubmit')}
      </button>
    </form>
  );
}

/** Most bytes of a bank's export the search reads (the API has no entry search yet; see the README). */
const MAX_EXPORT_BYTES = 32 * 1024 * 1024;

/** The entries of a hash bank whose value contains `wanted`, read from its JSONL export as it streams in. */
async function searchBank(bankId: string, wanted: string): Promise<{ text: string; kind: string }[]> {
  const stream = await ok(
    api.GET('/v1/banks/{id}/export', {
      params: { path: { id: bankId }, query: { format: 'jsonl' } },
      parseAs: 'stream',
    }),
  );
  if (stream === null) return [];
  const hits: { text: string; kind: string }[] = [];
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let rest = '';
  let read = 0;
  const take = (line: string) => {
    if (line.trim() === '') return;
    const e = JSON.parse(line) as { signal?: string; value?: string; category?: string };
    if (e.value?.includes(wanted) === true)
      hits.push({ text: e.value, kind: `${e.signal ?? ''} ${e.category ?? ''}` });
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    read += value.length;
    const lines = (rest + value).split('\n');
    rest = lines.pop() ?? '';
    lines.forEach(take);
    if (read > MAX_EXPORT_BYTES) {
      await reader.cancel();
      return hits;
    }
  }
  take(rest);
  return hits;
}

/** The entries of a URL list whose pattern contains `wanted` (the API lists entries page by page). */
async function searchUrlList(bankId: string, wanted: string): Promise<{ text: string; kind: string }[]> {
  const hits: { text: string; kind: string }[] = [];
  let cursor: string | undefined;
  // At most 200 pages of 100 (the API's largest page): the lists curators browse by hand.
  for (let page = 0; page < 200; page++) {
    const r = await ok(
      api.GET('/v1/url-lists/{bankId}/entries', {
        params: { path: { bankId }, query: { limit: 100, ...(cursor === undefined ? {} : { cursor }) } },
      }),
    );
    for (const e of r.entries) {
      const entry = e as { pattern?: string; kind?: string };
      if (entry.pattern?.toLowerCase().includes(wanted) === true)
        hits.push({ text: entry.pattern, kind: entry.kind ?? '' });
    }
    cursor = r.nextCursor ?? undefined;
    if (cursor === undefined) break;
  }
  return hits;
}

/** Finds an entry by hash (in a bank) or by URL (in a URL list). */
function EntrySearch(props: { targets: readonly { id: string; name: string; kind: 'bank' | 'url-list' }[] }) {
  const { t } = useI18n();
  const [target, setTarget] = useState('');
  const [needle, setNeedle] = useState('');
  const [found, setFound] = useState<{ text: string; kind: string }[] | null>(null);
  const chosen = props.targets.find((x) => x.id === target) ?? props.targets[0];
  const { busy, error, run } = useAction(async () => {
    if (chosen === undefined) return;
    const wanted = needle.trim().toLowerCase();
    setFound(
      chosen.kind === 'bank' ? await searchBank(chosen.id, wanted) : await searchUrlList(chosen.id, wanted),
    );
  });
  return (
    <form
      class="form"
      role="search"
      aria-labelledby="search-title"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <h2 id="search-title">{t('curation.search')}</h2>
      <Choice
        id="search-list"
        label={t('curation.searchIn')}
        value={chosen?.id ?? ''}
        onChange={setTarget}
        options={props.targets.map((x) => ({
          value: x.id,
          label: `${x.name} (${t(x.kind === 'bank' ? 'curation.bank' : 'curation.urlList')})`,
        }))}
      />
      <Field
        id="search-needle"
        label={t(chosen?.kind === 'bank' ? 'curation.searchHash' : 'curation.searchFor')}
        required
        value={needle}
        onInput={(e) => setNeedle((e.target as HTMLInputElement).value)}
      />
      <ErrorNote error={error} />
      <button type="submit" disabled={busy || chosen === undefined}>
        {t('curation.searchSubmit')}
      </button>
      {found === null ? null : (
        <>
          <p role="status" data-testid="search-result">
            {t('curation.found', { count: found.length })}
          </p>
          <ul class="plain">
            {found.slice(0, 200).map((f) => (
              <li key={f.text}>
                <code class="hash">{f.text}</code> ({f.kind})
              </li>
            ))}
          </ul>
        </>
      )}
    </form>
  );
}

/** Curation: hash banks and URL lists, entry search, file import with progress. */
export function CurationPage() {
  const { t } = useI18n();
  const banks = useLoad(() => ok(api.GET('/v1/banks')), []);
  const lists = useLoad(() => ok(api.GET('/v1/url-lists')), []);
  const reload = () => {
    banks.reload();
    lists.reload();
  };
  const targets = [
    ...(banks.data?.banks ?? []).map((b) => ({ id: b.id, name: b.name, kind: 'bank' as const })),
    ...(lists.data?.lists ?? []).map((l) => ({ id: l.id, name: l.name, kind: 'url-list' as const })),
  ];
  return (
    <Page title={t('curation.title')}>
      <ErrorNote error={banks.error ?? lists.error} />
      {banks.data === null || lists.data === null ? <Loading /> : null}
      <h2>{t('curation.banks')}</h2>
      <table data-testid="banks">
        <caption class="visually-hidden">{t('curation.banks')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('curation.name')}</th>
            <th scope="col">{t('curation.source')}</th>
            <th scope="col">{t('curation.signals')}</th>
            <th scope="col">{t('curation.policy')}</th>
            <th scope="col">{t('curation.state')}</th>
          </tr>
        </thead>
        <tbody>
          {(banks.data?.banks ?? []).map((b) => (
            <tr key={b.id}>
              <th scope="row">{b.name}</th>
              <td>{b.source}</td>
              <td>{b.signalTypes.join(', ')}</td>
              <td>{b.actionPolicy}</td>
              <td>{t(b.enabled ? 'curation.enabled' : 'curation.disabled')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t('curation.urlLists')}</h2>
      <table>
        <caption class="visually-hidden">{t('curation.urlLists')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('curation.name')}</th>
            <th scope="col">{t('curation.source')}</th>
            <th scope="col">{t('curation.entries')}</th>
            <th scope="col">{t('curation.state')}</th>
          </tr>
        </thead>
        <tbody>
          {(lists.data?.lists ?? []).map((l) => (
            <tr key={l.id}>
              <th scope="row">{l.name}</th>
              <td>{l.source}</td>
              <td>{l.entries}</td>
              <td>{t(l.enabled ? 'curation.enabled' : 'curation.disabled')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="columns">
        <ImportForm targets={targets} onDone={reload} />
        <EntrySearch targets={targets} />
      </div>
    </Page>
  );
}
