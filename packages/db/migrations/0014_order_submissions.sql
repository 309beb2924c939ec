-- Every submission an automatic order stands for. A re-upload of known content folds into the order the first
-- upload opened; the link lets the new submission list that order (it used to show `match` and no orders).
create table order_submissions (
  submission_id uuid not null,
  order_id uuid not null references orders (id),
  linked_at timestamptz not null default now(),
  primary key (submission_id, order_id)
);
create index order_submissions_order on order_submissions (order_id);
insert into order_submissions (submission_id, order_id)
  select submission_id, id from orders where submission_id is not null;
