import { randomUUID } from 'node:crypto';
import { queryOne, type Queryable } from './pool.js';
import { keysetArgs, keysetPage } from './keyset.js';
import { caseScopeArgs, caseScopeWhere, type CaseScope } from './case-scope.js';

export type BankProposalStatus = 'pending' | 'approved' | 'rejected';

/** One hash a proposal would add to its bank. */
export interface BankProposalEntry {
  signal: 'sha256' | 'sha1' | 'md5' | 'pdq' | 'blockhash';
  value: string;
  category: string | null;
}

/** A reviewer's proposal to add a decided case's hashes to a bank, decided by a curator who is another person. */
export interface BankProposal {
  id: string;
  caseId: string;
  bankId: string;
  tenantId: string | null;
  entries: BankProposalEntry[];
  note: string | null;
  status: BankProposalStatus;
  proposedBy: string;
  proposedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
  /** Bank entries an approval added or found live. */
  entryIds: string[];
}

interface ProposalRow {
  id: string;
  case_id: string;
  bank_id: string;
  tenant_id: string | null;
  entries: BankProposalEntry[];
  note: string | null;
  status: BankProposalStatus;
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  decision_reason: string | null;
  entry_ids: string[] | null;
}

const toProposal = (r: ProposalRow): BankProposal => ({
  id: r.id,
  caseId: r.case_id,
  bankId: r.bank_id,
  tenantId: r.tenant_id,
  entries: r.entries,
  note: r.note,
  status: r.status,
  proposedBy: r.proposed_by,
  proposedAt: r.proposed_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  decisionReason: r.decision_reason,
  entryIds: (r.entry_ids ?? []).map(String),
});

/** Records a proposal (in the case decision's transaction). One per case and bank: a repeat returns the first. */
export async function insertBankProposal(
  db: Queryable,
  p: {
    caseId: string;
    bankId: string;
    tenantId: string | null;
    entries: readonly BankProposalEntry[];
    note: string | null;
    proposedBy: string;
    proposedAt: Date;
  },
): Promise<{ id: string; created: boolean }> {
  const { rows } = await db.query<{ id: string; created: boolean }>(
    `/* api:insert-bank-proposal */ insert into bank_proposals (id, case_id, bank_id, tenant_id, entries, note,
       proposed_by, proposed_at) values ($1, $2, $3, $4, $5, $6, $7, $8)
     on conflict (case_id, bank_id) do update set case_id = bank_proposals.case_id
     returning id, (xmax = 0) as created`,
    [
      randomUUID(),
      p.caseId,
      p.bankId,
      p.tenantId,
      JSON.stringify(p.entries),
      p.note,
      p.proposedBy,
      p.proposedAt,
    ],
  );
  const row = rows[0];
  if (row === undefined) throw new Error('proposal insert returned no row');
  return row;
}

/** The condition that a proposal's case is inside a `CaseScope` (`$a`, `$r`: `caseScopeArgs`). */
const proposalCaseIn = (a: number, r: number) =>
  `exists (select 1 from cases c where c.id = bank_proposals.case_id and ${caseScopeWhere(a, r)})`;

/**
 * A proposal, or null; `lock`: `for update`, in the approving transaction; `scope`: only one whose case the caller
 * may read (default: any).
 */
export async function getBankProposal(
  db: Queryable,
  id: string,
  o: { lock?: boolean; scope?: CaseScope } = {},
): Promise<BankProposal | null> {
  return queryOne(
    db,
    `/* api:get-bank-proposal */ select * from bank_proposals where id = $1 and ${proposalCaseIn(2, 3)}
     ${o.lock === true ? 'for update' : ''}`,
    [id, ...caseScopeArgs(o.scope ?? { all: true })],
    toProposal,
  );
}

/**
 * Proposals oldest first, optionally of one status, keyset-paginated on (proposed_at, id); `scope`: only those whose
 * case the caller may read.
 */
export async function listBankProposals(
  db: Queryable,
  q: {
    status?: BankProposalStatus | undefined;
    after?: { at: Date; id: string } | undefined;
    limit: number;
    scope: CaseScope;
  },
): Promise<BankProposal[]> {
  const { rows } = await db.query<ProposalRow>(
    `/* api:list-bank-proposals */ select * from bank_proposals
     where ($1::text is null or status = $1) and ${proposalCaseIn(5, 6)}
       and ${keysetPage({ table: 'bank_proposals', alias: 'bank_proposals', time: 'proposed_at', id: 'id' }, 'asc', 2)}`,
    [q.status ?? null, ...keysetArgs(q.after?.at, q.after?.id, q.limit), ...caseScopeArgs(q.scope)],
  );
  return rows.map(toProposal);
}

/**
 * Records a curator's verdict, only on a pending proposal and never by its proposer (the table refuses that
 * too). False when another verdict came first.
 */
export async function decideBankProposal(
  db: Queryable,
  id: string,
  v: {
    status: 'approved' | 'rejected';
    decidedBy: string;
    decidedAt: Date;
    reason: string | null;
    entryIds: readonly string[];
  },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `/* api:decide-bank-proposal */ update bank_proposals set status = $2, decided_by = $3, decided_at = $4,
       decision_reason = $5, entry_ids = $6::bigint[]
     where id = $1 and status = 'pending' and proposed_by <> $3`,
    [id, v.status, v.decidedBy, v.decidedAt, v.reason, v.entryIds],
  );
  return rowCount === 1;
}

/** The proposals made on a case, oldest first. */
export async function listBankProposalsOfCase(db: Queryable, caseId: string): Promise<BankProposal[]> {
  const { rows } = await db.query<ProposalRow>(
    `/* api:case-bank-proposals */ select * from bank_proposals where case_id = $1 order by proposed_at, id`,
    [caseId],
  );
  return rows.map(toProposal);
}
