import { MaxLength, MinLength } from "class-validator";
import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType } from "type-graphql";
import { Permission } from "../auth/permissions";
import { Auth } from "../graphql/auth";
import { ControlSource, HoldReleaseKind, RecordingState } from "./recording-state";

@ObjectType("PauseHold", { description: "One requester's hold on a pause; the recording resumes when none remain." })
export class PauseHoldType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  holderId!: string;

  @Field(() => String, { nullable: true, description: 'The holder\'s key, e.g. "oms-card-field"; null when none was given.' })
  holdKey!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field(() => ControlSource)
  source!: ControlSource;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  releasedAt!: Date | null;

  @Field(() => HoldReleaseKind, { nullable: true })
  releaseKind!: HoldReleaseKind | null;
}

@ObjectType("PauseInterval", { description: "A span during which the recording was paused; its audio was never stored." })
export class PauseIntervalType {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  endedAt!: Date | null;

  @Field(() => Int, { description: "Milliseconds from the start of the recording." })
  startOffsetMs!: number;

  @Field(() => Int, { nullable: true })
  endOffsetMs!: number | null;
}

@ObjectType("RecordingDeletion", { description: "Who deleted a recording, when and why." })
export class RecordingDeletionType {
  @Field(() => GraphQLISODateTime)
  deletedAt!: Date;

  @Field(() => ID)
  deletedById!: string;

  @Field(() => String)
  reason!: string;
}

@ObjectType("Recording")
export class RecordingType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  callId!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID)
  agentId!: string;

  @Field(() => RecordingState)
  state!: RecordingState;

  @Field(() => Int, { description: "Incremented by every change of state or active holds." })
  sequence!: number;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  endedAt!: Date | null;

  @Field(() => Int, { nullable: true })
  durationMs!: number | null;

  @Auth(Permission.ReadMediaIntegrity)
  @Field(() => Int, { nullable: true, description: "Size of the MP3 in bytes." })
  sizeBytes!: number | null;

  @Auth(Permission.ReadMediaIntegrity)
  @Field(() => String, { nullable: true, description: "SHA-256 (hex) of the MP3." })
  sha256!: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  deletedAt!: Date | null;

  deletedById!: string | null;
  deletionReason!: string | null;
}

@ObjectType("DeletionReceipt", { description: "Proof of an irrecoverable deletion." })
export class DeletionReceiptType {
  @Field(() => ID)
  recordingId!: string;

  @Field(() => GraphQLISODateTime)
  deletedAt!: Date;

  @Field(() => ID)
  deletedById!: string;

  @Field(() => String)
  reason!: string;

  @Field(() => String, { nullable: true, description: "SHA-256 (hex) of the destroyed MP3; null when there was no audio." })
  mp3Sha256!: string | null;
}

@ObjectType("AgentRecordingStatus")
export class AgentRecordingStatusType {
  @Field(() => ID)
  agentId!: string;

  @Field(() => RecordingState, { nullable: true, description: "null when the agent is not on a call." })
  state!: RecordingState | null;

  @Field(() => RecordingType, { nullable: true })
  recording!: RecordingType | null;
}

/** Address the agent's current live recording (agentId: id or email) or one recording; exactly one. */
@InputType()
export abstract class RecordingTargetFields {
  @Field(() => ID, { nullable: true })
  @MaxLength(254)
  agentId?: string;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  recordingId?: string;

  @Field(() => String, { nullable: true })
  @MaxLength(100)
  holdKey?: string;

  @Field(() => String, { nullable: true })
  @MaxLength(500)
  reason?: string;
}

@InputType()
export class PauseRecordingInput extends RecordingTargetFields {}

@InputType()
export class ResumeRecordingInput extends RecordingTargetFields {
  @Field(() => Boolean, { defaultValue: false, description: "Release every hold, not just your own. Audited as a forced resume." })
  force!: boolean;
}

@InputType()
export class DeleteRecordingInput {
  @Field(() => ID)
  @MaxLength(64)
  recordingId!: string;

  @Field(() => String)
  @MinLength(1)
  @MaxLength(1000)
  reason!: string;
}
