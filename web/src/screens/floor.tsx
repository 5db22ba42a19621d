import { useEffect, useState } from "preact/hooks";
import type { ConnectionState } from "../api";
import { Hold, holderName } from "../holds";
import type { Session } from "../session";

const AGENTS = /* GraphQL */ `query FloorAgents { agents { id email displayName } }`;
const WATCH = /* GraphQL */ `
  subscription WatchAgent($agentId: ID!) {
    recordingStateChanged(agentId: $agentId) { kind recordingId sequence state activeHolds { holderId holdKey source } }
  }
`;
const FORCE_RESUME = /* GraphQL */ `
  mutation ForceResume($input: ResumeRecordingInput!) { resumeRecording(input: $input) { id state sequence activeHolds { holderId holdKey source } } }
`;

interface Agent {
  id: string;
  email: string;
  displayName: string;
}
interface AgentState {
  recordingId: string | null;
  sequence: number;
  state: string | null;
  holds: Hold[];
}

const label = (state: string | null | undefined) =>
  state === "RECORDING" ? "Recording" : state === "PAUSED" ? "Recording Paused" : state === undefined ? "…" : "No call";

/** The team manager's floor: every agent's live recording state at once, updating live, with force-resume. */
export function FloorScreen({ session }: { session: Session }) {
  const { api, me } = session;
  const [agents, setAgents] = useState<Agent[] | undefined>();
  const [states, setStates] = useState<Record<string, AgentState>>({});
  const [connection, setConnection] = useState<ConnectionState>(api.connection);
  const [message, setMessage] = useState<string | undefined>();

  useEffect(() => {
    void api.request<{ agents: Agent[] }>(AGENTS).then(({ agents }) => setAgents(agents), (error: Error) => setMessage(error.message));
    return api.onConnection((state) => {
      setConnection(state);
      if (state === "reconnecting") setStates({});
    });
  }, [api]);

  useEffect(() => {
    if (!agents) return;
    const stops = agents.map((agent) =>
      api.live<{ recordingStateChanged: { kind: string; recordingId: string | null; sequence: number | null; state: string | null; activeHolds: Hold[] } }>(
        WATCH,
        { agentId: agent.id },
        ({ recordingStateChanged: m }) =>
          setStates((current) => {
            const previous = current[agent.id];
            const stale = m.kind !== "SNAPSHOT" && previous && previous.recordingId === m.recordingId && (m.sequence ?? 0) < previous.sequence;
            return stale ? current : { ...current, [agent.id]: { recordingId: m.recordingId, sequence: m.sequence ?? 0, state: m.state, holds: m.activeHolds } };
          }),
      ),
    );
    return () => stops.forEach((stop) => stop());
  }, [api, agents]);

  const forceResume = async (agent: Agent) => {
    setMessage(undefined);
    try {
      await api.request(FORCE_RESUME, { input: { agentId: agent.id, force: true, reason: "forced from the team floor" } });
      setMessage(`Recording resumed for ${agent.displayName}.`);
    } catch (error) {
      setMessage(`Could not resume ${agent.displayName}: ${(error as Error).message}`);
    }
  };

  return (
    <section aria-labelledby="floor-title">
      <h1 id="floor-title">Team floor</h1>
      {connection === "reconnecting" && <p role="status">Reconnecting…</p>}
      {!agents ? (
        <p role="status">Loading agents…</p>
      ) : (
        <table class="floor">
          <caption>Every agent's live recording state</caption>
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Recording</th>
              <th scope="col">Paused by</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {agents.map((agent) => {
              const state = states[agent.id];
              return (
                <tr key={agent.id} data-testid={`floor-${agent.email}`}>
                  <th scope="row">
                    {agent.displayName} <span class="hint">{agent.email}</span>
                  </th>
                  <td>
                    <span class={`chip ${state?.state === "RECORDING" ? "recording" : state?.state === "PAUSED" ? "paused" : "idle"}`} data-state={state?.state ?? ""}>
                      {label(state ? state.state : undefined)}
                    </span>
                  </td>
                  <td>{state?.holds.length ? [...new Set(state.holds.map((h) => holderName(h, me.id)))].join(", ") : "—"}</td>
                  <td>
                    {state?.state === "PAUSED" ? (
                      <button type="button" onClick={() => void forceResume(agent)}>
                        Force resume<span class="sr-only"> for {agent.displayName}</span>
                      </button>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}
