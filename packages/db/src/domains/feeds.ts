/** `@mod/db/feeds`: Per-ISP blocklist feeds (RPZ, URL and domain lists) and ISPs' acknowledgements. */
export * from '../feeds-refresh.js';
export * from '../feeds-lines.js';
export * from '../feeds-settings.js';
export * from '../feeds-acks.js';
export * from '../feeds-application.js';
