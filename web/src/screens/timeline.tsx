import { useEffect, useState } from "preact/hooks";
import { formatDuration, formatTime } from "../holds";
import { may, Session } from "../session";
import { Dialog, DialogFooter } from "../ui/dialog";
import { Menu, MenuItem } from "../ui/menu";

const PAGE_SIZE = 5;
const ENTRY = /* GraphQL */ `
  fragment Entry on TimelineEntry {
    id occurredAt timelineText isTombstone
    recording { id agentId agent { displayName } startedAt endedAt durationMs state deletion { deletedAt deletedById reason } }
  }
`;
const CUSTOMERS = /* GraphQL */ `query FindCustomers($search: String!) { customers(search: $search, first: 20) { id name } }`;
const TIMELINE = /* GraphQL */ `
  query Timeline($customerId: ID!, $first: Int!, $after: String) {
    customerTimeline(customerId: $customerId, first: $first, after: $after) { edges { cursor node { ...Entry } } pageInfo { hasNextPage endCursor } }
  }
  ${ENTRY}
`;
const CHANGES = /* GraphQL */ `
  subscription TimelineChanges($customerId: ID!) { customerTimelineChanged(customerId: $customerId) { kind entry { ...Entry } } }
  ${ENTRY}
`;
const DOWNLOAD = /* GraphQL */ `mutation Download($recordingId: ID!) { createRecordingDownload(recordingId: $recordingId) { url fileName } }`;
const DELETE = /* GraphQL */ `
  mutation DeleteRecording($input: DeleteRecordingInput!) { deleteRecording(input: $input) { recordingId deletedAt deletedById reason } }
`;
const REDACT = /* GraphQL */ `
  mutation Redact($input: RedactRecordingSegmentInput!) { redactRecordingSegment(input: $input) { fromSeconds toSeconds } }
`;

interface Customer {
  id: string;
  name: string;
}
interface Deletion {
  deletedAt: string;
  deletedById: string;
  reason: string;
}
interface Entry {
  id: string;
  occurredAt: string;
  timelineText: string;
  isTombstone: boolean;
  recording: {
    id: string;
    agentId: string;
    agent: { displayName: string } | null;
    startedAt: string;
    endedAt: string | null;
    durationMs: number | null;
    state: string;
    deletion: Deletion | null;
  };
}
interface Page {
  edges: { cursor: string; node: Entry }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const newestFirst = (a: Entry, b: Entry) => b.recording.startedAt.localeCompare(a.recording.startedAt) || b.id.localeCompare(a.id);

/** Merges entries by id (a live change replaces the entry it is about), newest first. */
function upsert(entries: Entry[], changed: Entry[]): Entry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const entry of changed) byId.set(entry.id, entry);
  return [...byId.values()].sort(newestFirst);
}

type DialogState = { kind: "delete"; entry: Entry } | { kind: "redact"; entry: Entry } | undefined;

