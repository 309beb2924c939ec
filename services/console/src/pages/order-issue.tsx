import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import { useI18n } from '../i18n/locale.js';
import { navigate } from '../router.js';
import { ActionForm, Choice, Field, Submit, TextArea, useFormValues } from '../ui/form.js';
import { LoadStatus, Page, useAction, useLoad } from '../ui/kit.js';

/**
 * Issue a takedown or blocking order by hand: its target picked from the platforms (takedown) or ISPs (blocking)
 * the API lists, its legal basis from the bases the API lists (in the person's language, with the deadline it
 * sets), so the form offers only what the order route accepts.
 */
export function IssueOrderPage() {
  const i18n = useI18n();
  const { t, language } = i18n;
  const choices = useLoad(
    () =>
      Promise.all([ok(api.GET('/v1/orders/legal-bases')), ok(api.GET('/v1/orders/targets'))]).then(
        ([b, tg]) => ({ bases: b.legalBases, targets: tg.targets }),
      ),
    [],
  );
  const [kind, setKind] = useState<'takedown' | 'blocking'>('takedown');
  const [subjectType, setSubjectType] = useState<'url' | 'host' | 'content-hash'>('url');
  const form = useFormValues({ target: '', subject: '', basis: '', note: '' });
  const { target, subject, basis, note } = form.values;
  const targets = (choices.data?.targets ?? []).filter(
    (x) => x.kind === (kind === 'takedown' ? 'platform' : 'isp'),
  );
  const bases = choices.data?.bases ?? [];
  const chosenTarget = targets.find((x) => x.id === target)?.id ?? targets[0]?.id ?? '';
  const chosenBasis = bases.find((b) => b.id === basis)?.id ?? bases[0]?.id ?? '';
  const { busy, error, run } = useAction(async () => {
    const order = await ok(
      api.POST('/v1/orders', {
        body: {
          kind,
          targetTenantId: chosenTarget,
          subject: { type: subjectType, value: subject.trim() },
          legalBasisId: chosenBasis,
          ...(note.trim() === '' ? {} : { note: note.trim() }),
        },
      }),
    );
    navigate(`desk/orders/${order.id}`);
  });
  if (choices.data === null)
    return (
      <Page title={t('issue.title')}>
        <LoadStatus loads={[choices]} />
      </Page>
    );
  return (
    <Page title={t('issue.title')}>
      <ActionForm class="form" onSubmit={() => void run()}>
        <Choice
          id="issue-kind"
          label={t('order.kind')}
          value={kind}
          onValue={(v) => setKind(v === 'blocking' ? 'blocking' : 'takedown')}
          options={[
            { value: 'takedown', label: t('kind.takedown') },
            { value: 'blocking', label: t('kind.blocking') },
          ]}
        />
        <Choice
          id="issue-target"
          label={t(kind === 'takedown' ? 'issue.targetPlatform' : 'issue.targetIsp')}
          value={chosenTarget}
          onValue={(v) => form.set({ target: v })}
          options={targets.map((x) => ({
            value: x.id,
            label: x.name === x.id ? x.id : `${x.name} (${x.id})`,
          }))}
        />
        {targets.length === 0 ? <p class="muted">{t('issue.noTargets')}</p> : null}
        <Choice
          id="issue-subject-type"
          label={t('issue.subjectType')}
          value={subjectType}
          onValue={(v) =>
            setSubjectType(v === 'host' ? 'host' : v === 'content-hash' ? 'content-hash' : 'url')
          }
          options={[
            { value: 'url', label: t('subject.url') },
            { value: 'host', label: t('subject.host') },
            { value: 'content-hash', label: t('subject.content-hash') },
          ]}
        />
        <Field id="issue-subject" label={t('order.subject')} required {...form.bind('subject')} />
        <Choice
          id="issue-basis"
          label={t('order.legalBasis')}
          value={chosenBasis}
          onValue={(v) => form.set({ basis: v })}
          options={bases.map((b) => ({
            value: b.id,
            label: t('issue.basis', {
              citation: language === 'en' ? b.citation.en : b.citation.vi,
              duration: i18n.duration(b.deadlineMinutes * 60_000),
            }),
          }))}
        />
        <TextArea id="issue-note" label={t('issue.note')} {...form.bind('note')} />
        <Submit
          label={t('issue.submit')}
          busy={busy}
          error={error}
          disabled={chosenTarget === '' || chosenBasis === ''}
        />
      </ActionForm>
    </Page>
  );
}
