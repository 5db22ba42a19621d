import { AuditAction } from "../audit/audit-action";
import { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { badInput, DomainError, ErrorCode, notFound } from "../common/errors";
import { TransactionRunner, UnitOfWork } from "../database/transaction";
import { UserService } from "../users/user.service";
import type { PauseHoldEntity } from "./pause-hold.entity";
import { assertMayControlAgent } from "./recording-access";
import { RecordingEventPublisher } from "./recording-events";
import { ControlSource, HoldReleaseKind, isLive, RecordingState } from "./recording-state";
import {
  activeHolds,
  addHold,
  closePauseInterval,
  currentPauseInterval,
  findLiveRecordingOfAgent,
  holdSnapshot,
  lockRecording,
  openPauseInterval,
  releaseHolds,
  stateChangedEvent,
  transition,
} from "./recording-store";
import { RecordingEntity } from "./recording.entity";
import { optionalVisibleText } from "../common/reason";

export type RecordingTarget = { agentRef: string; recordingId?: undefined } | { recordingId: string; agentRef?: undefined };

export interface PauseCommand {
  target: RecordingTarget;
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
    private readonly transactions: TransactionRunner,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly events: RecordingEventPublisher,
  ) {}

  /** Adds the caller's hold. Pausing with a hold that is already active changes nothing and emits nothing. */
  async pause(viewer: Viewer, requestId: string, command: PauseCommand): Promise<RecordingWithHolds> {
    const holdKey = validateHoldKey(command.holdKey);
    const reason = validateReason(command.reason);
    const agentId = await this.resolveAgent(viewer, command.target);
    return this.transactions.run(async (uow) => {
      const recording = await this.lockTarget(uow, viewer, command.target, agentId);
      const holds = await activeHolds(uow.manager, recording.id);
      if (holds.some((h) => h.holderId === viewer.userId && h.holdKey === holdKey)) {
        return { recording, activeHolds: holds };
      }
      const now = new Date();
      const previousState = recording.state;
      const interval =
        previousState === RecordingState.RECORDING
          ? await openPauseInterval(uow, recording, now)
          : await currentPauseInterval(uow.manager, recording.id);
      if (!interval) throw new Error(`paused recording ${recording.id} has no open pause interval`);
      await transition(uow, recording, RecordingState.PAUSED, now);
      const hold = await addHold(uow, recording.id, interval.id, { holderId: viewer.userId, holdKey, reason, source: command.source }, now);
      const holdsNow = [...holds, hold];
      await this.audit.append(uow, {
        actor: viewer,
        action: AuditAction.RECORDING_PAUSED,
        targetType: "RECORDING",
        targetId: recording.id,
        details: {
          agentId: recording.agentId,
          holdKey,
          reason,
          source: command.source,
          previousState,
          state: recording.state,
          sequence: recording.sequence,
          pauseIntervalId: interval.id,
          offsetMs: interval.startOffsetMs,
          activeHolds: holdsNow.map(holdSnapshot),
        },
        requestId,
      });
      this.events.stateChanged(uow, stateChangedEvent(recording, previousState, viewer.userId, command.source, holdsNow, now));
      return { recording, activeHolds: holdsNow };
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
    return this.transactions.run(async (uow) => {
      const recording = await this.lockTarget(uow, viewer, command.target, agentId);
      const holds = await activeHolds(uow.manager, recording.id);
      const releasing = command.force
        ? holds
        : holds.filter((h) => h.holderId === viewer.userId && (holdKey === undefined || h.holdKey === holdKey));
      if (releasing.length === 0) return { recording, activeHolds: holds };

      const now = new Date();
      const previousState = recording.state;
      const remaining = holds.filter((h) => !releasing.includes(h));
      const nextState = remaining.length > 0 ? RecordingState.PAUSED : RecordingState.RECORDING;
      await releaseHolds(uow, releasing, viewer.userId, command.force ? HoldReleaseKind.FORCED : HoldReleaseKind.RESUMED, now);
      if (nextState === RecordingState.RECORDING) await closePauseInterval(uow, recording, now);
      await transition(uow, recording, nextState, now);
      await this.audit.append(uow, {
        actor: viewer,
        action: command.force ? AuditAction.RECORDING_RESUMED_FORCED : AuditAction.RECORDING_RESUMED,
        targetType: "RECORDING",
        targetId: recording.id,
        details: {
          agentId: recording.agentId,
          holdKey: holdKey ?? null,
          reason,
          source: command.source,
          previousState,
          state: recording.state,
          sequence: recording.sequence,
          releasedHolds: releasing.map(holdSnapshot),
          remainingHolds: remaining.map(holdSnapshot),
        },
        requestId,
      });
      this.events.stateChanged(uow, stateChangedEvent(recording, previousState, viewer.userId, command.source, remaining, now));
      return { recording, activeHolds: remaining };
    });
  }

  /** Resolves an agent reference (id or email) before the transaction, and applies the row rule to it. */
  private async resolveAgent(viewer: Viewer, target: RecordingTarget): Promise<string | undefined> {
    if ((target.agentRef === undefined) === (target.recordingId === undefined)) {
      throw badInput("give exactly one of agentId or recordingId");
    }
    if (target.agentRef === undefined) return undefined;
    const agent = await this.users.getByReference(target.agentRef, "Agent");
    assertMayControlAgent(viewer, agent.id);
    return agent.id;
  }

  private async lockTarget(uow: UnitOfWork, viewer: Viewer, target: RecordingTarget, agentId: string | undefined): Promise<RecordingEntity> {
    if (agentId !== undefined) {
      const live = await findLiveRecordingOfAgent(uow.manager, agentId);
      const recording = live && (await lockRecording(uow, live.id));
      if (!recording || !isLive(recording.state)) {
        throw new DomainError(ErrorCode.NoLiveRecording, `agent ${target.agentRef} has no live call recording`, { agentId });
      }
      return recording;
    }
    const recording = await lockRecording(uow, target.recordingId as string);
    if (!recording) throw notFound("Recording", target.recordingId as string);
    assertMayControlAgent(viewer, recording.agentId);
    if (!isLive(recording.state)) {
      throw new DomainError(ErrorCode.RecordingNotLive, `recording ${recording.id} is ${recording.state}, not live`, {
        state: recording.state,
      });
    }
    return recording;
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
