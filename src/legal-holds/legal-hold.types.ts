import { MaxLength } from "class-validator";
import { ArgsType, Field, GraphQLISODateTime, ID, InputType, ObjectType } from "type-graphql";
import { LegalHoldScope } from "./legal-hold.entity";
import { LEGAL_HOLD_MATTER_MAX, LEGAL_HOLD_REASON_MAX } from "./legal-hold.service";

@ObjectType("LegalHold", { description: "Keeps a recording, or every recording of a customer, from delete, redaction and retention until released." })
export class LegalHoldType {
  @Field(() => ID)
  id!: string;

  @Field(() => LegalHoldScope)
  scope!: LegalHoldScope;

  @Field(() => ID, { nullable: true, description: "The held recording; null for a customer-wide hold." })
  recordingId!: string | null;

  @Field(() => ID)
  customerId!: string;

  @Field(() => String)
  reason!: string;

  @Field(() => String, { nullable: true, description: "The case or matter reference." })
  matter!: string | null;

  @Field(() => ID)
  placedById!: string;

  @Field(() => GraphQLISODateTime)
  placedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  releasedAt!: Date | null;

  @Field(() => ID, { nullable: true })
  releasedById!: string | null;

  @Field(() => String, { nullable: true })
  releaseReason!: string | null;
}

@InputType()
export class PlaceLegalHoldInput {
  @Field(() => ID, { nullable: true, description: "Hold one recording…" })
  @MaxLength(64)
  recordingId?: string | null;

  @Field(() => ID, { nullable: true, description: "…or every recording of a customer (exactly one of the two)." })
  @MaxLength(64)
  customerId?: string | null;

  @Field(() => String)
  @MaxLength(LEGAL_HOLD_REASON_MAX)
  reason!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(LEGAL_HOLD_MATTER_MAX)
  matter?: string | null;
}

@ArgsType()
export class LegalHoldsArgs {
  @Field(() => ID, { nullable: true, description: "Holds covering this recording (its own and its customer's)." })
  @MaxLength(64)
  recordingId?: string | null;

  @Field(() => ID, { nullable: true })
  @MaxLength(64)
  customerId?: string | null;

  @Field(() => Boolean, { defaultValue: false })
  includeReleased!: boolean;
}
