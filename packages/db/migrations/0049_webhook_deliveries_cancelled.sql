-- Clearing a tenant's order webhook (`clearWebhookEndpoint`, DELETE /v1/admin/tenants/:tenantId/order-webhook) left
-- what was queued for it pending, and the next endpoint set, which may be another receiver altogether, was sent
-- it. A delivery is now queued for the endpoint of its moment: the clear cancels what is still pending, in its
-- transaction (`status` 'cancelled', `cancelled_at`), and a cancelled delivery is never claimed nor sent again.
--
-- Deliveries pending for a tenant with no endpoint can only be left over from an earlier clear (nothing is queued
-- without one): they are cancelled here, as the clear now does, so that none goes to the next endpoint set.
alter table webhook_deliveries drop constraint webhook_deliveries_status_check;
alter table webhook_deliveries add constraint webhook_deliveries_status_check
  check (status in ('pending', 'delivered', 'failed', 'cancelled'));
alter table webhook_deliveries add column cancelled_at timestamptz;
alter table webhook_deliveries add constraint webhook_deliveries_cancelled_at
  check ((status = 'cancelled') = (cancelled_at is not null));
update webhook_deliveries d set status = 'cancelled', cancelled_at = now()
  where d.status = 'pending'
    and not exists (select 1 from webhook_endpoints e where e.tenant_id = d.tenant_id);
