import { describe, expect, it } from 'vitest';
import { getFeedState, refreshFeedState, type FeedRenderer } from './feeds-refresh.js';
import { getFeedSettings, setFeedSettings } from './feeds-settings.js';
import { db, useTestSchema } from './testing.test-helper.js';

const renderer: FeedRenderer = {
  version: 1,
  nextSerial: (s) => s + 1,
  linesOf: (e) => ({ urlLine: null, hostLine: e.target, rpzHost: e.target }),
};

useTestSchema({ 'isp-s': { kind: 'isp', subscribedToBlocking: true } });

describe('setFeedSettings', () => {
  it('moves the feed to a new serial with no history when the RPZ is written differently, not otherwise', async () => {
    // Before the first refresh there is no feed to move.
    await setFeedSettings(db.pool, 'isp-s', { zoneName: 'rpz.first.example', walledGardenHost: null });
    expect(await getFeedState(db.pool, 'isp-s')).toBeNull();
    expect(await refreshFeedState(db.pool, 'isp-s', renderer)).toMatchObject({ serial: 1, historyFrom: 1 });

    // Every record's CNAME target changes: a resolver must see the serial rise, and an incremental answer from
    // serial 1 (naming the new target in its removals) would remove nothing: serial 1 gets the full feed.
    await setFeedSettings(db.pool, 'isp-s', {
      zoneName: 'rpz.first.example',
      walledGardenHost: 'wg.example',
    });
    expect(await getFeedState(db.pool, 'isp-s')).toEqual({ serial: 2, historyFrom: 2 });
    // The zone's name decides which names fit in it.
    await setFeedSettings(db.pool, 'isp-s', {
      zoneName: 'rpz.second.example',
      walledGardenHost: 'wg.example',
    });
    expect(await getFeedState(db.pool, 'isp-s')).toEqual({ serial: 3, historyFrom: 3 });

    // The same settings again, and a refresh with nothing new: the serial stays.
    await setFeedSettings(db.pool, 'isp-s', {
      zoneName: 'rpz.second.example',
      walledGardenHost: 'wg.example',
    });
    expect(await refreshFeedState(db.pool, 'isp-s', renderer)).toMatchObject({ serial: 3, historyFrom: 3 });
    expect(await getFeedSettings(db.pool, 'isp-s')).toEqual({
      zoneName: 'rpz.second.example',
      walledGardenHost: 'wg.example',
    });
  });
});
