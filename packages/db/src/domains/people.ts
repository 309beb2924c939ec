/**
 * `@mod/db/people`: staff accounts (people), their sessions and failed sign-ins. The rules (argon2id, TOTP,
 * lock-out, sign-in) are `@mod/people`; these are the rows behind them.
 */
export {
  PersonRoles,
  confirmTotp,
  createPerson,
  getPerson,
  getPersonSecrets,
  listPeople,
  lockPasswordHash,
  personRoleAllowed,
  rehashPersonPassword,
  resetPersonPassword,
  setPendingTotp,
  setPersonDisabled,
  setPersonPassword,
  type CreatePersonOutcome,
  type Person,
  type PersonRole,
  type PersonSecrets,
} from '../people.js';
export {
  insertSession,
  pruneEndedSessions,
  revokeSession,
  revokeSessionsOf,
  verifySession,
  type ActiveSession,
  type SessionCheck,
  type SessionFailure,
} from '../sessions.js';
export { beginCurrentPasswordCheck, createSignInStore } from '../people-sign-in.js';
