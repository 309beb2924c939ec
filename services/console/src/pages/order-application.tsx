import type { Order } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Facts, type Fact } from '../ui/records.js';

type Application = NonNullable<Order['application']>;

/** States in which the content is not (or not known to be) blocked: shown as a warning, never as done. */
const WARN: readonly Application['state'][] = ['cannot-apply', 'not-listed', 'failed'];

/**
 * How a blocking request is applied at its ISP (the API's `application`): the mechanism (DNS through the RPZ, a
 * host or URL filter on the ISP's proxies, or no feed at all) and why, the feeds that list it and since which
 * serial, and the ISP's acknowledgement (and, for an HTTPS address, that a proxy sees its path only where it
 * inspects TLS). A block no feed carries, one not yet in the feed or one the ISP could not apply is a warning.
 */
export function BlockApplication(props: { application: Application; subject: Order['subject'] }) {
  const i18n = useI18n();
  const { t } = i18n;
  const a = props.application;
  const ack = a.acknowledgement;
  const facts: Fact[] = [
    {
      label: t('blockApp.mechanism'),
      value: t(`blockApp.mechanism.${a.mechanism}`),
      testId: 'block-mechanism',
    },
    ...(a.limit === null ? [] : [{ label: t('blockApp.limit'), value: t(`blockApp.limit.${a.limit}`) }]),
    // A proxy sees an HTTPS address's path only where it inspects TLS: the ISP may report it cannot apply it.
    ...(a.mechanism === 'url-filter' && /^https:/i.test(props.subject.value)
      ? [{ label: t('blockApp.https'), value: t('blockApp.httpsNote'), testId: 'block-https' }]
      : []),
    {
      label: t('blockApp.feeds'),
      value:
        a.feeds.length === 0 ? t('blockApp.noFeed') : a.feeds.map((f) => t(`blockApp.feed.${f}`)).join(', '),
      testId: 'block-feeds',
    },
    { label: t('blockApp.isp'), value: a.ispTenantId },
    {
      label: t('blockApp.listed'),
      value:
        a.listedSince === null
          ? t('blockApp.notListed')
          : t('blockApp.listedSince', { serial: a.listedSince, current: a.feedSerial ?? a.listedSince }),
    },
    {
      label: t('blockApp.ack'),
      value: (
        <>
          {t(`blockApp.ack.${ack.status}`, { at: i18n.dateTime(ack.at) })}
          {ack.note === null ? null : <>: {ack.note}</>}
        </>
      ),
      testId: 'block-ack',
    },
  ];
  return (
    <section aria-labelledby="block-application-title" data-testid="block-application">
      <h2 id="block-application-title">{t('blockApp.title')}</h2>
      <p
        class={WARN.includes(a.state) ? 'notice notice-warn' : 'notice'}
        role="note"
        data-testid="block-state"
      >
        {t(`blockApp.state.${a.state}`, { isp: a.ispTenantId })}
      </p>
      <Facts facts={facts} />
    </section>
  );
}
