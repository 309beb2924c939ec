import { describe, expect, it } from 'vitest';
import { updateTenant } from './domains/access.js';
import { mapHostToPlatform, platformForHost } from './domains/orders.js';
import { db, useTestSchema } from './testing.test-helper.js';

useTestSchema({ 'plat-blog': 'platform', 'plat-host': 'platform' });
const NOW = new Date('2026-03-01T12:00:00Z');

describe('the platform hosting a host', () => {
  it('is the nearest mapping whose platform is on: a switched-off one is sent no takedown', async () => {
    await mapHostToPlatform(db.pool, 'blog.example', 'plat-blog');
    await mapHostToPlatform(db.pool, 'example', 'plat-host');
    expect(await platformForHost(db.pool, 'CDN.Blog.Example.')).toBe('plat-blog');
    await updateTenant(db.pool, 'plat-blog', { disabled: true }, NOW);
    // No longer a partner: the next one up that is (here, the whole domain's host) is asked instead.
    expect(await platformForHost(db.pool, 'cdn.blog.example')).toBe('plat-host');
    await updateTenant(db.pool, 'plat-host', { disabled: true }, NOW);
    expect(await platformForHost(db.pool, 'cdn.blog.example')).toBeNull();
  });
});
