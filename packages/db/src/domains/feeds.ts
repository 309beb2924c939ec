/** `@mod/db/feeds`: Per-ISP blocklist feeds (RPZ, URL and domain lists) and ISPs' acknowledgements. */
export * from '../feeds-store.js';
export * from '../feeds-acks.js';
