import type { Viewer } from "../auth/viewer";
import { watchesAnyAgent } from "../auth/row-rules";
import { badInput, forbidden, notFound } from "../common/errors";
import type { EventBus } from "../events/event-bus";
import { KeyedStream } from "../events/keyed-stream";
import type { HoldSnapshot, RecordingStateChangedEvent } from "../events/topics";
import { UserService } from "../users/user.service";
import { RecordingQueryService } from "./recording-query.service";
import { ControlSource } from "./recording-state";
import { holdSnapshot } from "./recording-store";
import type { RecordingEntity } from "./recording.entity";

export interface RecordingStreamFilter {
  agentRef?: string;
  recordingId?: string;
  customerId?: string;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };

export type RecordingStreamMessage =
  | ({ kind: "SNAPSHOT" } & Partial<Nullable<RecordingStateChangedEvent>> & { activeHolds: HoldSnapshot[]; occurredAt: string })
  | ({ kind: "CHANGE" } & RecordingStateChangedEvent);

/** How long a subscriber waits for a missing sequence number before skipping it. */
const GAP_WAIT_MS = 250;

export class RecordingStreamService {
  constructor(
    private readonly bus: EventBus,
    private readonly recordings: RecordingQueryService,
    private readonly users: UserService,
  ) {}

  /** One CHANGE message per event, whoever watches it: the transport executes and serializes it once. */
  private readonly changes = new WeakMap<RecordingStateChangedEvent, RecordingStreamMessage>();

  /**
   * A snapshot of the current state first, then every change in sequence order. The stream listens (on the
   * agent's, recording's or customer's key) before the snapshot is read, so nothing committed in between is lost.
   */
  async open(viewer: Viewer, filter: RecordingStreamFilter): Promise<KeyedStream<"RECORDING_STATE_CHANGED", RecordingStreamMessage>> {
    const given = [filter.agentRef, filter.recordingId, filter.customerId].filter((v) => v !== undefined && v !== null);
    if (given.length !== 1) throw badInput("give exactly one of agentId, recordingId or customerId");
    const watched = await this.authorize(viewer, filter);
    return KeyedStream.open(
      {
        bus: this.bus,
        topic: "RECORDING_STATE_CHANGED",
        key: watched.key,
        toMessage: (event) => this.changeMessage(event),
        ordered: { gapWaitMs: GAP_WAIT_MS },
        userId: viewer.userId,
      },
      async () => {
        const current = await this.snapshotRecording(filter, watched.agentId);
        return { first: await this.snapshotMessage(current, watched.agentId), seed: current ? { recordingId: current.id, sequence: current.sequence } : undefined };
      },
    );
  }

  private changeMessage(event: RecordingStateChangedEvent): RecordingStreamMessage {
    let message = this.changes.get(event);
    if (!message) this.changes.set(event, (message = { kind: "CHANGE", ...event }));
    return message;
  }

  private async authorize(viewer: Viewer, filter: RecordingStreamFilter): Promise<{ agentId: string | null; key: string }> {
    const watchesAnyone = watchesAnyAgent(viewer);
    if (filter.agentRef !== undefined) {
      const agent = await this.users.getByReference(filter.agentRef, "Agent");
      if (!watchesAnyone && agent.id !== viewer.userId) throw forbidden("agents may only watch their own recording state");
      return { agentId: agent.id, key: `agent:${agent.id}` };
    }
    if (filter.recordingId !== undefined) {
      const recording = await this.recordings.find(filter.recordingId);
      if (!recording) throw notFound("Recording", filter.recordingId);
      if (!watchesAnyone && recording.agentId !== viewer.userId) throw forbidden("agents may only watch their own recordings");
      return { agentId: recording.agentId, key: `recording:${recording.id}` };
    }
    if (!watchesAnyone) throw forbidden("agents may only watch their own recording state");
    const customerId = filter.customerId as string;
    return { agentId: null, key: `customer:${customerId}` };
  }

  private async snapshotRecording(filter: RecordingStreamFilter, agentId: string | null): Promise<RecordingEntity | null> {
    if (filter.recordingId !== undefined) return this.recordings.find(filter.recordingId);
    if (filter.customerId !== undefined) return this.recordings.currentRecordingOfCustomer(filter.customerId);
    return agentId ? this.recordings.liveRecordingOfAgent(agentId) : null;
  }

  private async snapshotMessage(recording: RecordingEntity | null, agentId: string | null): Promise<RecordingStreamMessage> {
    const occurredAt = new Date().toISOString();
    if (!recording) return { kind: "SNAPSHOT", agentId, activeHolds: [], occurredAt };
    const holds = await this.recordings.activeHolds(recording.id);
    return {
      kind: "SNAPSHOT",
      recordingId: recording.id,
      callId: recording.callId,
      agentId: recording.agentId,
      customerId: recording.customerId,
      sequence: recording.sequence,
      previousState: null,
      state: recording.state,
      actorId: null,
      source: ControlSource.SYSTEM,
      activeHolds: holds.map(holdSnapshot),
      occurredAt,
    };
  }
}
