import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from "type-graphql";
import { ControlSource, RecordingState } from "./recording-state";
import { PauseHoldType } from "./recording.types";

export enum RecordingStreamKind {
  SNAPSHOT = "SNAPSHOT",
  CHANGE = "CHANGE",
}
registerEnumType(RecordingStreamKind, { name: "RecordingStreamKind", description: "The first message is a SNAPSHOT; every later one a CHANGE." });

@ObjectType("RecordingStateChange")
export class RecordingStateChangeType {
  @Field(() => RecordingStreamKind)
  kind!: RecordingStreamKind;

  @Field(() => ID, { nullable: true, description: "null in a snapshot when the agent is not on a call." })
  recordingId!: string | null;

  @Field(() => ID, { nullable: true })
  callId!: string | null;

  @Field(() => ID, { nullable: true })
  agentId!: string | null;

  @Field(() => ID, { nullable: true })
  customerId!: string | null;

  @Field(() => Int, { nullable: true, description: "The recording's sequence after this change; strictly increasing per recording." })
  sequence!: number | null;

  @Field(() => RecordingState, { nullable: true })
  previousState!: RecordingState | null;

  @Field(() => RecordingState, { nullable: true })
  state!: RecordingState | null;

  @Field(() => ID, { nullable: true, description: "Who made the change; null for the system." })
  actorId!: string | null;

  @Field(() => ControlSource, { nullable: true })
  source!: ControlSource | null;

  @Field(() => [PauseHoldType])
  activeHolds!: PauseHoldType[];

  @Field(() => GraphQLISODateTime)
  occurredAt!: Date;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: "From when the change applies to the audio: for a pause, when its request arrived; otherwise when it was committed. null in a snapshot.",
  })
  effectiveAt!: Date | null;
}
