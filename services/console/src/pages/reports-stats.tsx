import { useMemo, useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n, type I18n } from '../i18n/locale.js';
import { Chart } from '../ui/chart.js';
import { ActionForm, Field } from '../ui/form.js';
import { DownloadButton, LoadStatus, useLoad } from '../ui/kit.js';
import { Facts, RecordTable, TitledTable } from '../ui/records.js';
import { toCsv } from './orders-model.js';
import { categoryLabel, channelLabel } from './reports-labels.js';
import { defaultRange, rangeQuery, REPORT_CHANNELS, type ReportStats } from './reports-model.js';

const percent = (i18n: I18n, v: number) => i18n.number(v, { style: 'percent', maximumFractionDigits: 1 });
const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);
const share = (handled: number, within: number) => (handled === 0 ? null : within / handled);
/** The ends of a range of days, each a date field of the range's form. */
const RANGE_ENDS = ['from', 'to'] as const;

/** Every channel, those without reports in the range at zero (the API lists the channels it saw). */
function channelRows(s: ReportStats) {
  return REPORT_CHANNELS.map(
    (channel) =>
      s.byChannel.find((c) => c.channel === channel) ?? {
        channel,
        received: 0,
        handled: 0,
        handledWithinDeadline: 0,
        medianSecondsToOutcome: null,
      },
  );
}

/** The figures as one table: the whole range, each channel, each category's outcomes. */
export function reportStatsCsv(i18n: I18n, s: ReportStats): string {
  const { t } = i18n;
  const pct = (v: number | null) => (v === null ? null : Math.round(v * 1000) / 10);
  return toCsv([
    [
      t('reports.scope'),
      t('reports.received'),
      t('reports.handled'),
      t('reports.handledWithin'),
      `${t('reports.withinShare')} (%)`,
      `${t('reports.medianToOutcome')} (h)`,
      t('reports.open'),
      t('reports.overdue'),
      t('reports.actioned'),
      t('reports.noAction'),
    ],
    [
      t('reports.overall'),
      s.received,
      s.handled,
      s.handledWithinDeadline,
      pct(s.handled === 0 ? null : s.shareHandledWithinDeadline),
      hours(s.medianSecondsToOutcome),
      s.open,
      s.overdue,
      null,
      null,
    ],
    ...channelRows(s).map((c) => [
      `${t('reports.channel')}: ${channelLabel(i18n, c.channel)}`,
      c.received,
      c.handled,
      c.handledWithinDeadline,
      pct(share(c.handled, c.handledWithinDeadline)),
      hours(c.medianSecondsToOutcome),
      null,
      null,
      null,
      null,
    ]),
    ...s.byCategory.map((c) => [
      `${t('reports.category')}: ${categoryLabel(i18n, c.category)}`,
      c.actioned + c.noAction + c.open,
      c.actioned + c.noAction,
      null,
      null,
      null,
      c.open,
      null,
      c.actioned,
      c.noAction,
    ]),
  ]);
}

