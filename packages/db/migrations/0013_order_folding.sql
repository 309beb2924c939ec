-- Folded order requests (issue 17). When an authority asks for an order that an open order already covers
-- (same kind, subject and target), its request is kept as an order row of its own, marked as folded into that
-- open order (the primary): the target gets one order, the requesting authority keeps its own note, evidence,
-- legal basis and deadline, and neither authority reads the other's. A folded request's lifecycle (status,
-- clock) is the primary's, read through this link; only withdrawal is its own. See `issueOrderRequest` and
-- `OrderScope` in orders.ts.
alter table orders add column folded_into uuid references orders (id);
-- Only hand-issued requests fold (automatic orders still merge into the open order, as before).
alter table orders add constraint orders_folded_by_authority
  check (folded_into is null or (issuer_tenant_id is not null and folded_into <> id));

-- One open order per (kind, subject, target) still holds for what targets receive; folded requests are not
-- orders to the target and stay out of it.
drop index orders_open_subject;
create unique index orders_open_subject on orders (kind, subject_type, subject_value, target_tenant_id)
  where status not in ('verified', 'withdrawn') and folded_into is null;
-- The live requests folded into a primary: its binding deadline, promotion when it is withdrawn.
create index orders_folded_into on orders (folded_into, deadline_at) where folded_into is not null;
