import { beforeAll, describe, expect, it } from 'vitest';
import { useCallersWorld } from './callers-world.test-helper.js';
import { listenOnLoopback } from './over-http.test-helper.js';

const api = useCallersWorld(
  { authority: ['auth-cut', 'authority'], isp: ['isp-cut', 'isp'] },
  { tenants: { 'platform-cut': 'platform' } },
);
let call: Awaited<ReturnType<typeof listenOnLoopback>>;
beforeAll(async () => {
  call = await listenOnLoopback(api.app);
});

/** Text the API takes as 2,000 characters or fewer (it counts code points) that is longer in UTF-16 units. */
const EMOJI = '\u{1F600}';
const isWholeText = (s: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** The notes the order's messages carry on their way to the target (the outbox holds them until published). */
const outboxNotes = async () =>
  (
    await api.db.query<{ note: string | null }>(
      `select coalesce(payload #>> '{evidence,note}', payload ->> 'note') as note from outbox order by id`,
    )
  ).rows.map((r) => r.note);

describe('free text of an order cut to what its messages carry', () => {
  // Before: a takedown order's note is 2,000 characters to the API (code points) and 2,000 UTF-16 units to the
  // takedown request, so a note of 1,001 emoji failed the request's contract and the order answered 500; and an
  // order event cut a reason at 2,000 units, between the halves of an emoji, which the outbox's jsonb refused, so a
  // dispute (or a pause, a withdrawal) with such a reason answered 500 and was not recorded.
  it('issues a takedown whose note is 1,001 emoji: its request carries the note cut whole', async () => {
    const res = await call(api.keys.authority, 'POST', '/v1/orders', {
      kind: 'takedown',
      targetTenantId: 'platform-cut',
      subject: { type: 'url', value: 'https://platform-cut.example/p/1' },
      legalBasisId: 'vn-decree-147-request',
      note: EMOJI.repeat(1001),
    });
    expect(res.status, res.bytes.toString()).toBe(201);
    const [note] = await outboxNotes();
    expect(note).toBe(EMOJI.repeat(1000));
  });

  it("records a target's dispute whose reason would be cut inside an emoji: the event's note ends before it", async () => {
    const issued = await call(api.keys.authority, 'POST', '/v1/orders', {
      kind: 'blocking',
      targetTenantId: 'isp-cut',
      subject: { type: 'url', value: 'https://platform-cut.example/p/2' },
      legalBasisId: 'vn-decree-147-request',
    });
    expect(issued.status, issued.bytes.toString()).toBe(201);
    const { id } = issued.json<{ id: string }>();
    const reason = `a${EMOJI.repeat(1000)}`;
    const res = await call(api.keys.isp, 'POST', `/v1/orders/${id}/dispute`, { reason });
    expect(res.status, res.bytes.toString()).toBe(200);
    expect(res.json()).toMatchObject({ status: 'disputed' });
    const notes = await outboxNotes();
    expect(notes.at(-1)).toBe(`a${EMOJI.repeat(999)}`);
    expect(notes.every((n) => n === null || isWholeText(n))).toBe(true);
    // And it is on record.
    const { rows } = await api.db.query(
      `select 1 from audit_records where record::jsonb ->> 'action' = 'order.disputed'`,
    );
    expect(rows).toHaveLength(1);
  });
});
