/**
 * How the content's URL is known. Observed: the system found the content there itself (the fetcher fetched the
 * URL: a reported URL, an ISP's traffic sample, a hotline report; or a report's URL a person assessed). Otherwise
 * the submitter only claims it (the `url` of a platform's media metadata), and the claim cannot be checked before
 * the order: verification's re-fetch comes after the deadline, the escalations and the notices.
 */
export interface UrlProvenance {
  /** The tenant whose submission the content is. */
  submitterTenantId: string;
  observed: boolean;
}

/**
 * The submission sources whose URL the system recorded itself: the fetcher's (it fetched the URL), and a report's
 * bare URL (routed by the system from a report of that URL, decided by a person who assessed the URL itself).
 * Media a platform submits (`kafka`, `api`) carries only the URL its metadata claims.
 */
const OBSERVED_URL_SOURCES: ReadonlySet<string> = new Set(['fetcher', 'report']);

/** The provenance of a submission's URL, from the submission's tenant and source (as the database records them). */
export const urlProvenanceOf = (submission: { tenantId: string; source: string }): UrlProvenance => ({
  submitterTenantId: submission.tenantId,
  observed: OBSERVED_URL_SOURCES.has(submission.source),
});

/** A takedown not sent: the URL's host is another platform's, and the submitter only claims the URL. */
export interface TakedownWithheld {
  reason: 'claimed-url-of-another-platform';
  url: string;
  host: string;
  /** The platform the host belongs to, which was sent nothing. */
  platformTenantId: string;
  submitterTenantId: string;
}

/** The lower-cased host of an http(s) URL, or null when the text is not one. */
export function hostOf(url: string | undefined | null): string | null {
  if (url === undefined || url === null) return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.hostname.toLowerCase().replace(/\.$/, '') || null;
  } catch {
    return null;
  }
}

/**
 * The platform a takedown for `url` goes to, given `platform`, the one hosting its host (null when unknown): that
 * platform when the system observed the content there, or when it is the submitter itself (a platform reporting
 * content on its own service). A URL the submitter only claims never addresses another platform: that takedown is
 * withheld, and the decision says why (`withheld`), never silently.
 */
export function takedownTarget(
  url: string,
  platform: string | null,
  provenance: UrlProvenance,
): { targetTenantId: string | null; withheld?: TakedownWithheld } {
  const host = hostOf(url);
  if (platform === null || host === null) return { targetTenantId: null };
  const { observed, submitterTenantId } = provenance;
  if (observed || platform === submitterTenantId) return { targetTenantId: platform };
  return {
    targetTenantId: null,
    withheld: {
      reason: 'claimed-url-of-another-platform',
      url,
      host,
      platformTenantId: platform,
      submitterTenantId,
    },
  };
}
