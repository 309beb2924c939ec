import { BlockList, isIP } from 'node:net';
import { commonSpec, env, type EnvField } from '@mod/config';
import { auditTextRetentionSpec } from './audit-text-retention.js';
import { peopleSpec } from './people-config.js';
import { reportSpec } from './reports/settings.js';
import { policySpec } from '@mod/policy';
import { reviewSpec } from '@mod/review';
import { vaultKeySpec, vaultRetentionSpec } from '@mod/vault';

/** An IP address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), as proxy-addr reads them. */
export function isIpOrCidr(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * The range holds every IPv4 address (native or IPv4-mapped) or every IPv6 address: as trusted proxies, any client
 * would name itself in X-Forwarded-For.
 */
function coversEveryAddress(text: string): boolean {
  const [address = '', bits] = text.split('/');
  const family = isIP(address) === 4 ? 'ipv4' : 'ipv6';
  const range = new BlockList();
  range.addSubnet(address, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family);
  return (
    (range.check('0.0.0.0', 'ipv4') && range.check('255.255.255.255', 'ipv4')) ||
    (range.check('::', 'ipv6') && range.check('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ipv6'))
  );
}

const proxyList = env.list({
  default: [],
  doc: 'proxies (IPs/CIDRs, comma-separated) whose X-Forwarded-For names the client; empty: the header is ignored',
});
/** `API_TRUSTED_PROXIES`: a list whose every entry is an IP or a CIDR (a typo must not trust everyone). */
const trustedProxies: EnvField<readonly string[]> = {
  ...proxyList,
  parse(raw) {
    const items = proxyList.parse(raw);
    if ('problem' in items) return items;
    const bad = items.filter((item) => !isIpOrCidr(item));
    if (bad.length > 0) return { problem: `must be IP addresses or CIDRs, not ${bad.join(', ')}` };
    // The per-address limits (failed sign-ins and authentications, citizens' reports) count what this names.
    const everyone = items.filter(coversEveryAddress);
    return everyone.length === 0
      ? items
      : { problem: `must not trust every address (${everyone.join(', ')}): name the proxies' own addresses` };
  },
};

/** The walled-garden page (GET /blocked): every text in Vietnamese and English, plain text (HTML-escaped). */
export const splashSpec = {
  SPLASH_PRIMARY_LANGUAGE: env.oneOf(['vi', 'en'], {
    default: 'vi',
    doc: 'splash page: language shown first (both are always shown)',
  }),
  SPLASH_OPERATOR_NAME_VI: env.text({
    default: '',
    maxLength: 200,
    doc: 'splash page: who operates the block, in Vietnamese (footer; empty: none)',
  }),
  SPLASH_OPERATOR_NAME_EN: env.text({
    default: '',
    maxLength: 200,
    doc: 'splash page: who operates the block, in English (footer; empty: none)',
  }),
  SPLASH_AUTHORITY_NAME_VI: env.text({
    default: 'Cục An toàn thông tin',
    maxLength: 200,
    doc: 'splash page: who ordered the block, in Vietnamese (quoted in the built-in reason)',
  }),
  SPLASH_AUTHORITY_NAME_EN: env.text({
    default: 'the Authority of Information Security',
    maxLength: 200,
    doc: 'splash page: who ordered the block, in English (quoted in the built-in reason)',
  }),
  SPLASH_WHY_BLOCKED_VI: env.text({
    default: '',
    maxLength: 1000,
    doc: 'splash page: why the page is blocked, in Vietnamese (empty: the built-in text)',
  }),
  SPLASH_WHY_BLOCKED_EN: env.text({
    default: '',
    maxLength: 1000,
    doc: 'splash page: why the page is blocked, in English (empty: the built-in text)',
  }),
  SPLASH_HOW_TO_APPEAL_VI: env.text({
    default: '',
    maxLength: 1000,
    doc: 'splash page: how to appeal, in Vietnamese (empty: the built-in text)',
  }),
  SPLASH_HOW_TO_APPEAL_EN: env.text({
    default: '',
    maxLength: 1000,
    doc: 'splash page: how to appeal, in English (empty: the built-in text)',
  }),
  SPLASH_APPEAL_CONTACT_VI: env.text({
    default: '',
    maxLength: 300,
    doc: 'splash page: another appeal contact as text (e.g. a hotline), in Vietnamese',
  }),
  SPLASH_APPEAL_CONTACT_EN: env.text({
    default: '',
    maxLength: 300,
    doc: 'splash page: another appeal contact as text (e.g. a hotline), in English',
  }),
  SPLASH_APPEAL_URL: env.url({
    default: '',
    protocols: ['https:', 'http:'],
    doc: 'splash page: appeal form (http or https; empty: none)',
  }),
  SPLASH_APPEAL_EMAIL: env.string({
    default: 'appeals@mod.invalid',
    pattern: /^[^\s@<>"']{1,64}@[^\s@<>"']{1,255}$/,
    doc: 'splash page: appeal e-mail address',
  }),
} as const;

export const apiSpec = {
  ...commonSpec,
  ...splashSpec,
  // Evidence vault: keys to check evidence, retention to show when it goes (the actioner sweeps).
  ...vaultKeySpec,
  ...vaultRetentionSpec,
  // Staff accounts: the TOTP sealing key, sessions, the sign-in lock-out (people-config.ts).
  ...peopleSpec,
  // Review cases: the policy a confirmation issues orders under (the actioner's settings), queues and reveals.
  ...policySpec,
  ...reviewSpec,
  // Citizens' reports: deadline, contact sealing key and retention, the public form's abuse limits.
  ...reportSpec,
  // Audit records' free texts: how long they are kept (the API's retention pass, audit-text-retention.ts).
  ...auditTextRetentionSpec,
  API_HOST: env.string({ default: '127.0.0.1', doc: 'address the API listens on' }),
  API_PORT: env.integer({ default: 8080, min: 0, max: 65535, doc: 'port the API listens on' }),
  MAX_UPLOAD_BYTES: env.integer({
    default: 12 * 1024 * 1024,
    min: 1024,
    doc: "largest media upload, bytes; lowered at start-up to what the media topic's max.message.bytes can carry",
  }),
  MEDIA_OUTBOX_MAX_PENDING: env.integer({
    default: 500,
    min: 1,
    doc: 'uploads waiting to be published (broker away) beyond which new uploads answer 503',
  }),
  MEDIA_RELAY_GRACE_MS: env.milliseconds({
    default: 10_000,
    min: 0,
    doc: 'age after which the relay publishes an intake media message the API did not publish right after its commit',
  }),
  OUTBOX_POLL_INTERVAL_MS: env.milliseconds({
    default: 1000,
    min: 10,
    doc: 'how often the outbox relay (intake media, curation changes, tree heads) looks for messages, ms',
  }),
  API_MAX_BODY_BYTES: env.integer({ default: 256 * 1024, min: 1024, doc: 'largest JSON body, bytes' }),
  API_REQUEST_TIMEOUT_MS: env.milliseconds({
    default: 30_000,
    min: 0,
    doc: 'request deadline, ms (0: none)',
  }),
  API_RATE_LIMIT_PER_S: env.number({
    default: 20,
    min: 0.001,
    doc: 'sustained requests per second per credential and API instance (kept in memory: N instances allow N times this; set the total divided by the replicas)',
  }),
  API_RATE_LIMIT_BURST: env.integer({
    default: 100,
    min: 1,
    doc: 'request burst per credential and API instance',
  }),
  API_AUTH_FAILURE_PER_S: env.number({
    default: 1,
    min: 0.001,
    doc: 'sustained failed authentications per second per client address and per failing credential',
  }),
  API_AUTH_FAILURE_BURST: env.integer({
    default: 20,
    min: 1,
    doc: 'failed authentications per address or credential before they answer 429 and are no longer audited',
  }),
  ISP_TRAFFIC_LINES_PER_HOUR: env.integer({
    default: 1_000_000,
    min: 1,
    doc: 'traffic-sample lines each ISP tenant may upload per hour, shared by every API instance (PostgreSQL); an upload over what is left is refused whole (429)',
  }),
  ISP_TRAFFIC_LINES_BURST: env.integer({
    default: 200_000,
    min: 100_000,
    doc: 'traffic-sample lines an ISP tenant may upload at once after a quiet spell (at least one whole upload, 100000 lines)',
  }),
  API_TRUSTED_PROXIES: trustedProxies,
  API_TLS_CERT_PATH: env.string({
    default: '',
    doc: 'TLS certificate (PEM) for the listener; empty: plain HTTP',
  }),
  API_TLS_KEY_PATH: env.string({ default: '', doc: 'TLS private key (PEM) for the listener' }),
  API_TLS_CLIENT_CA_PATH: env.string({
    default: '',
    doc: 'CA (PEM) of ISP client certificates; set: mTLS, verified certificates mapped to tenants authenticate',
  }),
  MOD_AUDIT_SIGNING_KEY_PEM: env.string({
    default: '',
    secret: true,
    doc: 'Ed25519 private key (PKCS#8 PEM, \\n escapes allowed) that signs audit tree heads; empty: no signing',
  }),
  AUDIT_TRUSTED_PUBLIC_KEYS_PEM: env.string({
    default: '',
    doc: 'older audit public keys (SPKI PEM blocks, concatenated) still trusted after a key rotation',
  }),
  AUDIT_SIGN_EVERY_RECORDS: env.integer({
    default: 1000,
    min: 1,
    doc: 'sign an audit tree head after this many records',
  }),
  AUDIT_SIGN_EVERY_MS: env.milliseconds({
    default: 10_000,
    min: 10,
    doc: 'or after this many ms, if records arrived',
  }),
} as const;
