import { registerParts, type RouteDeps, type TypedApp } from './common.js';
import { orderAuthorityRoutes } from './order-authority.js';
import { orderIssuingRoutes } from './order-issuing.js';
import { orderReadRoutes } from './order-reads.js';
import { orderResponseRoutes } from './order-responses.js';

/**
 * Orders (under `/v1/orders`): reading them (scoped to the caller), the targets' answers, and the authorities'
 * orders by hand and commands, and what they pick from to issue one (legal bases, targets). The parts register in this order (the authorization matrix test calls routes
 * in registration order).
 */
export async function orderRoutes(app: TypedApp, deps: RouteDeps): Promise<void> {
  await registerParts(app, deps, [
    orderReadRoutes,
    orderResponseRoutes,
    orderAuthorityRoutes,
    orderIssuingRoutes,
  ]);
}
