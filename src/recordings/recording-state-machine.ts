import type { AuditAction } from "../audit/audit-action";
import type { AuditService } from "../audit/audit.service";
import type { Viewer } from "../auth/viewer";
import { DomainError, ErrorCode } from "../common/errors";
import { isLockNotAvailable } from "../database/errors";
import type { SqlStatement } from "../database/raw-sql";
import type { TransactionRunner, UnitOfWork } from "../database/transaction";
import type { TimelineChangeKind } from "../events/topics";
import type { PauseHoldEntity } from "./pause-hold.entity";
import type { PauseIntervalEntity } from "./pause-interval.entity";
import type { RecordingEventPublisher } from "./recording-events";
import { ControlSource, HoldReleaseKind, RecordingState } from "./recording-state";
import {
  addHold,
  closePauseInterval,
  currentPauseIntervalId,
  insertRecordingStatement,
  lockLiveRecordingOfAgent,
  LockedRecording,
  lockRecordingOfCall,
  lockRecordingWithHolds,
  NewHold,
  noWaitOnRecording,
  openPauseInterval,
  RecordingChanges,
  releaseHolds,
  stateChangedEvent,
  timelineEvent,
  updateRecordingStateStatement,
} from "./recording-store";
import { RecordingEntity } from "./recording.entity";
import { RecordingSnapshots } from "./recording-snapshots";

const { RECORDING, PAUSED, PROCESSING, AVAILABLE, FAILED, DELETED } = RecordingState;

/** Every way a recording's state (or its holds, which also bump the sequence) may change. */
export enum RecordingTransition {
  /** Only through `create`: the recording of a call that just started. */
  START = "START",
  PAUSE = "PAUSE",
  ADD_HOLD = "ADD_HOLD",
  RELEASE_HOLD = "RELEASE_HOLD",
  RESUME = "RESUME",
  END = "END",
  SETTLE_AVAILABLE = "SETTLE_AVAILABLE",
  SETTLE_FAILED = "SETTLE_FAILED",
  REDACT = "REDACT",
  DELETE = "DELETE",
  /** Deleted by the retention job: the same destruction as DELETE, audited as its own action. */
  EXPIRE = "EXPIRE",
}

export interface TransitionRule {
  from: readonly RecordingState[];
  to: RecordingState;
}

/**
 * The allowed transitions: RECORDING ⇄ PAUSED (holds come and go while PAUSED), live → PROCESSING when the
 * call ends, PROCESSING → AVAILABLE | FAILED once the media plane settles it, AVAILABLE → AVAILABLE when a
 * redaction replaces the audio, AVAILABLE | FAILED → DELETED. A recording is created RECORDING (`call.start`).
 */
export const TRANSITIONS: Readonly<Record<RecordingTransition, TransitionRule>> = {
  START: { from: [], to: RECORDING },
  PAUSE: { from: [RECORDING], to: PAUSED },
  ADD_HOLD: { from: [PAUSED], to: PAUSED },
  RELEASE_HOLD: { from: [PAUSED], to: PAUSED },
  RESUME: { from: [PAUSED], to: RECORDING },
  END: { from: [RECORDING, PAUSED], to: PROCESSING },
  SETTLE_AVAILABLE: { from: [PROCESSING], to: AVAILABLE },
  SETTLE_FAILED: { from: [PROCESSING], to: FAILED },
  REDACT: { from: [AVAILABLE], to: AVAILABLE },
  DELETE: { from: [AVAILABLE, FAILED], to: DELETED },
  EXPIRE: { from: [AVAILABLE, FAILED], to: DELETED },
};

export const canApply = (transition: RecordingTransition, state: RecordingState) => TRANSITIONS[transition].from.includes(state);

export function illegalTransition(transition: RecordingTransition, recording: Pick<RecordingEntity, "id" | "state">): DomainError {
  return new DomainError(ErrorCode.IllegalTransition, `recording ${recording.id} is ${recording.state}: ${transition} is not allowed`, {
    state: recording.state,
    transition,
  });
}

export interface AuditOfTransition {
  action: AuditAction;
  requestId: string;
  /** Built after the writes, so it can say the new state, sequence, interval and holds. */
  details: (recording: RecordingEntity, result: TransitionResult) => Record<string, unknown>;
  targetType?: "RECORDING" | "CALL";
  targetId?: string;
}

