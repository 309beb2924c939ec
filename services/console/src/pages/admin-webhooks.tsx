import { useState } from 'preact/hooks';
import { api, ApiFailure, ok } from '../api/client.js';
import { readPages } from '../api/paging.js';
import { enAdminWebhooks } from '../i18n/en-admin-webhooks.js';
import { formatMessage, type MessageValues } from '../i18n/icu.js';
import { useI18n } from '../i18n/locale.js';
import { viAdminWebhooks } from '../i18n/vi-admin-webhooks.js';
import type { MessageKey } from '../i18n/vi.js';
import { ActionForm, Choice, Field, Submit, useFormValues } from '../ui/form.js';
import { LoadStatus, ShownOnce, useAction, useLoad } from '../ui/kit.js';
import { tenantLabel } from './admin-feeds.js';

type WebhookKey = keyof typeof viAdminWebhooks;
const CATALOGUES = { vi: viAdminWebhooks, en: enAdminWebhooks } as const;
type Overview = Awaited<ReturnType<typeof listWebhooks>>[number];
/** Most tenants the screen lists: pages of 100 (the API's largest), 20 of them. */
const MAX_LISTED = 2000;

/** The console's words and formats, and this screen's own catalogue (`w`), in the person's language. */
function useWebhookText() {
  const i18n = useI18n();
  const w = (key: WebhookKey, values?: MessageValues) =>
    formatMessage(i18n.locale, CATALOGUES[i18n.language][key], values);
  return { ...i18n, w };
}

const listWebhooks = () =>
  readPages(async (after) => {
    const query = { limit: 100, ...(after === undefined ? {} : { after }) };
    const page = await ok(api.GET('/v1/admin/order-webhooks', { params: { query } }));
    return { items: page.webhooks, next: page.nextAfter };
  }, MAX_LISTED);

/**
 * The API's refusals of a target, in the person's words (the API's own message is English only): a URL that is
 * not https on a public name (400 MOD_ERR_API_VALIDATION), or a name that does not resolve, or resolves to an
 * address that is not public (400 MOD_ERR_API_WEBHOOK_TARGET_REFUSED). The code is kept, as every error shows it.
 */
function refusalInWords(err: unknown, w: (key: WebhookKey) => string): unknown {
  if (!(err instanceof ApiFailure)) return err;
  if (err.code === 'MOD_ERR_API_WEBHOOK_TARGET_REFUSED')
    return new ApiFailure(err.status, err.code, w('webhooks.targetRefused'));
  if (err.code === 'MOD_ERR_API_VALIDATION')
    return new ApiFailure(err.status, err.code, w('webhooks.urlInvalid'));
  return err;
}

/** Roles the console has a name for (people's); a machine's role (isp, platform) is shown as it is. */
const ROLE_NAMES: Readonly<Record<string, MessageKey>> = {
  authority: 'role.authority',
  reviewer: 'role.reviewer',
  curator: 'role.curator',
  admin: 'role.admin',
  hotline: 'role.hotline',
};

/** Who made a change, as the audit record names them: role, the person's or key's id, and their tenant. */
function whoOf(c: NonNullable<Overview['lastChange']>, t: (key: MessageKey) => string): string {
  const key = c.role === null ? undefined : ROLE_NAMES[c.role];
  const role = key === undefined ? (c.role ?? c.actor.kind) : t(key);
  return `${role} ${c.actor.id}${c.tenantId === null ? '' : ` (${c.tenantId})`}`;
}

function LastChange(props: { x: Overview }) {
  const { t, w, dateTime } = useWebhookText();
  const c = props.x.lastChange;
  if (c !== null)
    return (
      <>
        {w(c.action === 'webhook.set' ? 'webhooks.setBy' : 'webhooks.clearedBy', {
          at: dateTime(c.at),
          who: whoOf(c, t),
        })}
      </>
    );
  return <>{props.x.updatedAt === null ? '—' : w('webhooks.setAt', { at: dateTime(props.x.updatedAt) })}</>;
}

function Health(props: { d: Overview['deliveries'] }) {
  const { w, dateTime } = useWebhookText();
  const { d } = props;
  const last = d.lastAttempt;
  return (
    <>
      <div>
        {w('webhooks.counts', {
          pending: d.pending,
          delivered: d.delivered,
          failed: d.failed,
          cancelled: d.cancelled,
        })}
      </div>
      <div class={last !== null && !last.ok ? 'error' : 'muted'}>
        {last === null
          ? w('webhooks.neverTried')
          : last.ok
            ? w('webhooks.lastOk', { at: dateTime(last.at), status: String(last.statusCode ?? '') })
            : w('webhooks.lastFailed', { at: dateTime(last.at), error: last.error ?? '' })}
      </div>
    </>
  );
}

/**
 * Every ISP's, platform's and authority's order webhook (where its order notices and escalations are pushed): its
 * target, whether a signing secret is set (never the secret), who changed it last (the audit log), and how its
 * deliveries fare. An authority's is set and cleared here (its officers may not repoint it); each set issues a new
 * secret, shown once, for the authority to check signatures with. The API checks the target and audits both.
 */
