import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Order } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { ActionForm, Choice, Field, Submit, TextArea } from '../ui/form.js';
import { LoadStatus, Page, useAction, useLoad, useNow } from '../ui/kit.js';
import { Facts, TitledTable } from '../ui/records.js';
import { Countdown, statusLabel } from './desk.js';
import { BlockApplication } from './order-application.js';
import { CLOSED_STATUSES, deadlineState, historyNote } from './orders-model.js';

type Command = 'confirm' | 'extend' | 'pause' | 'resume' | 'withdraw';

/** Confirm, extend, pause, resume or withdraw an order; each with the reason the API records and announces. */
function OrderCommands(props: { order: Order; onDone: (o: Order) => void }) {
  const { t } = useI18n();
  const [command, setCommand] = useState<Command>('confirm');
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState('24');
  const id = props.order.id;
  const { busy, error, run } = useAction(async () => {
    const params = { path: { id } };
    const text = reason.trim();
    const done =
      command === 'confirm'
        ? await ok(api.POST('/v1/orders/{id}/confirm', { params, body: text === '' ? {} : { note: text } }))
        : command === 'extend'
          ? await ok(
              api.POST('/v1/orders/{id}/extend', { params, body: { hours: Number(hours), reason: text } }),
            )
          : command === 'pause'
            ? await ok(api.POST('/v1/orders/{id}/pause', { params, body: { reason: text } }))
            : command === 'resume'
              ? await ok(api.POST('/v1/orders/{id}/resume', { params }))
              : await ok(api.POST('/v1/orders/{id}/withdraw', { params, body: { reason: text } }));
    setReason('');
    props.onDone(done);
  });
  if (CLOSED_STATUSES.includes(props.order.status)) return null;
  const needsReason = command === 'extend' || command === 'pause' || command === 'withdraw';
  return (
    <ActionForm class="form commands" aria-labelledby="commands-title" onSubmit={() => void run()}>
      <h2 id="commands-title">{t('order.commands')}</h2>
      <Choice
        id="command"
        label={t('order.command')}
        value={command}
        onValue={(v) => setCommand(v as Command)}
        options={(['confirm', 'extend', 'pause', 'resume', 'withdraw'] as const).map((c) => ({
          value: c,
          label: t(`command.${c}`),
        }))}
      />
      {command === 'extend' ? (
        <Field
          id="command-hours"
          label={t('order.extendHours')}
          type="number"
          min="1"
          max="2160"
          required
          value={hours}
          onValue={setHours}
        />
      ) : null}
      {command === 'resume' ? null : (
        <TextArea
          id="command-reason"
          label={t(needsReason ? 'order.reason' : 'order.noteOptional')}
          required={needsReason}
          value={reason}
          onValue={setReason}
        />
      )}
      <Submit label={t(`command.${command}`)} busy={busy} error={error} />
    </ActionForm>
  );
}

/** One order: where it stands, its deadline, its full history and evidence, and the authority's commands. */
export function OrderPage(props: { id: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const now = useNow(1000);
  const loaded = useLoad(
    () => ok(api.GET('/v1/orders/{id}', { params: { path: { id: props.id } } })),
    [props.id],
  );
  const [updated, setUpdated] = useState<Order | null>(null);
  const order = updated ?? loaded.data;
  return (
    <Page title={t('order.title')}>
      <LoadStatus loads={[loaded]} />
      {order === null ? null : (
        <>
          <Facts
            facts={[
              {
                label: t('order.deadline'),
                value: (
                  <>
                    <Countdown state={deadlineState(order, now)} /> ({i18n.dateTime(order.deadlineAt)})
                  </>
                ),
              },
              { label: t('order.status'), value: statusLabel(i18n, order.status), testId: 'order-status' },
              { label: t('order.kind'), value: t(`kind.${order.kind}`) },
              {
                label: t('order.subject'),
                value: (
                  <>
                    {t(`subject.${order.subject.type}`)}: {order.subject.value}
                  </>
                ),
                class: 'subject',
              },
              { label: t('order.target'), value: order.targetTenantId },
              { label: t('order.legalBasis'), value: order.legalBasis },
              { label: t('order.issuedAt'), value: i18n.dateTime(order.issuedAt) },
              { label: t('order.confirmedAt'), value: i18n.dateTime(order.confirmedAt) },
              {
                label: t('order.notices'),
                value: t('order.noticesSent', { count: order.clock.noticesSent }),
              },
              {
                label: t('order.id'),
                value: <code>{order.id}</code>,
              },
            ]}
          />
          <p>
            <Link to={`audit?ref=${order.id}`}>{t('order.auditLink')}</Link>
          </p>
          {loaded.data?.application === undefined ? null : (
            <BlockApplication application={loaded.data.application} subject={order.subject} />
          )}
          <OrderCommands
            order={order}
            onDone={(done) => {
              setUpdated(done);
              // How the block is applied is read with the order alone: read again after a change.
              loaded.reload();
            }}
          />
          <TitledTable
            title={t('order.history')}
            columns={['order.at', 'order.status', 'order.actor', 'order.note']}
          >
            {order.history.map((h, i) => (
              <tr key={i}>
                <td>{i18n.dateTime(h.at)}</td>
                <td>{statusLabel(i18n, h.status)}</td>
                <td>{h.actor}</td>
                <td>{historyNote(i18n, h)}</td>
              </tr>
            ))}
          </TitledTable>
          <h2>{t('order.evidence')}</h2>
          <pre class="evidence">{JSON.stringify(order.evidence, null, 2)}</pre>
        </>
      )}
    </Page>
  );
}