export interface TransitionRequest {
  transition: RecordingTransition;
  /** The commit instant: updatedAt, hold and interval times. */
  at: Date;
  /** From when it applies to the audio (a pause: its arrival); defaults to `at`. Opens the pause interval. */
  effectiveAt?: Date;
  actor: Viewer | undefined;
  source: ControlSource;
  changes?: RecordingChanges;
  addHold?: NewHold;
  releaseHolds?: { holds: PauseHoldEntity[]; by: string | null; kind: HoldReleaseKind };
  /** The holds still active after this transition, for the event. */
  activeHolds: PauseHoldEntity[];
  audit?: AuditOfTransition;
  timeline?: TimelineChangeKind;
  /** Nothing follows in the unit: the writes go out with its COMMIT (one round trip less on MySQL). */
  lastWriteOfUnit?: boolean;
}

export interface TransitionResult {
  previousState: RecordingState;
  /** The pause interval this transition opened. */
  interval?: PauseIntervalEntity;
  /** The hold it added. */
  hold?: PauseHoldEntity;
  /** The holds active after it. */
  activeHolds: PauseHoldEntity[];
}

/**
 * The one path every recording transition takes, inside the caller's unit of work, after it locked the
 * row (`lock…`): check the rule → conditional UPDATE … WHERE sequence = ? → holds and pause intervals →
 * audit entry → state (and timeline) events published once the transaction has committed.
 */
