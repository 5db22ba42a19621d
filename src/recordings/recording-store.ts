import { EntityManager, In, IsNull } from "typeorm";
import { newId } from "../common/ids";
import { ConcurrentModificationError, UnitOfWork } from "../database/transaction";
import type { CustomerTimelineChangedEvent, HoldSnapshot, RecordingStateChangedEvent, TimelineChangeKind } from "../events/topics";
import { PauseHoldEntity } from "./pause-hold.entity";
import { PauseIntervalEntity } from "./pause-interval.entity";
import { ControlSource, HoldReleaseKind, LIVE_STATES, RecordingState } from "./recording-state";
import { RecordingEntity } from "./recording.entity";

/** Database steps shared by every recording transition; all run inside the caller's unit of work. */

export async function lockRecording(uow: UnitOfWork, id: string): Promise<RecordingEntity | null> {
  return uow.manager.findOne(RecordingEntity, { where: { id }, lock: uow.lock });
}

export async function findLiveRecordingOfAgent(manager: EntityManager, agentId: string): Promise<RecordingEntity | null> {
  return manager.findOne(RecordingEntity, { where: { agentId, state: In([...LIVE_STATES]) } });
}

export async function activeHolds(manager: EntityManager, recordingId: string): Promise<PauseHoldEntity[]> {
  return manager.find(PauseHoldEntity, {
    where: { recordingId, releasedAt: IsNull() },
    order: { createdAt: "ASC", id: "ASC" },
  });
}

/**
 * Moves the recording to `state` and bumps its sequence, but only if nobody else changed it since it was
 * read: UPDATE … WHERE id = ? AND sequence = ?. Zero affected rows means a lost race, and the unit is retried.
 */
export async function transition(uow: UnitOfWork, recording: RecordingEntity, state: RecordingState, at: Date, extra: Partial<RecordingEntity> = {}): Promise<void> {
  const result = await uow.manager
    .createQueryBuilder()
    .update(RecordingEntity)
    .set({ ...extra, state, sequence: () => "sequence + 1", updatedAt: at })
    .where("id = :id AND sequence = :sequence", { id: recording.id, sequence: recording.sequence })
    .execute();
  if (result.affected !== 1) throw new ConcurrentModificationError(`recording ${recording.id}`);
  Object.assign(recording, extra, { state, sequence: recording.sequence + 1, updatedAt: at });
}

export const offsetMs = (recording: RecordingEntity, at: Date) => Math.max(0, at.getTime() - recording.startedAt.getTime());

export async function openPauseInterval(uow: UnitOfWork, recording: RecordingEntity, at: Date): Promise<PauseIntervalEntity> {
  const interval = uow.manager.create(PauseIntervalEntity, {
    id: newId(),
    recordingId: recording.id,
    startedAt: at,
    endedAt: null,
    startOffsetMs: offsetMs(recording, at),
    endOffsetMs: null,
  });
  await uow.manager.insert(PauseIntervalEntity, interval);
  return interval;
}

export async function currentPauseInterval(manager: EntityManager, recordingId: string): Promise<PauseIntervalEntity | null> {
  return manager.findOne(PauseIntervalEntity, { where: { recordingId, endedAt: IsNull() }, order: { startedAt: "DESC" } });
}

export async function closePauseInterval(uow: UnitOfWork, recording: RecordingEntity, at: Date): Promise<void> {
  await uow.manager.update(
    PauseIntervalEntity,
    { recordingId: recording.id, endedAt: IsNull() },
    { endedAt: at, endOffsetMs: offsetMs(recording, at) },
  );
}

export const activeHoldKey = (recordingId: string, holderId: string, holdKey: string) => `${recordingId}/${holderId}/${holdKey}`;

export async function addHold(
  uow: UnitOfWork,
  recordingId: string,
  intervalId: string,
  hold: { holderId: string; holdKey: string; reason: string | null; source: ControlSource },
  at: Date,
): Promise<PauseHoldEntity> {
  const entity = uow.manager.create(PauseHoldEntity, {
    id: newId(),
    recordingId,
    intervalId,
    ...hold,
    createdAt: at,
    releasedAt: null,
    releasedById: null,
    releaseKind: null,
    activeKey: activeHoldKey(recordingId, hold.holderId, hold.holdKey),
  });
  await uow.manager.insert(PauseHoldEntity, entity);
  return entity;
}

export async function releaseHolds(uow: UnitOfWork, holds: PauseHoldEntity[], by: string | null, kind: HoldReleaseKind, at: Date): Promise<void> {
  if (holds.length === 0) return;
  await uow.manager.update(
    PauseHoldEntity,
    { id: In(holds.map((h) => h.id)) },
    { releasedAt: at, releasedById: by, releaseKind: kind, activeKey: null },
  );
}

export const holdSnapshot = (hold: PauseHoldEntity): HoldSnapshot => ({
  id: hold.id,
  holderId: hold.holderId,
  holdKey: hold.holdKey,
  reason: hold.reason,
  source: hold.source,
  createdAt: hold.createdAt.toISOString(),
});

export function stateChangedEvent(
  recording: RecordingEntity,
  previousState: RecordingState | null,
  actorId: string | null,
  source: ControlSource,
  holds: PauseHoldEntity[],
  at: Date,
  effectiveAt: Date = at,
): RecordingStateChangedEvent {
  return {
    recordingId: recording.id,
    callId: recording.callId,
    agentId: recording.agentId,
    customerId: recording.customerId,
    sequence: recording.sequence,
    previousState,
    state: recording.state,
    actorId,
    source,
    activeHolds: holds.map(holdSnapshot),
    occurredAt: at.toISOString(),
    effectiveAt: effectiveAt.toISOString(),
  };
}

export function timelineEvent(kind: TimelineChangeKind, recording: RecordingEntity, at: Date): CustomerTimelineChangedEvent {
  return {
    kind,
    customerId: recording.customerId,
    agentId: recording.agentId,
    recordingId: recording.id,
    callId: recording.callId,
    occurredAt: at.toISOString(),
  };
}
