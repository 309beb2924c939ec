import type { Queryable } from './pool.js';

/** A legal basis as an authority picks it when issuing an order: its id, texts in both languages, deadline. */
export interface LegalBasisChoice {
  id: string;
  citation: { vi: string; en: string };
  authority: { vi: string; en: string };
  deadlineMinutes: number;
}

/**
 * The legal bases an order may cite (table `legal_bases`, the same the order route checks `legalBasisId`
 * against), by id, with their citation and authority in Vietnamese (the English text where a basis has none)
 * and English.
 */
export async function listLegalBasisChoices(db: Queryable): Promise<LegalBasisChoice[]> {
  const { rows } = await db.query<{
    id: string;
    citation: string;
    citation_vi: string | null;
    authority: string;
    authority_vi: string | null;
    deadline_minutes: number;
  }>(
    `/* orders:list-legal-basis-choices */ select id, citation, citation_vi, authority, authority_vi, deadline_minutes
     from legal_bases order by deadline_minutes, id`,
  );
  return rows.map((r) => ({
    id: r.id,
    citation: { vi: r.citation_vi ?? r.citation, en: r.citation },
    authority: { vi: r.authority_vi ?? r.authority, en: r.authority },
    deadlineMinutes: r.deadline_minutes,
  }));
}

/** A tenant an order can be addressed to: a platform (takedown) or an ISP (blocking), by id and name only. */
export interface OrderTarget {
  id: string;
  name: string;
  kind: 'platform' | 'isp';
}

/** The platforms and ISPs an order can be addressed to (not disabled), by kind then id. */
export async function listOrderTargets(db: Queryable): Promise<OrderTarget[]> {
  const { rows } = await db.query<OrderTarget>(
    `/* orders:list-order-targets */ select id, name, kind from tenants
     where kind in ('platform', 'isp') and disabled_at is null order by kind, id`,
  );
  return rows;
}
