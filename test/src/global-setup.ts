import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** SCRAM users the trust-boundary tests bind, per test, to partner tenants of their own (ACLs per topic prefix). */
export const PARTNER_PRINCIPALS = ['e2e-partner-a', 'e2e-partner-b'] as const;

/** Makes sure the partner principals exist on the local broker (`deploy/local/kafka.sh principal`, idempotent). */
export default function setup(): void {
  const script = fileURLToPath(new URL('../../deploy/local/kafka.sh', import.meta.url));
  for (const name of PARTNER_PRINCIPALS)
    execFileSync('bash', [script, 'principal', name], { stdio: ['ignore', 'ignore', 'inherit'] });
}