/** The programme's figures over a range of days (in the person's time zone), with a chart, tables and a CSV. */
export function ReportStatsSection() {
  const i18n = useI18n();
  const { t } = i18n;
  const zone = i18n.timeZone;
  const [range, setRange] = useState(() => defaultRange(new Date(), zone));
  const [draft, setDraft] = useState(range);
  const stats = useLoad(
    () => ok(api.GET('/v1/report-stats', { params: { query: rangeQuery(range, zone) } })),
    [range.from, range.to, zone],
  );
  const s = stats.data;
  const channels = useMemo(() => (s === null ? [] : channelRows(s)), [s]);
  const channelNames = useMemo(() => channels.map((c) => channelLabel(i18n, c.channel)), [channels, i18n]);
  const channelX = useMemo(() => channels.map((_c, i) => i), [channels]);
  const series = useMemo(
    () => [
      {
        label: t('reports.received'),
        values: channels.map((c) => c.received),
        stroke: '#1f5fa8',
        bars: true,
      },
      {
        label: t('reports.handled'),
        values: channels.map((c) => c.handled),
        stroke: '#2b7a3d',
        dash: [6, 3],
      },
      {
        label: t('reports.handledWithin'),
        values: channels.map((c) => c.handledWithinDeadline),
        stroke: '#6b4aa5',
        dash: [2, 2],
      },
    ],
    [channels, t],
  );
  return (
    <section aria-labelledby="report-stats-title" data-testid="report-stats">
      <div class="page-head">
        <h2 id="report-stats-title">{t('reports.statsTitle')}</h2>
        {s === null ? null : (
          <DownloadButton
            label={t('reports.csv')}
            class="secondary"
            name={`report-stats-${range.from}-${range.to}.csv`}
            type="text/csv"
            text={() => reportStatsCsv(i18n, s)}
          />
        )}
      </div>
      <ActionForm
        class="filters"
        onSubmit={() => {
          if (draft.from !== '' && draft.to !== '' && draft.from <= draft.to) setRange(draft);
        }}
      >
        {RANGE_ENDS.map((end) => (
          <Field
            key={end}
            id={`stats-${end}`}
            label={t(`reports.${end}`)}
            type="date"
            required
            value={draft[end]}
            // Each end bounds the other: a range never runs backwards.
            {...(end === 'from' ? { max: draft.to } : { min: draft.from })}
            onValue={(day) => setDraft({ ...draft, [end]: day })}
          />
        ))}
        <button type="submit">{t('reports.apply')}</button>
      </ActionForm>
      <LoadStatus loads={[stats]} />
      {s === null ? null : (
        <>
          <p class="muted" data-testid="report-stats-range">
            {t('reports.range', { from: i18n.dateTime(s.from), to: i18n.dateTime(s.to) })}
          </p>
          <Facts
            testId="report-stats-overall"
            facts={[
              { label: t('reports.received'), value: i18n.number(s.received) },
              { label: t('reports.handled'), value: i18n.number(s.handled) },
              {
                label: t('reports.withinShare'),
                value: s.handled === 0 ? '—' : percent(i18n, s.shareHandledWithinDeadline),
              },
              {
                label: t('reports.medianToOutcome'),
                value:
                  s.medianSecondsToOutcome === null ? '—' : i18n.duration(s.medianSecondsToOutcome * 1000),
              },
              { label: t('reports.open'), value: i18n.number(s.open) },
              { label: t('reports.overdue'), value: i18n.number(s.overdue) },
            ]}
          />
          <h3>{t('reports.byChannel')}</h3>
          <Chart
            label={t('reports.byChannelLabel')}
            x={channelX}
            xLabel={t('reports.channel')}
            categories={channelNames}
            yLabel={t('reports.count')}
            series={series}
          />
          <RecordTable
            caption={t('reports.byChannel')}
            columns={[
              'reports.channel',
              'reports.received',
              'reports.handled',
              'reports.handledWithin',
              'reports.withinShare',
              'reports.medianToOutcome',
            ]}
            testId="report-stats-channels"
          >
            {channels.map((c) => {
              const sh = share(c.handled, c.handledWithinDeadline);
              return (
                <tr key={c.channel} data-channel={c.channel}>
                  <th scope="row">{channelLabel(i18n, c.channel)}</th>
                  <td>{i18n.number(c.received)}</td>
                  <td>{i18n.number(c.handled)}</td>
                  <td>{i18n.number(c.handledWithinDeadline)}</td>
                  <td>{sh === null ? '—' : percent(i18n, sh)}</td>
                  <td>
                    {c.medianSecondsToOutcome === null ? '—' : i18n.duration(c.medianSecondsToOutcome * 1000)}
                  </td>
                </tr>
              );
            })}
          </RecordTable>
          <TitledTable
            title={t('reports.byCategory')}
            level={3}
            columns={['reports.category', 'reports.actioned', 'reports.noAction', 'reports.open']}
            testId="report-stats-categories"
          >
            {s.byCategory.map((c) => (
              <tr key={c.category} data-category={c.category}>
                <th scope="row">{categoryLabel(i18n, c.category)}</th>
                <td>{i18n.number(c.actioned)}</td>
                <td>{i18n.number(c.noAction)}</td>
                <td>{i18n.number(c.open)}</td>
              </tr>
            ))}
          </TitledTable>
        </>
      )}
    </section>
  );
}
