import { useState } from 'preact/hooks';
import { api, ok } from '../api/client.js';
import type { Session } from '../api/types.js';
import { useI18n } from '../i18n/locale.js';
import { useSession } from '../session.js';
import { ActionForm, Field, Submit, useFormValues } from '../ui/form.js';
import { Page, useAction } from '../ui/kit.js';
import { Facts } from '../ui/records.js';

/** A field's own attributes: its id, label and hint, and its value and `onValue` (as `bind` gives them). */
type FieldProps = {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onValue: (value: string) => void;
};

/** The authenticator's code, as sign-in and enrolment ask for it (6 to 8 digits, spaces allowed). */
function CodeField(props: FieldProps & { required?: boolean }) {
  return <Field {...props} inputMode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" />;
}

/** Sign-in: login, password and the authenticator's code (none yet at a first sign-in with a one-time password). */
export function SignInPage(props: { expired: boolean }) {
  const { t } = useI18n();
  const { accept } = useSession();
  const form = useFormValues({ login: '', password: '', code: '' });
  const { login, password, code } = form.values;
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
      <ActionForm class="form narrow" onSubmit={() => void run()}>
        <Field
          id="login"
          label={t('signIn.login')}
          autocomplete="username"
          required
          {...form.bind('login')}
        />
        <Field
          id="password"
          label={t('signIn.password')}
          type="password"
          autocomplete="current-password"
          required
          {...form.bind('password')}
        />
        <CodeField id="code" label={t('signIn.code')} hint={t('signIn.codeHint')} {...form.bind('code')} />
        <Submit label={t('signIn.submit')} busy={busy} error={error} />
      </ActionForm>
    </Page>
  );
}

/** A new password field (typed twice on the page). */
function NewPasswordField(props: FieldProps) {
  return <Field {...props} type="password" autocomplete="new-password" required />;
}

/** A first sign-in (or an expired password): a new password, typed twice. */
export function ChangePasswordPage(props: { session: Session }) {
  const { t } = useI18n();
  const { accept } = useSession();
  const form = useFormValues({ next: '', again: '' });
  const { next, again } = form.values;
  const [mismatch, setMismatch] = useState(false);
  const { busy, error, run } = useAction(async () => {
    accept(await ok(api.POST('/v1/session/password', { body: { newPassword: next } })));
  });
  return (
    <Page title={t('password.title')}>
      <p>{t('password.intro', { name: props.session.person.displayName })}</p>
      <ActionForm
        class="form narrow"
        onSubmit={() => {
          setMismatch(next !== again);
          if (next === again) void run();
        }}
      >
        <NewPasswordField
          id="new-password"
          label={t('password.new')}
          hint={t('password.rules')}
          {...form.bind('next')}
        />
        <NewPasswordField id="new-password-again" label={t('password.again')} {...form.bind('again')} />
        {mismatch ? (
          <p class="error" role="alert">
            {t('password.mismatch')}
          </p>
        ) : null}
        <Submit label={t('password.submit')} busy={busy} error={error} />
      </ActionForm>
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
      <Facts
        facts={[
          {
            label: t('totp.secret'),
            value: (
              <code class="secret" data-testid="totp-secret" data-secret={enrolment?.secret ?? ''}>
                {grouped}
              </code>
            ),
          },
          {
            label: t('totp.link'),
            value: <a href={enrolment?.otpauthUri}>{t('totp.openApp')}</a>,
          },
        ]}
      />
      <ActionForm class="form narrow" onSubmit={() => void run()}>
        <CodeField id="enrol-code" label={t('totp.code')} required value={code} onValue={setCode} />
        <Submit label={t('totp.submit')} busy={busy} error={error} />
      </ActionForm>
    </Page>
  );
}
