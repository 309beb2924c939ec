import type { viExposure } from './vi-exposure.js';

/** English: every key of the Vietnamese exposure catalogue (vi-exposure.ts). */
export const enExposure: Readonly<Record<keyof typeof viExposure, string>> = {
  'exposure.title': "Reviewers' daily exposure",
  'exposure.link': "Reviewers' daily exposure (supervisors)",
  'exposure.back': 'Back to the review queue',
  'exposure.day': 'Day',
  'exposure.dayHint': "Vietnam's day; at most 366 days back.",
  'exposure.audited':
    "This is staff members' personal data: every visit to this page is recorded in the audit log.",
  'exposure.limits':
    'Daily limits: {reveal, plural, =0 {no limit on originals} one {# original} other {# originals}}, {preview, plural, =0 {no limit on previews} one {# preview} other {# previews}}.',
  'exposure.limitsUnknown':
    "This day's daily limits are unknown: it was counted before the limits were recorded with the counts.",
  'exposure.summary':
    '{reached, plural, =0 {Nobody has reached a limit} one {# person has reached a limit} other {# people have reached a limit}}; {near, plural, =0 {nobody is near one} one {# person is near one} other {# people are near one}}.',
  'exposure.truncated': 'Only the {count, number} most exposed people are shown.',
  'exposure.people': '{count, plural, =0 {Nobody} one {# person} other {# people}} on {day}',
  'exposure.person': 'Person',
  'exposure.role': 'Role',
  'exposure.reveals': 'Originals revealed',
  'exposure.previews': 'Previews shown',
  'exposure.standing': 'Standing',
  'exposure.count': '{count, number} / {limit, plural, =0 {no limit} other {#}}',
  'exposure.countUnknown': '{count, number} / limit unknown',
  'exposure.unknown': 'Limit unknown',
  'exposure.reached': 'Limit reached',
  'exposure.near': 'Near the limit',
  'exposure.under': 'Normal',
  'exposure.disabled': '(disabled)',
};
