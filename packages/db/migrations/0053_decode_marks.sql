-- Media whose decode aborts the whole process (V8 ends a worker past its resourceLimits only as best it can,
-- nodejs/node#47224: some allocations abort the process, SIGABRT) took the in-memory count of its crashes with it:
-- the service restarted, read the uncommitted record again and aborted again, for ever. A decode now leaves a mark
-- here before the media reaches a worker (`decode_marks`: the stage, the content's SHA-256, the process), removed
-- when the decode ends. A mark left by a process that is gone is a crash of that content, counted by every process
-- that meets the content after it (the marks are the strikes: two processes that see one count it once).
--
-- A process is gone when a later process of the same owner (the instance's static Kafka membership id, unique among
-- live instances) has started, or when its lease (`decode_processes.seen_at`, renewed while it runs) has lapsed.
-- Marks and processes older than a day are ignored and deleted.
create table decode_marks (
  stage text not null check (stage in ('hash', 'classify')),
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  process_id uuid not null,
  owner text not null,
  started_at timestamptz not null default now(),
  primary key (stage, sha256, process_id)
);
create index decode_marks_started_at on decode_marks (started_at);

create table decode_processes (
  process_id uuid primary key,
  owner text not null,
  stage text not null check (stage in ('hash', 'classify')),
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now()
);
