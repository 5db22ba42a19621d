import { Max, MaxLength, Min } from "class-validator";
import { ArgsType, Field, GraphQLISODateTime, ID, InputType, Int, ObjectType } from "type-graphql";
import { RetentionRunStatus } from "./retention-run.entity";

@ObjectType("RetentionPolicy", { description: "How long recordings are kept: the global default (customerId null) or one customer's override." })
export class RetentionPolicyType {
  @Field(() => ID, { nullable: true, description: "null: the global default." })
  customerId!: string | null;

  @Field(() => Int, { nullable: true, description: "Recordings are deleted this many days after they started; null: kept forever." })
  days!: number | null;

  @Field(() => ID)
  setById!: string;

  @Field(() => GraphQLISODateTime)
  setAt!: Date;
}

@InputType()
export class SetRetentionPolicyInput {
  @Field(() => ID, { nullable: true, description: "Omit for the global default; a customer id sets that customer's override." })
  @MaxLength(64)
  customerId?: string | null;

  @Field(() => Int, { nullable: true, description: "Days to keep recordings (1–36500); null keeps them forever." })
  days!: number | null;
}

@ObjectType("RetentionRun", { description: "One pass of the retention job, with its progress." })
export class RetentionRunType {
  @Field(() => ID)
  id!: string;

  @Field(() => RetentionRunStatus)
  status!: RetentionRunStatus;

  @Field(() => GraphQLISODateTime)
  startedAt!: Date;

  @Field(() => GraphQLISODateTime, { description: "When the last batch committed." })
  updatedAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Int)
  batches!: number;

  @Field(() => Int, { description: "Recordings deleted by this run." })
  expired!: number;

  @Field(() => Int, { description: "Expired recordings kept by a legal hold." })
  held!: number;
}

@ArgsType()
export class RetentionRunsArgs {
  @Field(() => Int, { defaultValue: 10 })
  @Min(1)
  @Max(100)
  first!: number;
}
