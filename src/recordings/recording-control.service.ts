import { AuditAction } from "../audit/audit-action";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode, notFound } from "../common/errors";
import { UnitOfWork } from "../database/transaction";
import { UserService } from "../users/user.service";
import type { PauseHoldEntity } from "./pause-hold.entity";
import { assertMayControlAgent } from "../auth/row-rules";
import { RecordingStateMachine, RecordingTransition } from "./recording-state-machine";
import { ControlSource, HoldReleaseKind, isLive, RecordingState } from "./recording-state";
import { holdSnapshot, LockedRecording } from "./recording-store";
import { RecordingEntity } from "./recording.entity";
import { optionalVisibleText } from "../common/reason";

export type RecordingTarget = { agentRef: string; recordingId?: undefined } | { recordingId: string; agentRef?: undefined };

export interface PauseCommand {
  target: RecordingTarget;
  /** When the request arrived at the edge: the paused interval starts here, not when the transaction got the lock. */
  requestedAt: Date;
  holdKey?: string;
  reason?: string;
  source: ControlSource;
}

export interface ResumeCommand {
  target: RecordingTarget;
  holdKey?: string;
  reason?: string;
  force: boolean;
  source: ControlSource;
}

export interface RecordingWithHolds {
  recording: RecordingEntity;
  activeHolds: PauseHoldEntity[];
}

export const HOLD_KEY_MAX = 100;
export const REASON_MAX = 500;

export class RecordingControlService {
  constructor(
    private readonly machine: RecordingStateMachine,
    private readonly users: UserService,
  ) {}

  /** Adds the caller's hold. Pausing with a hold that is already active changes nothing and emits nothing. */
  async pause(viewer: Viewer, requestId: string, command: PauseCommand): Promise<RecordingWithHolds> {
    const holdKey = validateHoldKey(command.holdKey);
    const reason = validateReason(command.reason);
    const agentId = await this.resolveAgent(viewer, command.target);
    return this.machine.run(async (uow) => {
      const { recording, holds } = await this.lockTarget(uow, viewer, command.target, agentId);
      if (holds.some((h) => h.holderId === viewer.userId && h.holdKey === holdKey)) {
        this.machine.confirm(recording);
        return { recording, activeHolds: holds };
      }
      const now = new Date();
      // Never before the last transition (the resume that closed the previous interval, or the start).
      const effectiveAt = new Date(Math.min(now.getTime(), Math.max(command.requestedAt.getTime(), recording.updatedAt.getTime())));
      const { activeHolds } = await this.machine.apply(uow, recording, {
        transition: recording.state === RecordingState.RECORDING ? RecordingTransition.PAUSE : RecordingTransition.ADD_HOLD,
        at: now,
        effectiveAt,
        actor: viewer,
        source: command.source,
        addHold: { holderId: viewer.userId, holdKey, reason, source: command.source },
        activeHolds: holds,
        lastWriteOfUnit: true,
        audit: {
          action: AuditAction.RECORDING_PAUSED,
          requestId,
          details: (changed, result) => ({
            agentId: changed.agentId,
            holdKey,
            reason,
            source: command.source,
            previousState: result.previousState,
            state: changed.state,
            sequence: changed.sequence,
            pauseIntervalId: result.hold?.intervalId,
            ...(result.interval ? { offsetMs: result.interval.startOffsetMs } : {}),
            activeHolds: result.activeHolds.map(holdSnapshot),
          }),
        },
      });
      return { recording, activeHolds };
    });
  }

