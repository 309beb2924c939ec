import type { viAdminWebhooks } from './vi-admin-webhooks.js';

/** English: every key of the Vietnamese catalogue of the admin's order-webhook screen (vi-admin-webhooks.ts). */
export const enAdminWebhooks: Readonly<Record<keyof typeof viAdminWebhooks, string>> = {
  'webhooks.title': 'Order webhooks',
  'webhooks.intro':
    "Where order notices and escalations are pushed to each tenant. ISPs and platforms set their own; an authority's is set by an admin only. A signing secret is never shown again.",
  'webhooks.none': 'No tenant receives orders yet.',
  'webhooks.target': 'Target',
  'webhooks.notSet': 'Not set',
  'webhooks.state': 'State',
  'webhooks.on': 'On',
  'webhooks.off': 'Off',
  'webhooks.secret': 'Signing secret',
  'webhooks.secretSet': 'Set',
  'webhooks.secretNone': 'None',
  'webhooks.changed': 'Last change',
  'webhooks.setBy': 'Set {at} by {who}',
  'webhooks.clearedBy': 'Cleared {at} by {who}',
  'webhooks.setAt': 'Set {at}',
  'webhooks.deliveries': 'Deliveries',
  'webhooks.counts': '{pending} pending · {delivered} delivered · {failed} failed · {cancelled} cancelled',
  'webhooks.lastOk': 'Last attempt succeeded {at} (HTTP {status})',
  'webhooks.lastFailed': 'Last attempt failed {at}: {error}',
  'webhooks.neverTried': 'Never attempted',
  'webhooks.set': "Set an authority's webhook",
  'webhooks.authority': 'Authority',
  'webhooks.noAuthority': 'No authority yet.',
  'webhooks.url': 'HTTPS address receiving notices',
  'webhooks.urlHint':
    'https:// on a public host name; the name must resolve, and only to public addresses. Each set issues a new signing secret.',
  'webhooks.save': 'Set webhook',
  'webhooks.saved': "{tenant}'s webhook is set (recorded in the audit log).",
  'webhooks.savedCancelled':
    "{tenant}'s webhook is set to a new address; {cancelled} notices queued for the old address were cancelled and are not sent to the new one (recorded in the audit log).",
  'webhooks.secretLabel': "{tenant}'s webhook signing secret (give it to the authority to check signatures)",
  'webhooks.clear': 'Clear webhook',
  'webhooks.clearConfirm': "Confirm clearing {tenant}'s webhook",
  'webhooks.cancel': 'Cancel',
  'webhooks.cleared':
    "{tenant}'s webhook is cleared: no notice is pushed to it any more; {cancelled} queued notices were cancelled and go to no webhook set later (recorded in the audit log).",
  'webhooks.targetRefused':
    'Address refused: the host name must resolve, and only to public addresses (not internal, loopback or private ones).',
  'webhooks.urlInvalid':
    'Address not valid: it must be https:// on a public host name (no IP address, localhost or internal name), without a user name or password.',
};
