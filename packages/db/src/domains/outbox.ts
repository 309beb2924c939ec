/** `@mod/db/outbox`: The transactional outbox: messages committed with the state they announce, published after commit. */
export * from '../outbox.js';
