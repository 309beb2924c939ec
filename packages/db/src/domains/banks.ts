/** `@mod/db/banks`: Hash banks and their entries: curation, export, and the bulk import of large lists. */
export * from '../banks.js';
export * from '../bank-import.js';
export * from '../entry-search.js';
