import { describe, expect, it } from 'vitest';
import type { Principal } from '@mod/db/access';
import { actorLabelOf, auditActorOf, callerName, credentialEvidence } from './auth.js';

const machine: Principal = {
  keyId: 'key-1',
  personId: null,
  tenantId: 'isp-a',
  tenantKind: 'isp',
  role: 'isp',
  credential: 'api-key',
};
const person: Principal = {
  keyId: 'session-1',
  personId: 'person-1',
  tenantId: 'hotline',
  tenantKind: 'hotline',
  role: 'reviewer',
  credential: 'session',
};

describe('who the audit log and order histories name', () => {
  it('a person by person id (never the session), with nothing more in the evidence', () => {
    expect(auditActorOf(person)).toEqual({ kind: 'person', id: 'person-1' });
    expect(credentialEvidence(person)).toEqual({});
    expect(actorLabelOf(person)).toBe('reviewer:hotline:person-1');
    expect(callerName(person)).toBe('person person-1');
  });

  it('a machine by its key or certificate, which the evidence names too', () => {
    expect(auditActorOf(machine)).toEqual({ kind: 'user', id: 'key-1' });
    expect(credentialEvidence(machine)).toEqual({ credential: { kind: 'api-key', id: 'key-1' } });
    const cert = { ...machine, keyId: 'cert-1', credential: 'client-certificate' as const };
    expect(credentialEvidence(cert)).toEqual({ credential: { kind: 'client-certificate', id: 'cert-1' } });
    expect(actorLabelOf(machine)).toBe('isp:isp-a:key-1');
    expect(callerName(machine)).toBe('key key-1');
  });
});
