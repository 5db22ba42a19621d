import type { Viewer } from "../auth/viewer";
import { watchesAnyAgent } from "../auth/row-rules";
import { badInput, forbidden, notFound } from "../common/errors";
import { SUBSCRIBER_BUFFER, type EventBus } from "../events/event-bus";
import { endOnRoleChange } from "../events/end-on-role-change";
import { SequenceOrderer } from "../events/sequence-orderer";
import { SlidingQueue } from "../events/sliding-queue";
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

  /**
   * A snapshot of the current state first, then every change in sequence order. The bus subscription
   * starts before the snapshot is read, so nothing committed in between is lost.
   */
  async open(viewer: Viewer, filter: RecordingStreamFilter): Promise<AsyncIterableIterator<RecordingStreamMessage>> {
    const given = [filter.agentRef, filter.recordingId, filter.customerId].filter((v) => v !== undefined && v !== null);
    if (given.length !== 1) throw badInput("give exactly one of agentId, recordingId or customerId");
    const matches = await this.authorize(viewer, filter);

    const events = await this.bus.subscribe("RECORDING_STATE_CHANGED");
    const out = new SlidingQueue<RecordingStreamMessage>(SUBSCRIBER_BUFFER, () => {
      orderer.close();
      stopWatchingRoles();
      void events.return?.();
    });
    const stopWatchingRoles = await endOnRoleChange(this.bus, viewer.userId, () => out.close());
    const orderer = new SequenceOrderer<RecordingStateChangedEvent>(GAP_WAIT_MS, (event) => out.push({ kind: "CHANGE", ...event }));
    try {
      const current = await this.snapshotRecording(filter, matches.agentId);
      if (current) orderer.seed(current.id, current.sequence);
      out.push(await this.snapshotMessage(current, matches.agentId));
    } catch (error) {
      out.close();
      throw error;
    }
    void (async () => {
      for await (const event of events) if (matches.test(event)) orderer.accept(event);
    })();
    return out;
  }

  private async authorize(viewer: Viewer, filter: RecordingStreamFilter): Promise<{ agentId: string | null; test: (e: RecordingStateChangedEvent) => boolean }> {
    const watchesAnyone = watchesAnyAgent(viewer);
    if (filter.agentRef !== undefined) {
      const agent = await this.users.getByReference(filter.agentRef, "Agent");
      if (!watchesAnyone && agent.id !== viewer.userId) throw forbidden("agents may only watch their own recording state");
      return { agentId: agent.id, test: (e) => e.agentId === agent.id };
    }
    if (filter.recordingId !== undefined) {
      const recording = await this.recordings.find(filter.recordingId);
      if (!recording) throw notFound("Recording", filter.recordingId);
      if (!watchesAnyone && recording.agentId !== viewer.userId) throw forbidden("agents may only watch their own recordings");
      return { agentId: recording.agentId, test: (e) => e.recordingId === recording.id };
    }
    if (!watchesAnyone) throw forbidden("agents may only watch their own recording state");
    const customerId = filter.customerId as string;
    return { agentId: null, test: (e) => e.customerId === customerId };
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
