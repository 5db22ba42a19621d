import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode, notFound } from "../common/errors";
import { TransactionRunner } from "../database/transaction";
import { TimelineChangeKind } from "../events/topics";
import type { RecordingShredder } from "./recording-finalizer";
import { RecordingEventPublisher } from "./recording-events";
import { ControlSource, RecordingState } from "./recording-state";
import { lockRecording, stateChangedEvent, timelineEvent, transition } from "./recording-store";
import type { RecordingEntity } from "./recording.entity";
import { requireVisibleText } from "../common/reason";

export interface DeletionReceipt {
  recordingId: string;
  deletedAt: Date;
  deletedById: string;
  reason: string;
  mp3Sha256: string | null;
}

export const DELETION_REASON_MAX = 1000;
const DELETABLE: readonly RecordingState[] = [RecordingState.AVAILABLE, RecordingState.FAILED];

export class RecordingDeletionService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly events: RecordingEventPublisher,
    private readonly shredder: RecordingShredder,
  ) {}

  /**
   * Replaces the recording with a tombstone and destroys its audio in the same transaction.
   * Deleting a deleted recording returns the original receipt and changes nothing.
   */
  async delete(viewer: Viewer, requestId: string, recordingId: string, reason: string): Promise<DeletionReceipt> {
    const trimmed = requireVisibleText(reason, { field: "reason", max: DELETION_REASON_MAX, requiredFor: "to delete a recording" });
    return this.transactions.run(async (uow) => {
      const recording = await lockRecording(uow, recordingId);
      if (!recording) throw notFound("Recording", recordingId);
      if (recording.state === RecordingState.DELETED) return receiptOf(recording);
      if (!DELETABLE.includes(recording.state)) {
        throw new DomainError(ErrorCode.RecordingInProgress, `recording ${recording.id} is ${recording.state}; end the call before deleting it`, {
          state: recording.state,
        });
      }
      const now = new Date();
      const previousState = recording.state;
      await this.shredder.shredInTransaction(uow, recording.id);
      await transition(uow, recording, RecordingState.DELETED, now, { deletedAt: now, deletedById: viewer.userId, deletionReason: trimmed });
      await this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.RECORDING_DELETED,
        targetType: "RECORDING",
        targetId: recording.id,
        details: { reason: trimmed, previousState, mp3Sha256: recording.sha256, agentId: recording.agentId, customerId: recording.customerId },
        requestId,
      });
      this.events.stateChanged(uow, stateChangedEvent(recording, previousState, viewer.userId, ControlSource.API, [], now));
      this.events.timelineChanged(uow, timelineEvent(TimelineChangeKind.RECORDING_DELETED, recording, now));
      return receiptOf(recording);
    });
  }
}

function receiptOf(recording: RecordingEntity): DeletionReceipt {
  return {
    recordingId: recording.id,
    deletedAt: recording.deletedAt as Date,
    deletedById: recording.deletedById as string,
    reason: recording.deletionReason as string,
    mp3Sha256: recording.sha256,
  };
}
