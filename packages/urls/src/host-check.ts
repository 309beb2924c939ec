import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { defaultAddressPolicy, type AddressPolicy } from './address-policy.js';

/** Resolves a name to every address it has. Default: `dns.lookup(name, { all: true, verbatim: true })`. */
export type Resolver = (
  hostname: string,
) => Promise<ReadonlyArray<{ readonly address: string; readonly family: number }>>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A host whose every address the policy allows; `address` is the one to dial (the first answer). */
export interface HostAllowed {
  readonly ok: true;
  readonly address: string;
  readonly family: 4 | 6;
  readonly addresses: readonly string[];
}

/** Why a host was refused: it did not resolve, one of its addresses is refused, or the check was cut short. */
export interface HostRefused {
  readonly ok: false;
  readonly reason: 'dns-failure' | 'blocked-address' | 'timeout' | 'aborted';
  readonly detail: string;
}

export type HostCheck = HostAllowed | HostRefused;

/** Options of {@link checkHost}. */
export interface HostCheckOptions {
  /** Default: the system resolver. */
  readonly resolver?: Resolver;
  /** Default {@link defaultAddressPolicy}. Override in tests only. */
  readonly addressPolicy?: AddressPolicy;
  /** Resolution time before `timeout`, in milliseconds; 0: none (the signal alone bounds it). Default 5,000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Resolves `host` (a name, or an IP literal, bracketed or not) and vets every address it has: one refused
 * address refuses the host, because an attacker controls which answer a later resolution prefers. What the
 * SSRF-safe fetcher does before each hop, for callers that must check a target before storing it (e.g. webhook
 * registration); the fetcher checks again when it connects, since DNS answers change. Never rejects.
 */
export async function checkHost(host: string, options: HostCheckOptions = {}): Promise<HostCheck> {
  const policy = options.addressPolicy ?? defaultAddressPolicy;
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literalFamily = isIP(literal);
  if (literalFamily !== 0) {
    const verdict = policy(literal);
    if (verdict !== 'allow')
      return { ok: false, reason: 'blocked-address', detail: `${literal}: ${verdict}` };
    return { ok: true, address: literal, family: literalFamily === 6 ? 6 : 4, addresses: [literal] };
  }
  const resolver = options.resolver ?? systemResolver;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const signal = options.signal;
  let answers: ReadonlyArray<{ readonly address: string; readonly family: number }>;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    answers = await new Promise((resolve, reject) => {
      if (signal?.aborted === true) return reject(new CutShort('aborted', 'before resolving'));
      onAbort = () => reject(new CutShort('aborted', 'while resolving'));
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs > 0)
        timer = setTimeout(
          () => reject(new CutShort('timeout', `resolving took over ${timeoutMs} ms`)),
          timeoutMs,
        );
      resolver(host).then(resolve, reject);
    });
  } catch (cause) {
    if (cause instanceof CutShort) return { ok: false, reason: cause.reason, detail: cause.message };
    return {
      ok: false,
      reason: 'dns-failure',
      detail: cause instanceof Error ? cause.message : String(cause),
    };
  } finally {
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  }
  if (answers.length === 0) return { ok: false, reason: 'dns-failure', detail: 'no addresses' };
  for (const answer of answers) {
    const verdict = policy(answer.address);
    if (verdict !== 'allow')
      return { ok: false, reason: 'blocked-address', detail: `${answer.address}: ${verdict}` };
  }
  const first = answers[0]!.address;
  const family = isIPv4(first) ? 4 : isIPv6(first) ? 6 : null;
  if (family === null) return { ok: false, reason: 'blocked-address', detail: `${first}: not an IP` };
  return { ok: true, address: first, family, addresses: answers.map((a) => a.address) };
}

class CutShort extends Error {
  constructor(
    readonly reason: 'timeout' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}
