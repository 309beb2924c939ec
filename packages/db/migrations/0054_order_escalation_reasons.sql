-- Why an order was escalated was kept only in the English wording of its history note ("deadline … missed",
-- "verification inconclusive past …"), and read back from it. It is now a column of the history event
-- (`order_events.escalation_reason`) and of the order (`orders.escalation_reason`: its last escalation's, with
-- `escalated_at`), which the lifecycle reads: an order escalated as unverifiable is escalated again once its
-- content is confirmed still there past the deadline. Both are filled in from the existing notes.
alter table order_events add column escalation_reason text
  check (escalation_reason in ('deadline-missed', 'verification-inconclusive'));
alter table orders add column escalation_reason text
  check (escalation_reason in ('deadline-missed', 'verification-inconclusive'));

update order_events set escalation_reason = case
    when note ~ '^deadline \S+ missed$' then 'deadline-missed'
    when note ~ '^verification inconclusive past \S+$' then 'verification-inconclusive'
  end
where status = 'escalated' and note is not null;

update orders o set escalation_reason = (
    select e.escalation_reason from order_events e
    where e.order_id = o.id and e.status = 'escalated' order by e.id desc limit 1)
where o.escalated_at is not null;
