import { useState } from 'preact/hooks';
import { uploadList } from '../api/upload.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, Choice } from '../ui/form.js';
import { ErrorNote, useAction } from '../ui/kit.js';

/** A hash bank or a URL list a file can be imported into, or searched. */
export type CurationTarget = { id: string; name: string; kind: 'bank' | 'url-list' };

/** What an import did, or (a preview) would do. `updated`: URL-list entries whose flags change (replaced). */
type ImportCounts = {
  added: number;
  removed: number;
  unchanged: number;
  updated: number;
  badLines: number;
  lines: number;
};

/** Sends `file` to the target's import route: a preview (`dryRun`, nothing changes) or the import itself. */
async function send(
  target: CurationTarget,
  file: File,
  mode: 'append' | 'replace',
  force: boolean,
  dryRun: boolean,
  onProgress: (sent: number, total: number) => void,
): Promise<ImportCounts> {
  const jsonl = /\.jsonl?$/i.test(file.name);
  const tsv = /\.tsv$/i.test(file.name);
  const flags = { mode, dryRun: String(dryRun), ...(force && mode === 'replace' ? { force: 'true' } : {}) };
  if (target.kind === 'bank') {
    const r = await uploadList(
      '/v1/banks/{id}/import',
      target.id,
      { format: jsonl ? 'jsonl' : tsv ? 'tsv' : 'csv', ...flags },
      file,
      jsonl ? 'application/x-ndjson' : tsv ? 'text/tab-separated-values' : 'text/csv',
      onProgress,
    );
    return { ...r, updated: 0 };
  }
  return uploadList(
    '/v1/url-lists/{bankId}/import',
    target.id,
    { format: jsonl ? 'jsonl' : 'txt', ...flags },
    file,
    jsonl ? 'application/x-ndjson' : 'text/plain',
    onProgress,
  );
}

/** The counts of a preview, as a list a person reads before confirming. */
function PreviewCounts(props: { counts: ImportCounts }) {
  const { t } = useI18n();
  const c = props.counts;
  const rows: [string, number, string][] = [
    [t('curation.previewAdded'), c.added, 'added'],
    [t('curation.previewPresent'), c.unchanged, 'present'],
    [t('curation.previewRemoved'), c.removed, 'removed'],
    [t('curation.previewReplaced'), c.updated, 'replaced'],
    [t('curation.previewInvalid'), c.badLines, 'invalid'],
  ];
  return (
    <div data-testid="import-preview">
      <p role="status">{t('curation.previewTitle', { lines: c.lines })}</p>
      <dl class="counts">
        {rows.map(([label, n, id]) => (
          <div key={id}>
            <dt>{label}</dt>
            <dd data-count={id}>{n}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/**
 * Imports a file into a hash bank or a URL list in two steps: a preview (the API's dry run: what would be added,
 * is already there, would be removed or replaced, and the bad lines; nothing changes), then, confirmed, the
 * import itself, with a progress bar while the file uploads.
 */
export function ImportForm(props: { targets: readonly CurationTarget[]; onDone: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState<'append' | 'replace'>('append');
  // A replace with more bad lines than good is refused unless the person says so (a changed format, a truncated
  // download would otherwise empty the list); the API checks it again.
  const [force, setForce] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [preview, setPreview] = useState<ImportCounts | null>(null);
  const [result, setResult] = useState<ImportCounts | null>(null);
  const chosen = props.targets.find((x) => x.id === target) ?? props.targets[0];
  // Anything changed after a preview makes it stale: preview again before confirming.
  const changed =
    <A,>(set: (a: A) => void) =>
    (a: A) => {
      set(a);
      setPreview(null);
      setResult(null);
    };
  const onProgress = (sent: number, total: number) => setProgress({ sent, total });
  const previewAction = useAction(async () => {
    if (chosen === undefined || file === null) return;
    setResult(null);
    setProgress(null);
    setPreview(await send(chosen, file, mode, force, true, onProgress));
  });
  const importAction = useAction(async () => {
    if (chosen === undefined || file === null) return;
    setProgress({ sent: 0, total: file.size });
    setResult(await send(chosen, file, mode, force, false, onProgress));
    setPreview(null);
    props.onDone();
  });
  const busy = previewAction.busy || importAction.busy;
  const percent =
    progress === null || progress.total === 0 ? 0 : Math.round((progress.sent / progress.total) * 100);
  return (
    <ActionForm class="form" aria-labelledby="import-title" onSubmit={() => void previewAction.run()}>
      <h2 id="import-title">{t('curation.import')}</h2>
      <Choice
        id="import-target"
        label={t('curation.importInto')}
        value={chosen?.id ?? ''}
        onValue={changed(setTarget)}
        options={props.targets.map((x) => ({
          value: x.id,
          label: `${x.name} (${t(x.kind === 'bank' ? 'curation.bank' : 'curation.urlList')})`,
        }))}
      />
      <Choice
        id="import-mode"
        label={t('curation.mode')}
        value={mode}
        onValue={changed((v: string) => setMode(v === 'replace' ? 'replace' : 'append'))}
        options={[
          { value: 'append', label: t('curation.append') },
          { value: 'replace', label: t('curation.replace') },
        ]}
      />
      {mode === 'replace' ? (
        <div class="field">
          <label>
            <input
              id="import-force"
              type="checkbox"
              checked={force}
              onChange={changed((e: Event) => setForce((e.target as HTMLInputElement).checked))}
            />{' '}
            {t('curation.force')}
          </label>
        </div>
      ) : null}
      <div class="field">
        <label for="import-file">{t('curation.file')}</label>
        <input
          id="import-file"
          type="file"
          accept=".csv,.tsv,.txt,.jsonl,.json"
          required
          onChange={changed((e: Event) => setFile((e.target as HTMLInputElement).files?.[0] ?? null))}
        />
      </div>
      <button type="submit" disabled={busy || chosen === undefined}>
        {t('curation.previewSubmit')}
      </button>
      {preview === null ? null : (
        <>
          <PreviewCounts counts={preview} />
          <button
            type="button"
            data-testid="import-confirm"
            disabled={busy}
            onClick={() => void importAction.run()}
          >
            {t('curation.importSubmit')}
          </button>
        </>
      )}
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
      <ErrorNote error={previewAction.error ?? importAction.error} />
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
    </ActionForm>
  );
}
