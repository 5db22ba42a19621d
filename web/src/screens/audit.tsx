import { useEffect, useState } from "preact/hooks";
import { formatTime } from "../holds";
import type { Session } from "../session";

const AUDIT = /* GraphQL */ `
  query Audit($after: String) {
    auditLog(first: 20, after: $after) {
      edges { cursor node { position occurredAt action actorId actorRoles targetType targetId } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const VERIFY = /* GraphQL */ `query Verify { verifyAuditChain { valid checkedEntries firstInvalidPosition } }`;

interface AuditNode {
  position: number;
  occurredAt: string;
  action: string;
  actorId: string | null;
  actorRoles: string[];
  targetType: string;
  targetId: string;
}
interface Verification {
  valid: boolean;
  checkedEntries: number;
  firstInvalidPosition: number | null;
}

/** The append-only, hash-chained audit log, newest first, and the chain verification. */
export function AuditScreen({ session }: { session: Session }) {
  const { api } = session;
  const [entries, setEntries] = useState<AuditNode[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [verification, setVerification] = useState<Verification | undefined>();
  const [busy, setBusy] = useState(false);

  const load = async (after: string | null) => {
    const { auditLog } = await api.request<{ auditLog: { edges: { node: AuditNode }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(AUDIT, { after });
    setEntries((current) => [...(after ? current : []), ...auditLog.edges.map((e) => e.node)]);
    setNext(auditLog.pageInfo.hasNextPage ? auditLog.pageInfo.endCursor : null);
  };
  useEffect(() => void load(null), [api]);

  const verify = async () => {
    setBusy(true);
    try {
      setVerification((await api.request<{ verifyAuditChain: Verification }>(VERIFY)).verifyAuditChain);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div class="toolbar">
        <button type="button" onClick={() => void verify()} disabled={busy}>
          Verify the audit chain
        </button>
        <button type="button" onClick={() => void load(null)}>
          Refresh
        </button>
      </div>
      <p role="status" data-testid="chain-verification">
        {verification
          ? verification.valid
            ? `The chain is intact: ${verification.checkedEntries} entries verified.`
            : `The chain is broken at entry ${verification.firstInvalidPosition} (${verification.checkedEntries} entries checked).`
          : ""}
      </p>
      <table class="audit">
        <caption>Newest first</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.position}>
              <td>{entry.position}</td>
              <td>{formatTime(entry.occurredAt)}</td>
              <td>{entry.action}</td>
              <td>
                {entry.actorId ?? "system"} <span class="hint">{entry.actorRoles.join(", ")}</span>
              </td>
              <td>
                {entry.targetType} <span class="hint">{entry.targetId}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {next && (
        <button type="button" onClick={() => void load(next)}>
          Load older entries
        </button>
      )}
    </section>
  );
}
