import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { AuditBundle } from '../api/types.js';
import { verifyBundle, type BundleCheck } from '../audit/verify.js';
import { shownText } from '../audit/texts.js';
import { useI18n } from '../i18n/locale.js';
import { ActionForm, Field } from '../ui/form.js';
import { DownloadButton, ErrorNote, Page, useAction } from '../ui/kit.js';
import { Facts, TitledTable } from '../ui/records.js';

const PINNED_KEYS = 'mod.console.trustedAuditKeys';

function pinnedKeys(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(PINNED_KEYS) ?? '[]');
    return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * A record's actor as `kind:id`. The bundle is what is being verified, so nothing in it is trusted to have the
 * log's shape: an actor that is not an object (null, a string) is shown as nothing rather than read into.
 */
function actorText(actor: unknown): string {
  if (typeof actor !== 'object' || actor === null) return '';
  const { kind, id } = actor as { kind?: unknown; id?: unknown };
  return `${typeof kind === 'string' ? kind : ''}:${typeof id === 'string' ? id : ''}`;
}

/** A check's outcome in words and a mark (never colour alone). */
function Mark(props: { ok: boolean; label: string }) {
  const { t } = useI18n();
  return (
    <li class={props.ok ? 'check-ok' : 'check-bad'}>
      <span aria-hidden="true">{props.ok ? '✓ ' : '✗ '}</span>
      {props.label}: <strong>{t(props.ok ? 'audit.passed' : 'audit.failed')}</strong>
    </li>
  );
}

/**
 * The audit explorer: the records about an order or a submission (or a range of the log), the signed tree head,
 * and their verification in this browser (see audit/verify.ts).
 */
export function AuditPage(props: { query: URLSearchParams }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [ref, setRef] = useState(props.query.get('ref') ?? '');
  const [bundle, setBundle] = useState<AuditBundle | null>(null);
  const [check, setCheck] = useState<BundleCheck | null>(null);
  const [pinned, setPinned] = useState<string[]>(pinnedKeys);
  const { busy, error, run } = useAction(async (wanted: string) => {
    setBundle(null);
    setCheck(null);
    const b = await ok(api.GET('/v1/audit/export', { params: { query: { ref: [wanted] } } }));
    setBundle(b);
    setCheck(await verifyBundle(b));
  });
  const initial = props.query.get('ref');
  useEffect(() => {
    if (initial !== null && initial !== '') void run(initial);
    // Only the address's ref, once: later searches come from the form.
  }, [initial]);
  const trusted = check !== null && pinned.includes(check.keyId);
  return (
    <Page title={t('audit.title')}>
      <p>{t('audit.intro')}</p>
      <ActionForm
        class="form filters"
        role="search"
        onSubmit={() => {
          if (ref.trim() !== '') void run(ref.trim());
        }}
      >
        <Field
          id="audit-ref"
          label={t('audit.ref')}
          hint={t('audit.refHint')}
          required
          pattern="[A-Za-z0-9._:/+=\-]{1,128}"
          value={ref}
          onValue={setRef}
        />
        <button type="submit" disabled={busy}>
          {t('audit.verify')}
        </button>
      </ActionForm>
      <ErrorNote error={error} />
      {busy ? (
        <p role="status" class="muted">
          {t('audit.verifying')}
        </p>
      ) : null}
      {bundle !== null && check !== null ? (
        <>
          <h2>{t('audit.treeHead')}</h2>
          <Facts
            facts={[
              { label: t('audit.treeSize'), value: i18n.number(bundle.treeHead.treeSize) },
              { label: t('audit.signedAt'), value: i18n.dateTime(bundle.treeHead.timestamp) },
              {
                label: t('audit.rootHash'),
                value: <code class="hash">{bundle.treeHead.rootHash}</code>,
              },
              {
                label: t('audit.keyId'),
                value: (
                  <code class="hash" data-testid="audit-key-id">
                    {check.keyId}
                  </code>
                ),
              },
            ]}
          />
          <section aria-labelledby="verdict" class={check.ok ? 'verdict verdict-ok' : 'verdict verdict-bad'}>
            <h2 id="verdict" data-testid="audit-verdict">
              {t(check.ok ? 'audit.verdictOk' : 'audit.verdictBad', { count: check.entries.length })}
            </h2>
            <ul class="checks">
              <Mark ok={check.keyIdOk} label={t('audit.checkKeyId')} />
              <Mark ok={check.treeHeadOk} label={t('audit.checkTreeHead')} />
              <Mark ok={check.scopeOk} label={t('audit.checkScope')} />
              <Mark ok={check.completeOk} label={t('audit.checkComplete')} />
              <Mark
                ok={check.entries.every((e) => e.leafHashOk && e.canonicalOk && e.positionOk)}
                label={t('audit.checkLeaves')}
              />
              <Mark ok={check.entries.every((e) => e.proofOk)} label={t('audit.checkProofs')} />
              <Mark ok={check.entries.every((e) => e.textsOk)} label={t('audit.checkTexts')} />
            </ul>
            <p>{t(trusted ? 'audit.keyPinned' : 'audit.keyNotPinned')}</p>
            {trusted || !check.ok ? null : (
              <button
                type="button"
                onClick={() => {
                  const next = [...pinned, check.keyId];
                  localStorage.setItem(PINNED_KEYS, JSON.stringify(next));
                  setPinned(next);
                }}
              >
                {t('audit.pinKey')}
              </button>
            )}
            <DownloadButton
              label={t('audit.download')}
              class="secondary"
              name={`audit-bundle-${bundle.treeHead.treeSize}.json`}
              type="application/json"
              text={() => JSON.stringify(bundle, null, 2)}
            />
          </section>
          <TitledTable
            title={t('audit.records')}
            columns={[
              'audit.seq',
              'audit.time',
              'audit.action',
              'audit.actor',
              'audit.reason',
              'audit.result',
            ]}
          >
            {check.entries.map((e) => {
              const r = e.record ?? {};
              const actor = r['actor'];
              const good = e.leafHashOk && e.canonicalOk && e.positionOk && e.proofOk && e.textsOk;
              const reason = shownText(e.record, e.texts, 'reason');
              return (
                <tr key={e.leafIndex} data-testid="audit-record">
                  <td>{e.leafIndex}</td>
                  <td>{i18n.dateTime(typeof r['time'] === 'string' ? r['time'] : null)}</td>
                  <td>
                    <code>{typeof r['action'] === 'string' ? r['action'] : ''}</code>
                  </td>
                  <td>{actorText(actor)}</td>
                  <td>
                    {reason === null
                      ? ''
                      : 'text' in reason
                        ? reason.text
                        : t('audit.textErasedOn', { at: i18n.dateTime(reason.erasedAt) })}
                  </td>
                  <td class={good ? 'check-ok' : 'check-bad'}>
                    {good ? '✓ ' : '✗ '}
                    {t(good ? 'audit.inLog' : 'audit.notInLog')}
                  </td>
                </tr>
              );
            })}
          </TitledTable>
        </>
      ) : null}
    </Page>
  );
}
