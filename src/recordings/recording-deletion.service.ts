import { AuditAction } from "../audit/audit-action";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode, notFound } from "../common/errors";
import type { LegalHoldService } from "../legal-holds/legal-hold.service";
import type { UnitOfWork } from "../database/transaction";
import { TimelineChangeKind } from "../events/topics";
import type { RecordingShredder } from "./recording-finalizer";
import { canApply, RecordingStateMachine, RecordingTransition } from "./recording-state-machine";
import { ControlSource, RecordingState } from "./recording-state";
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
    const trimmed = requireVisibleText(reason, { field: "reason", max: DELETION_REASON_MAX, requiredFor: "to delete a recording" });
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
      await this.destroy(uow, recording, {
        transition: RecordingTransition.DELETE,
        actor: viewer,
        deletedById: viewer.userId,
        reason: trimmed,
        action: AuditAction.RECORDING_DELETED,
        requestId,
        details: {},
      });
      return receiptOf(recording);
    });
  }

  /**
   * The retention job's deletion, inside its batch transaction: the same destruction as `delete`, audited as
   * RECORDING_EXPIRED with the policy that applied. `stillExpired` re-reads the policy under the row lock, so
   * a policy changed mid-run is honoured. Already deleted, not deletable, held or no longer expired: skipped.
   */
  async expireInTransaction(uow: UnitOfWork, recordingId: string, expiry: RecordingExpiry): Promise<ExpiryOutcome> {
    const locked = await this.machine.lock(uow, recordingId);
    if (!locked || !canApply(RecordingTransition.EXPIRE, locked.recording.state)) return "SKIPPED";
    const { recording } = locked;
    const policy = await expiry.stillExpired(uow, recording);
    if (!policy) return "SKIPPED";
    try {
      await this.legalHolds.assertNotHeld(uow, recording);
    } catch (error) {
      if (error instanceof DomainError && error.code === ErrorCode.LegalHold) return "HELD";
      throw error;
    }
    await this.destroy(uow, recording, {
      transition: RecordingTransition.EXPIRE,
      actor: undefined,
      deletedById: policy.setById,
      reason: policy.reason,
      action: AuditAction.RECORDING_EXPIRED,
      requestId: expiry.requestId,
      details: { policy: policy.details },
    });
    return "EXPIRED";
  }

  private async destroy(uow: UnitOfWork, recording: RecordingEntity, how: Destruction): Promise<void> {
    const now = new Date();
    await this.shredder.shredInTransaction(uow, recording.id);
    await this.machine.apply(uow, recording, {
      transition: how.transition,
      at: now,
      actor: how.actor,
      source: how.actor ? ControlSource.API : ControlSource.SYSTEM,
      changes: { deletedAt: now, deletedById: how.deletedById, deletionReason: how.reason },
      activeHolds: [],
      audit: {
        action: how.action,
        requestId: how.requestId,
        details: (deleted, result) => ({
          reason: how.reason,
          previousState: result.previousState,
          mp3Sha256: deleted.sha256,
          agentId: deleted.agentId,
          customerId: deleted.customerId,
          ...how.details,
        }),
      },
      timeline: TimelineChangeKind.RECORDING_DELETED,
    });
  }
}

/** The retention policy that expired a recording, as the tombstone and the audit entry record it. */
export interface AppliedPolicy {
  /** "Retention: N days". */
  reason: string;
  /** Who set the policy: the tombstone's `deletedById`. */
  setById: string;
  details: Record<string, unknown>;
}

export interface RecordingExpiry {
  requestId: string;
  /** The policy under which the (locked) recording is expired now, or null when it no longer is. */
  stillExpired(uow: UnitOfWork, recording: RecordingEntity): Promise<AppliedPolicy | null>;
}

export type ExpiryOutcome = "EXPIRED" | "HELD" | "SKIPPED";

interface Destruction {
  transition: RecordingTransition.DELETE | RecordingTransition.EXPIRE;
  actor: Viewer | undefined;
  deletedById: string;
  reason: string;
  action: AuditAction;
  requestId: string;
  details: Record<string, unknown>;
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
