import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, CodeChoice, Field } from '../ui/form.js';
import { ErrorNote, ShownOnce, useAction, useLoad } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';

const KEY_ROLES = ['isp', 'platform', 'authority', 'reviewer', 'curator', 'admin'] as const;

/** A tenant's API keys: listed (prefix, role, label), issued (the key shown once) and revoked. */
export function Keys() {
  const { t } = useI18n();
  const [tenantId, setTenantId] = useState('');
  const [shownFor, setShownFor] = useState('');
  const [role, setRole] = useState<(typeof KEY_ROLES)[number]>('isp');
  const [label, setLabel] = useState('');
  const [secret, setSecret] = useState<string | null>(null);
  const keys = useLoad(
    () =>
      shownFor === ''
        ? Promise.resolve({ keys: [] })
        : ok(api.GET('/v1/admin/tenants/{tenantId}/keys', { params: { path: { tenantId: shownFor } } })),
    [shownFor],
  );
  const revoke = useAction(async (keyId: string) => {
    await ok(api.POST('/v1/admin/keys/{keyId}/revoke', { params: { path: { keyId } } }));
    keys.reload();
  });
  const issue = useAction(async () => {
    const made = await ok(
      api.POST('/v1/admin/tenants/{tenantId}/keys', {
        params: { path: { tenantId: tenantId.trim() } },
        body: { role, ...(label.trim() === '' ? {} : { label: label.trim() }) },
      }),
    );
    setSecret(made.key);
    setShownFor(tenantId.trim());
    keys.reload();
  });
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">{t('admin.keys')}</h2>
      <ActionForm class="form inline" aria-label={t('admin.issueKey')} onSubmit={() => void issue.run()}>
        <Field id="key-tenant" label={t('admin.tenantId')} required value={tenantId} onValue={setTenantId} />
        <CodeChoice id="key-role" label={t('admin.role')} value={role} codes={KEY_ROLES} onValue={setRole} />
        <Field id="key-label" label={t('admin.keyLabel')} value={label} onValue={setLabel} />
        <button type="button" class="secondary" onClick={() => setShownFor(tenantId.trim())}>
          {t('admin.listKeys')}
        </button>
        <button type="submit" disabled={issue.busy}>
          {t('admin.issueKey')}
        </button>
      </ActionForm>
      <ErrorNote error={issue.error ?? keys.error ?? revoke.error} />
      {secret === null ? null : <ShownOnce label={t('admin.apiKey')} secret={secret} />}
      {shownFor === '' ? null : (
        <RecordTable
          caption={t('admin.keysOf', { tenant: shownFor })}
          captionShown
          columns={['admin.keyPrefix', 'admin.role', 'admin.keyLabel', 'curation.state']}
        >
          {(keys.data?.keys ?? []).map((k) => (
            <tr key={k.id}>
              <th scope="row">
                <code>{k.prefix}</code>
              </th>
              <td>{k.role}</td>
              <td>{k.label ?? ''}</td>
              <td>
                {k.revokedAt === null ? (
                  <button type="button" class="secondary" onClick={() => void revoke.run(k.id)}>
                    {t('admin.revoke')}
                  </button>
                ) : (
                  t('admin.revoked')
                )}
              </td>
            </tr>
          ))}
        </RecordTable>
      )}
    </section>
  );
}
