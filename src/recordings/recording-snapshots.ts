import { ConcurrentModificationError } from "../database/transaction";
import type { PauseHoldEntity } from "./pause-hold.entity";
import { isLive } from "./recording-state";
import type { LockedRecording } from "./recording-store";
import { RecordingEntity } from "./recording.entity";

/**
 * Thrown when a decision taken on a cached snapshot could not be confirmed: its conditional UPDATE found a
 * newer sequence, or the snapshot led to no write at all (a no-op or a refusal is never answered from the
 * cache). The unit is retried at once, on the locked path.
 */
export class StaleSnapshotError extends ConcurrentModificationError {
  constructor(recordingId: string) {
    super(`recording ${recordingId} (cached snapshot)`, true);
    this.name = "StaleSnapshotError";
  }
}

/** Enough for every live call of a large contact center; the oldest snapshot goes first beyond it. */
const MAX_SNAPSHOTS = 20_000;

/**
 * The last committed state of the live recordings this instance changed: the recording row and its active
 * holds at a given `sequence`. Every change to a recording or its holds bumps the sequence, so a snapshot is
 * exact for as long as `UPDATE … WHERE id = ? AND sequence = ?` still matches: pause and resume send their
 * writes and COMMIT in one round trip on it, with no locking read before them. Another instance's change
 * makes the UPDATE match nothing; the unit then fails with StaleSnapshotError and runs again with the lock.
 */
export class RecordingSnapshots {
  private readonly byRecording = new Map<string, LockedRecording>();
  private readonly liveOfAgent = new Map<string, string>();
  /** The copies handed out: the state machine must confirm any decision taken on them. */
  private readonly speculative = new WeakSet<RecordingEntity>();

  /** A copy of the snapshot, for one unit of work to decide on and mutate; undefined when none is cached. */
  ofRecording(recordingId: string): LockedRecording | undefined {
    const snapshot = this.byRecording.get(recordingId);
    if (!snapshot) return undefined;
    const recording = Object.assign(new RecordingEntity(), snapshot.recording);
    this.speculative.add(recording);
    return { recording, holds: [...snapshot.holds] };
  }

  ofLiveCallOfAgent(agentId: string): LockedRecording | undefined {
    const recordingId = this.liveOfAgent.get(agentId);
    return recordingId === undefined ? undefined : this.ofRecording(recordingId);
  }

  isSpeculative(recording: RecordingEntity): boolean {
    return this.speculative.has(recording);
  }

  /** After a commit: the recording as it now stands. Out-of-order callbacks never replace a newer snapshot. */
  remember(recording: RecordingEntity, holds: PauseHoldEntity[]): void {
    const known = this.byRecording.get(recording.id);
    if (known && known.recording.sequence >= recording.sequence) return;
    if (!isLive(recording.state)) return this.forget(recording.id);
    this.byRecording.delete(recording.id);
    this.byRecording.set(recording.id, { recording: Object.assign(new RecordingEntity(), recording), holds: [...holds] });
    this.liveOfAgent.set(recording.agentId, recording.id);
    if (this.byRecording.size > MAX_SNAPSHOTS) this.forget(this.byRecording.keys().next().value as string);
  }

  forget(recordingId: string): void {
    const snapshot = this.byRecording.get(recordingId);
    this.byRecording.delete(recordingId);
    if (snapshot && this.liveOfAgent.get(snapshot.recording.agentId) === recordingId) this.liveOfAgent.delete(snapshot.recording.agentId);
  }

  /** The snapshot did not hold: dropped, and the unit told to run again on the locked path. */
  stale(recordingId: string): StaleSnapshotError {
    this.forget(recordingId);
    return new StaleSnapshotError(recordingId);
  }
}
