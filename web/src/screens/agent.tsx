import { useEffect, useState } from "preact/hooks";
import { ApiError, ConnectionState } from "../api";
import { Hold, holderName } from "../holds";
import type { Session } from "../session";

const WATCH = /* GraphQL */ `
  subscription WatchMyCall($agentId: ID!) {
    recordingStateChanged(agentId: $agentId) { kind recordingId sequence state activeHolds { holderId holdKey source } }
  }
`;
const PAUSE = /* GraphQL */ `
  mutation PauseMyCall($input: PauseRecordingInput!) { pauseRecording(input: $input) { id sequence state activeHolds { holderId holdKey source } } }
`;
const RESUME = /* GraphQL */ `
  mutation ResumeMyCall($input: ResumeRecordingInput!) { resumeRecording(input: $input) { id sequence state activeHolds { holderId holdKey source } } }
`;

type LiveState = "RECORDING" | "PAUSED";
type CallView = { kind: "unknown" } | { kind: "none" } | { kind: "live"; recordingId: string; sequence: number; state: LiveState; holds: Hold[] };

interface StateMessage {
  recordingStateChanged: { kind: "SNAPSHOT" | "CHANGE"; recordingId: string | null; sequence: number | null; state: string | null; activeHolds: Hold[] };
}
interface RecordingAnswer {
  id: string;
  sequence: number;
  state: string;
  activeHolds: Hold[];
}

const isLive = (state: string | null): state is LiveState => state === "RECORDING" || state === "PAUSED";

function viewOf(recordingId: string | null, sequence: number | null, state: string | null, holds: Hold[]): CallView {
  return recordingId && isLive(state) ? { kind: "live", recordingId, sequence: sequence ?? 0, state, holds } : { kind: "none" };
}

/** Applies a message unless it is older than what is shown (the mutation's answer and its event can cross). */
function merge(current: CallView, next: CallView, snapshot: boolean): CallView {
  if (snapshot || current.kind !== "live" || next.kind !== "live" || next.recordingId !== current.recordingId) return next;
  return next.sequence >= current.sequence ? next : current;
}

/**
 * The agent's Voice Control bar: the record indicator flashes red while recording and turns black with
 * "Recording Paused" while any hold is active. The button toggles the agent's own hold only.
 */
export function AgentScreen({ session }: { session: Session }) {
  const { api, me } = session;
  const [view, setView] = useState<CallView>({ kind: "unknown" });
  const [connection, setConnection] = useState<ConnectionState>(api.connection);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const offConnection = api.onConnection((state) => {
      setConnection(state);
      // Whatever was shown may be stale once the connection is gone: never keep showing "Recording".
      if (state === "reconnecting") setView({ kind: "unknown" });
    });
    const stop = api.live<StateMessage>(WATCH, { agentId: me.id }, ({ recordingStateChanged: m }) => {
      setView((current) => merge(current, viewOf(m.recordingId, m.sequence, m.state, m.activeHolds), m.kind === "SNAPSHOT"));
    });
    return () => {
      offConnection();
      stop();
    };
  }, [api, me.id]);

  const myHold = view.kind === "live" && view.holds.some((hold) => hold.holderId === me.id);
  const toggle = async () => {
    if (view.kind !== "live" || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const data = myHold
        ? (await api.request<{ resumeRecording: RecordingAnswer }>(RESUME, { input: { agentId: me.id } })).resumeRecording
        : (await api.request<{ pauseRecording: RecordingAnswer }>(PAUSE, { input: { agentId: me.id } })).pauseRecording;
      setView((current) => merge(current, viewOf(data.id, data.sequence, data.state, data.activeHolds), false));
    } catch (caught) {
      setError(caught instanceof ApiError && caught.code === "NO_LIVE_RECORDING" ? "The call has ended." : String((caught as Error).message));
    } finally {
      setBusy(false);
    }
  };

  const others = view.kind === "live" ? [...new Set(view.holds.filter((hold) => hold.holderId !== me.id).map((hold) => holderName(hold, me.id)))] : [];

  return (
    <section aria-labelledby="voice-title" class="voice">
      <h1 id="voice-title">Voice Control</h1>
      {view.kind === "live" && view.state === "PAUSED" && (
        <p class="paused-banner" data-testid="paused-banner">
          Recording Paused
        </p>
      )}
      <div class="voice-bar" role="group" aria-label="Voice Control bar">
        {view.kind === "unknown" ? (
          <p class="indicator unknown" role="status" data-testid="connection-status">
            <span class="dot" aria-hidden="true" />
            {connection === "reconnecting" ? "Reconnecting…" : "Connecting…"}
          </p>
        ) : view.kind === "none" ? (
          <p class="indicator none" role="status" data-testid="no-call">
            No call: nothing is being recorded.
          </p>
        ) : (
          <button
            type="button"
            class={`indicator ${view.state === "RECORDING" ? "recording" : "paused"}`}
            aria-pressed={myHold}
            aria-describedby="indicator-help"
            data-testid="record-indicator"
            data-state={view.state}
            onClick={() => void toggle()}
          >
            <span class="dot" aria-hidden="true" />
            <span class="label">{view.state === "RECORDING" ? "Recording" : "Recording Paused"}</span>
          </button>
        )}
        <span class="sr-only" aria-live="polite">
          {view.kind === "live" ? (view.state === "RECORDING" ? "Recording" : "Recording paused") : ""}
        </span>
      </div>
      {view.kind === "live" && (
        <div class="voice-help">
          <p id="indicator-help">
            {myHold ? "Press to lift your pause (Space or Enter)." : "Press to pause recording while sensitive details are spoken (Space or Enter)."}
          </p>
          {others.length > 0 && (
            <p data-testid="other-holds">
              {others.map((name) => `Paused by ${name}`).join(". ")}.
            </p>
          )}
          {view.state === "PAUSED" && (
            <p class="hint">Your resume lifts only your own pause; recording continues when no other pause remains.</p>
          )}
        </div>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
