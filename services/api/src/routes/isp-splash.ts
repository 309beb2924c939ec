import { Type } from '@fastify/type-provider-typebox';
import { loadConfig, type ConfigOf } from '@mod/config';
import { renderSplashPage, type SplashPageOptions, type SplashTexts } from '@mod/urls';
import { splashSpec } from '../config.js';
import type { RouteDeps, TypedApp } from './common.js';
import { logVisitorsWithoutAddress } from './visitor-logging.js';

/** What the walled-garden page says besides the reference: from the API configuration (`SPLASH_*`). */
export type SplashSettings = Omit<SplashPageOptions, 'referenceId'>;

/** The page's settings from validated configuration; an empty text means "the built-in text". */
export function splashSettingsFromConfig(config: ConfigOf<typeof splashSpec>): SplashSettings {
  const given = (text: string) => (text === '' ? undefined : text);
  const language = (lang: 'VI' | 'EN'): SplashTexts => ({
    operatorName: given(config[`SPLASH_OPERATOR_NAME_${lang}`]),
    authorityName: given(config[`SPLASH_AUTHORITY_NAME_${lang}`]),
    whyBlocked: given(config[`SPLASH_WHY_BLOCKED_${lang}`]),
    howToAppeal: given(config[`SPLASH_HOW_TO_APPEAL_${lang}`]),
    appealContact: given(config[`SPLASH_APPEAL_CONTACT_${lang}`]),
  });
  return {
    primaryLanguage: config.SPLASH_PRIMARY_LANGUAGE,
    appealUrl: given(config.SPLASH_APPEAL_URL),
    appealEmail: given(config.SPLASH_APPEAL_EMAIL),
    texts: { vi: language('VI'), en: language('EN') },
  };
}

/** The defaults of every `SPLASH_*` setting. */
export const SPLASH_DEFAULTS: SplashSettings = splashSettingsFromConfig(loadConfig(splashSpec, {}));

/**
 * The walled-garden page users land on when an RPZ sends a blocked name to it (public: the user's browser has
 * no credentials). Vietnamese and English: why the page is blocked, how to appeal. Nothing loaded from elsewhere.
 */
export async function ispSplashRoutes(
  app: TypedApp,
  deps: RouteDeps & { splash?: SplashSettings },
): Promise<void> {
  const settings = deps.splash ?? SPLASH_DEFAULTS;
  logVisitorsWithoutAddress(app);
  app.get(
    '/blocked',
    {
      config: { public: true },
      schema: {
        querystring: Type.Object(
          {
            ref: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9._:-]{1,100}$' })),
            lang: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.String({ description: 'the page (text/html)' }) },
      },
      // The page carries its own inline style; everything else stays forbidden.
      onSend: (_req, reply, payload, done) => {
        reply.header(
          'content-security-policy',
          "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        );
        done(null, payload);
      },
    },
    async (req, reply) => {
      const html = renderSplashPage({
        ...settings,
        referenceId: req.query.ref ?? 'none',
        ...(req.query.lang === undefined ? {} : { primaryLanguage: req.query.lang }),
      });
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
