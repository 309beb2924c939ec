import type { I18n } from '../i18n/locale.js';
import {
  REPORT_CATEGORIES,
  REPORT_CHANNELS,
  REPORT_STATUSES,
  REPORT_STEPS,
  stepOwner,
  type ReportStep,
} from './reports-model.js';

/** The reports' values in the person's language; a value the console does not know is shown as it is. */
const known = <T extends string>(list: readonly T[], v: string): v is T =>
  (list as readonly string[]).includes(v);

export const channelLabel = (i18n: I18n, c: string): string =>
  known(REPORT_CHANNELS, c) ? i18n.t(`channel.${c}`) : c;
export const categoryLabel = (i18n: I18n, c: string): string =>
  known(REPORT_CATEGORIES, c) ? i18n.t(`category.${c}`) : c;
export const reportStatusLabel = (i18n: I18n, s: string): string =>
  known(REPORT_STATUSES, s) ? i18n.t(`reportStatus.${s}`) : s;
export const subjectStatusLabel = (i18n: I18n, s: string): string =>
  s === 'routing' || s === 'case' || s === 'actioned' || s === 'no-action' ? i18n.t(`subjectStatus.${s}`) : s;
export const stepLabel = (i18n: I18n, s: string): string =>
  known(REPORT_STEPS, s) ? i18n.t(`step.${s}`) : s;

/** Who owned a step: a person's display name, the system in words, the public channel, an API key, or the id. */
export function ownerLabel(i18n: I18n, s: Pick<ReportStep, 'owner' | 'ownerName'>): string {
  const o = stepOwner(s);
  switch (o.kind) {
    case 'person':
      return o.name;
    case 'system':
      return i18n.t(`owner.${o.which}`);
    case 'public':
      return i18n.t('owner.public', { channel: channelLabel(i18n, o.channel) });
    case 'key':
      return i18n.t('owner.key', { id: o.id });
    case 'id':
      return o.id;
  }
}
