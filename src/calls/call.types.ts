import { MaxLength } from "class-validator";
import { Field, GraphQLISODateTime, ID, InputType, ObjectType } from "type-graphql";
import { RecordingType } from "../recordings/recording.types";
import { CallStatus } from "./call.entity";

@ObjectType("Call")
export class CallType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  customerId!: string;

  @Field(() => ID)
  agentId!: string;

  @Field(() => CallStatus)
  status!: CallStatus;

  @Field(() => String, { nullable: true, description: "The telephony provider's id for the call." })
  externalRef!: string | null;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  endedAt!: Date | null;
}

@ObjectType()
export class CallPayload {
  @Field(() => CallType)
  call!: CallType;

  @Field(() => RecordingType)
  recording!: RecordingType;
}

@InputType()
export class StartCallInput {
  @Field(() => ID)
  @MaxLength(64)
  customerId!: string;

  @Field(() => ID, { description: "The agent's id or email address." })
  @MaxLength(254)
  agentId!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(64)
  externalRef?: string;
}
