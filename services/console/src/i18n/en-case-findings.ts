import type { viCaseFindings } from './vi-case-findings.js';

/** English: every key of the Vietnamese case-findings catalogue (vi-case-findings.ts). */
export const enCaseFindings: Readonly<Record<keyof typeof viCaseFindings, string>> = {
  'caseFindings.shown': 'The case shown',
  'caseFindings.hits': '{count, plural, =0 {No list matched} one {# list match} other {# list matches}}',
  'caseFindings.bank': 'Bank',
  'caseFindings.signal': 'Hash type',
  'caseFindings.distance': 'Distance',
  'caseFindings.category': 'Category',
  'caseFindings.where': 'Matched on',
  'caseFindings.policy': 'Handling',
  'caseFindings.frameOf': 'frame {frame} of {count}',
  'caseFindings.frame': 'frame {frame}',
  'caseFindings.wholeFile': 'the whole file',
  'caseFindings.automatic': 'Orders issued automatically',
  'caseFindings.review': 'A person reviews',
  'caseFindings.negative': 'Known benign',
  'caseFindings.framesExamined':
    'Multi-frame file (animated or multi-page): {examined} of {count} frames examined, {hashed} distinct frames hashed.',
  'caseFindings.framesUnexamined':
    '{unexamined, plural, one {# frame was} other {# frames were}} not examined (frames {from} to {count}): the system examines a set number of frames, so nobody knows whether those hold listed content. Look at the whole file before deciding.',
  'caseFindings.framesScored':
    'The classifier scored {scored} distinct frames of the {examined} of {count} it examined; the highest risk is on frame {frame} of {count} (the case’s risk score is that frame’s).',
  'caseFindings.framesUnscored':
    '{unexamined, plural, one {# frame was} other {# frames were}} not scored by the classifier (frames {from} to {count}): {why, select, no-decoder {an animated PNG, whose frames after the first no decoder here reads} time-limit {the decoding time allowed ran out} decode-refused {the later frames could not be decoded} other {it scores a set number of frames}}. Look at the whole file before deciding.',
  'caseFindings.withheldTitle': 'Takedown withheld, not sent',
  'caseFindings.withheld':
    'No takedown was sent to {platform}, the platform of the host {host}: the address was only claimed by {submitter} in the media’s metadata; the system never found the content there itself.',
  'caseFindings.withheldUrl': 'Claimed address',
  'caseFindings.withheldAct':
    'Check whether the content really is at that address; if it is, a person with the right to do so issues a takedown to {platform} by hand.',
  'caseFindings.issueByHand': 'Issue an order by hand',
};