/** The compliance Conversation Timeline: find a customer, their calls newest first, Download / Delete / Redact. */
export function TimelineScreen({ session }: { session: Session }) {
  const { api, me } = session;
  const [search, setSearch] = useState("");
  const [customers, setCustomers] = useState<Customer[] | undefined>();
  const [customer, setCustomer] = useState<Customer | undefined>();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [pageInfo, setPageInfo] = useState<Page["pageInfo"] | undefined>();
  const [dialog, setDialog] = useState<DialogState>();
  const [notice, setNotice] = useState<string | undefined>();

  const find = async (event?: Event) => {
    event?.preventDefault();
    setCustomers((await api.request<{ customers: Customer[] }>(CUSTOMERS, { search })).customers);
  };
  useEffect(() => void find(), []);

  const loadPage = async (selected: Customer, after: string | null) => {
    const { customerTimeline } = await api.request<{ customerTimeline: Page }>(TIMELINE, { customerId: selected.id, first: PAGE_SIZE, after });
    setEntries((current) => upsert(after ? current : [], customerTimeline.edges.map((e) => e.node)));
    setPageInfo(customerTimeline.pageInfo);
  };

  useEffect(() => {
    if (!customer) return;
    setEntries([]);
    setPageInfo(undefined);
    void loadPage(customer, null);
    // Deletions, new calls and finished recordings by anyone show up here at once.
    return api.live<{ customerTimelineChanged: { kind: string; entry: Entry | null } }>(CHANGES, { customerId: customer.id }, ({ customerTimelineChanged }) => {
      const { kind, entry } = customerTimelineChanged;
      if (kind !== "SNAPSHOT" && entry) setEntries((current) => upsert(current, [entry]));
    });
  }, [api, customer?.id]);

  const download = async (entry: Entry) => {
    const { createRecordingDownload } = await api.request<{ createRecordingDownload: { url: string; fileName: string } }>(DOWNLOAD, { recordingId: entry.recording.id });
    const link = document.createElement("a");
    link.href = createRecordingDownload.url;
    link.download = createRecordingDownload.fileName;
    document.body.append(link);
    link.click();
    link.remove();
    setNotice(`Downloading ${createRecordingDownload.fileName}`);
  };

  const menuItems = (entry: Entry): MenuItem[] => {
    const state = entry.recording.state;
    const items: MenuItem[] = [];
    if (state === "AVAILABLE" && may(session, "Mutation.createRecordingDownload")) items.push({ label: "Download Recording", onSelect: () => void download(entry).catch((e: Error) => setNotice(e.message)) });
    if (state === "AVAILABLE" && may(session, "Mutation.redactRecordingSegment")) items.push({ label: "Redact a span", onSelect: () => setDialog({ kind: "redact", entry }) });
    if (!["RECORDING", "PAUSED", "PROCESSING", "DELETED"].includes(state) && may(session, "Mutation.deleteRecording")) items.push({ label: "Delete Recording", onSelect: () => setDialog({ kind: "delete", entry }) });
    return items;
  };

  const who = (id: string) => (id === me.id ? me.displayName : `user ${id}`);

  return (
    <section aria-labelledby="timeline-title">
      <h1 id="timeline-title">Conversation Timeline</h1>
      <form class="search" role="search" onSubmit={(event) => void find(event)}>
        <label for="customer-search">Customer name</label>
        <input id="customer-search" type="search" value={search} onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        <button type="submit">Find customer</button>
      </form>
      {customers && (
        <nav aria-label="Customers">
          {customers.length === 0 ? (
            <p>No customer matches.</p>
          ) : (
            <ul class="customers">
              {customers.map((c) => (
                <li key={c.id}>
                  <button type="button" aria-pressed={customer?.id === c.id} onClick={() => setCustomer(c)}>
                    {c.name}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </nav>
      )}
      {customer && (
        <section aria-labelledby="calls-title">
          <h2 id="calls-title">Calls with {customer.name}</h2>
          <ol class="timeline" data-testid="timeline">
            {entries.map((entry) => {
              const r = entry.recording;
              const items = menuItems(entry);
              return (
                <li key={entry.id} class={entry.isTombstone ? "tombstone" : ""} data-recording-id={r.id} data-testid="timeline-entry">
                  <div class="entry-main">
                    <p class="entry-text">{entry.timelineText}</p>
                    <p class="entry-meta">
                      <span>Agent: {r.agent?.displayName ?? r.agentId}</span> · <span>Started {formatTime(r.startedAt)}</span> · <span>Duration {formatDuration(r.durationMs)}</span> ·{" "}
                      <span>State {r.state}</span>
                    </p>
                    {r.deletion && (
                      <p class="entry-deletion">
                        Deleted by {who(r.deletion.deletedById)} on {formatTime(r.deletion.deletedAt)}. Reason: {r.deletion.reason}
                      </p>
                    )}
                  </div>
                  {items.length > 0 && <Menu label={`Recording options for the call of ${formatTime(r.startedAt)}`} items={items} />}
                </li>
              );
            })}
          </ol>
          {entries.length === 0 && pageInfo && <p>No calls yet.</p>}
          {pageInfo?.hasNextPage && (
            <button type="button" onClick={() => void loadPage(customer, pageInfo.endCursor)}>
              Load older calls
            </button>
          )}
        </section>
      )}
      {notice && <p role="status">{notice}</p>}
      {dialog?.kind === "delete" && (
        <DeleteDialog
          entry={dialog.entry}
          onClose={() => setDialog(undefined)}
          onDelete={async (reason) => {
            const { deleteRecording: receipt } = await api.request<{ deleteRecording: Deletion }>(DELETE, { input: { recordingId: dialog.entry.recording.id, reason } });
            const r = dialog.entry.recording;
            setEntries((current) =>
              upsert(current, [{ ...dialog.entry, isTombstone: true, timelineText: "Recording has been deleted", recording: { ...r, state: "DELETED", deletion: receipt } }]),
            );
            setDialog(undefined);
            setNotice("Recording has been deleted.");
          }}
        />
      )}
      {dialog?.kind === "redact" && (
        <RedactDialog
          entry={dialog.entry}
          onClose={() => setDialog(undefined)}
          onRedact={async (fromSeconds, toSeconds, reason) => {
            const { redactRecordingSegment: done } = await api.request<{ redactRecordingSegment: { fromSeconds: number; toSeconds: number } }>(REDACT, {
              input: { recordingId: dialog.entry.recording.id, fromSeconds, toSeconds, reason },
            });
            setDialog(undefined);
            setNotice(`Silenced ${done.fromSeconds.toFixed(2)} s to ${done.toSeconds.toFixed(2)} s; the previous audio was destroyed.`);
          }}
        />
      )}
    </section>
  );
}

function DeleteDialog({ entry, onClose, onDelete }: { entry: Entry; onClose: () => void; onDelete: (reason: string) => Promise<void> }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  return (
    <Dialog title="Delete Recording" onClose={onClose}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (!reason.trim()) return setError("A reason is required.");
          onDelete(reason.trim()).catch((e: Error) => setError(e.message));
        }}
      >
        <p>
          Delete the recording of the call of {formatTime(entry.recording.startedAt)}? <strong>Deleted recordings cannot be recovered.</strong>
        </p>
        <label for="delete-reason">Reason</label>
        <textarea id="delete-reason" required rows={3} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        <DialogFooter error={error} onCancel={onClose} submit="Yes, delete" danger />
      </form>
    </Dialog>
  );
}

function RedactDialog({ entry, onClose, onRedact }: { entry: Entry; onClose: () => void; onRedact: (from: number, to: number, reason: string) => Promise<void> }) {
  const [from, setFrom] = useState("0");
  const [to, setTo] = useState("1");
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | undefined>();
  const seconds = entry.recording.durationMs ? entry.recording.durationMs / 1000 : undefined;
  return (
    <Dialog title="Redact a span" onClose={onClose}>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onRedact(Number(from), Number(to), reason.trim()).catch((e: Error) => setError(e.message));
        }}
      >
        <p>The span becomes silence for good; the previous audio is destroyed.{seconds !== undefined && ` The recording is ${seconds.toFixed(1)} s long.`}</p>
        <label for="redact-from">From (seconds)</label>
        <input id="redact-from" type="number" min="0" step="0.1" required value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        <label for="redact-to">To (seconds)</label>
        <input id="redact-to" type="number" min="0" step="0.1" required value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        <label for="redact-reason">Reason</label>
        <textarea id="redact-reason" required rows={2} value={reason} onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        <DialogFooter error={error} onCancel={onClose} submit="Redact" />
      </form>
    </Dialog>
  );
}
