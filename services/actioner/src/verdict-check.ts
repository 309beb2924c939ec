import type { Hit, SignalType, Verdict } from '@mod/contracts';
import type { Queryable } from '@mod/db';
import { readVerdictSubmission, TenantRefusal, type VerdictSubmission } from '@mod/db/submissions';
import { decide } from '@mod/policy';
import { canonicalPatternKey, normalizeUrl, UrlListIndex, type UrlListKind } from '@mod/urls';

/**
 * Why the actioner refuses a verdict: each code dead-letters it, so nothing reaches orders or feeds. Kafka ACLs
 * already let only the scanner and the fetcher write verdicts; these checks make a verdict believable only as
 * far as the database confirms it, should a writer be compromised or wrong.
 */
export const VerdictRefusal = {
  /** The verdict names a submission no intake or worker recorded. */
  UnknownSubmission: 'MOD_ERR_VERDICT_UNKNOWN_SUBMISSION',
  /** The submission belongs to another tenant than the verdict says. */
  TenantMismatch: 'MOD_ERR_VERDICT_TENANT_MISMATCH',
  /**
   * The submission's tenant is disabled: a verdict on what it sent before it was switched off (or that was on the
   * topics when it was) gives it no orders; held as the workers hold its events, replayable once it is enabled.
   */
  TenantDisabled: TenantRefusal.Disabled,
  /** The verdict's SHA-256 or URL is not the one recorded with the submission. */
  SubmissionMismatch: 'MOD_ERR_VERDICT_SUBMISSION_MISMATCH',
  /** A hit names a bank that does not exist. */
  UnknownBank: 'MOD_ERR_VERDICT_UNKNOWN_BANK',
  /** A hit names an entry that is not in its bank, or an exact hash the entry does not hold, or a URL its pattern does not match. */
  UnknownEntry: 'MOD_ERR_VERDICT_UNKNOWN_ENTRY',
  /** The verdict's subject is not what its hits support (a host without a dedicated entry, a URL it does not name). */
  SubjectInvalid: 'MOD_ERR_VERDICT_SUBJECT_INVALID',
} as const;
export type VerdictRefusal = (typeof VerdictRefusal)[keyof typeof VerdictRefusal];

