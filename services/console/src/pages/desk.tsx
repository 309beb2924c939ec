import { useEffect, useRef } from 'preact/hooks';
import { api, BACKGROUND_HEADER, ok } from '../api/client.js';
import { readPages } from '../api/paging.js';
import type { Order } from '../api/types.js';
import { useI18n, type I18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { clockText, CountdownText } from '../ui/countdown.js';
import { Field, FilterChoice, Filters, useFormValues } from '../ui/form.js';
import { LoadStatus, Page, RefreshButton, useLoad, useNow } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';
import { deadlineState, deskOrder, ORDER_STATUSES, type DeadlineState } from './orders-model.js';

/** Most orders the desk reads (pages of 100): the open ones of an authority fit many times over. */
const MAX_ORDERS = 1000;
/** How often the desk reads the orders again. */
const REFRESH_MS = 30_000;

/**
 * Every order the caller sees, page by page (up to `MAX_ORDERS`). A `background` read (the desk refreshing itself)
 * says so to the API, which then does not count it as the person's use of the session: a desk left open on an
 * unattended screen still signs out after the idle timeout.
 */
export function loadOrders(
  query: { kind?: 'takedown' | 'blocking'; status?: string },
  background = false,
): Promise<Order[]> {
  return readPages(
    (cursor) =>
      ok(
        api.GET('/v1/orders', {
          params: { query: { ...query, limit: 100, ...(cursor === undefined ? {} : { cursor }) } },
          ...(background ? { headers: { [BACKGROUND_HEADER]: '1' } } : {}),
        }),
      ).then((page) => ({ items: page.orders, next: page.nextCursor })),
    MAX_ORDERS,
  );
}

/** The countdown to an order's deadline as text (and its kind, for styling). */
export function Countdown(props: { state: DeadlineState }) {
  const i18n = useI18n();
  const s = props.state;
  const text =
    s.kind === 'overdue' || s.kind === 'running'
      ? clockText(i18n, s)
      : i18n.t(s.kind === 'paused' ? 'desk.paused' : s.kind === 'done' ? 'desk.done' : 'desk.closed');
  return <CountdownText state={s.kind} text={text} testId="countdown" />;
}

export const statusLabel = (i18n: I18n, status: string) =>
  (ORDER_STATUSES as readonly string[]).includes(status)
    ? i18n.t(`status.${status as (typeof ORDER_STATUSES)[number]}`)
    : status;

/** The authority desk: orders with filters, overdue first, each with its deadline countdown. */
export function DeskPage() {
  const i18n = useI18n();
  const { t } = i18n;
  const filters = useFormValues({ kind: '', status: '', search: '' });
  const { kind, status, search } = filters.values;
  const now = useNow(1000);
  // Whether the next read is the desk's own refresh, not the person's doing.
  const refreshing = useRef(false);
  const orders = useLoad(() => {
    const background = refreshing.current;
    refreshing.current = false;
    return loadOrders(
      {
        ...(kind === 'takedown' || kind === 'blocking' ? { kind } : {}),
        ...(status === '' ? {} : { status }),
      },
      background,
    );
  }, [kind, status]);
  // The desk stays open all day: what changed elsewhere (new automatic orders, targets' answers) shows up.
  useEffect(() => {
    const timer = setInterval(() => {
      refreshing.current = true;
      orders.reload();
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [orders.reload]);
  const needle = search.trim().toLowerCase();
  const shown = deskOrder(orders.data ?? [], now).filter(
    (o) =>
      needle === '' ||
      o.subject.value.toLowerCase().includes(needle) ||
      o.targetTenantId.includes(needle) ||
      o.id.startsWith(needle),
  );
  const overdue = shown.filter((o) => deadlineState(o, now).kind === 'overdue').length;
  return (
    <Page
      title={t('desk.title')}
      actions={
        <div class="actions">
          <RefreshButton onRefresh={orders.reload} />
          <Link class="button" to="desk/new">
            {t('desk.issue')}
          </Link>
        </div>
      }
    >
      <Filters>
        <FilterChoice
          id="filter-kind"
          label={t('desk.filterKind')}
          {...filters.bind('kind')}
          options={[
            { value: 'takedown', label: t('kind.takedown') },
            { value: 'blocking', label: t('kind.blocking') },
          ]}
        />
        <FilterChoice
          id="filter-status"
          label={t('desk.filterStatus')}
          {...filters.bind('status')}
          options={ORDER_STATUSES.map((s) => ({ value: s, label: statusLabel(i18n, s) }))}
        />
        <Field id="filter-search" label={t('desk.search')} type="search" {...filters.bind('search')} />
      </Filters>
      <LoadStatus loads={[orders]} />
      <p role="status" class="summary">
        {t('desk.summary', { count: shown.length, overdue })}
      </p>
      <RecordTable
        caption={t('desk.caption')}
        columns={[
          'order.deadline',
          'order.kind',
          'order.subject',
          'order.target',
          'order.status',
          'order.issuedAt',
        ]}
        class="orders"
      >
        {shown.map((o) => (
          <tr key={o.id} data-order-id={o.id}>
            <td>
              <Countdown state={deadlineState(o, now)} />
            </td>
            <td>{t(`kind.${o.kind}`)}</td>
            <td class="subject">
              <Link to={`desk/orders/${o.id}`}>{o.subject.value}</Link>
            </td>
            <td>{o.targetTenantId}</td>
            <td>{statusLabel(i18n, o.status)}</td>
            <td>{i18n.dateTime(o.issuedAt)}</td>
          </tr>
        ))}
      </RecordTable>
    </Page>
  );
}
