// The libuv pool that runs every decode is sized at its first use: before the service's modules are imported.
import { sizeThreadpoolFor } from '@mod/bootstrap/threadpool';

sizeThreadpoolFor('HASH_THREADS');
await import('./start.js');
