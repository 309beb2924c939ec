/**
 * `@mod/db/cases`: cases people work (claims, decisions, escalations, queues and their gauges), bank proposals
 * decided by a second person, and each reviewer's preview settings and daily exposure counter.
 */
export * from '../review-cases.js';
export * from '../case-scope.js';
export * from '../bank-proposals.js';
export * from '../review-settings.js';