export type VerdictCheck =
  | {
      ok: true;
      verdict: Verdict;
      /** How the submission came (`api`, `kafka`, `fetcher`, `report`): whom its URL may address a takedown to. */
      source: string;
      /**
       * Asked to (`recordWithoutHits`), a verdict without hits is recorded by the check itself, its submission
       * marked scanned (`recordScannedVerdict`): true when it was, false when the same event was recorded first
       * (a replay). Absent: not recorded here.
       */
      recorded?: boolean;
    }
  | { ok: false; code: VerdictRefusal; message: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const EXACT: ReadonlySet<SignalType> = new Set(['md5', 'sha1', 'sha256']);

const refuse = (code: VerdictRefusal, message: string): VerdictCheck => ({ ok: false, code, message });

interface BankRow {
  id: string;
  name: string;
  action_policy: Hit['actionPolicy'];
  negative: boolean;
  enabled: boolean;
}

/**
 * What the entry checks found: for each entry a hit names, the live entry that lists the same thing in the same bank
 * (itself, or the entry that listed it again after it was removed) and its category; absent when none does.
 */
interface CheckedEntries {
  live: Map<string, { entryId: string; category: string | null }>;
}

/**
 * Checks a verdict against what the database knows, inside the caller's transaction ('recorded', unchecked, when
 * this verdict event was recorded before: a replay), and returns it with every
 * hit's bank name, action policy, negative flag and category taken from the banks (never from the message) and
 * the decision recomputed from them:
 * - its submission exists, belongs to its tenant (not disabled), and has its SHA-256 and URL (as intake or the worker recorded
 *   them); its source comes back with it (whether the system observed that URL or the submitter claims it);
 * - every hit names an existing bank and an entry of that bank; an exact-hash hit's entry holds the verdict's
 *   digest; a URL-list hit's pattern matches the verdict's URL;
 * - a URL or host subject comes only with URL-list hits that support it (a host only from an entry dedicated to
 *   abuse); content verdicts carry no URL-list hits.
 * Perceptual distances (PDQ, blockhash) are the scanner's measurement, within its bank's threshold.
 *
 * A hit on an entry a curator removed, or on a bank switched off, since the worker's index last heard of it (a scan
 * in flight at the removal, an index behind its changes topic) is stale: the worker saw the list as it was, and the
 * list no longer says so. Such hits are left out (`liveHits`), and the decision is the one the remaining hits make,
 * so no order is issued on a removed entry and a suppression by a removed negative entry no longer holds. A hit on
 * an entry removed and listed again (the same value, or URL pattern, in the same bank) stands for the live entry.
 */
export async function checkVerdict(
  db: Queryable,
  verdict: Verdict,
  o: { recordWithoutHits?: boolean } = {},
): Promise<VerdictCheck | 'recorded'> {
  // Whether it was recorded before (a replay, dropped unchecked) comes with its submission: one round trip. A
  // verdict without hits needs nothing more checked: asked, that statement records it too when it passes.
  const noHits = verdict.hits.length === 0;
  const clean = { ...verdict, decision: decide([]) };
  const { submission, recordedNow } = await readVerdictSubmission(
    db,
    clean,
    noHits && o.recordWithoutHits === true,
  );
  if (submission?.recorded === true) return 'recorded';
  const refused = submissionRefusal(submission, verdict);
  // The statement records only a verdict that passes these checks: one it recorded is never refused after.
  if (recordedNow && refused !== null) throw new Error(`verdict ${verdict.eventId} recorded unchecked`);
  if (refused !== null) return refused;
  const source = submission?.source ?? '';
  if (noHits)
    return {
      ok: true,
      verdict: clean,
      source,
      ...(o.recordWithoutHits === true ? { recorded: recordedNow } : {}),
    };

  const bankIds = [...new Set(verdict.hits.map((h) => h.bankId))];
  const badBank = bankIds.find((id) => !UUID.test(id));
  if (badBank !== undefined) return refuse(VerdictRefusal.UnknownBank, `no bank ${badBank.slice(0, 60)}`);
  const { rows: bankRows } = await db.query<BankRow>(
    `/* actioner:verdict-banks */ select id, name, action_policy, negative, enabled from banks where id = any($1::uuid[])`,
    [bankIds],
  );
  const banks = new Map(bankRows.map((b) => [b.id, b]));
  const missing = bankIds.find((id) => !banks.has(id));
  if (missing !== undefined) return refuse(VerdictRefusal.UnknownBank, `no bank ${missing}`);

  const urlHits = verdict.hits.filter((h) => h.entryId.startsWith('url:'));
  if (verdict.subject === undefined ? urlHits.length > 0 : urlHits.length !== verdict.hits.length)
    return refuse(
      VerdictRefusal.SubjectInvalid,
      'URL-list hits and content hits do not mix with this subject',
    );
  const checked =
    verdict.subject === undefined ? await checkHashHits(db, verdict) : await checkUrlHits(db, verdict);
  if (!('live' in checked)) return checked;
  // One hit per live entry (its best distance): the removed entry and the one listing it again may both be hit.
  const byEntry = new Map<string, Hit>();
  for (const h of verdict.hits) {
    const bank = banks.get(h.bankId) as BankRow;
    const live = checked.live.get(h.entryId);
    if (!bank.enabled || live === undefined) continue;
    const known = byEntry.get(live.entryId);
    if (known !== undefined && known.distance <= h.distance) continue;
    byEntry.set(live.entryId, {
      ...h,
      entryId: live.entryId,
      bankName: bank.name,
      actionPolicy: bank.action_policy,
      negative: bank.negative,
      category: live.category,
    });
  }
  const hits = [...byEntry.values()];
  return { ok: true, verdict: { ...verdict, hits, decision: decide(hits) }, source };
}

/** Why the verdict's submission refuses it (none known, another tenant's, disabled, other content), or null. */
function submissionRefusal(submission: VerdictSubmission | undefined, verdict: Verdict): VerdictCheck | null {
  if (submission?.tenant_id === null || submission?.tenant_id === undefined)
    return refuse(VerdictRefusal.UnknownSubmission, `no submission ${verdict.submissionId}`);
  if (submission.tenant_id !== verdict.tenantId)
    return refuse(
      VerdictRefusal.TenantMismatch,
      `submission ${verdict.submissionId} is not of ${verdict.tenantId}`,
    );
  if (submission.tenant_disabled === true)
    return refuse(VerdictRefusal.TenantDisabled, `tenant ${submission.tenant_id} is disabled`);
  if (submission.sha256 !== null && submission.sha256 !== verdict.hashes.sha256)
    return refuse(VerdictRefusal.SubmissionMismatch, 'the SHA-256 is not the submission’s');
  if ((submission.url ?? null) !== (verdict.url ?? null))
    return refuse(VerdictRefusal.SubmissionMismatch, 'the URL is not the submission’s');
  return null;
}

/** Hash-bank hits: the entry is in the named bank, of the named signal, and an exact one holds the digest. */
async function checkHashHits(db: Queryable, verdict: Verdict): Promise<CheckedEntries | VerdictCheck> {
  const ids = verdict.hits.map((h) => h.entryId);
  const bad = ids.find((id) => !/^\d{1,18}$/.test(id));
  if (bad !== undefined) return refuse(VerdictRefusal.UnknownEntry, `no entry ${bad.slice(0, 60)}`);
  const { rows } = await db.query<{
    id: number;
    bank_id: string;
    signal: SignalType;
    value: string;
    live_id: number | null;
    live_category: string | null;
  }>(
    `/* actioner:verdict-entries */ select e.id, e.bank_id, e.signal, e.value, l.id as live_id,
       l.category as live_category
     from bank_entries e left join bank_entries l on l.bank_id = e.bank_id and l.signal = e.signal
       and l.value = e.value and l.removed_at is null
     where e.id = any($1::bigint[])`,
    [ids],
  );
  const entries = new Map(rows.map((r) => [String(r.id), r]));
  for (const h of verdict.hits) {
    const e = entries.get(h.entryId);
    if (e === undefined || e.bank_id !== h.bankId || e.signal !== h.signal)
      return refuse(
        VerdictRefusal.UnknownEntry,
        `entry ${h.entryId} is not a ${h.signal} entry of bank ${h.bankId}`,
      );
    if (EXACT.has(h.signal) && verdict.hashes[h.signal as 'md5' | 'sha1' | 'sha256'] !== e.value)
      return refuse(
        VerdictRefusal.UnknownEntry,
        `entry ${h.entryId} does not hold the verdict's ${h.signal}`,
      );
  }
  return { live: liveEntries(rows, (id) => String(id)) };
}

/** URL-list hits: each entry is in its bank and its pattern matches the URL; the subject is what they support. */
async function checkUrlHits(db: Queryable, verdict: Verdict): Promise<CheckedEntries | VerdictCheck> {
  const normalized = normalizeUrl(verdict.url ?? '');
  if (!normalized.ok) return refuse(VerdictRefusal.SubjectInvalid, 'a URL-list verdict needs a valid URL');
  const url = normalized.url;
  const ids = verdict.hits.map((h) => h.entryId.slice('url:'.length));
  const bad = ids.find((id) => !/^\d{1,18}$/.test(id));
  if (bad !== undefined) return refuse(VerdictRefusal.UnknownEntry, `no URL-list entry ${bad.slice(0, 60)}`);
  const { rows } = await db.query<{
    id: number;
    bank_id: string;
    kind: UrlListKind;
    pattern: string;
    dedicated_to_abuse: boolean;
    live_id: number | null;
    live_category: string | null;
  }>(
    `/* actioner:verdict-url-entries */ select e.id, e.bank_id, e.kind, e.pattern, e.dedicated_to_abuse,
       l.id as live_id, l.category as live_category
     from url_list_entries e left join url_list_entries l on l.bank_id = e.bank_id and l.kind = e.kind
       and l.canonical_key = e.canonical_key and l.removed_at is null
     where e.id = any($1::bigint[])`,
    [ids],
  );
  const index = new UrlListIndex<{ bankId: string }>();
  for (const r of rows) {
    try {
      index.add({ id: `url:${r.id}`, kind: r.kind, pattern: r.pattern, data: { bankId: r.bank_id } });
    } catch {
      // A stored pattern the index refuses matches nothing: its hit is refused below.
    }
  }
  const matched = new Set(index.match(url).map((m) => m.entry.id));
  for (const h of verdict.hits) {
    if (!matched.has(h.entryId) || index.get(h.entryId)?.data?.bankId !== h.bankId)
      return refuse(
        VerdictRefusal.UnknownEntry,
        `URL-list entry ${h.entryId} of bank ${h.bankId} does not list this URL`,
      );
  }
  const subject = verdict.subject;
  // A dedicated entry supports the URL's host, and a dedicated domain entry its own name too (what the fetcher
  // names, so that every name observed under the domain folds into one order per ISP).
  const hosts = new Set<string>();
  for (const r of rows) {
    if (!r.dedicated_to_abuse) continue;
    hosts.add(url.host);
    if (r.kind === 'domain') hosts.add(canonicalPatternKey('domain', r.pattern));
  }
  const supported =
    subject === undefined ||
    (subject.type === 'url' && subject.value === url.href) ||
    (subject.type === 'host' && hosts.has(subject.value));
  if (!supported)
    return refuse(VerdictRefusal.SubjectInvalid, `the hits do not support subject ${subject?.type}`);
  return { live: liveEntries(rows, (id) => `url:${id}`) };
}

/** `CheckedEntries.live` from rows joined with the live entry listing the same thing (`live_id`, null: none). */
function liveEntries(
  rows: readonly { id: number; live_id: number | null; live_category: string | null }[],
  entryId: (id: number) => string,
): CheckedEntries['live'] {
  const live: CheckedEntries['live'] = new Map();
  for (const r of rows)
    if (r.live_id !== null)
      live.set(entryId(r.id), { entryId: entryId(r.live_id), category: r.live_category });
  return live;
}
