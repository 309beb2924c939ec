-- Proofs read one node per tree level. Keyed by (level, idx), those nodes sit in ~2·log2(n) different index
-- and heap pages (47 at 10M records), so a proof for a record nobody asked about lately costs dozens of page
-- reads. Keyed by the position of a node's first leaf (idx << level), every node around a leaf sits in the same
-- few index pages, and with idx and hash included a proof is an index-only scan: measured at 10M records,
-- first-touch proofs went from p50 3.1 ms / p99 15 ms to p50 0.9 ms / p99 7.6 ms (bench/src/audit-pg.ts).
-- Costs ~160 bytes per record of index. On a large existing log, build it beforehand with
-- CREATE INDEX CONCURRENTLY under this name: this migration then finds it and does nothing.
create index if not exists audit_merkle_nodes_by_position
  on audit_merkle_nodes ((idx << level), level) include (idx, hash);
