import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { readPages } from '../api/paging.js';
import type { PersonRole } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, Choice, CodeChoice, Field, Submit, useFormValues } from '../ui/form.js';
import { ErrorNote, LoadStatus, Page, ShownOnce, useAction, useLoad } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';
import { FeedSettings } from './admin-feeds.js';
import { Keys } from './admin-keys.js';
import { TenantSwitchCell, TenantSwitchNotes, useTenantSwitch } from './admin-tenant-switch.js';
import { OrderWebhooks } from './admin-webhooks.js';

const TENANT_KINDS = ['isp', 'platform', 'authority', 'hotline', 'admin'] as const;
const PERSON_ROLES: readonly PersonRole[] = ['authority', 'reviewer', 'curator', 'admin', 'hotline'];
/** Most tenants, and most people, the page lists: pages of 100 (the API's largest), 20 of them. */
const MAX_LISTED = 2000;
/** Which page of an admin list to read: at most `limit` items, those after the key `after` (none: the first). */
type PageQuery = { limit: number; after?: string };
/** A page of the admin list `L`: its items, under the list's name, and the key of the next page (null: the last). */
type AdminPage<L extends string, T> = Record<L, readonly T[]> & { nextAfter: string | null };
/**
 * Every item of an admin list (tenants, people), loaded for the page. The admin lists page alike (`limit` and
 * `after` in; the items under the list's name, and `nextAfter`, out): `read(query)` reads one page of `list`.
 */
function useAdminList<L extends string, T>(list: L, read: (query: PageQuery) => Promise<AdminPage<L, T>>) {
  return useLoad(
    () =>
      readPages(async (after) => {
        const page = await read({ limit: 100, ...(after === undefined ? {} : { after }) });
        return { items: page[list], next: page.nextAfter };
      }, MAX_LISTED),
    [],
  );
}

/** The form that adds an item to an admin list, named as its submit button is; submitting runs `action`. */
function NewItemForm(props: {
  label: string;
  action: { busy: boolean; error: unknown; run: () => Promise<void> };
  children: ComponentChildren;
}) {
  const { busy, error, run } = props.action;
  return (
    <ActionForm class="form inline" aria-label={props.label} onSubmit={() => void run()}>
      {props.children}
      <Submit label={props.label} busy={busy} error={error} />
    </ActionForm>
  );
}

function Tenants() {
  const { t } = useI18n();
  const tenants = useAdminList('tenants', (query) => ok(api.GET('/v1/admin/tenants', { params: { query } })));
  const form = useFormValues({ id: '', name: '' });
  const [kind, setKind] = useState<(typeof TENANT_KINDS)[number]>('isp');
  const create = useAction(async () => {
    const { id, name } = form.values;
    await ok(api.POST('/v1/admin/tenants', { body: { id: id.trim(), kind, name: name.trim() } }));
    form.reset();
    tenants.reload();
  });
  const toggle = useAction(async (tenantId: string, subscribed: boolean) => {
    await ok(
      api.PATCH('/v1/admin/tenants/{tenantId}', {
        params: { path: { tenantId } },
        body: { subscribedToBlocking: subscribed },
      }),
    );
    tenants.reload();
  });
  const onOff = useTenantSwitch(tenants.reload);
  return (
    <section aria-labelledby="tenants-title">
      <h2 id="tenants-title">{t('admin.tenants')}</h2>
      <LoadStatus loads={[tenants]} error={toggle.error} />
      <TenantSwitchNotes s={onOff} />
      <RecordTable
        caption={t('admin.tenants')}
        columns={[
          'admin.tenantId',
          'admin.kind',
          'admin.name',
          'admin.feed',
          'curation.state',
          'tenantSwitch.actions',
        ]}
      >
        {(tenants.data ?? []).map((x) => (
          <tr key={x.id}>
            <th scope="row">{x.id}</th>
            <td>{x.kind}</td>
            <td>{x.name}</td>
            <td>
              {x.kind === 'isp' ? (
                <label>
                  <input
                    type="checkbox"
                    checked={x.subscribedToBlocking}
                    disabled={toggle.busy}
                    onChange={(e) => void toggle.run(x.id, (e.target as HTMLInputElement).checked)}
                  />{' '}
                  {t('admin.subscribed')}
                </label>
              ) : (
                '—'
              )}
            </td>
            <td>{x.disabledAt === null ? t('curation.enabled') : t('curation.disabled')}</td>
            <td>
              <TenantSwitchCell s={onOff} tenant={x} />
            </td>
          </tr>
        ))}
      </RecordTable>
      <NewItemForm label={t('admin.newTenant')} action={create}>
        <Field id="tenant-id" label={t('admin.tenantId')} required {...form.bind('id')} />
        <Field id="tenant-name" label={t('admin.name')} required {...form.bind('name')} />
        <CodeChoice
          id="tenant-kind"
          label={t('admin.kind')}
          value={kind}
          codes={TENANT_KINDS}
          onValue={setKind}
        />
      </NewItemForm>
    </section>
  );
}

