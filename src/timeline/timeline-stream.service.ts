import { seesOnlyOwnCalls } from "../auth/row-rules";
import type { Viewer } from "../auth/viewer";
import { CustomerService } from "../customers/customer.service";
import { SUBSCRIBER_BUFFER, type EventBus } from "../events/event-bus";
import { endOnRoleChange } from "../events/end-on-role-change";
import { SlidingQueue } from "../events/sliding-queue";
import { TimelineChangeKind } from "../events/topics";
import { RecordingQueryService } from "../recordings/recording-query.service";
import type { RecordingEntity } from "../recordings/recording.entity";
import { rootLog } from "../logging/logger";

export interface TimelineStreamMessage {
  kind: TimelineChangeKind;
  customerId: string;
  occurredAt: Date;
  recording: RecordingEntity | null;
}

/** A customer's timeline changes; first a SNAPSHOT with the newest entry, so clients know it is live. */
export class TimelineStreamService {
  constructor(
    private readonly bus: EventBus,
    private readonly customers: CustomerService,
    private readonly recordings: RecordingQueryService,
  ) {}

  async open(viewer: Viewer, customerId: string): Promise<AsyncIterableIterator<TimelineStreamMessage>> {
    await this.customers.get(customerId);
    const onlyAgent = seesOnlyOwnCalls(viewer) ? viewer.userId : undefined;
    const events = await this.bus.subscribe("CUSTOMER_TIMELINE_CHANGED");
    const out = new SlidingQueue<TimelineStreamMessage>(SUBSCRIBER_BUFFER, () => {
      stopWatchingRoles();
      void events.return?.();
    });
    const stopWatchingRoles = await endOnRoleChange(this.bus, viewer.userId, () => out.close());
    try {
      const newest = await this.recordings.currentRecordingOfCustomer(customerId, onlyAgent);
      out.push({ kind: TimelineChangeKind.SNAPSHOT, customerId, occurredAt: new Date(), recording: newest });
    } catch (error) {
      out.close();
      throw error;
    }
    void (async () => {
      for await (const event of events) {
        if (event.customerId !== customerId || (onlyAgent && event.agentId !== onlyAgent)) continue;
        const recording = await this.recordings.find(event.recordingId);
        out.push({ kind: event.kind, customerId, occurredAt: new Date(event.occurredAt), recording });
      }
    })().catch((error) => {
      rootLog("timeline stream failed", error);
      out.close();
    });
    return out;
  }
}
