import { TimelineChangeKind } from "../events/topics";
import { RecordingStateMachine, RecordingTransition } from "./recording-state-machine";
import { ControlSource, RecordingState } from "./recording-state";

export interface ProducedAudio {
  durationMs: number;
  sizeBytes: number;
  sha256: string;
}

/** The system-driven end of a recording's life: PROCESSING → AVAILABLE or FAILED. */
export class RecordingLifecycleService {
  constructor(private readonly machine: RecordingStateMachine) {}

  async markAvailable(recordingId: string, audio: ProducedAudio | undefined): Promise<boolean> {
    return this.settle(recordingId, RecordingTransition.SETTLE_AVAILABLE, audio ? { ...audio } : {}, TimelineChangeKind.RECORDING_AVAILABLE);
  }

  async markFailed(recordingId: string): Promise<boolean> {
    return this.settle(recordingId, RecordingTransition.SETTLE_FAILED, {}, TimelineChangeKind.RECORDING_FAILED);
  }

  /** Settling is idempotent: a recording that is not (or no longer) PROCESSING is left as it is. */
  private async settle(recordingId: string, transition: RecordingTransition, changes: Partial<ProducedAudio>, timeline: TimelineChangeKind): Promise<boolean> {
    return this.machine.run(async (uow) => {
      const locked = await this.machine.lock(uow, recordingId);
      if (!locked || locked.recording.state !== RecordingState.PROCESSING) return false;
      await this.machine.apply(uow, locked.recording, {
        transition,
        at: new Date(),
        actor: undefined,
        source: ControlSource.SYSTEM,
        changes,
        activeHolds: [],
        timeline,
      });
      return true;
    });
  }
}
