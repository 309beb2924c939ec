import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { LoadStatus, Page, useLoad } from '../ui/kit.js';
import { TitledTable } from '../ui/records.js';
import { ImportForm } from './curation-import.js';
import { EntrySearch } from './curation-search.js';

/** Curation: hash banks and URL lists, entry search (by hash or URL), file import (previewed, then with progress). */
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
      <LoadStatus loads={[banks, lists]} />
      <TitledTable
        title={t('curation.banks')}
        columns={[
          'curation.name',
          'curation.source',
          'curation.signals',
          'curation.policy',
          'curation.state',
        ]}
        testId="banks"
      >
        {(banks.data?.banks ?? []).map((b) => (
          <tr key={b.id}>
            <th scope="row">{b.name}</th>
            <td>{b.source}</td>
            <td>{b.signalTypes.join(', ')}</td>
            <td>{b.actionPolicy}</td>
            <td>{t(b.enabled ? 'curation.enabled' : 'curation.disabled')}</td>
          </tr>
        ))}
      </TitledTable>
      <TitledTable
        title={t('curation.urlLists')}
        columns={['curation.name', 'curation.source', 'curation.entries', 'curation.state']}
      >
        {(lists.data?.lists ?? []).map((l) => (
          <tr key={l.id}>
            <th scope="row">{l.name}</th>
            <td>{l.source}</td>
            <td>{l.entries}</td>
            <td>{t(l.enabled ? 'curation.enabled' : 'curation.disabled')}</td>
          </tr>
        ))}
      </TitledTable>
      <div class="columns">
        <ImportForm targets={targets} onDone={reload} />
        <EntrySearch />
      </div>
    </Page>
  );
}
