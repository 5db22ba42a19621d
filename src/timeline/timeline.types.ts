import { Field, GraphQLISODateTime, ID, ObjectType } from "type-graphql";
import { TimelineChangeKind } from "../events/topics";
import { RecordingType } from "../recordings/recording.types";

@ObjectType("TimelineEntry", { description: "A call recording on the customer's Conversation Timeline, or its tombstone." })
export class TimelineEntryType {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLISODateTime)
  occurredAt!: Date;

  @Field(() => String, { description: '"Recording has been deleted" for a deleted recording.' })
  timelineText!: string;

  @Field(() => Boolean)
  isTombstone!: boolean;

  @Field(() => RecordingType)
  recording!: RecordingType;
}

@ObjectType("TimelineEdge")
export class TimelineEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => TimelineEntryType)
  node!: TimelineEntryType;
}

@ObjectType("PageInfo")
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType("TimelineConnection")
export class TimelineConnectionType {
  @Field(() => [TimelineEdgeType])
  edges!: TimelineEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;
}

@ObjectType("CustomerTimelineChange")
export class CustomerTimelineChangeType {
  @Field(() => TimelineChangeKind)
  kind!: TimelineChangeKind;

  @Field(() => ID)
  customerId!: string;

  @Field(() => GraphQLISODateTime)
  occurredAt!: Date;

  @Field(() => TimelineEntryType, { nullable: true, description: "The entry that changed; in the SNAPSHOT, the newest entry (if any)." })
  entry!: TimelineEntryType | null;
}
