import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, Choice, Field, Submit, useFormValues } from '../ui/form.js';
import { LoadStatus, useAction, useLoad } from '../ui/kit.js';

/** A tenant as the admin pages name it: its name and id, or its id alone when the name is the id. */
export const tenantLabel = (name: string, id: string): string => (name === id ? id : `${name} (${id})`);

/**
 * An ISP's feed settings: how its RPZ is written (the zone name; blocked names answer NXDOMAIN or a CNAME to the
 * walled-garden host). Changed by an admin through the API, which checks the names and audits the change.
 */
export function FeedSettings() {
  const { t } = useI18n();
  const isps = useLoad(
    async () => (await ok(api.GET('/v1/orders/targets'))).targets.filter((x) => x.kind === 'isp'),
    [],
  );
  const [picked, setPicked] = useState('');
  const isp = isps.data?.find((x) => x.id === picked)?.id ?? isps.data?.[0]?.id ?? '';
  const settings = useLoad(
    () =>
      isp === ''
        ? Promise.resolve(null)
        : ok(api.GET('/v1/admin/tenants/{tenantId}/feed-settings', { params: { path: { tenantId: isp } } })),
    [isp],
  );
  const form = useFormValues({ zone: '', garden: '' });
  const [saved, setSaved] = useState(false);
  // The form shows the settings as the API keeps them, again after a save (names checked, lower case).
  useEffect(
    () => form.set({ zone: settings.data?.zoneName ?? '', garden: settings.data?.walledGardenHost ?? '' }),
    [settings.data],
  );
  // "Saved" stays until another ISP is picked: the reload that follows a save must not take it away.
  useEffect(() => setSaved(false), [isp]);
  const save = useAction(async () => {
    const { zone, garden } = form.values;
    setSaved(false);
    await ok(
      api.PUT('/v1/admin/tenants/{tenantId}/feed-settings', {
        params: { path: { tenantId: isp } },
        body: { zoneName: zone.trim(), walledGardenHost: garden.trim() === '' ? null : garden.trim() },
      }),
    );
    settings.reload();
    setSaved(true);
  });
  return (
    <section aria-labelledby="feeds-title">
      <h2 id="feeds-title">{t('admin.feeds')}</h2>
      <LoadStatus loads={[isps]} error={settings.error} />
      {isps.data?.length === 0 ? <p class="muted">{t('admin.feedsNone')}</p> : null}
      {isp === '' ? null : (
        <ActionForm class="form" aria-labelledby="feeds-title" onSubmit={() => void save.run()}>
          <Choice
            id="feed-isp"
            label={t('admin.feedIsp')}
            value={isp}
            onValue={setPicked}
            options={(isps.data ?? []).map((x) => ({
              value: x.id,
              label: tenantLabel(x.name, x.id),
            }))}
          />
          <Field id="feed-zone" label={t('admin.feedZone')} required {...form.bind('zone')} />
          <Field
            id="feed-garden"
            label={t('admin.feedGarden')}
            hint={t('admin.feedGardenHint')}
            {...form.bind('garden')}
          />
          <Submit
            label={t('admin.feedSave')}
            busy={save.busy}
            error={save.error}
            disabled={settings.data === null}
          />
          {saved ? (
            <p role="status" data-testid="feed-saved">
              {t('admin.feedSaved')}
            </p>
          ) : null}
        </ActionForm>
      )}
    </section>
  );
}
