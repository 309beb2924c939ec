/**
 * `@mod/people`: staff accounts, pure. Passwords (argon2id, PHC strings), TOTP (RFC 6238), session and CSRF
 * tokens, secrets sealed at rest (AES-256-GCM), the lock-out rule, sign-in over a small store interface, and what
 * people are told in Vietnamese and English. No database, no HTTP: `@mod/db/people` stores, the API serves.
 */
// Each module's exports are all public: re-exported whole (as @mod/db's domains are), a name is listed once,
// where it is declared.
export * from './errors.js';
export * from './password.js';
export * from './base32.js';
export * from './totp.js';
export * from './tokens.js';
export * from './secret-box.js';
export * from './lockout.js';
export * from './names.js';
export * from './sign-in.js';
export * from './messages.js';