export class RecordingStateMachine {
  private readonly snapshots = new RecordingSnapshots();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly audit: AuditService,
    private readonly events: RecordingEventPublisher,
  ) {}

  /** A unit of work; the work locks the recording through `lock`/`lockLiveOfAgent` and calls `apply`. */
  run<T>(work: (uow: UnitOfWork) => Promise<T>): Promise<T> {
    return this.transactions.run(work);
  }

  lock(uow: UnitOfWork, recordingId: string): Promise<LockedRecording | null> {
    return lockRecordingWithHolds(uow, recordingId);
  }

  lockLiveOfAgent(uow: UnitOfWork, agentId: string): Promise<LockedRecording | null> {
    return lockLiveRecordingOfAgent(uow, agentId);
  }

  lockOfCall(uow: UnitOfWork, callId: string): Promise<LockedRecording | null> {
    return lockRecordingOfCall(uow, callId);
  }

  /**
   * For units whose only write is one `apply` (pause, resume): the last snapshot this instance committed,
   * without a locking read, when it has one. `apply`'s conditional UPDATE confirms it; a decision that writes
   * nothing must be confirmed with `confirm` first. Otherwise the row is locked as by `lock`. A unit run again
   * (its snapshot was stale, or it lost a race) always locks: concurrent units on one recording that all lost to
   * the same winner would otherwise find the winner's snapshot and race each other on it again, one winner a round.
   */
  lockOrSnapshot(uow: UnitOfWork, recordingId: string): Promise<LockedRecording | null> {
    const snapshot = uow.attempt === 1 ? this.snapshots.ofRecording(recordingId) : undefined;
    return Promise.resolve(snapshot ?? this.lock(uow, recordingId));
  }

  lockLiveOfAgentOrSnapshot(uow: UnitOfWork, agentId: string): Promise<LockedRecording | null> {
    const snapshot = uow.attempt === 1 ? this.snapshots.ofLiveCallOfAgent(agentId) : undefined;
    return Promise.resolve(snapshot ?? this.lockLiveOfAgent(uow, agentId));
  }

  /**
   * A unit that answers without writing (a no-op, a refusal) on a snapshot from `…OrSnapshot` would answer
   * from what may be another instance's past: it runs again on the locked path instead.
   */
  confirm(recording: RecordingEntity): void {
    if (this.snapshots.isSpeculative(recording)) throw this.snapshots.stale(recording.id);
  }

  /**
   * A new recording starts RECORDING at sequence 1 (its first event has no previous state). Returns its INSERT,
   * for the caller to send with its other writes (`uow.sqlBatch`); its snapshot and events follow the commit.
   */
  create(uow: UnitOfWork, recording: RecordingEntity, request: Pick<TransitionRequest, "actor" | "source" | "timeline">): SqlStatement {
    if (recording.state !== RECORDING || recording.sequence !== 1) throw illegalTransition(RecordingTransition.START, recording);
    const created = Object.assign(new RecordingEntity(), recording);
    uow.afterCommit(() => this.snapshots.remember(created, []));
    this.events.stateChanged(uow, stateChangedEvent(recording, null, request.actor?.userId ?? null, request.source, [], recording.updatedAt));
    if (request.timeline) this.events.timelineChanged(uow, timelineEvent(request.timeline, recording, recording.updatedAt));
    return insertRecordingStatement(uow, recording);
  }

  async apply(uow: UnitOfWork, recording: RecordingEntity, request: TransitionRequest): Promise<TransitionResult> {
    const rule = TRANSITIONS[request.transition];
    const speculative = this.snapshots.isSpeculative(recording);
    if (!rule.from.includes(recording.state)) throw speculative ? this.snapshots.stale(recording.id) : illegalTransition(request.transition, recording);
    const previousState = recording.state;
    const { at } = request;
    const effectiveAt = request.effectiveAt ?? at;
    // Only this read may precede the writes: a hold-less PAUSED row (never written) needs its interval looked up.
    const knownIntervalId = request.activeHolds[0]?.intervalId;
    const lookedUpIntervalId =
      request.addHold && previousState === PAUSED && rule.to === PAUSED && !knownIntervalId ? await currentPauseIntervalId(uow, recording.id) : undefined;

    // Every write of the transition, then one batch: one round trip on MySQL. The conditional UPDATE goes first:
    // nothing else is written before the row is ours and found unchanged.
    const update = updateRecordingStateStatement(uow, recording, rule.to, at, request.changes);
    const writes: SqlStatement[] = [update];
    if (speculative) {
      update.mustChangeOneRow = () => this.snapshots.stale(recording.id);
      update.noWait = noWaitOnRecording(uow, recording.id);
    }
    const result: TransitionResult = { previousState, activeHolds: request.activeHolds };
    if (request.releaseHolds) writes.push(...releaseHolds(uow, request.releaseHolds.holds, request.releaseHolds.by, request.releaseHolds.kind, at));
    if (previousState === PAUSED && rule.to !== PAUSED) {
      writes.push(closePauseInterval(uow, recording, at, request.releaseHolds?.holds[0]?.intervalId ?? knownIntervalId));
    }
    if (previousState !== PAUSED && rule.to === PAUSED) {
      const opened = openPauseInterval(uow, recording, effectiveAt);
      result.interval = opened.interval;
      writes.push(opened.statement);
    }
    if (request.addHold) {
      const intervalId = result.interval?.id ?? knownIntervalId ?? lookedUpIntervalId;
      if (!intervalId) throw new Error(`paused recording ${recording.id} has no open pause interval`);
      const added = addHold(uow, recording.id, intervalId, request.addHold, at);
      result.hold = added.hold;
      writes.push(added.statement);
    }
    if (result.hold) result.activeHolds = [...request.activeHolds, result.hold];

    if (request.audit) {
      writes.push(
        this.audit.appendStatement(uow, {
          actor: request.actor,
          action: request.audit.action,
          targetType: request.audit.targetType ?? "RECORDING",
          targetId: request.audit.targetId ?? recording.id,
          details: request.audit.details(recording, result),
          requestId: request.audit.requestId,
        }),
      );
    }
    await uow.sqlBatch(writes, { commit: request.lastWriteOfUnit }).catch((error) => {
      // Another transaction holds the row: decide again once it is ours (on the locked path), at a later instant.
      throw speculative && isLockNotAvailable(error) ? this.snapshots.stale(recording.id) : error;
    });
    const committed = Object.assign(new RecordingEntity(), recording);
    uow.afterCommit(() => this.snapshots.remember(committed, result.activeHolds));
    this.events.stateChanged(uow, stateChangedEvent(recording, previousState, request.actor?.userId ?? null, request.source, result.activeHolds, at, effectiveAt));
    if (request.timeline) this.events.timelineChanged(uow, timelineEvent(request.timeline, recording, at));
    return result;
  }
}
