import type { Registry } from '@mod/telemetry';
import { registerParts, type RouteDeps, type TypedApp } from './common.js';
import { ispAckRoutes } from './isp-acks.js';
import { ispFeedRoutes } from './isp-feeds.js';
import { ispTrafficRoutes } from './isp-traffic.js';
import { createTrafficQuota, DEFAULT_ISP_TRAFFIC_QUOTA, type IspTrafficQuota } from './isp-traffic-quota.js';
import { ispUrlFeedRoutes } from './isp-url-feed.js';

/**
 * ISP integration (under `/v1/isp`): traffic samples in, blocklist feeds out (the URL list also as JSON, for HTTP
 * filtering proxies), acknowledgements. (The walled-garden page the ISPs' resolvers send users to is public,
 * outside the prefix: `ispSplashRoutes`.)
 */
export async function ispRoutes(
  app: TypedApp,
  deps: RouteDeps & { registry: Registry; trafficQuota?: IspTrafficQuota },
): Promise<void> {
  const { registry, trafficQuota, ...routeDeps } = deps;
  const trafficLines = createTrafficQuota({
    db: deps.db,
    registry,
    quota: trafficQuota ?? DEFAULT_ISP_TRAFFIC_QUOTA,
    now: deps.now,
  });
  await registerParts(app, { ...routeDeps, trafficLines }, [
    ispTrafficRoutes,
    ispFeedRoutes,
    ispUrlFeedRoutes,
    ispAckRoutes,
  ]);
}