export function OrderWebhooks() {
  const { t, w } = useWebhookText();
  const webhooks = useLoad(listWebhooks, []);
  const authorities = (webhooks.data ?? []).filter((x) => x.tenantKind === 'authority');
  const [picked, setPicked] = useState('');
  const authority =
    authorities.find((x) => x.tenantId === picked)?.tenantId ?? authorities[0]?.tenantId ?? '';
  const form = useFormValues({ url: '' });
  const [secret, setSecret] = useState<{ tenant: string; secret: string } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [clearing, setClearing] = useState<string | null>(null);
  const set = useAction(async () => {
    setDone(null);
    setSecret(null);
    try {
      const made = await ok(
        api.PUT('/v1/admin/tenants/{tenantId}/order-webhook', {
          params: { path: { tenantId: authority } },
          body: { url: form.values.url.trim() },
        }),
      );
      setSecret({ tenant: made.tenantId, secret: made.secret });
      setDone(
        made.cancelledDeliveries > 0
          ? w('webhooks.savedCancelled', { tenant: made.tenantId, cancelled: made.cancelledDeliveries })
          : w('webhooks.saved', { tenant: made.tenantId }),
      );
      form.reset();
    } catch (err) {
      throw refusalInWords(err, w);
    }
    webhooks.reload();
  });
  const clear = useAction(async (tenantId: string) => {
    setDone(null);
    setSecret(null);
    const cleared = await ok(
      api.DELETE('/v1/admin/tenants/{tenantId}/order-webhook', { params: { path: { tenantId } } }),
    );
    setClearing(null);
    setDone(w('webhooks.cleared', { tenant: tenantId, cancelled: cleared.cancelledDeliveries }));
    webhooks.reload();
  });
  return (
    <section aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">{w('webhooks.title')}</h2>
      <p class="muted">{w('webhooks.intro')}</p>
      <LoadStatus loads={[webhooks]} error={clear.error} />
      {webhooks.data?.length === 0 ? <p class="muted">{w('webhooks.none')}</p> : null}
      {done === null ? null : (
        <p role="status" data-testid="webhook-done">
          {done}
        </p>
      )}
      {secret === null ? null : (
        <ShownOnce label={w('webhooks.secretLabel', { tenant: secret.tenant })} secret={secret.secret} />
      )}
      <table data-testid="webhooks">
        <caption class="visually-hidden">{w('webhooks.title')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('admin.tenantId')}</th>
            <th scope="col">{t('admin.kind')}</th>
            <th scope="col">{w('webhooks.target')}</th>
            <th scope="col">{w('webhooks.state')}</th>
            <th scope="col">{w('webhooks.secret')}</th>
            <th scope="col">{w('webhooks.changed')}</th>
            <th scope="col">{w('webhooks.deliveries')}</th>
            <th scope="col">{t('admin.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {(webhooks.data ?? []).map((x) => (
            <tr key={x.tenantId} data-tenant={x.tenantId}>
              <th scope="row">{tenantLabel(x.tenantName, x.tenantId)}</th>
              <td>{x.tenantKind}</td>
              <td data-testid="webhook-url">
                {x.url === null ? w('webhooks.notSet') : <code>{x.url}</code>}
              </td>
              <td>{x.url === null ? '—' : w(x.enabled ? 'webhooks.on' : 'webhooks.off')}</td>
              <td>{w(x.secretSet ? 'webhooks.secretSet' : 'webhooks.secretNone')}</td>
              <td>
                <LastChange x={x} />
              </td>
              <td>
                <Health d={x.deliveries} />
              </td>
              <td>
                {x.tenantKind !== 'authority' || x.url === null ? (
                  '—'
                ) : clearing === x.tenantId ? (
                  <>
                    <button type="button" disabled={clear.busy} onClick={() => void clear.run(x.tenantId)}>
                      {w('webhooks.clearConfirm', { tenant: x.tenantId })}
                    </button>{' '}
                    <button type="button" class="secondary" onClick={() => setClearing(null)}>
                      {w('webhooks.cancel')}
                    </button>
                  </>
                ) : (
                  <button type="button" class="secondary" onClick={() => setClearing(x.tenantId)}>
                    {w('webhooks.clear')}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 id="webhook-set-title">{w('webhooks.set')}</h3>
      {webhooks.data !== null && authorities.length === 0 ? (
        <p class="muted">{w('webhooks.noAuthority')}</p>
      ) : null}
      {authority === '' ? null : (
        <ActionForm class="form" aria-labelledby="webhook-set-title" onSubmit={() => void set.run()}>
          <Choice
            id="webhook-authority"
            label={w('webhooks.authority')}
            value={authority}
            onValue={setPicked}
            options={authorities.map((x) => ({
              value: x.tenantId,
              label: tenantLabel(x.tenantName, x.tenantId),
            }))}
          />
          <Field
            id="webhook-url"
            label={w('webhooks.url')}
            hint={w('webhooks.urlHint')}
            required
            {...form.bind('url')}
          />
          <Submit label={w('webhooks.save')} busy={set.busy} error={set.error} />
        </ActionForm>
      )}
    </section>
  );
}
