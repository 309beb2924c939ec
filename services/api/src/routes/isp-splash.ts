import { Type } from '@fastify/type-provider-typebox';
import { renderSplashPage, type SplashPageOptions } from '@mod/urls';
import type { RouteDeps, TypedApp } from './common.js';

/**
 * What the walled-garden page says besides the reference. TODO(lead): move into the API configuration
 * (authority name and appeal address are configuration, not code).
 */
export const SPLASH_DEFAULTS: Omit<SplashPageOptions, 'referenceId'> = {
  authorityName: 'Cục An toàn thông tin / Authority of Information Security',
  appealEmail: 'appeals@mod.invalid',
  primaryLanguage: 'vi',
};

/**
 * The walled-garden page users land on when an RPZ sends a blocked name to it (public: the user's browser has
 * no credentials). Vietnamese and English: why the page is blocked, how to appeal. Nothing loaded from elsewhere.
 */
export function ispSplashRoutes(app: TypedApp, _deps: RouteDeps): void {
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
        ...SPLASH_DEFAULTS,
        referenceId: req.query.ref ?? 'none',
        ...(req.query.lang === undefined ? {} : { primaryLanguage: req.query.lang }),
      });
      return reply.type('text/html; charset=utf-8').send(html);
    },
  );
}
