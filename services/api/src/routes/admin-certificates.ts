import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import {
  getTenant,
  normaliseFingerprint,
  registerClientCertificate,
  revokeClientCertificate,
} from '@mod/db/access';
import { principalOf } from '../auth.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { ADMIN_ROUTE, CertificateBody } from './access-schemas.js';
import { ErrorResponses, Uuid, type RouteDeps, type TypedApp } from './common.js';
import { auditCredentialChange, CERTIFICATE_TENANT_KINDS, issueCredentialRoute } from './credentials.js';

/** Client certificates (mTLS) of ISP tenants: register one by its fingerprint, revoke it. */
export async function adminCertificateRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  issueCredentialRoute(
    app,
    deps,
    {
      credentials: 'certificates',
      description:
        'Maps a client certificate (SHA-256 fingerprint of its DER bytes) to an ISP tenant for mTLS.',
      fields: {
        fingerprintSha256: Type.String({ minLength: 64, maxLength: 100, pattern: '^[0-9A-Fa-f: ]+$' }),
      },
      response: CertificateBody,
    },
    async ({ p, tenantId, body, issued }) => {
      const fingerprint = normaliseFingerprint(body.fingerprintSha256);
      if (fingerprint === null)
        throw badRequest('MOD_ERR_API_BAD_FINGERPRINT', 'fingerprintSha256 must be 32 bytes of hex');
      return withTransaction(deps.db, async (c) => {
        const tenant = await getTenant(c, tenantId);
        if (tenant === null) throw notFound('tenant');
        if (!CERTIFICATE_TENANT_KINDS.includes(tenant.kind))
          throw badRequest('MOD_ERR_API_ROLE_NOT_FOR_TENANT', 'client certificates are for ISP tenants');
        const registered = await registerClientCertificate(c, {
          tenantId: tenant.id,
          fingerprintSha256: fingerprint,
          role: 'isp',
          ...issued,
        });
        if (registered === null) throw conflict('this certificate is already registered');
        await auditCredentialChange(
          c,
          p,
          'certificate.registered',
          { type: 'client_certificate', id: registered.id, tenantId: tenant.id },
          { fingerprintSha256: fingerprint },
        );
        return registered;
      });
    },
  );

  app.post(
    '/certificates/:certificateId/revoke',
    {
      config: ADMIN_ROUTE,
      schema: {
        params: Type.Object({ certificateId: Uuid }, { additionalProperties: false }),
        response: { 200: CertificateBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const at = deps.now();
      return withTransaction(deps.db, async (c) => {
        const cert = await revokeClientCertificate(c, req.params.certificateId, at);
        if (cert === null) throw notFound('certificate');
        // Revoking a revoked certificate keeps its first revocation, and is not audited again (as for keys).
        if (cert.revokedAt !== at.toISOString()) return cert;
        await auditCredentialChange(c, p, 'certificate.revoked', {
          type: 'client_certificate',
          id: cert.id,
          tenantId: cert.tenantId,
        });
        return cert;
      });
    },
  );
}
