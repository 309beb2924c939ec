-- The admin's read of tenants' order webhooks (`listWebhookOverviews`) finds who set or cleared each webhook last
-- in the audit log. It looked the tenant's id up in audit_refs and parsed every record naming it (every order,
-- acknowledgement and report of a busy ISP or authority, hundreds of thousands) to keep the few webhook ones, for
-- each tenant of a page. A partial index on the webhook records alone, by their tenant and position, takes it
-- straight to the last one: other records are never in it. The record text stays the only source (the keys are
-- read from it), and nothing is written beside it. Building it parses each stored record once.
create index audit_records_webhook_changes on audit_records ((record::jsonb #>> '{subject,id}'), seq)
  where record::jsonb ->> 'action' in ('webhook.set', 'webhook.cleared')
    and record::jsonb #>> '{subject,type}' = 'tenant';
