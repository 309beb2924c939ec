import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@mod/config';
import { parseSecretKey } from '@mod/people';
import { useCallersWorld } from './callers-world.js';
import { reportSettingsFromConfig, reportSpec } from './reports/settings.js';
import { seedMatrixReport, TEST_REPORT_SETTINGS } from './reports-testing.js';
import { bearer, errorCodeOf } from './testing.js';

/**
 * Rotating the key that seals reporters' contact details: details sealed under the earlier key still open when it
 * is listed in REPORT_CONTACT_PREVIOUS_KEYS, and a key that is no longer configured answers a coded 503 naming it.
 */
const api = useCallersWorld({ hotline: ['hotline-1', 'hotline'] });
const newKey = parseSecretKey(randomBytes(32).toString('base64'));
const earlier = TEST_REPORT_SETTINGS.contactKey!;

describe('GET /v1/reports/:id/contact after a key rotation', () => {
  it('opens details sealed under an earlier key listed as previous; refuses them, naming the key, when it is not', async () => {
    // Sealed under the test settings' key, the one in use before the rotation.
    const id = await seedMatrixReport(api.db, { tenantId: 'hotline-1' });
    const read = (app: Awaited<ReturnType<typeof api.world.build>>) =>
      app.inject({
        method: 'GET',
        url: `/v1/reports/${id}/contact`,
        headers: bearer(api.keys.hotline),
      });
    const rotated = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, contactKey: newKey, contactPreviousKeys: [earlier] },
    });
    const opened = await read(rotated);
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({ reportId: id, name: 'Matrix' });
    const forgotten = await api.world.build({
      reports: { ...TEST_REPORT_SETTINGS, contactKey: newKey, contactPreviousKeys: [] },
    });
    const refused = await read(forgotten);
    expect(refused.statusCode).toBe(503);
    expect(errorCodeOf(refused)).toBe('MOD_ERR_API_UNAVAILABLE');
    expect(refused.json<{ error: { message: string } }>().error.message).toContain(earlier.fingerprint);
    // No key at all: the same answer (contact details are never opened without theirs).
    const none = await api.world.build({ reports: { ...TEST_REPORT_SETTINGS, contactKey: null } });
    expect((await read(none)).statusCode).toBe(503);
  });
});

describe('REPORT_CONTACT_PREVIOUS_KEYS', () => {
  it('reads earlier keys, comma-separated, and refuses a bad one without printing it', () => {
    const [a, b] = [randomBytes(32).toString('base64'), randomBytes(32).toString('hex')];
    const settings = reportSettingsFromConfig(
      loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: ` ${a}, ${b} ,` }),
    );
    expect(settings.contactPreviousKeys.map((k) => k.fingerprint)).toEqual([
      parseSecretKey(a).fingerprint,
      parseSecretKey(b).fingerprint,
    ]);
    expect(reportSettingsFromConfig(loadConfig(reportSpec, {})).contactPreviousKeys).toEqual([]);
    const short = randomBytes(16).toString('base64');
    expect(() => loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: `${a},${short}` })).toThrow(
      /REPORT_CONTACT_PREVIOUS_KEYS.*32-byte keys/,
    );
    let message = '';
    try {
      loadConfig(reportSpec, { REPORT_CONTACT_PREVIOUS_KEYS: short });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/REPORT_CONTACT_PREVIOUS_KEYS/);
    expect(message).not.toContain(short);
  });
});
