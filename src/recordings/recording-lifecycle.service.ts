import { TransactionRunner } from "../database/transaction";
import { TimelineChangeKind } from "../events/topics";
import { RecordingEventPublisher } from "./recording-events";
import { ControlSource, RecordingState } from "./recording-state";
import { lockRecording, stateChangedEvent, timelineEvent, transition } from "./recording-store";

export interface ProducedAudio {
  durationMs: number;
  sizeBytes: number;
  sha256: string;
}

/** The system-driven end of a recording's life: PROCESSING → AVAILABLE or FAILED. */
export class RecordingLifecycleService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly events: RecordingEventPublisher,
  ) {}

  async markAvailable(recordingId: string, audio: ProducedAudio | undefined): Promise<boolean> {
    return this.complete(recordingId, RecordingState.AVAILABLE, audio ? { ...audio } : {}, TimelineChangeKind.RECORDING_AVAILABLE);
  }

  async markFailed(recordingId: string): Promise<boolean> {
    return this.complete(recordingId, RecordingState.FAILED, {}, TimelineChangeKind.RECORDING_FAILED);
  }

  private async complete(recordingId: string, state: RecordingState, extra: Partial<ProducedAudio>, kind: TimelineChangeKind): Promise<boolean> {
    return this.transactions.run(async (uow) => {
      const recording = await lockRecording(uow, recordingId);
      if (!recording || recording.state !== RecordingState.PROCESSING) return false;
      const now = new Date();
      await transition(uow, recording, state, now, extra);
      this.events.stateChanged(uow, stateChangedEvent(recording, RecordingState.PROCESSING, null, ControlSource.SYSTEM, [], now));
      this.events.timelineChanged(uow, timelineEvent(kind, recording, now));
      return true;
    });
  }
}
