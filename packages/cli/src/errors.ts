import { PermanentError } from '@mod/contracts';

/**
 * Codes modctl itself reports on stderr (`{"error":{"code":...,"message":...}}`); the packages it calls add
 * their own (`MOD_ERR_DB_*`, `MOD_ERR_CURATION_*`, ...). Stable: scripts branch on them; never reuse one.
 * README.md lists them (a test keeps the two in sync).
 */
export const CliErrorCode = {
  /** A bug or an error without a code of its own. */
  Unexpected: 'MOD_ERR_CLI_UNEXPECTED',
  /** `hash`, `bank import`, `url-list import`: a file that cannot be read (missing, a directory, not readable). */
  FileUnreadable: 'MOD_ERR_CLI_FILE_UNREADABLE',
  /**
   * `bank export --out`: the file exists. An export writes only a new file of the operator's alone: one that exists
   * (or a symlink) may be another user's, planted to read the licensed list.
   */
  OutputExists: 'MOD_ERR_CLI_OUTPUT_EXISTS',
  /** `url-list remove`: no live entry of the list matches. */
  NotListed: 'MOD_ERR_CLI_NOT_LISTED',
  /**
   * A change to put on record, and no MODCTL_ACTOR while modctl runs as an account every operator shares (root,
   * the container image's `node`): the audit log would name no one.
   */
  ActorUnknown: 'MOD_ERR_CLI_ACTOR_UNKNOWN',
  /** An option's value breaks the rule for its field (tenant id, name, label, timestamp, limit). */
  InvalidValue: 'MOD_ERR_CLI_INVALID_VALUE',
  /** `tenant create`: a tenant with this id exists (tenants are never overwritten). */
  TenantExists: 'MOD_ERR_CLI_TENANT_EXISTS',
  /** No tenant with this id. */
  UnknownTenant: 'MOD_ERR_CLI_UNKNOWN_TENANT',
  /** No API key with this id. */
  UnknownKey: 'MOD_ERR_CLI_UNKNOWN_KEY',
  /** `key issue`, `people add`: the role does not suit the tenant's kind (an ISP's key can never act as an authority). */
  RoleNotForTenant: 'MOD_ERR_CLI_ROLE_NOT_FOR_TENANT',
  /** `people add`: another person has this login. */
  LoginTaken: 'MOD_ERR_CLI_LOGIN_TAKEN',
  /** `people reset`: no person with this id. */
  UnknownPerson: 'MOD_ERR_CLI_UNKNOWN_PERSON',
  /** `key issue`: `--expires-at` is not in the future (the key could never authenticate). */
  ExpiryPast: 'MOD_ERR_CLI_EXPIRY_PAST',
  /** `kafka partner`: the tenant is not an ISP or a platform (only they have partner topics). */
  TenantNotPartner: 'MOD_ERR_CLI_TENANT_NOT_PARTNER',
  /**
   * `kafka partner grant`: the principal holds ACLs other than this tenant's partner access (another tenant's, a
   * service's): one principal would act as both, and a partner's events belong to the tenant of their topic.
   */
  PrincipalTaken: 'MOD_ERR_CLI_PRINCIPAL_TAKEN',
  /** `kafka partner grant`: the tenant is disabled. */
  TenantDisabled: 'MOD_ERR_CLI_TENANT_DISABLED',
  /** `kafka`: the broker refused or failed an operation (no code of its own). */
  Kafka: 'MOD_ERR_CLI_KAFKA',
  /** `dlq show|replay`: no dead letter with this event id on the dead-letter topic. */
  UnknownDeadLetter: 'MOD_ERR_CLI_UNKNOWN_DEAD_LETTER',
  /** `dlq replay`: the source topic no longer keeps the message (retention), or holds other bytes there. */
  SourceGone: 'MOD_ERR_CLI_DLQ_SOURCE_GONE',
  /**
   * `dlq replay`: the dead letter names a topic no pipeline step consumes (only a forged dead letter can: its
   * message, say an old bank change or a withdrawn order, is not published again).
   */
  NotReplayable: 'MOD_ERR_CLI_DLQ_NOT_REPLAYABLE',
  /**
   * `dlq replay`: the letter is a summary of many folded into one (`MOD_ERR_KAFKA_DEAD_LETTERS_FOLDED`): it holds no
   * message to publish again; the error names the offsets its consumer group would read again.
   */
  Folded: 'MOD_ERR_CLI_DLQ_FOLDED',
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** A refusal with a stable code; printed on stderr as JSON by the command that catches it. */
export class CliError extends PermanentError<CliErrorCode> {}
