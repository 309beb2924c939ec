import type { viAdminTenants } from './vi-admin-tenants.js';

/** English: every key of the Vietnamese catalogue of switching a tenant off and on (vi-admin-tenants.ts). */
export const enAdminTenants: Readonly<Record<keyof typeof viAdminTenants, string>> = {
  'tenantSwitch.actions': 'Switch',
  'tenantSwitch.off': 'Switch tenant off',
  'tenantSwitch.on': 'Switch tenant on',
  'tenantSwitch.confirmOff':
    'Switch tenant {tenant} off? Its API keys and certificates stop working at once, and every session of its people ends.',
  'tenantSwitch.confirmOn':
    'Switch tenant {tenant} on again? Its API keys and certificates work again; its people sign in anew.',
  'tenantSwitch.yesOff': 'Confirm: switch {tenant} off',
  'tenantSwitch.yesOn': 'Confirm: switch {tenant} on',
  'tenantSwitch.cancel': 'Cancel',
  'tenantSwitch.doneOff':
    'Tenant {tenant} switched off: {count, plural, one {# session ended} other {# sessions ended}}.',
  'tenantSwitch.doneOn':
    'Tenant {tenant} switched on: {count, plural, one {# session left from before ended} other {# sessions left from before ended}}.',
  'error.notYourself':
    'This cannot be done to yourself or your own tenant (every admin of it would be locked out).',
};
