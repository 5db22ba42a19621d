import { Max, MaxLength, Min } from "class-validator";
import { Arg, Args, ArgsType, Ctx, Field, ID, Int, Query, Resolver, Root, Subscription } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import type { GraphQLContext } from "../graphql/context";
import { mapDomainErrors } from "../graphql/subscription-errors";
import { timelineTextOf } from "../recordings/recording.resolver";
import { RecordingState } from "../recordings/recording-state";
import type { RecordingEntity } from "../recordings/recording.entity";
import type { TimelineStreamMessage } from "./timeline-stream.service";
import { encodeTimelineCursor, TimelineService, TIMELINE_PAGE_MAX } from "./timeline.service";
import { CustomerTimelineChangeType, TimelineConnectionType, TimelineEntryType } from "./timeline.types";

@ArgsType()
class CustomerTimelineArgs {
  @Field(() => ID)
  @MaxLength(64)
  customerId!: string;

  @Field(() => Int, { defaultValue: 20 })
  @Min(1)
  @Max(TIMELINE_PAGE_MAX)
  first!: number;

  @Field(() => String, { nullable: true })
  @MaxLength(200)
  after?: string;
}

const entryOf = (recording: RecordingEntity): TimelineEntryType => ({
  id: recording.id,
  occurredAt: recording.startedAt,
  timelineText: timelineTextOf(recording.state),
  isTombstone: recording.state === RecordingState.DELETED,
  recording,
});

@Resolver()
export class TimelineResolver {
  constructor(private readonly timeline: TimelineService) {}

  @Auth(Permission.ReadTimeline)
  @Query(() => TimelineConnectionType, { description: "Newest first. Agents see only the calls they handled." })
  async customerTimeline(@Args(() => CustomerTimelineArgs) args: CustomerTimelineArgs, @Ctx() ctx: GraphQLContext): Promise<TimelineConnectionType> {
    const page = await this.timeline.list(ctx.viewer!, args.customerId, args.first, args.after ?? undefined);
    const edges = page.recordings.map((recording) => ({ cursor: encodeTimelineCursor(recording), node: entryOf(recording) }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  @Auth(Permission.ReadTimeline)
  @Subscription(() => CustomerTimelineChangeType, {
    description: "Calls started and ended, recordings available, redacted and deleted. The first message is a SNAPSHOT.",
    subscribe: mapDomainErrors(({ args, context }) => {
      const ctx = context as GraphQLContext;
      return ctx.streams.timeline.open(ctx.viewer!, (args as { customerId: string }).customerId);
    }),
  })
  customerTimelineChanged(
    @Root() message: TimelineStreamMessage,
    @Arg("customerId", () => ID) _customerId: string,
  ): CustomerTimelineChangeType {
    return {
      kind: message.kind,
      customerId: message.customerId,
      occurredAt: message.occurredAt,
      entry: message.recording ? entryOf(message.recording) : null,
    };
  }
}
