/** `@mod/db/feeds`: Per-ISP blocklist feeds (RPZ, URL and domain lists), ISPs' acknowledgements, and the Idempotency-Keys of their traffic-sample uploads. */
export * from '../feeds-refresh.js';
export * from '../feeds-lines.js';
export * from '../feeds-settings.js';
export * from '../feeds-acks.js';
export * from '../feeds-application.js';
export * from '../isp-traffic-uploads.js';
