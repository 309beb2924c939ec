import { createPrivateKey } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultServicePrincipals, serviceAcls } from '@mod/contracts';
import {
  credentialKeys,
  deployDir,
  envFileKeys,
  list,
  obj,
  readDeployFile,
  roles,
  settingsAgainstSpec,
  specs,
  str,
  yamlDocuments,
} from './deploy-files.js';
import { processGone, runUntilStopped } from './periodic-runner.js';

// deploy/compose/compose.yaml: checked against the Compose Specification's JSON schema and linted (dclint), its
// settings against the services' own config specs, its secrets against what init-secrets.sh makes. Running it
// needs Docker, which this machine has not (deploy/README.md).

const composeFile = join(deployDir, 'compose/compose.yaml');
const compose = obj(yamlDocuments(readDeployFile('compose/compose.yaml'))[0]);
const services = obj(compose['services']);
const service = (name: string) => obj(services[name]);
const environment = (name: string) => obj(service(name)['environment']);

let secretsDir: string;
beforeAll(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'mod-compose-secrets-'));
  execFileSync('bash', [join(deployDir, 'compose/init-secrets.sh')], {
    env: { ...process.env, MOD_COMPOSE_SECRETS_DIR: secretsDir },
    stdio: 'pipe',
  });
});
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));
/** A path compose.yaml names relative to itself (`secrets/...`), in the folder init-secrets.sh just filled. */
const secretPath = (path: string) => join(secretsDir, path.replace(/^secrets\//, ''));
const envFile = (name: string) => {
  const files = list(service(name)['env_file']).map(str);
  expect(files).toHaveLength(1);
  return envFileKeys(readFileSync(secretPath(files[0] ?? ''), 'utf8'));
};

describe('compose.yaml', () => {
  it('follows the Compose Specification schema and passes dclint', () => {
    const bin = join(
      dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
      'bin/dclint.cjs',
    );
    // Key and service ordering are style rules; every other rule, and the schema check, must pass.
    const result = spawnSync(
      process.execPath,
      [
        bin,
        composeFile,
        '--formatter',
        'json',
        '--max-warnings',
        '0',
        '--disable-rule',
        'service-keys-order',
        'services-alphabetical-order',
        'top-level-properties-order',
      ],
      { encoding: 'utf8' },
    );
    const report = JSON.parse(result.stdout) as { messages: { message: string }[] }[];
    expect(report.flatMap((file) => file.messages.map((m) => m.message))).toEqual([]);
    expect(result.status).toBe(0);
  });

  it('runs each service from the one image, with its role, after the broker set-up and the database', () => {
    const image = str(service('api')['image']);
    expect(image).toMatch(/^\$\{MOD_IMAGE:-moderation:[\d.]+\}$/);
    expect(obj(service('api')['build'])).toEqual({
      context: '../..',
      dockerfile: 'deploy/container/Dockerfile',
    });
    for (const role of roles) {
      expect(service(role)['image']).toBe(image);
      expect(service(role)['command']).toEqual([role]);
      expect(service(role)['restart']).toBe('unless-stopped');
      expect(service(role)['read_only']).toBe(true);
      expect(service(role)['cap_drop']).toEqual(['ALL']);
      expect(service(role)['depends_on']).toEqual({
        'kafka-setup': { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
      });
    }
    expect(service('kafka-setup')['image']).toBe(image);
    expect(list(service('kafka-setup')['command']).slice(0, 3)).toEqual(['modctl', 'kafka', 'setup']);
    expect(obj(service('kafka-setup')['depends_on'])).toEqual({ kafka: { condition: 'service_healthy' } });
  });

  it.each([...roles, 'kafka-setup' as const])(
    '%s: every variable it is given is one its configuration knows, and the required ones are there',
    (role) => {
      const keys = [...Object.keys(environment(role)), ...envFile(role).keys()];
      expect(settingsAgainstSpec(specs[role], keys)).toEqual({ unknown: [], missing: [] });
    },
  );

  it.each([...roles, 'kafka-setup' as const])(
    '%s: credentials come from its env file of secrets, never from compose.yaml',
    (role) => {
      const credentials = credentialKeys(specs[role]);
      expect(Object.keys(environment(role)).filter((key) => credentials.includes(key))).toEqual([]);
      const fromFile = [...envFile(role).keys()];
      for (const key of credentials) expect(fromFile).toContain(key);
    },
  );

  it("health checks and published ports are the services' real ops endpoints", () => {
    for (const role of roles) {
      const env = environment(role);
      const port = role === 'api' ? str(env['API_PORT']) : str(env['OPS_PORT']);
      expect(port).toMatch(/^\d+$/);
      expect(str(env[role === 'api' ? 'API_HOST' : 'OPS_HOST'])).toBe('0.0.0.0');
      const test = list(obj(service(role)['healthcheck'])['test']).map(str);
      expect(test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
      expect(test[3]).toContain(`fetch('http://127.0.0.1:${port}/health/ready')`);
      // Published on the host's loopback only; opening them is an explicit override (deploy/README.md).
      for (const published of list(service(role)['ports']).map(str))
        expect(published).toMatch(
          new RegExp(`^127\\.0\\.0\\.1:(\\d+|\\$\\{[A-Z_]+:-\\d+\\}):(${port}|${str(env['OPS_PORT'])})$`),
        );
    }
  });

  it('every service, the API too, serves /metrics on its ops port, published on loopback for a local Prometheus', () => {
    const opsPorts = roles.map((role) => {
      const env = environment(role);
      expect(str(env['OPS_HOST'])).toBe('0.0.0.0');
      const port = str(env['OPS_PORT']);
      expect(port).toMatch(/^\d+$/);
      expect(list(service(role)['ports']).map(str)).toContain(`127.0.0.1:${port}:${port}`);
      return port;
    });
    expect(new Set(opsPorts).size).toBe(roles.length);
    // The API's public port is another one (its /metrics answers 404).
    expect(str(environment('api')['OPS_PORT'])).not.toBe(str(environment('api')['API_PORT']));
  });

  it('gives Docker more time to stop a service than the service gives itself', () => {
    for (const role of roles) {
      const grace = /^(\d+)s$/.exec(str(service(role)['stop_grace_period']));
      expect(Number(grace?.[1]) * 1000).toBeGreaterThan(Number(environment(role)['SHUTDOWN_TIMEOUT_MS']));
    }
  });
});

describe('compose secrets (init-secrets.sh)', () => {
  it('makes every file compose.yaml reads, readable where the containers read them and private otherwise', () => {
    expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
    for (const [name, secret] of Object.entries(obj(compose['secrets']))) {
      const file = secretPath(str(obj(secret)['file']));
      expect(statSync(file, { throwIfNoEntry: false })?.size, name).toBeGreaterThan(0);
      expect(statSync(file).mode & 0o777, name).toBe(0o644);
    }
    for (const name of [...roles, 'kafka-setup']) {
      for (const file of list(service(name)['env_file']).map(str))
        expect(statSync(secretPath(file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it("gives each service its own principal, the one the broker's ACLs are written for", () => {
    const aclPrincipals = new Set(serviceAcls({ prefix: '' }).map((binding) => binding.principal));
    for (const role of roles) {
      const principal = envFile(role).get('KAFKA_SASL_USERNAME');
      expect(principal).toBe(DefaultServicePrincipals[role]);
      expect(aclPrincipals.has(`User:${principal}`)).toBe(true);
    }
    expect(envFile('kafka-setup').get('KAFKA_SASL_USERNAME')).toBe('admin');
    const passwords = [...roles, 'kafka-setup'].map((role) => envFile(role).get('KAFKA_SASL_PASSWORD'));
    expect(new Set(passwords).size).toBe(passwords.length);
  });

  it('gives the broker a SCRAM user and a mounted password for every principal the services use', () => {
    const start = readDeployFile('compose/kafka/start.sh');
    const principals = /^PRINCIPALS="([^"]+)"$/m.exec(start)?.[1]?.split(' ') ?? [];
    expect(principals.sort()).toEqual(['admin', ...Object.values(DefaultServicePrincipals)].sort());
    const mounted = list(service('kafka')['secrets']).map(str);
    for (const principal of [...principals, 'controller'])
      expect(mounted).toContain(`kafka_${principal.replaceAll('-', '_')}_password`);
    expect(mounted).toEqual(expect.arrayContaining(['kafka_ca', 'kafka_broker_pem']));
    // The password a service logs in with is the one the broker was given for its principal.
    for (const role of roles) {
      const file = secretPath(`kafka-${DefaultServicePrincipals[role]}.password`);
      expect(envFile(role).get('KAFKA_SASL_PASSWORD')).toBe(readFileSync(file, 'utf8').trim());
    }
  });

  /**
   * kafka/start.sh with stand-ins for Kafka's scripts (a broker that knows every user but the classifier's), which
   * log their arguments and keep a copy of the --add-config-file they are given (removed by then, or not).
   */
  const startScript = () => {
    const kafkaHome = join(secretsDir, 'kafka-home');
    const runDir = join(secretsDir, 'kafka-run');
    const calls = join(secretsDir, 'kafka-calls');
    const given = join(secretsDir, 'kafka-config-files');
    rmSync(kafkaHome, { recursive: true, force: true });
    rmSync(runDir, { recursive: true, force: true });
    rmSync(calls, { force: true });
    rmSync(given, { force: true });
    mkdirSync(join(kafkaHome, 'bin'), { recursive: true });
    mkdirSync(runDir);
    const principals = ['admin', ...Object.values(DefaultServicePrincipals)];
    const known = principals
      .filter((n) => n !== DefaultServicePrincipals.classifier)
      .map((n) => `SCRAM credential configs for user-principal '${n}' are SCRAM-SHA-512=iterations=4096`)
      .join('\n');
    const stub = (name: string, body: string) => {
      const script = `#!/usr/bin/env bash\necho "${name} $*" >> '${calls}'\n${body}\n`;
      writeFileSync(join(kafkaHome, 'bin', name), script, { mode: 0o755 });
    };
    stub('kafka-broker-api-versions.sh', 'exit 0');
    stub(
      'kafka-configs.sh',
      `case "$*" in *--describe*) printf '%s\\n' "${known}" ;; esac
while [ $# -gt 0 ]; do
  if [ "$1" = --add-config-file ]; then stat -c '%a' "$2" >> '${given}'; cat "$2" >> '${given}'; fi
  shift
done`,
    );
    // The compose secrets as the broker's container sees them (/run/secrets/kafka_<principal>_password).
    const mounted = join(secretsDir, 'run-secrets');
    mkdirSync(mounted, { recursive: true });
    for (const principal of principals)
      copyFileSync(
        secretPath(`kafka-${principal}.password`),
        join(mounted, `kafka_${principal.replaceAll('-', '_')}_password`),
      );
    const run = (args: string[], input = '') =>
      execFileSync('bash', [join(deployDir, 'compose/kafka/start.sh'), ...args], {
        env: {
          PATH: process.env['PATH'] ?? '',
          KAFKA_HOME: kafkaHome,
          MOD_SECRETS_DIR: mounted,
          MOD_KAFKA_RUN_DIR: runDir,
        },
        input,
        stdio: 'pipe',
      });
    const lines = () => readFileSync(calls, 'utf8').trim().split('\n');
    const files = () => readFileSync(given, 'utf8');
    return { run, lines, files, runDir };
  };

  it('adds the SCRAM users a broker formatted before their principal existed lacks, once per start', () => {
    const { run, lines, files, runDir } = startScript();
    run(['check']);
    const password = readFileSync(secretPath('kafka-mod-classifier.password'), 'utf8').trim();
    expect(lines().filter((line) => line.includes('--alter'))).toEqual([
      expect.stringContaining('--entity-name mod-classifier --add-config-file '),
    ]);
    // The password goes in a file of the script's alone, never on a command line (ps shows those to every user).
    expect(lines().join('\n')).not.toContain(password);
    expect(files()).toBe(`600\nSCRAM-SHA-512=password=${password}\n`);
    expect(readdirSync(runDir).filter((f) => f.startsWith('scram-user.'))).toEqual([]);
    // Later checks of the same broker run only the health probe.
    const before = lines().length;
    run(['check']);
    expect(lines().slice(before)).toEqual([expect.stringMatching(/^kafka-broker-api-versions\.sh /)]);
  });

  it("adds a partner's SCRAM user with the password from stdin, never on a command line", () => {
    const { run, lines, files, runDir } = startScript();
    // A backslash is written escaped: Kafka reads the file as Java properties.
    run(['add-user', 'partner-acme-isp'], 'Zq8+/x=,y\\z]\n');
    expect(lines()).toEqual([expect.stringContaining('--entity-name partner-acme-isp --add-config-file ')]);
    expect(lines().join('\n')).not.toContain('Zq8+/x');
    expect(files()).toBe('600\nSCRAM-SHA-512=password=Zq8+/x=,y\\\\z]\n');
    expect(readdirSync(runDir).filter((f) => f.startsWith('scram-user.'))).toEqual([]);
    // A password Kafka's properties file would alter (not printable ASCII) is refused, nothing altered.
    expect(() => run(['add-user', 'partner-b'], 'mật-khẩu\n')).toThrow(/printable ASCII/);
    expect(lines()).toHaveLength(1);
  });

  it('starts the broker with umask 077, as local/kafka.sh does: its log segments (media among them) are its alone', () => {
    // The start branch, from formatting the storage to handing over to the broker.
    const start =
      /\n {2}start\)\n([\s\S]*?)\n {4};;/.exec(readDeployFile('compose/kafka/start.sh'))?.[1] ?? '';
    expect(start).toMatch(/\n\s*umask 077\n\s*exec "\$KAFKA_HOME\/bin\/kafka-server-start\.sh"/);
  });

  it('no script of deploy/ gives kafka-configs a password on its command line', () => {
    for (const script of ['compose/kafka/start.sh', 'local/kafka.sh'])
      expect(readDeployFile(script), script).not.toMatch(/--add-config ["']?SCRAM/);
  });

  it("makes a broker certificate the services' CA verifies, for the names clients use", () => {
    const bundle = readFileSync(secretPath('secrets/kafka-broker.pem'), 'utf8');
    const certificate = bundle.slice(bundle.indexOf('-----BEGIN CERTIFICATE-----'));
    const certFile = join(secretsDir, 'broker-cert-only.pem');
    execFileSync('bash', ['-c', 'cat > "$1"', 'bash', certFile], { input: certificate });
    const verify = execFileSync(
      'openssl',
      ['verify', '-CAfile', secretPath('secrets/kafka-ca.pem'), certFile],
      {
        encoding: 'utf8',
      },
    );
    expect(verify).toContain(': OK');
    const san = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-ext', 'subjectAltName'], {
      encoding: 'utf8',
    });
    expect(san).toContain('DNS:kafka');
    expect(san).toContain('IP Address:127.0.0.1');
    expect(bundle).toContain('-----BEGIN PRIVATE KEY-----');
  });

  it('gives the API an Ed25519 audit signing key in the one-line form its configuration reads', () => {
    const pem = envFile('api').get('MOD_AUDIT_SIGNING_KEY_PEM') ?? '';
    expect(pem).not.toContain('\n');
    const key = createPrivateKey(pem.replaceAll('\\n', '\n'));
    expect(key.asymmetricKeyType).toBe('ed25519');
  });

  it('keeps what exists when run again', () => {
    const before = readFileSync(secretPath('secrets/api.env'), 'utf8');
    execFileSync('bash', [join(deployDir, 'compose/init-secrets.sh')], {
      env: { ...process.env, MOD_COMPOSE_SECRETS_DIR: secretsDir },
      stdio: 'pipe',
    });
    expect(readFileSync(secretPath('secrets/api.env'), 'utf8')).toBe(before);
  });

  it('is kept out of git and out of the image build context', () => {
    expect(readDeployFile('compose/.gitignore').split('\n')).toContain('secrets/');
  });
});

// Tenants' standing on the broker: `modctl kafka standing --watch`, started again by a loop in its container should it
// stop, so a tenant an admin disabled loses its partner principal's access as soon as the watcher reads the change.
describe('compose kafka-standing', () => {
  const name = 'kafka-standing';
  const ownKeys = ['MODCTL_ACTOR', 'KAFKA_STANDING_INTERVAL_S']; // modctl's audit actor, the loop's restart wait

  it('runs from the one image as the admin principal, after the set-up and the database, unprivileged', () => {
    const s = service(name);
    expect(s['image']).toBe(service('api')['image']);
    expect([s['restart'], s['read_only'], s['cap_drop']]).toEqual(['unless-stopped', true, ['ALL']]);
    expect(s['depends_on']).toEqual(service('api')['depends_on']);
    expect(list(s['env_file'])).toEqual(list(service('kafka-setup')['env_file']));
    const keys = [...Object.keys(environment(name)), ...envFile(name).keys()];
    expect(keys.filter((k) => ownKeys.includes(k)).sort()).toEqual([...ownKeys].sort());
    const modctlKeys = keys.filter((k) => !ownKeys.includes(k));
    expect(settingsAgainstSpec(specs['kafka-setup'], modctlKeys)).toEqual({ unknown: [], missing: [] });
    const credentials = credentialKeys(specs['kafka-setup']);
    expect(Object.keys(environment(name)).filter((k) => credentials.includes(k))).toEqual([]);
    expect(credentials.filter((k) => !envFile(name).has(k))).toEqual([]);
  });

  it('runs the standing watcher through the entry point, again should it stop, and SIGTERM stops it', async () => {
    const app = mkdtempSync(join(tmpdir(), 'mod-compose-standing-'));
    try {
      // Compose reads `$$` as a `$` of the command.
      const script = str(list(service(name)['command'])[0]).replaceAll('$$', '$');
      const run = await runUntilStopped({
        shell: 'sh',
        script,
        standIn: join(app, 'entrypoint.sh'),
        dir: app,
        env: {
          PATH: process.env['PATH'] ?? '',
          MOD_APP_DIR: app,
          KAFKA_STANDING_INTERVAL_S: '0',
          KAFKA_SASL_USERNAME: envFile(name).get('KAFKA_SASL_USERNAME') ?? '',
          MODCTL_ACTOR: str(environment(name)['MODCTL_ACTOR']),
        },
        printsPid: false,
      });
      const call = 'admin compose/kafka-standing modctl kafka standing --watch';
      expect(run.calls).toEqual([call, call]);
      expect(run.exitCode).toBe(0);
      await processGone(run.hungPid);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
