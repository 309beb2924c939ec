import type { viCaseReasons } from './vi-case-reasons.js';

/** English: why policy opened a case, from its reason code and parameters (see vi-case-reasons.ts). */
export const enCaseReasons: Readonly<Record<keyof typeof viCaseReasons, string>> = {
  'caseReason.reviewBankHit': 'Hit in review bank(s): {banks}',
  'caseReason.reviewFramesUnhashed':
    'Only {examined} of {count} frames hashed, none matched a list: a person should look at the whole file',
  'caseReason.reviewFramesUnhashedApng':
    'An animated PNG: only {examined} of {count} frames hashed, no decoder here reads the others: a person should look at the whole file',
  'caseReason.reviewFramesUnscored':
    'The classifier scored only {examined} of {count} frames, below the threshold ({why, select, no-decoder {an animated PNG: its later frames cannot be decoded} time-limit {the decoding time ran out} decode-refused {the later frames could not be decoded} other {the frame limit}}): a person should look at the whole file',
  'caseReason.reviewClassifier': 'The classifier rates the risk {score}: asks for review',
  'caseReason.reviewClassifierUnknown': 'The classifier asks for review',
  'caseReason.confirmAutomatic':
    'Automatic match in bank(s) {banks}: {orders, plural, =0 {no order} one {# order} other {# orders}} issued',
  'caseReason.confirmAutomaticCategories':
    'Automatic match in bank(s) {banks} (category {categories}): {orders, plural, =0 {no order} one {# order} other {# orders}} issued',
  'caseReason.confirmConfirmed':
    '{by} confirmed category {category}: {orders, plural, =0 {no order} one {# order} other {# orders}} issued',
  'caseReason.withheld': '{reason}; the takedown to {platform} was withheld, not sent (see below)',
};
