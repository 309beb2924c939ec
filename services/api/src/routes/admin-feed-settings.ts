import { Type } from '@fastify/type-provider-typebox';
import { withTransaction } from '@mod/db';
import { getTenant } from '@mod/db/access';
import { getFeedSettings, setFeedSettings, type FeedSettings } from '@mod/db/feeds';
import { rpzCnameTarget, rpzZoneName } from '@mod/urls';
import { principalOf } from '../auth.js';
import { badRequest, notFound } from '../errors.js';
import { ADMIN_ROUTE, TenantIdParams } from './access-schemas.js';
import { auditCallerChange, ErrorResponses, type RouteDeps, type TypedApp } from './common.js';

const DnsName = Type.String({ minLength: 1, maxLength: 254, pattern: '^[A-Za-z0-9_.-]+$' });
const FeedSettingsBody = Type.Object(
  {
    zoneName: Type.String({ description: "the RPZ's zone name (its records are written relative to it)" }),
    walledGardenHost: Type.Union([Type.String(), Type.Null()], {
      description: 'blocked names answer a CNAME to this host (the walled-garden page); null: NXDOMAIN',
    }),
  },
  { additionalProperties: false },
);

/** The ISP tenant `id`, or 404 (no such tenant, or not an ISP: only ISPs have feeds). */
async function ispOf(deps: RouteDeps, id: string): Promise<string> {
  const tenant = await getTenant(deps.db, id);
  if (tenant === null || tenant.kind !== 'isp') throw notFound('ISP tenant');
  return tenant.id;
}

/** The settings as the feeds will use them: names checked as the RPZ writer checks them, lower case. */
function checked(s: FeedSettings): FeedSettings {
  try {
    const action =
      s.walledGardenHost === null
        ? ({ type: 'nxdomain' } as const)
        : ({ type: 'walled-garden', host: s.walledGardenHost } as const);
    const zoneName = rpzZoneName({ zoneName: s.zoneName, action });
    const target = rpzCnameTarget({ zoneName, action });
    return { zoneName, walledGardenHost: s.walledGardenHost === null ? null : target.replace(/\.$/, '') };
  } catch (err) {
    throw badRequest('MOD_ERR_API_VALIDATION', err instanceof Error ? err.message : 'not a DNS name');
  }
}

/**
 * An ISP's feed settings (admins): how its RPZ is written, the zone name and NXDOMAIN or a CNAME to the
 * walled-garden host. A change is audited with the settings before and after, in the transaction that makes it;
 * the next full feed carries it (its ETag changes).
 */
export async function adminFeedSettingsRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  app.get(
    '/tenants/:tenantId/feed-settings',
    {
      config: ADMIN_ROUTE,
      schema: { params: TenantIdParams, response: { 200: FeedSettingsBody, ...ErrorResponses } },
    },
    async (req) => getFeedSettings(deps.db, await ispOf(deps, req.params.tenantId)),
  );

  app.put(
    '/tenants/:tenantId/feed-settings',
    {
      config: ADMIN_ROUTE,
      schema: {
        params: TenantIdParams,
        body: Type.Object(
          { zoneName: DnsName, walledGardenHost: Type.Union([DnsName, Type.Null()]) },
          { additionalProperties: false },
        ),
        response: { 200: FeedSettingsBody, ...ErrorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const isp = await ispOf(deps, req.params.tenantId);
      const after = checked(req.body);
      return withTransaction(deps.db, async (c) => {
        const before = await getFeedSettings(c, isp);
        await setFeedSettings(c, isp, after);
        await auditCallerChange(c, p, {
          action: 'isp.feed_settings_changed',
          subject: { type: 'tenant', id: isp },
          evidence: { before: { ...before }, after: { ...after } },
        });
        return after;
      });
    },
  );
}
