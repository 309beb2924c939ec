import { expect, it } from 'vitest';
import { CurationErrorCode, createBank, createUrlList, updateUrlListSettings } from './index.js';
import {
  addPatterns,
  by,
  changes,
  db,
  describeUrlListCuration,
  lastOutboxId,
  newList,
  topic,
} from './url-lists.test-helper.js';

describeUrlListCuration(() => {
  it('settings changes reach fetchers; hash banks and unknown lists are refused with typed errors', async () => {
    const list = await newList('settings-list');
    const mark = await lastOutboxId();
    const changed = await updateUrlListSettings(db.pool, list.id, { enabled: false }, topic, by);
    expect(changed).toMatchObject({ enabled: false });
    expect((await changes(mark)).map((c) => c.change)).toEqual([
      {
        type: 'url-bank-upserted',
        bankId: list.id,
        name: 'settings-list',
        enabled: false,
        negative: false,
        actionPolicy: 'automatic',
      },
    ]);
    const { bank: hashBank } = await createBank(
      db.pool,
      { name: 'hashes', source: 'test', signalTypes: ['sha256'], actionPolicy: 'review' },
      'test.bank-changes',
    );
    expect(await updateUrlListSettings(db.pool, hashBank.id, { enabled: false }, topic, by)).toBeNull();
    await expect(addPatterns(hashBank.id, [{ kind: 'url', pattern: 'x.example/' }])).rejects.toMatchObject({
      code: CurationErrorCode.UnknownUrlList,
    });
    await expect(
      createUrlList(db.pool, { name: 'hashes', source: 'x', actionPolicy: 'review' }, topic, by),
    ).rejects.toMatchObject({ code: CurationErrorCode.NotUrlList });
    const again = await createUrlList(
      db.pool,
      { name: 'settings-list', source: 'x', actionPolicy: 'review' },
      topic,
      by,
    );
    expect(again).toMatchObject({ created: false, bank: { id: list.id } });
  });
});
