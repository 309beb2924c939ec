import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Admin as PlatformaticAdmin, type BaseOptions } from '@platformatic/kafka';
import { ModError } from '@mod/contracts';
import type { Logger } from '@mod/telemetry';
import { assertClientSupported, onConnectionCreated } from './client-internals.js';

/** How a client authenticates: SCRAM over TLS (the default deployment), or SCRAM over plain TCP. */
export interface KafkaCredentials {
  mechanism: 'scram-sha-512' | 'scram-sha-256';
  username: string;
  /** Secret: never logged. */
  password: string;
  /** TLS to the broker (verified against `caPem`, or the system's CAs when absent). */
  tls: boolean;
  /** PEM of the CA that signed the broker's certificate. */
  caPem?: string;
}

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  credentials: KafkaCredentials;
  /** Times a failed request is tried again (growing delays up to 5 s). Default 8: about half a minute. */
  retries?: number;
  /** Static membership id of this connection's consumer groups (`Kafka.groupInstanceId`). Default: none. */
  groupInstanceId?: string;
}

/**
 * A connection to the cluster: where it is, who this client is, and the clients made from it (a producer, consumers,
 * an admin for checks). Clients of the maintained `@platformatic/kafka` (Kafka 3.5 to 4.x, KIP-848, pure
 * JavaScript); nothing outside this package names it.
 */
export interface Kafka {
  readonly clientId: string;
  readonly logger: Logger;
  /** The options every client made from this connection shares (brokers, SASL, TLS, retries). */
  readonly base: BaseOptions;
  /** A long-lived admin for frequent checks (readiness); made on first use, closed by `closeKafka`. */
  shared?: PlatformaticAdmin;
  /**
   * This instance's static membership id (KIP-345) in the consumer groups its runners join: a member that
   * rejoins with it after a crash gets its partitions back at once, where a new dynamic member waits for the
   * dead one's session to time out. Undefined: dynamic membership.
   */
  readonly groupInstanceId?: string;
}

/** The Kafka settings every service reads from its environment (`@mod/config` `commonSpec`). */
export interface KafkaEnvConfig {
  readonly KAFKA_BROKERS: readonly string[];
  readonly KAFKA_SASL_MECHANISM: 'scram-sha-512' | 'scram-sha-256';
  readonly KAFKA_SASL_USERNAME: string;
  readonly KAFKA_SASL_PASSWORD: string;
  readonly KAFKA_TLS: boolean;
  readonly KAFKA_TLS_CA_PATH: string;
  /** Static membership id; '' derives one from the host name and role, 'none' turns static membership off. */
  readonly KAFKA_GROUP_INSTANCE_ID?: string;
}

/** Credentials from the validated environment; reads the CA file (a public certificate, not a secret). */
export function credentialsFromConfig(config: KafkaEnvConfig): KafkaCredentials {
  let caPem: string | undefined;
  if (config.KAFKA_TLS && config.KAFKA_TLS_CA_PATH !== '') {
    try {
      caPem = readFileSync(config.KAFKA_TLS_CA_PATH, 'utf8');
    } catch (cause) {
      throw new ModError(
        'MOD_ERR_KAFKA_CA_UNREADABLE',
        `cannot read KAFKA_TLS_CA_PATH ${config.KAFKA_TLS_CA_PATH}`,
        {
          cause,
        },
      );
    }
  }
  return {
    mechanism: config.KAFKA_SASL_MECHANISM,
    username: config.KAFKA_SASL_USERNAME,
    password: config.KAFKA_SASL_PASSWORD,
    tls: config.KAFKA_TLS,
    ...(caPem === undefined ? {} : { caPem }),
  };
}

/**
 * A connection authenticated with SCRAM (over TLS by default). Requests are retried with a growing delay
 * (connection failures, a leader moving), so a broker restart or a leader election is ridden out.
 */
export function createKafka(options: KafkaOptions): Kafka {
  // Another client version (or the patch not applied): MOD_ERR_KAFKA_CLIENT_UNSUPPORTED at start-up.
  assertClientSupported();
  hearConnectionErrors();
  const c = options.credentials;
  const base: BaseOptions = {
    clientId: options.clientId,
    bootstrapBrokers: [...options.brokers],
    sasl: {
      mechanism: c.mechanism === 'scram-sha-512' ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256',
      username: c.username,
      password: c.password,
    },
    ...(c.tls ? { tls: c.caPem === undefined ? {} : { ca: [c.caPem] } } : {}),
    connectTimeout: 5_000,
    requestTimeout: 30_000,
    retries: options.retries ?? 8,
    retryDelay: (_client, _operation, attempt) => Math.min(5_000, 200 * 2 ** (attempt - 1)),
  };
  return {
    clientId: options.clientId,
    logger: options.logger,
    base,
    ...(options.groupInstanceId === undefined ? {} : { groupInstanceId: options.groupInstanceId }),
  };
}

/**
 * The static membership id of a service instance: `configured` (`KAFKA_GROUP_INSTANCE_ID`), or for '' the host
 * name and role (`<hostname>-scanner`: a Kubernetes pod's name, kept when its container restarts; a compose
 * container's id), or undefined for 'none' (dynamic membership). Two live instances of a role on one host need
 * ids of their own (set the variable): the broker fences one of two members that share an id, and the runner
 * then says so and carries on as a dynamic member.
 */
export function groupInstanceIdFor(configured: string, role: string, host = hostname()): string | undefined {
  if (configured === 'none') return undefined;
  if (configured !== '') return configured;
  return `${host}-${role}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 200);
}

let hearingConnectionErrors = false;

/**
 * Gives every broker connection the client makes a listener for its `error` event. The client reports a failed
 * connection to the requests waiting on it and emits `error` for observers, once when the socket fails and again
 * when a request still in flight (a SASL step, say) then fails for the close: its own pool listens only once, so a
 * broker that resets a connection during authentication (as one does while it stops) made the second emit an
 * uncaught exception that ended the process. Nothing is lost by listening: each waiting request gets the error and
 * is retried or fails in its caller's hands. Connections announce themselves on the client's `instances`
 * diagnostics channel; this process-wide subscription is made once.
 */
function hearConnectionErrors(): void {
  if (hearingConnectionErrors) return;
  hearingConnectionErrors = true;
  onConnectionCreated((connection) => connection.on('error', () => undefined));
}

/** Closes what the connection holds (its shared admin). */
export async function closeKafka(kafka: Kafka): Promise<void> {
  const shared = kafka.shared;
  kafka.shared = undefined;
  await shared?.close();
}

/** Readiness: the cluster answers a metadata request (through the connection's shared admin). */
export async function pingKafka(kafka: Kafka): Promise<boolean> {
  try {
    kafka.shared ??= new PlatformaticAdmin(kafka.base);
    await kafka.shared.metadata({ topics: [], forceUpdate: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * A service's client: its own principal from its validated environment, client id `<KAFKA_CLIENT_ID>-<role>`, and
 * its static membership id (`groupInstanceIdFor`).
 */
export function createServiceKafka(
  config: KafkaEnvConfig & { readonly KAFKA_CLIENT_ID: string },
  role: string,
  logger: Logger,
): Kafka {
  const groupInstanceId = groupInstanceIdFor(config.KAFKA_GROUP_INSTANCE_ID ?? '', role);
  return createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}-${role}`,
    logger,
    credentials: credentialsFromConfig(config),
    ...(groupInstanceId === undefined ? {} : { groupInstanceId }),
  });
}
