/** `@mod/db/url-lists`: URL lists and their entries, as the fetcher matches them and curators change them. */
export * from '../urls-lists.js';
export * from '../urls-lists-curation.js';
export * from '../urls-lists-import.js';
