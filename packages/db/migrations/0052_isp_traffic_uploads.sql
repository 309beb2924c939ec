-- A traffic-sample upload sent with an Idempotency-Key (`POST /v1/isp/traffic-samples`): which of its valid lines
-- the broker took, so that the same upload sent again with the same key (after a 503, a timeout) queues and charges
-- to the ISP's line quota only the lines not queued before, and another upload under the same key is refused (409).
-- One row per tenant and key, for a bounded window (`expires_at`; the API deletes expired rows, and a key whose
-- window ended is taken anew). No URL is kept: a digest of the upload's body and one bit per line. An attempt holds
-- the key while its lines go to the broker (`busy_until`, a lease: no database connection is held meanwhile); a
-- retry that comes then is answered 503 and sent again later.
create table isp_traffic_uploads (
  tenant_id text not null references tenants (id),
  idempotency_key text not null check (idempotency_key ~ '^[A-Za-z0-9._:-]{1,200}$'),
  -- SHA-256 of the upload's decoded body: the same key with another body is another upload.
  body_sha256 bytea not null check (length(body_sha256) = 32),
  -- The upload's valid lines, in order.
  lines integer not null check (lines between 0 and 100000),
  -- Bit i (byte i / 8, bit i % 8) of the i-th valid line: set once the broker acknowledged it.
  queued bytea not null,
  expires_at timestamptz not null,
  -- Set while an attempt sends the lines; cleared when it has kept what they came to, or lapsed if it died.
  busy_until timestamptz,
  primary key (tenant_id, idempotency_key),
  check (length(queued) = (lines + 7) / 8)
);
create index isp_traffic_uploads_expiry on isp_traffic_uploads (expires_at);
