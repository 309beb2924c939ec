import type { Queryable } from '@mod/db';
import { insertSession } from '@mod/db/people';
import { newSessionToken, tokenDigest } from '@mod/people';

/** Live (not revoked) sessions of the person `login`, or of every person of the tenant `tenant`. */
export async function liveSessions(
  db: Queryable,
  of: { login: string } | { tenant: string },
): Promise<number> {
  const [column, value] = 'login' in of ? ['p.login', of.login] : ['p.tenant_id', of.tenant];
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from person_sessions s join people p on p.id = s.person_id
     where ${column} = $1 and s.revoked_at is null`,
    [value],
  );
  return rows[0]?.n ?? 0;
}

/** Signs the person `login` in `count` times (full sessions for an hour), as a sign-in would leave them. */
export async function addLiveSessions(db: Queryable, login: string, count: number): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`select id from people where login = $1`, [login]);
  const personId = rows[0]!.id;
  const now = new Date();
  for (let i = 0; i < count; i++)
    await insertSession(db, {
      tokenSha256: tokenDigest(newSessionToken()),
      personId,
      stage: 'full',
      clientAddress: '127.0.0.1',
      now,
      expiresAt: new Date(now.getTime() + 3600_000),
    });
  return personId;
}
