import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Answer } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { Link } from '../router.js';
import { useFullSession } from '../session.js';
import { Choice, TextArea } from '../ui/form.js';
import { ErrorNote, Loading, Page, RefreshButton, useAction, useLoad } from '../ui/kit.js';
import { RecordTable } from '../ui/records.js';
import { caseReasonText } from './case-reason.js';
import { CaseDetails, SelectedCase } from './review-report.js';

type ReviewCase = Answer<'/v1/cases', 'get'>['cases'][number];
type Decision = 'confirm' | 'dismiss' | 'escalate';

/** The media of a case as an object URL: the blurred preview, or the original after an (audited) reveal. */
function useMediaUrl(caseId: string, revealed: boolean) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    let made: string | null = null;
    setUrl(null);
    // The bytes come from the API's own routes (image/jpeg): a blob: URL, which the page's policy allows.
    const params = { path: { id: caseId } };
    const bytes = revealed
      ? ok(api.POST('/v1/cases/{id}/reveal', { params, parseAs: 'blob' }))
      : ok(api.GET('/v1/cases/{id}/preview', { params, parseAs: 'blob' }));
    bytes
      .then((blob) => {
        if (!live) return;
        made = URL.createObjectURL(blob);
        setUrl(made);
      })
      .catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
      if (made !== null) URL.revokeObjectURL(made);
    };
  }, [caseId, revealed]);
  return { url, error };
}

type Outcome = { orders: number; proposed: boolean };
type Bank = Answer<'/v1/banks', 'get'>['banks'][number];

function CaseWork(props: {
  item: ReviewCase;
  /** Negative banks (known benign) a dismissal may propose the content's hashes for. */
  negativeBanks: readonly Bank[];
  onChanged: (decided?: Outcome) => void;
  /** An image of the case (its preview or the original) arrived: both are counted exposures. */
  onShown: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [revealed, setRevealed] = useState(false);
  const [reason, setReason] = useState('');
  const [category, setCategory] = useState<'A' | 'B' | 'C'>('C');
  const [proposeTo, setProposeTo] = useState('');
  const media = useMediaUrl(props.item.id, revealed);
  // A preview, and a reveal, is counted when its image arrives: the exposure counter reads it again then.
  const { onShown } = props;
  useEffect(() => {
    if (media.url !== null) onShown();
  }, [media.url, onShown]);
  const params = { path: { id: props.item.id } };
  const decide = useAction(async (decision: Decision) => {
    const done = await ok(
      api.POST('/v1/cases/{id}/decision', {
        params,
        body: {
          decision,
          reason: reason.trim(),
          ...(decision === 'confirm' ? { category } : {}),
          ...(decision === 'dismiss' && proposeTo !== '' ? { proposeToBankId: proposeTo } : {}),
        },
      }),
    );
    props.onChanged({ orders: done.orderIds.length, proposed: done.proposalId !== null });
  });
  const release = useAction(async () => {
    await ok(api.POST('/v1/cases/{id}/release', { params }));
    props.onChanged();
  });
  // Keyboard shortcuts for the decisions, except while typing the reason (listed on the page). The listener reads
  // the state of the latest render: re-registered per render, it would see the reason as it was when the effect
  // last ran, which can be one render late (effects run after paint), and a key pressed right after typing the
  // reason would be ignored.
  const latest = useRef({ reason, decide, release });
  latest.current = { reason, decide, release };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const tag = (e.target as HTMLElement | null)?.tagName;
      if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || e.ctrlKey || e.metaKey || e.altKey)
        return;
      const now = latest.current;
      if (e.key === 'v') setRevealed(true);
      else if (e.key === 'l') void now.release.run();
      else if (now.reason.trim() === '') return;
      else if (e.key === 'y') void now.decide.run('confirm');
      else if (e.key === 'n') void now.decide.run('dismiss');
      else if (e.key === 'e') void now.decide.run('escalate');
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return (
    <section class="case" aria-labelledby="case-title">
      <h2 id="case-title">{t('review.case', { reason: caseReasonText(i18n, props.item) })}</h2>
      <CaseDetails caseId={props.item.id} />
      <div class="preview">
        {media.url === null ? (
          // A refusal (a daily limit reached) is said below; nothing is still loading then.
          media.error === null ? (
            <Loading />
          ) : null
        ) : (
          <img
            src={media.url}
            alt={t(revealed ? 'review.original' : 'review.blurred')}
            data-testid="case-media"
          />
        )}
      </div>
      <ErrorNote error={media.error} />
      <p>
        <button type="button" class="secondary" disabled={revealed} onClick={() => setRevealed(true)}>
          {t('review.reveal')} (v)
        </button>{' '}
        <button type="button" class="secondary" onClick={() => void release.run()}>
          {t('review.release')} (l)
        </button>
      </p>
      <TextArea id="decision-reason" label={t('review.reason')} required value={reason} onValue={setReason} />
      <fieldset>
        <legend>{t('review.category')}</legend>
        {(['A', 'B', 'C'] as const).map((c) => (
          <label key={c} class="radio">
            <input
              type="radio"
              name="category"
              value={c}
              checked={category === c}
              onChange={() => setCategory(c)}
            />{' '}
            {c}
          </label>
        ))}
      </fieldset>
      {props.negativeBanks.length === 0 ? null : (
        <Choice
          id="propose-bank"
          label={t('review.proposeNegative')}
          value={proposeTo}
          onValue={setProposeTo}
          none={t('review.proposeNone')}
          options={props.negativeBanks.map((b) => ({ value: b.id, label: b.name }))}
        />
      )}
      <p class="hint">{t('review.shortcuts')}</p>
      <ErrorNote error={decide.error ?? release.error} />
      <div class="actions">
        {(['confirm', 'dismiss', 'escalate'] as const).map((d) => (
          <button
            key={d}
            type="button"
            disabled={decide.busy || reason.trim() === ''}
            onClick={() => void decide.run(d)}
          >
            {t(`review.${d}`)}
          </button>
        ))}
      </div>
    </section>
  );
}

