import { seesOnlyOwnCalls } from "../auth/row-rules";
import type { Viewer } from "../auth/viewer";
import { CustomerService } from "../customers/customer.service";
import type { EventBus } from "../events/event-bus";
import { KeyedStream } from "../events/keyed-stream";
import { type CustomerTimelineChangedEvent, TimelineChangeKind } from "../events/topics";
import { RecordingQueryService } from "../recordings/recording-query.service";
import type { RecordingEntity } from "../recordings/recording.entity";

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

  /** One message per event, whoever watches it (the recording is read once). */
  private readonly messages = new WeakMap<CustomerTimelineChangedEvent, Promise<TimelineStreamMessage>>();

  async open(viewer: Viewer, customerId: string): Promise<KeyedStream<"CUSTOMER_TIMELINE_CHANGED", TimelineStreamMessage>> {
    await this.customers.get(customerId);
    const onlyAgent = seesOnlyOwnCalls(viewer) ? viewer.userId : undefined;
    return KeyedStream.open(
      {
        bus: this.bus,
        topic: "CUSTOMER_TIMELINE_CHANGED",
        key: `customer:${customerId}`,
        accepts: (event) => !onlyAgent || event.agentId === onlyAgent,
        toMessage: (event) => this.message(event),
        userId: viewer.userId,
      },
      async () => {
        const newest = await this.recordings.currentRecordingOfCustomer(customerId, onlyAgent);
        return { first: { kind: TimelineChangeKind.SNAPSHOT, customerId, occurredAt: new Date(), recording: newest } };
      },
    );
  }

  private message(event: CustomerTimelineChangedEvent): Promise<TimelineStreamMessage> {
    let message = this.messages.get(event);
    if (!message) {
      message = this.recordings.find(event.recordingId).then((recording) => ({
        kind: event.kind,
        customerId: event.customerId,
        occurredAt: new Date(event.occurredAt),
        recording,
      }));
      this.messages.set(event, message);
    }
    return message;
  }
}
