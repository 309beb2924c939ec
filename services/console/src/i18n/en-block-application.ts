import type { viBlockApplication } from './vi-block-application.js';

/** English: how a blocking request is applied at its ISP (see vi-block-application.ts). */
export const enBlockApplication: Readonly<Record<keyof typeof viBlockApplication, string>> = {
  'blockApp.title': 'How the ISP applies the block',
  'blockApp.mechanism': 'Mechanism',
  'blockApp.mechanism.dns': 'DNS (RPZ): blocks the whole host name and every name under it',
  'blockApp.mechanism.host-filter': "Host filter on the ISP's proxies (domain list)",
  'blockApp.mechanism.url-filter': "URL filter on the ISP's HTTP proxies: blocks this address only",
  'blockApp.mechanism.none': 'None: no feed can carry this request',
  'blockApp.limit': 'Why',
  'blockApp.limit.url-level':
    'URL-level block: not in the RPZ, because DNS can only block the whole host (every other page on it too)',
  'blockApp.limit.ip-host':
    'An IP address: the RPZ cannot block it by name; the domain list for proxies only',
  'blockApp.limit.not-in-zone': "The name does not fit the ISP's RPZ zone; the domain list for proxies only",
  'blockApp.limit.content-hash': 'A content-hash request names no URL or host: no feed can carry it',
  'blockApp.limit.not-listable': 'The subject is no URL or host the feeds can read',
  'blockApp.https': 'HTTPS',
  'blockApp.httpsNote':
    "A proxy sees an HTTPS address's path only where the ISP inspects TLS; otherwise the ISP reports it cannot apply it",
  'blockApp.feeds': 'Feeds',
  'blockApp.feed.rpz': 'RPZ (DNS)',
  'blockApp.feed.domain-list': 'Domain list',
  'blockApp.feed.url-list': 'URL list',
  'blockApp.noFeed': 'None',
  'blockApp.isp': 'ISP',
  'blockApp.listed': "In the ISP's feed",
  'blockApp.listedSince': 'Yes, since serial {serial} (now {current})',
  'blockApp.notListed': 'Not yet',
  'blockApp.ack': "ISP's acknowledgement",
  'blockApp.ack.applied': 'Applied ({at})',
  'blockApp.ack.failed': 'Reported it could not apply it ({at})',
  'blockApp.ack.none': 'Not acknowledged',
  'blockApp.state.cannot-apply':
    'No ISP can apply this request through a feed: the content is NOT blocked by DNS or a filter.',
  'blockApp.state.not-listed':
    "Not yet in {isp}'s feed: the ISP has not fetched a feed since the request was issued. Not blocked yet.",
  'blockApp.state.listed': "In {isp}'s feed; the ISP has not acknowledged applying it.",
  'blockApp.state.applied': '{isp} acknowledged applying it.',
  'blockApp.state.failed': '{isp} reported it could not apply it: the content is not blocked.',
  'blockApp.state.ended': 'The request is closed: no longer in the feeds.',
};
