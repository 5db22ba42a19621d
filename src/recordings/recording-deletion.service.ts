import { AuditAction } from "../audit/audit-action";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode, notFound } from "../common/errors";
import type { LegalHoldService } from "../legal-holds/legal-hold.service";
import { TimelineChangeKind } from "../events/topics";
import type { RecordingShredder } from "./recording-finalizer";
import { canApply, RecordingStateMachine, RecordingTransition } from "./recording-state-machine";
import { ControlSource, RecordingState } from "./recording-state";
import type { RecordingEntity } from "./recording.entity";

export interface DeletionReceipt {
  recordingId: string;
  deletedAt: Date;
  deletedById: string;
  reason: string;
  mp3Sha256: string | null;
}

export const DELETION_REASON_MAX = 1000;

export class RecordingDeletionService {
  constructor(
    private readonly machine: RecordingStateMachine,
    private readonly shredder: RecordingShredder,
    private readonly legalHolds: Pick<LegalHoldService, "assertNotHeld">,
  ) {}

  /**
   * Replaces the recording with a tombstone and destroys its audio in the same transaction.
   * Deleting a deleted recording returns the original receipt and changes nothing.
   */
  async delete(viewer: Viewer, requestId: string, recordingId: string, reason: string): Promise<DeletionReceipt> {
    const trimmed = (reason ?? "").trim();
    if (!trimmed) throw badInput("a reason is required to delete a recording", "reason");
    if (trimmed.length > DELETION_REASON_MAX) throw badInput(`reason must be at most ${DELETION_REASON_MAX} characters`, "reason");
    return this.machine.run(async (uow) => {
      const locked = await this.machine.lock(uow, recordingId);
      if (!locked) throw notFound("Recording", recordingId);
      const { recording } = locked;
      if (recording.state === RecordingState.DELETED) return receiptOf(recording);
      if (!canApply(RecordingTransition.DELETE, recording.state)) {
        throw new DomainError(ErrorCode.RecordingInProgress, `recording ${recording.id} is ${recording.state}; end the call before deleting it`, {
          state: recording.state,
        });
      }
      await this.legalHolds.assertNotHeld(uow, recording);
      const now = new Date();
      await this.shredder.shredInTransaction(uow, recording.id);
      await this.machine.apply(uow, recording, {
        transition: RecordingTransition.DELETE,
        at: now,
        actor: viewer,
        source: ControlSource.API,
        changes: { deletedAt: now, deletedById: viewer.userId, deletionReason: trimmed },
        activeHolds: [],
        audit: {
          action: AuditAction.RECORDING_DELETED,
          requestId,
          details: (deleted, result) => ({
            reason: trimmed,
            previousState: result.previousState,
            mp3Sha256: deleted.sha256,
            agentId: deleted.agentId,
            customerId: deleted.customerId,
          }),
        },
        timeline: TimelineChangeKind.RECORDING_DELETED,
      });
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
