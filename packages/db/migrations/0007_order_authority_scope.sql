-- Which authority an order belongs to, so that an authority sees only its own orders (see `OrderScope` in
-- orders.ts): orders its tenant issued (issuer_tenant_id, 0003), orders its tenant confirmed (below), and
-- automatic (policy) orders no authority has confirmed yet.

-- The tenant of the key that confirmed the order (confirmed_by keeps the full actor `role:tenant:key`).
alter table orders add column confirmed_by_tenant_id text references tenants (id);
-- Orders confirmed before this column existed: the tenant is the actor's second field.
update orders o set confirmed_by_tenant_id = split_part(o.confirmed_by, ':', 2)
  where o.confirmed_at is not null and o.confirmed_by ~ '^[a-z]+:[a-z0-9][a-z0-9-]*:'
    and exists (select 1 from tenants t where t.id = split_part(o.confirmed_by, ':', 2));

-- An authority's order reads (newest first, keyset on created_at, id): one index per way an order is its own.
create index orders_issuer_tenant on orders (issuer_tenant_id, created_at desc, id desc)
  where issuer_tenant_id is not null;
create index orders_confirmed_by_tenant on orders (confirmed_by_tenant_id, created_at desc, id desc)
  where confirmed_by_tenant_id is not null;
create index orders_awaiting_confirmation on orders (created_at desc, id desc)
  where issuer ->> 'kind' = 'policy' and confirmed_at is null;
