import type { RouteDeps, TypedApp } from './common.js';
import { ispAckRoutes } from './isp-acks.js';
import { ispFeedRoutes } from './isp-feeds.js';
import { ispSplashRoutes, type SplashSettings } from './isp-splash.js';
import { ispTrafficRoutes } from './isp-traffic.js';

/** ISP integration: traffic samples in, blocklist feeds out, acknowledgements, the walled-garden page. */
export async function ispRoutes(app: TypedApp, deps: RouteDeps & { splash?: SplashSettings }): Promise<void> {
  await ispTrafficRoutes(app, deps);
  ispFeedRoutes(app, deps);
  ispAckRoutes(app, deps);
  ispSplashRoutes(app, deps);
}
