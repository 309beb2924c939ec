import { randomInt } from 'node:crypto';
import { reencoded, syntheticPhoto } from './images.js';
import { DEMO_KNOWN_SEEDS, DEMO_SUSPECTED_SEEDS } from './seed.js';

export interface FeedItem {
  kind: 'known-copy' | 'suspected-copy' | 'unknown' | 'corrupt';
  bytes: Buffer;
}

/**
 * The n-th demo upload: mostly unknown pictures, every third a copy of a known one, every tenth (from the fifth) a
 * copy of a suspected one (a review case for the demo reviewer), now and then a corrupt file.
 */
export async function feedItem(n: number): Promise<FeedItem> {
  if (n % 7 === 6) {
    const good = await syntheticPhoto(10_000 + n);
    return { kind: 'corrupt', bytes: Buffer.concat([good.subarray(0, 300), Buffer.alloc(400, 0x5a)]) };
  }
  if (n % 10 === 5) {
    const seed = DEMO_SUSPECTED_SEEDS[Math.floor(n / 10) % DEMO_SUSPECTED_SEEDS.length] ?? 404;
    return { kind: 'suspected-copy', bytes: await reencoded(await syntheticPhoto(seed)) };
  }
  if (n % 3 === 0) {
    const seed = DEMO_KNOWN_SEEDS[(n / 3) % DEMO_KNOWN_SEEDS.length] ?? 101;
    return { kind: 'known-copy', bytes: await reencoded(await syntheticPhoto(seed)) };
  }
  return { kind: 'unknown', bytes: await syntheticPhoto(20_000 + n * 31 + randomInt(1000)) };
}

/** Uploads one item through the public API as a platform operator would. */
export async function upload(
  apiUrl: string,
  key: string,
  item: FeedItem,
  n: number,
): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.set('externalRef', `demo-${n}`);
  form.set('reportedCategory', item.kind === 'known-copy' ? 'reported-csam' : 'user-report');
  form.set('media', new Blob([new Uint8Array(item.bytes)], { type: 'image/jpeg' }), `demo-${n}.jpg`);
  const res = await fetch(`${apiUrl}/v1/media`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: res.status, body: await res.json() };
}