/**
 * The review queue: cases oldest first, claim one to work it; previews blurred unless revealed. `selected`: a
 * case a link named (from a report), shown with its context until worked.
 */
export function ReviewPage(props: { selected?: string | undefined }) {
  const i18n = useI18n();
  const { t } = i18n;
  const session = useFullSession();
  const queue = useLoad(
    () => ok(api.GET('/v1/cases', { params: { query: { status: 'open', limit: 100 } } })),
    [],
  );
  // Only people who work cases (reviewers, authorities) have review settings and an exposure counter.
  const works = session.person.role === 'reviewer' || session.person.role === 'authority';
  const settings = useLoad(
    () => (works ? ok(api.GET('/v1/review-settings')) : Promise.resolve(null)),
    [works],
  );
  const [working, setWorking] = useState<ReviewCase | null>(null);
  const [decided, setDecided] = useState<Outcome | null>(null);
  // Reviewers and admins read the banks; a dismissal may propose for an enabled negative one.
  const banks = useLoad(
    () =>
      session.person.role === 'reviewer'
        ? ok(api.GET('/v1/banks')).then((r) => r.banks.filter((b) => b.negative && b.enabled))
        : Promise.resolve([]),
    [session.person.role],
  );
  const claim = useAction(async (id: string) => {
    setWorking(await ok(api.POST('/v1/cases/{id}/claim', { params: { path: { id } } })));
    setDecided(null);
    queue.reload();
  });
  const changed = (outcome?: Outcome) => {
    setWorking(null);
    setDecided(outcome ?? null);
    queue.reload();
    settings.reload();
  };
  const mine = (queue.data?.cases ?? []).find(
    (c) => c.claimedBy === session.person.id && c.stage === 'claimed',
  );
  const current = working ?? mine ?? null;
  return (
    <Page title={t('review.title')} actions={<RefreshButton onRefresh={queue.reload} />}>
      {settings.data === null ? null : (
        <p class="notice" role="status" data-testid="exposure">
          {t('review.exposure', {
            count: settings.data.revealsToday,
            limit: settings.data.dailyRevealLimit,
            previews: settings.data.previewsToday,
            previewLimit: settings.data.dailyPreviewLimit,
          })}
        </p>
      )}
      {session.person.role === 'admin' ? (
        <p>
          <Link to="review/exposure">{t('exposure.link')}</Link>
        </p>
      ) : null}
      <ErrorNote error={queue.error ?? claim.error} />
      {decided === null ? null : (
        <p class="notice" role="status" data-testid="decided">
          {t('review.decided', { orders: decided.orders })}
          {decided.proposed ? ` ${t('review.proposed')}` : ''}
        </p>
      )}
      {props.selected === undefined || current?.id === props.selected ? null : (
        <SelectedCase caseId={props.selected} busy={claim.busy} onClaim={claim.run} />
      )}
      {current === null ? null : (
        <CaseWork
          key={current.id}
          item={current}
          negativeBanks={banks.data ?? []}
          onChanged={changed}
          onShown={settings.reload}
        />
      )}
      {queue.data === null ? <Loading /> : null}
      <RecordTable
        caption={t('review.queue', { count: queue.data?.cases.length ?? 0 })}
        captionShown
        columns={['review.reasonCol', 'review.score', 'review.age', 'review.state', 'admin.actions']}
        testId="queue"
      >
        {(queue.data?.cases ?? []).map((c) => (
          <tr key={c.id}>
            <th scope="row">
              <Link to={`review?case=${c.id}`}>{caseReasonText(i18n, c)}</Link>
            </th>
            <td>{c.riskScore === null ? '—' : i18n.number(c.riskScore, { maximumFractionDigits: 2 })}</td>
            <td>{i18n.duration(Date.now() - Date.parse(c.createdAt))}</td>
            <td>{t(c.stage === 'claimed' ? 'review.claimed' : 'review.open')}</td>
            <td>
              <button
                type="button"
                // Nobody claims a confirmation case: it closes through its orders' confirmation.
                disabled={claim.busy || c.stage !== 'open' || c.kind === 'confirm'}
                onClick={() => void claim.run(c.id)}
              >
                {t('review.claim')}
              </button>
            </td>
          </tr>
        ))}
      </RecordTable>
    </Page>
  );
}