function People() {
  const { t } = useI18n();
  const people = useAdminList('people', (query) => ok(api.GET('/v1/admin/people', { params: { query } })));
  const form = useFormValues({ tenantId: '', login: '', displayName: '' });
  const [role, setRole] = useState<PersonRole>('reviewer');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction(async () => {
    const { tenantId, login, displayName } = form.values;
    const made = await ok(
      api.POST('/v1/admin/people', {
        body: { tenantId: tenantId.trim(), login: login.trim(), displayName: displayName.trim(), role },
      }),
    );
    setSecret(made.oneTimePassword);
    people.reload();
  });
  const reset = useAction(async (personId: string) => {
    const r = await ok(api.POST('/v1/admin/people/{personId}/reset', { params: { path: { personId } } }));
    setSecret(r.oneTimePassword);
  });
  const [leaveReason, setLeaveReason] = useState('');
  /** How many sessions left from before a disable the last enable ended (none: nothing to say). */
  const [ended, setEnded] = useState(0);
  const toggle = useAction(async (personId: string, disable: boolean) => {
    const params = { path: { personId } };
    setEnded(0);
    if (disable)
      await ok(
        api.POST('/v1/admin/people/{personId}/disable', { params, body: { reason: leaveReason.trim() } }),
      );
    else setEnded((await ok(api.POST('/v1/admin/people/{personId}/enable', { params }))).sessionsEnded);
    people.reload();
  });
  return (
    <section aria-labelledby="people-title">
      <h2 id="people-title">{t('admin.people')}</h2>
      <ErrorNote error={people.error ?? reset.error ?? toggle.error} />
      <Field
        id="leave-reason"
        label={t('admin.disableReason')}
        hint={t('admin.disableHint')}
        value={leaveReason}
        onValue={setLeaveReason}
      />
      {secret === null ? null : <ShownOnce label={t('admin.oneTimePassword')} secret={secret} />}
      {ended > 0 ? (
        <p role="status" data-testid="person-done">
          {t('admin.sessionsEnded', { count: ended })}
        </p>
      ) : null}
      <RecordTable
        caption={t('admin.people')}
        columns={[
          'admin.login',
          'admin.displayName',
          'admin.role',
          'admin.tenantId',
          'admin.totp',
          'admin.actions',
        ]}
      >
        {(people.data ?? []).map((p) => (
          <tr key={p.id}>
            <th scope="row">{p.login}</th>
            <td>{p.displayName}</td>
            <td>{t(`role.${p.role}`)}</td>
            <td>{p.tenantId}</td>
            <td>{t(p.totpEnrolled ? 'common.yes' : 'common.no')}</td>
            <td>
              <button type="button" class="secondary" onClick={() => void reset.run(p.id)}>
                {t('admin.reset')}
              </button>{' '}
              {p.disabledAt === null ? (
                <button
                  type="button"
                  class="secondary"
                  disabled={toggle.busy || leaveReason.trim() === ''}
                  onClick={() => void toggle.run(p.id, true)}
                >
                  {t('admin.disable')}
                </button>
              ) : (
                <button type="button" class="secondary" onClick={() => void toggle.run(p.id, false)}>
                  {t('admin.enable')}
                </button>
              )}
            </td>
          </tr>
        ))}
      </RecordTable>
      <NewItemForm label={t('admin.newPerson')} action={create}>
        <Field id="person-tenant" label={t('admin.tenantId')} required {...form.bind('tenantId')} />
        <Field id="person-login" label={t('admin.login')} required {...form.bind('login')} />
        <Field id="person-name" label={t('admin.displayName')} required {...form.bind('displayName')} />
        <Choice
          id="person-role"
          label={t('admin.role')}
          value={role}
          onValue={(v) => setRole(v as PersonRole)}
          options={PERSON_ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
        />
      </NewItemForm>
    </section>
  );
}

/**
 * Administration: tenants (and ISPs' blocking feed subscription), people, API keys (each secret shown once), ISPs'
 * feed settings, tenants' order webhooks (an authority's set and cleared here).
 */
export function AdminPage() {
  const { t } = useI18n();
  return (
    <Page title={t('admin.title')}>
      <Tenants />
      <People />
      <Keys />
      <FeedSettings />
      <OrderWebhooks />
    </Page>
  );
}
