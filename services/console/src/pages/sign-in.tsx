import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Session } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { useSession } from '../session.js';
import { ErrorNote, Field, Page, useAction } from '../ui/kit.js';

const value = (e: Event) => (e.target as HTMLInputElement).value;

/** Sign-in: login, password and the authenticator's code (none yet at a first sign-in with a one-time password). */
export function SignInPage(props: { expired: boolean }) {
  const { t } = useI18n();
  const { accept } = useSession();
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const { busy, error, run } = useAction(async () => {
    const body = { login: login.trim(), password, ...(code.trim() === '' ? {} : { code: code.trim() }) };
    accept(await ok(api.POST('/v1/session', { body })));
  });
  return (
    <Page title={t('signIn.title')}>
      {props.expired ? (
        <p class="notice" role="status">
          {t('signIn.expired')}
        </p>
      ) : null}
      <form
        class="form narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field
          id="login"
          label={t('signIn.login')}
          autocomplete="username"
          required
          value={login}
          onInput={(e) => setLogin(value(e))}
        />
        <Field
          id="password"
          label={t('signIn.password')}
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(value(e))}
        />
        <Field
          id="code"
          label={t('signIn.code')}
          hint={t('signIn.codeHint')}
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]{6,8}"
          value={code}
          onInput={(e) => setCode(value(e))}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('signIn.submit')}
        </button>
      </form>
    </Page>
  );
}

/** A first sign-in (or an expired password): a new password, typed twice. */
export function ChangePasswordPage(props: { session: Session }) {
  const { t } = useI18n();
  const { accept } = useSession();
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const { busy, error, run } = useAction(async () => {
    accept(await ok(api.POST('/v1/session/password', { body: { newPassword: next } })));
  });
  return (
    <Page title={t('password.title')}>
      <p>{t('password.intro', { name: props.session.person.displayName })}</p>
      <form
        class="form narrow"
        onSubmit={(e) => {
          e.preventDefault();
          setMismatch(next !== again);
          if (next === again) void run();
        }}
      >
        <Field
          id="new-password"
          label={t('password.new')}
          hint={t('password.rules')}
          type="password"
          autocomplete="new-password"
          required
          value={next}
          onInput={(e) => setNext(value(e))}
        />
        <Field
          id="new-password-again"
          label={t('password.again')}
          type="password"
          autocomplete="new-password"
          required
          value={again}
          onInput={(e) => setAgain(value(e))}
        />
        {mismatch ? (
          <p class="error" role="alert">
            {t('password.mismatch')}
          </p>
        ) : null}
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('password.submit')}
        </button>
      </form>
    </Page>
  );
}

/** TOTP enrolment: the secret to type (or the otpauth link to open) in an authenticator app, then its code. */
export function EnrolTotpPage(props: { session: Session }) {
  const { t } = useI18n();
  const { accept } = useSession();
  const [code, setCode] = useState('');
  const enrolment = props.session.totpEnrolment;
  const { busy, error, run } = useAction(async () => {
    accept(await ok(api.POST('/v1/session/totp', { body: { code: code.trim() } })));
  });
  const grouped = enrolment?.secret.replace(/(.{4})(?=.)/g, '$1 ') ?? '';
  return (
    <Page title={t('totp.title')}>
      <p>{t('totp.intro')}</p>
      <dl class="facts">
        <dt>{t('totp.secret')}</dt>
        <dd>
          <code class="secret" data-testid="totp-secret" data-secret={enrolment?.secret ?? ''}>
            {grouped}
          </code>
        </dd>
        <dt>{t('totp.link')}</dt>
        <dd>
          <a href={enrolment?.otpauthUri}>{t('totp.openApp')}</a>
        </dd>
      </dl>
      <form
        class="form narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <Field
          id="enrol-code"
          label={t('totp.code')}
          inputMode="numeric"
          autocomplete="one-time-code"
          pattern="[0-9 ]{6,8}"
          required
          value={code}
          onInput={(e) => setCode(value(e))}
        />
        <ErrorNote error={error} />
        <button type="submit" disabled={busy}>
          {t('totp.submit')}
        </button>
      </form>
    </Page>
  );
}