  /**
   * Releases the caller's own holds (only `holdKey`'s, when given); recording resumes once none remain.
   * `force` releases every hold. With nothing to release it changes nothing and emits nothing.
   */
  async resume(viewer: Viewer, requestId: string, command: ResumeCommand): Promise<RecordingWithHolds> {
    const holdKey = command.holdKey === undefined ? undefined : validateHoldKey(command.holdKey);
    const reason = validateReason(command.reason);
    const agentId = await this.resolveAgent(viewer, command.target);
    return this.machine.run(async (uow) => {
      const { recording, holds } = await this.lockTarget(uow, viewer, command.target, agentId);
      const releasing = command.force
        ? holds
        : holds.filter((h) => h.holderId === viewer.userId && (holdKey === undefined || h.holdKey === holdKey));
      if (releasing.length === 0) {
        this.machine.confirm(recording);
        return { recording, activeHolds: holds };
      }

      const remaining = holds.filter((h) => !releasing.includes(h));
      await this.machine.apply(uow, recording, {
        transition: remaining.length > 0 ? RecordingTransition.RELEASE_HOLD : RecordingTransition.RESUME,
        at: new Date(),
        actor: viewer,
        source: command.source,
        releaseHolds: { holds: releasing, by: viewer.userId, kind: command.force ? HoldReleaseKind.FORCED : HoldReleaseKind.RESUMED },
        activeHolds: remaining,
        lastWriteOfUnit: true,
        audit: {
          action: command.force ? AuditAction.RECORDING_RESUMED_FORCED : AuditAction.RECORDING_RESUMED,
          requestId,
          details: (changed, result) => ({
            agentId: changed.agentId,
            holdKey: holdKey ?? null,
            reason,
            source: command.source,
            previousState: result.previousState,
            state: changed.state,
            sequence: changed.sequence,
            releasedHolds: releasing.map(holdSnapshot),
            remainingHolds: remaining.map(holdSnapshot),
          }),
        },
      });
      return { recording, activeHolds: remaining };
    });
  }

  /** Resolves an agent reference (id or email) before the transaction, and applies the row rule to it. */
  private async resolveAgent(viewer: Viewer, target: RecordingTarget): Promise<string | undefined> {
    if ((target.agentRef === undefined) === (target.recordingId === undefined)) {
      throw badInput("give exactly one of agentId or recordingId");
    }
    if (target.agentRef === undefined) return undefined;
    // An agent acting on their own call names themselves: no lookup needed.
    const agentId =
      target.agentRef === viewer.userId || target.agentRef.toLowerCase() === viewer.email.toLowerCase()
        ? viewer.userId
        : (await this.users.getByReference(target.agentRef, "Agent")).id;
    assertMayControlAgent(viewer, agentId);
    return agentId;
  }

  /** Pause and resume write only through `apply`, so they may decide on the last committed snapshot (see lockOrSnapshot). */
  private async lockTarget(uow: UnitOfWork, viewer: Viewer, target: RecordingTarget, agentId: string | undefined): Promise<LockedRecording> {
    if (agentId !== undefined) {
      const live = await this.machine.lockLiveOfAgentOrSnapshot(uow, agentId);
      if (!live) {
        throw new DomainError(ErrorCode.NoLiveRecording, `agent ${target.agentRef} has no live call recording`, { agentId });
      }
      return live;
    }
    const locked = await this.machine.lockOrSnapshot(uow, target.recordingId as string);
    if (!locked) throw notFound("Recording", target.recordingId as string);
    assertMayControlAgent(viewer, locked.recording.agentId);
    if (!isLive(locked.recording.state)) {
      this.machine.confirm(locked.recording);
      throw new DomainError(ErrorCode.RecordingNotLive, `recording ${locked.recording.id} is ${locked.recording.state}, not live`, {
        state: locked.recording.state,
      });
    }
    return locked;
  }
}

function validateHoldKey(holdKey: string | undefined): string {
  const key = (holdKey ?? "").trim();
  if (key.length > HOLD_KEY_MAX) throw badInput(`holdKey must be at most ${HOLD_KEY_MAX} characters`, "holdKey");
  return key;
}

function validateReason(reason: string | undefined): string | null {
  if (reason === undefined || reason === null) return null;
  return optionalVisibleText(reason, { field: "reason", max: REASON_MAX });
}
