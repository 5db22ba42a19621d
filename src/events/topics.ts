import type { ControlSource, RecordingState } from "../recordings/recording-state";

/** Wire shape of an active hold inside an event: plain JSON, so it can cross instances through Redis. */
export interface HoldSnapshot {
  id: string;
  holderId: string;
  holdKey: string;
  reason: string | null;
  source: ControlSource;
  createdAt: string;
}

export interface RecordingStateChangedEvent {
  recordingId: string;
  callId: string;
  agentId: string;
  customerId: string;
  sequence: number;
  previousState: RecordingState | null;
  state: RecordingState;
  actorId: string | null;
  source: ControlSource;
  activeHolds: HoldSnapshot[];
  /** When the change was committed. */
  occurredAt: string;
  /**
   * From when the change applies to the audio: for a pause, the instant its request arrived (the media plane
   * cuts from a guard band before it); for everything else, the commit instant.
   */
  effectiveAt: string;
}

export enum TimelineChangeKind {
  SNAPSHOT = "SNAPSHOT",
  CALL_STARTED = "CALL_STARTED",
  CALL_ENDED = "CALL_ENDED",
  RECORDING_AVAILABLE = "RECORDING_AVAILABLE",
  RECORDING_FAILED = "RECORDING_FAILED",
  RECORDING_REDACTED = "RECORDING_REDACTED",
  RECORDING_DELETED = "RECORDING_DELETED",
}

export interface CustomerTimelineChangedEvent {
  kind: TimelineChangeKind;
  customerId: string;
  agentId: string;
  recordingId: string;
  callId: string;
  occurredAt: string;
}

/** A user's roles changed: their open subscriptions end, so they resubscribe under the new roles. */
export interface UserRolesChangedEvent {
  userId: string;
}

export interface Topics {
  RECORDING_STATE_CHANGED: RecordingStateChangedEvent;
  CUSTOMER_TIMELINE_CHANGED: CustomerTimelineChangedEvent;
  USER_ROLES_CHANGED: UserRolesChangedEvent;
}

export type Topic = keyof Topics;

/**
 * What an event can be watched by: subscribers listen on one key, and publishing touches only the
 * subscribers of the event's keys (locally, and on Redis one channel per key).
 */
export function eventKeys<T extends Topic>(topic: T, payload: Topics[T]): string[] {
  switch (topic) {
    case "RECORDING_STATE_CHANGED": {
      const event = payload as RecordingStateChangedEvent;
      return [`agent:${event.agentId}`, `recording:${event.recordingId}`, `customer:${event.customerId}`];
    }
    case "CUSTOMER_TIMELINE_CHANGED":
      return [`customer:${(payload as CustomerTimelineChangedEvent).customerId}`];
    default:
      return [`user:${(payload as UserRolesChangedEvent).userId}`];
  }
}
