import { RecordingSnapshots, StaleSnapshotError } from "../../src/recordings/recording-snapshots";
import { RecordingState } from "../../src/recordings/recording-state";
import { RecordingEntity } from "../../src/recordings/recording.entity";

const recording = (id: string, sequence: number, state = RecordingState.RECORDING, agentId = "agent-1") =>
  Object.assign(new RecordingEntity(), { id, agentId, callId: `call-${id}`, customerId: "c", state, sequence, startedAt: new Date(0), updatedAt: new Date(sequence) });

describe("RecordingSnapshots", () => {
  it("hands out copies: a unit mutating its copy changes neither the snapshot nor the next copy", () => {
    const snapshots = new RecordingSnapshots();
    snapshots.remember(recording("r1", 3), []);
    const first = snapshots.ofRecording("r1")!;
    first.recording.sequence = 99;
    first.holds.push({} as never);
    expect(snapshots.ofRecording("r1")).toMatchObject({ recording: { sequence: 3 }, holds: [] });
    expect(snapshots.isSpeculative(first.recording)).toBe(true);
    expect(snapshots.isSpeculative(recording("r1", 3))).toBe(false);
  });

  it("never replaces a newer snapshot with an older one (after-commit callbacks may run out of order)", () => {
    const snapshots = new RecordingSnapshots();
    snapshots.remember(recording("r1", 5, RecordingState.PAUSED), []);
    snapshots.remember(recording("r1", 4), []);
    expect(snapshots.ofRecording("r1")!.recording).toMatchObject({ sequence: 5, state: RecordingState.PAUSED });
  });

  it("keeps live recordings only, and finds an agent's live call", () => {
    const snapshots = new RecordingSnapshots();
    snapshots.remember(recording("r1", 2), []);
    expect(snapshots.ofLiveCallOfAgent("agent-1")!.recording.id).toBe("r1");
    snapshots.remember(recording("r1", 3, RecordingState.PROCESSING), []);
    expect(snapshots.ofRecording("r1")).toBeUndefined();
    expect(snapshots.ofLiveCallOfAgent("agent-1")).toBeUndefined();
  });

  it("drops a snapshot found stale, and its error asks for an immediate retry", () => {
    const snapshots = new RecordingSnapshots();
    snapshots.remember(recording("r1", 2), []);
    const error = snapshots.stale("r1");
    expect(error).toBeInstanceOf(StaleSnapshotError);
    expect(error.retryAtOnce).toBe(true);
    expect(snapshots.ofRecording("r1")).toBeUndefined();
    expect(snapshots.ofLiveCallOfAgent("agent-1")).toBeUndefined();
  });

  it("an agent's new call replaces the old one in the agent index without losing track of either", () => {
    const snapshots = new RecordingSnapshots();
    snapshots.remember(recording("old", 2), []);
    snapshots.remember(recording("new", 1), []);
    expect(snapshots.ofLiveCallOfAgent("agent-1")!.recording.id).toBe("new");
    snapshots.forget("old");
    expect(snapshots.ofLiveCallOfAgent("agent-1")!.recording.id).toBe("new");
  });
});
