import { randomBytes } from 'node:crypto';
import type { OrderInput } from '@mod/db/orders';

/**
 * An order to open (`openOrder`, `issueOrderRequest`): a policy's blocking order on a fresh content hash,
 * addressed to `isp-1`, due in a day, with no submission, with what `over` sets instead. Builds the value only.
 * `@mod/db`'s own tests keep the same builder in its `src/testing.test-helper.ts` (they cannot import this package).
 */
export const testOrder = (over: Partial<OrderInput> = {}): OrderInput => ({
  kind: 'blocking',
  subjectType: 'content-hash',
  subjectValue: randomBytes(32).toString('hex'),
  targetTenantId: 'isp-1',
  legalBasis: 'test',
  issuer: { kind: 'policy', id: 'policy-1' },
  deadlineAt: new Date(Date.now() + 86_400_000),
  evidence: {},
  policyVersion: '1',
  submissionId: null,
  actor: 'test',
  ...over,
});
