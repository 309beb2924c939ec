/** Citizens' reports (issue 23): filing and folding, status, routing through the pipeline, statistics. */
export * from '../reports.js';
export * from '../reports-reads.js';
export * from '../reports-routing.js';
export * from '../reports-replays.js';
export * from '../report-holds.js';
export * from '../report-referrals.js';
export * from '../personal-data-retention.js';
export * from '../rate-buckets.js';
