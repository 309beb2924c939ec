import { describe, expect, it } from 'vitest';
import { imageAnswer, world } from './fetch-step.test-helper.js';

describe("fetch step: an ISP's event naming a tenant with control or bidi characters", () => {
  it('is refused by the contract, so no dead letter quotes it', async () => {
    // The event's tenantId was any text: on an ISP's own topic a mismatch was dead-lettered quoting it, and its bidi
    // override or C1 control reached an operator's terminal (`modctl dlq list`) raw.
    const w = world((url) => imageAnswer(url));
    for (const tenantId of ['isp-1\u202e', '\u2066isp-2', 'isp\u009b1', 'isp\u00071']) {
      await expect(
        w.observe('http://x.example/a.jpg', { tenantId }, 'mod.url-observed.v1.isp-1'),
      ).rejects.toMatchObject({ code: 'MOD_ERR_CONTRACT_INVALID' });
    }
    // A content type with one is refused too (a partner's text, as in a media event's header).
    await expect(
      w.observe('http://x.example/a.jpg', { contentType: 'image/\u202ejpeg' }, 'mod.url-observed.v1.isp-1'),
    ).rejects.toMatchObject({ code: 'MOD_ERR_CONTRACT_INVALID' });
    expect(w.fetched).toEqual([]);
  });
});
