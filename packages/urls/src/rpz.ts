import { feedError } from './blocklist.js';

/** What an RPZ does with a listed name: answer NXDOMAIN (`CNAME .`) or send the user to a walled garden. */
export type RpzAction =
  | { readonly type: 'nxdomain' }
  | { readonly type: 'walled-garden'; readonly host: string };

/** Options of the RPZ renderer. Times are seconds, as in the zone file. */
export interface RpzOptions {
  /** The zone's name at the ISP's resolver (e.g. `rpz.mod.example`); names are written relative to it. */
  readonly zoneName: string;
  /** Default `{ type: 'nxdomain' }`. */
  readonly action?: RpzAction;
  /** Default 300. */
  readonly ttlSeconds?: number;
  /** SOA MNAME, absolute. Default `localhost.`. */
  readonly primaryNameServer?: string;
  /** SOA RNAME (mailbox as a name), absolute. Default `hostmaster.localhost.`. */
  readonly hostmaster?: string;
  readonly refreshSeconds?: number;
  readonly retrySeconds?: number;
  readonly expireSeconds?: number;
  /** SOA minimum (negative-caching TTL). Default 60. */
  readonly minimumSeconds?: number;
}

/** One DNS label as RPZ owners and targets may carry it (punycode, underscores allowed, no wildcard). */
export const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Whether a host (lower case, no trailing dot, as the normaliser gives it) is a DNS name an RPZ can list: every
 * label {@link LABEL}. Hosts the WHATWG parser also takes (`*.com`, `a"b.example`, `x;$include`, labels over 63
 * characters) are not.
 */
export function isDnsName(host: string): boolean {
  return host.length > 0 && host.length <= 253 && host.split('.').every((label) => LABEL.test(label));
}

/**
 * A name that resolvers read as an RPZ trigger other than the name itself: below `rpz-ip`, `rpz-nsip`,
 * `rpz-client-ip` or `rpz-nsdname` at the zone's apex, `32.1.2.0.192.rpz-ip` blocks every name that resolves to
 * 192.0.2.1 and `ns.example.rpz-nsdname` every name served by that name server (far more than the one name
 * ordered). No top-level domain starts with `rpz-`: such names are left out of the RPZ, and never a CNAME target
 * (`rpz-passthru.`, `rpz-drop.` and `rpz-tcp-only.` are other policies; the first would block nothing).
 */
export const RPZ_TRIGGER_NAME = /(?:^|\.)rpz-[^.]*$/;

/** A DNS name, checked and lower-cased, without its trailing dot. */
export function checkName(name: string, what: string): string {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const lower = bare.toLowerCase();
  if (lower.length === 0 || lower.length > 253 || !lower.split('.').every((label) => LABEL.test(label))) {
    throw feedError(`${what} ${JSON.stringify(name)} is not a DNS name`);
  }
  return lower;
}

/** The RPZ's zone name as records are written relative to (lower case, no trailing dot); checked. */
export function rpzZoneName(options: RpzOptions): string {
  return checkName(options.zoneName, 'zoneName');
}

/** Whether `*.host.zone` fits in a 253-character name (the zone name as given in the options). */
export function rpzHostFits(host: string, options: RpzOptions): boolean {
  const zone = checkName(options.zoneName, 'zoneName');
  return host.length + 2 + zone.length + 1 <= 253;
}

/** The CNAME target of every RPZ record: `.` (NXDOMAIN) or the walled-garden host, absolute. */
export function rpzCnameTarget(options: RpzOptions): string {
  return rpzTarget(options);
}

/** The two RPZ records of one listed host: the name and every name below it. */
export function rpzRecordsOf(host: string, cnameTarget: string): [string, string] {
  return [`${host} CNAME ${cnameTarget}`, `*.${host} CNAME ${cnameTarget}`];
}

/**
 * The CNAME target: `.` (NXDOMAIN) or the walled-garden host, absolute. A host whose last label starts with
 * `rpz-` is refused: resolvers read `rpz-passthru.`, `rpz-drop.` and `rpz-tcp-only.` as other policies (the
 * first would block nothing at all).
 */
export function rpzTarget(options: RpzOptions): string {
  const action = options.action ?? { type: 'nxdomain' };
  if (action.type === 'nxdomain') return '.';
  const host = checkName(action.host, 'walled-garden host');
  if (RPZ_TRIGGER_NAME.test(host))
    throw feedError(`walled-garden host ${JSON.stringify(action.host)} is an RPZ policy name`);
  return `${host}.`;
}

/** A checked number of seconds (`fallback` when absent). */
export function seconds(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 0 || result > 0x7fffffff)
    throw feedError(`${name} must be whole seconds`);
  return result;
}

/** A checked absolute name (ending in `.`). */
export function absoluteName(name: string, what: string): string {
  if (!name.endsWith('.')) throw feedError(`${what} must be an absolute name ending in "."`);
  return `${checkName(name, what)}.`;
}

/** The zone's SOA record line at `serial`. */
export function soaLine(serial: number, options: RpzOptions): string {
  const mname = absoluteName(options.primaryNameServer ?? 'localhost.', 'primaryNameServer');
  const rname = absoluteName(options.hostmaster ?? 'hostmaster.localhost.', 'hostmaster');
  const refresh = seconds('refreshSeconds', options.refreshSeconds, 3600);
  const retry = seconds('retrySeconds', options.retrySeconds, 600);
  const expire = seconds('expireSeconds', options.expireSeconds, 864_000);
  const minimum = seconds('minimumSeconds', options.minimumSeconds, 60);
  return `@ SOA ${mname} ${rname} ${serial} ${refresh} ${retry} ${expire} ${minimum}`;
}
