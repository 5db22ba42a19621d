import type { UnitOfWork } from "../database/transaction";
import type { EventBus } from "../events/event-bus";
import type { CustomerTimelineChangedEvent, RecordingStateChangedEvent } from "../events/topics";

/** Queues events on the unit of work: they go out only once its transaction has committed. */
export class RecordingEventPublisher {
  constructor(private readonly bus: EventBus) {}

  stateChanged(uow: UnitOfWork, event: RecordingStateChangedEvent): void {
    uow.afterCommit(() => this.bus.publish("RECORDING_STATE_CHANGED", event));
  }

  timelineChanged(uow: UnitOfWork, event: CustomerTimelineChangedEvent): void {
    uow.afterCommit(() => this.bus.publish("CUSTOMER_TIMELINE_CHANGED", event));
  }
}
