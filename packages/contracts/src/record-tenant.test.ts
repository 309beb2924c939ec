import { describe, expect, it } from 'vitest';
import { MEDIA_META_HEADER, ownRecordTenant } from './index.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('ownRecordTenant', () => {
  it("reads the media topic's mod-meta header, never the media's bytes", () => {
    const media = Buffer.from('{"tenantId":"from-bytes"}');
    expect(
      ownRecordTenant({ headers: { [MEDIA_META_HEADER]: json({ tenantId: 'isp-a' }) }, value: media }),
    ).toBe('isp-a');
    expect(
      ownRecordTenant({ headers: { [MEDIA_META_HEADER]: Buffer.from('not json') }, value: media }),
    ).toBeNull();
  });

  it("reads a JSON event's tenantId", () => {
    expect(ownRecordTenant({ headers: {}, value: json({ eventId: 'e', tenantId: 'plat-b' }) })).toBe(
      'plat-b',
    );
  });

  it('names no tenant for what does not say one, or says what is not a tenant id', () => {
    for (const value of [
      null,
      Buffer.from('garbage'),
      Buffer.from('{"tenantId":'),
      json({ eventId: 'e' }),
      json({ tenantId: 'Bad.Id' }),
      json({ tenantId: 7 }),
      json([{ tenantId: 'isp-a' }]),
      json({ tenantId: 'isp-a', pad: 'x'.repeat(300 * 1024) }),
    ])
      expect(ownRecordTenant({ headers: {}, value })).toBeNull();
  });
});
