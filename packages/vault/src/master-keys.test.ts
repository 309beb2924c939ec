import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { keyringFromConfig, vaultKeySpec } from './config.js';
import { VaultErrorCode } from './errors.js';
import { codeOf, keyText } from './keys.test-helper.js';
import { createMasterKeyring, masterKeyProblem, parseMasterKey } from './master-keys.js';

describe('master keys', () => {
  it('derive a stable id that depends on the key and reveals none of it', () => {
    const text = keyText();
    const a = parseMasterKey(text);
    expect(parseMasterKey(text).id).toBe(a.id);
    expect(parseMasterKey(keyText()).id).not.toBe(a.id);
    expect(a.id).toMatch(/^mk1-[0-9a-f]{24}$/);
    const raw = Buffer.from(text, 'base64').toString('hex');
    expect(a.id).not.toContain(raw.slice(0, 8));
    // Neither logging nor JSON shows the material.
    expect(inspect(a, { depth: 5 })).not.toContain(text);
    expect(JSON.stringify(a)).not.toContain(text);
  });

  it.each([
    ['not base64', 'not a key!'],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['33 bytes', randomBytes(33).toString('base64')],
    ['one byte repeated', Buffer.alloc(32, 7).toString('base64')],
  ])('refuses %s with MOD_ERR_VAULT_KEY_MATERIAL, without echoing it', (_what, text) => {
    expect(masterKeyProblem(text)).not.toBeNull();
    let message = '';
    try {
      parseMasterKey(text, 'MOD_VAULT_MASTER_KEY');
    } catch (err) {
      expect((err as { code?: string }).code).toBe(VaultErrorCode.KEY_MATERIAL);
      message = (err as Error).message;
    }
    expect(message).toContain('MOD_VAULT_MASTER_KEY');
    expect(message).not.toContain(text);
  });

  it('keyring: current first, previous after; a key listed twice is refused', () => {
    const current = keyText();
    const previous = keyText();
    const ring = createMasterKeyring({ current, previous: [previous, ''] });
    expect(ring.ids).toEqual([parseMasterKey(current).id, parseMasterKey(previous).id]);
    expect(ring.byId(parseMasterKey(previous).id)).toBeDefined();
    expect(codeOf(() => createMasterKeyring({ current, previous: [current] }))).toBe(
      VaultErrorCode.KEY_MATERIAL,
    );
    expect(createMasterKeyring({ current: '' }).current).toBeNull();
  });

  it('configuration: bad keys are reported with every other problem at start-up, and secret', () => {
    expect(() =>
      loadConfig(vaultKeySpec, {
        MOD_VAULT_MASTER_KEY: 'not base64!',
        MOD_VAULT_PREVIOUS_KEYS: `${keyText()},x`,
      }),
    ).toThrow(
      /MOD_VAULT_MASTER_KEY must be base64[\s\S]*MOD_VAULT_PREVIOUS_KEYS key 2: must decode to 32 bytes, got 0/,
    );
    const current = keyText();
    const previous = keyText();
    const config = loadConfig(vaultKeySpec, {
      MOD_VAULT_MASTER_KEY: current,
      MOD_VAULT_PREVIOUS_KEYS: ` ${previous} `,
    });
    expect(vaultKeySpec.MOD_VAULT_MASTER_KEY.secret).toBe(true);
    expect(vaultKeySpec.MOD_VAULT_PREVIOUS_KEYS.secret).toBe(true);
    expect(keyringFromConfig(config).ids).toHaveLength(2);
    expect(keyringFromConfig(loadConfig(vaultKeySpec, {})).current).toBeNull();
  });
});
