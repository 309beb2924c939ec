import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, Field, Submit } from '../ui/form.js';
import { useAction } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';

type Found = Answer<'/v1/banks/search', 'get'>;

/**
 * Finds an entry by hash or by URL across every hash bank and URL list (the API's search: an exact hash, or a
 * URL normalised as the lists normalise theirs, with the host and domain entries that cover it).
 */
export function EntrySearch() {
  const i18n = useI18n();
  const { t } = i18n;
  const [needle, setNeedle] = useState('');
  const [found, setFound] = useState<Found | null>(null);
  const { busy, error, run } = useAction(async () => {
    setFound(null);
    setFound(await ok(api.GET('/v1/banks/search', { params: { query: { q: needle.trim() } } })));
  });
  return (
    <ActionForm class="form" role="search" aria-labelledby="search-title" onSubmit={() => void run()}>
      <h2 id="search-title">{t('curation.search')}</h2>
      <Field
        id="search-needle"
        label={t('curation.searchFor')}
        hint={t('curation.searchHint')}
        required
        value={needle}
        onValue={setNeedle}
      />
      <Submit label={t('curation.searchSubmit')} busy={busy} error={error} />
      {found === null ? null : (
        <>
          <p role="status" data-testid="search-result">
            {t('curation.found', { count: found.entries.length })}
          </p>
          {found.entries.length === 0 ? null : (
            <RecordTable
              caption={t('curation.search')}
              columns={[
                'curation.entry',
                'curation.in',
                'curation.type',
                'curation.category',
                'curation.addedAt',
              ]}
              testId="search-entries"
            >
              {found.entries.map((f) => (
                <tr key={`${f.bankId} ${f.type} ${f.value}`}>
                  <td>
                    <code class="hash">{f.value}</code>
                  </td>
                  <td>
                    {f.bankName} ({t(f.list === 'bank' ? 'curation.bank' : 'curation.urlList')})
                  </td>
                  <td>{f.type}</td>
                  <td>{f.category ?? ''}</td>
                  <td>{i18n.dateTime(f.addedAt)}</td>
                </tr>
              ))}
            </RecordTable>
          )}
        </>
      )}
    </ActionForm>
  );
}
