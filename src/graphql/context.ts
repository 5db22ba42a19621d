import type { RequestContext } from "../auth/viewer";
import type { OperationSink } from "../http/shared-subscriptions";
import type { RecordingStreamService } from "../recordings/recording-stream.service";
import type { TimelineStreamService } from "../timeline/timeline-stream.service";

/** Subscription `subscribe` functions are static in type-graphql, so they reach their services through here. */
export interface SubscriptionStreams {
  recordings: RecordingStreamService;
  timeline: TimelineStreamService;
}

export interface GraphQLContext extends RequestContext {
  streams: SubscriptionStreams;
  /** WebSocket operations only: where shared subscription results are sent (see http/shared-subscriptions.ts). */
  sink?: OperationSink;
}
