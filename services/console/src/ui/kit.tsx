import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure } from '../api/client.js';
import { useI18n, type I18n } from '../i18n/locale.js';
import type { MessageKey } from '../i18n/vi.js';

/** Codes the console explains in its own words; any other shows the API's message (in the chosen language). */
const KNOWN_ERRORS: Readonly<Record<string, MessageKey>> = {
  MOD_ERR_API_SIGN_IN_FAILED: 'error.signInFailed',
  MOD_ERR_API_ACCOUNT_DISABLED: 'error.accountDisabled',
  MOD_ERR_API_RATE_LIMITED: 'error.rateLimited',
  MOD_ERR_API_NOT_YOURSELF: 'error.notYourself',
  MOD_ERR_API_TOTP_CODE_WRONG: 'error.totpWrong',
  MOD_ERR_API_FORBIDDEN: 'error.forbidden',
  MOD_ERR_API_NOT_FOUND: 'error.notFound',
  MOD_ERR_API_CSRF: 'error.csrf',
  MOD_ERR_API_UNAUTHENTICATED: 'error.sessionEnded',
  MOD_ERR_API_CONTACT_KEY_MISSING: 'error.contactKeyMissing',
  MOD_ERR_API_CONTACT_TAMPERED: 'error.contactTampered',
  MOD_ERR_API_LIST_REJECTED: 'error.listRejected',
  MOD_ERR_API_EXPOSURE_LIMIT: 'error.revealLimit',
  MOD_ERR_API_PREVIEW_LIMIT: 'error.previewLimit',
};

/** A failure as a sentence for a person (the code kept for support). */
export function describeError(i18n: I18n, err: unknown): string {
  if (err instanceof ApiFailure) {
    const key = KNOWN_ERRORS[err.code];
    // A refusal at a daily limit says the limit when the API named it (`unknown` otherwise).
    const values = { limit: err.dailyLimit ?? 'unknown' };
    const text =
      key !== undefined ? i18n.t(key, values) : err.message !== '' ? err.message : i18n.t('error.generic');
    return `${text} (${err.code})`;
  }
  if (err instanceof Error && err.name === 'AbortError') return i18n.t('error.aborted');
  return i18n.t('error.network');
}

/** An error message, announced to screen readers as it appears. */
export function ErrorNote(props: { error: unknown }) {
  const i18n = useI18n();
  if (props.error === null || props.error === undefined) return null;
  return (
    <p class="error" role="alert">
      {describeError(i18n, props.error)}
    </p>
  );
}

/** Runs an async action for a form: busy while it runs, its error kept until the next run. */
export function useAction<A extends unknown[]>(
  action: (...args: A) => Promise<void>,
): { busy: boolean; error: unknown; run: (...args: A) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setError(null);
      try {
        await action(...args);
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { busy, error, run };
}

/** What a load has come to: its data (null until it arrives), its error, whether it is under way. */
export type LoadState<T> = { data: T | null; error: unknown; loading: boolean };

/** Loads data for a page; `reload` fetches again. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [state, setState] = useState<LoadState<T>>({
    data: null,
    error: null,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

/** A page: its heading (focused on arrival, so screen readers announce the new page) and content. */
export function Page(props: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [props.title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title" tabIndex={-1} ref={heading}>
          {props.title}
        </h1>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

/** A button that reads a list again (its load's `reload`): the desk's orders, the reports, the review queue. */
export function RefreshButton(props: { onRefresh: () => void }) {
  const { t } = useI18n();
  return (
    <button type="button" class="secondary" onClick={props.onRefresh}>
      {t('desk.refresh')}
    </button>
  );
}

/** "Loading…" for screen readers and eyes alike. */
export function Loading() {
  const { t } = useI18n();
  return (
    <p class="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

/**
 * Where a page's loads stand: why the first failed one failed (else `error`, an action's failure, if any), and
 * "Loading…" while one is awaited without data yet.
 */
export function LoadStatus(props: { loads: readonly LoadState<unknown>[]; error?: unknown }) {
  const failed = props.loads.find((l) => l.error !== null)?.error ?? props.error;
  return (
    <>
      <ErrorNote error={failed} />
      {props.loads.some((l) => l.loading && l.data === null) ? <Loading /> : null}
    </>
  );
}

/** Re-renders every `ms` (countdowns). */
export function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Saves text as a file the person downloads (a blob URL: nothing leaves the browser). */
export function downloadText(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that saves a file made when it is pressed (a CSV, an audit bundle), with `downloadText`. */
export function DownloadButton(props: {
  label: string;
  name: string;
  type: string;
  text: () => string;
  class?: string;
}) {
  return (
    <button
      type="button"
      class={props.class}
      onClick={() => downloadText(props.name, props.type, props.text())}
    >
      {props.label}
    </button>
  );
}

/** A secret shown once (a one-time password or an API key): the API never shows it again. */
export function ShownOnce(props: { label: string; secret: string }) {
  const { t } = useI18n();
  return (
    <div class="notice" role="status">
      <p>{t('admin.shownOnce', { what: props.label })}</p>
      <code class="secret" data-testid="shown-once">
        {props.secret}
      </code>
    </div>
  );
}
