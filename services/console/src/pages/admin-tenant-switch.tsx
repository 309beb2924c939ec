import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { ErrorNote, useAction } from '../ui/kit.js';

/** A tenant as the switch shows it. */
interface SwitchedTenant {
  id: string;
  disabledAt: string | null;
}

/**
 * Switching a tenant off (none of its credentials authenticate, every session of its people ends) and on again,
 * on the admin page only: asked for in its row, confirmed there, then the page says how many sessions it ended.
 * The API takes no reason (the change is audited as tenant.changed) and refuses an admin's own tenant.
 */
export function useTenantSwitch(reload: () => void) {
  const [asking, setAsking] = useState<{ id: string; off: boolean } | null>(null);
  const [done, setDone] = useState<{ tenant: string; off: boolean; count: number } | null>(null);
  const action = useAction(async (tenantId: string, off: boolean) => {
    setDone(null);
    const changed = await ok(
      api.PATCH('/v1/admin/tenants/{tenantId}', { params: { path: { tenantId } }, body: { disabled: off } }),
    );
    setAsking(null);
    setDone({ tenant: tenantId, off, count: changed.sessionsEnded });
    reload();
  });
  const ask = (next: { id: string; off: boolean } | null) => {
    setDone(null);
    setAsking(next);
  };
  return { asking, ask, done, action };
}

type TenantSwitch = ReturnType<typeof useTenantSwitch>;

/** What the last switch came to: its error, or the sessions it ended. */
export function TenantSwitchNotes(props: { s: TenantSwitch }) {
  const { t } = useI18n();
  const { done, action } = props.s;
  return (
    <>
      <ErrorNote error={action.error} />
      {done === null ? null : (
        <p role="status" data-testid="tenant-switch-done">
          {t(done.off ? 'tenantSwitch.doneOff' : 'tenantSwitch.doneOn', {
            tenant: done.tenant,
            count: done.count,
          })}
        </p>
      )}
    </>
  );
}

/** The switch in a tenant's row: one button, then the confirmation with what the switch will do. */
export function TenantSwitchCell(props: { s: TenantSwitch; tenant: SwitchedTenant }) {
  const { t } = useI18n();
  const { asking, ask, action } = props.s;
  const { id } = props.tenant;
  const off = props.tenant.disabledAt === null;
  if (asking?.id === id)
    return (
      <div role="group" aria-label={t(asking.off ? 'tenantSwitch.off' : 'tenantSwitch.on')}>
        <p>{t(asking.off ? 'tenantSwitch.confirmOff' : 'tenantSwitch.confirmOn', { tenant: id })}</p>
        <button type="button" disabled={action.busy} onClick={() => void action.run(id, asking.off)}>
          {t(asking.off ? 'tenantSwitch.yesOff' : 'tenantSwitch.yesOn', { tenant: id })}
        </button>{' '}
        <button type="button" class="secondary" onClick={() => ask(null)}>
          {t('tenantSwitch.cancel')}
        </button>
      </div>
    );
  return (
    <button type="button" class="secondary" disabled={action.busy} onClick={() => ask({ id, off })}>
      {t(off ? 'tenantSwitch.off' : 'tenantSwitch.on')}
    </button>
  );
}
