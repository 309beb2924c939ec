-- Traces across the outboxes: a message committed inside a traced request or step keeps its W3C trace context
-- (`traceparent`), which the relay publishes as a record header, so the consumer's work joins the same trace
-- however late the message (or a platform's webhook request) leaves.
alter table outbox add column traceparent text;
alter table media_outbox add column traceparent text;
alter table webhook_deliveries add column traceparent text;
